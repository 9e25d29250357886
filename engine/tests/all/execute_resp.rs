//! `Keyspace::execute_resp` — the server's path, which encodes XRANGE, XREVRANGE,
//! XREAD, XREADGROUP, XINFO STREAM FULL and XPENDING straight from the stream and its
//! groups and XINFO CONSUMERS one consumer at a time — gives exactly the bytes of
//! `Keyspace::execute`'s reply encoded for the same protocol (an error is returned
//! instead, for the caller to write and count), on random streams (several node
//! sizes, deleted entries, entries with the node's fields and with their own) and
//! random ranges, counts, bad arguments, missing keys and wrong types, in RESP2 and
//! RESP3. Reads change the groups, so they run on identical keyspaces kept in
//! lockstep (every write applied to each; a clone would not do, as its buffers'
//! capacities differ from the byte counts `check` compares), whose states are compared
//! afterwards; `Keyspace::prepare_read_resp` (a server's blocking reads) is compared
//! with `Keyspace::prepare_read` the same way.

use brook_engine::Reply;

use brook_engine::frontend::{Keyspace, Protocol, ReadStep, RespReadStep};
use bytes::Bytes;

use crate::rng::Rng;

fn argv(words: &[String]) -> Vec<Bytes> {
    words.iter().map(|w| Bytes::from(w.clone())).collect()
}

fn id(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => "-".into(),
        1 => "+".into(),
        2 => format!("({}-{}", rng.below(60), rng.below(3)),
        3 => format!("{}", rng.below(60)),
        4 => "x-1".into(),
        _ => format!("{}-{}", rng.below(60), rng.below(3)),
    }
}

#[test]
fn execute_resp_writes_the_bytes_execute_replies() {
    let seed = Rng::seed_from_env("BROOK_EXECUTE_RESP_SEED");
    let mut rng = Rng::new(seed);
    let mut ks = Keyspace::new();
    let now = 1_000;
    let mut checked = 0;
    let mut consumers = 0;
    for step in 0..4_000u64 {
        let now = now + step * 7;
        let s = |w: &[&str]| w.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let key = rng.pick(&["s", "t", "str", "none"]).to_string();
        let write: Vec<String> = match rng.below(10) {
            0..=3 => {
                let mut w = s(&["XADD", &key, &format!("{}-{}", step / 3, step % 3)]);
                let fields = if rng.pct(70) { 1 } else { 1 + rng.below(3) };
                for f in 0..fields {
                    let name = if rng.pct(80) {
                        format!("f{f}")
                    } else {
                        format!("g{f}")
                    };
                    w.push(name);
                    w.push("v".repeat(rng.below(40) as usize));
                }
                w
            }
            4 => s(&["XDEL", &key, &format!("{}-{}", rng.below(60), rng.below(3))]),
            5 if rng.pct(10) => s(&["SET", "str", "x"]),
            6 => s(&[
                "XGROUP",
                "CREATECONSUMER",
                &key,
                *rng.pick(&["g", "h"]),
                &format!("c{}", rng.below(30)),
            ]),
            7 => s(&["XGROUP", "CREATE", &key, *rng.pick(&["g", "h"]), "0"]),
            8 => s(&[
                "XREADGROUP",
                "GROUP",
                *rng.pick(&["g", "h"]),
                &format!("c{}", rng.below(30)),
                "COUNT",
                "2",
                "STREAMS",
                &key,
                ">",
            ]),
            5 => s(&[
                "CONFIG",
                "SET",
                "stream-node-max-entries",
                &(1 + rng.below(8)).to_string(),
            ]),
            _ => Vec::new(),
        };
        if !write.is_empty() {
            ks.execute(&argv(&write), now);
        }
        let read = if rng.pct(20) {
            let mut read = s(&["XINFO", "consumers", &key, *rng.pick(&["g", "h", "x"])]);
            if rng.pct(5) {
                read.pop();
            }
            read
        } else {
            let cmd = if rng.pct(50) { "XRANGE" } else { "xrevrange" };
            let mut read = vec![cmd.to_string(), key.clone(), id(&mut rng), id(&mut rng)];
            if rng.pct(40) {
                read.push("COUNT".into());
                read.push(rng.pick(&["0", "1", "3", "-1", "x", "100"]).to_string());
            }
            if rng.pct(3) {
                read.push("FOO".into());
            }
            read
        };
        let read = argv(&read);
        for proto in [Protocol::Resp2, Protocol::Resp3] {
            let want = ks.execute(&read, now).to_resp(proto);
            let mut got = b"prefix".to_vec();
            if let Err(e) = ks.execute_resp(&read, now, proto, &mut got) {
                assert_eq!(got, b"prefix", "an error writes nothing");
                brook_engine::Reply::Error(e).write_resp(proto, &mut got);
            }
            assert_eq!(
                &got[..6],
                b"prefix",
                "seed {seed} step {step}: bytes before the reply kept"
            );
            assert_eq!(
                String::from_utf8_lossy(&got[6..]),
                String::from_utf8_lossy(&want),
                "seed {seed} step {step}: {read:?} in {proto:?}"
            );
            checked += usize::from(want.len() > 20);
            consumers += usize::from(
                read[1].eq_ignore_ascii_case(b"consumers")
                    && want.starts_with(b"*")
                    && want.len() > 4,
            );
        }
    }
    assert!(
        checked > 1_000,
        "only {checked} non-trivial replies compared"
    );
    assert!(
        consumers > 200,
        "only {consumers} XINFO CONSUMERS replies listed consumers"
    );
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|x| x.to_string()).collect()
}

