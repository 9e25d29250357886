//! Clients that write before they read: a whole pipeline sent before the first reply
//! is read (redis-py's pipelines do this) must be served in full — reading requests
//! never waits for the client to read its replies — and unread replies are bounded
//! only by `client-output-buffer-limit`, which closes the client as Redis does. An idle
//! connection gives back the memory its largest request and reply took.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use brook_server::{OutputLimit, ServerConfig};
use brook_test_support::Frame;

use super::support::Brook;

/// `n` pipelined `ECHO <payload>` requests.
fn echoes(n: usize, payload: &[u8]) -> Vec<u8> {
    let mut req = Vec::new();
    for _ in 0..n {
        req.extend_from_slice(format!("*2\r\n$4\r\nECHO\r\n${}\r\n", payload.len()).as_bytes());
        req.extend_from_slice(payload);
        req.extend_from_slice(b"\r\n");
    }
    req
}

/// Writes `req` from another thread while this one does not read; returns how the
/// write ended. Both directions carry far more than the kernel's socket buffers hold,
/// so a server that stops reading while its replies are unread makes this time out.
fn write_before_reading(stream: &TcpStream, req: Vec<u8>) -> std::io::Result<()> {
    let mut writer = stream.try_clone().expect("clone the socket");
    writer
        .set_write_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    std::thread::spawn(move || writer.write_all(&req))
        .join()
        .expect("writer thread")
}

/// Reads until the server closes the connection; how many bytes arrived.
fn read_until_closed(mut reader: TcpStream) -> usize {
    reader
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut total = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return total,
            Ok(k) => total += k,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return total,
            Err(e) => panic!("reading until the server closes: {e}"),
        }
    }
}

#[test]
fn a_pipeline_written_before_any_reply_is_read_is_served_in_full() {
    let brook = Brook::default_server();
    let payload = vec![b'p'; 1000];
    let n = 30_000; // 30 MB each way
    let stream = TcpStream::connect(("127.0.0.1", brook.port())).expect("connect");
    let wrote = write_before_reading(&stream, echoes(n, &payload));
    assert!(
        wrote.is_ok(),
        "the server stopped reading a client that had not read its replies yet: {wrote:?}"
    );
    let mut reader = stream;
    reader
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut want = format!("${}\r\n", payload.len()).into_bytes();
    want.extend_from_slice(&payload);
    want.extend_from_slice(b"\r\n");
    let mut got = vec![0u8; want.len()];
    for i in 0..n {
        reader
            .read_exact(&mut got)
            .unwrap_or_else(|e| panic!("reply {i} of {n}: {e}"));
        assert_eq!(got, want, "reply {i}");
    }
    // The connection still works, and so does everyone else's.
    reader.write_all(b"*1\r\n$4\r\nPING\r\n").expect("ping");
    let mut pong = [0u8; 7];
    reader.read_exact(&mut pong).expect("pong");
    assert_eq!(&pong, b"+PONG\r\n");
    assert_eq!(brook.connect().call(&[b"PING"]), Frame::simple("PONG"));
}

/// A server whose normal clients may leave at most `hard` bytes of replies unread.
fn with_normal_hard_limit(hard: usize) -> Brook {
    Brook::start(ServerConfig {
        client_output_buffer_limit_normal: OutputLimit {
            hard,
            soft: 0,
            soft_seconds: 0,
        },
        ..ServerConfig::default()
    })
}

