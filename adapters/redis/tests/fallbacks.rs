//! The Lua fallbacks where they are reached other than by a command on its own, against
//! the engine (the oracle's behaviour, Redis 8.6): each scenario runs on a fresh
//! [`Engine`] and through the adapter on a private server, and every reply is compared.
//!
//! * Pipelines and MULTI batches with XREADGROUP … CLAIM on Redis 7.0, which lacks the
//!   option (the adapter sends the claim script in the batch).
//! * mark-and-ack-if-new with writes that need a fallback on Redis 7.0 (XACKDEL, XDELEX,
//!   XTRIM and XADD trimming with DELREF/ACKED, XREADGROUP … CLAIM): the script runs
//!   the fallbacks' Lua inside itself; the replies and the final state match.
//! * Empty ID lists (and the other empty lists a typed command can hold) answered as
//!   Redis answers the argument vectors, alone, in a pipeline and in MULTI, on Redis 7.0
//!   and 8.6.3.
//!
//! The Redis 8.6.3 runs repeat the first two with the adapter forced onto its
//! fallbacks ([`RedisOptions::lua_fallbacks`]) and natively. Idle times (set apart by
//! seconds with XCLAIM … IDLE) are compared within [`TOLERANCE_MS`].

use std::time::Duration;

use brook_engine::{
    ClaimTime, Command, CommandReply, Engine, Error, GroupReadId, GroupStart, RefPolicy, StreamId,
    Streams, TrimOptions, WorkerOps, XAddId, XAddOptions, XClaimOptions, XPendingRange,
    XReadGroupOptions, XReadId,
};
use brook_redis::{RedisOptions, RedisStreams};
use brook_test_support::{ServerGuard, ServerKind};
use bytes::Bytes;

/// How far apart the two sides' idle times may be (ms).
const TOLERANCE_MS: u64 = 1000;

type Replies = Vec<Result<CommandReply, Error>>;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

async fn connect(server: &ServerGuard, lua: bool) -> RedisStreams {
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", server.port());
    let opts = RedisOptions {
        lua_fallbacks: lua,
        ..RedisOptions::default()
    };
    RedisStreams::connect_with(&url, opts)
        .await
        .expect("connect")
}

fn xadd(key: &str, at: StreamId) -> Command {
    Command::XAdd {
        key: b(key),
        opts: XAddOptions::with_id(XAddId::Explicit(at)),
        fields: vec![(b("f"), Bytes::from(at.to_string()))],
    }
}

fn group(key: &str, name: &str, at: StreamId) -> Command {
    Command::XGroupCreate {
        key: b(key),
        group: b(name),
        start: GroupStart::Id(at),
        mkstream: false,
        entries_read: None,
    }
}

fn read(consumer: &str, keys: &[&str], opts: XReadGroupOptions) -> Command {
    Command::XReadGroup {
        group: b("g"),
        consumer: b(consumer),
        streams: keys.iter().map(|k| (b(k), GroupReadId::New)).collect(),
        opts,
    }
}

fn claim_opts(min_idle_ms: u64, count: Option<u64>) -> XReadGroupOptions {
    let mut o = XReadGroupOptions::default().claim(Duration::from_millis(min_idle_ms));
    o.count = count;
    o
}

/// `XCLAIM key g owner 0 id IDLE idle_ms JUSTID`: the entry's last delivery `idle_ms`
/// ago (the owner already has it: no delivery counted).
fn age(key: &str, owner: &str, at: StreamId, idle_ms: i64) -> Command {
    let mut opts = XClaimOptions::default().justid();
    opts.time = Some(ClaimTime::Idle(idle_ms));
    Command::XClaim {
        key: b(key),
        group: b("g"),
        consumer: b(owner),
        min_idle_ms: 0,
        ids: vec![at],
        opts,
    }
}

fn pending(key: &str, name: &str) -> Command {
    Command::XPendingRange {
        key: b(key),
        group: b(name),
        range: XPendingRange::new(StreamId::MIN, StreamId::MAX, 100),
    }
}

/// Runs `cmds` one by one (each answer kept).
async fn each<S: Streams>(s: &S, cmds: &[Command]) -> Replies {
    let mut out = Vec::new();
    for c in cmds {
        out.push(s.run(c).await);
    }
    out
}

