//! # brook-redis
//!
//! brook's [`Streams`] trait over a Redis or Valkey server, through the `redis` crate on
//! tokio: the same consumer code that runs on the in-process engine runs here.
//!
//! - `rediss://` with the `tls` feature (rustls); credentials in the URL
//!   (`redis://user:password@…`) authenticate every connection.
//! - Commands go over one reconnecting multiplexed connection (the crate's
//!   `ConnectionManager`), with a response timeout of [`RedisOptions::response_timeout`].
//! - A read with `BLOCK` runs on a connection of its own, so it never holds up other
//!   commands; the wait for its reply is the BLOCK time plus
//!   [`RedisOptions::block_margin`] (none for `BLOCK 0`). Connections of finished reads
//!   are kept for the next one; a read dropped while it waits drops its connection,
//!   which the server sees as a disconnect (entries it had already handed over stay
//!   pending for the consumer, as on the engine).
//! - Replies are parsed in both RESP2 and RESP3 shapes (`protocol=resp3` in the URL)
//!   onto the engine's reply types; an error reply becomes the [`Error`] variant with
//!   that text, so code matching on `Error::BusyGroup` works on both backends. A
//!   transport failure is [`Error::NotSent`] (the command cannot have run) or
//!   [`Error::OutcomeUnknown`] (it may have); nothing is retried by itself.
//! - Features are detected with `COMMAND INFO` when connecting (never from version
//!   strings: Valkey 9 reports `redis_version:7.2.4`). Where XACKDEL and XDELEX (Redis
//!   8.2), the reference policies of XADD/XTRIM or XREADGROUP … CLAIM (Redis 8.4) are
//!   missing, Lua scripts give the same replies and effects, atomically — decided per
//!   feature, for a command alone, in a pipeline or transaction, or among
//!   mark-and-ack-if-new's writes (there as functions inside its one script).
//!   [`RedisOptions::lua_fallbacks`] forces them, for testing them against a server
//!   that has the commands.
//!
//! ```no_run
//! # async fn demo() -> Result<(), brook_engine::Error> {
//! use brook_engine::Streams;
//! let redis = brook_redis::RedisStreams::connect("redis://127.0.0.1:6379/").await?;
//! redis.xadd("orders", &[("item", "book")]).await?;
//! # Ok(()) }
//! ```

mod batch;
mod conn;
mod errors;
mod fallback;
mod parse;
mod pubsub;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use brook_engine::{
    Block, Command, CommandReply, Error, GroupReadId, RefPolicy, StreamId, Streams, StreamsClock,
    WorkerOps, XReadGroupOptions, XReadGroupReply, XReadId,
};
use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, Value};

/// How often (ms) a blocked XREADGROUP … CLAIM looks again for entries that became
/// claimable, on servers without the option (the engine's own floor is the same).
const CLAIM_POLL: u64 = 100;

/// How the adapter waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RedisOptions {
    /// How long a command (other than a blocking read) waits for its reply before it
    /// fails with [`Error::OutcomeUnknown`]. Default 5 s.
    pub response_timeout: Duration,
    /// How long a new connection may take. Default 2 s.
    pub connection_timeout: Duration,
    /// How much longer than its BLOCK time a blocking read waits for the reply (the
    /// server answers at the BLOCK time; this covers the network). Default 2 s.
    pub block_margin: Duration,
    /// How many idle blocking-read connections are kept. Default 8.
    pub idle_blocking_connections: usize,
    /// How many times a (re)connection is retried, 100 ms apart and doubling, before
    /// the command that needed it fails with [`Error::NotSent`]. Default 3.
    pub connect_retries: usize,
    /// Use the Lua fallbacks (XACKDEL, XDELEX, DELREF/ACKED trimming on XADD and XTRIM,
    /// XREADGROUP … CLAIM) even where the server has the commands natively. For testing
    /// the fallbacks against a server's own commands; nothing else needs it. Default
    /// false.
    pub lua_fallbacks: bool,
}

