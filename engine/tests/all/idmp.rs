//! Idempotent producers (Redis 8.6: `XADD … IDMP/IDMPAUTO`, XCFGSET, XIDMPRECORD and the
//! IDMP fields of XINFO STREAM), against the reference's §20 and Appendix A. Neither
//! oracle server has IDMP (Valkey 9.1, Redis 7.0), so these run on the engine only, with
//! the replies the reference records from a live Redis 8.6.

use brook_engine::{Keyspace, Protocol, Reply};

const T0: u64 = 1_800_000_000_000;

fn run(ks: &mut Keyspace, line: &str, now: u64) -> String {
    let argv: Vec<&str> = line.split(' ').collect();
    let reply = ks.execute_str(&argv, now);
    String::from_utf8_lossy(&reply.to_resp(Protocol::Resp2)).into_owned()
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
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
                (Reply::Bulk(k), Reply::Integer(n)) if k.as_ref() == name.as_bytes() => Some(*n),
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
fn duplicates_answer_the_recorded_id_and_change_nothing() {
    let mut ks = Keyspace::new();
    let first = run(&mut ks, "XADD s IDMP p1 i1 * f v", T0);
    assert_eq!(first, bulk(&format!("{T0}-0")));
    // A duplicate: the stored ID, no append, even with other values and a trim clause.
    assert_eq!(
        run(&mut ks, "XADD s MAXLEN 0 IDMP p1 i1 * f other", T0 + 5),
        first
    );
    assert_eq!(run(&mut ks, "XLEN s", T0 + 5), ":1\r\n");
    // Another producer may use the same IID.
    assert_eq!(
        run(&mut ks, "XADD s IDMP p2 i1 * f v", T0 + 6),
        bulk(&format!("{}-0", T0 + 6))
    );
    // IDMPAUTO hashes the pairs, whatever their order; values count.
    let auto = run(&mut ks, "XADD s IDMPAUTO p1 * a 1 b 2", T0 + 7);
    assert_eq!(auto, bulk(&format!("{}-0", T0 + 7)));
    assert_eq!(run(&mut ks, "XADD s IDMPAUTO p1 * b 2 a 1", T0 + 8), auto);
    assert_ne!(run(&mut ks, "XADD s IDMPAUTO p1 * a 1 b 3", T0 + 9), auto);
    // The reference's §20.2 tally.
    assert_eq!(counters(&mut ks, "s", T0 + 9), [2, 4, 4, 2]);
    // Still answered after the entry itself is gone.
    run(&mut ks, &format!("XDEL s {T0}-0"), T0 + 10);
    assert_eq!(run(&mut ks, "XADD s IDMP p1 i1 * f v", T0 + 10), first);
    // NOMKSTREAM on a missing key answers nil before any IDMP lookup.
    assert_eq!(
        run(&mut ks, "XADD nokey NOMKSTREAM IDMP p i * f v", T0),
        "$-1\r\n"
    );
    ks.check().expect("well-formed");
}

#[test]
fn maxsize_evicts_and_duration_expires() {
    let mut ks = Keyspace::new();
    run(&mut ks, "XADD s * f v", T0);
    assert_eq!(run(&mut ks, "XCFGSET s IDMP-MAXSIZE 2", T0), "+OK\r\n");
    for (i, iid) in ["a", "b", "c"].iter().enumerate() {
        run(
            &mut ks,
            &format!("XADD s IDMP p {iid} * f v"),
            T0 + 1 + i as u64,
        );
    }
    // `a` was evicted: adding it again appends a new entry.
    assert_eq!(
        run(&mut ks, "XADD s IDMP p a * f v", T0 + 10),
        bulk(&format!("{}-0", T0 + 10))
    );
    assert_eq!(run(&mut ks, "XLEN s", T0 + 10), ":5\r\n");
    // Duration 1 s: a duplicate at +0.5 s, a new entry at +3.1 s, and the tracked
    // counters back to zero then.
    let mut ks = Keyspace::new();
    run(&mut ks, "XADD d * f v", T0);
    run(&mut ks, "XCFGSET d IDMP-DURATION 1", T0);
    let id = run(&mut ks, "XADD d IDMP p x * f v", T0 + 1);
    assert_eq!(run(&mut ks, "XADD d IDMP p x * f v", T0 + 501), id);
    assert_eq!(counters(&mut ks, "d", T0 + 3100), [0, 0, 1, 1]);
    assert_ne!(run(&mut ks, "XADD d IDMP p x * f v", T0 + 3101), id);
}

#[test]
fn xcfgset_rules() {
    let mut ks = Keyspace::new();
    assert_eq!(
        run(&mut ks, "XCFGSET nokey IDMP-DURATION 5", T0),
        err("ERR no such key")
    );
    run(&mut ks, "SET str x", T0);
    assert_eq!(
        run(&mut ks, "XCFGSET str IDMP-DURATION 5", T0),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    run(&mut ks, "XADD s * f v", T0);
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
        assert_eq!(run(&mut ks, line, T0), err(want), "{line}");
    }
    // Setting the same value keeps the IIDs; a different one forgets them (counters stay).
    run(&mut ks, "XADD s IDMP p i * f v", T0 + 1);
    assert_eq!(
        run(
            &mut ks,
            "XCFGSET s IDMP-DURATION 100 IDMP-MAXSIZE 100",
            T0 + 1
        ),
        "+OK\r\n"
    );
    assert_eq!(counters(&mut ks, "s", T0 + 1), [1, 1, 1, 0]);
    assert_eq!(
        run(&mut ks, "XCFGSET s IDMP-DURATION 200", T0 + 1),
        "+OK\r\n"
    );
    assert_eq!(counters(&mut ks, "s", T0 + 1), [0, 0, 1, 0]);
}

#[test]
fn xidmprecord_rules() {
    // Entries 1-1, 2-1 are recorded; at a command time near them nothing has expired
    // (an IID expires `idmp-duration` after its entry ID's time).
    const NOW: u64 = 5_000;
    let mut ks = Keyspace::new();
    let cases = [
        (
            "XIDMPRECORD s p i bad",
            "ERR Invalid stream ID specified as stream command argument",
        ),
        ("XIDMPRECORD s  i 1-1", "ERR producer ID must be non-empty"),
        (
            "XIDMPRECORD s p  1-1",
            "ERR idempotent ID must be non-empty",
        ),
        ("XIDMPRECORD nokey p i 1-1", "ERR no such key"),
    ];
    for (line, want) in cases {
        let argv: Vec<&str> = line.split(' ').collect();
        let got = ks.execute_str(&argv, NOW).to_resp(Protocol::Resp2);
        assert_eq!(String::from_utf8_lossy(&got), err(want), "{line}");
    }
    run(&mut ks, "XADD s 1-1 f v", NOW);
    run(&mut ks, "XADD s 2-1 f v", NOW);
    assert_eq!(
        run(&mut ks, "XIDMPRECORD s p i 9-9", NOW),
        err("ERR No such message in stream")
    );
    assert_eq!(run(&mut ks, "XIDMPRECORD s p i 1-1", NOW), "+OK\r\n");
    assert_eq!(run(&mut ks, "XIDMPRECORD s p i 1-1", NOW), "+OK\r\n");
    assert_eq!(
        run(&mut ks, "XIDMPRECORD s p i 2-1", NOW),
        err("ERR IID already exists for this producer with a different stream ID")
    );
    // A later XADD with that IID answers the recorded entry.
    assert_eq!(run(&mut ks, "XADD s IDMP p i * f v", NOW), bulk("1-1"));
    assert_eq!(counters(&mut ks, "s", 1), [1, 1, 1, 1]);
}

#[test]
fn xadd_idmp_parsing() {
    let mut ks = Keyspace::new();
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
        let argv: Vec<&str> = line.split(' ').collect();
        let got = ks.execute_str(&argv, T0).to_resp(Protocol::Resp2);
        assert_eq!(String::from_utf8_lossy(&got), err(want), "{line}");
    }
    assert_eq!(run(&mut ks, "EXISTS s", T0), ":0\r\n");
}

