//! loom models of the engine's concurrent parts: the waiter registry, the hand-off
//! slots and the engine handle, exercised through the real [`Engine`] API (no copies of
//! the code under test). Built only with `RUSTFLAGS="--cfg loom"`; run with
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p brook-engine --lib --release --target-dir target/loom loom_
//! ```
//!
//! A reader that misses its wake-up blocks forever, which loom reports as a deadlock,
//! so "never missed" needs no timeout. Engines use a [`ManualClock`]; no timer thread
//! exists under loom, so where a deadline matters a model thread plays the timer: it
//! calls the same `Inner::fire_due` that the timer thread and the clock's `advance()`
//! call. One model is negative: with the lost wake-up seeded
//! ([`crate::sync::seeded`]), loom must find the deadlock.

use alloc::vec;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use bytes::Bytes;
use loom::thread;

use crate::error::Error;
use crate::handle::clock::ManualClock;
use crate::handle::engine::Engine;
use crate::id::StreamId;
use crate::info::Claimed;
use crate::keyspace::GroupStart;
use crate::options::{GroupReadId, XClaimOptions, XReadGroupOptions, XReadId};
use crate::read::request::{ReadOutput, ReadRequest};

fn engine() -> Engine {
    Engine::builder().clock(ManualClock::new(1_000)).build()
}

fn group_engine() -> Engine {
    let e = engine();
    e.xgroup_create("s", "g", GroupStart::Last, true, None)
        .expect("create");
    e
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn group_read(consumer: &str) -> ReadRequest {
    ReadRequest::Group {
        group: b("g"),
        consumer: b(consumer),
        streams: vec![(b("s"), GroupReadId::New)],
        opts: XReadGroupOptions::default().count(1),
    }
}

fn ids(out: &ReadOutput) -> Vec<StreamId> {
    match out {
        ReadOutput::Read(v) => v
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| e.id))
            .collect(),
        ReadOutput::Group(v) => v
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| e.id))
            .collect(),
    }
}

/// A thread running `XREAD BLOCK 0 STREAMS s 0-0`.
fn spawn_xread_block_0(e: &Engine) -> thread::JoinHandle<Result<ReadOutput, Error>> {
    let e = e.clone();
    thread::spawn(move || {
        let req = ReadRequest::Read {
            streams: vec![(b("s"), XReadId::After(StreamId::MIN))],
            count: None,
        };
        e.read_blocking(req, 0)
    })
}

/// Whether `XREADGROUP GROUP g bob STREAMS s >` hands out `id` (it was still new for
/// the group).
fn handed_to_bob(e: &Engine, id: StreamId) -> bool {
    let later = e
        .xreadgroup(
            "g",
            "bob",
            &[("s", GroupReadId::New)],
            &XReadGroupOptions::default(),
            None,
        )
        .expect("read");
    later.iter().any(|s| s.entries.iter().any(|x| x.id == id))
}

#[test]
fn loom_a_waiter_registering_while_an_xadd_lands_is_never_missed() {
    loom::model(|| {
        let e = engine();
        let reader = spawn_xread_block_0(&e);
        let id = e.xadd("s", &[("f", "v")]).expect("xadd");
        let out = reader.join().expect("reader").expect("read");
        assert_eq!(ids(&out), vec![id]);
        assert_eq!(e.blocked_readers(), 0);
    });
}

#[test]
fn loom_two_group_readers_and_one_xadd_exactly_one_gets_the_entry() {
    loom::model(|| {
        let e = group_engine();
        let readers: Vec<_> = ["alice", "bob"]
            .into_iter()
            .map(|c| {
                let e = e.clone();
                thread::spawn(move || e.read_blocking(group_read(c), 0))
            })
            .collect();
        let id = e.xadd("s", &[("f", "v")]).expect("xadd");
        // Whoever did not get it is released by close().
        e.close();
        let outs: Vec<_> = readers
            .into_iter()
            .map(|r| r.join().expect("reader"))
            .collect();
        let got: Vec<StreamId> = outs
            .iter()
            .filter_map(|o| o.as_ref().ok())
            .flat_map(ids)
            .collect();
        assert_eq!(got, vec![id], "exactly one reader gets the entry: {outs:?}");
        assert_eq!(
            outs.iter()
                .filter(|o| **o == Err(Error::EngineClosed))
                .count(),
            1
        );
        let pending = e.xpending("s", "g").expect("xpending");
        assert_eq!(pending.count, 1);
        e.check().expect("invariants");
    });
}

