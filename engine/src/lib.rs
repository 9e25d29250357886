//! # brook-engine
//!
//! brook's in-process Redis Streams engine: a radix-tree log of packed nodes with the
//! exact semantics of Redis 8.x — the same IDs, replies, error texts and edge cases —
//! and a command layer that answers Redis argument vectors byte-for-byte as Redis does.
//!
//! ```
//! use brook_engine::{Engine, StreamId};
//!
//! let engine = Engine::new();
//! let id = engine.xadd("orders", &[("item", "book")]).unwrap();
//! let entries = engine.xrange("orders", StreamId::MIN, StreamId::MAX, None).unwrap();
//! assert_eq!(entries[0].id, id);
//! assert_eq!(entries[0].get(b"item").unwrap(), "book");
//!
//! // The same engine speaks Redis's wire commands:
//! let reply = engine.execute_str(&["XLEN", "orders"]);
//! assert_eq!(reply, brook_engine::Reply::Integer(1));
//! ```
//!
//! ## Layers
//! - **Pure** (`no_std` + `alloc` without the default `std` feature): [`StreamId`] and
//!   its parsers, the node format, the node index, one [`Stream`] with its consumer
//!   [`Group`]s (PELs, claims, `entries-read`/`lag`), the [`Keyspace`] with typed
//!   commands, and the command layer ([`Keyspace::execute`]) — reached through
//!   [`frontend`], the layer a RESP front end builds on. Nothing here reads a
//!   clock or takes a lock: every command receives its time as an argument, frozen for
//!   the command as Redis freezes it.
//! - **Engine** (`std`): [`Engine`], a cheap-to-clone handle to one keyspace behind one
//!   lock (Redis's own model: every command is atomic), driven by a [`Clock`]
//!   ([`SystemClock`] or a test's [`ManualClock`]), serving blocking XREAD/XREADGROUP
//!   on threads and as futures exactly as Redis 8 serves blocked clients.
//! - **API**: the [`Streams`] trait (four required methods, typed commands on top),
//!   [`StreamsClock`] and [`WorkerOps`], which the engine and brook-redis implement;
//!   [`Command`] values for batches.
//!
//! [`Stream`]: frontend::Stream
//! [`Group`]: frontend::Group
//! [`Keyspace`]: frontend::Keyspace
//! [`Keyspace::execute`]: frontend::Keyspace::execute
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]
// Under loom the timer thread and clock subscriptions are not built.
#![cfg_attr(loom, allow(dead_code))]

extern crate alloc;

mod api;
mod cmd;
mod entry;
mod error;
mod glob;
mod group;
mod heap;
mod id;
mod info;
mod keyspace;
mod log;
mod num;
mod options;
mod pubsub;
mod read;
mod reply;
mod resp;
mod slot_hash;
mod stream;

#[cfg(feature = "std")]
pub mod aof;
#[cfg(feature = "std")]
mod blocking;
#[cfg(feature = "std")]
mod handle;
#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(feature = "std")]
mod sync;

pub use api::{
    Command, CommandReply, EffectReplies, PubSub, PubSubMessage, Streams, StreamsClock,
    Subscription, WorkerOps, XReadGroupReply, XReadReply,
};
pub use entry::{FieldValues, StreamEntries, StreamEntry};
pub use error::Error;
pub use id::{StreamId, XAddId};
pub use info::{
    Claimed, ConsumerPending, ConsumerPendingEntry, DeliveryInfo, FullConsumer, FullGroup,
    GroupEntry, GroupPendingEntry, PendingBounds, PendingEntry, StreamSummary, XAutoClaimReply,
    XInfoConsumer, XInfoGroup, XInfoStream, XInfoStreamFull, XPendingSummary,
};
pub use keyspace::{Config, Expire, GroupStart, KeyType, SetOptions};
pub use log::idmp::Idempotency;
pub use log::node::NodeLimits;
pub use options::{
    Block, ClaimTime, GroupReadId, RefPolicy, TrimOptions, TrimStrategy, XAddOptions,
    XAutoClaimOptions, XClaimOptions, XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
};
pub use reply::Reply;
pub use slot_hash::{hash_tag, key_slot, same_slot, SLOTS};

#[cfg(feature = "std")]
pub use handle::clock::{precise_now_ms, AdvanceListener, Clock, ManualClock, SystemClock};
#[cfg(feature = "std")]
pub use handle::engine::{Engine, EngineBuilder};
#[cfg(feature = "std")]
pub use handle::sleep::Sleep;
#[cfg(feature = "std")]
pub use pubsub::{Subscriber, DEFAULT_PUBSUB_BUFFER};

/// The layer under [`Engine`] and [`Streams`], for RESP front ends (brook's own
/// `brook serve`) and tools that drive the keyspace directly: the [`Keyspace`] and
/// its values, the command table, read requests, RESP encoding, and the parsing
/// helpers that give Redis's exact errors. Applications use [`Engine`] and [`Streams`].
///
/// [`Keyspace`]: frontend::Keyspace
pub mod frontend {
    pub use crate::cmd::{
        arity_ok, command_spec, command_specs, CommandSpec, CopyOptions, KeyPositions, ReadStep,
        RespReadStep,
    };
    pub use crate::entry::FlatFields;
    pub use crate::glob::matches as glob_matches;
    pub use crate::group::{Consumer, Group};
    pub use crate::keyspace::{Argv, Keyspace, Value};
    pub use crate::num::parse_i64;
    pub use crate::read::request::{ReadOutput, ReadRequest};
    pub use crate::resp::{Protocol, RespWriter};
    pub use crate::stream::Stream;

    #[cfg(feature = "std")]
    pub use crate::handle::read_wait::{ExecuteFuture, ReadFuture};
}
