//! The worker cases, each written once for every backend (see `worker.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use brook::worker::{
    dead_letters, redrive, Backoff, BoxError, CrashPoint, Message, Worker, WorkerBuilder,
    WorkerError,
};
use brook::{Backend, GroupReadId, StreamId, Streams, WorkerOps, XAddOptions, XReadGroupOptions};
use bytes::Bytes;

use crate::worker::{Env, WorkerCase};

/// Every worker case.
pub static WORKER_CASES: &[WorkerCase] = &[
    WorkerCase {
        name: "acks_on_success",
        body: |e| Box::pin(acks_on_success(e)),
    },
    WorkerCase {
        name: "restart_drains_own_history",
        body: |e| Box::pin(restart_drains_own_history(e)),
    },
    WorkerCase {
        name: "crash_after_handle_before_ack",
        body: |e| Box::pin(crash_after_handle_before_ack(e)),
    },
    WorkerCase {
        name: "aborted_worker_is_reclaimed",
        body: |e| Box::pin(aborted_worker_is_reclaimed(e)),
    },
    WorkerCase {
        name: "retries_then_dead_letters_and_redrive",
        body: |e| Box::pin(retries_then_dead_letters_and_redrive(e)),
    },
    WorkerCase {
        name: "panics_and_timeouts_are_failures",
        body: |e| Box::pin(panics_and_timeouts_are_failures(e)),
    },
    WorkerCase {
        name: "per_key_ordering",
        body: |e| Box::pin(per_key_ordering(e)),
    },
    WorkerCase {
        name: "dead_letter_crash_points",
        body: |e| Box::pin(dead_letter_crash_points(e)),
    },
    WorkerCase {
        name: "long_handler_kept_fresh",
        body: |e| Box::pin(long_handler_kept_fresh(e)),
    },
    WorkerCase {
        name: "deleted_pending_entries_acked",
        body: |e| Box::pin(deleted_pending_entries_acked(e)),
    },
    WorkerCase {
        name: "graceful_shutdown",
        body: |e| Box::pin(graceful_shutdown(e)),
    },
    WorkerCase {
        name: "idle_consumers_deleted_only_when_empty",
        body: |e| Box::pin(idle_consumers_deleted_only_when_empty(e)),
    },
    WorkerCase {
        name: "group_destroyed_under_the_worker",
        body: |e| Box::pin(group_destroyed_under_the_worker(e)),
    },
    WorkerCase {
        name: "run_until_stops_on_the_signal",
        body: |e| Box::pin(run_until_stops_on_the_signal(e)),
    },
    WorkerCase {
        name: "idempotent_effects_apply_once",
        body: |e| Box::pin(idempotent_effects_apply_once(e)),
    },
    WorkerCase {
        name: "idempotent_race_with_a_reclaimer",
        body: |e| Box::pin(idempotent_race_with_a_reclaimer(e)),
    },
    WorkerCase {
        name: "effects_commit_with_the_ack",
        body: |e| Box::pin(effects_commit_with_the_ack(e)),
    },
    WorkerCase {
        name: "load_100k",
        body: |e| Box::pin(load_100k(e)),
    },
];

const STREAM: &[u8] = b"jobs";
const DEAD: &[u8] = b"jobs:dead";
const GROUP: &[u8] = b"g";

/// A worker over `jobs`/`g` with short intervals (virtual on the engine).
fn worker(env: &Env, consumer: &str) -> WorkerBuilder<Backend> {
    Worker::builder(env.backend.clone(), STREAM, GROUP)
        .consumer(consumer)
        // One at a time unless a case says otherwise: the cases count on the order.
        .concurrency(1)
        .block(Duration::from_millis(100))
        .claim_idle(Duration::from_millis(600))
        .claim_interval(Duration::from_millis(100))
        .backoff(Backoff::fixed(Duration::from_millis(50)))
        .shutdown_timeout(Duration::from_millis(500))
}

/// Adds `n` entries `n <i>` (plus `extra` fields); their IDs.
async fn add(env: &Env, n: u64, extra: &[(&str, &str)]) -> Vec<StreamId> {
    let mut ids = Vec::new();
    for i in 0..n {
        let mut fields = vec![("n".to_string(), i.to_string())];
        fields.extend(extra.iter().map(|(f, v)| (f.to_string(), v.to_string())));
        let id = env
            .backend
            .xadd_with(STREAM, &XAddOptions::default(), &fields)
            .await
            .expect("xadd")
            .expect("id");
        ids.push(id);
    }
    ids
}

