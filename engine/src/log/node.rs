//! A packed macro-node: a run of consecutive stream entries in one byte buffer, as
//! Redis keeps them in one listpack.
//!
//! Layout of `buf`:
//!
//! ```text
//! master part : varint(n) { varint(len) field-name }×n       -- the first entry's field names
//! entry       : varint(header) [varint(seq)] values
//!   header    = (payload << 3) | new_ms << 2 | same_fields << 1 | deleted
//!   payload   = seq - prev.seq - 1         when new_ms = 0 (same millisecond as the previous entry)
//!             = ms - prev.ms, then seq     when new_ms = 1
//!             = 0, then ms and seq          when new_ms = 1 and the ID is not above the
//!                                            previous entry (see below)
//!   values    = { varint(len) value }×n                      when same_fields = 1
//!             | varint(m) { varint(len) field varint(len) value }×m
//! ```
//!
//! The first entry's ID is the node's master ID (the tree key), so it stores no delta.
//! IDs are deltas from the previous entry rather than from the master (as Redis does):
//! an entry added in the same millisecond as the previous one costs one header byte. The
//! deleted flag is the lowest bit of the header's first byte, so XDEL flips it in place.
//! Tombstones are never compacted, as in Redis.
//!
//! Entries are appended in ID order with one exception Redis has too: after the tail's
//! last entries are deleted, XSETID may lower `max-deleted-entry-id` (MAXDELETEDID) and
//! then the last ID below those tombstones, and the next XADD lands in the same node
//! *after* tombstones with greater IDs. Live entries stay in ID order; such an entry is
//! written with its absolute ID.
//!
//! Beside its own bytes a node tracks the size Redis's listpack for the same entries would
//! have (see [`crate::log::lpsize`]) so that nodes close exactly where Redis closes them.

use alloc::vec::Vec;

use bytes::Bytes;

use crate::entry::{FieldValues, StreamEntry};
use crate::id::StreamId;
use crate::log::lpsize;

const FLAG_DELETED: u8 = 1;
const FLAG_SAME_FIELDS: u8 = 2;
const FLAG_NEW_MS: u8 = 4;

/// Where XADD must close the tail node: Redis's `stream-node-max-bytes` and
/// `stream-node-max-entries`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLimits {
    /// Maximum listpack bytes of a node (`0` or more than 1 GiB means 1 GiB). Default 4096.
    pub max_bytes: u64,
    /// Maximum entries (live and deleted) in a node; `0` means no limit. Default 100.
    pub max_entries: u64,
}

/// Redis's `STREAM_LISTPACK_MAX_SIZE`: 1 GiB.
pub const LISTPACK_MAX_SIZE: u64 = 1 << 30;

impl Default for NodeLimits {
    fn default() -> NodeLimits {
        NodeLimits {
            max_bytes: 4096,
            max_entries: 100,
        }
    }
}

impl NodeLimits {
    #[inline]
    fn effective_max_bytes(&self) -> u64 {
        if self.max_bytes == 0 || self.max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            self.max_bytes
        }
    }
}

/// A node's bytes: growable while the node is the tail, then frozen into a shared
/// buffer so reads hand out slices of it instead of copies. Exactly one of the two
/// holds the bytes (a node is never empty).
#[derive(Debug, Default)]
struct Buf {
    open: Vec<u8>,
    sealed: Bytes,
}

impl Clone for Buf {
    /// Keeps the open buffer's capacity: the accounting counts it.
    fn clone(&self) -> Buf {
        Buf {
            open: crate::heap::clone_with_capacity(&self.open),
            sealed: self.sealed.clone(),
        }
    }
}

impl Buf {
    #[inline]
    fn as_slice(&self) -> &[u8] {
        if self.sealed.is_empty() {
            &self.open
        } else {
            &self.sealed
        }
    }

    fn heap_bytes(&self) -> usize {
        self.open.capacity() + self.sealed.len()
    }

    /// The bytes as a growable vector: free for an open buffer and for a sealed one no
    /// reader shares; a copy otherwise (readers keep the old bytes).
    #[inline]
    fn open(&mut self) -> &mut Vec<u8> {
        if !self.sealed.is_empty() {
            self.open = Vec::from(core::mem::take(&mut self.sealed));
        }
        &mut self.open
    }

    /// Freezes the bytes (after giving back spare capacity).
    fn seal(&mut self) {
        if !self.open.is_empty() {
            self.open.shrink_to_fit();
            self.sealed = Bytes::from(core::mem::take(&mut self.open));
        }
    }