#[test]
fn loom_xack_racing_xclaim_leaves_each_entry_acked_or_in_one_pel() {
    loom::model(|| {
        let e = group_engine();
        let id = e.xadd("s", &[("f", "v")]).expect("xadd");
        e.xreadgroup(
            "g",
            "alice",
            &[("s", GroupReadId::New)],
            &XReadGroupOptions::default(),
            None,
        )
        .expect("deliver");
        let acker = {
            let e = e.clone();
            thread::spawn(move || e.xack("s", "g", &[id]).expect("xack"))
        };
        let claimer = {
            let e = e.clone();
            thread::spawn(move || {
                e.xclaim(
                    "s",
                    "g",
                    "bob",
                    core::time::Duration::from_millis(0),
                    &[id],
                    &XClaimOptions::default(),
                )
                .expect("xclaim")
            })
        };
        let acked = acker.join().expect("acker");
        let claimed = claimer.join().expect("claimer");
        let pending = e.xpending("s", "g").expect("xpending");
        match (acked, &claimed) {
            // Acknowledged first: nothing left to claim.
            (1, Claimed::Entries(v)) if v.is_empty() => assert_eq!(pending.count, 0),
            // Claimed first, then acknowledged (XACK ignores the owner).
            (1, Claimed::Entries(v)) if v.len() == 1 => assert_eq!(pending.count, 0),
            other => panic!("impossible outcome {other:?}"),
        }
        e.check().expect("invariants");
    });
}

#[test]
fn loom_xautoclaim_racing_xack_never_duplicates_a_pending_entry() {
    loom::model(|| {
        let e = group_engine();
        let a = e.xadd("s", &[("f", "1")]).expect("xadd");
        let b2 = e.xadd("s", &[("f", "2")]).expect("xadd");
        e.xreadgroup(
            "g",
            "alice",
            &[("s", GroupReadId::New)],
            &XReadGroupOptions::default(),
            None,
        )
        .expect("deliver");
        let acker = {
            let e = e.clone();
            thread::spawn(move || e.xack("s", "g", &[a]).expect("xack"))
        };
        let claimer = {
            let e = e.clone();
            thread::spawn(move || {
                e.xautoclaim(
                    "s",
                    "g",
                    "bob",
                    core::time::Duration::from_millis(0),
                    StreamId::MIN,
                    &Default::default(),
                )
                .expect("xautoclaim")
            })
        };
        assert_eq!(acker.join().expect("acker"), 1);
        claimer.join().expect("claimer");
        let pending = e.xpending("s", "g").expect("xpending");
        // `a` is acknowledged whatever the order; `b2` pending exactly once, with bob.
        assert_eq!(pending.count, 1);
        assert_eq!(
            pending.bounds.map(|b| (b.smallest, b.greatest)),
            Some((b2, b2))
        );
        let consumers: Vec<_> = pending
            .consumers
            .iter()
            .map(|c| (c.name.clone(), c.pending))
            .collect();
        assert_eq!(consumers, vec![(b("bob"), 1)]);
        e.check().expect("invariants");
    });
}

#[test]
fn loom_dropping_a_read_future_never_loses_an_entry() {
    loom::model(|| {
        let e = group_engine();
        let reader = {
            let e = e.clone();
            thread::spawn(move || {
                let mut fut = pin!(e.read_async(group_read("alice"), 0));
                let mut cx = Context::from_waker(Waker::noop());
                match fut.as_mut().poll(&mut cx) {
                    Poll::Ready(out) => out.map(|o| ids(&o)).unwrap_or_default(),
                    Poll::Pending => Vec::new(), // dropped while waiting (or just served)
                }
            })
        };
        let id = e.xadd("s", &[("f", "v")]).expect("xadd");
        let returned = reader.join().expect("reader");
        assert_eq!(e.blocked_readers(), 0, "a dropped future leaves no waiter");
        let pending = e.xpending("s", "g").expect("xpending");
        let in_pel = pending.count == 1;
        // Not delivered yet? Then `>` must still hand it out.
        let redelivered = handed_to_bob(&e, id);
        assert!(
            in_pel || redelivered || returned == vec![id],
            "entry lost: not returned, not pending, not deliverable"
        );
        assert!(
            !(in_pel && redelivered),
            "delivered twice by `>` (pending and handed out again)"
        );
        e.check().expect("invariants");
    });
}

