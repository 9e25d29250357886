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

use super::reply_read;
use super::xread::{scan, write_streams};
use super::{id_arg, int_arg, reply, word};
use crate::cmd::Command;
use crate::entry::StreamEntries;
use crate::error::Error;
use crate::id::StreamId;
use crate::info::{DeliveryInfo, GroupEntry};
use crate::keyspace::Keyspace;
use crate::num::c_str;
use crate::options::{GroupReadId, XReadGroupOptions};
use crate::read::request::ReadRequest;
use crate::reply::Reply;

/// One stream's ID argument: `>` or a strict ID (`$` and `+` have their own errors).
fn read_id(arg: &[u8]) -> Result<GroupReadId, Error> {
    Ok(match c_str(arg) {
        b"$" => return Err(Error::MeaninglessGroupId('$')),
        b"+" => return Err(Error::MeaninglessGroupId('+')),
        b">" => GroupReadId::New,
        _ => GroupReadId::After(StreamId::parse_strict(arg)?),
    })
}

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
        streams.push((key.clone(), read_id(id)?));
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

/// The typed XREADGROUP. `BLOCK` is checked and then ignored, as XREAD's
/// ([`super::xread`]).
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    let args = scan(argv, true, 0)?;
    let (group, consumer) = args.group.ok_or(Error::MissingGroupOption)?;
    let streams = args
        .keys
        .iter()
        .zip(args.ids)
        .map(|(key, id)| Ok((key.clone(), read_id(id)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Command::XReadGroup {
        group: group.clone(),
        consumer: consumer.clone(),
        streams,
        opts: XReadGroupOptions {
            count: args.count,
            noack: args.noack,
            claim: args.claim,
        },
    })
}

/// Writes `XREADGROUP GROUP group consumer [COUNT n] [CLAIM min-idle] [NOACK] STREAMS
/// key [key ...] id [id ...]` (no `BLOCK`: the typed read does not block).
pub(super) fn write(
    out: &mut Vec<Bytes>,
    group: &Bytes,
    consumer: &Bytes,
    streams: &[(Bytes, GroupReadId)],
    opts: &XReadGroupOptions,
) {
    out.extend([
        word("XREADGROUP"),
        word("GROUP"),
        group.clone(),
        consumer.clone(),
    ]);
    if let Some(n) = opts.count {
        out.extend([word("COUNT"), int_arg(n)]);
    }
    if let Some(ms) = opts.claim {
        out.extend([word("CLAIM"), int_arg(ms)]);
    }
    if opts.noack {
        out.push(word("NOACK"));
    }
    write_streams(out, streams, |at| match at {
        GroupReadId::New => word(">"),
        GroupReadId::After(id) => id_arg(id),
    });
}

/// XREADGROUP's reply read back: per stream, entries as `[id, fields|nil]`, or with
/// CLAIM `[id, fields, idle, delivery-count]`.
pub(crate) fn read_reply(r: Reply) -> Result<Vec<StreamEntries<GroupEntry>>, Error> {
    reply_read::per_stream(r, |e| {
        let mut parts = reply_read::array(e)?.into_iter();
        let (Some(id), Some(fields)) = (parts.next(), parts.next()) else {
            return Err(reply_read::malformed("an entry is an ID and its fields"));
        };
        // With CLAIM two more parts (a later server may add further ones).
        let claim = match (parts.next(), parts.next()) {
            (Some(idle), Some(count)) => Some(DeliveryInfo {
                idle: reply_read::uint(idle)?,
                delivery_count: reply_read::uint(count)?,
            }),
            _ => None,
        };
        Ok(GroupEntry {
            id: reply_read::id(id)?,
            fields: match fields {
                Reply::Null | Reply::NullArray => None,
                f => Some(reply_read::fields(f)?),
            },
            claim,
        })
    })
}
