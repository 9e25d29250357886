//! XREADGROUP on one stream (reference §11.2–§11.6): new entries with `>`, the
//! consumer's history with an explicit ID, `NOACK`, and Redis 8.4's `CLAIM`.

use alloc::vec::Vec;

use crate::group::pel::{Pel, Placement};
use crate::group::Group;
use crate::id::StreamId;
use crate::info::GroupEntry;
use crate::options::{GroupReadId, XReadGroupOptions};
use crate::read::sink::{EntrySink, GroupEntries};
use crate::stream::Stream;

/// `now - time` as Redis computes idle times (signed milliseconds).
pub(crate) fn idle_since(now: u64, time: u64) -> i64 {
    (now as i64).wrapping_sub(time as i64)
}

impl Stream {
    /// Serves one stream of an XREADGROUP for `consumer` of `group` at time `now`.
    ///
    /// Returns `None` when the stream is not served (nothing new, nothing claimable, or
    /// no such group): Redis then omits it from the reply, and blocks if no stream was
    /// served. The consumer is created (and its seen time set) whenever the group
    /// exists. `opts.claim` applies only to `>`; the caller switches it off for streams
    /// after one read by explicit ID (§11.6's quirk).
    pub fn read_group(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        id: GroupReadId,
        opts: &XReadGroupOptions,
        now: u64,
    ) -> Option<Vec<GroupEntry>> {
        let mut sink = GroupEntries::default();
        self.read_group_into(group, consumer, id, opts, now, &mut sink)
            .map(|_| sink.entries)
    }

    /// [`Stream::read_group`], handing each delivered entry to `sink` while it is read
    /// (the group records it as it goes). Returns how many entries were delivered, or
    /// `None` when the stream is not served — `sink` may then have been given entries
    /// to forget.
    pub(crate) fn read_group_into(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        id: GroupReadId,
        opts: &XReadGroupOptions,
        now: u64,
        sink: &mut impl EntrySink,
    ) -> Option<usize> {
        self.tracking_group(group, |s| {
            s.read_group_counted(group, consumer, id, opts, now, sink)
        })
    }

