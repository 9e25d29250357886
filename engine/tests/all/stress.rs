//! Multi-threaded stress tests of consumer groups on the public [`Engine`] API: N
//! producers, M consumers, random acks, claims and crashes, and async readers whose
//! futures are dropped mid-wait.
//!
//! # Scenarios
//! - [`threads_produce_consume_claim_and_crash`]: 3 producer threads XADD 1500 entries
//!   each to one stream (fields `p` and `n` name the producer and its sequence number),
//!   sometimes pausing. Two groups read the stream: `g1` with 4 consumer threads, `g2`
//!   with 2. A consumer reads `>` with a random COUNT — blocking (`BLOCK 0`, or a short
//!   timeout) through `xreadgroup_blocking`, or not blocking through `xreadgroup`; two
//!   of them sometimes add `CLAIM`. It acks what it got, one ID per XACK; now and then
//!   it is slow to ack (time passes: the reaper may claim the entries under it), or it
//!   "crashes": it acks part of its batch, abandons the rest, and comes back under a
//!   new name, or under the same name recovering its pending entries with a history
//!   read, or (not the first consumer of a group) never comes back. A reaper thread
//!   takes idle entries over with XAUTOCLAIM (cursor kept between calls) or XPENDING
//!   `IDLE` + XCLAIM, JUSTID or not, and acks most of them (the rest stay pending and
//!   are claimed again). Reaper and `CLAIM` reads stop once 80% of the entries are
//!   added, so entries abandoned later stay pending; when the groups are drained the
//!   reaper makes one last XAUTOCLAIM (COUNT 10; JUSTID in `g2`) and keeps what it took
//!   unacked. A monitor thread takes atomic snapshots (`with_keyspace`) of XINFO
//!   GROUPS, XPENDING (both forms) and XINFO CONSUMERS and checks they agree, that
//!   `last-delivered-id` and `entries-read` never go back, cover every `>` delivery
//!   already seen and match the entries up to that ID, and runs [`Engine::check`].
//!   Time is a [`ManualClock`] advanced 1 ms about every 100 µs by a clock thread and
//!   by the actors themselves (producers now and then, a slow or crashing consumer by
//!   up to a few min-idle-times); `advance` fires the BLOCK timeouts and CLAIM
//!   wake-ups.
//! - [`async_readers_dropped_mid_wait`]: 2 producers × 800 entries; 3 reader threads,
//!   each a tiny executor (park/unpark waker) driving futures from
//!   [`Engine::read_async`] (BLOCK 0 or a timeout), acking 85% of what they get. A
//!   quarter of the futures are polled once and, if pending, dropped soon after —
//!   before or after the engine handed entries over, whichever the interleaving gives;
//!   a dropped future's entries stay pending under its own consumer name, which nobody
//!   reads again. A reaper lists pending entries (XPENDING, with or without `IDLE`) and
//!   XCLAIMs the idle ones; it stops at 80% and makes a last unacked claim of 10 at the
//!   end. The executor also checks that a future is never ready without its waker
//!   having been called (a lost wake-up).
//!
//! # What is asserted, for every interleaving
//! For each group: every produced entry was delivered by `>` exactly once (in the async
//! scenario: returned once to a live reader, or else handed to a dropped future — the
//! first owner the reaper or the final XPENDING saw is a dropped future's consumer);
//! no `>` read returns an ID at or below one an earlier finished `>` read returned
//! (checked as it happens, per group and per thread); the XACK replies for one ID sum
//! to at most 1, and every entry is either acknowledged (sum 1) or still pending — in
//! exactly one consumer's PEL — never both, never neither; a pending entry's owner is
//! its `>` consumer or one that claimed it, and its delivery count is 1 + the counting
//! (non-JUSTID) claims + the history reads that returned it; payloads match what XADD
//! stored; consumers that acked all they held own nothing (and DELCONSUMER returns 0);
//! a consumer's history read returns only entries it abandoned, and each abandoned
//! entry it does not get back was claimed or acked by someone else; XINFO GROUPS
//! ends at the last entry with entries-read = the number of entries and lag 0;
//! [`Engine::check`] passes; no reader stays blocked after [`Engine::close`].
//!
//! # Size and reproduction
//! `BROOK_STRESS_SEED` (u64, printed on every run) fixes each thread's random choices,
//! not the interleaving; `BROOK_STRESS_SCALE` (default 1) multiplies the entry counts.
//! At the default size each test takes about 0.1–0.3 s in a debug build on 2 cores
//! (well under 3 s even on a loaded machine); each prints a summary line (`--nocapture`).
//! A failing assertion stops every thread (the harness closes the engine) and is
//! re-raised.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use brook_engine::{
    Block, Claimed, Engine, Error, GroupReadId, GroupStart, ManualClock, PendingEntry, StreamId,
    XAutoClaimOptions, XClaimOptions, XInfoConsumer, XInfoGroup, XPendingRange, XPendingSummary,
    XReadGroupOptions,
};

use brook_engine::frontend::{ReadFuture, ReadOutput, ReadRequest};
use bytes::Bytes;

use crate::rng::Rng;

/// The stream every scenario uses.
const KEY: &str = "stress";
/// The reapers' min-idle-time (virtual ms).
const MIN_IDLE: u64 = 20;
/// The `CLAIM` min-idle-time of the consumers that use it (virtual ms).
const CLAIM_IDLE: u64 = 40;

/// Producer threads of the threaded scenario.
const PRODUCERS: usize = 3;
/// Producer threads of the async scenario.
const ASYNC_PRODUCERS: usize = 2;

/// `(producer, sequence number)`, the payload of an entry.
type Payload = (u32, u32);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn scale() -> usize {
    let scale = std::env::var("BROOK_STRESS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1usize)
        .max(1);
    eprintln!("BROOK_STRESS_SCALE={scale}");
    scale
}

fn key() -> Bytes {
    Bytes::from_static(KEY.as_bytes())
}

fn payload(fields: &[(Bytes, Bytes)]) -> Payload {
    let num = |b: &Bytes| -> u32 {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("malformed payload {fields:?}"))
    };
    assert!(
        fields.len() == 2 && fields[0].0 == "p" && fields[1].0 == "n",
        "malformed payload {fields:?}"
    );
    (num(&fields[0].1), num(&fields[1].1))
}

/// Stop flags shared by every thread of a scenario.
#[derive(Default)]
struct Ctl {
    /// The scenario is over: leave the loops.
    stop: AtomicBool,
    /// Entries added so far.
    produced: AtomicUsize,
    /// A thread panicked: everybody leaves.
    abort: AtomicBool,
}

impl Ctl {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || self.abort.load(Ordering::SeqCst)
    }

    /// The reapers stop reaping when 80% of the `total` entries are added, so that
    /// entries abandoned from then on stay pending (or are taken by `CLAIM` reads).
    fn reaping(&self, total: usize) -> bool {
        !self.stopping() && self.produced.load(Ordering::SeqCst) * 5 < total * 4
    }
}

/// Raises `abort` if the thread unwinds.
struct AbortOnPanic(Arc<Ctl>);

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.abort.store(true, Ordering::SeqCst);
        }
    }
}

