//! The worker on the durable engine, killed: what `worker_survives_a_server_crash_with_aof`
//! asks of a Redis server with `appendonly yes`, asked of `mem://?dir=…&appendfsync=always`.
//!
//! A child process (this test binary again, [`TestChild`]) opens the directory, runs a
//! worker (idempotent: each message's effect — one added to a counter — its
//! processed-marker and its ack committed in one MULTI/EXEC) and a producer that prints
//! `ack N` once the XADD of message N returned; it is SIGKILLed at a random moment,
//! and a new child (another consumer name, so the dead one's pending entries must be
//! reclaimed) goes on in the same directory: `BROOK_WORKER_KILLS` rounds (default 4;
//! `BROOK_WORKER_KILL_SEED` repeats a run's kill moments). Then this process opens the
//! directory, runs a worker until the group has delivered everything and nothing is
//! pending, and checks: the stream holds messages 0, 1, 2 … once each; every one the
//! producer saw acknowledged was processed (its marker is there); the counter equals
//! the number of messages (every message took effect once, across the kills); XPENDING
//! is 0.

use std::collections::BTreeSet;
use std::time::Duration;

use brook::worker::{Handler, Message, Worker};
use brook::{Backend, Streams, XAddOptions};
use brook_test_support::child::{after_tag, TestChild};

use crate::differential::Rng;

const STREAM: &str = "jobs";
const GROUP: &str = "g";
/// The handler's effect: one per message.
const COUNTER: &str = "jobs:effects";
/// Set in the child: the directory.
const DIR_VAR: &str = "BROOK_WORKER_DURABLE_DIR";
/// Set in the child: its consumer name.
const CONSUMER_VAR: &str = "BROOK_WORKER_DURABLE_CONSUMER";

fn url(dir: &str) -> String {
    format!("mem://?dir={dir}&appendfsync=always")
}

fn worker(backend: &Backend, consumer: &str) -> Worker<Backend> {
    Worker::builder(backend.clone(), STREAM, GROUP)
        .consumer(consumer)
        .concurrency(8)
        .batch(16)
        .block(Duration::from_millis(100))
        .claim_idle(Duration::from_millis(300))
        .claim_interval(Duration::from_millis(100))
        .error_pause(Duration::from_millis(50))
        .idempotent(Duration::from_secs(3600))
        .idempotency_key("n")
        .build()
}

