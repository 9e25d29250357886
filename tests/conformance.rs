//! The conformance suite: every case is one async body generic over [`brook::Streams`]
//! (no branch on the backend) and runs on the in-process engine, on a private Valkey 9.1
//! and on a private Redis 7.0.15 through `brook-redis`, in RESP2 and RESP3. Run with
//! `cargo test --test conformance`; the matrix size is printed.

#[path = "conformance/backends.rs"]
mod backends;
#[path = "conformance/cases.rs"]
mod cases;
#[path = "conformance/cluster.rs"]
mod cluster;
#[path = "conformance/connect.rs"]
mod connect;
#[path = "conformance/differential.rs"]
mod differential;
#[path = "conformance/metrics.rs"]
mod metrics;
#[path = "conformance/pubsub.rs"]
mod pubsub;
#[path = "conformance/retention.rs"]
mod retention;
#[path = "conformance/sentinel.rs"]
mod sentinel;
#[path = "conformance/worker.rs"]
mod worker;
#[path = "conformance/worker_cases.rs"]
mod worker_cases;