fn spawn<T: Send + 'static>(
    ctl: &Arc<Ctl>,
    name: String,
    f: impl FnOnce() -> T + Send + 'static,
) -> JoinHandle<T> {
    let guard = AbortOnPanic(ctl.clone());
    thread::Builder::new()
        .name(name)
        .spawn(move || {
            let _guard = guard;
            f()
        })
        .expect("spawn")
}

/// Joins every handle, then re-raises the first panic.
fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    let mut panic = None;
    for h in handles {
        match h.join() {
            Ok(v) => out.push(v),
            Err(p) => {
                panic.get_or_insert(p);
            }
        }
    }
    if let Some(p) = panic {
        std::panic::resume_unwind(p);
    }
    out
}

/// Advances the clock 1 ms about every 100 µs until told to stop.
fn spawn_clock(clock: &ManualClock, done: &Arc<AtomicBool>) -> JoinHandle<u64> {
    let clock = clock.clone();
    let done = done.clone();
    thread::spawn(move || {
        let mut ticks = 0;
        while !done.load(Ordering::SeqCst) {
            clock.advance(1);
            ticks += 1;
            thread::sleep(Duration::from_micros(100));
        }
        ticks
    })
}

/// A producer: `n` entries `p=<index> n=<seq>`, sometimes pausing.
fn producer(
    engine: &Engine,
    clock: &ManualClock,
    ctl: &Ctl,
    index: u32,
    n: u32,
    seed: u64,
) -> Vec<(StreamId, Payload)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for seq in 0..n {
        if ctl.stopping() {
            break;
        }
        let fields = [("p", index.to_string()), ("n", seq.to_string())];
        let id = engine
            .xadd(KEY, &fields)
            .unwrap_or_else(|e| panic!("producer {index}: XADD failed: {e:?}"));
        out.push((id, (index, seq)));
        ctl.produced.fetch_add(1, Ordering::SeqCst);
        match rng.below(20) {
            0 => thread::sleep(Duration::from_micros(rng.below(300))),
            1 => clock.advance(1),
            2..=3 => thread::yield_now(),
            _ => {}
        }
    }
    out
}

/// Merges the producers' records: every payload once, every ID once.
fn merge_produced(
    parts: Vec<Vec<(StreamId, Payload)>>,
    total: usize,
) -> BTreeMap<StreamId, Payload> {
    let mut produced = BTreeMap::new();
    let mut payloads = HashSet::new();
    for (id, p) in parts.into_iter().flatten() {
        assert!(produced.insert(id, p).is_none(), "XADD returned {id} twice");
        assert!(payloads.insert(p), "payload {p:?} added twice");
    }
    assert_eq!(
        produced.len(),
        total,
        "producers added fewer entries than asked"
    );
    produced
}

/// What one group has handed out by `>` so far, shared by its readers.
struct GroupState {
    name: String,
    /// `>` deliveries seen so far: ID → consumer.
    delivered: Mutex<HashMap<StreamId, String>>,
    delivered_count: AtomicUsize,
    /// The greatest ID a finished `>` read has returned.
    high_water: Mutex<StreamId>,
}

impl GroupState {
    fn new(name: &str) -> GroupState {
        GroupState {
            name: name.to_string(),
            delivered: Mutex::new(HashMap::new()),
            delivered_count: AtomicUsize::new(0),
            high_water: Mutex::new(StreamId::MIN),
        }
    }

    fn high_water(&self) -> StreamId {
        *lock(&self.high_water)
    }

    /// Records a `>` delivery of `id` to `consumer` by a read that started when the high
    /// water was `before`; `last_mine` is the previous `>` ID this thread got.
    fn record_new(&self, id: StreamId, consumer: &str, before: StreamId, last_mine: &mut StreamId) {
        assert!(
            id > before,
            "group {}: `>` delivered {id} to {consumer}, but {before} had already been \
             returned by a `>` read that finished before this one started",
            self.name
        );
        assert!(
            id > *last_mine,
            "group {}: `>` delivered {id} to {consumer} after this thread's earlier `>` \
             read got {last_mine}",
            self.name
        );
        *last_mine = id;
        if let Some(prev) = lock(&self.delivered).insert(id, consumer.to_string()) {
            panic!(
                "group {}: {id} delivered by `>` twice: to {prev} and to {consumer}",
                self.name
            );
        }
        self.delivered_count.fetch_add(1, Ordering::SeqCst);
    }

    fn raise_high_water(&self, id: StreamId) {
        let mut hw = lock(&self.high_water);
        if id > *hw {
            *hw = id;
        }
    }
}

/// One thread's record of what it saw.
#[derive(Default)]
struct Log {
    /// `>` deliveries: (group, id, consumer, payload).
    new: Vec<(usize, StreamId, String, Payload)>,
    /// Claims: (group, id, claimer, whether it counted as a delivery, payload if given).
    claims: Vec<(usize, StreamId, String, bool, Option<Payload>)>,
    /// History reads: (group, id, consumer, payload).
    history: Vec<(usize, StreamId, String, Payload)>,
    /// XACK of one ID: (group, id, by, reply).
    acks: Vec<(usize, StreamId, String, u64)>,
    /// Consumer names retired: (group, name, owns nothing).
    names: Vec<(usize, String, bool)>,
    /// Abandoned entries a consumer did not get back by its history read: (group, id,
    /// consumer) — someone else must have claimed or acked them.
    claimed_away: Vec<(usize, StreamId, String)>,
    crashes: usize,
    recoveries: usize,
    slow: usize,
    blocked_reads: usize,
}

impl Log {
    fn merge(logs: Vec<Log>) -> Log {
        let mut all = Log::default();
        for l in logs {
            all.new.extend(l.new);
            all.claims.extend(l.claims);
            all.history.extend(l.history);
            all.acks.extend(l.acks);
            all.names.extend(l.names);
            all.claimed_away.extend(l.claimed_away);
            all.crashes += l.crashes;
            all.recoveries += l.recoveries;
            all.slow += l.slow;
            all.blocked_reads += l.blocked_reads;
        }
        all
    }
}

fn ack(engine: &Engine, group: (usize, &str), id: StreamId, by: &str, log: &mut Log) {
    let n = engine
        .xack(KEY, group.1, &[id])
        .unwrap_or_else(|e| panic!("{by}: XACK {id} failed: {e:?}"));
    assert!(n <= 1, "{by}: XACK of one ID {id} answered {n}");
    log.acks.push((group.0, id, by.to_string(), n));
}

/// The IDs of an XCLAIM/XAUTOCLAIM reply, recorded as claims by `by`.
fn record_claimed(
    claimed: &Claimed,
    justid: bool,
    group: usize,
    by: &str,
    log: &mut Log,
) -> Vec<StreamId> {
    let ids: Vec<StreamId> = match claimed {
        Claimed::Entries(es) if !justid => {
            for e in es {
                log.claims
                    .push((group, e.id, by.to_string(), true, Some(payload(&e.fields))));
            }
            es.iter().map(|e| e.id).collect()
        }
        Claimed::Ids(ids) if justid => {
            for id in ids {
                log.claims.push((group, *id, by.to_string(), false, None));
            }
            ids.clone()
        }
        other => panic!("{by}: JUSTID={justid} but the reply was {other:?}"),
    };
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "{by}: claimed IDs out of order: {ids:?}"
    );
    ids
}

