//! A consumer group (Redis's `streamCG`): where the group has read up to, how many
//! entries it has read, its pending entries list and its consumers.
//!
//! Everything that changes the PEL goes through [`Group`]'s methods, which keep each
//! consumer's pending count in step (checked by [`Group::check`]).
//! The commands that read entries (XREADGROUP, XCLAIM, XAUTOCLAIM) live in
//! `stream/read_group.rs` and `stream/claim.rs`, on [`crate::frontend::Stream`], because they need the entries.
//!
//! Consumers live in slots; a pending entry names its owner by slot number
//! ([`ConsumerId`]), so delivering and acknowledging never compare or copy names.
//! A consumer's name is held once, in its slot (inline up to 22 bytes). Two indexes
//! hold only slot numbers and read the names from the slots: a hash table finds a name
//! in O(1) (every XREADGROUP, XCLAIM and XAUTOCLAIM), and a sorted list keeps Redis's
//! bytewise order, so listings (XINFO CONSUMERS, the XPENDING summary, XINFO STREAM
//! FULL) walk it with no sorting. A consumer costs its 48-byte slot, 5 to 10 bytes of
//! hash table and 4 to 8 of sorted list: about 66 bytes for a million consumers,
//! against about 115 (MEMORY USAGE) to 124 (RSS) for Redis 8.6.3 (its
//! `streamConsumer`, name, PEL radix tree and entry in the group's radix tree).
//!
//! A consumer's own PEL is the group PEL filtered by owner. Redis keeps a second radix
//! tree per consumer; brook measured that index at a quarter of the cost of every
//! delivery and acknowledgement (a second ordered insert and remove per message) and
//! keeps only a count: the queries that need one consumer's entries in ID order
//! (history reads, XPENDING with a consumer, XINFO STREAM FULL, DELCONSUMER) walk the
//! group PEL from their start ID instead. They are the rare ones — a worker reads its
//! history once after a restart — while `>` and XACK run for every message.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

use bytes::Bytes;

use crate::group::pel::{Nack, Pel, Placement};
use crate::id::StreamId;

pub use crate::group::pel::ConsumerId;

/// The longest consumer name held inside its slot; longer names take one heap block.
const INLINE_NAME: usize = 22;

/// A consumer's name, held once, in the consumer's slot: names of up to
/// 22 bytes (the usual `worker-17`, `host:pid`) are stored inline,
/// longer ones in one exact-size heap block. Reads as the name's bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsumerName(NameRepr);

/// How a [`ConsumerName`] holds its bytes.
#[derive(Clone, PartialEq, Eq)]
enum NameRepr {
    /// `buf[..len]` is the name.
    Inline { len: u8, buf: [u8; INLINE_NAME] },
    /// A name longer than [`INLINE_NAME`] bytes.
    Heap(Box<[u8]>),
}

impl ConsumerName {
    /// The name `bytes`.
    pub fn new(bytes: &[u8]) -> ConsumerName {
        match u8::try_from(bytes.len()) {
            Ok(len) if bytes.len() <= INLINE_NAME => {
                let mut buf = [0; INLINE_NAME];
                buf[..bytes.len()].copy_from_slice(bytes);
                ConsumerName(NameRepr::Inline { len, buf })
            }
            _ => ConsumerName(NameRepr::Heap(Box::from(bytes))),
        }
    }

    /// The name's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            NameRepr::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or(buf),
            NameRepr::Heap(b) => b,
        }
    }

    /// The name as [`Bytes`] (a copy), for replies.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }

    /// Heap bytes the name holds besides its slot (0 for an inline name).
    fn heap_len(&self) -> usize {
        match &self.0 {
            NameRepr::Inline { .. } => 0,
            NameRepr::Heap(b) => b.len(),
        }
    }
}

impl Default for ConsumerName {
    fn default() -> ConsumerName {
        ConsumerName::new(b"")
    }
}

impl core::ops::Deref for ConsumerName {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for ConsumerName {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq<[u8]> for ConsumerName {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl core::fmt::Debug for ConsumerName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&Bytes::copy_from_slice(self.as_bytes()), f)
    }
}

/// `active_time` of a consumer never active (Redis's `-1`).
const NEVER: u64 = u64::MAX;

/// One consumer of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    /// The consumer's name.
    pub name: ConsumerName,
    /// Unix ms of the consumer's last attempted interaction (XINFO CONSUMERS `idle`).
    pub seen_time: u64,
    /// Unix ms of the consumer's last successful delivery or claim, or [`NEVER`]
    /// (read through [`Consumer::active_time`]).
    active: u64,
    /// How many entries of the group PEL this consumer owns.
    pub pending: u64,
}