fn n_of(m: &Message) -> u64 {
    m.field("n")
        .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
        .unwrap_or(u64::MAX)
}

/// Deliveries seen by a handler: (id, deliveries).
type Seen = Arc<Mutex<Vec<(StreamId, u64)>>>;

fn record(seen: &Seen, m: &Message) {
    seen.lock().expect("lock").push((m.id, m.deliveries));
}

fn count_of(seen: &Seen, id: StreamId) -> usize {
    seen.lock()
        .expect("lock")
        .iter()
        .filter(|(i, _)| *i == id)
        .count()
}

/// Waits until a crashed worker has stopped; its error.
async fn crashed(env: &Env, h: brook::worker::WorkerHandle) -> WorkerError {
    env.eventually("the worker to die", || {
        let done = h.is_finished();
        async move { done }
    })
    .await;
    h.join().await.expect_err("the worker crashed")
}

async fn acks_on_success(env: &Env) {
    let ids = add(env, 40, &[]).await;
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let h = worker(env, "w1")
        .concurrency(4)
        .batch(8)
        .build()
        .spawn(move |m: Message| {
            record(&s, &m);
            async { Ok(()) }
        });
    env.until(&h, "40 acks", |s| s.acked >= 40).await;
    let report = h.shutdown().await.expect("shutdown");
    assert_eq!(report.completed, 40);
    assert!(
        report.consumer_deleted,
        "an empty consumer is deleted on shutdown"
    );
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
    let mut got: Vec<StreamId> = seen.lock().expect("lock").iter().map(|(i, _)| *i).collect();
    got.sort();
    assert_eq!(got, ids, "each entry handled once");
    assert!(seen.lock().expect("lock").iter().all(|(_, d)| *d == 1));
    let consumers = env
        .backend
        .xinfo_consumers(STREAM, GROUP)
        .await
        .expect("consumers");
    assert!(consumers.is_empty(), "{consumers:?}");
}

async fn restart_drains_own_history(env: &Env) {
    let ids = add(env, 5, &[]).await;
    let a = worker(env, "w")
        .concurrency(5)
        .batch(5)
        // Every task dies before its handler: the first one to get there kills the worker.
        .crash_when(|p, _| p == CrashPoint::AfterReadBeforeHandle)
        .build()
        .spawn(|_m: Message| async { Ok(()) });
    assert_eq!(
        crashed(env, a).await,
        WorkerError::Crashed(CrashPoint::AfterReadBeforeHandle)
    );
    assert_eq!(
        env.pending(STREAM, GROUP).await,
        5,
        "read, not handled: pending"
    );
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let b = worker(env, "w").build().spawn(move |m: Message| {
        record(&s, &m);
        async { Ok(()) }
    });
    let st = env.until(&b, "5 acks", |s| s.acked >= 5).await;
    assert_eq!(st.reclaimed, 0, "its own history, not a reclaim");
    b.shutdown().await.expect("shutdown");
    let got = seen.lock().expect("lock").clone();
    assert_eq!(
        got,
        ids.iter().map(|i| (*i, 2)).collect::<Vec<_>>(),
        "history in order, second delivery"
    );
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
}

async fn crash_after_handle_before_ack(env: &Env) {
    let ids = add(env, 3, &[]).await;
    let first = ids[0];
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let a = worker(env, "w")
        .crash_when(move |p, id| p == CrashPoint::AfterHandleBeforeAck && id == first)
        .build()
        .spawn(move |m: Message| {
            record(&s, &m);
            async { Ok(()) }
        });
    assert_eq!(
        crashed(env, a).await,
        WorkerError::Crashed(CrashPoint::AfterHandleBeforeAck)
    );
    let s = seen.clone();
    let b = worker(env, "w").build().spawn(move |m: Message| {
        record(&s, &m);
        async { Ok(()) }
    });
    env.until(&b, "3 acks", |s| s.acked >= 3).await;
    b.shutdown().await.expect("shutdown");
    assert_eq!(
        count_of(&seen, first),
        2,
        "handled, not acknowledged: handled again"
    );
    for id in &ids[1..] {
        assert_eq!(count_of(&seen, *id), 1);
    }
    assert_eq!(env.pending(STREAM, GROUP).await, 0, "nothing lost");
}

