//! The worker on every backend: the in-process engine on a manual clock (every
//! schedule — claim interval, backoff, touch, handler timeout — moves only when the test
//! advances the clock; no sleeps), and private Valkey 9.1 and Redis 7.0.15 servers with
//! short real intervals. Each case is written once against [`Env`].

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use brook::worker::{WorkerHandle, WorkerStats};
use brook::{Backend, ManualClock, Streams};
use brook_test_support::{ServerGuard, ServerKind};

use crate::worker_cases::WORKER_CASES;

/// A case's backend and its time.
pub struct Env {
    pub backend: Backend,
    /// `Some` on the engine: the clock every schedule runs on.
    pub clock: Option<ManualClock>,
    pub name: String,
}

/// A worker case's body.
pub type WorkerRun<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Virtual ms the manual clock moves per step while a case waits.
const STEP_MS: u64 = 10;
/// How long (virtual on the engine, real on a server) a wait may take.
const BUDGET: Duration = Duration::from_secs(60);

impl Env {
    /// Lets time pass (`ms` on the backend's clock) until `pred` holds for the worker's
    /// counters; panics with them when it does not within the budget.
    pub async fn until(
        &self,
        h: &WorkerHandle,
        what: &str,
        pred: impl Fn(&WorkerStats) -> bool,
    ) -> WorkerStats {
        let mut ok = false;
        self.eventually(what, || {
            ok = pred(&h.stats());
            async move { ok }
        })
        .await;
        h.stats()
    }

