//! The keyspace's door: the key map and everything a write keeps in step with it.
//!
//! [`Keyspace`] owns its map and its invariants. A change inside a stream goes through
//! [`Keyspace::write_stream`], a key appearing, vanishing or changing type through
//! [`Keyspace::write_keys`]; each applies, in the same step as the change, the memory
//! accounting, WATCH versions, wake-up signals, Redis's `dirty` count and the
//! recorded effects. The typed commands (the sibling files) use only these doors and
//! the read accessors.

use alloc::boxed::Box;
use alloc::vec::Vec;

use core::borrow::Borrow;

use bytes::Bytes;
use hashbrown::hash_map::EntryRef;
use hashbrown::HashMap;

use super::expiry::Expiry;
use super::signals::{Signal, Signals};
use crate::error::Error;
use crate::log::idmp;
use crate::log::node::NodeLimits;
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
    /// The type of `value`.
    pub(crate) fn of(value: &Value) -> KeyType {
        match value {
            Value::Stream(_) => KeyType::Stream,
            Value::String(_) => KeyType::String,
        }
    }

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

/// Named streams and strings: the one owner of the key map and of everything a write
/// must keep in step with it.
///
/// Its fields are private to this file. Every change goes through one of two doors —
/// `Keyspace::write_stream` for a change inside one stream, `Keyspace::write_keys`
/// for keys that appear, vanish or change type — and each door, in the same step,
/// keeps the memory counters, bumps WATCH versions, raises the signals that wake
/// blocked readers, counts `dirty` and records the commands Redis would propagate (see
/// [`Keyspace::record_effects`]). The typed commands in the sibling files are written
/// against these doors only.
#[derive(Clone, Debug, Default)]
pub struct Keyspace {
    keys: HashMap<Key, Value>,
    config: Config,
    /// Usage of all keys together (see [`Keyspace::used_memory`]).
    usage: Usage,
    /// Keys readers are blocked on, and the signals raised on them.
    signals: Signals,
    /// Expiry times (SET … PX and friends).
    expiry: Expiry,
    /// Keys under WATCH: how many watchers, and a version bumped whenever Redis would
    /// signal the key as modified.
    watched: HashMap<Key, (u32, u64)>,
    /// Changes made, as Redis's `server.dirty` counts them (see [`Keyspace::dirty`]).
    dirty: u64,
    /// The commands the writes would propagate, when recording.
    effects: Option<Vec<Argv>>,
    /// Replaying propagated commands (see [`Keyspace::set_replaying`]).
    replaying: bool,
    /// Writes refused with this error (the append-only file cannot be written; see
    /// [`Keyspace::refuse_writes`]).
    refused: Option<Error>,
}

/// One command as an argument vector (`argv[0]` the name), as Redis propagates it.
pub type Argv = Vec<Bytes>;

/// What a write declares as it changes the keyspace: how many changes Redis would
/// count, and the commands Redis would propagate for it. The door that handed it out
/// applies it when the write ends.
#[derive(Debug, Default)]
pub(crate) struct Write {
    dirty: u64,
    recording: bool,
    effects: Vec<Argv>,
}

impl Write {
    /// Counts `n` changes (Redis's `server.dirty`).
    #[inline]
    pub(crate) fn dirty(&mut self, n: u64) {
        self.dirty = self.dirty.saturating_add(n);
    }

    /// Records `argv` as propagated by this write (dropped unless recording).
    pub(crate) fn propagate(&mut self, argv: Argv) {
        if self.recording {
            self.effects.push(argv);
        }
    }
}

/// A write inside one stream ([`Keyspace::write_stream`]): the changes it counts, the
/// effects it records (straight into the keyspace's log, when recording) and what
/// Redis signals about the key.
#[derive(Debug)]
pub(crate) struct StreamWrite<'a> {
    dirty: u64,
    log: Option<&'a mut Vec<Argv>>,
    modified: bool,
    ready: bool,
    created: bool,
}

