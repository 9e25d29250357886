//! Testing consumer code on a manual clock: "reclaim what a crashed consumer held
//! after 60 s idle" and "retry after a 30 s backoff", each checked in milliseconds of
//! real time, with no sleeps. In your crate each function below would be a
//! `#[tokio::test]`; here `main` runs them and exits non-zero if one fails.
//!
//! ```sh
//! cargo run --example manual_clock_test
//! ```
//!
//! The recipe: open `mem://?clock=manual`, start the worker, wait for
//! `handle.ready()` (its schedules have taken their deadlines from the clock), move the
//! clock once past the deadline you care about, then `wait_for_timeout` for the
//! outcome — it fails with the counters instead of hanging if the outcome never comes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use brook::worker::{Backoff, BoxError, Message, Worker};

/// Real time a condition may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(5);

/// A consumer that read an order and crashed leaves it pending; a worker reclaims it
/// once it has been idle for `claim_idle` — here after one jump of the clock.
async fn reclaims_what_a_crashed_consumer_left() -> Result<(), Box<dyn std::error::Error>> {
    let backend = brook::connect("mem://?clock=manual").await?;
    let clock = backend.manual_clock().expect("clock=manual").clone();
    let engine = backend.engine().expect("a mem:// backend");

    // Plain Redis commands set the scene: an order, read by "crashed", never acknowledged.
    engine.execute_str(&["XGROUP", "CREATE", "orders", "billing", "0", "MKSTREAM"]);
    engine.execute_str(&["XADD", "orders", "*", "order", "1"]);
    engine.execute_str(&[
        "XREADGROUP",
        "GROUP",
        "billing",
        "crashed",
        "STREAMS",
        "orders",
        ">",
    ]);

    let handle = Worker::builder(backend.clone(), "orders", "billing")
        .consumer("rescuer")
        .claim_idle(Duration::from_secs(60)) // reclaim entries idle 60 s…
        .claim_interval(Duration::from_secs(10)) // …looking every 10 s (the default)
        .build()
        .spawn(|_msg: Message| async { Ok(()) });

    // 1. Wait until the worker's schedules are armed on the manual clock.
    assert!(handle.ready().await, "the worker started");
    // 2. One jump past claim_idle (and so past the next claim_interval too).
    clock.advance(70_000);
    // 3. The reclaim pass that jump fired takes the order; the handler acknowledges it.
    let stats = handle.wait_for_timeout(PATIENCE, |s| s.acked == 1).await?;
    assert_eq!(stats.reclaimed, 1, "{stats:?}");

    handle.shutdown().await?;
    println!("ok: reclaimed after 70 s of virtual time");
    Ok(())
}

/// A failed message waits out its backoff (without holding one of the worker's
/// handler slots) and is retried when the clock passes it.
async fn retries_after_the_backoff() -> Result<(), Box<dyn std::error::Error>> {
    let backend = brook::connect("mem://?clock=manual").await?;
    let clock = backend.manual_clock().expect("clock=manual").clone();
    backend
        .engine()
        .expect("a mem:// backend")
        .execute_str(&["XADD", "orders", "*", "order", "1"]);

    let attempts = Arc::new(AtomicU64::new(0));
    let a = attempts.clone();
    let handle = Worker::builder(backend.clone(), "orders", "billing")
        .backoff(Backoff::fixed(Duration::from_secs(30)))
        .build()
        .spawn(move |_msg: Message| {
            let first = a.fetch_add(1, Ordering::SeqCst) == 0;
            async move {
                if first {
                    return Err(BoxError::from("the first attempt fails"));
                }
                Ok(())
            }
        });

    // `backing_off` counts the retry once its deadline is taken from the clock…
    handle
        .wait_for_timeout(PATIENCE, |s| s.backing_off == 1)
        .await?;
    // …so one jump past the backoff fires it.
    clock.advance(30_000);
    let stats = handle.wait_for_timeout(PATIENCE, |s| s.acked == 1).await?;
    assert_eq!((stats.failed, stats.retried), (1, 1), "{stats:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 2);

    handle.shutdown().await?;
    println!("ok: retried after 30 s of virtual time");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    reclaims_what_a_crashed_consumer_left().await?;
    retries_after_the_backoff().await?;
    println!("both tests passed in {:?} of real time", started.elapsed());
    Ok(())
}
