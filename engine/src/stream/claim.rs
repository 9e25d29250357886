//! Taking pending entries over from another consumer: XCLAIM (by ID) and XAUTOCLAIM (by
//! scanning the PEL), reference §15–§16. min-idle-time is always enforced; entries no
//! longer in the stream leave the PEL.

use alloc::vec::Vec;

use crate::entry::StreamEntry;
use crate::group::pel::Placement;
use crate::id::StreamId;
use crate::info::{Claimed, XAutoClaimReply};
use crate::options::{ClaimTime, XAutoClaimOptions, XClaimOptions};
use crate::stream::read_group::idle_since;
use crate::stream::Stream;

impl Stream {
    /// The entry `id` if it exists — without its fields when only the ID is replied
    /// (`JUSTID`), which spares copying them. Lookups in ascending ID order pass the
    /// same `cursor`, so each decodes on from where the previous one stopped instead of
    /// from the start of its node.
    fn lookup(
        &self,
        cursor: &mut Option<crate::log::node::Cursor>,
        id: StreamId,
        justid: bool,
    ) -> Option<StreamEntry> {
        let mut found = None;
        let stopped = self.for_each_after(*cursor, id, id, 1, |e| {
            found = Some(if justid {
                StreamEntry {
                    id,
                    fields: Vec::new(),
                }
            } else {
                e.to_entry()
            });
        });
        if stopped.is_some() {
            *cursor = stopped;
        }
        found
    }

