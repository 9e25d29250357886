//! Idempotent producers (Redis 8.6): `XADD … IDMP pid iid *` and `IDMPAUTO pid`,
//! XCFGSET, XIDMPRECORD, and the IDMP fields of XINFO STREAM (reference §20).
//!
//! Per stream, each producer ID maps the idempotent IDs it used to the stream ID the
//! first XADD got; a repeated IID answers that ID instead of appending. A producer keeps
//! at most `idmp-maxsize` IIDs (oldest evicted first) and IIDs whose recorded ID is older
//! than `idmp-duration` seconds expire. Redis expires them from a cron about once a
//! second (until then an expired IID still deduplicates); brook expires them when the
//! stream's IDMP state is next used — the same observable rule with no cron.
//!
//! Producers without IIDs: Redis creates a producer as soon as an IDMP XADD has found
//! its stream, before the "exhausted" check and the append, and leaves it behind when
//! the XADD then fails (`pids-tracked` counts it, `iids-tracked` does not). Its cron
//! visits only the streams that had a successful IID insert (or were renamed while
//! holding producers) and there drops empty producers, then stops visiting a stream
//! whose producers are all gone. brook keeps the same "tracked" flag and, as for
//! expiry, acts as if the cron had just run: on a tracked stream an empty producer is
//! gone at once (Redis: within about a second); on an untracked one it stays until the
//! key is deleted or XCFGSET changes a setting — exactly as in Redis. Only the up to
//! one second during which Redis still reports the empty producer of a tracked stream
//! differs, by design: that part depends on when Redis's cron runs.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use bytes::Bytes;
use hashbrown::HashMap;

use crate::entry::FieldValues;
use crate::id::StreamId;

/// Redis 8.6's default `stream-idmp-duration` (seconds).
pub const DEFAULT_DURATION: u64 = 100;
/// Redis 8.6's default `stream-idmp-maxsize` (IIDs per producer).
pub const DEFAULT_MAXSIZE: u64 = 100;

/// How XADD names the entry for deduplication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// `IDMP pid iid`: the caller's idempotent ID.
    Given {
        /// Producer ID (non-empty).
        pid: Bytes,
        /// Idempotent ID (non-empty).
        iid: Bytes,
    },
    /// `IDMPAUTO pid`: the IID is a hash of the field/value pairs, independent of their
    /// order.
    Auto {
        /// Producer ID (non-empty).
        pid: Bytes,
    },
}

impl Idempotency {
    /// The producer ID.
    pub fn pid(&self) -> &Bytes {
        match self {
            Idempotency::Given { pid, .. } | Idempotency::Auto { pid } => pid,
        }
    }

    /// The IID for these fields.
    pub fn iid<F: FieldValues + ?Sized>(&self, fields: &F) -> Bytes {
        match self {
            Idempotency::Given { iid, .. } => iid.clone(),
            Idempotency::Auto { .. } => Bytes::copy_from_slice(&fields_hash(fields)),
        }
    }
}

/// A 128-bit hash of the field/value pairs that ignores their order but not their
/// boundaries (`ab c` ≠ `a bc`): the wrapping sum of a per-pair SipHash-2-4 pair with
/// two fixed keys, over `len(field) field len(value) value`.
fn fields_hash<F: FieldValues + ?Sized>(fields: &F) -> [u8; 16] {
    #[allow(deprecated)] // core's SipHasher: deterministic, no dependency
    fn sip(k0: u64, k1: u64, f: &[u8], v: &[u8]) -> u64 {
        use core::hash::Hasher;
        let mut h = core::hash::SipHasher::new_with_keys(k0, k1);
        h.write(&(f.len() as u64).to_le_bytes());
        h.write(f);
        h.write(&(v.len() as u64).to_le_bytes());
        h.write(v);
        h.finish()
    }
    let (mut lo, mut hi) = (0u64, 0u64);
    for i in 0..fields.pair_count() {
        let (f, v) = fields.pair(i);
        lo = lo.wrapping_add(sip(0x6272_6f6f_6b2d_6964, 0x6d70_2d61_7574_6f31, f, v));
        hi = hi.wrapping_add(sip(0x7374_7265_616d_2d69, 0x6964_2d68_6173_6832, f, v));
    }
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&lo.to_le_bytes());
    out[8..].copy_from_slice(&hi.to_le_bytes());
    out
}

