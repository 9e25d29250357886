//! [`StreamsClock`]: a backend's time, which the worker's schedules run on.

use core::future::Future;

use crate::error::Error;

/// The backend's clock, in Unix milliseconds: the engine's [`crate::Clock`] (so a
/// [`crate::ManualClock`] in tests), the local wall clock for a server. Claim intervals,
/// retry backoff and handler timeouts are kept on it, so a test that advances a manual
/// clock fires them.
pub trait StreamsClock: Send + Sync {
    /// Now, in Unix milliseconds.
    fn now_ms(&self) -> u64;

    /// Waits until [`StreamsClock::now_ms`] shows `deadline_ms` (at once if it already
    /// does). On the engine it is fired by the engine's timer — inside
    /// `ManualClock::advance` for a manual clock — and fails with `EngineClosed` once
    /// the engine is closed; a server backend sleeps on tokio's timer (it must run
    /// inside a tokio runtime with the time driver).
    fn sleep_until(&self, deadline_ms: u64) -> impl Future<Output = Result<(), Error>> + Send;
}
