//! [`Streams`] for the in-process [`Engine`]: each method is the engine's typed command
//! (one lock acquisition, the engine's clock); the reads with `BLOCK` wait as
//! [`Engine::read_async`] does, without a thread and without polling.

use alloc::vec::Vec;

use bytes::Bytes;

use super::{Command, CommandReply, Streams, XReadGroupReply, XReadReply};
use crate::engine::Engine;
use crate::entry::{FieldValues, StreamEntry};
use crate::error::Error;
use crate::id::StreamId;
use crate::info::{
    Claimed, PendingEntry, XAutoClaimReply, XInfoConsumer, XInfoGroup, XInfoStream, XPendingSummary,
};
use crate::keyspace::GroupStart;
use crate::keyspace::SetOptions;
use crate::options::{
    GroupReadId, RefPolicy, TrimOptions, XAddOptions, XAutoClaimOptions, XClaimOptions,
    XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
};
use crate::read_request::{ReadOutput, ReadRequest};

impl Streams for Engine {
    async fn xadd(
        &self,
        key: &[u8],
        opts: &XAddOptions,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> Result<Option<StreamId>, Error> {
        self.xadd_with(key, opts, fields)
    }

    async fn xlen(&self, key: &[u8]) -> Result<u64, Error> {
        Engine::xlen(self, key)
    }

    async fn xrange(
        &self,
        key: &[u8],
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        Engine::xrange(self, key, start, end, count)
    }

    async fn xrevrange(
        &self,
        key: &[u8],
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        Engine::xrevrange(self, key, end, start, count)
    }

    async fn xdel(&self, key: &[u8], ids: &[StreamId]) -> Result<u64, Error> {
        Engine::xdel(self, key, ids)
    }

    async fn xtrim(&self, key: &[u8], opts: &TrimOptions) -> Result<u64, Error> {
        Engine::xtrim(self, key, opts)
    }

    async fn xsetid(&self, key: &[u8], opts: &XSetIdOptions) -> Result<(), Error> {
        Engine::xsetid(self, key, opts)
    }

    async fn xread(
        &self,
        streams: &[(&[u8], XReadId)],
        count: Option<u64>,
        block: Option<u64>,
    ) -> Result<XReadReply, Error> {
        let Some(ms) = block else {
            return Engine::xread(self, streams, count);
        };
        let req = ReadRequest::Read {
            streams: owned(streams),
            count,
        };
        match self.read_async(req, ms).await? {
            ReadOutput::Read(served) => Ok(served),
            // A read request is answered with read output; never reached.
            ReadOutput::Group(_) => Err(Error::Syntax),
        }
    }

    async fn xgroup_create(
        &self,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        self.with_keyspace(|ks, _| ks.xgroup_create(key, group, start, mkstream, entries_read))
    }

    async fn xgroup_setid(
        &self,
        key: &[u8],
        group: &[u8],
        start: GroupStart,
        entries_read: Option<i64>,
    ) -> Result<(), Error> {
        Engine::xgroup_setid(self, key, group, start, entries_read)
    }

    async fn xgroup_destroy(&self, key: &[u8], group: &[u8]) -> Result<bool, Error> {
        Engine::xgroup_destroy(self, key, group)
    }

    async fn xgroup_createconsumer(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<bool, Error> {
        Engine::xgroup_createconsumer(self, key, group, consumer)
    }

    async fn xgroup_delconsumer(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<u64, Error> {
        Engine::xgroup_delconsumer(self, key, group, consumer)
    }

    async fn xreadgroup(
        &self,
        group: &[u8],
        consumer: &[u8],
        streams: &[(&[u8], GroupReadId)],
        opts: &XReadGroupOptions,
        block: Option<u64>,
    ) -> Result<XReadGroupReply, Error> {
        let Some(ms) = block else {
            return Engine::xreadgroup(self, group, consumer, streams, opts);
        };
        let req = ReadRequest::Group {
            group: Bytes::copy_from_slice(group),
            consumer: Bytes::copy_from_slice(consumer),
            streams: owned(streams),
            opts: *opts,
        };
        match self.read_async(req, ms).await? {
            ReadOutput::Group(served) => Ok(served),
            // A group request is answered with group output; never reached.
            ReadOutput::Read(_) => Err(Error::Syntax),
        }
    }

    async fn xack(&self, key: &[u8], group: &[u8], ids: &[StreamId]) -> Result<u64, Error> {
        Engine::xack(self, key, group, ids)
    }

    async fn xackdel(
        &self,
        key: &[u8],
        group: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        Engine::xackdel(self, key, group, ids, policy)
    }

    async fn xdelex(
        &self,
        key: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Result<Vec<i64>, Error> {
        Engine::xdelex(self, key, ids, policy)
    }

    async fn xpending(&self, key: &[u8], group: &[u8]) -> Result<XPendingSummary, Error> {
        Engine::xpending(self, key, group)
    }

    async fn xpending_range(
        &self,
        key: &[u8],
        group: &[u8],
        range: &XPendingRange,
    ) -> Result<Vec<PendingEntry>, Error> {
        Engine::xpending_range(self, key, group, range)
    }

    async fn xclaim(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        ids: &[StreamId],
        opts: &XClaimOptions,
    ) -> Result<Claimed, Error> {
        Engine::xclaim(self, key, group, consumer, min_idle_ms, ids, opts)
    }

    async fn xautoclaim(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        min_idle_ms: u64,
        start: StreamId,
        opts: &XAutoClaimOptions,
    ) -> Result<XAutoClaimReply, Error> {
        Engine::xautoclaim(self, key, group, consumer, min_idle_ms, start, opts)
    }

    async fn xinfo_stream(&self, key: &[u8]) -> Result<XInfoStream, Error> {
        Engine::xinfo_stream(self, key)
    }

    async fn xinfo_groups(&self, key: &[u8]) -> Result<Vec<XInfoGroup>, Error> {
        Engine::xinfo_groups(self, key)
    }

    async fn xinfo_consumers(&self, key: &[u8], group: &[u8]) -> Result<Vec<XInfoConsumer>, Error> {
        Engine::xinfo_consumers(self, key, group)
    }

    async fn del(&self, keys: &[&[u8]]) -> Result<u64, Error> {
        Engine::del(self, keys)
    }

    async fn xack_if_owner(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        self.with_keyspace(|ks, _| ks.xack_if_owner(key, group, consumer, ids))
    }

    async fn xtouch_if_owner(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        self.with_keyspace(|ks, now| ks.xtouch_if_owner(key, group, consumer, ids, now))
    }

    async fn xack_if_owner_then_add(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        id: StreamId,
        to: &[u8],
        fields: &[(Bytes, Bytes)],
    ) -> Result<Option<StreamId>, Error> {
        self.with_keyspace(|ks, now| {
            ks.xack_if_owner_then_add(key, group, consumer, id, to, fields, now)
        })
    }

    async fn set(&self, key: &[u8], value: &[u8], opts: &SetOptions) -> Result<bool, Error> {
        let value = Bytes::copy_from_slice(value);
        self.with_keyspace(|ks, now| ks.set_with(key, value, opts, now))
    }

    async fn get(&self, key: &[u8]) -> Result<Option<Bytes>, Error> {
        self.with_keyspace(|ks, _| ks.get(key))
    }

    async fn incr_by(&self, key: &[u8], by: i64) -> Result<i64, Error> {
        self.with_keyspace(|ks, _| ks.incr_by(key, by))
    }

    async fn mark_and_ack_if_new(
        &self,
        key: &[u8],
        group: &[u8],
        id: StreamId,
        marker: &[u8],
        keep_ms: u64,
        effects: &[Command],
    ) -> Result<Option<crate::EffectReplies>, Error> {
        self.with_keyspace(|ks, now| {
            ks.mark_and_ack_if_new(key, group, id, marker, keep_ms, effects, now)
        })
    }

    async fn xgroup_delconsumer_if_empty(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<bool, Error> {
        self.with_keyspace(|ks, _| ks.xgroup_delconsumer_if_empty(key, group, consumer))
    }

    fn now_ms(&self) -> u64 {
        self.now()
    }

    fn sleep_until(
        &self,
        deadline_ms: u64,
    ) -> impl core::future::Future<Output = Result<(), Error>> + Send {
        Engine::sleep_until(self, deadline_ms)
    }

    async fn pipeline(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        Ok(cmds
            .iter()
            .map(|c| self.with_keyspace(|ks, now| c.apply(ks, now)))
            .collect())
    }

    async fn atomic(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        self.with_keyspace(|ks, now| {
            // On a cluster a transaction lives in one slot.
            ks.check_slots(cmds.iter().flat_map(Command::keys))?;
            Ok(cmds.iter().map(|c| c.apply(ks, now)).collect())
        })
    }
}

/// Read positions with owned keys, as a re-runnable [`ReadRequest`] keeps them.
fn owned<T: Copy>(streams: &[(&[u8], T)]) -> Vec<(Bytes, T)> {
    streams
        .iter()
        .map(|(k, at)| (Bytes::copy_from_slice(k), *at))
        .collect()
}
