//! XRANGE and XREVRANGE — entries in an ID interval.
//!
//! ```text
//! XRANGE    key start end   [COUNT count]
//! XREVRANGE key end   start [COUNT count]
//! ```
//!
//! Order of checks (reference §5): the start bound (XREVRANGE's *last* argument), the
//! end bound, the options (`COUNT n`, negative means 0, repeatable; anything else is a
//! syntax error), then the key: missing → empty array, wrong type → WRONGTYPE, and a
//! COUNT of 0 on an existing key → null array.

use alloc::vec::Vec;

use bytes::Bytes;

use super::{parse_int, reply};
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::num::keyword_eq;
use crate::reply::Reply;

pub(super) fn run_xrange(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    run(ks, argv, false)
}

pub(super) fn run_xrevrange(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    run(ks, argv, true)
}

fn run(ks: &Keyspace, argv: &[Bytes], rev: bool) -> Reply {
    reply((|| {
        let (start_arg, end_arg) = if rev {
            (&argv[3], &argv[2])
        } else {
            (&argv[2], &argv[3])
        };
        let start = StreamId::parse_range_start(start_arg)?;
        let end = StreamId::parse_range_end(end_arg)?;
        let mut count: Option<u64> = None;
        let mut j = 4;
        while j < argv.len() {
            if keyword_eq(&argv[j], "COUNT") && j + 1 < argv.len() {
                count = Some(parse_int(&argv[j + 1])?.max(0) as u64);
                j += 2;
            } else {
                return Err(Error::Syntax);
            }
        }
        let key = &argv[1];
        if ks.stream(key)?.is_none() {
            return Ok(Reply::Array(Vec::new()));
        }
        if count == Some(0) {
            return Ok(Reply::NullArray);
        }
        let entries = if rev {
            ks.xrevrange(key, end, start, count)?
        } else {
            ks.xrange(key, start, end, count)?
        };
        Ok(Reply::entries(&entries))
    })())
}
