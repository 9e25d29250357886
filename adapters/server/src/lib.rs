//! `brook serve`: the brook engine behind a RESP2/RESP3 server, so any Redis client in
//! any language — `redis-cli`, redis-py, the `redis` crate, `redis-benchmark` — can use
//! it, with brook's Redis-exact stream semantics and, optionally, its virtual clock.
//!
//! - [`request`] reads requests (multibulk and inline) with Redis's limits and exact
//!   protocol errors; [`out`] writes replies in the connection's protocol.
//! - Each connection is one tokio task ([`conn`]): pipelined requests are answered in
//!   order; a blocking XREAD/XREADGROUP waits on the engine without holding up any
//!   other client, and ends early on `CLIENT UNBLOCK`, `CLIENT KILL` or a disconnect.
//! - Stream and key commands go to the selected database's [`Engine`] through its
//!   command layer ([`Engine::execute_async`]); the server answers the connection and
//!   server commands itself ([`commands`]).
//! - `--clock manual` runs every database on one [`ManualClock`] that only
//!   `BROOK.CLOCK ADVANCE ms` / `BROOK.CLOCK SET ms` move (`BROOK.CLOCK GET` reads it):
//!   BLOCK timeouts, idle times and IDs follow it.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let server = brook_server::Server::start(brook_server::ServerConfig::default()).await?;
//! println!("listening on {}", server.local_addr());
//! server.wait().await;
//! # Ok(()) }
//! ```

pub mod commands;
pub mod config;
pub mod conn;
pub mod memory;
pub mod out;
pub mod registry;
pub mod request;
pub mod stats;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use brook_engine::{Engine, ManualClock};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{ClockMode, OutputLimit, ServerConfig, APPEND_DIR};

/// The version `HELLO` and `INFO` report: the Redis release whose stream semantics the
/// engine follows, so clients that gate features on the version use all of them.
pub const REDIS_VERSION: &str = "8.6.3";

/// What every connection of one server shares.
#[derive(Debug)]
pub struct Shared {
    /// One engine per database (`SELECT`).
    pub dbs: Vec<Engine>,
    /// The virtual clock, with `--clock manual`.
    pub clock: Option<ManualClock>,
    /// The settings.
    pub config: ServerConfig,
    /// Connected clients.
    pub registry: registry::Registry,
    /// When the server started.
    pub started: Instant,
    /// The TCP port it listens on.
    pub port: u16,
    /// Connections accepted so far.
    pub connections_received: AtomicU64,
    /// Command, error and call statistics (`INFO commandstats`, `errorstats`, `stats`).
    pub stats: Arc<stats::Stats>,
    /// Connections refused at `maxclients`.
    pub rejected_connections: AtomicU64,
    /// Clients closed for passing their output buffer limit
    /// (`client_output_buffer_limit_disconnections`).
    pub output_limit_disconnections: AtomicU64,
    /// The largest `used_memory` seen (`used_memory_peak`; see [`memory`]).
    pub peak_memory: AtomicU64,
    /// When it was seen, Unix seconds (`used_memory_peak_time`).
    pub peak_memory_time: AtomicU64,
}

impl Shared {
    /// The state of a server listening on `port`: one engine per database, all on the
    /// configured clock, no clients yet. In memory: see [`Shared::open`] for
    /// `appendonly`.
    pub fn new(config: ServerConfig, port: u16) -> Shared {
        let config = ServerConfig {
            appendonly: false,
            ..config
        };
        match Shared::open(config, port) {
            Ok(shared) => shared,
            // Unreachable: only a directory can fail to open.
            Err(e) => panic!("{e}"),
        }
    }

    /// [`Shared::new`], durable with `appendonly`: the databases' engines open the
    /// append-only directory ([`APPEND_DIR`] under `dir`), loading what it holds.
    pub fn open(config: ServerConfig, port: u16) -> Result<Shared, brook_engine::aof::AofError> {
        let clock = match config.clock {
            ClockMode::Manual(start) => Some(ManualClock::new(start)),
            ClockMode::System => None,
        };
        let builder = || {
            // A server's readers usually wait long: no spinning before parking.
            let b = Engine::builder()
                .wakeup_spin(std::time::Duration::ZERO)
                .pubsub_buffer(match config.client_output_buffer_limit_pubsub.hard {
                    0 => usize::MAX,
                    hard => hard,
                });
            match &clock {
                Some(c) => b.clock(c.clone()),
                None => b,
            }
        };
        let databases = config.databases.max(1);
        let dbs = if config.appendonly {
            builder().open_databases(config.dir.join(APPEND_DIR), config.appendfsync, databases)?
        } else {
            (0..databases).map(|_| builder().build()).collect()
        };
        Ok(Shared {
            dbs,
            clock,
            config,
            registry: registry::Registry::default(),
            started: Instant::now(),
            port,
            connections_received: AtomicU64::new(0),
            stats: Arc::default(),
            rejected_connections: AtomicU64::new(0),
            output_limit_disconnections: AtomicU64::new(0),
            peak_memory: AtomicU64::new(0),
            peak_memory_time: AtomicU64::new(0),
        })
    }

    /// Redis's dirty counter (`rdb_changes_since_last_save`): the changes every
    /// database's engine counted ([`brook_engine::frontend::Keyspace::dirty`]); brook saves no
    /// RDB, so it is never reset.
    pub fn dirty(&self) -> u64 {
        self.dbs
            .iter()
            .map(|e| e.with_keyspace(|ks, _| ks.dirty()))
            .sum()
    }

