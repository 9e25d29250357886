//! The `Streams` trait on the engine without an async runtime: the futures run on a
//! plain thread that parks between polls, and a blocked read through the trait is woken
//! by a write from another thread; the engine's own typed methods agree with the
//! trait's provided ones. (Every command's behaviour through the trait, on the engine
//! and on the servers, is the root crate's conformance suite.)

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use brook_engine::{
    Block, Command, CommandReply, Engine, Error, GroupReadId, GroupStart, ManualClock, RefPolicy,
    StreamId, Streams, TrimOptions, WorkerOps, XAddId, XAddOptions, XAutoClaimOptions,
    XClaimOptions, XPendingRange, XReadGroupOptions, XReadId,
};

use crate::rng::Rng;

/// Runs a future on this thread, parking between polls (the engine wakes the waker from
/// the writing thread).
fn block_on<F: Future>(f: F) -> F::Output {
    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        thread::park();
    }
}

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

async fn add<S: Streams>(s: &S, at: StreamId, v: &str) -> Result<Option<StreamId>, Error> {
    s.xadd_with(b"s", &XAddOptions::with_id(at), &[("f", v)])
        .await
}

#[test]
fn a_blocked_group_read_through_the_trait_wakes_on_a_write() {
    let engine = Engine::new();
    block_on(engine_group(&engine)).expect("group");
    let writer = {
        let engine = engine.clone();
        thread::spawn(move || {
            while engine.blocked_readers() == 0 {
                thread::sleep(Duration::from_millis(1));
            }
            block_on(add(&engine, id(5, 1), "late")).expect("xadd")
        })
    };
    let opts = XReadGroupOptions::default().count(10);
    let got = block_on(Streams::xreadgroup(
        &engine,
        b"g",
        b"c",
        &[(b"s", GroupReadId::New)],
        &opts,
        Some(Block::Forever),
    ))
    .expect("read");
    assert_eq!(writer.join().expect("writer"), Some(id(5, 1)));
    assert_eq!(
        got[0].entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id(5, 1)]
    );
    // A BLOCK that runs out answers no streams.
    let t = Instant::now();
    let none = block_on(Streams::xread(
        &engine,
        &[(b"s", XReadId::Last)],
        None,
        Some(Block::For(Duration::from_millis(30))),
    ))
    .expect("read");
    assert!(none.is_empty());
    // The deadline is on the engine's clock, in whole milliseconds: it may fire up to a
    // millisecond early in wall time.
    assert!(t.elapsed() >= Duration::from_millis(29));
}

async fn engine_group<S: Streams>(s: &S) -> Result<(), Error> {
    s.xgroup_create(b"s", b"g", GroupStart::Last, true, None)
        .await
}

/// A backend with only the trait's four required methods, so every typed call takes
/// the provided path (a `Command` built, run, its reply unpacked).
struct CoreOnly(Engine);

impl Streams for CoreOnly {
    async fn run(&self, cmd: &Command) -> Result<CommandReply, Error> {
        self.0.run(cmd).await
    }

    async fn run_blocking(&self, cmd: &Command, block: Block) -> Result<CommandReply, Error> {
        self.0.run_blocking(cmd, block).await
    }

    async fn pipeline(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        self.0.pipeline(cmds).await
    }

    async fn atomic(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        self.0.atomic(cmds).await
    }
}

