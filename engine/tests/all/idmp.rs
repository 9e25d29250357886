//! Idempotent producers (Redis 8.6: `XADD … IDMP/IDMPAUTO`, XCFGSET, XIDMPRECORD and the
//! IDMP fields of XINFO STREAM), against the reference's §20 and Appendix A.
//!
//! Every test runs on the engine (explicit command times: [`B::sleep`] moves its clock)
//! and on Redis 8.6.3 (real sleeps), the only oracle with IDMP (Valkey 9.1 and Redis 7.0
//! lack it). Replies are compared exactly; the only allowance is for IDs made by `*`,
//! whose time part is the engine's clock there and the server's clock here: such an ID
//! must be the command time's `<ms>-<seq>` (read around the call on a server).
//!
//! Expiry: Redis drops expired IIDs in a once-per-second cron job, brook at the command
//! that looks (exact, at the command time). So a server may still answer a duplicate up
//! to ~1 s after the IID's expiry; the tests only look well before (≥ 900 ms) and well
//! after (≥ 2 s) an expiry, and record IIDs on entries whose IDs lie in the future where
//! they must not expire at all.

use brook_engine::StreamId;

use brook_engine::frontend::Protocol;
use brook_test_support::Frame;

use crate::scenarios::{frame, run_on, show, Target, B, REDIS8};

