//! XINFO STREAM, GROUPS, CONSUMERS and HELP.
//!
//! ```text
//! XINFO STREAM key [FULL [COUNT count]]
//! XINFO GROUPS key
//! XINFO CONSUMERS key group
//! XINFO HELP
//! ```
//!
//! The key is looked up before the options are read: a missing key is `ERR no such key`
//! even with bad options. `FULL` takes an optional `COUNT n` (0 = all entries, negative =
//! the default 10); anything else is the subcommand syntax error (reference §18). The
//! reply has Redis 8.6's fields in Redis 8.6's order.

use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::reply_read::{self, Record};
use super::{parse_int, reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::info::{FullGroup, StreamSummary, XInfoGroup};
use crate::info::{XInfoConsumer, XInfoStream};
use crate::keyspace::Keyspace;
use crate::num::keyword_eq;
use crate::reply::Reply;

const HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Print this help.",
];

/// The length of a typical stream ID (`1700000000000-0`, a few sequence digits).
const TYPICAL_ID: usize = 18;

pub(super) fn run_help(_ks: &mut Keyspace, _argv: &[Bytes], _now: u64) -> Reply {
    Reply::Array(HELP.iter().map(|l| Reply::Simple(l)).collect())
}

/// What XINFO STREAM asks for, once its arguments are checked.
enum StreamForm {
    /// The summary with the first and last entries.
    Plain,
    /// `FULL` with this many entries and PEL entries per list (0 = all).
    Full(u64),
}

/// Checks XINFO STREAM's key and options in Redis's order.
fn parse_stream(ks: &Keyspace, argv: &[Bytes]) -> Result<StreamForm, Error> {
    if ks.stream(&argv[2])?.is_none() {
        return Err(Error::NoSuchKey);
    }
    stream_form(argv)
}

/// XINFO STREAM's options (after the key's checks).
fn stream_form(argv: &[Bytes]) -> Result<StreamForm, Error> {
    let opts = &argv[3..];
    if opts.is_empty() {
        return Ok(StreamForm::Plain);
    }
    let syntax = || Error::subcommand_syntax(&argv[1], "XINFO");
    if !keyword_eq(&opts[0], "FULL") {
        return Err(syntax());
    }
    let mut count = 10;
    if opts.len() > 1 {
        if opts.len() != 3 || !keyword_eq(&opts[1], "COUNT") {
            return Err(syntax());
        }
        let n = parse_int(&opts[2])?;
        count = if n < 0 { 10 } else { n as u64 };
    }
    Ok(StreamForm::Full(count))
}

/// XINFO STREAM without `FULL`.
fn plain_stream(ks: &Keyspace, key: &[u8], now: u64) -> Result<Reply, Error> {
    let info = ks.xinfo_stream(key, now)?;
    let mut fields = summary_fields(&info.summary);
    fields.push((Reply::text("groups"), Reply::count(info.groups)));
    fields.push((
        Reply::text("first-entry"),
        Reply::opt_entry(&info.first_entry),
    ));
    fields.push((
        Reply::text("last-entry"),
        Reply::opt_entry(&info.last_entry),
    ));
    Ok(Reply::Map(fields))
}

pub(super) fn run_stream(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let key = &argv[2];
        let count = match parse_stream(ks, argv)? {
            StreamForm::Plain => return plain_stream(ks, key, now),
            StreamForm::Full(count) => count,
        };
        let info = ks.xinfo_stream_full(key, count, now)?;
        let mut fields = summary_fields(&info.summary);
        fields.push((Reply::text("entries"), Reply::entries(&info.entries)));
        fields.push((
            Reply::text("groups"),
            Reply::Array(info.groups.iter().map(full_group).collect()),
        ));
        Ok(Reply::Map(fields))
    })())
}

