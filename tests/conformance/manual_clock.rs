//! Testing a worker on a manual clock the way the worker's docs tell a user to: no
//! stepping helpers, no sleeps — `ready()`, then one `advance` past a deadline fires
//! it, and `wait_for_timeout` fails a test instead of hanging it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use brook::worker::{Backoff, BoxError, Message, Worker, WorkerHandle};
use brook::{Backend, Clock, Streams, XAddOptions};

const STREAM: &str = "orders";
const GROUP: &str = "billing";
/// Real time a condition may take before the test fails (the worker's own schedules
/// run on the manual clock).
const PATIENCE: Duration = Duration::from_secs(10);

async fn backend() -> (Backend, brook::ManualClock) {
    let backend = brook::connect("mem://?clock=manual").await.expect("mem://");
    let clock = backend.manual_clock().expect("a manual clock").clone();
    (backend, clock)
}

async fn add(backend: &Backend, n: usize) {
    for i in 0..n {
        let fields = [(&b"n"[..], i.to_string().into_bytes())];
        backend
            .xadd_with(STREAM.as_bytes(), &XAddOptions::default(), &fields)
            .await
            .expect("xadd");
    }
}

/// A worker whose handler never finishes holds `n` entries, then dies (abort).
async fn holder_dies_holding(backend: &Backend, n: usize) {
    let started = Arc::new(AtomicU64::new(0));
    let s = started.clone();
    let w1 = Worker::builder(backend.clone(), STREAM, GROUP)
        .consumer("w1")
        .concurrency(n)
        .build()
        .spawn(move |_m: Message| {
            s.fetch_add(1, Ordering::SeqCst);
            async { std::future::pending::<Result<(), BoxError>>().await }
        });
    w1.wait_for_timeout(PATIENCE, |s| s.in_flight as usize >= n)
        .await
        .expect("w1 holds its entries");
    while started.load(Ordering::SeqCst) < n as u64 {
        tokio::task::yield_now().await;
    }
    // A crashed process: nothing of it runs any more (`join` answers once the worker's
    // tasks are stopped, so none of its timers fires on the next advance).
    w1.abort();
    let _ = w1.join().await;
}

