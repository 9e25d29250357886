//! [`connect`]: a backend from a URL, so the same code runs on the in-process engine in
//! tests and on Redis in production.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use brook_engine::{Config, Engine, Error, ManualClock};
use bytes::Bytes;

use crate::backend::Backend;

fn invalid(why: impl Into<String>) -> Error {
    Error::InvalidUrl(Bytes::from(why.into()))
}

/// Engines opened as `mem://NAME`, for the life of the process, with the query they
/// were created with.
fn named() -> &'static Mutex<HashMap<String, (String, Backend)>> {
    static NAMED: OnceLock<Mutex<HashMap<String, (String, Backend)>>> = OnceLock::new();
    NAMED.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Opens the backend `url` names:
///
/// - `mem://` — a fresh in-process engine; `mem://NAME` — the process-wide engine of
///   that name, created by the first `connect` (later ones share it and must give the
///   same query, or none). Query parameters: `clock=manual` (a [`ManualClock`] the test
///   advances, from [`Backend::manual_clock`]; `start_ms=N` sets where it starts,
///   default now) or `clock=system` (the default); `node_max_bytes=N` and
///   `node_max_entries=N` (Redis's `stream-node-max-*`); `max_entries=N` and
///   `max_bytes=N` (caps past which XADD fails with Redis's `OOM` error; bytes as
///   MEMORY USAGE counts them, groups and PELs included); `cluster=1`
///   (Redis Cluster's rule: a command or atomic batch whose keys hash to different
///   slots fails with `CROSSSLOT`, as on a cluster); `dir=PATH` makes the engine
///   durable: an append-only directory in Redis's own format (created if missing,
///   loaded if not; one process at a time), with `appendfsync=always|everysec|no`
///   (default `everysec`, see [`brook_engine::aof::Fsync`]) — `mem://?dir=/var/lib/q`.
/// - `redis://[user:password@]host[:port][/db][?protocol=resp3]` — a Redis or Valkey
///   server through `brook-redis` (feature `redis`, on by default; needs a tokio
///   runtime). `rediss://` when the `redis` crate is built with TLS.
///
/// - `redis+cluster://[user:password@]host:port[,host:port…]` — a Redis Cluster (any
///   of its nodes; the rest are discovered): commands follow their key's slot, and a
///   multi-key command or atomic batch across slots is refused with
///   [`Error::CrossSlot`], as `mem://?cluster=1` refuses it.
/// - `redis+sentinel://[user:password@]host:port[,host:port…]/service` — the master
///   the Sentinels name for `service`, looked up again after a failover.
///
/// Anything else is refused with [`Error::InvalidUrl`].
///
/// ```
/// # async fn demo() -> Result<(), brook::Error> {
/// use brook::Streams;
/// let queue = brook::connect("mem://orders?clock=manual&start_ms=1000").await?;
/// let id = queue.xadd("orders", &[("item", "book")]).await?;
/// assert_eq!(id, brook::StreamId::new(1000, 0));
/// queue.manual_clock().expect("manual").advance(5);
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<Backend, Error> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(invalid(format!("`{url}` has no scheme (mem://, redis://)")));
    };
    match scheme {
        "mem" => mem(rest),
        #[cfg(feature = "redis")]
        "redis" | "rediss" => Ok(Backend::redis(
            brook_redis::RedisStreams::connect(url).await?,
        )),
        #[cfg(feature = "redis")]
        "redis+cluster" => Ok(Backend::redis(
            brook_redis::RedisStreams::connect_cluster(url).await?,
        )),
        #[cfg(feature = "redis")]
        "redis+sentinel" => Ok(Backend::redis(
            brook_redis::RedisStreams::connect_sentinel(url).await?,
        )),
        other => Err(invalid(format!("unknown scheme `{other}://`"))),
    }
}