/// An ID near the stream's IDs so far (`step` / 3 is the last XADD's millisecond).
fn near_id(rng: &mut Rng, step: u64) -> String {
    format!("{}-{}", rng.below(step / 3 + 2), rng.below(3))
}

/// A random write: entries (several field layouts), deletions (pending entries
/// included), groups, consumers, reads, acknowledgements and claims, node sizes.
fn random_write(rng: &mut Rng, step: u64, key: &str, consumer: &str) -> Vec<String> {
    let group = *rng.pick(&["g", "h"]);
    match rng.below(16) {
        0..=5 => {
            let mut w = words(&["XADD", key, &format!("{}-{}", step / 3, step % 3)]);
            let fields = if rng.pct(70) { 1 } else { 1 + rng.below(3) };
            for f in 0..fields {
                w.push(if rng.pct(80) {
                    format!("f{f}")
                } else {
                    format!("g{f}")
                });
                w.push("v".repeat(rng.below(30) as usize));
            }
            w
        }
        6 | 7 => words(&["XDEL", key, &near_id(rng, step)]),
        8 if rng.pct(10) => words(&["SET", "str", "x"]),
        8 => words(&[
            "CONFIG",
            "SET",
            "stream-node-max-entries",
            &(1 + rng.below(8)).to_string(),
        ]),
        9 => words(&["XGROUP", "CREATECONSUMER", key, group, consumer]),
        10 => words(&["XGROUP", "CREATE", key, group, "0"]),
        11 | 12 => words(&[
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "COUNT",
            &(1 + rng.below(4)).to_string(),
            "STREAMS",
            key,
            ">",
        ]),
        13 => words(&["XACK", key, group, &near_id(rng, step)]),
        14 => words(&[
            "XCLAIM",
            key,
            group,
            consumer,
            "0",
            &near_id(rng, step),
            &near_id(rng, step),
        ]),
        _ => Vec::new(),
    }
}

