//! The [`Streams`] trait: one async method per Redis stream command, implemented by the
//! in-process [`crate::Engine`] and by the Redis adapter (`brook-redis`), so the same
//! consumer code runs on either.
//!
//! Options and replies are the engine's typed ones, named after Redis (`XAddOptions`,
//! `XPendingSummary`, `XAutoClaimReply` …); errors are [`Error`] variants whose text is
//! Redis's own, whichever backend answered. Every future is `Send`.
//!
//! The methods share names with the [`crate::Engine`]'s synchronous ones; the inherent
//! methods win in method-call syntax on an `Engine`, so code written against the trait
//! is generic (`S: Streams`) or calls `Streams::xadd(&engine, …)`.
//!
//! ```
//! use brook_engine::{Engine, Error, GroupReadId, GroupStart, Streams, XAddOptions,
//!     XReadGroupOptions};
//!
//! async fn produce_and_consume<S: Streams>(s: &S) -> Result<usize, Error> {
//!     s.xgroup_create(b"jobs", b"workers", GroupStart::Last, true, None).await?;
//!     s.xadd(b"jobs", &XAddOptions::default(), &[("task", "resize")]).await?;
//!     let opts = XReadGroupOptions::default().count(10);
//!     let got = s
//!         .xreadgroup(b"workers", b"w1", &[(b"jobs".as_slice(), GroupReadId::New)], &opts, None)
//!         .await?;
//!     let ids: Vec<_> = got[0].1.iter().map(|e| e.id).collect();
//!     Ok(s.xack(b"jobs", b"workers", &ids).await? as usize)
//! }
//!
//! // Any executor runs it: tokio, async-std, or (here) the minimal `pollster`.
//! let engine = Engine::new();
//! let acked = pollster::block_on(produce_and_consume(&engine)).unwrap();
//! assert_eq!(acked, 1);
//! ```

mod batch;
#[cfg(feature = "std")]
mod engine_impl;
mod mark_and_ack;
mod pubsub;

pub use batch::{Command, CommandReply};
pub use mark_and_ack::EffectReplies;
pub use pubsub::{PubSub, PubSubMessage, Subscription};

use alloc::vec::Vec;
use core::future::Future;

use bytes::Bytes;

use crate::entry::{FieldValues, StreamEntry};
use crate::error::Error;
use crate::id::StreamId;
use crate::info::{
    Claimed, GroupEntry, PendingEntry, XAutoClaimReply, XInfoConsumer, XInfoGroup, XInfoStream,
    XPendingSummary,
};
use crate::keyspace::GroupStart;
use crate::keyspace::SetOptions;
use crate::options::{
    GroupReadId, RefPolicy, TrimOptions, XAddOptions, XAutoClaimOptions, XClaimOptions,
    XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
};

/// What XREAD answers: each served stream with its entries.
pub type XReadReply = Vec<(Bytes, Vec<StreamEntry>)>;

/// What XREADGROUP answers: each served stream with its entries (history entries whose
/// stream entry was deleted have no fields).
pub type XReadGroupReply = Vec<(Bytes, Vec<GroupEntry>)>;

