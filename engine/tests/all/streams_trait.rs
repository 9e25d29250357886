//! The `Streams` trait on the engine: one consumer-group story written once, generic
//! over the backend (the body the Redis adapter's conformance run will share), with
//! explicit IDs so every reply is known exactly; then a blocked read through the trait
//! woken by a write from another thread.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use brook_engine::{
    Claimed, Engine, Error, GroupReadId, GroupStart, StreamId, Streams, TrimOptions, XAddOptions,
    XAutoClaimOptions, XClaimOptions, XPendingRange, XReadGroupOptions, XReadId,
};

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
    s.xadd(b"s", &XAddOptions::with_id(at), &[("f", v)]).await
}

/// A whole consumer-group story through the trait, every reply checked.
async fn group_story<S: Streams>(s: &S) -> Result<(), Error> {
    s.del(&[b"s"]).await?;
    for (seq, v) in [(1, "a"), (2, "b"), (3, "c")] {
        assert_eq!(add(s, id(1, seq), v).await?, Some(id(1, seq)));
    }
    assert_eq!(
        add(s, id(1, 2), "x").await,
        Err(Error::XAddIdTooSmall),
        "an ID at or below the top is refused"
    );
    assert_eq!(s.xlen(b"s").await?, 3);
    let all = s.xrange(b"s", StreamId::MIN, StreamId::MAX, None).await?;
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id(1, 1), id(1, 2), id(1, 3)]
    );
    assert_eq!(all[1].get(b"f").map(|v| v.as_ref()), Some(&b"b"[..]));
    let last = s
        .xrevrange(b"s", StreamId::MAX, StreamId::MIN, Some(1))
        .await?;
    assert_eq!(last.iter().map(|e| e.id).collect::<Vec<_>>(), [id(1, 3)]);

    s.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
        .await?;
    assert_eq!(
        s.xgroup_create(b"s", b"g", GroupStart::Last, false, None)
            .await,
        Err(Error::BusyGroup)
    );
    let opts = XReadGroupOptions::default().count(2);
    let got = s
        .xreadgroup(b"g", b"alice", &[(b"s", GroupReadId::New)], &opts, None)
        .await?;
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].0[..], b"s");
    let ids: Vec<_> = got[0].1.iter().map(|e| e.id).collect();
    assert_eq!(ids, [id(1, 1), id(1, 2)]);
    let summary = s.xpending(b"s", b"g").await?;
    assert_eq!(summary.count, 2);
    assert_eq!(summary.bounds, Some((id(1, 1), id(1, 2))));
    assert_eq!(
        summary.consumers,
        [(bytes::Bytes::from_static(b"alice"), 2)]
    );

    assert_eq!(s.xack(b"s", b"g", &[id(1, 1), id(9, 9)]).await?, 1);
    let claimed = s
        .xclaim(
            b"s",
            b"g",
            b"bob",
            0,
            &[id(1, 2)],
            &XClaimOptions {
                justid: true,
                ..Default::default()
            },
        )
        .await?;
    assert_eq!(claimed, Claimed::Ids(vec![id(1, 2)]));
    let range = XPendingRange {
        min_idle: 0,
        start: StreamId::MIN,
        end: StreamId::MAX,
        count: 10,
        consumer: None,
    };
    let pending = s.xpending_range(b"s", b"g", &range).await?;
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].id, &pending[0].consumer[..]),
        (id(1, 2), &b"bob"[..])
    );
    assert_eq!(
        pending[0].delivery_count, 1,
        "JUSTID does not count a delivery"
    );

    let auto = s
        .xautoclaim(
            b"s",
            b"g",
            b"alice",
            0,
            StreamId::MIN,
            &XAutoClaimOptions {
                count: 10,
                justid: false,
            },
        )
        .await?;
    assert_eq!(auto.next, StreamId::MIN);
    assert!(auto.deleted.is_empty());
    match &auto.claimed {
        Claimed::Entries(es) => assert_eq!(es.iter().map(|e| e.id).collect::<Vec<_>>(), [id(1, 2)]),
        other => panic!("XAUTOCLAIM without JUSTID answers entries, got {other:?}"),
    }
    // History: alice's own pending entries.
    let hist = s
        .xreadgroup(
            b"g",
            b"alice",
            &[(b"s", GroupReadId::After(StreamId::MIN))],
            &opts,
            None,
        )
        .await?;
    assert_eq!(
        hist[0].1.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id(1, 2)]
    );

    match s
        .xreadgroup(b"nope", b"alice", &[(b"s", GroupReadId::New)], &opts, None)
        .await
    {
        Err(e @ Error::NoGroupForRead { .. }) => assert!(e.to_string().starts_with("NOGROUP")),
        other => panic!("a missing group is NOGROUP, got {other:?}"),
    }

    let groups = s.xinfo_groups(b"s").await?;
    assert_eq!(groups.len(), 1);
    assert_eq!(
        (
            &groups[0].name[..],
            groups[0].pending,
            groups[0].last_delivered_id
        ),
        (&b"g"[..], 1, id(1, 2))
    );
    assert_eq!(groups[0].lag, Some(1));
    let consumers = s.xinfo_consumers(b"s", b"g").await?;
    let names: Vec<_> = consumers.iter().map(|c| (&c.name[..], c.pending)).collect();
    assert_eq!(names, [(&b"alice"[..], 1), (&b"bob"[..], 0)]);
    assert!(s.xgroup_createconsumer(b"s", b"g", b"carol").await?);
    assert!(!s.xgroup_createconsumer(b"s", b"g", b"carol").await?);
    assert_eq!(s.xgroup_delconsumer(b"s", b"g", b"alice").await?, 1);

    assert_eq!(s.xdel(b"s", &[id(1, 1), id(7, 7)]).await?, 1);
    assert_eq!(s.xtrim(b"s", &TrimOptions::maxlen(1)).await?, 1);
    let info = s.xinfo_stream(b"s").await?;
    assert_eq!(info.groups, 1);
    assert_eq!(info.first_entry.map(|e| e.id), Some(id(1, 3)));
    let read = s
        .xread(&[(b"s", XReadId::After(StreamId::MIN))], None, None)
        .await?;
    assert_eq!(
        read[0].1.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id(1, 3)]
    );
    s.xgroup_setid(b"s", b"g", GroupStart::Last, Some(1))
        .await?;
    assert!(s.xgroup_destroy(b"s", b"g").await?);
    assert!(!s.xgroup_destroy(b"s", b"g").await?);
    assert_eq!(s.del(&[b"s", b"other"]).await?, 1);
    Ok(())
}

#[test]
fn a_group_story_through_the_trait() {
    let engine = Engine::new();
    block_on(group_story(&engine)).expect("story");
    engine.check().expect("engine well-formed");
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
        Some(0),
    ))
    .expect("read");
    assert_eq!(writer.join().expect("writer"), Some(id(5, 1)));
    assert_eq!(
        got[0].1.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id(5, 1)]
    );
    // A BLOCK that runs out answers no streams.
    let t = Instant::now();
    let none = block_on(Streams::xread(
        &engine,
        &[(b"s", XReadId::Last)],
        None,
        Some(30),
    ))
    .expect("read");
    assert!(none.is_empty());
    assert!(t.elapsed() >= Duration::from_millis(30));
}

async fn engine_group<S: Streams>(s: &S) -> Result<(), Error> {
    s.xgroup_create(b"s", b"g", GroupStart::Last, true, None)
        .await
}
