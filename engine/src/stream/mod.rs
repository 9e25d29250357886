//! One stream: its nodes, length and the counters Redis reports, and the operations of
//! XADD, XRANGE/XREVRANGE, XDEL, XTRIM and XSETID on it.
//!
//! Everything here is pure: no clock, no locks. The command's time arrives as an
//! argument (`now`, Unix milliseconds), frozen for the whole command as in Redis.

mod claim;
pub(crate) mod read_group;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::entry::{self, FieldValues, StreamEntry};
use crate::error::Error;
use crate::group::lag::Counters;
use crate::group::Group;
use crate::id::{StreamId, XAddId};
use crate::log::idmp::{self, Idmp};
use crate::log::node::{Node, NodeLimits, LISTPACK_MAX_SIZE};

use crate::log::tree::NodeTree;
use crate::options::{RefPolicy, TrimOptions, TrimStrategy};

/// A stream: the value of a stream key.
#[derive(Clone, Debug)]
pub struct Stream {
    tree: NodeTree,
    length: u64,
    last_id: StreamId,
    first_id: StreamId,
    max_deleted: StreamId,
    entries_added: u64,
    idmp: Idmp,
    /// Consumer groups, ordered bytewise by name. A group's bytes may change only
    /// where [`Stream::groups_heap`] follows: through [`Stream::with_group`],
    /// [`Stream::tracking_group`] or `purge_refs`.
    pub(crate) groups: BTreeMap<Bytes, Group>,
    /// Heap bytes of the groups (names, entries, PELs, consumers), kept with every
    /// change so that [`Stream::heap_bytes`] is O(1); checked by [`Stream::check`].
    groups_heap: usize,
}

/// The heap bytes a group costs in its stream besides its name and
/// [`Group::heap_bytes`]: its map entry and fixed fields.
const GROUP_SLOT: usize = 96;

/// What a group named `name` costs its stream.
fn group_bytes(name: &[u8], g: &Group) -> usize {
    name.len() + GROUP_SLOT + g.heap_bytes()
}

impl Default for Stream {
    fn default() -> Stream {
        Stream::new()
    }
}

impl Stream {
    /// An empty stream: every ID `0-0`, every counter 0.
    pub fn new() -> Stream {
        Stream {
            tree: NodeTree::default(),
            length: 0,
            last_id: StreamId::MIN,
            first_id: StreamId::MIN,
            max_deleted: StreamId::MIN,
            entries_added: 0,
            idmp: Idmp::new(idmp::DEFAULT_DURATION, idmp::DEFAULT_MAXSIZE),
            groups: BTreeMap::new(),
            groups_heap: 0,
        }
    }

    /// Number of live entries (XLEN).
    pub fn len(&self) -> u64 {
        self.length
    }

    /// True when the stream holds no live entry (the key may still exist).
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// `last-generated-id`: the greatest ID ever added or set by XSETID.
    pub fn last_id(&self) -> StreamId {
        self.last_id
    }

    /// `recorded-first-entry-id`.
    pub fn first_id(&self) -> StreamId {
        self.first_id
    }

    /// `max-deleted-entry-id`.
    pub fn max_deleted_id(&self) -> StreamId {
        self.max_deleted
    }

    /// `entries-added`: every entry ever appended.
    pub fn entries_added(&self) -> u64 {
        self.entries_added
    }

    /// The ID XADD would give an entry, or its error, without adding anything
    /// (Redis's `streamAppendItem` ID rules, reference §2.2).
    pub fn next_id(&self, spec: XAddId, now: u64) -> Result<StreamId, Error> {
        if self.last_id == StreamId::MAX {
            return Err(Error::StreamExhausted);
        }
        let id = match spec {
            XAddId::Auto => {
                if now > self.last_id.ms {
                    StreamId::new(now, 0)
                } else {
                    self.last_id.next().ok_or(Error::StreamExhausted)?
                }
            }
            XAddId::AutoSeq(ms) if ms == self.last_id.ms => {
                if self.last_id.seq == u64::MAX {
                    return Err(Error::XAddIdTooSmall);
                }
                StreamId::new(ms, self.last_id.seq + 1)
            }
            XAddId::AutoSeq(ms) => StreamId::new(ms, 0),
            XAddId::Explicit(id) => id,
        };
        if id <= self.last_id {
            return Err(Error::XAddIdTooSmall);
        }
        Ok(id)
    }

