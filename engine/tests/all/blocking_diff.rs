//! Blocked clients, differentially (reference §21.2–§21.4): each scenario is a script of
//! steps on several clients — some block in XREAD / XREADGROUP, others write, plainly or
//! in MULTI/EXEC — run on a private Redis 8.6.3, Valkey 9.1 and Redis 7.0.15 (one real
//! connection per client) and on the engine (one thread per blocked `Engine::execute`, or one
//! `Engine::execute_async` future per blocked client), comparing every reply byte for
//! byte, RESP2 and RESP3, and the final state (XPENDING, XINFO GROUPS).
//!
//! Determinism: after a client sends a command that blocks, the script waits until the
//! server (`INFO clients` → `blocked_clients`, from a separate connection) or the engine
//! (`Engine::blocked_readers`) counts it as blocked before the next step, so wake order
//! is the blocking order of the script. A server serves woken clients before it
//! processes any further command, and the engine before the write returns, so the count
//! right after a write is exact on both.
//!
//! Time: the engine runs on a [`ManualClock`] that `Sleep` advances by exactly the
//! script's amount, so its timeouts are exact; the server really sleeps. Only timeouts
//! depend on time. On a server, every step may run late (a loaded 2-core CI machine can
//! hold a step back by a few hundred ms), and a server answers a timeout on its next
//! event-loop tick (≤ 100 ms at hz 10) or later when it is itself held back. So a
//! "still blocked" check comes ≥ 900 ms of script time before the earliest deadline
//! (measured from the first `Block` of the timed reader, i.e. including the blocking of
//! the other clients), and a "timed out" check ≥ 400 ms of script time after the latest
//! one (delays only make that margin larger). The one exception is the net-nothing
//! MULTI, whose "timed out" check must also come before a wrongly restarted deadline.
//!
//! Redis 8.6.3 runs every scenario, with no special case. Redis 7.0.15 differs from
//! Redis 8 on blocked clients (§22 #13, #19–#22, #4 for `XREAD … +`, and — not in §22 —
//! it serves a woken reader from the one key that woke it instead of re-running its
//! command): an affected reply is compared with 7.0.15's own text ([`Step::WokenErr`]),
//! an affected step is left out on 7.0.15 only ([`Step::Not70`]), and a scenario that
//! cannot run on 7.0.15 at all runs on Redis 8.6.3 and Valkey only ([`MODERN`]) — each
//! with the reason next to it.
//!
//! Redis 8.2+/8.6 syntax (XREADGROUP … CLAIM, XACKDEL, XDELEX, XADD IDMP, XCFGSET) is
//! compared against Redis 8.6.3 alone ([`REDIS8`]). A CLAIM reader woken by its claim
//! deadline answers a wall-clock idle time: that one reply ([`Step::WokenClaim`]) is
//! compared with a tolerance on the idle times, everything else byte for byte.
//!
//! The whole file takes about 5 s in debug (scenarios and their servers run in
//! parallel; the longest scenario sleeps 2.4 s on a server). (With three servers run at
//! once on a loaded 2-core machine, 300 ms of slack before a deadline was not always
//! enough.)

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use brook_engine::{Engine, ManualClock, Reply};

use brook_engine::frontend::{ExecuteFuture, Protocol};
use brook_test_support::{Frame, RespConn, ServerGuard, ServerKind};
use bytes::Bytes;

/// How long a step may wait for a blocked count or a woken reply before failing.
const WAIT: Duration = Duration::from_secs(5);

/// The engine clock's start (any instant; replies compared here never show it).
const START_MS: u64 = 1_700_000_000_000;

/// Every oracle server: Valkey 9.1, Redis 7.0.15, Redis 8.6.3.
const ALL: &[ServerKind] = &ServerKind::ALL;
/// The servers with Redis 8's blocking rules: Redis 8.6.3 and Valkey 9.1 (not 7.0.15).
const MODERN: &[ServerKind] = &[ServerKind::Valkey, ServerKind::Redis8];
/// Redis 8.6.3 only: scenarios using Redis 8.2+/8.6 syntax (CLAIM, XACKDEL, XDELEX,
/// IDMP, XCFGSET).
const REDIS8: &[ServerKind] = &[ServerKind::Redis8];

// Client names: A–D mostly block, W writes.
const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const D: usize = 3;
const W: usize = 4;

/// One step of a scenario.
#[derive(Clone, Debug)]
enum Step {
    /// Client `c` switches to RESP3 (`HELLO 3`; its reply is not compared).
    Resp3(usize),
    /// Client `c` runs a command; the reply is compared.
    Call(usize, &'static str),
    /// Client `c` sends a command that blocks; the script goes on once `n` clients are
    /// blocked in all.
    Block(usize, &'static str, usize),
    /// Client `c` runs MULTI, the commands, EXEC (the engine: one `with_keyspace`
    /// batch); the EXEC reply is compared.
    Multi(usize, &'static [&'static str]),
    /// Exactly `n` clients are blocked (waiting up to [`WAIT`] for the count to get
    /// there: a server answers timeouts on its next event-loop tick).
    Blocked(usize),
    /// Exactly `n` clients are blocked right now (no waiting): for timing checks.
    BlockedNow(usize),
    /// Blocked client `c` has been answered; the reply is compared.
    Woken(usize),
    /// [`Step::Woken`] with an error: the server must answer exactly the first line
    /// (Redis 8 / Valkey) or, on Redis 7.0.15, the second (a §22 row), which then stands
    /// in for the engine's reply in the comparison. Full RESP lines.
    WokenErr(usize, &'static str, &'static str),
    /// [`Step::Woken`] for an XREADGROUP … CLAIM reply: the claimed entries' idle times
    /// (wall-clock on a server) may exceed the engine's by up to [`CLAIM_IDLE_TOL`] ms;
    /// everything else is compared exactly.
    WokenClaim(usize),
    /// Time passes: the server sleeps, the engine's clock advances.
    Sleep(u64),
    /// A step left out on Redis 7.0.15 (the scenario says why).
    Not70(Box<Step>),
}

use Step::*;

fn not70(step: Step) -> Step {
    Not70(Box::new(step))
}

struct Scenario {
    name: &'static str,
    servers: &'static [ServerKind],
    steps: Vec<Step>,
}

/// One compared reply: where it came from and its bytes.
#[derive(Clone, Debug)]
struct Line {
    what: String,
    bytes: Vec<u8>,
    /// How the engine's reply was normalised, if it was.
    note: String,
    /// Compared as a CLAIM reply, idle times with a tolerance ([`Step::WokenClaim`]).
    claim_idle: bool,
}

fn client_name(c: usize) -> char {
    if c == W {
        'W'
    } else {
        (b'A' + c as u8) as char
    }
}

fn line(i: usize, c: usize, what: &str, bytes: Vec<u8>) -> Line {
    Line {
        what: format!("step {i}: client {} {what}", client_name(c)),
        bytes,
        note: String::new(),
        claim_idle: false,
    }
}

fn words(cmd: &str) -> Vec<&[u8]> {
    cmd.split(' ').map(str::as_bytes).collect()
}

fn argv(cmd: &str) -> Vec<Bytes> {
    cmd.split(' ')
        .map(|w| Bytes::copy_from_slice(w.as_bytes()))
        .collect()
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

/// The steps that run against `kind` (and against the engine compared with it).
fn steps_for(sc: &Scenario, kind: ServerKind) -> Vec<(usize, Step)> {
    sc.steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Not70(_) if kind == ServerKind::Redis => None,
            Not70(inner) => Some((i, (**inner).clone())),
            other => Some((i, other.clone())),
        })
        .collect()
}

