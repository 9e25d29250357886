//! `brook serve`: the engine behind a RESP server (brook-server), for any Redis client.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use brook_server::{ClockMode, Server, ServerConfig};

fn parse(args: &[String]) -> Result<ServerConfig, String> {
    let mut c = ServerConfig::default();
    let mut host: IpAddr = [127, 0, 0, 1].into();
    let mut port = 6380u16;
    let mut it = args.iter();
    let num = |v: Option<&String>, what: &str| -> Result<u64, String> {
        v.ok_or(format!("{what} needs a value"))?
            .parse::<u64>()
            .map_err(|_| format!("{what} takes a non-negative integer"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => {
                port = u16::try_from(num(it.next(), "--port")?)
                    .map_err(|_| "--port takes 0..=65535".to_string())?
            }
            "--bind" => {
                host = it
                    .next()
                    .ok_or("--bind needs an address")?
                    .parse()
                    .map_err(|_| "--bind takes an IP address".to_string())?
            }
            "--unixsocket" => {
                c.unix_socket = Some(PathBuf::from(it.next().ok_or("--unixsocket needs a path")?))
            }
            "--requirepass" => {
                c.requirepass = Some(it.next().ok_or("--requirepass needs a password")?.clone())
            }
            "--databases" => {
                c.databases = usize::try_from(num(it.next(), "--databases")?)
                    .map_err(|_| "--databases is too large".to_string())?
                    .max(1)
            }
            "--clock" => match it.next().map(String::as_str) {
                Some("system") => c.clock = ClockMode::System,
                Some("manual") => c.clock = ClockMode::Manual(brook_engine::precise_now_ms()),
                Some(v) if v.starts_with("manual:") => {
                    let ms = v["manual:".len()..]
                        .parse()
                        .map_err(|_| "--clock manual:<unix ms>".to_string())?;
                    c.clock = ClockMode::Manual(ms)
                }
                _ => return Err("--clock takes system, manual or manual:<unix ms>".into()),
            },
            "--proto-max-bulk-len" => {
                c.proto_max_bulk_len = i64::try_from(num(it.next(), "--proto-max-bulk-len")?)
                    .map_err(|_| "--proto-max-bulk-len is too large".to_string())?
            }
            "--client-query-buffer-limit" => {
                c.client_query_buffer_limit =
                    usize::try_from(num(it.next(), "--client-query-buffer-limit")?)
                        .map_err(|_| "--client-query-buffer-limit is too large".to_string())?
            }
            "--client-output-buffer-limit" => {
                let spec = it.next().ok_or_else(|| {
                    "--client-output-buffer-limit takes \"<class> <hard> <soft> <seconds>\""
                        .to_string()
                })?;
                let words: Vec<&str> = spec.split_whitespace().collect();
                let bad = || {
                    format!(
                        "--client-output-buffer-limit: expected \"normal|pubsub <hard> <soft> <seconds>\", got {spec:?}"
                    )
                };
                let [class, hard, soft, secs] = words[..] else {
                    return Err(bad());
                };
                let limit = brook_server::OutputLimit::parse(hard, soft, secs).ok_or_else(bad)?;
                match class.to_ascii_lowercase().as_str() {
                    "normal" => c.client_output_buffer_limit_normal = limit,
                    "pubsub" => c.client_output_buffer_limit_pubsub = limit,
                    _ => return Err(bad()),
                }
            }
            "--maxclients" => {
                c.maxclients = usize::try_from(num(it.next(), "--maxclients")?)
                    .map_err(|_| "--maxclients is too large".to_string())?
            }
            "--tcp-backlog" => {
                c.tcp_backlog = u32::try_from(num(it.next(), "--tcp-backlog")?)
                    .map_err(|_| "--tcp-backlog is too large".to_string())?
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    c.bind = SocketAddr::new(host, port);
    Ok(c)
}

pub fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let config = parse(args)?;
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
