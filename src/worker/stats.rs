//! [`WorkerStats`]: what a worker has done so far, published on a watch channel so
//! tests and metrics can wait for a state instead of sleeping.

/// Counters of one worker since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Entries read with XREADGROUP (`>` and the worker's own history).
    pub fetched: u64,
    /// Entries taken over from other consumers with XAUTOCLAIM.
    pub reclaimed: u64,
    /// Handler runs that succeeded.
    pub processed: u64,
    /// Handler runs that failed (errors, panics and timeouts).
    pub failed: u64,
    /// Of the failures: panics.
    pub panicked: u64,
    /// Of the failures: runs cut off by the handler timeout.
    pub timed_out: u64,
    /// Retries started after a backoff.
    pub retried: u64,
    /// Entries moved to the dead-letter stream by this worker.
    pub dead_lettered: u64,
    /// Entries acknowledged after success.
    pub acked: u64,
    /// Messages whose processed-marker already existed (idempotent mode): acknowledged
    /// without running the handler, or committed without applying its writes.
    pub duplicates: u64,
    /// Writes of a commit that answered with an error (the rest were applied).
    pub effect_errors: u64,
    /// Pending IDs whose stream entry was deleted, acknowledged so the PEL does not leak.
    pub deleted_acked: u64,
    /// Entries this worker was processing that another consumer took over.
    pub lost: u64,
    /// Retries waiting for their backoff right now. A retry is counted once its
    /// deadline is taken, so on a manual clock one `advance` past the backoff fires it.
    pub backing_off: u64,
    /// Messages handed to this worker's tasks and not finished: being handled, queued
    /// behind their ordering key, or waiting for a retry (which may go past
    /// `concurrency`: up to as many again wait for their retry without a slot).
    pub in_flight: u64,
    /// Backend errors the worker recovered from (it retries after a short pause).
    pub errors: u64,
    /// Completed XAUTOCLAIM passes (each follows the cursor to the end): one as the
    /// worker starts, then one every `claim_interval`.
    pub reclaim_passes: u64,
    /// Idle consumers without pending entries this worker deleted.
    pub consumers_deleted: u64,
    /// True once the worker reads new entries (`>`), after its own history.
    pub reading_new: bool,
}