    fn is_sealed(&self) -> bool {
        !self.sealed.is_empty()
    }

    /// `part` (a sub-slice of these bytes) as an owned `Bytes`: a shared slice when
    /// sealed, a copy while open.
    #[inline]
    fn share(&self, part: &[u8]) -> Bytes {
        if self.sealed.is_empty() {
            Bytes::copy_from_slice(part)
        } else {
            self.sealed.slice_ref(part)
        }
    }
}

/// One macro-node. See the module documentation for the layout.
#[derive(Clone, Debug)]
pub struct Node {
    master: StreamId,
    last: StreamId,
    buf: Buf,
    master_fields: u32,
    entries_at: u32,
    live: u32,
    deleted: u32,
    /// Listpack bytes of everything except the header, terminator and the two counters.
    lp_body: u64,
    /// Offset of the last entry's header (to see at once whether it is deleted).
    last_at: u32,
    /// The entry appended before the last one (the last one's ID is coded against it):
    /// lets a reader that wants only entries above it start at the last entry instead
    /// of decoding the node from its first ([`Node::iter_from`]).
    prev_last: StreamId,
    /// Unique among the nodes a stream ever had ([`crate::log::tree::NodeTree`] numbers
    /// them): what a [`Cursor`] checks before it resumes decoding here.
    serial: u64,
}

/// Where a forward read stopped: just after entry `id`, at byte `pos` of the node
/// numbered `serial`. A group keeps the one its last `>` read left, so the next read
/// decodes on from there instead of from the start of the node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    serial: u64,
    pos: usize,
    /// The entry the read stopped after.
    pub id: StreamId,
}

impl Node {
    /// A new node whose first entry (and master entry) is `id` with `fields`.
    pub fn new<F: FieldValues + ?Sized>(id: StreamId, fields: &F) -> Node {
        let n = fields.pair_count();
        let mut buf = Vec::with_capacity(32);
        write_varint(&mut buf, n as u128);
        // Master part in the listpack: numfields, the names, the zero terminator.
        let mut lp_body = lpsize::int_elem(n as i64) + lpsize::int_elem(0);
        for i in 0..n {
            let (f, _) = fields.pair(i);
            write_bytes(&mut buf, f);
            lp_body += lpsize::str_elem(f);
        }
        let entries_at = buf.len() as u32;
        let mut node = Node {
            master: id,
            last: id,
            buf: Buf {
                open: buf,
                sealed: Bytes::new(),
            },
            master_fields: n as u32,
            entries_at,
            live: 0,
            deleted: 0,
            lp_body,
            last_at: entries_at,
            prev_last: id,
            serial: 0,
        };
        node.push_entry(id, fields, true);
        node
    }

    /// Numbers the node (once, as the tree takes it in).
    pub fn set_serial(&mut self, serial: u64) {
        self.serial = serial;
    }