    /// The engines' time in Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        match &self.clock {
            Some(c) => brook_engine::Clock::now_ms(c),
            None => brook_engine::precise_now_ms(),
        }
    }

    fn count(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    done: watch::Receiver<bool>,
}

impl Server {
    /// Binds the configured address (and Unix socket) and serves on the current tokio
    /// runtime until [`Server::shutdown`] or drop.
    pub async fn start(config: ServerConfig) -> std::io::Result<Server> {
        let listener = listen(config.bind, config.tcp_backlog)?;
        let addr = listener.local_addr()?;
        #[cfg(unix)]
        let unix = match &config.unix_socket {
            Some(path) => {
                let _ = std::fs::remove_file(path);
                Some(tokio::net::UnixListener::bind(path)?)
            }
            None => None,
        };
        let shared = Arc::new(Shared::open(config, addr.port()).map_err(std::io::Error::other)?);
        let (stop, stop_rx) = watch::channel(false);
        let (done_tx, done) = watch::channel(false);
        let tcp = tokio::spawn(accept_tcp(shared.clone(), listener, stop_rx.clone()));
        tokio::spawn(cron(shared.clone(), stop_rx.clone()));
        #[cfg(unix)]
        let unix_task = unix.map(|l| tokio::spawn(accept_unix(shared.clone(), l, stop_rx)));
        let watcher_shared = shared.clone();
        tokio::spawn(async move {
            let _ = tcp.await;
            #[cfg(unix)]
            if let Some(t) = unix_task {
                let _ = t.await;
            }
            for c in watcher_shared.registry.all() {
                c.request_kill();
            }
            for e in &watcher_shared.dbs {
                e.close();
            }
            let _ = done_tx.send(true);
        });
        Ok(Server {
            shared,
            addr,
            stop,
            done,
        })
    }

    /// The bound TCP address (with the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The state its connections share (its engines, clock and clients).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stops accepting, closes every connection.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Waits until the server has stopped (after [`Server::shutdown`], or forever).
    pub async fn wait(&self) {
        let mut done = self.done.clone();
        let _ = done.wait_for(|d| *d).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Binds `addr` with a listen queue of `backlog` connections (Redis's `tcp-backlog`;
/// tokio's `bind` would use std's 128, which a burst of connects overflows).
fn listen(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// At most this many connections are accepted in one go (Redis's
/// `MAX_ACCEPTS_PER_CALL`) before the stop signal is looked at again.
const MAX_ACCEPTS_PER_CALL: usize = 1000;

/// How long the accept loop rests after an error such as running out of file
/// descriptors, instead of spinning on a listener that stays ready.
const ACCEPT_ERROR_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

async fn accept_tcp(shared: Arc<Shared>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    loop {
        let first = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            accepted = listener.accept() => accepted,
        };
        // Then whatever else is already queued, without going back to the scheduler
        // for each one: a burst of connects is taken as fast as it arrives.
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(accepted) = next.take() {
            match accepted {
                Ok((sock, peer)) => {
                    let _ = sock.set_nodelay(true);
                    let laddr = sock.local_addr().map(|a| a.to_string()).unwrap_or_default();
                    let (rd, wr) = sock.into_split();
                    tokio::spawn(conn::serve(shared.clone(), rd, wr, peer.to_string(), laddr));
                }
                Err(e) => {
                    if !accept_error_is_transient(&e) {
                        eprintln!("Accepting client connection: {e}");
                        tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    }
                    break;
                }
            }
            taken += 1;
            if taken < MAX_ACCEPTS_PER_CALL {
                next = std::future::poll_fn(|cx| {
                    std::task::Poll::Ready(match listener.poll_accept(cx) {
                        std::task::Poll::Ready(r) => Some(r),
                        std::task::Poll::Pending => None,
                    })
                })
                .await;
            }
        }
    }
}

/// Errors of one connection that went away before it was accepted: nothing to report
/// or wait for. Anything else (out of file descriptors or memory) is logged, and the
/// loop pauses before trying again.
fn accept_error_is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    )
}

/// What Redis's `serverCron` does that brook needs: every 100 ms, the memory peak
/// follows `used_memory`.
async fn cron(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            _ = tick.tick() => {
                shared.memory();
            }
        }
    }
}

#[cfg(unix)]
async fn accept_unix(
    shared: Arc<Shared>,
    listener: tokio::net::UnixListener,
    mut stop: watch::Receiver<bool>,
) {
    let path = shared
        .config
        .unix_socket
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((sock, _)) => {
                let (rd, wr) = sock.into_split();
                tokio::spawn(conn::serve(
                    shared.clone(),
                    rd,
                    wr,
                    format!("{path}:0"),
                    path.clone(),
                ));
            }
            Err(e) => {
                if !accept_error_is_transient(&e) {
                    eprintln!("Accepting client connection: {e}");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;
    use std::time::Duration;

    /// Connections the server has not accepted yet wait in a queue of `tcp-backlog`
    /// (Linux holds one more): with nobody accepting, that many connects complete and
    /// the next one waits. std's `bind` (what tokio's uses) would hold 128.
    #[test]
    fn the_listen_queue_holds_tcp_backlog_connections() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let _guard = rt.enter();
        let listener = super::listen(([127, 0, 0, 1], 0).into(), 511).expect("listen");
        let addr = listener.local_addr().expect("addr");
        let mut held = Vec::new();
        while held.len() < 600 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
        }
        assert!(
            (511..600).contains(&held.len()),
            "{} connects completed with nobody accepting",
            held.len()
        );
    }
}
