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
//!
//! With `--data DIR` the demo runs on the durable engine in `DIR` and resumes there:
//! the directory records the run (`NAME:run`) and how many orders each producer has
//! added (`NAME:producer:0` and `:1`, counted in the same MULTI/EXEC as each XADD), so
//! a demo killed midway and started again with the same `--data` adds only the orders
//! still missing, its workers take back or reclaim what the killed run left pending,
//! the idempotent commits keep processed orders from taking effect again, and the
//! final check counts every run. The keys stay.

mod display;
mod orders;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use brook::retention::{self, Retention};
use brook::worker::{Backoff, Worker, WorkerHandle, WorkerStats};
use brook::{Backend, Streams};

use display::{Progress, Summary};
use orders::{Keys, Orders, Record, GROUP};

/// The whole story of a work queue, ending with a ledger check
///
/// Producers add orders, a group of workers processes them, one worker is killed and
/// its orders reclaimed, a poison order is retried and dead-lettered, retention keeps
/// the stream small. Ends with a table and a ledger check: exits 1 if any order was
/// lost or took effect twice. Then it removes the keys it wrote (the stream, its dead
/// letters, the ledger and the processed-markers) unless `--keep`.
///
/// With `--data DIR` it runs on the durable engine in DIR and resumes there after a
/// kill, keeping its keys.
#[derive(clap::Args)]
pub struct Args {
    /// mem:// (the embedded engine) or redis://host:port
    #[arg(long, value_name = "URL", default_value = "mem://")]
    url: String,
    /// Run on the durable embedded engine in DIR (mem://?dir=DIR&appendfsync=everysec,
    /// created if missing; not with another --url) and resume there: started again
    /// after a kill, the demo goes on with the run DIR holds — orders already added are
    /// not added again, processed ones take no effect again, the killed run's pending
    /// entries are reclaimed — and the final check counts every run. The keys stay
    /// (--keep implied); started on a finished run, it checks that run's ledger,
    /// removes its keys and starts a new run
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// How many orders (at least 100)
    #[arg(long, value_name = "N", default_value_t = 20_000,
          value_parser = clap::value_parser!(u64).range(100..))]
    orders: u64,
    /// Orders per second the producers aim at
    #[arg(long, value_name = "N", default_value_t = 8_000)]
    rate: u64,
    /// The stream; the other keys are named after it: NAME:dead, NAME:revenue,
    /// NAME:processed and NAME:done:billing:ORDER (with --data also NAME:run and
    /// NAME:producer:0 and :1). Keys of these names are deleted first (unless --data
    /// resumes a run). On a cluster, keep a {hash tag} in NAME
    #[arg(long, value_name = "NAME", default_value = orders::STREAM)]
    key: String,
    /// Keep the keys the demo wrote instead of removing them at the end
    #[arg(long)]
    keep: bool,
}

