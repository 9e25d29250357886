//! [`Backend`]: one type for whichever backend a URL picked, implementing [`Streams`],
//! [`StreamsClock`] and [`WorkerOps`] by handing each call to the engine or to the
//! Redis adapter: the four required methods, and the hot typed ones (XADD, XREADGROUP,
//! XACK); the other typed methods are the trait's, built on `run`.

use brook_engine::{
    Block, Command, CommandReply, EffectReplies, Engine, Error, FieldValues, GroupReadId,
    ManualClock, PubSub, PubSubMessage, StreamId, Streams, StreamsClock, Subscription, WorkerOps,
    XAddOptions, XReadGroupOptions, XReadGroupReply,
};

#[cfg(feature = "redis")]
use brook_redis::RedisStreams;

/// A backend chosen at run time ([`crate::connect`]): the in-process engine or a Redis
/// server. Cheap to clone; clones share the backend.
#[derive(Clone, Debug)]
pub struct Backend {
    kind: Kind,
    clock: Option<ManualClock>,
}

#[derive(Clone, Debug)]
enum Kind {
    Mem(Engine),
    #[cfg(feature = "redis")]
    Redis(RedisStreams),
}

impl Backend {
    /// The in-process `engine` (and its manual clock, when it has one).
    pub fn mem(engine: Engine, clock: Option<ManualClock>) -> Backend {
        Backend {
            kind: Kind::Mem(engine),
            clock,
        }
    }

    /// A Redis server through the adapter.
    #[cfg(feature = "redis")]
    pub fn redis(redis: RedisStreams) -> Backend {
        Backend {
            kind: Kind::Redis(redis),
            clock: None,
        }
    }

    /// The engine, for a `mem://` backend.
    pub fn engine(&self) -> Option<&Engine> {
        match &self.kind {
            Kind::Mem(e) => Some(e),
            #[cfg(feature = "redis")]
            Kind::Redis(_) => None,
        }
    }

    /// The clock a test advances, for `mem://…?clock=manual`.
    pub fn manual_clock(&self) -> Option<&ManualClock> {
        self.clock.as_ref()
    }
}

/// Runs the same trait call on whichever backend this is.
macro_rules! on_backend {
    ($self:ident, $s:ident => $call:expr) => {
        match &$self.kind {
            Kind::Mem($s) => $call.await,
            #[cfg(feature = "redis")]
            Kind::Redis($s) => $call.await,
        }
    };
}

impl Streams for Backend {
    async fn run(&self, cmd: &Command) -> Result<CommandReply, Error> {
        on_backend!(self, s => Streams::run(s, cmd))
    }

    async fn run_blocking(&self, cmd: &Command, block: Block) -> Result<CommandReply, Error> {
        on_backend!(self, s => Streams::run_blocking(s, cmd, block))
    }

    async fn pipeline(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        on_backend!(self, s => Streams::pipeline(s, cmds))
    }

    async fn atomic(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        on_backend!(self, s => Streams::atomic(s, cmds))
    }

    // The hot paths of producers and the worker go to the backend's own typed method
    // (on the engine: no `Command` built, no key or field copied).

    async fn xadd(
        &self,
        key: impl AsRef<[u8]> + Send,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> Result<StreamId, Error> {
        on_backend!(self, s => Streams::xadd(s, key, fields))
    }

    async fn xadd_with(
        &self,
        key: impl AsRef<[u8]> + Send,
        opts: &XAddOptions,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> Result<Option<StreamId>, Error> {
        on_backend!(self, s => Streams::xadd_with(s, key, opts, fields))
    }

    async fn xreadgroup<K: AsRef<[u8]> + Sync>(
        &self,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        streams: &[(K, GroupReadId)],
        opts: &XReadGroupOptions,
        block: Option<Block>,
    ) -> Result<XReadGroupReply, Error> {
        on_backend!(self, s => Streams::xreadgroup(s, group, consumer, streams, opts, block))
    }

    async fn xack(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        on_backend!(self, s => Streams::xack(s, key, group, ids))
    }
}

impl StreamsClock for Backend {
    fn now_ms(&self) -> u64 {
        match &self.kind {
            Kind::Mem(s) => StreamsClock::now_ms(s),
            #[cfg(feature = "redis")]
            Kind::Redis(s) => StreamsClock::now_ms(s),
        }
    }

    async fn sleep_until(&self, deadline_ms: u64) -> Result<(), Error> {
        on_backend!(self, s => StreamsClock::sleep_until(s, deadline_ms))
    }
}

impl WorkerOps for Backend {
    async fn xack_if_owner(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        on_backend!(self, s => WorkerOps::xack_if_owner(s, key, group, consumer, ids))
    }

    async fn xtouch_if_owner(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        on_backend!(self, s => WorkerOps::xtouch_if_owner(s, key, group, consumer, ids))
    }

    async fn xack_if_owner_then_add(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        id: StreamId,
        to: impl AsRef<[u8]> + Send,
        fields: &(impl brook_engine::FieldValues + Sync + ?Sized),
    ) -> Result<Option<StreamId>, Error> {
        on_backend!(self, s => WorkerOps::xack_if_owner_then_add(s, key, group, consumer, id, to, fields))
    }

    async fn mark_and_ack_if_new(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        id: StreamId,
        marker: impl AsRef<[u8]> + Send,
        keep: std::time::Duration,
        effects: &[Command],
    ) -> Result<Option<EffectReplies>, Error> {
        on_backend!(self, s => WorkerOps::mark_and_ack_if_new(s, key, group, id, marker, keep, effects))
    }

    async fn xgroup_delconsumer_if_empty(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
    ) -> Result<bool, Error> {
        on_backend!(self, s => WorkerOps::xgroup_delconsumer_if_empty(s, key, group, consumer))
    }
}

/// A [`Backend`]'s pub/sub subscription.
#[derive(Debug)]
pub enum BackendSubscription {
    /// On the engine.
    Mem(brook_engine::Subscriber),
    /// On a server.
    #[cfg(feature = "redis")]
    Redis(brook_redis::RedisSubscription),
}

impl Subscription for BackendSubscription {
    async fn next(&mut self) -> Result<PubSubMessage, Error> {
        match self {
            BackendSubscription::Mem(s) => s.next().await,
            #[cfg(feature = "redis")]
            BackendSubscription::Redis(s) => s.next().await,
        }
    }
}

impl PubSub for Backend {
    type Subscription = BackendSubscription;

    async fn publish(&self, channel: &[u8], payload: &[u8]) -> Result<u64, Error> {
        on_backend!(self, s => PubSub::publish(s, channel, payload))
    }

    async fn subscribe(
        &self,
        channels: &[&[u8]],
        patterns: &[&[u8]],
    ) -> Result<BackendSubscription, Error> {
        Ok(match &self.kind {
            Kind::Mem(e) => {
                BackendSubscription::Mem(PubSub::subscribe(e, channels, patterns).await?)
            }
            #[cfg(feature = "redis")]
            Kind::Redis(r) => {
                BackendSubscription::Redis(PubSub::subscribe(r, channels, patterns).await?)
            }
        })
    }
}
