//! [`WorkerStats`]: what a worker has done so far, published on a watch channel so
//! tests and metrics can wait for a state instead of sleeping.

/// Counters of one worker since it started.
///
/// Every entry the worker removes from its pending list is counted once, by how it
/// left: [`acked`](Self::acked) (finished), [`dead_lettered`](Self::dead_lettered),
/// [`deleted_acked`](Self::deleted_acked) (its stream entry was gone) — or it leaves
/// the worker without being acknowledged: [`taken_over`](Self::taken_over) by another
/// consumer, or left pending (see [`WorkerReport::abandoned`]). Handler runs are
/// counted separately ([`succeeded`](Self::succeeded), [`failed`](Self::failed)): a
/// message may run more than once, or not at all (a duplicate).
///
/// [`WorkerReport::abandoned`]: super::WorkerReport::abandoned
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Entries read with XREADGROUP (`>` and the worker's own history), counted as the
    /// reply arrives; a retry's re-read of its own entry is not counted here.
    pub fetched: u64,
    /// Entries taken over from other consumers with XAUTOCLAIM, counted as the reply
    /// arrives.
    pub reclaimed: u64,
    /// Handler runs that returned `Ok` (within the timeout), counted as the handler
    /// returns, before the commit — a run whose commit then fails or finds a duplicate
    /// is still counted. Exported as `brook_worker_processed`.
    pub succeeded: u64,
    /// Handler runs that failed (an error, a panic or a timeout), counted as the run
    /// ends.
    pub failed: u64,
    /// Of the failures: panics.
    pub panicked: u64,
    /// Of the failures: runs cut off by the handler timeout.
    pub timed_out: u64,
    /// Retries started: incremented when, after its backoff, a failed message was
    /// taken again from this consumer's pending list.
    pub retried: u64,
    /// Entries moved to the dead-letter stream by this worker (acknowledged in the same
    /// step; not counted in `acked`).
    pub dead_lettered: u64,
    /// Entries this worker acknowledged as finished, whichever way the XACK went and
    /// whatever finished them: a handler's success (through the batched XACK, or
    /// committed with its writes in one MULTI, or with mark-and-ack-if-new in
    /// idempotent mode) or a duplicate in idempotent mode (spotted before the handler
    /// ran, or at commit time — both acknowledge the entry and both count here, as well
    /// as in `duplicates`). Incremented once the backend answered the XACK (or the
    /// commit) without error, whether or not the entry was still pending. Entries
    /// acknowledged by a dead-letter move or because their stream entry was deleted
    /// are counted in `dead_lettered` and `deleted_acked` instead.
    pub acked: u64,
    /// Messages whose processed-marker already existed (idempotent mode): acknowledged
    /// without running the handler, or committed without applying its writes. Each is
    /// also counted in `acked`.
    pub duplicates: u64,
    /// Writes of a commit that answered with an error (the rest were applied).
    pub effect_errors: u64,
    /// Pending IDs whose stream entry was deleted, acknowledged so the PEL does not leak
    /// (by the reclaimer, or as a retry found its entry gone).
    pub deleted_acked: u64,
    /// Messages this worker held that another consumer took over (it found it no
    /// longer owned them when it went to retry or dead-letter them), left to that
    /// consumer. Not lost data: the other consumer has them.
    pub taken_over: u64,
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
