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
//! so "never missed" needs no timeout. Engines use a [`ManualClock`] and `BLOCK 0`:
//! no timer thread exists under loom.

use alloc::vec;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use bytes::Bytes;
use loom::thread;

use crate::blocking::{ReadOutput, ReadRequest};
use crate::clock::ManualClock;
use crate::engine::Engine;
use crate::error::Error;
use crate::groups_api::GroupStart;
use crate::id::StreamId;
use crate::info::Claimed;
use crate::options::{GroupReadId, XClaimOptions, XReadGroupOptions, XReadId};

fn engine() -> Engine {
    Engine::builder().clock(ManualClock::new(1_000)).build()
}

fn group_engine() -> Engine {
    let e = engine();
    e.xgroup_create("s", "g", GroupStart::Last, true)
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
        ReadOutput::Read(v) => v.iter().flat_map(|(_, e)| e.iter().map(|e| e.id)).collect(),
        ReadOutput::Group(v) => v.iter().flat_map(|(_, e)| e.iter().map(|e| e.id)).collect(),
    }
}

#[test]
fn loom_a_waiter_registering_while_an_xadd_lands_is_never_missed() {
    loom::model(|| {
        let e = engine();
        let reader = {
            let e = e.clone();
            thread::spawn(move || {
                let req = ReadRequest::Read {
                    streams: vec![(b("s"), XReadId::After(StreamId::MIN))],
                    count: None,
                };
                e.read_blocking(req, 0)
            })
        };
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
        )
        .expect("deliver");
        let acker = {
            let e = e.clone();
            thread::spawn(move || e.xack("s", "g", &[id]).expect("xack"))
        };
        let claimer = {
            let e = e.clone();
            thread::spawn(move || {
                e.xclaim("s", "g", "bob", 0, &[id], &XClaimOptions::default())
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
        )
        .expect("deliver");
        let acker = {
            let e = e.clone();
            thread::spawn(move || e.xack("s", "g", &[a]).expect("xack"))
        };
        let claimer = {
            let e = e.clone();
            thread::spawn(move || {
                e.xautoclaim("s", "g", "bob", 0, StreamId::MIN, &Default::default())
                    .expect("xautoclaim")
            })
        };
        assert_eq!(acker.join().expect("acker"), 1);
        claimer.join().expect("claimer");
        let pending = e.xpending("s", "g").expect("xpending");
        // `a` is acknowledged whatever the order; `b2` pending exactly once, with bob.
        assert_eq!(pending.count, 1);
        assert_eq!(pending.bounds, Some((b2, b2)));
        assert_eq!(pending.consumers, vec![(b("bob"), 1)]);
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
        let later = e
            .xreadgroup(
                "g",
                "bob",
                &[("s", GroupReadId::New)],
                &XReadGroupOptions::default(),
            )
            .expect("read");
        let redelivered = later.iter().any(|(_, v)| v.iter().any(|x| x.id == id));
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
