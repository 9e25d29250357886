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

use super::reply;
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
        let ids = argv[3..]
            .iter()
            .map(|a| StreamId::parse_strict(a))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Reply::count(ks.xack(key, group, &ids)?))
    })())
}
