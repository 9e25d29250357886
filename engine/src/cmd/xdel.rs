//! XDEL — delete entries by ID.
//!
//! ```text
//! XDEL key id [id ...]
//! ```
//!
//! A missing key answers 0 without looking at the IDs; a wrong type wins over bad IDs;
//! then every ID is parsed strictly before anything is deleted (reference §7).

use alloc::vec::Vec;

use bytes::Bytes;

use super::ids_args::{parse_ids, write_ids};
use super::{reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        if ks.stream(&argv[1])?.is_none() {
            return Ok(Reply::Integer(0));
        }
        let ids = parse_ids(&argv[2..])?;
        Ok(Reply::count(ks.xdel(&argv[1], &ids)?))
    })())
}

/// The typed XDEL.
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    Ok(Command::XDel {
        key: argv[1].clone(),
        ids: parse_ids(&argv[2..])?,
    })
}

/// Writes `XDEL key id [id ...]`.
pub(super) fn write(out: &mut Vec<Bytes>, key: &Bytes, ids: &[StreamId]) {
    out.extend([word("XDEL"), key.clone()]);
    write_ids(out, ids);
}
