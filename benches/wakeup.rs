//! Blocked-reader wake-up latency: the time from just before an XADD on one thread to
//! the moment a reader blocked on that stream has its reply, as percentiles.
//!
//! - `sync`: the reader is a thread in `Engine::xreadgroup_blocking` (BLOCK 0); the
//!   writer calls `Engine::xadd`. The typed engine handle on both sides.
//! - `async`: the reader awaits `Engine::read_async` on a tokio multi-thread runtime; the
//!   writer is a plain thread.
//!
//! Each round the writer waits until the reader is blocked (`Engine::blocked_readers`),
//! takes a timestamp, appends; the reader takes a timestamp when its read returns. The
//! clock is `Instant` (monotonic, shared by both threads). A blocked reader first spins
//! for 20 µs (`EngineBuilder::wakeup_spin`), so these rounds measure the hand-off to a
//! reader that is still spinning; the `parked` rows wait 1 ms before appending, so the
//! reader has parked its thread (or its task returned `Pending` and the runtime went
//! idle) and the figure is the operating system's wake-up. Run with
//! `cargo bench --bench wakeup`; `BROOK_WAKEUP_ROUNDS` sets the rounds (default 20000).
//! Not a criterion bench: criterion reports means, this reports p50 / p99 / p99.9.
#![allow(missing_docs)]

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use brook::{Engine, GroupReadId, GroupStart, XReadGroupOptions};

use brook::engine::frontend::ReadRequest;
use bytes::Bytes;

fn rounds() -> usize {
    std::env::var("BROOK_WAKEUP_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000)
}

fn wait_blocked(e: &Engine) {
    while e.blocked_readers() == 0 {
        std::hint::spin_loop();
    }
}

fn report(name: &str, mut lat: Vec<Duration>) {
    lat.sort();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat[i].as_secs_f64() * 1e6
    };
    println!(
        "wakeup/{name:<28} rounds {:>6}  p50 {:>7.2} µs  p99 {:>7.2} µs  p99.9 {:>8.2} µs  max {:>8.2} µs",
        lat.len(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        pct(1.0)
    );
}

fn group_request() -> ReadRequest {
    ReadRequest::Group {
        group: Bytes::from_static(b"g"),
        consumer: Bytes::from_static(b"c"),
        streams: vec![(Bytes::from_static(b"s"), GroupReadId::New)],
        opts: XReadGroupOptions::default().count(1),
    }
}

fn new_engine() -> Engine {
    let e = Engine::new();
    e.xgroup_create("s", "g", GroupStart::Last, true, None)
        .expect("group");
    e
}

fn sync_wakeup(n: usize, pause: Duration) -> Vec<Duration> {
    let e = new_engine();
    let (tx, rx) = mpsc::channel::<Instant>();
    let reader = {
        let e = e.clone();
        thread::spawn(move || {
            for _ in 0..n {
                e.read_blocking(group_request(), 0).expect("read");
                tx.send(Instant::now()).expect("send");
            }
        })
    };
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        wait_blocked(&e);
        if !pause.is_zero() {
            thread::sleep(pause);
        }
        let t0 = Instant::now();
        e.xadd("s", &[("f", "v")]).expect("xadd");
        let t1 = rx.recv().expect("recv");
        lat.push(t1.saturating_duration_since(t0));
    }
    reader.join().expect("reader");
    lat
}

fn async_wakeup(n: usize, pause: Duration) -> Vec<Duration> {
    let e = new_engine();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("runtime");
    let (tx, rx) = mpsc::channel::<Instant>();
    let reader = {
        let e = e.clone();
        rt.spawn(async move {
            for _ in 0..n {
                e.read_async(group_request(), 0).await.expect("read");
                tx.send(Instant::now()).expect("send");
            }
        })
    };
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        wait_blocked(&e);
        if !pause.is_zero() {
            thread::sleep(pause);
        }
        let t0 = Instant::now();
        e.xadd("s", &[("f", "v")]).expect("xadd");
        let t1 = rx.recv().expect("recv");
        lat.push(t1.saturating_duration_since(t0));
    }
    rt.block_on(reader).expect("reader task");
    lat
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench` absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let n = if quick { 200 } else { rounds() };
    let parked = Duration::from_millis(1);
    report(
        "sync/thread_xreadgroup_block",
        sync_wakeup(n, Duration::ZERO),
    );
    report("async/tokio_read_async", async_wakeup(n, Duration::ZERO));
    let m = (n / 10).max(100);
    report("sync/parked", sync_wakeup(m, parked));
    report("async/parked", async_wakeup(m, parked));
}