/// How a consumer thread behaves.
#[derive(Clone, Copy)]
struct ConsumerCfg {
    group: usize,
    index: usize,
    /// Percent of reads with `BLOCK 0`.
    block_forever: u64,
    /// Percent of reads with a short BLOCK timeout (the rest do not block).
    block_timeout: u64,
    /// Sometimes reads with `CLAIM`.
    claim: bool,
    /// May crash and never come back.
    may_retire: bool,
    seed: u64,
}

struct MainHarness {
    engine: Engine,
    clock: ManualClock,
    /// Entries to produce.
    total: usize,
    ctl: Arc<Ctl>,
    groups: Vec<GroupState>,
}

fn consumer_name(h: &MainHarness, cfg: &ConsumerCfg, incarnation: usize) -> String {
    format!("{}-c{}-{incarnation}", h.groups[cfg.group].name, cfg.index)
}

fn consumer(h: &MainHarness, cfg: ConsumerCfg) -> Log {
    let mut rng = Rng::new(cfg.seed);
    let gs = &h.groups[cfg.group];
    let group = (cfg.group, gs.name.as_str());
    let mut log = Log::default();
    let mut incarnation = 0;
    let mut name = consumer_name(h, &cfg, incarnation);
    // Entries this name left pending.
    let mut abandoned: HashSet<StreamId> = HashSet::new();
    let mut last_new = StreamId::MIN;
    let streams = [(key(), GroupReadId::New)];
    while !h.ctl.stopping() {
        let count = 1 + rng.below(8);
        let mut opts = XReadGroupOptions::default().count(count);
        // Like the reaper, `CLAIM` stops in the last 20%, so that some abandoned
        // entries stay pending to the end.
        if cfg.claim && h.ctl.reaping(h.total) && rng.pct(30) {
            opts = opts.claim(Duration::from_millis(CLAIM_IDLE));
        }
        let before = gs.high_water();
        let mode = rng.below(100);
        let blocking = mode < cfg.block_forever + cfg.block_timeout;
        let out = if mode < cfg.block_forever {
            h.engine
                .xreadgroup(&gs.name, &name, &streams, &opts, Some(Block::Forever))
                .map(ReadOutput::Group)
        } else if blocking {
            let ms = 1 + rng.below(30);
            h.engine
                .xreadgroup(
                    &gs.name,
                    &name,
                    &streams,
                    &opts,
                    Some(Block::from_millis(ms)),
                )
                .map(ReadOutput::Group)
        } else {
            h.engine
                .xreadgroup(&gs.name, &name, &[(KEY, GroupReadId::New)], &opts, None)
                .map(ReadOutput::Group)
        };
        if blocking {
            log.blocked_reads += 1;
        }
        let served = match out {
            Ok(ReadOutput::Group(s)) => s,
            Ok(other) => panic!("{name}: XREADGROUP answered {other:?}"),
            Err(Error::EngineClosed) => break,
            Err(e) => panic!("{name}: XREADGROUP failed: {e:?}"),
        };
        if served.is_empty() {
            if !blocking {
                thread::sleep(Duration::from_micros(50 + rng.below(200)));
            }
            continue;
        }
        assert!(
            served.len() == 1 && served[0].key == KEY && !served[0].entries.is_empty(),
            "{name}: a served `>` read must list the stream with entries: {served:?}"
        );
        let entries = &served[0].entries;
        assert!(
            entries.len() as u64 <= count,
            "{name}: COUNT {count} but {} entries",
            entries.len()
        );
        let mut held = Vec::new();
        let mut max_new = None;
        for e in entries {
            let fields = e
                .fields
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: {} delivered without fields", e.id));
            let p = payload(fields);
            let is_new = match (opts.claim, e.claim) {
                (None, None) => true,
                (Some(_), Some(d)) if d.delivery_count == 0 => true,
                (Some(_), Some(d)) => {
                    let (idle, n) = (d.idle, d.delivery_count);
                    assert!(
                        idle >= CLAIM_IDLE,
                        "{name}: CLAIM {CLAIM_IDLE} took {} idle only {idle} ms",
                        e.id
                    );
                    assert!(
                        max_new.is_none(),
                        "{name}: claimed {} (count {n}) listed after new entries",
                        e.id
                    );
                    false
                }
                (c, got) => panic!("{name}: CLAIM {c:?} but {} came with {got:?}", e.id),
            };
            if is_new {
                gs.record_new(e.id, &name, before, &mut last_new);
                log.new.push((cfg.group, e.id, name.clone(), p));
                max_new = Some(e.id);
            } else {
                log.claims
                    .push((cfg.group, e.id, name.clone(), true, Some(p)));
            }
            held.push(e.id);
        }
        if let Some(id) = max_new {
            gs.raise_high_water(id);
        }

        if rng.pct(4) {
            // A crash: part of the batch is acked, the rest abandoned; time passes.
            log.crashes += 1;
            h.clock.advance(rng.below(2 * MIN_IDLE));
            let keep = rng.below(held.len() as u64 + 1) as usize;
            for id in &held[..keep] {
                ack(&h.engine, group, *id, &name, &mut log);
            }
            abandoned.extend(&held[keep..]);
            match rng.below(10) {
                0 if cfg.may_retire => break,
                0..=3 => {
                    log.recoveries += 1;
                    recover(h, group, &name, &mut abandoned, &mut rng, &mut log);
                }
                _ => {
                    log.names
                        .push((cfg.group, name.clone(), abandoned.is_empty()));
                    abandoned.clear();
                    incarnation += 1;
                    name = consumer_name(h, &cfg, incarnation);
                }
            }
            continue;
        }
        if rng.pct(5) {
            // Slow: time passes, the reaper may take these over meanwhile.
            log.slow += 1;
            h.clock.advance(rng.below(3 * MIN_IDLE));
            thread::sleep(Duration::from_micros(rng.below(2000)));
        }
        for id in held {
            ack(&h.engine, group, id, &name, &mut log);
        }
    }
    log.names.push((cfg.group, name, abandoned.is_empty()));
    log
}

