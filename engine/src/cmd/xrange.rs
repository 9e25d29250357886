//! XRANGE and XREVRANGE — entries in an ID interval.
//!
//! ```text
//! XRANGE    key start end   [COUNT count]
//! XREVRANGE key end   start [COUNT count]
//! ```
//!
//! Order of checks (reference §5): the start bound (XREVRANGE's *last* argument), the
//! end bound, the options (`COUNT n`, negative means 0, repeatable; anything else is a
//! syntax error), then the key: missing → empty array, wrong type → WRONGTYPE, and a
//! COUNT of 0 on an existing key → null array.

use alloc::vec::Vec;

use bytes::Bytes;

use super::reply_read;
use super::{id_arg, int_arg, parse_int, reply, word};
use crate::cmd::Command;
use crate::entry::StreamEntry;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::num::keyword_eq;
use crate::reply::Reply;

pub(super) fn run_xrange(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    run(ks, argv, false)
}

pub(super) fn run_xrevrange(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    run(ks, argv, true)
}

/// What an XRANGE/XREVRANGE call asks for, once its arguments are checked.
struct Range<'a> {
    key: &'a [u8],
    start: StreamId,
    end: StreamId,
    count: Option<u64>,
}

/// The bounds and COUNT, checked in Redis's order (all before the key): `(start, end,
/// count)`.
fn parse_args(argv: &[Bytes], rev: bool) -> Result<(StreamId, StreamId, Option<u64>), Error> {
    let (start_arg, end_arg) = if rev {
        (&argv[3], &argv[2])
    } else {
        (&argv[2], &argv[3])
    };
    let start = StreamId::parse_range_start(start_arg)?;
    let end = StreamId::parse_range_end(end_arg)?;
    let mut count: Option<u64> = None;
    let mut j = 4;
    while j < argv.len() {
        if keyword_eq(&argv[j], "COUNT") && j + 1 < argv.len() {
            count = Some(parse_int(&argv[j + 1])?.max(0) as u64);
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok((start, end, count))
}

/// The typed XRANGE or XREVRANGE (`rev`).
pub(super) fn command(argv: &[Bytes], rev: bool) -> Result<Command, Error> {
    let (start, end, count) = parse_args(argv, rev)?;
    let key = argv[1].clone();
    Ok(if rev {
        Command::XRevRange {
            key,
            end,
            start,
            count,
        }
    } else {
        Command::XRange {
            key,
            start,
            end,
            count,
        }
    })
}

/// Writes `XRANGE key start end [COUNT n]`, or with `rev` `XREVRANGE key end start
/// [COUNT n]` (`from`, `to` are the bounds in the command's own order).
pub(super) fn write(
    out: &mut Vec<Bytes>,
    rev: bool,
    key: &Bytes,
    from: StreamId,
    to: StreamId,
    count: Option<u64>,
) {
    let name = word(if rev { "XREVRANGE" } else { "XRANGE" });
    out.extend([name, key.clone(), id_arg(from), id_arg(to)]);
    if let Some(n) = count {
        out.extend([word("COUNT"), int_arg(n)]);
    }
}

/// Checks the arguments in Redis's order; `Err` is the whole reply (an error, or the
/// empty or null array a missing key or `COUNT 0` gives).
fn parse<'a>(ks: &Keyspace, argv: &'a [Bytes], rev: bool) -> Result<Range<'a>, Reply> {
    (|| {
        let (start, end, count) = parse_args(argv, rev)?;
        let key = &argv[1];
        if ks.stream(key)?.is_none() {
            return Ok(Err(Reply::Array(Vec::new())));
        }
        if count == Some(0) {
            return Ok(Err(Reply::NullArray));
        }
        Ok(Ok(Range {
            key,
            start,
            end,
            count,
        }))
    })()
    .unwrap_or_else(|e| Err(Reply::Error(e)))
}

fn run(ks: &Keyspace, argv: &[Bytes], rev: bool) -> Reply {
    let r = match parse(ks, argv, rev) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let entries = if rev {
        ks.xrevrange(r.key, r.end, r.start, r.count)
    } else {
        ks.xrange(r.key, r.start, r.end, r.count)
    };
    reply(entries.map(|e| Reply::entries(&e)))
}

/// XRANGE / XREVRANGE (`argv[0]` says which) encoded straight into `out` as the
/// entries are walked: the reply's bytes are the only copy of the range, however large
/// (no owned entries, no reply tree). The same bytes as [`run`]'s reply encoded for
/// `proto` (an entry has no RESP3-specific shape); an error is returned, not written.
pub(crate) fn write_resp(
    ks: &Keyspace,
    argv: &[Bytes],
    proto: crate::resp::Protocol,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let rev = argv[0].eq_ignore_ascii_case(b"xrevrange");
    let r = match parse(ks, argv, rev) {
        Ok(r) => r,
        Err(Reply::Error(e)) => return Err(e),
        Err(reply) => {
            reply.write_resp(proto, out);
            return Ok(());
        }
    };
    let Some(stream) = ks.stream(r.key)? else {
        Reply::Array(Vec::new()).write_resp(proto, out);
        return Ok(());
    };
    let at = out.len();
    let mut n = 0;
    let limit = crate::keyspace::count_limit(r.count);
    let mut write = |e: &crate::log::node::EntryRef<'_>| {
        crate::reply::write_entry_ref(e, out);
        n += 1;
    };
    if rev {
        stream.for_each_rev_in(r.end, r.start, limit, &mut write);
    } else {
        stream.for_each_in(r.start, r.end, limit, &mut write);
    }
    crate::resp::insert_array_len(out, at, n);
    Ok(())
}

/// XRANGE's and XREVRANGE's reply read back.
pub(crate) fn read_reply(r: Reply) -> Result<Vec<StreamEntry>, Error> {
    reply_read::entries(r)
}
