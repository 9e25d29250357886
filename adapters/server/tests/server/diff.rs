//! Byte-for-byte differential: the same requests — valid and invalid, RESP2 and RESP3,
//! pipelined, inline — on fresh connections to `brook serve` and to each oracle server,
//! every reply's bytes compared. Where a reply carries what must differ (the server's
//! name and version in HELLO, client ids, wall-clock times, INFO), the step says how it
//! is compared instead (its shape; XPENDING's rows exactly but for idle times). Redis
//! 8.6.3 is the oracle: the one place brook does not copy it is listed in
//! [`REDIS8_DIFFERENCES`]; where Valkey 9.1 or Redis 7.0 answer otherwise than Redis 8,
//! the scripts are listed in [`VALKEY_DIFFERENCES`] and [`REDIS7_DIFFERENCES`].

use std::io;

use brook_server::ServerConfig;
use brook_test_support::{RespConn, ServerGuard, ServerKind};

use super::support::Brook;

/// How a reply is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// Byte for byte.
    Exact,
    /// Same frame kind and, for aggregates, the same length (ids, times, versions).
    Shape,
    /// Same frame kind only (INFO's text, CLIENT LIST's lines).
    Kind,
    /// XPENDING's extended form: equal once each row's idle time is set aside, and the
    /// idle times within [`IDLE_TOLERANCE_MS`] of each other.
    Pending,
}

/// How far an idle time may be from the oracle's: the two servers run the same script
/// one after the other, so the gap is a few milliseconds unless the machine stalls.
pub const IDLE_TOLERANCE_MS: i64 = 1000;

/// The rows of an extended XPENDING reply with their idle times taken out, and those
/// times; `None` when it is not such a reply.
fn pending_rows(f: &brook_test_support::Frame) -> Option<(brook_test_support::Frame, Vec<i64>)> {
    use brook_test_support::Frame as F;
    let F::Array(rows) = f else { return None };
    let mut idles = Vec::new();
    let mut out = Vec::new();
    for row in rows {
        match row {
            F::Array(r) if r.len() == 4 => {
                let F::Integer(idle) = r[2] else { return None };
                idles.push(idle);
                out.push(F::Array(vec![r[0].clone(), r[1].clone(), r[3].clone()]));
            }
            _ => return None,
        }
    }
    Some((F::Array(out), idles))
}

/// [`Cmp::Pending`]: exact apart from idle times, which may differ by the tolerance.
fn pending_matches(b: &brook_test_support::Frame, o: &brook_test_support::Frame) -> bool {
    match (pending_rows(b), pending_rows(o)) {
        (Some((bf, bi)), Some((of, oi))) => {
            bf == of
                && bi
                    .iter()
                    .zip(&oi)
                    .all(|(b, o)| (b - o).abs() <= IDLE_TOLERANCE_MS)
        }
        // Anything else (an error, nil) must be the same bytes.
        _ => false,
    }
}

/// One step of a script.
#[derive(Clone, Debug)]
pub enum Step {
    /// A command as a RESP array; one reply.
    Cmd(Vec<Vec<u8>>, Cmp),
    /// Raw bytes, then this many replies (exact).
    Raw(Vec<u8>, usize),
    /// The server must have closed the connection.
    Closed,
    /// Raw bytes that get no reply (within 300 ms): the request is still incomplete.
    Silent(Vec<u8>),
}

fn c(args: &[&str]) -> Step {
    Step::Cmd(
        args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        Cmp::Exact,
    )
}

fn shape(args: &[&str]) -> Step {
    Step::Cmd(
        args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        Cmp::Shape,
    )
}

fn kind(args: &[&str]) -> Step {
    Step::Cmd(
        args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        Cmp::Kind,
    )
}

fn pending(args: &[&str]) -> Step {
    Step::Cmd(
        args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        Cmp::Pending,
    )
}

fn raw(bytes: &[u8], replies: usize) -> Step {
    Step::Raw(bytes.to_vec(), replies)
}

/// A named script, run on one fresh connection after FLUSHALL.
pub struct Script {
    pub name: &'static str,
    pub steps: Vec<Step>,
}

fn s(name: &'static str, steps: Vec<Step>) -> Script {
    Script { name, steps }
}

/// Scripts where Redis 7.0.15 answers differently from Redis 8.x (and Valkey 9.1, and
/// brook): not compared against it.
pub const REDIS7_DIFFERENCES: &[(&str, &str)] = &[
    (
        "unknown-bare",
        "a bare unknown command: Redis 8.6 answers `unknown command 'foo'`, older servers \
         add `, with args beginning with: ` (checked against Redis 8.6.3)",
    ),
    (
        "scan-8x",
        "Redis 7.0 parses the cursor with strtoul (a negative one wraps, leading space is \
         refused); Redis 8 (string2ull) and Valkey answer `invalid cursor` / accept the \
         space",
    ),
    (
        "client",
        "CLIENT SETINFO and the lib-name field arrived in Redis 7.2",
    ),
    ("client-errors", "CLIENT SETINFO arrived in Redis 7.2"),
    (
        "unknown-bare",
        "Redis 7.0 ends an unknown command's error with an empty `, with args beginning \
         with: `; Redis 8 stops after the name when there are no arguments",
    ),
    (
        "xadd-8x",
        "XADD's 8.x options (KEEPREF…) are unknown to 7.0",
    ),
    (
        "replies-8x",
        "XINFO STREAM's IDMP fields (8.6) and XGROUP HELP's last line (`Print this help.`)",
    ),
];

