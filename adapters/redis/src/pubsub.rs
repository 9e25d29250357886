//! [`PubSub`] on a server: PUBLISH on the command connection, and each subscription on
//! a connection of its own (redis-rs's pub/sub connection), confirmed before
//! `subscribe` returns. A subscription whose connection is lost ends with an error;
//! messages published meanwhile are gone, as for any Redis subscriber.

use bytes::Bytes;
use futures_util::StreamExt;

use brook_engine::{Error, PubSub, PubSubMessage, Subscription};

use crate::{errors, parse, RedisStreams};

/// A subscription on a server connection; dropping it closes the connection.
pub struct RedisSubscription {
    conn: redis::aio::PubSub,
}

impl std::fmt::Debug for RedisSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSubscription").finish_non_exhaustive()
    }
}

impl Subscription for RedisSubscription {
    async fn next(&mut self) -> Result<PubSubMessage, Error> {
        let Some(msg) = self.conn.on_message().next().await else {
            return Err(Error::OutcomeUnknown(Bytes::from_static(
                b"ERR brook-redis: the pub/sub connection was closed",
            )));
        };
        let pattern = if msg.from_pattern() {
            Some(Bytes::from(
                msg.get_pattern::<Vec<u8>>()
                    .map_err(|e| errors::from_redis(&e))?,
            ))
        } else {
            None
        };
        Ok(PubSubMessage {
            channel: Bytes::from(
                msg.get_channel::<Vec<u8>>()
                    .map_err(|e| errors::from_redis(&e))?,
            ),
            pattern,
            payload: Bytes::copy_from_slice(msg.get_payload_bytes()),
        })
    }
}

impl PubSub for RedisStreams {
    type Subscription = RedisSubscription;

    async fn publish(&self, channel: &[u8], payload: &[u8]) -> Result<u64, Error> {
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(channel).arg(payload);
        parse::uint(self.send(cmd).await?)
    }

    async fn subscribe(
        &self,
        channels: &[&[u8]],
        patterns: &[&[u8]],
    ) -> Result<RedisSubscription, Error> {
        let client = self
            .inner
            .blocking
            .pubsub_client(&self.inner.commands)
            .await?;
        let mut conn = client
            .get_async_pubsub()
            .await
            .map_err(|e| errors::not_sent(&e))?;
        for c in channels {
            conn.subscribe(*c)
                .await
                .map_err(|e| errors::from_redis(&e))?;
        }
        for p in patterns {
            conn.psubscribe(*p)
                .await
                .map_err(|e| errors::from_redis(&e))?;
        }
        Ok(RedisSubscription { conn })
    }
}
