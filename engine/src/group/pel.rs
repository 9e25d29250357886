//! The pending entries list (PEL) of one consumer group: every entry delivered to a
//! consumer and not yet acknowledged, with its owner, last delivery time and delivery
//! count (Redis's `streamNACK`).
//!
//! Two orders exist, as in Redis 8.x: by ID (XPENDING, XAUTOCLAIM, XACK, history reads)
//! and by delivery time, oldest first (what XREADGROUP's `CLAIM` walks, reference §1.5).
//! Every entry carries its place in the time order, `(time, ticket)`: a delivery at the
//! command's time goes to the tail, and an XCLAIM that sets a past time lands after
//! every entry whose time is not later — the ticket breaks ties by insertion.
//!
//! The time-ordered index itself is built only once a `CLAIM` read needs it and kept up
//! to date from then on: groups that never use `CLAIM` (the common case, and every
//! server before 8.4) pay one map per PEL, not two, on each delivery and acknowledgement.
//! Until then [`Pel::by_time`] sorts the places on demand.
//!
//! A consumer's own PEL is this one filtered by owner; [`crate::group::Group`] keeps
//! each consumer's pending count in step.

/// A consumer's slot in its group (stable while the consumer exists): what a pending
/// entry names as its owner.
pub type ConsumerId = u32;

use alloc::collections::BTreeMap;

use crate::group::pel_map::IdMap;

use crate::id::StreamId;

/// One pending entry (Redis's NACK).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nack {
    /// The consumer the entry was last delivered to (its slot in the group).
    pub owner: ConsumerId,
    /// Unix ms of the last delivery (XPENDING's idle is `now` minus this).
    pub delivery_time: u64,
    /// How many times the entry was delivered.
    pub delivery_count: u64,
    /// Position in the delivery-time order.
    order: (u64, u64),
}

/// The group PEL: pending entries by ID, plus their delivery-time order.
#[derive(Clone, Debug, Default)]
pub struct Pel {
    by_id: IdMap<Nack>,
    /// The time-ordered index, once built ([`Pel::index_by_time`]).
    by_time: Option<BTreeMap<(u64, u64), StreamId>>,
    next_ticket: u64,
    /// The latest time a tail placement used (a tail placement never goes before it).
    tail_time: u64,
}

/// Pending IDs in delivery-time order: from the index, or sorted on demand.
pub enum ByTime<'a> {
    /// Walking the maintained index.
    Indexed(alloc::collections::btree_map::Values<'a, (u64, u64), StreamId>),
    /// A one-off sort (no index yet).
    Sorted(alloc::vec::IntoIter<StreamId>),
}

impl Iterator for ByTime<'_> {
    type Item = StreamId;

    fn next(&mut self) -> Option<StreamId> {
        match self {
            ByTime::Indexed(it) => it.next().copied(),
            ByTime::Sorted(it) => it.next(),
        }
    }
}

/// How an update places an entry in the delivery-time order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A delivery at the command's time: to the tail.
    Tail,
    /// A time set explicitly (XCLAIM IDLE/TIME): after every entry not later than it.
    AtTime,
}

impl Pel {
    /// An empty PEL (allocates nothing).
    pub(crate) const fn new() -> Pel {
        Pel {
            by_id: IdMap::new(),
            by_time: None,
            next_ticket: 0,
            tail_time: 0,
        }
    }

    /// Number of pending entries.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The pending entry for `id`.
    pub fn get(&self, id: StreamId) -> Option<&Nack> {
        self.by_id.get(id)
    }

    /// True when `id` is pending.
    pub fn contains(&self, id: StreamId) -> bool {
        self.by_id.contains(id)
    }

    /// The smallest and greatest pending IDs.
    pub fn bounds(&self) -> Option<(StreamId, StreamId)> {
        self.by_id.bounds()
    }