async fn aborted_worker_is_reclaimed(env: &Env) {
    let ids = add(env, 1, &[]).await;
    let started = Arc::new(AtomicU64::new(0));
    let st = started.clone();
    let a = worker(env, "a").build().spawn(move |_m: Message| {
        st.fetch_add(1, Ordering::SeqCst);
        async { std::future::pending::<Result<(), BoxError>>().await }
    });
    env.eventually("worker a to start the handler", || {
        let n = started.load(Ordering::SeqCst);
        async move { n == 1 }
    })
    .await;
    a.abort();
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let b = worker(env, "b").build().spawn(move |m: Message| {
        record(&s, &m);
        async { Ok(()) }
    });
    let stats = env
        .until(&b, "the reclaimed entry acked", |s| s.acked >= 1)
        .await;
    assert_eq!(stats.reclaimed, 1);
    b.shutdown().await.expect("shutdown");
    assert_eq!(seen.lock().expect("lock").clone(), vec![(ids[0], 2)]);
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
}

async fn retries_then_dead_letters_and_redrive(env: &Env) {
    add(env, 3, &[("kind", "ok")]).await;
    let poison = add(env, 1, &[("kind", "poison")]).await[0];
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let h = worker(env, "w")
        .max_deliveries(3)
        .build()
        .spawn(move |m: Message| {
            record(&s, &m);
            let bad = m.field("kind").is_some_and(|k| &k[..] == b"poison");
            async move {
                if bad {
                    Err("bad input".into())
                } else {
                    Ok(())
                }
            }
        });
    let st = env
        .until(&h, "3 acks and a dead letter", |s| {
            s.acked >= 3 && s.dead_lettered >= 1
        })
        .await;
    assert_eq!((st.failed, st.retried, st.dead_lettered), (3, 2, 1));
    h.shutdown().await.expect("shutdown");
    let tries: Vec<u64> = seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|(i, _)| *i == poison)
        .map(|(_, d)| *d)
        .collect();
    assert_eq!(tries, vec![1, 2, 3], "Redis's delivery count on each try");
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
    let dls = dead_letters(&env.backend, DEAD, 10)
        .await
        .expect("dead letters");
    assert_eq!(dls.len(), 1);
    let dl = &dls[0];
    assert_eq!(
        (
            &dl.stream[..],
            &dl.group[..],
            dl.original_id,
            dl.deliveries,
            dl.error.as_str(),
            &dl.consumer[..]
        ),
        (STREAM, GROUP, poison, 3, "bad input", &b"w"[..])
    );
    let original = env
        .backend
        .xrange(STREAM, poison, poison, None)
        .await
        .expect("xrange");
    assert_eq!(dl.fields, original[0].fields, "the payload travels with it");
    assert_eq!(redrive(&env.backend, DEAD, 10).await.expect("redrive"), 1);
    assert_eq!(env.backend.xlen(DEAD).await.expect("xlen"), 0);
    let last = env
        .backend
        .xrevrange(STREAM, StreamId::MAX, StreamId::MIN, Some(1))
        .await
        .expect("xrevrange");
    assert!(last[0].id > poison);
    assert_eq!(
        last[0].fields, original[0].fields,
        "redriven with its fields"
    );
}

async fn panics_and_timeouts_are_failures(env: &Env) {
    let panicky = add(env, 1, &[("kind", "panic")]).await[0];
    let slow = add(env, 1, &[("kind", "slow")]).await[0];
    let h = worker(env, "w")
        .concurrency(2)
        .handler_timeout(Duration::from_millis(300))
        .build()
        .spawn(move |m: Message| {
            let first = m.deliveries == 1;
            let kind = m.field("kind").cloned().unwrap_or_default();
            async move {
                if first && &kind[..] == b"panic" {
                    panic!("the handler panicked on purpose");
                }
                if first && &kind[..] == b"slow" {
                    std::future::pending::<()>().await;
                }
                Ok(())
            }
        });
    let st = env.until(&h, "both acked", |s| s.acked >= 2).await;
    assert_eq!(
        (st.panicked, st.timed_out, st.failed, st.retried),
        (1, 1, 2, 2)
    );
    h.shutdown().await.expect("shutdown");
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
    let _ = (panicky, slow);
}

