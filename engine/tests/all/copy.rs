//! COPY: a copied stream holds everything the source does — entries, IDs and
//! counters, groups with their consumers and PELs, IDMP state — and its TTL; the copy
//! is independent of the source; the accounting follows; Redis's checks and replies.

use brook_engine::{Error, Reply};

use brook_engine::frontend::Keyspace;
use bytes::Bytes;

fn args(line: &str) -> Vec<Bytes> {
    line.split_whitespace()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}

fn run(ks: &mut Keyspace, line: &str, now: u64) -> Reply {
    let r = ks.execute(&args(line), now);
    ks.check().unwrap_or_else(|e| panic!("after {line}: {e}"));
    r
}

fn ok(ks: &mut Keyspace, line: &str, now: u64) -> Reply {
    let r = run(ks, line, now);
    assert!(!r.is_error(), "{line}: {r:?}");
    r
}

/// What COPY must reproduce of the stream at `key`, as replies.
fn snapshot(ks: &mut Keyspace, key: &str, now: u64) -> Vec<Reply> {
    let mut out = vec![
        ok(ks, &format!("XINFO STREAM {key} FULL"), now),
        ok(ks, &format!("XINFO STREAM {key}"), now),
        ok(ks, &format!("XINFO GROUPS {key}"), now),
        ok(ks, &format!("PTTL {key}"), now),
    ];
    for g in ["g1", "g2"] {
        // (`run`: a group destroyed later answers NOGROUP.)
        out.push(run(ks, &format!("XPENDING {key} {g}"), now));
        out.push(run(ks, &format!("XPENDING {key} {g} - + 100"), now));
        out.push(run(ks, &format!("XINFO CONSUMERS {key} {g}"), now));
    }
    out
}