impl Default for RedisOptions {
    fn default() -> RedisOptions {
        RedisOptions {
            response_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(2),
            block_margin: Duration::from_secs(2),
            idle_blocking_connections: 8,
            connect_retries: 3,
            lua_fallbacks: false,
        }
    }
}

pub use pubsub::RedisSubscription;

/// [`Streams`] (and [`brook_engine::PubSub`]) on a Redis or Valkey server. Cheap to
/// clone; clones share connections.
#[derive(Clone)]
pub struct RedisStreams {
    inner: Arc<Inner>,
}

struct Inner {
    commands: conn::Commands,
    blocking: conn::Blocking,
    features: fallback::Features,
    scripts: fallback::Scripts,
    opts: RedisOptions,
}

impl std::fmt::Debug for RedisStreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStreams")
            .field("cluster", &self.inner.commands.is_cluster())
            .finish_non_exhaustive()
    }
}

impl RedisStreams {
    /// Connects to the server at `url` (`redis://[user:password@]host:port[/db]`, with
    /// `?protocol=resp3` for RESP3) with default [`RedisOptions`].
    pub async fn connect(url: &str) -> Result<RedisStreams, Error> {
        RedisStreams::connect_with(url, RedisOptions::default()).await
    }

    /// As [`RedisStreams::connect`], with `opts`.
    pub async fn connect_with(url: &str, opts: RedisOptions) -> Result<RedisStreams, Error> {
        install_tls_provider();
        let client = redis::Client::open(url).map_err(|e| errors::not_sent(&e))?;
        let config = manager_config(&opts);
        let manager = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(|e| errors::not_sent(&e))?;
        let nodes = conn::Nodes::Single(client);
        RedisStreams::with(conn::Commands::Single(manager), nodes, opts).await
    }

    /// Connects to a Redis Cluster: `redis+cluster://[user:password@]host:port[,host:port…][/?protocol=resp3]`
    /// (any of its nodes; the rest are discovered), with default [`RedisOptions`].
    ///
    /// Each command goes to the node serving its key's slot, following MOVED and ASK as
    /// slots move; a multi-key command or atomic batch must keep its keys in one slot
    /// (a `{hash tag}`), else [`Error::CrossSlot`]; a pipeline is split by slot.
    pub async fn connect_cluster(url: &str) -> Result<RedisStreams, Error> {
        RedisStreams::connect_cluster_with(url, RedisOptions::default()).await
    }

    /// As [`RedisStreams::connect_cluster`], with `opts`.
    pub async fn connect_cluster_with(
        url: &str,
        opts: RedisOptions,
    ) -> Result<RedisStreams, Error> {
        install_tls_provider();
        let invalid = || {
            Error::InvalidUrl(Bytes::from(format!(
                "`{url}` is not redis+cluster://host:port[,host:port…]"
            )))
        };
        let (auth, hosts, path) = multi_host(url, "redis+cluster").ok_or_else(invalid)?;
        let query = path.trim_start_matches('/');
        let nodes: Vec<String> = hosts
            .iter()
            .map(|h| format!("redis://{auth}{h}/{query}"))
            .collect();
        let client = redis::cluster::ClusterClientBuilder::new(nodes)
            .response_timeout(opts.response_timeout)
            .connection_timeout(opts.connection_timeout)
            .build()
            .map_err(|e| errors::not_sent(&e))?;
        let cluster = client
            .get_async_connection()
            .await
            .map_err(|e| errors::not_sent(&e))?;
        let nodes = conn::Nodes::Cluster {
            auth,
            query: query.to_string(),
            slots: Mutex::new(Vec::new()),
        };
        RedisStreams::with(conn::Commands::Cluster(cluster), nodes, opts).await
    }

