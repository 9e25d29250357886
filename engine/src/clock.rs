//! Time for the engine: one clock drives ID generation (`*`) and, later, idle times and
//! blocking timeouts.
//!
//! [`SystemClock`] reads the wall clock; [`ManualClock`] holds a time a test sets and
//! advances, so behaviour that depends on time is tested without sleeping.

use crate::sync::{Arc, AtomicU64, Ordering};

/// A source of the current time in Unix milliseconds.
pub trait Clock: Send + Sync + core::fmt::Debug {
    /// The current time, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The system's wall clock (`SystemTime::now`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A clock that only moves when told to. Clones share the same time.
///
/// ```
/// use brook_engine::{Clock, Engine, ManualClock, StreamId};
///
/// let clock = ManualClock::new(1_000);
/// let engine = Engine::builder().clock(clock.clone()).build();
/// assert_eq!(engine.xadd("s", &[("f", "v")]).unwrap(), StreamId::new(1_000, 0));
/// clock.advance(5);
/// assert_eq!(engine.xadd("s", &[("f", "v")]).unwrap(), StreamId::new(1_005, 0));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    now: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock showing `start_ms`.
    pub fn new(start_ms: u64) -> ManualClock {
        ManualClock {
            now: Arc::new(AtomicU64::new(start_ms)),
        }
    }

    /// Moves the clock forward by `ms` (saturating).
    pub fn advance(&self, ms: u64) {
        let _ = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(ms))
            });
    }

    /// Sets the time (it may move backwards, as a wall clock can).
    pub fn set(&self, ms: u64) {
        self.now.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}
