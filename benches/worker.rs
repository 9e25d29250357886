//! The worker's throughput (`brook::worker` through the `Streams` trait): N messages
//! already in the stream, then workers until every one is acknowledged — plain acks
//! (batched XACK), and idempotent commits with one write each (mark-and-ack-if-new) —
//! on the engine (`mem://`) and on a private Valkey 9.1 through brook-redis, in the
//! same run. `BROOK_BENCH_WORKER_N` sets N (default 200 000; 50 000 on a server).

use std::time::{Duration, Instant};

use brook::worker::{Message, Worker};
use brook::{Backend, Streams, XAddOptions};
use brook_test_support::{ServerGuard, ServerKind};

async fn fill(b: &Backend, n: u64) {
    let fields = [("n", "1"), ("amount", "5")];
    let mut left = n;
    while left > 0 {
        let k = left.min(1000);
        let cmds: Vec<brook::Command> = (0..k)
            .map(|_| brook::Command::XAdd {
                key: bytes::Bytes::from_static(b"bench"),
                opts: XAddOptions::default(),
                fields: fields
                    .iter()
                    .map(|(f, v)| (bytes::Bytes::from(*f), bytes::Bytes::from(*v)))
                    .collect(),
            })
            .collect();
        b.pipeline(&cmds).await.expect("fill");
        left -= k;
    }
}

async fn run(b: &Backend, n: u64, workers: usize, idempotent: bool) -> Duration {
    b.del(&[b"bench".as_slice(), b"total"]).await.expect("del");
    fill(b, n).await;
    let start = Instant::now();
    let mut hs = Vec::new();
    for w in 0..workers {
        let mut builder = Worker::builder(b.clone(), "bench", "g")
            .consumer(format!("w{w}"))
            .concurrency(64)
            .batch(256)
            .block(Duration::from_millis(100));
        hs.push(if idempotent {
            builder = builder.idempotent(Duration::from_secs(60));
            builder.build().spawn(|m: Message| {
                m.effects.incr_by("total", 1);
                async { Ok(()) }
            })
        } else {
            builder.build().spawn(|_m: Message| async { Ok(()) })
        });
    }
    loop {
        let done: u64 = hs.iter().map(|h| h.stats().acked).sum();
        if done >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let took = start.elapsed();
    for h in hs {
        h.shutdown().await.expect("shutdown");
    }
    took
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("worker: bench");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let n: u64 = std::env::var("BROOK_BENCH_WORKER_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let server = ServerGuard::start(ServerKind::Valkey);
    let mut targets = vec![("engine (mem://)".to_string(), "mem://".to_string(), n)];
    if let Some(s) = &server {
        targets.push((
            "valkey 9.1 via brook-redis".into(),
            format!("redis://127.0.0.1:{}/", s.port()),
            (n / 4).max(1000),
        ));
    }
    println!(
        "{:<28} {:>8} {:>8} {:>12} {:>14}",
        "backend", "workers", "commit", "messages", "messages/s"
    );
    for (name, url, n) in targets {
        let b = rt.block_on(brook::connect(&url)).expect("connect");
        for (workers, idempotent) in [(1, false), (4, false), (1, true), (4, true)] {
            let took = rt.block_on(run(&b, n, workers, idempotent));
            println!(
                "{name:<28} {workers:>8} {:>8} {n:>12} {:>14.0}",
                if idempotent { "marker" } else { "xack" },
                n as f64 / took.as_secs_f64()
            );
        }
    }
}
