//! # brook
//!
//! A Redis Streams toolkit. This crate re-exports the in-process stream engine
//! ([`brook_engine`]): a radix-tree log with consumer groups, pending entries lists,
//! claiming and blocking reads, all with the exact semantics of Redis 8.x — the same
//! IDs, replies, error texts and edge cases — for tests and single-process queues; the
//! [`Streams`] trait that the engine and the Redis adapter (`brook-redis`, feature
//! `redis`) both implement; and [`connect`], which opens either from a URL
//! (`mem://`, `mem://NAME?clock=manual`, `redis://…`) as one [`Backend`] type.
//!
//! ```
//! let engine = brook::Engine::new();
//! let id = engine.xadd("jobs", &[("task", "resize"), ("image", "42")]).unwrap();
//! let len = engine.xlen("jobs").unwrap();
//! assert_eq!(len, 1);
//! assert_eq!(engine.execute_str(&["XRANGE", "jobs", "-", "+"]),
//!            brook::Reply::Array(vec![brook::Reply::entry(&engine
//!                .xrange("jobs", id, id, None).unwrap()[0])]));
//! ```
#![forbid(unsafe_code)]

/// The README's Rust code blocks, compiled and run as doctests (`cargo test`), so the
/// quick start cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod backend;
mod connect;
#[cfg(feature = "worker")]
pub mod metrics;
#[cfg(feature = "worker")]
pub mod retention;
#[cfg(feature = "worker")]
pub mod worker;

/// `brook serve` in-process (feature `server`): the engine behind a RESP2/RESP3 server,
/// started on the current tokio runtime — a test fixture that code in any language can
/// talk to with its usual Redis client, no Redis installed. This is the `brook-server`
/// crate, re-exported.
///
/// ```no_run
/// # async fn fixture() -> Result<(), Box<dyn std::error::Error>> {
/// use brook::server::{ClockMode, Server, ServerConfig};
///
/// let server = Server::start(ServerConfig {
///     clock: ClockMode::Manual(1_700_000_000_000), // moved by BROOK.CLOCK ADVANCE ms
///     ..ServerConfig::default() // 127.0.0.1, a free port
/// })
/// .await?;
/// let url = format!("redis://{}", server.local_addr());
/// let backend = brook::connect(&url).await?; // or any Redis client, any language
/// # let _ = backend;
/// server.shutdown();
/// server.wait().await;
/// # Ok(()) }
/// ```
#[cfg(feature = "server")]
pub mod server {
    pub use brook_server::*;
}

pub use backend::{Backend, BackendSubscription};
pub use connect::connect;

pub use brook_engine as engine;
pub use brook_engine::{hash_tag, key_slot, same_slot};
pub use brook_engine::{
    Block, ClaimTime, Claimed, Clock, Command, CommandReply, Config, ConsumerPending,
    ConsumerPendingEntry, DeliveryInfo, EffectReplies, Engine, EngineBuilder, Error, Expire,
    FieldValues, FullConsumer, FullGroup, GroupEntry, GroupPendingEntry, GroupReadId, GroupStart,
    ManualClock, NodeLimits, PendingBounds, PendingEntry, PubSub, PubSubMessage, RefPolicy, Reply,
    SetOptions, StreamEntries, StreamEntry, StreamId, StreamSummary, Streams, StreamsClock,
    Subscription, SystemClock, TrimOptions, TrimStrategy, WorkerOps, XAddId, XAddOptions,
    XAutoClaimOptions, XAutoClaimReply, XClaimOptions, XInfoConsumer, XInfoGroup, XInfoStream,
    XInfoStreamFull, XPendingRange, XPendingSummary, XReadGroupOptions, XReadGroupReply, XReadId,
    XReadReply, XSetIdOptions,
};
/// The byte strings keys, fields and values are held in ([`Command`]'s fields, replies),
/// re-exported so that building a [`Command`] needs no direct `bytes` dependency:
///
/// ```
/// use brook::{Bytes, Command, XAddOptions};
/// let add = Command::XAdd {
///     key: Bytes::from("orders"),
///     opts: XAddOptions::default(),
///     fields: vec![(Bytes::from("sku"), Bytes::from("42"))],
/// };
/// # let _ = add;
/// ```
pub use bytes::Bytes;
