//! XLEN — the number of entries in a stream.
//!
//! ```text
//! XLEN key
//! ```
//!
//! A missing key has length 0; another type is WRONGTYPE (reference §6).

use alloc::vec::Vec;

use bytes::Bytes;

use super::word;

use crate::cmd::Command;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    ks.xlen(&argv[1]).map(Reply::count).into()
}

/// The typed XLEN (the arity is all there is to check).
pub(super) fn command(argv: &[Bytes]) -> Command {
    Command::XLen {
        key: argv[1].clone(),
    }
}

/// Writes `XLEN key`.
pub(super) fn write(out: &mut Vec<Bytes>, key: &Bytes) {
    out.extend([word("XLEN"), key.clone()]);
}
