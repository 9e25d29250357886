//! The backends a case runs on, each opened by `brook::connect` and fresh for every
//! case: `mem://` (a new engine), or a private server flushed before the case.

use std::future::Future;
use std::pin::Pin;

use brook::Error;
use brook_test_support::{ServerGuard, ServerKind};

use crate::cases::{Case, CASES};

/// A case's body on one backend.
pub type Run<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

struct Server {
    guard: ServerGuard,
}

impl Server {
    fn url(&self, resp3: bool) -> String {
        let proto = if resp3 { "?protocol=resp3" } else { "" };
        format!("redis://127.0.0.1:{}/{proto}", self.guard.port())
    }
}

pub async fn flush(url: &str) {
    let client = redis::Client::open(url).expect("url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect for FLUSHALL");
    redis::cmd("FLUSHALL")
        .query_async::<()>(&mut conn)
        .await
        .expect("FLUSHALL");
}

/// Runs one case on one backend: `None` when it passed, else what went wrong (an error
/// it returned or an assertion that failed).
fn run_case(
    rt: &tokio::runtime::Runtime,
    case: &Case,
    backend: &str,
    f: impl Future<Output = Result<(), Error>>,
) -> Option<String> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(f)));
    match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("{} on {backend}: returned {e:?}", case.name)),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Some(format!("{} on {backend}: {msg}", case.name))
        }
    }
}

/// Runs every case on every backend; panics with the list of failures.
#[test]
fn conformance_matrix() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let servers: Vec<Server> = ServerKind::ALL
        .into_iter()
        .filter_map(ServerGuard::start)
        .map(|guard| Server { guard })
        .collect();
    // `brook serve` in this process: the engine behind RESP, through brook-redis.
    let serve = rt
        .block_on(brook_server::Server::start(
            brook_server::ServerConfig::default(),
        ))
        .expect("start brook serve");
    let serve_port = serve.local_addr().port();
    let mut failures = Vec::new();
    let mut runs = 0;
    for case in CASES {
        // (name, URL, whether brook-redis is forced onto its Lua fallbacks)
        let mut urls = vec![("engine".to_string(), "mem://".to_string(), false)];
        for (proto, query) in [("RESP2", ""), ("RESP3", "?protocol=resp3")] {
            urls.push((
                format!("brook serve ({proto})"),
                format!("redis://127.0.0.1:{serve_port}/{query}"),
                false,
            ));
        }
        for server in &servers {
            for resp3 in [false, true] {
                let proto = if resp3 { "RESP3" } else { "RESP2" };
                let kind = server.guard.kind();
                urls.push((format!("{kind} ({proto})"), server.url(resp3), false));
                // On Redis 8.6 the fallbacks run too, where the server has the native
                // commands: they must pass every case just the same.
                if kind == ServerKind::Redis8 {
                    let name = format!("{kind} with Lua fallbacks ({proto})");
                    urls.push((name, server.url(resp3), true));
                }
            }
        }
        for (name, url, lua) in urls {
            if url.starts_with("redis") {
                rt.block_on(flush(&url));
            }
            let backend = if lua {
                let opts = brook_redis::RedisOptions {
                    lua_fallbacks: true,
                    ..brook_redis::RedisOptions::default()
                };
                rt.block_on(brook_redis::RedisStreams::connect_with(&url, opts))
                    .map(brook::Backend::redis)
            } else {
                rt.block_on(brook::connect(&url))
            }
            .unwrap_or_else(|e| panic!("connect to {name}: {e}"));
            runs += 1;
            let body = case.body;
            failures.extend(run_case(&rt, case, &name, async { body(&backend).await }));
        }
    }
    eprintln!(
        "conformance: {} cases, {runs} runs (engine, brook serve and every server in RESP2 \
         and RESP3, Redis 8.6.3 also with the Lua fallbacks), {} failed",
        CASES.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