/// A random XREAD, XREADGROUP, XINFO STREAM or XPENDING, well-formed or not.
fn random_read(rng: &mut Rng, step: u64, consumer: &str) -> Vec<String> {
    let key = |rng: &mut Rng| {
        rng.pick(&["s", "t", "s", "t", "s", "t", "s", "t", "str", "none"])
            .to_string()
    };
    match rng.below(12) {
        0..=2 => {
            let mut w = words(&["XREAD"]);
            if rng.pct(50) {
                w.push("COUNT".into());
                w.push(rng.pick(&["0", "1", "3", "-1", "100", "x"]).to_string());
            }
            let block = rng.pct(20);
            if block {
                w.push("BLOCK".into());
                w.push(rng.pick(&["0", "100", "100", "-1"]).to_string());
            }
            if rng.pct(3) {
                w.push("NOACK".into());
            }
            w.push("STREAMS".into());
            let n = 1 + rng.below(3);
            let keys: Vec<String> = (0..n).map(|_| key(rng)).collect();
            w.extend(keys);
            for _ in 0..n {
                w.push(match rng.below(8) {
                    _ if block && rng.pct(70) => "$".into(),
                    0 => "$".into(),
                    1 => "+".into(),
                    2 | 3 => "0".into(),
                    4 if rng.pct(20) => ">".into(),
                    4 if rng.pct(20) => "x".into(),
                    _ => near_id(rng, step),
                });
            }
            if rng.pct(2) {
                w.pop();
            }
            w
        }
        3..=5 => {
            let mut w = words(&["XREADGROUP"]);
            if !rng.pct(2) {
                w.push("GROUP".into());
                w.push(rng.pick(&["g", "h", "g", "h", "x"]).to_string());
                w.push(consumer.to_string());
            }
            if rng.pct(60) {
                w.push("COUNT".into());
                w.push(rng.pick(&["0", "1", "2", "5", "-1", "x"]).to_string());
            }
            if rng.pct(20) {
                w.push("BLOCK".into());
                w.push(rng.pick(&["0", "100", "x"]).to_string());
            }
            if rng.pct(20) {
                w.push("NOACK".into());
            }
            if rng.pct(25) {
                w.push("CLAIM".into());
                w.push(rng.pick(&["0", "5", "50", "1000", "-1"]).to_string());
            }
            w.push("STREAMS".into());
            let n = 1 + rng.below(2);
            let keys: Vec<String> = (0..n).map(|_| key(rng)).collect();
            w.extend(keys);
            for _ in 0..n {
                w.push(match rng.below(8) {
                    0..=3 => ">".into(),
                    4 => "0".into(),
                    5 if rng.pct(10) => "$".into(),
                    _ => near_id(rng, step),
                });
            }
            w
        }
        6..=8 => {
            let mut w = words(&["XINFO", "STREAM"]);
            w.push(key(rng));
            if rng.pct(85) {
                w.push(rng.pick(&["FULL", "full", "FULL", "FOO"]).to_string());
                if rng.pct(70) {
                    w.push("COUNT".into());
                    w.push(rng.pick(&["0", "1", "3", "-1", "x", "0"]).to_string());
                }
                if rng.pct(3) {
                    w.push("X".into());
                }
            }
            w
        }
        _ => {
            let mut w = words(&["XPENDING"]);
            w.push(key(rng));
            w.push(rng.pick(&["g", "h", "g", "h", "x"]).to_string());
            if rng.pct(85) {
                if rng.pct(40) {
                    w.push("IDLE".into());
                    w.push(rng.pick(&["0", "10", "100", "1000", "x"]).to_string());
                }
                w.push(rng.pick(&["-", "-", "0", "(5-0"]).to_string());
                w.push(rng.pick(&["+", "+", "x-1"]).to_string());
                w.push(near_id(rng, step));
                w.pop();
                w.push(rng.pick(&["10", "1000", "0", "-1", "x", "3"]).to_string());
                if rng.pct(40) {
                    w.push(consumer.to_string());
                }
                if rng.pct(5) {
                    w.truncate(4);
                }
            }
            w
        }
    }
}

/// The state a read may change, as `execute` reports it (the whole of XINFO STREAM
/// FULL when `full`).
fn state(ks: &mut Keyspace, now: u64, full: bool) -> Vec<Reply> {
    let mut out = Vec::new();
    for key in ["s", "t"] {
        if full {
            out.push(ks.execute_str(&["XINFO", "STREAM", key, "FULL", "COUNT", "0"], now));
        }
        out.push(ks.execute_str(&["XINFO", "STREAM", key], now));
        out.push(ks.execute_str(&["XINFO", "GROUPS", key], now));
        for group in ["g", "h"] {
            out.push(ks.execute_str(&["XPENDING", key, group, "-", "+", "1000000"], now));
            out.push(ks.execute_str(&["XINFO", "CONSUMERS", key, group], now));
        }
    }
    out.push(ks.execute_str(&["DBSIZE"], now));
    out
}

