//! The typed consumer-group commands of the [`Keyspace`]: XGROUP, XREADGROUP, XACK,
//! XACKDEL, XDELEX, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS and CONSUMERS.
//!
//! Each method does the key and group lookups in Redis's order and returns Redis's
//! error for a missing key or group; the work on the stream is in `group.rs`,
//! `readgroup.rs` and `claim.rs`. The command layer (`cmd/`) parses argument vectors
//! onto these methods.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::blocking::Signal;
use crate::error::Error;
use crate::group::{ConsumerId, Group};
use crate::id::StreamId;
use crate::info::{
    Claimed, FullConsumer, FullGroup, GroupEntry, PendingEntry, XAutoClaimReply, XInfoConsumer,
    XInfoGroup, XPendingSummary,
};
use crate::keyspace::{KeyType, Keyspace, Value};
use crate::options::{
    GroupReadId, RefPolicy, XAutoClaimOptions, XClaimOptions, XPendingRange, XReadGroupOptions,
};
use crate::readgroup::idle_since;
use crate::stream::Stream;

/// Where XGROUP CREATE / SETID put the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupStart {
    /// `$`: the stream's last-generated-id (only entries added later are new).
    Last,
    /// An explicit ID (`0` reads the whole stream).
    Id(StreamId),
}

impl GroupStart {
    fn resolve(self) -> Option<StreamId> {
        match self {
            GroupStart::Last => None,
            GroupStart::Id(id) => Some(id),
        }
    }
}

impl Keyspace {
    /// XGROUP CREATE key group id|$ \[MKSTREAM\] \[ENTRIESREAD n\]: `entries_read` −1 (or
    /// `None`) leaves it unknown; values above `entries-added` are clamped.
    pub fn xgroup_create(
        &mut self,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        match self.key_type(key) {
            KeyType::Stream => {}
            KeyType::String => return Err(Error::WrongType),
            KeyType::None if mkstream => {
                let (d, m) = (self.config().idmp_duration, self.config().idmp_maxsize);
                self.insert_value(key, Value::Stream(Box::new(Stream::with_idmp(d, m))));
                self.touch(key);
                self.signals.raise(key, Signal::Data);
            }
            KeyType::None => return Err(Error::XGroupKeyMissing),
        }
        self.with_group_stream(key, |s| {
            s.create_group(group, start.resolve(), entries_read)
        })??;
        self.add_dirty(1);
        Ok(())
    }

    /// XGROUP SETID key group id|$ [ENTRIESREAD n]. The PEL is left alone.
    pub fn xgroup_setid(
        &mut self,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        if self.with_group_stream(key, |s| {
            s.set_group_id(group, start.resolve(), entries_read)
        })? {
            self.add_dirty(1);
            Ok(())
        } else {
            Err(Error::no_such_group(key, group))
        }
    }

    /// XGROUP DESTROY: true if the group existed.
    pub fn xgroup_destroy(&mut self, key: &[u8], group: &[u8]) -> Result<bool, Error> {
        let destroyed = self.with_group_stream(key, |s| s.destroy_group(group))?;
        if destroyed {
            self.signals.raise(key, Signal::Data);
            self.add_dirty(1);
        }
        Ok(destroyed)
    }

    /// XGROUP CREATECONSUMER: true if the consumer was created.
    pub fn xgroup_createconsumer(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        now: u64,
    ) -> Result<bool, Error> {
        let created = self
            .with_group_stream(key, |s| {
                s.with_group(group, |g| g.create_consumer(consumer, now))
            })?
            .ok_or_else(|| Error::no_such_group(key, group))?;
        self.add_dirty(u64::from(created));
        Ok(created)
    }

