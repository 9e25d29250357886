//! `Keyspace::execute_resp` — the server's path, which encodes XRANGE and XREVRANGE
//! straight from the stream and XINFO CONSUMERS one consumer at a time — gives exactly the bytes of `Keyspace::execute`'s reply
//! encoded for the same protocol (an error is returned instead, for the caller to
//! write and count), on random streams (several node sizes, deleted
//! entries, entries with the node's fields and with their own) and random ranges,
//! counts, bad arguments, missing keys and wrong types, in RESP2 and RESP3.

use brook_engine::{Keyspace, Protocol};
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