    /// Iterates from where `cursor` stopped, when it stopped in this node (else `None`).
    /// Every live entry before that point is at most `cursor.id`: entries are appended
    /// in ID order, and the one exception (see the module docs) is tombstones.
    pub fn iter_after(&self, cursor: &Cursor) -> Option<NodeIter<'_>> {
        let buf = self.buf.as_slice();
        (cursor.serial == self.serial && cursor.pos <= buf.len()).then_some(NodeIter {
            node: self,
            r: Reader {
                buf,
                pos: cursor.pos,
            },
            prev: cursor.id,
            first: false,
        })
    }

    /// The master ID: the first entry's ID, the node's key in the tree.
    pub fn master(&self) -> StreamId {
        self.master
    }

    /// The last entry's ID, tombstones included (what Redis's trimming compares MINID to).
    pub fn last(&self) -> StreamId {
        self.last
    }

    /// The greatest live entry's ID (live entries are in ID order, and the last entry is
    /// the greatest unless it was deleted).
    pub fn last_live(&self) -> Option<StreamId> {
        if self.live == 0 {
            return None;
        }
        let last_deleted = self
            .buf
            .as_slice()
            .get(self.last_at as usize)
            .is_none_or(|b| b & FLAG_DELETED != 0);
        if !last_deleted {
            return Some(self.last);
        }
        self.iter().filter(|e| !e.deleted).last().map(|e| e.id)
    }

    /// Live (not deleted) entries.
    pub fn live(&self) -> u64 {
        u64::from(self.live)
    }

    /// Tombstones.
    pub fn deleted(&self) -> u64 {
        u64::from(self.deleted)
    }

    /// The size Redis's listpack for this node would have.
    #[inline]
    pub fn lp_bytes(&self) -> u64 {
        lpsize::LISTPACK_OVERHEAD
            + lpsize::count_elem(self.live())
            + lpsize::count_elem(self.deleted())
            + self.lp_body
    }

    /// Heap bytes held by this node's buffer.
    pub fn heap_bytes(&self) -> usize {
        self.buf.heap_bytes()
    }

    /// Whether Redis would append an entry whose fields and values total `totelelen`
    /// bytes to this node (as the tail node), rather than start a new one.
    #[inline]
    pub fn accepts(&self, totelelen: u64, limits: &NodeLimits) -> bool {
        if self.lp_bytes().saturating_add(totelelen) >= limits.effective_max_bytes() {
            return false;
        }
        limits.max_entries == 0 || self.live() + self.deleted() < limits.max_entries
    }

    /// Appends an entry; `id` must be above every live entry (it is above
    /// [`Node::last`] except after XSETID went below tombstones; see the module docs).
    ///
    /// When the buffer must grow it grows once to the size the node will probably reach
    /// before Redis would close it (entries so far × the node's entry limits), as Redis
    /// preallocates a tail listpack; [`Node::seal`] gives the slack back at close.
    /// `total` is the byte length of all fields and values.
    #[inline]
    pub fn append<F: FieldValues + ?Sized>(
        &mut self,
        id: StreamId,
        fields: &F,
        total: u64,
        limits: &NodeLimits,
    ) {
        let same = self.same_fields(fields);
        // Worst case: the bytes, a 10-byte length per field and value, the header.
        let need = total as usize + 20 * fields.pair_count() + 48;
        let buf = self.buf.open();
        if buf.capacity() - buf.len() < need {
            self.grow(need, limits);
        }
        self.push_entry(id, fields, same);
    }

    #[cold]
    fn grow(&mut self, need: usize, limits: &NodeLimits) {
        let entries = (self.live + self.deleted) as usize;
        let used = self.buf.open.len() - self.entries_at as usize;
        let per_entry = used / entries.max(1) + 1;
        let lp_per_entry = (self.lp_body / entries.max(1) as u64).max(1);
        let by_bytes =
            (limits.effective_max_bytes().saturating_sub(self.lp_bytes()) / lp_per_entry) as usize;
        let by_count = match limits.max_entries {
            0 => usize::MAX,
            m => (m as usize).saturating_sub(entries),
        };
        let expected = by_bytes.min(by_count).min(1024) * per_entry;
        let buf = &mut self.buf.open;
        let target = (buf.len() + need.max(expected)).max(2 * buf.capacity());
        buf.reserve_exact(target - buf.len());
    }

    /// Closes the node: gives back spare capacity (Redis's `lpShrinkToFit`) and freezes
    /// the bytes so that reads share them.
    pub fn seal(&mut self) {
        self.buf.seal();
    }

    /// Whether `fields` has exactly the master entry's field names, in order. This runs
    /// on every append, so it walks the master part of the buffer directly.
    #[inline]
    fn same_fields<F: FieldValues + ?Sized>(&self, fields: &F) -> bool {
        let n = fields.pair_count();
        if n != self.master_fields as usize {
            return false;
        }
        let mut r = Reader {
            buf: &self.buf.as_slice()[..self.entries_at as usize],
            pos: 0,
        };
        r.varint();
        (0..n).all(|i| bytes_eq(r.bytes(), fields.pair(i).0))
    }

    // `always`: XADD's hot path; with `#[inline]` alone the compiler stopped inlining it
    // into `Stream::append` when the files moved (+48 instructions per XADD).
    #[inline(always)]
    fn push_entry<F: FieldValues + ?Sized>(&mut self, id: StreamId, fields: &F, same: bool) {
        let first = self.live + self.deleted == 0;
        let flags = if same { FLAG_SAME_FIELDS } else { 0 };
        let buf = self.buf.open();
        self.last_at = buf.len() as u32;
        let mut head = [0u8; 48];
        let mut h = 0;
        if first {
            h = put_varint(&mut head, h, u128::from(flags));
        } else if id <= self.last {
            // Below a tombstone (see the module docs): absolute ID.
            h = put_varint(&mut head, h, u128::from(flags | FLAG_NEW_MS));
            h = put_varint(&mut head, h, u128::from(id.ms));
            h = put_varint(&mut head, h, u128::from(id.seq));
        } else if id.ms == self.last.ms {
            let payload = u128::from(id.seq - self.last.seq - 1);
            h = put_varint(&mut head, h, payload << 3 | u128::from(flags));
        } else {
            let payload = u128::from(id.ms - self.last.ms);
            h = put_varint(&mut head, h, payload << 3 | u128::from(flags | FLAG_NEW_MS));
            h = put_varint(&mut head, h, u128::from(id.seq));
        }
        let n = fields.pair_count();
        // Listpack: flags, ms-diff and seq-diff from the master ID, [numfields, names],
        // values, lp-count.
        let mut lp = lpsize::int_elem(i64::from(flags))
            + lpsize::int_elem(id.ms.wrapping_sub(self.master.ms) as i64)
            + lpsize::int_elem(id.seq.wrapping_sub(self.master.seq) as i64);
        if same {
            if n == 0 {
                buf.extend_from_slice(&head[..h]);
            }
            // The header and the first value's length go out in one write.
            for i in 0..n {
                let (_, v) = fields.pair(i);
                h = put_varint(&mut head, h, v.len() as u128);
                buf.extend_from_slice(&head[..h]);
                buf.extend_from_slice(v);
                h = 0;
                lp += lpsize::str_elem(v);
            }
            lp += lpsize::int_elem(n as i64 + 3);
        } else {
            buf.extend_from_slice(&head[..h]);
            write_varint(buf, n as u128);
            lp += lpsize::int_elem(n as i64);
            for i in 0..n {
                let (f, v) = fields.pair(i);
                write_bytes(buf, f);
                write_bytes(buf, v);
                lp += lpsize::str_elem(f) + lpsize::str_elem(v);
            }
            lp += lpsize::int_elem(2 * n as i64 + 4);
        }
        self.lp_body += lp;
        self.live += 1;
        self.prev_last = self.last;
        self.last = id;
    }

    fn master_names(&self) -> Names<'_> {
        let mut r = Reader {
            buf: &self.buf.as_slice()[..self.entries_at as usize],
            pos: 0,
        };
        let n = r.varint() as usize;
        Names { r, left: n }
    }

    /// Iterates over every entry, tombstones included, in ID order.
    pub fn iter(&self) -> NodeIter<'_> {
        NodeIter {
            node: self,
            r: Reader {
                buf: self.buf.as_slice(),
                pos: self.entries_at as usize,
            },
            prev: self.master,
            first: true,
        }
    }

    /// Iterates over the entries a reader of IDs `>= start` may need, in ID order: the
    /// last entry alone when every other live entry lies below `start` (the common
    /// case of a reader following the tail), else every entry as [`Node::iter`]. Live
    /// entries are appended in ID order, so every live entry before the last is at most
    /// the one just before it, `prev_last`.
    pub fn iter_from(&self, start: StreamId) -> NodeIter<'_> {
        let last_only =
            self.live + self.deleted > 1 && start > self.prev_last && start <= self.last;
        if !last_only {
            return self.iter();
        }
        NodeIter {
            node: self,
            r: Reader {
                buf: self.buf.as_slice(),
                pos: self.last_at as usize,
            },
            prev: self.prev_last,
            first: false,
        }
    }

    /// Marks the entry whose header starts at `pos` deleted (it must be live).
    pub fn mark_deleted(&mut self, pos: usize) {
        let sealed = self.buf.is_sealed();
        self.buf.open()[pos] |= FLAG_DELETED;
        if sealed {
            self.buf.seal();
        }
        self.live -= 1;
        self.deleted += 1;
    }

    /// Checks the node's invariants, returning a description of the first violation.
    pub fn check(&self) -> Result<(), alloc::string::String> {
        use alloc::format;
        let mut live = 0u32;
        let mut deleted = 0u32;
        let mut prev: Option<StreamId> = None;
        let mut prev_live: Option<StreamId> = None;
        let mut first = None;
        let mut lp_body = lpsize::int_elem(i64::from(self.master_fields)) + lpsize::int_elem(0);
        let names: Vec<&[u8]> = self.master_names().collect();
        lp_body += names.iter().map(|f| lpsize::str_elem(f)).sum::<u64>();
        let mut end = self.entries_at as usize;
        for e in self.iter() {
            if let Some(p) = prev {
                // Only an entry written after tombstones may be below its predecessor.
                if e.id <= p && !self.iter().any(|t| t.deleted && t.id >= e.id) {
                    return Err(format!("entry {} not after {}", e.id, p));
                }
            }
            if !e.deleted {
                if let Some(p) = prev_live {
                    if e.id <= p {
                        return Err(format!("live entry {} not after live {}", e.id, p));
                    }
                }
                prev_live = Some(e.id);
            }
            first.get_or_insert(e.id);
            prev = Some(e.id);
            if e.deleted {
                deleted += 1;
            } else {
                live += 1;
            }
            let pairs: Vec<(&[u8], &[u8])> = e.pairs().collect();
            lp_body += lpsize::int_elem(if e.same_fields { 2 } else { 0 })
                + lpsize::int_elem(e.id.ms.wrapping_sub(self.master.ms) as i64)
                + lpsize::int_elem(e.id.seq.wrapping_sub(self.master.seq) as i64);
            if e.same_fields {
                if pairs.len() != names.len() {
                    return Err(format!("entry {} same-fields arity", e.id));
                }
                lp_body += pairs.iter().map(|(_, v)| lpsize::str_elem(v)).sum::<u64>();
                lp_body += lpsize::int_elem(pairs.len() as i64 + 3);
            } else {
                let same = pairs.len() == names.len()
                    && pairs.iter().zip(names.iter()).all(|((f, _), n)| f == n);
                if same && !e.first {
                    return Err(format!("entry {} should use the same-fields flag", e.id));
                }
                lp_body += lpsize::int_elem(pairs.len() as i64);
                lp_body += pairs
                    .iter()
                    .map(|(f, v)| lpsize::str_elem(f) + lpsize::str_elem(v))
                    .sum::<u64>();
                lp_body += lpsize::int_elem(2 * pairs.len() as i64 + 4);
            }
            end = e.end;
        }
        let len = self.buf.as_slice().len();
        if end != len {
            return Err(format!("buffer has {} trailing bytes", len - end));
        }
        if first != Some(self.master) {
            return Err(format!(
                "first entry {:?} is not the master {}",
                first, self.master
            ));
        }
        let all: Vec<EntryRef<'_>> = self.iter().collect();
        if all.len() > 1 && all[all.len() - 2].id != self.prev_last {
            return Err(format!(
                "cached previous-to-last ID {} is not {}",
                self.prev_last,
                all[all.len() - 2].id
            ));
        }
        // Where iter_from takes its shortcut, it must decode the last entry alone.
        if let Some(last) = all
            .last()
            .filter(|_| all.len() > 1 && self.last > self.prev_last)
        {
            let mut tail = self.iter_from(self.last);
            if tail.next().map(|e| (e.id, e.header_at)) != Some((last.id, last.header_at)) {
                return Err(format!(
                    "the tail entry {} cannot be read on its own",
                    last.id
                ));
            }
        }
        if self.iter().last().map(|e| e.header_at) != Some(self.last_at as usize) {
            return Err(format!(
                "cached last entry offset {} is stale",
                self.last_at
            ));
        }
        if prev != Some(self.last) {
            return Err(format!(
                "last entry {:?} is not the cached {}",
                prev, self.last
            ));
        }
        if live != self.live || deleted != self.deleted {
            return Err(format!(
                "counters live {}/{} deleted {}/{}",
                live, self.live, deleted, self.deleted
            ));
        }
        if lp_body != self.lp_body {
            return Err(format!(
                "listpack size {} != tracked {}",
                lp_body, self.lp_body
            ));
        }
        Ok(())
    }
}

