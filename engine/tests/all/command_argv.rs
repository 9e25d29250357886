//! `Command::to_argv` and `Command::parse`: every valid typed command survives the
//! trip through its argument vector (proptest over all variants and the option
//! combinations Redis accepts); hand-written argument vectors give the expected
//! commands or errors; and a command run through the command layer as its argument
//! vector does what `Command::apply` does.

use brook_engine::{
    ClaimTime, Command, CommandReply, Error, Expire, GroupReadId, GroupStart, Idempotency,
    RefPolicy, Reply, SetOptions, StreamId, TrimOptions, TrimStrategy, XAddId, XAddOptions,
    XAutoClaimOptions, XClaimOptions, XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
};

use brook_engine::frontend::{command_spec, Keyspace};
use bytes::Bytes;
use proptest::prelude::*;

/// The largest value a count Redis parses as a signed 64-bit integer can have.
const I64_MAX: u64 = i64::MAX as u64;
/// XAUTOCLAIM's largest COUNT.
const MAX_AUTOCLAIM_COUNT: u64 = (1 << 59) - 1;

fn args(line: &str) -> Vec<Bytes> {
    line.split_whitespace()
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

// ---------------------------------------------------------------------------------
// Generators: valid typed commands
// ---------------------------------------------------------------------------------

/// A name (key, group, consumer, field, value): often one of the words the parsers
/// look for, to catch a name taken for an option.
fn name() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "k", "s", "g", "c", "", "*", "$", ">", "+", "-", "0-0", "5", "COUNT", "STREAMS",
            "GROUP", "NOACK", "BLOCK", "IDS", "MAXLEN", "LIMIT", "IDLE", "JUSTID", "FORCE",
            "MKSTREAM", "DELREF", "NX", "GET", "FULL",
        ])
        .prop_map(b),
        1 => prop::collection::vec(any::<u8>(), 0..6).prop_map(Bytes::from),
    ]
}

/// A non-empty name (IDMP's producer and idempotent IDs).
fn nonempty_name() -> impl Strategy<Value = Bytes> {
    name().prop_filter("non-empty", |n| !n.is_empty())
}

fn id() -> impl Strategy<Value = StreamId> {
    prop_oneof![
        (0..4u64, 0..4u64).prop_map(|(ms, seq)| StreamId::new(ms, seq)),
        (any::<u64>(), any::<u64>()).prop_map(|(ms, seq)| StreamId::new(ms, seq)),
        Just(StreamId::MAX),
    ]
}

fn ids() -> impl Strategy<Value = Vec<StreamId>> {
    prop::collection::vec(id(), 1..4)
}

/// A count Redis reads as a signed integer.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![0..20u64, 0..=I64_MAX, Just(I64_MAX)]
}

fn signed() -> impl Strategy<Value = i64> {
    prop_oneof![-3..20i64, any::<i64>(), Just(i64::MIN), Just(i64::MAX)]
}

fn policy() -> impl Strategy<Value = RefPolicy> {
    prop_oneof![
        Just(RefPolicy::KeepRef),
        Just(RefPolicy::DelRef),
        Just(RefPolicy::Acked)
    ]
}

fn trim() -> impl Strategy<Value = TrimOptions> {
    let strategy = prop_oneof![
        count().prop_map(TrimStrategy::MaxLen),
        id().prop_map(TrimStrategy::MinId),
    ];
    (strategy, any::<bool>(), prop::option::of(count()), policy()).prop_map(
        |(strategy, approx, limit, policy)| {
            let mut o = TrimOptions::maxlen(0);
            o.strategy = strategy;
            o.approx = approx;
            o.limit = limit.filter(|_| approx); // LIMIT only with `~`.
            o.policy = policy;
            o
        },
    )
}

fn xadd() -> impl Strategy<Value = Command> {
    let add_id = prop_oneof![
        Just(XAddId::Auto),
        any::<u64>().prop_map(XAddId::AutoSeq),
        id().prop_map(XAddId::Explicit),
    ];
    let idmp = prop_oneof![
        (nonempty_name(), nonempty_name()).prop_map(|(pid, iid)| Idempotency::Given { pid, iid }),
        nonempty_name().prop_map(|pid| Idempotency::Auto { pid }),
    ];
    (
        name(),
        add_id,
        any::<bool>(),
        prop::option::of(trim()),
        prop::option::of(idmp),
        prop::collection::vec((name(), name()), 1..4),
    )
        .prop_map(|(key, id, nomkstream, trim, idmp, fields)| Command::XAdd {
            key,
            opts: {
                let mut o = XAddOptions::default();
                o.id = if idmp.is_some() { XAddId::Auto } else { id }; // IDMP only with `*`.
                o.nomkstream = nomkstream;
                o.trim = trim;
                o.idmp = idmp;
                o
            },
            fields,
        })
}

