//! The statistics monitoring reads — `INFO commandstats` (calls, rejected and failed
//! calls per command), `INFO errorstats`, `total_commands_processed`,
//! `total_error_replies`, `total_connections_received` and the dirty counter `rdb_changes_since_last_save` — after
//! the same command sequences on `brook serve` and on Redis 8.6.3: every count equal,
//! the `usec` fields compared by shape. Each scenario starts from FLUSHALL and
//! CONFIG RESETSTAT; the dirty counter (which RESETSTAT leaves alone) is compared as the
//! change over the scenario.
//!
//! Waiting for a client to block polls `INFO clients`, and Redis counts those INFO
//! calls like any other: each side counts its polls and they are taken off `info`'s
//! calls and `total_commands_processed` before comparing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use brook_server::ServerConfig;
use brook_test_support::{Frame, RespConn, ServerGuard, ServerKind};

use super::support::Brook;

/// One server under test, and how many INFO polls the script made on it.
struct Side {
    port: u16,
    polls: u64,
    /// The server's `requirepass`: [`Side::conn`] authenticates with it.
    password: Option<&'static str>,
}

impl Side {
    fn new(port: u16, password: Option<&'static str>) -> Side {
        Side {
            port,
            polls: 0,
            password,
        }
    }

    /// A connection, authenticated when the server has a password.
    fn conn(&self) -> RespConn {
        let mut c = self.anonymous();
        if let Some(pw) = self.password {
            assert_eq!(call(&mut c, &["AUTH", pw]), Frame::simple("OK"));
        }
        c
    }

    /// A connection that has not authenticated.
    fn anonymous(&self) -> RespConn {
        let c = RespConn::connect(self.port).expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        c
    }

