//! `brook demo`: the whole story of a Redis Streams work queue, on the embedded engine
//! (or, with `--url redis://…`, the identical code on Redis).
//!
//! Producers add orders to `{orders}`; a group of three workers (`billing`) processes
//! them, each order's effect — its amount added to a revenue ledger and a processed
//! counter — committed together with its acknowledgement, idempotently; one worker is
//! killed mid-batch and the entries it held are reclaimed by the others; a poison order
//! fails, is retried and dead-lettered; a retention task trims what every group has
//! finished, so the stream stays small. A live line shows progress; a final table shows
//! processed, reclaimed, dead-lettered, lag and pending, and the run checks the ledger:
//! it exits non-zero if any order was lost or took effect twice.

mod display;
mod orders;

use std::time::{Duration, Instant};

use brook::retention::{self, Retention};
use brook::worker::{Backoff, Worker, WorkerHandle, WorkerStats};
use brook::{Backend, Streams};

use display::{Progress, Summary};
use orders::{Orders, DEAD, GROUP, STREAM};

/// `brook demo` options.
struct Options {
    url: String,
    orders: u64,
    rate: u64,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        url: "mem://".into(),
        orders: 20_000,
        rate: 8_000,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--url" => o.url = value("--url")?,
            "--orders" => {
                o.orders = value("--orders")?
                    .parse()
                    .map_err(|_| "--orders needs a number")?;
            }
            "--rate" => {
                o.rate = value("--rate")?
                    .parse()
                    .map_err(|_| "--rate needs a number (orders per second)")?;
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    if o.orders < 100 {
        return Err("--orders must be at least 100".into());
    }
    Ok(o)
}

/// Runs the demo; `Ok(false)` when the ledger shows a lost or doubled order.
pub fn run(args: &[String]) -> Result<bool, Box<dyn std::error::Error>> {
    let opts = parse(args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(story(opts))
}

const WORKERS: [&str; 3] = ["billing-1", "billing-2", "billing-3"];

fn worker(backend: &Backend, name: &str) -> Worker<Backend> {
    Worker::builder(backend.clone(), STREAM, GROUP)
        .consumer(name)
        .concurrency(16)
        .batch(64)
        .block(Duration::from_millis(200))
        .claim_idle(Duration::from_millis(1_000))
        .claim_interval(Duration::from_millis(250))
        .max_deliveries(3)
        .backoff(Backoff::exponential(
            Duration::from_millis(50),
            Duration::from_millis(400),
        ))
        .dead_letter_stream(DEAD)
        .idempotent(Duration::from_secs(600))
        .idempotency_key("order")
        .shutdown_timeout(Duration::from_secs(5))
        .build()
}

fn sum(handles: &[&WorkerHandle]) -> WorkerStats {
    handles.iter().fold(WorkerStats::default(), |mut a, h| {
        let s = h.stats();
        a.processed += s.processed;
        a.acked += s.acked;
        a.reclaimed += s.reclaimed;
        a.dead_lettered += s.dead_lettered;
        a.failed += s.failed;
        a.retried += s.retried;
        a.duplicates += s.duplicates;
        a
    })
}

async fn story(opts: Options) -> Result<bool, Box<dyn std::error::Error>> {
    let backend = brook::connect(&opts.url).await?;
    let on = if opts.url.starts_with("mem://") {
        "the embedded engine".to_string()
    } else {
        opts.url.clone()
    };
    println!(
        "brook demo on {on}: {} orders into {STREAM}, group {GROUP}",
        opts.orders
    );
    let orders = Orders::new(opts.orders);
    orders.reset(&backend).await?;
    let retention = retention::spawn(
        backend.clone(),
        STREAM,
        vec![Retention::Safe { approx: false }],
        Duration::from_millis(100),
    );
    let mut live: Vec<WorkerHandle> = WORKERS
        .iter()
        .map(|n| worker(&backend, n).spawn(orders.handler()))
        .collect();
    let started = Instant::now();
    let producers = orders.produce(&backend, opts.rate);
    let mut progress = Progress::new();
    let mut crashed: Option<WorkerHandle> = None;
    let mut max_len = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let all: Vec<&WorkerHandle> = live.iter().chain(crashed.iter()).collect();
        let stats = sum(&all);
        let len = backend.xlen(STREAM.as_bytes()).await?;
        max_len = max_len.max(len);
        let pending = backend
            .xpending(STREAM.as_bytes(), GROUP.as_bytes())
            .await?
            .count;
        let produced = orders.produced();
        progress.show(produced, opts.orders, &stats, pending, len);
        // A third of the way in, billing-2 dies holding a batch (by two thirds, holding
        // anything).
        let holding = live.get(1).map_or(0, |w| w.stats().in_flight);
        let due = produced >= opts.orders / 3 && holding >= 3
            || produced >= opts.orders * 2 / 3 && holding >= 1;
        if crashed.is_none() && due {
            let victim = live.remove(1);
            let held = victim.stats().in_flight;
            victim.abort();
            progress.note(&format!(
                "billing-2 killed while holding about {held} orders; the others reclaim them once idle 1 s"
            ));
            crashed = Some(victim);
        }
        let dead = backend.xlen(DEAD.as_bytes()).await.unwrap_or(0);
        if produced == opts.orders && pending == 0 && dead >= 1 && orders.settled(&backend).await? {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            progress.note("gave up waiting after 5 minutes");
            break;
        }
    }
    producers.await?;
    progress.finish();
    let all: Vec<&WorkerHandle> = live.iter().chain(crashed.iter()).collect();
    let stats = sum(&all);
    let mut reports = Vec::new();
    for h in live {
        reports.push(h.shutdown().await?);
    }
    retention.stop();
    let summary = Summary::read(&backend, &orders, stats, max_len, started.elapsed()).await?;
    summary.print();
    Ok(summary.ok())
}
