//! Real clients drive `brook serve`: the `redis` crate (RESP2 and RESP3, pipelines, a
//! blocking read served while the same client keeps working), `redis-cli` (its output
//! compared with its output against Redis 8.6.3), redis-py and `redis-benchmark`.

use std::process::Command;
use std::time::Duration;

use brook_server::ServerConfig;
use brook_test_support::{require_redis, ServerGuard, ServerKind};

use super::support::Brook;

/// Runs a tool; `None` (after a skip notice, or a failure under BROOK_REQUIRE_REDIS=1)
/// when it is not installed.
fn tool(name: &str) -> Option<()> {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(());
    }
    assert!(
        !require_redis(),
        "{name} is required (BROOK_REQUIRE_REDIS=1) but not installed"
    );
    println!("SKIP: {name} not installed");
    None
}

#[test]
fn redis_crate_resp2_and_resp3() {
    let brook = Brook::default_server();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for proto in ["", "?protocol=resp3"] {
            let url = format!("redis://127.0.0.1:{}/{proto}", brook.port());
            let client = redis::Client::open(url.as_str()).expect("url");
            let mut conn = client
                .get_multiplexed_async_connection()
                .await
                .expect("connect");
            let _: () = redis::cmd("FLUSHALL")
                .query_async(&mut conn)
                .await
                .expect("flush");
            let _: () = redis::cmd("XGROUP")
                .arg(&["CREATE", "orders", "billing", "$", "MKSTREAM"])
                .query_async(&mut conn)
                .await
                .expect("group");
            // A blocking read on its own connection, served by an XADD from another.
            let mut reader = client
                .get_multiplexed_async_connection()
                .await
                .expect("connect");
            let read = tokio::spawn(async move {
                let v: redis::Value = redis::cmd("XREADGROUP")
                    .arg(&[
                        "GROUP", "billing", "w1", "BLOCK", "0", "STREAMS", "orders", ">",
                    ])
                    .query_async(&mut reader)
                    .await
                    .expect("read");
                v
            });
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut pipe = redis::pipe();
            for i in 0..10 {
                pipe.cmd("XADD")
                    .arg("orders")
                    .arg(format!("{}-1", i + 1))
                    .arg("n")
                    .arg(i);
            }
            let ids: Vec<String> = pipe.query_async(&mut conn).await.expect("pipeline");
            assert_eq!(ids.len(), 10);
            assert_eq!(ids[0], "1-1");
            let served = tokio::time::timeout(Duration::from_secs(10), read)
                .await
                .expect("served in time")
                .expect("task");
            let text = format!("{served:?}");
            assert!(text.contains("1-1"), "first entry served: {text}");
            let rest: redis::Value = redis::cmd("XREADGROUP")
                .arg(&[
                    "GROUP", "billing", "w2", "COUNT", "100", "STREAMS", "orders", ">",
                ])
                .query_async(&mut conn)
                .await
                .expect("rest");
            let acked: i64 = redis::cmd("XACK")
                .arg(&["orders", "billing", "1-1", "2-1", "3-1"])
                .query_async(&mut conn)
                .await
                .expect("ack");
            assert_eq!(acked, 3, "{rest:?}");
            let pending: (i64, String, String, Vec<(String, String)>) = redis::cmd("XPENDING")
                .arg(&["orders", "billing"])
                .query_async(&mut conn)
                .await
                .expect("pending");
            assert_eq!(pending.0, 7);
            assert_eq!(pending.1, "4-1");
            let err = redis::cmd("XADD")
                .arg(&["orders", "1-1", "f", "v"])
                .query_async::<String>(&mut conn)
                .await
                .expect_err("old id");
            assert!(err.to_string().contains("equal or smaller"), "{err}");
        }
    });
}

/// The commands `redis-cli` runs against both servers, output compared.
const CLI_COMMANDS: &[&[&str]] = &[
    &["XADD", "s", "1-1", "name", "ada"],
    &["XADD", "s", "2-1", "name", "bob", "age", "3"],
    &["XRANGE", "s", "-", "+"],
    &["XGROUP", "CREATE", "s", "g", "0"],
    &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
    &["XPENDING", "s", "g"],
    &["XINFO", "GROUPS", "s"],
    &["XACK", "s", "g", "1-1"],
    &["XREAD", "COUNT", "1", "STREAMS", "s", "0"],
    &["XLEN", "nothing"],
    &["GET", "nothing"],
    &["XADD", "s", "1-1", "x", "y"],
    // With an argument: for a bare unknown command Redis 8 (and brook) leave out the
    // `with args beginning with:` part that Valkey prints (see `diff.rs`, unknown-bare).
    &["NOSUCH", "x"],
];

