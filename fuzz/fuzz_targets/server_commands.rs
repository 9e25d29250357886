//! brook-server's command dispatcher on arbitrary command sequences (connection,
//! client, transaction, pub/sub, clock and stream commands, in two sessions on a
//! manual clock): it never panics, every reply is well-formed RESP that parses whole,
//! and the engine's invariants hold after every command.
#![no_main]

use std::sync::Arc;

use arbitrary::Arbitrary;
use brook_server::commands::{self, Session, Step};
use brook_server::{ClockMode, ServerConfig, Shared};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

const WORDS: &[&str] = &[
    "PING", "ECHO", "HELLO", "2", "3", "AUTH", "default", "pw", "SELECT", "0", "1", "15",
    "MULTI", "EXEC", "DISCARD", "RESET", "CLIENT", "ID", "SETNAME", "GETNAME", "LIST",
    "INFO", "KILL", "UNBLOCK", "TIMEOUT", "ERROR", "SETINFO", "lib-name", "COMMAND",
    "DOCS", "COUNT", "XADD", "s", "t", "*", "1-1", "f", "v", "XREAD", "XREADGROUP",
    "GROUP", "g", "c", "STREAMS", ">", "$", "0", "BLOCK", "10", "XGROUP", "CREATE",
    "MKSTREAM", "XACK", "XCLAIM", "XAUTOCLAIM", "XPENDING", "XINFO", "STREAM", "GROUPS",
    "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PUBLISH", "ch", "c*",
    "BROOK.CLOCK", "GET", "ADVANCE", "SET", "FLUSHALL", "FLUSHDB", "DEL", "CONFIG",
    "stream-node-max-entries", "TIME", "QUIT", "BROOK.ACKIFOWNER", "BROOK.MARKACK",
    "BROOK.TOUCHIFOWNER", "BROOK.ACKIFOWNERTHENADD", "BROOK.DELCONSUMERIFEMPTY", "-1",
    "99999999999999999999", "", "COUNT", "JUSTID", "NOACK",
];

#[derive(Arbitrary, Debug)]
enum Arg {
    Word(u8),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Cmd {
    session: bool,
    args: Vec<Arg>,
}

fn parse_whole(buf: &[u8]) {
    let mut at = 0;
    while at < buf.len() {
        match brook_test_support::parse_frame(&buf[at..]) {
            Ok(Some((_, used))) => at += used,
            other => panic!("malformed reply at {at}: {other:?} in {:?}", String::from_utf8_lossy(buf)),
        }
    }
}

fuzz_target!(|cmds: Vec<Cmd>| {
    let config = ServerConfig {
        clock: ClockMode::Manual(1_000_000),
        databases: 2,
        ..ServerConfig::default()
    };
    let shared = Shared::new(config, 0);
    let mut sessions: Vec<Session> = (0..2)
        .map(|_| {
            let client = shared.registry.add("127.0.0.1:1".into(), "127.0.0.1:2".into());
            Session::new(&shared, Arc::clone(&client))
        })
        .collect();
    for cmd in cmds.into_iter().take(64) {
        let argv: Vec<Bytes> = cmd
            .args
            .into_iter()
            .take(12)
            .map(|a| match a {
                Arg::Word(i) => Bytes::from_static(WORDS[usize::from(i) % WORDS.len()].as_bytes()),
                Arg::Raw(r) => Bytes::from(r),
            })
            .collect();
        if argv.is_empty() {
            continue;
        }
        let sess = &mut sessions[usize::from(cmd.session)];
        match commands::run(&shared, sess, argv) {
            Step::Done | Step::Close => {}
            // A blocked read: dropped here, as a client that goes away.
            Step::Wait(fut) => drop(fut),
        }
        parse_whole(&sess.out.buf);
        sess.out.buf.clear();
        for e in &shared.dbs {
            e.check().expect("engine invariants");
        }
    }
});
