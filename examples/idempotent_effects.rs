//! Idempotent effects: a handler does not write to the backend itself; it adds its
//! writes to the message (`msg.effects`) and the worker commits them together with the
//! acknowledgement in one atomic step. With `.idempotent(keep)` that step also sets a
//! processed-marker, and writes only if the marker was new — so each order counts once
//! even when it is delivered twice (a retry, a reclaim after a crash) or added twice.
//!
//! ```sh
//! cargo run --example idempotent_effects
//! ```

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brook::worker::{Backoff, BoxError, Message, Worker};
use brook::{Bytes, Streams};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = brook::connect("mem://").await?;

    // Order 2 is added twice (a producer that retried after a timeout, say).
    let orders = [("1", "10"), ("2", "20"), ("2", "20"), ("3", "30")];
    for (order, amount) in orders {
        backend
            .xadd("orders", &[("order", order), ("amount", amount)])
            .await?;
    }

    // Order 3's first attempt fails after it has queued its writes: the writes of a
    // failed attempt are dropped, and the retry queues them again.
    let failed_once = Arc::new(Mutex::new(HashSet::new()));
    let handle = Worker::builder(backend.clone(), "orders", "billing")
        // Commit = XACK + SET marker NX PX keep + (only if new) the effects, atomically.
        .idempotent(Duration::from_secs(24 * 3600))
        // Orders are identified by their `order` field, not by the entry ID, so the
        // same order added twice is one order.
        .idempotency_key("order")
        .backoff(Backoff::fixed(Duration::from_millis(20)))
        .build()
        .spawn(move |msg: Message| {
            let failed_once = failed_once.clone();
            async move {
                let field = |name: &str| -> Result<String, BoxError> {
                    let v = msg.field(name).ok_or_else(|| format!("no {name} field"))?;
                    Ok(String::from_utf8_lossy(v).into_owned())
                };
                let order = field("order")?;
                let amount: i64 = field("amount")?.parse()?;
                msg.effects.incr_by("revenue", amount);
                msg.effects.xadd(
                    "invoices",
                    vec![(Bytes::from("order"), Bytes::from(order.clone()))],
                );
                if order == "3" && failed_once.lock().expect("lock").insert(order) {
                    return Err(BoxError::from("the payment provider timed out"));
                }
                Ok(())
            }
        });

    // Wait until all four entries are handled: fetched, order 3 retried, none left
    // in flight. Then stop the worker; its report has the final counters.
    handle
        .wait_for_timeout(Duration::from_secs(10), |s| {
            s.fetched >= 4 && s.retried == 1 && s.in_flight == 0
        })
        .await?;
    let report = handle.shutdown().await?;
    let stats = report.stats;
    println!(
        "handler successes {}, duplicates {}, failed attempts {}, acknowledged {}",
        stats.succeeded, stats.duplicates, stats.failed, stats.acked
    );

    // Each order took effect exactly once: 10 + 20 + 30, three invoices.
    let revenue = backend.get(b"revenue").await?.unwrap_or_default();
    println!("revenue {}", String::from_utf8_lossy(&revenue));
    assert_eq!(revenue.as_ref(), b"60");
    assert_eq!(backend.xlen(b"invoices").await?, 3);
    assert_eq!(stats.duplicates, 1);
    // Every entry acknowledged, the duplicate included; the report says the same.
    assert_eq!((stats.acked, report.completed), (4, 4));
    assert_eq!(stats.failed, 1);
    Ok(())
}