/// Scripts where Redis 8.6.3 answers differently from brook: only a parser stall of
/// 8.6.3's (read in `networking.c` and reproduced by hand) that brook does not copy.
pub const REDIS8_DIFFERENCES: &[(&str, &str)] = &[(
    "too-big-bulk-count",
    "Redis 8.6.3 never answers a request whose bulk-length line grows past ~20 KB \
     without its CR: its parser stalls (the same happens to `invalid bulk length` and \
     `expected '$'` behind such a line), where its code means to answer `Protocol \
     error: too big bulk count string` at 64 KiB, as Redis 7.0 and Valkey 9.1 do and \
     brook does",
)];

/// Scripts where Valkey 9.1 answers differently from Redis 8.x (and brook): not
/// compared against it. Redis's source (8.x) was read for each.
pub const VALKEY_DIFFERENCES: &[(&str, &str)] = &[
    (
        "unknown-bare",
        "a bare unknown command: Redis 8.6 answers `unknown command 'foo'`, older servers \
         add `, with args beginning with: ` (checked against Redis 8.6.3)",
    ),
    (
        "scan-type",
        "Valkey answers an unknown SCAN TYPE with `unknown type name`; Redis 8.6 (and 7.0) \
         with pages that match nothing (checked against Redis 8.6.3)",
    ),
    (
        "xadd-8x",
        "KEEPREF and XDELEX (Redis 8.2) and IDMP (8.6) are unknown to Valkey 9.1",
    ),
    (
        "replies-8x",
        "XINFO STREAM's IDMP fields (Redis 8.6) are absent in Valkey 9.1",
    ),
    (
        "scan-unknown-type",
        "Valkey answers `unknown type name` for SCAN … TYPE foo; Redis 8.6 (and 7.0) \
         match no key",
    ),
    (
        "unknown-bare",
        "Valkey ends an unknown command's error with an empty `, with args beginning \
         with: `; Redis 8 stops after the name when there are no arguments",
    ),
    (
        "multi-nested",
        "Valkey says `Command 'multi' not allowed inside a transaction`; Redis 8 says \
         `MULTI calls can not be nested`",
    ),
    (
        "quote-then-text",
        "Valkey's inline parser accepts a closing quote followed by text; Redis's \
         sdssplitargs calls it unbalanced",
    ),
    ("quote-quote", "as quote-then-text"),
    (
        "watch-in-multi",
        "Valkey refuses WATCH in MULTI as a no-multi command and aborts the transaction; \
         Redis 8 answers `WATCH inside MULTI is not allowed` and runs it (Redis 7.0.15 \
         agrees with brook)",
    ),
    (
        "nul-in-header",
        "Valkey finds a header's line end with memchr; Redis's strchr stops at the NUL and \
         waits for more input (Redis 7.0.15 agrees with brook)",
    ),
];

/// Scripts with `requirepass` where an oracle differs from Redis 8.x (and brook).
pub const AUTH_DIFFERENCES: &[(ServerKind, &str, &str)] = &[
    (
        ServerKind::Valkey,
        "noauth-unknown",
        "Valkey checks authentication before the command's name and arity; Redis answers \
         an unknown command or a wrong arity first (Redis 7.0.15 agrees with brook)",
    ),
    (
        ServerKind::Redis,
        "hello-noauth-text",
        "Redis 7.0's text reads `HELLO AUTH <user> <pass>`; 7.2+ `HELLO <proto> AUTH …`",
    ),
];

