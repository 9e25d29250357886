//! The adapter's connections: the command connection (one server through the crate's
//! reconnecting `ConnectionManager`; a master found through Sentinel, looked up again
//! when it stops answering as a master; or a cluster through the crate's async cluster
//! client), and the dedicated connections that blocking reads run on — to the server or
//! master, or on a cluster to the node that serves the read's slot, found with CLUSTER
//! SLOTS and looked up again when a node answers MOVED.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brook_engine::Error;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::sentinel::SentinelClient;
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisResult, Value};

use crate::{errors, parse};

/// Where ordinary commands go.
#[derive(Clone)]
pub(crate) enum Commands {
    /// One server.
    Single(ConnectionManager),
    /// A Redis Cluster.
    Cluster(ClusterConnection),
    /// The master a Sentinel names.
    Sentinel(Arc<SentinelMaster>),
}

/// The master of a Sentinel-monitored service, and how to find it again.
pub(crate) struct SentinelMaster {
    sentinel: tokio::sync::Mutex<SentinelClient>,
    current: Mutex<(redis::Client, ConnectionManager)>,
    config: ConnectionManagerConfig,
}

impl SentinelMaster {
    /// Asks the Sentinels for the master and connects to it.
    pub(crate) async fn connect(
        mut sentinel: SentinelClient,
        config: ConnectionManagerConfig,
    ) -> RedisResult<SentinelMaster> {
        let client = sentinel.async_get_client().await?;
        let manager = ConnectionManager::new_with_config(client.clone(), config.clone()).await?;
        Ok(SentinelMaster {
            sentinel: tokio::sync::Mutex::new(sentinel),
            current: Mutex::new((client, manager)),
            config,
        })
    }

    fn current(&self) -> (redis::Client, ConnectionManager) {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// After a failure that a failover explains (the connection is gone, or the node
    /// answers as a replica), asks the Sentinels again and switches when the master
    /// moved. The failed command is not retried: its error already went to the caller.
    pub(crate) async fn rediscover(&self) {
        let mut sentinel = self.sentinel.lock().await;
        let Ok(client) = sentinel.async_get_client().await else {
            return;
        };
        let (old, _) = self.current();
        if client.get_connection_info().addr() == old.get_connection_info().addr() {
            return;
        }
        if let Ok(manager) =
            ConnectionManager::new_with_config(client.clone(), self.config.clone()).await
        {
            *self.current.lock().unwrap_or_else(|p| p.into_inner()) = (client, manager);
        }
    }
}

/// Whether `e` is what a Sentinel failover looks like from a client of the old master.
pub(crate) fn failover_sign(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || matches!(e.code(), Some("READONLY" | "MASTERDOWN" | "LOADING"))
}

impl Commands {
    /// Sends one command.
    pub(crate) async fn query(&self, cmd: &Cmd) -> RedisResult<Value> {
        match self.clone() {
            Commands::Single(mut c) => cmd.query_async(&mut c).await,
            Commands::Cluster(mut c) => cmd.query_async(&mut c).await,
            Commands::Sentinel(m) => {
                let (_, mut c) = m.current();
                let r = cmd.query_async(&mut c).await;
                if r.as_ref().is_err_and(failover_sign) {
                    m.rediscover().await;
                }
                r
            }
        }
    }

    /// Sends a pipeline whose commands are answered one by one.
    pub(crate) async fn pipeline(&self, p: &Pipeline) -> RedisResult<Vec<RedisResult<Value>>> {
        match self.clone() {
            Commands::Single(mut c) => p.query_async(&mut c).await,
            Commands::Cluster(mut c) => p.query_async(&mut c).await,
            Commands::Sentinel(m) => {
                let (_, mut c) = m.current();
                let r = p.query_async(&mut c).await;
                if r.as_ref().is_err_and(failover_sign) {
                    m.rediscover().await;
                }
                r
            }
        }
    }

    /// Whether this is a cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Commands::Cluster(_))
    }

    /// After a transport failure of a blocking read: on Sentinel, look for the master.
    pub(crate) async fn after_failure(&self, e: &redis::RedisError) {
        if let Commands::Sentinel(m) = self {
            if failover_sign(e) {
                m.rediscover().await;
            }
        }
    }
}

/// How to reach the node for a blocking read.
pub(crate) enum Nodes {
    /// The one server.
    Single(redis::Client),
    /// The master a Sentinel names (the node address is the pool's key, so connections
    /// to a former master are not reused).
    Sentinel(Arc<SentinelMaster>),
    /// A cluster: node URLs are `redis://{auth}{host:port}/{query}`; `slots` caches
    /// CLUSTER SLOTS (first slot, last slot, `host:port` of the master).
    Cluster {
        auth: String,
        query: String,
        slots: Mutex<Vec<(u16, u16, String)>>,
    },
}

