//! Readers blocked on keys: the registry of waiters by key and deadline (`waiters`)
//! and the one-shot hand-off that carries a served read to the waiting thread or task
//! (`handoff`). The engine's timer and the blocking read methods build on it.

pub(crate) mod handoff;
pub(crate) mod waiters;