#[test]
fn direct_reads_and_infos_write_the_bytes_execute_replies() {
    let seed = Rng::seed_from_env("BROOK_EXECUTE_RESP_READ_SEED");
    let mut rng = Rng::new(seed);
    // execute, execute_resp, prepare_read, prepare_read_resp: each on its own keyspace.
    let mut ks: [Keyspace; 4] = Default::default();
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for step in 0..2_500u64 {
        let now = 1_000 + step * 7;
        // "s" has a few consumers, "t" many (XINFO STREAM FULL lists their PELs in two
        // ways).
        let key = rng.pick(&["s", "t", "s", "t", "str", "none"]).to_string();
        let consumer = if key == "s" || rng.pct(30) {
            format!("c{}", rng.below(3))
        } else {
            format!("c{}", rng.below(30))
        };
        let write = random_write(&mut rng, step, &key, &consumer);
        if !write.is_empty() {
            for k in &mut ks {
                k.execute(&argv(&write), now);
            }
        }
        let read = argv(&random_read(&mut rng, step, &consumer));
        let proto = if rng.pct(50) {
            Protocol::Resp2
        } else {
            Protocol::Resp3
        };
        let [a, b, c, d] = &mut ks;
        // execute_resp against execute.
        let want = a.execute(&read, now).to_resp(proto);
        let mut got = b"prefix".to_vec();
        if let Err(e) = b.execute_resp(&read, now, proto, &mut got) {
            assert_eq!(
                got, b"prefix",
                "seed {seed} step {step}: an error writes nothing"
            );
            Reply::Error(e).write_resp(proto, &mut got);
        }
        assert_eq!(
            String::from_utf8_lossy(&got[6..]),
            String::from_utf8_lossy(&want),
            "seed {seed} step {step}: {read:?} in {proto:?}"
        );
        assert_eq!(&got[..6], b"prefix", "seed {seed} step {step}");
        // prepare_read_resp against prepare_read.
        let mut got = b"prefix".to_vec();
        match (
            c.prepare_read(&read, now),
            d.prepare_read_resp(&read, now, proto, &mut got),
        ) {
            (None, None) => {}
            (Some(ReadStep::Reply(r)), Some(Ok(RespReadStep::Written))) => {
                assert!(!r.is_error(), "seed {seed} step {step}: {r:?}");
                assert_eq!(
                    String::from_utf8_lossy(&got[6..]),
                    String::from_utf8_lossy(&r.to_resp(proto)),
                    "seed {seed} step {step}: prepare {read:?} in {proto:?}"
                );
            }
            (Some(ReadStep::Reply(Reply::Error(e))), Some(Err(f))) => {
                assert_eq!(e, f, "seed {seed} step {step}: {read:?}");
                assert_eq!(got, b"prefix", "seed {seed} step {step}");
            }
            (
                Some(ReadStep::Block { request, deadline }),
                Some(Ok(RespReadStep::Block {
                    request: r2,
                    deadline: d2,
                })),
            ) => {
                assert_eq!((request, deadline), (r2, d2), "seed {seed} step {step}");
                assert_eq!(
                    got, b"prefix",
                    "seed {seed} step {step}: a block writes nothing"
                );
                *seen.entry("blocked").or_default() += 1;
            }
            (x, y) => panic!("seed {seed} step {step}: {read:?}: {x:?} vs {y:?}"),
        }
        // Every copy is in the same state again (a read that blocks changed what the
        // same read answering nil changes).
        let full = step % 10 == 0;
        let want_state = state(a, now, full);
        for (name, k) in [
            ("execute_resp", b),
            ("prepare_read", c),
            ("prepare_read_resp", d),
        ] {
            assert_eq!(
                want_state,
                state(k, now, full),
                "seed {seed} step {step}: state after {name} {read:?}"
            );
        }
        for k in &ks {
            k.check()
                .unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
        }
        let name = String::from_utf8_lossy(&read[0]).to_ascii_lowercase();
        let kind: &str = match name.as_str() {
            "xread" => "xread",
            "xreadgroup" => "xreadgroup",
            "xinfo" => "xinfo",
            _ => "xpending",
        };
        if want.len() > 40 && !want.starts_with(b"-") {
            *seen.entry(kind).or_default() += 1;
        }
        if want.starts_with(b"-") {
            *seen.entry("error").or_default() += 1;
        }
        if kind == "xreadgroup"
            && want.len() > 8
            && (want[8..].windows(5).any(|w| w == b"*-1\r\n")
                || want[1..].windows(3).any(|w| w == b"_\r\n"))
        {
            *seen.entry("deleted pending").or_default() += 1;
        }
        if kind == "xreadgroup" && want.windows(4).any(|w| w == b"*4\r\n") {
            *seen.entry("claimed").or_default() += 1;
        }
    }
    eprintln!("{seen:?}");
    for (kind, min) in [
        ("xread", 300),
        ("xreadgroup", 150),
        ("xinfo", 200),
        ("xpending", 100),
        ("error", 200),
        ("blocked", 20),
        ("deleted pending", 10),
        ("claimed", 20),
    ] {
        let n = seen.get(kind).copied().unwrap_or(0);
        assert!(n >= min, "seed {seed}: only {n} {kind} replies compared");
    }
}