impl StreamWrite<'_> {
    /// Counts `n` changes.
    #[inline]
    pub(crate) fn dirty(&mut self, n: u64) {
        self.dirty = self.dirty.saturating_add(n);
    }

    /// Whether effects are recorded.
    #[inline]
    pub(crate) fn recording(&self) -> bool {
        self.log.is_some()
    }

    /// Records `argv` as propagated.
    pub(crate) fn propagate(&mut self, argv: Argv) {
        if let Some(log) = &mut self.log {
            log.push(argv);
        }
    }

    /// The key changed as WATCH sees it (Redis's `signalModifiedKey`).
    #[inline]
    pub(crate) fn modified(&mut self) {
        self.modified = true;
    }

    /// Readers blocked on the key re-run (Redis's `signalKeyAsReady`).
    #[inline]
    pub(crate) fn ready(&mut self) {
        self.ready = true;
    }

    /// Whether this write created the stream.
    pub(crate) fn created(&self) -> bool {
        self.created
    }
}

/// The door for key-level changes ([`Keyspace::write_keys`]): values that appear,
/// vanish or are replaced, and expiry times. Removing or inserting a key keeps the
/// counters, WATCH versions and signals in the same step.
pub(crate) struct KeyWrites<'a> {
    ks: &'a mut Keyspace,
    write: Write,
}

impl KeyWrites<'_> {
    /// Counts `n` changes.
    pub(crate) fn dirty(&mut self, n: u64) {
        self.write.dirty(n);
    }

    /// Whether effects are recorded.
    pub(crate) fn recording(&self) -> bool {
        self.write.recording
    }

    /// Records `argv` as propagated.
    pub(crate) fn propagate(&mut self, argv: Argv) {
        self.write.propagate(argv);
    }

    /// Removes `key` with its expiry time: the counters follow, WATCH sees it
    /// modified, readers blocked on a stream there re-run as after a DEL.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let removed = self.ks.keys.remove(key)?;
        self.ks.expiry.clear(key);
        self.ks.touch(key);
        self.ks.account(key_usage(key, &removed), Usage::ZERO);
        if let Value::Stream(_) = &removed {
            self.ks.signals.raise(key, Signal::Gone);
        }
        Some(removed)
    }

    /// Stores `value` at `key`, replacing what was there (as [`KeyWrites::remove`]
    /// does); WATCH sees it modified. A stream stored wakes readers blocked on the
    /// key; a stream replaced by a string wakes group readers (to answer WRONGTYPE).
    pub(crate) fn insert(&mut self, key: &[u8], value: Value) {
        let replaced = self.remove(key);
        let stream = matches!(value, Value::Stream(_));
        self.ks.account(Usage::ZERO, key_usage(key, &value));
        self.ks.keys.insert(Key::from(key), value);
        self.ks.touch(key);
        if stream {
            self.ks.signals.raise(key, Signal::Data);
        } else if matches!(replaced, Some(Value::Stream(_))) {
            self.ks.signals.raise(key, Signal::Gone);
        }
    }

    /// `key`'s expiry time.
    pub(crate) fn expiry(&self, key: &[u8]) -> Option<u64> {
        self.ks.expiry.get(key)
    }

    /// Sets `key`'s expiry time (the key must exist).
    pub(crate) fn set_expiry(&mut self, key: &[u8], at: u64) {
        if self.ks.keys.contains_key(key) {
            self.ks.expiry.set(key, at);
        }
    }

    /// The first key whose expiry time is at or before `now`, forgotten by the index.
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<Bytes> {
        self.ks.expiry.pop_due(now)
    }

    /// Removes every key (FLUSHALL/FLUSHDB): each stream's readers re-run as after a
    /// DEL, each watched key that existed is modified. How many keys there were.
    pub(crate) fn clear(&mut self) -> u64 {
        let ks = &mut *self.ks;
        if !ks.signals.idle() {
            for (k, v) in &ks.keys {
                if let Value::Stream(_) = v {
                    ks.signals.raise(&k.0, Signal::Gone);
                }
            }
        }
        if !ks.watched.is_empty() {
            let keys = &ks.keys;
            for (k, e) in ks.watched.iter_mut() {
                if keys.contains_key(&k.0[..]) {
                    e.1 += 1;
                }
            }
        }
        let n = ks.keys.len() as u64;
        ks.keys.clear();
        ks.expiry.reset();
        ks.usage = Usage::ZERO;
        n
    }
}

