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
    pub(crate) read_cursor: Option<crate::node::Cursor>,
    members: Option<alloc::boxed::Box<Members>>,
}

/// A group's consumers and its PEL.
#[derive(Clone, Debug, Default)]
struct Members {
    pel: Pel,
    names: BTreeMap<Bytes, ConsumerId>,
    slots: Vec<Option<Consumer>>,
    free: Vec<ConsumerId>,
    /// Bytes of the consumers' names (kept with every change: [`Group::heap_bytes`] is
    /// O(1)).
    name_bytes: usize,
}

impl Members {
    fn slot(&self, id: ConsumerId) -> Option<&Consumer> {
        self.slots.get(id as usize).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, id: ConsumerId) -> Option<&mut Consumer> {
        self.slots.get_mut(id as usize).and_then(Option::as_mut)
    }
}

/// The PEL of a group without members.
static EMPTY_PEL: Pel = Pel::new();

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
                .values()
                .filter_map(move |id| m.slot(*id).map(|c| (*id, c)))
        })
    }

    /// How many consumers the group has.
    pub fn consumer_count(&self) -> usize {
        self.members().map_or(0, |m| m.names.len())
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
        m.names.get(name).and_then(|id| m.slot(*id))
    }

    /// The name of the consumer in slot `id` (empty if the slot is free).
    pub fn consumer_name(&self, id: ConsumerId) -> Bytes {
        self.slot(id).map(|c| c.name.clone()).unwrap_or_default()
    }

    fn add_consumer(&mut self, name: &[u8], now: u64) -> ConsumerId {
        let m = self.members_mut();
        let name = Bytes::copy_from_slice(name);
        let c = Consumer::new(name.clone(), now);
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
        m.name_bytes += name.len();
        m.names.insert(name, id);
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
            c.active_time = Some(now);
        }
    }

    /// Deletes a consumer and drops its pending entries from the group PEL (XGROUP
    /// DELCONSUMER); returns how many it owned, or `None` if it did not exist.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<u64> {
        let m = self.members.as_deref_mut()?;
        let id = m.names.remove(name)?;
        m.name_bytes -= name.len();
        let c = m.slots.get_mut(id as usize).and_then(Option::take)?;
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
            .is_some_and(|m| m.names.is_empty() && m.pel.is_empty())
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
        self.members().and_then(|m| m.names.get(name).copied())
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

    /// Approximate heap bytes of the PELs and consumers, from counters kept with every
    /// change: O(1).
    pub fn heap_bytes(&self) -> usize {
        let Some(m) = self.members() else {
            return 0;
        };
        core::mem::size_of::<Members>()
            + m.pel.heap_bytes()
            + 2 * m.name_bytes
            + m.names.len() * CONSUMER_SLOT
    }

    /// Checks that every pending entry's owner exists, that each consumer's count is
    /// the number of entries it owns, and that the name index and the slots agree.
    pub fn check(&self) -> Result<(), String> {
        let Some(m) = self.members() else {
            return Ok(());
        };
        m.pel.check()?;
        let name_bytes: usize = m.names.keys().map(Bytes::len).sum();
        if name_bytes != m.name_bytes {
            return Err(alloc::format!(
                "consumer names hold {name_bytes} bytes, counted {}",
                m.name_bytes
            ));
        }
        let live = m.slots.iter().filter(|s| s.is_some()).count();
        if live != m.names.len() {
            return Err(alloc::format!(
                "{} named consumers, {live} occupied slots",
                m.names.len()
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
        for (name, id) in &m.names {
            let Some(c) = m.slot(*id) else {
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
        assert_eq!(one, core::mem::size_of::<Members>() + 2 * 5 + CONSUMER_SLOT);
        let bob = g.touch_consumer(b"bob", 3);
        g.check().expect("counters");
        let two = g.heap_bytes();
        assert_eq!(two, one + 2 * 3 + CONSUMER_SLOT);
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
