//! The reliable worker: consume a stream through a consumer group, acknowledge on
//! success, reclaim what dead workers left behind, retry with backoff, dead-letter
//! poison messages, and shut down without losing anything — generic over the backend
//! ([`crate::WorkerOps`]), so the same worker runs on the engine and on Redis.
//!
//! ```no_run
//! use std::time::Duration;
//! use brook::worker::{Message, Worker};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let backend = brook::connect("mem://").await?;
//! let worker = Worker::builder(backend, "orders", "billing")
//!     .consumer("billing-1")
//!     .concurrency(8)
//!     .claim_idle(Duration::from_secs(60))
//!     .max_deliveries(5)
//!     .build();
//! let handle = worker.spawn(|msg: Message| async move {
//!     println!("order {} ({} deliveries)", msg.id, msg.deliveries);
//!     Ok(())
//! });
//! // … later:
//! let report = handle.shutdown().await?;
//! println!("{} handled and acknowledged", report.completed);
//! # Ok(()) }
//! ```
//!
//! How it works (each part in its own module):
//! - **fetching** (`fetch`): after a restart the consumer first drains its own pending
//!   entries (XREADGROUP from `0`), then reads `>` with BLOCK; a reclaimer runs
//!   XAUTOCLAIM as the worker starts and then `claim_interval` after each pass,
//!   following the cursor to the end, taking entries idle past `claim_idle` and
//!   acknowledging the IDs it reports deleted. Both fetch as many entries as the
//!   in-flight limit (`concurrency`) has room for, and each entry takes its slot as it
//!   is handed over, so a read blocked on `>` holds no slot. Delivery counts are
//!   Redis's own (XPENDING for history and reclaimed entries).
//! - **a task per message** (`task`): the handler runs with panics caught and an
//!   optional timeout; success queues the ID for a batched XACK; failure leaves the
//!   entry pending and, after a backoff (during which it gives up its slot, so other
//!   messages go on), takes it again from the consumer's own PEL
//!   (touch-if-owner, then a history read — one more delivery); once delivered
//!   `max_deliveries` times it moves to the dead-letter stream by ack-if-owner-then-add,
//!   so only its owner writes a dead letter, once. While held, the entry is refreshed by
//!   touch-if-owner every `touch_interval`, so a long handler is not reclaimed and a
//!   reclaimed entry is never taken back.
//! - **the coordinator** (`run`): per-key ordering, the in-flight limit, graceful
//!   shutdown (stop fetching, let handlers finish within `shutdown_timeout`, flush
//!   acknowledgements, delete the consumer only if it owns nothing pending).
//! - **time** comes from the backend ([`crate::StreamsClock::now_ms`],
//!   [`crate::StreamsClock::sleep_until`]): on
//!   `mem://?clock=manual` every schedule (claim interval, backoff, touch, handler
//!   timeout) moves with `ManualClock::advance`, so tests need no sleeps.
//!
//! ## Testing a worker on a manual clock
//! A schedule fires when the clock is moved past a deadline it has already taken, so
//! wait until it is taken, then move the clock once:
//! - [`WorkerHandle::ready`] answers once the group exists and the reclaimer and the
//!   toucher have taken their first deadlines; after it, one `advance` past
//!   `claim_interval` runs a reclaim pass (a worker also runs one as it starts);
//! - a failed message is counted in [`WorkerStats::backing_off`] once its retry's
//!   deadline is taken; after that, one `advance` past the backoff retries it;
//! - [`WorkerHandle::wait_for_timeout`] bounds each wait in real time, so a test whose
//!   condition never comes fails with the counters instead of hanging.
//!
//! ```no_run
//! use std::time::Duration;
//! use brook::worker::{Message, Worker};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let backend = brook::connect("mem://?clock=manual").await?;
//! let clock = backend.manual_clock().expect("clock=manual").clone();
//! // … entries that a dead worker left pending …
//! let worker = Worker::builder(backend, "orders", "billing")
//!     .claim_idle(Duration::from_secs(60))
//!     .build()
//!     .spawn(|_msg: Message| async { Ok(()) });
//! assert!(worker.ready().await);
//! clock.advance(70_000); // past claim_interval (10 s) and claim_idle (60 s)
//! let stats = worker
//!     .wait_for_timeout(Duration::from_secs(5), |s| s.reclaimed >= 1)
//!     .await?;
//! # let _ = stats; Ok(()) }
//! ```
//!
//! Delivery is at least once: a worker that dies between a handler's effect and the
//! acknowledgement leaves the entry pending, and it is processed again.

mod builder;
mod context;
mod dead_letter;
mod faults;
mod fetch;
mod handler;
mod message;
mod run;
mod stats;
mod task;