fn xread() -> impl Strategy<Value = Command> {
    let at = prop_oneof![
        id().prop_map(XReadId::After),
        Just(XReadId::Last),
        Just(XReadId::LastEntry),
    ];
    (
        prop::collection::vec((name(), at), 1..4),
        prop::option::of(count()),
    )
        .prop_map(|(streams, count)| Command::XRead { streams, count })
}

fn xreadgroup() -> impl Strategy<Value = Command> {
    let at = prop_oneof![Just(GroupReadId::New), id().prop_map(GroupReadId::After)];
    let opts = (
        prop::option::of(count()),
        any::<bool>(),
        prop::option::of(count()),
    )
        .prop_map(|(count, noack, claim)| {
            let mut o = XReadGroupOptions::default();
            o.count = count;
            o.noack = noack;
            o.claim = claim;
            o
        });
    (
        name(),
        name(),
        prop::collection::vec((name(), at), 1..4),
        opts,
    )
        .prop_map(|(group, consumer, streams, opts)| Command::XReadGroup {
            group,
            consumer,
            streams,
            opts,
        })
}

fn group_start() -> impl Strategy<Value = GroupStart> {
    prop_oneof![Just(GroupStart::Last), id().prop_map(GroupStart::Id)]
}

/// ENTRIESREAD as a client may give it: -1 or more.
fn entries_read() -> impl Strategy<Value = Option<i64>> {
    prop::option::of(prop_oneof![-1..5i64, -1..=i64::MAX])
}

fn xgroup() -> impl Strategy<Value = Command> {
    prop_oneof![
        (name(), name(), group_start(), any::<bool>(), entries_read()).prop_map(
            |(key, group, start, mkstream, entries_read)| Command::XGroupCreate {
                key,
                group,
                start,
                mkstream,
                entries_read,
            }
        ),
        (name(), name(), group_start(), entries_read()).prop_map(
            |(key, group, start, entries_read)| Command::XGroupSetId {
                key,
                group,
                start,
                entries_read,
            }
        ),
        (name(), name()).prop_map(|(key, group)| Command::XGroupDestroy { key, group }),
        (name(), name(), name()).prop_map(|(key, group, consumer)| {
            Command::XGroupCreateConsumer {
                key,
                group,
                consumer,
            }
        }),
        (name(), name(), name()).prop_map(|(key, group, consumer)| {
            Command::XGroupDelConsumer {
                key,
                group,
                consumer,
            }
        }),
    ]
}

fn xclaim() -> impl Strategy<Value = Command> {
    let time = prop_oneof![
        signed().prop_map(ClaimTime::Idle),
        signed().prop_map(ClaimTime::Time),
    ];
    let opts = (
        prop::option::of(time),
        prop::option::of(signed()),
        any::<bool>(),
        any::<bool>(),
        prop::option::of(id()),
    )
        .prop_map(|(time, retry_count, force, justid, last_id)| {
            let mut o = XClaimOptions::default();
            o.time = time;
            o.retry_count = retry_count;
            o.force = force;
            o.justid = justid;
            o.last_id = last_id;
            o
        });
    (
        name(),
        name(),
        name(),
        count(),
        prop::collection::vec(id(), 0..4),
        opts,
    )
        .prop_filter(
            "XCLAIM needs an ID or an option (its arity)",
            |(.., ids, opts)| !ids.is_empty() || *opts != XClaimOptions::default(),
        )
        .prop_map(
            |(key, group, consumer, min_idle_ms, ids, opts)| Command::XClaim {
                key,
                group,
                consumer,
                min_idle_ms,
                ids,
                opts,
            },
        )
}

fn xautoclaim() -> impl Strategy<Value = Command> {
    let opts = (
        prop_oneof![1..200u64, 1..=MAX_AUTOCLAIM_COUNT],
        any::<bool>(),
    )
        .prop_map(|(count, justid)| {
            let mut o = XAutoClaimOptions::default();
            o.count = count;
            o.justid = justid;
            o
        });
    (name(), name(), name(), count(), id(), opts).prop_map(
        |(key, group, consumer, min_idle_ms, start, opts)| Command::XAutoClaim {
            key,
            group,
            consumer,
            min_idle_ms,
            start,
            opts,
        },
    )
}

