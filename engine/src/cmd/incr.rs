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

use alloc::vec::Vec;

use bytes::Bytes;

use super::{int_arg, word};
use crate::cmd::Command;
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

/// INCRBY's increment.
fn increment(argv: &[Bytes]) -> Result<i64, Error> {
    parse_i64(&argv[2]).ok_or(Error::NotAnInteger)
}

pub(super) fn run_incrby(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    match increment(argv) {
        Ok(by) => incr(ks, &argv[1], by),
        Err(e) => Reply::Error(e),
    }
}

/// The typed INCRBY; INCR and DECR are INCRBY by 1 and -1 (the same reply).
pub(super) fn command(argv: &[Bytes], by: Option<i64>) -> Result<Command, Error> {
    Ok(Command::IncrBy {
        key: argv[1].clone(),
        by: match by {
            Some(by) => by,
            None => increment(argv)?,
        },
    })
}

/// Writes `INCRBY key increment`.
pub(super) fn write(out: &mut Vec<Bytes>, key: &Bytes, by: i64) {
    out.extend([word("INCRBY"), key.clone(), int_arg(by)]);
}