/// One random typed call on `s`, its result as text (replies and errors alike).
async fn typed_call<S: Streams>(s: &S, rng: &mut Rng) -> String {
    let key = *rng.pick(&["s", "t"]);
    let group = *rng.pick(&["g", "h"]);
    let consumer = *rng.pick(&["alice", "bob"]);
    let at = StreamId::new(rng.below(40), rng.below(3));
    let to = StreamId::new(at.ms + rng.below(20), rng.below(3));
    let n = 1 + rng.below(5);
    // An ID list, empty now and then (XACK, XDEL, XCLAIM, XACKDEL and XDELEX answer it
    // with Redis's error for the argument vector they would send).
    let ids = if rng.pct(15) { vec![] } else { vec![at, to] };
    let policy = *rng.pick(&[RefPolicy::KeepRef, RefPolicy::DelRef, RefPolicy::Acked]);
    match rng.below(24) {
        0..=2 => format!("{:?}", s.xadd(key, &[("f", "v")]).await),
        3 => {
            let opts = XAddOptions::with_id(XAddId::Explicit(to)).trim(TrimOptions::maxlen(n));
            format!("{:?}", s.xadd_with(key, &opts, &[("f", "v")]).await)
        }
        4 => format!("{:?}", s.xlen(key).await),
        5 => format!("{:?}", s.xrange(key, at, to, Some(n)).await),
        6 => format!("{:?}", s.xrevrange(key, to, at, None).await),
        7 => format!("{:?}", s.xdel(key, &ids).await),
        8 => format!("{:?}", s.xtrim(key, &TrimOptions::minid(at)).await),
        9 => {
            let start = if rng.pct(50) {
                GroupStart::Last
            } else {
                GroupStart::Id(at)
            };
            let mkstream = rng.pct(50);
            format!(
                "{:?}",
                s.xgroup_create(key, group, start, mkstream, None).await
            )
        }
        10 => format!(
            "{:?}",
            s.xgroup_setid(key, group, GroupStart::Id(at), None).await
        ),
        11 => format!("{:?}", s.xgroup_createconsumer(key, group, consumer).await),
        12 => format!("{:?}", s.xgroup_delconsumer(key, group, consumer).await),
        13..=14 => {
            let read = if rng.pct(70) {
                GroupReadId::New
            } else {
                GroupReadId::After(at)
            };
            let mut opts = XReadGroupOptions::default().count(n);
            if rng.pct(20) {
                opts = opts.noack();
            }
            if rng.pct(10) {
                opts = XReadGroupOptions::default();
            }
            let one = [(key, read)];
            let streams: &[(&str, GroupReadId)] = if rng.pct(10) { &[] } else { &one };
            format!(
                "{:?}",
                s.xreadgroup(group, consumer, streams, &opts, None).await
            )
        }
        15 => format!("{:?}", s.xack(key, group, &ids).await),
        16 => format!("{:?}", s.xpending(key, group).await),
        17 => {
            let range = XPendingRange::new(StreamId::MIN, StreamId::MAX, n);
            format!("{:?}", s.xpending_range(key, group, &range).await)
        }
        18 => {
            let opts = if rng.pct(50) {
                XClaimOptions::default()
            } else {
                XClaimOptions::default().justid()
            };
            let claimed = s.xclaim(key, group, consumer, Duration::ZERO, &ids, &opts);
            format!("{:?}", claimed.await)
        }
        19 => {
            let opts = XAutoClaimOptions::default().count(n);
            let claimed = s.xautoclaim(key, group, consumer, Duration::ZERO, at, &opts);
            format!("{:?}", claimed.await)
        }
        20 => {
            // No streams now and then (with or without COUNT: the arity error or a
            // syntax error).
            let streams: &[(&str, XReadId)] = if rng.pct(15) {
                &[]
            } else {
                &[(key, XReadId::After(at))]
            };
            let count = if rng.pct(50) { Some(n) } else { None };
            format!("{:?}", s.xread(streams, count, None).await)
        }
        21 => format!("{:?}", s.xackdel(key, group, &ids, policy).await),
        22 => format!("{:?}", s.xdelex(key, &ids, policy).await),
        23 if rng.pct(30) => {
            let keys: &[&str] = if rng.pct(30) { &[] } else { &[key] };
            format!("{:?}", s.del(keys).await)
        }
        _ => format!(
            "{:?} {:?} {:?}",
            s.xinfo_groups(key).await,
            s.xinfo_consumers(key, group).await,
            s.xinfo_stream(key).await
        ),
    }
}

/// The typed methods the engine overrides answer exactly as the trait's provided ones,
/// which go through `Command`s: the same random calls on twin engines on one manual
/// clock, compared reply by reply.
#[test]
fn the_engines_typed_methods_agree_with_the_provided_ones() {
    let seed = Rng::seed_from_env("BROOK_TRAIT_AGREE_SEED");
    let mut rng = Rng::new(seed);
    let clock = ManualClock::new(1_000);
    let direct = Engine::builder().clock(clock.clone()).build();
    let core = CoreOnly(Engine::builder().clock(clock.clone()).build());
    for step in 0..3_000 {
        let mut twin = rng.clone();
        let a = block_on(typed_call(&direct, &mut rng));
        let b = block_on(typed_call(&core, &mut twin));
        assert_eq!(a, b, "step {step} (seed {seed})");
        if rng.pct(10) {
            clock.advance(1 + rng.below(50));
        }
    }
}