fn xpending() -> impl Strategy<Value = Command> {
    let range = (signed(), id(), id(), count(), prop::option::of(name())).prop_map(
        |(min_idle, start, end, count, consumer)| {
            let mut o = XPendingRange::new(start, end, count);
            o.min_idle = min_idle;
            o.consumer = consumer;
            o
        },
    );
    prop_oneof![
        (name(), name()).prop_map(|(key, group)| Command::XPending { key, group }),
        (name(), name(), range).prop_map(|(key, group, range)| Command::XPendingRange {
            key,
            group,
            range
        }),
    ]
}

fn xsetid() -> impl Strategy<Value = Command> {
    (
        name(),
        id(),
        prop::option::of(count()),
        prop::option::of(id()),
    )
        .prop_map(|(key, a, entries_added, md)| {
            // MAXDELETEDID not above the last ID.
            let (last_id, max_deleted_id) = match md {
                Some(m) => (a.max(m), Some(a.min(m))),
                None => (a, None),
            };
            Command::XSetId {
                key,
                opts: {
                    let mut o = XSetIdOptions::new(last_id);
                    o.entries_added = entries_added;
                    o.max_deleted_id = max_deleted_id;
                    o
                },
            }
        })
}

fn set() -> impl Strategy<Value = Command> {
    let expire = prop_oneof![
        Just(None),
        (1..=I64_MAX).prop_map(|ms| Some(Expire::After(ms))),
        (1..=I64_MAX).prop_map(|ms| Some(Expire::At(ms))),
        Just(Some(Expire::Keep)),
    ];
    let nx_xx = prop::sample::select(vec![(false, false), (true, false), (false, true)]);
    (name(), name(), nx_xx, expire).prop_map(|(key, value, (nx, xx), expire)| Command::Set {
        key,
        value,
        opts: {
            let mut o = SetOptions::default();
            o.nx = nx;
            o.xx = xx;
            o.expire = expire;
            o
        },
    })
}

/// Any valid typed command.
fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        xadd(),
        name().prop_map(|key| Command::XLen { key }),
        (name(), id(), id(), prop::option::of(count())).prop_map(|(key, start, end, count)| {
            Command::XRange {
                key,
                start,
                end,
                count,
            }
        }),
        (name(), id(), id(), prop::option::of(count())).prop_map(|(key, end, start, count)| {
            Command::XRevRange {
                key,
                end,
                start,
                count,
            }
        }),
        (name(), ids()).prop_map(|(key, ids)| Command::XDel { key, ids }),
        (name(), trim()).prop_map(|(key, opts)| Command::XTrim { key, opts }),
        xsetid(),
        xread(),
        xgroup(),
        xreadgroup(),
        (name(), name(), ids()).prop_map(|(key, group, ids)| Command::XAck { key, group, ids }),
        (name(), name(), ids(), policy()).prop_map(|(key, group, ids, policy)| {
            Command::XAckDel {
                key,
                group,
                ids,
                policy,
            }
        }),
        (name(), ids(), policy()).prop_map(|(key, ids, policy)| Command::XDelEx {
            key,
            ids,
            policy
        }),
        xpending(),
        xclaim(),
        xautoclaim(),
        name().prop_map(|key| Command::XInfoStream { key }),
        name().prop_map(|key| Command::XInfoGroups { key }),
        (name(), name()).prop_map(|(key, group)| Command::XInfoConsumers { key, group }),
        prop::collection::vec(name(), 1..4).prop_map(|keys| Command::Del { keys }),
        set(),
        name().prop_map(|key| Command::Get { key }),
        (name(), signed()).prop_map(|(key, by)| Command::IncrBy { key, by }),
    ]
}

/// XACK, XDEL, XACKDEL, XDELEX and XCLAIM with an empty ID list: typed commands whose
/// argument vector Redis refuses (the arity error, or XACKDEL's and XDELEX's own error
/// for `IDS 0` after a policy keyword) — except XCLAIM with an option, which runs.
fn empty_ids_command() -> impl Strategy<Value = Command> {
    let none = Vec::new;
    prop_oneof![
        name().prop_map(move |key| Command::XDel { key, ids: none() }),
        (name(), name()).prop_map(move |(key, group)| Command::XAck {
            key,
            group,
            ids: none()
        }),
        (name(), name(), policy()).prop_map(move |(key, group, policy)| Command::XAckDel {
            key,
            group,
            ids: none(),
            policy,
        }),
        (name(), policy()).prop_map(move |(key, policy)| Command::XDelEx {
            key,
            ids: none(),
            policy
        }),
        xclaim().prop_map(|mut c| {
            if let Command::XClaim { ids, opts, .. } = &mut c {
                ids.clear();
                // Half without options: the arity error.
                if opts.force {
                    *opts = XClaimOptions::default();
                }
            }
            c
        }),
    ]
}

