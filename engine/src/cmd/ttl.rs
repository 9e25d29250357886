//! PTTL, TTL — time left before a key expires.
//!
//! ```text
//! PTTL key
//! TTL key
//! ```
//!
//! `-2` for a missing key, `-1` for a key without an expiry; TTL rounds the
//! milliseconds to the nearest second, as Redis does.

use bytes::Bytes;

use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run_pttl(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    Reply::Integer(ks.pttl(&argv[1], now))
}

pub(super) fn run_ttl(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    let ms = ks.pttl(&argv[1], now);
    Reply::Integer(if ms < 0 { ms } else { (ms + 500) / 1000 })
}