/// The scripts.
pub fn scripts() -> Vec<Script> {
    vec![
        s(
            "connection",
            vec![
                c(&["PING"]),
                c(&["ping", "hello"]),
                c(&["PING", "a", "b"]),
                c(&["ECHO", "x y"]),
                c(&["ECHO"]),
                c(&["SELECT", "1"]),
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["SELECT", "0"]),
                c(&["EXISTS", "s"]),
                c(&["SELECT", "16"]),
                c(&["SELECT", "-1"]),
                c(&["SELECT", "abc"]),
                c(&["SELECT", "99999999999999999999"]),
                c(&["SELECT"]),
                c(&["FOO", "a", "b"]),
                c(&["RESET"]),
                c(&["QUIT"]),
                Step::Closed,
            ],
        ),
        s(
            "auth-without-password",
            vec![
                c(&["AUTH", "x"]),
                c(&["AUTH", "default", "anything"]),
                c(&["AUTH", "someone", "x"]),
                c(&["AUTH", "a", "b", "c"]),
                c(&["AUTH"]),
            ],
        ),
        s(
            "hello",
            vec![
                c(&["HELLO", "4"]),
                c(&["HELLO", "1"]),
                c(&["HELLO", "abc"]),
                c(&["HELLO", "3", "FOO"]),
                c(&["HELLO", "3", "AUTH", "default"]),
                c(&["HELLO", "3", "SETNAME", "a b"]),
                c(&["HELLO", "3", "AUTH", "nobody", "pw"]),
                shape(&["HELLO", "3"]),
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["XRANGE", "s", "-", "+"]),
                c(&["XREAD", "STREAMS", "s", "0"]),
                c(&["GET", "nothing"]),
                c(&["XREAD", "STREAMS", "nothing", "0"]),
                c(&["CONFIG", "GET", "stream-node-max-entries"]),
                c(&["CLIENT", "GETNAME"]),
                shape(&["HELLO", "2", "SETNAME", "named"]),
                c(&["CLIENT", "GETNAME"]),
                c(&["CONFIG", "GET", "stream-node-max-entries"]),
                c(&["GET", "nothing"]),
                shape(&["HELLO"]),
            ],
        ),
        s(
            "streams",
            vec![
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["XADD", "s", "2-0", "a", "1", "b", "2"]),
                c(&["XLEN", "s"]),
                c(&["XRANGE", "s", "-", "+"]),
                c(&["XREVRANGE", "s", "+", "-", "COUNT", "1"]),
                c(&["XREAD", "COUNT", "1", "STREAMS", "s", "0"]),
                c(&["XGROUP", "CREATE", "s", "g", "0"]),
                c(&["XGROUP", "CREATE", "s", "g", "0"]),
                c(&["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"]),
                c(&["XPENDING", "s", "g"]),
                pending(&["XPENDING", "s", "g", "-", "+", "10", "alice"]),
                pending(&["XPENDING", "s", "g", "-", "+", "10"]),
                pending(&["XPENDING", "s", "g", "IDLE", "0", "-", "+", "10"]),
                pending(&["XPENDING", "s", "g", "IDLE", "3600000", "-", "+", "10"]),
                pending(&["XPENDING", "s", "g", "-", "+", "10", "nobody"]),
                pending(&["XPENDING", "s", "g", "(1-1", "+", "10"]),
                pending(&["XPENDING", "s", "nogroup", "-", "+", "10"]),
                c(&["XACK", "s", "g", "1-1", "9-9"]),
                c(&["XINFO", "GROUPS", "s"]),
                c(&["XCLAIM", "s", "g", "bob", "0", "2-0"]),
                c(&["XAUTOCLAIM", "s", "g", "bob", "0", "0-0", "JUSTID"]),
                c(&["XDEL", "s", "2-0"]),
                c(&["XTRIM", "s", "MAXLEN", "0"]),
                c(&["XSETID", "s", "5-0"]),
                c(&["TYPE", "s"]),
                c(&["TYPE", "nothing"]),
                c(&["XGROUP", "DESTROY", "s", "g"]),
                c(&["XINFO", "FOO"]),
                c(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]),
                c(&["SET", "str", "v"]),
                c(&["XADD", "str", "*", "f", "v"]),
                c(&["XLEN", "str"]),
            ],
        ),
        s(
            "replies-8x",
            vec![
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["XINFO", "STREAM", "s"]),
                c(&["XGROUP", "HELP"]),
                shape(&["HELLO", "3"]),
                c(&["XINFO", "STREAM", "s"]),
            ],
        ),
        s(
            "xadd-8x",
            vec![
                c(&["XADD", "s", "KEEPREF", "1-1", "f", "v"]),
                c(&["XDELEX", "s", "IDS", "1", "1-1"]),
                c(&["XADD", "s", "IDMP", "p", "i", "2-1", "f", "v"]),
            ],
        ),
        s(
            "keys",
            vec![
                c(&["SET", "k", "v"]),
                c(&["GET", "k"]),
                c(&["SET", "k", "v", "NX"]),
                c(&["INCR", "n"]),
                c(&["INCRBY", "n", "5"]),
                c(&["DECR", "n"]),
                c(&["INCR", "k"]),
                c(&["TTL", "k"]),
                c(&["PTTL", "nothing"]),
                c(&["EXISTS", "k", "n", "nothing", "k"]),
                c(&["DBSIZE"]),
                c(&["KEYS", "nothing*"]),
                c(&["DEL", "k", "nothing"]),
                c(&["UNLINK", "n"]),
                c(&["DBSIZE"]),
                c(&["SET", "k", "v"]),
                c(&["FLUSHDB"]),
                c(&["DBSIZE"]),
                c(&["SET", "k", "v"]),
                c(&["SELECT", "3"]),
                c(&["SET", "k3", "v"]),
                c(&["FLUSHALL"]),
                c(&["DBSIZE"]),
                c(&["SELECT", "0"]),
                c(&["DBSIZE"]),
                c(&["FLUSHALL", "BAD"]),
            ],
        ),
        s(
            "rename",
            vec![
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["XGROUP", "CREATE", "s", "g", "0"]),
                c(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]),
                c(&["RENAME", "s", "t"]),
                c(&["EXISTS", "s", "t"]),
                c(&["XINFO", "GROUPS", "t"]),
                c(&["XPENDING", "t", "g"]),
                c(&["RENAME", "nothing", "x"]),
                c(&["RENAMENX", "nothing", "x"]),
                c(&["RENAME", "t", "t"]),
                c(&["RENAMENX", "t", "t"]),
                c(&["SET", "k", "v"]),
                c(&["RENAMENX", "t", "k"]),
                c(&["RENAME", "t", "k"]),
                c(&["TYPE", "k"]),
                c(&["EXISTS", "t"]),
                c(&["SET", "a", "1", "EX", "1000"]),
                c(&["RENAME", "a", "b"]),
                c(&["TTL", "b"]),
                c(&["TTL", "a"]),
                c(&["RENAMENX", "b", "c"]),
                c(&["GET", "c"]),
                c(&["RENAME", "x"]),
            ],
        ),
        s(
            "scan",
            vec![
                c(&["SCAN", "0"]),
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["SCAN", "0"]),
                c(&["SCAN", "0", "TYPE", "stream"]),
                c(&["SCAN", "0", "TYPE", "string"]),
                c(&["SCAN", "0", "TYPE", "STREAM", "MATCH", "s*", "COUNT", "100"]),
                c(&["SCAN", "0", "MATCH", "x*"]),
                c(&["SCAN", "abc"]),
                c(&["SCAN", "1x"]),
                c(&["SCAN", "+0"]),
                c(&["SCAN", "0\u{0}junk"]),
                c(&["SCAN", "0", "COUNT", "0"]),
                c(&["SCAN", "0", "COUNT", "x"]),
                c(&["SCAN", "0", "MATCH"]),
                c(&["SCAN", "0", "FOO", "bar"]),
                c(&["SCAN"]),
            ],
        ),
        s(
            "scan-8x",
            vec![
                c(&["SCAN", "-1"]),
                c(&["SCAN", "-0"]),
                c(&["SCAN", " 0"]),
            ],
        ),
        s("scan-type", vec![c(&["SCAN", "0", "TYPE", "foo"])]),
        s("unknown-bare", vec![c(&["foo"])]),
        s(
            "scan-unknown-type",
            vec![
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["SCAN", "0", "TYPE", "foo"]),
                c(&["SCAN", "0", "TYPE", "StReAm"]),
            ],
        ),
        s("unknown-bare", vec![c(&["foo"]), c(&["PING"])]),
        s(
            "multi",
            vec![
                c(&["MULTI"]),
                c(&["XADD", "t", "1-1", "a", "1"]),
                c(&["XLEN", "t"]),
                c(&["PING"]),
                c(&["XADD", "t", "1-1", "a", "1"]),
                c(&["XREAD", "BLOCK", "100", "STREAMS", "t", "$"]),
                c(&["EXEC"]),
                c(&["EXEC"]),
                c(&["DISCARD"]),
                c(&["MULTI"]),
                c(&["XLEN"]),
                c(&["NOSUCH", "x"]),
                c(&["XLEN", "t"]),
                c(&["EXEC"]),
                c(&["MULTI"]),
                c(&["XLEN", "t"]),
                c(&["RESET"]),
                c(&["EXEC"]),
            ],
        ),
        s(
            "watch",
            vec![
                c(&["WATCH", "s"]),
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["MULTI"]),
                c(&["XLEN", "s"]),
                c(&["EXEC"]),
                c(&["WATCH", "s"]),
                c(&["MULTI"]),
                c(&["XLEN", "s"]),
                c(&["EXEC"]),
                c(&["WATCH", "s"]),
                c(&["XACK", "s", "g", "1-1"]),
                c(&["MULTI"]),
                c(&["PING"]),
                c(&["XLEN", "s"]),
                c(&["EXEC"]),
                c(&["XGROUP", "CREATE", "s", "g", "0"]),
                c(&["WATCH", "s"]),
                c(&["XGROUP", "CREATECONSUMER", "s", "g", "c2"]),
                c(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]),
                c(&["XACK", "s", "g", "1-1"]),
                c(&["XCLAIM", "s", "g", "c", "0", "1-1"]),
                c(&["XSETID", "s", "10-0"]),
                c(&["XDEL", "s", "9-9"]),
                c(&["XTRIM", "s", "MAXLEN", "5"]),
                c(&["MULTI"]),
                c(&["XLEN", "s"]),
                c(&["EXEC"]),
                c(&["WATCH", "s"]),
                c(&["XGROUP", "DESTROY", "s", "g"]),
                c(&["MULTI"]),
                c(&["XLEN", "s"]),
                c(&["EXEC"]),
                c(&["WATCH", "s"]),
                c(&["XDEL", "s", "1-1"]),
                c(&["MULTI"]),
                c(&["XLEN", "s"]),
                c(&["EXEC"]),
                c(&["XADD", "s", "2-1", "f", "v"]),
                c(&["WATCH", "s"]),
                c(&["XTRIM", "s", "MAXLEN", "0"]),
                c(&["MULTI"]),
                c(&["EXEC"]),
                c(&["WATCH", "k"]),
                c(&["SET", "k", "v"]),
                c(&["UNWATCH"]),
                c(&["MULTI"]),
                c(&["GET", "k"]),
                c(&["EXEC"]),
                c(&["WATCH", "nothing"]),
                c(&["DEL", "nothing"]),
                c(&["MULTI"]),
                c(&["GET", "nothing"]),
                c(&["EXEC"]),
                c(&["WATCH", "k"]),
                c(&["DISCARD"]),
                c(&["INCR", "n"]),
                c(&["SET", "k", "2"]),
                c(&["MULTI"]),
                c(&["EXEC"]),
                c(&["WATCH", "k", "missing"]),
                c(&["FLUSHALL"]),
                c(&["MULTI"]),
                c(&["EXEC"]),
                c(&["WATCH", "missing"]),
                c(&["FLUSHALL"]),
                c(&["MULTI"]),
                c(&["EXEC"]),
                c(&["SET", "k", "v"]),
                c(&["WATCH", "k"]),
                c(&["RENAME", "k", "k2"]),
                c(&["MULTI"]),
                c(&["EXEC"]),
                c(&["WATCH", "k2"]),
                c(&["SELECT", "1"]),
                c(&["SET", "k2", "other db"]),
                c(&["MULTI"]),
                c(&["EXEC"]),
                c(&["SELECT", "0"]),
                c(&["WATCH"]),
                c(&["UNWATCH", "x"]),
                c(&["MULTI"]),
                c(&["UNWATCH"]),
                c(&["EXEC"]),
                c(&["WATCH", "k2"]),
                c(&["SET", "k2", "x"]),
                c(&["MULTI"]),
                c(&["XADD", "z", "*", "a", "1", "b"]),
                c(&["EXEC"]),
            ],
        ),
        s(
            "copy",
            vec![
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["XADD", "s", "2-1", "f", "v"]),
                c(&["XGROUP", "CREATE", "s", "g", "0"]),
                c(&["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"]),
                c(&["COPY", "s", "c"]),
                c(&["COPY", "s", "c"]),
                c(&["COPY", "s", "s"]),
                c(&["COPY", "s", "c", "DB", "1"]),
                c(&["COPY", "s", "c", "DB", "1"]),
                c(&["COPY", "s", "c", "db", "1", "REPLACE"]),
                c(&["COPY", "s", "c", "REPLACE", "DB", "1"]),
                c(&["COPY", "s", "s", "DB", "0"]),
                c(&["COPY", "s", "s", "DB", "1"]),
                c(&["COPY", "s", "x", "DB", "1", "DB", "2"]),
                c(&["COPY", "s", "c", "DB", "16"]),
                c(&["COPY", "s", "c", "DB", "-1"]),
                c(&["COPY", "s", "c", "DB", "x"]),
                c(&["COPY", "s", "c", "DB", "99999999999"]),
                c(&["COPY", "s", "c", "DB", "16", "FOO"]),
                c(&["COPY", "s", "c", "FOO", "DB", "16"]),
                c(&["COPY", "s", "c", "DB"]),
                c(&["COPY", "s", "c", "FOO"]),
                c(&["COPY", "s"]),
                c(&["COPY", "nokey", "c", "DB", "2"]),
                c(&["COPY", "nokey", "c"]),
                c(&["SET", "str", "v", "EX", "1000"]),
                c(&["COPY", "str", "str2", "DB", "2"]),
                c(&["COPY", "str", "s", "DB", "1", "REPLACE"]),
                c(&["SELECT", "1"]),
                c(&["XRANGE", "c", "-", "+"]),
                c(&["XINFO", "GROUPS", "c"]),
                c(&["XPENDING", "c", "g"]),
                c(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "c", ">"]),
                c(&["XPENDING", "c", "g"]),
                c(&["TYPE", "s"]),
                c(&["GET", "s"]),
                c(&["COPY", "c", "c2", "DB", "1"]),
                c(&["COPY", "c", "c", "DB", "1"]),
                c(&["COPY", "c", "back", "DB", "0"]),
                c(&["DBSIZE"]),
                c(&["SELECT", "2"]),
                c(&["GET", "str2"]),
                c(&["TTL", "str2"]),
                c(&["XLEN", "x"]),
                c(&["SELECT", "0"]),
                c(&["XPENDING", "s", "g"]),
                c(&["XPENDING", "back", "g"]),
                c(&["SELECT", "1"]),
                c(&["WATCH", "w"]),
                c(&["SELECT", "0"]),
                c(&["COPY", "s", "w", "DB", "1"]),
                c(&["MULTI"]),
                c(&["PING"]),
                c(&["EXEC"]),
                c(&["MULTI"]),
                c(&["COPY", "s", "m", "DB", "3"]),
                c(&["COPY", "s", "m"]),
                c(&["COPY", "s", "m", "DB", "x"]),
                c(&["EXEC"]),
                c(&["SELECT", "3"]),
                c(&["EXISTS", "m"]),
                c(&["SELECT", "0"]),
                c(&["EXISTS", "m"]),
            ],
        ),
        s(
            "watch-in-multi",
            vec![
                c(&["SET", "k", "v"]),
                c(&["WATCH", "k"]),
                c(&["MULTI"]),
                c(&["WATCH", "x"]),
                c(&["GET", "k"]),
                c(&["EXEC"]),
            ],
        ),
        s(
            "multi-container-refusal",
            vec![
                c(&["MULTI"]),
                c(&["CONFIG", "GET"]),
                c(&["EXEC"]),
                c(&["MULTI"]),
                c(&["CLIENT", "FOO"]),
                c(&["EXEC"]),
                c(&["MULTI"]),
                c(&["CLIENT", "SETNAME"]),
                c(&["EXEC"]),
                c(&["MULTI"]),
                c(&["COMMAND", "FOO"]),
                c(&["EXEC"]),
                c(&["MULTI"]),
                c(&["CONFIG", "RESETSTAT", "x"]),
                c(&["EXEC"]),
                c(&["MULTI"]),
                c(&["XGROUP", "FOO"]),
                c(&["XINFO", "STREAM"]),
                c(&["EXEC"]),
            ],
        ),
        s(
            "multi-nested",
            vec![c(&["MULTI"]), c(&["MULTI"]), c(&["EXEC"])],
        ),
        s(
            "client",
            vec![
                c(&["CLIENT", "GETNAME"]),
                c(&["CLIENT", "SETNAME", "worker-1"]),
                c(&["CLIENT", "GETNAME"]),
                c(&["CLIENT", "SETNAME", ""]),
                c(&["CLIENT", "GETNAME"]),
                c(&["CLIENT", "SETINFO", "LIB-NAME", "mylib"]),
                c(&["CLIENT", "SETINFO", "lib-ver", "1.2"]),
                shape(&["CLIENT", "ID"]),
                kind(&["CLIENT", "INFO"]),
                kind(&["CLIENT", "LIST"]),
                kind(&["CLIENT", "LIST", "TYPE", "normal"]),
                c(&["CLIENT", "NO-EVICT", "on"]),
                c(&["CLIENT", "NO-TOUCH", "off"]),
                c(&["CLIENT", "UNBLOCK", "999999"]),
                c(&["CLIENT", "KILL", "ID", "999999"]),
                c(&["CLIENT", "KILL", "1.2.3.4:5"]),
            ],
        ),
        s(
            "client-errors",
            vec![
                c(&["CLIENT"]),
                c(&["CLIENT", "FOO"]),
                c(&["CLIENT", "SETNAME"]),
                c(&["CLIENT", "SETNAME", "a b"]),
                c(&["CLIENT", "SETNAME", "a\nb"]),
                c(&["CLIENT", "SETINFO", "bad", "x"]),
                c(&["CLIENT", "SETINFO", "lib-name", "a b"]),
                c(&["CLIENT", "UNBLOCK", "abc"]),
                c(&["CLIENT", "UNBLOCK", "1", "maybe"]),
                c(&["CLIENT", "KILL", "ID", "0"]),
                c(&["CLIENT", "KILL", "ID"]),
                c(&["CLIENT", "KILL", "FOO", "bar"]),
                c(&["CLIENT", "KILL", "SKIPME", "maybe"]),
                c(&["CLIENT", "LIST", "TYPE", "foo"]),
                c(&["CLIENT", "ID", "extra"]),
            ],
        ),
        s(
            "server",
            vec![
                shape(&["TIME"]),
                kind(&["INFO"]),
                kind(&["INFO", "keyspace"]),
                c(&["CONFIG", "GET", "stream-node-max-entries"]),
                c(&["CONFIG", "SET", "stream-node-max-entries", "50"]),
                c(&["CONFIG", "GET", "stream-node-max-entries"]),
                c(&["CONFIG", "SET", "stream-node-max-entries", "100"]),
                c(&["CONFIG", "GET", "no-such-parameter"]),
                c(&["CONFIG", "GET", "appendonly"]),
                c(&["CONFIG", "GET", "TIMEOUT"]),
                c(&["CONFIG", "GET", "databases"]),
                c(&["CONFIG", "GET", "requirepass"]),
                c(&["CONFIG", "RESETSTAT"]),
                c(&["CONFIG", "FOO"]),
                c(&["COMMAND", "INFO", "nosuch"]),
                shape(&["COMMAND", "INFO", "xadd", "nosuch", "xreadgroup"]),
                kind(&["COMMAND", "DOCS", "xadd"]),
                c(&["COMMAND", "DOCS", "nosuch"]),
                c(&["COMMAND", "FOO"]),
                c(&["COMMAND", "COUNT", "x"]),
                kind(&["COMMAND", "COUNT"]),
            ],
        ),
        s(
            "inline",
            vec![
                raw(b"PING\r\n", 1),
                raw(b"PING\n", 1),
                raw(b"ECHO \"a b\"\r\n", 1),
                raw(b"ECHO \"\\x41\\n\\t\"\r\n", 1),
                raw(b"ECHO 'a\\'b'\r\n", 1),
                raw(b"\r\n\r\n  \r\nPING\r\n", 1),
                raw(b"XADD s 1-1 f v\r\nXLEN s\r\n", 2),
                raw(b"  ECHO    spaced   \r\n", 1),
            ],
        ),
        s(
            "pipelined",
            vec![
                raw(
                    b"*3\r\n$4\r\nECHO\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n",
                    2,
                ),
                raw(b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", 1),
                raw(b"*2\r\n$4\r\nECHO\r\n$3\r\nabcXY*1\r\n$4\r\nPING\r\n", 2),
                raw(b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", 1),
                raw(b"*1\r\n$4\r\nping\r\nPING\r\n", 2),
            ],
        ),
        s("bad-multibulk", vec![raw(b"*abc\r\n", 1), Step::Closed]),
        s("too-big-inline", vec![raw(&[b'x'; 70_000], 1), Step::Closed]),
        s(
            "too-big-mbulk-count",
            vec![raw(&[&b"*"[..], &[b'1'; 70_000]].concat(), 1), Step::Closed],
        ),
        s(
            "too-big-bulk-count",
            vec![raw(&[&b"*1\r\n$"[..], &[b'1'; 70_000]].concat(), 1), Step::Closed],
        ),
        s("bad-multibulk-plus", vec![raw(b"*+1\r\n", 1), Step::Closed]),
        s("huge-multibulk", vec![raw(b"*2147483648\r\n", 1), Step::Closed]),
        s("expected-dollar", vec![raw(b"*1\r\nPING\r\n", 1), Step::Closed]),
        s("bad-bulk", vec![raw(b"*1\r\n$-5\r\n", 1), Step::Closed]),
        s("bad-bulk-text", vec![raw(b"*1\r\n$x\r\n", 1), Step::Closed]),
        s("huge-bulk", vec![raw(b"*1\r\n$536870913\r\n", 1), Step::Closed]),
        s(
            "unbalanced",
            vec![raw(b"PING\r\nECHO \"abc\r\n", 2), Step::Closed],
        ),
        s("unbalanced-single", vec![raw(b"ECHO 'abc\r\n", 1), Step::Closed]),
        s("quote-then-text", vec![raw(b"ECHO \"a\"b\r\n", 1), Step::Closed]),
        s("quote-quote", vec![raw(b"ECHO 'it''s'\r\n", 1), Step::Closed]),
        s(
            "nul-in-inline",
            vec![
                Step::Silent(b"ECHO a\x00b\r\n".to_vec()),
                Step::Silent(b"PING\r\n".to_vec()),
            ],
        ),
        s(
            "nul-in-header",
            vec![Step::Silent(b"*1\x00\r\n$4\r\nPING\r\n".to_vec())],
        ),
        s(
            "error-after-commands",
            vec![raw(b"*1\r\n$4\r\nPING\r\n*1\r\n!bad\r\n", 2), Step::Closed],
        ),
    ]
}

