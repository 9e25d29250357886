//! The engine's one timer: BLOCK timeouts and XREADGROUP … CLAIM wake-ups.
//!
//! With a clock that moves only when told ([`crate::ManualClock`], any
//! [`crate::Clock`] whose `on_advance` accepts a listener) due deadlines fire inside the
//! clock's `advance()`/`set()`, synchronously: a test of "BLOCK 5000 times out" or
//! "reclaim after ten minutes" runs in microseconds. Otherwise one thread per engine
//! sleeps until the next deadline, fires what is due under the engine lock (and wakes
//! the readers after releasing it), and exits when no deadline is left (it is started
//! again by the next read that blocks with one). If the thread cannot be started, the
//! reader's own thread or task still waits; only its timeout is lost, and the next
//! blocking read with a deadline tries again. Neither exists under loom.

use crate::handle::state::{Inner, State};
#[cfg(not(loom))]
use crate::handle::timer_signal::TimerSignal;
use crate::sync::Arc;

/// Lets the timer see a new deadline: with a clock that fires deadlines itself nothing
/// is needed; otherwise the timer thread is started or woken.
pub(crate) fn wake_timer(inner: &Arc<Inner>, st: &mut State) {
    if inner.clock_fires_deadlines() || st.waiters.next_deadline().is_none() {
        return;
    }
    #[cfg(not(loom))]
    {
        if st.timer_running {
            inner.timer.notify_all();
        } else {
            st.timer_running = true;
            let weak = Arc::downgrade(inner);
            let signal = inner.timer.clone();
            let spawned = std::thread::Builder::new()
                .name("brook-timer".into())
                .spawn(move || timer_loop(weak, &signal));
            if spawned.is_err() {
                st.timer_running = false;
            }
        }
    }
}

/// The timer thread: fires due deadlines, sleeps until the next one, exits when no
/// deadline is left or the engine is gone.
#[cfg(not(loom))]
fn timer_loop(weak: std::sync::Weak<Inner>, signal: &TimerSignal) {
    loop {
        let Some(inner) = weak.upgrade() else {
            return;
        };
        let mut st = inner.state.lock();
        let now = inner.now();
        let done = {
            let s = &mut *st;
            s.waiters.fire_due(&mut s.ks, now)
        };
        // CLAIM readers served here moved PEL entries: their effects go to the file now,
        // in the engine's order.
        inner.stage(&mut st);
        let next = st.waiters.next_deadline();
        let Some(next) = next.filter(|_| !st.closed) else {
            st.timer_running = false;
            drop(st);
            done.deliver();
            return;
        };
        if !done.is_empty() {
            // Wake the readers without the lock, then look again.
            drop(st);
            done.deliver();
            continue;
        }
        // The system clock ticks every millisecond: sleep until the deadline (at most
        // a second, as a safety net), holding nothing of the engine.
        let wait = next.saturating_sub(now).clamp(1, 1000);
        let seen = signal.seen();
        drop(st);
        drop(inner);
        signal.wait(seen, std::time::Duration::from_millis(wait));
    }
}

/// Subscribes a new engine to its clock when the clock fires deadlines itself.
pub(crate) fn subscribe_clock(inner: &Arc<Inner>) {
    #[cfg(not(loom))]
    {
        let Some(clock) = inner.clock.clone() else {
            return;
        };
        let weak = Arc::downgrade(inner);
        let fires = clock.on_advance(Box::new(move |now| match weak.upgrade() {
            Some(inner) => {
                inner.fire_due(now);
                true
            }
            None => false,
        }));
        inner.set_clock_fires_deadlines(fires);
    }
    #[cfg(loom)]
    let _ = inner;
}
