//! `brook serve`: the engine behind a RESP server (brook-server), for any Redis client.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use brook_server::{ClockMode, OutputLimit, Server, ServerConfig};

/// The engine behind a RESP2/RESP3 server: point any Redis client at it
///
/// Prints `brook serve: listening on ADDR` first (scripts read the port from it), then
/// serves until Ctrl-C. Limits default to Redis's.
#[derive(clap::Args)]
pub struct Args {
    /// TCP port (0 picks a free one)
    #[arg(long, value_name = "N", default_value_t = 6380)]
    port: u16,
    /// Address to listen on
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Listen on a Unix socket too
    #[arg(long, value_name = "PATH")]
    unixsocket: Option<PathBuf>,
    /// Clients must AUTH with this password
    #[arg(long, value_name = "PW")]
    requirepass: Option<String>,
    /// SELECT range
    #[arg(long, value_name = "N", default_value_t = 16)]
    databases: usize,
    /// system, manual (time moves only with BROOK.CLOCK ADVANCE/SET) or
    /// manual:UNIX_MS
    #[arg(long, value_name = "CLOCK", default_value = "system", value_parser = clock)]
    clock: ClockMode,
    /// The longest bulk string a request may carry (Redis's default: 512 MB)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(0..))]
    proto_max_bulk_len: Option<i64>,
    /// Close a client whose unread request grows past N bytes (default 1 GB)
    #[arg(long, value_name = "N")]
    client_query_buffer_limit: Option<usize>,
    /// "normal|pubsub HARD SOFT SECONDS", once per class (Redis's defaults: normal
    /// 0 0 0, pubsub 32mb 8mb 60)
    #[arg(long, value_name = "LIMIT", value_parser = output_limit, action = clap::ArgAction::Append)]
    client_output_buffer_limit: Vec<(bool, OutputLimit)>,
    /// Most clients at once (default 10000)
    #[arg(long, value_name = "N")]
    maxclients: Option<usize>,
    /// Completed connections the kernel may queue unaccepted (default 511)
    #[arg(long, value_name = "N")]
    tcp_backlog: Option<u32>,
    /// yes: durable — every write appended to DIR/appendonlydir in Redis's own
    /// multi-part AOF format (which redis-server loads too), loaded again at start
    #[arg(long, value_name = "yes|no", default_value = "no", value_parser = yes_no, action = clap::ArgAction::Set)]
    appendonly: bool,
    /// The directory appendonlydir is in
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// always (a write answers once on disk), everysec or no
    #[arg(long, value_name = "POLICY", default_value = "everysec", value_parser = fsync)]
    appendfsync: brook_engine::aof::Fsync,
}

/// `--appendonly yes|no`, as Redis spells it.
fn yes_no(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("takes yes or no".into()),
    }
}

/// `--appendfsync always|everysec|no`.
fn fsync(v: &str) -> Result<brook_engine::aof::Fsync, String> {
    brook_engine::aof::Fsync::parse(v).ok_or_else(|| "takes always, everysec or no".into())
}

/// `--clock`: system, manual (from now) or `manual:<unix ms>`.
fn clock(v: &str) -> Result<ClockMode, String> {
    match v {
        "system" => Ok(ClockMode::System),
        "manual" => Ok(ClockMode::Manual(brook_engine::precise_now_ms())),
        _ => match v.strip_prefix("manual:").map(str::parse) {
            Some(Ok(ms)) => Ok(ClockMode::Manual(ms)),
            _ => Err("takes system, manual or manual:UNIX_MS".into()),
        },
    }
}

/// `--client-output-buffer-limit "normal|pubsub HARD SOFT SECONDS"`: (pubsub?, limit).
fn output_limit(spec: &str) -> Result<(bool, OutputLimit), String> {
    let bad = || format!("expected \"normal|pubsub <hard> <soft> <seconds>\", got {spec:?}");
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [class, hard, soft, secs] = words[..] else {
        return Err(bad());
    };
    let limit = OutputLimit::parse(hard, soft, secs).ok_or_else(bad)?;
    match class.to_ascii_lowercase().as_str() {
        "normal" => Ok((false, limit)),
        "pubsub" => Ok((true, limit)),
        _ => Err(bad()),
    }
}

fn config(a: Args) -> ServerConfig {
    let mut c = ServerConfig {
        bind: SocketAddr::new(a.bind, a.port),
        unix_socket: a.unixsocket,
        requirepass: a.requirepass,
        databases: a.databases.max(1),
        clock: a.clock,
        appendonly: a.appendonly,
        dir: a.dir,
        appendfsync: a.appendfsync,
        ..ServerConfig::default()
    };
    if let Some(n) = a.proto_max_bulk_len {
        c.proto_max_bulk_len = n;
    }
    if let Some(n) = a.client_query_buffer_limit {
        c.client_query_buffer_limit = n;
    }
    for (pubsub, limit) in a.client_output_buffer_limit {
        if pubsub {
            c.client_output_buffer_limit_pubsub = limit;
        } else {
            c.client_output_buffer_limit_normal = limit;
        }
    }
    if let Some(n) = a.maxclients {
        c.maxclients = n;
    }
    if let Some(n) = a.tcp_backlog {
        c.tcp_backlog = n;
    }
    c
}

pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = config(args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let server = Server::start(config).await?;
        // The first line tells scripts where to connect.
        println!("brook serve: listening on {}", server.local_addr());
        tokio::select! {
            _ = server.wait() => {}
            _ = tokio::signal::ctrl_c() => server.shutdown(),
        }
        Ok(())
    })
}
