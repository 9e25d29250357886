//! Test support for brook's integration tests.
//!
//! * [`ServerGuard`] starts a private `valkey-server` or `redis-server` on a
//!   free port in a temporary directory and kills it again on drop.
//! * [`resp`] holds a RESP2/RESP3 [`Frame`] type with an incremental parser,
//!   an encoder and a compact [`Display`](std::fmt::Display) notation.
//! * [`TestChild`] runs one test of the running test binary again as a child process
//!   (crash tests SIGKILL it), reading its stdout line by line.
//! * [`RespConn`] is a small blocking client that returns both the parsed
//!   reply and its exact bytes, so tests can compare brook's encoder with a
//!   real server byte for byte.
//!
//! Missing server binaries make tests skip (with a `SKIP:` line on stderr)
//! unless `BROOK_REQUIRE_REDIS=1` is set, in which case they fail.

pub mod child;
pub mod conn;
pub mod group_model;
pub mod model;
pub mod resp;
pub mod server;

pub use child::TestChild;
pub use conn::RespConn;
pub use resp::{encode_command, encode_frame, parse_frame, Frame, ParseError};
pub use server::{require_redis, ClusterGuard, SentinelGuard, ServerGuard, ServerKind};