/// One producer's IIDs.
#[derive(Clone, Debug, Default)]
struct Producer {
    ids: HashMap<Bytes, StreamId>,
    /// IIDs in insertion order (oldest first).
    order: VecDeque<Bytes>,
}

/// A stream's idempotent-producer state.
#[derive(Clone, Debug)]
pub struct Idmp {
    duration: u64,
    maxsize: u64,
    producers: HashMap<Bytes, Producer>,
    iids_added: u64,
    iids_duplicates: u64,
    /// Whether Redis's expiry cron visits this stream (its `stream_idmp_keys`): set by
    /// an IID insert (and by RENAME while producers exist), cleared once the cron finds
    /// no producer left.
    tracked: bool,
    /// Bytes of the producer IDs held (kept with every change: [`Idmp::heap_bytes`]
    /// is O(1)).
    pid_bytes: usize,
    /// Bytes of the IIDs held.
    iid_bytes: usize,
    /// IIDs held, over all producers.
    iid_count: usize,
}

/// The heap bytes one IID costs besides its own bytes: its map slot and its place in
/// the insertion order.
const IID_SLOT: usize = core::mem::size_of::<(Bytes, StreamId)>() + core::mem::size_of::<Bytes>();
/// The heap bytes one producer costs besides its ID's bytes.
const PRODUCER_SLOT: usize = core::mem::size_of::<(Bytes, Producer)>();

impl Idmp {
    /// Empty state with the given settings (copied from the server configs when the
    /// stream is created).
    pub fn new(duration: u64, maxsize: u64) -> Idmp {
        Idmp {
            duration,
            maxsize,
            producers: HashMap::new(),
            iids_added: 0,
            iids_duplicates: 0,
            tracked: false,
            pid_bytes: 0,
            iid_bytes: 0,
            iid_count: 0,
        }
    }

    /// `idmp-duration` (seconds) and `idmp-maxsize`.
    pub fn settings(&self) -> (u64, u64) {
        (self.duration, self.maxsize)
    }

    /// `pids-tracked`, `iids-tracked`, `iids-added`, `iids-duplicates` as of `now`: as if
    /// Redis's cron had just run ([`expire`](Self::expire)), so IIDs that have expired by
    /// then do not count, nor (on a tracked stream) producers without IIDs.
    pub fn counters(&self, now: u64) -> (u64, u64, u64, u64) {
        let horizon = now.checked_sub(self.duration.saturating_mul(1000));
        let (mut pids, mut iids) = (0u64, 0u64);
        for p in self.producers.values() {
            let expired = match horizon {
                Some(h) if self.tracked => p
                    .order
                    .iter()
                    .take_while(|iid| p.ids.get(*iid).is_none_or(|id| id.ms <= h))
                    .count(),
                _ => 0,
            };
            let live = (p.order.len() - expired) as u64;
            pids += u64::from(live > 0 || !self.tracked);
            iids += live;
        }
        (pids, iids, self.iids_added, self.iids_duplicates)
    }

    /// Redis's expiry cron on this stream at `now`, if it visits it (see the module
    /// doc): drops IIDs whose recorded ID is `duration` seconds old (oldest first per
    /// producer, stopping at the first that is not), then producers left without IIDs,
    /// and stops tracking the stream when none is left.
    pub fn expire(&mut self, now: u64) {
        if !self.tracked {
            return;
        }
        let horizon = now.checked_sub(self.duration.saturating_mul(1000));
        let (mut iid_bytes, mut iid_count, mut pid_bytes) =
            (self.iid_bytes, self.iid_count, self.pid_bytes);
        self.producers.retain(|pid, p| {
            while let (Some(h), Some(iid)) = (horizon, p.order.front()) {
                match p.ids.get(iid) {
                    Some(id) if id.ms > h => break,
                    _ => {
                        if let Some(iid) = p.order.pop_front() {
                            p.ids.remove(&iid);
                            iid_bytes -= iid.len();
                            iid_count -= 1;
                        }
                    }
                }
            }
            if p.order.is_empty() {
                pid_bytes -= pid.len();
            }
            !p.order.is_empty()
        });
        (self.iid_bytes, self.iid_count, self.pid_bytes) = (iid_bytes, iid_count, pid_bytes);
        if self.producers.is_empty() {
            self.tracked = false;
        }
    }