    /// [`Stream::read_group_into`], inside [`Stream::tracking_group`].
    fn read_group_counted(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        id: GroupReadId,
        opts: &XReadGroupOptions,
        now: u64,
        sink: &mut impl EntrySink,
    ) -> Option<usize> {
        let count = opts
            .count
            .filter(|&c| c > 0)
            .map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(usize::MAX));
        let counters = self.counters();
        let last_live = self.last_live_id();
        let g = self.groups.get_mut(group)?;
        let owner = g.touch_consumer(consumer, now);
        let after = match id {
            GroupReadId::After(after) => {
                return Some(self.read_history(group, consumer, after, count, now, sink));
            }
            GroupReadId::New => g.last_delivered,
        };
        let has_new = last_live.is_some_and(|top| top > after);
        let claim = opts.claim;
        if claim.is_some() {
            // From the first CLAIM read on, the group keeps its time-ordered index.
            if let Some(pel) = g.pel_mut() {
                pel.index_by_time();
            }
        }
        let claimable = claim.map_or(Vec::new(), |min_idle| {
            self.claimable(group, min_idle, count, now)
        });
        let has_claimable = claim.is_some() && !claimable.is_empty();
        if !has_new && !has_claimable {
            return None;
        }
        let mut delivered = 0;
        // CLAIM: take over idle entries first, oldest delivery first.
        for (cid, idle, count_before) in claimable {
            self.deliver_one(cid, Some((idle, count_before)), sink);
            let g = self.groups.get_mut(group)?;
            g.assign(
                cid,
                owner,
                now,
                count_before.wrapping_add(1),
                Placement::Tail,
            );
            g.mark_active(owner, now);
            delivered += 1;
        }
        if delivered >= count || !has_new {
            return Some(delivered);
        }
        // New entries after last-delivered-id, straight to the sink; the group takes
        // note of each as it is read.
        let room = count - delivered;
        let tag = claim.map(|_| (0, 0));
        let noack = opts.noack;
        let mut new = 0;
        let mut stopped = None;
        if let Some(from) = after.next() {
            let cursor = self
                .groups
                .get(group)
                .and_then(|g| g.read_cursor)
                .filter(|c| c.id == after);
            if sink.wants_size(room) {
                // `[id, fields]`, with CLAIM `[id, fields, :0, :0]`.
                let (parts, extra) = if tag.is_some() { (4, 8) } else { (2, 0) };
                let mut bytes = 0;
                self.for_each_after(cursor, from, StreamId::MAX, room, |e| {
                    bytes += crate::reply::entry_parts_len(e, parts) + extra;
                });
                sink.reserve(bytes);
            }
            let (tree, groups) = self.nodes_and_groups();
            let g = groups.get_mut(group)?;
            stopped = crate::stream::walk_after(tree, cursor, from, StreamId::MAX, room, |e| {
                sink.entry(e, tag);
                g.entries_read = counters.read_one(g.last_delivered, g.entries_read, e.id);
                g.last_delivered = e.id;
                if !noack {
                    g.assign(e.id, owner, now, 1, Placement::Tail);
                }
                new += 1;
            });
        }
        let g = self.groups.get_mut(group)?;
        if stopped.is_some() {
            g.read_cursor = stopped;
        }
        if new > 0 && !noack {
            g.mark_active(owner, now);
        }
        Some(delivered + new)
    }

    /// Hands the live entry `id` to `sink`, or `[id, nil]` when it is gone; true when
    /// it was live.
    fn deliver_one(
        &self,
        id: StreamId,
        claim: Option<(u64, u64)>,
        sink: &mut impl EntrySink,
    ) -> bool {
        let mut found = false;
        self.for_each_in(id, id, 1, |e| {
            sink.entry(e, claim);
            found = true;
        });
        if !found {
            sink.missing(id, claim);
        }
        found
    }

    /// History: the consumer's pending entries after `after`, each redelivered; how
    /// many were handed to `sink`.
    fn read_history(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        after: StreamId,
        count: usize,
        now: u64,
        sink: &mut impl EntrySink,
    ) -> usize {
        // The consumer's entries after `after`: the group PEL filtered by owner, at most
        // as many as it owns.
        let ids: Vec<StreamId> = match self.groups.get(group) {
            Some(g) => match (g.consumer_id(consumer), g.consumer(consumer)) {
                (Some(cid), Some(c)) => match after.next() {
                    Some(from) => g
                        .owned_from(cid, from)
                        .take(count.min(usize::try_from(c.pending).unwrap_or(usize::MAX)))
                        .collect(),
                    None => Vec::new(),
                },
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        for &id in &ids {
            if self.deliver_one(id, None, sink) {
                if let Some(g) = self.groups.get_mut(group) {
                    let n = g.pending(id).map_or(0, |n| n.delivery_count);
                    g.redeliver(id, now, n.wrapping_add(1));
                }
            }
        }
        ids.len()
    }

    /// Pending entries XREADGROUP … CLAIM would take now: walking the delivery-time order
    /// from the oldest, skipping entries no longer in the stream, up to the first that
    /// is not idle enough, at most `count`. Each with its idle time and count before.
    fn claimable(
        &self,
        group: &[u8],
        min_idle: u64,
        count: usize,
        now: u64,
    ) -> Vec<(StreamId, u64, u64)> {
        let Some(g) = self.groups.get(group) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for id in g.pel().by_time() {
            if out.len() >= count {
                break;
            }
            if !self.contains(id) {
                continue;
            }
            let Some(n) = g.pending(id) else {
                continue;
            };
            let idle = idle_since(now, n.delivery_time);
            if idle < min_idle as i64 {
                break;
            }
            out.push((id, idle.max(0) as u64, n.delivery_count));
        }
        out
    }

    /// When XREADGROUP … CLAIM `min_idle` on this group could next claim something: the
    /// oldest pending entry still in the stream becomes idle enough (reference §21.6).
    /// `None` when no pending entry exists in the stream. Builds the group's
    /// delivery-time index, as a CLAIM read does.
    pub fn claim_deadline(&mut self, group: &[u8], min_idle: u64) -> Option<u64> {
        self.with_group(group, |g| g.pel_mut().map(Pel::index_by_time))?;
        let g = self.groups.get(group)?;
        first_existing_deadline(self, g, min_idle)
    }
}

fn first_existing_deadline(s: &Stream, g: &Group, min_idle: u64) -> Option<u64> {
    g.pel()
        .by_time()
        .find(|id| s.contains(*id))
        .and_then(|id| g.pending(id))
        .map(|n| n.delivery_time.saturating_add(min_idle))
}

#[cfg(test)]
mod tests {
    use crate::keyspace::Keyspace;
    use crate::reply::Reply;

    /// The IDs and first values of an XREADGROUP reply for one stream.
    fn served(r: &Reply) -> alloc::vec::Vec<(alloc::string::String, alloc::string::String)> {
        let text = |r: &Reply| match r {
            Reply::Bulk(b) => alloc::string::String::from_utf8_lossy(b).into_owned(),
            other => alloc::format!("{other:?}"),
        };
        let Reply::PairMap(streams) = r else {
            return alloc::vec::Vec::new();
        };
        let Some((_, Reply::Array(entries))) = streams.first() else {
            return alloc::vec::Vec::new();
        };
        entries
            .iter()
            .filter_map(|e| match e {
                Reply::Array(parts) => match (parts.first(), parts.get(1)) {
                    (Some(id), Some(Reply::Array(fv))) => {
                        Some((text(id), fv.get(1).map(text).unwrap_or_default()))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// A `>` read resumes where the group's last one stopped, and never in a node that
    /// merely has the same first ID as the one it stopped in.
    #[test]
    fn new_entries_resume_after_the_last_read_and_only_in_the_same_node() {
        let mut ks = Keyspace::new();
        let read = |ks: &mut Keyspace, count: &str| {
            served(&ks.execute_str(
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "COUNT",
                    count,
                    "STREAMS",
                    "s",
                    ">",
                ],
                1,
            ))
        };
        for seq in 1..=6 {
            let id = alloc::format!("1-{seq}");
            ks.execute_str(&["XADD", "s", &id, "f", "v"], 1);
        }
        ks.execute_str(&["XGROUP", "CREATE", "s", "g", "0"], 1);
        let ids = |v: &[(alloc::string::String, alloc::string::String)]| {
            v.iter()
                .map(|(id, _)| id.clone())
                .collect::<alloc::vec::Vec<_>>()
        };
        assert_eq!(ids(&read(&mut ks, "2")), ["1-1", "1-2"]);
        assert_eq!(ids(&read(&mut ks, "1")), ["1-3"]);
        assert_eq!(ids(&read(&mut ks, "9")), ["1-4", "1-5", "1-6"]);
        // Rebuild the stream under the same IDs, with a different byte layout, and set
        // the group back to 1-6, where its cursor stopped in the old node.
        ks.execute_str(&["XTRIM", "s", "MAXLEN", "0"], 1);
        ks.execute_str(&["XSETID", "s", "1-0", "MAXDELETEDID", "1-0"], 1);
        for (seq, v) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().enumerate() {
            let id = alloc::format!("1-{}", seq + 1);
            let long = v.repeat(30);
            ks.execute_str(&["XADD", "s", &id, "g", v, "h", &long], 1);
        }
        ks.execute_str(&["XGROUP", "SETID", "s", "g", "1-6"], 1);
        assert_eq!(
            read(&mut ks, "9"),
            [("1-7".into(), "g".into()), ("1-8".into(), "h".into())]
        );
    }
}
