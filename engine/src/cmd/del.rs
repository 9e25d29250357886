//! DEL and UNLINK — remove keys.
//!
//! ```text
//! DEL key [key ...]
//! UNLINK key [key ...]
//! ```
//!
//! Replies with the number of keys that existed. (UNLINK frees memory in the background
//! in Redis; here both free at once.)

use bytes::Bytes;

use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    Reply::count(ks.del(&argv[1..]))
}
