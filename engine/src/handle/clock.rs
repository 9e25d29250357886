//! Time for the engine: one clock drives ID generation (`*`) and, later, idle times and
//! blocking timeouts.
//!
//! [`SystemClock`] reads the wall clock; [`ManualClock`] holds a time a test sets and
//! advances, so behaviour that depends on time is tested without sleeping.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::sync::{Arc, AtomicU64, Ordering};

/// A source of the current time in Unix milliseconds.
pub trait Clock: Send + Sync + core::fmt::Debug {
    /// The current time, in milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;

    /// For clocks that move only when told (like [`ManualClock`]): remembers `listener`
    /// and calls it with the new time after every move, until it returns `false`. The
    /// engine then fires due BLOCK timeouts and CLAIM wake-ups synchronously inside the
    /// move. The default (`false`: not supported) makes the engine run a timer thread
    /// that assumes the clock follows the wall clock's pace.
    fn on_advance(&self, listener: AdvanceListener) -> bool {
        let _ = listener;
        false
    }
}

/// What [`Clock::on_advance`] calls after the clock moved: `false` to unsubscribe.
pub type AdvanceListener = Box<dyn Fn(u64) -> bool + Send + Sync>;

/// The system's wall clock at millisecond resolution, the resolution of stream IDs.
///
/// Reading the OS clock costs 50–100 ns on many virtual machines — as much as a whole
/// XADD — so, like Redis, which caches its time per event-loop iteration, brook samples
/// the wall clock from one background thread every millisecond and a read is one atomic
/// load. The thread starts on first use and parks after a second without reads (the next
/// read then samples the clock itself and wakes it). [`precise_now_ms`] reads the OS
/// clock directly.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        ticker::now_ms()
    }
}

/// The wall clock read from the OS now, in Unix milliseconds.
pub fn precise_now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The shared millisecond ticker behind [`SystemClock`].
mod ticker {
    use std::sync::OnceLock;
    use std::thread::{self, Thread};
    use std::time::Duration;

    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    static NOW: AtomicU64 = AtomicU64::new(0);
    /// Set by readers, cleared by the ticker: "someone read the time lately".
    static READ: AtomicBool = AtomicBool::new(false);
    /// The ticker parked itself for lack of readers.
    static PARKED: AtomicBool = AtomicBool::new(false);
    static THREAD: OnceLock<Option<Thread>> = OnceLock::new();

    /// Ticks without a read before the ticker parks (about a second).
    const IDLE_TICKS: u32 = 1000;

    fn start() -> Option<Thread> {
        NOW.store(super::precise_now_ms(), Ordering::Release);
        thread::Builder::new()
            .name("brook-clock".into())
            .spawn(|| {
                let mut idle = 0;
                loop {
                    thread::sleep(Duration::from_millis(1));
                    NOW.store(super::precise_now_ms(), Ordering::Release);
                    if READ.swap(false, Ordering::AcqRel) {
                        idle = 0;
                    } else {
                        idle += 1;
                    }
                    if idle >= IDLE_TICKS {
                        PARKED.store(true, Ordering::Release);
                        // A reader that saw PARKED unparks us; an unpark that races
                        // ahead of this park makes it return at once.
                        while PARKED.load(Ordering::Acquire) {
                            thread::park();
                        }
                        idle = 0;
                    }
                }
            })
            .ok()
            .map(|h| h.thread().clone())
    }

    pub(super) fn now_ms() -> u64 {
        let Some(thread) = THREAD.get_or_init(start) else {
            // No thread could be started: read the clock every time.
            return super::precise_now_ms();
        };
        if PARKED.load(Ordering::Acquire) {
            NOW.store(super::precise_now_ms(), Ordering::Release);
            PARKED.store(false, Ordering::Release);
            thread.unpark();
        }
        if !READ.load(Ordering::Relaxed) {
            READ.store(true, Ordering::Relaxed);
        }
        NOW.load(Ordering::Acquire)
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
#[derive(Clone, Default)]
pub struct ManualClock {
    now: Arc<AtomicU64>,
    listeners: std::sync::Arc<std::sync::Mutex<Vec<AdvanceListener>>>,
}

impl core::fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now_ms())
            .finish_non_exhaustive()
    }
}

impl ManualClock {
    /// A clock showing `start_ms`.
    pub fn new(start_ms: u64) -> ManualClock {
        ManualClock {
            now: Arc::new(AtomicU64::new(start_ms)),
            listeners: Default::default(),
        }
    }

    /// Moves the clock forward by `ms` (saturating), then fires every engine deadline
    /// that is now due — BLOCK timeouts, CLAIM wake-ups — before returning. Do not call
    /// it from inside [`crate::Engine::with_keyspace`] (the engine lock is not
    /// re-entrant).
    pub fn advance(&self, ms: u64) {
        let _ = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(ms))
            });
        self.notify();
    }

    /// Sets the time (it may move backwards, as a wall clock can), then fires what is
    /// due, as [`ManualClock::advance`] does.
    pub fn set(&self, ms: u64) {
        self.now.store(ms, Ordering::SeqCst);
        self.notify();
    }

    fn notify(&self) {
        let now = self.now_ms();
        let mut listeners = self
            .listeners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        listeners.retain(|l| l(now));
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }

    fn on_advance(&self, listener: AdvanceListener) -> bool {
        self.listeners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(listener);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_follows_the_wall_clock() {
        let a = SystemClock.now_ms();
        let precise = precise_now_ms();
        assert!(
            precise.abs_diff(a) < 1000,
            "cached {a} vs precise {precise}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        let b = SystemClock.now_ms();
        assert!(b >= a + 10, "clock did not advance: {a} -> {b}");
    }
}