/// `line` split on single spaces, so that `a  b` carries an empty argument.
fn argv(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

/// The RESP2 reply to `line`, as text.
fn run(b: &mut B, line: &str) -> String {
    String::from_utf8_lossy(&b.argv(Protocol::Resp2, &argv(line))).into_owned()
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

fn err(text: &str) -> String {
    format!("-{text}\r\n")
}

/// Runs `line`, an XADD with `*` that must append: its reply is a new ID made at the
/// command time (the engine's clock; the server's, read around the call) and above
/// `prev`.
fn appends(b: &mut B, line: &str, prev: Option<StreamId>) -> (String, StreamId) {
    let lo = b.now();
    let raw = run(b, line);
    let hi = b.now();
    let f = frame(raw.as_bytes());
    let id = f
        .as_bytes()
        .and_then(|t| StreamId::parse_strict(t).ok())
        .unwrap_or_else(|| panic!("{}: {line}: not an ID: {}", b.name, show(raw.as_bytes())));
    let ms = match prev {
        Some(p) if p.ms >= lo => p.ms..=hi.max(p.ms),
        _ => lo..=hi,
    };
    assert!(
        ms.contains(&id.ms) && prev.is_none_or(|p| id > p),
        "{}: {line}: {id} is not a new ID at [{lo}, {hi}] above {prev:?}",
        b.name
    );
    (raw, id)
}

/// The IDMP counters of XINFO STREAM: pids-tracked, iids-tracked, iids-added,
/// iids-duplicates.
fn counters(b: &mut B, key: &str) -> [i64; 4] {
    let info = frame(run(b, &format!("XINFO STREAM {key}")).as_bytes());
    let get = |name: &str| match info.get(name) {
        Some(Frame::Integer(n)) => *n,
        other => panic!("{}: no integer field {name} in {info}: {other:?}", b.name),
    };
    [
        get("pids-tracked"),
        get("iids-tracked"),
        get("iids-added"),
        get("iids-duplicates"),
    ]
}

fn check_engine(b: &B) {
    if let Target::Engine(ks) = &b.target {
        ks.check().expect("well-formed");
    }
}

#[test]
fn duplicates_answer_the_recorded_id_and_change_nothing() {
    run_on("§20 IDMP duplicates", REDIS8, |b| {
        let (first, id1) = appends(b, "XADD s IDMP p1 i1 * f v", None);
        assert_eq!(id1.seq, 0, "{}: the first ID of a new stream", b.name);
        // A duplicate: the stored ID, no append, even with other values and a trim clause.
        b.sleep(5);
        assert_eq!(run(b, "XADD s MAXLEN 0 IDMP p1 i1 * f other"), first);
        assert_eq!(run(b, "XLEN s"), ":1\r\n");
        // Another producer may use the same IID.
        b.sleep(1);
        let (_, id2) = appends(b, "XADD s IDMP p2 i1 * f v", Some(id1));
        // IDMPAUTO hashes the pairs, whatever their order; values count.
        b.sleep(1);
        let (auto, id3) = appends(b, "XADD s IDMPAUTO p1 * a 1 b 2", Some(id2));
        b.sleep(1);
        assert_eq!(run(b, "XADD s IDMPAUTO p1 * b 2 a 1"), auto);
        b.sleep(1);
        appends(b, "XADD s IDMPAUTO p1 * a 1 b 3", Some(id3));
        // The reference's §20.2 tally.
        assert_eq!(counters(b, "s"), [2, 4, 4, 2], "{}", b.name);
        // Still answered after the entry itself is gone.
        b.sleep(1);
        assert_eq!(run(b, &format!("XDEL s {id1}")), ":1\r\n");
        assert_eq!(run(b, "XADD s IDMP p1 i1 * f v"), first);
        // NOMKSTREAM on a missing key answers nil before any IDMP lookup.
        assert_eq!(run(b, "XADD nokey NOMKSTREAM IDMP p i * f v"), "$-1\r\n");
        check_engine(b);
    });
}

#[test]
fn maxsize_evicts_and_duration_expires() {
    run_on("§20 IDMP-MAXSIZE and IDMP-DURATION", REDIS8, |b| {
        appends(b, "XADD s * f v", None);
        assert_eq!(run(b, "XCFGSET s IDMP-MAXSIZE 2"), "+OK\r\n");
        let mut a = None;
        for iid in ["a", "b", "c"] {
            b.sleep(1);
            let (raw, _) = appends(b, &format!("XADD s IDMP p {iid} * f v"), None);
            a.get_or_insert(raw);
        }
        // `a` was evicted: adding it again appends a new entry.
        b.sleep(1);
        let (again, _) = appends(b, "XADD s IDMP p a * f v", None);
        assert_ne!(Some(again), a, "{}", b.name);
        assert_eq!(run(b, "XLEN s"), ":5\r\n");
        // Duration 1 s: a duplicate at +0.1 s; at +3.1 s (after the server's once-a-second
        // clean-up) a new entry, and the tracked counters back to zero.
        appends(b, "XADD d * f v", None);
        assert_eq!(run(b, "XCFGSET d IDMP-DURATION 1"), "+OK\r\n");
        b.sleep(1);
        let (id, _) = appends(b, "XADD d IDMP p x * f v", None);
        b.sleep(100);
        assert_eq!(run(b, "XADD d IDMP p x * f v"), id);
        b.sleep(3000);
        assert_eq!(counters(b, "d"), [0, 0, 1, 1], "{}", b.name);
        let (fresh, _) = appends(b, "XADD d IDMP p x * f v", None);
        assert_ne!(fresh, id, "{}", b.name);
        check_engine(b);
    });
}

#[test]
fn xcfgset_rules() {
    run_on("§20.3 XCFGSET", REDIS8, |b| {
        assert_eq!(
            run(b, "XCFGSET nokey IDMP-DURATION 5"),
            err("ERR no such key")
        );
        run(b, "SET str x");
        assert_eq!(
            run(b, "XCFGSET str IDMP-DURATION 5"),
            err("WRONGTYPE Operation against a key holding the wrong kind of value")
        );
        appends(b, "XADD s * f v", None);
        let cases = [
            ("XCFGSET s", "ERR At least one parameter must be specified"),
            ("XCFGSET s IDMP-DURATION", "ERR syntax error"),
            ("XCFGSET s FOO 1", "ERR syntax error"),
            (
                "XCFGSET s IDMP-DURATION x",
                "ERR value is not an integer or out of range",
            ),
            (
                "XCFGSET s IDMP-DURATION 0",
                "ERR IDMP-DURATION must be between 1 and 86400 seconds",
            ),
            (
                "XCFGSET s idmp-duration 86401",
                "ERR IDMP-DURATION must be between 1 and 86400 seconds",
            ),
            (
                "XCFGSET s IDMP-MAXSIZE 10001",
                "ERR IDMP-MAXSIZE must be between 1 and 10000 entries",
            ),
            (
                "XCFGSET s IDMP-DURATION 5 IDMP-DURATION x",
                "ERR IDMP-DURATION specified multiple times",
            ),
            (
                "XCFGSET s IDMP-MAXSIZE 5 IDMP-MAXSIZE 6",
                "ERR IDMP-MAXSIZE specified multiple times",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(run(b, line), err(want), "{}: {line}", b.name);
        }
        // Setting the same value keeps the IIDs; a different one forgets them (counters
        // stay).
        b.sleep(1);
        appends(b, "XADD s IDMP p i * f v", None);
        assert_eq!(
            run(b, "XCFGSET s IDMP-DURATION 100 IDMP-MAXSIZE 100"),
            "+OK\r\n"
        );
        assert_eq!(counters(b, "s"), [1, 1, 1, 0], "{}", b.name);
        assert_eq!(run(b, "XCFGSET s IDMP-DURATION 200"), "+OK\r\n");
        assert_eq!(counters(b, "s"), [0, 0, 1, 0], "{}", b.name);
        check_engine(b);
    });
}

#[test]
fn xidmprecord_rules() {
    // Entries far in the future: their IIDs do not expire (an IID expires
    // `idmp-duration` after its entry ID's time).
    const F1: &str = "9999999999999-1";
    const F2: &str = "9999999999999-2";
    run_on("§20.4 XIDMPRECORD", REDIS8, |b| {
        let cases = [
            (
                "XIDMPRECORD s p i bad".to_string(),
                "ERR Invalid stream ID specified as stream command argument",
            ),
            (
                format!("XIDMPRECORD s  i {F1}"),
                "ERR producer ID must be non-empty",
            ),
            (
                format!("XIDMPRECORD s p  {F1}"),
                "ERR idempotent ID must be non-empty",
            ),
            (format!("XIDMPRECORD nokey p i {F1}"), "ERR no such key"),
        ];
        for (line, want) in &cases {
            assert_eq!(run(b, line), err(want), "{}: {line}", b.name);
        }
        assert_eq!(run(b, &format!("XADD s {F1} f v")), bulk(F1));
        assert_eq!(run(b, &format!("XADD s {F2} f v")), bulk(F2));
        assert_eq!(
            run(b, "XIDMPRECORD s p i 9-9"),
            err("ERR No such message in stream")
        );
        assert_eq!(run(b, &format!("XIDMPRECORD s p i {F1}")), "+OK\r\n");
        assert_eq!(run(b, &format!("XIDMPRECORD s p i {F1}")), "+OK\r\n");
        assert_eq!(
            run(b, &format!("XIDMPRECORD s p i {F2}")),
            err("ERR IID already exists for this producer with a different stream ID")
        );
        // A later XADD with that IID answers the recorded entry.
        assert_eq!(run(b, "XADD s IDMP p i * f v"), bulk(F1));
        assert_eq!(counters(b, "s"), [1, 1, 1, 1], "{}", b.name);
        check_engine(b);
    });
}

#[test]
fn xadd_idmp_parsing() {
    run_on("§2.1 XADD IDMP/IDMPAUTO parsing", REDIS8, |b| {
        let cases = [
            (
                "XADD s IDMP p i IDMPAUTO q * f v",
                "ERR syntax error, IDMP/IDMPAUTO specified multiple times",
            ),
            (
                "XADD s IDMPAUTO  * f v",
                "ERR syntax error, IDMPAUTO requires a non-empty producer ID",
            ),
            (
                "XADD s IDMP  i * f v",
                "ERR syntax error, IDMP requires a non-empty producer ID",
            ),
            (
                "XADD s IDMP p  * f v",
                "ERR syntax error, IDMP requires a non-empty idempotent ID",
            ),
            (
                "XADD s IDMP p i 5-1 f v",
                "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs",
            ),
            (
                "XADD s IDMPAUTO p 5-* f v",
                "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs",
            ),
            // IDMP takes `p` and `*` as its IDs, so `f` is read as the entry ID.
            (
                "XADD s IDMP p * f v",
                "ERR Invalid stream ID specified as stream command argument",
            ),
            (
                "XADD s IDMP p i",
                "ERR wrong number of arguments for 'xadd' command",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(run(b, line), err(want), "{}: {line}", b.name);
        }
        assert_eq!(run(b, "EXISTS s"), ":0\r\n");
    });
}

#[test]
fn idmp_configs_apply_to_new_streams() {
    run_on("§20.1 stream-idmp-duration / -maxsize", REDIS8, |b| {
        appends(b, "XADD old * f v", None);
        assert_eq!(
            run(b, "CONFIG SET stream-idmp-duration 0"),
            err("ERR CONFIG SET failed (possibly related to argument 'stream-idmp-duration') - argument must be between 1 and 86400 inclusive")
        );
        assert_eq!(
            run(b, "CONFIG SET stream-idmp-maxsize 10001"),
            err("ERR CONFIG SET failed (possibly related to argument 'stream-idmp-maxsize') - argument must be between 1 and 10000 inclusive")
        );
        assert_eq!(
            run(b, "CONFIG SET stream-idmp-duration 7 stream-idmp-maxsize 3"),
            "+OK\r\n"
        );
        appends(b, "XADD new * f v", None);
        let settings = |b: &mut B, key: &str| {
            let info = frame(run(b, &format!("XINFO STREAM {key}")).as_bytes());
            (
                info.get("idmp-duration").cloned(),
                info.get("idmp-maxsize").cloned(),
            )
        };
        let i = |n| Some(Frame::Integer(n));
        assert_eq!(settings(b, "old"), (i(100), i(100)), "{}", b.name);
        assert_eq!(settings(b, "new"), (i(7), i(3)), "{}", b.name);
    });
}

/// Redis 8.6.3 (checked live) creates the producer before the "exhausted" check and
/// leaves it when that XADD fails: `pids-tracked` counts it, `iids-tracked` does not. On a
/// stream that never had a successful IID insert its cron never visits, so it stays
/// (still there seconds later); every failure raised before the key is found (options,
/// arity, an explicit ID with IDMP, WRONGTYPE, NOMKSTREAM on a missing key) creates none.
/// Producers that a failing XADD or the expiry cron leaves or drops: engine-only, with
/// explicit command times (the cases were checked by hand against a live Redis 8.6.3,
/// and the argv differential compares `pids-tracked` with it on random sequences).
mod producers {
    use brook_engine::frontend::{Keyspace, Protocol};
    use brook_engine::Reply;

    const T0: u64 = 1_800_000_000_000;

    fn run(ks: &mut Keyspace, line: &str, now: u64) -> String {
        let argv: Vec<&str> = line.split(' ').collect();
        let reply = ks.execute_str(&argv, now);
        String::from_utf8_lossy(&reply.to_resp(Protocol::Resp2)).into_owned()
    }

    fn err(text: &str) -> String {
        format!("-{text}\r\n")
    }

    /// The IDMP counters of XINFO STREAM: pids-tracked, iids-tracked, iids-added,
    /// iids-duplicates.
    fn counters(ks: &mut Keyspace, key: &str, now: u64) -> [i64; 4] {
        let Reply::Map(fields) = ks.execute_str(&["XINFO", "STREAM", key], now) else {
            panic!("XINFO STREAM {key} is not a map");
        };
        let get = |name: &str| {
            fields
                .iter()
                .find_map(|(k, v)| match (k, v) {
                    (Reply::Bulk(k), Reply::Integer(n)) if k.as_ref() == name.as_bytes() => {
                        Some(*n)
                    }
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no integer field {name}"))
        };
        [
            get("pids-tracked"),
            get("iids-tracked"),
            get("iids-added"),
            get("iids-duplicates"),
        ]
    }

    #[test]
    fn a_failed_xadd_on_an_exhausted_stream_leaves_its_producer() {
        let mut ks = Keyspace::new();
        let exhausted =
            "ERR The stream has exhausted the last possible ID, unable to add more items";
        run(
            &mut ks,
            "XADD s 18446744073709551615-18446744073709551615 f v",
            T0,
        );
        assert_eq!(run(&mut ks, "XADD s IDMPAUTO p2 * f v", T0), err(exhausted));
        assert_eq!(counters(&mut ks, "s", T0), [1, 0, 0, 0]);
        assert_eq!(run(&mut ks, "XADD s IDMP p3 i * f v", T0), err(exhausted));
        assert_eq!(run(&mut ks, "XADD s IDMP p3 j * f v", T0), err(exhausted));
        assert_eq!(counters(&mut ks, "s", T0), [2, 0, 0, 0]);
        // No cron visits this stream: the producers stay.
        assert_eq!(counters(&mut ks, "s", T0 + 10_000_000), [2, 0, 0, 0]);
        // A changed setting forgets them; an unchanged one does not.
        run(&mut ks, "XCFGSET s IDMP-DURATION 100", T0);
        assert_eq!(counters(&mut ks, "s", T0), [2, 0, 0, 0]);
        run(&mut ks, "XCFGSET s IDMP-DURATION 200", T0);
        assert_eq!(counters(&mut ks, "s", T0), [0, 0, 0, 0]);

        // Failures before the stream is found create no producer.
        run(&mut ks, "XADD t 5-1 f v", T0);
        run(&mut ks, "SET str x", T0);
        for line in [
            "XADD t IDMP p i 6-1 f v",
            "XADD t IDMP p i MAXLEN -1 * f v",
            "XADD t IDMP p i LIMIT 5 * f v",
            "XADD t IDMP p i * f",
            "XADD t IDMP p i 0-0 f v",
            "XADD t IDMP p  * f v",
            "XADD str IDMPAUTO p * f v",
        ] {
            assert!(run(&mut ks, line, T0).starts_with('-'), "{line}");
        }
        assert_eq!(
            run(&mut ks, "XADD nokey NOMKSTREAM IDMP p i * f v", T0),
            "$-1\r\n"
        );
        assert_eq!(counters(&mut ks, "t", T0), [0, 0, 0, 0]);
        // NOMKSTREAM on an existing exhausted stream does reach the producer.
        run(
            &mut ks,
            "XADD u 18446744073709551615-18446744073709551615 f v",
            T0,
        );
        assert_eq!(
            run(&mut ks, "XADD u NOMKSTREAM IDMP p i * f v", T0),
            err(exhausted)
        );
        assert_eq!(counters(&mut ks, "u", T0), [1, 0, 0, 0]);
        ks.check().expect("well-formed");
    }

    /// On a stream with a successful IID insert Redis's cron drops such an empty producer
    /// within about a second (checked live: `pids-tracked` 2, then 1); brook acts as if the
    /// cron had just run, so it is gone at once. A duplicate still answers on an exhausted
    /// stream (the lookup comes first), and RENAME makes the cron visit a stream holding
    /// producers (checked live: an empty producer is gone after the rename).
    #[test]
    fn the_cron_drops_empty_producers_on_streams_it_visits() {
        let mut ks = Keyspace::new();
        let exhausted =
            "ERR The stream has exhausted the last possible ID, unable to add more items";
        let first = run(&mut ks, "XADD v IDMP p1 a * f v", T0);
        run(
            &mut ks,
            "XSETID v 18446744073709551615-18446744073709551615",
            T0,
        );
        assert_eq!(run(&mut ks, "XADD v IDMP p1 a * f v", T0 + 1), first);
        assert_eq!(
            run(&mut ks, "XADD v IDMP p2 i * f v", T0 + 1),
            err(exhausted)
        );
        assert_eq!(counters(&mut ks, "v", T0 + 2), [1, 1, 1, 1]);

        run(
            &mut ks,
            "XADD w 18446744073709551615-18446744073709551615 f v",
            T0,
        );
        run(&mut ks, "XADD w IDMP p2 i * f v", T0);
        assert_eq!(counters(&mut ks, "w", T0), [1, 0, 0, 0]);
        assert_eq!(run(&mut ks, "RENAME w w2", T0), "+OK\r\n");
        assert_eq!(counters(&mut ks, "w2", T0 + 1), [0, 0, 0, 0]);
        ks.check().expect("well-formed");
    }
}
