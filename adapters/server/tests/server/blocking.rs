//! Blocking commands over several real connections, the same script on `brook serve`
//! and on each oracle (Redis 8.6.3, Valkey 9.1, Redis 7.0.15), every reply's bytes
//! compared: wake order, a group's entries to
//! the first blocked consumer only, errors when the group or key goes away, timeouts,
//! CLIENT UNBLOCK (TIMEOUT and ERROR), CLIENT KILL of a blocked client, a blocked
//! client that disconnects, pipelined commands behind a blocked one, RESP3 nulls.

use std::time::Duration;

use brook_server::ServerConfig;
use brook_test_support::{RespConn, ServerGuard, ServerKind};

use super::support::{wait_blocked, Brook};

fn conn(port: u16) -> RespConn {
    let c = RespConn::connect(port).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    c
}

/// Sends `XREADGROUP GROUP g <consumer> BLOCK 0 STREAMS s >` on `c` and waits until
/// the server counts `blocked` blocked clients.
fn block_in_group(c: &mut RespConn, consumer: &[u8], port: u16, blocked: usize) {
    c.send(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        consumer,
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"s",
        b">",
    ])
    .expect("send");
    wait_blocked(port, blocked);
}

fn client_id(c: &mut RespConn) -> Vec<u8> {
    match c.call(&[b"CLIENT", b"ID"]) {
        brook_test_support::Frame::Integer(id) => id.to_string().into_bytes(),
        other => panic!("CLIENT ID answered {other:?}"),
    }
}

/// One scenario: every reply's bytes, in the order the script reads them.
type Scenario = fn(u16) -> Vec<Vec<u8>>;

fn group_wake_order(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut admin = conn(port);
    out.push(admin.call_raw(&[b"XGROUP", b"CREATE", b"s", b"g", b"$", b"MKSTREAM"]));
    let mut a = conn(port);
    let mut b = conn(port);
    block_in_group(&mut a, b"a", port, 1);
    block_in_group(&mut b, b"b", port, 2);
    out.push(admin.call_raw(&[b"XADD", b"s", b"1-1", b"f", b"v"]));
    out.push(a.read().expect("a served").1);
    wait_blocked(port, 1);
    out.push(admin.call_raw(&[b"XADD", b"s", b"2-1", b"f", b"w"]));
    out.push(b.read().expect("b served").1);
    out.push(admin.call_raw(&[b"XPENDING", b"s", b"g"]));
    out
}

fn xread_all_woken(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut admin = conn(port);
    let mut readers: Vec<RespConn> = (0..3).map(|_| conn(port)).collect();
    for (i, r) in readers.iter_mut().enumerate() {
        r.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"])
            .expect("send");
        wait_blocked(port, i + 1);
    }
    out.push(admin.call_raw(&[b"XADD", b"s", b"5-5", b"k", b"v"]));
    for r in &mut readers {
        out.push(r.read().expect("woken").1);
    }
    out
}

fn group_destroyed_and_key_deleted(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut admin = conn(port);
    out.push(admin.call_raw(&[b"XGROUP", b"CREATE", b"s", b"g", b"$", b"MKSTREAM"]));
    let mut a = conn(port);
    block_in_group(&mut a, b"a", port, 1);
    out.push(admin.call_raw(&[b"XGROUP", b"DESTROY", b"s", b"g"]));
    out.push(a.read().expect("error").1);
    out.push(admin.call_raw(&[b"XGROUP", b"CREATE", b"s", b"g", b"$"]));
    block_in_group(&mut a, b"a", port, 1);
    out.push(admin.call_raw(&[b"DEL", b"s"]));
    out.push(a.read().expect("error").1);
    out.push(admin.call_raw(&[b"XGROUP", b"CREATE", b"s", b"g", b"$", b"MKSTREAM"]));
    block_in_group(&mut a, b"a", port, 1);
    out.push(admin.call_raw(&[b"SET", b"s", b"now a string"]));
    out.push(a.read().expect("error").1);
    out
}

