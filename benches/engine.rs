//! Engine hot paths. Each benchmark names the API path it measures:
//!
//! - `engine` — the typed [`Engine`] handle: lock, clock ([`SystemClock`] unless said),
//!   keyspace lookup, the command.
//! - `keyspace` — the typed [`Keyspace`] methods with an explicit command time (no lock,
//!   no clock): the pure layer.
//! - `cmd` — the command layer, `Keyspace::execute` on a Redis argument vector, reply
//!   value built (not encoded).
//! - `trait` — the async [`Streams`] trait on the engine (`trait/engine`) and on the
//!   run-time-chosen [`brook::Backend`] from `connect("mem://")` (`trait/backend`), the
//!   future polled on the benchmark's thread: one task, no runtime in between.
//!
//! Payload construction is inside the timed loop where it says so. Run with
//! `cargo bench --bench engine`; `-- --quick` for a short pass. `BROOK_BENCH_HUGE=1`
//! adds the 10⁷-entry scaling points (several GiB of RAM over the run, minutes).
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use brook::{Engine, StreamId, Streams, XAddOptions};

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

/// The output of a future that completes at its first poll (the engine's, when nothing
/// blocks).
fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("an engine future that does not block is ready at once"),
    }
}

fn filled(n: u64) -> Keyspace {
    let mut ks = Keyspace::new();
    let opts = XAddOptions::default();
    let mut now = 1_795_000_000_000;
    for i in 0..n {
        if i % 64 == 0 {
            now += 1;
        }
        ks.xadd(b"s", &opts, &[("field", "value")], now)
            .expect("xadd");
    }
    ks
}

fn xadd(c: &mut Criterion) {
    let mut g = c.benchmark_group("xadd");
    g.throughput(Throughput::Elements(1));
    g.bench_function("engine/one_field/system_clock", |b| {
        let engine = Engine::new();
        b.iter(|| {
            // Payload built per call: one field, one value.
            let fields = [("field", black_box("value"))];
            engine.xadd(black_box("s"), &fields).expect("xadd")
        });
    });
    g.bench_function("engine/five_fields_stable_schema/system_clock", |b| {
        let engine = Engine::new();
        b.iter(|| {
            let fields = [
                ("user", black_box("alice")),
                ("action", "login"),
                ("ip", "10.0.0.1"),
                ("agent", "curl/8.5"),
                ("ok", "1"),
            ];
            engine.xadd(black_box("s"), &fields).expect("xadd")
        });
    });
    g.bench_function("trait/engine/one_field/system_clock", |b| {
        let engine = Engine::new();
        let opts = XAddOptions::default();
        b.iter(|| {
            let fields = [("field", black_box("value"))];
            ready(Streams::xadd_with(&engine, black_box(b"s"), &opts, &fields)).expect("xadd")
        });
    });
    g.bench_function("trait/backend/one_field/system_clock", |b| {
        let backend = ready(brook::connect("mem://")).expect("mem://");
        let opts = XAddOptions::default();
        b.iter(|| {
            let fields = [("field", black_box("value"))];
            ready(backend.xadd_with(black_box(b"s"), &opts, &fields)).expect("xadd")
        });
    });
    g.bench_function("keyspace/one_field", |b| {
        let mut ks = Keyspace::new();
        let opts = XAddOptions::default();
        let mut now = 1_795_000_000_000u64;
        let mut i = 0u64;
        b.iter(|| {
            i += 1;
            if i.is_multiple_of(64) {
                now += 1;
            }
            ks.xadd(
                black_box(b"s"),
                &opts,
                &[("field", black_box("value"))],
                now,
            )
            .expect("xadd")
        });
    });
    g.bench_function("cmd/XADD_s_*_field_value", |b| {
        let mut ks = Keyspace::new();
        let argv: Vec<Bytes> = ["XADD", "s", "*", "field", "value"]
            .iter()
            .map(|a| Bytes::from_static(a.as_bytes()))
            .collect();
        let mut now = 1_795_000_000_000u64;
        b.iter(|| {
            now += 1;
            ks.execute(black_box(&argv), now)
        });
    });
    g.finish();
}

fn xrange(c: &mut Criterion) {
    let mut g = c.benchmark_group("xrange");
    let ks = filled(100_000);
    let ids: Vec<StreamId> = ks
        .xrange(b"s", StreamId::MIN, StreamId::MAX, None)
        .expect("xrange")
        .iter()
        .map(|e| e.id)
        .collect();
    g.throughput(Throughput::Elements(100));
    g.bench_function("keyspace/count_100_from_random_id", |b| {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        b.iter(|| {
            let start = ids[(rng.next() % ids.len() as u64) as usize];
            ks.xrange(b"s", start, StreamId::MAX, Some(100))
                .expect("xrange")
        });
    });
    g.throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function("keyspace/full_scan_100k", |b| {
        b.iter(|| {
            ks.xrange(b"s", StreamId::MIN, StreamId::MAX, None)
                .expect("xrange")
                .len()
        });
    });
    g.finish();
}

/// Per-operation cost of appends and sequential reads as the stream grows: the targets
/// want both flat within 1.5× from 10³ to 10⁷ entries.
fn scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("scaling");
    let sizes: &[u64] = if std::env::var("BROOK_BENCH_HUGE").is_ok() {
        &[1_000, 100_000, 10_000_000]
    } else {
        &[1_000, 100_000, 1_000_000]
    };
    for &n in sizes {
        g.throughput(Throughput::Elements(1));
        g.bench_with_input(BenchmarkId::new("keyspace/append_at", n), &n, |b, &n| {
            // The stream starts at n entries and keeps growing while measured.
            let mut ks = filled(n);
            let mut now = 1_795_000_000_000 + n;
            let opts = XAddOptions::default();
            b.iter(|| {
                now += 1;
                ks.xadd(b"s", &opts, &[("field", "value")], now)
                    .expect("xadd")
            });
        });
        let ks = filled(n);
        g.throughput(Throughput::Elements(100));
        g.bench_with_input(
            BenchmarkId::new("keyspace/read_seq_100_at", n),
            &n,
            |b, _| {
                let mut cursor = StreamId::MIN;
                b.iter(|| {
                    let batch = ks
                        .xrange(b"s", cursor, StreamId::MAX, Some(100))
                        .expect("xrange");
                    cursor = match batch.last() {
                        Some(e) if batch.len() == 100 => e.id.next().unwrap_or(StreamId::MIN),
                        _ => StreamId::MIN,
                    };
                    batch.len()
                });
            },
        );
    }
    g.finish();
}

criterion_group!(benches, xadd, xrange, scaling);
criterion_main!(benches);
