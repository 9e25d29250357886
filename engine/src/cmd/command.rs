//! [`Command`]: every typed command as a value — for pipelines and atomic batches
//! ([`Streams::pipeline`], [`Streams::atomic`]), for code that builds commands before
//! it runs them, and for what brook-redis sends. Each command's parser
//! ([`Command::parse`]) and argv writer ([`Command::to_argv`]) live in the command's own
//! file, and so does its reply reader ([`Command::read_reply`]) unless the reply is a
//! plain shape (a count, `OK`, a flag, codes, a string) read here; this file
//! dispatches to them and applies a command to the keyspace ([`Command::apply`]).
//!
//! [`Streams::pipeline`]: crate::Streams::pipeline
//! [`Streams::atomic`]: crate::Streams::atomic

use alloc::boxed::Box;
use alloc::vec::Vec;

use bytes::Bytes;

use super::reply_read;
use super::{
    del, get, incr, resolve, xack, xackdel, xadd, xautoclaim, xclaim, xdel, xdelex, xgroup,
};
use super::{set, xinfo, xlen, xpending, xrange, xread, xreadgroup, xsetid, xtrim};
use crate::entry::{StreamEntries, StreamEntry};
use crate::error::Error;
use crate::id::StreamId;
use crate::info::{
    Claimed, GroupEntry, PendingEntry, XAutoClaimReply, XInfoConsumer, XInfoGroup, XInfoStream,
    XPendingSummary,
};
use crate::keyspace::{GroupStart, Keyspace, SetOptions};
use crate::options::{
    GroupReadId, RefPolicy, TrimOptions, XAddOptions, XAutoClaimOptions, XClaimOptions,
    XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
};
use crate::reply::Reply;

/// What XREAD answers: each served stream with its entries.
pub type XReadReply = Vec<StreamEntries>;

/// What XREADGROUP answers: each served stream with its entries (history entries whose
/// stream entry was deleted have no fields).
pub type XReadGroupReply = Vec<StreamEntries<GroupEntry>>;

/// One stream command with its arguments (the trait method of the same name says what
/// each does). Reads carry no `BLOCK`: inside a batch Redis does not block either.
///
/// [`Command::to_argv`] is the Redis argument vector for a command and
/// [`Command::parse`] the command for an argument vector, both written once per
/// command beside the command layer's parser.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // the fields are the trait methods' arguments
#[non_exhaustive] // commands are added as Redis adds them
pub enum Command {
    XAdd {
        key: Bytes,
        opts: XAddOptions,
        fields: Vec<(Bytes, Bytes)>,
    },
    XLen {
        key: Bytes,
    },
    XRange {
        key: Bytes,
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    },
    XRevRange {
        key: Bytes,
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    },
    XDel {
        key: Bytes,
        ids: Vec<StreamId>,
    },
    XTrim {
        key: Bytes,
        opts: TrimOptions,
    },
    XSetId {
        key: Bytes,
        opts: XSetIdOptions,
    },
    XRead {
        streams: Vec<(Bytes, XReadId)>,
        count: Option<u64>,
    },
    XGroupCreate {
        key: Bytes,
        group: Bytes,
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<i64>,
    },
    XGroupSetId {
        key: Bytes,
        group: Bytes,
        start: GroupStart,
        entries_read: Option<i64>,
    },
    XGroupDestroy {
        key: Bytes,
        group: Bytes,
    },
    XGroupCreateConsumer {
        key: Bytes,
        group: Bytes,
        consumer: Bytes,
    },
    XGroupDelConsumer {
        key: Bytes,
        group: Bytes,
        consumer: Bytes,
    },
    XReadGroup {
        group: Bytes,
        consumer: Bytes,
        streams: Vec<(Bytes, GroupReadId)>,
        opts: XReadGroupOptions,
    },
    XAck {
        key: Bytes,
        group: Bytes,
        ids: Vec<StreamId>,
    },
    XAckDel {
        key: Bytes,
        group: Bytes,
        ids: Vec<StreamId>,
        policy: RefPolicy,
    },
    XDelEx {
        key: Bytes,
        ids: Vec<StreamId>,
        policy: RefPolicy,
    },
    XPending {
        key: Bytes,
        group: Bytes,
    },
    XPendingRange {
        key: Bytes,
        group: Bytes,
        range: XPendingRange,
    },
    XClaim {
        key: Bytes,
        group: Bytes,
        consumer: Bytes,
        min_idle_ms: u64,
        ids: Vec<StreamId>,
        opts: XClaimOptions,
    },
    XAutoClaim {
        key: Bytes,
        group: Bytes,
        consumer: Bytes,
        min_idle_ms: u64,
        start: StreamId,
        opts: XAutoClaimOptions,
    },
    XInfoStream {
        key: Bytes,
    },
    XInfoGroups {
        key: Bytes,
    },
    XInfoConsumers {
        key: Bytes,
        group: Bytes,
    },
    Del {
        keys: Vec<Bytes>,
    },
    Set {
        key: Bytes,
        value: Bytes,
        opts: SetOptions,
    },
    Get {
        key: Bytes,
    },
    IncrBy {
        key: Bytes,
        by: i64,
    },
}