    /// Waits (bounded) until `n` clients are blocked, counting the INFO calls.
    fn wait_blocked(&mut self, n: usize) {
        let mut admin = self.conn();
        let want = format!("blocked_clients:{n}\r\n");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            self.polls += 1;
            let (_, bytes) = admin.call_with_raw(&[b"INFO", b"clients"]);
            if String::from_utf8_lossy(&bytes).contains(&want) {
                return;
            }
            assert!(Instant::now() < deadline, "never saw {want:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn call(c: &mut RespConn, argv: &[&str]) -> Frame {
    c.call_str(argv)
}

/// Commands that succeed, fail while running, or are refused before running, and
/// what each changes: every stream command, keys, strings, server commands.
const COMMANDS: &[&[&str]] = &[
    &["XADD", "s", "1-1", "f", "v"],
    &["XADD", "s", "2-1", "f", "v", "g", "w"],
    &["XADD", "s", "3-1", "f", "v"],
    &["XADD", "s", "4-1", "f", "v"],
    &["XADD", "s", "1-1", "f", "v"],
    &["XADD", "s", "bad", "f", "v"],
    &["XADD", "s", "*", "f"],
    &["XADD", "s"],
    &["XADD", "nokey", "NOMKSTREAM", "*", "f", "v"],
    &["SET", "str", "x"],
    &["SET", "str", "y", "NX"],
    &["XADD", "str", "*", "f", "v"],
    &["XLEN", "s"],
    &["XLEN", "str"],
    &["XRANGE", "s", "-", "+", "COUNT", "2"],
    &["XREVRANGE", "s", "+", "-"],
    &["XRANGE", "s", "x", "+"],
    &["XREVRANGE", "str", "+", "-"],
    &["XRANGE", "s", "-", "+", "COUNT"],
    &["XREAD", "STREAMS", "s", "0"],
    &["XREAD", "STREAMS", "s"],
    &["XGROUP", "CREATE", "s", "g", "0"],
    &["XGROUP", "CREATE", "s", "g", "0"],
    &["XGROUP", "CREATE", "missing", "g", "0"],
    &["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"],
    &["XGROUP", "CREATE", "s"],
    &["XGROUP"],
    &["XGROUP", "FOO"],
    &["XGROUP", "HELP"],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "alice",
        "COUNT",
        "2",
        "STREAMS",
        "s",
        ">",
    ],
    &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "bob",
        "STREAMS",
        "s",
        "t",
        ">",
        ">",
    ],
    &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
    &["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"],
    &["XREADGROUP", "GROUP", "nogroup", "x", "STREAMS", "s", ">"],
    &["XREADGROUP", "GROUP", "g", "x", "STREAMS", "s"],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "dave",
        "NOACK",
        "STREAMS",
        "t",
        ">",
    ],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "hank",
        "CLAIM",
        "0",
        "STREAMS",
        "s",
        ">",
    ],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "hank",
        "CLAIM",
        "0",
        "STREAMS",
        "s",
        ">",
    ],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "hank",
        "CLAIM",
        "x",
        "STREAMS",
        "s",
        ">",
    ],
    &["XPENDING", "s", "g"],
    &["XPENDING", "s", "g", "-", "+", "10"],
    &["XPENDING", "s", "nogroup"],
    &["XACK", "s", "g", "1-1", "9-9"],
    &["XACK", "s", "g", "1-1"],
    &["XACK", "s", "g", "bad"],
    &["XDEL", "s", "3-1"],
    &["XCLAIM", "s", "g", "erin", "0", "2-1", "3-1", "9-9"],
    &["XCLAIM", "s", "g", "erin", "0", "2-1", "JUSTID"],
    &["XCLAIM", "s", "g", "erin", "0", "9-9", "LASTID", "9-9"],
    &["XCLAIM", "s", "g", "erin", "0", "9-9", "LASTID", "9-9"],
    &["XCLAIM", "s", "g", "erin", "x", "2-1"],
    &["XAUTOCLAIM", "s", "g", "frank", "0", "0"],
    &["XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "x"],
    &["XGROUP", "CREATECONSUMER", "s", "g", "gina"],
    &["XGROUP", "CREATECONSUMER", "s", "g", "gina"],
    &["XGROUP", "DELCONSUMER", "s", "g", "gina"],
    &["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
    &["XGROUP", "DELCONSUMER", "s", "g", "frank"],
    &["XGROUP", "SETID", "s", "g", "0"],
    &["XGROUP", "SETID", "s", "nogroup", "0"],
    &["XINFO", "STREAM", "s"],
    &["XINFO", "GROUPS", "s"],
    &["XINFO", "CONSUMERS", "s", "g"],
    &["XINFO", "FOO"],
    &["XINFO", "STREAM", "nokey"],
    &["XADD", "d", "1-1", "f", "1"],
    &["XADD", "d", "2-1", "f", "2"],
    &["XADD", "d", "3-1", "f", "3"],
    &["XGROUP", "CREATE", "d", "g", "0"],
    &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "d", ">"],
    &["XACKDEL", "d", "g", "IDS", "2", "1-1", "9-9"],
    &["XDELEX", "d", "IDS", "2", "2-1", "8-8"],
    &["XDELEX", "d", "ACKED", "IDS", "1", "3-1"],
    &["XTRIM", "d", "MAXLEN", "0"],
    &["XTRIM", "d", "MAXLEN", "0"],
    &["XTRIM", "d", "FOO"],
    &["XSETID", "d", "10-1"],
    &["XSETID", "d", "1-1"],
    &["XCFGSET", "d", "IDMP-DURATION", "100"],
    &["XCFGSET", "d", "IDMP-DURATION", "100"],
    &["XCFGSET", "d", "IDMP-MAXSIZE", "5", "IDMP-DURATION", "100"],
    &["XADD", "d", "IDMP", "p", "i1", "*", "f", "v"],
    &["XADD", "d", "IDMP", "p", "i1", "*", "f", "v"],
    // An ID far ahead of the clock, so that its IID record cannot expire between
    // commands (brook expires records at each command, Redis in its cron).
    &["XADD", "e", "99999999999999-1", "f", "v"],
    &["XIDMPRECORD", "e", "p", "i", "99999999999999-1"],
    &["XIDMPRECORD", "e", "p", "i", "99999999999999-1"],
    &["XIDMPRECORD", "e", "p", "i", "6-1"],
    &["XGROUP", "DESTROY", "s", "g"],
    &["XGROUP", "DESTROY", "s", "g"],
    &["INCR", "n"],
    &["INCRBY", "n", "5"],
    &["DECR", "n"],
    &["INCR", "str"],
    &["GET", "str"],
    &["EXISTS", "s", "str", "nokey"],
    &["TYPE", "s"],
    &["RENAME", "str", "str2"],
    &["RENAME", "str2", "str2"],
    &["RENAMENX", "str2", "s"],
    &["RENAME", "nokey", "x"],
    &["DEL", "str2", "nokey", "n"],
    &["UNLINK", "t"],
    &["DBSIZE"],
    &["SCAN", "0", "COUNT", "100"],
    &["KEYS", "nothing*"],
    &["PING"],
    &["PING", "a", "b"],
    &["ECHO", "x"],
    &["ECHO"],
    &["FOO", "bar"],
    &["foo"],
    &["CONFIG", "GET", "stream-node-max-entries"],
    &["CONFIG", "SET", "stream-node-max-entries", "100"],
    &["CONFIG", "SET", "stream-node-max-entries", "x"],
    &["CONFIG", "FOO"],
    &["CONFIG", "GET"],
    &["CLIENT", "SETNAME", "stats"],
    &["CLIENT", "GETNAME"],
    &["CLIENT", "FOO"],
    &["CLIENT", "SETNAME"],
    &["CLIENT", "UNBLOCK", "abc"],
    &["SELECT", "1"],
    &["XADD", "s", "1-1", "f", "v"],
    &["SELECT", "99"],
    &["SELECT", "0"],
    &["FLUSHDB"],
    &["TIME"],
];