async fn per_key_ordering(env: &Env) {
    // 30 entries over 3 keys; the 5th entry of key k1 fails once (its retry must hold
    // the later k1 entries back).
    let mut order = Vec::new();
    for i in 0..30u64 {
        let key = format!("k{}", i % 3);
        let id = env
            .backend
            .xadd_with(
                STREAM,
                &XAddOptions::default(),
                &[("n", i.to_string()), ("key", key.clone())],
            )
            .await
            .expect("xadd")
            .expect("id");
        order.push((key, id));
    }
    let failing = order[13].1;
    let done: Arc<Mutex<HashMap<Bytes, Vec<StreamId>>>> = Arc::default();
    let running: Arc<Mutex<HashMap<Bytes, u32>>> = Arc::default();
    let overlap = Arc::new(AtomicBool::new(false));
    let (d, r, o) = (done.clone(), running.clone(), overlap.clone());
    let h = worker(env, "w")
        .concurrency(8)
        .batch(8)
        .ordering_key("key")
        .build()
        .spawn(move |m: Message| {
            let (d, r, o) = (d.clone(), r.clone(), o.clone());
            async move {
                let key = m.field("key").cloned().unwrap_or_default();
                {
                    let mut r = r.lock().expect("lock");
                    let n = r.entry(key.clone()).or_default();
                    *n += 1;
                    if *n > 1 {
                        o.store(true, Ordering::SeqCst);
                    }
                }
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                *r.lock().expect("lock").entry(key.clone()).or_default() -= 1;
                if m.id == failing && m.deliveries == 1 {
                    return Err("once".into());
                }
                d.lock().expect("lock").entry(key).or_default().push(m.id);
                Ok(())
            }
        });
    env.until(&h, "30 acks", |s| s.acked >= 30).await;
    h.shutdown().await.expect("shutdown");
    assert!(
        !overlap.load(Ordering::SeqCst),
        "two entries of one key ran at once"
    );
    let done = done.lock().expect("lock");
    for k in ["k0", "k1", "k2"] {
        let want: Vec<StreamId> = order
            .iter()
            .filter(|(kk, _)| kk == k)
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(done.get(k.as_bytes()), Some(&want), "order of {k}");
    }
}

async fn dead_letter_crash_points(env: &Env) {
    let always_fail = |_m: Message| async { Err::<(), BoxError>("nope".into()) };
    // Dies just before the atomic add-and-ack: the entry stays pending, and the next
    // worker with the name dead-letters it (its delivery count is past the limit).
    let first = add(env, 1, &[]).await[0];
    let a = worker(env, "w")
        .max_deliveries(2)
        .crash_when(|p, _| p == CrashPoint::BeforeDeadLetter)
        .build()
        .spawn(always_fail);
    assert_eq!(
        crashed(env, a).await,
        WorkerError::Crashed(CrashPoint::BeforeDeadLetter)
    );
    assert_eq!(env.backend.xlen(DEAD).await.expect("xlen"), 0);
    assert_eq!(env.pending(STREAM, GROUP).await, 1);
    let b = worker(env, "w")
        .max_deliveries(2)
        .build()
        .spawn(always_fail);
    env.until(&b, "the dead letter", |s| s.dead_lettered >= 1)
        .await;
    b.shutdown().await.expect("shutdown");
    let dls = dead_letters(&env.backend, DEAD, 10)
        .await
        .expect("dead letters");
    assert_eq!(dls.len(), 1);
    assert_eq!((dls[0].original_id, dls[0].deliveries), (first, 3));
    assert!(
        dls[0].error.contains("delivered 3 times"),
        "{}",
        dls[0].error
    );
    // Dies right after the atomic step: written once and acknowledged, so the next
    // worker finds nothing to do — no duplicate dead letter.
    let second = add(env, 1, &[]).await[0];
    let c = worker(env, "w")
        .max_deliveries(2)
        .crash_when(|p, _| p == CrashPoint::AfterDeadLetter)
        .build()
        .spawn(always_fail);
    assert_eq!(
        crashed(env, c).await,
        WorkerError::Crashed(CrashPoint::AfterDeadLetter)
    );
    let d = worker(env, "w")
        .max_deliveries(2)
        .build()
        .spawn(always_fail);
    env.until(&d, "its history drained", |s| s.reading_new)
        .await;
    env.pass(1000).await;
    let report = d.shutdown().await.expect("shutdown");
    assert_eq!(report.stats.dead_lettered, 0);
    let dls = dead_letters(&env.backend, DEAD, 10)
        .await
        .expect("dead letters");
    let originals: Vec<StreamId> = dls.iter().map(|d| d.original_id).collect();
    assert_eq!(originals, vec![first, second], "one dead letter per entry");
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
}