impl Keyspace {
    /// An empty keyspace with default settings.
    pub fn new() -> Keyspace {
        Keyspace::default()
    }

    /// An empty keyspace with `config`.
    pub fn with_config(config: Config) -> Keyspace {
        Keyspace {
            config,
            ..Keyspace::default()
        }
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

    /// How many changes the writes on this keyspace made, counted as Redis counts them
    /// in `server.dirty` (INFO's `rdb_changes_since_last_save`), per command: XADD 1
    /// (an IDMP duplicate too); XDEL, XTRIM, XDELEX, DEL and FLUSHALL/FLUSHDB one per
    /// entry or key removed; XACK and XACKDEL one per ID acknowledged; XSETID, XGROUP
    /// CREATE/SETID, XIDMPRECORD (a new record), SET and INCR 1; XGROUP DESTROY,
    /// CREATECONSUMER, DELCONSUMER and XCFGSET 1 when they changed something; RENAME 1
    /// when a key moved; COPY 1 when it copied; XREADGROUP 1 per consumer it created
    /// plus 1 per stream it
    /// served from `>`; XCLAIM and XAUTOCLAIM 1 for a consumer they created, 1 per entry
    /// claimed and 1 per pending entry dropped because its entry is gone (XCLAIM: 1 for
    /// a LASTID that moved the group when nothing else changed). Reads, failed commands
    /// and expiry add nothing. It only grows; a server sums it over its databases.
    pub fn dirty(&self) -> u64 {
        self.dirty
    }

    /// Starts (`true`) or stops recording the effect of every write: the commands Redis
    /// would propagate to its AOF and replicas for it — XADD with the ID it generated
    /// and an exact trim, XCLAIM … FORCE JUSTID for each entry XREADGROUP, XCLAIM or
    /// XAUTOCLAIM handed over, XGROUP SETID for a group's moved position, DEL for a key
    /// that expired, and the command itself where Redis propagates it unchanged.
    /// Replaying them on an empty keyspace rebuilds this one. Off by default (nothing is
    /// built then); stopping drops what was not taken.
    pub fn record_effects(&mut self, on: bool) {
        self.effects = if on { Some(Vec::new()) } else { None };
    }

    /// The effects recorded since the last call, oldest first (empty when not
    /// recording).
    pub fn take_effects(&mut self) -> Vec<Argv> {
        match &mut self.effects {
            Some(e) => core::mem::take(e),
            None => Vec::new(),
        }
    }

    /// Marks this keyspace as replaying propagated commands (loading an append-only
    /// file), which may carry what only Redis's own propagation sends — XADD with IDMP
    /// and the ID it generated — as Redis accepts them from its AOF and its master.
    pub fn set_replaying(&mut self, on: bool) {
        self.replaying = on;
    }

    /// Whether the keyspace is replaying propagated commands.
    pub fn replaying(&self) -> bool {
        self.replaying
    }

    /// Refuses every write command with `error` (Redis's `MISCONF` while its
    /// append-only file cannot be written), or accepts them again (`None`). Reads keep
    /// working; expiry goes on (its deletions wait in the file's buffer).
    pub fn refuse_writes(&mut self, error: Option<Error>) {
        self.refused = error;
    }

    /// Whether writes are refused, and with what.
    pub fn writes_refused(&self) -> Option<&Error> {
        self.refused.as_ref()
    }

    /// `Ok` unless writes are refused ([`Keyspace::refuse_writes`]): every write
    /// command checks it before it changes anything.
    #[inline]
    pub(crate) fn check_writable(&self) -> Result<(), Error> {
        match &self.refused {
            None => Ok(()),
            Some(e) => Err(e.clone()),
        }
    }

    /// A fresh write record.
    #[inline]
    fn begin(&self) -> Write {
        Write {
            recording: self.effects.is_some(),
            ..Write::default()
        }
    }

    /// Applies a finished write's count and effects.
    #[inline]
    fn finish(&mut self, w: Write) {
        self.dirty = self.dirty.saturating_add(w.dirty);
        if w.recording {
            self.append_effects(w.effects);
        }
    }

    #[cold]
    fn append_effects(&mut self, effects: Vec<Argv>) {
        if let Some(log) = &mut self.effects {
            log.extend(effects);
        }
    }

    /// The door for a change inside the stream at `key`: runs `f` on it and, in the
    /// same step, keeps the usage counters and applies what `f` declared on the
    /// [`StreamWrite`] (changes counted, WATCH, readers woken, effects). With `create`,
    /// a missing key gets a new empty stream first (with the configured IDMP settings);
    /// without it a missing key runs nothing (`Ok(None)`). WRONGTYPE for a string.
    #[inline]
    pub(crate) fn write_stream<T>(
        &mut self,
        key: &[u8],
        create: bool,
        f: impl FnOnce(&mut Stream, &mut StreamWrite<'_>) -> T,
    ) -> Result<Option<T>, Error> {
        let (d, m) = (self.config.idmp_duration, self.config.idmp_maxsize);
        let mut w = StreamWrite {
            dirty: 0,
            log: self.effects.as_mut(),
            modified: false,
            ready: false,
            created: false,
        };
        let (stream, before) = match self.keys.entry_ref(key) {
            EntryRef::Occupied(o) => match o.into_mut() {
                Value::Stream(s) => {
                    let before = stream_key_usage(key, s);
                    (s, before)
                }
                Value::String(_) => return Err(Error::WrongType),
            },
            EntryRef::Vacant(_) if !create => return Ok(None),
            EntryRef::Vacant(v) => {
                w.created = true;
                match v.insert(Value::Stream(Box::new(Stream::with_idmp(d, m)))) {
                    Value::Stream(s) => (s, Usage::ZERO),
                    Value::String(_) => return Err(Error::WrongType),
                }
            }
        };
        let out = f(stream, &mut w);
        let after = stream_key_usage(key, stream);
        let StreamWrite {
            dirty,
            modified,
            ready,
            ..
        } = w;
        self.account(before, after);
        self.dirty = self.dirty.saturating_add(dirty);
        if modified {
            self.touch(key);
        }
        if ready && !self.signals.idle() {
            self.signals.raise(key, Signal::Data);
        }
        Ok(Some(out))
    }

    /// The door for key-level changes: runs `f` with a [`KeyWrites`] handle and applies
    /// its record when `f` returns.
    pub(crate) fn write_keys<T>(&mut self, f: impl FnOnce(&mut KeyWrites<'_>) -> T) -> T {
        let write = self.begin();
        let mut kw = KeyWrites { ks: self, write };
        let out = f(&mut kw);
        let write = core::mem::take(&mut kw.write);
        self.finish(write);
        out
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
        self.usage.entries
    }

    /// Bytes of node storage in all streams (node buffers, not the index).
    pub fn used_bytes(&self) -> u64 {
        self.usage.nodes
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
        self.usage.heap
    }

    /// Number of keys (DBSIZE).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key exists.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// A copy of every key that has not expired by `now`: its value and its expiry
    /// time. What a rewrite of the append-only file writes out, taken under the engine
    /// lock: streams are cheap to copy (sealed nodes are shared, not copied).
    pub(crate) fn snapshot(&self, now: u64) -> Vec<(Bytes, Value, Option<u64>)> {
        self.keys
            .iter()
            .filter_map(|(k, v)| {
                let at = self.expiry.get(&k.0);
                match at {
                    Some(at) if at <= now => None,
                    _ => Some((k.0.clone(), v.clone(), at)),
                }
            })
            .collect()
    }

    /// The value at `key`.
    pub(crate) fn value(&self, key: &[u8]) -> Option<&Value> {
        self.keys.get(key)
    }

    /// Every key with its value, in no particular order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&Bytes, &Value)> {
        self.keys.iter().map(|(k, v)| (&k.0, v))
    }

    /// The stream at `key`: `Ok(None)` if missing, WRONGTYPE if not a stream.
    pub fn stream(&self, key: &[u8]) -> Result<Option<&Stream>, Error> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(Value::Stream(s)) => Ok(Some(s)),
            Some(_) => Err(Error::WrongType),
        }
    }

