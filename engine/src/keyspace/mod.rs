//! The keyspace: named values (streams and plain strings), the configuration that
//! shapes streams, and the typed form of every command the engine serves.
//!
//! A [`Keyspace`] is pure and single-threaded: each method takes the command's time
//! (`now`, Unix milliseconds) as an argument and does no I/O. [`crate::Engine`] puts one
//! behind a lock and a clock; tests and fuzzers drive it directly. The command layer
//! ([`Keyspace::execute`]) parses Redis argument vectors onto these same methods.
//!
//! `door.rs` owns the key map; every other file here writes through its two doors.

mod door;
mod effects;
mod expiry;
mod groups;
mod keys;
mod owner_ops;
mod reads;
mod signals;
mod streams;
mod strings;
mod ttl;

pub use door::{Argv, Config, KeyType, Keyspace, Value};
pub use groups::GroupStart;
pub(crate) use groups::{full_consumers, group_info};
pub(crate) use reads::{count_limit, summary};
pub use signals::Signal;
pub use strings::{Expire, SetOptions};