    /// Connects to the master of a Sentinel-monitored service:
    /// `redis+sentinel://[user:password@]host:port[,host:port…]/service[?protocol=resp3]`
    /// (the Sentinels' addresses; the credentials and protocol are for the master). After
    /// a failover the first command to the old master fails ([`Error::NotSent`],
    /// [`Error::OutcomeUnknown`] or the old master's `READONLY`), and the adapter asks the
    /// Sentinels for the new one; nothing is resent by itself.
    pub async fn connect_sentinel(url: &str) -> Result<RedisStreams, Error> {
        RedisStreams::connect_sentinel_with(url, RedisOptions::default()).await
    }

    /// As [`RedisStreams::connect_sentinel`], with `opts`.
    pub async fn connect_sentinel_with(
        url: &str,
        opts: RedisOptions,
    ) -> Result<RedisStreams, Error> {
        install_tls_provider();
        let invalid = || {
            Error::InvalidUrl(Bytes::from(format!(
                "`{url}` is not redis+sentinel://host:port[,host:port…]/service"
            )))
        };
        let (auth, hosts, path) = multi_host(url, "redis+sentinel").ok_or_else(invalid)?;
        let (service, query) = path.split_once('?').unwrap_or((path, ""));
        if service.is_empty() {
            return Err(invalid());
        }
        let sentinels: Vec<String> = hosts.iter().map(|h| format!("redis://{h}/")).collect();
        // The master's credentials and protocol, as a URL for that master would give them.
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        let master_info = redis::IntoConnectionInfo::into_connection_info(format!(
            "redis://{auth}localhost/{query}"
        ))
        .map_err(|e| errors::not_sent(&e))?;
        let node = redis::sentinel::SentinelNodeConnectionInfo::default()
            .set_redis_connection_info(master_info.redis_settings().clone());
        // (`build` takes a `String` without the crate's TLS, `impl AsRef<str>` with it.)
        let service_name: String = service.into();
        let sentinel = redis::sentinel::SentinelClient::build(
            sentinels,
            service_name,
            Some(node),
            redis::sentinel::SentinelServerType::Master,
        )
        .map_err(|e| errors::not_sent(&e))?;
        let config = manager_config(&opts);
        let master = Arc::new(
            conn::SentinelMaster::connect(sentinel, config)
                .await
                .map_err(|e| errors::not_sent(&e))?,
        );
        RedisStreams::with(
            conn::Commands::Sentinel(master.clone()),
            conn::Nodes::Sentinel(master),
            opts,
        )
        .await
    }

    async fn with(
        commands: conn::Commands,
        nodes: conn::Nodes,
        opts: RedisOptions,
    ) -> Result<RedisStreams, Error> {
        let mut features = fallback::Features::detect(&commands).await?;
        if opts.lua_fallbacks {
            features.del_ex = false;
            features.claim = false;
        }
        Ok(RedisStreams {
            inner: Arc::new(Inner {
                blocking: conn::Blocking::new(
                    nodes,
                    opts.idle_blocking_connections,
                    opts.connection_timeout,
                ),
                commands,
                features,
                scripts: fallback::Scripts::new(),
                opts,
            }),
        })
    }