/// A consumer back under its old name: reads its history, acks it, until its PEL is
/// empty.
fn recover(
    h: &MainHarness,
    group: (usize, &str),
    name: &str,
    abandoned: &mut HashSet<StreamId>,
    rng: &mut Rng,
    log: &mut Log,
) {
    loop {
        let count = 1 + rng.below(8);
        let opts = XReadGroupOptions::default().count(count);
        let served = h
            .engine
            .xreadgroup(
                group.1,
                name,
                &[(KEY, GroupReadId::After(StreamId::MIN))],
                &opts,
                None,
            )
            .unwrap_or_else(|e| panic!("{name}: history read failed: {e:?}"));
        assert!(
            served.len() == 1 && served[0].key == KEY,
            "{name}: a history read always lists its stream: {served:?}"
        );
        let entries = &served[0].entries;
        if entries.is_empty() {
            break;
        }
        assert!(
            entries.len() as u64 <= count && entries.windows(2).all(|w| w[0].id < w[1].id),
            "{name}: history read with COUNT {count}: {entries:?}"
        );
        for e in entries {
            assert!(
                abandoned.contains(&e.id),
                "{name}: its history read returned {}, which it never left pending \
                 (abandoned: {abandoned:?})",
                e.id
            );
            assert!(e.claim.is_none(), "{name}: history entry with CLAIM info");
            let p = payload(
                e.fields
                    .as_ref()
                    .unwrap_or_else(|| panic!("{name}: history entry {} without fields", e.id)),
            );
            log.history.push((group.0, e.id, name.to_string(), p));
            ack(&h.engine, group, e.id, name, log);
            abandoned.remove(&e.id);
        }
    }
    // The PEL is empty now: the rest was claimed by somebody else.
    for id in abandoned.drain() {
        log.claimed_away.push((group.0, id, name.to_string()));
    }
}

fn reaper(h: &MainHarness, total: usize, seed: u64) -> Log {
    let mut rng = Rng::new(seed);
    let mut log = Log::default();
    let mut cursors = vec![StreamId::MIN; h.groups.len()];
    let mut generation = 0;
    while h.ctl.reaping(total) {
        for (gi, gs) in h.groups.iter().enumerate() {
            let name = format!("{}-reaper-{generation}", gs.name);
            let justid = rng.pct(25);
            let claimed = if rng.pct(65) {
                let count = 1 + rng.below(16);
                let opts = {
                    let mut o = XAutoClaimOptions::default();
                    o.count = count;
                    o.justid = justid;
                    o
                };
                let r = h
                    .engine
                    .xautoclaim(
                        KEY,
                        &gs.name,
                        &name,
                        Duration::from_millis(MIN_IDLE),
                        cursors[gi],
                        &opts,
                    )
                    .unwrap_or_else(|e| panic!("{name}: XAUTOCLAIM failed: {e:?}"));
                assert!(r.deleted.is_empty(), "{name}: nothing was deleted: {r:?}");
                let ids = record_claimed(&r.claimed, justid, gi, &name, &mut log);
                assert!(
                    ids.len() as u64 <= count
                        && ids.first().is_none_or(|f| *f >= cursors[gi])
                        && (r.next == StreamId::MIN || ids.last().is_none_or(|l| *l < r.next)),
                    "{name}: XAUTOCLAIM from {} COUNT {count}: {ids:?}, next {}",
                    cursors[gi],
                    r.next
                );
                cursors[gi] = r.next;
                ids
            } else {
                let range = {
                    let mut o = XPendingRange::new(StreamId::MIN, StreamId::MAX, 1 + rng.below(16));
                    o.min_idle = MIN_IDLE as i64;
                    o
                };
                let pending = h
                    .engine
                    .xpending_range(KEY, &gs.name, &range)
                    .unwrap_or_else(|e| panic!("{name}: XPENDING failed: {e:?}"));
                for p in &pending {
                    assert!(
                        p.idle >= MIN_IDLE && p.delivery_count >= 1,
                        "{name}: XPENDING IDLE {MIN_IDLE} listed {p:?}"
                    );
                }
                if pending.is_empty() {
                    continue;
                }
                let ids: Vec<StreamId> = pending.iter().map(|p| p.id).collect();
                let opts = {
                    let mut o = XClaimOptions::default();
                    o.justid = justid;
                    o
                };
                let c = h
                    .engine
                    .xclaim(
                        KEY,
                        &gs.name,
                        &name,
                        Duration::from_millis(MIN_IDLE),
                        &ids,
                        &opts,
                    )
                    .unwrap_or_else(|e| panic!("{name}: XCLAIM failed: {e:?}"));
                let got = record_claimed(&c, justid, gi, &name, &mut log);
                assert!(
                    got.iter().all(|id| ids.contains(id)),
                    "{name}: XCLAIM {ids:?} returned {got:?}"
                );
                got
            };
            for id in claimed {
                if rng.pct(85) {
                    ack(&h.engine, (gi, &gs.name), id, &name, &mut log);
                }
            }
        }
        if rng.pct(3) {
            generation += 1;
        }
        thread::sleep(Duration::from_micros(rng.below(1500)));
    }
    // The reaper's last act, once the groups are drained: time passes, it takes over
    // the first idle entries (JUSTID in `g2` only) and crashes without acking them.
    while !h.ctl.stopping() {
        thread::sleep(Duration::from_micros(200));
    }
    if !h.ctl.abort.load(Ordering::SeqCst) {
        h.clock.advance(MIN_IDLE);
        for (gi, gs) in h.groups.iter().enumerate() {
            let name = format!("{}-reaper-last", gs.name);
            let opts = {
                let mut o = XAutoClaimOptions::default();
                o.count = 10;
                o.justid = gi == 1;
                o
            };
            let r = h
                .engine
                .xautoclaim(
                    KEY,
                    &gs.name,
                    &name,
                    Duration::from_millis(MIN_IDLE),
                    StreamId::MIN,
                    &opts,
                )
                .unwrap_or_else(|e| panic!("{name}: XAUTOCLAIM failed: {e:?}"));
            assert!(r.deleted.is_empty(), "{name}: nothing was deleted: {r:?}");
            record_claimed(&r.claimed, opts.justid, gi, &name, &mut log);
        }
    }
    log
}

/// Checks that the group's views of its PEL agree: XINFO GROUPS, XPENDING summary and
/// extended form, XINFO CONSUMERS.
fn check_pel_views(
    ctx: &str,
    info: &XInfoGroup,
    summary: &XPendingSummary,
    range: &[PendingEntry],
    consumers: &[XInfoConsumer],
) {
    assert_eq!(
        summary.count,
        range.len() as u64,
        "{ctx}: XPENDING summary count vs the extended form"
    );
    assert_eq!(
        info.pending, summary.count,
        "{ctx}: XINFO GROUPS pending vs XPENDING"
    );
    assert!(
        range.windows(2).all(|w| w[0].id < w[1].id),
        "{ctx}: XPENDING extended form not strictly ascending"
    );
    let bounds = range.first().zip(range.last()).map(|(f, l)| (f.id, l.id));
    assert_eq!(
        summary.bounds.map(|b| (b.smallest, b.greatest)),
        bounds,
        "{ctx}: XPENDING summary bounds"
    );
    let mut per: BTreeMap<Bytes, u64> = BTreeMap::new();
    for p in range {
        assert!(p.delivery_count >= 1, "{ctx}: {p:?} has delivery count 0");
        *per.entry(p.consumer.clone()).or_default() += 1;
    }
    let listed: Vec<(Bytes, u64)> = per.iter().map(|(k, v)| (k.clone(), *v)).collect();
    let summed: Vec<(Bytes, u64)> = summary
        .consumers
        .iter()
        .map(|c| (c.name.clone(), c.pending))
        .collect();
    assert_eq!(
        summed, listed,
        "{ctx}: XPENDING summary consumers vs the extended form"
    );
    assert_eq!(
        info.consumers,
        consumers.len() as u64,
        "{ctx}: XINFO GROUPS consumers vs XINFO CONSUMERS"
    );
    for c in consumers {
        assert_eq!(
            c.pending,
            per.get(&c.name).copied().unwrap_or(0),
            "{ctx}: XINFO CONSUMERS pending of {:?}",
            c.name
        );
    }
    for owner in per.keys() {
        assert!(
            consumers.iter().any(|c| c.name == *owner),
            "{ctx}: pending entries owned by {owner:?}, not in XINFO CONSUMERS"
        );
    }
}

