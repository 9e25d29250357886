//! [`Streams`], [`StreamsClock`] and [`WorkerOps`] for the in-process [`Engine`]: a
//! command runs under the engine's lock at the engine's time; the reads with `BLOCK`
//! wait as [`Engine::read_async`] does, without a thread and without polling. The typed
//! methods are overridden to call the engine's own (no [`Command`] built).

use alloc::vec::Vec;
use core::time::Duration;

use bytes::Bytes;

use super::streams::wrong_reply;
use super::{Command, CommandReply, Streams, StreamsClock, WorkerOps, XReadGroupReply, XReadReply};
use crate::entry::{FieldValues, StreamEntry};
use crate::error::Error;
use crate::handle::engine::Engine;
use crate::id::StreamId;
use crate::info::{
    Claimed, PendingEntry, XAutoClaimReply, XInfoConsumer, XInfoGroup, XInfoStream, XPendingSummary,
};
use crate::keyspace::GroupStart;
use crate::keyspace::SetOptions;
use crate::options::{
    Block, GroupReadId, RefPolicy, TrimOptions, XAddOptions, XAutoClaimOptions, XClaimOptions,
    XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
};
use crate::read::request::owned_streams;
use crate::read::request::{ReadOutput, ReadRequest};

impl Streams for Engine {
    async fn run(&self, cmd: &Command) -> Result<CommandReply, Error> {
        self.with_keyspace(|ks, now| cmd.apply(ks, now))
    }

    async fn run_blocking(&self, cmd: &Command, block: Block) -> Result<CommandReply, Error> {
        let Some(ms) = block.millis() else {
            return self.with_keyspace(|ks, now| cmd.apply(ks, now));
        };
        let req = match cmd {
            Command::XRead { streams, count } => ReadRequest::Read {
                streams: streams.clone(),
                count: *count,
            },
            Command::XReadGroup {
                group,
                consumer,
                streams,
                opts,
            } => ReadRequest::Group {
                group: group.clone(),
                consumer: consumer.clone(),
                streams: streams.clone(),
                opts: *opts,
            },
            other => return self.with_keyspace(|ks, now| other.apply(ks, now)),
        };
        Ok(match self.read_async(req, ms).await? {
            ReadOutput::Read(served) => CommandReply::Read(served),
            ReadOutput::Group(served) => CommandReply::ReadGroup(served),
        })
    }

    async fn pipeline(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        Ok(cmds
            .iter()
            .map(|c| self.with_keyspace(|ks, now| c.apply(ks, now)))
            .collect())
    }

    async fn atomic(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        // A command MULTI would refuse when queued discards the whole transaction.
        if cmds.iter().any(|c| c.dispatcher_error().is_some()) {
            return Err(Error::ExecAbort);
        }
        self.with_keyspace(|ks, now| {
            // On a cluster a transaction lives in one slot.
            ks.check_slots(cmds.iter().flat_map(Command::keys))?;
            Ok(cmds.iter().map(|c| c.apply(ks, now)).collect())
        })
    }

