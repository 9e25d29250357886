//! A consumer group (Redis's `streamCG`): where the group has read up to, how many
//! entries it has read, its pending entries list and its consumers.
//!
//! Everything that changes the PEL goes through [`Group`]'s methods, which keep each
//! consumer's pending count in step (checked by [`Group::check`]).
//! The commands that read entries (XREADGROUP, XCLAIM, XAUTOCLAIM) live in
//! `readgroup.rs` and `claim.rs`, on [`crate::Stream`], because they need the entries.
//!
//! Consumers live in slots; a pending entry names its owner by slot number
//! ([`ConsumerId`]), so delivering and acknowledging never compare or copy names.
//! The name index keeps Redis's bytewise order for listings.
//!
//! A consumer's own PEL is the group PEL filtered by owner. Redis keeps a second radix
//! tree per consumer; brook measured that index at a quarter of the cost of every
//! delivery and acknowledgement (a second ordered insert and remove per message) and
//! keeps only a count: the queries that need one consumer's entries in ID order
//! (history reads, XPENDING with a consumer, XINFO STREAM FULL, DELCONSUMER) walk the
//! group PEL from their start ID instead. They are the rare ones — a worker reads its
//! history once after a restart — while `>` and XACK run for every message.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::id::StreamId;
use crate::pel::{Nack, Pel, Placement};

/// A consumer's slot in its group (stable while the consumer exists).
pub type ConsumerId = u32;

/// One consumer of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// The consumer's name.
    pub name: Bytes,
    /// Unix ms of the consumer's last attempted interaction (XINFO CONSUMERS `idle`).
    pub seen_time: u64,
    /// Unix ms of the consumer's last successful delivery or claim (`inactive`);
    /// `None` until the first (Redis shows `-1`).
    pub active_time: Option<u64>,
    /// How many entries of the group PEL this consumer owns.
    pub pending: u64,
}

impl Consumer {
    fn new(name: Bytes, now: u64) -> Consumer {
        Consumer {
            name,
            seen_time: now,
            active_time: None,
            pending: 0,
        }
    }
}

/// A consumer group of one stream.
#[derive(Clone, Debug, Default)]
pub struct Group {
    /// `last-delivered-id`: the greatest ID delivered by `>` (or set by SETID/LASTID).
    pub last_delivered: StreamId,
    /// `entries-read`, or `None` when Redis shows nil (unknown).
    pub entries_read: Option<u64>,
    /// Where the last `>` read stopped in the stream; the next one resumes there when
    /// `last_delivered` is still that entry.
    pub(crate) read_cursor: Option<crate::node::Cursor>,
    pel: Pel,
    names: BTreeMap<Bytes, ConsumerId>,
    slots: Vec<Option<Consumer>>,
    free: Vec<ConsumerId>,
    /// Bytes of the consumers' names (kept with every change: [`Group::heap_bytes`] is
    /// O(1)).
    name_bytes: usize,
}

/// The heap bytes one consumer costs besides its name (held twice: in the consumer
/// and in the name index): its slot, its index entry and table overhead.
const CONSUMER_SLOT: usize = 96;

