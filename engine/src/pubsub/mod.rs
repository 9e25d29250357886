//! Publish/subscribe: Redis's at-most-once broadcast beside streams. The hub is
//! server-wide (as in Redis, not per database) and has a lock of its own, apart from
//! the keyspace; the [`crate::PubSub`] trait in `api/` is implemented on it.

#[cfg(feature = "std")]
mod hub;
mod message;

#[cfg(feature = "std")]
pub(crate) use hub::Shared;
#[cfg(feature = "std")]
pub use hub::{Subscriber, DEFAULT_PUBSUB_BUFFER};
pub use message::PubSubMessage;
