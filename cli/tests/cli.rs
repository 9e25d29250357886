//! The `brook` binary: `brook demo` tells its story and passes its ledger check on the
//! embedded engine and against private Valkey 9.1 and Redis 7.0.15 servers, then removes
//! its keys (or keeps them with `--keep`); `brook stats` prints the table and the
//! exposition and fails on an unknown key; every command answers `--help` and
//! `--version`; bad arguments fail with clap's errors (exit 2, with a suggestion); an
//! unreachable server is named; nothing writes terminal control codes into a pipe;
//! `brook demo --data` resumes after a SIGKILL (`demo_data`); `brook serve
//! --appendonly yes` keeps every answered write through SIGKILLs (`serve_crash`).

#[path = "cli/demo_data.rs"]
mod demo_data;
#[path = "cli/serve_crash.rs"]
mod serve_crash;

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use brook_test_support::{Frame, RespConn, ServerGuard, ServerKind};

fn brook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brook"))
        .args(args)
        .output()
        .expect("run brook")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// No terminal control codes (ESC) in what went to a pipe.
fn assert_plain(o: &Output, what: &str) {
    assert!(
        !o.stdout.contains(&0x1b) && !o.stderr.contains(&0x1b),
        "{what} wrote control codes into a pipe:\n{}\n{}",
        stdout(o),
        stderr(o)
    );
}

/// Keys on the server at `port` (DBSIZE).
fn dbsize(port: u16) -> i64 {
    let mut conn = RespConn::connect(port).expect("connect");
    match conn.call_str(&["DBSIZE"]) {
        Frame::Integer(n) => n,
        other => panic!("DBSIZE: {other:?}"),
    }
}

/// Runs the demo at `url` (with `extra` arguments) and checks its story and its exit
/// status; returns its output.
fn demo(url: &str, extra: &[&str]) -> String {
    let mut args = vec!["demo", "--url", url, "--orders", "5000", "--rate", "2500"];
    args.extend_from_slice(extra);
    let out = brook(&args);
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
    assert_plain(&out, "brook demo");
    eprintln!("cli: demo on {url} passed ({reclaimed} reclaimed)");
    text
}