/// Everything read for one step: replies' bytes, or `None` for a closed connection.
fn run_step(
    conn: &mut RespConn,
    step: &Step,
) -> Vec<Option<(Cmp, brook_test_support::Frame, Vec<u8>)>> {
    match step {
        Step::Cmd(argv, cmp) => {
            let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            if conn.send(&argv).is_err() {
                return vec![None];
            }
            vec![read(conn).map(|(f, b)| (*cmp, f, b))]
        }
        Step::Raw(bytes, n) => {
            if conn.send_raw(bytes).is_err() {
                return (0..*n).map(|_| None).collect();
            }
            (0..*n)
                .map(|_| read(conn).map(|(f, b)| (Cmp::Exact, f, b)))
                .collect()
        }
        Step::Closed => vec![read(conn).map(|(f, b)| (Cmp::Exact, f, b))],
        Step::Silent(bytes) => {
            if conn.send_raw(bytes).is_err() {
                return vec![None];
            }
            conn.set_read_timeout(Some(std::time::Duration::from_millis(300)))
                .expect("timeout");
            let got = read(conn).map(|(f, b)| (Cmp::Exact, f, b));
            conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .expect("timeout");
            vec![got]
        }
    }
}

fn read(conn: &mut RespConn) -> Option<(brook_test_support::Frame, Vec<u8>)> {
    match conn.read() {
        Ok(r) => Some(r),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => None,
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => None,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => None,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            Some((
                brook_test_support::Frame::Error(b"<no reply>".to_vec()),
                b"<no reply>".to_vec(),
            ))
        }
        Err(e) => panic!("reading a reply: {e}"),
    }
}

