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

mod backend;
mod connect;
#[cfg(feature = "worker")]
pub mod metrics;
#[cfg(feature = "worker")]
pub mod retention;
#[cfg(feature = "worker")]
pub mod worker;

pub use backend::{Backend, BackendSubscription};
pub use connect::connect;

pub use brook_engine as engine;
pub use brook_engine::{hash_tag, key_slot, same_slot};
pub use brook_engine::{
    Block, ClaimTime, Claimed, Clock, Command, CommandReply, Config, EffectReplies, Engine,
    EngineBuilder, Error, Expire, FieldValues, FlatFields, GroupEntry, GroupReadId, GroupStart,
    KeyType, Keyspace, ManualClock, NodeLimits, PendingEntry, Protocol, PubSub, PubSubMessage,
    ReadOutput, ReadRequest, RefPolicy, Reply, SetOptions, Stream, StreamEntries, StreamEntry,
    StreamId, StreamSummary, Streams, StreamsClock, Subscription, SystemClock, TrimOptions,
    TrimStrategy, WorkerOps, XAddId, XAddOptions, XAutoClaimOptions, XAutoClaimReply,
    XClaimOptions, XInfoConsumer, XInfoGroup, XInfoStream, XInfoStreamFull, XPendingRange,
    XPendingSummary, XReadGroupOptions, XReadGroupReply, XReadId, XReadReply, XSetIdOptions,
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