/// One entry of a node, borrowed.
#[derive(Clone, Debug)]
pub struct EntryRef<'a> {
    /// The entry's ID.
    pub id: StreamId,
    /// Whether the entry is a tombstone.
    pub deleted: bool,
    /// Offset of the entry's header in the node buffer (for [`Node::mark_deleted`]).
    pub header_at: usize,
    same_fields: bool,
    first: bool,
    node: &'a Node,
    body: usize,
    end: usize,
}

impl<'a> EntryRef<'a> {
    /// The entry's field/value pairs.
    pub fn pairs(&self) -> Pairs<'a> {
        let mut r = Reader {
            buf: &self.node.buf.as_slice()[..self.end],
            pos: self.body,
        };
        if self.same_fields {
            Pairs {
                names: Some(self.node.master_names()),
                left: self.node.master_fields as usize,
                r,
            }
        } else {
            let left = r.varint() as usize;
            Pairs {
                names: None,
                left,
                r,
            }
        }
    }

    /// The master ID of the node holding this entry.
    pub fn node_master(&self) -> StreamId {
        self.node.master
    }

    /// Where a read that stops after this entry may resume.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            serial: self.node.serial,
            pos: self.end,
            id: self.id,
        }
    }

    /// The entry as an owned [`StreamEntry`]: slices of the node's shared bytes for a
    /// closed node, copies for the tail node.
    pub fn to_entry(&self) -> StreamEntry {
        let buf = &self.node.buf;
        StreamEntry {
            id: self.id,
            fields: self
                .pairs()
                .map(|(f, v)| (buf.share(f), buf.share(v)))
                .collect(),
        }
    }

    /// As [`EntryRef::to_entry`], for one of several entries a read returns: entries of
    /// the open tail node share one copy of its bytes made by `copies` (two allocations
    /// per read instead of two per entry).
    pub fn to_entry_in(&self, copies: &mut OpenCopy) -> StreamEntry {
        let buf = &self.node.buf;
        if buf.is_sealed() {
            return self.to_entry();
        }
        let bytes = buf.as_slice();
        if copies.master != Some(self.node.master) || copies.bytes.len() < self.end {
            copies.master = Some(self.node.master);
            copies.bytes = Bytes::copy_from_slice(bytes);
        }
        let base = bytes.as_ptr() as usize;
        let share = |part: &[u8]| {
            let at = (part.as_ptr() as usize).wrapping_sub(base);
            copies.bytes.slice(at..at + part.len())
        };
        StreamEntry {
            id: self.id,
            fields: self.pairs().map(|(f, v)| (share(f), share(v))).collect(),
        }
    }
}

