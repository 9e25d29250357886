//! [`Engine`]: many named streams behind one lock, driven by one clock.
//!
//! One engine-wide lock is Redis's own execution model: every command, every multi-key
//! read and every batch run through [`Engine::with_keyspace`] is atomic, and commands
//! are totally ordered. The handle is cheap to clone and `Send + Sync`; clones share the
//! keyspace.

use alloc::vec::Vec;

use bytes::Bytes;

use crate::clock::{Clock, SystemClock};
use crate::entry::{FieldValues, StreamEntry};
use crate::error::Error;
use crate::id::StreamId;
use crate::info::{XInfoStream, XInfoStreamFull};
use crate::keyspace::{Config, KeyType, Keyspace};
use crate::options::{TrimOptions, XAddOptions, XReadId, XSetIdOptions};
use crate::reply::Reply;
use crate::sync::{Arc, Mutex};

struct Inner {
    keyspace: Mutex<Keyspace>,
    /// `None`: the [`SystemClock`], called without dynamic dispatch on the hot path.
    clock: Option<Arc<dyn Clock>>,
}

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
    clock: Option<Arc<dyn Clock>>,
    config: Config,
}

impl EngineBuilder {
    /// The clock that drives IDs and timeouts (default: [`SystemClock`]).
    pub fn clock(mut self, clock: impl Clock + 'static) -> EngineBuilder {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Node limits and caps.
    pub fn config(mut self, config: Config) -> EngineBuilder {
        self.config = config;
        self
    }

    /// The engine.
    pub fn build(self) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                keyspace: Mutex::new(Keyspace::with_config(self.config)),
                clock: self.clock,
            }),
        }
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
    fn now(&self) -> u64 {
        match &self.inner.clock {
            Some(c) => c.now_ms(),
            None => SystemClock.now_ms(),
        }
    }

    /// Runs `f` on the keyspace under the engine lock, with the command time frozen at
    /// one instant: an atomic batch, as MULTI/EXEC or a script is in Redis.
    pub fn with_keyspace<T>(&self, f: impl FnOnce(&mut Keyspace, u64) -> T) -> T {
        let now = self.now();
        f(&mut self.inner.keyspace.lock(), now)
    }

    /// Executes one command given as a Redis argument vector; see
    /// [`Keyspace::execute`]. `BLOCK` is not waited on yet: a read that would block
    /// answers nil at once, as inside MULTI/EXEC.
    pub fn execute(&self, argv: &[Bytes]) -> Reply {
        self.with_keyspace(|ks, now| ks.execute(argv, now))
    }

    /// [`Engine::execute`] with string arguments.
    pub fn execute_str(&self, argv: &[&str]) -> Reply {
        self.with_keyspace(|ks, now| ks.execute_str(argv, now))
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
        let now = self.now();
        self.inner
            .keyspace
            .lock()
            .xadd(key.as_ref(), opts, fields, now)
    }

    /// XLEN.
    pub fn xlen(&self, key: impl AsRef<[u8]>) -> Result<u64, Error> {
        self.inner.keyspace.lock().xlen(key.as_ref())
    }

    /// XRANGE key start end [COUNT count].
    pub fn xrange(
        &self,
        key: impl AsRef<[u8]>,
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        self.inner
            .keyspace
            .lock()
            .xrange(key.as_ref(), start, end, count)
    }

    /// XREVRANGE key end start [COUNT count].
    pub fn xrevrange(
        &self,
        key: impl AsRef<[u8]>,
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        self.inner
            .keyspace
            .lock()
            .xrevrange(key.as_ref(), end, start, count)
    }

    /// XDEL.
    pub fn xdel(&self, key: impl AsRef<[u8]>, ids: &[StreamId]) -> Result<u64, Error> {
        self.inner.keyspace.lock().xdel(key.as_ref(), ids)
    }

    /// XTRIM.
    pub fn xtrim(&self, key: impl AsRef<[u8]>, opts: &TrimOptions) -> Result<u64, Error> {
        self.inner.keyspace.lock().xtrim(key.as_ref(), opts)
    }

    /// XSETID.
    pub fn xsetid(&self, key: impl AsRef<[u8]>, opts: &XSetIdOptions) -> Result<(), Error> {
        self.inner.keyspace.lock().xsetid(key.as_ref(), opts)
    }

    /// Non-blocking XREAD [COUNT count] STREAMS key … id ….
    pub fn xread<K: AsRef<[u8]>>(
        &self,
        streams: &[(K, XReadId)],
        count: Option<u64>,
    ) -> Result<Vec<(Bytes, Vec<StreamEntry>)>, Error> {
        self.inner.keyspace.lock().xread(streams, count)
    }

    /// XINFO STREAM.
    pub fn xinfo_stream(&self, key: impl AsRef<[u8]>) -> Result<XInfoStream, Error> {
        let now = self.now();
        self.inner.keyspace.lock().xinfo_stream(key.as_ref(), now)
    }

    /// XINFO STREAM FULL COUNT count (`0` = all entries).
    pub fn xinfo_stream_full(
        &self,
        key: impl AsRef<[u8]>,
        count: u64,
    ) -> Result<XInfoStreamFull, Error> {
        let now = self.now();
        self.inner
            .keyspace
            .lock()
            .xinfo_stream_full(key.as_ref(), count, now)
    }

    /// DEL.
    pub fn del<K: AsRef<[u8]>>(&self, keys: &[K]) -> u64 {
        self.inner.keyspace.lock().del(keys)
    }

    /// EXISTS.
    pub fn exists<K: AsRef<[u8]>>(&self, keys: &[K]) -> u64 {
        self.inner.keyspace.lock().exists(keys)
    }

    /// TYPE.
    pub fn key_type(&self, key: impl AsRef<[u8]>) -> KeyType {
        self.inner.keyspace.lock().key_type(key.as_ref())
    }

    /// KEYS pattern.
    pub fn keys(&self, pattern: impl AsRef<[u8]>) -> Vec<Bytes> {
        self.inner.keyspace.lock().keys(pattern.as_ref())
    }

    /// FLUSHALL.
    pub fn flush(&self) {
        self.inner.keyspace.lock().flush();
    }

    /// SET key value.
    pub fn set(&self, key: impl AsRef<[u8]>, value: impl Into<Bytes>) {
        self.inner.keyspace.lock().set(key.as_ref(), value.into());
    }

    /// GET key.
    pub fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Bytes>, Error> {
        self.inner.keyspace.lock().get(key.as_ref())
    }

    /// Heap bytes held by `key` and its value; see [`Keyspace::memory_usage`].
    pub fn memory_usage(&self, key: impl AsRef<[u8]>) -> Option<usize> {
        self.inner.keyspace.lock().memory_usage(key.as_ref())
    }

    /// The current configuration.
    pub fn config(&self) -> Config {
        *self.inner.keyspace.lock().config()
    }

    /// Replaces the configuration (node limits apply to later appends).
    pub fn set_config(&self, config: Config) {
        *self.inner.keyspace.lock().config_mut() = config;
    }
}
