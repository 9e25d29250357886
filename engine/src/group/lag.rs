//! A consumer group's `entries-read` and `lag`, computed exactly as Redis 8.x computes
//! them (reference §19), tombstone rules and nil cases included.
//!
//! Redis does not count how many entries lie between two IDs; it estimates a group's
//! logical position from the stream's counters (`entries-added`, length, first ID, last
//! ID, max deleted ID) and gives up — reports nil — whenever a deletion could make the
//! estimate wrong.

use crate::id::StreamId;

/// The stream counters the estimates read.
#[derive(Clone, Copy, Debug)]
pub struct Counters {
    /// `entries-added`.
    pub added: u64,
    /// Length (live entries).
    pub len: u64,
    /// `recorded-first-entry-id`.
    pub first: StreamId,
    /// `last-generated-id`.
    pub last: StreamId,
    /// `max-deleted-entry-id`.
    pub max_deleted: StreamId,
}

impl Counters {
    /// True when a tombstone may lie at or after `id` (Redis's
    /// `streamRangeHasTombstones` from `id` to the end).
    pub fn tombstone_after(&self, id: StreamId) -> bool {
        self.len > 0 && !self.max_deleted.is_zero() && id <= self.max_deleted
    }

    /// How many entries were ever added up to and including `id`, when that can be
    /// known (Redis's `streamEstimateDistanceFromFirstEverEntry`); `None` = invalid.
    pub fn estimate(&self, id: StreamId) -> Option<u64> {
        if self.added == 0 {
            return Some(0);
        }
        if self.len == 0 && id <= self.last {
            return Some(self.added);
        }
        if !id.is_zero() && id < self.max_deleted {
            return None;
        }
        if id == self.last {
            return Some(self.added);
        }
        if id > self.last {
            return None;
        }
        if self.max_deleted.is_zero() || self.max_deleted < self.first {
            if id < self.first {
                return Some(self.added - self.len);
            }
            if id == self.first {
                return Some(self.added - self.len + 1);
            }
        }
        None
    }

    /// The new `entries-read` of a group at `last_delivered` with `entries_read` when
    /// XREADGROUP `>` delivers `id` (called before the group moves to `id`).
    pub fn read_one(
        &self,
        last_delivered: StreamId,
        entries_read: Option<u64>,
        id: StreamId,
    ) -> Option<u64> {
        match entries_read {
            Some(n) if last_delivered >= self.first && !self.tombstone_after(last_delivered) => {
                Some(n.wrapping_add(1))
            }
            _ if self.added > 0 => self.estimate(id),
            other => other,
        }
    }

    /// The group's `lag` (XINFO GROUPS); `None` is Redis's nil.
    pub fn lag(&self, last_delivered: StreamId, entries_read: Option<u64>) -> Option<u64> {
        if self.added == 0 || self.len == 0 {
            return Some(0);
        }
        if last_delivered < self.first && self.max_deleted < self.first {
            return Some(self.len);
        }
        if let Some(read) = entries_read {
            if !self.tombstone_after(last_delivered) {
                return Some(self.added.wrapping_sub(read));
            }
        }
        self.estimate(last_delivered)
            .map(|e| self.added.wrapping_sub(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64) -> StreamId {
        StreamId::new(ms, 1)
    }

    /// Five entries 1-1 … 5-1, nothing deleted.
    fn five() -> Counters {
        Counters {
            added: 5,
            len: 5,
            first: id(1),
            last: id(5),
            max_deleted: StreamId::MIN,
        }
    }

    #[test]
    fn reference_illustrations() {
        let c = five();
        // Created at 0 without ENTRIESREAD: nil / 5.
        assert_eq!(c.lag(StreamId::MIN, None), Some(5));
        // Created at `$`: lag 0.
        assert_eq!(c.lag(id(5), None), Some(0));
        // In the middle, or beyond the last: nil.
        assert_eq!(c.lag(id(3), None), None);
        assert_eq!(c.lag(id(9), None), None);
        // ENTRIESREAD 2 at 0: rule 3 wins → 5; reading one re-estimates to 1, lag 4.
        assert_eq!(c.lag(StreamId::MIN, Some(2)), Some(5));
        let read = c.read_one(StreamId::MIN, Some(2), id(1));
        assert_eq!(read, Some(1));
        assert_eq!(c.lag(id(1), read), Some(4));
        // After XDEL 4-1, a group at 1-1 that read 1: lag nil; reading up to 5-1 gives 5 / 0.
        let d = Counters {
            len: 4,
            max_deleted: id(4),
            ..c
        };
        assert_eq!(d.lag(id(1), Some(1)), None);
        assert_eq!(d.read_one(id(3), Some(3), id(5)), Some(5));
        assert_eq!(d.lag(id(5), Some(5)), Some(0));
        // Empty stream: 0.
        let e = Counters { len: 0, ..d };
        assert_eq!(e.lag(id(1), Some(1)), Some(0));
        // Nothing ever added: entries-read estimate 0.
        let z = Counters {
            added: 0,
            len: 0,
            first: StreamId::MIN,
            last: StreamId::MIN,
            max_deleted: StreamId::MIN,
        };
        assert_eq!(z.estimate(id(3)), Some(0));
        assert_eq!(z.read_one(StreamId::MIN, None, id(1)), None);
    }

    #[test]
    fn rule_three_needs_the_tombstone_strictly_before_the_first_entry() {
        // XSETID … MAXDELETEDID can put max-deleted-entry-id on a live entry, even the
        // first: then a group before the first entry is not "behind everything".
        let c = Counters {
            added: 3,
            len: 3,
            first: id(1),
            last: id(3),
            max_deleted: id(1),
        };
        assert_eq!(c.lag(StreamId::MIN, None), None);
        let before = Counters {
            max_deleted: StreamId::new(0, 5),
            ..c
        };
        assert_eq!(before.lag(StreamId::MIN, None), Some(3));
    }

    #[test]
    fn estimate_rules_in_order() {
        let c = Counters {
            added: 10,
            len: 3,
            first: id(5),
            last: id(9),
            max_deleted: id(2),
        };
        assert_eq!(c.estimate(id(1)), None); // below max-deleted
        assert_eq!(c.estimate(id(9)), Some(10)); // the last
        assert_eq!(c.estimate(id(12)), None); // beyond the last
        assert_eq!(c.estimate(id(4)), Some(7)); // before the first, no tombstone in range
        assert_eq!(c.estimate(id(5)), Some(8)); // the first
        assert_eq!(c.estimate(id(6)), None); // inside the range
        assert_eq!(c.estimate(StreamId::MIN), Some(7)); // 0-0 is never "below max-deleted"
        let t = Counters {
            max_deleted: id(6),
            ..c
        };
        assert_eq!(t.estimate(id(6)), None); // at a tombstone inside the range
        assert!(t.tombstone_after(id(6)));
        assert!(!t.tombstone_after(id(7)));
    }
}