fn timeouts_and_resp3(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut a = conn(port);
    out.push(a.call_raw(&[b"XREAD", b"BLOCK", b"50", b"STREAMS", b"s", b"$"]));
    out.push(a.call_raw(&[b"XGROUP", b"CREATE", b"s", b"g", b"$", b"MKSTREAM"]));
    out.push(a.call_raw(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"a",
        b"BLOCK",
        b"50",
        b"STREAMS",
        b"s",
        b">",
    ]));
    a.hello(3);
    out.push(a.call_raw(&[b"XREAD", b"BLOCK", b"50", b"STREAMS", b"s", b"$"]));
    out.push(a.call_raw(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"a",
        b"BLOCK",
        b"50",
        b"STREAMS",
        b"s",
        b">",
    ]));
    out
}

fn client_unblock(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut admin = conn(port);
    let mut a = conn(port);
    let id = client_id(&mut a);
    out.push(admin.call_raw(&[b"CLIENT", b"UNBLOCK", &id]));
    a.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"])
        .expect("send");
    wait_blocked(port, 1);
    out.push(admin.call_raw(&[b"CLIENT", b"UNBLOCK", &id]));
    out.push(a.read().expect("unblocked").1);
    out.push(admin.call_raw(&[b"XGROUP", b"CREATE", b"s", b"g", b"$", b"MKSTREAM"]));
    block_in_group(&mut a, b"a", port, 1);
    out.push(admin.call_raw(&[b"CLIENT", b"UNBLOCK", &id, b"ERROR"]));
    out.push(a.read().expect("unblocked").1);
    out.push(a.call_raw(&[b"PING"]));
    // Nothing was delivered to the unblocked reader.
    out.push(admin.call_raw(&[b"XADD", b"s", b"1-1", b"f", b"v"]));
    out.push(admin.call_raw(&[b"XPENDING", b"s", b"g"]));
    out
}

fn pipelined_behind_block(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut admin = conn(port);
    let mut a = conn(port);
    a.send_raw(b"*6\r\n$5\r\nXREAD\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n$7\r\nSTREAMS\r\n$1\r\ns\r\n$1\r\n$\r\n*2\r\n$4\r\nECHO\r\n$5\r\nafter\r\n")
        .expect("send");
    wait_blocked(port, 1);
    // Other clients are served while `a` waits.
    out.push(admin.call_raw(&[b"PING"]));
    out.push(admin.call_raw(&[b"XADD", b"s", b"1-1", b"f", b"v"]));
    out.push(a.read().expect("served").1);
    out.push(a.read().expect("echo").1);
    out
}

fn disconnected_and_killed(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut admin = conn(port);
    out.push(admin.call_raw(&[b"XGROUP", b"CREATE", b"s", b"g", b"$", b"MKSTREAM"]));
    {
        let mut gone = conn(port);
        block_in_group(&mut gone, b"gone", port, 1);
    }
    wait_blocked(port, 0);
    let mut killed = conn(port);
    let id = client_id(&mut killed);
    block_in_group(&mut killed, b"killed", port, 1);
    out.push(admin.call_raw(&[b"CLIENT", b"KILL", b"ID", &id]));
    assert!(
        killed.read().is_err(),
        "a killed client's connection closes"
    );
    wait_blocked(port, 0);
    out.push(admin.call_raw(&[b"XADD", b"s", b"1-1", b"f", b"v"]));
    out.push(admin.call_raw(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"alive",
        b"STREAMS",
        b"s",
        b">",
    ]));
    out.push(admin.call_raw(&[b"XPENDING", b"s", b"g"]));
    out
}

