//! `brook`, the command-line tool.
//!
//! ```text
//! brook demo [--url URL] [--orders N] [--rate N]   the whole story of a work queue
//! brook stats --url URL KEY… [--prometheus] [--watch]
//! brook bench [--quick] [--json FILE] [--url URL]
//! brook help
//! ```

use std::process::ExitCode;

mod bench;
mod demo;
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