/// Dedicated connections for blocking reads, idle ones kept per node.
pub(crate) struct Blocking {
    pub(crate) nodes: Nodes,
    idle: Mutex<HashMap<String, Vec<MultiplexedConnection>>>,
    keep: usize,
    connect_timeout: Duration,
}

impl Blocking {
    pub(crate) fn new(nodes: Nodes, keep: usize, connect_timeout: Duration) -> Blocking {
        Blocking {
            nodes,
            idle: Mutex::new(HashMap::new()),
            keep,
            connect_timeout,
        }
    }

    /// The address of the node that serves `slot` ("" for the one server), asking the
    /// cluster when the cache does not know it or `refresh` is set.
    pub(crate) async fn node_for(
        &self,
        commands: &Commands,
        slot: u16,
        refresh: bool,
    ) -> Result<String, Error> {
        let slots = match &self.nodes {
            Nodes::Single(_) => return Ok(String::new()),
            Nodes::Sentinel(m) => {
                return Ok(m.current().0.get_connection_info().addr().to_string())
            }
            Nodes::Cluster { slots, .. } => slots,
        };
        let cached = |slots: &Mutex<Vec<(u16, u16, String)>>| {
            slots
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .find(|(lo, hi, _)| (*lo..=*hi).contains(&slot))
                .map(|(_, _, addr)| addr.clone())
        };
        if !refresh {
            if let Some(addr) = cached(slots) {
                return Ok(addr);
            }
        }
        let v = commands
            .query(redis::cmd("CLUSTER").arg("SLOTS"))
            .await
            .map_err(|e| errors::from_redis(&e))?;
        let mut map = Vec::new();
        for range in parse::array(v)? {
            let mut it = parse::array(range)?.into_iter();
            let (Some(lo), Some(hi), Some(master)) = (it.next(), it.next(), it.next()) else {
                continue;
            };
            let mut m = parse::array(master)?.into_iter();
            let (Some(host), Some(port)) = (m.next(), m.next()) else {
                continue;
            };
            let host = String::from_utf8_lossy(&parse::bytes(host)?).into_owned();
            let lo = u16::try_from(parse::uint(lo)?).unwrap_or(u16::MAX);
            let hi = u16::try_from(parse::uint(hi)?).unwrap_or(u16::MAX);
            map.push((lo, hi, format!("{host}:{}", parse::uint(port)?)));
        }
        *slots.lock().unwrap_or_else(|p| p.into_inner()) = map;
        cached(slots).ok_or_else(|| {
            Error::Server(bytes::Bytes::from(format!(
                "CLUSTERDOWN Hash slot {slot} not served"
            )))
        })
    }

    /// A client for a pub/sub connection: the server, the current master, or on a
    /// cluster the master serving slot 0 (a cluster delivers every PUBLISH to every
    /// node's subscribers).
    pub(crate) async fn pubsub_client(&self, commands: &Commands) -> Result<redis::Client, Error> {
        match &self.nodes {
            Nodes::Single(c) => Ok(c.clone()),
            Nodes::Sentinel(m) => Ok(m.current().0),
            Nodes::Cluster { auth, query, .. } => {
                let addr = self.node_for(commands, 0, false).await?;
                redis::Client::open(format!("redis://{auth}{addr}/{query}"))
                    .map_err(|e| errors::not_sent(&e))
            }
        }
    }

    /// An idle connection to `addr`, or a new one.
    pub(crate) async fn take(&self, addr: &str) -> Result<MultiplexedConnection, Error> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(addr)
            .and_then(Vec::pop);
        if let Some(c) = idle {
            return Ok(c);
        }
        let client = match &self.nodes {
            Nodes::Single(c) => c.clone(),
            Nodes::Sentinel(m) => m.current().0,
            Nodes::Cluster { auth, query, .. } => {
                redis::Client::open(format!("redis://{auth}{addr}/{query}"))
                    .map_err(|e| errors::not_sent(&e))?
            }
        };
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(None);
        client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| errors::not_sent(&e))
    }

    /// Keeps `conn` for the next read on `addr` (up to the configured number).
    pub(crate) fn put(&self, addr: &str, conn: MultiplexedConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.entry(addr.to_string()).or_default();
        if list.len() < self.keep {
            list.push(conn);
        }
    }
}