fn pubsub_resp2(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut a = conn(port);
    let mut b = conn(port);
    a.send(&[b"SUBSCRIBE", b"c1", b"c2", b"c1"]).expect("send");
    for _ in 0..3 {
        out.push(a.read().expect("subscribed").1);
    }
    out.push(a.call_raw(&[b"PSUBSCRIBE", b"c*"]));
    out.push(a.call_raw(&[b"PING"]));
    out.push(a.call_raw(&[b"PING", b"hi"]));
    out.push(a.call_raw(&[b"XADD", b"s", b"*", b"f", b"v"]));
    out.push(a.call_raw(&[b"CLIENT", b"ID"]));
    out.push(b.call_raw(&[b"PUBLISH", b"c1", b"one"]));
    out.push(a.read().expect("message").1);
    out.push(a.read().expect("pmessage").1);
    out.push(b.call_raw(&[b"PUBLISH", b"cx", b"two"]));
    out.push(a.read().expect("pmessage").1);
    out.push(b.call_raw(&[b"PUBLISH", b"other", b"three"]));
    out.push(a.call_raw(&[b"UNSUBSCRIBE", b"c1"]));
    out.push(a.call_raw(&[b"PUNSUBSCRIBE"]));
    out.push(a.call_raw(&[b"PUNSUBSCRIBE"]));
    out.push(a.call_raw(&[b"UNSUBSCRIBE", b"nope"]));
    out.push(a.call_raw(&[b"UNSUBSCRIBE"]));
    out.push(a.call_raw(&[b"UNSUBSCRIBE"]));
    out.push(a.call_raw(&[b"PING"]));
    out.push(b.call_raw(&[b"PUBLISH", b"c1", b"nobody"]));
    out
}

fn pubsub_resp3(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut a = conn(port);
    let mut b = conn(port);
    a.hello(3);
    out.push(a.call_raw(&[b"SUBSCRIBE", b"news"]));
    out.push(a.call_raw(&[b"PSUBSCRIBE", b"n?ws"]));
    out.push(a.call_raw(&[b"XADD", b"s", b"1-1", b"f", b"v"]));
    out.push(a.call_raw(&[b"PING"]));
    out.push(b.call_raw(&[b"PUBLISH", b"news", b"payload"]));
    out.push(a.read_any().expect("push").1);
    out.push(a.read_any().expect("push").1);
    out.push(a.call_raw(&[b"RESET"]));
    out.push(b.call_raw(&[b"PUBLISH", b"news", b"after reset"]));
    out.push(a.call_raw(&[b"PING"]));
    out
}

/// A RESP3 client subscribed to a channel blocks in XREAD: messages published while
/// it waits reach it as pushes before its read is served.
fn pubsub_while_blocked(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut a = conn(port);
    let mut b = conn(port);
    a.hello(3);
    out.push(a.call_raw(&[b"SUBSCRIBE", b"news"]));
    a.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"])
        .expect("send");
    wait_blocked(port, 1);
    out.push(b.call_raw(&[b"PUBLISH", b"news", b"one"]));
    out.push(a.read_any().expect("push while blocked").1);
    out.push(b.call_raw(&[b"PUBLISH", b"news", b"two"]));
    out.push(a.read_any().expect("push while blocked").1);
    out.push(b.call_raw(&[b"XADD", b"s", b"1-1", b"f", b"v"]));
    out.push(a.read_any().expect("the read").1);
    out.push(a.call_raw(&[b"PING"]));
    out
}

fn watch_by_another_client(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut a = conn(port);
    let mut b = conn(port);
    out.push(a.call_raw(&[b"XADD", b"s", b"1-1", b"f", b"v"]));
    out.push(a.call_raw(&[b"WATCH", b"s", b"k"]));
    out.push(b.call_raw(&[b"XADD", b"s", b"2-1", b"f", b"v"]));
    out.push(a.call_raw(&[b"MULTI"]));
    out.push(a.call_raw(&[b"XLEN", b"s"]));
    out.push(a.call_raw(&[b"EXEC"]));
    out.push(a.call_raw(&[b"WATCH", b"k"]));
    out.push(b.call_raw(&[b"SET", b"k", b"v"]));
    out.push(a.call_raw(&[b"MULTI"]));
    out.push(a.call_raw(&[b"GET", b"k"]));
    out.push(a.call_raw(&[b"EXEC"]));
    out.push(a.call_raw(&[b"WATCH", b"k"]));
    out.push(b.call_raw(&[b"GET", b"k"]));
    out.push(a.call_raw(&[b"MULTI"]));
    out.push(a.call_raw(&[b"GET", b"k"]));
    out.push(a.call_raw(&[b"EXEC"]));
    out
}