/// One atomic look at a group.
struct Snapshot {
    info: XInfoGroup,
    summary: XPendingSummary,
    range: Vec<PendingEntry>,
    consumers: Vec<XInfoConsumer>,
    /// Entries at or below last-delivered-id (when asked for).
    read_upto: Option<u64>,
    len: u64,
}

fn all_pending() -> XPendingRange {
    XPendingRange::new(StreamId::MIN, StreamId::MAX, u64::MAX)
}

fn snapshot(engine: &Engine, group: &str, count_read: bool) -> Snapshot {
    engine.with_keyspace(|ks, now| {
        let key = KEY.as_bytes();
        let g = group.as_bytes();
        let info = ks
            .xinfo_groups(key)
            .expect("XINFO GROUPS")
            .into_iter()
            .find(|i| i.name == group)
            .unwrap_or_else(|| panic!("group {group} missing"));
        let read_upto = count_read.then(|| {
            ks.xrange(key, StreamId::MIN, info.last_delivered_id, None)
                .expect("XRANGE")
                .len() as u64
        });
        Snapshot {
            summary: ks.xpending(key, g).expect("XPENDING"),
            range: ks
                .xpending_range(key, g, &all_pending(), now)
                .expect("XPENDING range"),
            consumers: ks.xinfo_consumers(key, g, now).expect("XINFO CONSUMERS"),
            len: ks.xlen(key).expect("XLEN"),
            read_upto,
            info,
        }
    })
}

fn monitor(engine: &Engine, ctl: &Ctl, groups: &[&GroupState]) -> usize {
    let mut prev: Vec<(StreamId, u64)> = vec![(StreamId::MIN, 0); groups.len()];
    let mut samples = 0;
    while !ctl.stopping() {
        samples += 1;
        let deep = samples % 10 == 0;
        for (gi, gs) in groups.iter().enumerate() {
            let before = gs.high_water();
            let s = snapshot(engine, &gs.name, deep);
            let ctx = format!("mid-run snapshot {samples} of group {}", gs.name);
            check_pel_views(&ctx, &s.info, &s.summary, &s.range, &s.consumers);
            let last = s.info.last_delivered_id;
            assert!(
                last >= before,
                "{ctx}: last-delivered-id {last} below {before}, already returned by `>`"
            );
            assert!(
                last >= prev[gi].0,
                "{ctx}: last-delivered-id went back from {} to {last}",
                prev[gi].0
            );
            if let Some(read) = s.info.entries_read {
                assert!(
                    read >= prev[gi].1,
                    "{ctx}: entries-read went back from {} to {read}",
                    prev[gi].1
                );
                assert_eq!(
                    s.info.lag,
                    s.len.checked_sub(read),
                    "{ctx}: lag with entries-read {read} of {} entries",
                    s.len
                );
                if let Some(upto) = s.read_upto {
                    assert_eq!(
                        read, upto,
                        "{ctx}: entries-read vs the entries up to {last}"
                    );
                }
                prev[gi] = (last, read);
            } else {
                assert_eq!(
                    last,
                    StreamId::MIN,
                    "{ctx}: entries-read unknown after deliveries"
                );
            }
        }
        if deep {
            engine
                .check()
                .unwrap_or_else(|e| panic!("Engine::check failed mid-run: {e}"));
        }
        thread::sleep(Duration::from_millis(2));
    }
    samples
}