#[test]
fn a_normal_client_past_its_hard_output_limit_is_closed() {
    let brook = with_normal_hard_limit(1024 * 1024);
    let mut other = brook.connect();
    let limit = other.call(&[b"CONFIG", b"GET", b"client-output-buffer-limit"]);
    assert_eq!(
        limit,
        Frame::Array(vec![
            Frame::bulk("client-output-buffer-limit"),
            Frame::bulk("normal 1048576 0 0 slave 0 0 0 pubsub 33554432 8388608 60"),
        ])
    );
    let payload = vec![b'p'; 1000];
    let n = 30_000;
    let stream = TcpStream::connect(("127.0.0.1", brook.port())).expect("connect");
    // The server closes the client once 1 MiB of replies waits unread: the write ends
    // early (reset or broken pipe), or lands in buffers nobody reads.
    let _ = write_before_reading(&stream, echoes(n, &payload));
    let total = read_until_closed(stream);
    let full = n * (payload.len() + 10);
    assert!(
        total < full / 2,
        "{total} of {full} reply bytes arrived: the limit did not close the client"
    );
    let Frame::Bulk(list) = other.call(&[b"CLIENT", b"LIST"]) else {
        panic!("CLIENT LIST")
    };
    assert_eq!(String::from_utf8_lossy(&list).lines().count(), 1);
    let Frame::Bulk(stats) = other.call(&[b"INFO", b"stats"]) else {
        panic!("INFO stats")
    };
    assert!(
        String::from_utf8_lossy(&stats).contains("client_output_buffer_limit_disconnections:1\r\n"),
        "{}",
        String::from_utf8_lossy(&stats)
    );
}

#[test]
fn a_normal_client_within_its_limit_is_served() {
    // The same pipeline under a limit it never reaches, because this client reads as
    // it goes: every reply arrives.
    let brook = with_normal_hard_limit(1024 * 1024);
    let mut c = brook.connect();
    for i in 0..2_000 {
        let reply = c.call(&[b"ECHO", &vec![b'q'; 1000]]);
        assert_eq!(reply, Frame::bulk("q".repeat(1000)), "reply {i}");
    }
}

/// The `name=value` fields of client `id`'s CLIENT LIST line.
fn client_fields(other: &mut brook_test_support::RespConn, name: &str) -> Vec<(String, u64)> {
    let Frame::Bulk(list) = other.call(&[b"CLIENT", b"LIST"]) else {
        panic!("CLIENT LIST")
    };
    let text = String::from_utf8_lossy(&list).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .unwrap_or_else(|| panic!("no client {name} in {text}"))
        .to_string();
    line.split(' ')
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(k, v)| Some((k.to_string(), v.parse().ok()?)))
        .collect()
}

fn field(fields: &[(String, u64)], name: &str) -> u64 {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or_else(|| panic!("no {name} in {fields:?}"), |(_, v)| *v)
}