/// One read's copy of an open node's bytes (see [`EntryRef::to_entry_in`]).
#[derive(Debug, Default)]
pub struct OpenCopy {
    master: Option<StreamId>,
    bytes: Bytes,
}

/// Forward iterator over a node's entries (tombstones included).
pub struct NodeIter<'a> {
    node: &'a Node,
    r: Reader<'a>,
    prev: StreamId,
    first: bool,
}

impl<'a> Iterator for NodeIter<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        if self.r.pos >= self.r.buf.len() {
            return None;
        }
        let header_at = self.r.pos;
        let header = self.r.varint();
        let flags = (header & 7) as u8;
        let payload = header >> 3;
        let id = if self.first {
            self.node.master
        } else if flags & FLAG_NEW_MS != 0 && payload == 0 {
            let ms = self.r.varint() as u64;
            StreamId::new(ms, self.r.varint() as u64)
        } else if flags & FLAG_NEW_MS != 0 {
            let seq = self.r.varint() as u64;
            StreamId::new(self.prev.ms.wrapping_add(payload as u64), seq)
        } else {
            StreamId::new(
                self.prev.ms,
                self.prev.seq.wrapping_add(payload as u64).wrapping_add(1),
            )
        };
        let first = self.first;
        self.first = false;
        self.prev = id;
        let same_fields = flags & FLAG_SAME_FIELDS != 0;
        let body = self.r.pos;
        let n = if same_fields {
            self.node.master_fields as usize
        } else {
            2 * self.r.varint() as usize
        };
        for _ in 0..n {
            let len = self.r.varint() as usize;
            self.r.pos += len;
        }
        Some(EntryRef {
            id,
            deleted: flags & FLAG_DELETED != 0,
            header_at,
            same_fields,
            first,
            node: self.node,
            body,
            end: self.r.pos,
        })
    }
}

