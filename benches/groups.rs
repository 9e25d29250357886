//! Consumer-group hot paths. Each benchmark names the API path it measures:
//!
//! - `engine` — the typed [`Engine`] handle (lock, clock, keyspace lookup, command).
//! - `keyspace` — the typed [`Keyspace`] methods with an explicit command time.
//!
//! Groups:
//! - `xreadgroup_xack` — XREADGROUP COUNT 1000 `>` then XACK of those 1000 IDs; the
//!   throughput is messages (1000 per iteration).
//! - `pipeline_1p_1c` — one producer thread XADDs, one consumer thread reads its group
//!   with BLOCK (COUNT 100) and acknowledges, N messages end to end; beside it the same
//!   N messages through a crossbeam-channel 1→1 (bounded 1024), in the same run.
//! - `pel_scaling` — XPENDING (extended, COUNT 100 from a random ID) and XAUTOCLAIM COUNT
//!   100 with 10⁴ and 10⁶ entries pending: the cost must not grow with the PEL.
//! - `random_acks` — XACK of one random pending ID with 10³ … 10⁶ pending (10⁷ with
//!   `BROOK_BENCH_HUGE=1`): within 3× across the range.
//!
//! Run with `cargo bench --bench groups` (`-- --quick` for a short pass). Blocked-reader
//! wake-up latency percentiles are in `benches/wakeup.rs`.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use brook::{
    Engine, GroupReadId, GroupStart, StreamId, XAutoClaimOptions, XPendingRange, XReadGroupOptions,
};

use brook::engine::frontend::Keyspace;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// A seeded xorshift for reproducible random positions.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn xreadgroup_xack(c: &mut Criterion) {
    let mut g = c.benchmark_group("xreadgroup_xack");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("engine/count1000_then_xack", |b| {
        let engine = Engine::new();
        for i in 0..200_000u64 {
            engine
                .xadd("s", &[("field", if i % 2 == 0 { "a" } else { "b" })])
                .expect("xadd");
        }
        engine
            .xgroup_create("s", "g", GroupStart::Id(StreamId::MIN), false, None)
            .expect("group");
        let opts = XReadGroupOptions::default().count(1000);
        let mut ids = Vec::with_capacity(1000);
        b.iter(|| {
            let mut got = engine
                .xreadgroup("g", "worker", &[("s", GroupReadId::New)], &opts, None)
                .expect("read");
            if got.is_empty() {
                // The stream is used up: start the group over (acked entries are not
                // pending, so `>` delivers them afresh).
                engine
                    .xgroup_setid("s", "g", GroupStart::Id(StreamId::MIN), None)
                    .expect("setid");
                got = engine
                    .xreadgroup("g", "worker", &[("s", GroupReadId::New)], &opts, None)
                    .expect("read");
            }
            ids.clear();
            ids.extend(got[0].entries.iter().map(|e| e.id));
            black_box(engine.xack("s", "g", &ids).expect("xack"))
        });
    });
    g.bench_function("keyspace/count1000_then_xack", |b| {
        let mut ks = Keyspace::new();
        let now = 1_795_000_000_000u64;
        let opts = brook::XAddOptions::default();
        for i in 0..200_000u64 {
            ks.xadd(
                b"s",
                &opts,
                &[("field", if i % 2 == 0 { "a" } else { "b" })],
                now + i / 100,
            )
            .expect("xadd");
        }
        ks.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
            .expect("group");
        let ropts = XReadGroupOptions::default().count(1000);
        let mut ids = Vec::with_capacity(1000);
        b.iter(|| {
            let mut got = ks
                .xreadgroup(b"g", b"worker", &[("s", GroupReadId::New)], &ropts, now)
                .expect("read");
            if got.is_empty() {
                ks.xgroup_setid(b"s", b"g", GroupStart::Id(StreamId::MIN), None)
                    .expect("setid");
                got = ks
                    .xreadgroup(b"g", b"worker", &[("s", GroupReadId::New)], &ropts, now)
                    .expect("read");
            }
            ids.clear();
            ids.extend(got[0].entries.iter().map(|e| e.id));
            black_box(ks.xack(b"s", b"g", &ids).expect("xack"))
        });
    });
    g.finish();
}

/// N messages from one producer thread through a group to one acking consumer thread.
fn engine_pipeline(n: u64) -> Duration {
    let engine = Engine::new();
    engine
        .xgroup_create("s", "g", GroupStart::Last, true, None)
        .expect("group");
    let start = Instant::now();
    let producer = {
        let engine = engine.clone();
        thread::spawn(move || {
            for i in 0..n {
                let v = i.to_le_bytes();
                engine.xadd("s", &[(&b"n"[..], &v[..])]).expect("xadd");
            }
        })
    };
    let opts = XReadGroupOptions::default().count(100);
    let streams = [(Bytes::from_static(b"s"), GroupReadId::New)];
    let mut seen = 0u64;
    let mut ids = Vec::with_capacity(100);
    while seen < n {
        let served = engine
            .xreadgroup("g", "c", &streams, &opts, Some(brook::Block::Forever))
            .expect("read");
        ids.clear();
        ids.extend(served.iter().flat_map(|s| s.entries.iter().map(|e| e.id)));
        seen += ids.len() as u64;
        engine.xack("s", "g", &ids).expect("xack");
    }
    producer.join().expect("producer");
    start.elapsed()
}