async fn long_handler_kept_fresh(env: &Env) {
    let id = add(env, 1, &[]).await[0];
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let started = Arc::new(AtomicU64::new(0));
    let (g, st) = (gate.clone(), started.clone());
    let a = worker(env, "a").build().spawn(move |_m: Message| {
        let (g, st) = (g.clone(), st.clone());
        async move {
            st.fetch_add(1, Ordering::SeqCst);
            let _permit = g.acquire().await;
            Ok(())
        }
    });
    env.eventually("the handler to start", || {
        let n = started.load(Ordering::SeqCst);
        async move { n == 1 }
    })
    .await;
    let b = worker(env, "b")
        .build()
        .spawn(|_m: Message| async { Ok(()) });
    // Three times the claim idle time: without touches b would take it.
    env.pass(1800).await;
    let bs = b.stats();
    assert!(bs.reclaim_passes >= 3, "b ran its reclaim passes: {bs:?}");
    assert_eq!(bs.reclaimed, 0, "a kept its entry fresh");
    gate.add_permits(1);
    env.until(&a, "a's ack", |s| s.acked >= 1).await;
    a.shutdown().await.expect("shutdown a");
    b.shutdown().await.expect("shutdown b");
    assert_eq!(started.load(Ordering::SeqCst), 1, "handled once");
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
    let _ = id;
}

async fn deleted_pending_entries_acked(env: &Env) {
    let ids = add(env, 5, &[]).await;
    let started = Arc::new(AtomicU64::new(0));
    let st = started.clone();
    let a = worker(env, "a")
        .concurrency(5)
        .build()
        .spawn(move |_m: Message| {
            st.fetch_add(1, Ordering::SeqCst);
            async { std::future::pending::<Result<(), BoxError>>().await }
        });
    env.eventually("a to hold all five", || {
        let n = started.load(Ordering::SeqCst);
        async move { n == 5 }
    })
    .await;
    a.abort();
    assert_eq!(env.backend.xdel(STREAM, &ids[..3]).await.expect("xdel"), 3);
    let b = worker(env, "b")
        .build()
        .spawn(|_m: Message| async { Ok(()) });
    let st = env
        .until(&b, "two acks and three deleted IDs", |s| {
            s.acked >= 2 && s.deleted_acked >= 3
        })
        .await;
    assert_eq!(st.reclaimed, 2);
    b.shutdown().await.expect("shutdown");
    assert_eq!(env.pending(STREAM, GROUP).await, 0, "the PEL does not leak");
}

async fn graceful_shutdown(env: &Env) {
    // In-flight work that finishes within the deadline is acknowledged.
    add(env, 1, &[]).await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let started = Arc::new(AtomicU64::new(0));
    let handler = {
        let (g, st) = (gate.clone(), started.clone());
        move |_m: Message| {
            let (g, st) = (g.clone(), st.clone());
            async move {
                st.fetch_add(1, Ordering::SeqCst);
                if let Ok(p) = g.acquire().await {
                    p.forget();
                }
                Ok(())
            }
        }
    };
    let h = worker(env, "w").build().spawn(handler.clone());
    env.eventually("the handler to start", || {
        let n = started.load(Ordering::SeqCst);
        async move { n == 1 }
    })
    .await;
    let stopping = tokio::spawn(h.shutdown());
    gate.add_permits(1);
    let report = stopping.await.expect("join").expect("shutdown");
    assert_eq!((report.completed, report.abandoned), (1, 0));
    assert!(report.consumer_deleted);
    assert_eq!(env.pending(STREAM, GROUP).await, 0);

    // Work still running at the deadline is cut off and stays pending; the consumer
    // owns it, so it is not deleted.
    add(env, 2, &[]).await;
    let h = worker(env, "w")
        .concurrency(2)
        .build()
        .spawn(handler.clone());
    env.eventually("both handlers to start", || {
        let n = started.load(Ordering::SeqCst);
        async move { n == 3 }
    })
    .await;
    let stopping = tokio::spawn(h.shutdown());
    env.eventually("the shutdown deadline", || {
        let done = stopping.is_finished();
        async move { done }
    })
    .await;
    let report = stopping.await.expect("join").expect("shutdown");
    assert_eq!((report.completed, report.abandoned), (0, 2));
    assert!(!report.consumer_deleted, "it still owns two entries");
    assert_eq!(env.pending(STREAM, GROUP).await, 2);
    // The same name picks them up again.
    gate.add_permits(10);
    let h = worker(env, "w").concurrency(2).build().spawn(handler);
    env.until(&h, "both acked", |s| s.acked >= 2).await;
    assert!(h.shutdown().await.expect("shutdown").consumer_deleted);
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
}

