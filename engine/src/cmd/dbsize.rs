//! DBSIZE — the number of keys.
//!
//! ```text
//! DBSIZE
//! ```

use bytes::Bytes;

use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, _argv: &[Bytes], _now: u64) -> Reply {
    Reply::count(ks.len() as u64)
}
