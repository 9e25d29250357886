//! EXISTS — count existing keys.
//!
//! ```text
//! EXISTS key [key ...]
//! ```
//!
//! A key named several times is counted each time, as in Redis.

use bytes::Bytes;

use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    Reply::count(ks.exists(&argv[1..]))
}