    /// Creates `pid`'s producer if it has none yet (Redis does so before it looks the IID
    /// up, so the producer stays even when the XADD then fails).
    pub fn producer(&mut self, pid: &Bytes) {
        if !self.producers.contains_key(pid) {
            // Copied: `pid` may be a slice of a connection's read buffer.
            self.producers
                .insert(Bytes::copy_from_slice(pid), Producer::default());
            self.pid_bytes += pid.len();
        }
    }

    /// A RENAME moved the stream: Redis's cron visits it under its new name iff it holds
    /// producers (even ones without IIDs).
    pub fn renamed(&mut self) {
        self.tracked = !self.producers.is_empty();
    }

    /// The ID recorded for `pid`/`iid`, if any.
    pub fn get(&self, pid: &[u8], iid: &[u8]) -> Option<StreamId> {
        self.producers.get(pid)?.ids.get(iid).copied()
    }

    /// Counts a duplicate XADD answered from the record.
    pub fn count_duplicate(&mut self) {
        self.iids_duplicates += 1;
    }

    /// Records `iid` → `id` for `pid` (`iids-added` += 1), evicting the producer's oldest
    /// IIDs beyond `idmp-maxsize`.
    pub fn record(&mut self, pid: &Bytes, iid: Bytes, id: StreamId) {
        self.tracked = true;
        // Copies: `pid` and `iid` may be slices of a connection's read buffer, which
        // they would keep alive for as long as the record lives.
        self.producer(pid);
        let Some(p) = self.producers.get_mut(&pid[..]) else {
            return;
        };
        let iid = Bytes::copy_from_slice(&iid);
        if p.ids.insert(iid.clone(), id).is_none() {
            self.iid_bytes += iid.len();
            self.iid_count += 1;
            p.order.push_back(iid);
        }
        while p.order.len() as u64 > self.maxsize {
            if let Some(old) = p.order.pop_front() {
                p.ids.remove(&old);
                self.iid_bytes -= old.len();
                self.iid_count -= 1;
            }
        }
        self.iids_added += 1;
    }

    /// XCFGSET: stores the given settings; if any differs from the current one, every
    /// producer and IID is forgotten (the counters stay).
    pub fn configure(&mut self, duration: Option<u64>, maxsize: Option<u64>) {
        let changed = duration.is_some_and(|d| d != self.duration)
            || maxsize.is_some_and(|m| m != self.maxsize);
        if changed {
            self.duration = duration.unwrap_or(self.duration);
            self.maxsize = maxsize.unwrap_or(self.maxsize);
            self.producers.clear();
            (self.pid_bytes, self.iid_bytes, self.iid_count) = (0, 0, 0);
        }
    }

    /// Every producer's IIDs with their IDs, producers ordered bytewise (as Redis's
    /// radix tree holds them), each producer's IIDs oldest first: what a rewrite
    /// records again (XIDMPRECORD).
    pub fn records(&self) -> Vec<(&Bytes, Vec<(&Bytes, StreamId)>)> {
        let mut out: Vec<_> = self
            .producers
            .iter()
            .map(|(pid, p)| {
                let iids = p
                    .order
                    .iter()
                    .filter_map(|iid| p.ids.get(iid).map(|id| (iid, *id)))
                    .collect();
                (pid, iids)
            })
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        out
    }

    /// Heap bytes of the IDMP state (approximate: keys, values and table slots), from
    /// counters kept with every change: O(1).
    pub fn heap_bytes(&self) -> usize {
        self.pid_bytes
            + self.producers.len() * PRODUCER_SLOT
            + self.iid_bytes
            + self.iid_count * IID_SLOT
    }

