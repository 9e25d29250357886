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

use super::reply_read;
use super::{id_arg, int_arg, parse_int, reply, word};
use crate::cmd::Command;
use crate::entry::StreamEntries;
use crate::error::Error;
use crate::id::StreamId;
use crate::info::GroupEntry;
use crate::keyspace::Keyspace;
use crate::num::{c_str, keyword_eq};
use crate::options::XReadId;
use crate::read::request::{ReadOutput, ReadRequest};
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

/// What the scanner shared by XREAD and XREADGROUP found.
pub(super) struct ReadArgs<'a> {
    /// `COUNT n` (negative → 0 = no limit).
    pub count: Option<u64>,
    /// `BLOCK ms` as an absolute deadline (0 = no timeout).
    pub block: Option<u64>,
    /// `GROUP group consumer`.
    pub group: Option<(&'a Bytes, &'a Bytes)>,
    /// `NOACK`.
    pub noack: bool,
    /// `CLAIM min-idle-time`.
    pub claim: Option<u64>,
    /// The keys and the IDs after `STREAMS`.
    pub keys: &'a [Bytes],
    /// The IDs, one per key.
    pub ids: &'a [Bytes],
}

/// Redis's XREAD/XREADGROUP option scanner (reference §10.1, §11.1).
pub(super) fn scan(argv: &[Bytes], group_cmd: bool, now: u64) -> Result<ReadArgs<'_>, Error> {
    let only_group = |opt| {
        if group_cmd {
            Ok(())
        } else {
            Err(Error::OnlyForXReadGroup(opt))
        }
    };
    let mut args = ReadArgs {
        count: None,
        block: None,
        group: None,
        noack: false,
        claim: None,
        keys: &[],
        ids: &[],
    };
    let mut streams_at = None;
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = &argv[i];
        if keyword_eq(opt, "BLOCK") && more > 0 {
            i += 1;
            args.block = Some(parse_block_timeout(&argv[i], now)?);
        } else if keyword_eq(opt, "COUNT") && more > 0 {
            i += 1;
            args.count = Some(parse_int(&argv[i])?.max(0) as u64);
        } else if keyword_eq(opt, "STREAMS") && more > 0 {
            if !more.is_multiple_of(2) {
                return Err(if group_cmd {
                    Error::UnbalancedXReadGroup
                } else {
                    Error::UnbalancedXRead
                });
            }
            streams_at = Some(i + 1);
            break;
        } else if keyword_eq(opt, "GROUP") && more >= 2 {
            only_group("GROUP")?;
            args.group = Some((&argv[i + 1], &argv[i + 2]));
            i += 2;
        } else if keyword_eq(opt, "NOACK") {
            only_group("NOACK")?;
            args.noack = true;
        } else if keyword_eq(opt, "CLAIM") && more > 0 {
            only_group("CLAIM")?;
            i += 1;
            let n = crate::num::parse_i64(&argv[i]).ok_or(Error::ClaimNotInteger)?;
            if n < 0 {
                return Err(Error::ClaimNegative);
            }
            args.claim = Some(n as u64);
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    let at = streams_at.ok_or(Error::Syntax)?;
    let n = (argv.len() - at) / 2;
    let (keys, ids) = argv[at..].split_at(n);
    args.keys = keys;
    args.ids = ids;
    Ok(args)
}

/// One stream's ID argument: `$`, `+` or a strict ID (`>` is refused).
fn read_id(arg: &[u8]) -> Result<XReadId, Error> {
    Ok(match c_str(arg) {
        b"$" => XReadId::Last,
        b"+" => XReadId::LastEntry,
        b">" => return Err(Error::GreaterIdOutsideGroup),
        _ => XReadId::After(StreamId::parse_strict(arg)?),
    })
}

