//! [`Command`] and Redis argument vectors, both ways: [`Command::parse`] uses each
//! command's own parser (the one its handler runs), [`Command::to_argv`] each command's
//! writer, both in the command's file.

use alloc::vec::Vec;

use bytes::Bytes;

use super::{
    del, get, incr, resolve, xack, xackdel, xadd, xautoclaim, xclaim, xdel, xdelex, xgroup,
};
use super::{set, xinfo, xlen, xpending, xrange, xread, xreadgroup, xsetid, xtrim};
use crate::api::Command;
use crate::error::Error;

impl Command {
    /// The typed command for a Redis argument vector (`argv[0]` is the command name,
    /// any case): the inverse of [`Command::to_argv`].
    ///
    /// The checks are Redis's syntax checks, as [`Keyspace::execute`] makes them and
    /// with its errors — the command's name and arity first, then the command's own
    /// parser — but only those that need no key: an error Redis gives only after
    /// looking at the key (NOGROUP, WRONGTYPE, XGROUP's argument count checked after
    /// the key, XAUTOCLAIM's COUNT above 2^31) comes from [`Command::apply`] or not at
    /// all. The parse is that of a client's command, not a replica's (an IDMP XADD must
    /// use `*`; ENTRIESREAD is at least -1).
    ///
    /// Forms are folded where the reply is the same: `INCR`/`DECR` are [`Command::IncrBy`]
    /// by 1 and -1, `UNLINK` is [`Command::Del`], `SET`'s `EX`/`EXAT` are its `PX`/`PXAT`
    /// in milliseconds, and a negative XCLAIM or XAUTOCLAIM min-idle-time, XRANGE,
    /// XREAD or XREADGROUP COUNT is 0. XREAD's and XREADGROUP's `BLOCK` is checked and
    /// then ignored: a typed read does not block, as Redis's does not inside MULTI.
    /// `SET`'s relative expiry is not checked against a clock.
    ///
    /// A command the enum does not have (or a form of one it cannot hold: `SET … GET`,
    /// `XINFO STREAM key FULL`, `XGROUP HELP`) is [`Error::UnknownCommand`], as Redis
    /// words it for an unknown command.
    ///
    /// [`Keyspace::execute`]: crate::Keyspace::execute
    pub fn parse(argv: &[Bytes]) -> Result<Command, Error> {
        let spec = resolve(argv)?;
        let unknown = || Error::unknown_command(argv);
        Ok(match spec.name {
            "xadd" => xadd::command(argv)?,
            "xlen" => xlen::command(argv),
            "xrange" => xrange::command(argv, false)?,
            "xrevrange" => xrange::command(argv, true)?,
            "xdel" => xdel::command(argv)?,
            "xtrim" => xtrim::command(argv)?,
            "xsetid" => xsetid::command(argv)?,
            "xread" => xread::command(argv)?,
            "xreadgroup" => xreadgroup::command(argv)?,
            "xack" => xack::command(argv)?,
            "xackdel" => xackdel::command(argv)?,
            "xdelex" => xdelex::command(argv)?,
            "xpending" => xpending::command(argv)?,
            "xclaim" => xclaim::command(argv)?,
            "xautoclaim" => xautoclaim::command(argv)?,
            "xgroup|create" => xgroup::command_create(argv)?,
            "xgroup|setid" => xgroup::command_setid(argv)?,
            "xgroup|destroy" => xgroup::command_named(argv, "DESTROY").ok_or_else(unknown)?,
            "xgroup|createconsumer" => {
                xgroup::command_named(argv, "CREATECONSUMER").ok_or_else(unknown)?
            }
            "xgroup|delconsumer" => {
                xgroup::command_named(argv, "DELCONSUMER").ok_or_else(unknown)?
            }
            "xinfo|stream" => xinfo::command(argv, "STREAM")?.ok_or_else(unknown)?,
            "xinfo|groups" => xinfo::command(argv, "GROUPS")?.ok_or_else(unknown)?,
            "xinfo|consumers" => xinfo::command(argv, "CONSUMERS")?.ok_or_else(unknown)?,
            "del" | "unlink" => del::command(argv),
            "set" => set::command(argv)?.ok_or_else(unknown)?,
            "get" => get::command(argv),
            "incrby" => incr::command(argv, None)?,
            "incr" => incr::command(argv, Some(1))?,
            "decr" => incr::command(argv, Some(-1))?,
            _ => return Err(unknown()),
        })
    }