    /// Lets time pass until `check` answers true.
    pub async fn eventually<F: Future<Output = bool>>(
        &self,
        what: &str,
        mut check: impl FnMut() -> F,
    ) {
        match &self.clock {
            Some(clock) => {
                let steps = BUDGET.as_millis() as u64 / STEP_MS;
                for _ in 0..steps {
                    if check().await {
                        return;
                    }
                    clock.advance(STEP_MS);
                    // Give the worker's tasks (on other runtime threads) a moment to
                    // react to what the step fired.
                    for _ in 0..4 {
                        tokio::task::yield_now().await;
                    }
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
            }
            None => {
                let start = std::time::Instant::now();
                while start.elapsed() < BUDGET {
                    if check().await {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
        panic!("{}: timed out waiting for {what}", self.name);
    }

    /// Moves time on by `ms` (the manual clock, or real time on a server).
    pub async fn pass(&self, ms: u64) {
        match &self.clock {
            Some(clock) => {
                for _ in 0..ms / STEP_MS {
                    clock.advance(STEP_MS);
                    tokio::task::yield_now().await;
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                clock.advance(ms % STEP_MS);
            }
            None => tokio::time::sleep(Duration::from_millis(ms)).await,
        }
    }

    /// The number of entries pending in `group` of `key`.
    pub async fn pending(&self, key: &[u8], group: &[u8]) -> u64 {
        self.backend
            .xpending(key, group)
            .await
            .map(|s| s.count)
            .unwrap_or(u64::MAX)
    }
}

/// One case of the worker matrix.
pub struct WorkerCase {
    pub name: &'static str,
    pub body: for<'a> fn(&'a Env) -> WorkerRun<'a>,
}

/// Keeps the panics the cases' handlers raise on purpose (they contain "on purpose")
/// out of the output; every other panic is reported as usual.
fn quiet_planned_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if !text.contains("on purpose") {
            default(info);
        }
    }));
}

/// Runs every worker case on every backend; panics with the list of failures.
#[test]
fn worker_matrix() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let servers: Vec<ServerGuard> = ServerKind::ALL
        .into_iter()
        .filter_map(ServerGuard::start)
        .collect();
    // `brook serve` in this process, reached through brook-redis like a server.
    let serve = rt
        .block_on(brook_server::Server::start(
            brook_server::ServerConfig::default(),
        ))
        .expect("start brook serve");
    let serve_port = serve.local_addr().port();
    let only = std::env::var("BROOK_WORKER_CASE").ok();
    quiet_planned_panics();
    let mut failures = Vec::new();
    let mut runs = 0;
    for case in WORKER_CASES {
        if only.as_deref().is_some_and(|o| !case.name.contains(o)) {
            continue;
        }
        let mut targets: Vec<(String, String)> = vec![(
            "engine".into(),
            "mem://?clock=manual&start_ms=1000000".into(),
        )];
        for s in &servers {
            targets.push((
                s.kind().to_string(),
                format!("redis://127.0.0.1:{}/?protocol=resp3", s.port()),
            ));
        }
        targets.push((
            "brook serve".into(),
            format!("redis://127.0.0.1:{serve_port}/?protocol=resp3"),
        ));
        for (name, url) in targets {
            let started = std::time::Instant::now();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rt.block_on(async {
                    if url.starts_with("redis") {
                        crate::backends::flush(&url).await;
                    }
                    let backend = brook::connect(&url).await.expect("connect");
                    let env = Env {
                        clock: backend.manual_clock().cloned(),
                        backend,
                        name: format!("{} on {name}", case.name),
                    };
                    (case.body)(&env).await;
                })
            }));
            runs += 1;
            eprintln!(
                "worker: {} on {name}: {} in {:?}",
                case.name,
                if outcome.is_ok() { "ok" } else { "FAILED" },
                started.elapsed()
            );
            if let Err(panic) = outcome {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{} on {name}: {msg}", case.name));
            }
        }
    }
    eprintln!("worker: {runs} runs, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A server killed with SIGKILL and restarted from its AOF (`--appendonly yes`,
/// `--appendfsync always`) in the middle of a run: the worker (and the producer) ride
/// out the outage, every produced message is processed, and no acknowledged one comes
/// back pending.
#[test]
fn worker_survives_a_server_crash_with_aof() {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    use brook::worker::{Backoff, Message, Worker};
    use brook::XAddOptions;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for kind in ServerKind::ALL {
        let aof = ["--appendonly", "yes", "--appendfsync", "always"];
        let Some(server) = ServerGuard::start_with(kind, &aof) else {
            continue;
        };
        let url = format!("redis://127.0.0.1:{}/", server.port());
        rt.block_on(async {
            let backend = brook::connect(&url).await.expect("connect");
            let done: Arc<Mutex<HashSet<u64>>> = Arc::default();
            let d = done.clone();
            let h = Worker::builder(backend.clone(), "jobs", "g")
                .consumer("w")
                .concurrency(8)
                .block(Duration::from_millis(100))
                .claim_idle(Duration::from_millis(500))
                .claim_interval(Duration::from_millis(100))
                .backoff(Backoff::fixed(Duration::from_millis(20)))
                .error_pause(Duration::from_millis(50))
                .build()
                .spawn(move |m: Message| {
                    let n = m
                        .field("n")
                        .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok());
                    if let Some(n) = n {
                        d.lock().expect("lock").insert(n);
                    }
                    async { Ok(()) }
                });
            const TOTAL: u64 = 3000;
            let mut server = Some(server);
            let mut restarted = false;
            let mut produced = 0;
            while produced < TOTAL {
                // An outage: an add that failed is sent again — also one whose outcome
                // is unknown (it may have landed: then the message appears twice, which
                // the worker's at-least-once handling absorbs).
                let r = backend
                    .xadd_with(
                        b"jobs",
                        &XAddOptions::default(),
                        &[("n", produced.to_string())],
                    )
                    .await;
                match r {
                    Ok(_) => produced += 1,
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
                if produced == TOTAL / 2 && !restarted {
                    restarted = true;
                    let acked_before = h.stats().acked;
                    assert!(acked_before > 0, "the worker was running");
                    let s = server.take().expect("server");
                    server = Some(
                        tokio::task::spawn_blocking(move || s.crash_and_restart())
                            .await
                            .expect("restart"),
                    );
                }
            }
            let start = std::time::Instant::now();
            loop {
                let all = done.lock().expect("lock").len() as u64 == TOTAL;
                let pending = backend.xpending(b"jobs", b"g").await.map(|p| p.count);
                if all && pending == Ok(0) {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "{kind}: {} of {TOTAL} processed, pending {pending:?}, stats {:?}",
                    done.lock().expect("lock").len(),
                    h.stats()
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let report = h.shutdown().await.expect("shutdown");
            assert!(report.stats.errors > 0, "{kind}: the outage was seen");
            let len = backend.xlen(b"jobs").await.expect("xlen");
            assert!(len >= TOTAL, "{kind}: the AOF kept every entry ({len})");
            eprintln!(
                "worker: {kind} crash with AOF: {TOTAL} processed, {} errors ridden out",
                report.stats.errors
            );
            drop(server);
        });
    }
}
