//! brook-engine's integration tests, in one binary.

#[cfg(not(loom))]
mod aof_durable;
#[cfg(not(loom))]
mod aof_interop;
mod blocking;
mod blocking_diff;
mod command_argv;
mod copy;
mod differential;
mod effects;
mod errors;
mod execute_resp;
mod gen;
mod group_scenarios;
mod idmp;
mod memory;
mod model_groups;
mod model_test;
mod oracle;
mod rng;
mod scenarios;
mod streams_trait;
mod stress;