async fn add_many<S: Streams>(s: &S) -> Result<(), Error> {
    // Entries of different sizes, as a slice of slices.
    let entries: [&[(&str, &str)]; 3] =
        [&[("n", "1")], &[("n", "2"), ("note", "big")], &[("n", "3")]];
    let ids: Vec<StreamId> = s
        .xadd_many("s", &entries)
        .await?
        .into_iter()
        .collect::<Result<_, _>>()?;
    assert_eq!(ids.len(), 3);
    let got = s.xrange("s", StreamId::MIN, StreamId::MAX, None).await?;
    let got_ids: Vec<StreamId> = got.iter().map(|e| e.id).collect();
    assert_eq!(got_ids, ids, "appended in order, IDs in the same order");
    assert_eq!(got[1].fields.len(), 2);
    assert_eq!(s.xadd_many("s", &[] as &[Vec<(String, String)>]).await?, []);
    // An entry without fields fails (XADD's arity error) and answers its error; the
    // entries around it are written all the same and answer their IDs.
    let mixed: [&[(&str, &str)]; 3] = [&[("n", "4")], &[], &[("n", "5")]];
    let out = s.xadd_many("s", &mixed).await?;
    assert_eq!(out.len(), 3);
    let err = out[1].clone().expect_err("an entry without fields");
    assert!(
        err.to_string().contains("wrong number of arguments"),
        "{err}"
    );
    let written: Vec<StreamId> = [&out[0], &out[2]]
        .into_iter()
        .map(|r| r.clone().expect("written"))
        .collect();
    let tail = s.xrange("s", written[0], StreamId::MAX, None).await?;
    assert_eq!(tail.iter().map(|e| e.id).collect::<Vec<_>>(), written);
    assert_eq!(s.xlen("s").await?, 5);
    // A key of another type: every entry answers WRONGTYPE.
    s.set("str", "x", &Default::default()).await?;
    let out = s.xadd_many("str", &[[("n", "1")], [("n", "2")]]).await?;
    assert!(
        out.iter().all(|r| matches!(r, Err(Error::WrongType))),
        "{out:?}"
    );
    Ok(())
}

/// `xadd_many` appends a batch through one pipeline, on the engine's own `Streams`
/// impl and on a backend with only the four required methods alike.
#[test]
fn xadd_many_appends_a_batch_in_one_pipeline() {
    block_on(add_many(&Engine::new())).expect("engine");
    block_on(add_many(&CoreOnly(Engine::new()))).expect("core only");
}

/// A command MULTI would refuse when queued (an empty list: the arity error) discards
/// an atomic batch whole, as EXEC answers EXECABORT and runs nothing; in a pipeline the
/// same command answers its arity error in place and the others run.
#[test]
fn a_batch_with_a_command_redis_refuses_when_queued() {
    let engine = Engine::new();
    let key = || bytes::Bytes::from_static(b"s");
    let add = Command::XAdd {
        key: key(),
        opts: XAddOptions::with_id(XAddId::Explicit(id(1, 1))),
        fields: vec![(
            bytes::Bytes::from_static(b"f"),
            bytes::Bytes::from_static(b"v"),
        )],
    };
    let empty_ack = Command::XAck {
        key: key(),
        group: bytes::Bytes::from_static(b"g"),
        ids: vec![],
    };
    assert_eq!(
        empty_ack.dispatcher_error(),
        Some(Error::WrongArity("xack"))
    );
    assert_eq!(add.dispatcher_error(), None);
    let got = block_on(engine.atomic(&[add.clone(), empty_ack.clone()]));
    assert_eq!(got, Err(Error::ExecAbort));
    assert_eq!(
        Error::ExecAbort.to_string(),
        "EXECABORT Transaction discarded because of previous errors."
    );
    assert_eq!(block_on(Streams::xlen(&engine, "s")), Ok(0), "nothing ran");
    let got = block_on(engine.pipeline(&[add, empty_ack])).expect("pipeline");
    assert_eq!(
        got,
        [
            Ok(CommandReply::Id(Some(id(1, 1)))),
            Err(Error::WrongArity("xack"))
        ]
    );
    // XCLAIM with an option but no IDs passes the dispatcher (and runs).
    let claim = Command::XClaim {
        key: key(),
        group: bytes::Bytes::from_static(b"g"),
        consumer: bytes::Bytes::from_static(b"c"),
        min_idle_ms: 0,
        ids: vec![],
        opts: XClaimOptions::default().justid(),
    };
    assert_eq!(claim.dispatcher_error(), None);
}

/// A marker kept "forever" (`Duration::MAX`) or for no time at all is kept for
/// `MAX_MARKER_KEEP` or 1 ms: the commit succeeds and the entry is acknowledged with its
/// marker, never acknowledged and then refused.
#[test]
fn mark_and_ack_keeps_its_marker_within_bounds() {
    let e = Engine::new();
    e.execute_str(&["XADD", "s", "1-1", "f", "v"]);
    e.execute_str(&["XADD", "s", "1-2", "f", "v"]);
    e.execute_str(&["XGROUP", "CREATE", "s", "g", "0"]);
    e.execute_str(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    for (at, keep, marker) in [(2, Duration::MAX, "m1"), (1, Duration::ZERO, "m2")] {
        let got = block_on(WorkerOps::mark_and_ack_if_new(
            &e,
            "s",
            "g",
            id(1, at),
            marker,
            keep,
            &[],
        ));
        assert!(matches!(got, Ok(Some(_))), "{keep:?}: {got:?}");
        let ttl = e.with_keyspace(|ks, now| ks.pttl(marker.as_bytes(), now));
        assert!(ttl > 0, "{keep:?}: the marker expires ({ttl})");
        let max = <Engine as WorkerOps>::MAX_MARKER_KEEP.as_millis() as i64;
        assert!(ttl <= max, "{keep:?}: {ttl}");
    }
    assert_eq!(e.xpending("s", "g").expect("xpending").count, 0);
}
