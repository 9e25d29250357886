//! The typed consumer-group commands of the [`Keyspace`]: XGROUP, XREADGROUP, XACK,
//! XACKDEL, XDELEX, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS and CONSUMERS.
//!
//! Each method does the key and group lookups in Redis's order and returns Redis's
//! error for a missing key or group; the work on the stream is in `group.rs`,
//! `readgroup.rs` and `claim.rs`. The command layer (`cmd/`) parses argument vectors
//! onto these methods.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::door::{KeyType, Keyspace, StreamWrite};
use super::effects::{self, arg, num, word};
use crate::entry::StreamEntries;
use crate::error::Error;
use crate::group::{ConsumerId, Group};
use crate::id::StreamId;
use crate::info::{
    Claimed, ConsumerPending, ConsumerPendingEntry, FullConsumer, FullGroup, GroupEntry,
    GroupPendingEntry, PendingBounds, PendingEntry, XAutoClaimReply, XInfoConsumer, XInfoGroup,
    XPendingSummary,
};
use crate::options::{
    GroupReadId, RefPolicy, XAutoClaimOptions, XClaimOptions, XPendingRange, XReadGroupOptions,
};
use crate::stream::read_group::idle_since;
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
        self.check_writable()?;
        match self.key_type(key) {
            KeyType::String => return Err(Error::WrongType),
            KeyType::None if !mkstream => return Err(Error::XGroupKeyMissing),
            _ => {}
        }
        let replaying = self.replaying();
        self.write_stream(key, mkstream, |s, w| {
            if w.created() {
                w.modified();
                w.ready();
            }
            s.create_group(group, start.resolve(), entries_read)?;
            if replaying {
                restore_wrapped_counter(s, group, entries_read);
            }
            w.dirty(1);
            if w.recording() {
                let mut e = vec![word("XGROUP"), word("CREATE"), arg(key), arg(group)];
                e.push(start_arg(start));
                if mkstream {
                    e.push(word("MKSTREAM"));
                }
                if entries_read.is_some() {
                    e.extend([word("ENTRIESREAD"), num(read_counter(s, group))]);
                }
                w.propagate(e);
            }
            Ok(())
        })?
        .unwrap_or(Err(Error::XGroupKeyMissing))
    }

    /// XGROUP SETID key group id|$ [ENTRIESREAD n]. The PEL is left alone.
    pub fn xgroup_setid(
        &mut self,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        self.check_writable()?;
        let replaying = self.replaying();
        let set = self
            .write_stream(key, false, |s, w| {
                let set = s.set_group_id(group, start.resolve(), entries_read);
                if set && replaying {
                    restore_wrapped_counter(s, group, entries_read);
                }
                if set {
                    w.dirty(1);
                    if w.recording() {
                        let mut e = vec![word("XGROUP"), word("SETID"), arg(key), arg(group)];
                        e.push(start_arg(start));
                        if entries_read.is_some() {
                            e.extend([word("ENTRIESREAD"), num(read_counter(s, group))]);
                        }
                        w.propagate(e);
                    }
                }
                set
            })?
            .ok_or(Error::XGroupKeyMissing)?;
        if set {
            Ok(())
        } else {
            Err(Error::no_such_group(key, group))
        }
    }

    /// XGROUP DESTROY: true if the group existed.
    pub fn xgroup_destroy(&mut self, key: &[u8], group: &[u8]) -> Result<bool, Error> {
        self.check_writable()?;
        self.write_stream(key, false, |s, w| {
            let destroyed = s.destroy_group(group);
            if destroyed {
                w.ready();
                w.dirty(1);
                w.propagate(vec![word("XGROUP"), word("DESTROY"), arg(key), arg(group)]);
            }
            destroyed
        })?
        .ok_or(Error::XGroupKeyMissing)
    }

    /// XGROUP CREATECONSUMER: true if the consumer was created.
    pub fn xgroup_createconsumer(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        now: u64,
    ) -> Result<bool, Error> {
        self.check_writable()?;
        self.write_stream(key, false, |s, w| {
            let created = s.with_group(group, |g| g.create_consumer(consumer, now));
            if created == Some(true) {
                w.dirty(1);
                w.propagate(effects::create_consumer(key, group, consumer));
            }
            created
        })?
        .ok_or(Error::XGroupKeyMissing)?
        .ok_or_else(|| Error::no_such_group(key, group))
    }

    /// XGROUP DELCONSUMER: the number of pending entries the consumer owned (dropped
    /// from the PEL), 0 if it did not exist.
    pub fn xgroup_delconsumer(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<u64, Error> {
        self.check_writable()?;
        let deleted = self
            .write_stream(key, false, |s, w| {
                let deleted = s.with_group(group, |g| g.delete_consumer(consumer));
                if let Some(Some(_)) = deleted {
                    w.dirty(1);
                    w.propagate(vec![
                        word("XGROUP"),
                        word("DELCONSUMER"),
                        arg(key),
                        arg(group),
                        arg(consumer),
                    ]);
                }
                deleted
            })?
            .ok_or(Error::XGroupKeyMissing)?
            .ok_or_else(|| Error::no_such_group(key, group))?;
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
    ) -> Result<Vec<StreamEntries<GroupEntry>>, Error> {
        self.check_writable()?;
        let mut sink = crate::read::sink::GroupVec::default();
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
        sink: &mut impl crate::read::sink::ReadSink,
    ) -> Result<(), Error> {
        // No streams: the argument vector ends in `STREAMS`, which Redis's parser
        // refuses before it looks for the group (when it passes the arity check: see
        // `Command::dispatcher_error`).
        if streams.is_empty() {
            return Err(Error::Syntax);
        }
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
            sink.begin_stream(key.as_ref());
            let key = key.as_ref();
            let served = self.write_stream(key, false, |s, w| {
                if created {
                    w.dirty(1);
                    w.propagate(effects::create_consumer(key, group, consumer));
                }
                let served = if w.recording() {
                    let before = s.group(group).map(|g| (g.last_delivered, g.entries_read));
                    let mut tee = Tee {
                        inner: &mut *sink,
                        ids: Vec::new(),
                    };
                    let served = s.read_group_into(group, consumer, id, &opts, now, &mut tee);
                    let ids = tee.ids;
                    propagate_deliveries(w, s, key, group, consumer, &ids, before);
                    served
                } else {
                    s.read_group_into(group, consumer, id, &opts, now, sink)
                };
                if id == GroupReadId::New && served.is_some_and(|n| n > 0) {
                    w.dirty(1);
                }
                served
            });
            let served = match served.map(Option::flatten) {
                Ok(served) => served,
                Err(e) => {
                    sink.end_stream(false);
                    return Err(e);
                }
            };
            sink.end_stream(served.is_some());
        }
        Ok(())
    }

    /// XACK: how many of `ids` were pending in the group (and are no longer). A missing
    /// key or group acknowledges nothing. An empty `ids` is Redis's arity error (the
    /// argument vector is `XACK key group`), before the key is looked at.
    pub fn xack(&mut self, key: &[u8], group: &[u8], ids: &[StreamId]) -> Result<u64, Error> {
        self.check_writable()?;
        if ids.is_empty() {
            return Err(Error::WrongArity("xack"));
        }
        let acked = self.write_stream(key, false, |s, w| {
            let acked = s
                .with_group(group, |g| {
                    ids.iter().filter(|id| g.ack(**id)).count() as u64
                })
                .unwrap_or(0);
            if acked > 0 {
                w.dirty(acked);
                if w.recording() {
                    w.propagate(effects::with_ids(
                        vec![word("XACK"), arg(key), arg(group)],
                        ids,
                    ));
                }
            }
            acked
        })?;
        Ok(acked.unwrap_or(0))
    }

    /// XACKDEL: acknowledge in `group` and delete under `policy`; one code per ID (`-1`
    /// for all when the key or group is missing). An empty `ids` answers as Redis
    /// answers `XACKDEL key group [DELREF | ACKED] IDS 0`: the arity error without a
    /// policy keyword; with one, WRONGTYPE for a key of another type, else
    /// [`Error::NumIdsInvalid`].
    pub fn xackdel(
        &mut self,
        key: &[u8],
        group: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        self.check_writable()?;
        if ids.is_empty() {
            return Err(self.refuse_no_ids(key, "xackdel", policy));
        }
        let codes = self
            .write_stream(key, false, |s, w| {
                let codes = s.ack_delete(group, ids, policy)?;
                if codes.contains(&1) {
                    w.modified();
                }
                // One change per ID that was pending, deleted or not.
                let acked = codes.iter().filter(|&&c| c != -1).count() as u64;
                if acked > 0 {
                    w.dirty(acked);
                }
                // References in other groups go only with an acknowledgement here, so
                // a change is always one that acknowledged.
                if w.recording() && acked > 0 {
                    let head = vec![
                        word("XACKDEL"),
                        arg(key),
                        arg(group),
                        effects::policy(policy),
                    ];
                    w.propagate(with_ids_counted(head, ids));
                }
                Some(codes)
            })?
            .flatten();
        Ok(codes.unwrap_or_else(|| alloc::vec![-1; ids.len()]))
    }

    /// XDELEX: delete under `policy`; one code per ID (`-1` for all on a missing key).
    /// An empty `ids` answers as Redis answers `XDELEX key [DELREF | ACKED] IDS 0`: the
    /// arity error without a policy keyword; with one, WRONGTYPE for a key of another
    /// type, else [`Error::NumIdsInvalid`].
    pub fn xdelex(
        &mut self,
        key: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        self.check_writable()?;
        if ids.is_empty() {
            return Err(self.refuse_no_ids(key, "xdelex", policy));
        }
        let codes = self.write_stream(key, false, |s, w| {
            let refs = (w.recording() && policy == RefPolicy::DelRef).then(|| pending_refs(s));
            let codes = s.delete_ex(ids, policy);
            let deleted = codes.iter().filter(|&&c| c == 1).count() as u64;
            if deleted > 0 {
                w.modified();
                w.dirty(deleted);
            }
            // DELREF on an ID whose entry is gone still drops its references: that is
            // propagated too (Redis propagates only a deletion, so its AOF keeps them).
            if w.recording() && (deleted > 0 || refs.is_some_and(|r| r != pending_refs(s))) {
                let head = vec![word("XDELEX"), arg(key), effects::policy(policy)];
                w.propagate(with_ids_counted(head, ids));
            }
            codes
        })?;
        Ok(codes.unwrap_or_else(|| alloc::vec![-1; ids.len()]))
    }

    /// What Redis answers XACKDEL or XDELEX (`name`) given no IDs, as the argument
    /// vector [`crate::Command::to_argv`] writes for it (`… [DELREF | ACKED] IDS 0`):
    /// without a policy keyword it is short of the command's arity, which the
    /// dispatcher refuses before anything else; with one it runs, and the command
    /// checks the key's type before it parses its options, which refuse a count of 0
    /// (before the key or group is looked for).
    fn refuse_no_ids(&self, key: &[u8], name: &'static str, policy: RefPolicy) -> Error {
        if policy == RefPolicy::KeepRef {
            return Error::WrongArity(name);
        }
        match self.stream(key) {
            Err(e) => e,
            Ok(_) => Error::NumIdsInvalid,
        }
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
            .map(|c| ConsumerPending {
                name: c.name.to_bytes(),
                pending: c.pending,
            })
            .collect();
        Ok(XPendingSummary {
            count: g.pel().len() as u64,
            bounds: g
                .pel()
                .bounds()
                .map(|(smallest, greatest)| PendingBounds { smallest, greatest }),
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

    /// XCLAIM key group consumer min-idle-time id … \[options\]. With no IDs and no
    /// options it is Redis's arity error (`XCLAIM key group consumer min-idle-time` is
    /// short), before the key is looked at; with an option and no IDs it runs as Redis
    /// runs it (claims nothing; LASTID still moves the group).
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
        self.check_writable()?;
        if ids.is_empty() && *opts == XClaimOptions::default() {
            return Err(Error::WrongArity("xclaim"));
        }
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
            .write_stream(key, false, |s, w| {
                let claimed = s.claim(group, consumer, min_idle, ids, opts, now)?;
                let n = match &claimed {
                    Claimed::Entries(e) => e.len(),
                    Claimed::Ids(i) => i.len(),
                } + dropped.len();
                let moved = opts.last_id.is_some_and(|l| l > last_before);
                w.dirty(n as u64 + u64::from(created) + u64::from(moved && n == 0));
                if w.recording() {
                    if created {
                        w.propagate(effects::create_consumer(key, group, consumer));
                    }
                    let mut handed: Vec<StreamId> = match &claimed {
                        Claimed::Entries(e) => e.iter().map(|e| e.id).collect(),
                        Claimed::Ids(i) => i.clone(),
                    };
                    handed.extend(&dropped);
                    propagate_claims(w, s, key, group, consumer, &handed);
                    if moved {
                        propagate_position(w, s, key, group);
                    }
                }
                Some(claimed)
            })?
            .flatten()
            .ok_or_else(|| Error::no_group(key, group))?;
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
        self.check_writable()?;
        let created = self.group_of(key, group)?.consumer(consumer).is_none();
        let reply = self
            .write_stream(key, false, |s, w| {
                let reply = s.autoclaim(group, consumer, min_idle, start, opts, now)?;
                let claimed = match &reply.claimed {
                    Claimed::Entries(e) => e.len(),
                    Claimed::Ids(i) => i.len(),
                };
                let n = claimed + reply.deleted.len() + usize::from(created);
                w.dirty(n as u64);
                if w.recording() {
                    if created {
                        w.propagate(effects::create_consumer(key, group, consumer));
                    }
                    let mut handed: Vec<StreamId> = match &reply.claimed {
                        Claimed::Entries(e) => e.iter().map(|e| e.id).collect(),
                        Claimed::Ids(i) => i.clone(),
                    };
                    handed.extend(&reply.deleted);
                    propagate_claims(w, s, key, group, consumer, &handed);
                }
                Some(reply)
            })?
            .flatten()
            .ok_or_else(|| Error::no_group(key, group))?;
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
                    .map(|(id, n)| GroupPendingEntry {
                        id,
                        consumer: names.get(g, n.owner),
                        delivery_time: n.delivery_time,
                        delivery_count: n.delivery_count,
                    })
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
    type List = (usize, Vec<ConsumerPendingEntry>);
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
                list.push(ConsumerPendingEntry {
                    id,
                    delivery_time: n.delivery_time,
                    delivery_count: n.delivery_count,
                });
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

/// XGROUP CREATE / SETID's position argument: `$` or the ID.
fn start_arg(start: GroupStart) -> Bytes {
    match start {
        GroupStart::Last => word("$"),
        GroupStart::Id(id) => effects::id(id),
    }
}

/// `head` followed by `IDS numids id …` (XACKDEL, XDELEX).
fn with_ids_counted(mut head: Vec<Bytes>, ids: &[StreamId]) -> Vec<Bytes> {
    head.push(word("IDS"));
    head.push(num(ids.len()));
    effects::with_ids(head, ids)
}

/// A replayed `ENTRIESREAD` below `-1` is a counter that went past `i64::MAX`,
/// written wrapped as Redis holds it: restored as it is (Redis refuses such a value,
/// and with it the whole XGROUP command, when it loads one — brook keeps the group's
/// new ID and counter). Any other value is clamped to `entries-added` as a client's
/// is, as Redis clamps it when it loads a file: a file holds both a client's
/// `ENTRIESREAD` propagated verbatim and the counter a read propagates, and a read can
/// move that counter past `entries-added` (after a SETID that clamped it, with an ID
/// before the last entries) — a state that, like Redis's, does not survive a reload.
fn restore_wrapped_counter(s: &mut Stream, group: &[u8], entries_read: Option<i64>) {
    if let Some(n) = entries_read.filter(|&n| n < -1) {
        s.with_group(group, |g| g.entries_read = Some(n as u64));
    }
}

/// How many pending entries the stream's groups hold together (read before and after
/// a change whose reply does not tell whether it dropped references).
fn pending_refs(s: &Stream) -> usize {
    s.groups().values().map(|g| g.pel().len()).sum()
}

/// A sink that hands everything on and notes the IDs of the live entries delivered
/// (what a read propagates while effects are recorded).
struct Tee<'a, S> {
    inner: &'a mut S,
    ids: Vec<StreamId>,
}

impl<S: crate::read::sink::EntrySink> crate::read::sink::EntrySink for Tee<'_, S> {
    fn entry(&mut self, e: &crate::log::node::EntryRef<'_>, claim: Option<(u64, u64)>) {
        self.ids.push(e.id);
        self.inner.entry(e, claim);
    }

    fn missing(&mut self, id: StreamId, claim: Option<(u64, u64)>) {
        self.inner.missing(id, claim);
    }

    fn wants_size(&self, entries: usize) -> bool {
        self.inner.wants_size(entries)
    }

    fn reserve(&mut self, bytes: usize) {
        self.inner.reserve(bytes);
    }
}

/// One `XCLAIM … FORCE JUSTID` per entry of `ids` as the group now holds it (owner,
/// delivery time and count); an ID no longer pending propagates as the claim that
/// drops it, as Redis propagates a pending entry whose entry is gone.
fn propagate_claims(
    w: &mut StreamWrite,
    s: &Stream,
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    ids: &[StreamId],
) {
    let Some(g) = s.group(group) else {
        return;
    };
    for &id in ids {
        let (owner, time, count) = match g.pending(id) {
            Some(n) => (
                g.consumer_name_ref(n.owner),
                n.delivery_time,
                n.delivery_count,
            ),
            None => (consumer, 0, 0),
        };
        w.propagate(effects::xclaim_entry(
            key,
            group,
            owner,
            id,
            time,
            count,
            g.last_delivered,
        ));
    }
}

/// `XGROUP SETID key group last ENTRIESREAD n` for the group's position now.
fn propagate_position(w: &mut StreamWrite, s: &Stream, key: &[u8], group: &[u8]) {
    if let Some(g) = s.group(group) {
        let read = read_counter(s, group);
        w.propagate(effects::group_position(key, group, g.last_delivered, read));
    }
}

/// The group's `entries-read` as propagated: what it holds now (after any clamping),
/// `-1` when unknown. Past `i64::MAX` (only after XSETID ENTRIESADDED near it) it is
/// written as Redis would hold it, wrapped negative; a replay restores it.
fn read_counter(s: &Stream, group: &[u8]) -> i64 {
    s.group(group)
        .and_then(|g| g.entries_read)
        .map_or(-1, |n| n as i64)
}

/// What an XREADGROUP read of one stream propagates: an `XCLAIM` for each live entry
/// it handed over that is now pending (none with NOACK), and the group's new position
/// when the read moved it (`before`: the position it had).
fn propagate_deliveries(
    w: &mut StreamWrite,
    s: &Stream,
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    delivered: &[StreamId],
    before: Option<(StreamId, Option<u64>)>,
) {
    let Some(g) = s.group(group) else {
        return;
    };
    let pending: Vec<StreamId> = delivered
        .iter()
        .copied()
        .filter(|&id| g.pending(id).is_some())
        .collect();
    propagate_claims(w, s, key, group, consumer, &pending);
    if before != Some((g.last_delivered, g.entries_read)) {
        propagate_position(w, s, key, group);
    }
}
