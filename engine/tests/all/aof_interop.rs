//! A directory Redis wrote loads into brook with the state Redis itself loads from it.
//!
//! Redis 8.6.3 runs with `appendonly yes`, `aof-use-rdb-preamble no` and `appendfsync
//! always` under the differential generator's random workload (every stream, group,
//! IDMP and string command with Redis 8.6's options), with a `BGREWRITEAOF` halfway, so
//! the directory holds a base file that Redis's rewrite wrote and an incremental file.
//! Then Redis is killed (SIGKILL) and restarted on its directory, and brook loads the
//! same directory (`brook_engine::aof::load_dir`). Every key must then be the same on
//! both: its type; for a stream `XINFO STREAM key FULL COUNT 0` — entries, IDs and
//! counters, groups with their PEL (owners, delivery times and counts), consumers and
//! IDMP state — less the consumers' seen/active times (set by the load itself) and the
//! node counts (how entries fall into nodes); for a string its value.
//!
//! Steps: `BROOK_AOF_STEPS` (default 3000); seed: `BROOK_AOF_SEED`.
//!
//! One difference is known and blanked: a group whose `entries-read` went past
//! `i64::MAX` (only after `XSETID … ENTRIESADDED` near it) is written wrapped, below -1;
//! Redis refuses such an `XGROUP … ENTRIESREAD` when it loads it (and with it the
//! group's new ID), brook takes it as the origin held it. Redis's clamping of a
//! replayed `ENTRIESREAD` to `entries-added` brook does as Redis does.

use std::time::{Duration, Instant};

use brook_engine::aof::load_dir;
use brook_engine::frontend::{Keyspace, Protocol};
use brook_engine::Reply;
use brook_test_support::{Frame, ServerKind};
use bytes::Bytes;

use crate::effects::without_consumer_times;
use crate::gen::{Gen, View, ALL_KEYS};
use crate::oracle::{to_frame, Oracle};
use crate::rng::Rng;

