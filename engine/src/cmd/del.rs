//! DEL and UNLINK — remove keys.
//!
//! ```text
//! DEL key [key ...]
//! UNLINK key [key ...]
//! ```
//!
//! Replies with the number of keys that existed. (UNLINK frees memory in the background
//! in Redis; here both free at once.)

use alloc::vec::Vec;

use bytes::Bytes;

use super::word;

use crate::cmd::Command;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    Reply::count(ks.del(&argv[1..]))
}

/// The typed DEL (UNLINK too: its reply is DEL's).
pub(super) fn command(argv: &[Bytes]) -> Command {
    Command::Del {
        keys: argv[1..].to_vec(),
    }
}

/// Writes `DEL key [key ...]`.
pub(super) fn write(out: &mut Vec<Bytes>, keys: &[Bytes]) {
    out.push(word("DEL"));
    out.extend(keys.iter().cloned());
}
