//! brook-server's tests, one binary: the same raw RESP to `brook serve` and to the
//! oracle servers (Redis 8.6.3, Valkey 9.1, Redis 7.0.15) compared byte for byte;
//! blocking commands over several connections; the statistics INFO reports, against
//! Redis 8.6.3; limits and protocol errors; pipelines written before any reply is read,
//! and output buffer limits; real clients (the `redis` crate, `redis-cli`, redis-py
//! when installed).

mod server {
    pub mod blocking;
    pub mod clients;
    pub mod diff;
    pub mod durable;
    pub mod limits;
    pub mod memory;
    pub mod pipeline;
    pub mod stats;
    pub mod support;
}
