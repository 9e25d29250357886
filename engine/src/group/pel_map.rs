//! An ordered map keyed by stream ID, shaped for the way a queue's pending entries move:
//! IDs arrive in ascending order (each `>` delivery is above the last) and leave mostly
//! from the bottom (acknowledgements in delivery order).
//!
//! Those go to a sorted ring (`run`): appending above its top and removing its bottom
//! cost O(1), and a removal in the middle leaves a hole that is skipped and later
//! compacted away (amortised O(1)). An ID that lands elsewhere — below the ring's top and
//! not in a hole with its own ID, as XCLAIM FORCE of an old entry or deliveries after
//! XGROUP SETID moved back can do — goes to a B-tree (`rest`), so no insertion ever
//! shifts the ring. Lookups try the ring (binary search) and then the tree; ordered walks
//! merge the two. The std B-tree alone costs 300–400 instructions per delivery and per
//! acknowledgement here; the ring costs a few dozen.
//!
//! Invariants ([`IdMap::check`]): the ring is strictly ascending, its first and last
//! slots hold values, `live` counts its values, and no ID is both a ring slot and a tree
//! key.

use alloc::collections::{BTreeMap, VecDeque};

use crate::id::StreamId;

/// Holes tolerated in the ring before it is compacted: this many, or as many as it has
/// values, whichever is more.
const HOLES_SLACK: usize = 64;

/// An ordered map from stream IDs to `V`.
#[derive(Debug)]
pub struct IdMap<V> {
    run: VecDeque<(StreamId, Option<V>)>,
    live: usize,
    rest: BTreeMap<StreamId, V>,
}

impl<V: Clone> Clone for IdMap<V> {
    /// Keeps the ring's capacity: [`IdMap::heap_bytes`] counts it.
    fn clone(&self) -> IdMap<V> {
        let mut run = VecDeque::with_capacity(self.run.capacity());
        run.extend(self.run.iter().cloned());
        IdMap {
            run,
            live: self.live,
            rest: self.rest.clone(),
        }
    }
}

impl<V> Default for IdMap<V> {
    fn default() -> IdMap<V> {
        IdMap::new()
    }
}

impl<V> IdMap<V> {
    /// An empty map (allocates nothing).
    pub(crate) const fn new() -> IdMap<V> {
        IdMap {
            run: VecDeque::new(),
            live: 0,
            rest: BTreeMap::new(),
        }
    }
}