    /// On a cluster, [`Error::CrossSlot`] unless every key is in one slot: checked here
    /// for the commands that take several keys, as a server checks it (the crate's
    /// cluster client would otherwise split some of them across nodes).
    fn check_slots<'a>(&self, keys: impl IntoIterator<Item = &'a [u8]>) -> Result<(), Error> {
        if self.inner.commands.is_cluster() {
            brook_engine::same_slot(keys)
        } else {
            Ok(())
        }
    }

    /// Sends `cmd` on the command connection and returns its reply.
    async fn send(&self, cmd: Cmd) -> Result<Value, Error> {
        self.inner
            .commands
            .query(&cmd)
            .await
            .map_err(|e| errors::from_redis(&e))
    }

    /// Sends a read that may block on a connection of its own (on a cluster, to the
    /// node serving `key`'s slot; a MOVED answer, which means the read did not run, is
    /// followed once).
    async fn send_blocking(
        &self,
        cmd: Cmd,
        key: &[u8],
        block: Option<u64>,
    ) -> Result<Value, Error> {
        let Some(ms) = block else {
            return self.send(cmd).await;
        };
        let slot = brook_engine::key_slot(key);
        let mut refresh = false;
        loop {
            let addr = self
                .inner
                .blocking
                .node_for(&self.inner.commands, slot, refresh)
                .await?;
            match self.block_on_node(&cmd, &addr, ms, false).await {
                Err(Error::Server(text)) if text.starts_with(b"MOVED ") && !refresh => {
                    refresh = true
                }
                // The slot is migrating and the key is already on the importing node:
                // ask there once (ASKING, then the read), as the cluster protocol says.
                Err(Error::Server(text)) if text.starts_with(b"ASK ") => {
                    let to = String::from_utf8_lossy(&text)
                        .split(' ')
                        .nth(2)
                        .map(str::to_string)
                        .unwrap_or_default();
                    return self.block_on_node(&cmd, &to, ms, true).await;
                }
                other => return other,
            }
        }
    }

    /// Sends the read on a dedicated connection to `addr` (preceded by ASKING when
    /// `asking`) and waits for its reply.
    async fn block_on_node(
        &self,
        cmd: &Cmd,
        addr: &str,
        ms: u64,
        asking: bool,
    ) -> Result<Value, Error> {
        let mut conn = self.inner.blocking.take(addr).await?;
        let reply = async {
            if asking {
                let mut pipe = redis::pipe();
                pipe.cmd("ASKING").ignore().add_command(cmd.clone());
                let mut values: Vec<Value> = pipe.query_async(&mut conn).await?;
                Ok(values.pop().unwrap_or(Value::Nil))
            } else {
                cmd.query_async::<Value>(&mut conn).await
            }
        };
        let res = if ms == 0 {
            reply.await
        } else {
            let wait = Duration::from_millis(ms).saturating_add(self.inner.opts.block_margin);
            match tokio::time::timeout(wait, reply).await {
                Ok(res) => res,
                // The connection may still deliver a late reply: it is not reused.
                Err(_) => {
                    return Err(Error::OutcomeUnknown(Bytes::from(format!(
                        "no reply to a BLOCK {ms} read within {wait:?}"
                    ))))
                }
            }
        };
        match res {
            Ok(v) => {
                self.inner.blocking.put(addr, conn);
                Ok(v)
            }
            Err(e) => {
                // A server's error reply leaves the connection usable.
                if e.code().is_some() {
                    self.inner.blocking.put(addr, conn);
                }
                self.inner.commands.after_failure(&e).await;
                Err(errors::from_redis(&e))
            }
        }
    }

    /// XREADGROUP … CLAIM where the server lacks the option (before Redis 8.4): the
    /// claim-then-read runs as Lua; with BLOCK, while it finds nothing, a plain blocking
    /// `>` read waits in slices of at most [`CLAIM_POLL`] (so entries that become
    /// claimable meanwhile are noticed, as Redis wakes CLAIM readers for them), and the
    /// script runs again. New entries carry the CLAIM reply shape (`0, 0`).
    async fn claim_fallback(
        &self,
        group: &[u8],
        consumer: &[u8],
        streams: &[(&[u8], GroupReadId)],
        opts: &XReadGroupOptions,
        min_idle: u64,
        block: Option<u64>,
    ) -> Result<XReadGroupReply, Error> {
        let start = std::time::Instant::now();
        // The read without CLAIM: what blocks between script runs, and the shape both
        // answer in.
        let plain = Command::XReadGroup {
            group: Bytes::copy_from_slice(group),
            consumer: Bytes::copy_from_slice(consumer),
            streams: streams
                .iter()
                .map(|(k, at)| (Bytes::copy_from_slice(k), *at))
                .collect(),
            opts: {
                let mut plain = *opts;
                plain.claim = None;
                plain
            },
        };
        loop {
            let call = fallback::Call::xreadgroup_claim(group, consumer, streams, opts, min_idle);
            let got = parse::group_read(&plain, self.send(self.inner.scripts.eval(&call)).await?)?;
            let Some(ms) = block else {
                return Ok(got);
            };
            if !got.is_empty() {
                return Ok(got);
            }
            let waited = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            let slice = match ms {
                0 => CLAIM_POLL,
                _ if waited >= ms => return Ok(got),
                _ => (ms - waited).min(CLAIM_POLL),
            };
            let cmd = batch::blocking_cmd(&plain, Some(slice));
            let mut served = parse::group_read(
                &plain,
                self.send_blocking(cmd, first_key(streams), Some(slice))
                    .await?,
            )?;
            if !served.is_empty() {
                for s in &mut served {
                    for e in &mut s.entries {
                        e.claim = Some(brook_engine::DeliveryInfo::default());
                    }
                }
                return Ok(served);
            }
        }
    }

    /// Runs `cmd` (XREAD/XREADGROUP with `BLOCK block` when given: on a connection of
    /// its own). Multi-key commands are checked for one slot on a cluster; XREADGROUP
    /// … CLAIM runs as its Lua fallback where the server lacks the option.
    async fn run_with(&self, cmd: &Command, block: Option<u64>) -> Result<CommandReply, Error> {
        match cmd {
            Command::XRead { streams, .. } => {
                let st: Vec<(&[u8], XReadId)> =
                    streams.iter().map(|(k, at)| (&k[..], *at)).collect();
                self.check_slots(st.iter().map(|(k, _)| *k))?;
                let req = batch::blocking_cmd(cmd, block);
                let v = self.send_blocking(req, first_key(&st), block).await?;
                parse::command_reply(cmd, v)
            }
            Command::XReadGroup {
                group,
                consumer,
                streams,
                opts,
            } => {
                let st: Vec<(&[u8], GroupReadId)> =
                    streams.iter().map(|(k, at)| (&k[..], *at)).collect();
                self.check_slots(st.iter().map(|(k, _)| *k))?;
                // (No streams: sent as itself, for the server's own syntax error.)
                if let (Some(min_idle), false, false) =
                    (opts.claim, self.inner.features.claim, st.is_empty())
                {
                    return self
                        .claim_fallback(group, consumer, &st, opts, min_idle, block)
                        .await
                        .map(CommandReply::ReadGroup);
                }
                let req = batch::blocking_cmd(cmd, block);
                let v = self.send_blocking(req, first_key(&st), block).await?;
                parse::command_reply(cmd, v)
            }
            _ => {
                // `keys()` builds a list: only a cluster needs it.
                if self.inner.commands.is_cluster() {
                    brook_engine::same_slot(cmd.keys())?;
                }
                parse::command_reply(cmd, self.send(batch::to_cmd(self, cmd)).await?)
            }
        }
    }

    /// The Lua fallback for `c` where the server lacks what it needs, as EVAL; `None`
    /// when `c` is sent as itself. See [`RedisStreams::fallback_call`].
    pub(crate) fn fallback(&self, c: &Command) -> Option<Cmd> {
        self.fallback_call(c)
            .map(|call| self.inner.scripts.eval(&call))
    }

    /// The Lua fallback for `c` where the server lacks what it needs, decided per
    /// feature: Redis 8.2's reference policies (XACKDEL, XDELEX, and XADD or XTRIM
    /// trimming with DELREF or ACKED) and Redis 8.4's XREADGROUP … CLAIM (without BLOCK:
    /// what pipelines, transactions and mark-and-ack's writes send; a blocking read
    /// polls it, see `claim_fallback`). `None` when `c` is sent as itself.
    pub(crate) fn fallback_call(&self, c: &Command) -> Option<fallback::Call> {
        let features = &self.inner.features;
        match c {
            Command::XReadGroup {
                group,
                consumer,
                streams,
                opts,
            } if !features.claim && !streams.is_empty() => {
                let min_idle = opts.claim?;
                let st: Vec<(&[u8], GroupReadId)> =
                    streams.iter().map(|(k, at)| (&k[..], *at)).collect();
                Some(fallback::Call::xreadgroup_claim(
                    group, consumer, &st, opts, min_idle,
                ))
            }
            _ if features.del_ex => None,
            Command::XAdd { key, opts, fields } => {
                let t = opts.trim.filter(|t| t.policy != RefPolicy::KeepRef)?;
                // The XADD without its trimming, which the script runs before the trim.
                let plain = Command::XAdd {
                    key: key.clone(),
                    opts: {
                        let mut untrimmed = opts.clone();
                        untrimmed.trim = None;
                        untrimmed
                    },
                    fields: fields.clone(),
                };
                Some(fallback::Call::xadd(key, &plain.to_argv(), &t))
            }
            Command::XTrim { key, opts } if opts.policy != RefPolicy::KeepRef => {
                Some(fallback::Call::xtrim(key, opts))
            }
            Command::XAckDel {
                key,
                group,
                ids,
                policy,
            } => Some(fallback::Call::xackdel(key, group, ids, *policy)),
            Command::XDelEx { key, ids, policy } => Some(fallback::Call::xdelex(key, ids, *policy)),
            _ => None,
        }
    }

    /// Sends `cmds` as one pipeline (a MULTI/EXEC transaction when `atomic`), each
    /// answered on its own. On a cluster a transaction must keep to one slot
    /// ([`Error::CrossSlot`] otherwise, nothing sent) and a pipeline is sent as one per
    /// slot, the replies put back in order.
    async fn send_batch(
        &self,
        cmds: &[Command],
        atomic: bool,
    ) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        // A command MULTI would refuse when queued makes EXEC discard the transaction:
        // answered here, so that one sent as its Lua fallback (which a server queues)
        // does too.
        if atomic && cmds.iter().any(|c| c.dispatcher_error().is_some()) {
            return Err(Error::ExecAbort);
        }
        if !self.inner.commands.is_cluster() {
            return self.send_pipeline(cmds, atomic).await;
        }
        let slot_of = |c: &Command| c.keys().first().map(|k| brook_engine::key_slot(k));
        if atomic {
            brook_engine::same_slot(cmds.iter().flat_map(Command::keys))?;
            return self.send_pipeline(cmds, true).await;
        }
        let mut by_slot: Vec<(Option<u16>, Vec<usize>)> = Vec::new();
        let mut out: Vec<Option<Result<CommandReply, Error>>> = cmds.iter().map(|_| None).collect();
        for (i, c) in cmds.iter().enumerate() {
            // A command whose own keys cross slots is answered without being sent.
            if let Err(e) = brook_engine::same_slot(c.keys()) {
                out[i] = Some(Err(e));
                continue;
            }
            let slot = slot_of(c);
            match by_slot.iter_mut().find(|(s, _)| *s == slot) {
                Some((_, idx)) => idx.push(i),
                None => by_slot.push((slot, vec![i])),
            }
        }
        for (_, idx) in by_slot {
            let part: Vec<Command> = idx.iter().map(|&i| cmds[i].clone()).collect();
            for (i, r) in idx.into_iter().zip(self.send_pipeline(&part, false).await?) {
                out[i] = Some(r);
            }
        }
        Ok(out
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(Error::Server(Bytes::from_static(
                        b"ERR brook-redis: no reply",
                    )))
                })
            })
            .collect())
    }

    async fn send_pipeline(
        &self,
        cmds: &[Command],
        atomic: bool,
    ) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        let mut pipe = redis::pipe();
        if atomic {
            pipe.atomic();
        }
        pipe.ignore_errors();
        for c in cmds {
            pipe.add_command(batch::to_cmd(self, c));
        }
        let replies = self
            .inner
            .commands
            .pipeline(&pipe)
            .await
            .map_err(|e| errors::from_redis(&e))?;
        if replies.len() != cmds.len() {
            return Err(Error::Server(Bytes::from(format!(
                "ERR brook-redis: {} replies to {} commands",
                replies.len(),
                cmds.len()
            ))));
        }
        Ok(cmds
            .iter()
            .zip(replies)
            .map(|(c, r)| match r {
                Ok(v) => parse::command_reply(c, v),
                Err(e) => Err(errors::from_redis(&e)),
            })
            .collect())
    }
}