async fn idle_consumers_deleted_only_when_empty(env: &Env) {
    let b = &env.backend;
    b.xgroup_create(
        STREAM,
        GROUP,
        brook::GroupStart::Id(StreamId::MIN),
        true,
        None,
    )
    .await
    .expect("create");
    add(env, 1, &[]).await;
    b.xgroup_createconsumer(STREAM, GROUP, b"ghost")
        .await
        .expect("ghost");
    b.xreadgroup(
        GROUP,
        b"busy-ghost",
        &[(STREAM, GroupReadId::New)],
        &XReadGroupOptions::default().count(1),
        None,
    )
    .await
    .expect("read");
    let h = worker(env, "w")
        .claim_idle(Duration::from_secs(3600))
        .delete_idle_consumers(Duration::from_millis(300))
        .build()
        .spawn(|_m: Message| async { Ok(()) });
    env.until(&h, "the empty ghost deleted", |s| s.consumers_deleted >= 1)
        .await;
    env.pass(500).await;
    let names: Vec<Bytes> = b
        .xinfo_consumers(STREAM, GROUP)
        .await
        .expect("consumers")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        names.contains(&Bytes::from_static(b"busy-ghost")),
        "{names:?}"
    );
    assert!(!names.contains(&Bytes::from_static(b"ghost")), "{names:?}");
    assert_eq!(h.stats().consumers_deleted, 1);
    h.shutdown().await.expect("shutdown");
    assert_eq!(
        env.pending(STREAM, GROUP).await,
        1,
        "the busy ghost's entry is kept"
    );
    // The conditional delete refuses a consumer that owns entries.
    assert!(!b
        .xgroup_delconsumer_if_empty(STREAM, GROUP, b"busy-ghost")
        .await
        .expect("delete"));
    assert_eq!(env.pending(STREAM, GROUP).await, 1);
}

async fn group_destroyed_under_the_worker(env: &Env) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let h = worker(env, "w")
        .start(brook::GroupStart::Last)
        .build()
        .spawn(move |m: Message| {
            record(&s, &m);
            async { Ok(()) }
        });
    env.until(&h, "reading new entries", |s| s.reading_new)
        .await;
    assert!(env
        .backend
        .xgroup_destroy(STREAM, GROUP)
        .await
        .expect("destroy"));
    env.until(&h, "the error seen", |s| s.errors >= 1).await;
    env.eventually("the group created again", || {
        let b = env.backend.clone();
        async move { b.xinfo_groups(STREAM).await.is_ok_and(|g| g.len() == 1) }
    })
    .await;
    let id = add(env, 1, &[]).await[0];
    env.until(&h, "the new entry acked", |s| s.acked >= 1).await;
    h.shutdown().await.expect("shutdown");
    assert_eq!(seen.lock().expect("lock").clone(), vec![(id, 1)]);
}

async fn run_until_stops_on_the_signal(env: &Env) {
    add(env, 3, &[]).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handled = Arc::new(AtomicU64::new(0));
    let hd = handled.clone();
    let mut stop = Some(stop);
    let run = worker(env, "w").build().run_until(
        move |_m: Message| {
            let hd = hd.clone();
            async move {
                hd.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        },
        async move {
            let _ = stopped.await;
        },
    );
    let run = tokio::spawn(run);
    env.eventually("three handled", || {
        let n = handled.load(Ordering::SeqCst);
        async move { n == 3 }
    })
    .await;
    if let Some(s) = stop.take() {
        let _ = s.send(());
    }
    let report = run.await.expect("join").expect("run");
    assert_eq!(report.completed, 3);
    assert!(report.consumer_deleted);
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
}

const TOTAL: &[u8] = b"other";

/// Adds an order entry; its ID.
async fn order(env: &Env, order: &str, amount: i64) -> StreamId {
    env.backend
        .xadd_with(
            STREAM,
            &XAddOptions::default(),
            &[("order", order.to_string()), ("amount", amount.to_string())],
        )
        .await
        .expect("xadd")
        .expect("id")
}

fn amount(m: &Message) -> i64 {
    m.field("amount")
        .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
        .unwrap_or(0)
}

async fn total(env: &Env) -> i64 {
    env.backend
        .get(TOTAL)
        .await
        .expect("get")
        .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok())
        .unwrap_or(0)
}

