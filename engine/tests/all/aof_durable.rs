//! A durable engine (`EngineBuilder::open`): what it appends is what it had.
//!
//! - Round trip: the differential generator's random workload on an engine with an
//!   append-only directory; the engine dropped and the directory opened again holds
//!   the same state (as the effects test compares it: consumer seen/active times, node
//!   counts and the counters a read ran past `entries-added` aside).
//! - Crash: a child process appends under `always` and prints each ID as its XADD
//!   returns; it is killed (SIGKILL) at a random moment, the directory reopened, and
//!   every acknowledged entry must be there, each whole, with nothing after the last
//!   acknowledged one but at most the one in flight. `BROOK_AOF_KILLS` rounds (default
//!   4).
//! - One engine per directory: a second open is refused until the first is dropped.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use brook_engine::aof::{AofError, Fsync};
use brook_engine::{Engine, StreamId};
use brook_test_support::child::{after_tag, TestChild};
use bytes::Bytes;

use crate::effects::{carry_clamped, note_clamped, state, GroupName};
use crate::gen::{Dialect, Gen, View, ALL_KEYS};
use crate::oracle::to_frame;
use crate::rng::Rng;
use brook_engine::frontend::Protocol;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "brook-aof-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn words(w: &[&str]) -> Vec<Bytes> {
    w.iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect()
}

