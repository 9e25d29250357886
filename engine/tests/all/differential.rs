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
//! Oracle crashes: Redis 8.6.3 itself dies on this workload now and then (a heap
//! corruption in stream listpacks, `listpack.c` assertions from `streamIteratorGetID` /
//! `streamGetEdgeID`, or a malformed reply; with or without the reference policies,
//! XDELEX/XACKDEL, CLAIM or IDMP, e.g. `BROOK_DIFF_SEED=77 BROOK_DIFF_WITHOUT=policies`
//! at step 622; never seen on Valkey 9.1 or Redis 7.0). A crash is printed with the
//! server's bug report and the run continues from an empty keyspace on both sides with a
//! new server (every step before it was compared in full); more than
//! `3 + steps/5000` crashes fail the run. `BROOK_DIFF_WITHOUT=policies,approx-policy,
//! clamp,xdelex,xackdel,claim,idmp,xcfgset,xidmprecord` turns Redis 8 features off, to
//! bisect.
//!
//! Time: an XADD whose ID the server took from its clock runs in brook at that ID's
//! time; IDMP durations stay at least 10 h (`CONFIG SET stream-idmp-duration 86400`
//! first), so no IID expires during a run and nothing depends on when Redis's
//! once-a-second IDMP cron runs (see `gen.rs` for the two cron races the generator
//! avoids).

use std::collections::BTreeMap;
use std::collections::VecDeque;

use brook_engine::{Keyspace, Protocol, StreamId};
use brook_test_support::{Frame, ServerKind};
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

#[derive(Default)]
struct Counts {
    ok: u64,
    err: u64,
}

struct Run {
    oracle: Oracle,
    ks: Keyspace,
    seed: u64,
    history: VecDeque<String>,
    counts: BTreeMap<String, Counts>,
    /// The server's state, for the generator (and the full comparison).
    view: View,
    /// The server's `XINFO STREAM key FULL COUNT 0` (RESP2) per key of [`ALL_KEYS`].
    full: Vec<Frame>,
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
            let ours = to_frame(&self.ks.execute(&args, now_ms()), Protocol::Resp2);
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

    /// Reads the server's state of every key into `view` and `full`.
    fn refresh(&mut self) -> Result<(), String> {
        let argvs: Vec<Vec<Vec<u8>>> = ALL_KEYS.iter().map(|k| full_argv(k)).collect();
        self.full = self.oracle.try_call_many(Protocol::Resp2, &argvs)?;
        for (key, f) in ALL_KEYS.iter().zip(&self.full) {
            self.view.record(key.as_bytes(), f);
        }
        Ok(())
    }

    /// Sends `info` to both sides and fails unless the replies agree.
    /// (Wall-clock time: `now` of an XADD step is its ID's ms, no base for idle times.)
    fn compare_info(&mut self, step: u64, info: &[Vec<u8>], theirs: Frame) {
        let args: Vec<Bytes> = info.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let reply = self.ks.execute(&args, now_ms());
        let ours = self
            .oracle
            .normalize(info, &self.ks, to_frame(&reply, Protocol::Resp2));
        if !self.oracle.same(info, &ours, &theirs) {
            self.fail(
                step,
                &format!("{} after the step", show(info)),
                &ours,
                &theirs,
            );
        }
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
                if !theirs.is_error() && id.ms.abs_diff(now) < 60_000 {
                    now = id.ms;
                }
            }
        }
        // The state before the step, for the normalisations (none against Redis 8.6,
        // which then needs no copy).
        let pre = (!self.oracle.is_redis8()).then(|| self.ks.clone());
        let args: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let reply = self.ks.execute(&args, now);
        let ours = self.oracle.normalize(
            &argv,
            pre.as_ref().unwrap_or(&self.ks),
            to_frame(&reply, proto),
        );
        if !self.oracle.same(&argv, &ours, &theirs) {
            self.fail(step, "reply", &ours, &theirs);
        }
        if let Err(e) = self.ks.check() {
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
        for (info, theirs) in infos.iter().zip(replies) {
            self.compare_info(step, info, theirs);
        }
        if step % 25 == 0 {
            for (i, key) in ALL_KEYS.iter().enumerate() {
                let theirs = self.full[i].clone();
                self.compare_info(step, &full_argv(key), theirs);
            }
        }
        Ok(Some(theirs))
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
    let Some(oracle) = Oracle::start(kind) else {
        return;
    };
    let dialect = oracle.dialect();
    let seed = Rng::seed_from_env("BROOK_DIFF_SEED");
    let mut gen = Gen::new(seed, dialect);
    let (oracle, ks) = prepare(oracle, dialect);
    let server_only = std::env::var("BROOK_DIFF_SERVER_ONLY").is_ok_and(|v| v != "0");
    let mut run = Run {
        oracle,
        ks,
        seed,
        history: VecDeque::new(),
        counts: BTreeMap::new(),
        view: View::default(),
        full: Vec::new(),
        server_only,
    };
    let n = steps(default_steps);
    // Redis 8.6.3 itself crashes now and then on this workload (an upstream heap
    // corruption in stream listpacks, see the module doc). Such a crash is reported with
    // the server's bug report, and the run goes on from an empty keyspace on both sides
    // with a new server; every step before it was compared in full. More crashes than
    // this fail the run.
    let max_crashes = 3 + n / 5_000;
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
        run.oracle = oracle;
        run.ks = ks;
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
        match run.step(step, argv.clone(), proto) {
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
