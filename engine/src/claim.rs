//! Taking pending entries over from another consumer: XCLAIM (by ID) and XAUTOCLAIM (by
//! scanning the PEL), reference §15–§16. min-idle-time is always enforced; entries no
//! longer in the stream leave the PEL.

use alloc::vec::Vec;

use crate::id::StreamId;
use crate::info::{Claimed, XAutoClaimReply};
use crate::options::{ClaimTime, XAutoClaimOptions, XClaimOptions};
use crate::pel::Placement;
use crate::readgroup::idle_since;
use crate::stream::Stream;

impl Stream {
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
        for &id in ids {
            let entry = self.get(id);
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
        for (id, delivered, count) in scan {
            if attempts == 0 || budget == 0 {
                next = id;
                break;
            }
            attempts -= 1;
            let entry = self.get(id);
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