    /// XGROUP DELCONSUMER: the number of pending entries the consumer owned (dropped
    /// from the PEL), 0 if it did not exist.
    pub fn xgroup_delconsumer(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<u64, Error> {
        let deleted = self
            .with_group_stream(key, |s| {
                s.with_group(group, |g| g.delete_consumer(consumer))
            })?
            .ok_or_else(|| Error::no_such_group(key, group))?;
        self.add_dirty(u64::from(deleted.is_some()));
        Ok(deleted.unwrap_or(0))
    }

    /// Checks that `key` holds a stream with `group` (XREADGROUP's per-stream check).
    pub fn check_group_for_read(&self, key: &[u8], group: &[u8]) -> Result<(), Error> {
        match self.stream(key)? {
            Some(s) if s.group(group).is_some() => Ok(()),
            _ => Err(Error::no_group_for_read(key, group)),
        }
    }

    /// Non-blocking XREADGROUP. Every stream is validated (type, key and group) before
    /// anything is read; streams with nothing to serve are left out.
    pub fn xreadgroup<K: AsRef<[u8]>>(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        streams: &[(K, GroupReadId)],
        opts: &XReadGroupOptions,
        now: u64,
    ) -> Result<Vec<(Bytes, Vec<GroupEntry>)>, Error> {
        let mut sink = crate::read_sink::GroupVec::default();
        self.xreadgroup_into(group, consumer, streams, opts, now, &mut sink)?;
        Ok(sink.streams)
    }

    /// [`Keyspace::xreadgroup`], handing each stream tried and the entries delivered
    /// from it to `sink` as they are read.
    pub(crate) fn xreadgroup_into<K: AsRef<[u8]>>(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        streams: &[(K, GroupReadId)],
        opts: &XReadGroupOptions,
        now: u64,
        sink: &mut impl crate::read_sink::ReadSink,
    ) -> Result<(), Error> {
        self.check_slots(streams.iter().map(|(k, _)| k.as_ref()))?;
        for (key, _) in streams {
            self.check_group_for_read(key.as_ref(), group)?;
        }
        let mut opts = *opts;
        for (key, id) in streams {
            let id = id.normalized();
            // Redis's quirk (§11.6): an explicit ID switches CLAIM off for this stream
            // and every later one.
            if matches!(id, GroupReadId::After(_)) {
                opts.claim = None;
            }
            // Redis counts a consumer it creates, and a stream it serves from `>`.
            let created = self
                .stream(key.as_ref())?
                .and_then(|s| s.group(group))
                .is_some_and(|g| g.consumer(consumer).is_none());
            self.add_dirty(u64::from(created));
            sink.begin_stream(key.as_ref());
            let served = self
                .with_stream_mut(key.as_ref(), |s| {
                    s.read_group_into(group, consumer, id, &opts, now, sink)
                })
                .map(Option::flatten);
            let served = match served {
                Ok(served) => served,
                Err(e) => {
                    sink.end_stream(false);
                    return Err(e);
                }
            };
            sink.end_stream(served.is_some());
            if id == GroupReadId::New && served.is_some_and(|n| n > 0) {
                self.add_dirty(1);
            }
        }
        Ok(())
    }

    /// XACK: how many of `ids` were pending in the group (and are no longer). A missing
    /// key or group acknowledges nothing.
    pub fn xack(&mut self, key: &[u8], group: &[u8], ids: &[StreamId]) -> Result<u64, Error> {
        let acked = self.with_stream_mut(key, |s| {
            s.with_group(group, |g| {
                ids.iter().filter(|id| g.ack(**id)).count() as u64
            })
            .unwrap_or(0)
        })?;
        self.add_dirty(acked.unwrap_or(0));
        Ok(acked.unwrap_or(0))
    }

    /// XACKDEL: acknowledge in `group` and delete under `policy`; one code per ID (`-1`
    /// for all when the key or group is missing).
    pub fn xackdel(
        &mut self,
        key: &[u8],
        group: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        let codes = self
            .with_stream_mut(key, |s| s.ack_delete(group, ids, policy))?
            .flatten();
        if codes.as_ref().is_some_and(|c| c.contains(&1)) {
            self.touch(key);
        }
        // One change per ID that was pending, deleted or not.
        let acked = codes
            .as_ref()
            .map_or(0, |c| c.iter().filter(|&&c| c != -1).count());
        self.add_dirty(acked as u64);
        Ok(codes.unwrap_or_else(|| alloc::vec![-1; ids.len()]))
    }

    /// XDELEX: delete under `policy`; one code per ID (`-1` for all on a missing key).
    pub fn xdelex(
        &mut self,
        key: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        let codes = self.with_stream_mut(key, |s| s.delete_ex(ids, policy))?;
        if codes.as_ref().is_some_and(|c| c.contains(&1)) {
            self.touch(key);
        }
        let deleted = codes
            .as_ref()
            .map_or(0, |c| c.iter().filter(|&&c| c == 1).count());
        self.add_dirty(deleted as u64);
        Ok(codes.unwrap_or_else(|| alloc::vec![-1; ids.len()]))
    }

    pub(crate) fn group_of(&self, key: &[u8], group: &[u8]) -> Result<&crate::group::Group, Error> {
        self.stream(key)?
            .and_then(|s| s.group(group))
            .ok_or_else(|| Error::no_group(key, group))
    }

    /// XPENDING key group: the summary form.
    pub fn xpending(&self, key: &[u8], group: &[u8]) -> Result<XPendingSummary, Error> {
        let g = self.group_of(key, group)?;
        let consumers = g
            .consumers()
            .filter(|c| c.pending > 0)
            .map(|c| (c.name.to_bytes(), c.pending))
            .collect();
        Ok(XPendingSummary {
            count: g.pel().len() as u64,
            bounds: g.pel().bounds(),
            consumers,
        })
    }

    /// XPENDING key group \[IDLE min-idle\] start end count \[consumer\]: the extended form.
    pub fn xpending_range(
        &self,
        key: &[u8],
        group: &[u8],
        range: &XPendingRange,
        now: u64,
    ) -> Result<Vec<PendingEntry>, Error> {
        let g = self.group_of(key, group)?;
        let mut out = Vec::new();
        let mut names = NameCopies::default();
        self.xpending_each(key, group, range, now, |row| {
            out.push(PendingEntry {
                id: row.id,
                consumer: names.get(g, row.owner),
                idle: row.idle,
                delivery_count: row.delivery_count,
            });
        })?;
        Ok(out)
    }

    /// [`Keyspace::xpending_range`], handing each row to `f` as the PEL is walked, with
    /// the owner's name borrowed from the group.
    pub(crate) fn xpending_each(
        &self,
        key: &[u8],
        group: &[u8],
        range: &XPendingRange,
        now: u64,
        mut f: impl FnMut(PendingRow<'_>),
    ) -> Result<(), Error> {
        let g = self.group_of(key, group)?;
        if range.count == 0 || range.start > range.end {
            return Ok(());
        }
        let owner = match &range.consumer {
            Some(name) => match g.consumer_id(name) {
                Some(id) => Some(id),
                None => return Ok(()),
            },
            None => None,
        };
        let mut n = 0;
        for (id, nack) in g.pel().range(range.start, range.end) {
            if owner.is_some_and(|o| o != nack.owner) {
                continue;
            }
            let idle = idle_since(now, nack.delivery_time);
            if range.min_idle > 0 && idle < range.min_idle {
                continue;
            }
            f(PendingRow {
                id,
                owner: nack.owner,
                consumer: g.consumer_name_ref(nack.owner),
                idle: idle.max(0) as u64,
                delivery_count: nack.delivery_count,
            });
            n += 1;
            if n >= range.count {
                break;
            }
        }
        Ok(())
    }

    /// XCLAIM key group consumer min-idle-time id … \[options\].
    #[allow(clippy::too_many_arguments)]
    pub fn xclaim(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle: u64,
        ids: &[StreamId],
        opts: &XClaimOptions,
        now: u64,
    ) -> Result<Claimed, Error> {
        let g = self.group_of(key, group)?;
        let created = g.consumer(consumer).is_none();
        let last_before = g.last_delivered;
        // Pending entries whose entry is gone: XCLAIM drops each (once) as a change.
        let mut dropped: Vec<StreamId> = Vec::new();
        if let Some(s) = self.stream(key)? {
            for &id in ids {
                if !dropped.contains(&id)
                    && s.group(group).is_some_and(|g| g.pending(id).is_some())
                    && s.get(id).is_none()
                {
                    dropped.push(id);
                }
            }
        }
        let claimed = self
            .with_stream_mut(key, |s| s.claim(group, consumer, min_idle, ids, opts, now))?
            .flatten()
            .ok_or_else(|| Error::no_group(key, group))?;
        let n = match &claimed {
            Claimed::Entries(e) => e.len(),
            Claimed::Ids(i) => i.len(),
        } + dropped.len();
        let moved = opts.last_id.is_some_and(|l| l > last_before);
        self.add_dirty(n as u64 + u64::from(created) + u64::from(moved && n == 0));
        Ok(claimed)
    }

    /// XAUTOCLAIM key group consumer min-idle-time start \[COUNT n\] \[JUSTID\].
    #[allow(clippy::too_many_arguments)]
    pub fn xautoclaim(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle: u64,
        start: StreamId,
        opts: &XAutoClaimOptions,
        now: u64,
    ) -> Result<XAutoClaimReply, Error> {
        let created = self.group_of(key, group)?.consumer(consumer).is_none();
        let reply = self
            .with_stream_mut(key, |s| {
                s.autoclaim(group, consumer, min_idle, start, opts, now)
            })?
            .flatten()
            .ok_or_else(|| Error::no_group(key, group))?;
        let claimed = match &reply.claimed {
            Claimed::Entries(e) => e.len(),
            Claimed::Ids(i) => i.len(),
        };
        let n = claimed + reply.deleted.len() + usize::from(created);
        self.add_dirty(n as u64);
        Ok(reply)
    }

    /// XINFO GROUPS key.
    pub fn xinfo_groups(&self, key: &[u8]) -> Result<Vec<XInfoGroup>, Error> {
        let s = self.stream(key)?.ok_or(Error::NoSuchKey)?;
        Ok(s.groups()
            .iter()
            .map(|(name, g)| group_info(s, name, g))
            .collect())
    }

    /// XINFO CONSUMERS key group at command time `now`.
    pub fn xinfo_consumers(
        &self,
        key: &[u8],
        group: &[u8],
        now: u64,
    ) -> Result<Vec<XInfoConsumer>, Error> {
        let s = self.stream(key)?.ok_or(Error::NoSuchKey)?;
        let g = s
            .group(group)
            .ok_or_else(|| Error::no_such_group(key, group))?;
        Ok(g.consumers().map(|c| consumer_info(c, now)).collect())
    }

    /// XINFO CONSUMERS as an iterator over the group's consumers (for encoding a large
    /// group's reply without collecting it first).
    pub(crate) fn xinfo_consumer_iter<'a>(
        &'a self,
        key: &[u8],
        group: &[u8],
        now: u64,
    ) -> Result<impl Iterator<Item = XInfoConsumer> + 'a, Error> {
        let s = self.stream(key)?.ok_or(Error::NoSuchKey)?;
        let g = s
            .group(group)
            .ok_or_else(|| Error::no_such_group(key, group))?;
        Ok(g.consumers().map(move |c| consumer_info(c, now)))
    }
}