/// Groups with at most this many consumers owning pending entries have each
/// consumer's list of XINFO STREAM FULL encoded by its own walk of the group PEL;
/// above it, one walk gathers every list first (a walk per consumer would cost
/// consumers × PEL).
const WALK_PER_CONSUMER: usize = 8;

/// XINFO STREAM (any form) encoded into `out`: `FULL`'s entries, group PELs and
/// consumer PELs straight from the stream and its groups as they are walked. The
/// bytes of [`run_stream`]'s reply, or its error returned.
pub(super) fn write_stream_resp(
    ks: &Keyspace,
    argv: &[Bytes],
    now: u64,
    proto: crate::resp::Protocol,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    use crate::resp::{insert_array_len, write_bulk, write_count, write_id, write_len};
    let key = &argv[2];
    let count = match parse_stream(ks, argv)? {
        StreamForm::Plain => {
            plain_stream(ks, key, now)?.write_resp(proto, out);
            return Ok(());
        }
        StreamForm::Full(count) => count,
    };
    let s = ks.stream(key)?.ok_or(Error::NoSuchKey)?;
    let summary = summary_fields(&crate::keyspace::summary(s, now));
    let map_len = |n: usize, out: &mut Vec<u8>| match proto {
        crate::resp::Protocol::Resp2 => write_len(b'*', n * 2, out),
        crate::resp::Protocol::Resp3 => write_len(b'%', n, out),
    };
    map_len(summary.len() + 2, out);
    for (k, v) in &summary {
        k.write_resp(proto, out);
        v.write_resp(proto, out);
    }
    let take = crate::keyspace::count_limit(Some(count));
    let take_all = if take == 0 { usize::MAX } else { take };
    // Room for the whole reply at once (a buffer grown by doubling would hold it up to
    // three times over): the entries exactly, the PEL rows at a typical size (IDs of
    // millisecond times, small delivery counts) — not at their largest, as brook counts
    // a connection's reserved output in `used_memory`; a larger reply grows the buffer.
    let mut bytes = 0;
    s.for_each_in(
        crate::id::StreamId::MIN,
        crate::id::StreamId::MAX,
        take,
        |e| bytes += crate::reply::entry_parts_len(e, 2),
    );
    for (name, g) in s.groups() {
        let longest_name = g.consumers().map(|c| c.name.len()).max().unwrap_or(0);
        // A group row `[id, owner, time, count]` and the owner's row `[id, time, count]`.
        let rows = g.pel().len().min(take_all);
        let id = crate::resp::bulk_len(TYPICAL_ID);
        let row = 8 + 2 * id + crate::resp::bulk_len(longest_name) + 2 * (16 + 3) + 2 * 6;
        bytes += name.len() + 400 + rows.saturating_mul(row);
        bytes += g.consumer_count().saturating_mul(200 + longest_name);
    }
    out.reserve(bytes.saturating_add(1024));
    write_bulk(b"entries", out);
    let at = out.len();
    let mut n = 0;
    s.for_each_in(
        crate::id::StreamId::MIN,
        crate::id::StreamId::MAX,
        take,
        |e| {
            crate::reply::write_entry_ref(e, out);
            n += 1;
        },
    );
    insert_array_len(out, at, n);
    write_bulk(b"groups", out);
    write_len(b'*', s.groups().len(), out);
    for (name, g) in s.groups() {
        let info = crate::keyspace::group_info(s, name, g);
        map_len(7, out);
        write_bulk(b"name", out);
        write_bulk(name, out);
        write_bulk(b"last-delivered-id", out);
        write_id(info.last_delivered_id, out);
        write_bulk(b"entries-read", out);
        opt_count(info.entries_read).write_resp(proto, out);
        write_bulk(b"lag", out);
        opt_count(info.lag).write_resp(proto, out);
        write_bulk(b"pel-count", out);
        write_count(info.pending, out);
        write_bulk(b"pending", out);
        write_len(b'*', g.pel().len().min(take_all), out);
        for (id, p) in g.pel().iter().take(take_all) {
            write_len(b'*', 4, out);
            write_id(id, out);
            write_bulk(g.consumer_name_ref(p.owner), out);
            write_count(p.delivery_time, out);
            write_count(p.delivery_count, out);
        }
        write_bulk(b"consumers", out);
        write_len(b'*', g.consumer_count(), out);
        let owning = g.consumers().filter(|c| c.pending > 0).count();
        let gathered = if owning > WALK_PER_CONSUMER {
            crate::keyspace::full_consumers(g, take_all)
        } else {
            Vec::new()
        };
        let mut gathered = gathered.into_iter();
        for (cid, c) in g.consumers_with_ids() {
            map_len(5, out);
            write_bulk(b"name", out);
            write_bulk(&c.name, out);
            write_bulk(b"seen-time", out);
            write_count(c.seen_time, out);
            write_bulk(b"active-time", out);
            c.active_time()
                .map_or(Reply::Integer(-1), Reply::count)
                .write_resp(proto, out);
            write_bulk(b"pel-count", out);
            write_count(c.pending, out);
            write_bulk(b"pending", out);
            let row = |id, time, count, out: &mut Vec<u8>| {
                write_len(b'*', 3, out);
                write_id(id, out);
                write_count(time, out);
                write_count(count, out);
            };
            if owning > WALK_PER_CONSUMER {
                let list = gathered.next().map(|c| c.pending).unwrap_or_default();
                write_len(b'*', list.len(), out);
                for p in list {
                    row(p.id, p.delivery_time, p.delivery_count, out);
                }
                continue;
            }
            let want = take_all.min(usize::try_from(c.pending).unwrap_or(usize::MAX));
            let at = out.len();
            let mut n = 0;
            if want > 0 {
                for (id, p) in g.pel().iter() {
                    if p.owner == cid {
                        row(id, p.delivery_time, p.delivery_count, out);
                        n += 1;
                        if n == want {
                            break;
                        }
                    }
                }
            }
            insert_array_len(out, at, n);
        }
    }
    Ok(())
}

