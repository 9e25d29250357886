//! The `brook` binary: `brook demo` tells its story and passes its ledger check on the
//! embedded engine and against private Valkey 9.1 and Redis 7.0.15 servers; `brook
//! stats` prints the table and the exposition; bad arguments fail cleanly.

use std::process::{Command, Output};

use brook_test_support::{ServerGuard, ServerKind};

fn brook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brook"))
        .args(args)
        .output()
        .expect("run brook")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs the demo at `url` and checks its story and its exit status.
fn demo(url: &str) {
    let out = brook(&["demo", "--url", url, "--orders", "5000", "--rate", "2500"]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "demo on {url} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "billing-2 killed while holding",
        "orders committed (effect applied)  4999 of 4999",
        "dead-lettered                      1",
        "pending                            0",
        "every order took effect exactly once",
    ] {
        assert!(
            text.contains(needle),
            "demo on {url}: no '{needle}' in\n{text}"
        );
    }
    let reclaimed = text
        .lines()
        .find(|l| l.contains("reclaimed from the killed worker"))
        .and_then(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(reclaimed > 0, "demo on {url}: nothing reclaimed\n{text}");
    eprintln!("cli: demo on {url} passed ({reclaimed} reclaimed)");
}

#[test]
fn demo_on_the_engine_and_on_servers() {
    demo("mem://");
    for kind in ServerKind::ALL {
        if let Some(server) = ServerGuard::start(kind) {
            let url = format!("redis://127.0.0.1:{}/", server.port());
            demo(&url);
            let table = stdout(&brook(&["stats", "--url", &url, "{orders}", "nope"]));
            assert!(table.contains("group billing"), "{table}");
            assert!(
                table.contains("consumer billing-2"),
                "the killed worker stays: {table}"
            );
            assert!(table.contains("nope: no such stream"), "{table}");
            let expo = stdout(&brook(&[
                "stats",
                "--url",
                &url,
                "--prometheus",
                "{orders}",
            ]));
            assert!(
                expo.contains(
                    "redis_stream_group_lag{db=\"db0\",stream=\"{orders}\",group=\"billing\"} 0"
                ),
                "{expo}"
            );
            assert!(expo.ends_with("# EOF\n"));
        }
    }
}

#[test]
fn bad_arguments_fail_cleanly() {
    let out = brook(&["demo", "--orders", "many"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--orders needs a number"));
    let out = brook(&["stats"]);
    assert!(!out.status.success());
    let out = brook(&["nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&brook(&["help"])).contains("brook demo")
            || stdout(&brook(&["help"])).contains("demo")
    );
}

/// `brook bench --quick --json` runs every workload (on a private server when one is
/// installed) and writes one object per (workload, backend) with the documented fields.
#[test]
fn bench_quick_writes_its_json() {
    let dir = std::env::temp_dir().join(format!("brook-bench-{}", std::process::id()));
    let json = dir.with_extension("json");
    let out = brook(&[
        "bench",
        "--quick",
        "--json",
        json.to_str().expect("utf-8 path"),
    ]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&json).expect("the json file");
    let _ = std::fs::remove_file(&json);
    for field in [
        "\"workload\"",
        "\"backend\"",
        "\"ops_per_sec\"",
        "\"p50_us\"",
        "\"p99_us\"",
        "\"bytes_per_entry\"",
    ] {
        assert!(written.contains(field), "{field} missing in {written}");
    }
    let rows = written.lines().filter(|l| l.starts_with('{')).count();
    let server = text.contains("(server: redis://");
    assert_eq!(rows, if server { 10 } else { 5 }, "{written}");
    assert!(
        text.contains("1→1 hand-off: engine group vs crossbeam channel"),
        "{text}"
    );
}
