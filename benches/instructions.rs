//! The hot paths, one at a time, for instruction counting under callgrind
//! (`scripts/instructions.sh` runs this binary twice per path, with N and 2N
//! operations, and divides the difference of the totals by N, so setup and process
//! start-up cancel out). `instructions <path> <n>`; without arguments (as `cargo bench`
//! runs it) it does nothing.
#![allow(missing_docs)]

use std::hint::black_box;

use brook::{
    Engine, GroupReadId, GroupStart, ManualClock, StreamId, Streams, XAutoClaimOptions,
    XPendingRange, XReadGroupOptions,
};

use brook::engine::frontend::Keyspace;
use bytes::Bytes;

const NOW: u64 = 1_700_000_000_000;

/// A keyspace with `n` entries in `s`, delivered to group `g` (all pending).
fn pending(n: u64) -> Keyspace {
    let mut ks = Keyspace::new();
    for i in 0..n {
        ks.xadd(
            b"s",
            &brook::XAddOptions::with_id(StreamId::new(1 + i / 8, i % 8)),
            &[("f", "v")],
            NOW,
        )
        .expect("xadd");
    }
    ks.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
        .expect("group");
    let opts = XReadGroupOptions::default();
    ks.xreadgroup(
        b"g",
        b"c",
        &[(Bytes::from_static(b"s"), GroupReadId::New)],
        &opts,
        NOW,
    )
    .expect("read");
    ks
}

fn run(path: &str, n: u64) -> Option<()> {
    match path {
        // XADD one field on the typed Engine handle (manual clock: no ticker thread).
        "xadd" => {
            let e = Engine::builder().clock(ManualClock::new(NOW)).build();
            for _ in 0..n {
                black_box(e.xadd("s", &[("field", "value")]).ok()?);
            }
        }
        // XADD one field through the trait on the engine (its override: no Command).
        "xadd_trait" => {
            let e = Engine::builder().clock(ManualClock::new(NOW)).build();
            for _ in 0..n {
                black_box(ready(Streams::xadd(&e, "s", &[("field", "value")])).ok()?);
            }
        }
        // XADD one field through `connect("mem://")`'s Backend: the trait's provided
        // method (a Command built and run).
        "xadd_backend" => {
            let b = ready(brook::connect("mem://?clock=manual")).ok()?;
            for _ in 0..n {
                black_box(ready(b.xadd("s", &[("field", "value")])).ok()?);
            }
        }
        // XADD one field on a durable engine (`appendfsync no`): recording the effect,
        // encoding it, and the flusher thread's writes — every thread counted.
        "xadd_aof" => {
            let dir = std::env::temp_dir().join(format!("brook-instr-aof-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let e = Engine::builder()
                .clock(ManualClock::new(NOW))
                .open(&dir, brook::engine::aof::Fsync::No)
                .ok()?;
            for _ in 0..n {
                black_box(e.xadd("s", &[("field", "value")]).ok()?);
            }
            drop(e);
            let _ = std::fs::remove_dir_all(&dir);
        }
        // XADD five fields with a stable schema.
        "xadd5" => {
            let e = Engine::builder().clock(ManualClock::new(NOW)).build();
            let f = [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")];
            for _ in 0..n {
                black_box(e.xadd("s", &f).ok()?);
            }
        }
        // XRANGE over 100 entries, per entry.
        "xrange" => {
            let mut ks = Keyspace::new();
            for i in 0..100 {
                ks.xadd(
                    b"s",
                    &brook::XAddOptions::with_id(StreamId::new(1, i)),
                    &[("f", "v")],
                    NOW,
                )
                .ok()?;
            }
            for _ in 0..n / 100 {
                black_box(ks.xrange(b"s", StreamId::MIN, StreamId::MAX, None).ok()?);
            }
        }
        // XREADGROUP COUNT 100 + XACK, per message.
        "xreadgroup_ack" => {
            let mut ks = Keyspace::new();
            ks.xgroup_create(b"s", b"g", GroupStart::Last, true, None)
                .ok()?;
            let opts = XReadGroupOptions::default().count(100);
            let key = [(Bytes::from_static(b"s"), GroupReadId::New)];
            let mut id = 0;
            let mut ids = Vec::with_capacity(100);
            for _ in 0..n / 100 {
                for _ in 0..100 {
                    id += 1;
                    ks.xadd(
                        b"s",
                        &brook::XAddOptions::with_id(StreamId::new(id, 0)),
                        &[("f", "v")],
                        NOW,
                    )
                    .ok()?;
                }
                let got = ks.xreadgroup(b"g", b"c", &key, &opts, NOW).ok()?;
                ids.clear();
                ids.extend(got[0].entries.iter().map(|e| e.id));
                black_box(ks.xack(b"s", b"g", &ids).ok()?);
            }
        }
        // XPENDING … COUNT 100 with 10⁵ pending, per call.
        "xpending100" => {
            let ks = pending(100_000);
            let range = XPendingRange::new(StreamId::new(5_000, 0), StreamId::MAX, 100);
            for _ in 0..n {
                black_box(ks.xpending_range(b"s", b"g", &range, NOW).ok()?);
            }
        }
        // XAUTOCLAIM COUNT 100 JUSTID with 10⁵ pending (claims back and forth), per call.
        "xautoclaim100" => {
            let mut ks = pending(100_000);
            let opts = XAutoClaimOptions::default().count(100).justid();
            let mut at = StreamId::new(5_000, 0);
            for i in 0..n {
                let who: &[u8] = if i % 2 == 0 { b"a" } else { b"b" };
                let r = ks.xautoclaim(b"s", b"g", who, 0, at, &opts, NOW).ok()?;
                at = if r.next == StreamId::MIN {
                    StreamId::new(5_000, 0)
                } else {
                    r.next
                };
                black_box(r);
            }
        }
        _ => return None,
    }
    Some(())
}

/// Polls an engine future once (it never blocks here).
fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("an engine future that does not block is ready at once"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        return;
    };
    if run(path, n).is_none() {
        eprintln!("instructions: unknown path '{path}' or a failed operation");
        std::process::exit(2);
    }
}