impl<V> IdMap<V> {
    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.live + self.rest.len()
    }

    /// True when there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where `id` is (or would be) in the ring. (Interpolation probes ahead of the
    /// binary search were measured: they halve a random lookup in a ring of 10⁷ but
    /// cost XAUTOCLAIM's neighbouring lookups their cache-warm search path — 17% slower
    /// at 10⁶ — since a busy stream's IDs form a staircase, thousands per millisecond,
    /// that interpolates poorly.)
    #[inline]
    fn find(&self, id: StreamId) -> Result<usize, usize> {
        // Acknowledgements and lookups mostly hit the bottom.
        match self.run.front() {
            Some((first, _)) if *first == id => Ok(0),
            Some((first, _)) if *first > id => Err(0),
            Some(_) => self.run.binary_search_by(|(k, _)| k.cmp(&id)),
            None => Err(0),
        }
    }

    /// The value of `id`.
    pub fn get(&self, id: StreamId) -> Option<&V> {
        match self.find(id) {
            Ok(i) => self.run.get(i).and_then(|(_, v)| v.as_ref()),
            Err(_) => self.rest.get(&id),
        }
    }

    /// The value of `id`, mutably.
    pub fn get_mut(&mut self, id: StreamId) -> Option<&mut V> {
        match self.find(id) {
            Ok(i) => self.run.get_mut(i).and_then(|(_, v)| v.as_mut()),
            Err(_) => self.rest.get_mut(&id),
        }
    }

    /// True when `id` has a value.
    pub fn contains(&self, id: StreamId) -> bool {
        self.get(id).is_some()
    }

    /// The smallest and greatest IDs.
    pub fn bounds(&self) -> Option<(StreamId, StreamId)> {
        let ring = self
            .run
            .front()
            .zip(self.run.back())
            .map(|((a, _), (b, _))| (*a, *b));
        let tree = self
            .rest
            .first_key_value()
            .zip(self.rest.last_key_value())
            .map(|((a, _), (b, _))| (*a, *b));
        match (ring, tree) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (one, None) | (None, one) => one,
        }
    }

    /// Sets the value of `id`; returns the previous one.
    pub fn insert(&mut self, id: StreamId, value: V) -> Option<V> {
        let above_top = self.run.back().is_none_or(|(top, _)| *top < id);
        if above_top {
            if let Some(v) = self.rest.get_mut(&id) {
                return Some(core::mem::replace(v, value));
            }
            self.run.push_back((id, Some(value)));
            self.live += 1;
            return None;
        }
        match self.find(id) {
            Ok(i) => {
                let slot = &mut self.run[i].1;
                let old = slot.replace(value);
                if old.is_none() {
                    self.live += 1;
                }
                old
            }
            Err(0) if !self.rest.contains_key(&id) => {
                // Below the ring's bottom: still in order.
                self.run.push_front((id, Some(value)));
                self.live += 1;
                None
            }
            Err(_) => self.rest.insert(id, value),
        }
    }

    /// Removes `id`; returns its value.
    pub fn remove(&mut self, id: StreamId) -> Option<V> {
        let i = match self.find(id) {
            Ok(i) => i,
            Err(_) => return self.rest.remove(&id),
        };
        let old = self.run.get_mut(i).and_then(|(_, v)| v.take())?;
        self.live -= 1;
        // Keep values at both ends; compact when holes outnumber values.
        while self.run.front().is_some_and(|(_, v)| v.is_none()) {
            self.run.pop_front();
        }
        while self.run.back().is_some_and(|(_, v)| v.is_none()) {
            self.run.pop_back();
        }
        let holes = self.run.len() - self.live;
        if holes > HOLES_SLACK.max(self.live) {
            self.run.retain(|(_, v)| v.is_some());
        }
        Some(old)
    }

    /// Entries with `lo <= id <= hi`, ascending (empty when `lo > hi`).
    pub fn range(&self, lo: StreamId, hi: StreamId) -> Range<'_, V> {
        let (a, b) = if lo <= hi {
            (
                self.run.partition_point(|(k, _)| *k < lo),
                self.run.partition_point(|(k, _)| *k <= hi),
            )
        } else {
            (0, 0)
        };
        let tree = if lo <= hi {
            Some(self.rest.range(lo..=hi))
        } else {
            None
        };
        Range {
            ring: self.run.range(a..b),
            tree,
            ring_front: None,
            ring_back: None,
            tree_front: None,
            tree_back: None,
        }
    }

    /// Every entry, ascending.
    pub fn iter(&self) -> Range<'_, V> {
        self.range(StreamId::MIN, StreamId::MAX)
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        // Tree nodes hold up to 11 entries and are about two thirds full.
        self.run.capacity() * core::mem::size_of::<(StreamId, Option<V>)>()
            + self.rest.len() * core::mem::size_of::<(StreamId, V)>() * 3 / 2
    }

    /// Checks the invariants in the module documentation.
    pub fn check(&self) -> Result<(), alloc::string::String> {
        let mut prev: Option<StreamId> = None;
        let mut live = 0;
        for (id, v) in &self.run {
            if prev.is_some_and(|p| p >= *id) {
                return Err(alloc::format!("ID map ring out of order at {id}"));
            }
            prev = Some(*id);
            if v.is_some() {
                live += 1;
            }
            if self.rest.contains_key(id) {
                return Err(alloc::format!("ID map holds {id} twice"));
            }
        }
        if live != self.live {
            return Err(alloc::format!(
                "ID map ring counts {} values but holds {live}",
                self.live
            ));
        }
        let ends_hold = self.run.front().is_none_or(|(_, v)| v.is_some())
            && self.run.back().is_none_or(|(_, v)| v.is_some());
        if !ends_hold {
            return Err("ID map ring ends in a hole".into());
        }
        Ok(())
    }
}

