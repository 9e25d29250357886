//! GET — read a string.
//!
//! ```text
//! GET key
//! ```
//!
//! nil for a missing key, WRONGTYPE for a stream.

use alloc::vec::Vec;

use bytes::Bytes;

use super::word;

use crate::cmd::Command;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    ks.get(&argv[1])
        .map(|v| v.map_or(Reply::Null, Reply::Bulk))
        .into()
}

/// The typed GET.
pub(super) fn command(argv: &[Bytes]) -> Command {
    Command::Get {
        key: argv[1].clone(),
    }
}

/// Writes `GET key`.
pub(super) fn write(out: &mut Vec<Bytes>, key: &Bytes) {
    out.extend([word("GET"), key.clone()]);
}