    /// Checks the byte counters against the producers and IIDs held, and that each
    /// producer's order and map hold the same IIDs.
    pub fn check(&self) -> Result<(), alloc::string::String> {
        let (mut pid_bytes, mut iid_bytes, mut iid_count) = (0, 0, 0);
        for (pid, p) in &self.producers {
            if p.order.len() != p.ids.len() || p.order.iter().any(|i| !p.ids.contains_key(i)) {
                return Err(alloc::format!(
                    "IDMP producer {:?}: order and map disagree",
                    alloc::string::String::from_utf8_lossy(pid)
                ));
            }
            pid_bytes += pid.len();
            iid_bytes += p.order.iter().map(Bytes::len).sum::<usize>();
            iid_count += p.order.len();
        }
        if (pid_bytes, iid_bytes, iid_count) != (self.pid_bytes, self.iid_bytes, self.iid_count) {
            return Err(alloc::format!(
                "IDMP counters {}/{}/{} but the state holds {pid_bytes}/{iid_bytes}/{iid_count}",
                self.pid_bytes,
                self.iid_bytes,
                self.iid_count
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto_iid<F: FieldValues + ?Sized>(fields: &F) -> [u8; 16] {
        fields_hash(fields)
    }

    #[test]
    fn auto_iids_ignore_pair_order_not_boundaries() {
        let a = auto_iid(&[("a", "1"), ("b", "2")]);
        assert_eq!(a, auto_iid(&[("b", "2"), ("a", "1")]));
        assert_ne!(a, auto_iid(&[("a", "1"), ("b", "3")]));
        assert_ne!(auto_iid(&[("ab", "c")]), auto_iid(&[("a", "bc")]));
        assert_ne!(auto_iid(&[("a", "1")]), auto_iid(&[("a", "1"), ("a", "1")]));
    }

    #[test]
    fn maxsize_evicts_oldest_and_expiry_drops_old_records() {
        let mut m = Idmp::new(1, 2);
        let pid = Bytes::from_static(b"p");
        for (i, iid) in ["a", "b", "c"].iter().enumerate() {
            m.record(
                &pid,
                Bytes::from_static(iid.as_bytes()),
                StreamId::new(1000 + i as u64, 0),
            );
        }
        assert_eq!(m.get(b"p", b"a"), None);
        assert_eq!(m.get(b"p", b"c"), Some(StreamId::new(1002, 0)));
        assert_eq!(m.counters(0), (1, 2, 3, 0));
        // 1001 <= 2001 - 1000: b has expired by 2001, c (1002) not.
        assert_eq!(m.counters(2001), (1, 1, 3, 0));
        m.expire(2001);
        assert_eq!(m.counters(0), (1, 1, 3, 0));
        assert_eq!(m.counters(5000), (0, 0, 3, 0));
        m.expire(5000);
        assert_eq!(m.counters(0), (0, 0, 3, 0));
        m.configure(Some(1), None);
        m.record(&pid, Bytes::from_static(b"x"), StreamId::new(1, 0));
        m.configure(Some(2), None);
        assert_eq!(m.counters(0), (0, 0, 4, 0));
    }

    /// The byte counters follow records, evictions, expiry and XCFGSET's reset, and
    /// `heap_bytes` grows and shrinks with what is held.
    #[test]
    fn byte_counters_follow_every_change() {
        let mut m = Idmp::new(1, 3);
        assert_eq!(m.heap_bytes(), 0);
        let pid = Bytes::from_static(b"producer");
        let mut last = 0;
        for (i, iid) in ["a", "bb", "ccc"].iter().enumerate() {
            m.record(
                &pid,
                Bytes::from_static(iid.as_bytes()),
                StreamId::new(1000 + i as u64, 0),
            );
            m.check().expect("counters");
            assert!(m.heap_bytes() > last, "a new IID costs bytes");
            last = m.heap_bytes();
        }
        // A fourth evicts the oldest ("a", one byte) for "dddd" (four): 3 bytes more.
        m.record(&pid, Bytes::from_static(b"dddd"), StreamId::new(1003, 0));
        m.check().expect("counters");
        assert_eq!(m.heap_bytes(), last + 3);
        m.record(
            &Bytes::from_static(b"q"),
            Bytes::from_static(b"x"),
            StreamId::new(1500, 0),
        );
        m.check().expect("counters");
        let two = m.heap_bytes();
        // By 2002 everything of `producer` (up to 1003) has expired; `q` (1500) not.
        m.expire(2002);
        m.check().expect("counters");
        assert!(m.heap_bytes() < two && m.heap_bytes() > 0);
        m.configure(Some(5), None);
        m.check().expect("counters");
        assert_eq!(m.heap_bytes(), 0);
    }
}