/// Entries of an [`IdMap`] in ascending order (both ends): the ring's and the tree's,
/// merged.
pub struct Range<'a, V> {
    ring: alloc::collections::vec_deque::Iter<'a, (StreamId, Option<V>)>,
    tree: Option<alloc::collections::btree_map::Range<'a, StreamId, V>>,
    ring_front: Option<(StreamId, &'a V)>,
    ring_back: Option<(StreamId, &'a V)>,
    tree_front: Option<(StreamId, &'a V)>,
    tree_back: Option<(StreamId, &'a V)>,
}

impl<'a, V> Range<'a, V> {
    fn ring_next(&mut self) -> Option<(StreamId, &'a V)> {
        self.ring
            .by_ref()
            .find_map(|(k, v)| v.as_ref().map(|v| (*k, v)))
            .or_else(|| self.ring_back.take())
    }

    fn ring_next_back(&mut self) -> Option<(StreamId, &'a V)> {
        self.ring
            .by_ref()
            .rev()
            .find_map(|(k, v)| v.as_ref().map(|v| (*k, v)))
            .or_else(|| self.ring_front.take())
    }

    fn tree_next(&mut self) -> Option<(StreamId, &'a V)> {
        self.tree
            .as_mut()
            .and_then(|t| t.next())
            .map(|(k, v)| (*k, v))
            .or_else(|| self.tree_back.take())
    }

    fn tree_next_back(&mut self) -> Option<(StreamId, &'a V)> {
        self.tree
            .as_mut()
            .and_then(|t| t.next_back())
            .map(|(k, v)| (*k, v))
            .or_else(|| self.tree_front.take())
    }
}

impl<'a, V> Iterator for Range<'a, V> {
    type Item = (StreamId, &'a V);

    fn next(&mut self) -> Option<(StreamId, &'a V)> {
        if self.ring_front.is_none() {
            self.ring_front = self.ring_next();
        }
        if self.tree_front.is_none() {
            self.tree_front = self.tree_next();
        }
        match (&self.ring_front, &self.tree_front) {
            (Some((a, _)), Some((b, _))) if b < a => self.tree_front.take(),
            (Some(_), _) => self.ring_front.take(),
            (None, _) => self.tree_front.take(),
        }
    }
}

impl<'a, V> DoubleEndedIterator for Range<'a, V> {
    fn next_back(&mut self) -> Option<(StreamId, &'a V)> {
        if self.ring_back.is_none() {
            self.ring_back = self.ring_next_back();
        }
        if self.tree_back.is_none() {
            self.tree_back = self.tree_next_back();
        }
        match (&self.ring_back, &self.tree_back) {
            (Some((a, _)), Some((b, _))) if b > a => self.tree_back.take(),
            (Some(_), _) => self.ring_back.take(),
            (None, _) => self.tree_back.take(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u64, u32),
        Remove(u64),
        Range(u64, u64, bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Mostly queue-shaped traffic (ascending inserts, low removals), some anywhere.
        prop_oneof![
            4 => (0u64..400, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
            3 => (0u64..400).prop_map(Op::Remove),
            1 => (0u64..400, 0u64..400, any::<bool>()).prop_map(|(a, b, r)| Op::Range(a, b, r)),
        ]
    }

    fn id(k: u64) -> StreamId {
        StreamId::new(k / 3, k % 3)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Against a plain B-tree: every reply and every walk, from both ends.
        #[test]
        fn behaves_as_a_btree_map(ops in proptest::collection::vec(op(), 1..300), climb in any::<bool>()) {
            let mut m = IdMap::default();
            let mut model = BTreeMap::new();
            let mut top = 0u64;
            for o in ops {
                match o {
                    Op::Insert(k, v) => {
                        // Half the runs climb, as deliveries do.
                        let k = if climb { top += 1 + k % 3; top } else { k };
                        prop_assert_eq!(m.insert(id(k), v), model.insert(id(k), v));
                    }
                    Op::Remove(k) => {
                        prop_assert_eq!(m.remove(id(k)), model.remove(&id(k)));
                        let low = model.keys().next().copied();
                        if let Some(low) = low {
                            prop_assert_eq!(m.remove(low), model.remove(&low));
                        }
                    }
                    Op::Range(a, b, rev) => {
                        let got: Vec<_> = if rev {
                            m.range(id(a), id(b)).rev().map(|(k, v)| (k, *v)).collect()
                        } else {
                            m.range(id(a), id(b)).map(|(k, v)| (k, *v)).collect()
                        };
                        let want: Vec<_> = if a <= b {
                            let it = model.range(id(a)..=id(b)).map(|(k, v)| (*k, *v));
                            if rev { it.rev().collect() } else { it.collect() }
                        } else {
                            Vec::new()
                        };
                        prop_assert_eq!(got, want);
                    }
                }
                prop_assert_eq!(m.len(), model.len());
                m.check().map_err(TestCaseError::fail)?;
                let bounds = model.keys().next().copied().zip(model.keys().next_back().copied());
                prop_assert_eq!(m.bounds(), bounds);
            }
            // Both ends at once meet without losing or repeating anything.
            let mut it = m.iter();
            let mut got = Vec::new();
            let mut back = Vec::new();
            while let Some((k, _)) = it.next() {
                got.push(k);
                match it.next_back() { Some((k, _)) => back.push(k), None => break }
            }
            back.reverse();
            got.extend(back);
            let want: Vec<_> = model.keys().copied().collect();
            prop_assert_eq!(got, want);
            for (k, v) in &model {
                prop_assert_eq!(m.get(*k), Some(v));
            }
            for k in 0..400 {
                prop_assert_eq!(m.contains(id(k)), model.contains_key(&id(k)));
            }
        }
    }

    #[test]
    fn queue_traffic_stays_in_the_ring() {
        let mut m = IdMap::default();
        for k in 1..=1000 {
            m.insert(id(k), k);
            // Entry 1 stays pending while the ones after it are acknowledged: their
            // holes are compacted away.
            if k > 2 {
                assert_eq!(m.remove(id(k - 1)), Some(k - 1));
            }
        }
        assert_eq!(m.len(), 2);
        assert!(m.rest.is_empty());
        assert!(m.run.len() <= m.live + HOLES_SLACK.max(m.live));
        m.check().expect("well-formed");
    }

    /// Large rings with skewed IDs (bursts within one ms, long gaps, huge sequence
    /// numbers): every lookup — present, absent, between and beyond — answers as a
    /// B-tree does.
    #[test]
    fn lookups_on_skewed_ids() {
        use alloc::collections::BTreeMap;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for shape in 0..4u64 {
            let mut m = IdMap::default();
            let mut model = BTreeMap::new();
            let mut cur = StreamId::new(1_000, 0);
            for i in 0..20_000u64 {
                cur = match (shape, rnd() % 10) {
                    (0, _) => StreamId::new(cur.ms + 1, 0),
                    (1, 0) => StreamId::new(cur.ms + rnd() % 1_000_000_000, 0),
                    (1, _) => StreamId::new(cur.ms, cur.seq.saturating_add(1)),
                    (2, 0) => StreamId::new(cur.ms, cur.seq.saturating_add(1 << 60)),
                    (2, _) => StreamId::new(cur.ms, cur.seq.saturating_add(1 + rnd() % 7)),
                    _ => StreamId::new(
                        cur.ms + u64::from(i % 97 == 0) * 1_000_000,
                        cur.seq.saturating_add(1),
                    ),
                };
                m.insert(cur, i);
                model.insert(cur, i);
            }
            for _ in 0..5_000 {
                if model.is_empty() {
                    break;
                }
                let probe = match rnd() % 3 {
                    0 => *model
                        .keys()
                        .nth((rnd() % model.len() as u64) as usize)
                        .expect("key"),
                    1 => StreamId::new(1_000 + rnd() % (cur.ms - 999), rnd() % 4),
                    _ => StreamId::new(cur.ms, rnd()),
                };
                assert_eq!(m.get(probe), model.get(&probe), "shape {shape}, {probe:?}");
                if rnd() % 4 == 0 {
                    assert_eq!(m.remove(probe), model.remove(&probe));
                }
            }
            m.check().expect("well-formed");
            let all: Vec<_> = m.iter().map(|(k, v)| (k, *v)).collect();
            let want: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(all, want);
        }
    }
}
