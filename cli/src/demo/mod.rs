//! `brook demo`: the whole story of a Redis Streams work queue, on the embedded engine
//! (or, with `--url redis://…`, the identical code on Redis).
//!
//! Producers add orders to `{orders}` (or `--key`); a group of three workers
//! (`billing`) processes them, each order's effect — its amount added to a revenue
//! ledger and a processed counter — committed together with its acknowledgement,
//! idempotently; one worker is killed mid-batch and the entries it held are reclaimed
//! by the others; a poison order fails, is retried and dead-lettered; a retention task
//! trims what every group has finished, so the stream stays small. A live line shows
//! progress; a final table shows processed, reclaimed, dead-lettered, lag and pending,
//! and the run checks the ledger: it exits non-zero if any order was lost or took
//! effect twice. Then it removes the keys it wrote (`--keep` keeps them) and says
//! which.

mod display;
mod orders;

use std::time::{Duration, Instant};

use brook::retention::{self, Retention};
use brook::worker::{Backoff, Worker, WorkerHandle, WorkerStats};
use brook::{Backend, Streams};

use display::{Progress, Summary};
use orders::{Keys, Orders, GROUP};

/// The whole story of a work queue, ending with a ledger check
///
/// Producers add orders, a group of workers processes them, one worker is killed and
/// its orders reclaimed, a poison order is retried and dead-lettered, retention keeps
/// the stream small. Ends with a table and a ledger check: exits 1 if any order was
/// lost or took effect twice. Then it removes the keys it wrote (the stream, its dead
/// letters, the ledger and the processed-markers) unless `--keep`.
#[derive(clap::Args)]
pub struct Args {
    /// mem:// (the embedded engine) or redis://host:port
    #[arg(long, value_name = "URL", default_value = "mem://")]
    url: String,
    /// How many orders (at least 100)
    #[arg(long, value_name = "N", default_value_t = 20_000,
          value_parser = clap::value_parser!(u64).range(100..))]
    orders: u64,
    /// Orders per second the producers aim at
    #[arg(long, value_name = "N", default_value_t = 8_000)]
    rate: u64,
    /// The stream; the other keys are named after it: NAME:dead, NAME:revenue,
    /// NAME:processed and NAME:done:billing:ORDER. Keys of these names are deleted
    /// first. On a cluster, keep a {hash tag} in NAME
    #[arg(long, value_name = "NAME", default_value = orders::STREAM)]
    key: String,
    /// Keep the keys the demo wrote instead of removing them at the end
    #[arg(long)]
    keep: bool,
}

/// Runs the demo; `Ok(false)` when the ledger shows a lost or doubled order.
pub fn run(args: Args) -> Result<bool, Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(story(args))
}

const WORKERS: [&str; 3] = ["billing-1", "billing-2", "billing-3"];

fn worker(backend: &Backend, keys: &Keys, name: &str) -> Worker<Backend> {
    Worker::builder(backend.clone(), keys.stream.as_str(), GROUP)
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
        .dead_letter_stream(keys.dead.as_str())
        .idempotent(Duration::from_secs(600))
        .idempotency_key("order")
        .shutdown_timeout(Duration::from_secs(5))
        .build()
}

fn sum(handles: &[&WorkerHandle]) -> WorkerStats {
    handles.iter().fold(WorkerStats::default(), |mut a, h| {
        let s = h.stats();
        a.succeeded += s.succeeded;
        a.acked += s.acked;
        a.reclaimed += s.reclaimed;
        a.dead_lettered += s.dead_lettered;
        a.failed += s.failed;
        a.retried += s.retried;
        a.duplicates += s.duplicates;
        a
    })
}

async fn story(opts: Args) -> Result<bool, Box<dyn std::error::Error>> {
    let backend = crate::connect(&opts.url).await?;
    let on = if opts.url.starts_with("mem://") {
        "the embedded engine".to_string()
    } else {
        opts.url.clone()
    };
    let orders = Orders::new(Keys::new(&opts.key), opts.orders);
    let keys = orders.keys();
    println!(
        "brook demo on {on}: {} orders into {}, group {GROUP}",
        opts.orders, keys.stream
    );
    orders.reset(&backend).await?;
    match play(&opts, &backend, &orders, &on).await {
        Ok(ok) => Ok(ok),
        Err(e) => {
            stopped_early(&opts, &backend, &orders, &on).await;
            Err(e)
        }
    }
}

/// The story after the keys are reset: produce, consume, crash a worker, settle, print
/// the summary, then remove the keys unless `--keep`.
async fn play(
    opts: &Args,
    backend: &Backend,
    orders: &Orders,
    on: &str,
) -> Result<bool, Box<dyn std::error::Error>> {
    let backend = backend.clone();
    let on = on.to_string();
    let keys = orders.keys();
    let stream = keys.stream.as_bytes();
    let retention = retention::spawn(
        backend.clone(),
        keys.stream.as_str(),
        vec![Retention::Safe { approx: false }],
        Duration::from_millis(100),
    );
    let mut live: Vec<WorkerHandle> = WORKERS
        .iter()
        .map(|n| worker(&backend, keys, n).spawn(orders.handler()))
        .collect();
    let started = Instant::now();
    let producers = orders.produce(&backend, opts.rate);
    let mut progress = Progress::new(opts.orders);
    let mut crashed: Option<WorkerHandle> = None;
    let mut max_len = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let all: Vec<&WorkerHandle> = live.iter().chain(crashed.iter()).collect();
        let stats = sum(&all);
        let len = backend.xlen(stream).await?;
        max_len = max_len.max(len);
        let pending = backend.xpending(stream, GROUP.as_bytes()).await?.count;
        let produced = orders.produced();
        progress.show(produced, &stats, pending, len);
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
        let dead = backend.xlen(keys.dead.as_bytes()).await.unwrap_or(0);
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
    for h in live {
        h.shutdown().await?;
    }
    retention.stop();
    let summary = Summary::read(&backend, orders, stats, max_len, started.elapsed()).await?;
    summary.print();
    let [stream, dead, revenue, done] = keys.all();
    let markers = format!("{stream}:done:{GROUP}:<order>");
    if opts.keep {
        println!(
            "\nkept on {on}: {stream} (group {GROUP}), {dead}, {revenue}, {done}, and a processed-marker per order ({markers}, expiring after 10 minutes)"
        );
    } else {
        let (removed, marked) = orders.remove(&backend).await?;
        println!(
            "\nremoved from {on}: {removed} keys ({stream}, {dead}, {revenue}, {done}) and {marked} processed-markers ({markers}); --keep keeps them"
        );
    }
    Ok(summary.ok())
}

/// After a failure mid-run: removes what the run wrote (unless `--keep`), or says what
/// may be left where, so no keys stay behind without a word.
async fn stopped_early(opts: &Args, backend: &Backend, orders: &Orders, on: &str) {
    let [stream, dead, revenue, done] = orders.keys().all();
    let markers = format!("{stream}:done:{GROUP}:<order>");
    if !opts.keep {
        let removal = tokio::time::timeout(Duration::from_secs(5), orders.remove(backend));
        if let Ok(Ok((removed, marked))) = removal.await {
            eprintln!(
                "brook demo stopped early; removed what it wrote from {on}: {removed} keys and {marked} processed-markers"
            );
            return;
        }
    }
    eprintln!(
        "brook demo stopped early; its keys may be left on {on}: {stream}, {dead}, {revenue}, {done} and processed-markers {markers} (expiring after 10 minutes); `brook demo --url {} --key {}` starts by deleting the four keys",
        opts.url, opts.key
    );
}
