//! Where XREAD and XREADGROUP put the entries they deliver.
//!
//! The read semantics (which entries, in which order, with which side effects on the
//! group) live once, in `Keyspace::xread_into`, `Keyspace::xreadgroup_into` and
//! `Stream::read_group_into`; they hand each delivered entry to a [`ReadSink`] while
//! the entry is still in its node. The typed API and the blocked-reader hand-off
//! collect owned entries ([`ReadVec`], [`GroupVec`]); a server encodes them straight
//! into its output buffer ([`RespSink`]), so a large read costs its reply's bytes once.

use alloc::vec::Vec;

use bytes::Bytes;

use crate::entry::StreamEntries;
use crate::id::StreamId;
use crate::info::{DeliveryInfo, GroupEntry};
use crate::log::node::{EntryRef, OpenCopy};
use crate::reply::{write_entry_parts, Reply};
use crate::resp::Protocol;
use crate::resp::{insert_len, write_bulk, write_count, write_id};

/// Receives the entries a read delivers from one stream.
pub(crate) trait EntrySink {
    /// A live entry, with XREADGROUP … CLAIM's `(idle, delivery count)` when the reply
    /// element carries them.
    fn entry(&mut self, e: &EntryRef<'_>, claim: Option<(u64, u64)>);
    /// A pending entry no longer in the stream (`[id, nil]` in a history read).
    fn missing(&mut self, id: StreamId, claim: Option<(u64, u64)>);
    /// True when the sink wants to know the encoded size of a run of up to `entries`
    /// entries before it gets them ([`EntrySink::reserve`]); the reader then walks
    /// them twice.
    fn wants_size(&self, _entries: usize) -> bool {
        false
    }
    /// The entries that follow take about `bytes` bytes encoded.
    fn reserve(&mut self, _bytes: usize) {}
}

/// Receives a whole read: each stream tried, then its entries.
pub(crate) trait ReadSink: EntrySink {
    /// A stream is about to be read; its entries follow.
    fn begin_stream(&mut self, key: &[u8]);
    /// The stream's read ended; `served` false means Redis leaves it out of the reply
    /// (nothing was delivered from it).
    fn end_stream(&mut self, served: bool);
}

/// Owned XREAD entries, per served stream (the typed API's [`crate::frontend::ReadOutput::Read`]).
#[derive(Default)]
pub(crate) struct ReadVec {
    /// The served streams.
    pub streams: Vec<StreamEntries>,
    /// The copy of an open node the entries share (the current stream's nodes only).
    copies: OpenCopy,
}

impl EntrySink for ReadVec {
    fn entry(&mut self, e: &EntryRef<'_>, _claim: Option<(u64, u64)>) {
        if let Some(s) = self.streams.last_mut() {
            s.entries.push(e.to_entry_in(&mut self.copies));
        }
    }

    fn missing(&mut self, _id: StreamId, _claim: Option<(u64, u64)>) {}
}

impl ReadSink for ReadVec {
    fn begin_stream(&mut self, key: &[u8]) {
        self.streams
            .push(StreamEntries::new(Bytes::copy_from_slice(key), Vec::new()));
        // A copy is known by its node's master ID, which another stream may share.
        self.copies = OpenCopy::default();
    }

    fn end_stream(&mut self, served: bool) {
        if !served {
            self.streams.pop();
        }
    }
}

/// Owned XREADGROUP entries of one stream (what [`crate::frontend::Stream::read_group`] returns).
#[derive(Default)]
pub(crate) struct GroupEntries {
    /// The delivered entries.
    pub entries: Vec<GroupEntry>,
    /// The copy of an open node the entries share (one stream's nodes only).
    copies: OpenCopy,
}

impl EntrySink for GroupEntries {
    fn entry(&mut self, e: &EntryRef<'_>, claim: Option<(u64, u64)>) {
        let e = e.to_entry_in(&mut self.copies);
        self.entries.push(GroupEntry {
            id: e.id,
            fields: Some(e.fields),
            claim: claim.map(|(idle, delivery_count)| DeliveryInfo {
                idle,
                delivery_count,
            }),
        });
    }

    fn missing(&mut self, id: StreamId, claim: Option<(u64, u64)>) {
        self.entries.push(GroupEntry {
            id,
            fields: None,
            claim: claim.map(|(idle, delivery_count)| DeliveryInfo {
                idle,
                delivery_count,
            }),
        });
    }
}

/// Owned XREADGROUP entries, per served stream (the typed API's
/// [`crate::frontend::ReadOutput::Group`]).
#[derive(Default)]
pub(crate) struct GroupVec {
    /// The served streams.
    pub streams: Vec<StreamEntries<GroupEntry>>,
    key: Bytes,
    current: GroupEntries,
}

impl EntrySink for GroupVec {
    fn entry(&mut self, e: &EntryRef<'_>, claim: Option<(u64, u64)>) {
        self.current.entry(e, claim);
    }

