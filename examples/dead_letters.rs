//! Dead letters and redrive: a message that keeps failing is retried with a backoff
//! and, after `max_deliveries` deliveries, moved to the dead-letter stream
//! (`<stream>:dead`) with its last error — while the other messages keep flowing.
//! Once the cause is fixed, `redrive` puts it back on its stream and it is processed.
//!
//! ```sh
//! cargo run --example dead_letters
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use brook::worker::{dead_letters, redrive, Backoff, BoxError, Message, Worker};
use brook::Streams;

const PATIENCE: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = brook::connect("mem://").await?;
    for sku in ["apple", "poison", "pear", "plum"] {
        backend.xadd("orders", &[("sku", sku)]).await?;
    }

    // Until this flag is set, the handler rejects the "poison" order.
    let fixed = Arc::new(AtomicBool::new(false));
    let f = fixed.clone();
    let handle = Worker::builder(backend.clone(), "orders", "billing")
        .max_deliveries(3) // the third failed delivery dead-letters it
        .backoff(Backoff::fixed(Duration::from_millis(20))) // short, for the example
        .build()
        .spawn(move |msg: Message| {
            let poison = msg.field("sku").is_some_and(|v| v.as_ref() == b"poison");
            let fixed = f.load(Ordering::SeqCst);
            async move {
                if poison && !fixed {
                    return Err(BoxError::from(format!("cannot price {} yet", msg.id)));
                }
                Ok(())
            }
        });

    // Three orders succeed; the poison one fails three times and is dead-lettered.
    let stats = handle
        .wait_for_timeout(PATIENCE, |s| s.acked == 3 && s.dead_lettered == 1)
        .await?;
    println!(
        "acked {}, failed {}, retried {}, dead-lettered {}",
        stats.acked, stats.failed, stats.retried, stats.dead_lettered
    );
    assert_eq!(stats.failed, 3);

    // The dead letter keeps where it came from, how often it was tried, the last
    // error and the original fields.
    let letters = dead_letters(&backend, "orders:dead", 10).await?;
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    println!(
        "dead letter {}: entry {} of {:?}, {} deliveries, last error {:?}",
        letter.id,
        letter.original_id,
        String::from_utf8_lossy(&letter.stream),
        letter.deliveries,
        letter.error
    );
    assert_eq!(letter.deliveries, 3);

    // Fix the cause, then move the dead letters back (each one: XADD to its stream
    // and XDEL of the letter, in one MULTI/EXEC). The worker picks it up as new.
    fixed.store(true, Ordering::SeqCst);
    let moved = redrive(&backend, "orders:dead", 10).await?;
    assert_eq!(moved, 1);
    let stats = handle.wait_for_timeout(PATIENCE, |s| s.acked == 4).await?;
    println!("after redrive: acked {}", stats.acked);
    assert_eq!(backend.xlen(b"orders:dead").await?, 0);

    handle.shutdown().await?;
    Ok(())
}
