//! The one place that imports locks and atomics, so that a loom build can swap them
//! for loom's model-checked types (as `tokio/src/loom` does) once the engine has
//! concurrent parts worth modelling (blocked readers and their wake-ups).

pub(crate) use parking_lot::Mutex;
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
pub(crate) use std::sync::Arc;