/// The same N messages through a bounded crossbeam channel, 1 → 1.
fn crossbeam_pipeline(n: u64) -> Duration {
    let (tx, rx) = crossbeam_channel::bounded::<(u64, [u8; 8])>(1024);
    let start = Instant::now();
    let producer = thread::spawn(move || {
        for i in 0..n {
            tx.send((i, i.to_le_bytes())).expect("send");
        }
    });
    let mut sum = 0u64;
    for _ in 0..n {
        sum = sum.wrapping_add(rx.recv().expect("recv").0);
    }
    black_box(sum);
    producer.join().expect("producer");
    start.elapsed()
}

fn pipeline(c: &mut Criterion) {
    const N: u64 = 200_000;
    let mut g = c.benchmark_group("pipeline_1p_1c");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.bench_function("engine/xadd_to_xreadgroup_block_count100_xack", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| engine_pipeline(N)).sum())
    });
    g.bench_function("crossbeam_channel/bounded1024", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| crossbeam_pipeline(N)).sum())
    });
    g.finish();
}

fn pel_scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("pel_scaling");
    for &pending in &[10_000u64, 1_000_000] {
        let engine = Engine::new();
        for _ in 0..pending {
            engine.xadd("s", &[("f", "v")]).expect("xadd");
        }
        engine
            .xgroup_create("s", "g", GroupStart::Id(StreamId::MIN), false, None)
            .expect("group");
        let all = XReadGroupOptions::default();
        engine
            .xreadgroup("g", "alice", &[("s", GroupReadId::New)], &all, None)
            .expect("deliver");
        let ids: Vec<StreamId> = engine
            .xrange("s", StreamId::MIN, StreamId::MAX, None)
            .expect("ids")
            .into_iter()
            .map(|e| e.id)
            .collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        g.throughput(Throughput::Elements(100));
        g.bench_with_input(
            BenchmarkId::new("engine/xpending_count100", pending),
            &pending,
            |b, _| {
                b.iter(|| {
                    let start = ids[(rng.next() % (ids.len() as u64 - 200)) as usize];
                    let range = XPendingRange::new(start, StreamId::MAX, 100);
                    black_box(engine.xpending_range("s", "g", &range).expect("xpending"))
                })
            },
        );
        // Claims move entries between two consumers; min-idle 0 claims all 100 each time.
        let opts = XAutoClaimOptions::default().count(100).justid();
        let mut flip = false;
        g.bench_with_input(
            BenchmarkId::new("engine/xautoclaim_count100_justid", pending),
            &pending,
            |b, _| {
                b.iter(|| {
                    flip = !flip;
                    let start = ids[(rng.next() % (ids.len() as u64 - 200)) as usize];
                    let to = if flip { "bob" } else { "alice" };
                    black_box(
                        engine
                            .xautoclaim("s", "g", to, Duration::ZERO, start, &opts)
                            .expect("xautoclaim"),
                    )
                })
            },
        );
    }
    g.finish();
}

/// Delivers every entry of `s` to `c` again (`>` from the start, in pages, nothing kept).
fn deliver_all(ks: &mut Keyspace, now: u64) {
    ks.xgroup_setid(b"s", b"g", GroupStart::Id(StreamId::MIN), None)
        .expect("setid");
    let opts = XReadGroupOptions::default().count(10_000);
    while !ks
        .xreadgroup(b"g", b"c", &[("s", GroupReadId::New)], &opts, now)
        .expect("read")
        .is_empty()
    {}
}

/// XACK of one random pending ID with 10³, 10⁵ and 10⁶ (10⁷ with BROOK_BENCH_HUGE)
/// entries pending: the target wants the cost within 3× across the range. Only the
/// acks are timed; when every ID was acked, the group delivers them all again.
fn random_acks(c: &mut Criterion) {
    let sizes: &[u64] = if std::env::var("BROOK_BENCH_HUGE").is_ok() {
        &[1_000, 100_000, 10_000_000]
    } else {
        &[1_000, 100_000, 1_000_000]
    };
    let mut g = c.benchmark_group("random_acks");
    g.sample_size(20);
    for &n in sizes {
        let now = 1_795_000_000_000u64;
        let mut ks = Keyspace::new();
        let opts = brook::XAddOptions::default();
        for i in 0..n {
            ks.xadd(b"s", &opts, &[("f", "v")], now + i / 1000)
                .expect("xadd");
        }
        ks.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
            .expect("group");
        deliver_all(&mut ks, now);
        let mut ids: Vec<StreamId> = ks
            .xrange(b"s", StreamId::MIN, StreamId::MAX, None)
            .expect("ids")
            .into_iter()
            .map(|e| e.id)
            .collect();
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for i in (1..ids.len()).rev() {
            ids.swap(i, (rng.next() % (i as u64 + 1)) as usize);
        }
        let mut next = 0usize;
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(
            BenchmarkId::new("keyspace/xack_one_random_of", n),
            &n,
            |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    let mut left = iters;
                    while left > 0 {
                        if next == ids.len() {
                            deliver_all(&mut ks, now);
                            next = 0;
                        }
                        let k = left.min((ids.len() - next) as u64) as usize;
                        let start = Instant::now();
                        for id in &ids[next..next + k] {
                            black_box(ks.xack(b"s", b"g", std::slice::from_ref(id)).expect("xack"));
                        }
                        total += start.elapsed();
                        next += k;
                        left -= k as u64;
                    }
                    total
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, xreadgroup_xack, pipeline, pel_scaling, random_acks);
criterion_main!(benches);