/// Waits until `done` holds, or a thread panicked, or the time is up (then says so;
/// the caller still stops and joins every thread, and the end-of-run checks name what
/// is missing).
fn wait_until(ctl: &Ctl, limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if ctl.abort.load(Ordering::SeqCst) {
            return;
        }
        if start.elapsed() > limit {
            eprintln!("stress: {what} did not happen within {limit:?}");
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Everything recorded about one ID of one group.
#[derive(Default)]
struct IdRecord {
    new: Vec<String>,
    claimers: Vec<String>,
    counted_claims: u64,
    history: u64,
    acks: Vec<(String, u64)>,
}

fn records(
    log: &Log,
    group: usize,
    produced: &BTreeMap<StreamId, Payload>,
) -> BTreeMap<StreamId, IdRecord> {
    let mut by_id: BTreeMap<StreamId, IdRecord> = BTreeMap::new();
    let check_payload = |what: &str, id: StreamId, p: &Payload| {
        assert_eq!(
            produced.get(&id),
            Some(p),
            "{what} of {id}: payload {p:?} does not match what XADD stored"
        );
    };
    for (g, id, c, p) in &log.new {
        if *g == group {
            check_payload("`>` delivery", *id, p);
            by_id.entry(*id).or_default().new.push(c.clone());
        }
    }
    for (g, id, c, counted, p) in &log.claims {
        if *g == group {
            if let Some(p) = p {
                check_payload("claim", *id, p);
            }
            let r = by_id.entry(*id).or_default();
            r.claimers.push(c.clone());
            r.counted_claims += u64::from(*counted);
        }
    }
    for (g, id, _, p) in &log.history {
        if *g == group {
            check_payload("history read", *id, p);
            by_id.entry(*id).or_default().history += 1;
        }
    }
    for (g, id, c, n) in &log.acks {
        if *g == group {
            by_id.entry(*id).or_default().acks.push((c.clone(), *n));
        }
    }
    by_id
}

/// The end-of-run checks common to both scenarios; returns (acked, pending).
fn final_group_checks(
    engine: &Engine,
    group: &str,
    by_id: &BTreeMap<StreamId, IdRecord>,
    produced: &BTreeMap<StreamId, Payload>,
    first_owner: impl Fn(StreamId, &IdRecord) -> Option<String>,
) -> (usize, Vec<PendingEntry>) {
    let s = snapshot(engine, group, true);
    let ctx = format!("end of run, group {group}");
    check_pel_views(&ctx, &s.info, &s.summary, &s.range, &s.consumers);
    let total = produced.len() as u64;
    let last = *produced.keys().next_back().expect("entries were produced");
    assert_eq!(s.len, total, "{ctx}: XLEN");
    assert_eq!(s.info.last_delivered_id, last, "{ctx}: last-delivered-id");
    assert_eq!(s.info.entries_read, Some(total), "{ctx}: entries-read");
    assert_eq!(s.info.lag, Some(0), "{ctx}: lag");

    let pending: BTreeMap<StreamId, &PendingEntry> = s.range.iter().map(|p| (p.id, p)).collect();
    for id in by_id.keys() {
        assert!(
            produced.contains_key(id),
            "{ctx}: {id} was recorded but never produced"
        );
    }
    let empty = IdRecord::default();
    let mut acked = 0;
    for id in produced.keys() {
        let r = by_id.get(id).unwrap_or(&empty);
        let acks: u64 = r.acks.iter().map(|(_, n)| n).sum();
        assert!(
            acks <= 1,
            "{ctx}: {id} acknowledged {acks} times: XACK replies {:?}",
            r.acks
        );
        match (acks, pending.get(id)) {
            (1, None) => acked += 1,
            (1, Some(p)) => panic!(
                "{ctx}: {id} acknowledged ({:?}) yet still pending: {p:?}",
                r.acks
            ),
            (_, None) => panic!(
                "{ctx}: {id} lost: neither acknowledged nor pending (delivered to {:?}, \
                 claimed by {:?}, acks {:?})",
                r.new, r.claimers, r.acks
            ),
            (_, Some(p)) => {
                let owner = String::from_utf8_lossy(&p.consumer).into_owned();
                let first = first_owner(*id, r);
                assert!(
                    first.as_ref() == Some(&owner) || r.claimers.contains(&owner),
                    "{ctx}: {id} pending under {owner}, who neither got it by `>` ({first:?}) \
                     nor claimed it ({:?})",
                    r.claimers
                );
                assert_eq!(
                    p.delivery_count,
                    1 + r.counted_claims + r.history,
                    "{ctx}: delivery count of pending {id}: 1 + {} counting claims + {} \
                     history reads",
                    r.counted_claims,
                    r.history
                );
            }
        }
    }
    (acked, s.range)
}

#[test]
fn threads_produce_consume_claim_and_crash() {
    let seed = Rng::seed_from_env("BROOK_STRESS_SEED");
    let scale = scale();
    let started = Instant::now();
    let mut master = Rng::new(seed);
    let (producers, per_producer) = (PRODUCERS as u32, 1500 * scale as u32);
    let total = (producers * per_producer) as usize;

    let clock = ManualClock::new(1_000_000);
    let engine = Engine::builder().clock(clock.clone()).build();
    let groups = ["g1", "g2"];
    for g in groups {
        engine
            .xgroup_create(KEY, g, GroupStart::Last, true, None)
            .expect("XGROUP CREATE");
    }
    let ctl = Arc::new(Ctl::default());
    let h = Arc::new(MainHarness {
        engine: engine.clone(),
        clock: clock.clone(),
        total,
        ctl: ctl.clone(),
        groups: groups.iter().map(|g| GroupState::new(g)).collect(),
    });
    let clock_done = Arc::new(AtomicBool::new(false));
    let clock_thread = spawn_clock(&clock, &clock_done);

    let cfgs = [
        (0, 0, 80, 0, false, false),
        (0, 1, 0, 80, false, true),
        (0, 2, 0, 0, false, true),
        (0, 3, 30, 30, true, true),
        (1, 0, 50, 20, true, false),
        (1, 1, 20, 40, false, true),
    ];
    let mut consumers = Vec::new();
    for (group, index, block_forever, block_timeout, claim, may_retire) in cfgs {
        let cfg = ConsumerCfg {
            group,
            index,
            block_forever,
            block_timeout,
            claim,
            may_retire,
            seed: master.next_u64(),
        };
        let h = h.clone();
        consumers.push(spawn(
            &ctl,
            format!("consumer-{group}-{index}"),
            move || consumer(&h, cfg),
        ));
    }
    let reaper_thread = {
        let (h, s) = (h.clone(), master.next_u64());
        spawn(&ctl, "reaper".into(), move || reaper(&h, total, s))
    };
    let monitor_thread = {
        let h = h.clone();
        spawn(&ctl, "monitor".into(), move || {
            let gs: Vec<&GroupState> = h.groups.iter().collect();
            monitor(&h.engine, &h.ctl, &gs)
        })
    };
    let producer_threads: Vec<_> = (0..producers)
        .map(|p| {
            let (e, k, c) = (engine.clone(), clock.clone(), ctl.clone());
            let s = master.next_u64();
            spawn(&ctl, format!("producer-{p}"), move || {
                producer(&e, &k, &c, p, per_producer, s)
            })
        })
        .collect();

    let limit = Duration::from_secs(60 * scale as u64);
    wait_until(&ctl, limit, "draining every group", || {
        h.groups
            .iter()
            .all(|g| g.delivered_count.load(Ordering::SeqCst) >= total)
    });
    let drained = started.elapsed();
    ctl.stop.store(true, Ordering::SeqCst);
    engine.close();
    let produced = join_all(producer_threads);
    let logs = join_all(consumers);
    let mut logs_all = logs;
    logs_all.extend(join_all(vec![reaper_thread]));
    let samples = join_all(vec![monitor_thread])[0];
    clock_done.store(true, Ordering::SeqCst);
    let ticks = clock_thread.join().expect("clock thread");
    let produced = merge_produced(produced, total);
    let log = Log::merge(logs_all);

    assert_eq!(
        engine.blocked_readers(),
        0,
        "readers still blocked after close()"
    );
    engine.check().expect("Engine::check at the end");
    let mut report = Vec::new();
    for (gi, gs) in h.groups.iter().enumerate() {
        let by_id = records(&log, gi, &produced);
        for (id, r) in &by_id {
            assert!(
                r.new.len() <= 1,
                "group {}: {id} delivered by `>` to {:?}",
                gs.name,
                r.new
            );
        }
        for id in produced.keys() {
            assert!(
                by_id.get(id).is_some_and(|r| r.new.len() == 1),
                "group {}: {id} never delivered by `>`",
                gs.name
            );
        }
        let (acked, pending) = final_group_checks(&engine, &gs.name, &by_id, &produced, |_, r| {
            r.new.first().cloned()
        });
        // Consumers that acked everything they held own nothing.
        for (g, name, clean) in &log.names {
            if *g == gi && *clean {
                assert!(
                    !pending.iter().any(|p| p.consumer == name.as_str()),
                    "group {}: {name} acked all it held but owns pending entries",
                    gs.name
                );
                assert_eq!(
                    engine
                        .xgroup_delconsumer(KEY, &gs.name, name)
                        .expect("DELCONSUMER"),
                    0,
                    "group {}: DELCONSUMER {name}",
                    gs.name
                );
            }
        }
        // What a recovering consumer did not get back left its PEL through a claim by
        // someone else, or an ack by another holder.
        for (g, id, name) in &log.claimed_away {
            if *g == gi {
                let r = &by_id[id];
                assert!(
                    r.claimers.iter().any(|c| c != name)
                        || r.acks.iter().any(|(c, n)| c != name && *n == 1),
                    "group {}: {id} left {name}'s PEL without a claim or an ack by anyone \
                     else (claims {:?}, acks {:?})",
                    gs.name,
                    r.claimers,
                    r.acks
                );
            }
        }
        let double_acks = by_id.values().filter(|r| r.acks.len() > 1).count();
        let reclaimed = pending.iter().filter(|p| p.delivery_count > 1).count();
        report.push(format!(
            "{}: {} acked, {} pending ({} delivered more than once), {} claims, {} ids acked \
             by two actors",
            gs.name,
            acked,
            pending.len(),
            reclaimed,
            by_id.values().map(|r| r.claimers.len()).sum::<usize>(),
            double_acks
        ));
    }
    engine.check().expect("Engine::check after DELCONSUMER");
    eprintln!(
        "stress (seed {seed}, scale {scale}): {total} entries, drained in {drained:?}, total \
         {:?}; {} blocking reads, {} crashes, {} recoveries, {} slow acks, {} monitor samples, \
         {ticks} clock ticks; {}",
        started.elapsed(),
        log.blocked_reads,
        log.crashes,
        log.recoveries,
        log.slow,
        samples,
        report.join("; ")
    );
}

/// A waker that records that it was called and unparks the executor thread.
struct FlagWaker {
    woken: AtomicBool,
    thread: thread::Thread,
}

impl Wake for FlagWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Drives a pending future to completion on this thread, parking between wake-ups.
fn drive(
    mut fut: Pin<&mut ReadFuture>,
    flag: &FlagWaker,
    cx: &mut Context<'_>,
) -> Result<ReadOutput, Error> {
    loop {
        if flag.woken.swap(false, Ordering::SeqCst) {
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return out;
            }
            continue;
        }
        thread::park_timeout(Duration::from_millis(50));
        if flag.woken.load(Ordering::SeqCst) {
            continue;
        }
        // No wake-up yet: the future must still be pending — unless its wake-up is on
        // its way (the engine stores the outcome, then wakes).
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            let since = Instant::now();
            while !flag.woken.load(Ordering::SeqCst) {
                assert!(
                    since.elapsed() < Duration::from_secs(5),
                    "lost wake-up: the future was ready but never called its waker"
                );
                thread::park_timeout(Duration::from_millis(1));
            }
            return out;
        }
    }
}

