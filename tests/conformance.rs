//! The conformance suite: every case is one async body generic over [`brook::Streams`]
//! (no branch on the backend) and runs on the in-process engine, on `brook serve`, and
//! through `brook-redis` on a private Redis 8.6.3 (also with the adapter forced onto its
//! Lua fallbacks), Valkey 9.1 and Redis 7.0.15 — every server in RESP2 and RESP3. Run
//! with `cargo test --test conformance`; the matrix size is printed. In debug the whole
//! suite takes about 8.5 minutes on 2 cores, most of it the worker matrix's 100,000-message
//! load on each server (~2 minutes each).

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
#[path = "conformance/manual_clock.rs"]
mod manual_clock;
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
#[path = "conformance/worker_durable.rs"]
mod worker_durable;