/// A Redis Streams backend: the in-process engine or a Redis server.
///
/// `block`, on the reads, is XREAD/XREADGROUP's `BLOCK` in milliseconds (`Some(0)`:
/// forever); `None` reads without blocking.
pub trait Streams: Send + Sync {
    /// XADD: appends an entry; `None` when `NOMKSTREAM` found no stream.
    fn xadd(
        &self,
        key: &[u8],
        opts: &XAddOptions,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> impl Future<Output = Result<Option<StreamId>, Error>> + Send;

    /// XLEN.
    fn xlen(&self, key: &[u8]) -> impl Future<Output = Result<u64, Error>> + Send;

    /// XRANGE key start end \[COUNT count\] (`count` `None`: all).
    fn xrange(
        &self,
        key: &[u8],
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    ) -> impl Future<Output = Result<Vec<StreamEntry>, Error>> + Send;

    /// XREVRANGE key end start \[COUNT count\].
    fn xrevrange(
        &self,
        key: &[u8],
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    ) -> impl Future<Output = Result<Vec<StreamEntry>, Error>> + Send;

    /// XDEL: the number of entries deleted.
    fn xdel(&self, key: &[u8], ids: &[StreamId])
        -> impl Future<Output = Result<u64, Error>> + Send;

    /// XTRIM: the number of entries removed.
    fn xtrim(
        &self,
        key: &[u8],
        opts: &TrimOptions,
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// XSETID.
    fn xsetid(
        &self,
        key: &[u8],
        opts: &XSetIdOptions,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// XREAD \[COUNT\] \[BLOCK\] STREAMS …: the streams served (empty: none had
    /// entries, or the block timed out).
    fn xread(
        &self,
        streams: &[(&[u8], XReadId)],
        count: Option<u64>,
        block: Option<u64>,
    ) -> impl Future<Output = Result<XReadReply, Error>> + Send;

    /// XGROUP CREATE key group id|$ \[MKSTREAM\] \[ENTRIESREAD n\].
    fn xgroup_create(
        &self,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<i64>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// XGROUP SETID key group id|$ \[ENTRIESREAD n\].
    fn xgroup_setid(
        &self,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        entries_read: Option<i64>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// XGROUP DESTROY: whether the group existed.
    fn xgroup_destroy(
        &self,
        key: &[u8],
        group: &[u8],
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// XGROUP CREATECONSUMER: whether the consumer was created.
    fn xgroup_createconsumer(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// XGROUP DELCONSUMER: how many entries the consumer had pending.
    fn xgroup_delconsumer(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// XREADGROUP GROUP group consumer \[COUNT\] \[BLOCK\] \[CLAIM\] \[NOACK\] STREAMS ….
    fn xreadgroup(
        &self,
        group: &[u8],
        consumer: &[u8],
        streams: &[(&[u8], GroupReadId)],
        opts: &XReadGroupOptions,
        block: Option<u64>,
    ) -> impl Future<Output = Result<XReadGroupReply, Error>> + Send;

    /// XACK: the number of entries acknowledged.
    fn xack(
        &self,
        key: &[u8],
        group: &[u8],
        ids: &[StreamId],
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// XACKDEL (Redis 8.2): one result code per ID.
    fn xackdel(
        &self,
        key: &[u8],
        group: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> impl Future<Output = Result<Vec<i64>, Error>> + Send;

    /// XDELEX (Redis 8.2): one result code per ID.
    fn xdelex(
        &self,
        key: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> impl Future<Output = Result<Vec<i64>, Error>> + Send;

    /// XPENDING key group: the summary form.
    fn xpending(
        &self,
        key: &[u8],
        group: &[u8],
    ) -> impl Future<Output = Result<XPendingSummary, Error>> + Send;

    /// XPENDING key group \[IDLE\] start end count \[consumer\]: the extended form.
    fn xpending_range(
        &self,
        key: &[u8],
        group: &[u8],
        range: &XPendingRange,
    ) -> impl Future<Output = Result<Vec<PendingEntry>, Error>> + Send;

    /// XCLAIM.
    fn xclaim(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        ids: &[StreamId],
        opts: &XClaimOptions,
    ) -> impl Future<Output = Result<Claimed, Error>> + Send;

    /// XAUTOCLAIM.
    fn xautoclaim(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        start: StreamId,
        opts: &XAutoClaimOptions,
    ) -> impl Future<Output = Result<XAutoClaimReply, Error>> + Send;

    /// XINFO STREAM key.
    fn xinfo_stream(&self, key: &[u8]) -> impl Future<Output = Result<XInfoStream, Error>> + Send;

    /// XINFO GROUPS key.
    fn xinfo_groups(
        &self,
        key: &[u8],
    ) -> impl Future<Output = Result<Vec<XInfoGroup>, Error>> + Send;

    /// XINFO CONSUMERS key group.
    fn xinfo_consumers(
        &self,
        key: &[u8],
        group: &[u8],
    ) -> impl Future<Output = Result<Vec<XInfoConsumer>, Error>> + Send;

    /// DEL: how many of the keys existed.
    fn del(&self, keys: &[&[u8]]) -> impl Future<Output = Result<u64, Error>> + Send;

    /// ack-if-owner: acknowledges those `ids` that `consumer` still owns in `group`
    /// (an entry another consumer reclaimed is left alone); the number acknowledged.
    /// `NOGROUP` when the key or group is missing. Atomic on both backends.
    fn xack_if_owner(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// touch-if-owner: resets the idle time of those `ids` that `consumer` still owns
    /// (as the owner's `XCLAIM … 0 … JUSTID`: no delivery counted), so a long handler
    /// keeps its entry from being reclaimed without taking back one already reclaimed;
    /// the number touched. Atomic on both backends.
    fn xtouch_if_owner(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// ack-if-owner then add: when `consumer` still owns `id`, adds `fields` to stream
    /// `to` (auto ID) and acknowledges `id`, atomically; the new ID, or `None` (nothing
    /// written) when it no longer owns it. The dead-letter move: only the owner that
    /// acknowledges writes the dead letter. On a cluster `to` must share `key`'s slot.
    fn xack_if_owner_then_add(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        id: StreamId,
        to: &[u8],
        fields: &[(Bytes, Bytes)],
    ) -> impl Future<Output = Result<Option<StreamId>, Error>> + Send;

    /// SET key value \[NX|XX\] \[PX|PXAT|KEEPTTL\]: whether the value was stored.
    fn set(
        &self,
        key: &[u8],
        value: &[u8],
        opts: &SetOptions,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// GET.
    fn get(&self, key: &[u8]) -> impl Future<Output = Result<Option<Bytes>, Error>> + Send;

    /// INCRBY: the new value.
    fn incr_by(&self, key: &[u8], by: i64) -> impl Future<Output = Result<i64, Error>> + Send;

    /// mark-and-ack-if-new, an idempotent handler's commit: XACK `id`, then set
    /// `marker` (expiring after `keep_ms`) if it is missing and, only then, apply
    /// `effects` (each answers on its own, nothing rolled back, as in MULTI); their
    /// replies, or `None` when the marker was there (a duplicate: acknowledged, nothing
    /// applied). Atomic on both backends. On a cluster every key must share `key`'s
    /// slot.
    #[allow(clippy::too_many_arguments)] // one argument per part of the operation
    fn mark_and_ack_if_new(
        &self,
        key: &[u8],
        group: &[u8],
        id: StreamId,
        marker: &[u8],
        keep_ms: u64,
        effects: &[Command],
    ) -> impl Future<Output = Result<Option<crate::EffectReplies>, Error>> + Send;

    /// delete-consumer-if-empty: XGROUP DELCONSUMER only when `consumer` owns no
    /// pending entry, so nothing is dropped from the PEL; whether it was deleted
    /// (`false` also when it did not exist). `NOGROUP` when the key or group is
    /// missing. Atomic on both backends.
    fn xgroup_delconsumer_if_empty(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// The backend's clock, in Unix milliseconds: the engine's [`crate::Clock`] (so a
    /// [`crate::ManualClock`] in tests), the local wall clock for a server.
    fn now_ms(&self) -> u64;

    /// Waits until [`Streams::now_ms`] shows `deadline_ms` (at once if it already
    /// does): the timer for schedules kept on the backend's clock (claim intervals,
    /// retry backoff, handler timeouts). On the engine it is fired by the engine's
    /// timer — inside `ManualClock::advance` for a manual clock — and fails with
    /// `EngineClosed` once the engine is closed; a server backend sleeps on tokio's
    /// timer (it must run inside a tokio runtime with the time driver).
    fn sleep_until(&self, deadline_ms: u64) -> impl Future<Output = Result<(), Error>> + Send;

    /// Several commands sent together and answered in order (one round trip on a
    /// server), each with its own reply or error; other clients' commands may run in
    /// between. The outer error is a transport failure: then some of the commands may
    /// have run.
    fn pipeline(
        &self,
        cmds: &[Command],
    ) -> impl Future<Output = Result<Vec<Result<CommandReply, Error>>, Error>> + Send;

    /// Several commands as one MULTI/EXEC transaction: no other command runs between
    /// them, an error answers its own command and rolls nothing back. On the engine the
    /// batch sees one frozen time and blocked readers are served after its last command,
    /// as Redis serves them after EXEC.
    fn atomic(
        &self,
        cmds: &[Command],
    ) -> impl Future<Output = Result<Vec<Result<CommandReply, Error>>, Error>> + Send;

    /// Runs one [`Command`] through the method of the same name.
    fn run(&self, cmd: &Command) -> impl Future<Output = Result<CommandReply, Error>> + Send {
        async move {
            use CommandReply as R;
            Ok(match cmd {
                Command::XAdd { key, opts, fields } => {
                    R::Id(self.xadd(key, opts, &fields[..]).await?)
                }
                Command::XLen { key } => R::Count(self.xlen(key).await?),
                Command::XRange {
                    key,
                    start,
                    end,
                    count,
                } => R::Entries(self.xrange(key, *start, *end, *count).await?),
                Command::XRevRange {
                    key,
                    end,
                    start,
                    count,
                } => R::Entries(self.xrevrange(key, *end, *start, *count).await?),
                Command::XDel { key, ids } => R::Count(self.xdel(key, ids).await?),
                Command::XTrim { key, opts } => R::Count(self.xtrim(key, opts).await?),
                Command::XSetId { key, opts } => {
                    self.xsetid(key, opts).await?;
                    R::Ok
                }
                Command::XRead { streams, count } => {
                    let st: Vec<(&[u8], XReadId)> =
                        streams.iter().map(|(k, at)| (&k[..], *at)).collect();
                    R::Read(self.xread(&st, *count, None).await?)
                }
                Command::XGroupCreate {
                    key,
                    group,
                    start,
                    mkstream,
                    entries_read,
                } => {
                    self.xgroup_create(key, group, *start, *mkstream, *entries_read)
                        .await?;
                    R::Ok
                }
                Command::XGroupSetId {
                    key,
                    group,
                    start,
                    entries_read,
                } => {
                    self.xgroup_setid(key, group, *start, *entries_read).await?;
                    R::Ok
                }
                Command::XGroupDestroy { key, group } => {
                    R::Bool(self.xgroup_destroy(key, group).await?)
                }
                Command::XGroupCreateConsumer {
                    key,
                    group,
                    consumer,
                } => R::Bool(self.xgroup_createconsumer(key, group, consumer).await?),
                Command::XGroupDelConsumer {
                    key,
                    group,
                    consumer,
                } => R::Count(self.xgroup_delconsumer(key, group, consumer).await?),
                Command::XReadGroup {
                    group,
                    consumer,
                    streams,
                    opts,
                } => {
                    let st: Vec<(&[u8], GroupReadId)> =
                        streams.iter().map(|(k, at)| (&k[..], *at)).collect();
                    R::ReadGroup(self.xreadgroup(group, consumer, &st, opts, None).await?)
                }
                Command::XAck { key, group, ids } => R::Count(self.xack(key, group, ids).await?),
                Command::XAckDel {
                    key,
                    group,
                    ids,
                    policy,
                } => R::Codes(self.xackdel(key, group, ids, *policy).await?),
                Command::XDelEx { key, ids, policy } => {
                    R::Codes(self.xdelex(key, ids, *policy).await?)
                }
                Command::XPending { key, group } => {
                    R::PendingSummary(self.xpending(key, group).await?)
                }
                Command::XPendingRange { key, group, range } => {
                    R::Pending(self.xpending_range(key, group, range).await?)
                }
                Command::XClaim {
                    key,
                    group,
                    consumer,
                    min_idle_ms,
                    ids,
                    opts,
                } => R::Claimed(
                    self.xclaim(key, group, consumer, *min_idle_ms, ids, opts)
                        .await?,
                ),
                Command::XAutoClaim {
                    key,
                    group,
                    consumer,
                    min_idle_ms,
                    start,
                    opts,
                } => R::AutoClaim(
                    self.xautoclaim(key, group, consumer, *min_idle_ms, *start, opts)
                        .await?,
                ),
                Command::XInfoStream { key } => {
                    R::Stream(alloc::boxed::Box::new(self.xinfo_stream(key).await?))
                }
                Command::XInfoGroups { key } => R::Groups(self.xinfo_groups(key).await?),
                Command::XInfoConsumers { key, group } => {
                    R::Consumers(self.xinfo_consumers(key, group).await?)
                }
                Command::Del { keys } => {
                    let ks: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
                    R::Count(self.del(&ks).await?)
                }
                Command::Set { key, value, opts } => R::Bool(self.set(key, value, opts).await?),
                Command::Get { key } => R::Value(self.get(key).await?),
                Command::IncrBy { key, by } => R::Int(self.incr_by(key, *by).await?),
            })
        }
    }
}
