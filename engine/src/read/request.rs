//! The pure half of blocking reads: a read as a re-runnable request, and the key
//! signals that tell the engine which blocked readers to re-run (reference §21).
//!
//! Redis re-executes a blocked XREAD / XREADGROUP from scratch whenever one of its keys
//! is signalled, with `$` already replaced by the ID it meant when the call blocked; a
//! re-run that finds nothing blocks again. [`ReadRequest`] is that stored command and
//! `Keyspace::run_read` runs it; the keyspace's signals say which readers to re-run.

use alloc::vec::Vec;

use bytes::Bytes;

use crate::entry::StreamEntries;
use crate::info::GroupEntry;
use crate::options::{GroupReadId, XReadGroupOptions, XReadId};

/// A read that may block: XREAD or XREADGROUP with its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadRequest {
    /// XREAD [COUNT n] STREAMS key … id ….
    Read {
        /// Keys and where to read each from.
        streams: Vec<(Bytes, XReadId)>,
        /// COUNT (`None` or 0: no limit).
        count: Option<u64>,
    },
    /// XREADGROUP GROUP group consumer \[COUNT n\] \[CLAIM ms\] \[NOACK\] STREAMS key … id ….
    Group {
        /// The group.
        group: Bytes,
        /// The consumer.
        consumer: Bytes,
        /// Keys and where to read each from.
        streams: Vec<(Bytes, GroupReadId)>,
        /// COUNT, NOACK, CLAIM.
        opts: XReadGroupOptions,
    },
}

/// What a read returned: the streams it served (none = it found nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadOutput {
    /// XREAD's streams.
    Read(Vec<StreamEntries>),
    /// XREADGROUP's streams.
    Group(Vec<StreamEntries<GroupEntry>>),
}

impl ReadOutput {
    /// True when no stream was served (a blocking read then waits; a timeout answers
    /// this).
    pub fn is_empty(&self) -> bool {
        match self {
            ReadOutput::Read(v) => v.is_empty(),
            ReadOutput::Group(v) => v.is_empty(),
        }
    }

    /// The empty output of the same kind as `req` (a timed-out read).
    pub fn empty_for(req: &ReadRequest) -> ReadOutput {
        match req {
            ReadRequest::Read { .. } => ReadOutput::Read(Vec::new()),
            ReadRequest::Group { .. } => ReadOutput::Group(Vec::new()),
        }
    }
}

impl ReadRequest {
    /// The keys the read waits on, each once, in argument order.
    pub fn keys(&self) -> Vec<Bytes> {
        let mut keys: Vec<Bytes> = Vec::new();
        let mut push = |k: &Bytes| {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        };
        match self {
            ReadRequest::Read { streams, .. } => streams.iter().for_each(|(k, _)| push(k)),
            ReadRequest::Group { streams, .. } => streams.iter().for_each(|(k, _)| push(k)),
        }
        keys
    }

    /// True for XREADGROUP (woken also by key deletion and type change).
    pub fn is_group(&self) -> bool {
        matches!(self, ReadRequest::Group { .. })
    }
}

/// Read positions with owned keys.
pub(crate) fn owned_streams<K: AsRef<[u8]>, T: Copy>(streams: &[(K, T)]) -> Vec<(Bytes, T)> {
    streams
        .iter()
        .map(|(k, at)| (Bytes::copy_from_slice(k.as_ref()), *at))
        .collect()
}
