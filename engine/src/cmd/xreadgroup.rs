//! XREADGROUP — read from streams as a consumer of a group.
//!
//! ```text
//! XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds]
//!            [CLAIM min-idle-time] [NOACK] STREAMS key [key ...] id [id ...]
//! ```
//!
//! The scanner is XREAD's with `GROUP`, `NOACK` and `CLAIM` allowed; then `GROUP` must
//! have been given; then each stream in argument order is validated completely — its
//! key's type, the key and group (NOGROUP), then its ID (`>` or a strict ID; `$` and `+`
//! have their own errors) — before the next (reference §11.1). Nothing is read unless
//! every stream passes.
//!
//! This layer never blocks: with `BLOCK` and nothing served it answers nil, as Redis
//! does inside MULTI/EXEC.

use alloc::vec::Vec;

use bytes::Bytes;

use super::reply;
use super::xread::scan;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::num::c_str;
use crate::options::{GroupReadId, XReadGroupOptions};
use crate::read_request::ReadRequest;
use crate::reply::Reply;

/// Parses and validates an XREADGROUP: the request and its `BLOCK` deadline, if any
/// (0 = no timeout).
pub(crate) fn parse(
    ks: &Keyspace,
    argv: &[Bytes],
    now: u64,
) -> Result<(ReadRequest, Option<u64>), Error> {
    let args = scan(argv, true, now)?;
    let (group, consumer) = args.group.ok_or(Error::MissingGroupOption)?;
    let mut streams = Vec::with_capacity(args.keys.len());
    for (key, id) in args.keys.iter().zip(args.ids) {
        ks.stream(key)?;
        ks.check_group_for_read(key, group)?;
        let read_id = match c_str(id) {
            b"$" => return Err(Error::MeaninglessGroupId('$')),
            b"+" => return Err(Error::MeaninglessGroupId('+')),
            b">" => GroupReadId::New,
            _ => GroupReadId::After(StreamId::parse_strict(id)?),
        };
        streams.push((key.clone(), read_id));
    }
    let req = ReadRequest::Group {
        group: group.clone(),
        consumer: consumer.clone(),
        streams,
        opts: XReadGroupOptions {
            count: args.count,
            noack: args.noack,
            claim: args.claim,
        },
    };
    Ok((req, args.block))
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let (req, _) = parse(ks, argv, now)?;
        Ok(super::xread::render(&ks.run_read(&req, now)?))
    })())
}