/// The other lists a typed command may hold empty: XADD's fields, XREAD's and
/// XREADGROUP's streams, DEL's keys.
fn other_empty_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        xadd().prop_map(|mut c| {
            if let Command::XAdd { fields, .. } = &mut c {
                fields.clear();
            }
            c
        }),
        xread().prop_map(|mut c| {
            if let Command::XRead { streams, .. } = &mut c {
                streams.clear();
            }
            c
        }),
        xreadgroup().prop_map(|mut c| {
            if let Command::XReadGroup { streams, .. } = &mut c {
                streams.clear();
            }
            c
        }),
        Just(Command::Del { keys: vec![] }),
    ]
}

fn config(default_cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = default_cases;
    }
    c.failure_persistence = None;
    c
}

proptest! {
    #![proptest_config(config(256))]

    /// Every valid typed command reads back from its argument vector as itself, the
    /// argument vector passes the dispatcher's checks (name, arity), and the command's
    /// keys (what cluster routing and slot checks use) are those the command table's
    /// key positions find in the argument vector.
    #[test]
    fn argv_round_trip(c in command()) {
        let argv = c.to_argv();
        prop_assert!(Keyspace::check_command(&argv).is_ok(), "{argv:?}");
        let spec = command_spec(&argv[0])
            .and_then(|s| s.resolve(&argv).ok())
            .expect("a command in the table");
        prop_assert_eq!(spec.keys(&argv).collect::<Vec<_>>(), c.keys(), "{:?}", argv);
        prop_assert_eq!(Command::parse(&argv), Ok(c));
    }
}

// ---------------------------------------------------------------------------------
// Hand-written argument vectors
// ---------------------------------------------------------------------------------

#[test]
fn parses_hand_written_argvs() {
    let parse = |line: &str| Command::parse(&args(line));
    assert_eq!(
        parse("xadd s nomkstream maxlen ~ 10 limit 5 acked 7-* f v g w"),
        Ok(Command::XAdd {
            key: b("s"),
            opts: XAddOptions::default()
                .id(XAddId::AutoSeq(7))
                .nomkstream()
                .trim(
                    TrimOptions::maxlen(10)
                        .approx()
                        .limit(5)
                        .policy(RefPolicy::Acked),
                ),
            fields: vec![(b("f"), b("v")), (b("g"), b("w"))],
        })
    );
    assert_eq!(
        parse("XADD s IDMP p i * f v"),
        Ok(Command::XAdd {
            key: b("s"),
            opts: XAddOptions::default().idmp(Idempotency::Given {
                pid: b("p"),
                iid: b("i"),
            }),
            fields: vec![(b("f"), b("v"))],
        })
    );
    assert_eq!(
        parse("XREVRANGE s + (5-0 COUNT -3"),
        Ok(Command::XRevRange {
            key: b("s"),
            end: StreamId::MAX,
            start: StreamId::new(5, 1),
            count: Some(0),
        })
    );
    // BLOCK is checked, then ignored.
    assert_eq!(
        parse("xreadgroup group g c block 0 count 2 noack streams a b > 0-1"),
        Ok(Command::XReadGroup {
            group: b("g"),
            consumer: b("c"),
            streams: vec![
                (b("a"), GroupReadId::New),
                (b("b"), GroupReadId::After(StreamId::new(0, 1)))
            ],
            opts: XReadGroupOptions::default().count(2).noack(),
        })
    );
    assert_eq!(
        parse("XREAD BLOCK -1 STREAMS s $"),
        Err(Error::TimeoutNegative)
    );
    assert_eq!(
        parse("XREAD STREAMS s t $ +"),
        Ok(Command::XRead {
            streams: vec![(b("s"), XReadId::Last), (b("t"), XReadId::LastEntry)],
            count: None,
        })
    );
    assert_eq!(
        parse("XGROUP CREATE s g $ MKSTREAM ENTRIESREAD 3"),
        Ok(Command::XGroupCreate {
            key: b("s"),
            group: b("g"),
            start: GroupStart::Last,
            mkstream: true,
            entries_read: Some(3),
        })
    );
    assert_eq!(
        parse("XGROUP SETID s g - "),
        Ok(Command::XGroupSetId {
            key: b("s"),
            group: b("g"),
            start: GroupStart::Id(StreamId::new(0, 0)),
            entries_read: None,
        })
    );
    assert_eq!(
        parse("XCLAIM s g c -5 1-1 2 IDLE 10 RETRYCOUNT 3 JUSTID"),
        Ok(Command::XClaim {
            key: b("s"),
            group: b("g"),
            consumer: b("c"),
            min_idle_ms: 0,
            ids: vec![StreamId::new(1, 1), StreamId::new(2, 0)],
            opts: {
                let mut o = XClaimOptions::default();
                o.time = Some(ClaimTime::Idle(10));
                o.retry_count = Some(3);
                o.justid = true;
                o
            },
        })
    );
    assert_eq!(
        parse("XPENDING s g IDLE 100 - + 10 alice"),
        Ok(Command::XPendingRange {
            key: b("s"),
            group: b("g"),
            range: {
                let mut o = XPendingRange::new(StreamId::new(0, 0), StreamId::MAX, 10);
                o.min_idle = 100;
                o.consumer = Some(b("alice"));
                o
            },
        })
    );
    assert_eq!(
        parse("XDELEX s DELREF IDS 2 1-1 2-2"),
        Ok(Command::XDelEx {
            key: b("s"),
            ids: vec![StreamId::new(1, 1), StreamId::new(2, 2)],
            policy: RefPolicy::DelRef,
        })
    );
    assert_eq!(
        parse("SET k v XX EX 2"),
        Ok(Command::Set {
            key: b("k"),
            value: b("v"),
            opts: SetOptions::default().xx().expire(Expire::After(2000)),
        })
    );
    assert_eq!(parse("incr k"), Ok(Command::IncrBy { key: b("k"), by: 1 }));
    assert_eq!(
        parse("DECR k"),
        Ok(Command::IncrBy {
            key: b("k"),
            by: -1
        })
    );
    assert_eq!(
        parse("UNLINK a b"),
        Ok(Command::Del {
            keys: vec![b("a"), b("b")]
        })
    );
    assert_eq!(
        parse("XINFO CONSUMERS s g"),
        Ok(Command::XInfoConsumers {
            key: b("s"),
            group: b("g"),
        })
    );
}