/// A [`Command`]'s reply.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive] // reply shapes are added with commands
pub enum CommandReply {
    /// XADD: the new ID (`None`: NOMKSTREAM found no stream).
    Id(Option<StreamId>),
    /// XLEN, XDEL, XTRIM, XACK, XGROUP DELCONSUMER, DEL.
    Count(u64),
    /// XSETID, XGROUP CREATE, XGROUP SETID.
    Ok,
    /// XGROUP DESTROY, XGROUP CREATECONSUMER, SET (stored or not).
    Bool(bool),
    /// XACKDEL, XDELEX: one code per ID.
    Codes(Vec<i64>),
    /// XRANGE, XREVRANGE.
    Entries(Vec<StreamEntry>),
    /// XREAD.
    Read(XReadReply),
    /// XREADGROUP.
    ReadGroup(XReadGroupReply),
    /// XPENDING's summary.
    PendingSummary(XPendingSummary),
    /// XPENDING's extended form.
    Pending(Vec<PendingEntry>),
    /// XCLAIM.
    Claimed(Claimed),
    /// XAUTOCLAIM.
    AutoClaim(XAutoClaimReply),
    /// XINFO STREAM.
    Stream(Box<XInfoStream>),
    /// XINFO GROUPS.
    Groups(Vec<XInfoGroup>),
    /// XINFO CONSUMERS.
    Consumers(Vec<XInfoConsumer>),
    /// GET.
    Value(Option<Bytes>),
    /// INCRBY.
    Int(i64),
}

impl Command {
    /// The keys the command touches (what Redis Cluster routes it by).
    pub fn keys(&self) -> Vec<&[u8]> {
        match self {
            Command::XRead { streams, .. } => streams.iter().map(|(k, _)| &k[..]).collect(),
            Command::XReadGroup { streams, .. } => streams.iter().map(|(k, _)| &k[..]).collect(),
            Command::Del { keys } => keys.iter().map(|k| &k[..]).collect(),
            Command::XAdd { key, .. }
            | Command::XLen { key }
            | Command::XRange { key, .. }
            | Command::XRevRange { key, .. }
            | Command::XDel { key, .. }
            | Command::XTrim { key, .. }
            | Command::XSetId { key, .. }
            | Command::XGroupCreate { key, .. }
            | Command::XGroupSetId { key, .. }
            | Command::XGroupDestroy { key, .. }
            | Command::XGroupCreateConsumer { key, .. }
            | Command::XGroupDelConsumer { key, .. }
            | Command::XAck { key, .. }
            | Command::XAckDel { key, .. }
            | Command::XDelEx { key, .. }
            | Command::XPending { key, .. }
            | Command::XPendingRange { key, .. }
            | Command::XClaim { key, .. }
            | Command::XAutoClaim { key, .. }
            | Command::XInfoStream { key }
            | Command::XInfoGroups { key }
            | Command::XInfoConsumers { key, .. }
            | Command::Set { key, .. }
            | Command::Get { key }
            | Command::IncrBy { key, .. } => alloc::vec![&key[..]],
        }
    }