/// The server's replies with their idle times taken from ours where they are within
/// [`TOLERANCE_MS`] (a pair further apart is left to fail the comparison).
fn normalize(ours: &Replies, theirs: &mut Replies) {
    let near = |a: u64, b: &mut u64| {
        if a.abs_diff(*b) <= TOLERANCE_MS {
            *b = a;
        }
    };
    for (a, b) in ours.iter().zip(theirs.iter_mut()) {
        match (a, b) {
            (Ok(CommandReply::ReadGroup(x)), Ok(CommandReply::ReadGroup(y))) => {
                for (s, t) in x.iter().zip(y.iter_mut()) {
                    for (e, f) in s.entries.iter().zip(t.entries.iter_mut()) {
                        if let (Some(i), Some(j)) = (e.claim, f.claim.as_mut()) {
                            near(i.idle, &mut j.idle);
                        }
                    }
                }
            }
            (Ok(CommandReply::Pending(x)), Ok(CommandReply::Pending(y))) => {
                for (p, q) in x.iter().zip(y.iter_mut()) {
                    near(p.idle, &mut q.idle);
                }
            }
            _ => {}
        }
    }
}

fn assert_same(what: &str, label: &str, ours: &Replies, mut theirs: Replies) {
    normalize(ours, &mut theirs);
    assert_eq!(ours.len(), theirs.len(), "{what}: one reply per command");
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(
            a, b,
            "{what} #{i} on {label}\n engine: {a:?}\n {label}: {b:?}"
        );
    }
}

/// XREADGROUP … CLAIM in a pipeline and in a MULTI batch, then the PELs.
async fn claim_batches<S: Streams>(s: &S) -> Result<Vec<(&'static str, Replies)>, Error> {
    let mut setup: Vec<Command> = (1..=5).map(|n| xadd("s", id(1, n))).collect();
    setup.extend([
        xadd("t", id(1, 1)),
        group("s", "g", StreamId::MIN),
        group("t", "g", StreamId::MIN),
        read("alice", &["s"], XReadGroupOptions::default().count(3)),
        // Delivery order, oldest first: 1-3, 1-1, 1-2.
        age("s", "alice", id(1, 3), 5000),
        age("s", "alice", id(1, 1), 3000),
        age("s", "alice", id(1, 2), 2000),
    ]);
    let setup = each(s, &setup).await;
    let pipeline = s
        .pipeline(&[
            // 1-3 and 1-1 claimed (idle 5000 and 3000), oldest first; COUNT stops there.
            read("bob", &["s"], claim_opts(2500, Some(2))),
            pending("s", "g"),
            // Nothing idle for an hour: the new entries, in CLAIM's shape.
            read("carol", &["s"], claim_opts(3_600_000, None)),
            // NOACK, and a stream with an explicit ID after one with `>`.
            Command::XReadGroup {
                group: b("g"),
                consumer: b("dan"),
                streams: vec![
                    (b("t"), GroupReadId::New),
                    (b("s"), GroupReadId::After(StreamId::MIN)),
                ],
                opts: claim_opts(3_600_000, Some(1)).noack(),
            },
        ])
        .await?;
    let atomic = s
        .atomic(&[
            xadd("s", id(1, 6)),
            // The oldest delivery (1-2, idle 2000 and more) alone.
            read("erin", &["s"], claim_opts(0, Some(1))),
            Command::XAck {
                key: b("s"),
                group: b("g"),
                ids: vec![id(1, 2)],
            },
            read("frank", &["s", "t"], claim_opts(3_600_000, None)),
            Command::XPending {
                key: b("s"),
                group: b("g"),
            },
            Command::XReadGroup {
                group: b("nogroup"),
                consumer: b("x"),
                streams: vec![(b("s"), GroupReadId::New)],
                opts: claim_opts(0, None),
            },
        ])
        .await?;
    let state = each(s, &[pending("s", "g"), pending("t", "g")]).await;
    Ok(vec![
        ("setup", setup),
        ("pipeline", pipeline),
        ("atomic", atomic),
        ("state", state),
    ])
}