/// Iterator over an entry's field/value pairs.
pub struct Pairs<'a> {
    names: Option<Names<'a>>,
    left: usize,
    r: Reader<'a>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let field = match &mut self.names {
            Some(names) => names.next()?,
            None => self.r.bytes(),
        };
        Some((field, self.r.bytes()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Iterator over the master field names.
struct Names<'a> {
    r: Reader<'a>,
    left: usize,
}

impl<'a> Iterator for Names<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(self.r.bytes())
    }
}

/// A cursor over bytes this module wrote itself (so reads never run off the end).
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    fn varint(&mut self) -> u128 {
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return u128::from(b);
            }
        }
        let mut v: u128 = 0;
        let mut shift = 0;
        while let Some(&b) = self.buf.get(self.pos) {
            self.pos += 1;
            v |= u128::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        v
    }

    #[inline]
    fn bytes(&mut self) -> &'a [u8] {
        let len = self.varint() as usize;
        let start = self.pos.min(self.buf.len());
        let end = (start + len).min(self.buf.len());
        self.pos = end;
        &self.buf[start..end]
    }
}

/// Slice equality without a `memcmp` call for the short field names of the hot path.
#[inline]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 16 {
        return a == b;
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// Writes `v` as LEB128 at `out[at..]`, returning the new end (`out` must have room:
/// 19 bytes hold any `u128`).
#[inline]
fn put_varint(out: &mut [u8], mut at: usize, mut v: u128) -> usize {
    while v >= 0x80 {
        out[at] = (v as u8) | 0x80;
        v >>= 7;
        at += 1;
    }
    out[at] = v as u8;
    at + 1
}