#[test]
fn refuses_what_redis_refuses() {
    let parse = |line: &str| Command::parse(&args(line));
    // The dispatcher's errors first.
    assert_eq!(parse("XADD s"), Err(Error::WrongArity("xadd")));
    assert!(matches!(parse("NOSUCH a"), Err(Error::UnknownCommand(_))));
    assert_eq!(
        parse("XGROUP NOPE s g"),
        Err(Error::unknown_subcommand(b"NOPE", "XGROUP"))
    );
    // Commands and forms the enum does not have.
    for line in [
        "PING",
        "EXISTS k",
        "XGROUP HELP",
        "XINFO STREAM s FULL",
        "SET k v GET",
        "COPY a b",
    ] {
        assert_eq!(
            parse(line),
            Err(Error::unknown_command(&args(line))),
            "{line}"
        );
    }
    // Each command's own syntax errors, as the command layer gives them.
    for line in [
        "XADD s LIMIT 5 * f v",
        "XADD s MAXLEN = 5 LIMIT 5 * f v",
        "XADD s IDMP p i 1-1 f v",
        "XADD s * f",
        "XTRIM s LIMIT 5",
        "XTRIM s MAXLEN 5 KEEPREF DELREF",
        "XSETID s 5-5 MAXDELETEDID 6-0",
        "XRANGE s 5 x",
        "XREAD COUNT 1 STREAMS s",
        "XREAD STREAMS s >",
        "XREAD NOACK STREAMS s $",
        "XREADGROUP COUNT 1 STREAMS s >",
        "XREADGROUP GROUP g c STREAMS s $",
        "XACKDEL s g IDS 3 1-1",
        "XDELEX s IDS 0",
        "XAUTOCLAIM s g c 0 0 COUNT 0",
        "XPENDING s g - + x",
        "XGROUP CREATE s g 1-1 MKSTREAM ENTRIESREAD -2",
        "SET k v NX XX",
        "SET k v PX 0",
        "INCRBY k x",
    ] {
        // A stream with a group, so that the key's checks pass.
        let mut ks = Keyspace::new();
        ks.execute(&args("XADD s 1-1 f v"), 1_000);
        ks.execute(&args("XGROUP CREATE s g 0"), 1_000);
        let expected = match ks.execute(&args(line), 1_000) {
            Reply::Error(e) => e,
            other => panic!("{line}: the command layer answered {other:?}"),
        };
        assert_eq!(parse(line), Err(expected), "{line}");
    }
}