    /// Appends an entry (XADD without trimming). `fields` must hold at least one pair.
    pub fn append<F: FieldValues + ?Sized>(
        &mut self,
        spec: XAddId,
        fields: &F,
        now: u64,
        limits: &NodeLimits,
    ) -> Result<StreamId, Error> {
        let id = self.next_id(spec, now)?;
        let total = entry::total_len(fields);
        if total > LISTPACK_MAX_SIZE {
            return Err(Error::ElementsTooLarge);
        }
        self.tree.append(id, fields, total, limits);
        self.length += 1;
        self.entries_added = self.entries_added.wrapping_add(1);
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Trims the stream (XTRIM, or XADD's trim clause) and returns how many entries were
    /// removed. The walk follows Redis 8.x exactly (reference §3.2): whole nodes from the
    /// head while they are eligible, then — for exact trimming or the DELREF/ACKED
    /// policies — entry by entry.
    pub fn trim(&mut self, opts: &TrimOptions, limits: &NodeLimits) -> u64 {
        self.trim_reporting(opts, limits).0
    }

    /// [`Stream::trim`], also telling the greatest ID it removed: every entry below it
    /// that the policy allowed to go is gone, so `MINID =` its successor repeats the
    /// trim exactly (what is propagated for `~`, LIMIT, ACKED and DELREF trims).
    pub(crate) fn trim_reporting(
        &mut self,
        opts: &TrimOptions,
        limits: &NodeLimits,
    ) -> (u64, Option<StreamId>) {
        let mut last: Option<StreamId> = None;
        let limit = opts.effective_limit(limits.max_entries);
        let keep_ref = opts.policy == RefPolicy::KeepRef;
        let slowest = self.slowest_group();
        let mut removed: u64 = 0;
        let mut cursor: Option<StreamId> = None;
        loop {
            if let TrimStrategy::MaxLen(n) = opts.strategy {
                if self.length <= n {
                    break;
                }
            }
            let length = self.length;
            let Some(node) = self.tree.next_mut(cursor) else {
                break;
            };
            let live = node.live();
            if limit != 0 && removed + live > limit {
                break;
            }
            let eligible = match opts.strategy {
                TrimStrategy::MaxLen(n) => length - live >= n,
                TrimStrategy::MinId(min) => node.last() < min,
            };
            let master = node.master();
            if eligible && keep_ref {
                last = Some(node.last());
                self.tree.remove(master);
                self.length -= live;
                removed += live;
                continue;
            }
            if opts.approx && keep_ref {
                break;
            }
            // Walk the node entry by entry.
            let mut doomed: Vec<(usize, StreamId)> = Vec::new();
            let mut left = length;
            for e in node.iter() {
                let stop = match opts.strategy {
                    TrimStrategy::MaxLen(n) => left <= n,
                    TrimStrategy::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if e.deleted {
                    continue;
                }
                // ACKED skips entries a consumer group still references (§3.3).
                if opts.policy == RefPolicy::Acked && referenced(&self.groups, slowest, e.id) {
                    continue;
                }
                doomed.push((e.header_at, e.id));
                left -= 1;
            }
            for &(at, id) in &doomed {
                node.mark_deleted(at);
                last = Some(id);
            }
            let now_empty = node.live() == 0;
            let n_doomed = doomed.len() as u64;
            self.length -= n_doomed;
            removed += n_doomed;
            // DELREF also removes each ID from every group's PEL.
            if opts.policy == RefPolicy::DelRef {
                for &(_, id) in &doomed {
                    purge_refs(&mut self.groups, &mut self.groups_heap, id);
                }
            }
            if eligible && now_empty {
                self.tree.remove(master);
                continue;
            }
            if !eligible {
                break;
            }
            cursor = Some(master);
        }
        if removed > 0 {
            self.refresh_first_id();
        }
        (removed, last)
    }

    /// Deletes entries by ID (XDEL) and returns how many existed. Counters follow Redis:
    /// `max-deleted-entry-id` rises to the greatest deleted ID, `recorded-first-entry-id`
    /// is re-read when the first entry goes.
    pub fn delete(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_gone = false;
        for &id in ids {
            // Found as XRANGE id id would find it (Redis deletes through its iterator).
            let mut at = None;
            self.for_each_in(id, id, 1, |e| at = Some((e.node_master(), e.header_at)));
            let Some((master, pos)) = at else {
                continue;
            };
            let Some(node) = self.tree.get_mut(master) else {
                continue;
            };
            node.mark_deleted(pos);
            if node.live() == 0 {
                self.tree.remove(master);
            }
            self.length -= 1;
            deleted += 1;
            if id == self.first_id {
                first_gone = true;
            }
            if id > self.max_deleted {
                self.max_deleted = id;
            }
        }
        if deleted > 0 && (self.length == 0 || first_gone) {
            self.refresh_first_id();
        }
        deleted
    }

    /// The smallest `last-delivered-id` over all groups (`None` without groups).
    pub(crate) fn slowest_group(&self) -> Option<StreamId> {
        self.groups.values().map(|g| g.last_delivered).min()
    }

    /// Whether a consumer group still references `id` (reference §3.3): some group has
    /// not read it yet, or it is pending in some group. Without groups nothing is.
    pub fn referenced(&self, id: StreamId) -> bool {
        referenced(&self.groups, self.slowest_group(), id)
    }

    /// Removes `id` from every group's PEL (the DELREF policy).
    pub fn purge_refs(&mut self, id: StreamId) {
        purge_refs(&mut self.groups, &mut self.groups_heap, id);
    }

    /// The live entry with this ID.
    pub fn get(&self, id: StreamId) -> Option<StreamEntry> {
        let mut found = None;
        self.for_each_in(id, id, 1, |e| found = Some(e.to_entry()));
        found
    }

    /// True when a live entry has this ID.
    pub fn contains(&self, id: StreamId) -> bool {
        let mut found = false;
        self.for_each_in(id, id, 1, |_| found = true);
        found
    }

    /// The counters `entries-read` and `lag` are estimated from (reference §19).
    pub fn counters(&self) -> Counters {
        Counters {
            added: self.entries_added,
            len: self.length,
            first: self.first_id,
            last: self.last_id,
            max_deleted: self.max_deleted,
        }
    }

    /// Deletes entries by ID under a reference policy (XDELEX) and returns one code per
    /// ID (reference §8): `1` deleted, `-1` no such entry, `2` kept because a group still
    /// references it (ACKED).
    pub fn delete_ex(&mut self, ids: &[StreamId], policy: RefPolicy) -> Vec<i64> {
        ids.iter()
            .map(|&id| match self.delete_under(id, policy) {
                Deleted::Kept => 2,
                Deleted::Yes => 1,
                Deleted::Missing => -1,
            })
            .collect()
    }

    /// Deletes `id` under a reference policy: DELREF first purges it from every PEL,
    /// ACKED keeps it while a group references it.
    fn delete_under(&mut self, id: StreamId, policy: RefPolicy) -> Deleted {
        match policy {
            RefPolicy::Acked if self.referenced(id) => return Deleted::Kept,
            RefPolicy::DelRef => self.purge_refs(id),
            _ => {}
        }
        if self.delete(&[id]) == 1 {
            Deleted::Yes
        } else {
            Deleted::Missing
        }
    }

    /// Acknowledges IDs in `group` and deletes their entries under a reference policy
    /// (XACKDEL, reference §13): one code per ID, `-1` not pending in the group, `1`
    /// acknowledged and deleted (or already gone), `2` acknowledged but kept (ACKED,
    /// still referenced). `None` when the group does not exist.
    pub fn ack_delete(
        &mut self,
        group: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Option<Vec<i64>> {
        let mut codes = Vec::with_capacity(ids.len());
        for &id in ids {
            if !self.with_group(group, |g| g.ack(id))? {
                codes.push(-1);
                continue;
            }
            codes.push(match self.delete_under(id, policy) {
                Deleted::Kept => 2,
                Deleted::Yes | Deleted::Missing => 1,
            });
        }
        Some(codes)
    }

    /// The consumer groups, ordered by name.
    pub fn groups(&self) -> &BTreeMap<Bytes, Group> {
        &self.groups
    }

    /// A consumer group by name.
    pub fn group(&self, name: &[u8]) -> Option<&Group> {
        self.groups.get(name)
    }

    /// Runs `f` on the group `name` (`None` when missing), keeping the stream's group
    /// byte count current.
    pub(crate) fn with_group<T>(
        &mut self,
        name: &[u8],
        f: impl FnOnce(&mut Group) -> T,
    ) -> Option<T> {
        let g = self.groups.get_mut(name)?;
        let before = g.heap_bytes();
        let out = f(g);
        self.groups_heap = self.groups_heap + g.heap_bytes() - before;
        Some(out)
    }

    /// Runs `f` on the stream, which may change the group `name` (not create or remove
    /// it), keeping the stream's group byte count current: for the reads and claims
    /// that work on a group and the stream's entries together.
    pub(crate) fn tracking_group<T>(&mut self, name: &[u8], f: impl FnOnce(&mut Stream) -> T) -> T {
        let bytes = |s: &Stream| s.groups.get(name).map_or(0, Group::heap_bytes);
        let before = bytes(self);
        let out = f(self);
        self.groups_heap = self.groups_heap + bytes(self) - before;
        out
    }

    /// `entries-read` for XGROUP CREATE/SETID's `ENTRIESREAD n`: `-1` is unknown, and a
    /// value above `entries-added` is clamped to it (Redis 8.x).
    fn clamp_entries_read(&self, entries_read: Option<i64>) -> Option<u64> {
        match entries_read {
            Some(n) if n >= 0 => Some((n as u64).min(self.entries_added)),
            _ => None,
        }
    }

    /// XGROUP CREATE on this stream: a group at `id` (`None` = `$`, the last-generated
    /// ID).
    pub fn create_group(
        &mut self,
        name: &[u8],
        id: Option<StreamId>,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        if self.groups.contains_key(name) {
            return Err(Error::BusyGroup);
        }
        let id = id.unwrap_or(self.last_id);
        let read = self.clamp_entries_read(entries_read);
        let g = Group::new(id, read);
        self.groups_heap += group_bytes(name, &g);
        self.groups.insert(Bytes::copy_from_slice(name), g);
        Ok(())
    }

    /// XGROUP SETID on this stream (`None` = `$`). False when the group is missing.
    pub fn set_group_id(
        &mut self,
        name: &[u8],
        id: Option<StreamId>,
        entries_read: Option<i64>,
    ) -> bool {
        let id = id.unwrap_or(self.last_id);
        let read = self.clamp_entries_read(entries_read);
        self.with_group(name, |g| {
            g.last_delivered = id;
            g.entries_read = read;
        })
        .is_some()
    }

    /// XGROUP DESTROY: true if the group existed.
    pub fn destroy_group(&mut self, name: &[u8]) -> bool {
        match self.groups.remove_entry(name) {
            Some((k, g)) => {
                self.groups_heap -= group_bytes(&k, &g);
                true
            }
            None => false,
        }
    }

    fn refresh_first_id(&mut self) {
        self.first_id = self.first_live_id().unwrap_or(StreamId::MIN);
    }

    /// Live entries with `start <= id <= end`, ascending, at most `count` (`0` = all),
    /// appended to `out` (XRANGE).
    pub fn range(&self, start: StreamId, end: StreamId, count: usize, out: &mut Vec<StreamEntry>) {
        let mut copies = crate::log::node::OpenCopy::default();
        self.for_each_in(start, end, count, |e| out.push(e.to_entry_in(&mut copies)));
    }

    /// Calls `f` for each live entry with `start <= id <= end`, ascending, at most
    /// `count` (`0` = all). The walk is Redis's stream iterator: it starts at the node
    /// `NodeTree::iter_from` picks and stops at the first live entry past `end`.
    pub fn for_each_in<'a>(
        &'a self,
        start: StreamId,
        end: StreamId,
        count: usize,
        f: impl FnMut(&crate::log::node::EntryRef<'a>),
    ) {
        self.for_each_after(None, start, end, count, f);
    }

    /// As [`Stream::for_each_in`], resuming where `cursor` stopped when it stopped
    /// below `start` in a node the scan visits; returns where this scan stopped (after
    /// the last entry given to `f`), or `None` when it gave none.
    pub fn for_each_after<'a>(
        &'a self,
        cursor: Option<crate::log::node::Cursor>,
        start: StreamId,
        end: StreamId,
        count: usize,
        f: impl FnMut(&crate::log::node::EntryRef<'a>),
    ) -> Option<crate::log::node::Cursor> {
        walk_after(&self.tree, cursor, start, end, count, f)
    }

    /// The stream's nodes and its groups, borrowed apart: a read walks the one while
    /// it records deliveries in the other.
    pub(crate) fn nodes_and_groups(&mut self) -> (&NodeTree, &mut BTreeMap<Bytes, Group>) {
        (&self.tree, &mut self.groups)
    }

    /// Live entries with `start <= id <= end`, descending, at most `count` (`0` = all),
    /// appended to `out` (XREVRANGE).
    pub fn rev_range(
        &self,
        end: StreamId,
        start: StreamId,
        count: usize,
        out: &mut Vec<StreamEntry>,
    ) {
        let mut copies = crate::log::node::OpenCopy::default();
        self.for_each_rev_in(end, start, count, |e| out.push(e.to_entry_in(&mut copies)));
    }

    /// Calls `f` for each live entry with `start <= id <= end`, descending, at most
    /// `count` (`0` = all): XREVRANGE's walk.
    pub fn for_each_rev_in<'a>(
        &'a self,
        end: StreamId,
        start: StreamId,
        count: usize,
        mut f: impl FnMut(&crate::log::node::EntryRef<'a>),
    ) {
        if start > end {
            return;
        }
        let mut n = 0;
        let mut node_entries = Vec::new();
        for node in self.tree.iter_back_from(end) {
            if node.live() == 0 {
                continue;
            }
            // Every live entry here (and in earlier nodes) is below `start`.
            if node.last() < start {
                return;
            }
            node_entries.clear();
            node_entries.extend(node.iter().filter(|e| !e.deleted));
            for e in node_entries.iter().rev() {
                if e.id > end {
                    continue;
                }
                if e.id < start {
                    return;
                }
                f(e);
                n += 1;
                if n == count {
                    return;
                }
            }
        }
    }

    /// The first live entry's ID.
    pub fn first_live_id(&self) -> Option<StreamId> {
        self.tree
            .iter()
            .find(|n| n.live() > 0)
            .and_then(|n| n.iter().find(|e| !e.deleted).map(|e| e.id))
    }

    /// The last live entry's ID (Redis's `streamLastValidID`).
    pub fn last_live_id(&self) -> Option<StreamId> {
        self.tree.iter().rev().find_map(Node::last_live)
    }

    /// The first live entry.
    pub fn first_entry(&self) -> Option<StreamEntry> {
        let mut out = Vec::new();
        self.range(StreamId::MIN, StreamId::MAX, 1, &mut out);
        out.pop()
    }

    /// The last live entry.
    pub fn last_entry(&self) -> Option<StreamEntry> {
        let mut out = Vec::new();
        self.rev_range(StreamId::MAX, StreamId::MIN, 1, &mut out);
        out.pop()
    }

    /// XSETID's checks against the stream and its update (reference §9). Checks that
    /// need no stream (MAXDELETEDID above the new ID) belong to
    /// [`crate::XSetIdOptions::validate`].
    pub fn set_id(
        &mut self,
        last_id: StreamId,
        entries_added: Option<u64>,
        max_deleted: Option<StreamId>,
    ) -> Result<(), Error> {
        if last_id < self.max_deleted {
            return Err(Error::XSetIdBelowMaxDeleted);
        }
        if self.length > 0 {
            if let Some(top) = self.last_live_id() {
                if last_id < top {
                    return Err(Error::XSetIdBelowTop);
                }
            }
            if let Some(added) = entries_added {
                if added < self.length {
                    return Err(Error::XSetIdEntriesAddedBelowLength);
                }
            }
        }
        self.last_id = last_id;
        if let Some(added) = entries_added {
            self.entries_added = added;
        }
        if let Some(md) = max_deleted {
            if !md.is_zero() {
                self.max_deleted = md;
            }
        }
        Ok(())
    }

    /// Number of nodes (`radix-tree-keys`).
    pub fn radix_tree_keys(&self) -> u64 {
        self.tree.len() as u64
    }

    /// Number of rax nodes Redis would report (`radix-tree-nodes`).
    pub fn radix_tree_nodes(&self) -> u64 {
        self.tree.rax_nodes()
    }

    /// A stream whose IDMP settings are `duration` (seconds) and `maxsize` (the server
    /// configs `stream-idmp-duration` / `stream-idmp-maxsize` when it is created).
    pub fn with_idmp(duration: u64, maxsize: u64) -> Stream {
        Stream {
            idmp: Idmp::new(duration, maxsize),
            ..Stream::new()
        }
    }

    /// The stream's idempotent-producer state.
    pub fn idmp(&self) -> &Idmp {
        &self.idmp
    }

    /// The stream's idempotent-producer state, mutably.
    pub fn idmp_mut(&mut self) -> &mut Idmp {
        &mut self.idmp
    }

    /// The stream COPY stores, as Redis's `streamDup` builds it: the same entries and
    /// nodes, last-generated ID, first ID, max-deleted ID and entries-added; every group
    /// with its last-delivered ID, entries-read, consumers (seen and active times) and
    /// PEL (owners, delivery times and counts); the IDMP settings, producers, IIDs and
    /// counters. Two things are as on a fresh object: the PEL's delivery-time order is
    /// rebuilt (ties by ID, see `Pel::reorder_as_copied`), and Redis's IDMP cron visits
    /// the copy iff it holds producers (as after a RENAME).
    pub(crate) fn copied(&self) -> Stream {
        let mut s = self.clone();
        s.idmp.renamed();
        for g in s.groups.values_mut() {
            if let Some(pel) = g.pel_mut() {
                pel.reorder_as_copied();
            }
        }
        s
    }

    /// Heap bytes this stream holds, node buffers and index included, with its groups
    /// (PELs, consumers) and IDMP state. O(1): every part keeps its own count.
    pub fn heap_bytes(&self) -> usize {
        self.tree.heap_bytes() + self.idmp.heap_bytes() + self.groups_heap
    }

    /// The nodes.
    pub(crate) fn tree(&self) -> &NodeTree {
        &self.tree
    }

    /// Checks every invariant of the stream: node structure, counters, the cached tail.
    pub fn check(&self) -> Result<(), String> {
        use alloc::format;
        self.tree.check()?;
        let live: u64 = self.tree.iter().map(Node::live).sum();
        if live != self.length {
            return Err(format!("length {} but {} live entries", self.length, live));
        }
        let first = self.first_live_id().unwrap_or(StreamId::MIN);
        if first != self.first_id {
            return Err(format!(
                "first id {} but first live {}",
                self.first_id, first
            ));
        }
        let mut prev: Option<StreamId> = None;
        for node in self.tree.iter() {
            for e in node.iter().filter(|e| !e.deleted) {
                if prev.is_some_and(|p| e.id <= p) {
                    return Err(format!(
                        "live entry {} not above the previous live one",
                        e.id
                    ));
                }
                prev = Some(e.id);
            }
        }
        // Tombstones may lie above last-generated-id (XSETID after XDEL); live entries not.
        if let Some(top) = self.last_live_id() {
            if top > self.last_id {
                return Err(format!("entry {top} above last id {}", self.last_id));
            }
        }
        if self.entries_added < self.length {
            return Err(format!(
                "entries-added {} below length {}",
                self.entries_added, self.length
            ));
        }
        for (name, g) in &self.groups {
            g.check()
                .map_err(|e| format!("group {:?}: {e}", String::from_utf8_lossy(name)))?;
        }
        self.idmp.check()?;
        let groups_heap: usize = self.groups.iter().map(|(k, g)| group_bytes(k, g)).sum();
        if groups_heap != self.groups_heap {
            return Err(format!(
                "groups hold {groups_heap} bytes, counted {}",
                self.groups_heap
            ));
        }
        Ok(())
    }
}

/// What a policy-aware deletion did.
enum Deleted {
    /// The entry existed and was deleted.
    Yes,
    /// No such entry.
    Missing,
    /// Kept: a group still references it (ACKED).
    Kept,
}

/// §3.3 over a group map, with the smallest last-delivered-id precomputed.
fn referenced(groups: &BTreeMap<Bytes, Group>, slowest: Option<StreamId>, id: StreamId) -> bool {
    let Some(slowest) = slowest else {
        return false;
    };
    id > slowest || groups.values().any(|g| g.pel().contains(id))
}

/// Removes `id` from every group's PEL.
fn purge_refs(groups: &mut BTreeMap<Bytes, Group>, heap: &mut usize, id: StreamId) {
    for g in groups.values_mut() {
        let before = g.heap_bytes();
        g.ack(id);
        *heap = *heap + g.heap_bytes() - before;
    }
}

/// [`Stream::for_each_after`] on a stream's nodes alone.
pub(crate) fn walk_after<'a>(
    tree: &'a NodeTree,
    cursor: Option<crate::log::node::Cursor>,
    start: StreamId,
    end: StreamId,
    count: usize,
    mut f: impl FnMut(&crate::log::node::EntryRef<'a>),
) -> Option<crate::log::node::Cursor> {
    if start > end {
        return None;
    }
    let cursor = cursor.filter(|c| c.id < start);
    let mut n = 0;
    let mut stopped = None;
    for node in tree.iter_from(start) {
        // Live entries never lie above a node's last entry.
        if node.live() == 0 || node.last() < start {
            continue;
        }
        let entries = cursor
            .as_ref()
            .and_then(|c| node.iter_after(c))
            .unwrap_or_else(|| node.iter_from(start));
        for e in entries {
            if e.id < start || e.deleted {
                continue;
            }
            if e.id > end {
                return stopped;
            }
            f(&e);
            stopped = Some(e.cursor());
            n += 1;
            if n == count {
                return stopped;
            }
        }
    }
    stopped
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn filled(n: u64, limits: &NodeLimits) -> Stream {
        let mut s = Stream::new();
        for i in 1..=n {
            s.append(
                XAddId::Explicit(StreamId::new(1, i)),
                &[("f", "v")],
                0,
                limits,
            )
            .expect("append");
        }
        s
    }

    #[test]
    fn reference_trim_walkthrough() {
        // Reference §3.4: node-max-entries 5, IDs 1-1 … 1-23.
        let limits = NodeLimits {
            max_bytes: 4096,
            max_entries: 5,
        };
        let mut s = filled(23, &limits);
        assert_eq!(s.radix_tree_keys(), 5);
        let t = |s: &mut Stream, o: TrimOptions| s.trim(&o, &limits);
        assert_eq!(t(&mut s, TrimOptions::maxlen(12).approx()), 10);
        assert_eq!(t(&mut s, TrimOptions::maxlen(12).approx()), 0);
        assert_eq!(t(&mut s, TrimOptions::maxlen(12)), 1);
        assert_eq!(s.radix_tree_keys(), 3);
        assert_eq!(t(&mut s, TrimOptions::maxlen(9).approx()), 0);
        assert_eq!(t(&mut s, TrimOptions::maxlen(0).approx().limit(5)), 4);
        assert_eq!(
            t(&mut s, TrimOptions::minid(StreamId::new(1, 19)).approx()),
            0
        );
        assert_eq!(
            t(&mut s, TrimOptions::minid(StreamId::new(1, 21)).approx()),
            5
        );
        assert_eq!(t(&mut s, TrimOptions::minid(StreamId::new(1, 22))), 1);
        assert_eq!(t(&mut s, TrimOptions::maxlen(0)), 2);
        assert_eq!(
            (s.len(), s.radix_tree_keys(), s.radix_tree_nodes()),
            (0, 0, 1)
        );
        assert!(s.first_entry().is_none());
        s.check().expect("well-formed");
    }

    #[test]
    fn policies_trim_entry_exact() {
        let limits = NodeLimits {
            max_bytes: 4096,
            max_entries: 3,
        };
        let mut s = filled(10, &limits);
        let o = TrimOptions::maxlen(5).approx().policy(RefPolicy::DelRef);
        assert_eq!(s.trim(&o, &limits), 5);
        assert_eq!(s.len(), 5);
        // Node 1-1..1-3 emptied and dropped; 1-4, 1-5 tombstoned in the next one.
        assert_eq!(s.radix_tree_keys(), 3);
        assert_eq!(s.first_id(), StreamId::new(1, 6));
        let mut s = filled(12, &limits);
        let o = TrimOptions::maxlen(9).approx().policy(RefPolicy::Acked);
        assert_eq!(s.trim(&o, &limits), 3);
        s.check().expect("well-formed");
    }

    #[test]
    fn default_limit_rules() {
        let limits = NodeLimits {
            max_bytes: 4096,
            max_entries: 1,
        };
        let mut s = filled(150, &limits);
        assert_eq!(s.trim(&TrimOptions::maxlen(0).approx(), &limits), 100);
        assert_eq!(
            s.trim(&TrimOptions::maxlen(0).approx().limit(0), &limits),
            50
        );
    }

    /// After deleting the tail's last entry, XSETID can lower max-deleted-entry-id and then
    /// the last ID, so an entry lands after a greater tombstone in the same node (Valkey
    /// 9.1 answers exactly these replies).
    #[test]
    fn append_below_a_tombstone_after_xsetid() {
        let limits = NodeLimits::default();
        let mut s = Stream::new();
        let id = StreamId::new;
        s.append(XAddId::Explicit(id(1, 1)), &[("a", "1")], 0, &limits)
            .expect("1-1");
        s.append(XAddId::Explicit(id(5, 1)), &[("a", "2")], 0, &limits)
            .expect("5-1");
        assert_eq!(s.delete(&[id(5, 1)]), 1);
        assert_eq!(s.set_id(id(5, 1), None, Some(id(0, 1))), Ok(()));
        assert_eq!(s.set_id(id(3, 0), None, None), Ok(()));
        assert_eq!(
            s.append(XAddId::Explicit(id(4, 0)), &[("a", "3")], 0, &limits),
            Ok(id(4, 0))
        );
        s.check().expect("well-formed");
        assert_eq!(s.radix_tree_keys(), 1);
        let ids = |v: Vec<StreamEntry>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        let mut out = vec![];
        s.range(StreamId::MIN, StreamId::MAX, 0, &mut out);
        assert_eq!(ids(out), [id(1, 1), id(4, 0)]);
        let mut out = vec![];
        s.rev_range(StreamId::MAX, StreamId::MIN, 0, &mut out);
        assert_eq!(ids(out), [id(4, 0), id(1, 1)]);
        let mut out = vec![];
        s.range(id(4, 0), id(4, 0), 0, &mut out);
        assert_eq!(ids(out), [id(4, 0)]);
        assert_eq!(s.last_live_id(), Some(id(4, 0)));
        // The node's last entry (4-0) is below MINID 4-5: the whole node goes.
        let mut t = s.clone();
        assert_eq!(t.trim(&TrimOptions::minid(id(4, 5)), &limits), 2);
        assert_eq!(s.delete(&[id(4, 0)]), 1);
        s.check().expect("well-formed");
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn more_than_a_gib_of_fields_is_refused_before_anything_is_copied() {
        // 1025 pairs sharing one 1 MiB value: 1 GiB + 1 MiB + names, 1 MiB of memory.
        let value = vec![b'x'; 1 << 20];
        let fields: Vec<(&[u8], &[u8])> = (0..1025).map(|_| (&b"f"[..], &value[..])).collect();
        let mut s = Stream::new();
        assert_eq!(
            s.append(XAddId::Auto, &fields[..], 1, &NodeLimits::default()),
            Err(Error::ElementsTooLarge)
        );
        assert_eq!(
            (s.len(), s.entries_added(), s.last_id()),
            (0, 0, StreamId::MIN)
        );
        // Exactly 1 GiB is accepted (Redis refuses only sizes above it).
        let exact: Vec<(&[u8], &[u8])> = (0..1024).map(|_| (&b""[..], &value[..])).collect();
        assert_eq!(super::entry::total_len(&exact[..]), 1 << 30);
    }

    #[test]
    fn ids_and_counters() {
        let limits = NodeLimits::default();
        let mut s = Stream::new();
        let add = |s: &mut Stream, spec| s.append(spec, &[("a", "1")], 1000, &limits);
        assert_eq!(add(&mut s, XAddId::AutoSeq(0)), Ok(StreamId::new(0, 1)));
        assert_eq!(add(&mut s, XAddId::AutoSeq(5)), Ok(StreamId::new(5, 0)));
        assert_eq!(add(&mut s, XAddId::AutoSeq(5)), Ok(StreamId::new(5, 1)));
        assert_eq!(add(&mut s, XAddId::AutoSeq(4)), Err(Error::XAddIdTooSmall));
        assert_eq!(add(&mut s, XAddId::Auto), Ok(StreamId::new(1000, 0)));
        assert_eq!(add(&mut s, XAddId::Auto), Ok(StreamId::new(1000, 1)));
        let big = StreamId::new(5000, u64::MAX);
        assert_eq!(add(&mut s, XAddId::Explicit(big)), Ok(big));
        assert_eq!(add(&mut s, XAddId::Auto), Ok(StreamId::new(5001, 0)));
        assert_eq!(
            add(&mut s, XAddId::Explicit(StreamId::MAX)),
            Ok(StreamId::MAX)
        );
        assert_eq!(add(&mut s, XAddId::Auto), Err(Error::StreamExhausted));
        assert_eq!(s.delete(&[StreamId::new(0, 1), StreamId::new(9, 9)]), 1);
        assert_eq!(s.first_id(), StreamId::new(5, 0));
        assert_eq!(s.max_deleted_id(), StreamId::new(0, 1));
        let mut out = vec![];
        s.rev_range(StreamId::MAX, StreamId::MIN, 2, &mut out);
        assert_eq!(out[0].id, StreamId::MAX);
        assert_eq!(out[1].id, StreamId::new(5001, 0));
        s.check().expect("well-formed");
    }
}