fn words(w: &[&str]) -> Vec<Vec<u8>> {
    w.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An XINFO FULL reply with `last-delivered-id`, `entries-read` and `lag` blanked for
/// each group whose counter went past `i64::MAX` (shown negative) on brook's side: a
/// replayed `XGROUP … ENTRIESREAD` below -1 is such a counter, written wrapped; Redis
/// refuses the whole command when it loads it (the group keeps its old ID), brook
/// takes it as the origin held it. `groups` collects the groups (by key and name) from
/// brook's side, which is read first; the other side blanks the same groups. A
/// stream's own counters past `i64::MAX` are blanked likewise (marked with an empty
/// group name).
fn wrapped_counters_blanked(
    f: Frame,
    key: &str,
    ours: bool,
    groups: &mut std::collections::BTreeSet<(String, Vec<u8>)>,
) -> Frame {
    let Frame::Array(mut items) = f else {
        return f;
    };
    let at = |fields: &[Frame], name: &[u8]| {
        fields
            .iter()
            .position(|i| matches!(i, Frame::Bulk(b) if &b[..] == name))
            .map(|i| i + 1)
    };
    // A stream's entries-added past i64::MAX: a rewrite writes it negative in its
    // XSETID, which Redis refuses as a whole (brook takes it back).
    // IDMP's counters: a rewrite rebuilds the records, not the counts (as Redis's).
    for field in [&b"iids-added"[..], b"iids-duplicates"] {
        if let Some(v) = at(&items, field).and_then(|i| items.get_mut(i)) {
            *v = Frame::Null;
        }
    }
    let stream_mark = (key.to_string(), Vec::new());
    let added = at(&items, b"entries-added").and_then(|i| items.get(i));
    if ours && matches!(added, Some(Frame::Integer(n)) if *n < 0) {
        groups.insert(stream_mark.clone());
    }
    let whole = groups.contains(&stream_mark);
    if whole {
        for field in [
            &b"entries-added"[..],
            b"last-generated-id",
            b"max-deleted-entry-id",
        ] {
            if let Some(v) = at(&items, field).and_then(|i| items.get_mut(i)) {
                *v = Frame::Null;
            }
        }
    }
    if let Some(Some(Frame::Array(list))) = at(&items, b"groups").map(|i| items.get_mut(i)) {
        for g in list {
            let Frame::Array(fields) = g else { continue };
            let name = match at(fields, b"name").and_then(|i| fields.get(i)) {
                Some(Frame::Bulk(n)) => (key.to_string(), n.to_vec()),
                _ => continue,
            };
            let read = match at(fields, b"entries-read").and_then(|i| fields.get(i)) {
                Some(Frame::Integer(n)) => Some(*n),
                _ => None,
            };
            if ours && read.is_some_and(|n| n < -1) {
                groups.insert(name.clone());
            }
            if whole {
                for field in [&b"entries-read"[..], b"lag"] {
                    if let Some(v) = at(fields, field).and_then(|i| fields.get_mut(i)) {
                        *v = Frame::Null;
                    }
                }
            }
            if groups.contains(&name) {
                for field in [&b"last-delivered-id"[..], b"entries-read", b"lag"] {
                    if let Some(v) = at(fields, field).and_then(|i| fields.get_mut(i)) {
                        *v = Frame::Null;
                    }
                }
            }
        }
    }
    Frame::Array(items)
}

/// An XINFO FULL reply without consumers that own nothing (see [`is_empty_consumer`]),
/// without the fields Redis 7.0 does not have (IDMP's, a consumer's `active-time`),
/// without `lag`, which 7.0 computes otherwise (see docs/compatibility.md), and without `entries-read`, which 7.0 keeps past
/// `entries-added` when a read moved it there and brook's load clamps, as Redis 8's
/// does — at every depth.
fn without_fields_7_0_lacks(f: Frame) -> Frame {
    const LATER: [&str; 9] = [
        "lag",
        "entries-read",
        "idmp-duration",
        "idmp-maxsize",
        "pids-tracked",
        "iids-tracked",
        "iids-added",
        "iids-duplicates",
        "active-time",
    ];
    match crate::oracle::strip_fields(f, &LATER) {
        Frame::Array(items) => Frame::Array(
            items
                .into_iter()
                .filter(|i| !is_empty_consumer(i))
                .map(without_fields_7_0_lacks)
                .collect(),
        ),
        other => other,
    }
}

/// A consumer of an XINFO FULL reply (it has a `seen-time`) with nothing pending. Redis
/// 7.0's XCLAIM (as its own file holds it for an entry that was gone) creates no
/// consumer when it claims nothing; Redis 8's does, and brook, loading the same file,
/// has what Redis 8.6.3 has (checked on a directory of a failing seed: Redis 8.6.3
/// and brook both show the consumers 7.0 lacks). Left out of the 7.0 comparison.
fn is_empty_consumer(f: &Frame) -> bool {
    let Frame::Array(fields) = f else {
        return false;
    };
    let value = |name: &[u8]| {
        fields
            .iter()
            .position(|x| matches!(x, Frame::Bulk(b) if &b[..] == name))
            .and_then(|i| fields.get(i + 1))
    };
    value(b"seen-time").is_some() && matches!(value(b"pel-count"), Some(Frame::Integer(0)))
}

/// The lines where Redis's state and brook's differ, each side's.
fn line_diff(theirs: &str, ours: &str) -> String {
    let (t, o): (Vec<&str>, Vec<&str>) = (theirs.lines().collect(), ours.lines().collect());
    let mut diff = String::new();
    for i in 0..t.len().max(o.len()) {
        let (a, b) = (
            t.get(i).copied().unwrap_or(""),
            o.get(i).copied().unwrap_or(""),
        );
        if a != b {
            diff.push_str(&format!("Redis: {a}\nbrook: {b}\n"));
        }
    }
    diff
}

/// Every key's state as text, from `call` (one side's answer to a command); for the
/// keys in `empty_producers`, `pids-tracked` left out (see
/// `effects::track_empty_producers`).
fn state(
    keys: Vec<Vec<u8>>,
    empty_producers: &std::collections::BTreeSet<Vec<u8>>,
    mut call: impl FnMut(Vec<Vec<u8>>) -> Frame,
) -> String {
    let mut keys = keys;
    keys.sort();
    let mut out = String::new();
    for key in keys {
        let k = String::from_utf8_lossy(&key).into_owned();
        let t = call(words(&["TYPE", &k]));
        let body = match &t {
            Frame::Simple(s) if s == b"stream" => without_consumer_times(
                call(words(&["XINFO", "STREAM", &k, "FULL", "COUNT", "0"])),
                empty_producers.contains(&key),
            )
            .to_string(),
            _ => call(words(&["GET", &k])).to_string(),
        };
        out.push_str(&format!("{k} {t}: {body}\n"));
    }
    out
}

fn frame_keys(f: &Frame) -> Vec<Vec<u8>> {
    match f {
        Frame::Array(items) => items
            .iter()
            .filter_map(|i| match i {
                Frame::Bulk(b) => Some(b.to_vec()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Waits until the server's background rewrite is done.
fn await_rewrite(oracle: &mut Oracle) {
    let start = Instant::now();
    loop {
        let info = oracle
            .call(Protocol::Resp2, &words(&["INFO", "persistence"]))
            .to_string();
        if info.contains("aof_rewrite_in_progress:0") && !info.contains("aof_rewrite_scheduled:1") {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "rewrite never ended: {info}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Redis 8.6.3 started on the append-only directory under `parent` (`None` where no
/// Redis 8 server exists and none is required).
fn redis_on_directory(parent: &std::path::Path) -> Option<Oracle> {
    let parent_arg = parent.to_string_lossy().into_owned();
    let args = [
        "--dir",
        parent_arg.as_str(),
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "no",
    ];
    Oracle::start_with(ServerKind::Redis8, &args)
}

#[test]
fn a_directory_redis_wrote_loads_into_brook() {
    redis_wrote(ServerKind::Redis8);
}

/// The same with Debian's Redis 7.0.15 (the multi-part format's first release): its
/// workload has only the commands 7.0 has; the XINFO fields 7.0 lacks (IDMP's,
/// consumers' `active-time`), `lag` (which 7.0 computes otherwise) and `entries-read`
/// (which 7.0 does not clamp on load) are left out of the comparison.
#[test]
fn a_directory_redis7_wrote_loads_into_brook() {
    redis_wrote(ServerKind::Redis);
}

fn redis_wrote(kind: ServerKind) {
    let args = [
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "no",
        "--appendfsync",
        "always",
    ];
    let Some(mut oracle) = Oracle::start_with(kind, &args) else {
        return;
    };
    let seed = Rng::seed_from_env("BROOK_AOF_SEED");
    let steps: u64 = std::env::var("BROOK_AOF_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let mut gen = Gen::new(seed, oracle.dialect());
    let mut view = View::default();
    oracle.call(Protocol::Resp2, &words(&["FLUSHALL"]));
    let mut history: Vec<String> = Vec::new();
    for step in 1..=steps {
        if step == steps / 2 {
            oracle.call(Protocol::Resp2, &words(&["BGREWRITEAOF"]));
            await_rewrite(&mut oracle);
        }
        let argv = gen.next(&view);
        if oracle.skip(&argv, &view) {
            continue;
        }
        let reply = oracle.call(Protocol::Resp2, &argv);
        gen.observe(&argv, &reply);
        history.push(
            argv.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect::<Vec<_>>()
                .join(" "),
        );
        for key in ALL_KEYS {
            let full = oracle.call(
                Protocol::Resp2,
                &words(&["XINFO", "STREAM", key, "FULL", "COUNT", "0"]),
            );
            view.record(key.as_bytes(), &full);
        }
    }
    // Redis's own reading of its directory.
    let guard = oracle.guard.crash_and_restart();
    let dir = guard.dir().join("appendonlydir");
    let Some(mut oracle) = Oracle::attach(guard) else {
        return;
    };
    let mut ks = Keyspace::new();
    ks.set_replaying(true);
    let now = now_ms();
    let loaded = load_dir(&dir, |db, argv| {
        assert_eq!(db, 0, "the workload uses database 0 only");
        match ks.execute(argv, now) {
            Reply::Error(e) => Err(e),
            _ => Ok(()),
        }
    })
    .unwrap_or_else(|e| panic!("seed {seed}: brook could not load Redis's directory: {e}"));
    ks.set_replaying(false);
    assert!(loaded.truncated.is_none(), "{loaded:?}");
    assert!(
        loaded.base_bytes > 0,
        "the rewrite wrote a base: {loaded:?}"
    );
    let manifest = loaded.manifest.as_ref().expect("a manifest");
    assert!(
        manifest.base.is_some() && !manifest.incr.is_empty(),
        "{manifest:?}"
    );

    let mut blanked = std::collections::BTreeSet::new();
    let ours_keys: Vec<Vec<u8>> = ks.keys(b"*").iter().map(|k| k.to_vec()).collect();
    let ours = state(ours_keys, &Default::default(), |argv| {
        let full = argv[0] == b"XINFO";
        let key = String::from_utf8_lossy(argv.get(2).map_or(&[][..], |k| &k[..])).into_owned();
        let argv: Vec<Bytes> = argv.into_iter().map(Bytes::from).collect();
        let f = to_frame(&ks.execute(&argv, now), Protocol::Resp2);
        match full {
            true if kind == ServerKind::Redis => {
                without_fields_7_0_lacks(wrapped_counters_blanked(f, &key, true, &mut blanked))
            }
            true => wrapped_counters_blanked(f, &key, true, &mut blanked),
            false => f,
        }
    });
    let theirs_keys = frame_keys(&oracle.call(Protocol::Resp2, &words(&["KEYS", "*"])));
    let theirs = state(theirs_keys, &Default::default(), |argv| {
        let full = argv[0] == b"XINFO";
        let key = String::from_utf8_lossy(argv.get(2).map_or(&[][..], |k| &k[..])).into_owned();
        let f = oracle.call(Protocol::Resp2, &argv);
        match full {
            true if kind == ServerKind::Redis => {
                without_fields_7_0_lacks(wrapped_counters_blanked(f, &key, false, &mut blanked))
            }
            true => wrapped_counters_blanked(f, &key, false, &mut blanked),
            false => f,
        }
    });
    if ours != theirs {
        // The keys whose state differs, each side's line.
        let diff = line_diff(&theirs, &ours);
        let tail = history[history.len().saturating_sub(40)..].join("\n");
        // The server's directory goes with it: keep a copy to look at.
        let kept = std::env::temp_dir().join(format!("brook-aof-interop-{seed}"));
        let _ = std::fs::create_dir_all(&kept);
        for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let _ = std::fs::copy(f.path(), kept.join(f.file_name()));
        }
        panic!(
            "seed {seed}: brook loaded a different state than Redis from the same directory \
             (kept in {}) ({loaded:?})\n{diff}last commands:\n{tail}",
            kept.display()
        );
    }
    ks.check().expect("the loaded keyspace's invariants");
    eprintln!(
        "aof interop: seed {seed}, {steps} steps, {} commands loaded from {} bytes ({} in \
         the base), {} skipped as Redis skips them: {:?}; {} groups with a counter past \
         i64::MAX",
        loaded.commands,
        loaded.bytes,
        loaded.base_bytes,
        loaded.skipped,
        loaded.first_skipped,
        blanked.len()
    );
}

/// The other way: a durable brook engine runs the workload (Redis 8.6's dialect), is
/// dropped, and Redis 8.6.3 starts on its directory (`appendonly yes`): every key is
/// the same in Redis as it was in brook, as the effects test compares it — less the
/// counters a read ran past `entries-added` (clamped on load by Redis as by brook;
/// followed after every command, as a later XADD or XSETID can bring `entries-added`
/// back above them, and through COPY) and a group whose counter went past `i64::MAX`
/// (Redis refuses its XGROUP on load).
#[test]
fn a_directory_brook_wrote_loads_into_redis() {
    use brook_engine::aof::Fsync;
    use brook_engine::Engine;
    let seed = Rng::seed_from_env("BROOK_AOF_SEED");
    let steps: u64 = std::env::var("BROOK_AOF_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let parent =
        std::env::temp_dir().join(format!("brook-aof-to-redis-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&parent);
    let dir = parent.join("appendonlydir");
    let engine = Engine::builder().open(&dir, Fsync::EverySec).expect("open");
    let mut gen = Gen::new(seed, crate::gen::Dialect::REDIS8);
    let mut view = View::default();
    let mut empty_producers = std::collections::BTreeSet::new();
    // Followed after every command: a counter can run past `entries-added` and fall
    // back under it later, still clamped in Redis's load (as in Redis's own reload).
    let mut clamped = std::collections::BTreeSet::new();
    let bytes =
        |w: &[Vec<u8>]| -> Vec<Bytes> { w.iter().map(|a| Bytes::copy_from_slice(a)).collect() };
    for step in 0..steps {
        // A rewrite halfway, in the background: Redis loads brook's base file (pending
        // entries of deleted entries included) and the increments after it.
        if step == steps / 2 {
            engine.bgrewriteaof().expect("background rewrite");
        }
        let argv = gen.next(&view);
        // Settings are not data: no AOF carries CONFIG SET, and a stream created under
        // a changed `stream-idmp-*` default would load under Redis's own default.
        if argv[0].eq_ignore_ascii_case(b"CONFIG") {
            continue;
        }
        let args = bytes(&argv);
        let reply = engine.execute(&args);
        crate::effects::track_empty_producers(&args, &reply, &mut empty_producers);
        empty_producers.retain(|k| engine.key_type(k) != brook_engine::KeyType::None);
        crate::effects::carry_clamped(&args, &reply, &mut clamped);
        gen.observe(&argv, &to_frame(&reply, Protocol::Resp2));
        for key in ALL_KEYS {
            let full = engine.execute(&bytes(&words(&[
                "XINFO", "STREAM", key, "FULL", "COUNT", "0",
            ])));
            let full = to_frame(&full, Protocol::Resp2);
            crate::effects::note_clamped(&full, key.as_bytes(), &mut clamped);
            view.record(key.as_bytes(), &full);
        }
    }
    while engine.aof_status().is_some_and(|s| s.rewrite_in_progress) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = engine.aof_status().expect("durable");
    assert_eq!((status.rewrites, status.last_rewrite_error), (1, None));
    let mut blanked = std::collections::BTreeSet::new();
    let keys: Vec<Vec<u8>> = engine.keys(b"*").iter().map(|k| k.to_vec()).collect();
    let ours = state(keys, &empty_producers, |argv| {
        let full = argv[0] == b"XINFO";
        let key = String::from_utf8_lossy(argv.get(2).map_or(&[][..], |k| &k[..])).into_owned();
        let f = to_frame(&engine.execute(&bytes(&argv)), Protocol::Resp2);
        match full {
            true => crate::effects::counters_of_clamped_blanked(
                wrapped_counters_blanked(f, &key, true, &mut blanked),
                key.as_bytes(),
                &mut clamped,
            ),
            false => f,
        }
    });
    drop(engine);
    let Some(mut oracle) = redis_on_directory(&parent) else {
        let _ = std::fs::remove_dir_all(&parent);
        return;
    };
    let theirs_keys = frame_keys(&oracle.call(Protocol::Resp2, &words(&["KEYS", "*"])));
    let theirs = state(theirs_keys, &empty_producers, |argv| {
        let full = argv[0] == b"XINFO";
        let key = String::from_utf8_lossy(argv.get(2).map_or(&[][..], |k| &k[..])).into_owned();
        let f = oracle.call(Protocol::Resp2, &argv);
        match full {
            true => crate::effects::counters_of_clamped_blanked(
                wrapped_counters_blanked(f, &key, false, &mut blanked),
                key.as_bytes(),
                &mut clamped,
            ),
            false => f,
        }
    });
    if ours != theirs {
        let diff = line_diff(&theirs, &ours);
        panic!(
            "seed {seed}: Redis loaded brook's directory ({}) differently\n{diff}",
            dir.display()
        );
    }
    drop(oracle);
    let _ = std::fs::remove_dir_all(&parent);
    eprintln!(
        "aof to redis: seed {seed}, {steps} steps, same state in Redis; {} groups' counters \
         clamped, {} wrapped",
        clamped.len(),
        blanked.len()
    );
}

/// A counter a read moved past `entries-added`, which a later XADD brought back under
/// it, does not survive a reload — in Redis reloading its own directory as in Redis
/// loading brook's — and a COPY made meanwhile holds the reloaded value too. brook's
/// engine holds what Redis holds live, brook reloads what Redis reloads, and Redis
/// loads brook's directory as it reloads its own. (The random workload above meets
/// this: it follows such groups after every command, through COPY, and compares them
/// without their counters.)
#[test]
fn a_counter_a_read_ran_past_entries_added_reloads_clamped_as_in_redis() {
    use brook_engine::aof::Fsync;
    use brook_engine::Engine;
    let script: &[&[&str]] = &[
        &["XADD", "s", "1-0", "f", "v"],
        &["XADD", "s", "2-0", "f", "v"],
        &["XADD", "s", "3-0", "f", "v"],
        // A counter ahead of the group's ID, within entries-added (kept as given)...
        &["XGROUP", "CREATE", "s", "g", "1-0", "ENTRIESREAD", "2"],
        // ...that the read moves to 4 of 3 added (propagated as ENTRIESREAD 4, which a
        // load clamps to 3)...
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
        // ...then entries-added catches up: live, the counter is no longer past it.
        &["XADD", "s", "4-0", "f", "v"],
        &["COPY", "s", "t"],
    ];
    let groups = |call: &mut dyn FnMut(Vec<Vec<u8>>) -> Frame| -> String {
        ["s", "t"]
            .iter()
            .map(|k| format!("{k}: {}\n", call(words(&["XINFO", "GROUPS", k]))))
            .collect()
    };
    let live_counters = "\"entries-read\", 4, \"lag\", 0";
    let reloaded_counters = "\"entries-read\", 3, \"lag\", 1";

    // Redis live, then reloading its own directory.
    let args = [
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "no",
        "--appendfsync",
        "always",
    ];
    let Some(mut oracle) = Oracle::start_with(ServerKind::Redis8, &args) else {
        return;
    };
    for argv in script {
        let reply = oracle.call(Protocol::Resp2, &words(argv));
        assert!(!matches!(reply, Frame::Error(_)), "{argv:?}: {reply}");
    }
    let redis_live = groups(&mut |argv| oracle.call(Protocol::Resp2, &argv));
    let guard = oracle.guard.crash_and_restart();
    let Some(mut oracle) = Oracle::attach(guard) else {
        return;
    };
    let redis_reloaded = groups(&mut |argv| oracle.call(Protocol::Resp2, &argv));
    drop(oracle);
    assert_eq!(redis_live.matches(live_counters).count(), 2, "{redis_live}");
    assert_eq!(
        redis_reloaded.matches(reloaded_counters).count(),
        2,
        "{redis_reloaded}"
    );

    // brook live, reopened, and its directory in Redis.
    let parent = std::env::temp_dir().join(format!(
        "brook-aof-ran-past-{}-{}",
        std::process::id(),
        now_ms()
    ));
    let _ = std::fs::remove_dir_all(&parent);
    let dir = parent.join("appendonlydir");
    let bytes = |w: Vec<Vec<u8>>| -> Vec<Bytes> { w.into_iter().map(Bytes::from).collect() };
    let engine = Engine::builder().open(&dir, Fsync::Always).expect("open");
    for argv in script {
        let reply = engine.execute(&bytes(words(argv)));
        assert!(!matches!(reply, Reply::Error(_)), "{argv:?}: {reply:?}");
    }
    let brook_live = groups(&mut |argv| to_frame(&engine.execute(&bytes(argv)), Protocol::Resp2));
    drop(engine);
    assert_eq!(brook_live, redis_live, "brook live vs Redis live");
    let engine = Engine::builder().open(&dir, Fsync::Always).expect("reopen");
    let brook_reloaded =
        groups(&mut |argv| to_frame(&engine.execute(&bytes(argv)), Protocol::Resp2));
    drop(engine);
    assert_eq!(
        brook_reloaded, redis_reloaded,
        "brook reopened vs Redis reloaded"
    );
    let Some(mut oracle) = redis_on_directory(&parent) else {
        let _ = std::fs::remove_dir_all(&parent);
        return;
    };
    let redis_on_brook = groups(&mut |argv| oracle.call(Protocol::Resp2, &argv));
    drop(oracle);
    let _ = std::fs::remove_dir_all(&parent);
    assert_eq!(
        redis_on_brook, redis_reloaded,
        "Redis on brook's directory vs Redis reloading its own"
    );
}
