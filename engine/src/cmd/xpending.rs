//! XPENDING — inspect a consumer group's pending entries.
//!
//! ```text
//! XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
//! ```
//!
//! Order (reference §14): the argument count (3, or 6 to 9) else a syntax error; for the
//! extended form `IDLE` (its value, then at least 8 arguments), `count`, then the start
//! and end bounds, then the optional consumer (anything after it is ignored); then the
//! key's type and the key and group. The summary lists each consumer's count as a bulk
//! string, as Redis does.

use alloc::vec::Vec;

use bytes::Bytes;

use super::reply_read;
use super::{id_arg, int_arg, parse_int, reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::id::StreamId;
use crate::info::{ConsumerPending, PendingBounds, PendingEntry, XPendingSummary};
use crate::keyspace::Keyspace;
use crate::num::keyword_eq;
use crate::options::XPendingRange;
use crate::reply::Reply;

/// Checks XPENDING's arguments in Redis's order (the key's type last): the extended
/// form's range, or `None` for the summary form.
fn parse(ks: &Keyspace, argv: &[Bytes]) -> Result<Option<XPendingRange>, Error> {
    let range = parse_args(argv)?;
    ks.stream(&argv[1])?;
    Ok(range)
}

/// XPENDING's arguments, checked in Redis's order (all before the key).
fn parse_args(argv: &[Bytes]) -> Result<Option<XPendingRange>, Error> {
    let argc = argv.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(Error::Syntax);
    }
    let range = if argc >= 6 {
        let mut i = 3;
        let mut min_idle = 0;
        if keyword_eq(&argv[3], "IDLE") {
            min_idle = parse_int(&argv[4])?;
            if argc < 8 {
                return Err(Error::Syntax);
            }
            i = 5;
        }
        let count = parse_int(&argv[i + 2])?.max(0) as u64;
        let start = StreamId::parse_range_start(&argv[i])?;
        let end = StreamId::parse_range_end(&argv[i + 1])?;
        Some(XPendingRange {
            min_idle,
            start,
            end,
            count,
            consumer: argv.get(i + 3).cloned(),
        })
    } else {
        None
    };
    Ok(range)
}

/// The typed XPENDING, either form.
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    let (key, group) = (argv[1].clone(), argv[2].clone());
    Ok(match parse_args(argv)? {
        Some(range) => Command::XPendingRange { key, group, range },
        None => Command::XPending { key, group },
    })
}

/// Writes `XPENDING key group`, or with `range` `XPENDING key group [IDLE min-idle]
/// start end count [consumer]` (`IDLE` only when not 0).
pub(super) fn write(
    out: &mut Vec<Bytes>,
    key: &Bytes,
    group: &Bytes,
    range: Option<&XPendingRange>,
) {
    out.extend([word("XPENDING"), key.clone(), group.clone()]);
    let Some(r) = range else {
        return;
    };
    if r.min_idle != 0 {
        out.extend([word("IDLE"), int_arg(r.min_idle)]);
    }
    out.extend([id_arg(r.start), id_arg(r.end), int_arg(r.count)]);
    out.extend(r.consumer.iter().cloned());
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let (key, group) = (&argv[1], &argv[2]);
        let Some(range) = parse(ks, argv)? else {
            return summary(ks, key, group);
        };
        let entries = ks.xpending_range(key, group, &range, now)?;
        Ok(Reply::Array(
            entries
                .into_iter()
                .map(|p| {
                    Reply::Array(alloc::vec![
                        Reply::id(p.id),
                        Reply::Bulk(p.consumer),
                        Reply::count(p.idle),
                        Reply::count(p.delivery_count),
                    ])
                })
                .collect::<Vec<_>>(),
        ))
    })())
}

/// The summary form's reply.
fn summary(ks: &Keyspace, key: &[u8], group: &[u8]) -> Result<Reply, Error> {
    let summary = ks.xpending(key, group)?;
    let (first, last) = match summary.bounds {
        Some(b) => (Reply::id(b.smallest), Reply::id(b.greatest)),
        None => (Reply::Null, Reply::Null),
    };
    let consumers = if summary.consumers.is_empty() {
        Reply::NullArray
    } else {
        Reply::Array(
            summary
                .consumers
                .into_iter()
                .map(|c| {
                    let mut buf = [0u8; 20];
                    let at = crate::num::write_u64(c.pending, &mut buf, 0);
                    Reply::Array(alloc::vec![
                        Reply::Bulk(c.name),
                        Reply::Bulk(Bytes::copy_from_slice(&buf[..at])),
                    ])
                })
                .collect(),
        )
    };
    Ok(Reply::Array(alloc::vec![
        Reply::count(summary.count),
        first,
        last,
        consumers
    ]))
}

/// XPENDING (either form) encoded into `out`: the extended form's rows as the group
/// PEL is walked. The bytes of [`run`]'s reply, or its error returned.
pub(super) fn write_resp(
    ks: &Keyspace,
    argv: &[Bytes],
    now: u64,
    proto: crate::resp::Protocol,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    use crate::resp::{insert_array_len, write_bulk, write_count, write_id, write_len};
    let (key, group) = (&argv[1], &argv[2]);
    let Some(range) = parse(ks, argv)? else {
        summary(ks, key, group)?.write_resp(proto, out);
        return Ok(());
    };
    let at = out.len();
    let mut n = 0;
    ks.xpending_each(key, group, &range, now, |p| {
        write_len(b'*', 4, out);
        write_id(p.id, out);
        write_bulk(p.consumer, out);
        write_count(p.idle, out);
        write_count(p.delivery_count, out);
        n += 1;
    })?;
    insert_array_len(out, at, n);
    Ok(())
}

/// XPENDING's summary read back: `[count, min|nil, max|nil, [[consumer, count] …]|nil]`.
pub(crate) fn read_summary(r: Reply) -> Result<XPendingSummary, Error> {
    let [count, lo, hi, consumers] = reply_read::parts(r, "XPENDING's summary has four parts")?;
    let bounds = match (reply_read::opt_id(lo)?, reply_read::opt_id(hi)?) {
        (Some(smallest), Some(greatest)) => Some(PendingBounds { smallest, greatest }),
        _ => None,
    };
    let consumers = reply_read::array(consumers)?
        .into_iter()
        .map(|c| {
            let [name, n] = reply_read::parts(c, "a consumer is a name and a count")?;
            Ok(ConsumerPending {
                name: reply_read::bytes(name)?,
                pending: reply_read::uint(n)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(XPendingSummary {
        count: reply_read::uint(count)?,
        bounds,
        consumers,
    })
}

/// XPENDING's extended form read back: `[[id, consumer, idle, delivery-count] …]`.
pub(crate) fn read_range(r: Reply) -> Result<Vec<PendingEntry>, Error> {
    reply_read::array(r)?
        .into_iter()
        .map(|p| {
            let [id, consumer, idle, n] = reply_read::parts(p, "a pending entry has four parts")?;
            Ok(PendingEntry {
                id: reply_read::id(id)?,
                consumer: reply_read::bytes(consumer)?,
                idle: reply_read::uint(idle)?,
                delivery_count: reply_read::uint(n)?,
            })
        })
        .collect()
}
