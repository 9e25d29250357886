//! KEYS — list keys matching a glob pattern.
//!
//! ```text
//! KEYS pattern
//! ```
//!
//! Redis's glob rules (`*`, `?`, `[…]`, `\`); the order of the reply is unspecified, as
//! in Redis.

use bytes::Bytes;

use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    Reply::Array(ks.keys(&argv[1]).into_iter().map(Reply::Bulk).collect())
}
