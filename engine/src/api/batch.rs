//! Commands as values, for pipelines and atomic batches ([`super::Streams::pipeline`],
//! [`super::Streams::atomic`]) and for code that builds commands before it runs them.

use alloc::boxed::Box;
use alloc::vec::Vec;

use bytes::Bytes;

use super::{XReadGroupReply, XReadReply};
use crate::entry::StreamEntry;
use crate::error::Error;
use crate::id::StreamId;
use crate::info::{
    Claimed, PendingEntry, XAutoClaimReply, XInfoConsumer, XInfoGroup, XInfoStream, XPendingSummary,
};
use crate::keyspace::GroupStart;
use crate::keyspace::Keyspace;
use crate::keyspace::SetOptions;
use crate::options::{
    GroupReadId, RefPolicy, TrimOptions, XAddOptions, XAutoClaimOptions, XClaimOptions,
    XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
};

/// One stream command with its arguments (the trait method of the same name says what
/// each does). Reads carry no `BLOCK`: inside a batch Redis does not block either.
///
/// [`Command::to_argv`] is the Redis argument vector for a command and
/// [`Command::parse`] the command for an argument vector, both written once per
/// command beside the command layer's parser.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)] // the fields are the trait methods' arguments
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