fn commands(side: &mut Side) {
    let mut c = side.conn();
    for argv in COMMANDS {
        call(&mut c, argv);
    }
}

/// MULTI/EXEC: queued commands count when EXEC runs them (a failing one fails on its
/// own, not EXEC); a command refused while queueing makes EXEC fail with EXECABORT;
/// DISCARD, EXEC without MULTI, a WATCH-aborted EXEC.
fn transactions(side: &mut Side) {
    let mut c = side.conn();
    let mut other = side.conn();
    for argv in [
        &["MULTI"][..],
        &["XADD", "s", "1-1", "f", "v"],
        &["XADD", "s", "1-1", "f", "v"],
        &["PING"],
        &["XLEN", "s"],
        &["INCR", "s"],
        &["EXEC"],
        &["MULTI"],
        &["XADD", "s", "2-1", "f", "v"],
        &["NOSUCH"],
        &["XADD", "s"],
        &["EXEC"],
        &["MULTI"],
        &["XADD", "s", "3-1", "f", "v"],
        &["DISCARD"],
        &["EXEC"],
        &["DISCARD"],
        &["MULTI"],
        &["MULTI"],
        &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
        &["EXEC"],
        &["MULTI"],
        &["PING", "a", "b"],
        &["SELECT", "2"],
        &["XADD", "s", "1-1", "f", "v"],
        &["CONFIG", "SET", "stream-node-max-entries", "100"],
        &["CONFIG", "GET", "stream-node-max-entries"],
        &["SELECT", "0"],
        &["XLEN", "s"],
        &["EXEC"],
        &["WATCH", "s"],
    ] {
        call(&mut c, argv);
    }
    call(&mut other, &["XADD", "s", "5-1", "f", "v"]);
    for argv in [
        &["MULTI"][..],
        &["XADD", "s", "6-1", "f", "v"],
        &["EXEC"],
        &["UNWATCH"],
    ] {
        call(&mut c, argv);
    }
}

