//! aof-load: the brook side of `scripts/aof-load-bench.sh`.
//!
//! - `open DIR`: times `Engine::builder().open(DIR, EverySec)` (the load, i.e. the
//!   replay of the manifest's files) and prints `seconds cpu commands entries bytes`:
//!   wall seconds of the open, CPU seconds of the main thread meanwhile (from
//!   `/proc/self/schedstat`; the replay runs on it), commands replayed, entries (the
//!   sum of XLEN over the comma-separated keys `KEYS` names, default `s`) and bytes
//!   read.
//! - `write DIR N [KEY]`: a new directory with N × `XADD KEY * f v` appended by brook
//!   (one writer, `appendfsync everysec`), no rewrite.
//!
//! Automatic rewrites are off in every mode.
//! - `rewrite DIR`: opens DIR, rewrites it (`Engine::rewrite_aof`, BGREWRITEAOF) and
//!   prints the new base file's size in bytes.
//!
//! The engine is leaked at the end rather than dropped: freeing millions of entries is
//! not part of what is measured, and exiting is faster.
use std::path::PathBuf;
use std::process::exit;
use std::time::Instant;

use brook_engine::aof::{AutoRewrite, Fsync};
use brook_engine::Engine;

fn usage() -> ! {
    eprintln!("usage: aof-load open DIR | write DIR N [KEY] | rewrite DIR");
    exit(2)
}

fn open(dir: &PathBuf) -> Engine {
    // No automatic rewrite (the directory is measured as written), as in the script's
    // redis-server (`auto-aof-rewrite-percentage 0`).
    Engine::builder()
        .auto_aof_rewrite(AutoRewrite {
            percentage: 0,
            min_size: 0,
        })
        .open(dir, Fsync::EverySec)
        .unwrap_or_else(|e| {
            eprintln!("aof-load: {e}");
            exit(1)
        })
}

/// CPU time of the calling thread group's main thread, in seconds (0 where there is no
/// `/proc`).
fn main_thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(cmd), Some(dir)) = (args.first(), args.get(1)) else {
        usage()
    };
    let dir = PathBuf::from(dir);
    match cmd.as_str() {
        "open" => {
            let (t, cpu) = (Instant::now(), main_thread_cpu());
            let engine = open(&dir);
            let secs = t.elapsed().as_secs_f64();
            let cpu = main_thread_cpu() - cpu;
            let loaded = engine.aof_loaded().cloned().unwrap_or_default();
            let keys = std::env::var("KEYS").unwrap_or_else(|_| "s".into());
            let entries: u64 = keys.split(',').map(|k| engine.xlen(k).unwrap_or(0)).sum();
            if loaded.skipped > 0 {
                eprintln!(
                    "aof-load: {} commands skipped: {:?}",
                    loaded.skipped, loaded.first_skipped
                );
            }
            println!(
                "{secs:.3} {cpu:.3} {} {entries} {}",
                loaded.commands, loaded.bytes
            );
            std::mem::forget(engine);
        }
        "write" => {
            let n: u64 = args
                .get(2)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| usage());
            let key = args.get(3).map_or("s", String::as_str);
            let engine = open(&dir);
            for _ in 0..n {
                engine.xadd(key, &[("f", "v")]).expect("xadd");
            }
            // Dropping the engine flushes and syncs what is staged.
            drop(engine);
        }
        "rewrite" => {
            let engine = open(&dir);
            let base = engine.rewrite_aof().unwrap_or_else(|e| {
                eprintln!("aof-load: {e}");
                exit(1)
            });
            println!("{base}");
            std::mem::forget(engine);
        }
        _ => usage(),
    }
}
