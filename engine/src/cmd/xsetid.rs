//! XSETID — set a stream's last-generated-id and counters.
//!
//! ```text
//! XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
//! ```
//!
//! Order (reference §9): last-id (strict), the options left to right (each needs a value;
//! `ENTRIESADDED` must be ≥ 0; `MAXDELETEDID` must not exceed last-id), then the key
//! (missing → `ERR no such key`), then the stream checks.

use bytes::Bytes;

use super::{parse_int, reply};
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::num::keyword_eq;
use crate::options::XSetIdOptions;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let mut opts = XSetIdOptions::new(StreamId::parse_strict(&argv[2])?);
        let mut i = 3;
        while i < argv.len() {
            let more = i + 1 < argv.len();
            if keyword_eq(&argv[i], "ENTRIESADDED") && more {
                let n = parse_int(&argv[i + 1])?;
                opts.entries_added =
                    Some(u64::try_from(n).map_err(|_| Error::EntriesAddedNegative)?);
            } else if keyword_eq(&argv[i], "MAXDELETEDID") && more {
                opts.max_deleted_id = Some(StreamId::parse_strict(&argv[i + 1])?);
                opts.validate()?;
            } else {
                return Err(Error::Syntax);
            }
            i += 2;
        }
        ks.xsetid(&argv[1], &opts)?;
        Ok(Reply::OK)
    })())
}
