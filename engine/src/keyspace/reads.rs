//! Reads of several streams that may block: XREAD and XREADGROUP as a re-runnable
//! [`ReadRequest`] ([`Keyspace::run_read`]), with what the engine needs to block them
//! (`$` resolved, the CLAIM deadline), and non-blocking XREAD.

use alloc::vec::Vec;

use super::door::Keyspace;
use crate::entry::StreamEntries;
use crate::error::Error;
use crate::id::StreamId;
use crate::info::StreamSummary;
use crate::options::{GroupReadId, XReadId};
use crate::read::request::{ReadOutput, ReadRequest};
use crate::stream::Stream;

impl Keyspace {
    /// Non-blocking XREAD: for each `(key, id)`, the entries after `id` (at most `count`
    /// per stream, `None` = all). Streams with nothing to return are left out; all keys
    /// are validated (types, in order) before anything is read.
    pub fn xread<K: AsRef<[u8]>>(
        &self,
        streams: &[(K, XReadId)],
        count: Option<u64>,
    ) -> Result<Vec<StreamEntries>, Error> {
        let mut sink = crate::read::sink::ReadVec::default();
        self.xread_into(streams, count, &mut sink)?;
        Ok(sink.streams)
    }

    /// [`Keyspace::xread`], handing each stream served and its entries to `sink` as
    /// they are read.
    pub(crate) fn xread_into<K: AsRef<[u8]>>(
        &self,
        streams: &[(K, XReadId)],
        count: Option<u64>,
        sink: &mut impl crate::read::sink::ReadSink,
    ) -> Result<(), Error> {
        // No streams: the argument vector ends in `STREAMS`, which Redis's parser
        // refuses (when it passes the arity check: see `Command::dispatcher_error`).
        if streams.is_empty() {
            return Err(Error::Syntax);
        }
        self.check_slots(streams.iter().map(|(k, _)| k.as_ref()))?;
        let mut after = Vec::with_capacity(streams.len());
        for (key, id) in streams {
            let s = self.stream(key.as_ref())?;
            after.push(resolve_read_id(s, *id));
        }
        for ((key, _), after) in streams.iter().zip(after) {
            let Some(s) = self.stream(key.as_ref())? else {
                continue;
            };
            // Redis serves a stream only if its last live entry is above the ID.
            let Some(start) = s
                .last_live_id()
                .filter(|&last| last > after)
                .and_then(|_| after.next())
            else {
                continue;
            };
            sink.begin_stream(key.as_ref());
            if sink.wants_size(count_limit(count)) {
                let mut bytes = 0;
                s.for_each_in(start, StreamId::MAX, count_limit(count), |e| {
                    bytes += crate::reply::entry_parts_len(e, 2);
                });
                sink.reserve(bytes);
            }
            s.for_each_in(start, StreamId::MAX, count_limit(count), |e| {
                sink.entry(e, None);
            });
            sink.end_stream(true);
        }
        Ok(())
    }

    /// Runs a read once at time `now`, as Redis runs (and re-runs) XREAD/XREADGROUP:
    /// every key validated first, then each stream served or left out.
    pub fn run_read(&mut self, req: &ReadRequest, now: u64) -> Result<ReadOutput, Error> {
        match req {
            ReadRequest::Read { streams, count } => {
                let out = self.xread(streams, count.filter(|&c| c > 0))?;
                Ok(ReadOutput::Read(out))
            }
            ReadRequest::Group {
                group,
                consumer,
                streams,
                opts,
            } => {
                let out = self.xreadgroup(group, consumer, streams, opts, now)?;
                Ok(ReadOutput::Group(out))
            }
        }
    }

    /// [`Keyspace::run_read`], handing each served stream and its entries to `sink`
    /// as they are read.
    pub(crate) fn run_read_into(
        &mut self,
        req: &ReadRequest,
        now: u64,
        sink: &mut impl crate::read::sink::ReadSink,
    ) -> Result<(), Error> {
        match req {
            ReadRequest::Read { streams, count } => {
                self.xread_into(streams, count.filter(|&c| c > 0), sink)
            }
            ReadRequest::Group {
                group,
                consumer,
                streams,
                opts,
            } => {
                self.check_writable()?;
                self.xreadgroup_into(group, consumer, streams, opts, now, sink)
            }
        }
    }

    /// Replaces every `$` by the ID it stands for now (the stream's last-generated-id,
    /// `0-0` for a missing key), as Redis rewrites a command before blocking it.
    pub fn resolve_last(&self, req: &mut ReadRequest) {
        if let ReadRequest::Read { streams, .. } = req {
            for (key, id) in streams.iter_mut() {
                if *id == XReadId::Last {
                    let last = self
                        .stream(key)
                        .ok()
                        .flatten()
                        .map_or(StreamId::MIN, |s| s.last_id());
                    *id = XReadId::After(last);
                }
            }
        }
    }

    /// For XREADGROUP … CLAIM: when the read should be re-run because a pending entry
    /// becomes claimable (reference §21.6) — the oldest pending entry still in a stream
    /// plus min-idle-time (`true`: such an entry exists), or `now` + min-idle-time
    /// (`false`). Builds the groups' delivery-time indexes on the way.
    pub fn claim_deadline(&mut self, req: &ReadRequest, now: u64) -> Option<(u64, bool)> {
        let ReadRequest::Group {
            group,
            streams,
            opts,
            ..
        } = req
        else {
            return None;
        };
        let min_idle = opts.claim?;
        let mut due: Option<u64> = None;
        for (key, id) in streams {
            // An explicit ID switches CLAIM off from that stream on.
            if matches!(id.normalized(), GroupReadId::After(_)) {
                break;
            }
            // Building the time index changes what the stream holds: counted.
            if let Some(d) = self
                .write_stream(key, false, |s, _| s.claim_deadline(group, min_idle))
                .ok()
                .flatten()
                .flatten()
            {
                due = Some(due.map_or(d, |x| x.min(d)));
            }
        }
        Some(match due {
            Some(d) => (d, true),
            None => (now.saturating_add(min_idle), false),
        })
    }
}

/// `count` as a `usize` limit where 0 means "no limit".
pub(crate) fn count_limit(count: Option<u64>) -> usize {
    count.map_or(0, |c| usize::try_from(c).unwrap_or(usize::MAX))
}

/// The concrete ID an XREAD argument means for this stream (reference §10.1).
fn resolve_read_id(s: Option<&Stream>, id: XReadId) -> StreamId {
    match id {
        XReadId::After(id) => id,
        XReadId::Last => s.map_or(StreamId::MIN, Stream::last_id),
        XReadId::LastEntry => s
            .and_then(Stream::last_live_id)
            .and_then(|id| id.prev())
            .unwrap_or(StreamId::MIN),
    }
}

pub(crate) fn summary(s: &Stream, now: u64) -> StreamSummary {
    let (idmp_duration, idmp_maxsize) = s.idmp().settings();
    let (pids_tracked, iids_tracked, iids_added, iids_duplicates) = s.idmp().counters(now);
    StreamSummary {
        length: s.len(),
        radix_tree_keys: s.radix_tree_keys(),
        radix_tree_nodes: s.radix_tree_nodes(),
        last_generated_id: s.last_id(),
        max_deleted_entry_id: s.max_deleted_id(),
        entries_added: s.entries_added(),
        recorded_first_entry_id: s.first_id(),
        idmp_duration,
        idmp_maxsize,
        pids_tracked,
        iids_tracked,
        iids_added,
        iids_duplicates,
    }
}