    async fn xadd(
        &self,
        key: impl AsRef<[u8]> + Send,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> Result<StreamId, Error> {
        Engine::xadd(self, key, fields)
    }

    async fn xadd_with(
        &self,
        key: impl AsRef<[u8]> + Send,
        opts: &XAddOptions,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> Result<Option<StreamId>, Error> {
        Engine::xadd_with(self, key, opts, fields)
    }

    async fn xlen(&self, key: impl AsRef<[u8]> + Send) -> Result<u64, Error> {
        Engine::xlen(self, key)
    }

    async fn xrange(
        &self,
        key: impl AsRef<[u8]> + Send,
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        Engine::xrange(self, key, start, end, count)
    }

    async fn xrevrange(
        &self,
        key: impl AsRef<[u8]> + Send,
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        Engine::xrevrange(self, key, end, start, count)
    }

    async fn xdel(&self, key: impl AsRef<[u8]> + Send, ids: &[StreamId]) -> Result<u64, Error> {
        Engine::xdel(self, key, ids)
    }

    async fn xtrim(&self, key: impl AsRef<[u8]> + Send, opts: &TrimOptions) -> Result<u64, Error> {
        Engine::xtrim(self, key, opts)
    }

    async fn xsetid(
        &self,
        key: impl AsRef<[u8]> + Send,
        opts: &XSetIdOptions,
    ) -> Result<(), Error> {
        Engine::xsetid(self, key, opts)
    }

    async fn xread<K: AsRef<[u8]> + Sync>(
        &self,
        streams: &[(K, XReadId)],
        count: Option<u64>,
        block: Option<Block>,
    ) -> Result<XReadReply, Error> {
        let Some(ms) = block.and_then(Block::millis) else {
            return Engine::xread(self, streams, count, None);
        };
        let req = ReadRequest::Read {
            streams: owned_streams(streams),
            count,
        };
        match self.read_async(req, ms).await? {
            ReadOutput::Read(served) => Ok(served),
            ReadOutput::Group(g) => Err(wrong_reply("XREAD", &CommandReply::ReadGroup(g))),
        }
    }

    async fn xgroup_create(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        Engine::xgroup_create(self, key, group, start, mkstream, entries_read)
    }

    async fn xgroup_setid(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        start: GroupStart,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        Engine::xgroup_setid(self, key, group, start, entries_read)
    }

    async fn xgroup_destroy(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
    ) -> Result<bool, Error> {
        Engine::xgroup_destroy(self, key, group)
    }

    async fn xgroup_createconsumer(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
    ) -> Result<bool, Error> {
        Engine::xgroup_createconsumer(self, key, group, consumer)
    }

    async fn xgroup_delconsumer(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
    ) -> Result<u64, Error> {
        Engine::xgroup_delconsumer(self, key, group, consumer)
    }

    async fn xreadgroup<K: AsRef<[u8]> + Sync>(
        &self,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        streams: &[(K, GroupReadId)],
        opts: &XReadGroupOptions,
        block: Option<Block>,
    ) -> Result<XReadGroupReply, Error> {
        let Some(ms) = block.and_then(Block::millis) else {
            return Engine::xreadgroup(self, group, consumer, streams, opts, None);
        };
        let req = ReadRequest::Group {
            group: Bytes::copy_from_slice(group.as_ref()),
            consumer: Bytes::copy_from_slice(consumer.as_ref()),
            streams: owned_streams(streams),
            opts: *opts,
        };
        match self.read_async(req, ms).await? {
            ReadOutput::Group(served) => Ok(served),
            ReadOutput::Read(r) => Err(wrong_reply("XREADGROUP", &CommandReply::Read(r))),
        }
    }

    async fn xack(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        Engine::xack(self, key, group, ids)
    }

    async fn xackdel(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        Engine::xackdel(self, key, group, ids, policy)
    }

    async fn xdelex(
        &self,
        key: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        Engine::xdelex(self, key, ids, policy)
    }

    async fn xpending(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
    ) -> Result<XPendingSummary, Error> {
        Engine::xpending(self, key, group)
    }

    async fn xpending_range(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        range: &XPendingRange,
    ) -> Result<Vec<PendingEntry>, Error> {
        Engine::xpending_range(self, key, group, range)
    }

    async fn xclaim(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        min_idle: Duration,
        ids: &[StreamId],
        opts: &XClaimOptions,
    ) -> Result<Claimed, Error> {
        Engine::xclaim(self, key, group, consumer, min_idle, ids, opts)
    }

    async fn xautoclaim(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        min_idle: Duration,
        start: StreamId,
        opts: &XAutoClaimOptions,
    ) -> Result<XAutoClaimReply, Error> {
        Engine::xautoclaim(self, key, group, consumer, min_idle, start, opts)
    }

    async fn xinfo_stream(&self, key: impl AsRef<[u8]> + Send) -> Result<XInfoStream, Error> {
        Engine::xinfo_stream(self, key)
    }

    async fn xinfo_groups(&self, key: impl AsRef<[u8]> + Send) -> Result<Vec<XInfoGroup>, Error> {
        Engine::xinfo_groups(self, key)
    }

    async fn xinfo_consumers(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
    ) -> Result<Vec<XInfoConsumer>, Error> {
        Engine::xinfo_consumers(self, key, group)
    }

    async fn del<K: AsRef<[u8]> + Sync>(&self, keys: &[K]) -> Result<u64, Error> {
        Engine::del(self, keys)
    }

    async fn set(
        &self,
        key: impl AsRef<[u8]> + Send,
        value: impl AsRef<[u8]> + Send,
        opts: &SetOptions,
    ) -> Result<bool, Error> {
        Engine::set(self, key, value, opts)
    }

    async fn get(&self, key: impl AsRef<[u8]> + Send) -> Result<Option<Bytes>, Error> {
        Engine::get(self, key)
    }

    async fn incr_by(&self, key: impl AsRef<[u8]> + Send, by: i64) -> Result<i64, Error> {
        Engine::incr_by(self, key, by)
    }
}

impl StreamsClock for Engine {
    fn now_ms(&self) -> u64 {
        self.now()
    }

    fn sleep_until(
        &self,
        deadline_ms: u64,
    ) -> impl core::future::Future<Output = Result<(), Error>> + Send {
        Engine::sleep_until(self, deadline_ms)
    }
}

impl WorkerOps for Engine {
    async fn xack_if_owner(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        let (key, group, consumer) = (key.as_ref(), group.as_ref(), consumer.as_ref());
        self.with_keyspace(|ks, _| ks.xack_if_owner(key, group, consumer, ids))
    }

    async fn xtouch_if_owner(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        let (key, group, consumer) = (key.as_ref(), group.as_ref(), consumer.as_ref());
        self.with_keyspace(|ks, now| ks.xtouch_if_owner(key, group, consumer, ids, now))
    }

    async fn xack_if_owner_then_add(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        id: StreamId,
        to: impl AsRef<[u8]> + Send,
        fields: &(impl crate::entry::FieldValues + Sync + ?Sized),
    ) -> Result<Option<StreamId>, Error> {
        let (key, group, consumer, to) =
            (key.as_ref(), group.as_ref(), consumer.as_ref(), to.as_ref());
        self.with_keyspace(|ks, now| {
            ks.xack_if_owner_then_add(key, group, consumer, id, to, fields, now)
        })
    }

    async fn mark_and_ack_if_new(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        id: StreamId,
        marker: impl AsRef<[u8]> + Send,
        keep: Duration,
        effects: &[Command],
    ) -> Result<Option<crate::EffectReplies>, Error> {
        let (key, group, marker) = (key.as_ref(), group.as_ref(), marker.as_ref());
        let keep_ms = crate::options::millis_up(keep.min(Self::MAX_MARKER_KEEP)).max(1);
        self.with_keyspace(|ks, now| {
            ks.mark_and_ack_if_new(key, group, id, marker, keep_ms, effects, now)
        })
    }

    async fn xgroup_delconsumer_if_empty(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
    ) -> Result<bool, Error> {
        let (key, group, consumer) = (key.as_ref(), group.as_ref(), consumer.as_ref());
        self.with_keyspace(|ks, _| ks.xgroup_delconsumer_if_empty(key, group, consumer))
    }
}
