//! XSETID — set a stream's last-generated-id and counters.
//!
//! ```text
//! XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
//! ```
//!
//! Order (reference §9): last-id (strict), the options left to right (each needs a value;
//! `ENTRIESADDED` must be ≥ 0; `MAXDELETEDID` must not exceed last-id), then the key
//! (missing → `ERR no such key`), then the stream checks.

use alloc::vec::Vec;

use bytes::Bytes;

use super::{id_arg, int_arg, parse_int, reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::num::keyword_eq;
use crate::options::XSetIdOptions;
use crate::reply::Reply;

/// XSETID's arguments, checked in Redis's order (all before the key). `replaying`: a
/// negative ENTRIESADDED is a counter that went past `i64::MAX`, as a rewrite writes
/// it (Redis's too), taken back as it was.
fn parse(argv: &[Bytes], replaying: bool) -> Result<XSetIdOptions, Error> {
    let mut opts = XSetIdOptions::new(StreamId::parse_strict(&argv[2])?);
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if keyword_eq(&argv[i], "ENTRIESADDED") && more {
            let n = parse_int(&argv[i + 1])?;
            opts.entries_added = Some(match u64::try_from(n) {
                Ok(n) => n,
                Err(_) if replaying => n as u64,
                Err(_) => return Err(Error::EntriesAddedNegative),
            });
        } else if keyword_eq(&argv[i], "MAXDELETEDID") && more {
            opts.max_deleted_id = Some(StreamId::parse_strict(&argv[i + 1])?);
            opts.validate()?;
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    Ok(opts)
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply(parse(argv, ks.replaying()).and_then(|opts| {
        ks.xsetid(&argv[1], &opts)?;
        Ok(Reply::OK)
    }))
}

/// The typed XSETID.
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    Ok(Command::XSetId {
        key: argv[1].clone(),
        opts: parse(argv, false)?,
    })
}

/// Writes `XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]`.
pub(super) fn write(out: &mut Vec<Bytes>, key: &Bytes, opts: &XSetIdOptions) {
    out.extend([word("XSETID"), key.clone(), id_arg(opts.last_id)]);
    if let Some(n) = opts.entries_added {
        out.extend([word("ENTRIESADDED"), int_arg(n)]);
    }
    if let Some(id) = opts.max_deleted_id {
        out.extend([word("MAXDELETEDID"), id_arg(id)]);
    }
}