/// Blocked reads count once, when they end: served, timed out, unblocked (TIMEOUT or
/// ERROR), or failed with NOGROUP; one that blocks again after a change that served
/// nothing counts nothing yet, and a blocked client that disconnects counts nothing.
/// Returns the reader still blocked, to be dropped once the statistics are read.
fn blocking(side: &mut Side) -> Vec<RespConn> {
    let mut admin = side.conn();
    call(&mut admin, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    let group_read = [
        "XREADGROUP",
        "GROUP",
        "g",
        "a",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ];
    let argv = |v: &[&str]| v.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
    let send = |c: &mut RespConn, v: &[&str]| {
        let a = argv(v);
        let a: Vec<&[u8]> = a.iter().map(Vec::as_slice).collect();
        c.send(&a).expect("send");
    };
    // Served by an XADD; a MULTI that adds and deletes serves nothing first.
    let mut a = side.conn();
    send(&mut a, &group_read);
    side.wait_blocked(1);
    call(&mut admin, &["MULTI"]);
    call(&mut admin, &["XADD", "s", "1-1", "f", "v"]);
    call(&mut admin, &["XDEL", "s", "1-1"]);
    call(&mut admin, &["EXEC"]);
    side.wait_blocked(1);
    call(&mut admin, &["XADD", "s", "2-1", "f", "v"]);
    a.read().expect("served");
    // The group goes away: NOGROUP, a failed call.
    send(&mut a, &group_read);
    side.wait_blocked(1);
    call(&mut admin, &["XGROUP", "DESTROY", "s", "g"]);
    a.read().expect("NOGROUP");
    // Timeouts, in both commands.
    call(&mut a, &["XREAD", "BLOCK", "20", "STREAMS", "s", "$"]);
    call(&mut admin, &["XGROUP", "CREATE", "s", "g", "$"]);
    call(
        &mut a,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "BLOCK",
            "20",
            "STREAMS",
            "s",
            ">",
        ],
    );
    // CLIENT UNBLOCK, as a timeout and as an error.
    let Frame::Integer(id) = call(&mut a, &["CLIENT", "ID"]) else {
        panic!("CLIENT ID")
    };
    let id = id.to_string();
    send(&mut a, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
    side.wait_blocked(1);
    call(&mut admin, &["CLIENT", "UNBLOCK", &id]);
    a.read().expect("unblocked");
    send(&mut a, &group_read);
    side.wait_blocked(1);
    call(&mut admin, &["CLIENT", "UNBLOCK", &id, "ERROR"]);
    a.read().expect("unblocked");
    // The same inside a transaction: charged to CLIENT UNBLOCK, not to EXEC.
    send(&mut a, &group_read);
    side.wait_blocked(1);
    call(&mut admin, &["MULTI"]);
    call(&mut admin, &["CLIENT", "UNBLOCK", &id, "ERROR"]);
    call(&mut admin, &["EXEC"]);
    a.read().expect("unblocked");
    // A blocked client that goes away.
    {
        let mut gone = side.conn();
        send(&mut gone, &["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]);
        side.wait_blocked(1);
    }
    side.wait_blocked(0);
    // Two readers, one served; the other is still blocked when the stats are read.
    let mut b = side.conn();
    send(&mut a, &group_read);
    side.wait_blocked(1);
    send(&mut b, &group_read);
    side.wait_blocked(2);
    call(&mut admin, &["XADD", "s", "3-1", "f", "v"]);
    a.read().expect("served");
    side.wait_blocked(1);
    vec![b]
}

/// Rejections before execution: a command not allowed while subscribed (RESP2), and
/// protocol errors (an error reply of no command).
fn refusals(side: &mut Side) {
    let mut c = side.conn();
    c.send(&[b"SUBSCRIBE", b"ch"]).expect("send");
    c.read().expect("subscribed");
    call(&mut c, &["XADD", "s", "1-1", "f", "v"]);
    call(&mut c, &["PING"]);
    call(&mut c, &["UNSUBSCRIBE"]);
    call(&mut c, &["XADD", "s", "1-1", "f", "v"]);
    let mut bad = side.conn();
    bad.send_raw(b"*1\r\n$x\r\n").expect("send");
    let _ = bad.read();
}

/// Connection commands: HELLO (both protocols, a bad version), RESET, QUIT, COMMAND,
/// INFO of a section, TIME.
fn connection(side: &mut Side) {
    let mut c = side.conn();
    for argv in [
        &["HELLO", "3"][..],
        &["XADD", "s", "1-1", "f", "v"],
        &["HELLO", "4"],
        &["HELLO", "2", "SETNAME", "x"],
        &["COMMAND", "COUNT"],
        &["COMMAND", "INFO", "xadd"],
        &["COMMAND", "FOO"],
        &["INFO", "keyspace"],
        &["RESET"],
        &["QUIT"],
    ] {
        call(&mut c, argv);
    }
    // The server has closed the connection after QUIT's +OK.
    assert!(c.read().is_err());
    // A client that sends half a request and goes away counts nothing.
    let mut half = side.conn();
    half.send_raw(b"*2\r\n$4\r\nECHO\r\n").expect("send");
}

/// CONFIG RESETSTAT in the middle: what came before is forgotten.
fn reset(side: &mut Side) {
    let mut c = side.conn();
    for argv in [
        &["XADD", "s", "1-1", "f", "v"][..],
        &["XADD", "s", "1-1", "f", "v"],
        &["XLEN"],
        &["CONFIG", "RESETSTAT"],
        &["XADD", "s", "2-1", "f", "v"],
        &["XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD", "x"],
    ] {
        call(&mut c, argv);
    }
}

/// A scenario; it returns connections that must stay open until the statistics are
/// read.
type Scenario = fn(&mut Side) -> Vec<RespConn>;

/// A scenario that leaves no connection behind.
macro_rules! closed {
    ($f:ident) => {{
        fn run(side: &mut Side) -> Vec<RespConn> {
            $f(side);
            Vec::new()
        }
        run as Scenario
    }};
}

const SCENARIOS: &[(&str, Scenario)] = &[
    ("commands", closed!(commands)),
    ("transactions", closed!(transactions)),
    ("blocking", blocking),
    ("refusals", closed!(refusals)),
    ("connection", closed!(connection)),
    ("reset", closed!(reset)),
];

/// One `cmdstat_` line: calls, rejected, failed (exact) and whether `usec` and
/// `usec_per_call` have Redis's shape.
#[derive(Debug, PartialEq, Eq)]
struct CmdStat {
    calls: u64,
    rejected: u64,
    failed: u64,
    usec_shaped: bool,
}

/// What the comparison reads from INFO.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    commands: BTreeMap<String, CmdStat>,
    errors: BTreeMap<String, String>,
    total_commands_processed: u64,
    total_error_replies: u64,
    total_connections_received: u64,
    dirty: u64,
}

fn field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
}

fn number(info: &str, name: &str) -> u64 {
    field(info, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO:\n{info}"))
}

fn info(c: &mut RespConn, sections: &[&str]) -> String {
    let mut argv = vec!["INFO"];
    argv.extend_from_slice(sections);
    match call(c, &argv) {
        Frame::Bulk(b) => String::from_utf8(b).expect("INFO is text"),
        other => panic!("INFO answered {other:?}"),
    }
}

fn cmdstat(value: &str) -> CmdStat {
    let mut f = BTreeMap::new();
    for part in value.split(',') {
        let (k, v) = part.split_once('=').expect("k=v");
        f.insert(k, v);
    }
    let int = |k: &str| -> u64 {
        f.get(k)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} in {value}"))
    };
    let per_call = f.get("usec_per_call").copied().unwrap_or("");
    let usec_shaped = f.get("usec").is_some_and(|v| v.parse::<u64>().is_ok())
        && per_call
            .split_once('.')
            .is_some_and(|(i, d)| i.parse::<u64>().is_ok() && d.len() == 2);
    CmdStat {
        calls: int("calls"),
        rejected: int("rejected_calls"),
        failed: int("failed_calls"),
        usec_shaped,
    }
}

/// Runs `scenario` on a clean slate and reads the statistics.
fn measure(port: u16, scenario: Scenario) -> Snapshot {
    measure_with(port, None, scenario)
}

/// [`measure`] on a server with `requirepass`.
fn measure_with(port: u16, password: Option<&'static str>, scenario: Scenario) -> Snapshot {
    let mut side = Side::new(port, password);
    let mut admin = side.conn();
    assert_eq!(call(&mut admin, &["FLUSHALL"]), Frame::simple("OK"));
    assert_eq!(
        call(&mut admin, &["CONFIG", "RESETSTAT"]),
        Frame::simple("OK")
    );
    let before = number(
        &info(&mut admin, &["persistence"]),
        "rdb_changes_since_last_save",
    );
    let open = scenario(&mut side);
    let text = info(
        &mut admin,
        &["commandstats", "errorstats", "stats", "persistence"],
    );
    let mut commands = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for line in text.lines() {
        if let Some((name, value)) = line
            .strip_prefix("cmdstat_")
            .and_then(|l| l.split_once(':'))
        {
            commands.insert(name.to_string(), cmdstat(value));
        } else if let Some((name, value)) = line
            .strip_prefix("errorstat_")
            .and_then(|l| l.split_once(':'))
        {
            errors.insert(name.to_string(), value.to_string());
        }
    }
    let polls = side.polls;
    drop(open);
    side.wait_blocked(0);
    // The harness's own INFO polls are not the scenario's.
    if let Some(i) = commands.get_mut("info") {
        i.calls -= polls;
    }
    Snapshot {
        commands,
        errors,
        total_commands_processed: number(&text, "total_commands_processed") - polls,
        total_error_replies: number(&text, "total_error_replies"),
        total_connections_received: number(&text, "total_connections_received"),
        dirty: number(&text, "rdb_changes_since_last_save") - before,
    }
}

/// For a failure message: the commands whose change to the dirty counter differs.
fn dirty_steps(brook: u16, oracle: u16) -> Vec<String> {
    let mut conns: Vec<RespConn> = [brook, oracle]
        .iter()
        .map(|&p| {
            let mut c = Side::new(p, None).conn();
            call(&mut c, &["FLUSHALL"]);
            c
        })
        .collect();
    let mut out = Vec::new();
    for argv in COMMANDS {
        let mut delta = [0u64; 2];
        for (c, d) in conns.iter_mut().zip(&mut delta) {
            let dirty = |c: &mut RespConn| {
                number(&info(c, &["persistence"]), "rdb_changes_since_last_save")
            };
            let before = dirty(c);
            call(c, argv);
            *d = dirty(c) - before;
        }
        if delta[0] != delta[1] {
            out.push(format!(
                "   dirty after {argv:?}: brook +{}, redis8 +{}",
                delta[0], delta[1]
            ));
        }
    }
    out
}

/// Before AUTH on a server with a password: NOAUTH rejects a command (a rejected call
/// of it), a wrong password fails AUTH (WRONGPASS), HELLO … AUTH; then the commands
/// run.
fn unauthenticated(side: &mut Side) -> Vec<RespConn> {
    let mut c = side.anonymous();
    for argv in [
        &["XADD", "s", "1-1", "f", "v"][..],
        &["XADD", "s"],
        &["NOSUCH"],
        &["PING"],
        &["AUTH", "wrong"],
        &["AUTH", "default", "wrong"],
        &["HELLO", "3", "AUTH", "default", "wrong"],
        &["AUTH", "pw"],
        &["XADD", "s", "1-1", "f", "v"],
        &["XLEN", "s"],
    ] {
        call(&mut c, argv);
    }
    Vec::new()
}

#[test]
fn stats_with_password_match_redis8() {
    let Some(oracle) = ServerGuard::start(ServerKind::Redis8) else {
        return;
    };
    // The guard waits for an unauthenticated PONG: the password comes afterwards.
    assert_eq!(
        oracle
            .connect()
            .call_str(&["CONFIG", "SET", "requirepass", "pw"]),
        Frame::simple("OK")
    );
    let brook = Brook::start(ServerConfig {
        requirepass: Some("pw".into()),
        ..ServerConfig::default()
    });
    let ours = measure_with(brook.port(), Some("pw"), unauthenticated);
    let theirs = measure_with(oracle.port(), Some("pw"), unauthenticated);
    assert!(
        ours.commands.get("xadd").is_some_and(|x| x.rejected == 2),
        "{ours:?}"
    );
    assert_eq!(ours, theirs);
}

#[test]
fn stats_match_redis8() {
    let Some(oracle) = ServerGuard::start(ServerKind::Redis8) else {
        return;
    };
    let brook = Brook::start(ServerConfig::default());
    let mut diffs = Vec::new();
    for (name, scenario) in SCENARIOS {
        let ours = measure(brook.port(), *scenario);
        let theirs = measure(oracle.port(), *scenario);
        for (k, v) in &ours.commands {
            assert!(v.usec_shaped, "{name}: brook's cmdstat_{k} usec fields");
        }
        if ours != theirs {
            diffs.push(format!(
                "{name}:\n   brook:  {ours:?}\n   redis8: {theirs:?}"
            ));
            if *name == "commands" && ours.dirty != theirs.dirty {
                diffs.extend(dirty_steps(brook.port(), oracle.port()));
            }
        }
    }
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

/// The counters move as they should on their own: a scenario that cannot pass by
/// comparing two empty reports.
#[test]
fn stats_are_counted() {
    let brook = Brook::start(ServerConfig::default());
    let snap = measure(brook.port(), closed!(commands));
    let xadd = &snap.commands["xadd"];
    assert!(
        xadd.calls > 5 && xadd.failed >= 3 && xadd.rejected >= 2,
        "{xadd:?}"
    );
    assert!(snap.errors.contains_key("NOGROUP"), "{:?}", snap.errors);
    assert!(snap.dirty > 20, "{}", snap.dirty);
    assert!(snap.total_error_replies > 20);
    let blocked = measure(brook.port(), blocking);
    assert_eq!(
        blocked.errors.get("UNBLOCKED").map(String::as_str),
        Some("count=2")
    );
}
