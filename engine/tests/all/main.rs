//! brook-engine's integration tests, in one binary.

mod differential;
mod gen;
mod oracle;
mod rng;
