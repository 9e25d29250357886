//! Differential test at the argument-vector level: the same random commands through
//! brook's command layer and, as raw RESP, to a private server; every reply and error
//! must be equal (after the documented differences in `oracle.rs`; time-valued fields
//! within a tolerance, see `Oracle::same`). After every step XINFO STREAM of every key,
//! XINFO GROUPS of every stream and XINFO CONSUMERS of every group must be equal too;
//! every 25 steps the full content (XINFO STREAM FULL COUNT 0, groups, PELs and
//! consumers included) is compared as well, and the engine's own invariant checker runs
//! after every step.
//!
//! Steps: `BROOK_DIFF_STEPS` (default 10000 against Valkey, 3500 against Redis 7.0).
//! Seed: `BROOK_DIFF_SEED` (printed on failure). Debugging aids: `BROOK_DIFF_TRACE=<key>`
//! (or `*`) prints every step touching that key with the server's reply,
//! `BROOK_DIFF_ERRORS=1` prints every error reply (to see what the generator wastes
//! steps on), `BROOK_DIFF_RECORD=<file>` appends every command as RESP to a file that
//! `redis-cli --pipe` can replay against a server, `BROOK_DIFF_SERVER_ONLY=1` runs the
//! generator against the server alone (brook is not called, nothing is compared) and
//! prints the per-command ok/error counts — to check the generator's quality, e.g. for
//! commands the engine does not have yet. The generator reads its state from the server
//! in both modes, so a seed produces the same commands either way.

use std::collections::BTreeMap;
use std::collections::VecDeque;

use brook_engine::{Keyspace, Protocol, StreamId};
use brook_test_support::{Frame, ServerKind};
use bytes::Bytes;

use crate::gen::{Gen, View, ALL_KEYS};
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
    fn refresh(&mut self) {
        self.full.clear();
        for key in ALL_KEYS {
            let f = self.oracle.call(Protocol::Resp2, &full_argv(key));
            self.view.record(key.as_bytes(), &f);
            self.full.push(f);
        }
    }

    /// Sends `info` to both sides and fails unless the replies agree.
    /// (Wall-clock time: `now` of an XADD step is its ID's ms, no base for idle times.)
    fn compare_info(&mut self, step: u64, info: &[Vec<u8>], theirs: Option<Frame>) {
        let theirs = theirs.unwrap_or_else(|| self.oracle.call(Protocol::Resp2, info));
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

    /// Runs one step; returns the server's reply (or `None` when the step was skipped).
    fn step(&mut self, step: u64, argv: Vec<Vec<u8>>, proto: Protocol) -> Option<Frame> {
        self.history
            .push_back(format!("[{proto:?}] {}", show(&argv)));
        if self.history.len() > 25 {
            self.history.pop_front();
        }
        if self.oracle.skip(&argv, &self.view) {
            return None;
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
        let theirs = self.oracle.call(proto, &argv);
        let name = upper(&argv[0]);
        let sub = match name.as_str() {
            "XGROUP" | "XINFO" => argv.get(1).map(|s| format!("{name} {}", upper(s))),
            _ => None,
        };
        for row in std::iter::once(name.clone()).chain(sub) {
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
            self.refresh();
            return Some(theirs);
        }
        let mut now = now_ms();
        if upper(&argv[0]) == "XADD" {
            if let Some(Ok(id)) = theirs.as_bytes().map(StreamId::parse_strict) {
                if !theirs.is_error() {
                    now = id.ms;
                }
            }
        }
        let pre = self.ks.clone();
        let args: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
        let reply = self.ks.execute(&args, now);
        let ours = self.oracle.normalize(&argv, &pre, to_frame(&reply, proto));
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
        self.refresh();
        let full = step % 25 == 0;
        for (i, key) in ALL_KEYS.iter().enumerate() {
            let info: Vec<Vec<u8>> = ["XINFO", "STREAM", key]
                .iter()
                .map(|a| a.as_bytes().to_vec())
                .collect();
            self.compare_info(step, &info, None);
            if full {
                let theirs = self.full[i].clone();
                self.compare_info(step, &full_argv(key), Some(theirs));
            }
            let Some(stream) = self.view.stream(key.as_bytes()) else {
                continue;
            };
            let groups: Vec<Vec<u8>> = stream.groups.iter().map(|g| g.name.clone()).collect();
            let groups_argv = vec![
                b"XINFO".to_vec(),
                b"GROUPS".to_vec(),
                key.as_bytes().to_vec(),
            ];
            self.compare_info(step, &groups_argv, None);
            for g in groups {
                let argv = vec![
                    b"XINFO".to_vec(),
                    b"CONSUMERS".to_vec(),
                    key.as_bytes().to_vec(),
                    g,
                ];
                self.compare_info(step, &argv, None);
            }
        }
        Some(theirs)
    }
}

fn run(kind: ServerKind, default_steps: u64) {
    let Some(mut oracle) = Oracle::start(kind) else {
        return;
    };
    let seed = Rng::seed_from_env("BROOK_DIFF_SEED");
    let mut gen = Gen::new(seed, oracle.dialect());
    oracle.call(Protocol::Resp2, &[b"FLUSHALL".to_vec()]);
    let server_only = std::env::var("BROOK_DIFF_SERVER_ONLY").is_ok_and(|v| v != "0");
    let mut run = Run {
        oracle,
        ks: Keyspace::new(),
        seed,
        history: VecDeque::new(),
        counts: BTreeMap::new(),
        view: View::default(),
        full: Vec::new(),
        server_only,
    };
    run.refresh();
    let n = steps(default_steps);
    for step in 1..=n {
        let argv = gen.next(&run.view);
        let proto = if gen.rng.pct(20) {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
        if let Some(reply) = run.step(step, argv.clone(), proto) {
            gen.observe(&argv, &reply);
        }
    }
    // Straight to the stderr handle so the summary shows in CI logs (the harness
    // captures `eprintln!` of passing tests).
    let mut summary = format!(
        "differential vs {} {}{}: {n} steps, seed {seed}\n  {:<22} {:>7} {:>7}\n",
        run.oracle.kind,
        run.oracle.version,
        if server_only { " (server only)" } else { "" },
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
    for cmd in [
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
    ] {
        let ok = run.counts.get(cmd).map_or(0, |c| c.ok);
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