fn cli_outputs(port: u16, resp3: bool) -> Vec<String> {
    let run = |args: &[&str]| {
        let mut cmd = Command::new("redis-cli");
        cmd.arg("-p").arg(port.to_string());
        if resp3 {
            cmd.arg("-3");
        }
        let out = cmd.args(args).output().expect("redis-cli");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    run(&["FLUSHALL"]);
    CLI_COMMANDS.iter().map(|c| run(c)).collect()
}

#[test]
fn redis_cli_output_matches_redis8() {
    if tool("redis-cli").is_none() {
        return;
    }
    let Some(oracle) = ServerGuard::start(ServerKind::Redis8) else {
        return;
    };
    let brook = Brook::default_server();
    for resp3 in [false, true] {
        let ours = cli_outputs(brook.port(), resp3);
        let theirs = cli_outputs(oracle.port(), resp3);
        for ((cmd, a), b) in CLI_COMMANDS.iter().zip(&ours).zip(&theirs) {
            assert_eq!(a, b, "redis-cli {} (resp3: {resp3})", cmd.join(" "));
        }
    }
    // Piped inline commands too.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf 'PING\\nXLEN s\\nECHO \"a b\"\\n' | redis-cli -p {}",
            brook.port()
        ))
        .output()
        .expect("redis-cli");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "PONG\n2\na b\n");
}

#[test]
fn redis_py() {
    let has_py = Command::new("python3")
        .args(["-c", "import redis"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_py {
        assert!(
            !require_redis(),
            "redis-py is required (BROOK_REQUIRE_REDIS=1): pip install redis"
        );
        println!("SKIP: the Python redis package is not installed (pip install redis)");
        return;
    }
    let brook = Brook::default_server();
    let script = r#"
import sys, threading, time, redis
port = int(sys.argv[1])
for proto in (2, 3):
    r = redis.Redis(port=port, protocol=proto)
    r.flushall()
    r.xgroup_create("jobs", "workers", id="$", mkstream=True)
    got = {}
    def reader():
        c = redis.Redis(port=port, protocol=proto)
        got["v"] = c.xreadgroup("workers", "w1", {"jobs": ">"}, count=10, block=5000)
    t = threading.Thread(target=reader); t.start()
    time.sleep(0.2)
    first = r.xadd("jobs", {"task": "resize"})
    t.join()
    served = got["v"]
    if proto == 2:
        assert served[0][0] == b"jobs", served
        entries = served[0][1]
    else:
        entries = served[b"jobs"][0]
    assert entries[0][0] == first and entries[0][1] == {b"task": b"resize"}, served
    summary = r.xpending("jobs", "workers")
    assert summary["pending"] == 1 and summary["consumers"][0]["name"] == b"w1", summary
    assert r.xack("jobs", "workers", first) == 1
    info = r.xinfo_groups("jobs")[0]
    assert info["name"] == b"workers" and info["pending"] == 0 and info["lag"] == 0, info
    with r.pipeline(transaction=True) as p:
        p.xadd("jobs", {"a": "1"}).xlen("jobs")
        _, n = p.execute()
    assert n == 2, n
    r.client_setname("py")
    assert r.client_getname() == "py" or r.client_getname() == b"py"
    try:
        r.xadd("jobs", {"x": "y"}, id="1-1")
        raise SystemExit("an old ID was accepted")
    except redis.ResponseError as e:
        assert "equal or smaller" in str(e), e
print("ok")
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(brook.port().to_string())
        .output()
        .expect("python3");
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("ok"),
        "redis-py against brook serve:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn redis_benchmark_runs_against_it() {
    if tool("redis-benchmark").is_none() {
        return;
    }
    let brook = Brook::start(ServerConfig::default());
    let port = brook.port().to_string();
    for pipeline in ["1", "16"] {
        let out = Command::new("redis-benchmark")
            .args(["-p", &port, "-n", "2000", "-c", "4", "-P", pipeline, "-q"])
            .args(["XADD", "bench", "*", "f", "v"])
            .output()
            .expect("redis-benchmark");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("requests per second"), "{text}");
    }
    let out = Command::new("redis-benchmark")
        .args(["-p", &port, "-n", "2000", "-q", "-t", "ping,set,get"])
        .output()
        .expect("redis-benchmark");
    assert!(out.status.success());
    let mut c = brook.connect();
    assert_eq!(
        c.call(&[b"XLEN", b"bench"]),
        brook_test_support::Frame::Integer(4000)
    );
}