/// A BLOCK deadline fires (the timer's `fire_due`) while an XADD serves the same
/// blocked group reader: the reader gets the entry (and it is pending for it) or times
/// out empty (and the entry is still new for the group) — never both, never neither,
/// and no waiter is left behind.
#[test]
fn loom_a_deadline_firing_while_an_xadd_serves_the_reader_loses_nothing() {
    loom::model(|| {
        let clock = ManualClock::new(1_000);
        let e = Engine::builder().clock(clock.clone()).build();
        e.xgroup_create("s", "g", GroupStart::Last, true, None)
            .expect("create");
        let reader = {
            let e = e.clone();
            thread::spawn(move || e.read_blocking(group_read("alice"), 50))
        };
        let timer = {
            let e = e.clone();
            thread::spawn(move || {
                // The timer thread only has work once a deadline is registered.
                while e.blocked_readers() == 0 && e.xlen("s").expect("xlen") == 0 {
                    thread::yield_now();
                }
                clock.set(1_050);
                e.inner().fire_due(1_050);
            })
        };
        let id = e.xadd("s", &[("f", "v")]).expect("xadd");
        let got = ids(&reader.join().expect("reader").expect("read"));
        timer.join().expect("timer");
        assert_eq!(e.blocked_readers(), 0, "no waiter left behind");
        let pending = e.xpending("s", "g").expect("xpending");
        let still_new = handed_to_bob(&e, id);
        if got == vec![id] {
            assert_eq!(pending.count, 1, "served: pending for alice");
            let consumers: Vec<_> = pending
                .consumers
                .iter()
                .map(|c| (c.name.clone(), c.pending))
                .collect();
            assert_eq!(consumers, vec![(b("alice"), 1)]);
            assert!(!still_new, "served and still handed out by `>`");
        } else {
            assert!(got.is_empty(), "unexpected reply {got:?}");
            assert_eq!(pending.count, 0, "timed out, yet pending");
            assert!(still_new, "timed out and the entry is lost to the group");
        }
        e.check().expect("invariants");
    });
}

/// Environment variable that makes [`seeded_lost_wakeup_model`] run (in the child
/// process [`loom_the_seeded_lost_wakeup_is_found`] starts).
const SEEDED_ENV: &str = "BROOK_LOOM_SEEDED_LOST_WAKEUP";

/// The negative model: release the lock between the empty read and registering the
/// waiter (seeded in `read_wait::start`), and an XADD landing in that window is never
/// seen by the reader, which then blocks forever. loom must report the deadlock; if it
/// ever stopped doing so, the models above could not catch the bug either. loom's
/// deadlock panic aborts the process while it unwinds (loom objects dropped mid-model),
/// so the model runs in a child process and this test reads its verdict.
#[test]
fn loom_the_seeded_lost_wakeup_is_found() {
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "loom_tests::seeded_lost_wakeup_model",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SEEDED_ENV, "1")
        .output()
        .expect("running the seeded model");
    let stderr = alloc::string::String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "loom did not find the seeded lost wake-up:\n{stderr}"
    );
    assert!(
        stderr.contains("deadlock"),
        "the seeded model failed, but not with loom's deadlock report:\n{stderr}"
    );
}

/// Run by [`loom_the_seeded_lost_wakeup_is_found`] in a child process.
#[test]
#[ignore = "negative model; run in a child process by loom_the_seeded_lost_wakeup_is_found"]
fn seeded_lost_wakeup_model() {
    if std::env::var_os(SEEDED_ENV).is_none() {
        return;
    }
    crate::sync::seeded::set_lost_wakeup(true);
    loom::model(|| {
        let e = engine();
        let reader = spawn_xread_block_0(&e);
        e.xadd("s", &[("f", "v")]).expect("xadd");
        reader.join().expect("reader").expect("read");
    });
}

#[test]
fn loom_handles_cloned_and_dropped_across_threads() {
    loom::model(|| {
        let e = engine();
        let writers: Vec<_> = (0..2)
            .map(|i| {
                let e = e.clone();
                thread::spawn(move || {
                    let mine = e.clone();
                    drop(e);
                    mine.xadd("s", &[("w", if i == 0 { "a" } else { "b" })])
                        .expect("xadd")
                })
            })
            .collect();
        let mut got: Vec<StreamId> = writers
            .into_iter()
            .map(|w| w.join().expect("writer"))
            .collect();
        got.sort();
        assert!(got[0] < got[1]);
        assert_eq!(e.xlen("s").expect("xlen"), 2);
        e.check().expect("invariants");
    });
}