#[test]
fn writes_redis_argvs() {
    let argv = |c: &Command| -> Vec<String> {
        c.to_argv()
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    };
    let add = Command::XAdd {
        key: b("s"),
        opts: XAddOptions::default()
            .id(XAddId::Auto)
            .trim(TrimOptions::minid(StreamId::new(5, 0)).approx())
            .idmp(Idempotency::Auto { pid: b("p") }),
        fields: vec![(b("f"), b("v"))],
    };
    assert_eq!(
        argv(&add),
        ["XADD", "s", "IDMPAUTO", "p", "MINID", "~", "5-0", "*", "f", "v"]
    );
    let trim = Command::XTrim {
        key: b("s"),
        opts: TrimOptions::maxlen(0).policy(RefPolicy::DelRef),
    };
    assert_eq!(argv(&trim), ["XTRIM", "s", "MAXLEN", "=", "0", "DELREF"]);
    let del = Command::XAckDel {
        key: b("s"),
        group: b("g"),
        ids: vec![StreamId::new(1, 2)],
        policy: RefPolicy::KeepRef,
    };
    assert_eq!(argv(&del), ["XACKDEL", "s", "g", "IDS", "1", "1-2"]);
    let pending = Command::XPendingRange {
        key: b("s"),
        group: b("g"),
        range: XPendingRange::new(StreamId::new(0, 0), StreamId::MAX, 5),
    };
    assert_eq!(
        argv(&pending),
        [
            "XPENDING",
            "s",
            "g",
            "0-0",
            "18446744073709551615-18446744073709551615",
            "5"
        ]
    );
    let incr = Command::IncrBy {
        key: b("k"),
        by: i64::MIN,
    };
    assert_eq!(argv(&incr), ["INCRBY", "k", "-9223372036854775808"]);
}

// ---------------------------------------------------------------------------------
// The command layer and `Command::apply` agree
// ---------------------------------------------------------------------------------

/// `r` as a client receives it over RESP2 (`resp3` false: maps flattened, XREAD's
/// pairs as arrays) or RESP3, after the client library's decoding: both nulls one nil,
/// status replies other than OK as strings.
fn as_received(r: Reply, resp3: bool) -> Reply {
    let pair = |(k, v): (Reply, Reply)| (as_received(k, resp3), as_received(v, resp3));
    match r {
        Reply::NullArray => Reply::Null,
        Reply::Simple(s) if s != "OK" => Reply::Bulk(Bytes::from_static(s.as_bytes())),
        Reply::Array(items) => {
            Reply::Array(items.into_iter().map(|i| as_received(i, resp3)).collect())
        }
        Reply::Map(pairs) | Reply::PairMap(pairs) if resp3 => {
            Reply::Map(pairs.into_iter().map(pair).collect())
        }
        Reply::Map(pairs) => Reply::Array(
            pairs
                .into_iter()
                .map(pair)
                .flat_map(|(k, v)| [k, v])
                .collect(),
        ),
        Reply::PairMap(pairs) => Reply::Array(
            pairs
                .into_iter()
                .map(pair)
                .map(|(k, v)| Reply::Array(vec![k, v]))
                .collect(),
        ),
        other => other,
    }
}

/// Whether the command layer's reply, read back as a client of a server reads it (in
/// both protocols), is exactly what `apply` gave.
fn agree(c: &Command, reply: &Reply, applied: &Result<CommandReply, Error>) -> bool {
    [false, true]
        .into_iter()
        .all(|resp3| c.read_reply(as_received(reply.clone(), resp3)) == *applied)
}

/// What a keyspace holds, as replies.
fn state(ks: &mut Keyspace, now: u64) -> Vec<Reply> {
    let mut out = Vec::new();
    for key in ["s", "t", "k"] {
        for line in [
            format!("TYPE {key}"),
            format!("XINFO STREAM {key} FULL"),
            format!("XRANGE {key} - +"),
            format!("GET {key}"),
            format!("PTTL {key}"),
        ] {
            out.push(ks.execute(&args(&line), now));
        }
    }
    out
}

