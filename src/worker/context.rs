//! What every part of a running worker shares: the backend, the settings, the stats
//! channel, the shutdown flag and the acknowledgement queue.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::builder::Config;
use super::faults::CrashPoint;
use super::stats::WorkerStats;
use crate::{Error, StreamId, WorkerOps};

pub(crate) struct Ctx<S> {
    pub(crate) backend: S,
    /// The in-flight limit (`concurrency`): a message holds one permit while it is
    /// fetched, queued or handled — not while it waits out a retry's backoff.
    pub(crate) slots: Arc<tokio::sync::Semaphore>,
    /// Places for messages waiting out a retry's backoff without a slot (as many as
    /// `concurrency`): beyond them a waiting message keeps its slot, so a worker whose
    /// handler fails every time holds at most twice its concurrency.
    pub(crate) retries: Arc<tokio::sync::Semaphore>,
    pub(crate) cfg: Config,
    pub(crate) stats: watch::Sender<WorkerStats>,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// IDs whose handler succeeded, for the acker to XACK in batches.
    pub(crate) acks: mpsc::UnboundedSender<StreamId>,
    /// Handler latency and delivery-count histograms.
    pub(crate) metrics: crate::metrics::WorkerMetrics,
    /// IDs the worker holds (fetched and waiting for a slot, running, backing off, or
    /// queued behind their key): what the toucher keeps fresh, and what a reclaim of
    /// our own must not duplicate.
    pub(crate) held: std::sync::Mutex<std::collections::HashSet<StreamId>>,
    /// Which periodic schedules ([`RECLAIM`], [`TOUCH`]) have taken their first
    /// deadline.
    pub(crate) armed: watch::Sender<u8>,
    /// Set once the reader has taken back this consumer's own pending entries (the
    /// start-up reclaim pass waits for it).
    pub(crate) history_done: watch::Sender<bool>,
}

/// The reclaimer's schedule, in [`Ctx::armed`].
pub(crate) const RECLAIM: u8 = 1;
/// The toucher's schedule, in [`Ctx::armed`].
pub(crate) const TOUCH: u8 = 2;
/// Every schedule [`WorkerHandle::ready`](super::WorkerHandle::ready) waits for.
pub(crate) const ALL_SCHEDULES: u8 = RECLAIM | TOUCH;

impl<S: WorkerOps> Ctx<S> {
    pub(crate) fn held(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<StreamId>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Updates the counters without waking watchers (a wake-up per update cost ~9% of
    /// a message's time); [`Ctx::publish`] wakes them, at the points where the worker's
    /// state settles (each coordinator step, each ack batch, each fetch, each error).
    pub(crate) fn stat(&self, f: impl FnOnce(&mut WorkerStats)) {
        self.stats.send_if_modified(|s| {
            f(s);
            false
        });
    }

    /// Wakes everyone watching the counters.
    pub(crate) fn publish(&self) {
        self.stats.send_modify(|_| {});
    }

    /// True when the test's fault hook says to die at `point`.
    pub(crate) fn crash(&self, point: CrashPoint, id: StreamId) -> bool {
        self.cfg.faults.as_ref().is_some_and(|f| f(point, id))
    }

    /// Waits `ms` on the backend's clock; `false` when shutdown came first (or the
    /// backend's timer is gone).
    pub(crate) async fn pause(&self, ms: u64) -> bool {
        self.sleep_until(self.deadline(ms)).await
    }

    /// `ms` from now on the backend's clock. A schedule is armed once its deadline is
    /// taken: a clock moved past it afterwards fires it, whenever the wait begins.
    pub(crate) fn deadline(&self, ms: u64) -> u64 {
        self.backend.now_ms().saturating_add(ms)
    }

    /// Records that a periodic schedule has taken its first deadline
    /// ([`WorkerHandle::ready`](super::WorkerHandle::ready) waits for all of them).
    pub(crate) fn arm(&self, schedule: u8) {
        self.armed.send_if_modified(|armed| {
            let was = *armed;
            *armed |= schedule;
            *armed != was
        });
    }

    /// Waits until the reader has taken back this consumer's own pending entries;
    /// `false` on shutdown.
    pub(crate) async fn history_done(&self) -> bool {
        let mut done = self.history_done.subscribe();
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            r = done.wait_for(|d| *d) => r.is_ok(),
            _ = shutdown.wait_for(|s| *s) => false,
        }
    }

    /// Takes a slot of the in-flight limit, waiting for one; `None` on shutdown.
    pub(crate) async fn slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            p = self.slots.clone().acquire_owned() => p.ok(),
            _ = shutdown.wait_for(|s| *s) => None,
        }
    }

    /// Waits until `deadline` on the backend's clock; `false` when shutdown came first
    /// (or the backend's timer is gone).
    pub(crate) async fn sleep_until(&self, deadline: u64) -> bool {
        let mut shutdown = self.shutdown.clone();
        if *shutdown.borrow() {
            return false;
        }
        tokio::select! {
            r = self.backend.sleep_until(deadline) => r.is_ok(),
            _ = shutdown.wait_for(|s| *s) => false,
        }
    }

    /// Counts a recoverable backend error and pauses; `false` when the worker must stop
    /// (shutdown, or the engine was closed).
    pub(crate) async fn recover(&self, e: &Error) -> bool {
        self.stat(|s| s.errors += 1);
        self.publish();
        if matches!(e, Error::EngineClosed) {
            return false;
        }
        self.pause(self.cfg.error_pause_ms).await
    }

    /// XGROUP CREATE … MKSTREAM, an existing group being fine.
    pub(crate) async fn ensure_group(&self) -> Result<(), Error> {
        match self
            .backend
            .xgroup_create(
                &self.cfg.stream,
                &self.cfg.group,
                self.cfg.start,
                true,
                None,
            )
            .await
        {
            Ok(()) | Err(Error::BusyGroup) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

pub(crate) type Shared<S> = Arc<Ctx<S>>;