impl Streams for RedisStreams {
    async fn run(&self, cmd: &Command) -> Result<CommandReply, Error> {
        self.run_with(cmd, None).await
    }

    async fn run_blocking(&self, cmd: &Command, block: Block) -> Result<CommandReply, Error> {
        self.run_with(cmd, block.millis()).await
    }

    async fn pipeline(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        self.send_batch(cmds, false).await
    }

    async fn atomic(&self, cmds: &[Command]) -> Result<Vec<Result<CommandReply, Error>>, Error> {
        self.send_batch(cmds, true).await
    }
}

impl StreamsClock for RedisStreams {
    fn now_ms(&self) -> u64 {
        brook_engine::precise_now_ms()
    }

    async fn sleep_until(&self, deadline_ms: u64) -> Result<(), Error> {
        let wait = deadline_ms.saturating_sub(brook_engine::precise_now_ms());
        if wait > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
        }
        Ok(())
    }
}

impl WorkerOps for RedisStreams {
    async fn xack_if_owner(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        let (key, group, consumer) = (key.as_ref(), group.as_ref(), consumer.as_ref());
        let cmd = self.inner.scripts.owner_op(
            self.inner.features.brook_ops,
            "ack",
            key,
            group,
            consumer,
            ids,
        );
        parse::uint(self.send(cmd).await?)
    }