/// Commands on a few keys, with the numbers kept where the command layer and the
/// typed call see the same thing (XAUTOCLAIM's COUNT at most 2^31; a relative SET
/// expiry that does not overflow the clock).
fn narrow_command() -> impl Strategy<Value = Command> {
    let keys = || prop::sample::select(vec![b("s"), b("t"), b("k")]);
    prop_oneof![16 => command(), 2 => empty_ids_command(), 1 => other_empty_command()]
        .prop_filter_map("narrow", |c| {
            let c = match c {
                Command::XAutoClaim { opts, .. } if opts.count > 1 << 31 => return None,
                Command::Set {
                    opts:
                        SetOptions {
                            expire: Some(Expire::After(ms)),
                            ..
                        },
                    ..
                } if ms > 1 << 40 => return None,
                c => c,
            };
            Some(c)
        })
        .prop_flat_map(move |c| {
            (
                Just(c),
                keys(),
                keys(),
                prop::sample::select(vec![b("g"), b("h")]),
            )
        })
        .prop_map(|(c, k1, k2, g)| rename(c, k1, k2, g))
}

/// `c` on keys `k1` (and `k2` for a second stream) and group `g`.
fn rename(mut c: Command, k1: Bytes, k2: Bytes, g: Bytes) -> Command {
    match &mut c {
        Command::XRead { streams, .. } => {
            for (i, (k, _)) in streams.iter_mut().enumerate() {
                *k = if i % 2 == 0 { k1.clone() } else { k2.clone() };
            }
        }
        Command::XReadGroup { group, streams, .. } => {
            *group = g;
            for (i, (k, _)) in streams.iter_mut().enumerate() {
                *k = if i % 2 == 0 { k1.clone() } else { k2.clone() };
            }
        }
        Command::Del { keys } => {
            for (i, k) in keys.iter_mut().enumerate() {
                *k = if i % 2 == 0 { k1.clone() } else { k2.clone() };
            }
        }
        Command::XGroupCreate { key, group, .. }
        | Command::XGroupSetId { key, group, .. }
        | Command::XGroupDestroy { key, group }
        | Command::XGroupCreateConsumer { key, group, .. }
        | Command::XGroupDelConsumer { key, group, .. }
        | Command::XAck { key, group, .. }
        | Command::XAckDel { key, group, .. }
        | Command::XPending { key, group }
        | Command::XPendingRange { key, group, .. }
        | Command::XClaim { key, group, .. }
        | Command::XAutoClaim { key, group, .. }
        | Command::XInfoConsumers { key, group } => {
            *key = k1;
            *group = g;
        }
        Command::XAdd { key, .. }
        | Command::XLen { key }
        | Command::XRange { key, .. }
        | Command::XRevRange { key, .. }
        | Command::XDel { key, .. }
        | Command::XTrim { key, .. }
        | Command::XSetId { key, .. }
        | Command::XDelEx { key, .. }
        | Command::XInfoStream { key }
        | Command::XInfoGroups { key }
        | Command::Set { key, .. }
        | Command::Get { key }
        | Command::IncrBy { key, .. } => *key = k1,
        // `Command` is non-exhaustive: a command added later keeps its own keys.
        _ => {}
    }
    c
}

/// Streams with entries and a group to start from, on both keyspaces.
fn seed() -> Vec<Command> {
    let add = |key: &str, ms: u64| Command::XAdd {
        key: b(key),
        opts: XAddOptions::with_id(StreamId::new(ms, 0)),
        fields: vec![(b("f"), b("v"))],
    };
    vec![
        add("s", 1),
        add("s", 2),
        add("s", 3),
        add("t", 1),
        Command::XGroupCreate {
            key: b("s"),
            group: b("g"),
            start: GroupStart::Id(StreamId::new(0, 0)),
            mkstream: false,
            entries_read: None,
        },
        Command::XReadGroup {
            group: b("g"),
            consumer: b("c"),
            streams: vec![(b("s"), GroupReadId::New)],
            opts: XReadGroupOptions::default().count(2),
        },
    ]
}

proptest! {
    #![proptest_config(config(64))]

    /// A sequence of commands run as argument vectors through the command layer and
    /// as typed commands through `apply` gives the same replies (the layer's reply read
    /// back with `Command::read_reply`, as brook-redis reads a server's) and the same
    /// keyspace.
    #[test]
    fn execute_matches_apply(cmds in prop::collection::vec(narrow_command(), 1..12)) {
        let now = 1_000_000;
        let (mut by_argv, mut typed) = (Keyspace::new(), Keyspace::new());
        for (i, c) in seed().iter().chain(&cmds).enumerate() {
            let reply = by_argv.execute(&c.to_argv(), now);
            let applied = c.apply(&mut typed, now);
            prop_assert!(agree(c, &reply, &applied), "step {i} {c:?}: {reply:?} vs {applied:?}");
        }
        prop_assert_eq!(state(&mut by_argv, now), state(&mut typed, now));
    }
}

