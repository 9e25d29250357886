//! How a server is set up: where it listens, its password, its clock and its limits.

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

/// A server's settings. Defaults are Redis's: 16 databases, 512 MB bulk strings, a
/// 1 GB query buffer, no password, 127.0.0.1 on a free port.
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
    /// `client-output-buffer-limit pubsub` (its hard limit): a subscribed client with
    /// more than this many bytes of output it has not read is disconnected, as Redis
    /// does (32 MiB). Normal clients have no limit, as Redis's default.
    pub client_output_buffer_limit_pubsub: usize,
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
            client_output_buffer_limit_pubsub: 32 * 1024 * 1024,
        }
    }
}