#[test]
fn demo_on_the_engine_and_on_servers() {
    demo("mem://", &[]);
    for kind in ServerKind::ALL {
        if let Some(server) = ServerGuard::start(kind) {
            let url = format!("redis://127.0.0.1:{}/", server.port());
            let text = demo(&url, &["--keep"]);
            assert!(text.contains("kept on redis://"), "{text}");
            let out = brook(&["stats", "--url", &url, "{orders}", "nope"]);
            let table = stdout(&out);
            assert!(table.contains("group billing"), "{table}");
            assert!(
                table.contains("consumer billing-2"),
                "the killed worker stays: {table}"
            );
            assert!(table.contains("nope: no such stream"), "{table}");
            assert_eq!(out.status.code(), Some(1), "an unknown key fails: {table}");
            assert!(stderr(&out).contains("no such stream"), "{}", stderr(&out));
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

/// Without `--keep` the demo leaves nothing on the server (stream, dead letters,
/// ledger, 999 processed-markers) and says so; with it, everything stays.
#[test]
fn demo_removes_its_keys_unless_kept() {
    let Some(server) = ServerGuard::start(ServerKind::Redis) else {
        return;
    };
    let url = format!("redis://127.0.0.1:{}/", server.port());
    let run = |extra: &[&str]| {
        let mut args = vec!["demo", "--url", &url, "--orders", "1000", "--rate", "2000"];
        args.extend_from_slice(extra);
        let out = brook(&args);
        assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
        assert_plain(&out, "brook demo");
        stdout(&out)
    };
    let text = run(&["--key", "{cli-test}"]);
    assert!(
        text.contains("removed from redis://")
            && text.contains(
                "4 keys ({cli-test}, {cli-test}:dead, {cli-test}:revenue, {cli-test}:processed)"
            )
            && text.contains("and 999 processed-markers"),
        "{text}"
    );
    assert_eq!(dbsize(server.port()), 0, "keys left behind:\n{text}");
    let text = run(&["--key", "{cli-test}", "--keep"]);
    assert!(text.contains("kept on redis://"), "{text}");
    // The four keys and a marker for each order but the poison one.
    assert_eq!(dbsize(server.port()), 4 + 999, "{text}");
}

#[test]
fn bad_arguments_fail_cleanly() {
    let out = brook(&["demo", "--orders", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid value 'many' for '--orders <N>'"),
        "{}",
        stderr(&out)
    );
    let out = brook(&["demo", "--orders", "99"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = brook(&["stats"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("<KEY>"), "{}", stderr(&out));
    let out = brook(&["serve", "--clock", "sometimes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("system, manual or manual:UNIX_MS"),
        "{}",
        stderr(&out)
    );
    let out = brook(&["nope"]);
    assert_eq!(out.status.code(), Some(2));
    for args in [&["help"][..], &[]] {
        let out = brook(args);
        assert!(out.status.success());
        assert!(stdout(&out).contains("demo"), "{}", stdout(&out));
    }
}

const SUBCOMMANDS: [&str; 4] = ["demo", "stats", "bench", "serve"];

/// `--help` and `--version` on the top level and on every subcommand: exit 0, and
/// each subcommand's answer names it.
#[test]
fn help_and_version_everywhere() {
    for flag in ["--help", "-h", "--version", "-V"] {
        let out = brook(&[flag]);
        assert!(out.status.success(), "brook {flag}: {}", stderr(&out));
        assert!(
            stdout(&out).contains("brook"),
            "brook {flag}: {}",
            stdout(&out)
        );
    }
    assert!(
        stdout(&brook(&["--version"])).starts_with(&format!("brook {}", env!("CARGO_PKG_VERSION")))
    );
    for sub in SUBCOMMANDS {
        for flag in ["--help", "-h"] {
            let out = brook(&[sub, flag]);
            assert!(out.status.success(), "brook {sub} {flag}: {}", stderr(&out));
            assert!(
                stdout(&out).contains(&format!("Usage: brook {sub}")),
                "brook {sub} {flag}: {}",
                stdout(&out)
            );
        }
        let out = brook(&["help", sub]);
        assert!(out.status.success());
        assert!(stdout(&out).contains(&format!("Usage: brook {sub}")));
        for flag in ["--version", "-V"] {
            let out = brook(&[sub, flag]);
            assert!(out.status.success(), "brook {sub} {flag}: {}", stderr(&out));
            let text = stdout(&out);
            assert!(
                text.contains(sub) && text.contains(env!("CARGO_PKG_VERSION")),
                "brook {sub} {flag}: {text}"
            );
        }
    }
    // Every option the help documents is in it.
    let demo = stdout(&brook(&["demo", "--help"]));
    for opt in ["--url", "--data", "--orders", "--rate", "--key", "--keep"] {
        assert!(demo.contains(opt), "{opt} missing in {demo}");
    }
    let serve = stdout(&brook(&["serve", "--help"]));
    for opt in [
        "--port",
        "--bind",
        "--unixsocket",
        "--requirepass",
        "--databases",
        "--clock",
        "--proto-max-bulk-len",
        "--client-query-buffer-limit",
        "--client-output-buffer-limit",
        "--maxclients",
        "--tcp-backlog",
    ] {
        assert!(serve.contains(opt), "{opt} missing in {serve}");
    }
}

/// An unknown option or subcommand: clap's error, a suggestion, exit 2.
#[test]
fn unknown_options_get_a_suggestion_and_exit_2() {
    for (args, suggested) in [
        (&["demo", "--ordrs", "5"][..], "--orders"),
        (&["serve", "--prot", "1"][..], "--port"),
        (&["stats", "--wach", "k"][..], "--watch"),
        (&["bench", "--quik"][..], "--quick"),
        (&["dmeo"][..], "demo"),
    ] {
        let out = brook(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("similar") && err.contains(&format!("'{suggested}'")),
            "{args:?}: no suggestion of {suggested} in {err}"
        );
    }
}

#[test]
fn stats_on_an_unknown_key_exits_1() {
    let out = brook(&["stats", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no such stream") && err.contains("nope"),
        "{err}"
    );
    assert!(stdout(&out).contains("nope: no such stream"));
    let out = brook(&["stats", "--prometheus", "nope"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// `brook stats --watch` into a pipe: plain blocks one after another, no clear-screen
/// or cursor codes.
#[test]
fn stats_watch_into_a_pipe_writes_no_control_codes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brook"))
        .args(["stats", "--watch", "nope"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run brook");
    // Read until the third block starts (the second is then complete), 30 s at most.
    let mut pipe = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&out).contains("# refresh 3") {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => out.extend_from_slice(&bytes),
            Err(_) => break,
        }
    }
    child.kill().expect("kill brook stats --watch");
    let _ = child.wait();
    let text = String::from_utf8_lossy(&out);
    assert!(!out.contains(&0x1b), "control codes in {text:?}");
    assert!(
        text.contains("# refresh 1") && text.contains("# refresh 3"),
        "three refreshes: {text}"
    );
    assert!(text.matches("nope: no such stream").count() >= 2, "{text}");
}

/// A server that cannot be reached is named, with the reason, and the run exits 1.
#[test]
fn an_unreachable_server_is_named() {
    for args in [
        &["stats", "--url", "redis://127.0.0.1:1", "k"][..],
        &["demo", "--url", "redis://127.0.0.1:1", "--orders", "100"][..],
    ] {
        let out = brook(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("brook: cannot reach redis://127.0.0.1:1: ")
                && err.contains("Connection refused"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("command not sent"), "{err}");
    }
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
    assert_plain(&out, "brook bench");
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

/// A demo cut off mid-run (its server killed) exits 1 and says which keys it may have
/// left where, instead of leaving them without a word.
#[test]
fn a_demo_cut_off_mid_run_says_what_it_left() {
    let Some(server) = ServerGuard::start(ServerKind::Redis) else {
        return;
    };
    let url = format!("redis://127.0.0.1:{}/", server.port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_brook"))
        .args([
            "demo", "--url", &url, "--orders", "200000", "--rate", "2000",
        ])
        .args(["--key", "{cut}"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run brook");
    // Its first line says it started; a second later the server goes away.
    let mut out = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    out.read_exact(&mut first).expect("the demo's first line");
    std::thread::sleep(Duration::from_secs(1));
    drop(server);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the demo did not stop within 60 s of losing its server");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "brook demo stopped early; its keys may be left on {url}"
        )) && err.contains("{cut}, {cut}:dead, {cut}:revenue, {cut}:processed")
            && err.contains("--key {cut}` starts by deleting the four keys"),
        "{err}"
    );
}
