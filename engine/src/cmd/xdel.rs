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

use super::reply;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        if ks.stream(&argv[1])?.is_none() {
            return Ok(Reply::Integer(0));
        }
        let ids = argv[2..]
            .iter()
            .map(|a| StreamId::parse_strict(a))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Reply::count(ks.xdel(&argv[1], &ids)?))
    })())
}
