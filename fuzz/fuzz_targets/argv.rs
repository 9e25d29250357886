//! Fuzz target `argv`: arbitrary bytes as a script of commands for
//! `Keyspace::execute`.
//!
//! Input format: the first byte picks the initial node limits; the rest is split into
//! commands at `0xFF` and each command into arguments at `0xFE` (so arguments can hold
//! any other byte, NUL included). A one-byte first argument `0x00..=0x12` is replaced
//! by a command name from [`NAMES`] to help the fuzzer reach real commands. Each command
//! advances the clock by its index modulo 3 milliseconds (so `*` IDs collide within a
//! millisecond, too).
//!
//! After every command: the engine must not have panicked, its reply must encode to a
//! single well-formed RESP2 frame and a single well-formed RESP3 frame (checked with
//! `brook_test_support::parse_frame`, consuming every byte), and `Keyspace::check()`
//! must pass.
#![no_main]

use brook_engine::NodeLimits;

use brook_engine::frontend::{Keyspace, Protocol};
use brook_test_support::parse_frame;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "XADD",
    "XRANGE",
    "XREVRANGE",
    "XDEL",
    "XTRIM",
    "XSETID",
    "XREAD",
    "XLEN",
    "XINFO",
    "DEL",
    "SET",
    "GET",
    "TYPE",
    "EXISTS",
    "KEYS",
    "CONFIG",
    "DBSIZE",
    "FLUSHALL",
    "UNLINK",
];

const LIMITS: &[(u64, u64)] = &[
    (4096, 100),
    (1, 1),
    (60, 2),
    (100, 3),
    (0, 0),
    (200, 0),
    (4096, 5),
    (1 << 31, 10),
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (max_bytes, max_entries) = LIMITS[usize::from(first) % LIMITS.len()];
    let mut ks = Keyspace::new();
    ks.config_mut().node_limits = NodeLimits {
        max_bytes,
        max_entries,
    };
    let mut now: u64 = 1_000;
    for (i, cmd) in rest.split(|&b| b == 0xFF).enumerate().take(64) {
        let mut argv: Vec<Bytes> = cmd
            .split(|&b| b == 0xFE)
            .map(Bytes::copy_from_slice)
            .collect();
        if let [b] = argv[0].as_ref() {
            if let Some(name) = NAMES.get(usize::from(*b)) {
                argv[0] = Bytes::from_static(name.as_bytes());
            }
        }
        now += (i % 3) as u64;
        let reply = ks.execute(&argv, now);
        for proto in [Protocol::Resp2, Protocol::Resp3] {
            let bytes = reply.to_resp(proto);
            match parse_frame(&bytes) {
                Ok(Some((_, n))) if n == bytes.len() => {}
                other => panic!(
                    "{proto:?} encoding of the reply to {argv:?} is not one frame: {other:?}\n{:?}",
                    String::from_utf8_lossy(&bytes)
                ),
            }
        }
        if let Err(e) = ks.check() {
            panic!("Keyspace::check failed after {argv:?}: {e}");
        }
    }
});
