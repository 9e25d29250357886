//! The [`Streams`] trait: a backend runs [`Command`]s (one, a pipeline, an atomic batch,
//! or a read that blocks); the typed methods, one per Redis command, are built on that.

use alloc::vec::Vec;
use core::future::Future;
use core::time::Duration;

use bytes::Bytes;

use super::{Command, CommandReply, XReadGroupReply, XReadReply};
use crate::entry::{FieldValues, StreamEntry};
use crate::error::Error;
use crate::id::StreamId;
use crate::info::{
    Claimed, PendingEntry, XAutoClaimReply, XInfoConsumer, XInfoGroup, XInfoStream, XPendingSummary,
};
use crate::keyspace::{GroupStart, SetOptions};
use crate::options::{
    millis, Block, GroupReadId, RefPolicy, TrimOptions, XAddOptions, XAutoClaimOptions,
    XClaimOptions, XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
};
use crate::read::request::owned_streams;

/// The reply's payload when it is of the `$variant` kind, else an error naming the
/// command (a backend that answered a command with another's reply).
macro_rules! reply {
    ($reply:expr, $variant:ident, $name:literal) => {
        match $reply {
            CommandReply::$variant(x) => Ok(x),
            other => Err(wrong_reply($name, &other)),
        }
    };
}

/// A Redis Streams backend: the in-process engine or a Redis server.
///
/// A backend implements four methods — [`Streams::run`], [`Streams::run_blocking`],
/// [`Streams::pipeline`] and [`Streams::atomic`] — and gets every typed method
/// (`xadd`, `xreadgroup`, …) on top of them; it may override a typed method to answer
/// it faster (the engine does, to skip building a [`Command`]). Keys, groups and
/// consumers are anything that is bytes (`&str`, `&[u8]`, `Bytes`, `String` …).
///
/// A backend that talks to a server sends [`Command::to_argv`] and reads the answer
/// with [`Command::read_reply`] (from a [`crate::Reply`]; both protocols' shapes), as
/// brook-redis does: the reply types are `#[non_exhaustive]` and built by the engine.
///
/// The typed reads take `block`: `None` reads without blocking, `Some(Block::For(d))`
/// waits up to `d` for an entry, `Some(Block::Forever)` until one comes.
pub trait Streams: Send + Sync {
    /// Runs one command and returns its reply. XREAD and XREADGROUP do not block here
    /// (see [`Streams::run_blocking`]).
    fn run(&self, cmd: &Command) -> impl Future<Output = Result<CommandReply, Error>> + Send;

    /// Runs an XREAD or XREADGROUP with `BLOCK`: when it finds nothing it waits for an
    /// entry as Redis serves blocked clients, and answers an empty read after `block`.
    /// Any other command runs as [`Streams::run`] runs it.
    fn run_blocking(
        &self,
        cmd: &Command,
        block: Block,
    ) -> impl Future<Output = Result<CommandReply, Error>> + Send;

    /// Several commands sent together and answered in order (one round trip on a
    /// server), each with its own reply or error; other clients' commands may run in
    /// between. The outer error is a transport failure: then some of the commands may
    /// have run.
    fn pipeline(
        &self,
        cmds: &[Command],
    ) -> impl Future<Output = Result<Vec<Result<CommandReply, Error>>, Error>> + Send;

    /// Several commands as one MULTI/EXEC transaction: no other command runs between
    /// them, an error answers its own command and rolls nothing back. On the engine the
    /// batch sees one frozen time and blocked readers are served after its last command,
    /// as Redis serves them after EXEC. A command MULTI refuses when it is queued (an
    /// arity error: see [`Command::dispatcher_error`]) discards the whole transaction:
    /// nothing runs and the outer error is [`Error::ExecAbort`], as EXEC answers.
    fn atomic(
        &self,
        cmds: &[Command],
    ) -> impl Future<Output = Result<Vec<Result<CommandReply, Error>>, Error>> + Send;

