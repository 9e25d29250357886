//! How a server is set up: where it listens, its password, its clock and its limits.

use brook_engine::aof::Fsync;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The clock a server's engines run on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClockMode {
    /// The system clock.
    #[default]
    System,
    /// A virtual clock that stands still until `BROOK.CLOCK ADVANCE`/`SET` moves it,
    /// starting at the given Unix time in milliseconds.
    Manual(u64),
}

/// The append-only directory's name under [`ServerConfig::dir`] (Redis's
/// `appenddirname` default).
pub const APPEND_DIR: &str = "appendonlydir";

/// A server's settings. Defaults are Redis's: 16 databases, 512 MB bulk strings, a
/// 1 GB query buffer, Redis's output buffer limits and `tcp-backlog` 511, no password,
/// 127.0.0.1 on a free port.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The TCP address to bind (port 0: a free one).
    pub bind: SocketAddr,
    /// A Unix socket to listen on as well.
    pub unix_socket: Option<PathBuf>,
    /// `requirepass`: clients must `AUTH` (or `HELLO … AUTH`) first.
    pub requirepass: Option<String>,
    /// The engines' clock.
    pub clock: ClockMode,
    /// `databases`: how many `SELECT` can choose from.
    pub databases: usize,
    /// `proto-max-bulk-len`: the longest bulk string a request may carry.
    pub proto_max_bulk_len: i64,
    /// `client-query-buffer-limit`: a client whose unread request grows past this is
    /// closed.
    pub client_query_buffer_limit: usize,
    /// `maxclients`.
    pub maxclients: usize,
    /// `tcp-backlog` (Redis's default 511): how many connections the kernel may hold
    /// completed but not yet accepted. Too small a queue makes a burst of connects
    /// wait a second for a SYN retry (capped by the kernel's `net.core.somaxconn`).
    pub tcp_backlog: u32,
    /// `client-output-buffer-limit normal`: none by default, as in Redis — a client
    /// that pipelines without reading its replies is served, and its unread replies
    /// wait in memory.
    pub client_output_buffer_limit_normal: OutputLimit,
    /// `client-output-buffer-limit pubsub` (Redis's default `32mb 8mb 60`): a client
    /// with a subscription that leaves this much output unread is disconnected.
    pub client_output_buffer_limit_pubsub: OutputLimit,
    /// `appendonly`: every write is appended, in Redis's multi-part append-only
    /// format, to [`APPEND_DIR`] under [`ServerConfig::dir`], and loaded from there at
    /// start (Redis loads the same directory: `appendonly yes`,
    /// `aof-use-rdb-preamble no`).
    pub appendonly: bool,
    /// `dir`: the directory the append-only directory is in.
    pub dir: PathBuf,
    /// `appendfsync`: when appended bytes reach the disk.
    pub appendfsync: Fsync,
}

/// One class's `client-output-buffer-limit <class> <hard> <soft> <soft-seconds>`: a
/// client whose unread output reaches `hard` bytes, or stays at or above `soft` bytes
/// for more than `soft_seconds`, is closed (0 turns a limit off), as Redis closes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputLimit {
    /// Bytes at which the client is closed at once (0: no hard limit).
    pub hard: usize,
    /// Bytes the client may stay at or above for `soft_seconds` (0: no soft limit).
    pub soft: usize,
    /// How long the soft limit may be exceeded.
    pub soft_seconds: u64,
}

impl OutputLimit {
    /// No limit (`0 0 0`, Redis's default for normal clients).
    pub const NONE: OutputLimit = OutputLimit {
        hard: 0,
        soft: 0,
        soft_seconds: 0,
    };

    /// Redis's default for pub/sub clients: `32mb 8mb 60`.
    pub const PUBSUB: OutputLimit = OutputLimit {
        hard: 32 * 1024 * 1024,
        soft: 8 * 1024 * 1024,
        soft_seconds: 60,
    };

    /// Parses Redis's `<hard> <soft> <soft-seconds>` (sizes as bytes or with Redis's
    /// units `k`, `kb`, `m`, `mb`, `g`, `gb`, any case).
    pub fn parse(hard: &str, soft: &str, soft_seconds: &str) -> Option<OutputLimit> {
        Some(OutputLimit {
            hard: parse_size(hard)?,
            soft: parse_size(soft)?,
            soft_seconds: soft_seconds.parse().ok()?,
        })
    }

    /// The three numbers as `CONFIG GET client-output-buffer-limit` shows them.
    pub fn show(&self) -> String {
        format!("{} {} {}", self.hard, self.soft, self.soft_seconds)
    }
}

/// A size as Redis's config reads it (`memtoull`): digits, then an optional unit —
/// `k`/`m`/`g` (×1000ⁿ) or `kb`/`mb`/`gb` (×1024ⁿ), any case.
pub fn parse_size(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let mul: usize = match unit {
        "" | "b" => 1,
        "k" => 1_000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1024 * 1024,
        "g" => 1_000_000_000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.is_empty() {
        return None;
    }
    digits.parse::<usize>().ok()?.checked_mul(mul)
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            unix_socket: None,
            requirepass: None,
            clock: ClockMode::System,
            databases: 16,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            maxclients: 10_000,
            tcp_backlog: 511,
            client_output_buffer_limit_normal: OutputLimit::NONE,
            client_output_buffer_limit_pubsub: OutputLimit::PUBSUB,
            appendonly: false,
            dir: PathBuf::from("."),
            appendfsync: Fsync::EverySec,
        }
    }
}
