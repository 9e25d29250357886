//! What every handle of one [`crate::Engine`] shares: the keyspace and the readers
//! blocked on it behind the engine lock, the clock, the timer's wake-up and the
//! pub/sub hub. The handle (`engine.rs`), the blocking reads (`read_wait.rs`) and the
//! timer (`timer.rs`) all build on it; it knows none of them.

use crate::blocking::waiters::{Completions, Waiters};
use crate::handle::clock::{Clock, SystemClock};
use crate::keyspace::Keyspace;
use crate::sync::{AtomicBool, Condvar, Mutex, Ordering};

/// What the engine lock guards: the keyspace and the readers blocked on it.
pub(crate) struct State {
    pub(crate) ks: Keyspace,
    pub(crate) waiters: Waiters,
    /// `Engine::close` was called: blocking reads fail.
    pub(crate) closed: bool,
    /// A timer thread is running (system clock only).
    pub(crate) timer_running: bool,
}

impl State {
    /// Serves the readers of keys signalled by the command that just ran; the caller
    /// wakes them once it has released the lock.
    #[inline]
    pub(crate) fn after_write(&mut self, now: u64) -> Completions {
        if self.ks.signals_pending() {
            self.waiters.serve(&mut self.ks, now)
        } else {
            Completions::default()
        }
    }
}

pub(crate) struct Inner {
    pub(crate) state: Mutex<State>,
    /// `None`: the [`SystemClock`], called without dynamic dispatch on the hot path.
    pub(crate) clock: Option<std::sync::Arc<dyn Clock>>,
    /// Wakes the timer thread when an earlier deadline appears or the engine closes.
    pub(crate) timer: Condvar,
    /// The clock fires deadlines itself ([`Clock::on_advance`]): no timer thread.
    pub(crate) clock_fires: AtomicBool,
    /// How long a blocked reader spins before parking (see
    /// `EngineBuilder::wakeup_spin`).
    pub(crate) spin: core::time::Duration,
    /// The publish/subscribe hub.
    pub(crate) pubsub: std::sync::Arc<crate::pubsub::Shared>,
}

impl Inner {
    #[inline]
    pub(crate) fn now(&self) -> u64 {
        match &self.clock {
            Some(c) => c.now_ms(),
            None => SystemClock.now_ms(),
        }
    }

    pub(crate) fn clock_fires_deadlines(&self) -> bool {
        self.clock_fires.load(Ordering::Acquire)
    }

    pub(crate) fn set_clock_fires_deadlines(&self, fires: bool) {
        self.clock_fires.store(fires, Ordering::Release);
    }

    /// Fires due deadlines (a clock that moves when told calls this after each move).
    pub(crate) fn fire_due(&self, now: u64) {
        let done = {
            let mut st = self.state.lock();
            let st = &mut *st;
            st.waiters.fire_due(&mut st.ks, now)
        };
        done.deliver();
    }
}