    /// XADD key * field value …: appends an entry with an automatic ID.
    fn xadd(
        &self,
        key: impl AsRef<[u8]> + Send,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> impl Future<Output = Result<StreamId, Error>> + Send {
        let cmd = Command::XAdd {
            key: bytes(key),
            opts: XAddOptions::default(),
            fields: owned_fields(fields),
        };
        async move {
            match self.run(&cmd).await? {
                CommandReply::Id(Some(id)) => Ok(id),
                // Only NOMKSTREAM answers no ID; answered as the engine's `xadd` does.
                CommandReply::Id(None) => Err(Error::NoSuchKey),
                other => Err(wrong_reply("XADD", &other)),
            }
        }
    }

    /// Several `XADD key * field value …` sent as one [`Streams::pipeline`] (one round
    /// trip on a server): appends each of `entries` with an automatic ID, in order, and
    /// answers each one — its ID or its error — in the same order. For producers that
    /// have a batch at hand.
    ///
    /// Like a pipeline, it is not atomic: other clients' commands may run between the
    /// entries, and one entry failing (say the key holds another type, or it has no
    /// fields) does not stop the others, so a producer that retries the failed ones
    /// writes nothing twice. The outer error is a transport failure (then some entries
    /// may have been written). An empty `entries` sends nothing.
    ///
    /// ```
    /// use brook_engine::{Engine, Error, Streams};
    ///
    /// async fn produce<S: Streams>(s: &S) -> Result<usize, Error> {
    ///     let orders = [
    ///         [("order", "1"), ("amount", "10")],
    ///         [("order", "2"), ("amount", "20")],
    ///         [("order", "3"), ("amount", "30")],
    ///     ];
    ///     let ids = s.xadd_many("orders", &orders).await?;
    ///     let ids: Vec<_> = ids.into_iter().collect::<Result<_, _>>()?;
    ///     assert!(ids.windows(2).all(|w| w[0] < w[1]));
    ///     Ok(ids.len())
    /// }
    ///
    /// let engine = Engine::new();
    /// assert_eq!(pollster::block_on(produce(&engine)), Ok(3));
    /// assert_eq!(engine.xlen(b"orders"), Ok(3));
    /// ```
    fn xadd_many<F: FieldValues>(
        &self,
        key: impl AsRef<[u8]> + Send,
        entries: &[F],
    ) -> impl Future<Output = Result<Vec<Result<StreamId, Error>>, Error>> + Send {
        let key = bytes(key);
        let cmds: Vec<Command> = entries
            .iter()
            .map(|fields| Command::XAdd {
                key: key.clone(),
                opts: XAddOptions::default(),
                fields: owned_fields(fields),
            })
            .collect();
        async move {
            if cmds.is_empty() {
                return Ok(Vec::new());
            }
            let replies = self.pipeline(&cmds).await?;
            if replies.len() != cmds.len() {
                return Err(Error::Server(Bytes::from(alloc::format!(
                    "ERR brook: {} replies to a pipeline of {} XADDs",
                    replies.len(),
                    cmds.len()
                ))));
            }
            Ok(replies
                .into_iter()
                .map(|reply| match reply? {
                    CommandReply::Id(Some(id)) => Ok(id),
                    other => Err(wrong_reply("XADD", &other)),
                })
                .collect())
        }
    }

    /// XADD with options (ID, NOMKSTREAM, trimming, IDMP): the new ID, or `None` when
    /// `NOMKSTREAM` found no stream (or, with IDMP, the ID recorded for a duplicate).
    fn xadd_with(
        &self,
        key: impl AsRef<[u8]> + Send,
        opts: &XAddOptions,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> impl Future<Output = Result<Option<StreamId>, Error>> + Send {
        let cmd = Command::XAdd {
            key: bytes(key),
            opts: opts.clone(),
            fields: owned_fields(fields),
        };
        async move { reply!(self.run(&cmd).await?, Id, "XADD") }
    }

    /// XLEN.
    fn xlen(
        &self,
        key: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<u64, Error>> + Send {
        let cmd = Command::XLen { key: bytes(key) };
        async move { reply!(self.run(&cmd).await?, Count, "XLEN") }
    }

    /// XRANGE key start end \[COUNT count\] (`count` `None`: all).
    fn xrange(
        &self,
        key: impl AsRef<[u8]> + Send,
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    ) -> impl Future<Output = Result<Vec<StreamEntry>, Error>> + Send {
        let cmd = Command::XRange {
            key: bytes(key),
            start,
            end,
            count,
        };
        async move { reply!(self.run(&cmd).await?, Entries, "XRANGE") }
    }

    /// XREVRANGE key end start \[COUNT count\].
    fn xrevrange(
        &self,
        key: impl AsRef<[u8]> + Send,
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    ) -> impl Future<Output = Result<Vec<StreamEntry>, Error>> + Send {
        let cmd = Command::XRevRange {
            key: bytes(key),
            end,
            start,
            count,
        };
        async move { reply!(self.run(&cmd).await?, Entries, "XREVRANGE") }
    }

    /// XDEL: the number of entries deleted. An empty `ids` is Redis's arity error
    /// ([`Error::WrongArity`]): the command needs an ID.
    fn xdel(
        &self,
        key: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> impl Future<Output = Result<u64, Error>> + Send {
        let cmd = Command::XDel {
            key: bytes(key),
            ids: ids.to_vec(),
        };
        async move { reply!(self.run(&cmd).await?, Count, "XDEL") }
    }

    /// XTRIM: the number of entries removed.
    fn xtrim(
        &self,
        key: impl AsRef<[u8]> + Send,
        opts: &TrimOptions,
    ) -> impl Future<Output = Result<u64, Error>> + Send {
        let cmd = Command::XTrim {
            key: bytes(key),
            opts: *opts,
        };
        async move { reply!(self.run(&cmd).await?, Count, "XTRIM") }
    }

    /// XSETID.
    fn xsetid(
        &self,
        key: impl AsRef<[u8]> + Send,
        opts: &XSetIdOptions,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let cmd = Command::XSetId {
            key: bytes(key),
            opts: *opts,
        };
        async move { ok_reply(self.run(&cmd).await?, "XSETID") }
    }

    /// XREAD \[COUNT\] \[BLOCK\] STREAMS …: the streams served (empty: none had
    /// entries, or the block timed out). No streams is refused as Redis refuses the
    /// argument vector ending in `STREAMS`: the arity error when it is short, else
    /// [`Error::Syntax`].
    fn xread<K: AsRef<[u8]> + Sync>(
        &self,
        streams: &[(K, XReadId)],
        count: Option<u64>,
        block: Option<Block>,
    ) -> impl Future<Output = Result<XReadReply, Error>> + Send {
        let cmd = Command::XRead {
            streams: owned_streams(streams),
            count,
        };
        async move {
            let reply = match block {
                Some(b) => self.run_blocking(&cmd, b).await?,
                None => self.run(&cmd).await?,
            };
            reply!(reply, Read, "XREAD")
        }
    }

    /// XGROUP CREATE key group id|$ \[MKSTREAM\] \[ENTRIESREAD n\].
    fn xgroup_create(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<i64>,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let cmd = Command::XGroupCreate {
            key: bytes(key),
            group: bytes(group),
            start,
            mkstream,
            entries_read,
        };
        async move { ok_reply(self.run(&cmd).await?, "XGROUP CREATE") }
    }

    /// XGROUP SETID key group id|$ \[ENTRIESREAD n\].
    fn xgroup_setid(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        start: GroupStart,
        entries_read: Option<i64>,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let cmd = Command::XGroupSetId {
            key: bytes(key),
            group: bytes(group),
            start,
            entries_read,
        };
        async move { ok_reply(self.run(&cmd).await?, "XGROUP SETID") }
    }

    /// XGROUP DESTROY: whether the group existed.
    fn xgroup_destroy(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<bool, Error>> + Send {
        let cmd = Command::XGroupDestroy {
            key: bytes(key),
            group: bytes(group),
        };
        async move { reply!(self.run(&cmd).await?, Bool, "XGROUP DESTROY") }
    }

    /// XGROUP CREATECONSUMER: whether the consumer was created.
    fn xgroup_createconsumer(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<bool, Error>> + Send {
        let cmd = Command::XGroupCreateConsumer {
            key: bytes(key),
            group: bytes(group),
            consumer: bytes(consumer),
        };
        async move { reply!(self.run(&cmd).await?, Bool, "XGROUP CREATECONSUMER") }
    }

    /// XGROUP DELCONSUMER: how many entries the consumer had pending.
    fn xgroup_delconsumer(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<u64, Error>> + Send {
        let cmd = Command::XGroupDelConsumer {
            key: bytes(key),
            group: bytes(group),
            consumer: bytes(consumer),
        };
        async move { reply!(self.run(&cmd).await?, Count, "XGROUP DELCONSUMER") }
    }

    /// XREADGROUP GROUP group consumer \[COUNT\] \[BLOCK\] \[CLAIM\] \[NOACK\] STREAMS ….
    /// No streams is refused as for [`Streams::xread`].
    fn xreadgroup<K: AsRef<[u8]> + Sync>(
        &self,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        streams: &[(K, GroupReadId)],
        opts: &XReadGroupOptions,
        block: Option<Block>,
    ) -> impl Future<Output = Result<XReadGroupReply, Error>> + Send {
        let cmd = Command::XReadGroup {
            group: bytes(group),
            consumer: bytes(consumer),
            streams: owned_streams(streams),
            opts: *opts,
        };
        async move {
            let reply = match block {
                Some(b) => self.run_blocking(&cmd, b).await?,
                None => self.run(&cmd).await?,
            };
            reply!(reply, ReadGroup, "XREADGROUP")
        }
    }

    /// XACK: the number of entries acknowledged. An empty `ids` is Redis's arity error
    /// ([`Error::WrongArity`]): the command needs an ID.
    fn xack(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> impl Future<Output = Result<u64, Error>> + Send {
        let cmd = Command::XAck {
            key: bytes(key),
            group: bytes(group),
            ids: ids.to_vec(),
        };
        async move { reply!(self.run(&cmd).await?, Count, "XACK") }
    }

    /// XACKDEL (Redis 8.2): one result code per ID. An empty `ids` is refused as Redis
    /// refuses `IDS 0`: the arity error with [`RefPolicy::KeepRef`] (written without a
    /// keyword), else WRONGTYPE for a key of another type or [`Error::NumIdsInvalid`].
    fn xackdel(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> impl Future<Output = Result<Vec<i64>, Error>> + Send {
        let cmd = Command::XAckDel {
            key: bytes(key),
            group: bytes(group),
            ids: ids.to_vec(),
            policy,
        };
        async move { reply!(self.run(&cmd).await?, Codes, "XACKDEL") }
    }

    /// XDELEX (Redis 8.2): one result code per ID. An empty `ids` is refused as Redis
    /// refuses `IDS 0`: the arity error with [`RefPolicy::KeepRef`] (written without a
    /// keyword), else WRONGTYPE for a key of another type or [`Error::NumIdsInvalid`].
    fn xdelex(
        &self,
        key: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> impl Future<Output = Result<Vec<i64>, Error>> + Send {
        let cmd = Command::XDelEx {
            key: bytes(key),
            ids: ids.to_vec(),
            policy,
        };
        async move { reply!(self.run(&cmd).await?, Codes, "XDELEX") }
    }

    /// XPENDING key group: the summary form.
    fn xpending(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<XPendingSummary, Error>> + Send {
        let cmd = Command::XPending {
            key: bytes(key),
            group: bytes(group),
        };
        async move { reply!(self.run(&cmd).await?, PendingSummary, "XPENDING") }
    }

    /// XPENDING key group \[IDLE\] start end count \[consumer\]: the extended form.
    fn xpending_range(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        range: &XPendingRange,
    ) -> impl Future<Output = Result<Vec<PendingEntry>, Error>> + Send {
        let cmd = Command::XPendingRange {
            key: bytes(key),
            group: bytes(group),
            range: range.clone(),
        };
        async move { reply!(self.run(&cmd).await?, Pending, "XPENDING") }
    }

    /// XCLAIM key group consumer min-idle-time id … \[options\] (`min_idle` in whole
    /// milliseconds). An empty `ids` with default `opts` is Redis's arity error
    /// ([`Error::WrongArity`]); with an option it claims nothing (LASTID still applies).
    fn xclaim(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        min_idle: Duration,
        ids: &[StreamId],
        opts: &XClaimOptions,
    ) -> impl Future<Output = Result<Claimed, Error>> + Send {
        let cmd = Command::XClaim {
            key: bytes(key),
            group: bytes(group),
            consumer: bytes(consumer),
            min_idle_ms: millis(min_idle),
            ids: ids.to_vec(),
            opts: *opts,
        };
        async move { reply!(self.run(&cmd).await?, Claimed, "XCLAIM") }
    }

    /// XAUTOCLAIM key group consumer min-idle-time start \[COUNT\] \[JUSTID\].
    fn xautoclaim(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        min_idle: Duration,
        start: StreamId,
        opts: &XAutoClaimOptions,
    ) -> impl Future<Output = Result<XAutoClaimReply, Error>> + Send {
        let cmd = Command::XAutoClaim {
            key: bytes(key),
            group: bytes(group),
            consumer: bytes(consumer),
            min_idle_ms: millis(min_idle),
            start,
            opts: *opts,
        };
        async move { reply!(self.run(&cmd).await?, AutoClaim, "XAUTOCLAIM") }
    }

    /// XINFO STREAM key.
    fn xinfo_stream(
        &self,
        key: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<XInfoStream, Error>> + Send {
        let cmd = Command::XInfoStream { key: bytes(key) };
        async move { reply!(self.run(&cmd).await?, Stream, "XINFO STREAM").map(|s| *s) }
    }

    /// XINFO GROUPS key.
    fn xinfo_groups(
        &self,
        key: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<Vec<XInfoGroup>, Error>> + Send {
        let cmd = Command::XInfoGroups { key: bytes(key) };
        async move { reply!(self.run(&cmd).await?, Groups, "XINFO GROUPS") }
    }

    /// XINFO CONSUMERS key group.
    fn xinfo_consumers(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<Vec<XInfoConsumer>, Error>> + Send {
        let cmd = Command::XInfoConsumers {
            key: bytes(key),
            group: bytes(group),
        };
        async move { reply!(self.run(&cmd).await?, Consumers, "XINFO CONSUMERS") }
    }

    /// DEL: how many of the keys existed. No keys is Redis's arity error.
    fn del<K: AsRef<[u8]> + Sync>(
        &self,
        keys: &[K],
    ) -> impl Future<Output = Result<u64, Error>> + Send {
        let cmd = Command::Del {
            keys: keys.iter().map(bytes).collect(),
        };
        async move { reply!(self.run(&cmd).await?, Count, "DEL") }
    }

    /// SET key value \[NX|XX\] \[PX|PXAT|KEEPTTL\]: whether the value was stored.
    fn set(
        &self,
        key: impl AsRef<[u8]> + Send,
        value: impl AsRef<[u8]> + Send,
        opts: &SetOptions,
    ) -> impl Future<Output = Result<bool, Error>> + Send {
        let cmd = Command::Set {
            key: bytes(key),
            value: bytes(value),
            opts: *opts,
        };
        async move { reply!(self.run(&cmd).await?, Bool, "SET") }
    }

    /// GET.
    fn get(
        &self,
        key: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<Option<Bytes>, Error>> + Send {
        let cmd = Command::Get { key: bytes(key) };
        async move { reply!(self.run(&cmd).await?, Value, "GET") }
    }

    /// INCRBY: the new value.
    fn incr_by(
        &self,
        key: impl AsRef<[u8]> + Send,
        by: i64,
    ) -> impl Future<Output = Result<i64, Error>> + Send {
        let cmd = Command::IncrBy {
            key: bytes(key),
            by,
        };
        async move { reply!(self.run(&cmd).await?, Int, "INCRBY") }
    }
}

fn ok_reply(reply: CommandReply, name: &str) -> Result<(), Error> {
    match reply {
        CommandReply::Ok => Ok(()),
        other => Err(wrong_reply(name, &other)),
    }
}

/// The error for a reply of the wrong kind (never from the engine or the adapter).
pub(crate) fn wrong_reply(name: &str, got: &CommandReply) -> Error {
    Error::Server(Bytes::from(alloc::format!(
        "ERR brook: unexpected reply to {name}: {got:?}"
    )))
}

fn bytes(b: impl AsRef<[u8]>) -> Bytes {
    Bytes::copy_from_slice(b.as_ref())
}

fn owned_fields(fields: &(impl FieldValues + ?Sized)) -> Vec<(Bytes, Bytes)> {
    (0..fields.pair_count())
        .map(|i| {
            let (f, v) = fields.pair(i);
            (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v))
        })
        .collect()
}