/// One group as XINFO GROUPS shows it.
pub(crate) fn group_info(s: &Stream, name: &Bytes, g: &crate::group::Group) -> XInfoGroup {
    XInfoGroup {
        name: name.clone(),
        consumers: g.consumer_count() as u64,
        pending: g.pel().len() as u64,
        last_delivered_id: g.last_delivered,
        entries_read: g.entries_read,
        lag: s.counters().lag(g.last_delivered, g.entries_read),
    }
}

/// The groups part of XINFO STREAM FULL with `count` PEL entries per list (0 = all).
pub(crate) fn full_groups(s: &Stream, count: u64) -> Vec<FullGroup> {
    let take = if count == 0 {
        usize::MAX
    } else {
        usize::try_from(count).unwrap_or(usize::MAX)
    };
    s.groups()
        .iter()
        .map(|(name, g)| {
            // Slot numbers are per group: one group's copies serve only its own rows.
            let mut names = NameCopies::default();
            FullGroup {
                info: group_info(s, name, g),
                pending: g
                    .pel()
                    .iter()
                    .take(take)
                    .map(|(id, n)| (id, names.get(g, n.owner), n.delivery_time, n.delivery_count))
                    .collect(),
                consumers: full_consumers(g, take),
            }
        })
        .collect()
}

