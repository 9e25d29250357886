//! Retention on every backend: a random walk of adds, group reads, claims,
//! acknowledgements and safe trims, checked against a model after every trim — no
//! entry that some group has not yet delivered, or has delivered and not acknowledged,
//! is ever removed — and a long run whose length stays bounded.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use brook::retention::{self, Retention};
use brook::{
    GroupReadId, GroupStart, StreamId, Streams, WorkerOps, XAddOptions, XClaimOptions,
    XReadGroupOptions,
};
use brook_test_support::{ServerGuard, ServerKind};

use crate::differential::Rng;

const KEY: &[u8] = b"r";
const GROUPS: [&[u8]; 3] = [b"g1", b"g2", b"g3"];
const CONSUMERS: [&[u8]; 2] = [b"c1", b"c2"];

/// What each group was given and has acknowledged.
#[derive(Default)]
struct Model {
    added: BTreeSet<StreamId>,
    /// Per group: delivered IDs not yet acknowledged, and the last delivered.
    pending: BTreeMap<&'static [u8], BTreeSet<StreamId>>,
    last: BTreeMap<&'static [u8], StreamId>,
}

impl Model {
    /// IDs that must still exist: unread by some group, or pending in one.
    fn needed(&self) -> BTreeSet<StreamId> {
        self.added
            .iter()
            .copied()
            .filter(|id| {
                GROUPS.iter().any(|g| {
                    *id > self.last.get(g).copied().unwrap_or(StreamId::MIN)
                        || self.pending.get(g).is_some_and(|p| p.contains(id))
                })
            })
            .collect()
    }
}