fn kind_of(
    f: &brook_test_support::Frame,
) -> (std::mem::Discriminant<brook_test_support::Frame>, usize) {
    use brook_test_support::Frame as F;
    let len = match f {
        F::Array(v) | F::Set(v) | F::Push(v) => v.len(),
        F::Map(m) => m.len(),
        _ => 0,
    };
    (std::mem::discriminant(f), len)
}

/// Scripts for a server with `requirepass pw`.
pub fn auth_scripts() -> Vec<Script> {
    vec![
        s(
            "noauth",
            vec![
                c(&["PING"]),
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["MULTI"]),
                c(&["AUTH", "wrong"]),
                c(&["AUTH", "default", "wrong"]),
                c(&["AUTH", "pw"]),
                c(&["PING"]),
                c(&["XADD", "s", "1-1", "f", "v"]),
                c(&["AUTH", "someone", "pw"]),
                c(&["RESET"]),
                c(&["PING"]),
                c(&["AUTH", "default", "pw"]),
                c(&["PING"]),
            ],
        ),
        s(
            "noauth-unknown",
            vec![c(&["FOO", "x"]), c(&["XADD", "s"]), c(&["PING"])],
        ),
        s("hello-noauth-text", vec![c(&["HELLO", "3"]), c(&["HELLO"])]),
        s(
            "hello-noauth",
            vec![
                c(&["HELLO", "3", "AUTH", "default", "wrong"]),
                c(&["PING"]),
                shape(&["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "me"]),
                c(&["CLIENT", "GETNAME"]),
                c(&["PING"]),
            ],
        ),
        s("quit-noauth", vec![c(&["QUIT"]), Step::Closed]),
        s(
            "unauth-multibulk",
            vec![
                raw(b"*10\r\n$4\r\nPING\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n", 1),
                raw(b"*11\r\n", 1),
                Step::Closed,
            ],
        ),
        s(
            "unauth-bulk",
            vec![
                raw(b"*2\r\n$4\r\nAUTH\r\n$16384\r\n", 0),
                raw(&[&[b'x'; 16384][..], b"\r\n"].concat(), 1),
                raw(b"*2\r\n$4\r\nAUTH\r\n$16385\r\n", 1),
                Step::Closed,
            ],
        ),
        s(
            "authed-limits",
            vec![
                c(&["AUTH", "pw"]),
                c(&["XADD", "s", "1-1", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]),
                Step::Cmd(vec![b"ECHO".to_vec(), vec![b'y'; 20_000]], Cmp::Exact),
            ],
        ),
    ]
}

/// A step for a failure message (long payloads cut).
fn describe(step: &Step) -> String {
    let cut = |b: &[u8]| {
        let text = String::from_utf8_lossy(&b[..b.len().min(60)])
            .escape_debug()
            .to_string();
        if b.len() > 60 {
            format!("{text}…({} bytes)", b.len())
        } else {
            text
        }
    };
    match step {
        Step::Cmd(argv, _) => argv.iter().map(|a| cut(a)).collect::<Vec<_>>().join(" "),
        Step::Raw(b, _) | Step::Silent(b) => format!("raw {}", cut(b)),
        Step::Closed => "closed?".into(),
    }
}

/// Runs every script on `brook` and on `oracle`; returns the differences.
pub fn compare(brook: u16, oracle: u16, skip: &[(&str, &str)]) -> Vec<String> {
    compare_scripts(brook, oracle, skip, scripts(), None)
}

/// Runs `scripts` on both; `password` lets the FLUSHALL before each in.
pub fn compare_scripts(
    brook: u16,
    oracle: u16,
    skip: &[(&str, &str)],
    scripts: Vec<Script>,
    password: Option<&str>,
) -> Vec<String> {
    let mut diffs = Vec::new();
    for script in scripts {
        if skip.iter().any(|(n, _)| *n == script.name) {
            continue;
        }
        let mut sides = Vec::new();
        for port in [brook, oracle] {
            let mut admin = RespConn::connect(port).expect("connect");
            if let Some(pw) = password {
                admin.call(&[b"AUTH", pw.as_bytes()]);
            }
            admin.call(&[b"FLUSHALL"]);
            let mut conn = RespConn::connect(port).expect("connect");
            conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .expect("timeout");
            let got: Vec<_> = script
                .steps
                .iter()
                .map(|step| run_step(&mut conn, step))
                .collect();
            sides.push(got);
        }
        for (i, (b, o)) in sides[0].iter().zip(&sides[1]).enumerate() {
            for (j, (b, o)) in b.iter().zip(o).enumerate() {
                let same = match (b, o) {
                    (None, None) => true,
                    (Some((cmp, bf, bb)), Some((_, of, ob))) => match cmp {
                        Cmp::Exact => bb == ob,
                        Cmp::Shape => kind_of(bf) == kind_of(of),
                        Cmp::Kind => kind_of(bf).0 == kind_of(of).0,
                        Cmp::Pending => bb == ob || pending_matches(bf, of),
                    },
                    _ => false,
                };
                if !same {
                    let show = |x: &Option<(Cmp, brook_test_support::Frame, Vec<u8>)>| match x {
                        None => "<closed>".to_string(),
                        Some((_, _, bytes)) => {
                            String::from_utf8_lossy(bytes).escape_debug().to_string()
                        }
                    };
                    diffs.push(format!(
                        "{} step {i} ({}) reply {j}:\n   brook:  {}\n   oracle: {}",
                        script.name,
                        describe(&script.steps[i]),
                        show(b),
                        show(o)
                    ));
                }
            }
        }
    }
    diffs
}

fn against(kind: ServerKind, skip: &[(&str, &str)]) {
    let Some(oracle) = ServerGuard::start(kind) else {
        return;
    };
    let brook = Brook::start(ServerConfig::default());
    let diffs = compare(brook.port(), oracle.port(), skip);
    assert!(
        diffs.is_empty(),
        "{} differences from {}:\n{}",
        diffs.len(),
        kind.name(),
        diffs.join("\n")
    );
}

fn auth_against(kind: ServerKind) {
    let Some(oracle) = ServerGuard::start(kind) else {
        return;
    };
    // The guard waits for an unauthenticated PONG: set the password afterwards.
    let mut admin = oracle.connect();
    assert_eq!(
        admin.call(&[b"CONFIG", b"SET", b"requirepass", b"pw"]),
        brook_test_support::Frame::Simple(b"OK".to_vec())
    );
    let brook = Brook::start(ServerConfig {
        requirepass: Some("pw".into()),
        ..ServerConfig::default()
    });
    let skip: Vec<(&str, &str)> = AUTH_DIFFERENCES
        .iter()
        .filter(|(k, _, _)| *k == kind)
        .map(|(_, name, why)| (*name, *why))
        .collect();
    let diffs = compare_scripts(
        brook.port(),
        oracle.port(),
        &skip,
        auth_scripts(),
        Some("pw"),
    );
    assert!(
        diffs.is_empty(),
        "{} differences from {} with requirepass:\n{}",
        diffs.len(),
        kind.name(),
        diffs.join("\n")
    );
}

#[test]
fn auth_bytes_match_valkey() {
    auth_against(ServerKind::Valkey);
}

#[test]
fn auth_bytes_match_redis7() {
    auth_against(ServerKind::Redis);
}

#[test]
fn auth_bytes_match_redis8() {
    auth_against(ServerKind::Redis8);
}

#[test]
fn bytes_match_redis8() {
    against(ServerKind::Redis8, REDIS8_DIFFERENCES);
}

#[test]
fn bytes_match_valkey() {
    against(ServerKind::Valkey, VALKEY_DIFFERENCES);
}

#[test]
fn bytes_match_redis7_outside_listed_differences() {
    against(ServerKind::Redis, REDIS7_DIFFERENCES);
}