/// The typed commands with an empty ID list answer what Redis answers the argument
/// vectors `to_argv` writes for them (checked by hand against Redis 7.0.15 and 8.6.3;
/// XACKDEL and XDELEX against 8.6.3), on a missing key, a key of another type and a
/// stream with its group: the arity error before anything else, and XACKDEL's and
/// XDELEX's `IDS 0` error after WRONGTYPE. Nothing changes but what XCLAIM with an
/// option changes as Redis 8.6.3 does (it creates the consumer; LASTID moves the group).
#[test]
fn empty_id_lists_answer_as_redis_does() {
    let now = 1_000_000;
    let arity = |name: &str| {
        Err(format!(
            "ERR wrong number of arguments for '{name}' command"
        ))
    };
    let numids = || Err("ERR Number of IDs must be a positive integer".to_string());
    let wrongtype =
        || Err("WRONGTYPE Operation against a key holding the wrong kind of value".to_string());
    let claim = |key: &str, opts: XClaimOptions| Command::XClaim {
        key: b(key),
        group: b("g"),
        consumer: b("c"),
        min_idle_ms: 0,
        ids: vec![],
        opts,
    };
    for (key, exists) in [("none", false), ("str", false), ("s", true)] {
        let is_str = key == "str";
        let mut cases: Vec<(Command, Result<String, String>)> = vec![
            (
                Command::XAck {
                    key: b(key),
                    group: b("g"),
                    ids: vec![],
                },
                arity("xack"),
            ),
            (
                Command::XDel {
                    key: b(key),
                    ids: vec![],
                },
                arity("xdel"),
            ),
            (claim(key, XClaimOptions::default()), arity("xclaim")),
            (
                claim(key, XClaimOptions::default().justid()),
                match key {
                    "str" => wrongtype(),
                    "none" => Err("NOGROUP No such key 'none' or consumer group 'g'".to_string()),
                    _ => Ok("Claimed(Ids([]))".to_string()),
                },
            ),
        ];
        for policy in [RefPolicy::KeepRef, RefPolicy::DelRef, RefPolicy::Acked] {
            let refused = |name| match policy {
                RefPolicy::KeepRef => arity(name),
                _ if is_str => wrongtype(),
                _ => numids(),
            };
            cases.push((
                Command::XAckDel {
                    key: b(key),
                    group: b("g"),
                    ids: vec![],
                    policy,
                },
                refused("xackdel"),
            ));
            cases.push((
                Command::XDelEx {
                    key: b(key),
                    ids: vec![],
                    policy,
                },
                refused("xdelex"),
            ));
        }
        for (c, want) in cases {
            let (mut by_argv, mut typed) = (Keyspace::new(), Keyspace::new());
            for ks in [&mut by_argv, &mut typed] {
                ks.execute(&args("XADD s 1-1 f v"), now);
                ks.execute(&args("XGROUP CREATE s g 0"), now);
                ks.execute(&args("SET str x"), now);
            }
            let before = state(&mut typed, now);
            let applied = c.apply(&mut typed, now);
            let got = applied
                .clone()
                .map(|r| format!("{r:?}"))
                .map_err(|e| e.to_string());
            assert_eq!(got, want, "{c:?}");
            let reply = by_argv.execute(&c.to_argv(), now);
            assert!(
                agree(&c, &reply, &applied),
                "{c:?}: {reply:?} vs {applied:?}"
            );
            if got.is_err() {
                assert_eq!(state(&mut typed, now), before, "{c:?} changed nothing");
            }
            assert_eq!(state(&mut by_argv, now), state(&mut typed, now), "{c:?}");
            if exists && got.is_ok() {
                let consumers = typed.execute(&args("XINFO CONSUMERS s g"), now);
                assert!(
                    matches!(&consumers, Reply::Array(c) if c.len() == 1),
                    "XCLAIM with JUSTID and no IDs creates the consumer, as Redis 8.6.3 does: {consumers:?}"
                );
            }
        }
    }
    // LASTID with no IDs moves the group's last-delivered-id.
    let mut ks = Keyspace::new();
    ks.execute(&args("XADD s 1-1 f v"), now);
    ks.execute(&args("XGROUP CREATE s g 0"), now);
    let mut opts = XClaimOptions::default();
    opts.last_id = Some(StreamId::new(5, 5));
    assert_eq!(
        claim("s", opts).apply(&mut ks, now),
        Ok(CommandReply::Claimed(brook_engine::Claimed::Entries(
            vec![]
        )))
    );
    let groups = format!("{:?}", ks.execute(&args("XINFO GROUPS s"), now));
    assert!(groups.contains("5-5"), "{groups}");
}
