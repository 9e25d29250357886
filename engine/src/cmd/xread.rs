//! XREAD — read entries after given IDs from one or more streams.
//!
//! ```text
//! XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
//! ```
//!
//! The scanner (shared in Redis with XREADGROUP) accepts `COUNT`, `BLOCK` and `STREAMS`
//! and rejects XREADGROUP's `GROUP`, `NOACK` and `CLAIM` with their own errors; each
//! keyword needs a following argument or it is a syntax error. Then each stream in
//! argument order is validated completely — its key's type, then its ID (`$`, `+`, or a
//! strict ID; `>` is refused) — before the next (reference §10).
//!
//! This layer never blocks: with `BLOCK` and nothing to read it answers nil, as Redis
//! does inside MULTI/EXEC.

use alloc::vec::Vec;

use bytes::Bytes;

use super::{parse_int, reply};
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::num::{c_str, keyword_eq};
use crate::options::XReadId;
use crate::reply::Reply;

/// Redis's `getTimeoutFromObjectOrReply` in milliseconds: the absolute deadline, or 0
/// for "no timeout".
pub(super) fn parse_block_timeout(arg: &[u8], now: u64) -> Result<u64, Error> {
    let ms = crate::num::parse_i64(arg).ok_or(Error::TimeoutNotInteger)?;
    if ms < 0 {
        return Err(Error::TimeoutNegative);
    }
    if ms == 0 {
        return Ok(0);
    }
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    if ms > i64::MAX - now {
        return Err(Error::TimeoutOutOfRange);
    }
    Ok((ms + now) as u64)
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let mut count: Option<u64> = None;
        let mut streams_at = None;
        let mut i = 1;
        while i < argv.len() {
            let more = argv.len() - 1 - i;
            let opt = &argv[i];
            if keyword_eq(opt, "BLOCK") && more > 0 {
                i += 1;
                parse_block_timeout(&argv[i], now)?;
            } else if keyword_eq(opt, "COUNT") && more > 0 {
                i += 1;
                count = Some(parse_int(&argv[i])?.max(0) as u64);
            } else if keyword_eq(opt, "STREAMS") && more > 0 {
                if more % 2 != 0 {
                    return Err(Error::UnbalancedXRead);
                }
                streams_at = Some(i + 1);
                break;
            } else if keyword_eq(opt, "CLAIM") && more > 0 {
                return Err(Error::OnlyForXReadGroup("CLAIM"));
            } else if keyword_eq(opt, "GROUP") && more >= 2 {
                return Err(Error::OnlyForXReadGroup("GROUP"));
            } else if keyword_eq(opt, "NOACK") {
                return Err(Error::OnlyForXReadGroup("NOACK"));
            } else {
                return Err(Error::Syntax);
            }
            i += 1;
        }
        let at = streams_at.ok_or(Error::Syntax)?;
        let n = (argv.len() - at) / 2;
        let (keys, ids) = argv[at..].split_at(n);
        // One stream fully (its type, then its ID) before the next.
        let mut streams = Vec::with_capacity(n);
        for (key, id) in keys.iter().zip(ids) {
            ks.stream(key)?;
            let read_id = match c_str(id) {
                b"$" => XReadId::Last,
                b"+" => XReadId::LastEntry,
                b">" => return Err(Error::GreaterIdOutsideGroup),
                _ => XReadId::After(StreamId::parse_strict(id)?),
            };
            streams.push((key, read_id));
        }
        let served = ks.xread(&streams, count.filter(|&c| c > 0))?;
        Ok(if served.is_empty() {
            Reply::NullArray
        } else {
            Reply::PairMap(
                served
                    .iter()
                    .map(|(key, entries)| (Reply::Bulk(key.clone()), Reply::entries(entries)))
                    .collect(),
            )
        })
    })())
}