// A consumer is 48 bytes, and a free slot costs no more than a used one.
const _: () = assert!(core::mem::size_of::<Consumer>() == 48);
const _: () = assert!(core::mem::size_of::<Option<Consumer>>() == 48);

impl Consumer {
    fn new(name: &[u8], now: u64) -> Consumer {
        Consumer {
            name: ConsumerName::new(name),
            seen_time: now,
            active: NEVER,
            pending: 0,
        }
    }

    /// Unix ms of the consumer's last successful delivery or claim (`inactive`);
    /// `None` until the first (Redis shows `-1`).
    pub fn active_time(&self) -> Option<u64> {
        (self.active != NEVER).then_some(self.active)
    }
}

/// The name in slot `id` (empty for a free or missing slot).
fn name_of(slots: &[Option<Consumer>], id: ConsumerId) -> &[u8] {
    slots
        .get(id as usize)
        .and_then(Option::as_ref)
        .map_or(&[], |c| c.name.as_bytes())
}

/// The name hash index: slot numbers in a hash table keyed by the names in the slots
/// (4 bytes and a control byte a bucket; the names are not copied). The hasher is
/// seeded at random per group, like the IDMP maps', so that names chosen to collide
/// cannot be precomputed (hash flooding).
#[derive(Clone, Debug, Default)]
struct ByName {
    table: hashbrown::HashTable<ConsumerId>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl ByName {
    fn hash(&self, name: &[u8]) -> u64 {
        core::hash::BuildHasher::hash_one(&self.hasher, name)
    }

    /// The slot of `name`.
    fn get(&self, slots: &[Option<Consumer>], name: &[u8]) -> Option<ConsumerId> {
        self.table
            .find(self.hash(name), |&id| name_of(slots, id) == name)
            .copied()
    }

    /// Adds slot `id`, whose consumer is in `slots` already under a name not hashed.
    fn insert(&mut self, slots: &[Option<Consumer>], id: ConsumerId) {
        let hash = self.hash(name_of(slots, id));
        let hasher = &self.hasher;
        self.table.insert_unique(hash, id, |&id| {
            core::hash::BuildHasher::hash_one(hasher, name_of(slots, id))
        });
    }

    /// Removes `name` (still in its slot); its slot, if it was there.
    fn remove(&mut self, slots: &[Option<Consumer>], name: &[u8]) -> Option<ConsumerId> {
        let hash = self.hash(name);
        let entry = self
            .table
            .find_entry(hash, |&id| name_of(slots, id) == name)
            .ok()?;
        Some(entry.remove().0)
    }
}

/// Most slots in one chunk of a [`NameIndex`] (small under test, so that the model
/// tests split and merge chunks).
const CHUNK: usize = if cfg!(test) { 4 } else { 256 };

/// The name index: the consumers' slots in bytewise name order, in sorted chunks of
/// at most [`CHUNK`] slots (a two-level sorted list). A name is found by two binary
/// searches — over the chunks' last names, then in one chunk — reading the names from
/// the slots, so the index holds only 4-byte slot numbers (chunks are at least half
/// full after a split): lookups and changes are O(log n) name comparisons plus a move
/// of at most one chunk, and listings walk it in order with no sorting.
#[derive(Debug, Default)]
struct NameIndex {
    chunks: Vec<Vec<ConsumerId>>,
    /// How many slots the chunks hold.
    len: usize,
    /// The chunks' capacities summed (kept with every change: [`NameIndex::heap_bytes`]
    /// is O(1)).
    cap: usize,
}

impl NameIndex {
    /// Where `name` is: `Ok((chunk, position))`, or `Err` with where it would go.
    fn find(
        &self,
        slots: &[Option<Consumer>],
        name: &[u8],
    ) -> Result<(usize, usize), (usize, usize)> {
        let Some(last) = self.chunks.len().checked_sub(1) else {
            return Err((0, 0));
        };
        let ci = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|&id| name_of(slots, id) < name))
            .min(last);
        let chunk = self.chunks.get(ci).map_or(&[][..], Vec::as_slice);
        match chunk.binary_search_by(|&id| name_of(slots, id).cmp(name)) {
            Ok(p) => Ok((ci, p)),
            Err(p) => Err((ci, p)),
        }
    }

    /// The slot of `name`.
    fn get(&self, slots: &[Option<Consumer>], name: &[u8]) -> Option<ConsumerId> {
        let (ci, p) = self.find(slots, name).ok()?;
        self.chunks.get(ci)?.get(p).copied()
    }

    /// The capacities of chunks `lo..hi` (those that exist) summed.
    fn caps(&self, lo: usize, hi: usize) -> usize {
        self.chunks
            .get(lo..hi.min(self.chunks.len()))
            .map_or(0, |w| w.iter().map(Vec::capacity).sum())
    }

    /// Heap bytes of the index: its chunks and the list of them.
    fn heap_bytes(&self) -> usize {
        self.chunks.capacity() * core::mem::size_of::<Vec<ConsumerId>>()
            + self.cap * core::mem::size_of::<ConsumerId>()
    }

    /// Adds slot `id`, whose consumer is in `slots` already under a name not indexed.
    fn insert(&mut self, slots: &[Option<Consumer>], id: ConsumerId) {
        let Err((ci, pos)) = self.find(slots, name_of(slots, id)) else {
            return;
        };
        self.len += 1;
        // The change touches chunk `ci` and may add one after it.
        let (n, before) = (self.chunks.len(), self.caps(ci, ci + 1));
        self.insert_at(ci, pos, id);
        let added = self.chunks.len() - n;
        self.cap = self.cap + self.caps(ci, ci + 1 + added) - before;
    }

    fn insert_at(&mut self, ci: usize, pos: usize, id: ConsumerId) {
        let last = self.chunks.len().saturating_sub(1);
        let Some(chunk) = self.chunks.get_mut(ci) else {
            self.chunks.push(alloc::vec![id]);
            return;
        };
        if chunk.len() < CHUNK {
            chunk.insert(pos, id);
            return;
        }
        // A full chunk splits; appending past the last name (names made in order)
        // starts a new chunk instead, so that chunks filled in order stay full.
        if ci == last && pos == chunk.len() {
            let mut fresh = Vec::with_capacity(CHUNK);
            fresh.push(id);
            self.chunks.push(fresh);
            return;
        }
        let mut tail = Vec::with_capacity(CHUNK);
        tail.extend_from_slice(chunk.get(CHUNK / 2..).unwrap_or_default());
        chunk.truncate(CHUNK / 2);
        match pos.checked_sub(CHUNK / 2) {
            Some(p) => tail.insert(p, id),
            None => chunk.insert(pos, id),
        }
        self.chunks.insert(ci + 1, tail);
    }

    /// Removes `name` (still in its slot); its slot, if it was indexed.
    fn remove(&mut self, slots: &[Option<Consumer>], name: &[u8]) -> Option<ConsumerId> {
        let (ci, pos) = self.find(slots, name).ok()?;
        // The change touches chunks `ci - 1..=ci + 1` and may drop one of them.
        let lo = ci.saturating_sub(1);
        let (n, before) = (self.chunks.len(), self.caps(lo, ci + 2));
        let id = self.remove_at(ci, pos)?;
        self.len -= 1;
        let dropped = n - self.chunks.len();
        self.cap = self.cap + self.caps(lo, ci + 2 - dropped) - before;
        Some(id)
    }

    fn remove_at(&mut self, ci: usize, pos: usize) -> Option<ConsumerId> {
        let chunk = self.chunks.get_mut(ci)?;
        if pos >= chunk.len() {
            return None;
        }
        let id = chunk.remove(pos);
        let len = chunk.len();
        if len == 0 {
            self.chunks.remove(ci);
        } else if len < CHUNK / 4 {
            // A chunk under a quarter full joins a neighbour that has room, so that a
            // shrinking group gives its chunks back.
            let next = self.chunks.get(ci + 1).map(Vec::len);
            let prev = ci
                .checked_sub(1)
                .and_then(|p| self.chunks.get(p))
                .map(Vec::len);
            if next.is_some_and(|n| n + len <= CHUNK) {
                let right = self.chunks.remove(ci + 1);
                if let Some(c) = self.chunks.get_mut(ci) {
                    c.extend_from_slice(&right);
                }
            } else if prev.is_some_and(|n| n + len <= CHUNK) {
                let this = self.chunks.remove(ci);
                if let Some(c) = self.chunks.get_mut(ci - 1) {
                    c.extend_from_slice(&this);
                }
            }
        }
        Some(id)
    }

    /// The slots in name order.
    fn iter(&self) -> impl Iterator<Item = ConsumerId> + '_ {
        self.chunks.iter().flatten().copied()
    }

    /// Checks that the chunks are non-empty, within [`CHUNK`], sorted strictly by
    /// name across chunk boundaries, and that `len` counts them.
    fn check(&self, slots: &[Option<Consumer>]) -> Result<(), String> {
        if self.chunks.iter().any(|c| c.is_empty() || c.len() > CHUNK) {
            return Err("a name index chunk is empty or over size".into());
        }
        let n = self.iter().count();
        if n != self.len {
            return Err(alloc::format!(
                "name index holds {n} slots, counted {}",
                self.len
            ));
        }
        let cap = self.caps(0, self.chunks.len());
        if cap != self.cap {
            return Err(alloc::format!(
                "name index chunks have room for {cap} slots, counted {}",
                self.cap
            ));
        }
        let mut prev: Option<&[u8]> = None;
        for id in self.iter() {
            let name = name_of(slots, id);
            if prev.is_some_and(|p| p.cmp(name) != Ordering::Less) {
                return Err(alloc::format!(
                    "name index out of order at {:?}",
                    Bytes::copy_from_slice(name)
                ));
            }
            prev = Some(name);
        }
        Ok(())
    }
}