/// mark-and-ack-if-new whose writes need every fallback, then a duplicate, then the
/// state.
async fn mark_and_ack<S: WorkerOps>(s: &S) -> Result<Vec<(&'static str, Replies)>, Error> {
    let mut setup: Vec<Command> = (1..=8).map(|n| xadd("s", id(1, n))).collect();
    setup.extend((1..=3).map(|n| xadd("s2", id(1, n))));
    setup.extend([
        group("s", "g", StreamId::MIN),
        read("alice", &["s"], XReadGroupOptions::default().count(4)),
        // A second group past 1-6: IDs above 1-4 (g's last delivery) are referenced.
        group("s", "g2", id(1, 6)),
        group("s2", "g", StreamId::MIN),
        read("bob", &["s2"], XReadGroupOptions::default().count(1)),
        age("s", "alice", id(1, 4), 4000),
        Command::Set {
            key: b("str"),
            value: b("x"),
            opts: Default::default(),
        },
    ]);
    let setup = each(s, &setup).await;
    let effects = [
        // 1-2 pending in g, not referenced once acknowledged: deleted; 1-9 not pending.
        Command::XAckDel {
            key: b("s"),
            group: b("g"),
            ids: vec![id(1, 2), id(1, 9)],
            policy: RefPolicy::Acked,
        },
        // Purged from g's PEL and deleted.
        Command::XDelEx {
            key: b("s"),
            ids: vec![id(1, 3), id(1, 5)],
            policy: RefPolicy::DelRef,
        },
        // 1-1 (acknowledged by the commit) goes; 1-4 pending and the rest referenced.
        Command::XTrim {
            key: b("s"),
            opts: TrimOptions::maxlen(2).policy(RefPolicy::Acked),
        },
        // Adds 1-4, then trims s2 to it, purging 1-1 from g's PEL.
        Command::XAdd {
            key: b("s2"),
            opts: XAddOptions::with_id(XAddId::Explicit(id(1, 4)))
                .trim(TrimOptions::maxlen(1).policy(RefPolicy::DelRef)),
            fields: vec![(b("f"), b("new"))],
        },
        // Claims 1-4 (idle 4000), then the new 1-6, 1-7, 1-8.
        read("carol", &["s"], claim_opts(1000, None)),
        // Errors in place: an empty ID list (the arity error), the fallbacks' own.
        Command::XAck {
            key: b("s"),
            group: b("g"),
            ids: vec![],
        },
        Command::XDelEx {
            key: b("str"),
            ids: vec![id(1, 1)],
            policy: RefPolicy::KeepRef,
        },
        Command::XAckDel {
            key: b("s"),
            group: b("g"),
            ids: vec![],
            policy: RefPolicy::DelRef,
        },
        Command::XAckDel {
            key: b("s"),
            group: b("g"),
            ids: vec![],
            policy: RefPolicy::KeepRef,
        },
        Command::IncrBy { key: b("s"), by: 1 },
        Command::XTrim {
            key: b("nokey"),
            opts: TrimOptions::minid(id(5, 0)).policy(RefPolicy::DelRef),
        },
        Command::XReadGroup {
            group: b("nogroup"),
            consumer: b("x"),
            streams: vec![(b("s"), GroupReadId::New)],
            opts: claim_opts(0, None),
        },
    ];
    let first = s
        .mark_and_ack_if_new(
            b"s",
            b"g",
            id(1, 1),
            b"done:7",
            Duration::from_secs(100),
            &effects,
        )
        .await?
        .expect("a new marker");
    // The same marker again: acknowledged, nothing applied.
    let again = s
        .mark_and_ack_if_new(
            b"s",
            b"g",
            id(1, 6),
            b"done:7",
            Duration::from_secs(100),
            &effects,
        )
        .await?;
    assert!(again.is_none(), "a duplicate applies nothing: {again:?}");
    let mut state = each(
        s,
        &[
            Command::XRange {
                key: b("s"),
                start: StreamId::MIN,
                end: StreamId::MAX,
                count: None,
            },
            Command::XRange {
                key: b("s2"),
                start: StreamId::MIN,
                end: StreamId::MAX,
                count: None,
            },
            pending("s", "g"),
            pending("s", "g2"),
            pending("s2", "g"),
            Command::Get { key: b("done:7") },
        ],
    )
    .await;
    // The groups, without entries-read and lag (Redis 7.0 has its own rules for them).
    for key in ["s", "s2"] {
        let mut groups = s.xinfo_groups(key).await;
        if let Ok(gs) = &mut groups {
            for g in gs.iter_mut() {
                g.entries_read = None;
                g.lag = None;
            }
        }
        state.push(groups.map(CommandReply::Groups));
    }
    Ok(vec![("setup", setup), ("effects", first), ("state", state)])
}

