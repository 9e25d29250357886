//! Differential test at the argument-vector level: the same random commands through
//! brook's command layer and, as raw RESP, to a private server; every reply and error
//! must be equal. After every step XINFO STREAM of every key, XINFO GROUPS of every
//! stream and XINFO CONSUMERS of every group must be equal too (asked of the server in
//! one pipeline); every 25 steps the full content (XINFO STREAM FULL COUNT 0, groups,
//! PELs and consumers included) is compared as well, and the engine's own invariant
//! checker runs after every step.
//!
//! Three oracles:
//! * `differential_against_redis8` — Redis 8.6.3, the reference: every Redis 8 command
//!   and option the generator knows ([`Dialect::REDIS8`]: XDELEX, XACKDEL, KEEPREF /
//!   DELREF / ACKED on XADD and XTRIM, `XREADGROUP … CLAIM`, `XADD … IDMP / IDMPAUTO`,
//!   XCFGSET, XIDMPRECORD, `CONFIG SET stream-idmp-*`, ENTRIESREAD above entries-added,
//!   `XREAD … +`, implicit consumers, the BLOCK overflow check). Nothing is normalised:
//!   `lag`, `entries-read` and the six IDMP fields are compared exactly; only the
//!   wall-clock fields (idle, seen-time, inactive, active-time, delivery times, CLAIM's
//!   idle) within `oracle::TIME_TOLERANCE_MS`.
//! * `differential_blocked_readers_against_redis8` — the same on an [`Engine`] (on a
//!   [`ManualClock`] set to each command's time), plus readers blocked with `BLOCK 0` on
//!   connections of their own (at most two at a time; XREAD on `$`, `+` or the last ID,
//!   XREADGROUP `>` with COUNT, NOACK or CLAIM), woken by the random writes: after every
//!   step each reader must be served on both sides or on neither (`CLIENT LIST ID …`
//!   flags on the server, one poll of `Engine::execute_async`'s future on brook), with
//!   equal replies. CLAIM readers use a min-idle-time no entry reaches, and the main
//!   connection sends no `XREADGROUP … CLAIM … BLOCK n` in this run: both would wake
//!   readers by the server's timer, not by a command. 5000 steps by default.
//! * `differential_against_valkey` (Valkey 9.1) and `differential_against_redis`
//!   (Redis 7.0.15): only what they share with 8.6, after the documented differences in
//!   `oracle.rs`.
//!
//! Steps: `BROOK_DIFF_STEPS` (default 10000 against Redis 8.6 and Valkey, 3500 against
//! Redis 7.0). Seed: `BROOK_DIFF_SEED` (printed first). Every command must have
//! succeeded at least steps/250 times, every Redis 8 option row of the summary
//! (`XADD IDMP`, `XDELEX ACKED`, `XREADGROUP CLAIM claimed`, …) steps/1000 times (at
//! least 5): a generator that only produces errors fails. Debugging aids:
//! `BROOK_DIFF_TRACE=<key>`
//! (or `*`) prints every step touching that key with the server's reply,
//! `BROOK_DIFF_ERRORS=1` prints every error reply (to see what the generator wastes
//! steps on), `BROOK_DIFF_RECORD=<file>` appends every command as RESP to a file that
//! `redis-cli --pipe` can replay against a server, `BROOK_DIFF_SERVER_ONLY=1` runs the
//! generator against the server alone (brook is not called, nothing is compared) and
//! prints the per-command ok/error counts — to check the generator's quality, e.g. for
//! commands the engine does not have yet. The generator reads its state from the server
//! in both modes, so a seed produces the same commands either way.
//!
//! Oracle crashes: Redis 8.6.3 corrupts small stream nodes as Redis 7.0.15 does: with
//! `stream-node-max-bytes` 1, 50 or 100 it soon dies (`listpack.c` assertions from
//! `streamIteratorGetID` / `streamGetEdgeID`) or sends a malformed reply, with every Redis
//! 8 feature turned off too, i.e. on the commands Valkey 9.1 shares, which never fails so
//! (e.g. `BROOK_DIFF_MIN_NODE_BYTES=0 BROOK_DIFF_SERVER_ONLY=1 BROOK_DIFF_SEED=121
//! BROOK_DIFF_WITHOUT=policies,approx-policy,clamp,xdelex,xackdel,claim,idmp,xcfgset,xidmprecord`
//! at step 402). So the generator sets nothing below 300 bytes against it, as against
//! 7.0 (`Dialect::min_node_bytes`). Should the server still die, the crash is printed with
//! its bug report and the run continues from an empty keyspace on both sides with a new
//! server (every step before it was compared in full); more than `1 + steps/20000`
//! crashes fail the run. `BROOK_DIFF_WITHOUT=policies,approx-policy,clamp,xdelex,xackdel,
//! claim,idmp,xcfgset,xidmprecord` turns Redis 8 features off, to bisect.
//!
//! Time: an XADD whose ID the server took from its clock runs in brook at that ID's
//! time; IDMP durations stay at least 10 h (`CONFIG SET stream-idmp-duration 86400`
//! first), so no IID expires during a run and nothing depends on when Redis's
//! once-a-second IDMP cron runs (see `gen.rs` for the two cron races the generator
//! avoids).

