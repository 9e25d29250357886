//! The one place that imports locks, condition variables and atomics, so that a loom
//! build (`RUSTFLAGS="--cfg loom"`) swaps them for loom's model-checked types, as
//! `tokio/src/loom` does. The API is parking_lot's shape (no lock poisoning) in both
//! builds.
//!
//! Only what loom can model goes through here: the engine lock, the waiter registry and
//! the hand-off slots of blocked readers. The clock ticker and the timer thread use
//! `std` directly and are not built under loom.

#[cfg(not(loom))]
mod imp {
    pub(crate) use parking_lot::{Mutex, MutexGuard};
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    pub(crate) use std::sync::Arc;

    /// A condition variable over [`Mutex`].
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(parking_lot::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Condvar {
            Condvar(parking_lot::Condvar::new())
        }

        /// Releases the lock, waits for a notification, re-takes the lock.
        pub(crate) fn wait<'a, T>(&self, mut guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(&mut guard);
            guard
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    pub(crate) use loom::sync::{Arc, MutexGuard};

    /// loom's mutex with parking_lot's API (a poisoned lock is taken as is).
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Mutex<T> {
            Mutex(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }
    }

    /// loom's condition variable with the API of the std build.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Condvar {
            Condvar(loom::sync::Condvar::new())
        }

        pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
            self.0.wait(guard).unwrap_or_else(|e| e.into_inner())
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}

pub(crate) use imp::*;

/// A seeded bug for the negative loom model: when set, a blocking read releases the
/// engine lock between its empty read and registering its waiter — the lost wake-up
/// the real code prevents by doing both under one lock. loom runs a model's threads on
/// the test's own OS thread, so a thread-local seeds exactly one model.
#[cfg(loom)]
pub(crate) mod seeded {
    std::thread_local! {
        static LOST_WAKEUP: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    }

    /// Seeds (or clears) the lost wake-up for models run on this thread.
    pub(crate) fn set_lost_wakeup(on: bool) {
        LOST_WAKEUP.with(|c| c.set(on));
    }

    /// Whether the lost wake-up is seeded.
    pub(crate) fn lost_wakeup() -> bool {
        LOST_WAKEUP.with(|c| c.get())
    }
}
