//! The std layer: [`crate::Engine`], a cheap-to-clone handle to one keyspace behind
//! one lock (`engine`, with what handles share in `state`), the clock that drives it
//! (`clock`), blocking reads as threads and futures (`read_wait`), the timer that fires
//! BLOCK and CLAIM deadlines (`timer`) and the clock's sleep future (`sleep`).

pub(crate) mod clock;
#[cfg(not(loom))]
pub(crate) mod durable;
pub(crate) mod engine;
pub(crate) mod read_wait;
pub(crate) mod sleep;
pub(crate) mod state;
pub(crate) mod timer;
pub(crate) mod timer_signal;
