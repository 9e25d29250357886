//! The keyspace: named values (streams and plain strings), the configuration that
//! shapes streams, and the typed form of every command the engine serves.
//!
//! A [`Keyspace`] is pure and single-threaded: each method takes the command's time
//! (`now`, Unix milliseconds) as an argument and does no I/O. [`crate::Engine`] puts one
//! behind a lock and a clock; tests and fuzzers drive it directly. The command layer
//! ([`Keyspace::execute`]) parses Redis argument vectors onto these same methods.

use alloc::boxed::Box;
use alloc::vec::Vec;

use core::borrow::Borrow;

use bytes::Bytes;
use hashbrown::hash_map::EntryRef;
use hashbrown::HashMap;

use crate::blocking::{Signal, Signals};
use crate::entry::{FieldValues, StreamEntry};
use crate::error::Error;
use crate::glob;
use crate::id::{StreamId, XAddId};
use crate::idmp;
use crate::info::{StreamSummary, XInfoStream, XInfoStreamFull};
use crate::node::NodeLimits;
use crate::options::{TrimOptions, XAddOptions, XReadId, XSetIdOptions};
use crate::stream::Stream;

/// A value stored under a key.
#[derive(Clone, Debug)]
pub enum Value {
    /// A stream.
    Stream(Box<Stream>),
    /// A plain string (SET/GET), present so that type errors are real.
    String(Bytes),
}

/// The type of a key, as TYPE reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// No such key (`none`).
    None,
    /// A string (`string`).
    String,
    /// A stream (`stream`).
    Stream,
}

impl KeyType {
    /// The name TYPE replies with.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::None => "none",
            KeyType::String => "string",
            KeyType::Stream => "stream",
        }
    }
}

/// Settings of a keyspace: Redis's stream configs and brook's optional caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// `stream-node-max-bytes` and `stream-node-max-entries`.
    pub node_limits: NodeLimits,
    /// `stream-idmp-duration` (seconds, 1..=86400): copied into each new stream.
    pub idmp_duration: u64,
    /// `stream-idmp-maxsize` (1..=10000): copied into each new stream.
    pub idmp_maxsize: u64,
    /// Once this many entries are stored in all streams together, refuse the commands
    /// Redis marks `denyoom` (XADD, XSETID, SET) with Redis's OOM error, as a server at
    /// `maxmemory` does. `None`: no cap.
    pub max_entries: Option<u64>,
    /// The same, once the keyspace holds this many bytes as [`Keyspace::used_memory`]
    /// counts them: every key with its value — a stream's nodes and index, its groups'
    /// PELs and consumers, its IDMP state; strings — what MEMORY USAGE reports, as
    /// Redis's `maxmemory` compares its whole `used_memory`. `None`: no cap.
    pub max_bytes: Option<u64>,
    /// Redis Cluster's key rule: a command (or an atomic batch) whose keys hash to
    /// different slots fails with `CROSSSLOT` instead of running, as on a cluster — so
    /// code that would fail there fails in tests too (`mem://?cluster=1`). Checked by
    /// the command layer, the `Engine`'s multi-key methods and the `Streams` trait.
    /// Off by default.
    pub cluster: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            node_limits: NodeLimits::default(),
            idmp_duration: idmp::DEFAULT_DURATION,
            idmp_maxsize: idmp::DEFAULT_MAXSIZE,
            max_entries: None,
            max_bytes: None,
            cluster: false,
        }
    }
}

/// A key of the keyspace: bytes that hash and compare like `[u8]`, so lookups by
/// `&[u8]` need no allocation and a missing key is created in the same probe.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key(Bytes);

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl From<&[u8]> for Key {
    fn from(k: &[u8]) -> Key {
        Key(Bytes::copy_from_slice(k))
    }
}

/// FNV-1a, 64 bits: SCAN's key order (fixed, so cursors survive between calls).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Named streams and strings, with the typed form of each command.
#[derive(Clone, Debug, Default)]
pub struct Keyspace {
    keys: HashMap<Key, Value>,
    config: Config,
    entries: u64,
    bytes: u64,
    /// Heap bytes of every key and value: the sum of [`Keyspace::memory_usage`] over
    /// the keys, kept with every change ([`Keyspace::used_memory`]).
    heap: u64,
    /// Keys readers are blocked on, and the signals raised on them.
    pub(crate) signals: Signals,
    /// Expiry times (SET … PX and friends).
    pub(crate) expiry: crate::expire::Expiry,
    /// Keys under WATCH: how many watchers, and a version bumped whenever Redis would
    /// signal the key as modified.
    watched: HashMap<Key, (u32, u64)>,
    /// Changes made, as Redis's `server.dirty` counts them (see [`Keyspace::dirty`]).
    dirty: u64,
}

