//! [`Engine`]: many named streams behind one lock, driven by one clock.
//!
//! One engine-wide lock is Redis's own execution model: every command, every multi-key
//! read and every batch run through [`Engine::with_keyspace`] is atomic, and commands
//! are totally ordered. The handle is cheap to clone and `Send + Sync`; clones share the
//! keyspace.

use alloc::vec::Vec;
use core::time::Duration;

use bytes::Bytes;

use crate::blocking::waiters::Waiters;
use crate::entry::{FieldValues, StreamEntries, StreamEntry};
use crate::error::Error;
use crate::handle::clock::{Clock, SystemClock};
use crate::handle::state::{Inner, Locked, State};
use crate::id::StreamId;
use crate::info::{
    Claimed, GroupEntry, PendingEntry, XAutoClaimReply, XInfoConsumer, XInfoGroup, XInfoStream,
    XInfoStreamFull, XPendingSummary,
};
use crate::keyspace::GroupStart;
use crate::keyspace::SetOptions;
use crate::keyspace::{Config, KeyType, Keyspace};
use crate::options::{
    millis, Block, GroupReadId, RefPolicy, TrimOptions, XAddOptions, XAutoClaimOptions,
    XClaimOptions, XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
};
use crate::pubsub::{Subscriber, DEFAULT_PUBSUB_BUFFER};
use crate::read::request::{owned_streams, ReadOutput, ReadRequest};
use crate::reply::Reply;
use crate::sync::{Arc, AtomicBool, Mutex};

/// A handle to an in-process stream engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("clock", &self.clock())
            .finish_non_exhaustive()
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

/// Builds an [`Engine`] with a chosen clock and configuration.
#[derive(Debug, Default)]
pub struct EngineBuilder {
    pub(crate) clock: Option<std::sync::Arc<dyn Clock>>,
    pub(crate) config: Config,
    pub(crate) spin: Option<core::time::Duration>,
    pub(crate) pubsub_buffer: Option<usize>,
    #[cfg(not(loom))]
    pub(crate) auto_rewrite: crate::aof::AutoRewrite,
}

impl EngineBuilder {
    /// The clock that drives IDs and timeouts (default: [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> EngineBuilder {
        self.clock = Some(std::sync::Arc::new(clock));
        self
    }

    /// How long a blocked reader first spins for its entries before it parks its thread
    /// (or, for a future, before it returns `Pending`), once per blocking read. The
    /// default, 20 µs, turns a hand-off that comes soon into a sub-microsecond wake-up
    /// instead of a 10–50 µs thread wake-up, for at most 20 µs of CPU per read that
    /// blocks; `Duration::ZERO` parks at once.
    pub fn wakeup_spin(mut self, spin: core::time::Duration) -> EngineBuilder {
        self.spin = Some(spin);
        self
    }

    /// The most bytes of messages a pub/sub subscriber may have queued before it is
    /// disconnected (default [`crate::DEFAULT_PUBSUB_BUFFER`], Redis's hard
    /// `client-output-buffer-limit pubsub`).
    pub fn pubsub_buffer(mut self, bytes: usize) -> EngineBuilder {
        self.pubsub_buffer = Some(bytes);
        self
    }

    /// When a durable engine ([`EngineBuilder::open`]) rewrites its append-only
    /// directory on its own, as the files grow (default: Redis's, 100 % growth over at
    /// least 64 MB; a percentage of 0 never).
    #[cfg(not(loom))]
    pub fn auto_aof_rewrite(mut self, auto: crate::aof::AutoRewrite) -> EngineBuilder {
        self.auto_rewrite = auto;
        self
    }

    /// Node limits and caps.
    pub fn config(mut self, config: Config) -> EngineBuilder {
        self.config = config;
        self
    }

    /// The engine.
    pub fn build(self) -> Engine {
        let ks = Keyspace::with_config(self.config);
        self.build_with(ks, None)
    }

    /// The settings, for one more engine.
    #[cfg(not(loom))]
    pub(crate) fn clone_settings(&self) -> EngineBuilder {
        EngineBuilder {
            clock: self.clock.clone(),
            config: self.config,
            spin: self.spin,
            pubsub_buffer: self.pubsub_buffer,
            auto_rewrite: self.auto_rewrite,
        }
    }

    pub(crate) fn build_with(
        self,
        ks: Keyspace,
        #[cfg(not(loom))] aof: Option<(std::sync::Arc<crate::handle::state::Durable>, usize)>,
        #[cfg(loom)] _aof: Option<()>,
    ) -> Engine {
        #[cfg(not(loom))]
        let (aof, db) = match aof {
            Some((d, db)) => (Some(d), db),
            None => (None, 0),
        };
        let engine = Engine {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    ks,
                    waiters: Waiters::default(),
                    closed: false,
                    timer_running: false,
                }),
                clock: self.clock,
                timer: std::sync::Arc::default(),
                clock_fires: AtomicBool::new(false),
                spin: self.spin.unwrap_or(crate::blocking::handoff::DEFAULT_SPIN),
                pubsub: std::sync::Arc::new(crate::pubsub::Shared::new(
                    self.pubsub_buffer.unwrap_or(DEFAULT_PUBSUB_BUFFER),
                )),
                #[cfg(not(loom))]
                aof,
                #[cfg(not(loom))]
                db,
            }),
        };
        crate::handle::timer::subscribe_clock(&engine.inner);
        engine
    }
}

