//! The [`PubSub`] trait: Redis's at-most-once broadcast beside streams — PUBLISH,
//! SUBSCRIBE and PSUBSCRIBE — implemented by the engine and by the Redis adapter with
//! the same semantics: a message reaches the subscriptions that exist when it is
//! published (no replay, no acknowledgement), a channel subscription and each matching
//! pattern subscription each receive it, and a subscriber that falls too far behind is
//! disconnected rather than slowing publishers (Redis's `client-output-buffer-limit
//! pubsub`).

use core::future::Future;

use crate::error::Error;
#[cfg(feature = "std")]
use crate::handle::engine::Engine;
pub use crate::pubsub::PubSubMessage;
#[cfg(feature = "std")]
use crate::pubsub::Subscriber;

/// A live subscription; dropping it unsubscribes.
pub trait Subscription: Send {
    /// The next message, waiting for one; an error once the subscription has ended
    /// (disconnected as a slow subscriber, the engine closed, the connection lost) —
    /// messages published meanwhile are not replayed.
    fn next(&mut self) -> impl Future<Output = Result<PubSubMessage, Error>> + Send;
}

/// Publish/subscribe on a backend.
pub trait PubSub: Send + Sync {
    /// What [`PubSub::subscribe`] returns.
    type Subscription: Subscription + 'static;

    /// PUBLISH: the number of subscriptions that received the message (a client
    /// subscribed to the channel and to a matching pattern counts twice). On a Redis
    /// Cluster, the receivers on the node that took the command.
    fn publish(
        &self,
        channel: &[u8],
        payload: &[u8],
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// SUBSCRIBE to `channels` and PSUBSCRIBE to `patterns` (Redis glob patterns), as
    /// one subscriber; complete once the subscriptions are in place, so a message
    /// published afterwards reaches it.
    fn subscribe(
        &self,
        channels: &[&[u8]],
        patterns: &[&[u8]],
    ) -> impl Future<Output = Result<Self::Subscription, Error>> + Send;
}

#[cfg(feature = "std")]
impl Subscription for Subscriber {
    fn next(&mut self) -> impl Future<Output = Result<PubSubMessage, Error>> + Send {
        self.next_message()
    }
}

#[cfg(feature = "std")]
impl PubSub for Engine {
    type Subscription = Subscriber;

    async fn publish(&self, channel: &[u8], payload: &[u8]) -> Result<u64, Error> {
        Ok(Engine::publish(self, channel, payload))
    }

    async fn subscribe(&self, channels: &[&[u8]], patterns: &[&[u8]]) -> Result<Subscriber, Error> {
        Engine::subscribe(self, channels, patterns)
    }
}