/// A consumer group of one stream.
///
/// A group that nobody has read from holds no consumer and no PEL: those live in a
/// `Members` box made with the first consumer, so a stream with many idle groups
/// costs little more than Redis's `streamCG` for each (measured: 100k groups).
#[derive(Clone, Debug, Default)]
pub struct Group {
    /// `last-delivered-id`: the greatest ID delivered by `>` (or set by SETID/LASTID).
    pub last_delivered: StreamId,
    /// `entries-read`, or `None` when Redis shows nil (unknown).
    pub entries_read: Option<u64>,
    /// Where the last `>` read stopped in the stream; the next one resumes there when
    /// `last_delivered` is still that entry.
    pub(crate) read_cursor: Option<crate::log::node::Cursor>,
    members: Option<alloc::boxed::Box<Members>>,
}

/// A group's consumers and its PEL.
#[derive(Debug, Default)]
struct Members {
    pel: Pel,
    /// The slots in name order (listings).
    names: NameIndex,
    /// The slots by name hash (lookups: every XREADGROUP, XCLAIM, XAUTOCLAIM).
    by_name: ByName,
    slots: Vec<Option<Consumer>>,
    free: Vec<ConsumerId>,
    /// Heap bytes of the consumers' names too long to be inline (kept with every
    /// change: [`Group::heap_bytes`] is O(1)).
    name_bytes: usize,
}

