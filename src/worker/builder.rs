//! [`WorkerBuilder`]: a worker's settings, with defaults an experienced user of Redis
//! Streams would pick.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::faults::{CrashPoint, FaultHook};
use super::Worker;
use crate::{GroupStart, WorkerOps};

/// How long a failed message waits before its retry: `initial`, doubling with each
/// further failure, at most `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub initial: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Backoff {
    /// Exponential backoff from `initial` up to `max`.
    pub fn exponential(initial: Duration, max: Duration) -> Backoff {
        Backoff { initial, max }
    }

    /// The same wait after every failure.
    pub fn fixed(wait: Duration) -> Backoff {
        Backoff {
            initial: wait,
            max: wait,
        }
    }

    /// The wait in ms after the `failures`-th failure (1-based).
    pub fn delay_ms(&self, failures: u64) -> u64 {
        let initial = ms(self.initial);
        let max = ms(self.max).max(initial);
        let shift = failures.saturating_sub(1).min(63) as u32;
        initial
            .checked_shl(shift)
            .filter(|d| *d >> shift == initial)
            .map_or(max, |d| d.min(max))
    }
}

impl Default for Backoff {
    /// 1 s, doubling, at most 5 minutes.
    fn default() -> Backoff {
        Backoff::exponential(Duration::from_secs(1), Duration::from_secs(300))
    }
}

pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A worker's settings (see the builder's methods for each).
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) stream: Bytes,
    pub(crate) group: Bytes,
    pub(crate) consumer: Bytes,
    pub(crate) start: GroupStart,
    pub(crate) concurrency: usize,
    pub(crate) batch: usize,
    pub(crate) block_ms: u64,
    pub(crate) handler_timeout_ms: Option<u64>,
    pub(crate) claim_idle_ms: u64,
    pub(crate) claim_interval_ms: u64,
    pub(crate) touch_interval_ms: u64,
    pub(crate) max_deliveries: u64,
    pub(crate) backoff: Backoff,
    pub(crate) dead_letter: Bytes,
    pub(crate) ordering_field: Option<Bytes>,
    pub(crate) shutdown_timeout_ms: u64,
    pub(crate) error_pause_ms: u64,
    pub(crate) delete_idle_consumers_ms: Option<u64>,
    pub(crate) idempotent_keep: Option<Duration>,
    pub(crate) idempotency_field: Option<Bytes>,
    pub(crate) faults: Option<FaultHook>,
}

/// Builds a [`Worker`] over `(backend, stream, group)`.
///
/// Defaults, chosen so that a first worker keeps going when some messages fail: a
/// consumer name unique to this process, 8 messages handled at once, batches of 16,
/// BLOCK 2 s, no handler timeout, reclaim entries idle 60 s (as the worker starts, then
/// every 10 s), keep own entries fresh every third of that idle time, retry a failed
/// message after [`Backoff::default`] (1 s, doubling, at most 5 min) — a message
/// waiting for its retry does not take one of the 8 places, so the others go on —
/// and dead-letter it after 5 deliveries into `<stream>:dead`, 30 s to finish
/// in-flight work on shutdown, group created at `0` (the whole stream) with MKSTREAM
/// if missing.
pub struct WorkerBuilder<S> {
    backend: S,
    cfg: Config,
    touch_set: bool,
}

fn default_consumer() -> Bytes {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    Bytes::from(format!(
        "brook-{}-{}-{n}",
        std::process::id(),
        brook_engine::precise_now_ms()
    ))
}

