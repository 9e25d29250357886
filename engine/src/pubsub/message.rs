//! What a subscription receives.

use bytes::Bytes;

/// One delivered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PubSubMessage {
    /// The channel it was published to.
    pub channel: Bytes,
    /// The pattern that matched it, for a pattern subscription (Redis's `pmessage`).
    pub pattern: Option<Bytes>,
    /// The message.
    pub payload: Bytes,
}