#[test]
fn a_reopened_directory_holds_what_the_engine_had() {
    let seed = Rng::seed_from_env("BROOK_AOF_SEED");
    let steps: u64 = std::env::var("BROOK_AOF_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    for fsync in [Fsync::EverySec, Fsync::Always, Fsync::No] {
        let dir = temp_dir("round-trip");
        let engine = Engine::builder().open(&dir, fsync).expect("open");
        // IDMP left out: a failed IDMP XADD leaves an empty producer that Redis's
        // propagation loses too (the effects test accounts for it key by key).
        let dialect = Dialect {
            idmp: false,
            xidmprecord: false,
            ..Dialect::REDIS8
        };
        let mut gen = Gen::new(seed, dialect);
        let mut view = View::default();
        // Followed after every command: a counter a read ran past `entries-added` that
        // an XADD or XSETID brought back under it is still clamped by the reload.
        let mut clamped: BTreeSet<GroupName> = BTreeSet::new();
        for step in 0..steps {
            // Rewrites halfway (waited for) and at three quarters (in the background,
            // the commands going on meanwhile).
            if step == steps / 2 {
                engine.rewrite_aof().expect("rewrite");
            }
            if step == steps * 3 / 4 {
                engine.bgrewriteaof().expect("background rewrite");
            }
            let argv = gen.next(&view);
            let args: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
            let reply = engine.execute(&args);
            carry_clamped(&args, &reply, &mut clamped);
            gen.observe(&argv, &to_frame(&reply, Protocol::Resp2));
            for key in ALL_KEYS {
                let full = engine.execute(&words(&["XINFO", "STREAM", key, "FULL", "COUNT", "0"]));
                let full = to_frame(&full, Protocol::Resp2);
                note_clamped(&full, key.as_bytes(), &mut clamped);
                view.record(key.as_bytes(), &full);
            }
        }
        let status = await_rewrites(&engine);
        assert_eq!(status.rewrites, 2, "{status:?}");
        assert_eq!(status.last_rewrite_error, None);
        let none = BTreeSet::new();
        let before = engine.with_keyspace(|ks, now| state(ks, now, &none, &mut clamped));
        let progress = engine.aof_progress().expect("durable");
        drop(engine);
        // What the rewrites replaced is gone: the manifest, one base, one increment.
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n != "brook.lock")
            .collect();
        files.sort();
        assert_eq!(
            files,
            [
                "appendonly.aof.3.base.aof",
                "appendonly.aof.3.incr.aof",
                "appendonly.aof.manifest"
            ],
            "{fsync:?}"
        );
        let engine = Engine::builder().open(&dir, fsync).expect("reopen");
        let loaded = engine.aof_loaded().expect("loaded").clone();
        assert!(loaded.truncated.is_none(), "{loaded:?}");
        assert_eq!(loaded.skipped, 0, "{:?}", loaded.first_skipped);
        let after = engine.with_keyspace(|ks, now| state(ks, now, &none, &mut clamped));
        assert!(
            before == after,
            "seed {seed}, {fsync:?}: the reopened engine differs\nbefore:\n{before}\nafter:\n{after}"
        );
        eprintln!(
            "aof round trip ({fsync:?}): seed {seed}, {steps} steps, {} bytes appended, {} commands \
             replayed",
            progress.1, loaded.commands
        );
        drop(engine);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_rewrite_keeps_pending_entries_whose_entries_are_gone() {
    let dir = temp_dir("ghosts");
    let clock = brook_engine::ManualClock::new(1_700_000_000_000);
    let open = || {
        Engine::builder()
            .clock(clock.clone())
            .open(&dir, Fsync::Always)
            .expect("open")
    };
    let engine = open();
    let run = |e: &Engine, w: &[&str]| to_frame(&e.execute(&words(w)), Protocol::Resp2);
    for i in 1..=6 {
        run(
            &engine,
            &["XADD", "s", &format!("1-{i}"), "n", &i.to_string()],
        );
    }
    run(&engine, &["XGROUP", "CREATE", "s", "g", "0"]);
    run(
        &engine,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "3",
            "STREAMS",
            "s",
            ">",
        ],
    );
    clock.advance(1000);
    run(
        &engine,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ],
    );
    run(&engine, &["XGROUP", "CREATECONSUMER", "s", "g", "idle"]);
    // Gone from the stream, still pending: 1-2 deleted, 1-1 and 1-3 trimmed.
    run(&engine, &["XDEL", "s", "1-2"]);
    run(&engine, &["XTRIM", "s", "MINID", "1-4"]);
    clock.advance(500);
    let looks = |e: &Engine| {
        [
            run(e, &["XPENDING", "s", "g", "-", "+", "10"]),
            // Consumers' seen and active times are the load's, as with Redis.
            crate::effects::without_consumer_times(
                run(e, &["XINFO", "STREAM", "s", "FULL"]),
                false,
            ),
            run(e, &["XLEN", "s"]),
        ]
    };
    let before = looks(&engine);
    assert!(
        matches!(&before[0], brook_test_support::Frame::Array(p) if p.len() == 5),
        "{:?}",
        before[0]
    );
    engine.rewrite_aof().expect("rewrite");
    drop(engine);
    let engine = open();
    assert_eq!(looks(&engine), before, "after a rewrite and a reopen");
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_directory_is_rewritten_as_it_grows() {
    let dir = temp_dir("auto");
    let auto = brook_engine::aof::AutoRewrite {
        percentage: 100,
        min_size: 64 * 1024,
    };
    let open = || {
        Engine::builder()
            .auto_aof_rewrite(auto)
            .open(&dir, Fsync::EverySec)
            .expect("open")
    };
    let engine = open();
    let pad = "p".repeat(100);
    for n in 0..3000u32 {
        engine
            .xadd("s", &[("n", n.to_string().as_str()), ("pad", pad.as_str())])
            .expect("xadd");
        // Half of them trimmed away as it goes: a rewrite writes only what is left.
        if n % 2 == 1 {
            engine.execute_str(&["XTRIM", "s", "MAXLEN", &(n / 2).to_string()]);
        }
    }
    let status = await_rewrites(&engine);
    assert!(status.rewrites >= 1, "{status:?}");
    assert_eq!(status.last_rewrite_error, None);
    let appended = engine.aof_progress().expect("durable").1;
    assert!(
        status.current_size < appended,
        "the files ({} bytes) are smaller than all that was appended ({appended})",
        status.current_size
    );
    let before = engine
        .xrange("s", StreamId::MIN, StreamId::MAX, None)
        .expect("xrange");
    drop(engine);
    let engine = open();
    let after = engine
        .xrange("s", StreamId::MIN, StreamId::MAX, None)
        .expect("xrange");
    assert_eq!(before, after);
    eprintln!(
        "auto rewrite: {} rewrites, {} bytes appended, {} bytes on disk",
        status.rewrites, appended, status.current_size
    );
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The engines of a server's databases share one directory: each command under its
/// database's SELECT, a COPY across databases replayed across them, a rewrite writing
/// every database.
#[test]
fn databases_share_one_directory() {
    let dir = temp_dir("dbs");
    let open = || {
        Engine::builder()
            .open_databases(&dir, Fsync::EverySec, 3)
            .expect("open")
    };
    let dbs = open();
    let look = |dbs: &[Engine]| -> Vec<Vec<(Bytes, Vec<StreamId>)>> {
        dbs.iter()
            .map(|e| {
                let mut keys = e.keys("*");
                keys.sort();
                keys.into_iter()
                    .map(|k| {
                        let ids = e
                            .xrange(&k, StreamId::MIN, StreamId::MAX, None)
                            .expect("xrange")
                            .iter()
                            .map(|x| x.id)
                            .collect();
                        (k, ids)
                    })
                    .collect()
            })
            .collect()
    };
    for (i, e) in dbs.iter().enumerate() {
        for n in 0..=i {
            e.xadd(format!("s{i}"), &[("n", n.to_string())])
                .expect("xadd");
        }
    }
    dbs[1]
        .copy_to("s1", &dbs[2], "copied", 2, false)
        .expect("copy");
    dbs[0].rewrite_aof().expect("rewrite");
    dbs[2].xadd("after", &[("f", "v")]).expect("xadd");
    dbs[0].execute_str(&["DEL", "s0"]);
    let before = look(&dbs);
    assert_eq!(before[2].len(), 3, "{before:?}");
    drop(dbs);
    let dbs = open();
    assert_eq!(look(&dbs), before);
    // The base file names each database it holds.
    let base = std::fs::read_to_string(dir.join("appendonly.aof.2.base.aof")).expect("base");
    assert!(base.contains("SELECT\r\n$1\r\n1\r\n") && base.contains("$1\r\n2\r\n"));
    drop(dbs);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A dropped engine lets its directory go at once, even while its timer waits for a
/// deadline (here a sleeper's that was dropped before it fired): the timer thread
/// holds nothing of the engine while it waits.
#[test]
fn a_dropped_engine_unlocks_its_directory_at_once() {
    use std::future::Future;
    let dir = temp_dir("timer");
    let engine = Engine::builder().open(&dir, Fsync::No).expect("open");
    let mut sleep = Box::pin(engine.sleep_until(engine.clock().now_ms() + 60_000));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(sleep.as_mut().poll(&mut cx).is_pending());
    // Let the timer thread start and settle into its wait.
    std::thread::sleep(Duration::from_millis(50));
    drop(sleep);
    drop(engine);
    let start = Instant::now();
    let again = Engine::builder().open(&dir, Fsync::No);
    assert!(
        again.is_ok(),
        "reopen at once: {:?}",
        again.err().map(|e| e.to_string())
    );
    assert!(start.elapsed() < Duration::from_millis(200));
    drop(again);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until no rewrite runs; the status then.
fn await_rewrites(engine: &Engine) -> brook_engine::aof::AofStatus {
    let start = Instant::now();
    loop {
        let status = engine.aof_status().expect("durable");
        if !status.rewrite_in_progress {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "rewrite never ended"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn one_engine_per_directory() {
    let dir = temp_dir("lock");
    let first = Engine::builder().open(&dir, Fsync::No).expect("open");
    match Engine::builder().open(&dir, Fsync::No) {
        Err(AofError::Locked { dir: d }) => assert_eq!(d, dir),
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("a second engine opened the directory"),
    }
    first.xadd("s", &[("f", "v")]).expect("xadd");
    drop(first);
    let second = Engine::builder()
        .open(&dir, Fsync::No)
        .expect("open after the first");
    assert_eq!(second.xlen("s").expect("xlen"), 1);
    drop(second);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The child of [`acknowledged_writes_survive_a_kill`]: appends until killed, the
/// directory rewritten as it grows.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var("BROOK_AOF_CHILD_DIR") else {
        return; // only as the child
    };
    // Rewrites start on their own every few hundred entries: kills land during them.
    let engine = Engine::builder()
        .auto_aof_rewrite(brook_engine::aof::AutoRewrite {
            percentage: 100,
            min_size: 32 * 1024,
        })
        .open(&dir, Fsync::Always)
        .expect("child open");
    let start = engine.xlen("s").unwrap_or(0);
    let payload = "x".repeat(100);
    for n in start.. {
        // Typed and argv writes in turn: both are durable when they return.
        let id = if n % 2 == 0 {
            engine
                .xadd(
                    "s",
                    &[("n", n.to_string().as_str()), ("pad", payload.as_str())],
                )
                .expect("xadd")
        } else {
            let n = n.to_string();
            match engine.execute_str(&["XADD", "s", "*", "n", &n, "pad", &payload]) {
                brook_engine::Reply::Bulk(id) => StreamId::parse_strict(&id).expect("an ID"),
                other => panic!("XADD answered {other:?}"),
            }
        };
        println!("ack {n} {id}");
        // And on demand, often: most kills land in the middle of one.
        if n % 50 == 0 {
            match engine.bgrewriteaof() {
                Ok(()) | Err(brook_engine::aof::RewriteError::InProgress) => {}
                Err(e) => panic!("rewrite: {e}"),
            }
        }
    }
}

#[test]
fn acknowledged_writes_survive_a_kill() {
    let rounds: u64 = std::env::var("BROOK_AOF_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let mut rng = Rng::new(Rng::seed_from_env("BROOK_AOF_SEED"));
    let dir = temp_dir("crash");
    let mut acked: Vec<(u64, StreamId)> = Vec::new();
    for round in 0..rounds {
        let child = TestChild::spawn("aof_durable::crash_child", &[("BROOK_AOF_CHILD_DIR", &dir)])
            .expect("spawn the child");
        let kill_after = Duration::from_millis(50 + rng.below(400));
        let start = Instant::now();
        while start.elapsed() < kill_after {
            std::thread::sleep(Duration::from_millis(5));
        }
        let ended = child.kill().expect("SIGKILL the child");
        let got = ended.lines.iter().filter_map(|line| {
            let mut w = after_tag(line, "ack ")?.split_whitespace();
            let (n, id) = (w.next()?.parse().ok()?, w.next()?);
            Some((n, StreamId::parse_strict(id.as_bytes()).ok()?))
        });
        acked.extend(got);
        // Reopen: every acknowledged entry is there, whole, in order.
        let engine = Engine::builder()
            .open(&dir, Fsync::Always)
            .expect("reopen after kill");
        let entries = engine
            .xrange("s", StreamId::MIN, StreamId::MAX, None)
            .expect("xrange");
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(
                e.get(b"n").map(|v| v.to_vec()),
                Some(i.to_string().into_bytes()),
                "round {round}: entry {i} is not whole"
            );
        }
        let have: BTreeSet<StreamId> = entries.iter().map(|e| e.id).collect();
        for (n, id) in &acked {
            assert!(
                have.contains(id),
                "round {round}: acknowledged entry {n} ({id}) lost"
            );
        }
        // Nothing past the last acknowledged entry but the one in flight at the kill.
        assert!(
            entries.len() <= acked.len() + 1,
            "round {round}: {} entries, {} acknowledged",
            entries.len(),
            acked.len()
        );
        acked = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i as u64, e.id))
            .collect();
        eprintln!(
            "aof kill round {round}: killed after {kill_after:?}, {} entries on reopen{}",
            entries.len(),
            engine
                .aof_loaded()
                .and_then(|l| l.truncated.as_ref())
                .map_or(String::new(), |t| format!(
                    ", torn tail of {} bytes cut",
                    t.dropped
                ))
        );
        drop(engine);
    }
    // The children rewrote the directory as it grew.
    let manifest = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).expect("manifest");
    assert!(
        !manifest.contains("appendonly.aof.1.base.aof"),
        "no rewrite ran: {manifest}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The incremental file a durable engine appends to.
fn incr_file(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("appendonly.aof.1.incr.aof")
}

/// A torn end (a crash mid-write) is cut off with a report, the commands before it
/// kept; a damaged byte elsewhere is an error naming the file and offset, and the
/// directory is left as it was.
#[test]
fn torn_tails_are_cut_and_damage_is_reported() {
    let dir = temp_dir("torn");
    let engine = Engine::builder().open(&dir, Fsync::Always).expect("open");
    for n in 0..10 {
        engine
            .xadd("s", &[("n", n.to_string().as_str())])
            .expect("xadd");
    }
    drop(engine);
    let whole = std::fs::read(incr_file(&dir)).expect("read");
    // Cut inside the last command.
    std::fs::write(incr_file(&dir), &whole[..whole.len() - 7]).expect("cut");
    let engine = Engine::builder()
        .open(&dir, Fsync::Always)
        .expect("reopen a torn file");
    let t = engine
        .aof_loaded()
        .and_then(|l| l.truncated.clone())
        .expect("the torn tail reported");
    assert_eq!(t.file, incr_file(&dir));
    assert_eq!(engine.xlen("s").expect("xlen"), 9);
    // The file now ends at the last whole command: appending goes on from there.
    engine.xadd("s", &[("n", "9")]).expect("xadd after the cut");
    drop(engine);
    let engine = Engine::builder().open(&dir, Fsync::Always).expect("reopen");
    assert!(engine
        .aof_loaded()
        .and_then(|l| l.truncated.as_ref())
        .is_none());
    assert_eq!(engine.xlen("s").expect("xlen"), 10);
    drop(engine);

    // A flipped byte in the framing of the third command.
    let mut bytes = std::fs::read(incr_file(&dir)).expect("read");
    let starts: Vec<usize> = bytes
        .windows(3)
        .enumerate()
        .filter(|(_, w)| w == b"*5\r" || w == b"*2\r")
        .map(|(i, _)| i)
        .collect();
    let at = starts[2];
    bytes[at] = b'?';
    std::fs::write(incr_file(&dir), &bytes).expect("damage");
    match Engine::builder().open(&dir, Fsync::Always) {
        Err(AofError::Corrupt { file, offset, .. }) => {
            assert_eq!(file, incr_file(&dir));
            assert_eq!(offset, at as u64);
        }
        Err(other) => panic!("expected Corrupt, got {other}"),
        Ok(_) => panic!("a damaged file loaded"),
    }
    assert_eq!(
        std::fs::read(incr_file(&dir)).expect("read"),
        bytes,
        "left as it was"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A disk that fails (writes fail as on a full disk, injected): once the failure is
/// seen, every write command is refused with Redis's `MISCONF` error while reads keep
/// working; when writes succeed again the refusal lifts, and nothing accepted before
/// is lost — the bytes that failed were kept and written.
#[test]
fn a_failing_disk_refuses_writes_until_it_recovers() {
    for fsync in [Fsync::EverySec, Fsync::Always] {
        let dir = temp_dir("misconf");
        let engine = Engine::builder().open(&dir, fsync).expect("open");
        engine
            .xgroup_create(
                "s",
                "g",
                brook_engine::GroupStart::Id(StreamId::MIN),
                true,
                None,
            )
            .expect("group");
        for n in 0..3 {
            engine
                .xadd("s", &[("n", n.to_string().as_str())])
                .expect("xadd");
        }
        engine.inject_aof_write_failure(true);
        // Accepted: the failure is met when the flusher writes it.
        engine
            .xadd("s", &[("n", "3")])
            .expect("the write the disk fails on");
        let start = Instant::now();
        while engine.aof_progress().and_then(|p| p.3).is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{fsync:?}: no failure seen"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let refused = engine.xadd("s", &[("n", "x")]).expect_err("refused");
        let text = refused.to_string();
        // Redis 8.6.3's words on a full disk (checked on a full tmpfs).
        assert_eq!(
            text, "MISCONF Errors writing to the AOF file: No space left on device",
            "{fsync:?}"
        );
        match engine.execute_str(&["XACK", "s", "g", "1-1"]) {
            brook_engine::Reply::Error(e) => assert!(e.to_string().starts_with("MISCONF"), "{e}"),
            other => panic!("{fsync:?}: XACK answered {other:?}"),
        }
        assert!(engine
            .set("k", "v", &brook_engine::SetOptions::default())
            .is_err());
        match engine.execute_str(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]) {
            brook_engine::Reply::Error(e) => assert!(e.to_string().starts_with("MISCONF"), "{e}"),
            other => panic!("{fsync:?}: XREADGROUP answered {other:?}"),
        }
        // Reads work.
        assert_eq!(engine.xlen("s").expect("xlen"), 4);
        assert_eq!(
            engine
                .xrange("s", StreamId::MIN, StreamId::MAX, None)
                .expect("xrange")
                .len(),
            4
        );
        engine.inject_aof_write_failure(false);
        let start = Instant::now();
        while engine.xadd("s", &[("n", "4")]).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{fsync:?}: still refused"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(engine);
        let engine = Engine::builder().open(&dir, fsync).expect("reopen");
        let ns: Vec<Vec<u8>> = engine
            .xrange("s", StreamId::MIN, StreamId::MAX, None)
            .expect("xrange")
            .iter()
            .map(|e| e.get(b"n").map(|v| v.to_vec()).unwrap_or_default())
            .collect();
        assert_eq!(
            ns,
            ["0", "1", "2", "3", "4"].map(|s| s.as_bytes().to_vec()),
            "{fsync:?}: what was accepted is there, once"
        );
        drop(engine);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
