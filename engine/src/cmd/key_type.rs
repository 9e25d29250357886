//! TYPE — the type of a key.
//!
//! ```text
//! TYPE key
//! ```
//!
//! A simple string: `stream`, `string` or `none`.

use bytes::Bytes;

use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    Reply::Simple(ks.key_type(&argv[1]).name())
}