impl Keyspace {
    /// An empty keyspace with default settings.
    pub fn new() -> Keyspace {
        Keyspace::default()
    }

    /// In cluster mode ([`Config::cluster`]), `CROSSSLOT` unless all `keys` share a
    /// slot.
    pub fn check_slots<'a>(&self, keys: impl IntoIterator<Item = &'a [u8]>) -> Result<(), Error> {
        if self.config.cluster {
            crate::slot_hash::same_slot(keys)
        } else {
            Ok(())
        }
    }

    /// An empty keyspace with `config`.
    pub fn with_config(config: Config) -> Keyspace {
        Keyspace {
            config,
            ..Keyspace::default()
        }
    }

    /// How many changes the writes on this keyspace made, counted as Redis counts them
    /// in `server.dirty` (INFO's `rdb_changes_since_last_save`), per command: XADD 1
    /// (an IDMP duplicate too); XDEL, XTRIM, XDELEX, DEL and FLUSHALL/FLUSHDB one per
    /// entry or key removed; XACK and XACKDEL one per ID acknowledged; XSETID, XGROUP
    /// CREATE/SETID, XIDMPRECORD (a new record), SET and INCR 1; XGROUP DESTROY,
    /// CREATECONSUMER, DELCONSUMER and XCFGSET 1 when they changed something; RENAME 1
    /// when a key moved; XREADGROUP 1 per consumer it created plus 1 per stream it
    /// served from `>`; XCLAIM and XAUTOCLAIM 1 for a consumer they created, 1 per entry
    /// claimed and 1 per pending entry dropped because its entry is gone (XCLAIM: 1 for
    /// a LASTID that moved the group when nothing else changed). Reads, failed commands
    /// and expiry add nothing. It only grows; a server sums it over its databases.
    pub fn dirty(&self) -> u64 {
        self.dirty
    }

    /// Counts `n` changes (see [`Keyspace::dirty`]).
    pub(crate) fn add_dirty(&mut self, n: u64) {
        self.dirty = self.dirty.saturating_add(n);
    }

    /// Current settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Changes settings. Node limits apply to later appends, as in Redis.
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// Live entries in all streams.
    pub fn used_entries(&self) -> u64 {
        self.entries
    }

    /// Bytes of node storage in all streams (node buffers, not the index).
    pub fn used_bytes(&self) -> u64 {
        self.bytes
    }

    /// Heap bytes of every key and its value — streams with their node index, groups,
    /// PELs, consumers and IDMP state, and strings — counted as
    /// [`Keyspace::memory_usage`] counts one key: this is always the sum of
    /// `memory_usage` over the keys (checked by [`Keyspace::check`]). Kept with every
    /// write at O(1) cost (every part of a stream keeps its own byte count), so reading
    /// it is O(1) too. `brook serve` reports it as the dataset part of INFO's `used_memory`
    /// and MEMORY STATS' `dataset.bytes`; [`Config::max_bytes`] caps it. Not counted:
    /// the expiry index (SET … PX), WATCH bookkeeping and blocked readers'
    /// registrations, which Redis too keeps outside its keys' MEMORY USAGE.
    pub fn used_memory(&self) -> u64 {
        self.heap
    }

    /// Number of keys (DBSIZE).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key exists.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The stream at `key`: `Ok(None)` if missing, WRONGTYPE if not a stream.
    pub fn stream(&self, key: &[u8]) -> Result<Option<&Stream>, Error> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(Value::Stream(s)) => Ok(Some(s)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// Stores `value` at `key` (replacing any value; usage counters follow).
    pub(crate) fn insert_value(&mut self, key: &[u8], value: Value) {
        if let Some(old) = self.keys.get(key) {
            let before = key_usage(key, old);
            self.account(before, Usage::ZERO);
        }
        self.account(Usage::ZERO, key_usage(key, &value));
        self.keys.insert(Key::from(key), value);
    }

    /// Runs `f` on the stream at `key` (if any) and keeps the usage counters current.
    pub(crate) fn with_stream_mut<T>(
        &mut self,
        key: &[u8],
        f: impl FnOnce(&mut Stream) -> T,
    ) -> Result<Option<T>, Error> {
        match self.keys.get_mut(key) {
            None => Ok(None),
            Some(Value::Stream(s)) => {
                let before = usage(s);
                let out = f(s);
                let after = usage(s);
                self.account(before, after);
                Ok(Some(out))
            }
            Some(_) => Err(Error::WrongType),
        }
    }

    /// Runs `f` on the stream at `key` for an XGROUP subcommand, which needs it to
    /// exist (Redis's "requires the key to exist" error otherwise), keeping the usage
    /// counters current.
    pub(crate) fn with_group_stream<T>(
        &mut self,
        key: &[u8],
        f: impl FnOnce(&mut Stream) -> T,
    ) -> Result<T, Error> {
        self.with_stream_mut(key, f)?.ok_or(Error::XGroupKeyMissing)
    }

    /// Moves the usage counters from a value's `before` usage to its `after` usage.
    fn account(&mut self, before: Usage, after: Usage) {
        self.entries = self.entries + after.entries - before.entries;
        self.bytes = self.bytes + after.nodes - before.nodes;
        self.heap = self.heap + after.heap - before.heap;
    }

    /// Whether a command marked `denyoom` in Redis may run now (the caps are not
    /// reached); otherwise Redis's OOM error.
    pub fn check_oom(&self) -> Result<(), Error> {
        if self
            .config
            .max_entries
            .is_some_and(|cap| self.entries >= cap)
            || self.config.max_bytes.is_some_and(|cap| self.heap >= cap)
        {
            return Err(Error::OutOfMemory);
        }
        Ok(())
    }

    /// XADD. Returns the new entry's ID, or `None` when NOMKSTREAM found no stream.
    /// `fields` must hold at least one pair (the command layer checks arity).
    pub fn xadd<F: FieldValues + ?Sized>(
        &mut self,
        key: &[u8],
        opts: &XAddOptions,
        fields: &F,
        now: u64,
    ) -> Result<Option<StreamId>, Error> {
        self.check_oom()?;
        if let Some(trim) = &opts.trim {
            trim.validate()?;
        }
        if fields.pair_count() == 0 {
            return Err(Error::WrongArity("xadd"));
        }
        if opts.idmp.is_some() && opts.id != XAddId::Auto {
            return Err(Error::IdmpNeedsAutoId);
        }
        if opts.id == XAddId::Explicit(StreamId::MIN) {
            return Err(Error::XAddIdZero);
        }
        let (idmp_duration, idmp_maxsize) = (self.config.idmp_duration, self.config.idmp_maxsize);
        let (stream, before) = match self.keys.entry_ref(key) {
            EntryRef::Occupied(o) => match o.into_mut() {
                Value::Stream(s) => {
                    let before = stream_key_usage(key, s);
                    (s, before)
                }
                _ => return Err(Error::WrongType),
            },
            EntryRef::Vacant(_) if opts.nomkstream => return Ok(None),
            EntryRef::Vacant(v) => match v.insert(Value::Stream(Box::new(Stream::with_idmp(
                idmp_duration,
                idmp_maxsize,
            )))) {
                // A new key: counted from nothing.
                Value::Stream(s) => (s, Usage::ZERO),
                _ => return Err(Error::WrongType),
            },
        };
        // An IDMP duplicate answers the recorded ID and changes nothing else (expiring
        // old IIDs on the way). The producer is created first, as Redis does: it stays
        // even if the append below fails (see `idmp`'s module doc for when Redis's cron
        // drops it again).
        let idmp = opts.idmp.as_ref().map(|i| (i.pid(), i.iid(fields)));
        if let Some((pid, iid)) = &idmp {
            let state = stream.idmp_mut();
            state.expire(now);
            state.producer(pid);
            if let Some(id) = state.get(pid, iid) {
                state.count_duplicate();
                let after = stream_key_usage(key, stream);
                self.dirty = self.dirty.saturating_add(1);
                self.account(before, after);
                return Ok(Some(id));
            }
        }
        let limits = self.config.node_limits;
        let res = stream.append(opts.id, fields, now, &limits);
        if res.is_ok() {
            self.dirty = self.dirty.saturating_add(1);
        }
        if let Ok(id) = res {
            if let Some((pid, iid)) = idmp {
                stream.idmp_mut().record(pid, iid, id);
            }
            if let Some(trim) = &opts.trim {
                stream.trim(trim, &limits);
            }
        }
        let after = stream_key_usage(key, stream);
        self.account(before, after);
        if res.is_ok() {
            self.touch(key);
            if !self.signals.idle() {
                self.signals.raise(key, Signal::Data);
            }
        }
        res.map(Some)
    }

    /// XLEN.
    pub fn xlen(&self, key: &[u8]) -> Result<u64, Error> {
        Ok(self.stream(key)?.map_or(0, Stream::len))
    }

    /// XRANGE: live entries with `start <= id <= end`, at most `count` (`None` = all).
    pub fn xrange(
        &self,
        key: &[u8],
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        let mut out = Vec::new();
        if let Some(s) = self.stream(key)? {
            if count != Some(0) {
                s.range(start, end, count_limit(count), &mut out);
            }
        }
        Ok(out)
    }

    /// XREVRANGE: like [`Keyspace::xrange`], newest first.
    pub fn xrevrange(
        &self,
        key: &[u8],
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        let mut out = Vec::new();
        if let Some(s) = self.stream(key)? {
            if count != Some(0) {
                s.rev_range(end, start, count_limit(count), &mut out);
            }
        }
        Ok(out)
    }

    /// XDEL: deletes entries by ID; returns how many existed.
    pub fn xdel(&mut self, key: &[u8], ids: &[StreamId]) -> Result<u64, Error> {
        let n = self.with_stream_mut(key, |s| s.delete(ids))?.unwrap_or(0);
        if n > 0 {
            self.touch(key);
            self.add_dirty(n);
        }
        Ok(n)
    }

    /// XTRIM: returns how many entries were removed.
    pub fn xtrim(&mut self, key: &[u8], opts: &TrimOptions) -> Result<u64, Error> {
        opts.validate()?;
        let limits = self.config.node_limits;
        let n = self
            .with_stream_mut(key, |s| s.trim(opts, &limits))?
            .unwrap_or(0);
        if n > 0 {
            self.touch(key);
            self.add_dirty(n);
        }
        Ok(n)
    }

    /// XSETID.
    pub fn xsetid(&mut self, key: &[u8], opts: &XSetIdOptions) -> Result<(), Error> {
        opts.validate()?;
        self.with_stream_mut(key, |s| {
            s.set_id(opts.last_id, opts.entries_added, opts.max_deleted_id)
        })?
        .unwrap_or(Err(Error::NoSuchKey))?;
        self.add_dirty(1);
        Ok(())
    }

    /// Non-blocking XREAD: for each `(key, id)`, the entries after `id` (at most `count`
    /// per stream, `None` = all). Streams with nothing to return are left out; all keys
    /// are validated (types, in order) before anything is read.
    pub fn xread<K: AsRef<[u8]>>(
        &self,
        streams: &[(K, XReadId)],
        count: Option<u64>,
    ) -> Result<Vec<(Bytes, Vec<StreamEntry>)>, Error> {
        let mut sink = crate::read_sink::ReadVec::default();
        self.xread_into(streams, count, &mut sink)?;
        Ok(sink.streams)
    }

    /// [`Keyspace::xread`], handing each stream served and its entries to `sink` as
    /// they are read.
    pub(crate) fn xread_into<K: AsRef<[u8]>>(
        &self,
        streams: &[(K, XReadId)],
        count: Option<u64>,
        sink: &mut impl crate::read_sink::ReadSink,
    ) -> Result<(), Error> {
        self.check_slots(streams.iter().map(|(k, _)| k.as_ref()))?;
        let mut after = Vec::with_capacity(streams.len());
        for (key, id) in streams {
            let s = self.stream(key.as_ref())?;
            after.push(resolve_read_id(s, *id));
        }
        for ((key, _), after) in streams.iter().zip(after) {
            let Some(s) = self.stream(key.as_ref())? else {
                continue;
            };
            // Redis serves a stream only if its last live entry is above the ID.
            let Some(start) = s
                .last_live_id()
                .filter(|&last| last > after)
                .and_then(|_| after.next())
            else {
                continue;
            };
            sink.begin_stream(key.as_ref());
            if sink.wants_size(count_limit(count)) {
                let mut bytes = 0;
                s.for_each_in(start, StreamId::MAX, count_limit(count), |e| {
                    bytes += crate::reply::entry_parts_len(e, 2);
                });
                sink.reserve(bytes);
            }
            s.for_each_in(start, StreamId::MAX, count_limit(count), |e| {
                sink.entry(e, None);
            });
            sink.end_stream(true);
        }
        Ok(())
    }

    /// XINFO STREAM at command time `now` (IDMP IIDs expired by then are not counted).
    pub fn xinfo_stream(&self, key: &[u8], now: u64) -> Result<XInfoStream, Error> {
        let s = self.stream(key)?.ok_or(Error::NoSuchKey)?;
        Ok(XInfoStream {
            summary: summary(s, now),
            groups: s.groups().len() as u64,
            first_entry: s.first_entry(),
            last_entry: s.last_entry(),
        })
    }

    /// XINFO STREAM FULL [COUNT count]: `count` entries (`0` = all; Redis's default 10).
    pub fn xinfo_stream_full(
        &self,
        key: &[u8],
        count: u64,
        now: u64,
    ) -> Result<XInfoStreamFull, Error> {
        let s = self.stream(key)?.ok_or(Error::NoSuchKey)?;
        let mut entries = Vec::new();
        s.range(
            StreamId::MIN,
            StreamId::MAX,
            count_limit(Some(count)),
            &mut entries,
        );
        Ok(XInfoStreamFull {
            summary: summary(s, now),
            entries,
            groups: crate::groups_api::full_groups(s, count),
        })
    }

    /// XCFGSET: sets a stream's IDMP settings (validated by the caller: durations
    /// 1..=86400 s, sizes 1..=10000); a changed value forgets every recorded IID.
    pub fn xcfgset(
        &mut self,
        key: &[u8],
        duration: Option<u64>,
        maxsize: Option<u64>,
    ) -> Result<(), Error> {
        let changed = self
            .with_stream_mut(key, |s| {
                let before = s.idmp().settings();
                s.idmp_mut().configure(duration, maxsize);
                before != s.idmp().settings()
            })?
            .ok_or(Error::NoSuchKey)?;
        if changed {
            self.add_dirty(1);
        }
        Ok(())
    }

    /// XIDMPRECORD: records that `pid`'s `iid` produced the live entry `id`.
    pub fn xidmprecord(
        &mut self,
        key: &[u8],
        pid: &Bytes,
        iid: &Bytes,
        id: StreamId,
        now: u64,
    ) -> Result<(), Error> {
        if pid.is_empty() {
            return Err(Error::EmptyProducerId);
        }
        if iid.is_empty() {
            return Err(Error::EmptyIdempotentId);
        }
        self.with_stream_mut(key, |s| {
            let mut found = false;
            s.for_each_in(id, id, 1, |_| found = true);
            if !found {
                return Err(Error::NoSuchMessage);
            }
            let state = s.idmp_mut();
            state.expire(now);
            match state.get(pid, iid) {
                Some(existing) if existing == id => Ok(false),
                Some(_) => Err(Error::IidExists),
                None => {
                    state.record(pid, iid.clone(), id);
                    Ok(true)
                }
            }
        })?
        .unwrap_or(Err(Error::NoSuchKey))
        .map(|recorded| {
            if recorded {
                self.add_dirty(1);
            }
        })
    }

    /// DEL: removes keys, returns how many existed.
    pub fn del<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> u64 {
        let n = self.remove_keys(keys);
        self.add_dirty(n);
        n
    }

    /// Removes keys (DEL, and the keys SET, RENAME and expiry replace or drop, which
    /// count no change of their own); how many existed.
    pub(crate) fn remove_keys<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> u64 {
        keys.iter()
            .filter(|k| {
                let removed = self.keys.remove(k.as_ref());
                if removed.is_some() {
                    self.expiry.clear(k.as_ref());
                    self.touch(k.as_ref());
                }
                if let Some(v) = &removed {
                    self.account(key_usage(k.as_ref(), v), Usage::ZERO);
                }
                if let Some(Value::Stream(_)) = &removed {
                    self.signals.raise(k.as_ref(), Signal::Gone);
                }
                removed.is_some()
            })
            .count() as u64
    }

    /// WATCH: starts tracking `key` (one more watcher); its current version.
    pub fn watch_key(&mut self, key: &[u8]) -> u64 {
        let e = self.watched.entry(Key::from(key)).or_insert((0, 0));
        e.0 += 1;
        e.1
    }

    /// UNWATCH for one watcher of `key`.
    pub fn unwatch_key(&mut self, key: &[u8]) {
        if let Some(e) = self.watched.get_mut(key) {
            e.0 -= 1;
            if e.0 == 0 {
                self.watched.remove(key);
            }
        }
    }

    /// The version of a watched key (it changes whenever Redis would mark the key
    /// modified for WATCH: XADD, XDEL and XTRIM that delete, XDELEX/XACKDEL that delete,
    /// a stream created by XGROUP CREATE … MKSTREAM, SET, INCR…, DEL, RENAME, expiry,
    /// FLUSHDB/FLUSHALL of an existing key). `None` when nobody watches it.
    pub fn key_version(&self, key: &[u8]) -> Option<u64> {
        self.watched.get(key).map(|e| e.1)
    }

    /// Marks `key` modified for its watchers.
    #[inline]
    pub(crate) fn touch(&mut self, key: &[u8]) {
        if !self.watched.is_empty() {
            if let Some(e) = self.watched.get_mut(key) {
                e.1 += 1;
            }
        }
    }

    /// RENAME (`nx` false) and RENAMENX (`nx` true): moves the value at `from`, with
    /// its expiry time, to `to`, replacing what `to` held (RENAMENX: only when `to` does
    /// not exist). Whether it moved; `ERR no such key` when `from` does not exist.
    /// Readers blocked on `from` re-run as after a DEL, those on `to` as after a write.
    pub fn rename(&mut self, from: &[u8], to: &[u8], nx: bool) -> Result<bool, Error> {
        if !self.keys.contains_key(from) {
            return Err(Error::NoSuchKey);
        }
        self.check_slots([from, to])?;
        if from == to {
            return Ok(!nx);
        }
        if nx && self.keys.contains_key(to) {
            return Ok(false);
        }
        let at = self.expiry.get(from);
        let Some(value) = self.keys.remove(from) else {
            return Err(Error::NoSuchKey);
        };
        self.expiry.clear(from);
        let stream = matches!(value, Value::Stream(_));
        self.account(key_usage(from, &value), Usage::ZERO);
        if stream {
            self.signals.raise(from, Signal::Gone);
        }
        let replaced_stream = matches!(self.keys.get(to), Some(Value::Stream(_)));
        self.remove_keys(&[to]);
        let mut value = value;
        if let Value::Stream(s) = &mut value {
            s.idmp_mut().renamed();
        }
        self.insert_value(to, value);
        if let Some(at) = at {
            self.expiry.set(to, at);
        }
        self.touch(from);
        self.touch(to);
        if stream {
            self.signals.raise(to, Signal::Data);
        } else if replaced_stream {
            self.signals.raise(to, Signal::Gone);
        }
        self.add_dirty(1);
        Ok(true)
    }

    /// SCAN's order: keys by a fixed 64-bit hash (FNV-1a), so a cursor — the hash to
    /// resume at — stays valid while keys come and go. Returns the next cursor (0 when
    /// done) and up to `count` keys from `cursor` on (more when keys share a hash, so
    /// that none is skipped).
    pub fn scan_keys(&self, cursor: u64, count: usize) -> (u64, Vec<(Bytes, KeyType)>) {
        let mut hashed: Vec<(u64, &Key)> = self
            .keys
            .keys()
            .map(|k| (fnv1a(&k.0), k))
            .filter(|(h, _)| *h >= cursor)
            .collect();
        hashed.sort_unstable_by(|a, b| (a.0, &a.1 .0).cmp(&(b.0, &b.1 .0)));
        let mut take = count.max(1).min(hashed.len());
        while take < hashed.len() && take > 0 && hashed[take].0 == hashed[take - 1].0 {
            take += 1;
        }
        let next = match hashed.get(take) {
            Some(_) => hashed[take - 1].0.wrapping_add(1),
            None => 0,
        };
        let keys = hashed[..take]
            .iter()
            .map(|(_, k)| (k.0.clone(), self.key_type(&k.0)))
            .collect();
        (next, keys)
    }

    /// EXISTS: how many of `keys` exist (a key named twice counts twice).
    pub fn exists<K: AsRef<[u8]>>(&self, keys: &[K]) -> u64 {
        keys.iter()
            .filter(|k| self.keys.contains_key(k.as_ref()))
            .count() as u64
    }

    /// TYPE.
    pub fn key_type(&self, key: &[u8]) -> KeyType {
        match self.keys.get(key) {
            None => KeyType::None,
            Some(Value::Stream(_)) => KeyType::Stream,
            Some(Value::String(_)) => KeyType::String,
        }
    }

    /// KEYS: every key matching the glob `pattern` (Redis's `stringmatchlen`), in no
    /// particular order.
    pub fn keys(&self, pattern: &[u8]) -> Vec<Bytes> {
        let all = pattern == b"*";
        self.keys
            .keys()
            .filter(|k| all || glob::matches(pattern, &k.0))
            .map(|k| k.0.clone())
            .collect()
    }

    /// FLUSHALL / FLUSHDB: removes every key.
    pub fn flush(&mut self) {
        if !self.signals.idle() {
            let streams: Vec<Bytes> = self
                .keys
                .iter()
                .filter(|(_, v)| matches!(v, Value::Stream(_)))
                .map(|(k, _)| k.0.clone())
                .collect();
            for k in streams {
                self.signals.raise(&k, Signal::Gone);
            }
        }
        if !self.watched.is_empty() {
            let keys = &self.keys;
            for (k, e) in self.watched.iter_mut() {
                if keys.contains_key(&k.0[..]) {
                    e.1 += 1;
                }
            }
        }
        self.add_dirty(self.keys.len() as u64);
        self.keys.clear();
        self.expiry.reset();
        self.entries = 0;
        self.bytes = 0;
        self.heap = 0;
    }

    /// SET: stores a string, replacing any value.
    pub fn set(&mut self, key: &[u8], value: Bytes) {
        self.remove_keys(&[key]);
        self.add_dirty(1);
        let value = Value::String(value);
        self.account(Usage::ZERO, key_usage(key, &value));
        self.keys.insert(Key::from(key), value);
        self.touch(key);
    }

    /// GET: the string at `key`; WRONGTYPE for a stream.
    pub fn get(&self, key: &[u8]) -> Result<Option<Bytes>, Error> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(Value::String(v)) => Ok(Some(v.clone())),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// Heap bytes used by `key` and its value, counted from the real allocations (node
    /// buffers, index, key); `None` for a missing key. Redis's MEMORY USAGE samples, so
    /// the two are comparable but not equal.
    ///
    /// For a stream this counts its node buffers and node index, its groups (PEL
    /// entries, the PEL's time index once built, consumers) and its IDMP producers and
    /// IIDs; for a string its bytes; for both the key's name and its table slot. From
    /// counters kept with every change: O(1), no sampling. Mirrors Redis's
    /// `MEMORY USAGE key`.
    pub fn memory_usage(&self, key: &[u8]) -> Option<usize> {
        let (k, v) = self.keys.get_key_value(key)?;
        usize::try_from(key_usage(&k.0, v).heap).ok()
    }

    /// Checks every stream's invariants and the usage counters (entries, node bytes,
    /// and [`Keyspace::used_memory`] against the sum of [`Keyspace::memory_usage`]).
    pub fn check(&self) -> Result<(), alloc::string::String> {
        let mut entries = 0;
        let mut bytes = 0;
        let heap: u64 = self.keys.iter().map(|(k, v)| key_usage(&k.0, v).heap).sum();
        if heap != self.heap {
            return Err(alloc::format!(
                "used_memory counted {} but the keys hold {heap}",
                self.heap
            ));
        }
        for (k, v) in &self.keys {
            if let Value::Stream(s) = v {
                s.check().map_err(|e| {
                    alloc::format!("{}: {e}", alloc::string::String::from_utf8_lossy(&k.0))
                })?;
                entries += s.len();
                bytes += s.tree().heap_bytes_of_nodes() as u64;
            }
        }
        if (entries, bytes) != (self.entries, self.bytes) {
            return Err(alloc::format!(
                "usage counters {}/{} but streams hold {entries}/{bytes}",
                self.entries,
                self.bytes
            ));
        }
        Ok(())
    }
}

