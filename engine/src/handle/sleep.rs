//! Waiting on the engine's clock: [`Engine::sleep_until`], the timer a worker's
//! schedules (claim interval, retry backoff, handler timeout) use so that, on a
//! [`ManualClock`](crate::ManualClock), they fire inside `advance()` like BLOCK timeouts
//! do, and a test of "retry after 30 s" needs no real sleep.
//!
//! A sleeper is a waiter with no keys in the blocked-reader registry: nothing signals
//! it, only its deadline (fired by the engine's one timer) or [`Engine::close`] ends it.
//! It is not counted by [`Engine::blocked_readers`].

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use alloc::vec::Vec;

use crate::error::Error;
use crate::handle::engine::Engine;
use crate::handle::read_wait::Waiting;
use crate::read::request::ReadRequest;

enum State {
    Start(u64),
    Waiting(Waiting),
    Done,
}

/// The future of [`Engine::sleep_until`]: `Send`, runtime-independent, woken by the
/// engine's timer (no polling).
pub struct Sleep {
    engine: Engine,
    state: State,
}

impl core::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Sleep").finish_non_exhaustive()
    }
}

impl Engine {
    /// A future that completes once the engine's clock shows `deadline_ms` or later
    /// (at once if it already does), or fails with [`Error::EngineClosed`] when the
    /// engine is closed first. Registered at its first poll; dropping it unregisters.
    pub fn sleep_until(&self, deadline_ms: u64) -> Sleep {
        Sleep {
            engine: self.clone(),
            state: State::Start(deadline_ms),
        }
    }
}

impl Future for Sleep {
    type Output = Result<(), Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Start(deadline) => {
                    let deadline = *deadline;
                    this.state = State::Done;
                    let mut st = this.engine.lock();
                    let now = this.engine.now();
                    if now >= deadline {
                        return Poll::Ready(Ok(()));
                    }
                    if st.closed {
                        return Poll::Ready(Err(Error::EngineClosed));
                    }
                    let keyless = ReadRequest::Read {
                        streams: Vec::new(),
                        count: None,
                    };
                    let (id, slot) = {
                        let s = &mut *st;
                        s.waiters.register(&mut s.ks, keyless, Some(deadline), now)
                    };
                    crate::handle::timer::wake_timer(this.engine.inner(), &mut st);
                    drop(st);
                    this.state = State::Waiting(Waiting::new(this.engine.clone(), id, slot));
                }
                State::Waiting(w) => {
                    let p = w.poll(cx).map(|r| r.map(drop));
                    if p.is_ready() {
                        this.state = State::Done;
                    }
                    return p;
                }
                State::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::ManualClock;

    fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        let mut cx = Context::from_waker(core::task::Waker::noop());
        Pin::new(f).poll(&mut cx)
    }

    #[test]
    fn sleep_ends_when_the_manual_clock_passes_the_deadline() {
        let clock = ManualClock::new(1_000);
        let engine = Engine::builder().clock(clock.clone()).build();
        let mut s = engine.sleep_until(1_500);
        assert!(poll_once(&mut s).is_pending());
        assert_eq!(engine.blocked_readers(), 0, "a sleeper is not a reader");
        clock.advance(499);
        assert!(poll_once(&mut s).is_pending());
        clock.advance(1);
        assert_eq!(poll_once(&mut s), Poll::Ready(Ok(())));
        engine.check().expect("registry consistent");
    }

    #[test]
    fn a_past_deadline_is_ready_at_once_and_close_ends_a_sleeper() {
        let clock = ManualClock::new(1_000);
        let engine = Engine::builder().clock(clock.clone()).build();
        assert_eq!(poll_once(&mut engine.sleep_until(900)), Poll::Ready(Ok(())));
        let mut s = engine.sleep_until(5_000);
        assert!(poll_once(&mut s).is_pending());
        engine.close();
        assert_eq!(poll_once(&mut s), Poll::Ready(Err(Error::EngineClosed)));
    }

    #[test]
    fn a_dropped_sleeper_unregisters() {
        let clock = ManualClock::new(0);
        let engine = Engine::builder().clock(clock.clone()).build();
        let mut s = engine.sleep_until(10);
        assert!(poll_once(&mut s).is_pending());
        drop(s);
        engine.check().expect("registry consistent");
        clock.advance(20);
        engine.check().expect("registry consistent");
    }

    #[test]
    fn system_clock_sleep_is_fired_by_the_timer_thread() {
        let engine = Engine::new();
        let deadline = engine.now() + 30;
        let start = std::time::Instant::now();
        let mut s = engine.sleep_until(deadline);
        let waker = std::sync::Arc::new(ThreadWaker(std::thread::current()));
        let waker = core::task::Waker::from(waker);
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(r) = Pin::new(&mut s).poll(&mut cx) {
                r.expect("slept");
                break;
            }
            std::thread::park_timeout(std::time::Duration::from_secs(5));
            assert!(start.elapsed().as_secs() < 5, "sleep never fired");
        }
        assert!(start.elapsed().as_millis() >= 20);
    }

    struct ThreadWaker(std::thread::Thread);
    impl std::task::Wake for ThreadWaker {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
}