pub use builder::{Backoff, WorkerBuilder};
pub use dead_letter::{dead_letters, redrive, DeadLetter};
pub use faults::CrashPoint;
pub use handler::{BoxError, Handler};
pub use message::{Effects, Envelope, Message, HEADER_PREFIX, PAYLOAD_FIELD};
pub use stats::WorkerStats;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{Error, WorkerOps};

/// A configured worker; [`Worker::spawn`] or [`Worker::run_until`] starts it.
pub struct Worker<S> {
    backend: S,
    cfg: builder::Config,
    stats: watch::Sender<WorkerStats>,
    shutdown: watch::Sender<bool>,
    metrics: crate::metrics::WorkerMetrics,
    armed: watch::Sender<u8>,
}

/// What a worker did, returned when it stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerReport {
    /// Messages this worker finished: handled successfully (or found already handled,
    /// in idempotent mode) and acknowledged. Counted as each message's task ends; an
    /// acknowledgement sent through the batched XACK is flushed before the report is
    /// made, and one that failed leaves its entry pending (see `stats.errors`).
    pub completed: u64,
    /// Messages moved to the dead-letter stream.
    pub dead_lettered: u64,
    /// Messages another consumer took over while this one held them (same as
    /// `stats.taken_over`): not lost, that consumer has them.
    pub taken_over: u64,
    /// Messages left pending at shutdown (or after a backend error) for others.
    pub abandoned: u64,
    /// True when the consumer owned nothing pending at the end and was deleted.
    pub consumer_deleted: bool,
    /// The final counters.
    pub stats: WorkerStats,
}

/// Why a worker stopped without a graceful shutdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerError {
    /// The backend failed for good (e.g. the engine was closed, or the group could not
    /// be created).
    Backend(Error),
    /// A test's fault hook killed the worker at this point.
    Crashed(CrashPoint),
    /// A bug in the worker (a message task failed outside the handler).
    Internal(String),
}

impl std::fmt::Display for WorkerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkerError::Backend(e) => write!(f, "backend: {e}"),
            WorkerError::Crashed(p) => write!(f, "crashed at {p:?}"),
            WorkerError::Internal(e) => write!(f, "internal: {e}"),
        }
    }
}

impl std::error::Error for WorkerError {}

/// [`WorkerHandle::wait_for_timeout`] gave up: the condition did not hold in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitTimedOut {
    /// The counters when it gave up.
    pub stats: WorkerStats,
    /// True when the worker had stopped (the condition can no longer come).
    pub stopped: bool,
}

impl std::fmt::Display for WaitTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.stopped {
            write!(f, "the worker stopped first; counters: {:?}", self.stats)
        } else {
            write!(f, "timed out; counters: {:?}", self.stats)
        }
    }
}

impl std::error::Error for WaitTimedOut {}

impl<S: WorkerOps + Clone + 'static> Worker<S> {
    /// A builder for a worker consuming `stream` as a member of `group`.
    pub fn builder(
        backend: S,
        stream: impl AsRef<[u8]>,
        group: impl AsRef<[u8]>,
    ) -> WorkerBuilder<S> {
        WorkerBuilder::new(backend, stream, group)
    }

    fn new(backend: S, cfg: builder::Config) -> Worker<S> {
        let metrics =
            crate::metrics::WorkerMetrics::for_worker(&cfg.stream, &cfg.group, &cfg.consumer);
        Worker {
            backend,
            cfg,
            stats: watch::Sender::new(WorkerStats::default()),
            shutdown: watch::Sender::new(false),
            metrics,
            armed: watch::Sender::new(0),
        }
    }

    /// The consumer name this worker reads as.
    pub fn consumer(&self) -> &[u8] {
        &self.cfg.consumer
    }

    /// Starts the worker on the current tokio runtime.
    pub fn spawn<H: Handler>(self, handler: H) -> WorkerHandle {
        let stats = self.stats.subscribe();
        let armed = self.armed.subscribe();
        let shutdown = self.shutdown.clone();
        let names = (
            self.cfg.stream.clone(),
            self.cfg.group.clone(),
            self.cfg.consumer.clone(),
        );
        let metrics = self.metrics.clone();
        let join = tokio::spawn(self.run(handler));
        WorkerHandle {
            join,
            shutdown,
            stats,
            armed,
            names,
            metrics,
        }
    }
}

/// A running worker.
pub struct WorkerHandle {
    join: JoinHandle<Result<WorkerReport, WorkerError>>,
    shutdown: watch::Sender<bool>,
    stats: watch::Receiver<WorkerStats>,
    armed: watch::Receiver<u8>,
    names: (bytes::Bytes, bytes::Bytes, bytes::Bytes),
    metrics: crate::metrics::WorkerMetrics,
}

impl WorkerHandle {
    /// The stream, group and consumer the worker reads.
    pub fn names(&self) -> (&[u8], &[u8], &[u8]) {
        (&self.names.0, &self.names.1, &self.names.2)
    }