    async fn xtouch_if_owner(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        let (key, group, consumer) = (key.as_ref(), group.as_ref(), consumer.as_ref());
        let cmd = self.inner.scripts.owner_op(
            self.inner.features.brook_ops,
            "touch",
            key,
            group,
            consumer,
            ids,
        );
        parse::uint(self.send(cmd).await?)
    }

    async fn xack_if_owner_then_add(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        id: StreamId,
        to: impl AsRef<[u8]> + Send,
        fields: &(impl brook_engine::FieldValues + Sync + ?Sized),
    ) -> Result<Option<StreamId>, Error> {
        let (key, group, consumer, to) =
            (key.as_ref(), group.as_ref(), consumer.as_ref(), to.as_ref());
        let fields: Vec<(Bytes, Bytes)> = (0..fields.pair_count())
            .map(|i| {
                let (f, v) = fields.pair(i);
                (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v))
            })
            .collect();
        let fields = &fields[..];
        self.check_slots([key, to])?;
        let cmd = self.inner.scripts.if_owner_add(
            self.inner.features.brook_ops,
            key,
            group,
            consumer,
            id,
            to,
            fields,
        );
        match self.send(cmd).await? {
            Value::Nil => Ok(None),
            v => parse::id(v).map(Some),
        }
    }

    async fn mark_and_ack_if_new(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        id: StreamId,
        marker: impl AsRef<[u8]> + Send,
        keep: std::time::Duration,
        effects: &[Command],
    ) -> Result<Option<brook_engine::EffectReplies>, Error> {
        let (key, group, marker) = (key.as_ref(), group.as_ref(), marker.as_ref());
        let keep_ms = keep_millis(keep.min(Self::MAX_MARKER_KEEP)).max(1);
        self.check_slots(
            [key, marker]
                .into_iter()
                .chain(effects.iter().flat_map(Command::keys)),
        )?;
        // A write the dispatcher would refuse (an empty ID list: Redis's arity error)
        // answers that error without being sent: inside a script a server words it
        // differently, and it changes nothing either way.
        let refused: Vec<Option<Error>> = effects.iter().map(Command::dispatcher_error).collect();
        let sent = effects
            .iter()
            .zip(&refused)
            .filter(|(_, r)| r.is_none())
            .map(|(c, _)| c);
        let scripts = &self.inner.scripts;
        let cmd = if self.inner.features.brook_ops {
            // `brook serve` has every command natively.
            let argvs: Vec<Vec<Bytes>> = sent.map(Command::to_argv).collect();
            scripts.mark_ack_native((key, group, id), marker, keep_ms, &argvs)
        } else {
            let writes: Vec<fallback::Effect> = sent
                .map(|c| match self.fallback_call(c) {
                    Some(call) => fallback::Effect::Script(call),
                    None => fallback::Effect::Argv(c.to_argv()),
                })
                .collect();
            scripts.mark_ack((key, group, id), marker, keep_ms, &writes)
        };
        match self.send(cmd).await? {
            Value::Nil => Ok(None),
            v => {
                let mut replies = parse::array(v)?.into_iter();
                let expected = refused.iter().filter(|r| r.is_none()).count();
                if replies.len() != expected {
                    return Err(Error::Server(Bytes::from(format!(
                        "ERR brook-redis: {} replies to {expected} writes",
                        replies.len(),
                    ))));
                }
                Ok(Some(
                    effects
                        .iter()
                        .zip(refused)
                        .map(|(c, refused)| {
                            if let Some(e) = refused {
                                return Err(e);
                            }
                            match replies.next() {
                                Some(r) => match script_error(&r) {
                                    Some(e) => Err(e),
                                    None => parse::command_reply(c, r),
                                },
                                None => Err(Error::Server(Bytes::from_static(
                                    b"ERR brook-redis: no reply",
                                ))),
                            }
                        })
                        .collect(),
                ))
            }
        }
    }

    async fn xgroup_delconsumer_if_empty(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
    ) -> Result<bool, Error> {
        let (key, group, consumer) = (key.as_ref(), group.as_ref(), consumer.as_ref());
        let cmd = self.inner.scripts.owner_op(
            self.inner.features.brook_ops,
            "delconsumer",
            key,
            group,
            consumer,
            &[],
        );
        Ok(parse::uint(self.send(cmd).await?)? == 1)
    }
}