fn opt_count(n: Option<u64>) -> Reply {
    n.map_or(Reply::Null, Reply::count)
}

fn full_group(g: &FullGroup) -> Reply {
    let pending = g
        .pending
        .iter()
        .map(|p| {
            Reply::Array(vec![
                Reply::id(p.id),
                Reply::Bulk(p.consumer.clone()),
                Reply::count(p.delivery_time),
                Reply::count(p.delivery_count),
            ])
        })
        .collect();
    let consumers = g
        .consumers
        .iter()
        .map(|c| {
            let pending = c
                .pending
                .iter()
                .map(|p| {
                    Reply::Array(vec![
                        Reply::id(p.id),
                        Reply::count(p.delivery_time),
                        Reply::count(p.delivery_count),
                    ])
                })
                .collect();
            Reply::Map(vec![
                (Reply::text("name"), Reply::Bulk(c.name.clone())),
                (Reply::text("seen-time"), Reply::count(c.seen_time)),
                (
                    Reply::text("active-time"),
                    c.active_time.map_or(Reply::Integer(-1), Reply::count),
                ),
                (Reply::text("pel-count"), Reply::count(c.pel_count)),
                (Reply::text("pending"), Reply::Array(pending)),
            ])
        })
        .collect();
    Reply::Map(vec![
        (Reply::text("name"), Reply::Bulk(g.info.name.clone())),
        (
            Reply::text("last-delivered-id"),
            Reply::id(g.info.last_delivered_id),
        ),
        (Reply::text("entries-read"), opt_count(g.info.entries_read)),
        (Reply::text("lag"), opt_count(g.info.lag)),
        (Reply::text("pel-count"), Reply::count(g.info.pending)),
        (Reply::text("pending"), Reply::Array(pending)),
        (Reply::text("consumers"), Reply::Array(consumers)),
    ])
}