    /// Pending entries with `start <= id <= end`, ascending.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> impl DoubleEndedIterator<Item = (StreamId, &Nack)> + '_ {
        // An inverted range is empty.
        self.by_id.range(start, end)
    }

    /// Every pending entry, ascending by ID.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (StreamId, &Nack)> + '_ {
        self.by_id.iter()
    }

    /// Pending IDs in delivery-time order, oldest first.
    pub fn by_time(&self) -> ByTime<'_> {
        match &self.by_time {
            Some(index) => ByTime::Indexed(index.values()),
            None => {
                let mut places: alloc::vec::Vec<((u64, u64), StreamId)> =
                    self.by_id.iter().map(|(id, n)| (n.order, id)).collect();
                places.sort_unstable();
                let ids: alloc::vec::Vec<StreamId> = places.into_iter().map(|(_, id)| id).collect();
                ByTime::Sorted(ids.into_iter())
            }
        }
    }

    /// Builds the time-ordered index (if not built yet) and keeps it from now on.
    pub fn index_by_time(&mut self) {
        if self.by_time.is_none() {
            self.by_time = Some(self.by_id.iter().map(|(id, n)| (n.order, id)).collect());
        }
    }

    fn ticket(&mut self, time: u64, placement: Placement) -> (u64, u64) {
        let key_time = match placement {
            // The tail: never before an entry already there, even if the clock went back.
            Placement::Tail => {
                self.tail_time = self.tail_time.max(time);
                self.tail_time
            }
            Placement::AtTime => time,
        };
        self.next_ticket += 1;
        (key_time, self.next_ticket)
    }

    /// Inserts or replaces the pending entry of `id`; returns the previous one.
    pub fn put(
        &mut self,
        id: StreamId,
        owner: ConsumerId,
        delivery_time: u64,
        delivery_count: u64,
        placement: Placement,
    ) -> Option<Nack> {
        let order = self.ticket(delivery_time, placement);
        let old = self.by_id.insert(
            id,
            Nack {
                owner,
                delivery_time,
                delivery_count,
                order,
            },
        );
        if let Some(index) = &mut self.by_time {
            if let Some(old) = &old {
                index.remove(&old.order);
            }
            index.insert(order, id);
        }
        old
    }

    /// Sets the delivery time of a pending entry and moves it in the time order.
    pub fn touch(&mut self, id: StreamId, delivery_time: u64, placement: Placement) {
        let order = self.ticket(delivery_time, placement);
        if let Some(n) = self.by_id.get_mut(id) {
            if let Some(index) = &mut self.by_time {
                index.remove(&n.order);
                index.insert(order, id);
            }
            n.delivery_time = delivery_time;
            n.order = order;
        }
    }

    /// Mutable access to a pending entry's count (its time and owner change through
    /// [`Pel::touch`] and [`Pel::put`], which keep the time order).
    pub fn count_mut(&mut self, id: StreamId) -> Option<&mut u64> {
        self.by_id.get_mut(id).map(|n| &mut n.delivery_count)
    }

    /// Removes the pending entry of `id`.
    pub fn remove(&mut self, id: StreamId) -> Option<Nack> {
        let n = self.by_id.remove(id)?;
        if let Some(index) = &mut self.by_time {
            index.remove(&n.order);
        }
        Some(n)
    }

    /// Puts the delivery-time order in the form Redis's COPY gives the copy
    /// (`streamDup` inserts the pending entries by ID into its time-sorted list): by
    /// delivery time, ties by ID — where the original orders ties by when they were
    /// delivered. A later delivery goes after every entry, as on Redis's list tail.
    pub(crate) fn reorder_as_copied(&mut self) {
        let ids: alloc::vec::Vec<StreamId> = self.by_id.iter().map(|(id, _)| id).collect();
        let mut tail = 0;
        for (ticket, id) in (1u64..).zip(&ids) {
            if let Some(n) = self.by_id.get_mut(*id) {
                n.order = (n.delivery_time, ticket);
                tail = tail.max(n.delivery_time);
            }
        }
        self.next_ticket = ids.len() as u64;
        self.tail_time = tail;
        if self.by_time.is_some() {
            self.by_time = Some(self.by_id.iter().map(|(id, n)| (n.order, id)).collect());
        }
    }

    /// Checks that the two orders hold the same entries.
    pub fn check(&self) -> Result<(), alloc::string::String> {
        self.by_id.check()?;
        let Some(index) = &self.by_time else {
            return Ok(());
        };
        if self.by_id.len() != index.len() {
            return Err(alloc::format!(
                "PEL has {} entries by ID but {} by time",
                self.by_id.len(),
                index.len()
            ));
        }
        for (order, id) in index {
            match self.by_id.get(*id) {
                Some(n) if n.order == *order => {}
                _ => return Err(alloc::format!("PEL time order has a stale entry {id}")),
            }
        }
        Ok(())
    }

    /// Approximate heap bytes (the ID map, and the time index once built).
    pub fn heap_bytes(&self) -> usize {
        // B-tree nodes hold up to 11 keys; entries are about two thirds full.
        let index = self.by_time.as_ref().map_or(0, |t| {
            t.len() * core::mem::size_of::<((u64, u64), StreamId)>() * 3 / 2
        });
        self.by_id.heap_bytes() + index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64) -> StreamId {
        StreamId::new(ms, 1)
    }

    #[test]
    fn time_order_tail_and_past_times() {
        time_order(false);
        time_order(true);
    }

    fn time_order(indexed: bool) {
        let mut p = Pel::default();
        if indexed {
            p.index_by_time();
        }
        let a = 7;
        p.put(id(1), a, 100, 1, Placement::Tail);
        p.put(id(2), a, 100, 1, Placement::Tail);
        p.put(id(3), a, 200, 1, Placement::Tail);
        assert_eq!(
            p.by_time().collect::<alloc::vec::Vec<_>>(),
            [id(1), id(2), id(3)]
        );
        // Redelivered now: to the tail.
        p.touch(id(1), 300, Placement::Tail);
        assert_eq!(
            p.by_time().collect::<alloc::vec::Vec<_>>(),
            [id(2), id(3), id(1)]
        );
        // A past time: after every entry not later than it (ties by insertion).
        p.touch(id(1), 100, Placement::AtTime);
        assert_eq!(
            p.by_time().collect::<alloc::vec::Vec<_>>(),
            [id(2), id(1), id(3)]
        );
        // A tail placement never goes before the tail even when the clock went back.
        p.touch(id(2), 50, Placement::Tail);
        assert_eq!(
            p.by_time().collect::<alloc::vec::Vec<_>>(),
            [id(1), id(3), id(2)]
        );
        assert_eq!(p.get(id(2)).map(|n| n.delivery_time), Some(50));
        p.check().expect("PEL well-formed");
        assert!(p.remove(id(3)).is_some());
        assert!(p.remove(id(3)).is_none());
        assert_eq!(p.len(), 2);
        p.check().expect("PEL well-formed");
    }

    #[test]
    fn ranges() {
        let mut p = Pel::default();
        assert!(p.is_empty());
        for ms in 1..=5 {
            p.put(id(ms), 0, 0, 1, Placement::Tail);
        }
        assert!(!p.is_empty());
        let got: alloc::vec::Vec<_> = p.range(id(2), id(4)).map(|(i, _)| i).collect();
        assert_eq!(got, [id(2), id(3), id(4)]);
        assert_eq!(p.range(id(4), id(2)).count(), 0);
        assert_eq!(p.bounds(), Some((id(1), id(5))));
    }
}