impl Clone for NameIndex {
    fn clone(&self) -> NameIndex {
        let mut chunks = Vec::with_capacity(self.chunks.capacity());
        chunks.extend(self.chunks.iter().map(crate::heap::clone_with_capacity));
        NameIndex {
            chunks,
            len: self.len,
            cap: self.cap,
        }
    }
}

impl Clone for Members {
    fn clone(&self) -> Members {
        Members {
            pel: self.pel.clone(),
            names: self.names.clone(),
            by_name: self.by_name.clone(),
            slots: crate::heap::clone_with_capacity(&self.slots),
            free: crate::heap::clone_with_capacity(&self.free),
            name_bytes: self.name_bytes,
        }
    }
}

impl Members {
    /// The slot of `name`.
    fn find(&self, name: &[u8]) -> Option<ConsumerId> {
        self.by_name.get(&self.slots, name)
    }

    fn slot(&self, id: ConsumerId) -> Option<&Consumer> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, id: ConsumerId) -> Option<&mut Consumer> {
        self.slots.get_mut(id as usize).and_then(Option::as_mut)
    }
}

/// The PEL of a group without members.
static EMPTY_PEL: Pel = Pel::new();

/// The heap bytes of one consumer slot (used or free): 48.
const CONSUMER_SLOT: usize = core::mem::size_of::<Option<Consumer>>();

