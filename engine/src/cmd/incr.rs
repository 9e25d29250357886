//! INCR, INCRBY, DECR — integer arithmetic on a string.
//!
//! ```text
//! INCR key
//! INCRBY key increment
//! DECR key
//! ```
//!
//! A missing key counts from 0; the string must be a canonical 64-bit integer (`ERR
//! value is not an integer or out of range`, also for a bad increment); `ERR increment
//! or decrement would overflow`; WRONGTYPE for a stream. The key keeps its expiry.

use bytes::Bytes;

use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::num::parse_i64;
use crate::reply::Reply;

fn incr(ks: &mut Keyspace, key: &[u8], by: i64) -> Reply {
    match ks.incr_by(key, by) {
        Ok(v) => Reply::Integer(v),
        Err(e) => Reply::Error(e),
    }
}

pub(super) fn run_incr(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    incr(ks, &argv[1], 1)
}

pub(super) fn run_decr(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    incr(ks, &argv[1], -1)
}

pub(super) fn run_incrby(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    match parse_i64(&argv[2]) {
        Some(by) => incr(ks, &argv[1], by),
        None => Reply::Error(Error::NotAnInteger),
    }
}
