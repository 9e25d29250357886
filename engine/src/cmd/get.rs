//! GET — read a string.
//!
//! ```text
//! GET key
//! ```
//!
//! nil for a missing key, WRONGTYPE for a stream.

use bytes::Bytes;

use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    ks.get(&argv[1])
        .map(|v| v.map_or(Reply::Null, Reply::Bulk))
        .into()
}