impl Group {
    /// A group positioned at `last_delivered` with `entries_read`.
    pub fn new(last_delivered: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_delivered,
            entries_read,
            ..Group::default()
        }
    }

    fn members(&self) -> Option<&Members> {
        self.members.as_deref()
    }

    /// The members, made now if the group had none.
    fn members_mut(&mut self) -> &mut Members {
        self.members.get_or_insert_with(Default::default)
    }

    /// The group PEL.
    pub fn pel(&self) -> &Pel {
        self.members().map_or(&EMPTY_PEL, |m| &m.pel)
    }

    /// The group PEL, mutably (for building its time index; entries change through the
    /// group's methods).
    /// `None` while the group has no members (an empty PEL needs no index).
    pub(crate) fn pel_mut(&mut self) -> Option<&mut Pel> {
        self.members.as_deref_mut().map(|m| &mut m.pel)
    }

    /// The consumers, ordered bytewise by name.
    pub fn consumers(&self) -> impl Iterator<Item = &Consumer> + '_ {
        self.consumers_with_ids().map(|(_, c)| c)
    }

    /// The consumers with their slots, ordered bytewise by name.
    pub fn consumers_with_ids(&self) -> impl Iterator<Item = (ConsumerId, &Consumer)> + '_ {
        self.members().into_iter().flat_map(|m| {
            m.names
                .iter()
                .filter_map(move |id| m.slot(id).map(|c| (id, c)))
        })
    }

    /// How many consumers the group has.
    pub fn consumer_count(&self) -> usize {
        self.members().map_or(0, |m| m.names.len)
    }

    fn slot(&self, id: ConsumerId) -> Option<&Consumer> {
        self.members().and_then(|m| m.slot(id))
    }

    fn slot_mut(&mut self, id: ConsumerId) -> Option<&mut Consumer> {
        self.members.as_deref_mut().and_then(|m| m.slot_mut(id))
    }

    /// A consumer by name.
    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        let m = self.members()?;
        m.find(name).and_then(|id| m.slot(id))
    }

    /// The name of the consumer in slot `id` (empty if the slot is free), copied.
    pub fn consumer_name(&self, id: ConsumerId) -> Bytes {
        Bytes::copy_from_slice(self.consumer_name_ref(id))
    }

    /// The name of the consumer in slot `id`, borrowed (empty if the slot is free).
    pub(crate) fn consumer_name_ref(&self, id: ConsumerId) -> &[u8] {
        self.slot(id).map_or(&[], |c| c.name.as_bytes())
    }

    fn add_consumer(&mut self, name: &[u8], now: u64) -> ConsumerId {
        let m = self.members_mut();
        let c = Consumer::new(name, now);
        m.name_bytes += c.name.heap_len();
        let id = match m.free.pop() {
            Some(id) => {
                if let Some(slot) = m.slots.get_mut(id as usize) {
                    *slot = Some(c);
                }
                id
            }
            None => {
                m.slots.push(Some(c));
                (m.slots.len() - 1) as ConsumerId
            }
        };
        m.names.insert(&m.slots, id);
        m.by_name.insert(&m.slots, id);
        id
    }

    /// Creates the consumer if missing (seen now, never active); true if created.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumer_id(name).is_some() {
            return false;
        }
        self.add_consumer(name, now);
        true
    }

    /// The consumer, created if missing, with its seen time set to `now` (what every
    /// XREADGROUP, XCLAIM and XAUTOCLAIM does first).
    pub fn touch_consumer(&mut self, name: &[u8], now: u64) -> ConsumerId {
        match self.consumer_id(name) {
            Some(id) => {
                if let Some(c) = self.slot_mut(id) {
                    c.seen_time = now;
                }
                id
            }
            None => self.add_consumer(name, now),
        }
    }

    /// Marks a consumer active now (a successful delivery or claim).
    pub fn mark_active(&mut self, id: ConsumerId, now: u64) {
        if let Some(c) = self.slot_mut(id) {
            c.active = now;
        }
    }

    /// Deletes a consumer and drops its pending entries from the group PEL (XGROUP
    /// DELCONSUMER); returns how many it owned, or `None` if it did not exist.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<u64> {
        let m = self.members.as_deref_mut()?;
        let id = m.by_name.remove(&m.slots, name)?;
        m.names.remove(&m.slots, name);
        let c = m.slots.get_mut(id as usize).and_then(Option::take)?;
        m.name_bytes -= c.name.heap_len();
        m.free.push(id);
        if c.pending > 0 {
            let owned: Vec<StreamId> = self.owned_from(id, StreamId::MIN).collect();
            let m = self.members_mut();
            for pid in owned {
                m.pel.remove(pid);
            }
        }
        if self
            .members()
            .is_some_and(|m| m.names.len == 0 && m.pel.is_empty())
        {
            self.members = None;
        }
        Some(c.pending)
    }

    /// The entries `owner` has pending with ID ≥ `from`, ascending.
    pub fn owned_from(
        &self,
        owner: ConsumerId,
        from: StreamId,
    ) -> impl Iterator<Item = StreamId> + '_ {
        self.pel()
            .range(from, StreamId::MAX)
            .filter(move |(_, n)| n.owner == owner)
            .map(|(id, _)| id)
    }

    /// A consumer's slot by name.
    pub fn consumer_id(&self, name: &[u8]) -> Option<ConsumerId> {
        self.members().and_then(|m| m.find(name))
    }

    /// Acknowledges `id`: removes it from the group PEL (its owner's count drops). True
    /// if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(m) = self.members.as_deref_mut() else {
            return false;
        };
        let Some(n) = m.pel.remove(id) else {
            return false;
        };
        if let Some(c) = m.slot_mut(n.owner) {
            c.pending -= 1;
        }
        true
    }

    /// Makes `id` pending for `owner` with the given delivery time and count, moving it
    /// from a previous owner if it was pending already.
    pub fn assign(
        &mut self,
        id: StreamId,
        owner: ConsumerId,
        delivery_time: u64,
        delivery_count: u64,
        placement: Placement,
    ) {
        let m = self.members_mut();
        let old = m
            .pel
            .put(id, owner, delivery_time, delivery_count, placement);
        match old {
            Some(old) if old.owner == owner => return,
            Some(old) => {
                if let Some(c) = m.slot_mut(old.owner) {
                    c.pending -= 1;
                }
            }
            None => {}
        }
        if let Some(c) = m.slot_mut(owner) {
            c.pending += 1;
        }
    }

    /// Sets the delivery time of a pending entry (keeping its owner) and its count.
    pub fn redeliver(&mut self, id: StreamId, delivery_time: u64, delivery_count: u64) {
        let Some(m) = self.members.as_deref_mut() else {
            return;
        };
        m.pel.touch(id, delivery_time, Placement::Tail);
        if let Some(c) = m.pel.count_mut(id) {
            *c = delivery_count;
        }
    }

    /// The pending entry of `id`.
    pub fn pending(&self, id: StreamId) -> Option<&Nack> {
        self.pel().get(id)
    }

    /// Heap bytes of the PEL (estimated from its size: tree nodes) and of the consumers
    /// (as allocated: the slot table's and the name index's capacities and the names
    /// too long to be inline), from counters kept with every change: O(1).
    pub fn heap_bytes(&self) -> usize {
        let Some(m) = self.members() else {
            return 0;
        };
        core::mem::size_of::<Members>()
            + m.pel.heap_bytes()
            + m.name_bytes
            + m.slots.capacity() * CONSUMER_SLOT
            + m.free.capacity() * core::mem::size_of::<ConsumerId>()
            + m.names.heap_bytes()
            + m.by_name.table.allocation_size()
    }

    /// Checks that every pending entry's owner exists, that each consumer's count is
    /// the number of entries it owns, and that the name index and the slots agree.
    pub fn check(&self) -> Result<(), String> {
        let Some(m) = self.members() else {
            return Ok(());
        };
        m.pel.check()?;
        m.names.check(&m.slots)?;
        if m.by_name.table.len() != m.names.len {
            return Err(alloc::format!(
                "{} consumers hashed, {} listed",
                m.by_name.table.len(),
                m.names.len
            ));
        }
        let name_bytes: usize = m.slots.iter().flatten().map(|c| c.name.heap_len()).sum();
        if name_bytes != m.name_bytes {
            return Err(alloc::format!(
                "consumer names hold {name_bytes} bytes, counted {}",
                m.name_bytes
            ));
        }
        let live = m.slots.iter().filter(|s| s.is_some()).count();
        if live != m.names.len {
            return Err(alloc::format!(
                "{} named consumers, {live} occupied slots",
                m.names.len
            ));
        }
        let free = m.free.iter().filter(|&&id| m.slot(id).is_none()).count();
        if free != m.free.len() || live + free != m.slots.len() {
            return Err(alloc::format!(
                "{} slots: {live} occupied, {} listed free ({free} really)",
                m.slots.len(),
                m.free.len()
            ));
        }
        let mut counts: BTreeMap<ConsumerId, u64> = BTreeMap::new();
        for (pid, n) in m.pel.iter() {
            if m.slot(n.owner).is_none() {
                return Err(alloc::format!(
                    "{pid} owned by a missing consumer (slot {})",
                    n.owner
                ));
            }
            *counts.entry(n.owner).or_default() += 1;
        }
        let mut owned = 0;
        for id in m.names.iter() {
            let Some(c) = m.slot(id) else {
                return Err(alloc::format!("name index lists free slot {id}"));
            };
            let name = &c.name;
            if m.names.get(&m.slots, name) != Some(id) {
                return Err(alloc::format!("{name:?} is not found at its slot {id}"));
            }
            if m.find(name) != Some(id) {
                return Err(alloc::format!("{name:?} does not hash to its slot {id}"));
            }
            let have = counts.get(&id).copied().unwrap_or(0);
            if c.pending != have {
                return Err(alloc::format!(
                    "consumer {name:?} counts {} pending but owns {have}",
                    c.pending
                ));
            }
            owned += have as usize;
        }
        if owned != m.pel.len() {
            return Err(alloc::format!(
                "group PEL has {} entries, consumers own {owned}",
                m.pel.len()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_exist_only_while_a_group_has_consumers() {
        let mut g = Group::new(StreamId::MIN, Some(0));
        assert!(g.members.is_none() && g.heap_bytes() == 0);
        assert!(g.pel().is_empty() && g.consumer_count() == 0);
        assert_eq!(g.consumers().count(), 0);
        assert!(!g.ack(StreamId::new(1, 1)), "nothing pending");
        assert_eq!(g.delete_consumer(b"nobody"), None);
        assert!(g.members.is_none(), "reads and misses make no members");
        let alice = g.touch_consumer(b"alice", 5);
        let bob = g.touch_consumer(b"bob", 6);
        g.assign(StreamId::new(1, 1), alice, 5, 1, Placement::Tail);
        g.assign(StreamId::new(1, 2), bob, 6, 1, Placement::Tail);
        assert!(g.heap_bytes() > 0);
        g.check().expect("invariants");
        assert_eq!(g.delete_consumer(b"alice"), Some(1));
        assert!(g.members.is_some(), "bob is left");
        assert_eq!(g.pel().len(), 1);
        assert_eq!(g.delete_consumer(b"bob"), Some(1));
        assert!(g.members.is_none() && g.pel().is_empty());
        g.check().expect("invariants");
        assert!(g.create_consumer(b"carol", 7));
        assert_eq!(g.consumer(b"carol").map(|c| c.seen_time), Some(7));
    }

    /// The consumer-name byte count follows creations and deletions (`check` compares
    /// it with the names), and `heap_bytes` follows the PEL.
    #[test]
    fn byte_counters_follow_consumers_and_the_pel() {
        let mut g = Group::new(StreamId::MIN, None);
        assert_eq!(g.heap_bytes(), 0, "no members yet");
        assert!(g.create_consumer(b"alice", 1));
        assert!(!g.create_consumer(b"alice", 2));
        let one = g.heap_bytes();
        // Room for 4 slots and for 4 index chunks (a `Vec`'s first growth), one chunk
        // with room for one slot number (made with `vec![id]`).
        let id = core::mem::size_of::<ConsumerId>();
        let index = core::mem::size_of::<Vec<ConsumerId>>() * 4 + id;
        let table = g.members().map_or(0, |m| m.by_name.table.allocation_size());
        assert!(table > 0, "the hash table has buckets");
        assert_eq!(
            one,
            core::mem::size_of::<Members>() + 4 * CONSUMER_SLOT + index + table
        );
        let bob = g.touch_consumer(b"bob", 3);
        g.check().expect("counters");
        let two = g.heap_bytes();
        assert_eq!(two, one + 3 * id, "the chunk grew to 4 slot numbers");
        let long = [b'x'; INLINE_NAME + 1];
        assert!(g.create_consumer(&long, 4));
        assert_eq!(
            g.heap_bytes(),
            two + long.len(),
            "a long name on the heap; room for its slot and slot number already"
        );
        assert_eq!(g.delete_consumer(&long), Some(0));
        assert_eq!(g.heap_bytes(), two + 4 * id, "the free list has room for 4");
        for ms in 1..=100 {
            g.assign(StreamId::new(ms, 0), bob, 3, 1, Placement::Tail);
        }
        assert!(g.heap_bytes() > two, "pending entries cost bytes");
        assert_eq!(g.delete_consumer(b"bob"), Some(100));
        g.check().expect("counters");
        assert_eq!(g.delete_consumer(b"bob"), None);
        assert_eq!(g.consumer_count(), 1);
        g.check().expect("counters");
    }

    /// One step of the consumer-table model test.
    #[derive(Clone, Debug)]
    enum Op {
        Create(Vec<u8>),
        Touch(Vec<u8>),
        Delete(Vec<u8>),
        Deliver(Vec<u8>),
    }

    /// Names that share prefixes, differ in their last byte, sort around `0xff` and
    /// run past the inline length.
    fn name() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            (0u8..40).prop_map(|i| alloc::format!("c{i}").into_bytes()),
            proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'b'), Just(0xff), Just(0)],
                0..4
            ),
            (0u8..6).prop_map(|i| {
                let mut v = alloc::vec![b'L'; INLINE_NAME + usize::from(i) - 2];
                v.push(i);
                v
            }),
        ]
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            3 => name().prop_map(Op::Create),
            2 => name().prop_map(Op::Touch),
            3 => name().prop_map(Op::Delete),
            1 => name().prop_map(Op::Deliver),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// The consumer table behaves as a `BTreeMap` from name to (seen time, pending):
        /// lookups by name, slots reused after deletes, listings in bytewise order,
        /// counters and invariants (`check`), through chunk splits and merges.
        #[test]
        fn consumers_behave_as_a_btree_map(ops in proptest::collection::vec(op(), 1..400)) {
            let mut g = Group::new(StreamId::MIN, None);
            let mut model: BTreeMap<Vec<u8>, (u64, u64)> = BTreeMap::new();
            let mut next = 1u64;
            let mut peak = 0;
            for (now, op) in (1u64..).zip(ops) {
                match op {
                    Op::Create(n) => {
                        let fresh = !model.contains_key(&n);
                        proptest::prop_assert_eq!(g.create_consumer(&n, now), fresh);
                        model.entry(n).or_insert((now, 0));
                    }
                    Op::Touch(n) => {
                        let id = g.touch_consumer(&n, now);
                        proptest::prop_assert_eq!(g.consumer_id(&n), Some(id));
                        model.entry(n).or_insert((now, 0)).0 = now;
                    }
                    Op::Delete(n) => {
                        let had = model.remove(&n).map(|(_, p)| p);
                        proptest::prop_assert_eq!(g.delete_consumer(&n), had);
                    }
                    Op::Deliver(n) => {
                        let id = g.touch_consumer(&n, now);
                        g.assign(StreamId::new(next, 0), id, now, 1, Placement::Tail);
                        next += 1;
                        let e = model.entry(n).or_insert((now, 0));
                        e.0 = now;
                        e.1 += 1;
                    }
                }
                g.check().map_err(proptest::test_runner::TestCaseError::fail)?;
                let listed: Vec<(Vec<u8>, (u64, u64))> = g
                    .consumers()
                    .map(|c| (c.name.to_vec(), (c.seen_time, c.pending)))
                    .collect();
                let want: Vec<(Vec<u8>, (u64, u64))> =
                    model.iter().map(|(k, v)| (k.clone(), *v)).collect();
                proptest::prop_assert_eq!(listed, want);
                proptest::prop_assert_eq!(g.consumer_count(), model.len());
                for (n, (seen, pending)) in &model {
                    let c = g.consumer(n);
                    proptest::prop_assert_eq!(c.map(|c| (c.seen_time, c.pending)), Some((*seen, *pending)));
                    let id = g.consumer_id(n);
                    proptest::prop_assert_eq!(id.map(|id| g.consumer_name(id)), Some(Bytes::copy_from_slice(n)));
                }
                // Free slots are reused before new ones are made (and the members go
                // with the last consumer).
                peak = if model.is_empty() { 0 } else { peak.max(model.len()) };
                proptest::prop_assert_eq!(g.members().map_or(0, |m| m.slots.len()), peak);
            }
        }
    }

    #[test]
    fn names_inline_and_on_the_heap() {
        for len in [0, 1, INLINE_NAME - 1, INLINE_NAME, INLINE_NAME + 1, 300] {
            let bytes: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let n = ConsumerName::new(&bytes);
            assert_eq!(n.as_bytes(), &bytes[..]);
            assert_eq!(n.heap_len(), if len > INLINE_NAME { len } else { 0 });
            assert_eq!(n.to_bytes(), Bytes::from(bytes.clone()));
        }
        let mut g = Group::new(StreamId::MIN, None);
        let id = g.touch_consumer(b"worker", 1);
        assert_eq!(g.consumer(b"worker").and_then(Consumer::active_time), None);
        g.mark_active(id, 9);
        assert_eq!(
            g.consumer(b"worker").and_then(Consumer::active_time),
            Some(9)
        );
    }
}