#[inline]
fn write_varint(buf: &mut Vec<u8>, v: u128) {
    if v < 0x80 {
        buf.push(v as u8);
    } else {
        let mut tmp = [0u8; 19];
        let n = put_varint(&mut tmp, 0, v);
        buf.extend_from_slice(&tmp[..n]);
    }
}

#[inline]
fn write_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    write_varint(buf, b.len() as u128);
    buf.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    #[test]
    fn append_iterate_delete() {
        let mut n = Node::new(id(5, 3), &[("a", "1"), ("b", "x")]);
        let l = NodeLimits::default();
        n.append(id(5, 4), &[("a", "2"), ("b", "y")], 4, &l);
        n.append(id(9, 0), &[("c", "3")], 2, &l);
        n.append(id(u64::MAX, u64::MAX), &[("a", "")], 1, &l);
        n.check().expect("well-formed");
        let ids: Vec<StreamId> = n.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![id(5, 3), id(5, 4), id(9, 0), StreamId::MAX]);
        let e = n.iter().nth(2).expect("third").to_entry();
        assert_eq!(e.fields, vec![(Bytes::from("c"), Bytes::from("3"))]);
        let e = n.iter().nth(1).expect("second").to_entry();
        assert_eq!(e.get(b"b"), Some(&Bytes::from("y")));
        let at = n.iter().nth(1).expect("second").header_at;
        n.mark_deleted(at);
        assert_eq!((n.live(), n.deleted()), (3, 1));
        n.check().expect("well-formed after delete");
        assert!(n.iter().nth(1).expect("tombstone").deleted);
    }

    #[test]
    fn lp_count_of_wide_entries() {
        // 62 pairs: the same-fields lp-count 65 still takes 2 bytes, the own-fields
        // lp-count 2·62+4 = 128 takes 3 (reference §1.6).
        let names: Vec<alloc::string::String> =
            (0..62).map(|i| alloc::format!("f{i:02}")).collect();
        let same: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        let others: Vec<alloc::string::String> =
            (0..62).map(|i| alloc::format!("g{i:02}")).collect();
        let other: Vec<(&str, &str)> = others.iter().map(|n| (n.as_str(), "v")).collect();
        let mut n = Node::new(id(1, 0), &same[..]);
        // header 7, live 2, deleted 2, numfields 2, 62 names of 3 bytes (5 each),
        // terminator 2, flags 2, ms 2, seq 2, 62 values "v" (3 each), lp-count 2.
        assert_eq!(
            n.lp_bytes(),
            7 + 2 + 2 + 2 + 62 * 5 + 2 + 2 + 2 + 2 + 62 * 3 + 2
        );
        let before = n.lp_bytes();
        n.append(id(1, 1), &other[..], 62 * 3, &NodeLimits::default());
        // flags 2, ms 2, seq 2, numfields 2, 62 × (name 5 + value 3), lp-count 3.
        assert_eq!(n.lp_bytes() - before, 2 + 2 + 2 + 2 + 62 * (5 + 3) + 3);
        // 20 own pairs: lp-count 44, 2 bytes.
        let before = n.lp_bytes();
        n.append(id(1, 2), &other[..20], 20 * 3, &NodeLimits::default());
        assert_eq!(n.lp_bytes() - before, 2 + 2 + 2 + 2 + 20 * (5 + 3) + 2);
        n.check().expect("well-formed");
    }

    #[test]
    fn last_live_skips_a_deleted_last_entry() {
        let l = NodeLimits::default();
        let mut n = Node::new(id(1, 0), &[("f", "v")]);
        // Own fields, next sequence number: its header byte is exactly the deleted flag
        // once deleted (payload 0, no other flag).
        n.append(id(1, 1), &[("g", "w")], 2, &l);
        assert_eq!(n.last_live(), Some(id(1, 1)));
        let at = n.iter().nth(1).expect("second").header_at;
        n.mark_deleted(at);
        assert_eq!(n.last_live(), Some(id(1, 0)));
    }

    #[test]
    fn long_names_and_128_byte_values() {
        // A field name over 16 bytes (compared without the short-slice loop) and a value
        // of exactly 128 bytes (its length takes a 2-byte varint).
        let l = NodeLimits::default();
        let name = "a-field-name-of-24-bytes";
        let other = "a-field-name-of-24-bytez";
        let value = "x".repeat(128);
        let mut n = Node::new(id(1, 0), &[(name, value.as_str())]);
        n.append(id(1, 1), &[(name, value.as_str())], 152, &l);
        n.append(id(1, 2), &[(other, "v")], 25, &l);
        n.check().expect("well-formed");
        let e: Vec<StreamEntry> = n.iter().map(|e| e.to_entry()).collect();
        assert_eq!(
            e[1].fields,
            vec![(Bytes::from(name), Bytes::from(value.clone()))]
        );
        assert_eq!(e[2].fields, vec![(Bytes::from(other), Bytes::from("v"))]);
    }

    #[test]
    fn effective_max_bytes_caps_at_a_gib() {
        let l = |max_bytes| NodeLimits {
            max_bytes,
            max_entries: 0,
        };
        assert_eq!(l(0).effective_max_bytes(), LISTPACK_MAX_SIZE);
        assert_eq!(
            l(LISTPACK_MAX_SIZE).effective_max_bytes(),
            LISTPACK_MAX_SIZE
        );
        assert_eq!(
            l(2 * LISTPACK_MAX_SIZE).effective_max_bytes(),
            LISTPACK_MAX_SIZE
        );
        assert_eq!(l(4096).effective_max_bytes(), 4096);
    }

    #[test]
    fn the_live_counter_widens_at_128_entries() {
        let l = NodeLimits {
            max_bytes: 0,
            max_entries: 0,
        };
        let mut n = Node::new(id(1, 0), &[("f", "v")]);
        let mut sizes = vec![n.lp_bytes()];
        for seq in 1..130 {
            n.append(id(1, seq), &[("f", "v")], 2, &l);
            sizes.push(n.lp_bytes());
        }
        // Each same-fields entry: flags 2, ms-diff 2, seq-diff 2 (3 from seq 128 on),
        // "v" 3, lp-count 2 — and the live counter takes a third byte at 128 entries.
        assert_eq!(sizes[126] - sizes[125], 11);
        assert_eq!(sizes[127] - sizes[126], 11 + 1);
        assert_eq!(sizes[128] - sizes[127], 12);
        n.check().expect("well-formed");
    }

    #[test]
    fn sealed_nodes_share_their_bytes_and_stay_sealed_after_deletes() {
        let l = NodeLimits::default();
        let mut n = Node::new(id(1, 0), &[("f", "value-one")]);
        n.append(id(1, 1), &[("f", "value-two")], 10, &l);
        assert!(!n.buf.is_sealed());
        let copy = n.iter().next().expect("first").to_entry();
        n.seal();
        assert!(n.buf.is_sealed());
        assert_eq!(n.heap_bytes(), n.buf.as_slice().len());
        let shared = n.iter().next().expect("first").to_entry();
        assert_eq!(copy, shared);
        let range = n.buf.as_slice().as_ptr_range();
        assert!(
            range.contains(&shared.fields[0].1.as_ptr()),
            "a slice of the node"
        );
        assert!(!range.contains(&copy.fields[0].1.as_ptr()), "a copy");
        let at = n.iter().nth(1).expect("second").header_at;
        n.mark_deleted(at);
        assert!(n.buf.is_sealed(), "re-sealed after a delete");
        n.check().expect("well-formed");
    }

    #[test]
    fn listpack_size_matches_redis_arithmetic() {
        // One entry "field value" in a fresh node: header 7, count 2, deleted 2,
        // numfields 2, "field" 7, terminator 2, flags 2, ms 2, seq 2, "value" 7, lp-count 2.
        let n = Node::new(id(1, 1), &[("field", "value")]);
        assert_eq!(n.lp_bytes(), 7 + 2 + 2 + 2 + 7 + 2 + 2 + 2 + 2 + 7 + 2);
        let limits = NodeLimits {
            max_bytes: n.lp_bytes() + 10 + 1,
            max_entries: 0,
        };
        assert!(n.accepts(10, &limits));
        assert!(!n.accepts(11, &limits));
        let limits = NodeLimits {
            max_bytes: 0,
            max_entries: 1,
        };
        assert!(!n.accepts(0, &limits));
    }
}