/// COPY wakes readers blocked on its destination, in the same database and in
/// another one (`DB n`), also when it replaces a stream whose group they read.
fn copy_wakes_readers(port: u16) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut admin = conn(port);
    out.push(admin.call_raw(&[b"XADD", b"s", b"1-1", b"f", b"v"]));
    let mut r = conn(port);
    r.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"d", b"$"])
        .expect("send");
    wait_blocked(port, 1);
    out.push(admin.call_raw(&[b"COPY", b"s", b"d"]));
    out.push(r.read().expect("served").1);
    out.push(r.call_raw(&[b"SELECT", b"1"]));
    r.send(&[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"c", b"$"])
        .expect("send");
    wait_blocked(port, 1);
    out.push(admin.call_raw(&[b"COPY", b"s", b"c", b"DB", b"1"]));
    out.push(r.read().expect("served").1);
    out.push(r.call_raw(&[b"XGROUP", b"CREATE", b"c", b"g", b"$"]));
    out.push(admin.call_raw(&[b"XGROUP", b"CREATE", b"s", b"g", b"0"]));
    out.push(admin.call_raw(&[b"XADD", b"s", b"2-1", b"f", b"w"]));
    r.send(&[
        b"XREADGROUP",
        b"GROUP",
        b"g",
        b"a",
        b"BLOCK",
        b"0",
        b"STREAMS",
        b"c",
        b">",
    ])
    .expect("send");
    wait_blocked(port, 1);
    out.push(admin.call_raw(&[b"COPY", b"s", b"c", b"DB", b"1", b"REPLACE"]));
    out.push(r.read().expect("served").1);
    out.push(r.call_raw(&[b"XPENDING", b"c", b"g"]));
    out.push(admin.call_raw(&[b"XPENDING", b"s", b"g"]));
    out
}

const SCENARIOS: &[(&str, Scenario)] = &[
    ("watch by another client", watch_by_another_client),
    ("pub/sub in RESP2", pubsub_resp2),
    ("pub/sub in RESP3", pubsub_resp3),
    ("pub/sub while blocked (RESP3)", pubsub_while_blocked),
    ("group wake order", group_wake_order),
    ("xread wakes all", xread_all_woken),
    (
        "group destroyed, key deleted, type changed",
        group_destroyed_and_key_deleted,
    ),
    ("timeouts and RESP3 nulls", timeouts_and_resp3),
    ("client unblock", client_unblock),
    ("pipelined behind a block", pipelined_behind_block),
    ("disconnected and killed", disconnected_and_killed),
    ("copy wakes readers", copy_wakes_readers),
];

/// Scenarios where Redis 7.0 answers as it did before 7.2 (the README's table).
const REDIS7_DIFFERENCES: &[(&str, &str)] = &[(
    "group destroyed, key deleted, type changed",
    "Redis 7.0 answers `-UNBLOCKED …` / `-NOGROUP the consumer group this client was \
     blocked on no longer exists`; 7.2+ re-run the read and answer its own error",
)];

fn against(kind: ServerKind) {
    let Some(oracle) = ServerGuard::start(kind) else {
        return;
    };
    let brook = Brook::start(ServerConfig::default());
    let mut diffs = Vec::new();
    for (name, scenario) in SCENARIOS {
        if kind == ServerKind::Redis && REDIS7_DIFFERENCES.iter().any(|(n, _)| n == name) {
            continue;
        }
        let mut got = Vec::new();
        for port in [brook.port(), oracle.port()] {
            conn(port).call(&[b"FLUSHALL"]);
            got.push(scenario(port));
        }
        if got[0] != got[1] {
            let show = |v: &Vec<Vec<u8>>| {
                v.iter()
                    .map(|b| String::from_utf8_lossy(b).escape_debug().to_string())
                    .collect::<Vec<_>>()
                    .join("\n      ")
            };
            diffs.push(format!(
                "{name}:\n   brook:\n      {}\n   {}:\n      {}",
                show(&got[0]),
                kind.name(),
                show(&got[1])
            ));
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn blocking_matches_valkey() {
    against(ServerKind::Valkey);
}

#[test]
fn blocking_matches_redis8() {
    against(ServerKind::Redis8);
}

#[test]
fn blocking_matches_redis7() {
    against(ServerKind::Redis);
}
