//! How the timer thread is woken without holding the engine (see `timer`).

/// Wakes the timer thread: a count bumped under a small lock of its own, so that the
/// thread waits holding neither the engine lock nor the engine itself (a dropped
/// engine is gone at once, its directory unlocked, not after the timer's wait).
#[derive(Debug, Default)]
pub(crate) struct TimerSignal {
    wakes: std::sync::Mutex<u64>,
    cv: std::sync::Condvar,
}

impl TimerSignal {
    fn wakes(&self) -> std::sync::MutexGuard<'_, u64> {
        self.wakes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wakes the thread (a new deadline, a closed or dropped engine).
    pub(crate) fn notify_all(&self) {
        *self.wakes() += 1;
        self.cv.notify_all();
    }

    /// How many wakes there have been (read under the engine lock before a wait).
    #[cfg(not(loom))]
    pub(crate) fn seen(&self) -> u64 {
        *self.wakes()
    }

    /// Waits up to `timeout` unless a wake came after `seen`.
    #[cfg(not(loom))]
    pub(crate) fn wait(&self, seen: u64, timeout: std::time::Duration) {
        let wakes = self.wakes();
        let _ = self.cv.wait_timeout_while(wakes, timeout, |w| *w == seen);
    }
}