fn group_info(g: &XInfoGroup) -> Reply {
    Reply::Map(vec![
        (Reply::text("name"), Reply::Bulk(g.name.clone())),
        (Reply::text("consumers"), Reply::count(g.consumers)),
        (Reply::text("pending"), Reply::count(g.pending)),
        (
            Reply::text("last-delivered-id"),
            Reply::id(g.last_delivered_id),
        ),
        (Reply::text("entries-read"), opt_count(g.entries_read)),
        (Reply::text("lag"), opt_count(g.lag)),
    ])
}

pub(super) fn run_groups(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let groups = ks.xinfo_groups(&argv[2])?;
        Ok(Reply::Array(groups.iter().map(group_info).collect()))
    })())
}

pub(super) fn run_consumers(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let consumers = ks.xinfo_consumers(&argv[2], &argv[3], now)?;
        Ok(Reply::Array(
            consumers.into_iter().map(consumer_info).collect(),
        ))
    })())
}

/// One consumer of XINFO CONSUMERS.
fn consumer_info(c: crate::info::XInfoConsumer) -> Reply {
    Reply::Map(vec![
        (Reply::text("name"), Reply::Bulk(c.name)),
        (Reply::text("pending"), Reply::count(c.pending)),
        (Reply::text("idle"), Reply::count(c.idle)),
        (
            Reply::text("inactive"),
            c.inactive.map_or(Reply::Integer(-1), Reply::count),
        ),
    ])
}

/// XINFO CONSUMERS encoded into `out` one consumer at a time (a group of a million
/// consumers costs its reply's bytes, not a reply tree of them first); the bytes of
/// [`run_consumers`]'s reply, or its error returned.
pub(super) fn write_consumers_resp(
    ks: &Keyspace,
    argv: &[Bytes],
    now: u64,
    proto: crate::resp::Protocol,
    out: &mut Vec<u8>,
) -> Result<(), crate::error::Error> {
    let consumers = ks.xinfo_consumer_iter(&argv[2], &argv[3], now)?;
    let at = out.len();
    let mut n = 0;
    for c in consumers {
        consumer_info(c).write_resp(proto, out);
        n += 1;
    }
    crate::resp::insert_array_len(out, at, n);
    Ok(())
}

fn summary_fields(s: &StreamSummary) -> Vec<(Reply, Reply)> {
    vec![
        (Reply::text("length"), Reply::count(s.length)),
        (
            Reply::text("radix-tree-keys"),
            Reply::count(s.radix_tree_keys),
        ),
        (
            Reply::text("radix-tree-nodes"),
            Reply::count(s.radix_tree_nodes),
        ),
        (
            Reply::text("last-generated-id"),
            Reply::id(s.last_generated_id),
        ),
        (
            Reply::text("max-deleted-entry-id"),
            Reply::id(s.max_deleted_entry_id),
        ),
        (Reply::text("entries-added"), Reply::count(s.entries_added)),
        (
            Reply::text("recorded-first-entry-id"),
            Reply::id(s.recorded_first_entry_id),
        ),
        (Reply::text("idmp-duration"), Reply::count(s.idmp_duration)),
        (Reply::text("idmp-maxsize"), Reply::count(s.idmp_maxsize)),
        (Reply::text("pids-tracked"), Reply::count(s.pids_tracked)),
        (Reply::text("iids-tracked"), Reply::count(s.iids_tracked)),
        (Reply::text("iids-added"), Reply::count(s.iids_added)),
        (
            Reply::text("iids-duplicates"),
            Reply::count(s.iids_duplicates),
        ),
    ]
}

/// The typed XINFO STREAM, GROUPS or CONSUMERS (`sub`, upper case); `None` for the
/// forms the typed command does not have (`STREAM key FULL …`).
pub(super) fn command(argv: &[Bytes], sub: &str) -> Result<Option<Command>, Error> {
    let key = argv[2].clone();
    Ok(match sub {
        "STREAM" => match stream_form(argv)? {
            StreamForm::Plain => Some(Command::XInfoStream { key }),
            StreamForm::Full(_) => None,
        },
        "GROUPS" => Some(Command::XInfoGroups { key }),
        "CONSUMERS" => Some(Command::XInfoConsumers {
            key,
            group: argv[3].clone(),
        }),
        _ => None,
    })
}