    /// Moves the usage counters from a value's `before` usage to its `after` usage.
    #[inline]
    fn account(&mut self, before: Usage, after: Usage) {
        let u = &mut self.usage;
        u.entries = u.entries + after.entries - before.entries;
        u.nodes = u.nodes + after.nodes - before.nodes;
        u.heap = u.heap + after.heap - before.heap;
    }

    /// Whether a command marked `denyoom` in Redis may run now (the caps are not
    /// reached); otherwise Redis's OOM error.
    pub fn check_oom(&self) -> Result<(), Error> {
        if self
            .config
            .max_entries
            .is_some_and(|cap| self.usage.entries >= cap)
            || self
                .config
                .max_bytes
                .is_some_and(|cap| self.usage.heap >= cap)
        {
            return Err(Error::OutOfMemory);
        }
        Ok(())
    }

    /// Keys readers are blocked on and the signals raised since the engine last
    /// served its waiters: the blocked-reader registry registers interest here and
    /// takes the signals.
    pub(crate) fn signals_mut(&mut self) -> &mut Signals {
        &mut self.signals
    }

    /// The wake-up signals, to read.
    pub(crate) fn signals(&self) -> &Signals {
        &self.signals
    }

    /// Whether signals wait to be served (read without taking them).
    pub(crate) fn signals_pending(&self) -> bool {
        self.signals.pending()
    }

