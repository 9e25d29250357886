//! A consumer group (Redis's `streamCG`): where the group has read up to, how many
//! entries it has read, its pending entries list and its consumers.
//!
//! Everything that changes a PEL goes through [`Group`]'s methods so the group PEL and
//! each consumer's own PEL always hold the same entries (checked by [`Group::check`]).
//! The commands that read entries (XREADGROUP, XCLAIM, XAUTOCLAIM) live in
//! `readgroup.rs` and `claim.rs`, on [`crate::Stream`], because they need the entries.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;

use bytes::Bytes;

use crate::id::StreamId;
use crate::pel::{Nack, Pel, Placement};

/// One consumer of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// Unix ms of the consumer's last attempted interaction (XINFO CONSUMERS `idle`).
    pub seen_time: u64,
    /// Unix ms of the consumer's last successful delivery or claim (`inactive`);
    /// `None` until the first (Redis shows `-1`).
    pub active_time: Option<u64>,
    /// The IDs this consumer owns in the group PEL.
    pub pel: BTreeSet<StreamId>,
}

impl Consumer {
    fn new(now: u64) -> Consumer {
        Consumer {
            seen_time: now,
            active_time: None,
            pel: BTreeSet::new(),
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
    pel: Pel,
    consumers: BTreeMap<Bytes, Consumer>,
}

impl Group {
    /// A group positioned at `last_delivered` with `entries_read`.
    pub fn new(last_delivered: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_delivered,
            entries_read,
            pel: Pel::default(),
            consumers: BTreeMap::new(),
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
    pub fn consumers(&self) -> &BTreeMap<Bytes, Consumer> {
        &self.consumers
    }

    /// A consumer by name.
    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        self.consumers.get(name)
    }

    /// Creates the consumer if missing (seen now, never active); true if created.
    pub fn create_consumer(&mut self, name: &[u8], now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers
            .insert(Bytes::copy_from_slice(name), Consumer::new(now));
        true
    }

    /// The consumer, created if missing, with its seen time set to `now` (what every
    /// XREADGROUP, XCLAIM and XAUTOCLAIM does first). Returns its stored name.
    pub fn touch_consumer(&mut self, name: &[u8], now: u64) -> Bytes {
        if let Some(c) = self.consumers.get_mut(name) {
            c.seen_time = now;
        } else {
            self.consumers
                .insert(Bytes::copy_from_slice(name), Consumer::new(now));
        }
        self.consumers
            .get_key_value(name)
            .map_or_else(|| Bytes::copy_from_slice(name), |(k, _)| k.clone())
    }

    /// Marks a consumer active now (a successful delivery or claim).
    pub fn mark_active(&mut self, name: &[u8], now: u64) {
        if let Some(c) = self.consumers.get_mut(name) {
            c.active_time = Some(now);
        }
    }

    /// Deletes a consumer and drops its pending entries from the group PEL (XGROUP
    /// DELCONSUMER); returns how many it owned, or `None` if it did not exist.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<u64> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(*id);
        }
        Some(c.pel.len() as u64)
    }

    /// Acknowledges `id`: removes it from the group PEL and its owner's PEL. True if it
    /// was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(n) = self.pel.remove(id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&n.owner) {
            c.pel.remove(&id);
        }
        true
    }

    /// Makes `id` pending for `owner` with the given delivery time and count, moving it
    /// from a previous owner if it was pending already.
    pub fn assign(
        &mut self,
        id: StreamId,
        owner: &Bytes,
        delivery_time: u64,
        delivery_count: u64,
        placement: Placement,
    ) {
        let old = self
            .pel
            .put(id, owner.clone(), delivery_time, delivery_count, placement);
        if let Some(old) = old {
            if old.owner != *owner {
                if let Some(c) = self.consumers.get_mut(&old.owner) {
                    c.pel.remove(&id);
                }
            }
        }
        if let Some(c) = self.consumers.get_mut(owner) {
            c.pel.insert(id);
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

    /// Approximate heap bytes of the PELs and consumers.
    pub fn heap_bytes(&self) -> usize {
        let consumers: usize = self
            .consumers
            .iter()
            .map(|(k, c)| k.len() + 64 + c.pel.len() * 24)
            .sum();
        self.pel.heap_bytes() + consumers
    }

    /// Checks that the group PEL is the disjoint union of the consumers' PELs and that
    /// every owner exists.
    pub fn check(&self) -> Result<(), String> {
        self.pel.check()?;
        let mut owned = 0;
        for (name, c) in &self.consumers {
            for id in &c.pel {
                match self.pel.get(*id) {
                    Some(n) if n.owner == *name => owned += 1,
                    Some(n) => {
                        return Err(alloc::format!(
                            "{id} in the PEL of {:?} but owned by {:?}",
                            name,
                            n.owner
                        ))
                    }
                    None => {
                        return Err(alloc::format!(
                            "{id} in the PEL of {name:?} but not in the group PEL"
                        ))
                    }
                }
            }
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
