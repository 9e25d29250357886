//! The pure half of blocking reads: a read as a re-runnable request, and the key
//! signals that tell the engine which blocked readers to re-run (reference §21).
//!
//! Redis re-executes a blocked XREAD / XREADGROUP from scratch whenever one of its keys
//! is signalled, with `$` already replaced by the ID it meant when the call blocked; a
//! re-run that finds nothing blocks again. [`ReadRequest`] is that stored command and
//! [`Keyspace::run_read`] runs it. The keyspace records signals only for keys somebody
//! is blocked on ([`Signals::watch`]), so commands pay one branch when nobody waits.

use alloc::vec::Vec;

use bytes::Bytes;
use hashbrown::HashMap;

use crate::entry::StreamEntry;
use crate::error::Error;
use crate::id::StreamId;
use crate::info::GroupEntry;
use crate::keyspace::Keyspace;
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
    Read(Vec<(Bytes, Vec<StreamEntry>)>),
    /// XREADGROUP's streams.
    Group(Vec<(Bytes, Vec<GroupEntry>)>),
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

    /// Replaces every `$` by the ID it stands for now (the stream's last-generated-id,
    /// `0-0` for a missing key), as Redis rewrites a command before blocking it.
    pub fn resolve_last(&mut self, ks: &Keyspace) {
        if let ReadRequest::Read { streams, .. } = self {
            for (key, id) in streams.iter_mut() {
                if *id == XReadId::Last {
                    let last = ks
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
    pub fn claim_deadline(&self, ks: &mut Keyspace, now: u64) -> Option<(u64, bool)> {
        let ReadRequest::Group {
            group,
            streams,
            opts,
            ..
        } = self
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
            if let Some(d) = ks
                .with_stream_mut(key, |s| s.claim_deadline(group, min_idle))
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

impl Keyspace {
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
}

impl Keyspace {
    /// [`Keyspace::run_read`], handing each served stream and its entries to `sink`
    /// as they are read.
    pub(crate) fn run_read_into(
        &mut self,
        req: &ReadRequest,
        now: u64,
        sink: &mut impl crate::read_sink::ReadSink,
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
            } => self.xreadgroup_into(group, consumer, streams, opts, now, sink),
        }
    }
}

/// Why a key was signalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// New data or a changed group: entries added, the key created, a group destroyed.
    /// Every reader blocked on the key re-runs.
    Data,
    /// The key was deleted or now holds another type: only XREADGROUP readers re-run
    /// (they answer NOGROUP or WRONGTYPE); XREAD readers keep waiting.
    Gone,
}

/// Keys with blocked readers, and the signals raised on them since the engine last
/// served its waiters.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    watched: HashMap<Bytes, u32>,
    ready: Vec<(Bytes, Signal)>,
}

impl Signals {
    /// A reader blocks on `key`.
    pub fn watch(&mut self, key: &Bytes) {
        *self.watched.entry(key.clone()).or_insert(0) += 1;
    }

    /// A reader stops waiting on `key`.
    pub fn unwatch(&mut self, key: &[u8]) {
        if let Some(n) = self.watched.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                self.watched.remove(key);
            }
        }
    }

    /// Nobody waits on any key.
    pub fn idle(&self) -> bool {
        self.watched.is_empty()
    }

    /// Records a signal on `key` if a reader waits on it. Keys keep the order they
    /// were first signalled; `Data` wins over `Gone`.
    pub fn raise(&mut self, key: &[u8], signal: Signal) {
        if self.watched.is_empty() || !self.watched.contains_key(key) {
            return;
        }
        if let Some((_, s)) = self.ready.iter_mut().find(|(k, _)| k.as_ref() == key) {
            if signal == Signal::Data {
                *s = Signal::Data;
            }
            return;
        }
        self.ready.push((Bytes::copy_from_slice(key), signal));
    }

    /// True when signals wait to be served.
    pub fn pending(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Takes the signals raised so far, in order.
    pub fn take(&mut self) -> Vec<(Bytes, Signal)> {
        core::mem::take(&mut self.ready)
    }

    /// The keys watched (for checks and tests).
    pub fn watched_keys(&self) -> usize {
        self.watched.len()
    }

    /// How many readers wait on `key`.
    pub fn watchers(&self, key: &[u8]) -> usize {
        self.watched.get(key).map_or(0, |n| *n as usize)
    }
}