/// Compares `scenario` on a fresh engine and on `server` (flushed), through the adapter
/// natively and, where `lua`, forced onto its fallbacks.
fn compare<F>(kind: ServerKind, lua: &[bool], scenario: F)
where
    F: for<'a> Fn(&'a Backend) -> futures_like::Boxed<'a>,
{
    let Some(server) = ServerGuard::start(kind) else {
        return;
    };
    let rt = rt();
    let engine = Backend::Engine(Engine::new());
    let ours = rt.block_on(scenario(&engine)).expect("engine");
    for &forced in lua {
        let mut conn = server.connect();
        conn.call(&[b"FLUSHALL"]);
        let redis = Backend::Redis(rt.block_on(connect(&server, forced)));
        let label = format!(
            "{kind} {}{}",
            server.version(),
            if forced { " with Lua fallbacks" } else { "" }
        );
        let theirs = rt
            .block_on(scenario(&redis))
            .unwrap_or_else(|e| panic!("{label}: {e:?}"));
        assert_eq!(ours.len(), theirs.len());
        for ((what, a), (_, b)) in ours.iter().zip(theirs) {
            assert_same(what, &label, a, b);
        }
    }
}

/// The two backends behind one type, so a scenario is one function.
enum Backend {
    Engine(Engine),
    Redis(RedisStreams),
}

/// Boxed futures without a dependency for it.
mod futures_like {
    use std::future::Future;
    use std::pin::Pin;

    use brook_engine::{CommandReply, Error};

