//! The adapter under faults, against a private Valkey 9.1: a server restart, a blocked
//! read whose connection is cut, and a command whose reply never comes in time. Errors
//! say whether the command can have run, and the same adapter value recovers by itself.

use std::time::{Duration, Instant};

use brook_engine::{
    Block, Error, GroupReadId, GroupStart, Streams, XAddOptions, XReadGroupOptions,
};
use brook_redis::{RedisOptions, RedisStreams};
use brook_test_support::{ServerGuard, ServerKind};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn url(server: &ServerGuard) -> String {
    format!("redis://127.0.0.1:{}/", server.port())
}

/// Runs one raw command on a connection of its own.
async fn raw(url: &str, args: &[&str]) -> redis::RedisResult<redis::Value> {
    let client = redis::Client::open(url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query_async(&mut conn).await
}

async fn add(s: &RedisStreams) -> Result<Option<brook_engine::StreamId>, Error> {
    s.xadd_with(b"s", &XAddOptions::default(), &[("f", "v")])
        .await
}

#[test]
fn a_server_restart_is_reported_and_survived() {
    let Some(server) = ServerGuard::start(ServerKind::Valkey) else {
        return;
    };
    rt().block_on(async {
        let s = RedisStreams::connect(&url(&server)).await.expect("connect");
        add(&s).await.expect("xadd before");
        let server = server.restart();
        // The first command after the restart may fail — and then says whether it can
        // have run; the same adapter then works again without being rebuilt.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut failures = Vec::new();
        loop {
            match s.xlen(b"s").await {
                Ok(n) => {
                    assert_eq!(n, 0, "a restarted server (no persistence) is empty");
                    break;
                }
                Err(e @ (Error::NotSent(_) | Error::OutcomeUnknown(_))) => failures.push(e),
                Err(other) => panic!("a lost connection is NotSent or OutcomeUnknown: {other:?}"),
            }
            assert!(Instant::now() < deadline, "no recovery: {failures:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!("after the restart: {failures:?}, then recovered");
        add(&s).await.expect("xadd after the restart");
        assert_eq!(s.xlen(b"s").await, Ok(1));
        drop(server);
    });
}

#[test]
fn a_blocked_read_whose_connection_is_cut_fails_and_the_next_one_works() {
    let Some(server) = ServerGuard::start(ServerKind::Valkey) else {
        return;
    };
    rt().block_on(async {
        let u = url(&server);
        let s = RedisStreams::connect(&u).await.expect("connect");
        s.xgroup_create(b"s", b"g", GroupStart::Last, true, None)
            .await
            .expect("group");
        let reader = {
            let s = s.clone();
            tokio::spawn(async move {
                let new = [(b"s".as_slice(), GroupReadId::New)];
                s.xreadgroup(
                    b"g",
                    b"c",
                    &new,
                    &XReadGroupOptions::default(),
                    Some(Block::from_millis(0)),
                )
                .await
            })
        };
        // Wait until the server has it blocked, then cut every other client.
        let deadline = Instant::now() + Duration::from_secs(10);
        while blocked_clients(&u).await == 0 {
            assert!(Instant::now() < deadline, "the read never blocked");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        raw(&u, &["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"])
            .await
            .expect("CLIENT KILL");
        let got = tokio::time::timeout(Duration::from_secs(10), reader)
            .await
            .expect("a cut blocked read returns")
            .expect("task");
        match got {
            Err(Error::OutcomeUnknown(_)) => {}
            other => panic!("a blocked read cut off is OutcomeUnknown: {other:?}"),
        }
        // The next blocking read gets a working connection and is served.
        let writer = {
            let s = s.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                loop {
                    // The command connection was cut too: retry until it is back.
                    if add(&s).await.is_ok() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        let new = [(b"s".as_slice(), GroupReadId::New)];
        let served = s
            .xreadgroup(
                b"g",
                b"c",
                &new,
                &XReadGroupOptions::default(),
                Some(Block::from_millis(5000)),
            )
            .await
            .expect("read after the cut");
        assert_eq!(served.len(), 1);
        writer.await.expect("writer");
    });
}

#[test]
fn a_reply_that_comes_too_late_is_outcome_unknown_and_the_command_may_have_run() {
    let Some(server) = ServerGuard::start(ServerKind::Valkey) else {
        return;
    };
    rt().block_on(async {
        let u = url(&server);
        let opts = RedisOptions {
            response_timeout: Duration::from_millis(200),
            ..RedisOptions::default()
        };
        let s = RedisStreams::connect_with(&u, opts).await.expect("connect");
        add(&s).await.expect("xadd");
        // The server holds every client's commands for a second.
        raw(&u, &["CLIENT", "PAUSE", "1000", "ALL"])
            .await
            .expect("pause");
        match add(&s).await {
            Err(Error::OutcomeUnknown(_)) => {}
            other => panic!("no reply in time is OutcomeUnknown: {other:?}"),
        }
        // It did run once the pause ended: that is what "unknown" warns about.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        let len = loop {
            match s.xlen(b"s").await {
                Ok(n) => break n,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!("no recovery: {e:?}"),
            }
        };
        assert_eq!(len, 2, "the XADD whose reply was lost was applied");
    });
}

/// The server's `blocked_clients` count; panics when `INFO clients` does not give one.
async fn blocked_clients(url: &str) -> u64 {
    let info = raw(url, &["INFO", "clients"]).await.expect("INFO");
    let text = match info {
        redis::Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
        redis::Value::VerbatimString { text, .. } => text,
        other => panic!("INFO clients answered {other:?}"),
    };
    text.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO clients has no blocked_clients count: {text}"))
}

#[test]
fn a_dropped_blocked_read_discards_its_connection() {
    let Some(server) = ServerGuard::start(ServerKind::Valkey) else {
        return;
    };
    rt().block_on(async {
        let u = url(&server);
        let s = RedisStreams::connect(&u).await.expect("connect");
        s.xgroup_create(b"s", b"g", GroupStart::Last, true, None)
            .await
            .expect("group");
        let new = [(b"s".as_slice(), GroupReadId::New)];
        // A read blocked forever: polled until the server counts it as blocked, then
        // given up by its caller (the future dropped).
        let opts = XReadGroupOptions::default();
        let mut read =
            Box::pin(s.xreadgroup(b"g", b"ghost", &new, &opts, Some(Block::from_millis(0))));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            tokio::select! {
                r = &mut read => panic!("nothing was added, yet the read returned {r:?}"),
                n = blocked_clients(&u) => {
                    if n == 1 {
                        break;
                    }
                    assert_eq!(n, 0, "only this read can block");
                    assert!(Instant::now() < deadline, "the read never blocked");
                }
            }
            tokio::select! {
                r = &mut read => panic!("nothing was added, yet the read returned {r:?}"),
                () = tokio::time::sleep(Duration::from_millis(10)) => {}
            }
        }
        drop(read);
        // Its connection is closed, so the server no longer has a blocked client that
        // could be handed the next entry.
        let deadline = Instant::now() + Duration::from_secs(10);
        while blocked_clients(&u).await > 0 {
            assert!(
                Instant::now() < deadline,
                "the dropped read still blocks on the server"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        add(&s).await.expect("xadd");
        let got = s
            .xreadgroup(b"g", b"live", &new, &XReadGroupOptions::default(), None)
            .await
            .expect("read");
        assert_eq!(
            got[0].entries.len(),
            1,
            "the entry went to a live reader, not the ghost"
        );
        assert_eq!(
            s.xpending(b"s", b"g").await.map(|p| p.consumers.len()),
            Ok(1)
        );
    });
}