/// A stream with everything COPY carries: deleted entries, two groups, consumers that
/// read, claimed and idle, a PEL with several owners and delivery counts, IDMP
/// producers with IIDs and non-default settings, and a TTL.
fn rich(ks: &mut Keyspace, now: &mut u64) {
    for i in 0..40 {
        *now += 3;
        if i % 4 == 0 {
            ok(ks, &format!("XADD s IDMP p{} iid{i} * n {i}", i % 3), *now);
        } else {
            ok(ks, &format!("XADD s * n {i} pad {}", "x".repeat(i)), *now);
        }
    }
    ok(ks, "XCFGSET s IDMP-MAXSIZE 50", *now);
    ok(ks, "XADD s IDMP p0 again * n again", *now);
    ok(ks, "XADD s IDMP p0 again * n again", *now);
    ok(ks, "XGROUP CREATE s g1 0", *now);
    ok(ks, "XGROUP CREATE s g2 $ ENTRIESREAD 3", *now);
    ok(ks, "XGROUP CREATECONSUMER s g1 idle", *now);
    *now += 5;
    ok(ks, "XREADGROUP GROUP g1 alice COUNT 10 STREAMS s >", *now);
    *now += 5;
    ok(ks, "XREADGROUP GROUP g1 bob COUNT 10 STREAMS s >", *now);
    *now += 5;
    ok(ks, "XADD s * late 1", *now);
    ok(ks, "XREADGROUP GROUP g2 carol STREAMS s >", *now);
    let first = match ok(ks, "XRANGE s - + COUNT 3", *now) {
        Reply::Array(items) => items
            .iter()
            .map(|e| match e {
                Reply::Array(pair) => match &pair[0] {
                    Reply::Bulk(id) => String::from_utf8_lossy(id).into_owned(),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    *now += 5;
    ok(
        ks,
        &format!("XCLAIM s g1 dave 0 {} {} IDLE 1", first[0], first[1]),
        *now,
    );
    ok(
        ks,
        &format!("XCLAIM s g1 dave 0 {} RETRYCOUNT 7", first[2]),
        *now,
    );
    ok(ks, &format!("XACK s g1 {}", first[1]), *now);
    ok(ks, &format!("XDEL s {}", first[0]), *now);
    ok(ks, "XTRIM s MAXLEN 38", *now);
    assert!(ks.expire_at(b"s", *now + 60_000, *now));
}

#[test]
fn a_copied_stream_is_identical_and_independent() {
    let mut ks = Keyspace::new();
    let mut now = 1_795_000_000_000;
    rich(&mut ks, &mut now);
    now += 10;
    let before = ks.used_memory();
    let source_usage = ks.memory_usage(b"s").expect("s") as u64;
    let source = snapshot(&mut ks, "s", now);
    assert_eq!(ok(&mut ks, "COPY s c", now), Reply::Integer(1));
    assert_eq!(
        snapshot(&mut ks, "c", now),
        source,
        "the copy holds what s holds"
    );
    assert_eq!(snapshot(&mut ks, "s", now), source, "s is untouched");
    let grown = ks.used_memory() - before;
    let copy_usage = ks.memory_usage(b"c").expect("c") as u64;
    assert_eq!(grown, copy_usage, "used_memory grows by the copy's usage");
    assert!(
        copy_usage.abs_diff(source_usage) <= source_usage / 10,
        "the copy costs what the source does: {copy_usage} vs {source_usage}"
    );
    // The copy answers an IDMP duplicate with the source's ID, and counts it.
    let dup_s = ok(&mut ks, "XADD s IDMP p0 again * n again", now);
    let dup_c = ok(&mut ks, "XADD c IDMP p0 again * n again", now);
    assert_eq!(dup_s, dup_c);

    // Changing the copy leaves the source as it was, and the other way round.
    let source = snapshot(&mut ks, "s", now);
    // (Snapshots are taken at `now`, the changes made later: idle times stay put.)
    let look = now;
    now += 10;
    ok(&mut ks, "XADD c * new 1", now);
    ok(&mut ks, "XREADGROUP GROUP g1 erin STREAMS c >", now);
    ok(&mut ks, "XACK c g1 0-0", now);
    ok(&mut ks, "XAUTOCLAIM c g1 frank 0 0", now);
    ok(&mut ks, "XGROUP DESTROY c g2", now);
    ok(&mut ks, "XCFGSET c IDMP-DURATION 5", now);
    ok(&mut ks, "XTRIM c MAXLEN 2", now);
    assert_eq!(
        snapshot(&mut ks, "s", look),
        source,
        "s is untouched by changes to c"
    );
    let copy = snapshot(&mut ks, "c", look);
    ok(&mut ks, "XADD s * other 1", now);
    ok(&mut ks, "XGROUP DESTROY s g1", now);
    assert_eq!(
        snapshot(&mut ks, "c", look),
        copy,
        "c is untouched by changes to s"
    );
    ok(&mut ks, "DEL s", now);
    assert_eq!(snapshot(&mut ks, "c", look), copy, "c outlives s");
    ks.check().expect("invariants");
}

#[test]
fn copy_replies_and_errors_as_redis() {
    let mut ks = Keyspace::new();
    let now = 1_795_000_000_000;
    ok(&mut ks, "XADD s 1-1 f v", now);
    ok(&mut ks, "SET str hello PX 5000", now);
    let int = |n| Reply::Integer(n);
    assert_eq!(run(&mut ks, "COPY nokey d", now), int(0));
    assert_eq!(run(&mut ks, "COPY s d", now), int(1));
    assert_eq!(run(&mut ks, "COPY s d", now), int(0), "d exists");
    assert_eq!(run(&mut ks, "COPY str d", now), int(0));
    assert_eq!(run(&mut ks, "COPY str d REPLACE", now), int(1));
    assert_eq!(
        run(&mut ks, "GET d", now),
        Reply::Bulk(Bytes::from("hello"))
    );
    assert_eq!(ks.pttl(b"d", now + 1000), 4000, "the TTL is copied");
    assert_eq!(run(&mut ks, "COPY s d replace DB 0", now), int(1));
    assert_eq!(run(&mut ks, "TYPE d", now), Reply::Simple("stream"));
    assert_eq!(ks.pttl(b"d", now), -1, "REPLACE drops the old TTL");
    let err = |e: Error| Reply::Error(e);
    assert_eq!(run(&mut ks, "COPY s s", now), err(Error::SameObject));
    assert_eq!(
        run(&mut ks, "COPY nokey nokey", now),
        err(Error::SameObject)
    );
    assert_eq!(run(&mut ks, "COPY s s DB 0", now), err(Error::SameObject));
    assert_eq!(
        run(&mut ks, "COPY s d DB 1", now),
        err(Error::DbIndexOutOfRange)
    );
    assert_eq!(
        run(&mut ks, "COPY s d DB -1", now),
        err(Error::DbIndexOutOfRange)
    );
    assert_eq!(run(&mut ks, "COPY s d DB x", now), err(Error::NotAnInteger));
    assert_eq!(
        run(&mut ks, "COPY s d DB 2147483648", now),
        err(Error::IntOutOfRange)
    );
    assert_eq!(run(&mut ks, "COPY s d DB", now), err(Error::Syntax));
    assert_eq!(run(&mut ks, "COPY s d FOO DB 1", now), err(Error::Syntax));
    assert_eq!(
        run(&mut ks, "COPY s d DB 1 FOO", now),
        err(Error::DbIndexOutOfRange),
        "options are checked left to right"
    );
    assert_eq!(run(&mut ks, "COPY s", now), err(Error::WrongArity("copy")));
    assert_eq!(
        Error::IntOutOfRange.to_string(),
        "ERR value is out of range, value must between -2147483648 and 2147483647"
    );
    assert_eq!(
        Error::SameObject.to_string(),
        "ERR source and destination objects are the same"
    );
    // The copy of an expired key is no copy.
    assert_eq!(run(&mut ks, "COPY str e", now + 5000), int(0));
    // Cluster mode: the keys must share a slot.
    ks.config_mut().cluster = true;
    assert_eq!(run(&mut ks, "COPY s d REPLACE", now), err(Error::CrossSlot));
    assert_eq!(run(&mut ks, "COPY {s}a {s}b", now), int(0));
}

#[test]
fn copy_is_propagated_verbatim_and_replays() {
    let mut ks = Keyspace::new();
    let mut now = 1_795_000_000_000;
    rich(&mut ks, &mut now);
    ks.record_effects(true);
    ok(&mut ks, "COPY s c", now);
    ok(&mut ks, "COPY s c", now);
    ok(&mut ks, "COPY s c REPLACE", now);
    run(&mut ks, "COPY s s", now);
    let got: Vec<Vec<Bytes>> = ks.take_effects();
    assert_eq!(got, vec![args("COPY s c"), args("COPY s c REPLACE")]);
    // Replayed on a keyspace holding what the source held, the effects rebuild the copy.
    let mut replica = Keyspace::new();
    let mut then = 1_795_000_000_000;
    rich(&mut replica, &mut then);
    replica.set_replaying(true);
    for e in &got {
        assert!(!matches!(replica.execute(e, now), Reply::Error(_)), "{e:?}");
    }
    assert_eq!(
        snapshot(&mut replica, "c", now),
        snapshot(&mut ks, "c", now)
    );
    replica.check().expect("the replica's invariants");
    let dirty = ks.dirty();
    ok(&mut ks, "COPY s d", now);
    assert_eq!(ks.dirty(), dirty + 1);

    // Across keyspaces (brook serve's databases): recorded where the source is.
    let mut other = Keyspace::new();
    assert_eq!(ks.copy_to(b"s", &mut other, b"x", 3, false, now), Ok(true));
    assert_eq!(ks.copy_to(b"s", &mut other, b"x", 3, false, now), Ok(false));
    assert_eq!(
        ks.copy_to(b"nokey", &mut other, b"x", 3, true, now),
        Ok(false)
    );
    assert_eq!(ks.copy_to(b"s", &mut other, b"s", 3, true, now), Ok(true));
    assert_eq!(
        ks.take_effects(),
        vec![
            args("COPY s d"),
            args("COPY s x DB 3"),
            args("COPY s s DB 3 REPLACE")
        ]
    );
    other.check().expect("the other keyspace's invariants");
    assert_eq!(snapshot(&mut other, "x", now), snapshot(&mut ks, "s", now));
    assert_eq!(other.used_memory(), {
        let a = other.memory_usage(b"x").expect("x") + other.memory_usage(b"s").expect("s");
        a as u64
    });
}

/// Redis's `streamDup` rebuilds the PEL's delivery-time list by inserting the entries
/// in ID order: a copy orders entries delivered in the same millisecond by ID, where
/// the source orders them by delivery. XREADGROUP … CLAIM shows the order.
#[test]
fn the_copy_orders_equal_delivery_times_by_id() {
    let mut ks = Keyspace::new();
    let now = 1_795_000_000_000;
    for i in 1..=3 {
        ok(&mut ks, &format!("XADD s {i}-0 f v"), now);
    }
    ok(&mut ks, "XGROUP CREATE s g 0", now);
    ok(&mut ks, "XREADGROUP GROUP g a STREAMS s >", now);
    // 1-0 delivered again at the same time: last in the source's time order.
    ok(&mut ks, "XCLAIM s g b 0 1-0", now);
    ok(&mut ks, "COPY s c", now);
    let claimed = |ks: &mut Keyspace, key: &str| {
        let r = ok(
            ks,
            &format!("XREADGROUP GROUP g z COUNT 3 CLAIM 0 STREAMS {key} >"),
            now + 10,
        );
        format!("{r:?}")
    };
    let s = claimed(&mut ks, "s");
    let c = claimed(&mut ks, "c");
    let pos = |text: &str, id: &str| text.find(id).expect(id);
    assert!(pos(&s, "\"2-0\"") < pos(&s, "\"1-0\""), "source: {s}");
    assert!(pos(&c, "\"1-0\"") < pos(&c, "\"2-0\""), "copy: {c}");
}

/// `Engine::copy_to` locks both engines: copies in opposite directions at once never
/// deadlock, and each copy is whole.
#[test]
fn copies_between_engines_in_both_directions_do_not_deadlock() {
    use brook_engine::Engine;
    let (a, b) = (Engine::new(), Engine::new());
    for (e, key) in [(&a, "x"), (&b, "y")] {
        for i in 0..50 {
            e.execute_str(&["XADD", key, "*", "n", &i.to_string()]);
        }
    }
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..2000 {
                assert_eq!(a.copy_to("x", &b, "x", 1, true), Ok(true));
            }
        });
        scope.spawn(|| {
            for _ in 0..2000 {
                assert_eq!(b.copy_to("y", &a, "y", 0, true), Ok(true));
            }
        });
    });
    assert_eq!(a.xlen("y"), Ok(50));
    assert_eq!(b.xlen("x"), Ok(50));
    assert_eq!(a.copy_to("x", &a, "x", 0, true), Err(Error::SameObject));
    assert_eq!(a.copy("x", "z", false), Ok(true));
    assert_eq!(a.copy("x", "z", false), Ok(false));
}