use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use brook_engine::{Engine, ManualClock, Reply, StreamId};

use brook_engine::frontend::{ExecuteFuture, Keyspace, Protocol};
use brook_test_support::{Frame, RespConn, ServerKind};
use bytes::Bytes;

use crate::gen::{Dialect, Gen, View, ALL_KEYS};
use crate::oracle::{to_frame, upper, Oracle};
use crate::rng::Rng;

fn steps(default: u64) -> u64 {
    std::env::var("BROOK_DIFF_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn show(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| {
            let s = format!("{:?}", String::from_utf8_lossy(a));
            if s.len() > 60 {
                format!("{}…({} bytes)", &s[..40], a.len())
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Extra rows of the summary (and its success floors) for the options Redis 8 added:
/// `XADD IDMP`, `XADD IDMPAUTO`, `<cmd> KEEPREF|DELREF|ACKED` (XADD, XTRIM, XDELEX,
/// XACKDEL), `XREADGROUP CLAIM`, and `XREADGROUP CLAIM claimed` — a successful CLAIM
/// read that really claimed an entry (delivery count > 0 in its reply), which errors
/// never count as.
fn option_rows(name: &str, argv: &[Vec<u8>], reply: &Frame) -> Vec<String> {
    let mut rows = Vec::new();
    let has = |w: &str| argv.iter().skip(1).any(|a| upper(a) == w);
    match name {
        "XADD" | "XTRIM" | "XDELEX" | "XACKDEL" => {
            for p in ["KEEPREF", "DELREF", "ACKED"] {
                if has(p) {
                    rows.push(format!("{name} {p}"));
                }
            }
            if name == "XADD" {
                for o in ["IDMP", "IDMPAUTO"] {
                    if has(o) {
                        rows.push(format!("XADD {o}"));
                    }
                }
            }
        }
        "XREADGROUP" if has("CLAIM") => {
            rows.push("XREADGROUP CLAIM".into());
            if claimed_some(reply) {
                rows.push("XREADGROUP CLAIM claimed".into());
            }
        }
        _ => {}
    }
    rows
}

/// Whether an XREADGROUP reply holds an entry `[id, fields, idle, count]` with count > 0.
fn claimed_some(reply: &Frame) -> bool {
    let streams: Vec<&Frame> = match reply {
        Frame::Array(items) => items
            .iter()
            .filter_map(|s| match s {
                Frame::Array(kv) if kv.len() == 2 => Some(&kv[1]),
                _ => None,
            })
            .collect(),
        Frame::Map(pairs) => pairs.iter().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    };
    streams.iter().any(|entries| match entries {
        Frame::Array(es) => es.iter().any(|e| {
            matches!(e, Frame::Array(parts) if parts.len() == 4
                && matches!(parts[3], Frame::Integer(n) if n > 0))
        }),
        _ => false,
    })
}

/// Wakes nobody: the test polls [`ExecuteFuture`]s itself, right after each command
/// (the engine delivers to woken readers before a write returns).
struct NoWake;

impl Wake for NoWake {
    fn wake(self: Arc<Self>) {}
}

/// One reader blocked (or about to be) on both sides.
struct Reader {
    argv: Vec<Vec<u8>>,
    proto: Protocol,
    /// Its own connection to the server, and the server's client ID for it.
    conn: RespConn,
    id: i64,
    fut: Pin<Box<ExecuteFuture>>,
    /// The step it blocked at.
    since: u64,
}

/// Readers blocked with `BLOCK 0` on connections of their own (at most
/// [`MAX_READERS`] at a time), which later random writes wake.
struct Readers {
    /// Asks the server which readers are still blocked.
    admin: RespConn,
    active: Vec<Reader>,
    /// Readers served at once / blocked / woken later (for the summary and floors).
    immediate: u64,
    blocked: u64,
    woken: u64,
}

const MAX_READERS: usize = 2;
/// How long to wait for the server to block a reader or to answer it.
const READER_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Readers {
    fn new(oracle: &Oracle) -> Readers {
        Readers {
            admin: oracle.guard.connect(),
            active: Vec::new(),
            immediate: 0,
            blocked: 0,
            woken: 0,
        }
    }

    /// Whether the server's client `id` is blocked (`CLIENT LIST ID` flags with `b`).
    fn server_blocked(&mut self, id: i64) -> bool {
        let id = id.to_string();
        let reply = self.admin.call(&[b"CLIENT", b"LIST", b"ID", id.as_bytes()]);
        let text = reply
            .as_bytes()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        text.split_whitespace()
            .find_map(|f| f.strip_prefix("flags="))
            .is_some_and(|flags| flags.contains('b'))
    }
}

fn poll_now(fut: Pin<&mut ExecuteFuture>) -> Option<Reply> {
    let waker = Waker::from(Arc::new(NoWake));
    match fut.poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(r) => Some(r),
        Poll::Pending => None,
    }
}

/// What a failure message names of a reader.
struct Blocked {
    argv: Vec<Vec<u8>>,
    since: u64,
}

/// brook's side of a run.
enum Side {
    /// The command layer on a bare keyspace.
    Plain(Box<Keyspace>),
    /// An engine (so that readers can block) on a clock the test sets before each
    /// command.
    Engine(Engine, ManualClock),
}

impl Side {
    /// Runs one command at `now`.
    fn exec(&mut self, args: &[Bytes], now: u64) -> Reply {
        match self {
            Side::Plain(ks) => ks.execute(args, now),
            Side::Engine(e, clock) => {
                clock.set(now);
                e.with_keyspace(|ks, _| ks.execute(args, now))
            }
        }
    }

    fn with_ks<T>(&self, f: impl FnOnce(&Keyspace) -> T) -> T {
        match self {
            Side::Plain(ks) => f(ks),
            Side::Engine(e, _) => e.with_keyspace(|ks, _| f(ks)),
        }
    }

    /// The invariant checker (and the blocked-reader registry's, for an engine).
    fn check(&self) -> Result<(), String> {
        match self {
            Side::Plain(ks) => ks.check(),
            Side::Engine(e, _) => e.check(),
        }
    }
}

#[derive(Default)]
struct Counts {
    ok: u64,
    err: u64,
}

struct Run {
    oracle: Oracle,
    /// brook: a bare keyspace, or (with blocked readers) an engine around one.
    side: Side,
    /// Blocked readers, when the run has them.
    readers: Option<Readers>,
    seed: u64,
    history: VecDeque<String>,
    counts: BTreeMap<String, Counts>,
    /// The server's state, for the generator (and the full comparison).
    view: View,
    /// The server's `XINFO STREAM key FULL COUNT 0` (RESP2) per key of [`ALL_KEYS`].
    full: Vec<Frame>,
    /// When the server answered `full`.
    full_at: u64,
    /// XINFO comparisons that disagreed once and agreed when asked again.
    time_retries: u64,
    server_only: bool,
}

fn full_argv(key: &str) -> Vec<Vec<u8>> {
    ["XINFO", "STREAM", key, "FULL", "COUNT", "0"]
        .iter()
        .map(|a| a.as_bytes().to_vec())
        .collect()
}

impl Run {
    fn fail(&mut self, step: u64, what: &str, ours: &Frame, theirs: &Frame) -> ! {
        let history: Vec<&String> = self.history.iter().collect();
        let mut state = String::new();
        for key in ALL_KEYS {
            let argv = [
                b"XINFO".to_vec(),
                b"STREAM".to_vec(),
                key.as_bytes().to_vec(),
                b"FULL".to_vec(),
            ];
            let theirs = self.oracle.call(Protocol::Resp2, &argv);
            let args: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
            let ours = to_frame(&self.side.exec(&args, now_ms()), Protocol::Resp2);
            state.push_str(&format!(
                "  {key}:\n    brook : {ours}\n    server: {theirs}\n"
            ));
        }
        panic!(
            "{what} differs from {} {} at step {step} (seed {}):\n  brook : {ours}\n  server: {theirs}\nstate now:\n{state}last commands:\n  {}",
            self.oracle.kind,
            self.oracle.version,
            self.seed,
            history.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  ")
        );
    }

    /// Starts a blocking read on a connection of its own, on both sides; compares the
    /// reply at once if either side serves it without blocking.
    fn start_reader(
        &mut self,
        step: u64,
        argv: Vec<Vec<u8>>,
        proto: Protocol,
    ) -> Result<(), String> {
        let Side::Engine(engine, clock) = &self.side else {
            return Ok(());
        };
        let Some(readers) = self.readers.as_mut() else {
            return Ok(());
        };
        self.history
            .push_back(format!("[{proto:?}] reader: {}", show(&argv)));
        if let Ok(key) = std::env::var("BROOK_DIFF_TRACE") {
            if key == "*" || argv.iter().any(|a| a == key.as_bytes()) {
                eprintln!("TRACE {step}: reader {}", show(&argv));
            }
        }
        let mut conn = self.oracle.guard.connect();
        if proto == Protocol::Resp3 {
            conn.hello(3);
        }
        let id = match conn.call(&[b"CLIENT", b"ID"]) {
            Frame::Integer(id) => id,
            other => panic!("CLIENT ID answered {other}"),
        };
        conn.set_read_timeout(Some(READER_WAIT))
            .map_err(|e| e.to_string())?;
        clock.set(now_ms());
        let args: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let mut fut = Box::pin(engine.execute_async(&args));
        let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        conn.send(&args).map_err(|e| e.to_string())?;
        if let Some(reply) = poll_now(fut.as_mut()) {
            readers.immediate += 1;
            let theirs = match conn.read() {
                Ok((f, _)) => f,
                Err(e) => {
                    let blocked = readers.server_blocked(id);
                    panic!(
                        "step {step} (seed {}): brook served {} at once ({}), the server did not answer ({e}; blocked: {blocked})",
                        self.seed,
                        show(&argv),
                        to_frame(&reply, proto)
                    )
                }
            };
            let ours = to_frame(&reply, proto);
            if !self.oracle.same(&argv, &ours, &theirs) {
                self.fail(
                    step,
                    &format!("the immediate reply to {}", show(&argv)),
                    &ours,
                    &theirs,
                );
            }
            return Ok(());
        }
        let start = std::time::Instant::now();
        while !readers.server_blocked(id) {
            if start.elapsed() > READER_WAIT {
                let theirs = conn
                    .read()
                    .map_or_else(|e| e.to_string(), |(f, _)| f.to_string());
                panic!(
                    "step {step} (seed {}): brook blocked {}, the server did not: {theirs}",
                    self.seed,
                    show(&argv)
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        readers.blocked += 1;
        readers.active.push(Reader {
            argv,
            proto,
            conn,
            id,
            fut,
            since: step,
        });
        Ok(())
    }

    /// After a step: every blocked reader is served on both sides or on neither, and
    /// served ones got the same reply.
    fn check_readers(&mut self, step: u64) {
        let Some(readers) = self.readers.as_mut() else {
            return;
        };
        let mut served = Vec::new();
        for (i, r) in readers.active.iter_mut().enumerate() {
            let ours = poll_now(r.fut.as_mut());
            let theirs_blocked = {
                let id = r.id.to_string();
                let reply = readers
                    .admin
                    .call(&[b"CLIENT", b"LIST", b"ID", id.as_bytes()]);
                let text = reply
                    .as_bytes()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                text.split_whitespace()
                    .find_map(|f| f.strip_prefix("flags="))
                    .is_some_and(|flags| flags.contains('b'))
            };
            let theirs = if theirs_blocked {
                None
            } else {
                Some(
                    r.conn
                        .read()
                        .map_or_else(|e| Frame::Error(e.to_string().into_bytes()), |(f, _)| f),
                )
            };
            served.push((i, ours.map(|o| to_frame(&o, r.proto)), theirs));
        }
        let mut done = Vec::new();
        for (i, ours, theirs) in served {
            let (argv, since) = self
                .readers
                .as_ref()
                .map(|rs| (rs.active[i].argv.clone(), rs.active[i].since))
                .expect("checked above");
            let r = Blocked { argv, since };
            match (ours, theirs) {
                (None, None) => {}
                (Some(ours), Some(theirs)) => {
                    if std::env::var("BROOK_DIFF_TRACE").is_ok() {
                        eprintln!("TRACE {step}: woken {} -> {theirs}", show(&r.argv));
                    }
                    if !self.oracle.same(&r.argv, &ours, &theirs) {
                        let what = format!(
                            "the woken reply of {} (blocked at step {})",
                            show(&r.argv),
                            r.since
                        );
                        self.fail(step, &what, &ours, &theirs);
                    }
                    done.push(i);
                }
                (ours, theirs) => {
                    let what = format!(
                        "whether {} (blocked at step {}) was woken",
                        show(&r.argv),
                        r.since
                    );
                    let ours = ours.unwrap_or(Frame::Simple(b"(still blocked)".to_vec()));
                    let theirs = theirs.unwrap_or(Frame::Simple(b"(still blocked)".to_vec()));
                    self.fail(step, &what, &ours, &theirs);
                }
            }
        }
        let readers = self.readers.as_mut().expect("checked above");
        for i in done.into_iter().rev() {
            readers.active.remove(i);
            readers.woken += 1;
        }
    }

    /// Reads the server's state of every key into `view` and `full`.
    fn refresh(&mut self) -> Result<(), String> {
        let argvs: Vec<Vec<Vec<u8>>> = ALL_KEYS.iter().map(|k| full_argv(k)).collect();
        self.full = self.oracle.try_call_many(Protocol::Resp2, &argvs)?;
        self.full_at = now_ms();
        for (key, f) in ALL_KEYS.iter().zip(&self.full) {
            self.view.record(key.as_bytes(), f);
        }
        Ok(())
    }

    /// Sends `info` to both sides and fails unless the replies agree.
    /// (Wall-clock time: `now` of an XADD step is its ID's ms, no base for idle times.)
    /// `at`: when the server answered (all of a pipeline at once), so that brook's time
    /// values are taken at that instant, however long the comparisons before took.
    ///
    /// XINFO changes nothing, so a disagreement is asked again once, of the server alone
    /// and then of brook at once: on a loaded machine the server may compute idle times
    /// with a clock reading seconds older than brook's (observed: every time field of one
    /// reply off by the same 1.2–2.7 s). A real difference stays; the retries are counted.
    fn compare_info(&mut self, step: u64, info: &[Vec<u8>], theirs: Frame, at: u64) {
        let ours = self.our_info(info, at);
        if self.oracle.same(info, &ours, &theirs) {
            return;
        }
        self.time_retries += 1;
        let theirs = match self.oracle.try_call(Protocol::Resp2, info) {
            Ok(f) => f,
            Err(crash) => panic!("{crash}"),
        };
        let ours = self.our_info(info, now_ms());
        if !self.oracle.same(info, &ours, &theirs) {
            self.fail(
                step,
                &format!("{} after the step", show(info)),
                &ours,
                &theirs,
            );
        }
    }

    /// brook's (normalised) reply to the XINFO `info` at `at`.
    fn our_info(&mut self, info: &[Vec<u8>], at: u64) -> Frame {
        let args: Vec<Bytes> = info.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let reply = self.side.exec(&args, at);
        self.side.with_ks(|ks| {
            self.oracle
                .normalize(info, ks, to_frame(&reply, Protocol::Resp2))
        })
    }

    /// Runs one step; returns the server's reply (or `None` when the step was skipped),
    /// or the server's crash report if it died.
    fn step(
        &mut self,
        step: u64,
        argv: Vec<Vec<u8>>,
        proto: Protocol,
    ) -> Result<Option<Frame>, String> {
        self.history
            .push_back(format!("[{proto:?}] {}", show(&argv)));
        if self.history.len() > 25 {
            self.history.pop_front();
        }
        if self.oracle.skip(&argv, &self.view) {
            return Ok(None);
        }
        if let Ok(path) = std::env::var("BROOK_DIFF_RECORD") {
            use std::io::Write;
            let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("record file");
            f.write_all(&brook_test_support::encode_command(&args))
                .expect("record");
        }
        let theirs = self.oracle.try_call(proto, &argv)?;
        let name = upper(&argv[0]);
        let sub = match name.as_str() {
            "XGROUP" | "XINFO" => argv.get(1).map(|s| format!("{name} {}", upper(s))),
            _ => None,
        };
        for row in std::iter::once(name.clone())
            .chain(sub)
            .chain(option_rows(&name, &argv, &theirs))
        {
            let c = self.counts.entry(row).or_default();
            if theirs.is_error() {
                c.err += 1;
            } else {
                c.ok += 1;
            }
        }
        if theirs.is_error() && std::env::var("BROOK_DIFF_ERRORS").is_ok() {
            eprintln!("ERRSTAT {name} {theirs}");
        }
        if let Ok(key) = std::env::var("BROOK_DIFF_TRACE") {
            if key == "*" || argv.iter().any(|a| a == key.as_bytes()) {
                eprintln!("TRACE {step}: {} -> {theirs}", show(&argv));
            }
        }
        if self.server_only {
            self.refresh()?;
            return Ok(Some(theirs));
        }
        let mut now = now_ms();
        if upper(&argv[0]) == "XADD" {
            if let Some(Ok(id)) = theirs.as_bytes().map(StreamId::parse_strict) {
                // The server's clock made this ID: run the step at its time. (An ID far
                // from the clock came from the stream's last ID, whatever the time; then
                // the wall clock stays, so that IDMP expiry sees the real time.)
                // Only `*` takes the clock (an explicit `ms-seq` or `ms-*` names its ms).
                let auto = argv.iter().skip(2).any(|a| a.as_slice() == b"*");
                if auto && !theirs.is_error() && id.ms.abs_diff(now) < 60_000 {
                    now = id.ms;
                }
            }
        }
        // The state before the step, for the normalisations (none against Redis 8.6,
        // which then needs no copy).
        let pre = (!self.oracle.is_redis8()).then(|| self.side.with_ks(Keyspace::clone));
        let args: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let reply = self.side.exec(&args, now);
        let ours = match &pre {
            Some(pre) => self.oracle.normalize(&argv, pre, to_frame(&reply, proto)),
            None => to_frame(&reply, proto),
        };
        if !self.oracle.same(&argv, &ours, &theirs) {
            self.fail(step, "reply", &ours, &theirs);
        }
        self.check_readers(step);
        self.after(step)?;
        Ok(Some(theirs))
    }

    /// After a step: the invariant checker, then XINFO of everything on both sides.
    fn after(&mut self, step: u64) -> Result<(), String> {
        if let Err(e) = self.side.check() {
            panic!(
                "invariant broken at step {step} (seed {}): {e}\nlast: {:?}",
                self.seed,
                self.history.back()
            );
        }
        self.refresh()?;
        // XINFO STREAM of every key, XINFO GROUPS of every stream, XINFO CONSUMERS of
        // every group: asked of the server in one pipeline.
        let mut infos: Vec<Vec<Vec<u8>>> = Vec::new();
        for key in ALL_KEYS {
            let k = key.as_bytes().to_vec();
            infos.push(vec![b"XINFO".to_vec(), b"STREAM".to_vec(), k.clone()]);
            let Some(stream) = self.view.stream(key.as_bytes()) else {
                continue;
            };
            infos.push(vec![b"XINFO".to_vec(), b"GROUPS".to_vec(), k.clone()]);
            for g in &stream.groups {
                infos.push(vec![
                    b"XINFO".to_vec(),
                    b"CONSUMERS".to_vec(),
                    k.clone(),
                    g.name.clone(),
                ]);
            }
        }
        let replies = self.oracle.try_call_many(Protocol::Resp2, &infos)?;
        let at = now_ms();
        for (info, theirs) in infos.iter().zip(replies) {
            self.compare_info(step, info, theirs, at);
        }
        if step.is_multiple_of(25) {
            for (i, key) in ALL_KEYS.iter().enumerate() {
                let theirs = self.full[i].clone();
                let at = self.full_at;
                self.compare_info(step, &full_argv(key), theirs, at);
            }
        }
        Ok(())
    }
}

/// A fresh oracle of `kind` and a fresh keyspace, both set up alike (FLUSHALL; with IDMP,
/// a day's `stream-idmp-duration` so that no IID expires during a run: Redis expires them
/// from a cron whose timing the engine cannot match).
fn start(kind: ServerKind, dialect: Dialect) -> Option<(Oracle, Keyspace)> {
    Oracle::start(kind).map(|o| prepare(o, dialect))
}

/// [`start`] with a server already running.
fn prepare(mut oracle: Oracle, dialect: Dialect) -> (Oracle, Keyspace) {
    oracle.call(Protocol::Resp2, &[b"FLUSHALL".to_vec()]);
    let mut ks = Keyspace::new();
    if dialect.idmp {
        let argv: Vec<Vec<u8>> = ["CONFIG", "SET", "stream-idmp-duration", "86400"]
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect();
        let theirs = oracle.call(Protocol::Resp2, &argv);
        let args: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let ours = to_frame(&ks.execute(&args, now_ms()), Protocol::Resp2);
        assert_eq!(ours, theirs, "CONFIG SET stream-idmp-duration");
        assert!(!theirs.is_error(), "{theirs}");
    }
    (oracle, ks)
}

fn run(kind: ServerKind, default_steps: u64) {
    run_with(kind, default_steps, false);
}

/// [`run`], with blocked readers on extra connections when `blocking` (see the module
/// doc).
fn run_with(kind: ServerKind, default_steps: u64, blocking: bool) {
    let Some(oracle) = Oracle::start(kind) else {
        return;
    };
    let dialect = oracle.dialect();
    let seed = Rng::seed_from_env("BROOK_DIFF_SEED");
    let mut gen = Gen::new(seed, dialect);
    gen.with_blocked_readers = blocking;
    let (oracle, ks) = prepare(oracle, dialect);
    let side = |ks: Keyspace| {
        if blocking {
            let clock = ManualClock::new(now_ms());
            let engine = Engine::builder().clock(clock.clone()).build();
            engine.with_keyspace(|k, _| *k = ks);
            Side::Engine(engine, clock)
        } else {
            Side::Plain(Box::new(ks))
        }
    };
    let server_only = std::env::var("BROOK_DIFF_SERVER_ONLY").is_ok_and(|v| v != "0");
    let readers = blocking.then(|| Readers::new(&oracle));
    let mut run = Run {
        oracle,
        side: side(ks),
        readers,
        seed,
        history: VecDeque::new(),
        counts: BTreeMap::new(),
        view: View::default(),
        full: Vec::new(),
        full_at: 0,
        time_retries: 0,
        server_only,
    };
    let n = steps(default_steps);
    // Should the server crash (see the module doc), the crash is reported with the
    // server's bug report, and the run goes on from an empty keyspace on both sides with
    // a new server; every step before it was compared in full. More crashes than this
    // fail the run.
    let max_crashes = 1 + n / 20_000;
    let mut crashes: Vec<u64> = Vec::new();
    let restart = |run: &mut Run, step: u64, crash: String, crashes: &mut Vec<u64>| {
        crashes.push(step);
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("ORACLE CRASH at step {step} (seed {seed}), restarting from empty:\n{crash}\n")
                .as_bytes(),
        );
        assert!(
            crashes.len() as u64 <= max_crashes,
            "{} crashed {} times in {step} steps (seed {seed}), more than {max_crashes}: at steps {crashes:?}\nlast:\n{crash}",
            kind,
            crashes.len()
        );
        let (oracle, ks) = start(kind, dialect).expect("the server started before");
        run.readers = blocking.then(|| Readers::new(&oracle));
        run.oracle = oracle;
        run.side = side(ks);
        run.view = View::default();
    };
    if let Err(crash) = run.refresh() {
        restart(&mut run, 0, crash, &mut crashes);
    }
    for step in 1..=n {
        let argv = gen.next(&run.view);
        let proto = if gen.rng.pct(20) {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
        let reader = blocking
            && run
                .readers
                .as_ref()
                .is_some_and(|r| r.active.len() < MAX_READERS)
            && gen.rng.pct(4);
        let res = if reader {
            let argv = gen.blocking_read(&run.view);
            run.start_reader(step, argv, proto)
                .and_then(|()| run.after(step))
                .map(|()| None)
        } else {
            run.step(step, argv.clone(), proto)
        };
        match res {
            Ok(Some(reply)) => gen.observe(&argv, &reply),
            Ok(None) => {}
            Err(crash) => {
                restart(&mut run, step, crash, &mut crashes);
                while let Err(crash) = run.refresh() {
                    restart(&mut run, step, crash, &mut crashes);
                }
            }
        }
    }
    // Straight to the stderr handle so the summary shows in CI logs (the harness
    // captures `eprintln!` of passing tests).
    let mut summary = format!(
        "differential vs {} {}{}: {n} steps, seed {seed}, oracle crashes {} (at steps {crashes:?})\n  {:<22} {:>7} {:>7}\n",
        run.oracle.kind,
        run.oracle.version,
        if server_only { " (server only)" } else { "" },
        crashes.len(),
        "command",
        "ok",
        "error"
    );
    for (cmd, c) in &run.counts {
        summary.push_str(&format!("  {cmd:<22} {:>7} {:>7}\n", c.ok, c.err));
    }
    summary.push_str(&format!(
        "  XINFO comparisons asked again (time skew): {}\n",
        run.time_retries
    ));
    if let Some(r) = &run.readers {
        summary.push_str(&format!(
            "  readers: {} served at once, {} blocked, {} woken (this server)\n",
            r.immediate, r.blocked, r.woken
        ));
    }
    let _ = std::io::Write::write_all(&mut std::io::stderr(), summary.as_bytes());
    // Random generators mostly produce syntax errors unless watched: every command must
    // have really run (not errored) a fair number of times.
    let floor = (n / 250).max(5);
    let commands = [
        "XADD",
        "XRANGE",
        "XREVRANGE",
        "XDEL",
        "XTRIM",
        "XREAD",
        "XSETID",
        "XINFO",
        "XGROUP",
        "XREADGROUP",
        "XACK",
        "XPENDING",
        "XCLAIM",
        "XAUTOCLAIM",
    ]
    .into_iter()
    .chain(dialect.xdelex.then_some("XDELEX"))
    .chain(dialect.xackdel.then_some("XACKDEL"))
    .chain(dialect.xcfgset.then_some("XCFGSET"))
    .chain(dialect.xidmprecord.then_some("XIDMPRECORD"))
    .map(|c| (c, floor));
    // Each Redis 8 option is a slice of its command's steps: a lower floor.
    let option_floor = (n / 1000).max(5);
    let policies = ["KEEPREF", "DELREF", "ACKED"];
    let mut options: Vec<String> = Vec::new();
    for (on, cmd) in [
        (dialect.ref_policies, "XADD"),
        (dialect.ref_policies, "XTRIM"),
        (dialect.xdelex, "XDELEX"),
        (dialect.xackdel, "XACKDEL"),
    ] {
        if on {
            options.extend(policies.iter().map(|p| format!("{cmd} {p}")));
        }
    }
    if dialect.readgroup_claim {
        options.extend(["XREADGROUP CLAIM".into(), "XREADGROUP CLAIM claimed".into()]);
    }
    if dialect.idmp {
        options.extend(["XADD IDMP".into(), "XADD IDMPAUTO".into()]);
    }
    let rows: Vec<(String, u64)> = commands
        .map(|(c, f)| (c.to_string(), f))
        .chain(options.into_iter().map(|o| (o, option_floor)))
        .collect();
    if let Some(r) = &run.readers {
        // Counted since the last oracle crash only (a restart starts them again).
        let floor = (n / 500).max(5) / (crashes.len() as u64 + 1);
        assert!(
            r.blocked >= floor && r.woken >= floor,
            "blocked readers: {} blocked, {} woken in {n} steps (floor {floor}); the generator needs fixing",
            r.blocked,
            r.woken
        );
    }
    for (cmd, floor) in rows {
        let ok = run.counts.get(&cmd).map_or(0, |c| c.ok);
        assert!(
            ok >= floor,
            "{cmd}: only {ok} successful steps of {n} (floor {floor}); the generator needs fixing"
        );
    }
}

#[test]
fn differential_against_valkey() {
    run(ServerKind::Valkey, 10_000);
}

#[test]
fn differential_against_redis() {
    run(ServerKind::Redis, 3_500);
}

#[test]
fn differential_against_redis8() {
    run(ServerKind::Redis8, 10_000);
}

/// The same against Redis 8.6.3 on an [`Engine`], with readers blocked (`BLOCK 0`) on
/// connections of their own that the random writes wake.
#[test]
fn differential_blocked_readers_against_redis8() {
    run_with(ServerKind::Redis8, 5_000, true);
}
