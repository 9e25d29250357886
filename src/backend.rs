//! [`Backend`]: one type for whichever backend a URL picked, implementing [`Streams`]
//! by handing each call to the engine or to the Redis adapter.

use brook_engine::{
    Claimed, Command, CommandReply, EffectReplies, Engine, Error, FieldValues, GroupReadId,
    GroupStart, ManualClock, PendingEntry, PubSub, PubSubMessage, RefPolicy, SetOptions,
    StreamEntry, StreamId, Streams, Subscription, TrimOptions, XAddOptions, XAutoClaimOptions,
    XAutoClaimReply, XClaimOptions, XInfoConsumer, XInfoGroup, XInfoStream, XPendingRange,
    XPendingSummary, XReadGroupOptions, XReadGroupReply, XReadId, XReadReply, XSetIdOptions,
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
    async fn xadd(
        &self,
        key: &[u8],
        opts: &XAddOptions,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> Result<Option<StreamId>, Error> {
        on_backend!(self, s => Streams::xadd(s, key, opts, fields))
    }

    async fn xlen(&self, key: &[u8]) -> Result<u64, Error> {
        on_backend!(self, s => Streams::xlen(s, key))
    }

    async fn xrange(
        &self,
        key: &[u8],
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        on_backend!(self, s => Streams::xrange(s, key, start, end, count))
    }

    async fn xrevrange(
        &self,
        key: &[u8],
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        on_backend!(self, s => Streams::xrevrange(s, key, end, start, count))
    }

    async fn xdel(&self, key: &[u8], ids: &[StreamId]) -> Result<u64, Error> {
        on_backend!(self, s => Streams::xdel(s, key, ids))
    }

    async fn xtrim(&self, key: &[u8], opts: &TrimOptions) -> Result<u64, Error> {
        on_backend!(self, s => Streams::xtrim(s, key, opts))
    }

    async fn xsetid(&self, key: &[u8], opts: &XSetIdOptions) -> Result<(), Error> {
        on_backend!(self, s => Streams::xsetid(s, key, opts))
    }

    async fn xread(
        &self,
        streams: &[(&[u8], XReadId)],
        count: Option<u64>,
        block: Option<u64>,
    ) -> Result<XReadReply, Error> {
        on_backend!(self, s => Streams::xread(s, streams, count, block))
    }

    async fn xgroup_create(
        &self,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        on_backend!(self, s => Streams::xgroup_create(s, key, group, start, mkstream, entries_read))
    }

    async fn xgroup_setid(
        &self,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        on_backend!(self, s => Streams::xgroup_setid(s, key, group, start, entries_read))
    }

    async fn xgroup_destroy(&self, key: &[u8], group: &[u8]) -> Result<bool, Error> {
        on_backend!(self, s => Streams::xgroup_destroy(s, key, group))
    }

    async fn xgroup_createconsumer(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<bool, Error> {
        on_backend!(self, s => Streams::xgroup_createconsumer(s, key, group, consumer))
    }

    async fn xgroup_delconsumer(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<u64, Error> {
        on_backend!(self, s => Streams::xgroup_delconsumer(s, key, group, consumer))
    }

    async fn xreadgroup(
        &self,
        group: &[u8],
        consumer: &[u8],
        streams: &[(&[u8], GroupReadId)],
        opts: &XReadGroupOptions,
        block: Option<u64>,
    ) -> Result<XReadGroupReply, Error> {
        on_backend!(self, s => Streams::xreadgroup(s, group, consumer, streams, opts, block))
    }

    async fn xack(&self, key: &[u8], group: &[u8], ids: &[StreamId]) -> Result<u64, Error> {
        on_backend!(self, s => Streams::xack(s, key, group, ids))
    }

    async fn xackdel(
        &self,
        key: &[u8],
        group: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        on_backend!(self, s => Streams::xackdel(s, key, group, ids, policy))
    }

    async fn xdelex(
        &self,
        key: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        on_backend!(self, s => Streams::xdelex(s, key, ids, policy))
    }

    async fn xpending(&self, key: &[u8], group: &[u8]) -> Result<XPendingSummary, Error> {
        on_backend!(self, s => Streams::xpending(s, key, group))
    }

    async fn xpending_range(
        &self,
        key: &[u8],
        group: &[u8],
        range: &XPendingRange,
    ) -> Result<Vec<PendingEntry>, Error> {
        on_backend!(self, s => Streams::xpending_range(s, key, group, range))
    }

    async fn xclaim(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        ids: &[StreamId],
        opts: &XClaimOptions,
    ) -> Result<Claimed, Error> {
        on_backend!(self, s => Streams::xclaim(s, key, group, consumer, min_idle_ms, ids, opts))
    }

    async fn xautoclaim(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        start: StreamId,
        opts: &XAutoClaimOptions,
    ) -> Result<XAutoClaimReply, Error> {
        on_backend!(self, s => Streams::xautoclaim(s, key, group, consumer, min_idle_ms, start, opts))
    }

    async fn xinfo_stream(&self, key: &[u8]) -> Result<XInfoStream, Error> {
        on_backend!(self, s => Streams::xinfo_stream(s, key))
    }

    async fn xinfo_groups(&self, key: &[u8]) -> Result<Vec<XInfoGroup>, Error> {
        on_backend!(self, s => Streams::xinfo_groups(s, key))
    }

    async fn xinfo_consumers(&self, key: &[u8], group: &[u8]) -> Result<Vec<XInfoConsumer>, Error> {
        on_backend!(self, s => Streams::xinfo_consumers(s, key, group))
    }

    async fn del(&self, keys: &[&[u8]]) -> Result<u64, Error> {
        on_backend!(self, s => Streams::del(s, keys))
    }

    async fn xack_if_owner(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        on_backend!(self, s => Streams::xack_if_owner(s, key, group, consumer, ids))
    }

    async fn xtouch_if_owner(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        on_backend!(self, s => Streams::xtouch_if_owner(s, key, group, consumer, ids))
    }

    async fn xack_if_owner_then_add(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        id: StreamId,
        to: &[u8],
        fields: &[(bytes::Bytes, bytes::Bytes)],
    ) -> Result<Option<StreamId>, Error> {
        on_backend!(self, s => Streams::xack_if_owner_then_add(s, key, group, consumer, id, to, fields))
    }

    async fn set(&self, key: &[u8], value: &[u8], opts: &SetOptions) -> Result<bool, Error> {
        on_backend!(self, s => Streams::set(s, key, value, opts))
    }

    async fn get(&self, key: &[u8]) -> Result<Option<bytes::Bytes>, Error> {
        on_backend!(self, s => Streams::get(s, key))
    }

    async fn incr_by(&self, key: &[u8], by: i64) -> Result<i64, Error> {
        on_backend!(self, s => Streams::incr_by(s, key, by))
    }

    async fn mark_and_ack_if_new(
        &self,
        key: &[u8],
        group: &[u8],
        id: StreamId,
        marker: &[u8],
        keep_ms: u64,
        effects: &[Command],
    ) -> Result<Option<EffectReplies>, Error> {
        on_backend!(self, s => Streams::mark_and_ack_if_new(s, key, group, id, marker, keep_ms, effects))
    }

    async fn xgroup_delconsumer_if_empty(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<bool, Error> {
        on_backend!(self, s => Streams::xgroup_delconsumer_if_empty(s, key, group, consumer))
    }

    fn now_ms(&self) -> u64 {
        match &self.kind {
            Kind::Mem(s) => Streams::now_ms(s),
            #[cfg(feature = "redis")]
            Kind::Redis(s) => Streams::now_ms(s),
        }
    }

    async fn sleep_until(&self, deadline_ms: u64) -> Result<(), Error> {
        on_backend!(self, s => Streams::sleep_until(s, deadline_ms))
    }

    async fn pipeline(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        on_backend!(self, s => Streams::pipeline(s, cmds))
    }

    async fn atomic(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        on_backend!(self, s => Streams::atomic(s, cmds))
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
