//! Pub/sub beside streams: Redis's at-most-once broadcast (PUBLISH, SUBSCRIBE,
//! PSUBSCRIBE) with the same semantics on `mem://` and on a server. A message reaches
//! the subscriptions that exist when it is published — no replay, no acknowledgement;
//! use a stream and a consumer group when every message must be processed.
//!
//! ```sh
//! cargo run --example pubsub
//! ```

use std::time::Duration;

use brook::{PubSub, Subscription};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = brook::connect("mem://").await?;

    // Nobody listens yet: the message is gone (PUBLISH answers 0 receivers).
    assert_eq!(backend.publish(b"prices", b"too early").await?, 0);

    // One subscription to the channel `prices` and the pattern `alerts.*`.
    let mut sub = backend
        .subscribe(&["prices".as_bytes()], &["alerts.*".as_bytes()])
        .await?;

    assert_eq!(backend.publish(b"prices", b"apple 1.20").await?, 1);
    assert_eq!(backend.publish(b"alerts.disk", b"95% full").await?, 1);
    assert_eq!(backend.publish(b"other", b"not subscribed").await?, 0);

    for _ in 0..2 {
        // `next` waits for a message; bound the wait so a bug cannot hang the program.
        let msg = tokio::time::timeout(Duration::from_secs(5), sub.next()).await??;
        println!(
            "{} (pattern {:?}): {}",
            String::from_utf8_lossy(&msg.channel),
            msg.pattern.as_ref().map(|p| String::from_utf8_lossy(p)),
            String::from_utf8_lossy(&msg.payload)
        );
    }

    // Dropping the subscription unsubscribes.
    drop(sub);
    assert_eq!(backend.publish(b"prices", b"apple 1.25").await?, 0);
    Ok(())
}