/// `count` as a `usize` limit where 0 means "no limit".
pub(crate) fn count_limit(count: Option<u64>) -> usize {
    count.map_or(0, |c| usize::try_from(c).unwrap_or(usize::MAX))
}

/// The concrete ID an XREAD argument means for this stream (reference §10.1).
fn resolve_read_id(s: Option<&Stream>, id: XReadId) -> StreamId {
    match id {
        XReadId::After(id) => id,
        XReadId::Last => s.map_or(StreamId::MIN, Stream::last_id),
        XReadId::LastEntry => s
            .and_then(Stream::last_live_id)
            .and_then(|id| id.prev())
            .unwrap_or(StreamId::MIN),
    }
}

/// A value's share of the usage counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Usage {
    /// Live stream entries.
    entries: u64,
    /// Stream node buffer bytes.
    nodes: u64,
    /// Heap bytes ([`Keyspace::memory_usage`]).
    heap: u64,
}

impl Usage {
    const ZERO: Usage = Usage {
        entries: 0,
        nodes: 0,
        heap: 0,
    };

    /// A key's name and table slot, without its value.
    fn key_only(key: &[u8]) -> Usage {
        Usage {
            heap: (key.len() + core::mem::size_of::<(Key, Value)>()) as u64,
            ..Usage::ZERO
        }
    }
}