    /// XCLAIM for `consumer` of `group` (which must exist; `None` otherwise): takes the
    /// listed pending entries idle at least `min_idle` ms.
    pub fn claim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        min_idle: u64,
        ids: &[StreamId],
        opts: &XClaimOptions,
        now: u64,
    ) -> Option<Claimed> {
        self.tracking_group(group, |s| {
            s.claim_counted(group, consumer, min_idle, ids, opts, now)
        })
    }

    /// [`Stream::claim`], inside [`Stream::tracking_group`].
    fn claim_counted(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        min_idle: u64,
        ids: &[StreamId],
        opts: &XClaimOptions,
        now: u64,
    ) -> Option<Claimed> {
        let g = self.groups.get_mut(group)?;
        if let Some(last) = opts.last_id {
            if last > g.last_delivered {
                g.last_delivered = last;
            }
        }
        // IDLE/TIME: a time before the epoch or after now means now.
        let (time, placement) = match opts.time {
            None => (now, Placement::Tail),
            Some(t) => {
                let at = match t {
                    ClaimTime::Idle(ms) => (now as i64).wrapping_sub(ms),
                    ClaimTime::Time(ms) => ms,
                };
                if at < 0 || at as u64 > now {
                    (now, Placement::Tail)
                } else {
                    (at as u64, Placement::AtTime)
                }
            }
        };
        let owner = g.touch_consumer(consumer, now);
        let mut entries = Vec::new();
        let mut justids = Vec::new();
        let mut cursor = None;
        for &id in ids {
            let entry = self.lookup(&mut cursor, id, opts.justid);
            let g = self.groups.get_mut(group)?;
            let Some(entry) = entry else {
                // Gone from the stream: its pending entry goes too.
                g.ack(id);
                continue;
            };
            let pending = g.pending(id).map(|n| (n.delivery_time, n.delivery_count));
            let count_before = match pending {
                Some((delivered, count)) => {
                    if min_idle > 0 && idle_since(now, delivered) < min_idle as i64 {
                        continue;
                    }
                    count
                }
                // FORCE creates the pending entry (count 1) without an idle check.
                None if opts.force => 1,
                None => continue,
            };
            let count = match opts.retry_count {
                Some(n) if n >= 0 => n as u64,
                _ if opts.justid => count_before,
                _ => count_before.wrapping_add(1),
            };
            g.assign(id, owner, time, count, placement);
            g.mark_active(owner, now);
            if opts.justid {
                justids.push(id);
            } else {
                entries.push(entry);
            }
        }
        Some(if opts.justid {
            Claimed::Ids(justids)
        } else {
            Claimed::Entries(entries)
        })
    }

    /// XAUTOCLAIM for `consumer` of `group` (which must exist; `None` otherwise): scans
    /// the PEL from `start` in ID order, examining at most `count × 10` entries, claiming
    /// those idle at least `min_idle` ms and dropping those no longer in the stream,
    /// until `count` are claimed or dropped.
    pub fn autoclaim(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        min_idle: u64,
        start: StreamId,
        opts: &XAutoClaimOptions,
        now: u64,
    ) -> Option<XAutoClaimReply> {
        self.tracking_group(group, |s| {
            s.autoclaim_counted(group, consumer, min_idle, start, opts, now)
        })
    }

    /// [`Stream::autoclaim`], inside [`Stream::tracking_group`].
    fn autoclaim_counted(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        min_idle: u64,
        start: StreamId,
        opts: &XAutoClaimOptions,
        now: u64,
    ) -> Option<XAutoClaimReply> {
        let g = self.groups.get_mut(group)?;
        let owner = g.touch_consumer(consumer, now);
        let mut budget = opts.count;
        let mut attempts = opts.count.saturating_mul(10);
        // The entries the scan may examine, plus one for the cursor. Claims and drops
        // only touch the entry at hand, so a snapshot is the scan Redis makes.
        let take = usize::try_from(attempts.saturating_add(1)).unwrap_or(usize::MAX);
        let scan: Vec<(StreamId, u64, u64)> = g
            .pel()
            .range(start, StreamId::MAX)
            .take(take)
            .map(|(id, n)| (id, n.delivery_time, n.delivery_count))
            .collect();
        let mut claimed = Vec::new();
        let mut deleted = Vec::new();
        let mut next = StreamId::MIN;
        let mut cursor = None;
        for (id, delivered, count) in scan {
            if attempts == 0 || budget == 0 {
                next = id;
                break;
            }
            attempts -= 1;
            let entry = self.lookup(&mut cursor, id, opts.justid);
            let g = self.groups.get_mut(group)?;
            let Some(entry) = entry else {
                g.ack(id);
                deleted.push(id);
                budget -= 1;
                continue;
            };
            if min_idle > 0 && idle_since(now, delivered) < min_idle as i64 {
                continue;
            }
            let count = if opts.justid {
                count
            } else {
                count.wrapping_add(1)
            };
            g.assign(id, owner, now, count, Placement::Tail);
            g.mark_active(owner, now);
            claimed.push(entry);
            budget -= 1;
        }
        let claimed = if opts.justid {
            Claimed::Ids(claimed.iter().map(|e| e.id).collect())
        } else {
            Claimed::Entries(claimed)
        };
        Some(XAutoClaimReply {
            next,
            claimed,
            deleted,
        })
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use crate::id::StreamId;
    use crate::info::{Claimed, XAutoClaimReply};
    use crate::keyspace::GroupStart;
    use crate::keyspace::Keyspace;
    use crate::options::{ClaimTime, GroupReadId, XAutoClaimOptions, XClaimOptions};
    use crate::options::{XPendingRange, XReadGroupOptions};

    const T0: u64 = 1_000_000;

    /// `s` with entries 1-1, 2-1 delivered to alice at `T0`.
    fn setup() -> Keyspace {
        let mut ks = Keyspace::new();
        for ms in [1, 2] {
            ks.xadd(
                b"s",
                &crate::XAddOptions::with_id(StreamId::new(ms, 1)),
                &[("f", "v")],
                T0,
            )
            .expect("xadd");
        }
        ks.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
            .expect("group");
        ks.xreadgroup(
            b"g",
            b"alice",
            &[("s", GroupReadId::New)],
            &XReadGroupOptions::default(),
            T0,
        )
        .expect("deliver");
        ks
    }

    fn idle_of(ks: &Keyspace, id: StreamId, now: u64) -> Option<u64> {
        let range = XPendingRange {
            min_idle: 0,
            start: id,
            end: id,
            count: 1,
            consumer: None,
        };
        ks.xpending_range(b"s", b"g", &range, now)
            .expect("xpending")
            .first()
            .map(|p| p.idle)
    }

    fn ids(c: &Claimed) -> usize {
        match c {
            Claimed::Entries(v) => v.len(),
            Claimed::Ids(v) => v.len(),
        }
    }

    #[test]
    fn min_idle_is_inclusive() {
        let mut ks = setup();
        let id = StreamId::new(1, 1);
        let o = XClaimOptions::default();
        // Idle 99 < 100: not claimed; idle exactly 100: claimed.
        let c = ks
            .xclaim(b"s", b"g", b"bob", 100, &[id], &o, T0 + 99)
            .expect("claim");
        assert_eq!(ids(&c), 0);
        let c = ks
            .xclaim(b"s", b"g", b"bob", 100, &[id], &o, T0 + 100)
            .expect("claim");
        assert_eq!(ids(&c), 1);
        // XAUTOCLAIM the same: entry 2-1 idle exactly 100.
        let ao = XAutoClaimOptions::default();
        let r: XAutoClaimReply = ks
            .xautoclaim(b"s", b"g", b"carol", 101, StreamId::MIN, &ao, T0 + 100)
            .expect("autoclaim");
        assert_eq!(ids(&r.claimed), 0);
        let r = ks
            .xautoclaim(b"s", b"g", b"carol", 100, StreamId::MIN, &ao, T0 + 100)
            .expect("autoclaim");
        // 1-1 was just claimed by bob (idle 0), 2-1 is idle 100.
        assert_eq!(
            r.claimed,
            Claimed::Entries(vec![ks
                .stream(b"s")
                .ok()
                .flatten()
                .and_then(|s| s.get(StreamId::new(2, 1)))
                .expect("entry")])
        );
    }

    #[test]
    fn min_idle_zero_claims_even_entries_delivered_in_the_future() {
        // The clock went back: the entry was delivered "later" than now. Redis checks
        // idle only when min-idle-time > 0.
        let mut ks = setup();
        let id = StreamId::new(1, 1);
        let o = XClaimOptions::default();
        let c = ks
            .xclaim(b"s", b"g", b"bob", 0, &[id], &o, T0 - 50)
            .expect("claim");
        assert_eq!(ids(&c), 1);
        let ao = XAutoClaimOptions::default();
        let r = ks
            .xautoclaim(b"s", b"g", b"carol", 0, StreamId::new(2, 0), &ao, T0 - 50)
            .expect("autoclaim");
        assert_eq!(ids(&r.claimed), 1);
    }

    #[test]
    fn time_zero_is_a_real_delivery_time_and_the_future_means_now() {
        let mut ks = setup();
        let id = StreamId::new(1, 1);
        let now = T0 + 10;
        let o = XClaimOptions {
            time: Some(ClaimTime::Time(0)),
            ..XClaimOptions::default()
        };
        ks.xclaim(b"s", b"g", b"bob", 0, &[id], &o, now)
            .expect("claim");
        assert_eq!(idle_of(&ks, id, now), Some(now));
        // IDLE equal to now is delivery time 0 as well.
        let o = XClaimOptions {
            time: Some(ClaimTime::Idle(now as i64)),
            ..XClaimOptions::default()
        };
        ks.xclaim(b"s", b"g", b"bob", 0, &[id], &o, now)
            .expect("claim");
        assert_eq!(idle_of(&ks, id, now), Some(now));
        // Negative or future times mean now.
        for t in [
            ClaimTime::Time(-1),
            ClaimTime::Time(now as i64 + 1),
            ClaimTime::Idle(-5),
        ] {
            let o = XClaimOptions {
                time: Some(t),
                ..XClaimOptions::default()
            };
            ks.xclaim(b"s", b"g", b"bob", 0, &[id], &o, now)
                .expect("claim");
            assert_eq!(idle_of(&ks, id, now), Some(0), "{t:?}");
        }
    }
}