    pub type Boxed<'a> = Pin<
        Box<
            dyn Future<
                    Output = Result<Vec<(&'static str, Vec<Result<CommandReply, Error>>)>, Error>,
                > + Send
                + 'a,
        >,
    >;
}

#[test]
fn batches_with_claim_match_the_engine_on_redis7() {
    compare(ServerKind::Redis, &[false], |s| match s {
        Backend::Engine(e) => Box::pin(claim_batches(e)),
        Backend::Redis(r) => Box::pin(claim_batches(r)),
    });
}

#[test]
fn batches_with_claim_match_the_engine_on_redis8() {
    compare(ServerKind::Redis8, &[false, true], |s| match s {
        Backend::Engine(e) => Box::pin(claim_batches(e)),
        Backend::Redis(r) => Box::pin(claim_batches(r)),
    });
}

#[test]
fn mark_and_ack_with_writes_that_need_fallbacks_matches_the_engine_on_redis7() {
    compare(ServerKind::Redis, &[false], |s| match s {
        Backend::Engine(e) => Box::pin(mark_and_ack(e)),
        Backend::Redis(r) => Box::pin(mark_and_ack(r)),
    });
}

#[test]
fn mark_and_ack_with_writes_that_need_fallbacks_matches_the_engine_on_redis8() {
    compare(ServerKind::Redis8, &[false, true], |s| match s {
        Backend::Engine(e) => Box::pin(mark_and_ack(e)),
        Backend::Redis(r) => Box::pin(mark_and_ack(r)),
    });
}

/// Typed commands with empty lists on a missing key, a string and a stream with a
/// group: alone, in a pipeline, and in MULTI (which EXEC discards whole).
async fn empty_lists<S: Streams>(s: &S) -> Result<Vec<(&'static str, Replies)>, Error> {
    let setup = each(
        s,
        &[
            xadd("s", id(1, 1)),
            group("s", "g", StreamId::MIN),
            Command::Set {
                key: b("str"),
                value: b("x"),
                opts: Default::default(),
            },
        ],
    )
    .await;
    let mut cmds = Vec::new();
    for key in ["none", "str", "s"] {
        cmds.extend([
            Command::XAck {
                key: b(key),
                group: b("g"),
                ids: vec![],
            },
            Command::XDel {
                key: b(key),
                ids: vec![],
            },
            Command::XClaim {
                key: b(key),
                group: b("g"),
                consumer: b("c"),
                min_idle_ms: 0,
                ids: vec![],
                opts: XClaimOptions::default(),
            },
            Command::XClaim {
                key: b(key),
                group: b("g"),
                consumer: b("c"),
                min_idle_ms: 0,
                ids: vec![],
                opts: XClaimOptions::default().justid(),
            },
        ]);
        for policy in [RefPolicy::KeepRef, RefPolicy::DelRef, RefPolicy::Acked] {
            cmds.push(Command::XAckDel {
                key: b(key),
                group: b("g"),
                ids: vec![],
                policy,
            });
            cmds.push(Command::XDelEx {
                key: b(key),
                ids: vec![],
                policy,
            });
        }
    }
    cmds.extend([
        Command::XRead {
            streams: vec![],
            count: None,
        },
        Command::XRead {
            streams: vec![],
            count: Some(1),
        },
        read("c", &[], XReadGroupOptions::default()),
        read("c", &[], XReadGroupOptions::default().count(1)),
        read("c", &[], claim_opts(0, None)),
        Command::Del { keys: vec![] },
        Command::XAdd {
            key: b("s"),
            opts: XAddOptions::default(),
            fields: vec![],
        },
    ]);
    let alone = each(s, &cmds).await;
    let pipeline = s.pipeline(&cmds).await?;
    // Typed calls (the trait's methods, which the engine overrides).
    let none: [StreamId; 0] = [];
    let typed = vec![
        s.xack("s", "g", &none).await.map(CommandReply::Count),
        s.xdel("s", &none).await.map(CommandReply::Count),
        s.xackdel("s", "g", &none, RefPolicy::Acked)
            .await
            .map(CommandReply::Codes),
        s.xdelex("str", &none, RefPolicy::DelRef)
            .await
            .map(CommandReply::Codes),
        s.xclaim(
            "s",
            "g",
            "c",
            Duration::ZERO,
            &none,
            &XClaimOptions::default(),
        )
        .await
        .map(CommandReply::Claimed),
        s.xread(&[] as &[(&str, XReadId)], None, None)
            .await
            .map(CommandReply::Read),
        s.del(&[] as &[&str]).await.map(CommandReply::Count),
    ];
    // One refused command discards the transaction: nothing runs.
    let atomic = vec![
        s.atomic(&[xadd("s", id(2, 1)), cmds[0].clone()])
            .await
            .map(|_| CommandReply::Ok),
        s.xlen("s").await.map(CommandReply::Count),
    ];
    Ok(vec![
        ("setup", setup),
        ("alone", alone),
        ("pipeline", pipeline),
        ("typed", typed),
        ("atomic", atomic),
    ])
}

#[test]
fn empty_lists_answer_as_redis7_does() {
    compare(ServerKind::Redis, &[false], |s| match s {
        Backend::Engine(e) => Box::pin(empty_lists(e)),
        Backend::Redis(r) => Box::pin(empty_lists(r)),
    });
}

#[test]
fn empty_lists_answer_as_redis8_does() {
    compare(ServerKind::Redis8, &[false, true], |s| match s {
        Backend::Engine(e) => Box::pin(empty_lists(e)),
        Backend::Redis(r) => Box::pin(empty_lists(r)),
    });
}

/// What the adapter answers for a transaction with an empty ID list without sending it
/// ([`Error::ExecAbort`]) is what a server answers: MULTI refuses the command when it is
/// queued (the arity error) and EXEC discards the transaction.
#[test]
fn exec_discards_a_transaction_with_an_empty_id_list() {
    for kind in [ServerKind::Redis, ServerKind::Redis8] {
        let Some(server) = ServerGuard::start(kind) else {
            continue;
        };
        let mut conn = server.connect();
        let text = |f: brook_test_support::Frame| match f {
            brook_test_support::Frame::Error(e) => String::from_utf8_lossy(&e).into_owned(),
            other => panic!("{kind}: an error, not {other:?}"),
        };
        conn.call(&[b"MULTI"]);
        conn.call(&[b"XADD", b"s", b"1-1", b"f", b"v"]);
        let queued = conn.call(&[b"XACK", b"s", b"g"]);
        assert_eq!(
            text(queued),
            Error::WrongArity("xack").to_string(),
            "{kind}"
        );
        let exec = conn.call(&[b"EXEC"]);
        assert_eq!(text(exec), Error::ExecAbort.to_string(), "{kind}");
        assert_eq!(
            conn.call(&[b"XLEN", b"s"]),
            brook_test_support::Frame::Integer(0),
            "{kind}: nothing ran"
        );
    }
}