/// Polls CLIENT LIST (every 50 ms, at most `secs`) until `done` holds for `name`.
fn until(
    other: &mut brook_test_support::RespConn,
    name: &str,
    secs: u64,
    what: &str,
    done: impl Fn(&[(String, u64)]) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let fields = client_fields(other, name);
        if done(&fields) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what} within {secs} s: {fields:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_idle_connection_gives_back_what_one_big_request_and_reply_took() {
    let brook = Brook::default_server();
    let mut other = brook.connect();
    let mut big = brook.connect();
    assert_eq!(
        big.call(&[b"CLIENT", b"SETNAME", b"big"]),
        Frame::simple("OK")
    );
    let payload = vec![b'b'; 8 * 1024 * 1024];
    assert_eq!(big.call(&[b"ECHO", &payload]), Frame::bulk(&payload));
    // Right after, the buffers that carried 8 MiB each way are still that large …
    until(
        &mut other,
        "big",
        5,
        "CLIENT LIST shows the grown buffers",
        |f| {
            field(f, "qbuf") + field(f, "qbuf-free") >= 4 * 1024 * 1024
                || field(f, "omem") >= 4 * 1024 * 1024
        },
    );
    // … and a couple of quiet seconds later they are small again, as Redis's client
    // cron shrinks an idle client's buffers.
    until(&mut other, "big", 10, "the idle buffers shrink", |f| {
        field(f, "qbuf") + field(f, "qbuf-free") <= 64 * 1024
            && field(f, "omem") <= 64 * 1024
            && field(f, "tot-mem") <= 128 * 1024
    });
    // The connection still works.
    assert_eq!(big.call(&[b"PING"]), Frame::simple("PONG"));
}

#[test]
fn an_unauthenticated_client_that_does_not_read_is_closed() {
    // Redis 8 closes a client that must still authenticate once it leaves more than
    // 1 KiB of replies unread (beyond its 16 KiB static buffer), whatever its class.
    let brook = Brook::start(ServerConfig {
        requirepass: Some("pw".into()),
        ..ServerConfig::default()
    });
    let n = 20_000;
    let stream = TcpStream::connect(("127.0.0.1", brook.port())).expect("connect");
    let _ = write_before_reading(&stream, b"*1\r\n$4\r\nPING\r\n".repeat(n));
    let total = read_until_closed(stream);
    let noauth = b"-NOAUTH Authentication required.\r\n".len();
    assert!(
        total < n * noauth / 4,
        "{total} of {} reply bytes arrived: the client was not closed",
        n * noauth
    );
    let mut admin = brook.connect();
    assert_eq!(admin.call(&[b"AUTH", b"pw"]), Frame::simple("OK"));
    let Frame::Bulk(stats) = admin.call(&[b"INFO", b"stats"]) else {
        panic!("INFO stats")
    };
    assert!(
        String::from_utf8_lossy(&stats).contains("client_output_buffer_limit_disconnections:1\r\n"),
        "{}",
        String::from_utf8_lossy(&stats)
    );
}

/// A subscriber that stops reading while messages pile up past its soft limit, after
/// which nothing more is published: the server must still close it once the soft
/// limit's seconds have passed (Redis's client cron checks every client's output
/// limits), not wait for the next message. `port` serves `client-output-buffer-limit
/// pubsub 0 1mb 1`; returns how long the close took, or `None` if it did not happen
/// within 10 s.
fn soft_limit_close_time(port: u16) -> Option<Duration> {
    let mut sub = brook_test_support::RespConn::connect(port).expect("connect");
    assert_eq!(
        sub.call(&[b"SUBSCRIBE", b"ch"]),
        Frame::Array(vec![
            Frame::bulk("subscribe"),
            Frame::bulk("ch"),
            Frame::Integer(1)
        ])
    );
    // Several times what the kernel's socket buffers can absorb, in one burst well
    // under a second, so the unread output sits above the soft limit with no traffic.
    let mut publisher = brook_test_support::RespConn::connect(port).expect("connect");
    let payload = vec![b'm'; 4096];
    let n = 8_000;
    for _ in 0..n {
        publisher
            .send(&[b"PUBLISH", b"ch", &payload])
            .expect("send");
    }
    for _ in 0..n {
        publisher.read().expect("PUBLISH reply");
    }
    let quiet = std::time::Instant::now();
    let clients = |c: &mut brook_test_support::RespConn| match c.call(&[b"CLIENT", b"LIST"]) {
        Frame::Bulk(list) => String::from_utf8_lossy(&list).lines().count(),
        other => panic!("CLIENT LIST answered {other}"),
    };
    assert_eq!(
        clients(&mut publisher),
        2,
        "the subscriber is still connected"
    );
    while quiet.elapsed() < Duration::from_secs(10) {
        if clients(&mut publisher) == 1 {
            return Some(quiet.elapsed());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn a_subscriber_left_above_its_soft_limit_is_closed_without_new_traffic() {
    let soft = OutputLimit {
        hard: 0,
        soft: 1024 * 1024,
        soft_seconds: 1,
    };
    let brook = Brook::start(ServerConfig {
        client_output_buffer_limit_pubsub: soft,
        ..ServerConfig::default()
    });
    let took = soft_limit_close_time(brook.port());
    assert!(
        took.is_some_and(|t| t < Duration::from_secs(5)),
        "brook closed the subscriber after {took:?}"
    );
    let Frame::Bulk(stats) = brook.connect().call(&[b"INFO", b"stats"]) else {
        panic!("INFO stats")
    };
    assert!(
        String::from_utf8_lossy(&stats).contains("client_output_buffer_limit_disconnections:1\r\n"),
        "{}",
        String::from_utf8_lossy(&stats)
    );
    // Redis 8.6.3 does the same (the oracle for what the limit means).
    let Some(redis) = brook_test_support::ServerGuard::start_with(
        brook_test_support::ServerKind::Redis8,
        &["--client-output-buffer-limit", "pubsub 0 1mb 1"],
    ) else {
        return;
    };
    let took = soft_limit_close_time(redis.port());
    assert!(
        took.is_some_and(|t| t < Duration::from_secs(5)),
        "Redis 8.6.3 closed the subscriber after {took:?}"
    );
}