/// Writes `XINFO sub key [group]` (STREAM, GROUPS; CONSUMERS with its group).
pub(super) fn write(out: &mut Vec<Bytes>, sub: &'static str, key: &Bytes, group: Option<&Bytes>) {
    out.extend([word("XINFO"), word(sub), key.clone()]);
    out.extend(group.cloned());
}

/// XINFO STREAM's reply read back (the idempotency counters and the 7.0 fields are
/// absent from older servers' replies: 0 there).
pub(crate) fn read_stream(r: Reply) -> Result<XInfoStream, Error> {
    let mut r = Record::new(r)?;
    let summary = StreamSummary {
        length: reply_read::uint(r.need("length")?)?,
        radix_tree_keys: reply_read::uint(r.need("radix-tree-keys")?)?,
        radix_tree_nodes: reply_read::uint(r.need("radix-tree-nodes")?)?,
        last_generated_id: reply_read::id(r.need("last-generated-id")?)?,
        max_deleted_entry_id: r.id_or_min("max-deleted-entry-id")?,
        entries_added: r.uint_or_zero("entries-added")?,
        recorded_first_entry_id: r.id_or_min("recorded-first-entry-id")?,
        idmp_duration: r.uint_or_zero("idmp-duration")?,
        idmp_maxsize: r.uint_or_zero("idmp-maxsize")?,
        pids_tracked: r.uint_or_zero("pids-tracked")?,
        iids_tracked: r.uint_or_zero("iids-tracked")?,
        iids_added: r.uint_or_zero("iids-added")?,
        iids_duplicates: r.uint_or_zero("iids-duplicates")?,
    };
    let entry = |e: Option<Reply>| e.map_or(Ok(None), reply_read::opt_entry);
    Ok(XInfoStream {
        summary,
        groups: reply_read::uint(r.need("groups")?)?,
        first_entry: entry(r.take("first-entry"))?,
        last_entry: entry(r.take("last-entry"))?,
    })
}

/// XINFO GROUPS's reply read back (`entries-read` and `lag` are absent before 7.0).
pub(crate) fn read_groups(r: Reply) -> Result<Vec<XInfoGroup>, Error> {
    reply_read::array(r)?
        .into_iter()
        .map(|g| {
            let mut r = Record::new(g)?;
            Ok(XInfoGroup {
                name: reply_read::bytes(r.need("name")?)?,
                consumers: reply_read::uint(r.need("consumers")?)?,
                pending: reply_read::uint(r.need("pending")?)?,
                last_delivered_id: reply_read::id(r.need("last-delivered-id")?)?,
                entries_read: r
                    .take("entries-read")
                    .map_or(Ok(None), reply_read::opt_uint)?,
                lag: r.take("lag").map_or(Ok(None), reply_read::opt_uint)?,
            })
        })
        .collect()
}

/// XINFO CONSUMERS's reply read back (`inactive` is absent before 7.2, -1 for a
/// consumer that never read).
pub(crate) fn read_consumers(r: Reply) -> Result<Vec<XInfoConsumer>, Error> {
    reply_read::array(r)?
        .into_iter()
        .map(|c| {
            let mut r = Record::new(c)?;
            let inactive = match r.take("inactive") {
                None => None,
                Some(v) => u64::try_from(reply_read::int(v)?).ok(),
            };
            Ok(XInfoConsumer {
                name: reply_read::bytes(r.need("name")?)?,
                pending: reply_read::uint(r.need("pending")?)?,
                idle: reply_read::uint(r.need("idle")?)?,
                inactive,
            })
        })
        .collect()
}