#[test]
fn idmp_configs_apply_to_new_streams() {
    let mut ks = Keyspace::new();
    run(&mut ks, "XADD old * f v", T0);
    assert_eq!(
        run(&mut ks, "CONFIG SET stream-idmp-duration 0", T0),
        err("ERR CONFIG SET failed (possibly related to argument 'stream-idmp-duration') - argument must be between 1 and 86400 inclusive")
    );
    assert_eq!(
        run(&mut ks, "CONFIG SET stream-idmp-maxsize 10001", T0),
        err("ERR CONFIG SET failed (possibly related to argument 'stream-idmp-maxsize') - argument must be between 1 and 10000 inclusive")
    );
    assert_eq!(
        run(
            &mut ks,
            "CONFIG SET stream-idmp-duration 7 stream-idmp-maxsize 3",
            T0
        ),
        "+OK\r\n"
    );
    run(&mut ks, "XADD new * f v", T0);
    let settings = |ks: &mut Keyspace, key: &str| {
        let info = ks.xinfo_stream(key.as_bytes(), T0).expect("stream");
        (info.summary.idmp_duration, info.summary.idmp_maxsize)
    };
    assert_eq!(settings(&mut ks, "old"), (100, 100));
    assert_eq!(settings(&mut ks, "new"), (7, 3));
}

/// Redis 8.6.3 (checked live) creates the producer before the "exhausted" check and
/// leaves it when that XADD fails: `pids-tracked` counts it, `iids-tracked` does not. On a
/// stream that never had a successful IID insert its cron never visits, so it stays
/// (still there seconds later); every failure raised before the key is found (options,
/// arity, an explicit ID with IDMP, WRONGTYPE, NOMKSTREAM on a missing key) creates none.
#[test]
fn a_failed_xadd_on_an_exhausted_stream_leaves_its_producer() {
    let mut ks = Keyspace::new();
    let exhausted = "ERR The stream has exhausted the last possible ID, unable to add more items";
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
    let exhausted = "ERR The stream has exhausted the last possible ID, unable to add more items";
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
