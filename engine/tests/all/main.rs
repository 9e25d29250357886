//! brook-engine's integration tests, in one binary.

mod differential;
mod errors;
mod gen;
mod idmp;
mod memory;
mod model_groups;
mod model_test;
mod oracle;
mod rng;
mod scenarios;