/// A stream's share of the usage counters, without its key.
fn usage(s: &Stream) -> Usage {
    Usage {
        entries: s.len(),
        nodes: s.tree().heap_bytes_of_nodes() as u64,
        heap: (core::mem::size_of::<Stream>() + s.heap_bytes()) as u64,
    }
}

/// The usage of the stream `s` stored at `key`, its name and slot included.
fn stream_key_usage(key: &[u8], s: &Stream) -> Usage {
    let u = usage(s);
    Usage {
        heap: u.heap + Usage::key_only(key).heap,
        ..u
    }
}

/// A key's share of the usage counters: its value's and its own name and slot.
fn key_usage(key: &[u8], v: &Value) -> Usage {
    match v {
        Value::Stream(s) => stream_key_usage(key, s),
        Value::String(b) => {
            let k = Usage::key_only(key);
            Usage {
                heap: k.heap + b.len() as u64,
                ..k
            }
        }
    }
}

pub(crate) fn summary(s: &Stream, now: u64) -> StreamSummary {
    let (idmp_duration, idmp_maxsize) = s.idmp().settings();
    let (pids_tracked, iids_tracked, iids_added, iids_duplicates) = s.idmp().counters(now);
    StreamSummary {
        length: s.len(),
        radix_tree_keys: s.radix_tree_keys(),
        radix_tree_nodes: s.radix_tree_nodes(),
        last_generated_id: s.last_id(),
        max_deleted_entry_id: s.max_deleted_id(),
        entries_added: s.entries_added(),
        recorded_first_entry_id: s.first_id(),
        idmp_duration,
        idmp_maxsize,
        pids_tracked,
        iids_tracked,
        iids_added,
        iids_duplicates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sum of `memory_usage` over the keys, computed from scratch.
    fn summed(ks: &Keyspace) -> u64 {
        ks.keys(b"*")
            .iter()
            .filter_map(|k| ks.memory_usage(k))
            .map(|n| n as u64)
            .sum()
    }

    /// `used_memory` follows every kind of write exactly: after each command it equals
    /// the sum of `memory_usage` over the keys (and `check` agrees), it grows with what
    /// groups, PELs, consumers and IDMP state add and falls back when they go.
    #[test]
    fn used_memory_is_the_sum_of_memory_usage_after_every_write() {
        let mut ks = Keyspace::new();
        let now = core::cell::Cell::new(1_700_000_000_000u64);
        let run = |ks: &mut Keyspace, argv: &[&str]| {
            now.set(now.get() + 10);
            let r = ks.execute_str(argv, now.get());
            assert!(!matches!(r, crate::Reply::Error(_)), "{argv:?}: {r:?}");
            ks.check().unwrap_or_else(|e| panic!("after {argv:?}: {e}"));
            assert_eq!(ks.used_memory(), summed(ks), "after {argv:?}");
            ks.used_memory()
        };
        assert_eq!(ks.used_memory(), 0);
        run(&mut ks, &["SET", "str", "some bytes"]);
        run(&mut ks, &["INCR", "n"]);
        run(&mut ks, &["SET", "gone", "x", "PX", "5"]);
        for i in 0..300 {
            let v = alloc::format!("value {i}");
            run(&mut ks, &["XADD", "s", "*", "f", &v]);
        }
        let plain = run(&mut ks, &["SET", "str", "other"]);
        let grouped = run(&mut ks, &["XGROUP", "CREATE", "s", "g", "0"]);
        assert!(grouped > plain, "a group costs something");
        run(&mut ks, &["XGROUP", "CREATECONSUMER", "s", "g", "idle"]);
        let read = run(
            &mut ks,
            &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
        );
        assert!(
            read >= grouped + 300 * 16,
            "300 pending entries: {grouped} -> {read}"
        );
        run(&mut ks, &["XCLAIM", "s", "g", "bob", "0", "0-1", "1-0"]);
        run(
            &mut ks,
            &["XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "50"],
        );
        run(
            &mut ks,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "dave",
                "CLAIM",
                "0",
                "COUNT",
                "5",
                "STREAMS",
                "s",
                ">",
            ],
        );
        run(&mut ks, &["XACK", "s", "g", "0-1", "1-0"]);
        run(&mut ks, &["XGROUP", "DELCONSUMER", "s", "g", "carol"]);
        run(&mut ks, &["XGROUP", "SETID", "s", "g", "$"]);
        run(&mut ks, &["XDEL", "s", "0-1"]);
        run(&mut ks, &["XTRIM", "s", "MAXLEN", "100"]);
        let before_idmp = run(&mut ks, &["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"]);
        for i in 0..50 {
            let iid = alloc::format!("iid-{i}");
            run(
                &mut ks,
                &["XADD", "t", "IDMP", "producer", &iid, "*", "f", "v"],
            );
        }
        let with_idmp = run(
            &mut ks,
            &["XADD", "t", "IDMP", "producer", "iid-0", "*", "f", "v"],
        );
        assert!(with_idmp > before_idmp + 50 * 4, "IDMP state is counted");
        run(&mut ks, &["XCFGSET", "t", "IDMP-DURATION", "5"]);
        // The IIDs expire on the stream's next IDMP use (5 s on).
        now.set(now.get() + 10_000);
        run(&mut ks, &["XADD", "t", "IDMPAUTO", "other", "*", "f", "v"]);
        run(&mut ks, &["RENAME", "t", "u"]);
        run(&mut ks, &["RENAME", "str", "u"]);
        let destroyed = run(&mut ks, &["XGROUP", "DESTROY", "s", "g"]);
        assert!(destroyed < read, "destroying the group gives its PEL back");
        ks.expire_due(now.get() + 1);
        ks.check().expect("after expiry");
        assert_eq!(ks.used_memory(), summed(&ks), "after expiry");
        run(&mut ks, &["DEL", "s"]);
        run(&mut ks, &["FLUSHALL"]);
        assert_eq!(ks.used_memory(), 0);
    }
}
