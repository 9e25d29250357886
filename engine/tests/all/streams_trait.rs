//! The `Streams` trait on the engine without an async runtime: the futures run on a
//! plain thread that parks between polls, and a blocked read through the trait is woken
//! by a write from another thread. (Every command's behaviour through the trait, on the
//! engine and on the servers, is the root crate's conformance suite.)

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use brook_engine::{
    Block, Engine, Error, GroupReadId, GroupStart, StreamId, Streams, XAddOptions,
    XReadGroupOptions, XReadId,
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
