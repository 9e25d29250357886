//! A producer and a worker on the in-process engine (`mem://`): the producer adds
//! orders to a stream, a worker in the consumer group `billing` handles them, and the
//! program stops the worker once every order is acknowledged.
//!
//! ```sh
//! cargo run --example producer_worker
//! ```
//!
//! The same code runs on Redis or Valkey: only the URL changes
//! (`BROOK_URL=redis://127.0.0.1:6379 cargo run --example producer_worker`; it leaves
//! the stream `example:orders` behind).

use std::time::Duration;

use brook::worker::{Message, Worker};
use brook::Streams;

const ORDERS: u64 = 100;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("BROOK_URL").unwrap_or_else(|_| "mem://".to_owned());
    let backend = brook::connect(&url).await?;

    // The worker first: it creates its group (XGROUP CREATE … 0 MKSTREAM) and reads
    // everything in the stream, including entries added before it started.
    let worker = Worker::builder(backend.clone(), "example:orders", "billing")
        .consumer("billing-1") // a stable name: after a restart it drains its own pending entries
        .concurrency(8) // at most 8 handlers at once
        .build();
    let handle = worker.spawn(|msg: Message| async move {
        // `Ok` acknowledges the entry (XACK, batched); an `Err` or a panic leaves it
        // pending, and the worker retries it after a backoff.
        let order = msg
            .field("order")
            .map(|v| String::from_utf8_lossy(v).into_owned());
        let order = order.unwrap_or_default();
        if order.ends_with('0') {
            println!(
                "order {order}: entry {}, delivery {}",
                msg.id, msg.deliveries
            );
        }
        Ok(())
    });

    // The producer: XADD example:orders * order <n> sku <sku>.
    for n in 0..ORDERS {
        let order = n.to_string();
        let sku = format!("sku-{}", n % 7);
        backend
            .xadd(
                "example:orders",
                &[("order", order.as_str()), ("sku", sku.as_str())],
            )
            .await?;
    }

    // Wait (at most 10 s of real time) until the worker has acknowledged every order.
    let stats = handle
        .wait_for_timeout(Duration::from_secs(10), |s| s.acked >= ORDERS)
        .await?;
    println!(
        "handled {} orders, acknowledged {}",
        stats.succeeded, stats.acked
    );

    // Graceful shutdown: stop reading, finish what is in flight, flush the
    // acknowledgements, delete the consumer if it owns nothing pending.
    let report = handle.shutdown().await?;
    assert_eq!(report.stats.acked, ORDERS);
    assert_eq!(report.completed, ORDERS);
    assert!(report.consumer_deleted, "nothing left pending");
    println!("worker stopped: {report:?}");
    Ok(())
}
