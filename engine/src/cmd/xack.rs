//! XACK — acknowledge pending entries of a consumer group.
//!
//! ```text
//! XACK key group id [id ...]
//! ```
//!
//! A wrong type is an error; a missing key or group answers 0 without looking at the
//! IDs; then every ID is parsed strictly before anything is acknowledged (reference
//! §12). The stream entries themselves are never touched.

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
        let (key, group) = (&argv[1], &argv[2]);
        match ks.stream(key)? {
            Some(s) if s.group(group).is_some() => {}
            _ => return Ok(Reply::Integer(0)),
        }
        let ids = parse_ids(&argv[3..])?;
        Ok(Reply::count(ks.xack(key, group, &ids)?))
    })())
}

/// The typed XACK.
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    Ok(Command::XAck {
        key: argv[1].clone(),
        group: argv[2].clone(),
        ids: parse_ids(&argv[3..])?,
    })
}

/// Writes `XACK key group id [id ...]`.
pub(super) fn write(out: &mut Vec<Bytes>, key: &Bytes, group: &Bytes, ids: &[StreamId]) {
    out.extend([word("XACK"), key.clone(), group.clone()]);
    write_ids(out, ids);
}