impl Args {
    /// Options that cannot go together: `--data` with a `--url` other than the
    /// default `mem://` (`--data` is the URL).
    pub fn conflict(&self) -> Option<String> {
        let dir = self.data.as_ref()?;
        (self.url != "mem://").then(|| {
            format!(
                "--data {} runs on the durable embedded engine in that directory \
                 (mem://?dir=…&appendfsync=everysec); it cannot be used with --url {}",
                dir.display(),
                self.url
            )
        })
    }
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

/// The durable engine in `dir` (what `mem://?dir=DIR&appendfsync=everysec` opens;
/// opened here so any path works, `&` and `?` in it too).
fn open_durable(dir: &Path) -> Result<Backend, Box<dyn std::error::Error>> {
    let engine = brook::Engine::builder()
        .open(dir, brook::engine::aof::Fsync::EverySec)
        .map_err(|e| format!("cannot open --data {}: {e}", dir.display()))?;
    Ok(Backend::mem(engine, None))
}

async fn story(opts: Args) -> Result<bool, Box<dyn std::error::Error>> {
    let (backend, on) = match &opts.data {
        Some(dir) => (
            open_durable(dir)?,
            format!("the durable embedded engine in {}", dir.display()),
        ),
        None if opts.url.starts_with("mem://") => (
            crate::connect(&opts.url).await?,
            "the embedded engine".to_string(),
        ),
        None => (crate::connect(&opts.url).await?, opts.url.clone()),
    };
    let (orders, found) = match &opts.data {
        Some(dir) => durable_orders(&opts, dir, &backend).await?,
        None => {
            let orders = Orders::new(Keys::new(&opts.key), opts.orders, false);
            orders.reset(&backend).await?;
            (orders, None)
        }
    };
    let keys = orders.keys();
    println!(
        "brook demo on {on}: {} orders into {}, group {GROUP}",
        orders.total(),
        keys.stream
    );
    if let Some(found) = found {
        println!("{found}");
    }
    match play(&opts, &backend, &orders, &on).await {
        Ok(ok) => Ok(ok),
        Err(e) => {
            stopped_early(&opts, &backend, &orders, &on).await;
            Err(e)
        }
    }
}

/// With `--data`: the unfinished run `dir` holds, resumed; otherwise a new run,
/// recorded (after a finished one's ledger is checked and its keys removed). With a
/// line saying what `dir` held, if anything.
async fn durable_orders(
    opts: &Args,
    dir: &Path,
    backend: &Backend,
) -> Result<(Orders, Option<String>), Box<dyn std::error::Error>> {
    let keys = Keys::new(&opts.key);
    match Orders::recorded(backend, &keys).await? {
        Some(
            r @ Record {
                finished: false, ..
            },
        ) => {
            let orders = Orders::resume(backend, keys, r).await?;
            let keys = orders.keys();
            let (committed, _) = orders.ledger(backend).await?;
            let pending = match backend
                .xpending(keys.stream.as_bytes(), GROUP.as_bytes())
                .await
            {
                Ok(p) => p.count,
                Err(_) => 0, // no group yet: the killed run had not started its workers
            };
            let ignored = if opts.orders == r.total {
                String::new()
            } else {
                format!(" (its {} orders, not --orders {})", r.total, opts.orders)
            };
            let found = format!(
                "resuming the run in {}{ignored}: {} of {} orders already added, {committed} committed, {pending} pending from the run that stopped",
                dir.display(),
                orders.produced(),
                r.total,
            );
            Ok((orders, Some(found)))
        }
        recorded => {
            let mut found = None;
            if let Some(r) = recorded {
                let old = Orders::resume(backend, keys, r).await?;
                let (committed, revenue) = old.ledger(backend).await?;
                let (want, want_revenue) = old.expected();
                let verdict = if (committed, revenue) == (want, want_revenue) {
                    "ledger ok"
                } else {
                    "LEDGER MISMATCH"
                };
                let (removed, marked) = old.remove(backend).await?;
                found = Some(format!(
                    "{} holds a finished run: {committed} of {want} orders committed, revenue {revenue} (expected {want_revenue}), {verdict}; removed its {removed} keys and {marked} processed-markers, starting a new run",
                    dir.display()
                ));
            }
            let orders = Orders::new(Keys::new(&opts.key), opts.orders, true);
            orders.reset(backend).await?;
            orders.write_record(backend, false).await?;
            Ok((orders, found))
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
    let total = orders.total();
    let producers = orders.produce(&backend, opts.rate);
    let mut progress = Progress::new(total);
    let mut crashed: Option<WorkerHandle> = None;
    let mut max_len = 0;
    let settled = loop {
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
        let due =
            produced >= total / 3 && holding >= 3 || produced >= total * 2 / 3 && holding >= 1;
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
        if produced == total && pending == 0 && dead >= 1 && orders.settled(&backend).await? {
            break true;
        }
        if started.elapsed() > Duration::from_secs(300) {
            progress.note("gave up waiting after 5 minutes");
            break false;
        }
    };
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
    if let Some(dir) = &opts.data {
        if settled {
            orders.write_record(&backend, true).await?;
        }
        if !on_disk(&backend).await {
            println!("\n(the last writes were not yet on disk after 3 s: a new start may resume this run)");
        }
        let [run, p0, p1] = keys.durable();
        let dir = dir.display();
        println!(
            "\nkept in {dir}: {stream} (group {GROUP}), {dead}, {revenue}, {done}, {run}, {p0}, {p1}, and a processed-marker per order ({markers}, expiring after 10 minutes); `brook stats --url 'mem://?dir={dir}' {stream}` reads them, `brook demo --data {dir}` {}",
            if settled {
                "checks this run again and starts a new one"
            } else {
                "resumes this run"
            }
        );
    } else if opts.keep {
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

/// Waits (at most 3 s) until what the durable engine staged is written and synced —
/// under `everysec`, up to a second. The engine writes it when it closes, but it may
/// close after `main` returns: its timer thread, waiting out the deadline of a
/// blocked read the workers' shutdown cancelled, holds it up to a second after the
/// last handle is dropped, and a process that exits first takes the bytes not yet
/// written with it (a finished run's record, say: seen 1 run in 12 under load).
/// False on a timeout or a write failure.
async fn on_disk(backend: &Backend) -> bool {
    let Some(engine) = backend.engine() else {
        return true;
    };
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        match engine.aof_progress() {
            None => return true,
            Some((_, _, _, Some(_failure))) => return false,
            Some((_, staged, synced, None)) if synced >= staged => return true,
            Some(_) if Instant::now() >= deadline => return false,
            Some(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// After a failure mid-run: removes what the run wrote (unless `--keep`), or says what
/// may be left where, so no keys stay behind without a word.
async fn stopped_early(opts: &Args, backend: &Backend, orders: &Orders, on: &str) {
    let [stream, dead, revenue, done] = orders.keys().all();
    let markers = format!("{stream}:done:{GROUP}:<order>");
    if let Some(dir) = &opts.data {
        eprintln!(
            "brook demo stopped early; what it wrote stays in {}: `brook demo --data {}` resumes the run",
            dir.display(),
            dir.display()
        );
        return;
    }
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
