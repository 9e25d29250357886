//! Blocking reads on the engine (reference §21): who is woken by what, in which order,
//! with which reply; timeouts on the virtual clock; the thread and future forms; what a
//! dropped future leaves behind; closing the engine.
//!
//! Threads here wait for a reader to be registered with `wait_blocked` (polling the
//! engine's count of blocked readers) before they write, so every test is
//! deterministic.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use brook_engine::{
    Engine, Error, GroupReadId, ManualClock, Reply, StreamId, XReadGroupOptions, XReadId,
};

use brook_engine::frontend::{Protocol, ReadOutput, ReadRequest};
use bytes::Bytes;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn argv(s: &str) -> Vec<Bytes> {
    s.split(' ').map(b).collect()
}

fn engine_at(ms: u64) -> (Engine, ManualClock) {
    let clock = ManualClock::new(ms);
    (Engine::builder().clock(clock.clone()).build(), clock)
}

fn resp(r: &Reply, proto: Protocol) -> String {
    let mut out = Vec::new();
    r.write_resp(proto, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn run(e: &Engine, cmd: &str) -> String {
    resp(&e.execute(&argv(cmd)), Protocol::Resp2)
}

/// Waits until `n` readers are blocked (the registration happens under the engine
/// lock, so after this a write is guaranteed to see them).
fn wait_blocked(e: &Engine, n: usize) {
    let start = Instant::now();
    while e.blocked_readers() != n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "expected {n} blocked readers, have {}",
            e.blocked_readers()
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// Spawns `cmd` through `Engine::execute` on its own thread.
fn spawn(e: &Engine, cmd: &str) -> thread::JoinHandle<String> {
    let e = e.clone();
    let cmd = cmd.to_string();
    thread::spawn(move || run(&e, &cmd))
}

struct ThreadWaker(thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `fut` once; `Some` if it finished.
fn poll_once<F: Future>(fut: std::pin::Pin<&mut F>, waker: &Waker) -> Option<F::Output> {
    match fut.poll(&mut Context::from_waker(waker)) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

#[test]
fn xread_block_is_woken_by_xadd_on_another_thread() {
    let e = Engine::new();
    let reader = spawn(&e, "XREAD BLOCK 0 STREAMS s $");
    wait_blocked(&e, 1);
    e.execute(&argv("XADD s 5-1 f v"));
    assert_eq!(
        reader.join().expect("reader"),
        "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    assert_eq!(e.blocked_readers(), 0);
    e.check().expect("engine invariants");
}

#[test]
fn group_readers_are_served_in_blocking_order_one_entry_each() {
    let e = Engine::new();
    run(&e, "XGROUP CREATE s g $ MKSTREAM");
    let first = spawn(&e, "XREADGROUP GROUP g alice COUNT 1 BLOCK 0 STREAMS s >");
    wait_blocked(&e, 1);
    let second = spawn(&e, "XREADGROUP GROUP g bob COUNT 1 BLOCK 0 STREAMS s >");
    wait_blocked(&e, 2);
    let third = spawn(&e, "XREADGROUP GROUP g carol COUNT 1 BLOCK 0 STREAMS s >");
    wait_blocked(&e, 3);
    // Two entries in one atomic batch: one wake-up round, FIFO, one entry each.
    e.with_keyspace(|ks, now| {
        ks.execute(&argv("XADD s 2-0 f a"), now);
        ks.execute(&argv("XADD s 3-0 f b"), now);
    });
    assert!(first.join().expect("first").contains("2-0"));
    assert!(second.join().expect("second").contains("3-0"));
    assert_eq!(e.blocked_readers(), 1, "the third reader stays blocked");
    assert_eq!(
        run(&e, "XPENDING s g"),
        "*4\r\n:2\r\n$3\r\n2-0\r\n$3\r\n3-0\r\n*2\r\n*2\r\n$5\r\nalice\r\n$1\r\n1\r\n*2\r\n$3\r\nbob\r\n$1\r\n1\r\n"
    );
    run(&e, "XADD s 4-0 f c");
    assert!(third.join().expect("third").contains("4-0"));
    e.check().expect("engine invariants");
}

#[test]
fn timeouts_fire_on_the_virtual_clock_and_reblocking_keeps_the_deadline() {
    let (e, clock) = engine_at(1_000_000);
    let reader = spawn(&e, "XREAD BLOCK 1000 STREAMS s $");
    wait_blocked(&e, 1);
    clock.advance(500);
    // A batch that adds and removes: the re-run finds nothing, the reader re-blocks.
    e.with_keyspace(|ks, now| {
        ks.execute(&argv("XADD s 2-0 f v"), now);
        ks.execute(&argv("XDEL s 2-0"), now);
    });
    assert_eq!(e.blocked_readers(), 1);
    clock.advance(499);
    assert_eq!(e.blocked_readers(), 1, "not due yet");
    clock.advance(1);
    // The timeout is delivered inside advance(): the count is already 0.
    assert_eq!(e.blocked_readers(), 0);
    assert_eq!(reader.join().expect("reader"), "*-1\r\n");
}

#[test]
fn xadd_maxlen_zero_leaves_readers_blocked() {
    let e = Engine::new();
    run(&e, "XGROUP CREATE s g $ MKSTREAM");
    let reader = spawn(&e, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
    wait_blocked(&e, 1);
    run(&e, "XADD s MAXLEN 0 2-0 f v");
    assert_eq!(e.blocked_readers(), 1);
    run(&e, "XADD s 3-0 f v");
    assert!(reader.join().expect("reader").contains("3-0"));
}

#[test]
fn destroy_del_and_set_answer_the_rerun_errors() {
    let e = Engine::new();
    for cmd in [
        "XGROUP DESTROY s g",
        "DEL s",
        "SET s x",
        "FLUSHALL",
        "UNLINK s",
    ] {
        run(&e, "DEL s");
        run(&e, "XGROUP CREATE s g $ MKSTREAM");
        let reader = spawn(&e, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
        wait_blocked(&e, 1);
        run(&e, cmd);
        let expected = if cmd.starts_with("SET") {
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        } else {
            "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n"
        };
        assert_eq!(reader.join().expect("reader"), expected, "after {cmd}");
        assert_eq!(e.blocked_readers(), 0);
    }
}

#[test]
fn xread_is_not_woken_by_deletion_or_type_change() {
    let e = Engine::new();
    run(&e, "XADD s 1-0 f v");
    let reader = spawn(&e, "XREAD BLOCK 0 STREAMS s $");
    wait_blocked(&e, 1);
    run(&e, "DEL s");
    run(&e, "SET s x");
    assert_eq!(e.blocked_readers(), 1);
    run(&e, "DEL s");
    run(&e, "XADD s 7-0 f v");
    assert!(reader.join().expect("reader").contains("7-0"));
}

#[test]
fn dollar_is_resolved_once_when_the_read_blocks() {
    let e = Engine::new();
    run(&e, "XADD s 5-0 f v");
    let reader = spawn(&e, "XREAD BLOCK 0 STREAMS s $");
    wait_blocked(&e, 1);
    e.with_keyspace(|ks, now| {
        ks.execute(&argv("DEL s"), now);
        ks.execute(&argv("XADD s 1-0 f v"), now);
    });
    assert_eq!(e.blocked_readers(), 1, "1-0 is not after the resolved 5-0");
    run(&e, "XADD s 6-0 f v");
    let got = reader.join().expect("reader");
    assert!(got.contains("6-0") && !got.contains("1-0"), "{got}");
}

#[test]
fn group_recreated_in_one_batch_serves_the_reader() {
    let e = Engine::new();
    run(&e, "XGROUP CREATE s g $ MKSTREAM");
    let reader = spawn(&e, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
    wait_blocked(&e, 1);
    e.with_keyspace(|ks, now| {
        ks.execute(&argv("DEL s"), now);
        ks.execute(&argv("XADD s 7-0 f v"), now);
        ks.execute(&argv("XGROUP CREATE s g 0"), now);
    });
    assert!(reader.join().expect("reader").contains("7-0"));
}

#[test]
fn claim_wakes_the_reader_when_an_entry_becomes_idle_enough() {
    let (e, clock) = engine_at(10_000);
    run(&e, "XGROUP CREATE s g $ MKSTREAM");
    run(&e, "XADD s 1-0 f v");
    run(&e, "XREADGROUP GROUP g alice STREAMS s >");
    let reader = spawn(&e, "XREADGROUP GROUP g bob CLAIM 400 BLOCK 0 STREAMS s >");
    wait_blocked(&e, 1);
    clock.advance(399);
    assert_eq!(e.blocked_readers(), 1);
    clock.advance(1);
    assert_eq!(
        reader.join().expect("reader"),
        "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*4\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n:400\r\n:1\r\n"
    );
    // Now bob owns it, delivered twice.
    assert_eq!(
        run(&e, "XPENDING s g - + 10"),
        "*1\r\n*4\r\n$3\r\n1-0\r\n$3\r\nbob\r\n:0\r\n:2\r\n"
    );
}

#[test]
fn claim_with_an_empty_pel_waits_for_new_entries() {
    let (e, clock) = engine_at(10_000);
    run(&e, "XGROUP CREATE s g $ MKSTREAM");
    let reader = spawn(&e, "XREADGROUP GROUP g bob CLAIM 200 BLOCK 0 STREAMS s >");
    wait_blocked(&e, 1);
    clock.advance(1000);
    assert_eq!(e.blocked_readers(), 1, "nothing to claim: still blocked");
    run(&e, "XADD s 2-0 f v");
    assert_eq!(
        reader.join().expect("reader"),
        "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*4\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n:0\r\n:0\r\n"
    );
}

#[test]
fn resp3_readers_get_the_map_shape() {
    let e = Engine::new();
    let e2 = e.clone();
    let reader = thread::spawn(move || {
        resp(
            &e2.execute(&argv("XREAD BLOCK 0 STREAMS s $")),
            Protocol::Resp3,
        )
    });
    wait_blocked(&e, 1);
    run(&e, "XADD s 2-0 f v");
    assert_eq!(
        reader.join().expect("reader"),
        "%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
}

#[test]
fn multi_key_read_is_served_by_either_key() {
    let e = Engine::new();
    let reader = spawn(&e, "XREAD BLOCK 0 STREAMS s t $ $");
    wait_blocked(&e, 1);
    run(&e, "XADD t 9-0 f v");
    assert_eq!(
        reader.join().expect("reader"),
        "*1\r\n*2\r\n$1\r\nt\r\n*1\r\n*2\r\n$3\r\n9-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    e.check().expect("engine invariants");
}

#[test]
fn a_future_is_woken_without_polling_and_unregisters_when_dropped() {
    let e = Engine::new();
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let req = ReadRequest::Read {
        streams: vec![(b("s"), XReadId::Last)],
        count: None,
    };
    {
        let mut fut = pin!(e.read_async(req.clone(), 0));
        assert!(poll_once(fut.as_mut(), &waker).is_none());
        assert_eq!(e.blocked_readers(), 1);
    }
    assert_eq!(e.blocked_readers(), 0, "dropping the future unregisters it");
    e.check().expect("engine invariants");

    let mut fut = pin!(e.read_async(req, 0));
    assert!(poll_once(fut.as_mut(), &waker).is_none());
    let writer = {
        let e = e.clone();
        thread::spawn(move || {
            e.xadd("s", &[("f", "v")]).expect("xadd");
        })
    };
    writer.join().expect("writer");
    // Woken by the engine: the waker unparked us; one poll finishes.
    let out = poll_once(fut.as_mut(), &waker).expect("ready after the write");
    match out.expect("read") {
        ReadOutput::Read(streams) => assert_eq!(streams[0].entries.len(), 1),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_future_dropped_after_the_hand_off_leaves_its_entries_pending() {
    let e = Engine::new();
    e.xgroup_create("s", "g", brook_engine::GroupStart::Last, true, None)
        .expect("create");
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let req = ReadRequest::Group {
        group: b("g"),
        consumer: b("alice"),
        streams: vec![(b("s"), GroupReadId::New)],
        opts: XReadGroupOptions::default(),
    };
    let mut fut = Box::pin(e.read_async(req, 0));
    assert!(poll_once(fut.as_mut(), &waker).is_none());
    let id = e.xadd("s", &[("f", "v")]).expect("xadd");
    drop(fut); // served at the XADD, never polled again
    let pending = e.xpending("s", "g").expect("xpending");
    assert_eq!(pending.count, 1);
    assert_eq!(
        pending.bounds.map(|b| (b.smallest, b.greatest)),
        Some((id, id))
    );
    let consumers: Vec<_> = pending
        .consumers
        .iter()
        .map(|c| (c.name.clone(), c.pending))
        .collect();
    assert_eq!(consumers, vec![(b("alice"), 1)]);
    // …and `>` will not deliver it again: it is history for alice now.
    let again = e
        .xreadgroup(
            "g",
            "bob",
            &[("s", GroupReadId::New)],
            &XReadGroupOptions::default(),
            None,
        )
        .expect("read");
    assert!(again.is_empty());
    e.check().expect("engine invariants");
}

#[test]
fn close_wakes_every_blocked_reader_with_an_error() {
    let e = Engine::new();
    run(&e, "XGROUP CREATE s g $ MKSTREAM");
    let a = spawn(&e, "XREAD BLOCK 0 STREAMS s $");
    let g = spawn(&e, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >");
    wait_blocked(&e, 2);
    e.close();
    assert_eq!(a.join().expect("a"), "-ERR engine closed\r\n");
    assert_eq!(g.join().expect("g"), "-ERR engine closed\r\n");
    assert_eq!(
        run(&e, "XREAD BLOCK 0 STREAMS s $"),
        "-ERR engine closed\r\n"
    );
    // Non-blocking commands still work.
    assert_eq!(run(&e, "XLEN s"), ":0\r\n");
    assert_eq!(
        e.read_blocking(
            ReadRequest::Read {
                streams: vec![(b("s"), XReadId::Last)],
                count: None
            },
            0
        ),
        Err(Error::EngineClosed)
    );
}

#[test]
fn system_clock_timeouts_use_the_timer_thread() {
    let e = Engine::new();
    let start = Instant::now();
    assert_eq!(run(&e, "XREAD BLOCK 50 STREAMS s $"), "*-1\r\n");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(45) && took < Duration::from_secs(5),
        "BLOCK 50 took {took:?}"
    );
    // Served reads do not wait at all.
    run(&e, "XADD s 1-0 f v");
    assert!(run(&e, "XREAD BLOCK 5000 STREAMS s 0").contains("1-0"));
    let _ = StreamId::MIN;
}

#[test]
fn history_reads_never_block() {
    let e = Engine::new();
    run(&e, "XGROUP CREATE s g $ MKSTREAM");
    assert_eq!(
        run(&e, "XREADGROUP GROUP g c BLOCK 0 STREAMS s 0"),
        "*1\r\n*2\r\n$1\r\ns\r\n*0\r\n"
    );
    assert_eq!(e.blocked_readers(), 0);
}

#[test]
fn execute_str_blocks_like_execute() {
    let e = Engine::new();
    let reader = {
        let e = e.clone();
        thread::spawn(move || {
            resp(
                &e.execute_str(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]),
                Protocol::Resp2,
            )
        })
    };
    wait_blocked(&e, 1);
    run(&e, "XADD s 3-0 f v");
    assert!(reader.join().expect("reader").contains("3-0"));
}

/// A CLAIM deadline signals the key, so every reader blocked there re-runs (Redis 8.6.3,
/// checked live: a plain `>` reader's idle time restarts with each 500 ms CLAIM re-run of
/// another reader on the same key, while neither is served).
#[test]
fn a_claim_deadline_reruns_every_reader_on_the_key() {
    let (e, clock) = engine_at(1_000_000);
    run(&e, "XADD s 1-1 f v");
    run(&e, "XGROUP CREATE s g $");
    let a = spawn(&e, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >");
    wait_blocked(&e, 1);
    let b = spawn(&e, "XREADGROUP GROUP g b CLAIM 500 BLOCK 0 STREAMS s >");
    wait_blocked(&e, 2);
    clock.advance(499);
    clock.advance(1);
    wait_blocked(&e, 2);
    clock.advance(200);
    // Both re-ran at +500 (and found nothing): idle 200 each, not 700.
    assert_eq!(
        run(&e, "XINFO CONSUMERS s g"),
        "*2\r\n*8\r\n$4\r\nname\r\n$1\r\na\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:200\r\n$8\r\ninactive\r\n:-1\r\n\
         *8\r\n$4\r\nname\r\n$1\r\nb\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:200\r\n$8\r\ninactive\r\n:-1\r\n"
    );
    run(&e, "XADD s 2-1 f v");
    assert_eq!(
        a.join().expect("reader a"),
        "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    );
    // b stays blocked (a took the entry) until the next entry.
    wait_blocked(&e, 1);
    run(&e, "XADD s 3-1 f v");
    assert!(b.join().expect("reader b").contains("3-1"));
}