struct AsyncHarness {
    engine: Engine,
    clock: ManualClock,
    ctl: Arc<Ctl>,
    group: GroupState,
}

#[derive(Default)]
struct AsyncLog {
    log: Log,
    /// Consumer names of futures dropped while pending.
    dropped: Vec<String>,
    futures: usize,
    lost_readers: usize,
    /// The reaper's XPENDING listings, in order: (id, owner).
    observed: Vec<(StreamId, String)>,
}

fn async_reader(h: &AsyncHarness, r: usize, seed: u64) -> AsyncLog {
    let mut rng = Rng::new(seed);
    let mut out = AsyncLog::default();
    let flag = Arc::new(FlagWaker {
        woken: AtomicBool::new(false),
        thread: thread::current(),
    });
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let gs = &h.group;
    let mut incarnation = 0;
    let mut name = format!("async-{r}-0");
    let mut last_new = StreamId::MIN;
    let mut k = 0;
    while !h.ctl.stopping() {
        k += 1;
        out.futures += 1;
        h.clock.advance(rng.below(4));
        let drop_it = rng.pct(25);
        let consumer = if drop_it {
            format!("drop-{r}-{k}")
        } else {
            name.clone()
        };
        let block = if rng.pct(40) { 0 } else { 1 + rng.below(40) };
        let count = 1 + rng.below(6);
        let req = ReadRequest::Group {
            group: Bytes::from(gs.name.clone()),
            consumer: Bytes::from(consumer.clone()),
            streams: vec![(key(), GroupReadId::New)],
            opts: XReadGroupOptions::default().count(count),
        };
        let before = gs.high_water();
        let mut fut = Box::pin(h.engine.read_async(req, block));
        flag.woken.store(false, Ordering::SeqCst);
        let result = match fut.as_mut().poll(&mut cx) {
            Poll::Ready(result) => result,
            Poll::Pending if drop_it => {
                match rng.below(3) {
                    0 => {}
                    1 => thread::yield_now(),
                    _ => thread::sleep(Duration::from_micros(rng.below(400))),
                }
                drop(fut);
                out.dropped.push(consumer);
                continue;
            }
            Poll::Pending => drive(fut.as_mut(), &flag, &mut cx),
        };
        let served = match result {
            Ok(ReadOutput::Group(s)) => s,
            Ok(other) => panic!("{consumer}: read_async answered {other:?}"),
            Err(Error::EngineClosed) => break,
            Err(e) => panic!("{consumer}: read_async failed: {e:?}"),
        };
        if served.is_empty() {
            continue;
        }
        assert!(
            served.len() == 1 && served[0].key == KEY && !served[0].entries.is_empty(),
            "{consumer}: a served `>` read must list the stream with entries: {served:?}"
        );
        let entries = &served[0].entries;
        assert!(
            entries.len() as u64 <= count,
            "{consumer}: COUNT {count}: {entries:?}"
        );
        for e in entries {
            assert!(e.claim.is_none(), "{consumer}: CLAIM info without CLAIM");
            let p = payload(
                e.fields
                    .as_ref()
                    .unwrap_or_else(|| panic!("{consumer}: {} without fields", e.id)),
            );
            gs.record_new(e.id, &consumer, before, &mut last_new);
            out.log.new.push((0, e.id, consumer.clone(), p));
        }
        if let Some(e) = entries.last() {
            gs.raise_high_water(e.id);
        }
        for e in entries {
            if rng.pct(85) {
                ack(&h.engine, (0, &gs.name), e.id, &consumer, &mut out.log);
            }
        }
        if rng.pct(5) {
            out.lost_readers += 1;
            incarnation += 1;
            name = format!("async-{r}-{incarnation}");
        }
    }
    out
}