/// Parses and validates an XREAD: the request (with `$` still symbolic) and its
/// `BLOCK` deadline, if any (0 = no timeout).
pub(crate) fn parse(
    ks: &Keyspace,
    argv: &[Bytes],
    now: u64,
) -> Result<(ReadRequest, Option<u64>), Error> {
    let args = scan(argv, false, now)?;
    // One stream fully (its type, then its ID) before the next.
    let mut streams = Vec::with_capacity(args.keys.len());
    for (key, id) in args.keys.iter().zip(args.ids) {
        ks.stream(key)?;
        streams.push((key.clone(), read_id(id)?));
    }
    let req = ReadRequest::Read {
        streams,
        count: args.count,
    };
    Ok((req, args.block))
}

/// A read's reply: the served streams as `[key, entries]` pairs (a map in RESP3), or
/// nil when none was served.
pub(crate) fn render(out: &ReadOutput) -> Reply {
    if out.is_empty() {
        return Reply::NullArray;
    }
    match out {
        ReadOutput::Read(served) => Reply::PairMap(
            served
                .iter()
                .map(|s| (Reply::Bulk(s.key.clone()), Reply::entries(&s.entries)))
                .collect(),
        ),
        ReadOutput::Group(served) => Reply::PairMap(
            served
                .iter()
                .map(|s| {
                    (
                        Reply::Bulk(s.key.clone()),
                        Reply::Array(s.entries.iter().map(group_entry).collect()),
                    )
                })
                .collect(),
        ),
    }
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let (req, _) = parse(ks, argv, now)?;
        Ok(render(&ks.run_read(&req, now)?))
    })())
}

/// One XREADGROUP entry as Redis replies it: `[id, fields]`, `[id, nil]` for a deleted
/// pending entry, and with CLAIM `[id, fields, idle, delivery-count]`.
pub(crate) fn group_entry(e: &GroupEntry) -> Reply {
    let fields = match &e.fields {
        Some(fv) => {
            let mut out = Vec::with_capacity(fv.len() * 2);
            for (f, v) in fv {
                out.push(Reply::Bulk(f.clone()));
                out.push(Reply::Bulk(v.clone()));
            }
            Reply::Array(out)
        }
        None => Reply::NullArray,
    };
    let mut parts = alloc::vec![Reply::id(e.id), fields];
    if let Some(d) = e.claim {
        parts.push(Reply::count(d.idle));
        parts.push(Reply::count(d.delivery_count));
    }
    Reply::Array(parts)
}

/// The typed XREAD. `BLOCK` is checked and then ignored: a typed read does not block,
/// as Redis's does not inside MULTI (a timeout is checked as if the clock were at 0).
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    let args = scan(argv, false, 0)?;
    let streams = args
        .keys
        .iter()
        .zip(args.ids)
        .map(|(key, id)| Ok((key.clone(), read_id(id)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Command::XRead {
        streams,
        count: args.count,
    })
}

/// Writes the keys after `STREAMS` and then their IDs.
pub(super) fn write_streams<T: Copy>(
    out: &mut Vec<Bytes>,
    streams: &[(Bytes, T)],
    id: impl Fn(T) -> Bytes,
) {
    out.push(word("STREAMS"));
    out.extend(streams.iter().map(|(k, _)| k.clone()));
    out.extend(streams.iter().map(|(_, at)| id(*at)));
}

/// Writes `XREAD [COUNT n] STREAMS key [key ...] id [id ...]` (no `BLOCK`: the typed
/// read does not block).
pub(super) fn write(out: &mut Vec<Bytes>, streams: &[(Bytes, XReadId)], count: Option<u64>) {
    out.push(word("XREAD"));
    if let Some(n) = count {
        out.extend([word("COUNT"), int_arg(n)]);
    }
    write_streams(out, streams, |at| match at {
        XReadId::After(id) => id_arg(id),
        XReadId::Last => word("$"),
        XReadId::LastEntry => word("+"),
    });
}

/// XREAD's reply read back (a server's answer, as brook-redis receives it).
pub(crate) fn read_reply(r: Reply) -> Result<Vec<StreamEntries>, Error> {
    reply_read::per_stream(r, reply_read::entry)
}
