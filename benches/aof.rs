//! The durable engine's write rates, side by side in one run: XADD on the typed handle
//! in memory and with an append-only directory under each `appendfsync`, `always` with
//! 1 and 8 producers (group commit: writers waiting share a sync), and the baseline
//! group commit must beat — one `fdatasync` per write (a 100-byte record appended and
//! synced, 1 writer). Directories go under `BROOK_AOF_BENCH_DIR` (default the system's
//! temporary directory: measure on the disk you will use). Each row runs
//! `BROOK_AOF_BENCH_SECS` seconds (default 2). Run with `cargo bench --bench aof`.
#![allow(missing_docs)]

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use brook::engine::aof::Fsync;
use brook::Engine;

fn secs() -> Duration {
    Duration::from_secs_f64(
        std::env::var("BROOK_AOF_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2.0),
    )
}

fn base_dir() -> PathBuf {
    std::env::var("BROOK_AOF_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir())
        .join(format!("brook-aof-bench-{}", std::process::id()))
}

/// Writes per second by `producers` threads, each XADDing to its own stream for `secs`.
fn xadd_rate(engine: &Engine, producers: usize) -> f64 {
    let pad = "x".repeat(64);
    let stop = Instant::now() + secs();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..producers)
            .map(|p| {
                let (engine, pad) = (engine.clone(), pad.clone());
                s.spawn(move || {
                    let key = format!("s{p}");
                    let mut n = 0u64;
                    while Instant::now() < stop {
                        for _ in 0..16 {
                            engine.xadd(&key, &[("f", pad.as_str())]).expect("xadd");
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("producer"))
            .sum()
    });
    total as f64 / secs().as_secs_f64()
}

/// Records per second appended with one `fdatasync` each.
fn fsync_per_write(dir: &std::path::Path) -> f64 {
    let mut f = std::fs::File::create(dir.join("baseline")).expect("file");
    let rec = [b'x'; 100];
    let stop = Instant::now() + secs();
    let mut n = 0u64;
    while Instant::now() < stop {
        f.write_all(&rec).expect("write");
        f.sync_data().expect("sync");
        n += 1;
    }
    n as f64 / secs().as_secs_f64()
}

fn main() {
    let base = base_dir();
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).expect("bench dir");
    let mem = xadd_rate(&Engine::new(), 1);
    println!("{:<34} {:>12.0} /s", "XADD in memory", mem);
    for (name, fsync) in [
        ("everysec", Fsync::EverySec),
        ("no", Fsync::No),
        ("always", Fsync::Always),
    ] {
        let dir = base.join(name);
        let engine = Engine::builder().open(&dir, fsync).expect("open");
        let rate = xadd_rate(&engine, 1);
        println!(
            "{:<34} {:>12.0} /s  ({:.2} of in memory)",
            format!("XADD appendfsync {name}"),
            rate,
            rate / mem
        );
    }
    let baseline = fsync_per_write(&base);
    println!(
        "{:<34} {:>12.0} /s",
        "one fdatasync per write (baseline)", baseline
    );
    let dir = base.join("always-8");
    let engine = Engine::builder().open(&dir, Fsync::Always).expect("open");
    let eight = xadd_rate(&engine, 8);
    println!(
        "{:<34} {:>12.0} /s  ({:.1}x the baseline)",
        "XADD always, 8 producers",
        eight,
        eight / baseline
    );
    drop(engine);
    let _ = std::fs::remove_dir_all(&base);
}