fn clients(sc: &Scenario) -> usize {
    fn client(s: &Step) -> usize {
        match s {
            Resp3(c)
            | Call(c, _)
            | Block(c, _, _)
            | Multi(c, _)
            | Woken(c)
            | WokenClaim(c)
            | WokenErr(c, _, _) => *c,
            Not70(inner) => client(inner),
            Blocked(_) | BlockedNow(_) | Sleep(_) => 0,
        }
    }
    sc.steps.iter().map(client).max().unwrap_or(0) + 1
}

// ---------------------------------------------------------------------------------------
// The server side.

fn server_blocked(admin: &mut RespConn) -> usize {
    let info = admin.call(&[b"INFO", b"clients"]);
    let Frame::Bulk(text) = &info else {
        panic!("INFO clients answered {info}");
    };
    let text = String::from_utf8_lossy(text);
    text.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO clients has no blocked_clients: {text}"))
}

fn wait_server_blocked(admin: &mut RespConn, n: usize, what: &str) {
    let start = Instant::now();
    loop {
        let have = server_blocked(admin);
        if have == n {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "{what}: expected {n} blocked clients on the server, it has {have}"
        );
        thread::sleep(Duration::from_millis(2));
    }
}

/// Runs the script on a fresh server; `None` when its binary is missing (skipped).
fn on_server(kind: ServerKind, sc: &Scenario) -> Option<Vec<Line>> {
    let guard = ServerGuard::start(kind)?;
    let label = format!("{} on {kind} {}", sc.name, guard.version());
    let mut admin = guard.connect();
    let mut conns: Vec<RespConn> = (0..clients(sc))
        .map(|_| {
            let conn = guard.connect();
            conn.set_read_timeout(Some(WAIT)).expect("read timeout");
            conn
        })
        .collect();
    let mut blocked: Vec<Option<&'static str>> = vec![None; conns.len()];
    let mut out = Vec::new();
    for (i, step) in steps_for(sc, kind) {
        let at = format!("{label}, step {i} ({step:?})");
        match step {
            Resp3(c) => {
                conns[c].hello(3);
            }
            Call(c, cmd) => {
                assert!(blocked[c].is_none(), "{at}: client is blocked");
                out.push(line(i, c, cmd, conns[c].call_raw(&words(cmd))));
            }
            Block(c, cmd, n) => {
                assert!(blocked[c].is_none(), "{at}: client is blocked");
                conns[c].send(&words(cmd)).expect("send");
                blocked[c] = Some(cmd);
                wait_server_blocked(&mut admin, n, &at);
            }
            Multi(c, cmds) => {
                let ok = conns[c].call(&[b"MULTI"]);
                assert_eq!(ok, Frame::Simple(b"OK".to_vec()), "{at}: MULTI");
                for cmd in cmds {
                    let queued = conns[c].call(&words(cmd));
                    assert_eq!(
                        queued,
                        Frame::Simple(b"QUEUED".to_vec()),
                        "{at}: queueing {cmd}"
                    );
                }
                let raw = conns[c].call_raw(&[b"EXEC"]);
                out.push(line(i, c, &format!("EXEC of {cmds:?}"), raw));
            }
            Blocked(n) => wait_server_blocked(&mut admin, n, &at),
            BlockedNow(n) => {
                let have = server_blocked(&mut admin);
                assert_eq!(have, n, "{at}: blocked clients on the server right now");
            }
            Woken(c) | WokenClaim(c) | WokenErr(c, _, _) => {
                let cmd = blocked[c]
                    .take()
                    .unwrap_or_else(|| panic!("{at}: the client sent no blocking command"));
                let (_, raw) = conns[c]
                    .read()
                    .unwrap_or_else(|e| panic!("{at}: no reply to {cmd}: {e}"));
                if let WokenErr(_, error, r7) = step {
                    let want = if kind == ServerKind::Redis { r7 } else { error };
                    assert_eq!(
                        show(&raw),
                        show(want.as_bytes()),
                        "{at}: the server's error on wake-up"
                    );
                }
                let mut woken = line(i, c, &format!("{cmd} (woken)"), raw);
                woken.claim_idle = matches!(step, WokenClaim(_));
                out.push(woken);
            }
            Sleep(ms) => thread::sleep(Duration::from_millis(ms)),
            Not70(_) => unreachable!("flattened by steps_for"),
        }
    }
    wait_server_blocked(&mut admin, 0, &format!("{label}, at the end"));
    Some(out)
}

// ---------------------------------------------------------------------------------------
// The engine side.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Every blocked client is a thread in `Engine::execute`.
    Threads,
    /// Every client uses `Engine::execute_async`; blocked ones are futures polled here.
    Futures,
}

/// Records whether the engine woke a future.
#[derive(Default)]
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