/// The consumers of XINFO STREAM FULL, each with its first `take` pending entries, in
/// one pass over the group PEL (stopping once every list is complete).
pub(crate) fn full_consumers(g: &crate::group::Group, take: usize) -> Vec<FullConsumer> {
    /// How many entries a consumer's list wants, and the list so far.
    type List = (usize, Vec<(StreamId, u64, u64)>);
    let mut lists: BTreeMap<ConsumerId, List> = g
        .consumers_with_ids()
        .filter(|(_, c)| c.pending > 0)
        .map(|(id, c)| {
            let want = take.min(usize::try_from(c.pending).unwrap_or(usize::MAX));
            (id, (want, Vec::new()))
        })
        .collect();
    let mut open = lists.values().filter(|(want, _)| *want > 0).count();
    for (id, n) in g.pel().iter() {
        if open == 0 {
            break;
        }
        if let Some((want, list)) = lists.get_mut(&n.owner) {
            if list.len() < *want {
                list.push((id, n.delivery_time, n.delivery_count));
                if list.len() == *want {
                    open -= 1;
                }
            }
        }
    }
    g.consumers_with_ids()
        .map(|(cid, c)| FullConsumer {
            name: c.name.to_bytes(),
            seen_time: c.seen_time,
            active_time: c.active_time(),
            pel_count: c.pending,
            pending: lists.remove(&cid).map(|(_, l)| l).unwrap_or_default(),
        })
        .collect()
}