    /// The Redis argument vector for the command, its name first (`XADD`, `XGROUP
    /// CREATE`, …): what a Redis server is sent for it, and what [`Command::parse`]
    /// reads back as the same command.
    ///
    /// Options left at their defaults are not written (no `KEEPREF`, no `COUNT` for
    /// `None`, no XPENDING `IDLE 0`), so servers that predate them (Redis 7, Valkey)
    /// accept the command; trims are written `MAXLEN | MINID = | ~ threshold`; XACKDEL
    /// and XDELEX carry `IDS numids`; XAUTOCLAIM always carries `COUNT`. Integers are
    /// decimal, IDs `ms-seq`.
    pub fn to_argv(&self) -> Vec<Bytes> {
        let mut out = Vec::new();
        let o = &mut out;
        match self {
            Command::XAdd { key, opts, fields } => xadd::write(o, key, opts, fields),
            Command::XLen { key } => xlen::write(o, key),
            Command::XRange {
                key,
                start,
                end,
                count,
            } => xrange::write(o, false, key, *start, *end, *count),
            Command::XRevRange {
                key,
                end,
                start,
                count,
            } => xrange::write(o, true, key, *end, *start, *count),
            Command::XDel { key, ids } => xdel::write(o, key, ids),
            Command::XTrim { key, opts } => xtrim::write(o, key, opts),
            Command::XSetId { key, opts } => xsetid::write(o, key, opts),
            Command::XRead { streams, count } => xread::write(o, streams, *count),
            Command::XGroupCreate {
                key,
                group,
                start,
                mkstream,
                entries_read,
            } => {
                xgroup::write_create_or_setid(o, key, group, *start, Some(*mkstream), *entries_read)
            }
            Command::XGroupSetId {
                key,
                group,
                start,
                entries_read,
            } => xgroup::write_create_or_setid(o, key, group, *start, None, *entries_read),
            Command::XGroupDestroy { key, group } => {
                xgroup::write_named(o, "DESTROY", key, group, None)
            }
            Command::XGroupCreateConsumer {
                key,
                group,
                consumer,
            } => xgroup::write_named(o, "CREATECONSUMER", key, group, Some(consumer)),
            Command::XGroupDelConsumer {
                key,
                group,
                consumer,
            } => xgroup::write_named(o, "DELCONSUMER", key, group, Some(consumer)),
            Command::XReadGroup {
                group,
                consumer,
                streams,
                opts,
            } => xreadgroup::write(o, group, consumer, streams, opts),
            Command::XAck { key, group, ids } => xack::write(o, key, group, ids),
            Command::XAckDel {
                key,
                group,
                ids,
                policy,
            } => xackdel::write(o, key, group, ids, *policy),
            Command::XDelEx { key, ids, policy } => xdelex::write(o, key, ids, *policy),
            Command::XPending { key, group } => xpending::write(o, key, group, None),
            Command::XPendingRange { key, group, range } => {
                xpending::write(o, key, group, Some(range))
            }
            Command::XClaim {
                key,
                group,
                consumer,
                min_idle_ms,
                ids,
                opts,
            } => xclaim::write(o, (key, group, consumer), *min_idle_ms, ids, opts),
            Command::XAutoClaim {
                key,
                group,
                consumer,
                min_idle_ms,
                start,
                opts,
            } => xautoclaim::write(o, (key, group, consumer), *min_idle_ms, *start, opts),
            Command::XInfoStream { key } => xinfo::write(o, "STREAM", key, None),
            Command::XInfoGroups { key } => xinfo::write(o, "GROUPS", key, None),
            Command::XInfoConsumers { key, group } => {
                xinfo::write(o, "CONSUMERS", key, Some(group))
            }
            Command::Del { keys } => del::write(o, keys),
            Command::Set { key, value, opts } => set::write(o, key, value, opts),
            Command::Get { key } => get::write(o, key),
            Command::IncrBy { key, by } => incr::write(o, key, *by),
        }
        out
    }
}