    fn missing(&mut self, id: StreamId, claim: Option<(u64, u64)>) {
        self.current.missing(id, claim);
    }
}

impl ReadSink for GroupVec {
    fn begin_stream(&mut self, key: &[u8]) {
        self.key = Bytes::copy_from_slice(key);
        // A copy is known by its node's master ID, which another stream may share.
        self.current = GroupEntries::default();
    }

    fn end_stream(&mut self, served: bool) {
        let entries = core::mem::take(&mut self.current.entries);
        if served {
            self.streams
                .push(StreamEntries::new(core::mem::take(&mut self.key), entries));
        }
    }
}

/// A read encoded for `proto` straight into a server's output buffer: the bytes
/// [`crate::cmd::render_read`] would give for the same read, written as the entries
/// are walked.
pub(crate) struct RespSink<'o> {
    proto: Protocol,
    out: &'o mut Vec<u8>,
    /// Where the reply starts.
    start: usize,
    /// Where the current stream's pair starts (taken back when it is not served).
    stream_at: usize,
    /// Where the current stream's entries start (their array header goes there).
    entries_at: usize,
    /// Entries of the current stream so far.
    entries: usize,
    /// Streams served so far.
    served: usize,
}

impl<'o> RespSink<'o> {
    /// A sink appending to `out`.
    pub fn new(proto: Protocol, out: &'o mut Vec<u8>) -> RespSink<'o> {
        let start = out.len();
        RespSink {
            proto,
            out,
            start,
            stream_at: start,
            entries_at: start,
            entries: 0,
            served: 0,
        }
    }

    /// How many streams were served.
    pub fn served(&self) -> usize {
        self.served
    }

    /// Takes back everything written (the read failed).
    pub fn discard(&mut self) {
        self.out.truncate(self.start);
        self.served = 0;
    }

    /// Completes the reply: the map (RESP3) or array of pairs (RESP2) of the served
    /// streams, or the null array when none was served.
    pub fn finish(self) {
        if self.served == 0 {
            self.out.truncate(self.start);
            Reply::NullArray.write_resp(self.proto, self.out);
            return;
        }
        let prefix = match self.proto {
            Protocol::Resp2 => b'*',
            Protocol::Resp3 => b'%',
        };
        insert_len(self.out, self.start, prefix, self.served);
    }

    fn write_claim(&mut self, claim: Option<(u64, u64)>) {
        if let Some((idle, count)) = claim {
            write_count(idle, self.out);
            write_count(count, self.out);
        }
    }
}

/// Reads of at most this many entries are not sized first: their reply grows the
/// buffer a few times at most, cheaper than a second walk (the common `COUNT 10`).
const SIZE_ABOVE: usize = 256;

impl EntrySink for RespSink<'_> {
    fn wants_size(&self, entries: usize) -> bool {
        entries > SIZE_ABOVE
    }

    fn reserve(&mut self, bytes: usize) {
        // Room for the headers inserted in front afterwards too: a buffer grown by
        // doubling at the end would hold the reply up to three times over.
        self.out.reserve(bytes.saturating_add(128));
    }

    fn entry(&mut self, e: &EntryRef<'_>, claim: Option<(u64, u64)>) {
        write_entry_parts(e, if claim.is_some() { 4 } else { 2 }, self.out);
        self.write_claim(claim);
        self.entries += 1;
    }

    fn missing(&mut self, id: StreamId, claim: Option<(u64, u64)>) {
        self.out.extend_from_slice(if claim.is_some() {
            b"*4\r\n"
        } else {
            b"*2\r\n"
        });
        write_id(id, self.out);
        Reply::NullArray.write_resp(self.proto, self.out);
        self.write_claim(claim);
        self.entries += 1;
    }
}

impl ReadSink for RespSink<'_> {
    fn begin_stream(&mut self, key: &[u8]) {
        self.stream_at = self.out.len();
        if self.proto == Protocol::Resp2 {
            self.out.extend_from_slice(b"*2\r\n");
        }
        write_bulk(key, self.out);
        self.entries_at = self.out.len();
        self.entries = 0;
    }

    fn end_stream(&mut self, served: bool) {
        if served {
            insert_len(self.out, self.entries_at, b'*', self.entries);
            self.served += 1;
        } else {
            self.out.truncate(self.stream_at);
        }
    }
}