impl Engine {
    /// An empty engine on the system clock with Redis's default settings.
    pub fn new() -> Engine {
        Engine::builder().build()
    }

    /// A builder to choose the clock and configuration.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The engine's clock.
    pub fn clock(&self) -> &dyn Clock {
        match &self.inner.clock {
            Some(c) => &**c,
            None => &SystemClock,
        }
    }

    #[inline]
    pub(crate) fn now(&self) -> u64 {
        self.inner.now()
    }

    pub(crate) fn pubsub(&self) -> &std::sync::Arc<crate::pubsub::Shared> {
        &self.inner.pubsub
    }

    /// PUBLISH on the engine's hub: the number of subscriptions that received it.
    pub fn publish(&self, channel: &[u8], payload: &[u8]) -> u64 {
        self.inner.pubsub.publish(channel, payload)
    }

    /// A subscriber to `channels` and `patterns` on the engine's hub (SUBSCRIBE and
    /// PSUBSCRIBE); dropping it unsubscribes.
    pub fn subscribe(&self, channels: &[&[u8]], patterns: &[&[u8]]) -> Result<Subscriber, Error> {
        crate::pubsub::Shared::subscribe(&self.inner.pubsub, channels, patterns)
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }

    pub(crate) fn lock(&self) -> Locked<'_> {
        self.inner.lock()
    }

    /// Runs `f` on the keyspace under the engine lock, with the command time frozen at
    /// one instant: an atomic batch, as MULTI/EXEC or a script is in Redis. Readers
    /// blocked on keys the batch touched are served when it ends, as Redis serves them
    /// after EXEC. Do not replace the keyspace as a whole (`*ks = other`) while readers
    /// are blocked: it carries the record of the keys they wait on.
    pub fn with_keyspace<T>(&self, f: impl FnOnce(&mut Keyspace, u64) -> T) -> T {
        // The plain guard: the hot path pays for durability with one test.
        let mut st = self.inner.state.lock();
        if self.durable() {
            self.inner.sync_refusal(&mut st);
        }
        // The time is read under the lock: a command that waited for the lock does
        // not act at a time another command has already moved past.
        let now = self.now();
        st.ks.expire_due(now);
        let out = f(&mut st.ks, now);
        if st.ks.signals_pending() || self.durable() {
            self.after_write(st, now);
        }
        out
    }

    /// Whether the engine appends to a file.
    #[inline(always)]
    fn durable(&self) -> bool {
        #[cfg(not(loom))]
        return self.inner.aof.is_some();
        #[cfg(loom)]
        false
    }

    /// After a write: serves the readers it woke, stages its effects, lets the lock go,
    /// wakes the readers, then waits for the sync (`always`).
    #[cold]
    #[inline(never)]
    fn after_write(&self, mut st: crate::sync::MutexGuard<'_, State>, now: u64) {
        let done = st.after_write(now);
        let ticket = self.inner.stage(&mut st);
        drop(st);
        done.deliver();
        self.await_durable(ticket);
    }

    /// Waits until the append-only file holds the bytes up to `ticket` on disk (the
    /// `always` policy; the others return at once). A failure is the appender's to
    /// report: writes are refused until it clears.
    #[inline]
    pub(crate) fn await_durable(&self, ticket: Option<u64>) {
        #[cfg(not(loom))]
        if let (Some(aof), Some(t)) = (&self.inner.aof, ticket) {
            let _ = aof.appender.wait_synced(t);
        }
        #[cfg(loom)]
        let _ = ticket;
    }

    /// A read-only look at the keyspace under the engine lock.
    fn read<T>(&self, f: impl FnOnce(&Keyspace) -> T) -> T {
        self.with_keyspace(|ks, _| f(ks))
    }

    /// [`Engine::execute`] with string arguments (blocking reads wait, as there).
    pub fn execute_str(&self, argv: &[&str]) -> Reply {
        let argv: Vec<Bytes> = argv
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        self.execute(&argv)
    }

    /// XADD with an auto-generated ID (`XADD key * field value …`).
    pub fn xadd<F: FieldValues + ?Sized>(
        &self,
        key: impl AsRef<[u8]>,
        fields: &F,
    ) -> Result<StreamId, Error> {
        let opts = XAddOptions::default();
        self.xadd_with(key, &opts, fields)?.ok_or(Error::NoSuchKey)
    }

    /// XADD with options; `None` when NOMKSTREAM found no stream.
    pub fn xadd_with<F: FieldValues + ?Sized>(
        &self,
        key: impl AsRef<[u8]>,
        opts: &XAddOptions,
        fields: &F,
    ) -> Result<Option<StreamId>, Error> {
        self.with_keyspace(|ks, now| ks.xadd(key.as_ref(), opts, fields, now))
    }

    /// XLEN.
    pub fn xlen(&self, key: impl AsRef<[u8]>) -> Result<u64, Error> {
        self.read(|ks| ks.xlen(key.as_ref()))
    }

    /// XRANGE key start end [COUNT count].
    pub fn xrange(
        &self,
        key: impl AsRef<[u8]>,
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        self.read(|ks| ks.xrange(key.as_ref(), start, end, count))
    }

    /// XREVRANGE key end start [COUNT count].
    pub fn xrevrange(
        &self,
        key: impl AsRef<[u8]>,
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        self.read(|ks| ks.xrevrange(key.as_ref(), end, start, count))
    }

    /// XDEL. An empty `ids` is Redis's arity error.
    pub fn xdel(&self, key: impl AsRef<[u8]>, ids: &[StreamId]) -> Result<u64, Error> {
        self.with_keyspace(|ks, _| ks.xdel(key.as_ref(), ids))
    }

    /// XTRIM.
    pub fn xtrim(&self, key: impl AsRef<[u8]>, opts: &TrimOptions) -> Result<u64, Error> {
        self.with_keyspace(|ks, _| ks.xtrim(key.as_ref(), opts))
    }

    /// XSETID.
    pub fn xsetid(&self, key: impl AsRef<[u8]>, opts: &XSetIdOptions) -> Result<(), Error> {
        self.with_keyspace(|ks, _| ks.xsetid(key.as_ref(), opts))
    }

    /// XREAD \[COUNT count\] \[BLOCK\] STREAMS key … id …; with `block` it waits on
    /// this thread, as a Redis client would (use the [`crate::Streams`] form, or
    /// [`Engine::read_async`], from async code).
    pub fn xread<K: AsRef<[u8]>>(
        &self,
        streams: &[(K, XReadId)],
        count: Option<u64>,
        block: Option<Block>,
    ) -> Result<Vec<StreamEntries>, Error> {
        let Some(ms) = block.and_then(Block::millis) else {
            // No streams and no COUNT: `XREAD STREAMS`, short of the arity.
            if streams.is_empty() {
                let read = crate::Command::XRead {
                    streams: Vec::new(),
                    count,
                };
                if let Some(e) = read.dispatcher_error() {
                    return Err(e);
                }
            }
            return self.read(|ks| ks.xread(streams, count));
        };
        let req = ReadRequest::Read {
            streams: owned_streams(streams),
            count,
        };
        match self.read_blocking(req, ms)? {
            ReadOutput::Read(served) => Ok(served),
            ReadOutput::Group(_) => Ok(Vec::new()),
        }
    }

    /// XINFO STREAM.
    pub fn xinfo_stream(&self, key: impl AsRef<[u8]>) -> Result<XInfoStream, Error> {
        let now = self.now();
        self.read(|ks| ks.xinfo_stream(key.as_ref(), now))
    }

    /// XINFO STREAM FULL COUNT count (`0` = all entries).
    pub fn xinfo_stream_full(
        &self,
        key: impl AsRef<[u8]>,
        count: u64,
    ) -> Result<XInfoStreamFull, Error> {
        let now = self.now();
        self.read(|ks| ks.xinfo_stream_full(key.as_ref(), count, now))
    }

    /// XGROUP CREATE key group id|$ \[MKSTREAM\] \[ENTRIESREAD n\].
    pub fn xgroup_create(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        self.with_keyspace(|ks, _| {
            ks.xgroup_create(key.as_ref(), group.as_ref(), start, mkstream, entries_read)
        })
    }

    /// XGROUP SETID key group id|$ [ENTRIESREAD n].
    pub fn xgroup_setid(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
        start: GroupStart,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        self.with_keyspace(|ks, _| {
            ks.xgroup_setid(key.as_ref(), group.as_ref(), start, entries_read)
        })
    }

    /// XGROUP DESTROY: true if the group existed.
    pub fn xgroup_destroy(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
    ) -> Result<bool, Error> {
        self.with_keyspace(|ks, _| ks.xgroup_destroy(key.as_ref(), group.as_ref()))
    }

    /// XGROUP CREATECONSUMER: true if created.
    pub fn xgroup_createconsumer(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
        consumer: impl AsRef<[u8]>,
    ) -> Result<bool, Error> {
        self.with_keyspace(|ks, now| {
            ks.xgroup_createconsumer(key.as_ref(), group.as_ref(), consumer.as_ref(), now)
        })
    }

    /// XGROUP DELCONSUMER: the pending entries the consumer owned.
    pub fn xgroup_delconsumer(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
        consumer: impl AsRef<[u8]>,
    ) -> Result<u64, Error> {
        self.with_keyspace(|ks, _| {
            ks.xgroup_delconsumer(key.as_ref(), group.as_ref(), consumer.as_ref())
        })
    }

    /// XREADGROUP GROUP group consumer \[COUNT\] \[BLOCK\] \[CLAIM\] \[NOACK\] STREAMS …;
    /// with `block` it waits on this thread, as a Redis client would.
    pub fn xreadgroup<K: AsRef<[u8]>>(
        &self,
        group: impl AsRef<[u8]>,
        consumer: impl AsRef<[u8]>,
        streams: &[(K, GroupReadId)],
        opts: &XReadGroupOptions,
        block: Option<Block>,
    ) -> Result<Vec<StreamEntries<GroupEntry>>, Error> {
        let Some(ms) = block.and_then(Block::millis) else {
            // No streams and no COUNT or CLAIM: short of the arity.
            if streams.is_empty() {
                let read = crate::Command::XReadGroup {
                    group: Bytes::copy_from_slice(group.as_ref()),
                    consumer: Bytes::copy_from_slice(consumer.as_ref()),
                    streams: Vec::new(),
                    opts: *opts,
                };
                if let Some(e) = read.dispatcher_error() {
                    return Err(e);
                }
            }
            return self.with_keyspace(|ks, now| {
                ks.xreadgroup(group.as_ref(), consumer.as_ref(), streams, opts, now)
            });
        };
        let req = ReadRequest::Group {
            group: Bytes::copy_from_slice(group.as_ref()),
            consumer: Bytes::copy_from_slice(consumer.as_ref()),
            streams: owned_streams(streams),
            opts: *opts,
        };
        match self.read_blocking(req, ms)? {
            ReadOutput::Group(served) => Ok(served),
            ReadOutput::Read(_) => Ok(Vec::new()),
        }
    }

    /// XACK: how many were pending. An empty `ids` is Redis's arity error.
    pub fn xack(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        self.with_keyspace(|ks, _| ks.xack(key.as_ref(), group.as_ref(), ids))
    }

    /// XACKDEL: one code per ID. An empty `ids` answers as Redis answers `IDS 0` (see
    /// [`Keyspace::xackdel`](crate::frontend::Keyspace::xackdel)).
    pub fn xackdel(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        self.with_keyspace(|ks, _| ks.xackdel(key.as_ref(), group.as_ref(), ids, policy))
    }

    /// XDELEX: one code per ID. An empty `ids` answers as Redis answers `IDS 0` (see
    /// [`Keyspace::xdelex`](crate::frontend::Keyspace::xdelex)).
    pub fn xdelex(
        &self,
        key: impl AsRef<[u8]>,
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        self.with_keyspace(|ks, _| ks.xdelex(key.as_ref(), ids, policy))
    }

    /// XPENDING key group (summary).
    pub fn xpending(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
    ) -> Result<XPendingSummary, Error> {
        self.read(|ks| ks.xpending(key.as_ref(), group.as_ref()))
    }

    /// XPENDING key group \[IDLE ms\] start end count \[consumer\] (extended).
    pub fn xpending_range(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
        range: &XPendingRange,
    ) -> Result<Vec<PendingEntry>, Error> {
        let now = self.now();
        self.read(|ks| ks.xpending_range(key.as_ref(), group.as_ref(), range, now))
    }

    /// XCLAIM key group consumer min-idle-time id … \[options\]. No IDs and no options
    /// is Redis's arity error.
    pub fn xclaim(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
        consumer: impl AsRef<[u8]>,
        min_idle: Duration,
        ids: &[StreamId],
        opts: &XClaimOptions,
    ) -> Result<Claimed, Error> {
        self.with_keyspace(|ks, now| {
            ks.xclaim(
                key.as_ref(),
                group.as_ref(),
                consumer.as_ref(),
                millis(min_idle),
                ids,
                opts,
                now,
            )
        })
    }

    /// XAUTOCLAIM key group consumer min-idle-time start \[COUNT n\] \[JUSTID\].
    pub fn xautoclaim(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
        consumer: impl AsRef<[u8]>,
        min_idle: Duration,
        start: StreamId,
        opts: &XAutoClaimOptions,
    ) -> Result<XAutoClaimReply, Error> {
        self.with_keyspace(|ks, now| {
            ks.xautoclaim(
                key.as_ref(),
                group.as_ref(),
                consumer.as_ref(),
                millis(min_idle),
                start,
                opts,
                now,
            )
        })
    }

    /// XINFO GROUPS key.
    pub fn xinfo_groups(&self, key: impl AsRef<[u8]>) -> Result<Vec<XInfoGroup>, Error> {
        self.read(|ks| ks.xinfo_groups(key.as_ref()))
    }

    /// XINFO CONSUMERS key group.
    pub fn xinfo_consumers(
        &self,
        key: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
    ) -> Result<Vec<XInfoConsumer>, Error> {
        let now = self.now();
        self.read(|ks| ks.xinfo_consumers(key.as_ref(), group.as_ref(), now))
    }

    /// DEL: how many of the keys existed. `CROSSSLOT` in cluster mode when the keys
    /// are in different slots ([`crate::Config::cluster`]). No keys is Redis's arity
    /// error.
    pub fn del<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<u64, Error> {
        if keys.is_empty() {
            return Err(Error::WrongArity("del"));
        }
        self.with_keyspace(|ks, _| {
            ks.check_slots(keys.iter().map(AsRef::as_ref))?;
            ks.check_writable()?;
            Ok(ks.del(keys))
        })
    }

    /// EXISTS: how many of the keys exist. `CROSSSLOT` in cluster mode as for DEL.
    pub fn exists<K: AsRef<[u8]>>(&self, keys: &[K]) -> Result<u64, Error> {
        self.read(|ks| {
            ks.check_slots(keys.iter().map(AsRef::as_ref))?;
            Ok(ks.exists(keys))
        })
    }

    /// COPY in this engine's keyspace: whether it copied (see [`Keyspace::copy`]).
    /// `CROSSSLOT` in cluster mode when the keys are in different slots.
    pub fn copy(
        &self,
        src: impl AsRef<[u8]>,
        dst: impl AsRef<[u8]>,
        replace: bool,
    ) -> Result<bool, Error> {
        self.with_keyspace(|ks, now| ks.copy(src.as_ref(), dst.as_ref(), replace, now))
    }

    /// COPY … DB n: copies `src` of this engine to `dst` of `dest`, the engine of
    /// database `db` (see [`Keyspace::copy_to`]), atomically: both engines are locked
    /// for the copy (in a fixed order, so that copies in opposite directions cannot
    /// deadlock) and readers blocked on `dst` are served when it ends. `dest` being
    /// this engine is [`Engine::copy`] (`ERR source and destination objects are the
    /// same` for one key).
    pub fn copy_to(
        &self,
        src: impl AsRef<[u8]>,
        dest: &Engine,
        dst: impl AsRef<[u8]>,
        db: usize,
        replace: bool,
    ) -> Result<bool, Error> {
        let (src, dst) = (src.as_ref(), dst.as_ref());
        if Arc::ptr_eq(&self.inner, &dest.inner) {
            return self.copy(src, dst, replace);
        }
        let src_first =
            core::ptr::from_ref::<Inner>(&self.inner) < core::ptr::from_ref(&dest.inner);
        let (mut from, mut to) = if src_first {
            let from = self.lock();
            (from, dest.lock())
        } else {
            let to = dest.lock();
            (self.lock(), to)
        };
        let now = self.now();
        let out = from.ks.copy_to(src, &mut to.ks, dst, db, replace, now);
        let from_done = from.after_write(now);
        let to_done = to.after_write(now);
        drop(to);
        drop(from);
        from_done.deliver();
        to_done.deliver();
        out
    }

    /// TYPE.
    pub fn key_type(&self, key: impl AsRef<[u8]>) -> KeyType {
        self.read(|ks| ks.key_type(key.as_ref()))
    }

    /// KEYS pattern.
    pub fn keys(&self, pattern: impl AsRef<[u8]>) -> Vec<Bytes> {
        self.read(|ks| ks.keys(pattern.as_ref()))
    }

    /// FLUSHALL.
    pub fn flush(&self) {
        self.with_keyspace(|ks, _| ks.flush());
    }

    /// SET key value \[NX|XX\] \[PX|PXAT|KEEPTTL\]: whether the value was stored.
    pub fn set(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
        opts: &SetOptions,
    ) -> Result<bool, Error> {
        let value = Bytes::copy_from_slice(value.as_ref());
        self.with_keyspace(|ks, now| ks.set_with(key.as_ref(), value, opts, now))
    }

    /// INCRBY key by: the new value.
    pub fn incr_by(&self, key: impl AsRef<[u8]>, by: i64) -> Result<i64, Error> {
        self.with_keyspace(|ks, _| ks.incr_by(key.as_ref(), by))
    }

    /// GET key.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>, Error> {
        self.read(|ks| ks.get(key.as_ref()))
    }

    /// Heap bytes held by `key` and its value; see [`Keyspace::memory_usage`].
    pub fn memory_usage(&self, key: impl AsRef<[u8]>) -> Option<usize> {
        self.read(|ks| ks.memory_usage(key.as_ref()))
    }

    /// The current configuration.
    pub fn config(&self) -> Config {
        self.read(|ks| *ks.config())
    }

    /// Replaces the configuration (node limits apply to later appends).
    pub fn set_config(&self, config: Config) {
        self.with_keyspace(|ks, _| *ks.config_mut() = config);
    }
}
