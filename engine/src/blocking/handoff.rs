//! The hand-off slot of one blocked reader: the engine puts the read's outcome here
//! (under the engine lock, at the moment of the write that served it) and wakes the
//! reader, a thread waiting on the condition variable or a task through its waker.
//!
//! Lock order: the engine lock, then a slot's lock — never the other way round. A
//! reader waits holding only its slot's lock.

use core::task::{Context, Poll, Waker};

use crate::error::Error;
use crate::read::request::ReadOutput;
use crate::sync::{AtomicBool, Condvar, Mutex, Ordering};

/// The default of [`crate::EngineBuilder::wakeup_spin`]: how long a reader about to
/// park (a thread) or return `Pending` (a future) first spins for its outcome. Waking a
/// parked thread costs 10–50 µs on virtual machines (an idle core must be woken); a
/// hand-off within this window is seen in well under a microsecond. The same trade
/// crossbeam's channels make.
pub const DEFAULT_SPIN: core::time::Duration = core::time::Duration::from_micros(20);

/// How a blocked read ended.
pub(crate) type Outcome = Result<ReadOutput, Error>;

#[derive(Default)]
struct State {
    outcome: Option<Outcome>,
    waker: Option<Waker>,
}

/// One reader's slot.
#[derive(Default)]
pub(crate) struct Slot {
    state: Mutex<State>,
    ready: Condvar,
    /// Set once the outcome is stored (read without the lock while spinning).
    done: AtomicBool,
}

impl core::fmt::Debug for Slot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Slot").finish_non_exhaustive()
    }
}

impl Slot {
    pub(crate) fn new() -> Slot {
        Slot {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
            done: AtomicBool::new(false),
        }
    }

    /// Stores the outcome and wakes the reader (thread or task).
    pub(crate) fn complete(&self, outcome: Outcome) {
        let waker = {
            let mut st = self.state.lock();
            st.outcome = Some(outcome);
            self.done.store(true, Ordering::Release);
            st.waker.take()
        };
        self.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Blocks the calling thread until the outcome is there, and takes it, spinning
    /// up to `spin` first.
    pub(crate) fn wait(&self, spin: core::time::Duration) -> Outcome {
        self.spin(spin);
        let mut st = self.state.lock();
        loop {
            if let Some(o) = st.outcome.take() {
                return o;
            }
            st = self.ready.wait(st);
        }
    }

    /// Spins up to `budget` until the outcome is there (not under loom, which cannot
    /// model a busy loop).
    pub(crate) fn spin(&self, budget: core::time::Duration) {
        #[cfg(not(loom))]
        {
            if budget.is_zero() {
                return;
            }
            let start = std::time::Instant::now();
            loop {
                for _ in 0..64 {
                    if self.done.load(Ordering::Acquire) {
                        return;
                    }
                    core::hint::spin_loop();
                }
                if start.elapsed() >= budget {
                    return;
                }
            }
        }
        #[cfg(loom)]
        let _ = budget;
    }

    /// Takes the outcome if it is there; otherwise remembers the task's waker.
    pub(crate) fn poll(&self, cx: &mut Context<'_>) -> Poll<Outcome> {
        let mut st = self.state.lock();
        match st.outcome.take() {
            Some(o) => Poll::Ready(o),
            None => {
                match &st.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => st.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }

    /// Takes the outcome if it is there (a dropped reader's leftovers).
    pub(crate) fn take(&self) -> Option<Outcome> {
        self.state.lock().outcome.take()
    }
}