/// A millisecond of work, then one added to [`COUNTER`], committed with the ack.
fn handler() -> impl Handler {
    |m: Message| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        m.effects.incr_by(COUNTER, 1);
        Ok(())
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The child of [`worker_survives_kills_on_the_durable_engine`]: a worker and a
/// producer on the directory until killed.
#[test]
fn durable_worker_child() {
    let Ok(dir) = std::env::var(DIR_VAR) else {
        return; // only as the child
    };
    let consumer = std::env::var(CONSUMER_VAR).expect("the child's consumer name");
    runtime().block_on(async {
        let backend = brook::connect(&url(&dir)).await.expect("child: open");
        let _worker = worker(&backend, &consumer).spawn(handler());
        // One producer, so the stream's entries are messages 0, 1, 2 … in order: the
        // next number is how many it has had added (the one in flight at the last
        // kill included, if it got there).
        let mut n = backend
            .xinfo_stream(STREAM)
            .await
            .map_or(0, |i| i.summary.entries_added);
        loop {
            backend
                .xadd_with(STREAM, &XAddOptions::default(), &[("n", n.to_string())])
                .await
                .expect("child: xadd");
            println!("ack {n}");
            n += 1;
            if n % 4 == 0 {
                // Leave the worker room to keep up.
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
}

#[test]
fn worker_survives_kills_on_the_durable_engine() {
    let kills: u64 = std::env::var("BROOK_WORKER_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let seed = std::env::var("BROOK_WORKER_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| brook::engine::precise_now_ms() | 1);
    let mut rng = Rng(seed);
    let dir = std::env::temp_dir().join(format!(
        "brook-worker-durable-{}-{seed}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_str = dir.to_str().expect("a UTF-8 temp path").to_string();
    let mut acked: BTreeSet<u64> = BTreeSet::new();
    let parse = |line: &str| after_tag(line, "ack ")?.trim().parse::<u64>().ok();
    for round in 0..kills {
        let consumer = format!("w{round}");
        let child = TestChild::spawn(
            "worker_durable::durable_worker_child",
            &[
                (DIR_VAR, dir_str.as_str()),
                (CONSUMER_VAR, consumer.as_str()),
            ],
        )
        .expect("spawn the child");
        // Its first ack: it has opened the directory (the lock, the replay) and runs.
        let mut first = None;
        while first.is_none() {
            let Some(line) = child.next_line(Duration::from_secs(60)) else {
                let ended = child.kill().expect("kill");
                panic!(
                    "seed {seed}, round {round}: the child produced nothing:\n{}",
                    ended.stderr
                );
            };
            first = parse(&line);
        }
        let kill_after = Duration::from_millis(50 + rng.below(500));
        std::thread::sleep(kill_after);
        let ended = child.kill().expect("SIGKILL the child");
        assert!(
            ended.killed(),
            "seed {seed}, round {round}: the child ended by itself ({:?}):\n{}",
            ended.status,
            ended.stderr
        );
        let before = acked.len();
        acked.extend(first);
        acked.extend(ended.lines.iter().filter_map(|l| parse(l)));
        eprintln!(
            "worker durable: round {round} ({consumer}) killed {kill_after:?} after its first \
             ack, {} acks",
            acked.len() - before
        );
    }
    assert!(!acked.is_empty(), "seed {seed}: nothing acknowledged");

    // The last run, here: a worker drains what the killed ones left.
    runtime().block_on(async {
        let backend = brook::connect(&url(&dir_str)).await.expect("reopen");
        let pending_at_reopen = backend
            .xpending(STREAM, GROUP)
            .await
            .expect("xpending")
            .count;
        let h = worker(&backend, "final").spawn(handler());
        let start = std::time::Instant::now();
        loop {
            let group = backend
                .xinfo_groups(STREAM)
                .await
                .expect("xinfo groups")
                .into_iter()
                .find(|g| &g.name[..] == GROUP.as_bytes())
                .expect("the group");
            if group.pending == 0 && group.lag == Some(0) {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "seed {seed}: not drained within 60 s: pending {}, lag {:?}, stats {:?}",
                group.pending,
                group.lag,
                h.stats()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let report = h.shutdown().await.expect("shutdown");
        // The stream: messages 0, 1, 2 … once each.
        let entries = backend
            .xrange(STREAM, brook::StreamId::MIN, brook::StreamId::MAX, None)
            .await
            .expect("xrange");
        for (i, e) in entries.iter().enumerate() {
            let n = e.get(b"n").map(|v| v.to_vec());
            assert_eq!(
                n,
                Some(i.to_string().into_bytes()),
                "seed {seed}: entry {i} ({}) is not message {i}",
                e.id
            );
        }
        let total = entries.len() as u64;
        // Every acknowledged message was added, and processed: its marker is there.
        for n in &acked {
            assert!(*n < total, "seed {seed}: acknowledged message {n} lost");
            let marker = format!("{STREAM}:done:{GROUP}:{n}");
            assert!(
                backend.get(&marker).await.expect("get").is_some(),
                "seed {seed}: acknowledged message {n} never processed (no {marker})"
            );
        }
        // Every message took effect once, across the kills.
        let effects = backend
            .get(COUNTER)
            .await
            .expect("get")
            .and_then(|v| std::str::from_utf8(&v).ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        assert_eq!(
            effects, total,
            "seed {seed}: {effects} effects for {total} messages"
        );
        let pending = backend.xpending(STREAM, GROUP).await.expect("xpending");
        assert_eq!(pending.count, 0, "seed {seed}: {pending:?}");
        assert!(
            report.stats.reclaimed >= pending_at_reopen,
            "seed {seed}: {pending_at_reopen} pending from the killed children, {} reclaimed",
            report.stats.reclaimed
        );
        eprintln!(
            "worker durable: seed {seed}, {kills} kills, {total} messages ({} acknowledged to \
             the producer), {pending_at_reopen} pending at the last reopen, {} reclaimed and \
             {} processed by the last worker, {} duplicates skipped",
            acked.len(),
            report.stats.reclaimed,
            report.stats.acked,
            report.stats.duplicates
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