    /// The error Redis's dispatcher answers this command's argument vector
    /// ([`Command::to_argv`]) with before the command runs, if any: the arity error,
    /// which only an empty list makes (XADD without fields; XDEL, XACK, XACKDEL, XDELEX
    /// or XCLAIM without IDs; XREAD or XREADGROUP without streams; DEL without keys).
    /// Run alone or in a pipeline such a command answers that error (as
    /// [`Command::apply`] does); in a transaction MULTI refuses it when queued and EXEC
    /// discards the whole transaction ([`Error::ExecAbort`]).
    pub fn dispatcher_error(&self) -> Option<Error> {
        let empty = match self {
            Command::XAdd { fields, .. } => fields.is_empty(),
            Command::XDel { ids, .. }
            | Command::XAck { ids, .. }
            | Command::XAckDel { ids, .. }
            | Command::XDelEx { ids, .. }
            | Command::XClaim { ids, .. } => ids.is_empty(),
            Command::XRead { streams, .. } => streams.is_empty(),
            Command::XReadGroup { streams, .. } => streams.is_empty(),
            Command::Del { keys } => keys.is_empty(),
            _ => false,
        };
        // Every list non-empty: the argument vector has its arity (a property test
        // checks every command's).
        if !empty {
            return None;
        }
        Keyspace::check_command(&self.to_argv()).err()
    }

