//! The Redis adapter against raw redis-rs at the same pipelining depth, alternating, in
//! one run: throughput and client CPU per operation (user + system time of this
//! process, from `/proc/self/stat`), on a private server it starts (Valkey 9.1 when
//! available, else Redis). The workload is XADD `*` with one field: one at a time
//! (depth 1), and in pipelines of 16 and 128.
//!
//! Both sides read the new IDs (the adapter as `StreamId`s, raw redis-rs as strings).
//! `cargo bench --bench adapter`; `BROOK_ADAPTER_OPS` sets the operations per run at
//! depth 1 (default 100000; ten times as many when pipelined, so the 10 ms CPU clock
//! resolves), `BROOK_ADAPTER_ROUNDS` the alternating rounds (default 3).
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use brook::{Command, Streams, XAddOptions};
use brook_redis::RedisStreams;
use brook_test_support::{ServerGuard, ServerKind};
use bytes::Bytes;

/// This process's CPU time so far (user + system), from `/proc/self/stat`.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after `)` and the
    // state letter (which does not parse as a number and is skipped).
    let ticks = f.get(10).copied().unwrap_or(0) + f.get(11).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    ops: usize,
    wall: Duration,
    cpu: Duration,
}

impl Tally {
    fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64()
    }
    fn cpu_us_per_op(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.ops as f64
    }
}

async fn adapter_run(s: &RedisStreams, ops: usize, depth: usize) {
    let opts = XAddOptions::default();
    if depth == 1 {
        for _ in 0..ops {
            s.xadd_with(b"bench", &opts, &[("field", "value")])
                .await
                .expect("xadd");
        }
        return;
    }
    let cmds: Vec<Command> = (0..depth)
        .map(|_| Command::XAdd {
            key: Bytes::from_static(b"bench"),
            opts: opts.clone(),
            fields: vec![(Bytes::from_static(b"field"), Bytes::from_static(b"value"))],
        })
        .collect();
    for _ in 0..ops / depth {
        let replies = s.pipeline(&cmds).await.expect("pipeline");
        assert!(replies.iter().all(|r| r.is_ok()));
    }
}

async fn raw_run(conn: &mut redis::aio::MultiplexedConnection, ops: usize, depth: usize) {
    let xadd = || {
        let mut c = redis::cmd("XADD");
        c.arg("bench").arg("*").arg("field").arg("value");
        c
    };
    if depth == 1 {
        for _ in 0..ops {
            // The new ID, as a raw redis-rs user reads it.
            let _: String = xadd().query_async(conn).await.expect("xadd");
        }
        return;
    }
    for _ in 0..ops / depth {
        // Built per batch, as the adapter builds its commands per call.
        let mut pipe = redis::pipe();
        for _ in 0..depth {
            pipe.add_command(xadd());
        }
        let _: Vec<String> = pipe.query_async(conn).await.expect("pipeline");
    }
}

fn main() {
    let Some(server) =
        ServerGuard::start(ServerKind::Valkey).or_else(|| ServerGuard::start(ServerKind::Redis))
    else {
        eprintln!("adapter bench: no server binary; nothing measured");
        return;
    };
    let kind = server.kind();
    let url = format!("redis://127.0.0.1:{}/", server.port());
    let ops = env("BROOK_ADAPTER_OPS", 100_000);
    let rounds = env("BROOK_ADAPTER_ROUNDS", 3);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let adapter = rt.block_on(RedisStreams::connect(&url)).expect("adapter");
    let client = redis::Client::open(url.as_str()).expect("url");
    let mut raw = rt
        .block_on(client.get_multiplexed_async_connection())
        .expect("raw connection");
    println!("adapter vs raw redis-rs on {kind} ({ops} XADD per run, {rounds} rounds alternating)");
    println!("depth  adapter ops/s  raw ops/s  ratio   adapter CPU µs/op  raw CPU µs/op  ratio");
    for depth in [1usize, 16, 128] {
        let ops = if depth == 1 { ops } else { ops * 10 };
        let (mut a, mut r) = (Tally::default(), Tally::default());
        for _ in 0..rounds {
            for which in [0, 1] {
                let _: () = rt.block_on(async {
                    let mut c = redis::cmd("DEL");
                    c.arg("bench");
                    let _: redis::Value = c.query_async(&mut raw).await.expect("DEL");
                });
                let (t0, c0) = (Instant::now(), cpu());
                if which == 0 {
                    rt.block_on(adapter_run(&adapter, ops, depth));
                } else {
                    rt.block_on(raw_run(&mut raw, ops, depth));
                }
                let tally = if which == 0 { &mut a } else { &mut r };
                tally.ops += ops / depth * depth;
                tally.wall += t0.elapsed();
                tally.cpu += cpu().saturating_sub(c0);
            }
        }
        println!(
            "{depth:>5}  {:>13.0}  {:>9.0}  {:>5.2}   {:>17.2}  {:>13.2}  {:>5.2}",
            a.ops_per_sec(),
            r.ops_per_sec(),
            a.ops_per_sec() / r.ops_per_sec(),
            a.cpu_us_per_op(),
            r.cpu_us_per_op(),
            a.cpu_us_per_op() / r.cpu_us_per_op()
        );
    }
}