impl Group {
    /// A group positioned at `last_delivered` with `entries_read`.
    pub fn new(last_delivered: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_delivered,
            entries_read,
            ..Group::default()
        }
    }

    /// The group PEL.
    pub fn pel(&self) -> &Pel {
        &self.pel
    }

    /// The group PEL, mutably (for building its time index; entries change through the
    /// group's methods).
    pub(crate) fn pel_mut(&mut self) -> &mut Pel {
        &mut self.pel
    }

    /// The consumers, ordered bytewise by name.
    pub fn consumers(&self) -> impl Iterator<Item = &Consumer> + '_ {
        self.names.values().filter_map(|id| self.slot(*id))
    }

    /// The consumers with their slots, ordered bytewise by name.
    pub fn consumers_with_ids(&self) -> impl Iterator<Item = (ConsumerId, &Consumer)> + '_ {
        self.names
            .values()
            .filter_map(|id| self.slot(*id).map(|c| (*id, c)))
    }

    /// How many consumers the group has.
    pub fn consumer_count(&self) -> usize {
        self.names.len()
    }

    fn slot(&self, id: ConsumerId) -> Option<&Consumer> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, id: ConsumerId) -> Option<&mut Consumer> {
        self.slots.get_mut(id as usize).and_then(Option::as_mut)
    }

    /// A consumer by name.
    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        self.names.get(name).and_then(|id| self.slot(*id))
    }

    /// The name of the consumer in slot `id` (empty if the slot is free).
    pub fn consumer_name(&self, id: ConsumerId) -> Bytes {
        self.slot(id).map(|c| c.name.clone()).unwrap_or_default()
    }

    fn add_consumer(&mut self, name: &[u8], now: u64) -> ConsumerId {
        let c = Consumer::new(Bytes::copy_from_slice(name), now);
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(slot) = self.slots.get_mut(id as usize) {
                    *slot = Some(c);
                }
                id
            }
            None => {
                self.slots.push(Some(c));
                (self.slots.len() - 1) as ConsumerId
            }
        };
        self.names.insert(Bytes::copy_from_slice(name), id);
        self.name_bytes += name.len();
        id
    }

    /// Creates the consumer if missing (seen now, never active); true if created.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.names.contains_key(name) {
            return false;
        }
        self.add_consumer(name, now);
        true
    }

    /// The consumer, created if missing, with its seen time set to `now` (what every
    /// XREADGROUP, XCLAIM and XAUTOCLAIM does first).
    pub fn touch_consumer(&mut self, name: &[u8], now: u64) -> ConsumerId {
        match self.names.get(name).copied() {
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
            c.active_time = Some(now);
        }
    }

    /// Deletes a consumer and drops its pending entries from the group PEL (XGROUP
    /// DELCONSUMER); returns how many it owned, or `None` if it did not exist.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<u64> {
        let id = self.names.remove(name)?;
        self.name_bytes -= name.len();
        let c = self.slots.get_mut(id as usize).and_then(Option::take)?;
        self.free.push(id);
        if c.pending > 0 {
            let owned: Vec<StreamId> = self.owned_from(id, StreamId::MIN).collect();
            for pid in owned {
                self.pel.remove(pid);
            }
        }
        Some(c.pending)
    }

    /// The entries `owner` has pending with ID ≥ `from`, ascending.
    pub fn owned_from(
        &self,
        owner: ConsumerId,
        from: StreamId,
    ) -> impl Iterator<Item = StreamId> + '_ {
        self.pel
            .range(from, StreamId::MAX)
            .filter(move |(_, n)| n.owner == owner)
            .map(|(id, _)| id)
    }

    /// A consumer's slot by name.
    pub fn consumer_id(&self, name: &[u8]) -> Option<ConsumerId> {
        self.names.get(name).copied()
    }

    /// Acknowledges `id`: removes it from the group PEL (its owner's count drops). True
    /// if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(n) = self.pel.remove(id) else {
            return false;
        };
        if let Some(c) = self.slot_mut(n.owner) {
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
        let old = self
            .pel
            .put(id, owner, delivery_time, delivery_count, placement);
        match old {
            Some(old) if old.owner == owner => return,
            Some(old) => {
                if let Some(c) = self.slot_mut(old.owner) {
                    c.pending -= 1;
                }
            }
            None => {}
        }
        if let Some(c) = self.slot_mut(owner) {
            c.pending += 1;
        }
    }

    /// Sets the delivery time of a pending entry (keeping its owner) and its count.
    pub fn redeliver(&mut self, id: StreamId, delivery_time: u64, delivery_count: u64) {
        self.pel.touch(id, delivery_time, Placement::Tail);
        if let Some(c) = self.pel.count_mut(id) {
            *c = delivery_count;
        }
    }

    /// The pending entry of `id`.
    pub fn pending(&self, id: StreamId) -> Option<&Nack> {
        self.pel.get(id)
    }

    /// Approximate heap bytes of the PELs and consumers, from counters kept with every
    /// change: O(1).
    pub fn heap_bytes(&self) -> usize {
        self.pel.heap_bytes() + 2 * self.name_bytes + self.names.len() * CONSUMER_SLOT
    }

    /// Checks that every pending entry's owner exists, that each consumer's count is
    /// the number of entries it owns, and that the name index and the slots agree.
    pub fn check(&self) -> Result<(), String> {
        self.pel.check()?;
        let name_bytes: usize = self.names.keys().map(Bytes::len).sum();
        if name_bytes != self.name_bytes {
            return Err(alloc::format!(
                "consumer names hold {name_bytes} bytes, counted {}",
                self.name_bytes
            ));
        }
        let live = self.slots.iter().filter(|s| s.is_some()).count();
        if live != self.names.len() {
            return Err(alloc::format!(
                "{} named consumers, {live} occupied slots",
                self.names.len()
            ));
        }
        let mut counts: BTreeMap<ConsumerId, u64> = BTreeMap::new();
        for (pid, n) in self.pel.iter() {
            if self.slot(n.owner).is_none() {
                return Err(alloc::format!(
                    "{pid} owned by a missing consumer (slot {})",
                    n.owner
                ));
            }
            *counts.entry(n.owner).or_default() += 1;
        }
        let mut owned = 0;
        for (name, id) in &self.names {
            let Some(c) = self.slot(*id) else {
                return Err(alloc::format!("consumer {name:?} has no slot"));
            };
            if c.name != *name {
                return Err(alloc::format!("slot of {name:?} holds {:?}", c.name));
            }
            let have = counts.get(id).copied().unwrap_or(0);
            if c.pending != have {
                return Err(alloc::format!(
                    "consumer {name:?} counts {} pending but owns {have}",
                    c.pending
                ));
            }
            owned += have as usize;
        }
        if owned != self.pel.len() {
            return Err(alloc::format!(
                "group PEL has {} entries, consumers own {owned}",
                self.pel.len()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The consumer-name byte count follows creations and deletions (`check` compares
    /// it with the names), and `heap_bytes` follows the PEL.
    #[test]
    fn byte_counters_follow_consumers_and_the_pel() {
        let mut g = Group::new(StreamId::MIN, None);
        let empty = g.heap_bytes();
        assert!(g.create_consumer(b"alice", 1));
        assert!(!g.create_consumer(b"alice", 2));
        let bob = g.touch_consumer(b"bob", 3);
        g.check().expect("counters");
        let two = g.heap_bytes();
        assert_eq!(two, empty + 2 * (5 + 3) + 2 * CONSUMER_SLOT);
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
}