/// One random walk of `steps` steps; returns how many entries the trims removed.
async fn walk<S: WorkerOps>(s: &S, seed: u64, steps: u64) -> u64 {
    let mut rng = Rng(seed | 1);
    let mut m = Model::default();
    for g in GROUPS {
        s.xgroup_create(KEY, g, GroupStart::Id(StreamId::MIN), true, None)
            .await
            .expect("create");
    }
    let mut trimmed = 0;
    for step in 0..steps {
        match rng.below(10) {
            0..=3 => {
                let id = s
                    .xadd_with(KEY, &XAddOptions::default(), &[("n", step.to_string())])
                    .await
                    .expect("xadd")
                    .expect("id");
                m.added.insert(id);
            }
            4..=5 => {
                let g = rng.pick(&GROUPS);
                let c = rng.pick(&CONSUMERS);
                let opts = XReadGroupOptions::default().count(1 + rng.below(4));
                let got = s
                    .xreadgroup(g, c, &[(KEY, GroupReadId::New)], &opts, None)
                    .await
                    .expect("xreadgroup");
                for e in got.into_iter().flat_map(|s| s.entries) {
                    m.pending.entry(g).or_default().insert(e.id);
                    m.last.insert(g, e.id);
                }
            }
            6..=7 => {
                let g = rng.pick(&GROUPS);
                let ids: Vec<StreamId> = m
                    .pending
                    .get(g)
                    .map(|p| p.iter().copied().filter(|_| rng.chance(50)).collect())
                    .unwrap_or_default();
                if ids.is_empty() {
                    continue;
                }
                s.xack(KEY, g, &ids).await.expect("xack");
                if let Some(p) = m.pending.get_mut(g) {
                    ids.iter().for_each(|id| {
                        p.remove(id);
                    });
                }
            }
            8 => {
                let g = rng.pick(&GROUPS);
                let ids: Vec<StreamId> = m
                    .pending
                    .get(g)
                    .map(|p| p.iter().copied().take(2).collect())
                    .unwrap_or_default();
                let c = rng.pick(&CONSUMERS);
                if ids.is_empty() {
                    continue;
                }
                s.xclaim(KEY, g, c, Duration::ZERO, &ids, &XClaimOptions::default())
                    .await
                    .expect("xclaim");
            }
            _ => {
                let policy = match rng.below(3) {
                    0 => Retention::Acked,
                    n => Retention::Safe { approx: n == 1 },
                };
                trimmed += retention::apply(s, KEY, &policy).await.expect("trim");
                let present: BTreeSet<StreamId> = s
                    .xrange(KEY, StreamId::MIN, StreamId::MAX, None)
                    .await
                    .expect("xrange")
                    .into_iter()
                    .map(|e| e.id)
                    .collect();
                let needed = m.needed();
                let lost: Vec<&StreamId> = needed.difference(&present).collect();
                assert!(
                    lost.is_empty(),
                    "seed {seed} step {step}: trimmed needed {lost:?}"
                );
                m.added = present;
            }
        }
    }
    trimmed
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Many seeds on the engine, a few on each server.
#[test]
fn safe_retention_never_trims_unfinished_work() {
    let rt = rt();
    let seeds: u64 = std::env::var("BROOK_RETENTION_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut removed = 0;
    for seed in 1..=seeds {
        let engine = brook::Engine::builder()
            .config(brook::Config {
                node_limits: brook::NodeLimits {
                    max_entries: 8,
                    ..Default::default()
                },
                ..Default::default()
            })
            .build();
        removed += rt.block_on(walk(&engine, seed, 300));
    }
    assert!(removed > 0, "the walks trimmed something");
    eprintln!("retention: {seeds} engine walks removed {removed} entries, none needed");
    for kind in ServerKind::ALL {
        let Some(server) = ServerGuard::start(kind) else {
            continue;
        };
        let url = format!("redis://127.0.0.1:{}/", server.port());
        let removed: u64 = rt.block_on(async {
            let b = brook::connect(&url).await.expect("connect");
            let mut n = 0;
            for seed in 1..=5 {
                b.del(&[KEY]).await.expect("del");
                n += walk(&b, seed * 7919, 300).await;
            }
            n
        });
        assert!(removed > 0, "{kind}: the walks trimmed something");
        eprintln!("retention: 5 walks on {kind} removed {removed} entries, none needed");
    }
}

/// Moves the manual clock until the retention task has made one more pass (it may not
/// have registered its timer yet when the clock first moves).
async fn next_pass(clock: &brook::ManualClock, task: &retention::RetentionHandle) {
    let passes = task.stats().passes;
    for _ in 0..10_000 {
        clock.advance(100);
        let more = task.wait_for(|s| s.passes > passes);
        if tokio::time::timeout(Duration::from_millis(2), more)
            .await
            .is_ok()
        {
            return;
        }
    }
    panic!("the retention task made no pass");
}

/// A producer and a consumer for many rounds with the retention task running: the
/// stream's length stays bounded, and a group that stops reading pins what it has not
/// read.
#[test]
fn retention_keeps_a_long_run_bounded() {
    let rt = rt();
    rt.block_on(async {
        let b = brook::connect("mem://?clock=manual").await.expect("mem");
        let clock = b.manual_clock().cloned().expect("manual clock");
        b.xgroup_create(KEY, b"g", GroupStart::Last, true, None)
            .await
            .expect("create");
        let task = retention::spawn(
            b.clone(),
            KEY,
            vec![Retention::Safe { approx: false }],
            Duration::from_millis(100),
        );
        let mut max_len = 0;
        for round in 0..200u64 {
            for i in 0..50 {
                b.xadd_with(
                    KEY,
                    &XAddOptions::default(),
                    &[("n", (round * 50 + i).to_string())],
                )
                .await
                .expect("xadd");
            }
            let got = b
                .xreadgroup(
                    b"g",
                    b"c",
                    &[(KEY, GroupReadId::New)],
                    &XReadGroupOptions::default().count(50),
                    None,
                )
                .await
                .expect("read");
            let ids: Vec<StreamId> = got
                .into_iter()
                .flat_map(|s| s.entries)
                .map(|e| e.id)
                .collect();
            b.xack(KEY, b"g", &ids).await.expect("ack");
            next_pass(&clock, &task).await;
            max_len = max_len.max(b.xlen(KEY).await.expect("xlen"));
        }
        assert!(max_len <= 100, "length stayed bounded: at most {max_len}");
        assert_eq!(
            b.xlen(KEY).await.expect("xlen"),
            0,
            "all processed, all trimmed"
        );
        // A second group that never reads pins everything added after it was created.
        b.xgroup_create(KEY, b"slow", GroupStart::Last, false, None)
            .await
            .expect("create");
        for i in 0..30 {
            b.xadd_with(KEY, &XAddOptions::default(), &[("n", i.to_string())])
                .await
                .expect("xadd");
        }
        next_pass(&clock, &task).await;
        assert_eq!(
            b.xlen(KEY).await.expect("xlen"),
            30,
            "unread by 'slow': kept"
        );
        task.stop();
    });
}