impl<S: WorkerOps + Clone + 'static> WorkerBuilder<S> {
    pub(crate) fn new(backend: S, stream: impl AsRef<[u8]>, group: impl AsRef<[u8]>) -> Self {
        let stream = Bytes::copy_from_slice(stream.as_ref());
        let mut dead = stream.to_vec();
        dead.extend_from_slice(b":dead");
        WorkerBuilder {
            backend,
            cfg: Config {
                stream,
                group: Bytes::copy_from_slice(group.as_ref()),
                consumer: default_consumer(),
                start: GroupStart::Id(crate::StreamId::MIN),
                concurrency: 8,
                batch: 16,
                block_ms: 2_000,
                handler_timeout_ms: None,
                claim_idle_ms: 60_000,
                claim_interval_ms: 10_000,
                touch_interval_ms: 20_000,
                max_deliveries: 5,
                backoff: Backoff::default(),
                dead_letter: Bytes::from(dead),
                ordering_field: None,
                shutdown_timeout_ms: 30_000,
                error_pause_ms: 100,
                delete_idle_consumers_ms: None,
                idempotent_keep: None,
                idempotency_field: None,
                faults: None,
            },
            touch_set: false,
        }
    }

    /// The consumer name. Give a worker a stable name (host and slot, a pod name) so
    /// that after a restart it first drains the entries it had pending; with the
    /// default, unique name another worker reclaims them after `claim_idle`.
    pub fn consumer(mut self, name: impl AsRef<[u8]>) -> Self {
        self.cfg.consumer = Bytes::copy_from_slice(name.as_ref());
        self
    }

    /// Where the group starts when the worker creates it (XGROUP CREATE … MKSTREAM):
    /// `GroupStart::Id(StreamId::MIN)` (the default) processes what the stream holds,
    /// `GroupStart::Last` only what is added later.
    pub fn start(mut self, start: GroupStart) -> Self {
        self.cfg.start = start;
        self
    }

    /// How many messages the worker handles at once (being handled, or queued behind
    /// their ordering key); at least 1. Default 8. A message waiting out a retry's
    /// backoff gives its place up while no more than this many are waiting (with
    /// per-key ordering it keeps it), so up to twice this many are held in all.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.cfg.concurrency = n.max(1);
        self
    }

    /// COUNT of each XREADGROUP and XAUTOCLAIM; at least 1.
    pub fn batch(mut self, n: usize) -> Self {
        self.cfg.batch = n.max(1);
        self
    }

    /// BLOCK of each XREADGROUP `>` (shutdown does not wait for it).
    pub fn block(mut self, d: Duration) -> Self {
        self.cfg.block_ms = ms(d).max(1);
        self
    }

    /// A handler running longer is cut off and counts as failed.
    pub fn handler_timeout(mut self, d: Duration) -> Self {
        self.cfg.handler_timeout_ms = Some(ms(d).max(1));
        self
    }

    /// Entries idle this long in another consumer's PEL are taken over (XAUTOCLAIM
    /// min-idle-time). Entries this worker holds are refreshed (touch-if-owner) every
    /// third of it unless [`WorkerBuilder::touch_interval`] says otherwise.
    pub fn claim_idle(mut self, d: Duration) -> Self {
        self.cfg.claim_idle_ms = ms(d).max(1);
        if !self.touch_set {
            self.cfg.touch_interval_ms = (self.cfg.claim_idle_ms / 3).max(1);
        }
        self
    }

    /// How often the worker runs a reclaim pass (XAUTOCLAIM from `0-0` to the end).
    pub fn claim_interval(mut self, d: Duration) -> Self {
        self.cfg.claim_interval_ms = ms(d).max(1);
        self
    }

    /// How often a held entry's idle time is reset with touch-if-owner.
    pub fn touch_interval(mut self, d: Duration) -> Self {
        self.cfg.touch_interval_ms = ms(d).max(1);
        self.touch_set = true;
        self
    }

    /// After the handler failed on the `n`-th delivery (or an entry arrives delivered
    /// more than `n` times) it goes to the dead-letter stream; at least 1.
    pub fn max_deliveries(mut self, n: u64) -> Self {
        self.cfg.max_deliveries = n.max(1);
        self
    }

    /// The wait before a retry.
    pub fn backoff(mut self, b: Backoff) -> Self {
        self.cfg.backoff = b;
        self
    }

    /// The dead-letter stream (default `<stream>:dead`; on a cluster it must share the
    /// stream's hash slot: name the stream `{orders}` and the default `{orders}:dead`
    /// does).
    pub fn dead_letter_stream(mut self, key: impl AsRef<[u8]>) -> Self {
        self.cfg.dead_letter = Bytes::copy_from_slice(key.as_ref());
        self
    }

    /// Messages with the same value in `field` are handled one at a time, in the order
    /// this worker received them (a retry holds back the messages behind it); messages
    /// without the field are not ordered. Within one worker only: entries another
    /// worker took are ordered by that worker.
    pub fn ordering_key(mut self, field: impl AsRef<[u8]>) -> Self {
        self.cfg.ordering_field = Some(Bytes::copy_from_slice(field.as_ref()));
        self
    }

    /// On shutdown, how long in-flight handlers may still run before they are cut off
    /// (their entries stay pending for other workers).
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.cfg.shutdown_timeout_ms = ms(d);
        self
    }

    /// The pause after a backend error before the worker tries again.
    pub fn error_pause(mut self, d: Duration) -> Self {
        self.cfg.error_pause_ms = ms(d).max(1);
        self
    }

    /// On each reclaim pass, delete other consumers of the group idle at least this
    /// long that own no pending entries (delete-consumer-if-empty, so nothing pending
    /// is ever dropped).
    pub fn delete_idle_consumers(mut self, after: Duration) -> Self {
        self.cfg.delete_idle_consumers_ms = Some(ms(after));
        self
    }

    /// Idempotent processing: each message's commit is mark-and-ack-if-new — its
    /// acknowledgement, a processed-marker kept for `keep`, and the handler's
    /// [`Effects`](super::Effects) in one atomic step — and a message whose marker
    /// exists is acknowledged without running the handler. Its effects on the backend
    /// then apply once per message even across crashes, reclaims and duplicate entries
    /// (as long as duplicates arrive within `keep`). Markers are strings named
    /// `<stream>:done:<group>:<key>` (see [`WorkerBuilder::idempotency_key`]).
    pub fn idempotent(mut self, keep: Duration) -> Self {
        self.cfg.idempotent_keep = Some(keep);
        self
    }

    /// What identifies a message for [`WorkerBuilder::idempotent`]: the value of
    /// `field` (an order number the producer sets, so an entry added twice counts
    /// once); by default, and for entries without the field, the entry ID.
    pub fn idempotency_key(mut self, field: impl AsRef<[u8]>) -> Self {
        self.cfg.idempotency_field = Some(Bytes::copy_from_slice(field.as_ref()));
        self
    }

    /// Fault injection for tests: the worker dies as a killed process would (no ack,
    /// no cleanup, in-flight work dropped) when `hook` returns true at a crash point.
    #[doc(hidden)]
    pub fn crash_when(
        mut self,
        hook: impl Fn(CrashPoint, crate::StreamId) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.cfg.faults = Some(Arc::new(hook));
        self
    }

    /// The worker.
    pub fn build(self) -> Worker<S> {
        Worker::new(self.backend, self.cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = Backoff::exponential(Duration::from_millis(100), Duration::from_millis(1000));
        let waits: Vec<u64> = (1..=6).map(|n| b.delay_ms(n)).collect();
        assert_eq!(waits, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.delay_ms(u64::MAX), 1000);
        assert_eq!(Backoff::fixed(Duration::from_millis(7)).delay_ms(9), 7);
        let huge = Backoff::exponential(Duration::from_secs(1 << 40), Duration::MAX);
        assert_eq!(huge.delay_ms(60), u64::MAX);
    }
}