    /// Runs the command on `ks` at time `now` (the engine's batches; the keyspace's
    /// typed methods).
    pub fn apply(&self, ks: &mut Keyspace, now: u64) -> Result<CommandReply, Error> {
        use CommandReply as R;
        // What the dispatcher refuses never reaches the command (an empty list).
        if let Some(e) = self.dispatcher_error() {
            return Err(e);
        }
        Ok(match self {
            Command::XAdd { key, opts, fields } => R::Id(ks.xadd(key, opts, &fields[..], now)?),
            Command::XLen { key } => R::Count(ks.xlen(key)?),
            Command::XRange {
                key,
                start,
                end,
                count,
            } => R::Entries(ks.xrange(key, *start, *end, *count)?),
            Command::XRevRange {
                key,
                end,
                start,
                count,
            } => R::Entries(ks.xrevrange(key, *end, *start, *count)?),
            Command::XDel { key, ids } => R::Count(ks.xdel(key, ids)?),
            Command::XTrim { key, opts } => R::Count(ks.xtrim(key, opts)?),
            Command::XSetId { key, opts } => {
                ks.xsetid(key, opts)?;
                R::Ok
            }
            Command::XRead { streams, count } => R::Read(ks.xread(streams, *count)?),
            Command::XGroupCreate {
                key,
                group,
                start,
                mkstream,
                entries_read,
            } => {
                ks.xgroup_create(key, group, *start, *mkstream, *entries_read)?;
                R::Ok
            }
            Command::XGroupSetId {
                key,
                group,
                start,
                entries_read,
            } => {
                ks.xgroup_setid(key, group, *start, *entries_read)?;
                R::Ok
            }
            Command::XGroupDestroy { key, group } => R::Bool(ks.xgroup_destroy(key, group)?),
            Command::XGroupCreateConsumer {
                key,
                group,
                consumer,
            } => R::Bool(ks.xgroup_createconsumer(key, group, consumer, now)?),
            Command::XGroupDelConsumer {
                key,
                group,
                consumer,
            } => R::Count(ks.xgroup_delconsumer(key, group, consumer)?),
            Command::XReadGroup {
                group,
                consumer,
                streams,
                opts,
            } => R::ReadGroup(ks.xreadgroup(group, consumer, streams, opts, now)?),
            Command::XAck { key, group, ids } => R::Count(ks.xack(key, group, ids)?),
            Command::XAckDel {
                key,
                group,
                ids,
                policy,
            } => R::Codes(ks.xackdel(key, group, ids, *policy)?),
            Command::XDelEx { key, ids, policy } => R::Codes(ks.xdelex(key, ids, *policy)?),
            Command::XPending { key, group } => R::PendingSummary(ks.xpending(key, group)?),
            Command::XPendingRange { key, group, range } => {
                R::Pending(ks.xpending_range(key, group, range, now)?)
            }
            Command::XClaim {
                key,
                group,
                consumer,
                min_idle_ms,
                ids,
                opts,
            } => R::Claimed(ks.xclaim(key, group, consumer, *min_idle_ms, ids, opts, now)?),
            Command::XAutoClaim {
                key,
                group,
                consumer,
                min_idle_ms,
                start,
                opts,
            } => R::AutoClaim(ks.xautoclaim(
                key,
                group,
                consumer,
                *min_idle_ms,
                *start,
                opts,
                now,
            )?),
            Command::XInfoStream { key } => R::Stream(Box::new(ks.xinfo_stream(key, now)?)),
            Command::XInfoGroups { key } => R::Groups(ks.xinfo_groups(key)?),
            Command::XInfoConsumers { key, group } => {
                R::Consumers(ks.xinfo_consumers(key, group, now)?)
            }
            Command::Del { keys } => {
                ks.check_slots(keys.iter().map(|k| &k[..]))?;
                ks.check_writable()?;
                R::Count(ks.del(keys))
            }
            Command::Set { key, value, opts } => {
                R::Bool(ks.set_with(key, value.clone(), opts, now)?)
            }
            Command::Get { key } => R::Value(ks.get(key)?),
            Command::IncrBy { key, by } => R::Int(ks.incr_by(key, *by)?),
        })
    }
}

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
    /// [`Keyspace::execute`]: crate::frontend::Keyspace::execute
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

    /// The command's typed reply from the [`Reply`] a server answered it with (both
    /// protocols' shapes; an error reply is that error): what brook-redis does with
    /// each reply it receives. The inverse of a server writing the reply of
    /// [`Command::apply`]: for any command, reading the reply `execute` gives for its
    /// argv yields what `apply` answers.
    ///
    /// A reply of another shape is [`Error::Server`] naming what was expected.
    pub fn read_reply(&self, r: Reply) -> Result<CommandReply, Error> {
        use reply_read as read;
        use CommandReply as R;
        Ok(match self {
            Command::XAdd { .. } => R::Id(read::opt_id(r)?),
            Command::XLen { .. }
            | Command::XDel { .. }
            | Command::XTrim { .. }
            | Command::XAck { .. }
            | Command::XGroupDelConsumer { .. }
            | Command::Del { .. } => R::Count(read::uint(r)?),
            Command::XSetId { .. } | Command::XGroupCreate { .. } | Command::XGroupSetId { .. } => {
                read::ok(r)?;
                R::Ok
            }
            Command::XGroupDestroy { .. } | Command::XGroupCreateConsumer { .. } => {
                R::Bool(read::uint(r)? > 0)
            }
            Command::XAckDel { .. } | Command::XDelEx { .. } => R::Codes(
                read::array(r)?
                    .into_iter()
                    .map(read::int)
                    .collect::<Result<_, _>>()?,
            ),
            Command::XRange { .. } | Command::XRevRange { .. } => {
                R::Entries(xrange::read_reply(r)?)
            }
            Command::XRead { .. } => R::Read(xread::read_reply(r)?),
            Command::XReadGroup { .. } => R::ReadGroup(xreadgroup::read_reply(r)?),
            Command::XPending { .. } => R::PendingSummary(xpending::read_summary(r)?),
            Command::XPendingRange { .. } => R::Pending(xpending::read_range(r)?),
            Command::XClaim { opts, .. } => R::Claimed(xclaim::read_reply(r, opts.justid)?),
            Command::XAutoClaim { opts, .. } => {
                R::AutoClaim(xautoclaim::read_reply(r, opts.justid)?)
            }
            Command::XInfoStream { .. } => R::Stream(Box::new(xinfo::read_stream(r)?)),
            Command::XInfoGroups { .. } => R::Groups(xinfo::read_groups(r)?),
            Command::XInfoConsumers { .. } => R::Consumers(xinfo::read_consumers(r)?),
            Command::Set { .. } => R::Bool(set::read_reply(r)?),
            Command::Get { .. } => R::Value(read::opt_bytes(r)?),
            Command::IncrBy { .. } => R::Int(read::int(r)?),
        })
    }
}