/// A crash between a handler's success and its commit, and an order added twice: the
/// handler's writes apply once per order.
async fn idempotent_effects_apply_once(env: &Env) {
    let first = order(env, "o1", 5).await;
    let second = order(env, "o2", 7).await;
    let dup = order(env, "o1", 5).await;
    let seen: Seen = Arc::default();
    let handler = {
        let seen = seen.clone();
        move |m: Message| {
            record(&seen, &m);
            m.effects.incr_by(TOTAL, amount(&m));
            async { Ok(()) }
        }
    };
    let build = || {
        worker(env, "w")
            .idempotent(Duration::from_secs(3600))
            .idempotency_key("order")
    };
    let a = build()
        .crash_when(move |p, id| p == CrashPoint::AfterHandleBeforeAck && id == first)
        .build()
        .spawn(handler.clone());
    assert_eq!(
        crashed(env, a).await,
        WorkerError::Crashed(CrashPoint::AfterHandleBeforeAck)
    );
    assert_eq!(total(env).await, 0, "nothing committed before the crash");
    let b = build().build().spawn(handler);
    let st = env.until(&b, "three entries done", |s| s.acked >= 3).await;
    // The duplicate order is spotted before its handler runs, and acknowledged: it
    // counts in `acked` as well as in `duplicates` (as one spotted at commit time does,
    // see `idempotent_race_with_a_reclaimer`).
    assert_eq!((st.acked, st.duplicates, st.succeeded), (3, 1, 2), "{st:?}");
    let report = b.shutdown().await.expect("shutdown");
    assert_eq!(report.completed, 3, "{report:?}");
    assert_eq!(report.stats.acked, 3, "{report:?}");
    assert_eq!(total(env).await, 12, "o1 once, o2 once");
    assert_eq!(count_of(&seen, first), 2, "run again after the crash");
    assert_eq!(count_of(&seen, second), 1);
    assert_eq!(count_of(&seen, dup), 0, "the duplicate order is not run");
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
    let marker = env.backend.get(b"jobs:done:g:o1").await.expect("get");
    assert!(marker.is_some(), "the marker is kept");
}

/// A slow handler's entry is reclaimed and processed by another worker; when the slow
/// one finishes, its commit is a duplicate and changes nothing.
async fn idempotent_race_with_a_reclaimer(env: &Env) {
    order(env, "o1", 5).await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let started = Arc::new(AtomicU64::new(0));
    let (g, st) = (gate.clone(), started.clone());
    let a = worker(env, "a")
        .idempotent(Duration::from_secs(3600))
        // Never refreshed: b may take it over.
        .touch_interval(Duration::from_secs(3600))
        .build()
        .spawn(move |m: Message| {
            let (g, st) = (g.clone(), st.clone());
            async move {
                st.fetch_add(1, Ordering::SeqCst);
                if let Ok(p) = g.acquire().await {
                    p.forget();
                }
                m.effects.incr_by(TOTAL, amount(&m));
                Ok(())
            }
        });
    env.eventually("a to start", || {
        let n = started.load(Ordering::SeqCst);
        async move { n == 1 }
    })
    .await;
    let b = worker(env, "b")
        .idempotent(Duration::from_secs(3600))
        .build()
        .spawn(move |m: Message| {
            m.effects.incr_by(TOTAL, amount(&m));
            async { Ok(()) }
        });
    env.until(&b, "b's commit", |s| s.acked >= 1).await;
    gate.add_permits(1);
    let st = env
        .until(&a, "a's duplicate commit", |s| s.duplicates >= 1)
        .await;
    // A duplicate spotted at commit time is acknowledged (mark-and-ack-if-new acks
    // it) and counted in `acked`, like one spotted before the handler ran.
    assert_eq!((st.succeeded, st.duplicates, st.acked), (1, 1, 1), "{st:?}");
    let report = a.shutdown().await.expect("shutdown a");
    assert_eq!((report.completed, report.taken_over), (1, 0), "{report:?}");
    b.shutdown().await.expect("shutdown b");
    assert_eq!(total(env).await, 5, "applied once");
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
}