enum Waiting {
    Thread(thread::JoinHandle<Reply>),
    Future(Pin<Box<ExecuteFuture>>, Arc<Flag>),
}

fn wait_engine_blocked(e: &Engine, n: usize, what: &str) {
    let start = Instant::now();
    loop {
        let have = e.blocked_readers();
        if have == n {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "{what}: expected {n} blocked readers in the engine, it has {have}"
        );
        thread::sleep(Duration::from_millis(1));
    }
}

fn poll_once(fut: Pin<&mut ExecuteFuture>, flag: &Arc<Flag>) -> Option<Reply> {
    let waker = Waker::from(flag.clone());
    match fut.poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(r) => Some(r),
        Poll::Pending => None,
    }
}

fn encode(r: &Reply, proto: Protocol) -> Vec<u8> {
    let mut out = Vec::new();
    r.write_resp(proto, &mut out);
    out
}

/// Runs the script on a fresh engine as it runs against `kind` (same steps).
fn on_engine(kind: ServerKind, mode: Mode, sc: &Scenario) -> Vec<Line> {
    let label = format!("{} on the engine ({mode:?}, steps as for {kind})", sc.name);
    let clock = ManualClock::new(START_MS);
    let e = Engine::builder().clock(clock.clone()).build();
    let n = clients(sc);
    let mut proto = vec![Protocol::Resp2; n];
    let mut blocked: Vec<Option<(&'static str, Waiting)>> = (0..n).map(|_| None).collect();
    let mut out = Vec::new();
    for (i, step) in steps_for(sc, kind) {
        let at = format!("{label}, step {i} ({step:?})");
        match step {
            Resp3(c) => proto[c] = Protocol::Resp3,
            Call(c, cmd) => {
                assert!(blocked[c].is_none(), "{at}: client is blocked");
                let reply = match mode {
                    Mode::Threads => e.execute(&argv(cmd)),
                    Mode::Futures => {
                        let flag = Arc::new(Flag::default());
                        let mut fut = Box::pin(e.execute_async(&argv(cmd)));
                        poll_once(fut.as_mut(), &flag)
                            .unwrap_or_else(|| panic!("{at}: a plain command did not finish"))
                    }
                };
                out.push(line(i, c, cmd, encode(&reply, proto[c])));
            }
            Block(c, cmd, want) => {
                assert!(blocked[c].is_none(), "{at}: client is blocked");
                let waiting = match mode {
                    Mode::Threads => {
                        let e = e.clone();
                        Waiting::Thread(thread::spawn(move || e.execute(&argv(cmd))))
                    }
                    Mode::Futures => {
                        let flag = Arc::new(Flag::default());
                        let mut fut = Box::pin(e.execute_async(&argv(cmd)));
                        if let Some(r) = poll_once(fut.as_mut(), &flag) {
                            panic!(
                                "{at}: did not block, answered {}",
                                show(&encode(&r, proto[c]))
                            );
                        }
                        Waiting::Future(fut, flag)
                    }
                };
                blocked[c] = Some((cmd, waiting));
                wait_engine_blocked(&e, want, &at);
            }
            Multi(c, cmds) => {
                let replies = e.with_keyspace(|ks, now| {
                    cmds.iter()
                        .map(|cmd| ks.execute(&argv(cmd), now))
                        .collect::<Vec<_>>()
                });
                let exec = encode(&Reply::Array(replies), proto[c]);
                out.push(line(i, c, &format!("EXEC of {cmds:?}"), exec));
            }
            Blocked(want) => wait_engine_blocked(&e, want, &at),
            BlockedNow(want) => {
                assert_eq!(e.blocked_readers(), want, "{at}: blocked readers right now");
            }
            Woken(c) | WokenClaim(c) | WokenErr(c, _, _) => {
                let (cmd, waiting) = blocked[c]
                    .take()
                    .unwrap_or_else(|| panic!("{at}: the client sent no blocking command"));
                let reply = match waiting {
                    Waiting::Thread(handle) => {
                        let start = Instant::now();
                        while !handle.is_finished() {
                            assert!(start.elapsed() < WAIT, "{at}: {cmd} was not answered");
                            thread::sleep(Duration::from_millis(1));
                        }
                        handle.join().expect("the client thread panicked")
                    }
                    Waiting::Future(mut fut, flag) => {
                        assert!(
                            flag.0.load(Ordering::SeqCst),
                            "{at}: the engine did not wake the future of {cmd}"
                        );
                        poll_once(fut.as_mut(), &flag).unwrap_or_else(|| {
                            panic!("{at}: the future of {cmd} is still pending after its wake-up")
                        })
                    }
                };
                let mut bytes = encode(&reply, proto[c]);
                let mut woken = line(i, c, &format!("{cmd} (woken)"), Vec::new());
                if let (WokenErr(_, _, r7), ServerKind::Redis) = (&step, kind) {
                    // A §22 row: Redis 7.0.15 answers a blocked client differently.
                    woken.note = format!(
                        " [Redis 7.0.15's text per §22 stands in for the engine's {}]",
                        show(&bytes)
                    );
                    bytes = r7.as_bytes().to_vec();
                }
                woken.bytes = bytes;
                woken.claim_idle = matches!(step, WokenClaim(_));
                out.push(woken);
            }
            Sleep(ms) => clock.advance(ms),
            Not70(_) => unreachable!("flattened by steps_for"),
        }
    }
    wait_engine_blocked(&e, 0, &format!("{label}, at the end"));
    e.check()
        .unwrap_or_else(|err| panic!("{label}: engine invariants: {err}"));
    out
}

// ---------------------------------------------------------------------------------------
// Comparing.

fn compare(sc: &Scenario, kind: ServerKind, mode: Mode, server: &[Line], ours: &[Line]) {
    let transcript = || {
        server
            .iter()
            .map(|l| format!("  {}\n    server: {}", l.what, show(&l.bytes)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (s, o) in server.iter().zip(ours) {
        assert_eq!(
            s.what, o.what,
            "{}: the transcripts are out of step",
            sc.name
        );
        let same = if o.claim_idle {
            same_claim_reply(&o.bytes, &s.bytes)
        } else {
            s.bytes == o.bytes
        };
        assert!(
            same,
            "{}: {}\n  {kind:<6}: {}\n  engine: {} ({mode:?}){}\nserver transcript:\n{}",
            sc.name,
            s.what,
            show(&s.bytes),
            show(&o.bytes),
            o.note,
            transcript()
        );
    }
    assert_eq!(
        server.len(),
        ours.len(),
        "{}: {kind} gave {} replies, the engine ({mode:?}) {}",
        sc.name,
        server.len(),
        ours.len()
    );
}

/// How much a server's CLAIM idle time may exceed the engine's (ms): a server answers a
/// claim deadline on its next event-loop tick (≤ 100 ms at hz 10), or later when a
/// loaded machine holds it back.
const CLAIM_IDLE_TOL: i64 = 400;

/// Whether a server's XREADGROUP … CLAIM reply (`theirs`) equals the engine's (`ours`):
/// every element exact but the idle time of each 4-element entry, which may exceed ours
/// by up to [`CLAIM_IDLE_TOL`] ms.
fn same_claim_reply(ours: &[u8], theirs: &[u8]) -> bool {
    fn parse(raw: &[u8]) -> Option<Frame> {
        match brook_test_support::parse_frame(raw) {
            Ok(Some((f, n))) if n == raw.len() => Some(f),
            _ => None,
        }
    }
    fn entries(a: &Frame, b: &Frame) -> bool {
        match (a, b) {
            (Frame::Array(x), Frame::Array(y)) => {
                x.len() == y.len()
                    && x.iter().zip(y).all(|(e, f)| match (e, f) {
                        (Frame::Array(e), Frame::Array(f)) if e.len() == 4 && f.len() == 4 => {
                            let idle = match (&e[2], &f[2]) {
                                (Frame::Integer(i), Frame::Integer(j)) => {
                                    (*i..=*i + CLAIM_IDLE_TOL).contains(j)
                                }
                                _ => false,
                            };
                            e[0] == f[0] && e[1] == f[1] && idle && e[3] == f[3]
                        }
                        _ => e == f,
                    })
            }
            _ => a == b,
        }
    }
    let (Some(a), Some(b)) = (parse(ours), parse(theirs)) else {
        return false;
    };
    match (&a, &b) {
        // RESP2: [[key, entries], …]
        (Frame::Array(x), Frame::Array(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|(k, l)| match (k, l) {
                    (Frame::Array(k), Frame::Array(l)) if k.len() == 2 && l.len() == 2 => {
                        k[0] == l[0] && entries(&k[1], &l[1])
                    }
                    _ => false,
                })
        }
        // RESP3: {key: entries, …}
        (Frame::Map(x), Frame::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k, e), (l, f))| k == l && entries(e, f))
        }
        _ => a == b,
    }
}

/// Runs `sc` on each of its servers (in parallel) and on the engine in both modes,
/// comparing every reply.
fn check(sc: Scenario) {
    let sc = &sc;
    let results: Vec<(ServerKind, Option<Vec<Line>>)> = thread::scope(|s| {
        let handles: Vec<_> = sc
            .servers
            .iter()
            .map(|&kind| s.spawn(move || (kind, on_server(kind, sc))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    for (kind, server) in results {
        let Some(server) = server else { continue };
        for mode in [Mode::Threads, Mode::Futures] {
            let ours = on_engine(kind, mode, sc);
            compare(sc, kind, mode, &server, &ours);
        }
    }
}

const GROUP_S: &str = "XGROUP CREATE s g $ MKSTREAM";
const GROUP_T: &str = "XGROUP CREATE t g $ MKSTREAM";

// ---------------------------------------------------------------------------------------
// §21.3: wake order.

#[test]
fn group_readers_wake_in_blocking_order() {
    check(Scenario {
        name: "FIFO XREADGROUP",
        servers: ALL,
        steps: vec![
            Resp3(B),
            Call(W, GROUP_S),
            Block(A, "XREADGROUP GROUP g a COUNT 1 BLOCK 0 STREAMS s >", 1),
            Block(B, "XREADGROUP GROUP g b COUNT 1 BLOCK 0 STREAMS s >", 2),
            Block(C, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >", 3),
            Call(W, "XADD s 1-0 f v1"),
            Woken(A),
            Blocked(2),
            Call(W, "XADD s 2-0 f v2"),
            Woken(B),
            Blocked(1),
            Call(W, "XADD s 3-0 f v3"),
            Woken(C),
            Blocked(0),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

#[test]
fn multi_with_two_entries_serves_two_of_three_count_one_readers() {
    check(Scenario {
        name: "MULTI 2 entries, 3 COUNT 1 readers",
        servers: ALL,
        steps: vec![
            Resp3(C),
            Call(W, GROUP_S),
            Block(A, "XREADGROUP GROUP g c1 COUNT 1 BLOCK 0 STREAMS s >", 1),
            Block(B, "XREADGROUP GROUP g c2 COUNT 1 BLOCK 0 STREAMS s >", 2),
            Block(C, "XREADGROUP GROUP g c3 COUNT 1 BLOCK 0 STREAMS s >", 3),
            Multi(W, &["XADD s 2-0 f a", "XADD s 3-0 f b"]),
            Woken(A),
            Woken(B),
            Blocked(1),
            Call(W, "XPENDING s g"),
            // §22 #13: Redis 7.0.15 has not created c3 (blocked, never served) yet.
            not70(Call(W, "XINFO GROUPS s")),
            Call(W, "XADD s 4-0 f c"),
            Woken(C),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

#[test]
fn xread_dollar_readers_all_get_the_same_entry() {
    check(Scenario {
        name: "two XREAD $ readers",
        servers: ALL,
        steps: vec![
            Resp3(B),
            Call(W, "XADD s 1-0 f old"),
            Block(A, "XREAD BLOCK 0 STREAMS s $", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s $", 2),
            Block(C, "XREAD COUNT 5 BLOCK 0 STREAMS s $", 3),
            Call(W, "XADD s 2-0 f new"),
            Woken(A),
            Woken(B),
            Woken(C),
            Blocked(0),
        ],
    });
}

#[test]
fn xread_count_one_woken_by_a_two_entry_multi() {
    check(Scenario {
        name: "XREAD COUNT 1 and a 2-entry MULTI",
        servers: ALL,
        steps: vec![
            Resp3(C),
            Block(A, "XREAD COUNT 1 BLOCK 0 STREAMS s $", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s $", 2),
            Block(C, "XREAD COUNT 1 BLOCK 0 STREAMS s $", 3),
            Multi(W, &["XADD s 2-0 f a", "XADD s 3-0 f b"]),
            Woken(A),
            Woken(B),
            Woken(C),
            Blocked(0),
        ],
    });
}

#[test]
fn readers_in_two_keys_are_served_in_signal_order() {
    // §21.5: keys in the order they were first signalled, clients of a key in blocking
    // order; each re-run reads every stream of its command. Not on 7.0.15: Redis 7.0.15
    // serves a woken reader from the waking key alone (b would get only t's 2-0, and a
    // s's 2-0 — see `a_batch_writing_several_keys_serves_every_stream_of_a_reader`).
    check(Scenario {
        name: "order across keys",
        servers: MODERN,
        steps: vec![
            Call(W, GROUP_S),
            Call(W, GROUP_T),
            Block(A, "XREADGROUP GROUP g a COUNT 1 BLOCK 0 STREAMS s >", 1),
            Block(B, "XREADGROUP GROUP g b COUNT 1 BLOCK 0 STREAMS t s > >", 2),
            // s first: a takes s's entry, then b (queued on s after a) takes t's.
            Multi(W, &["XADD s 1-0 f v", "XADD t 1-0 f v"]),
            Woken(A),
            Woken(B),
            Blocked(0),
            Block(A, "XREADGROUP GROUP g a COUNT 1 BLOCK 0 STREAMS s >", 1),
            Block(B, "XREADGROUP GROUP g b COUNT 1 BLOCK 0 STREAMS t s > >", 2),
            // t first: b takes both new entries (COUNT is per stream), a finds nothing.
            Multi(W, &["XADD t 2-0 f v", "XADD s 2-0 f v"]),
            Woken(B),
            Blocked(1),
            Call(W, "XADD s 3-0 f v"),
            Woken(A),
            Call(W, "XPENDING s g"),
            Call(W, "XPENDING t g"),
        ],
    });
}

#[test]
fn a_reader_that_blocks_again_goes_to_the_tail() {
    // Not on 7.0.15: the re-run is provoked with `XADD … MAXLEN 0`, which Redis 7.0.15
    // answers by waking the reader with an empty stream array (§22 #22).
    check(Scenario {
        name: "re-block at the tail",
        servers: MODERN,
        steps: vec![
            Call(W, GROUP_S),
            Call(W, GROUP_T),
            Block(A, "XREADGROUP GROUP g a COUNT 1 BLOCK 0 STREAMS t s > >", 1),
            Block(B, "XREADGROUP GROUP g b COUNT 1 BLOCK 0 STREAMS s >", 2),
            // a re-runs, finds nothing, and blocks again behind b on every key.
            Call(W, "XADD t MAXLEN 0 1-0 f v"),
            Blocked(2),
            Call(W, "XADD s 1-0 f v"),
            Woken(B),
            Blocked(1),
            Call(W, "XADD s 2-0 f v"),
            Woken(A),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
            Call(W, "XINFO GROUPS t"),
        ],
    });
}

// ---------------------------------------------------------------------------------------
// §21.3: what a re-run finds.

#[test]
fn net_nothing_multi_keeps_readers_blocked_with_their_original_deadline() {
    // Not on 7.0.15: Redis 7.0.15 wakes the readers with an empty stream array (§22 #22).
    // Timeline (script ms after the readers blocked): MULTI at 700 → blocked again; 900 →
    // still blocked (deadline 2000 not reached; 1100 ms of slack for a late server side);
    // 2400 → timed out (400 ms after the deadline; a deadline restarted at the re-block
    // would be 2700, 300 ms later).
    check(Scenario {
        name: "net-nothing MULTI",
        servers: MODERN,
        steps: vec![
            Resp3(B),
            Call(W, GROUP_S),
            Block(A, "XREAD BLOCK 2000 STREAMS s $", 1),
            Block(B, "XREADGROUP GROUP g b BLOCK 2000 STREAMS s >", 2),
            Block(C, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >", 3),
            Sleep(700),
            Multi(W, &["XADD s 2-0 f v", "XDEL s 2-0"]),
            BlockedNow(3),
            Sleep(200),
            BlockedNow(3),
            Sleep(1500),
            BlockedNow(1),
            Woken(A),
            Woken(B),
            Call(W, "XINFO GROUPS s"),
            Call(W, "XADD s 3-0 f v"),
            Woken(C),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

#[test]
fn xadd_maxlen_zero_keeps_readers_blocked() {
    // Not on 7.0.15: Redis 7.0.15 wakes the readers with an empty stream array (§22 #22).
    check(Scenario {
        name: "XADD MAXLEN 0",
        servers: MODERN,
        steps: vec![
            Resp3(C),
            Call(W, GROUP_S),
            Block(A, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s $", 2),
            Block(C, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >", 3),
            Call(W, "XADD s MAXLEN 0 2-0 f v"),
            BlockedNow(3),
            Call(W, "XADD s 3-0 f v"),
            Woken(A),
            Woken(B),
            BlockedNow(1),
            Call(W, "XADD s 4-0 f v"),
            Woken(C),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

#[test]
fn commands_that_do_not_signal_leave_readers_blocked() {
    // §21.2: XGROUP SETID / CREATECONSUMER, XTRIM, XSETID, XACK, XDEL signal nothing —
    // even when a re-run would now find entries (SETID 0).
    check(Scenario {
        name: "no signal",
        servers: ALL,
        steps: vec![
            Call(W, "XADD s 1-0 f v"),
            Call(W, "XGROUP CREATE s g $"),
            Block(A, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s $", 2),
            Call(W, "XGROUP SETID s g 0"),
            Call(W, "XGROUP CREATECONSUMER s g z"),
            Call(W, "XTRIM s MAXLEN 5"),
            Call(W, "XSETID s 1-5"),
            Call(W, "XACK s g 1-0"),
            Call(W, "XDEL s 9-9"),
            BlockedNow(2),
            Call(W, "XADD s 2-0 f w"),
            // a's re-run reads from the group's reset position: both entries.
            Woken(A),
            Woken(B),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

#[test]
fn dollar_is_resolved_once_when_blocking() {
    check(Scenario {
        name: "$ resolved once",
        servers: ALL,
        steps: vec![
            Resp3(B),
            Call(W, "XADD s 5-0 f v"),
            Block(A, "XREAD BLOCK 0 STREAMS s $", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s $", 2),
            // Below the resolved 5-0: still blocked.
            Multi(W, &["DEL s", "XADD s 1-0 f v"]),
            BlockedNow(2),
            Call(W, "XADD s 6-0 f v"),
            Woken(A),
            Woken(B),
        ],
    });
}

#[test]
fn plus_is_resolved_again_on_every_rerun() {
    // Not on 7.0.15: Redis 7.0.15 has no `XREAD … +` (§22 #4).
    check(Scenario {
        name: "+ re-resolved",
        servers: MODERN,
        steps: vec![
            Resp3(B),
            Block(A, "XREAD BLOCK 0 STREAMS s +", 1),
            Call(W, "XADD s 3-0 f v"),
            Woken(A),
            Call(W, "XADD s 4-0 f v"),
            BlockedNow(0),
            // On a 2-entry MULTI `+` gives only the last entry, `$` both.
            Block(A, "XREAD BLOCK 0 STREAMS t +", 1),
            Block(B, "XREAD BLOCK 0 STREAMS t $", 2),
            Multi(W, &["XADD t 3-0 f a", "XADD t 4-0 f b"]),
            Woken(A),
            Woken(B),
        ],
    });
}

#[test]
fn explicit_id_above_the_new_data_stays_blocked() {
    check(Scenario {
        name: "explicit ID above",
        servers: ALL,
        steps: vec![
            Block(A, "XREAD BLOCK 0 STREAMS s 100-0", 1),
            Block(B, "XREAD COUNT 1 BLOCK 0 STREAMS s 2-0", 2),
            Call(W, "XADD s 2-0 f v"),
            BlockedNow(2),
            Multi(W, &["XADD s 3-0 f v", "XADD s 100-1 f w"]),
            Woken(A),
            Woken(B),
        ],
    });
}

#[test]
fn multi_key_reads_are_served_by_any_of_their_keys() {
    check(Scenario {
        name: "multi-key, one key written",
        servers: ALL,
        steps: vec![
            Resp3(B),
            Call(W, GROUP_S),
            Call(W, GROUP_T),
            Block(A, "XREAD BLOCK 0 STREAMS s t $ $", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s t $ $", 2),
            Block(C, "XREADGROUP GROUP g c BLOCK 0 STREAMS s t > >", 3),
            Call(W, "XADD t 9-0 f v"),
            Woken(A),
            Woken(B),
            Woken(C),
            Call(W, "XPENDING t g"),
            // §22 #13: Redis 7.0.15 created c only in t's group (served from t).
            not70(Call(W, "XINFO GROUPS s")),
            Call(W, "XINFO GROUPS t"),
        ],
    });
}

#[test]
fn a_batch_writing_several_keys_serves_every_stream_of_a_reader() {
    // Not on 7.0.15: Redis 7.0.15 serves a woken reader from the one key that woke it
    // (the first signalled), not by re-running its command; it would answer A with
    // `[["t", [10-0]]]` only. (Not in §22; found by this test.)
    check(Scenario {
        name: "multi-key, both keys written in one batch",
        servers: MODERN,
        steps: vec![
            Resp3(B),
            Call(W, GROUP_S),
            Call(W, GROUP_T),
            Block(A, "XREAD BLOCK 0 STREAMS s t 0-0 0", 1),
            Block(B, "XREAD BLOCK 0 STREAMS t s $ $", 2),
            Block(C, "XREADGROUP GROUP g c BLOCK 0 STREAMS t s > >", 3),
            // The same key twice.
            Block(D, "XREAD BLOCK 0 STREAMS s s $ $", 4),
            // Every stream, in argument order, whatever the order of the writes.
            Multi(W, &["XADD t 10-0 f v", "XADD s 10-0 f v"]),
            Woken(A),
            Woken(B),
            Woken(C),
            Woken(D),
            Call(W, "XPENDING s g"),
            Call(W, "XPENDING t g"),
            Call(W, "XINFO GROUPS s"),
            Call(W, "XINFO GROUPS t"),
        ],
    });
}

#[test]
fn noack_wake_up_creates_no_pending_entries() {
    check(Scenario {
        name: "NOACK",
        servers: ALL,
        steps: vec![
            Resp3(A),
            Call(W, GROUP_S),
            Block(A, "XREADGROUP GROUP g a NOACK BLOCK 0 STREAMS s >", 1),
            Block(B, "XREADGROUP GROUP g b BLOCK 0 STREAMS s >", 2),
            Multi(W, &["XADD s 1-0 f v", "XADD s 2-0 f w"]),
            Woken(A),
            BlockedNow(1),
            Call(W, "XPENDING s g"),
            Call(W, "XADD s 3-0 f x"),
            Woken(B),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

#[test]
fn delconsumer_while_blocked_does_not_wake_and_the_rerun_recreates_it() {
    check(Scenario {
        name: "DELCONSUMER while blocked",
        servers: ALL,
        steps: vec![
            Call(W, GROUP_S),
            Call(W, "XADD s 1-0 f v"),
            Call(W, "XREADGROUP GROUP g a STREAMS s >"),
            Block(A, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", 1),
            Call(W, "XINFO GROUPS s"),
            Call(W, "XGROUP DELCONSUMER s g a"),
            BlockedNow(1),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
            Call(W, "XADD s 2-0 f w"),
            Woken(A),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

#[test]
fn group_recreated_in_one_batch_serves_the_reader() {
    check(Scenario {
        name: "MULTI re-creating the group",
        servers: ALL,
        steps: vec![
            Resp3(B),
            Call(W, GROUP_S),
            Block(A, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s $", 2),
            Multi(W, &["DEL s", "XADD s 7-0 f v", "XGROUP CREATE s g 0"]),
            Woken(A),
            Woken(B),
            Call(W, "XPENDING s g"),
            Block(A, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", 1),
            Multi(W, &["XGROUP DESTROY s g", "XGROUP CREATE s g 0"]),
            Woken(A),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

// ---------------------------------------------------------------------------------------
// §21.3: errors of the re-run.

/// A key event with two XREADGROUP readers (one RESP3) and one XREAD reader: the group
/// readers get `error` (`r7` on Redis 7.0.15, §22 #19–#21); the XREAD reader is not
/// woken (or re-runs and blocks again) and is served by the next XADD.
fn wake_error(event: &'static str, error: &'static str, r7: &'static str) -> Scenario {
    let mut steps = vec![
        Resp3(B),
        Call(W, GROUP_S),
        Block(A, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", 1),
        Block(B, "XREADGROUP GROUP g b COUNT 5 BLOCK 0 STREAMS s >", 2),
        Block(C, "XREAD BLOCK 0 STREAMS s $", 3),
        Call(W, event),
        WokenErr(A, error, r7),
        WokenErr(B, error, r7),
        BlockedNow(1),
    ];
    if event.starts_with("SET") {
        steps.push(Call(W, "DEL s"));
    }
    steps.extend([
        Call(W, "XADD s 1-0 f v"),
        Woken(C),
        Call(W, "EXISTS s"),
        Call(W, "XINFO GROUPS s"),
    ]);
    Scenario {
        name: event,
        servers: ALL,
        steps,
    }
}

const NOGROUP: &str =
    "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n";
const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
/// §22 #19/#20.
const R7_GONE: &str = "-UNBLOCKED the stream key no longer exists\r\n";
/// §22 #21.
const R7_DESTROYED: &str =
    "-NOGROUP the consumer group this client was blocked on no longer exists\r\n";

#[test]
fn xgroup_destroy_wakes_group_readers_with_nogroup() {
    check(wake_error("XGROUP DESTROY s g", NOGROUP, R7_DESTROYED));
}

#[test]
fn del_wakes_group_readers_with_nogroup() {
    check(wake_error("DEL s", NOGROUP, R7_GONE));
}

#[test]
fn unlink_wakes_group_readers_with_nogroup() {
    check(wake_error("UNLINK s", NOGROUP, R7_GONE));
}

#[test]
fn flushall_wakes_group_readers_with_nogroup() {
    check(wake_error("FLUSHALL", NOGROUP, R7_GONE));
}

#[test]
fn flushdb_wakes_group_readers_with_nogroup() {
    check(wake_error("FLUSHDB", NOGROUP, R7_GONE));
}

#[test]
fn set_wakes_group_readers_with_wrongtype() {
    check(wake_error("SET s x", WRONGTYPE, R7_GONE));
}

#[test]
fn a_batch_replacing_the_stream_answers_nogroup_and_serves_xread() {
    // The key is deleted and re-created without the group in one MULTI: the group
    // reader's re-run finds no group, the XREAD reader (at `$` = 0-0) the new entry.
    check(Scenario {
        name: "MULTI { DEL; XADD }",
        servers: ALL,
        steps: vec![
            Resp3(C),
            Call(W, GROUP_S),
            Block(A, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s $", 2),
            Block(C, "XREADGROUP GROUP g c COUNT 1 BLOCK 0 STREAMS s >", 3),
            Multi(W, &["DEL s", "XADD s 1-0 f v"]),
            WokenErr(A, NOGROUP, R7_DESTROYED),
            Woken(B),
            WokenErr(C, NOGROUP, R7_DESTROYED),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

// ---------------------------------------------------------------------------------------
// §21.1: no blocking inside MULTI; wake-ups after EXEC.

#[test]
fn reads_inside_multi_do_not_block_and_blocked_readers_wake_after_exec() {
    check(Scenario {
        name: "BLOCK inside MULTI",
        servers: ALL,
        steps: vec![
            Resp3(W),
            Call(W, GROUP_S),
            Block(A, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s $", 2),
            // Inside the batch: blocking reads that find nothing answer null; the
            // entry added in the batch goes to w, so a (served after EXEC) finds nothing.
            Multi(
                W,
                &[
                    "XREAD BLOCK 0 STREAMS s $",
                    "XADD s 1-0 f v",
                    "XREAD BLOCK 0 STREAMS s 0",
                    "XREADGROUP GROUP g w BLOCK 0 STREAMS s >",
                    "XREADGROUP GROUP g w2 BLOCK 100 STREAMS s >",
                ],
            ),
            Woken(B),
            BlockedNow(1),
            Multi(
                D,
                &[
                    "XREAD BLOCK 0 STREAMS s $",
                    "XREADGROUP GROUP g w BLOCK 0 STREAMS s >",
                    "XADD s 2-0 f v",
                ],
            ),
            Woken(A),
            Call(W, "XPENDING s g"),
            // §22 #13: Redis 7.0.15 does not create w2 (answered null).
            not70(Call(W, "XINFO GROUPS s")),
        ],
    });
}

// ---------------------------------------------------------------------------------------
// §21.4: timeouts.

#[test]
fn blocked_readers_time_out_with_a_null_reply() {
    check(Scenario {
        name: "timeout",
        servers: ALL,
        steps: vec![
            Resp3(B),
            Resp3(D),
            Call(W, GROUP_S),
            Block(A, "XREAD BLOCK 1000 STREAMS s $", 1),
            Block(B, "XREADGROUP GROUP g b BLOCK 1000 STREAMS s >", 2),
            Block(C, "XREADGROUP GROUP g c BLOCK 0 STREAMS s >", 3),
            Block(D, "XREAD BLOCK 1000 STREAMS s $", 4),
            // Well before A's deadline, even if blocking B–D took ~900 ms.
            Sleep(50),
            BlockedNow(4),
            // 400 ms past D's deadline: the server's timer tick (≤ 100 ms at hz 10) plus
            // slack for a server held back on a loaded machine.
            Sleep(1350),
            BlockedNow(1),
            Woken(A),
            Woken(B),
            Woken(D),
            // §22 #13: Redis 7.0.15 creates a consumer only when XREADGROUP serves it,
            // so b (timed out) and c (still blocked) do not exist there yet.
            not70(Call(W, "XINFO GROUPS s")),
            Call(W, "XADD s 1-0 f v"),
            Woken(C),
            Call(W, "XPENDING s g"),
            not70(Call(W, "XINFO GROUPS s")),
        ],
    });
}

// ---------------------------------------------------------------------------------------
// Redis 8.2+/8.6 commands and blocked readers (§21.2, §21.6): Redis 8.6.3 only.

#[test]
fn redis8_commands_that_do_not_signal_leave_readers_blocked() {
    // §21.2: XACKDEL, XDELEX, XTRIM … ACKED, XCFGSET and an XADD answered as an IDMP
    // duplicate signal nothing; a CLAIM reader whose entry is far from claimable waits.
    check(Scenario {
        name: "no signal (8.x)",
        servers: REDIS8,
        steps: vec![
            Call(W, "XADD s 1-0 f v"),
            Call(W, "XADD s 2-0 f v"),
            // Far in the future, so that its IDMP record is not expired (§20.2).
            Call(W, "XADD s 9999999999999-0 f v"),
            Call(W, "XGROUP CREATE s g 0"),
            Call(W, "XGROUP CREATE s h 0"),
            Call(W, "XREADGROUP GROUP g z STREAMS s >"),
            Call(W, "XREADGROUP GROUP h z STREAMS s >"),
            Call(W, "XIDMPRECORD s p i 9999999999999-0"),
            Block(A, "XREADGROUP GROUP g a BLOCK 0 STREAMS s >", 1),
            Block(B, "XREAD BLOCK 0 STREAMS s $", 2),
            Block(C, "XREADGROUP GROUP h c CLAIM 60000 BLOCK 0 STREAMS s >", 3),
            Call(W, "XADD s IDMP p i * f dup"),
            Call(W, "XACKDEL s g IDS 1 1-0"),
            Call(W, "XDELEX s DELREF IDS 1 2-0"),
            Call(W, "XTRIM s MAXLEN 0 ACKED"),
            Call(W, "XCFGSET s IDMP-DURATION 200 IDMP-MAXSIZE 5"),
            BlockedNow(3),
            Call(W, "XADD s 9999999999999-1 f w"),
            Woken(A),
            Woken(B),
            Woken(C),
            Call(W, "XPENDING s g"),
            Call(W, "XPENDING s h"),
            Call(W, "XINFO GROUPS s"),
            Call(W, "XLEN s"),
        ],
    });
}

#[test]
fn claim_readers_are_served_new_entries_in_blocking_order() {
    // §21.6: a CLAIM reader with nothing claimable is woken by new data like any reader;
    // new entries come as `[id, fields, 0, 0]`.
    check(Scenario {
        name: "CLAIM readers, new data",
        servers: REDIS8,
        steps: vec![
            Resp3(B),
            Call(W, "XADD s 1-0 f v"),
            Call(W, "XGROUP CREATE s g 0"),
            Call(W, "XREADGROUP GROUP g z STREAMS s >"),
            Block(A, "XREADGROUP GROUP g a CLAIM 60000 BLOCK 0 STREAMS s >", 1),
            Block(
                B,
                "XREADGROUP GROUP g b COUNT 1 CLAIM 60000 BLOCK 0 STREAMS s >",
                2,
            ),
            Multi(W, &["XADD s 2-0 f a", "XADD s 3-0 f b"]),
            Woken(A),
            Blocked(1),
            Call(W, "XADD s 4-0 f c"),
            Woken(B),
            Blocked(0),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

#[test]
fn claim_readers_time_out_with_a_null_reply() {
    // §21.6: `CLAIM 5000 BLOCK 1000` with an entry far from claimable → null at the
    // deadline.
    check(Scenario {
        name: "CLAIM timeout",
        servers: REDIS8,
        steps: vec![
            Resp3(B),
            Call(W, "XADD s 1-0 f v"),
            Call(W, "XGROUP CREATE s g 0"),
            Call(W, "XREADGROUP GROUP g z STREAMS s >"),
            Block(
                A,
                "XREADGROUP GROUP g a CLAIM 5000 BLOCK 1000 STREAMS s >",
                1,
            ),
            Block(
                B,
                "XREADGROUP GROUP g b CLAIM 5000 BLOCK 1000 STREAMS s >",
                2,
            ),
            // Well before the deadlines, even if the steps above ran ~900 ms late.
            Sleep(50),
            BlockedNow(2),
            // 400 ms past B's deadline.
            Sleep(1350),
            BlockedNow(0),
            Woken(A),
            Woken(B),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}

#[test]
fn claim_deadline_wakes_the_reader() {
    // §21.6: a CLAIM reader blocked on an entry delivered to alice wakes when that entry
    // has been idle for min-idle-time and claims it; on the engine exactly at the
    // deadline (its clock jumps there), on a server on its next tick after it (the idle
    // time compared with a tolerance). The other blocked reader of the key is re-run
    // too and stays blocked.
    check(Scenario {
        name: "CLAIM deadline",
        servers: REDIS8,
        steps: vec![
            Resp3(B),
            Call(W, "XADD s 1-0 f v"),
            Call(W, "XGROUP CREATE s g 0"),
            Call(W, "XREADGROUP GROUP g alice STREAMS s >"),
            Block(
                A,
                "XREADGROUP GROUP g bob CLAIM 1000 BLOCK 0 STREAMS s >",
                1,
            ),
            Block(
                B,
                "XREADGROUP GROUP g carol CLAIM 60000 BLOCK 0 STREAMS s >",
                2,
            ),
            // Well before the deadline, even if the steps above ran ~900 ms late.
            Sleep(50),
            BlockedNow(2),
            // The engine's clock reaches the deadline exactly; then 400 ms more for a
            // server's tick and a loaded machine.
            Sleep(950),
            Sleep(400),
            BlockedNow(1),
            WokenClaim(A),
            Call(W, "XPENDING s g"),
            Call(W, "XADD s 2-0 f w"),
            WokenClaim(B),
            Call(W, "XPENDING s g"),
            Call(W, "XINFO GROUPS s"),
        ],
    });
}