/// One consumer as XINFO CONSUMERS reports it at `now`.
fn consumer_info(c: &crate::group::Consumer, now: u64) -> XInfoConsumer {
    XInfoConsumer {
        name: c.name.to_bytes(),
        pending: c.pending,
        idle: idle_since(now, c.seen_time).max(0) as u64,
        inactive: c.active_time().map(|t| idle_since(now, t).max(0) as u64),
    }
}

/// One row of XPENDING's extended form, its owner's name borrowed from the group.
pub(crate) struct PendingRow<'a> {
    pub(crate) id: StreamId,
    pub(crate) owner: ConsumerId,
    pub(crate) consumer: &'a [u8],
    pub(crate) idle: u64,
    pub(crate) delivery_count: u64,
}

/// Owned copies of one group's consumer names for rows that name them: consecutive
/// rows of the same owner (the common case: one consumer's run of deliveries) share
/// one copy. One per group: slot numbers mean nothing in another group.
#[derive(Default)]
pub(crate) struct NameCopies {
    last: Option<(ConsumerId, Bytes)>,
}

impl NameCopies {
    pub(crate) fn get(&mut self, g: &Group, owner: ConsumerId) -> Bytes {
        match &self.last {
            Some((id, name)) if *id == owner => name.clone(),
            _ => {
                let name = g.consumer_name(owner);
                self.last = Some((owner, name.clone()));
                name
            }
        }
    }
}
