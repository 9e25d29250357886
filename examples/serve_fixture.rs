//! `brook serve` as a test fixture: start the RESP server in-process on a free port,
//! point any Redis client at it, stop it at the end. Needs the `server` feature:
//!
//! ```sh
//! cargo run --example serve_fixture --features server
//! ```
//!
//! With `ClockMode::Manual` the server's time moves only when a client sends
//! `BROOK.CLOCK ADVANCE ms` (or the test calls `server.shared().clock`'s `advance`),
//! so "reclaim after 10 minutes idle" takes no time in a test written in any language.
//! Tests outside Rust can run the binary instead: `brook serve --port 0 --clock manual`
//! prints `brook serve: listening on 127.0.0.1:PORT` as its first line.

use brook::server::{ClockMode, Server, ServerConfig};
use brook::Streams;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 127.0.0.1 on a free port (the default), on a virtual clock.
    let server = Server::start(ServerConfig {
        clock: ClockMode::Manual(1_700_000_000_000),
        ..ServerConfig::default()
    })
    .await?;
    let url = format!("redis://{}", server.local_addr());
    println!("brook serve listening on {url}");

    // Any Redis client works; here the `redis` crate, sending plain commands.
    let client = redis::Client::open(url.as_str())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let _: () = redis::cmd("XGROUP")
        .arg(&["CREATE", "jobs", "workers", "0", "MKSTREAM"])
        .query_async(&mut conn)
        .await?;
    let id: String = redis::cmd("XADD")
        .arg(&["jobs", "*", "task", "resize"])
        .query_async(&mut conn)
        .await?;
    // A consumer reads the job and crashes: the job stays pending, owned by it.
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg(&["GROUP", "workers", "crashed", "STREAMS", "jobs", ">"])
        .query_async(&mut conn)
        .await?;

    // Ten minutes pass at once, for every client of this server.
    let _: redis::Value = redis::cmd("BROOK.CLOCK")
        .arg(&["ADVANCE", "600000"])
        .query_async(&mut conn)
        .await?;
    let (_next, claimed, _deleted): (String, Vec<String>, Vec<String>) = redis::cmd("XAUTOCLAIM")
        .arg(&["jobs", "workers", "rescuer", "600000", "0", "JUSTID"])
        .query_async(&mut conn)
        .await?;
    println!("idle 10 minutes, reclaimed: {claimed:?}");
    assert_eq!(claimed, vec![id]);

    // brook's own `redis://` backend works against it too (so does its worker).
    let backend = brook::connect(&url).await?;
    assert_eq!(backend.xlen(b"jobs").await?, 1);
    drop(backend);

    // Stop accepting, close every connection, wait until it has stopped.
    server.shutdown();
    server.wait().await;
    println!("server stopped");
    Ok(())
}