fn mem(rest: &str) -> Result<Backend, Error> {
    let (name, query) = rest.split_once('?').unwrap_or((rest, ""));
    if name.is_empty() {
        return open_mem(query);
    }
    let mut engines = named().lock().unwrap_or_else(|p| p.into_inner());
    if let Some((created_with, backend)) = engines.get(name) {
        if !query.is_empty() && query != created_with {
            return Err(invalid(format!(
                "mem://{name} exists (created with `?{created_with}`); open it with that query or none"
            )));
        }
        return Ok(backend.clone());
    }
    let backend = open_mem(query)?;
    engines.insert(name.to_string(), (query.to_string(), backend.clone()));
    Ok(backend)
}

fn open_mem(query: &str) -> Result<Backend, Error> {
    let mut config = Config::default();
    let mut manual = false;
    let mut start_ms = None;
    let mut dir: Option<std::path::PathBuf> = None;
    let mut fsync: Option<brook_engine::aof::Fsync> = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| invalid(format!("`{pair}` is not key=value")))?;
        let num = || {
            v.parse::<u64>()
                .map_err(|_| invalid(format!("`{k}` needs a non-negative integer, got `{v}`")))
        };
        match k {
            "clock" => match v {
                "manual" => manual = true,
                "system" => manual = false,
                _ => return Err(invalid(format!("clock is `manual` or `system`, not `{v}`"))),
            },
            "start_ms" => start_ms = Some(num()?),
            "node_max_bytes" => config.node_limits.max_bytes = num()?,
            "node_max_entries" => config.node_limits.max_entries = num()?,
            "max_entries" => config.max_entries = Some(num()?),
            "max_bytes" => config.max_bytes = Some(num()?),
            "cluster" => match v {
                "1" | "yes" | "true" => config.cluster = true,
                "0" | "no" | "false" => config.cluster = false,
                _ => return Err(invalid(format!("cluster is 1 or 0, not `{v}`"))),
            },
            "dir" if !v.is_empty() => dir = Some(v.into()),
            "appendfsync" => {
                fsync = Some(brook_engine::aof::Fsync::parse(v).ok_or_else(|| {
                    invalid(format!("appendfsync is always, everysec or no, not `{v}`"))
                })?)
            }
            _ => return Err(invalid(format!("unknown parameter `{k}`"))),
        }
    }
    if start_ms.is_some() && !manual {
        return Err(invalid("start_ms needs clock=manual"));
    }
    if fsync.is_some() && dir.is_none() {
        return Err(invalid("appendfsync needs dir=PATH"));
    }
    let builder = Engine::builder().config(config);
    let clock =
        manual.then(|| ManualClock::new(start_ms.unwrap_or_else(brook_engine::precise_now_ms)));
    let builder = match &clock {
        Some(c) => builder.clock(c.clone()),
        None => builder,
    };
    let engine = match dir {
        Some(dir) => builder
            .open(&dir, fsync.unwrap_or_default())
            .map_err(|e| invalid(format!("cannot open {}: {e}", dir.display())))?,
        None => builder.build(),
    };
    Ok(Backend::mem(engine, clock))
}

#[cfg(test)]
mod tests {
    use brook_engine::Error;

    use super::open_mem;

    /// `dir=` makes a durable engine: what one wrote, the next opened on the directory
    /// holds; `appendfsync` without `dir` and a directory in use are refused.
    #[test]
    fn dir_makes_the_engine_durable() {
        let dir = std::env::temp_dir().join(format!("brook-connect-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let q = format!("dir={}&appendfsync=always", dir.display());
        let first = open_mem(&q).expect("open");
        let engine = first.engine().expect("an engine backend");
        engine.xadd("s", &[("f", "v")]).expect("xadd");
        assert!(matches!(open_mem(&q), Err(Error::InvalidUrl(_))), "in use");
        drop(first);
        let again = open_mem(&q).expect("reopen");
        assert_eq!(again.engine().expect("engine").xlen("s").expect("xlen"), 1);
        assert!(matches!(
            open_mem("appendfsync=always"),
            Err(Error::InvalidUrl(_))
        ));
        assert!(matches!(
            open_mem(&format!("dir={}&appendfsync=sometimes", dir.display())),
            Err(Error::InvalidUrl(_))
        ));
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
