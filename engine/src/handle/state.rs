//! What every handle of one [`crate::Engine`] shares: the keyspace and the readers
//! blocked on it behind the engine lock, the clock, the timer's wake-up and the
//! pub/sub hub. The handle (`engine.rs`), the blocking reads (`read_wait.rs`) and the
//! timer (`timer.rs`) all build on it; it knows none of them.

use crate::blocking::waiters::{Completions, Waiters};
use crate::handle::clock::{Clock, SystemClock};
use crate::keyspace::Keyspace;
use crate::sync::{AtomicBool, Mutex, MutexGuard, Ordering};

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
    pub(crate) timer: std::sync::Arc<crate::handle::timer_signal::TimerSignal>,
    /// The clock fires deadlines itself ([`Clock::on_advance`]): no timer thread.
    pub(crate) clock_fires: AtomicBool,
    /// How long a blocked reader spins before parking (see
    /// `EngineBuilder::wakeup_spin`).
    pub(crate) spin: core::time::Duration,
    /// The publish/subscribe hub.
    pub(crate) pubsub: std::sync::Arc<crate::pubsub::Shared>,
    /// The append-only directory the keyspace's effects go to, when the engine is
    /// durable (shared by the engines of one server's databases).
    #[cfg(not(loom))]
    pub(crate) aof: Option<std::sync::Arc<Durable>>,
    /// The database this engine is in that directory (`SELECT n`).
    #[cfg(not(loom))]
    pub(crate) db: usize,
}

/// One append-only directory and the engines (one per database) that append to it;
/// its methods, and what users call, are in `handle/durable.rs`.
#[cfg(not(loom))]
pub(crate) struct Durable {
    /// The incremental file being appended to.
    pub(crate) appender: crate::aof::appender::Appender,
    /// The directory: manifest, lock, rewrites.
    pub(crate) dir: crate::aof::rewrite::AofDir,
    /// The engines, by database: what a rewrite copies.
    pub(crate) engines: std::sync::OnceLock<alloc::vec::Vec<std::sync::Weak<Inner>>>,
}

impl Drop for Inner {
    /// The timer thread, if it waits, finds the engine gone at once.
    fn drop(&mut self) {
        self.timer.notify_all();
    }
}

impl Inner {
    /// Stages the effects `st`'s keyspace recorded since the last call on the
    /// append-only file (the caller holds the engine lock: the file's order is the
    /// engine's); the ticket to wait for, when there were any.
    #[inline]
    pub(crate) fn stage(&self, st: &mut State) -> Option<u64> {
        #[cfg(not(loom))]
        {
            let aof = self.aof.as_ref()?;
            let effects = st.ks.take_effects();
            let ticket = aof.appender.stage(self.db, &effects);
            if let Some(t) = ticket {
                if aof.dir.due(t) {
                    aof.start_due_rewrite();
                }
            }
            ticket
        }
        #[cfg(loom)]
        {
            let _ = st;
            None
        }
    }

    /// Takes the engine lock.
    #[inline]
    pub(crate) fn lock(&self) -> Locked<'_> {
        let mut st = self.state.lock();
        self.sync_refusal(&mut st);
        Locked { st, inner: self }
    }

    /// Refuses writes while the append-only file cannot be written, with Redis's
    /// `MISCONF` error, and accepts them again once a write succeeds (read before each
    /// command, under the lock).
    #[inline]
    pub(crate) fn sync_refusal(&self, st: &mut State) {
        #[cfg(not(loom))]
        if let Some(aof) = &self.aof {
            let failed = aof.appender.failed();
            if failed != st.ks.writes_refused().is_some() {
                let error = failed.then(|| {
                    let why = aof.appender.failure().unwrap_or_default();
                    crate::error::Error::Server(bytes::Bytes::from(alloc::format!(
                        "MISCONF Errors writing to the AOF file: {why}"
                    )))
                });
                st.ks.refuse_writes(error);
            }
        }
        #[cfg(loom)]
        let _ = st;
    }

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
            let mut st = self.lock();
            let st = &mut *st;
            st.waiters.fire_due(&mut st.ks, now)
        };
        done.deliver();
    }
}

/// The engine lock held: the state, whose recorded effects are staged on the
/// append-only file when the lock is let go — whichever path took it.
pub(crate) struct Locked<'a> {
    st: MutexGuard<'a, State>,
    inner: &'a Inner,
}

impl Locked<'_> {
    /// Stages the effects the keyspace recorded since the last call on the
    /// append-only file (under the lock: the file's order is the engine's); the ticket
    /// to wait for, when there were any.
    #[inline]
    pub(crate) fn stage_effects(&mut self) -> Option<u64> {
        self.inner.stage(&mut self.st)
    }
}

impl core::ops::Deref for Locked<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.st
    }
}

impl core::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.st
    }
}

impl Drop for Locked<'_> {
    #[inline]
    fn drop(&mut self) {
        #[cfg(not(loom))]
        if self.inner.aof.is_some() {
            self.stage_effects();
        }
    }
}