    /// How many keys have an expiry time (INFO keyspace's `expires`).
    pub fn expiring_keys(&self) -> usize {
        self.expiry.len()
    }

    /// `key`'s expiry time.
    pub(crate) fn expiry_of(&self, key: &[u8]) -> Option<u64> {
        self.expiry.get(key)
    }

    /// Whether any key has an expiry time (one comparison: the hot path of every
    /// command checks it).
    #[inline]
    pub(crate) fn has_expiring_keys(&self) -> bool {
        !self.expiry.is_empty()
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
    /// a stream created by XGROUP CREATE … MKSTREAM, SET, INCR…, DEL, RENAME, COPY (its
    /// destination), expiry,
    /// FLUSHDB/FLUSHALL of an existing key). `None` when nobody watches it.
    pub fn key_version(&self, key: &[u8]) -> Option<u64> {
        self.watched.get(key).map(|e| e.1)
    }

    /// Marks `key` modified for its watchers.
    #[inline]
    fn touch(&mut self, key: &[u8]) {
        if !self.watched.is_empty() {
            if let Some(e) = self.watched.get_mut(key) {
                e.1 += 1;
            }
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
        if heap != self.usage.heap {
            return Err(alloc::format!(
                "used_memory counted {} but the keys hold {heap}",
                self.usage.heap
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
        if (entries, bytes) != (self.usage.entries, self.usage.nodes) {
            return Err(alloc::format!(
                "usage counters {}/{} but streams hold {entries}/{bytes}",
                self.usage.entries,
                self.usage.nodes
            ));
        }
        Ok(())
    }
}

/// A value's share of the usage counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