/// An error the mark-and-ack script returned in a write's place, as
/// `['\0brook-error', text]`.
fn script_error(v: &Value) -> Option<Error> {
    let Value::Array(items) = v else {
        return None;
    };
    match items.as_slice() {
        [Value::BulkString(tag), text] if tag.as_slice() == b"\0brook-error" => {
            let text = parse::bytes(text.clone()).ok()?;
            Some(Error::from_message(&text))
        }
        _ => None,
    }
}

/// `d` in whole milliseconds for SET's PX: rounded up, at most `i64::MAX` (as the
/// engine reads it).
fn keep_millis(d: std::time::Duration) -> u64 {
    let ms = d.as_nanos().div_ceil(1_000_000);
    u64::try_from(ms).map_or(i64::MAX as u64, |ms| ms.min(i64::MAX as u64))
}

/// The first key of a read (what a cluster routes it by).
fn first_key<'a, T>(streams: &[(&'a [u8], T)]) -> &'a [u8] {
    streams.first().map_or(&[][..], |(k, _)| k)
}

/// With the `tls` feature, makes rustls's ring provider the process default unless the
/// application installed one (the redis crate builds rustls without choosing one).
fn install_tls_provider() {
    #[cfg(feature = "tls")]
    {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The command connection's settings from `opts`.
fn manager_config(opts: &RedisOptions) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_response_timeout(Some(opts.response_timeout))
        .set_connection_timeout(Some(opts.connection_timeout))
        .set_number_of_retries(opts.connect_retries)
}

/// `scheme://[auth@]host:port[,host:port…][/rest]` as `(auth@, hosts, rest)`; `None`
/// when the scheme differs or no host is given.
fn multi_host<'a>(url: &'a str, scheme: &str) -> Option<(String, Vec<&'a str>, &'a str)> {
    let rest = url.strip_prefix(scheme)?.strip_prefix("://")?;
    let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (auth, hosts) = match hosts.rsplit_once('@') {
        Some((a, h)) => (format!("{a}@"), h),
        None => (String::new(), hosts),
    };
    let hosts: Vec<&str> = hosts.split(',').filter(|h| !h.is_empty()).collect();
    (!hosts.is_empty()).then_some((auth, hosts, path))
}