fn counting_worker(backend: &Backend, done: &Arc<AtomicU64>) -> WorkerHandle {
    let d = done.clone();
    Worker::builder(backend.clone(), STREAM, GROUP)
        .consumer("w2")
        .claim_idle(Duration::from_secs(60))
        .build()
        .spawn(move |_m: Message| {
            d.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_advance_past_claim_idle_reclaims_what_a_dead_worker_held() {
    // Many rounds: the race this guards against (the reclaimer taking its first deadline
    // after the test moved the clock) showed only now and then.
    for round in 0..25 {
        let (backend, clock) = backend().await;
        add(&backend, 3).await;
        holder_dies_holding(&backend, 3).await;
        let done = Arc::new(AtomicU64::new(0));
        let w2 = counting_worker(&backend, &done);
        assert!(w2.ready().await, "round {round}: w2 started");
        clock.advance(70_000);
        let stats = match w2.wait_for_timeout(PATIENCE, |s| s.acked >= 3).await {
            Ok(s) => s,
            Err(e) => {
                let pend = backend
                    .xpending_range(
                        STREAM,
                        GROUP,
                        &brook::XPendingRange::new(brook::StreamId::MIN, brook::StreamId::MAX, 10),
                    )
                    .await;
                panic!("round {round}: {e} now={} pend={pend:?}", clock.now_ms())
            }
        };
        assert_eq!(stats.reclaimed, 3, "round {round}: {stats:?}");
        assert_eq!(done.load(Ordering::SeqCst), 3);
        w2.shutdown().await.expect("shutdown");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_starting_after_the_idle_time_reclaims_at_once() {
    let (backend, clock) = backend().await;
    add(&backend, 2).await;
    holder_dies_holding(&backend, 2).await;
    // The entries are idle past claim_idle before the second worker exists: its
    // start-up pass takes them, with no further advance.
    clock.advance(70_000);
    let done = Arc::new(AtomicU64::new(0));
    let w2 = counting_worker(&backend, &done);
    let stats = w2
        .wait_for_timeout(PATIENCE, |s| s.acked >= 2 && s.reclaim_passes >= 1)
        .await
        .expect("reclaimed without any advance");
    assert_eq!(stats.reclaimed, 2);
    assert_eq!(stats.reclaim_passes, 1, "the start-up pass");
    w2.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_fires_on_one_advance_past_its_backoff() {
    let (backend, clock) = backend().await;
    add(&backend, 1).await;
    let attempts = Arc::new(AtomicU64::new(0));
    let a = attempts.clone();
    let w = Worker::builder(backend.clone(), STREAM, GROUP)
        .backoff(Backoff::fixed(Duration::from_secs(30)))
        .build()
        .spawn(move |_m: Message| {
            let first = a.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if first {
                    Err(BoxError::from("first attempt fails"))
                } else {
                    Ok(())
                }
            }
        });
    // `backing_off` counts a retry once its deadline is taken: one advance fires it.
    w.wait_for_timeout(PATIENCE, |s| s.backing_off == 1)
        .await
        .expect("the failure waits out its backoff");
    clock.advance(30_000);
    let stats = w
        .wait_for_timeout(PATIENCE, |s| s.acked == 1)
        .await
        .expect("retried and acknowledged");
    assert_eq!((stats.failed, stats.retried), (1, 1), "{stats:?}");
    w.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_timeout_fails_instead_of_hanging() {
    let (backend, _clock) = backend().await;
    let w = Worker::builder(backend.clone(), STREAM, GROUP)
        .build()
        .spawn(|_m: Message| async { Ok(()) });
    assert!(w.ready().await);
    // Nothing is ever added: the condition cannot come, and the wait says so.
    let err = w
        .wait_for_timeout(Duration::from_millis(200), |s| s.acked >= 1)
        .await
        .expect_err("nothing to acknowledge");
    assert!(!err.stopped);
    assert_eq!(err.stats.acked, 0);
    w.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_is_false_when_the_worker_cannot_start() {
    let (backend, _clock) = backend().await;
    // The stream's key holds a string: the group cannot be created.
    backend
        .set(
            STREAM.as_bytes(),
            b"not a stream",
            &brook::SetOptions::default(),
        )
        .await
        .expect("set");
    let w = Worker::builder(backend.clone(), STREAM, GROUP)
        .build()
        .spawn(|_m: Message| async { Ok(()) });
    assert!(!w.ready().await, "a worker that failed is never ready");
    let err = w
        .wait_for_timeout(PATIENCE, |s| s.acked >= 1)
        .await
        .expect_err("stopped");
    assert!(err.stopped, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_messages_do_not_stall_the_rest_with_the_defaults() {
    // 100 orders, every tenth failing its first attempt, a worker with the builder's
    // defaults and a clock that does not move: every order that does not fail is
    // processed and acknowledged while the failed ones wait out their backoff — a
    // message waiting for its retry holds none of the worker's places — and one
    // advance past the backoff finishes the rest.
    let (backend, clock) = backend().await;
    add(&backend, 100).await;
    let attempts = Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    let a = attempts.clone();
    let w = Worker::builder(backend.clone(), STREAM, GROUP)
        .build()
        .spawn(move |m: Message| {
            let n: u64 = String::from_utf8_lossy(m.field(b"n").expect("n"))
                .parse()
                .expect("a number");
            let first = {
                let mut seen = a.lock().expect("lock");
                let tries = seen.entry(n).or_insert(0u32);
                *tries += 1;
                *tries == 1
            };
            async move {
                if first && n.is_multiple_of(10) {
                    Err(BoxError::from(
                        "the first attempt of every tenth order fails",
                    ))
                } else {
                    Ok(())
                }
            }
        });
    let stats = w
        .wait_for_timeout(PATIENCE, |s| s.acked == 90 && s.backing_off == 10)
        .await
        .expect("the 90 others processed while 10 wait for their retry");
    assert_eq!(stats.failed, 10, "{stats:?}");
    clock.advance(1_000);
    let stats = w
        .wait_for_timeout(PATIENCE, |s| s.acked == 100)
        .await
        .expect("the retries succeed");
    assert_eq!((stats.retried, stats.dead_lettered), (10, 0), "{stats:?}");
    w.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_with_per_key_order_keeps_its_slot() {
    // One place, every order under one key, the first one failing once: the orders
    // behind it wait for it (per-key order), and its retry must not find its place
    // taken by one of them.
    let (backend, clock) = backend().await;
    for i in 0..5 {
        let n = i.to_string();
        let fields = [(&b"k"[..], &b"same"[..]), (&b"n"[..], n.as_bytes())];
        backend
            .xadd_with(STREAM.as_bytes(), &XAddOptions::default(), &fields)
            .await
            .expect("xadd");
    }
    let attempts = Arc::new(AtomicU64::new(0));
    let a = attempts.clone();
    let w = Worker::builder(backend.clone(), STREAM, GROUP)
        .concurrency(1)
        .ordering_key("k")
        .backoff(Backoff::fixed(Duration::from_secs(1)))
        .build()
        .spawn(move |_m: Message| {
            let first = a.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if first {
                    Err(BoxError::from("the first attempt fails"))
                } else {
                    Ok(())
                }
            }
        });
    w.wait_for_timeout(PATIENCE, |s| s.backing_off == 1)
        .await
        .expect("the first order waits for its retry");
    clock.advance(1_000);
    let stats = w
        .wait_for_timeout(PATIENCE, |s| s.acked == 5)
        .await
        .expect("the retry and the four behind it");
    assert_eq!(stats.retried, 1, "{stats:?}");
    w.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_handler_always_fails_holds_at_most_twice_its_concurrency() {
    // Retries give up their places only while there is room among the retries (as
    // many as `concurrency`): a handler that fails every time does not pull the whole
    // backlog into the worker.
    let (backend, _clock) = backend().await;
    add(&backend, 50).await;
    let w = Worker::builder(backend.clone(), STREAM, GROUP)
        .concurrency(4)
        .build()
        .spawn(|_m: Message| async { Err::<(), BoxError>(BoxError::from("always")) });
    let stats = w
        .wait_for_timeout(PATIENCE, |s| s.backing_off == 8)
        .await
        .expect("8 wait for their retry");
    assert_eq!(stats.in_flight, 8, "{stats:?}");
    assert_eq!(stats.fetched, 8, "nothing more is fetched: {stats:?}");
    w.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_right_after_spawn_returns() {
    // The shutdown signal is sent before the worker's task has subscribed to it: it
    // must not be lost (it was, and `shutdown` waited forever).
    for _ in 0..20 {
        let (backend, _clock) = backend().await;
        let w = Worker::builder(backend.clone(), STREAM, GROUP)
            .build()
            .spawn(|_m: Message| async { Ok(()) });
        tokio::time::timeout(PATIENCE, w.shutdown())
            .await
            .expect("shutdown returns")
            .expect("a clean stop");
    }
}