    /// A receiver of the counters, for code that watches them.
    pub fn stats_receiver(&self) -> watch::Receiver<WorkerStats> {
        self.stats.clone()
    }

    /// The worker's histograms (handler latency, delivery counts).
    pub fn metrics(&self) -> &crate::metrics::WorkerMetrics {
        &self.metrics
    }

    /// The counters now.
    pub fn stats(&self) -> WorkerStats {
        *self.stats.borrow()
    }

    /// Waits until the counters satisfy `pred` (or the worker has stopped); the
    /// counters then. In tests prefer [`WorkerHandle::wait_for_timeout`], which fails
    /// instead of hanging when the condition never comes.
    pub async fn wait_for(&self, mut pred: impl FnMut(&WorkerStats) -> bool) -> WorkerStats {
        let mut rx = self.stats.clone();
        if let Ok(s) = rx.wait_for(|s| pred(s)).await {
            return *s;
        }
        let last = *rx.borrow();
        last
    }

    /// [`WorkerHandle::wait_for`] for at most `timeout` of real time (tokio's timer,
    /// whatever clock the backend runs on): the counters once `pred` holds, or
    /// [`WaitTimedOut`] with the counters at the timeout. A worker that has stopped
    /// without `pred` holding also answers `Err`, at once.
    pub async fn wait_for_timeout(
        &self,
        timeout: std::time::Duration,
        mut pred: impl FnMut(&WorkerStats) -> bool,
    ) -> Result<WorkerStats, WaitTimedOut> {
        let mut rx = self.stats.clone();
        let waited = tokio::time::timeout(timeout, async {
            rx.wait_for(|s| pred(s)).await.map(|s| *s).ok()
        })
        .await;
        match waited {
            Ok(Some(stats)) => Ok(stats),
            // The counters' sender is gone: the worker has stopped.
            Ok(None) => Err(WaitTimedOut {
                stats: *self.stats.borrow(),
                stopped: true,
            }),
            Err(_) => Err(WaitTimedOut {
                stats: *self.stats.borrow(),
                stopped: self.join.is_finished(),
            }),
        }
    }

    /// Waits until the worker has started: its group exists and each of its periodic
    /// schedules (the reclaimer's `claim_interval`, the toucher's `touch_interval`)
    /// has taken its first deadline from the backend's clock. `true` then; `false` if
    /// the worker stopped first (say, its group could not be created). It does not
    /// wait for any message to be handled.
    ///
    /// On a manual clock, this is the point from which moving the clock fires those
    /// schedules: after `ready()`, one `advance` past `claim_interval` runs a reclaim
    /// pass, which takes every entry idle past `claim_idle` by then. (A worker also
    /// runs one pass as it starts, once it has taken back its own pending entries, so
    /// entries idle long enough before it started are taken without any advance.) A
    /// retry's backoff is armed before [`WorkerStats::backing_off`] counts it.
    pub async fn ready(&self) -> bool {
        let mut rx = self.armed.clone();
        let armed = rx
            .wait_for(|a| *a & context::ALL_SCHEDULES == context::ALL_SCHEDULES)
            .await
            .is_ok();
        armed
    }

    /// True once the worker has stopped.
    pub fn is_finished(&self) -> bool {
        self.join.is_finished()
    }

    /// Graceful shutdown: stop fetching, finish in-flight work (within the shutdown
    /// timeout), acknowledge, delete the consumer if it owns nothing pending.
    pub async fn shutdown(self) -> Result<WorkerReport, WorkerError> {
        // `send_replace`, not `send`: the worker's task may not have subscribed yet
        // (a shutdown right after `spawn`), and `send` drops a value nobody receives.
        self.shutdown.send_replace(true);
        self.join().await
    }

    /// Waits for the worker to stop on its own (a fatal error or a crash point).
    /// It answers once no task of the worker is left, not only its main one.
    pub async fn join(self) -> Result<WorkerReport, WorkerError> {
        let ended = match self.join.await {
            Ok(r) => r,
            Err(e) => Err(WorkerError::Internal(e.to_string())),
        };
        // Every task of the worker holds its context, and with it the counters'
        // sender: once that is gone, none is left — not even one an abort caught in
        // the middle of a step, which finishes that step before it stops.
        let mut stats = self.stats;
        while stats.changed().await.is_ok() {}
        ended
    }

    /// Kills the worker as a crashed process would die: no acknowledgement, no cleanup;
    /// its entries stay pending until reclaimed. The kill takes effect as the runtime
    /// gets to it: in a test, `handle.join().await` afterwards answers once nothing of
    /// the worker runs any more (so none of its timers fires on a later `advance`).
    pub fn abort(&self) {
        self.join.abort();
    }
}
