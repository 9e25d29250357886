//! FLUSHALL and FLUSHDB — remove every key.
//!
//! ```text
//! FLUSHALL [ASYNC | SYNC]
//! FLUSHDB [ASYNC | SYNC]
//! ```
//!
//! The engine has one database, so both remove everything; `ASYNC` frees at once too.
//! Any other argument is a syntax error.

use bytes::Bytes;

use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::num::keyword_eq;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    match &argv[1..] {
        [] => {}
        [mode] if keyword_eq(mode, "ASYNC") || keyword_eq(mode, "SYNC") => {}
        _ => return Reply::Error(Error::Syntax),
    }
    ks.flush();
    Reply::OK
}