fn async_reaper(h: &AsyncHarness, total: usize, seed: u64) -> AsyncLog {
    let mut rng = Rng::new(seed);
    let mut out = AsyncLog::default();
    let gs = &h.group;
    let name = "reaper";
    while h.ctl.reaping(total) {
        let range = {
            let mut o = XPendingRange::new(StreamId::MIN, StreamId::MAX, 1 + rng.below(16));
            o.min_idle = if rng.pct(30) { 0 } else { MIN_IDLE as i64 };
            o
        };
        let pending = h
            .engine
            .xpending_range(KEY, &gs.name, &range)
            .unwrap_or_else(|e| panic!("reaper: XPENDING failed: {e:?}"));
        out.observed.extend(
            pending
                .iter()
                .map(|p| (p.id, String::from_utf8_lossy(&p.consumer).into_owned())),
        );
        let ids: Vec<StreamId> = pending
            .iter()
            .filter(|p| p.idle >= MIN_IDLE)
            .map(|p| p.id)
            .collect();
        if !ids.is_empty() {
            let justid = rng.pct(25);
            let opts = {
                let mut o = XClaimOptions::default();
                o.justid = justid;
                o
            };
            let c = h
                .engine
                .xclaim(
                    KEY,
                    &gs.name,
                    name,
                    Duration::from_millis(MIN_IDLE),
                    &ids,
                    &opts,
                )
                .unwrap_or_else(|e| panic!("reaper: XCLAIM failed: {e:?}"));
            let got = record_claimed(&c, justid, 0, name, &mut out.log);
            assert!(
                got.iter().all(|id| ids.contains(id)),
                "reaper: XCLAIM {ids:?} returned {got:?}"
            );
            for id in got {
                if rng.pct(80) {
                    ack(&h.engine, (0, &gs.name), id, name, &mut out.log);
                }
            }
        }
        thread::sleep(Duration::from_micros(rng.below(1000)));
    }
    // The reaper's last act, once every entry is delivered: time passes, it claims the
    // first idle entries and crashes without acking them.
    while !h.ctl.stopping() {
        thread::sleep(Duration::from_micros(200));
    }
    if !h.ctl.abort.load(Ordering::SeqCst) {
        h.clock.advance(MIN_IDLE);
        let range = {
            let mut o = all_pending();
            o.min_idle = MIN_IDLE as i64;
            o.count = 10;
            o
        };
        let pending = h
            .engine
            .xpending_range(KEY, &gs.name, &range)
            .unwrap_or_else(|e| panic!("reaper: XPENDING failed: {e:?}"));
        out.observed.extend(
            pending
                .iter()
                .map(|p| (p.id, String::from_utf8_lossy(&p.consumer).into_owned())),
        );
        let ids: Vec<StreamId> = pending.iter().map(|p| p.id).collect();
        if !ids.is_empty() {
            let c = h
                .engine
                .xclaim(
                    KEY,
                    &gs.name,
                    name,
                    Duration::from_millis(MIN_IDLE),
                    &ids,
                    &XClaimOptions::default(),
                )
                .unwrap_or_else(|e| panic!("reaper: XCLAIM failed: {e:?}"));
            record_claimed(&c, false, 0, name, &mut out.log);
        }
    }
    out
}

#[test]
fn async_readers_dropped_mid_wait() {
    let seed = Rng::seed_from_env("BROOK_STRESS_SEED");
    let scale = scale();
    let started = Instant::now();
    let mut master = Rng::new(seed ^ 0xa5a5_a5a5);
    let (producers, per_producer) = (ASYNC_PRODUCERS as u32, 800 * scale as u32);
    let total = (producers * per_producer) as usize;

    let clock = ManualClock::new(2_000_000);
    let engine = Engine::builder().clock(clock.clone()).build();
    engine
        .xgroup_create(KEY, "ga", GroupStart::Last, true, None)
        .expect("XGROUP CREATE");
    let ctl = Arc::new(Ctl::default());
    let h = Arc::new(AsyncHarness {
        engine: engine.clone(),
        clock: clock.clone(),
        ctl: ctl.clone(),
        group: GroupState::new("ga"),
    });
    let clock_done = Arc::new(AtomicBool::new(false));
    let clock_thread = spawn_clock(&clock, &clock_done);
    let mut threads: Vec<JoinHandle<AsyncLog>> = (0..3)
        .map(|r| {
            let (h, s) = (h.clone(), master.next_u64());
            spawn(&ctl, format!("async-reader-{r}"), move || {
                async_reader(&h, r, s)
            })
        })
        .collect();
    threads.push({
        let (h, s) = (h.clone(), master.next_u64());
        spawn(&ctl, "async-reaper".into(), move || {
            async_reaper(&h, total, s)
        })
    });
    let producer_threads: Vec<_> = (0..producers)
        .map(|p| {
            let (e, k, c) = (engine.clone(), clock.clone(), ctl.clone());
            let s = master.next_u64();
            spawn(&ctl, format!("async-producer-{p}"), move || {
                producer(&e, &k, &c, p, per_producer, s)
            })
        })
        .collect();

    // Producers end on their own; a panic in one is re-raised after the others stop.
    let produced: Vec<_> = producer_threads.into_iter().map(JoinHandle::join).collect();
    let last = produced
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .flatten()
        .map(|(id, _)| *id)
        .max();
    wait_until(
        &ctl,
        Duration::from_secs(60 * scale as u64),
        "delivering every entry",
        || {
            let groups = engine.xinfo_groups(KEY).expect("XINFO GROUPS");
            Some(groups[0].last_delivered_id) == last
        },
    );
    let drained = started.elapsed();
    ctl.stop.store(true, Ordering::SeqCst);
    engine.close();
    let outs = join_all(threads);
    clock_done.store(true, Ordering::SeqCst);
    clock_thread.join().expect("clock thread");
    let produced = merge_produced(
        produced
            .into_iter()
            .map(|p| p.unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect(),
        total,
    );

    assert_eq!(
        engine.blocked_readers(),
        0,
        "readers still blocked after close()"
    );
    engine.check().expect("Engine::check at the end");
    let mut dropped = HashSet::new();
    let mut observed = Vec::new();
    let mut logs = Vec::new();
    let (mut futures, mut lost_readers) = (0, 0);
    for o in outs {
        dropped.extend(o.dropped);
        observed.extend(o.observed);
        logs.push(o.log);
        futures += o.futures;
        lost_readers += o.lost_readers;
    }
    let log = Log::merge(logs);
    let by_id = records(&log, 0, &produced);
    // The first owner the reaper saw, in its (sequential) order.
    let mut first_seen: HashMap<StreamId, String> = HashMap::new();
    for (id, owner) in observed {
        first_seen.entry(id).or_insert(owner);
    }
    let final_pending = engine
        .xpending_range(KEY, "ga", &all_pending())
        .expect("XPENDING");
    for p in &final_pending {
        first_seen
            .entry(p.id)
            .or_insert_with(|| String::from_utf8_lossy(&p.consumer).into_owned());
    }
    let empty = IdRecord::default();
    let mut handed_to_dropped = 0;
    for id in produced.keys() {
        let r = by_id.get(id).unwrap_or(&empty);
        match r.new.as_slice() {
            [] => {
                // Never seen by a live reader: handed over to a future that was dropped.
                let owner = first_seen.get(id).unwrap_or_else(|| {
                    panic!("{id} was never delivered to a live reader and never seen pending")
                });
                assert!(
                    dropped.contains(owner),
                    "{id} was never returned by `>` to a live reader, and its first owner \
                     {owner} is not a dropped future"
                );
                handed_to_dropped += 1;
            }
            [reader] => {
                if let Some(owner) = first_seen.get(id) {
                    assert_eq!(owner, reader, "{id}: first owner seen vs its `>` reader");
                }
            }
            many => panic!("{id} delivered by `>` to {many:?}"),
        }
    }
    let (acked, pending) = final_group_checks(&engine, "ga", &by_id, &produced, |id, r| {
        r.new
            .first()
            .cloned()
            .or_else(|| first_seen.get(&id).cloned())
    });
    eprintln!(
        "stress async (seed {seed}, scale {scale}): {total} entries, drained in {drained:?}, \
         total {:?}; {futures} futures, {} dropped while pending, {handed_to_dropped} entries \
         handed to dropped futures, {lost_readers} reader renames, {} claims, {acked} acked, \
         {} pending",
        started.elapsed(),
        dropped.len(),
        log.claims.len(),
        pending.len()
    );
}