/// Without idempotency the handler's writes still commit in one MULTI with the XACK:
/// after a crash before the commit nothing of them is there, and the retry applies
/// them once.
async fn effects_commit_with_the_ack(env: &Env) {
    let first = order(env, "o1", 5).await;
    let handler = |m: Message| {
        m.effects.incr_by(TOTAL, amount(&m));
        async { Ok(()) }
    };
    let a = worker(env, "w")
        .crash_when(move |p, id| p == CrashPoint::AfterHandleBeforeAck && id == first)
        .build()
        .spawn(handler);
    crashed(env, a).await;
    assert_eq!(total(env).await, 0);
    let b = worker(env, "w").build().spawn(handler);
    env.until(&b, "the commit", |s| s.acked >= 1).await;
    b.shutdown().await.expect("shutdown");
    assert_eq!(total(env).await, 5);
    assert_eq!(env.pending(STREAM, GROUP).await, 0);
}

/// How many messages the load case moves (`BROOK_WORKER_LOAD`, default 100 000).
fn load_size() -> u64 {
    std::env::var("BROOK_WORKER_LOAD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

async fn load_100k(env: &Env) {
    const PRODUCERS: u64 = 4;
    const WORKERS: usize = 3;
    let total = load_size();
    // n % 97 == 0: always fails (dead-lettered); n % 31 == 0: fails once; n % 53 == 0:
    // panics once.
    let poison = |n: u64| n.is_multiple_of(97);
    let ok: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let mut handles = Vec::new();
    for w in 0..WORKERS {
        let ok = ok.clone();
        let h = worker(env, &format!("w{w}"))
            .concurrency(32)
            .batch(64)
            .max_deliveries(3)
            .backoff(Backoff::fixed(Duration::from_millis(20)))
            .build()
            .spawn(move |m: Message| {
                let n = n_of(&m);
                let first = m.deliveries == 1;
                let ok = ok.clone();
                async move {
                    if poison(n) || (first && n.is_multiple_of(31)) {
                        return Err(format!("failing {n}").into());
                    }
                    if first && n.is_multiple_of(53) {
                        panic!("panicking on {n} on purpose");
                    }
                    ok.get(n as usize)
                        .ok_or("n out of range")?
                        .fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            });
        handles.push(h);
    }
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        let backend = env.backend.clone();
        producers.push(tokio::spawn(async move {
            let mut n = p;
            while n < total {
                backend
                    .xadd_with(STREAM, &XAddOptions::default(), &[("n", n.to_string())])
                    .await
                    .expect("xadd");
                n += PRODUCERS;
            }
        }));
    }
    for p in producers {
        p.await.expect("producer");
    }
    let poisoned = (0..total).filter(|n| poison(*n)).count() as u64;
    let started = std::time::Instant::now();
    env.eventually("every message acknowledged or dead-lettered", || {
        let backend = env.backend.clone();
        async move {
            let dead = backend.xlen(DEAD).await.unwrap_or(0);
            let pending = backend
                .xpending(STREAM, GROUP)
                .await
                .map(|s| s.count)
                .unwrap_or(1);
            dead >= poisoned && pending == 0
        }
    })
    .await;
    let mut dead_lettered = 0;
    for h in handles {
        let r = h.shutdown().await.expect("shutdown");
        dead_lettered += r.stats.dead_lettered;
    }
    eprintln!(
        "worker: load of {total} on {} took {:?} after producing",
        env.name,
        started.elapsed()
    );
    assert_eq!(
        dead_lettered, poisoned,
        "one dead letter per poison message"
    );
    let dls = dead_letters(&env.backend, DEAD, poisoned + 10)
        .await
        .expect("dead letters");
    let mut dl_ns: Vec<u64> = dls
        .iter()
        .map(|d| {
            d.fields
                .iter()
                .find(|(f, _)| &f[..] == b"n")
                .and_then(|(_, v)| std::str::from_utf8(v).ok()?.parse().ok())
                .unwrap_or(u64::MAX)
        })
        .collect();
    dl_ns.sort_unstable();
    let want: Vec<u64> = (0..total).filter(|n| poison(*n)).collect();
    assert_eq!(
        dl_ns, want,
        "exactly the poison messages are dead-lettered, once each"
    );
    let missing: Vec<u64> = (0..total)
        .filter(|n| !poison(*n) && ok[*n as usize].load(Ordering::SeqCst) == 0)
        .take(10)
        .collect();
    assert!(missing.is_empty(), "never processed: {missing:?}");
    assert_eq!(env.pending(STREAM, GROUP).await, 0, "an empty PEL");
}
