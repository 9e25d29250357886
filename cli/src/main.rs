//! `brook`, the command-line tool.
//!
//! ```text
//! brook demo [--url URL] [--orders N] [--rate N]   the whole story of a work queue
//! brook stats --url URL KEY… [--prometheus] [--watch]
//! brook bench [--quick] [--json FILE] [--url URL]
//! brook serve [--port N] [--bind IP] [--clock system|manual] [--requirepass PW] …
//! brook help
//! ```

use std::process::ExitCode;

/// The binary's allocator (feature `jemalloc`, on by default): jemalloc with its
/// background thread, as Redis runs it, so freed memory goes back to the system and
/// `brook serve`'s RSS comes down after a large reply or a dropped group (with glibc's
/// malloc most of it stays).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod bench;
mod demo;
mod serve;
mod stats;

const USAGE: &str = "\
brook — Redis Streams toolkit

usage: brook <command> [options]

commands:
  demo     the main job: producers add orders, a group of workers processes them, one
           worker is killed and its orders reclaimed, a poison order is retried and
           dead-lettered, retention keeps the stream small; a final table and a ledger
           check (exit 1 if any order was lost or took effect twice)
             --url URL     mem:// (default, the embedded engine) or redis://host:port
             --orders N    how many orders (default 20000)
             --rate N      orders per second the producers aim at (default 8000)
  stats    groups, consumers, lag, pending and the oldest pending age of streams
             --url URL     the backend (default mem://, which is empty)
             --prometheus  print the Prometheus exposition instead of a table
             --watch       refresh every 2 seconds
  bench    the same workloads on the engine, on a Redis server through brook-redis,
           on raw redis-rs and a crossbeam channel, in one run: throughput, latency
           percentiles, bytes per entry, ratios
             --quick       under a minute
             --json FILE   one object per (workload, backend)
             --url URL     the server (default: a private one it starts)
  serve    the engine behind a RESP2/RESP3 server: point any Redis client at it
             --port N      TCP port (default 6380; 0 picks a free one)
             --bind IP     address (default 127.0.0.1)
             --unixsocket PATH   listen on a Unix socket too
             --requirepass PW    clients must AUTH
             --databases N       SELECT range (default 16)
             --clock system|manual|manual:<unix ms>
                           manual: time moves only with BROOK.CLOCK ADVANCE/SET
             --proto-max-bulk-len N, --client-query-buffer-limit N, --maxclients N, --tcp-backlog N,
             --client-output-buffer-limit \"normal|pubsub HARD SOFT SECONDS\"
                           (Redis's defaults: normal 0 0 0, pubsub 32mb 8mb 60)
  help     print this help
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => match demo::run(&args[1..]) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("brook demo: {e}");
                ExitCode::FAILURE
            }
        },
        Some("bench") => match bench::run(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("brook bench: {e}");
                ExitCode::FAILURE
            }
        },
        Some("serve") => match serve::run(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("brook serve: {e}");
                ExitCode::FAILURE
            }
        },
        Some("stats") => match stats::run(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("brook stats: {e}");
                ExitCode::FAILURE
            }
        },
        None | Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("brook: unknown command '{other}'\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
