//! XLEN — the number of entries in a stream.
//!
//! ```text
//! XLEN key
//! ```
//!
//! A missing key has length 0; another type is WRONGTYPE (reference §6).

use bytes::Bytes;

use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    ks.xlen(&argv[1]).map(Reply::count).into()
}
