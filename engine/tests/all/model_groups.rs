//! Consumer groups: the group model (`brook_test_support::group_model`) validated against a
//! live Redis 8.6.3 and Valkey 9.1, then used to judge brook-engine.
//!
//! Random command sequences come from one generator ([`gen_step`]) that reads its choices
//! from a *tape* of numbers: proptest supplies (and shrinks) the tape for the engine
//! properties, a seeded RNG fills it for the server runs. Choices are resolved against the
//! model's current state (IDs of entries, pending IDs, last-delivered IDs …).
//!
//! * **`groups_model_matches_valkey`** — random group sequences through the model and a
//!   private Valkey 9.1 (everything Valkey has: XGROUP, XREADGROUP `>`/history/COUNT/NOACK/
//!   several keys, XACK, XPENDING, XCLAIM with all options, XAUTOCLAIM, XINFO, XADD/XDEL/
//!   XTRIM/XSETID/DEL). Each step goes to the RESP2 or the RESP3 connection; the reply must
//!   equal the model's and after every step `XINFO STREAM … FULL COUNT 0` of every stream
//!   must equal the model's (groups, PELs, consumers, entries-read, lag). The model's `now`
//!   is the server's `TIME` just before the step; time-dependent values (idle, seen/active
//!   /delivery times) may differ by [`ORACLE_TOLERANCE_MS`] plus the widest TIME bracket
//!   around a step so far and the one around the check (seconds when a loaded machine
//!   stalls the test or the server mid-step), and time-dependent *decisions*
//!   are kept far from their thresholds (idle times are pinned with XCLAIM IDLE/TIME to
//!   tens of seconds, min-idle thresholds are 0 or ≥ 60 s). `radix-tree-*` and the IDMP
//!   fields (absent in Valkey) are not compared. Steps: `BROOK_GROUP_ORACLE_STEPS`
//!   (default 1500), seed: `BROOK_GROUP_ORACLE_SEED`.
//!   Valkey 9.1 computes entries-read and lag with Redis 7's algorithm (reference §22
//!   #14–#17; seen live: `XGROUP CREATE … ENTRIESREAD 57` with 21 entries added shows 57,
//!   and a group behind the first entry shows `added − entries-read` instead of the
//!   length), so those two fields are not compared against it (`GroupModel::lag_unknown`).
//! * **`groups_model_matches_redis8`**, **`lag_workload_matches_redis8`** — the same
//!   runs against Redis 8.6.3 with the Redis 8 workload below (minus BLOCK, which would
//!   really block) and nothing configured away: IDMP fields, entries-read and lag are
//!   compared exactly; server and model keep one node per stream.
//! * **`lag_workload_matches_valkey`** — the §19 workload (XADD, XDEL incl. missing IDs,
//!   exact XTRIM, XREADGROUP `>` COUNT k, XGROUP CREATE/SETID with and without ENTRIESREAD
//!   incl. out-of-range values) against Valkey: replies and XINFO GROUPS after every step,
//!   entries-read/lag excepted as above. Steps: `BROOK_LAG_ORACLE_STEPS` (default 1000).
//! * **`engine_groups_match_model`** (proptest) — the same generator plus the Redis 8.2+
//!   features Valkey lacks (XREADGROUP CLAIM, XACKDEL, XDELEX, KEEPREF/DELREF/ACKED on XADD
//!   and XTRIM, BLOCK answered as nil), through `Keyspace::execute` with a manual clock
//!   advanced by random amounts. After every step: RESP2 and RESP3 reply bytes equal the
//!   model's; the model's invariants hold (group PEL = disjoint union of consumer PELs,
//!   owners exist, delivery counts ≥ 1, `>` never re-delivers at or below
//!   last-delivered-id); XINFO GROUPS, XINFO CONSUMERS and XINFO STREAM FULL COUNT 0 of the
//!   engine equal the model's (all but `radix-tree-*`). The engine runs with one node per
//!   stream (`stream-node-max-entries 0`), where the model's entry-level trimming is exact
//!   also for ACKED MAXLEN and `~` DELREF/ACKED.
//! * **`engine_lag_matches_model`** (proptest) — the §19 generator against the engine.
//!
//! Cases: 48 (up to 120 steps) and 64 (up to 80 steps) by default; `PROPTEST_CASES`
//! overrides. No regression files.

use std::collections::BTreeMap;

use brook_engine::{NodeLimits, Reply};

use brook_engine::frontend::{Keyspace, Protocol};
use brook_test_support::group_model::{GroupModel, R};
use brook_test_support::model::{format_id, Id, ModelValue, StreamModel};
use brook_test_support::{encode_frame, parse_frame, Frame, RespConn, ServerGuard, ServerKind};
use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::rng::Rng;

const STREAM_KEYS: [&str; 2] = ["s1", "s2"];
const GROUPS: [&str; 3] = ["g1", "g2", "G"];
const CONSUMERS: [&str; 3] = ["alice", "bob", "carol"];
/// Pinned idle times (XCLAIM IDLE / TIME): far from every threshold below.
const IDLES: [u64; 3] = [30_000, 90_000, 300_000];
/// min-idle thresholds (XCLAIM, XAUTOCLAIM, XPENDING IDLE, CLAIM).
const THRESHOLDS: [u64; 5] = [0, 0, 60_000, 200_000, 1_000_000_000];
/// Clock advances between engine steps.
const TICKS: [u64; 8] = [0, 0, 1, 3, 1_000, 30_000, 70_000, 250_000];
/// Allowed difference of time values between the model and a live server, on top of the
/// measured TIME brackets (see `oracle_run`).
const ORACLE_TOLERANCE_MS: i64 = 2_000;
const ENGINE_START_MS: u64 = 1_700_000_000_000;

// ---------------------------------------------------------------------------------
// The choice tape and the generator
// ---------------------------------------------------------------------------------

/// Choices for one step; read cyclically (an empty tape reads zeros).
struct Tape<'a> {
    v: &'a [u32],
    i: usize,
}

impl Tape<'_> {
    fn n(&mut self, k: usize) -> usize {
        let x = if self.v.is_empty() {
            0
        } else {
            self.v[self.i % self.v.len()]
        };
        self.i += 1;
        x as usize % k.max(1)
    }

    fn pct(&mut self, p: usize) -> bool {
        self.n(100) < p
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.n(xs.len())]
    }
}

/// What the generator may produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Everything Valkey 9.1 has.
    Valkey,
    /// Plus CLAIM, XACKDEL, XDELEX, reference policies, BLOCK.
    Redis8,
    /// Only the §19 lag workload.
    Lag,
}

fn a(s: impl AsRef<[u8]>) -> Vec<u8> {
    s.as_ref().to_vec()
}

fn id_arg(id: Id) -> Vec<u8> {
    a(format_id(id))
}

fn stream_of<'a>(m: &'a GroupModel, key: &str) -> Option<&'a StreamModel> {
    match m.ks.keys.get(key.as_bytes()) {
        Some(ModelValue::Stream(s)) => Some(s),
        _ => None,
    }
}

/// IDs worth naming for `key`: entries, pending IDs, last-delivered IDs, counters and
/// their neighbours.
fn candidate_ids(m: &GroupModel, key: &str) -> Vec<Id> {
    let mut ids = vec![(0, 0), (1, 0)];
    if let Some(s) = stream_of(m, key) {
        ids.extend(s.entries.keys().copied());
        ids.push(s.last_id);
        ids.push((s.last_id.0, s.last_id.1 + 1));
        ids.push((s.last_id.0 + 1, 0));
        ids.push(s.max_deleted_entry_id);
        ids.push(s.first_id);
    }
    if let Some(gs) = m.groups.get(key.as_bytes()) {
        for g in gs.values() {
            ids.push(g.last_id);
            ids.extend(g.pel.keys().copied());
        }
    }
    ids
}

/// Pending IDs (of any group) on `key`, else any candidate.
fn pending_ids(m: &GroupModel, key: &str) -> Vec<Id> {
    let mut ids: Vec<Id> = m
        .groups
        .get(key.as_bytes())
        .map(|gs| gs.values().flat_map(|g| g.pel.keys().copied()).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        ids = candidate_ids(m, key);
    }
    ids
}

fn pick_id(t: &mut Tape, m: &GroupModel, key: &str) -> Id {
    let ids = if t.pct(50) {
        pending_ids(m, key)
    } else {
        candidate_ids(m, key)
    };
    t.pick(&ids)
}

fn pick_key(t: &mut Tape) -> &'static str {
    match t.n(20) {
        0 => "nokey",
        1 => "str",
        k => STREAM_KEYS[k % 2],
    }
}

fn entries_read_value(t: &mut Tape, m: &GroupModel, key: &str) -> i64 {
    let added = stream_of(m, key).map_or(0, |s| s.entries_added) as i64;
    match t.n(6) {
        0 => -1,
        1 => 0,
        2 => added,
        3 => added + 1 + t.n(50) as i64,
        4 => (added - 1 - t.n(3) as i64).max(0),
        _ => t.n(4) as i64,
    }
}

/// The next XADD ID: above last-generated-id (mostly), sometimes equal (an error).
fn next_add_id(t: &mut Tape, m: &GroupModel, key: &str) -> Vec<u8> {
    let last = stream_of(m, key).map_or((0, 0), |s| s.last_id);
    match t.n(10) {
        0 => id_arg(last),
        1 | 2 => id_arg((last.0, last.1 + 1)),
        _ => id_arg((last.0 + 1 + t.n(2) as u64, t.n(2) as u64)),
    }
}

fn trim_clause(t: &mut Tape, m: &GroupModel, key: &str, mode: Mode) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let policy = if mode == Mode::Redis8 && t.pct(60) {
        Some(t.pick(&["KEEPREF", "DELREF", "ACKED"]))
    } else {
        None
    };
    if let Some(p) = policy {
        if t.pct(50) {
            out.push(a(p));
        }
    }
    let approx = matches!(policy, Some("DELREF" | "ACKED")) && t.pct(30);
    if t.pct(55) {
        out.push(a("MAXLEN"));
        if approx {
            out.push(a("~"));
        } else if t.pct(20) {
            out.push(a("="));
        }
        let len = stream_of(m, key).map_or(0, StreamModel::len);
        out.push(a((len.saturating_sub(t.n(4) as u64)).to_string()));
    } else {
        out.push(a("MINID"));
        if approx {
            out.push(a("~"));
        }
        out.push(id_arg(pick_id(t, m, key)));
    }
    if approx && t.pct(30) {
        out.push(a("LIMIT"));
        out.push(a(t.pick(&["0", "2", "100"])));
    }
    if let Some(p) = policy {
        if !out.iter().any(|x| x == p.as_bytes()) {
            out.push(a(p));
        }
    }
    out
}

fn range_bound(t: &mut Tape, m: &GroupModel, key: &str, start: bool) -> Vec<u8> {
    match t.n(5) {
        0 => a(if start { "-" } else { "+" }),
        1 => {
            let mut v = a("(");
            v.extend(id_arg(pick_id(t, m, key)));
            v
        }
        _ => id_arg(pick_id(t, m, key)),
    }
}

/// A group name: mostly one that exists on `key`.
fn pick_group(t: &mut Tape, m: &GroupModel, key: &str) -> &'static str {
    let existing: Vec<&'static str> = GROUPS
        .iter()
        .copied()
        .filter(|g| m.group(key.as_bytes(), g.as_bytes()).is_some())
        .collect();
    if !existing.is_empty() && t.pct(85) {
        t.pick(&existing)
    } else {
        t.pick(&GROUPS)
    }
}

/// One command, chosen from `tape` and resolved against the model.
fn gen_step(m: &GroupModel, tape: &[u32], mode: Mode, now: u64) -> Vec<Vec<u8>> {
    let t = &mut Tape { v: tape, i: 0 };
    if mode == Mode::Lag {
        return gen_lag_step(t, m);
    }
    let key = if t.pct(90) {
        t.pick(&STREAM_KEYS)
    } else {
        pick_key(t)
    };
    let group = pick_group(t, m, key);
    let consumer = t.pick(&CONSUMERS);
    let redis8 = mode == Mode::Redis8;
    let mut v: Vec<Vec<u8>> = Vec::new();
    match t.n(100) {
        0..=13 => {
            v.extend([a("XADD"), a(key)]);
            if t.pct(5) {
                v.push(a("NOMKSTREAM"));
            }
            if t.pct(20) {
                v.extend(trim_clause(t, m, key, mode));
            }
            v.push(next_add_id(t, m, key));
            v.extend([a("f"), a(format!("v{}", t.n(100)))]);
        }
        14..=17 => {
            v.extend([a("XDEL"), a(key)]);
            for _ in 0..=t.n(2) {
                v.push(id_arg(pick_id(t, m, key)));
            }
        }
        18..=20 => {
            v.extend([a("XTRIM"), a(key)]);
            v.extend(trim_clause(t, m, key, mode));
        }
        21..=27 => {
            v.extend([a("XGROUP"), a("CREATE"), a(key), a(group)]);
            v.push(match t.n(5) {
                0 => a("$"),
                1 => a("0"),
                2 if t.pct(20) => a("-"),
                _ => id_arg(pick_id(t, m, key)),
            });
            if t.pct(30) {
                v.push(a("MKSTREAM"));
            }
            if t.pct(35) {
                v.extend([
                    a("ENTRIESREAD"),
                    a(entries_read_value(t, m, key).to_string()),
                ]);
            }
        }
        28..=31 => {
            v.extend([a("XGROUP"), a("SETID"), a(key), a(group)]);
            v.push(match t.n(6) {
                0 => a("$"),
                1 => a("0"),
                2 => a(t.pick(&["-", "+"])),
                _ => id_arg(pick_id(t, m, key)),
            });
            if t.pct(40) {
                v.extend([
                    a("ENTRIESREAD"),
                    a(entries_read_value(t, m, key).to_string()),
                ]);
            }
        }
        32..=33 => v.extend([a("XGROUP"), a("DESTROY"), a(key), a(group)]),
        34..=35 => v.extend([
            a("XGROUP"),
            a("CREATECONSUMER"),
            a(key),
            a(group),
            a(consumer),
        ]),
        36..=37 => v.extend([a("XGROUP"), a("DELCONSUMER"), a(key), a(group), a(consumer)]),
        38..=57 => {
            v.extend([a("XREADGROUP"), a("GROUP"), a(group), a(consumer)]);
            if t.pct(50) {
                v.extend([a("COUNT"), a(t.n(4).to_string())]);
            }
            if t.pct(15) {
                v.push(a("NOACK"));
            }
            if redis8 && t.pct(35) {
                v.extend([a("CLAIM"), a(t.pick(&THRESHOLDS).to_string())]);
            }
            if redis8 && t.pct(10) {
                v.extend([a("BLOCK"), a(t.pick(&["0", "100"]))]);
            }
            let keys: Vec<&str> = if t.pct(20) {
                vec![key, t.pick(&STREAM_KEYS)]
            } else {
                vec![key]
            };
            let mut ids = Vec::new();
            for k in &keys {
                ids.push(if t.pct(70) {
                    a(">")
                } else if t.pct(50) {
                    a("0")
                } else {
                    id_arg(pick_id(t, m, k))
                });
            }
            // A read that would block can only be sent to a live server when it cannot
            // block: keep BLOCK out of the Valkey runs (see above) — nothing to do here.
            v.push(a("STREAMS"));
            v.extend(keys.iter().map(a));
            v.extend(ids);
        }
        58..=64 => {
            v.extend([a("XACK"), a(key), a(group)]);
            for _ in 0..=t.n(3) {
                v.push(id_arg(pick_id(t, m, key)));
            }
        }
        65..=71 => {
            v.extend([a("XPENDING"), a(key), a(group)]);
            if t.pct(65) {
                if t.pct(30) {
                    v.extend([a("IDLE"), a(t.pick(&THRESHOLDS).to_string())]);
                }
                v.push(range_bound(t, m, key, true));
                v.push(range_bound(t, m, key, false));
                v.push(a(t.pick(&[0i64, 1, 2, 10, -1]).to_string()));
                if t.pct(40) {
                    v.push(a(t.pick(&CONSUMERS)));
                }
            }
        }
        72..=79 => {
            v.extend([a("XCLAIM"), a(key), a(group), a(consumer)]);
            v.push(a(t.pick(&THRESHOLDS).to_string()));
            for _ in 0..=t.n(3) {
                v.push(id_arg(pick_id(t, m, key)));
            }
            for _ in 0..t.n(3) {
                match t.n(7) {
                    0 => v.extend([a("IDLE"), a(t.pick(&IDLES).to_string())]),
                    1 => {
                        let tm = match t.n(3) {
                            0 => now + 10_000_000,
                            _ => now.saturating_sub(t.pick(&IDLES)),
                        };
                        v.extend([a("TIME"), a(tm.to_string())]);
                    }
                    2 => v.extend([a("RETRYCOUNT"), a(t.pick(&[-1i64, 1, 2, 5]).to_string())]),
                    3 => v.push(a("FORCE")),
                    4 => v.push(a("JUSTID")),
                    5 => v.extend([a("LASTID"), id_arg(pick_id(t, m, key))]),
                    _ => v.push(a(t.pick(&["FORCE", "JUSTID"]))),
                }
            }
        }
        80..=85 => {
            v.extend([a("XAUTOCLAIM"), a(key), a(group), a(consumer)]);
            v.push(a(t.pick(&THRESHOLDS).to_string()));
            v.push(match t.n(4) {
                0 => a("0"),
                1 => a("-"),
                _ => range_bound(t, m, key, true),
            });
            if t.pct(50) {
                v.extend([a("COUNT"), a((1 + t.n(4)).to_string())]);
            }
            if t.pct(30) {
                v.push(a("JUSTID"));
            }
        }
        86..=90 => match t.n(3) {
            0 => v.extend([a("XINFO"), a("GROUPS"), a(key)]),
            1 => v.extend([a("XINFO"), a("CONSUMERS"), a(key), a(group)]),
            _ => {
                v.extend([a("XINFO"), a("STREAM"), a(key)]);
                if t.pct(70) {
                    v.push(a("FULL"));
                    if t.pct(50) {
                        v.extend([a("COUNT"), a(t.n(3).to_string())]);
                    }
                }
            }
        },
        91..=94 if redis8 => {
            if t.pct(50) {
                v.extend([a("XACKDEL"), a(key), a(group)]);
            } else {
                v.extend([a("XDELEX"), a(key)]);
            }
            if t.pct(60) {
                v.push(a(t.pick(&["KEEPREF", "DELREF", "ACKED"])));
            }
            let n = 1 + t.n(3);
            v.extend([a("IDS"), a(n.to_string())]);
            for _ in 0..n {
                v.push(id_arg(pick_id(t, m, key)));
            }
        }
        95 => v.extend([a("DEL"), a(key)]),
        96 => {
            let s = stream_of(m, key);
            let last = s.map_or((0, 0), |s| s.last_id);
            let added = s.map_or(0, |s| s.entries_added);
            v.extend([a("XSETID"), a(key), id_arg((last.0 + 1 + t.n(3) as u64, 0))]);
            if t.pct(50) {
                v.extend([a("ENTRIESADDED"), a((added + t.n(3) as u64).to_string())]);
            }
        }
        _ => v = error_step(t, key, group, consumer, redis8),
    }
    v
}

/// Commands that fail (or nearly fail) in interesting places.
fn error_step(t: &mut Tape, key: &str, group: &str, consumer: &str, redis8: bool) -> Vec<Vec<u8>> {
    let cases: &[&[&str]] = &[
        &["XGROUP", "CREATE", key, group, "bad"],
        &["XGROUP", "CREATE", key, group, "+"],
        &["XGROUP", "CREATE", key, group, "0", "ENTRIESREAD", "-2"],
        &["XGROUP", "CREATE", key, group, "0", "ENTRIESREAD", "x"],
        &["XGROUP", "CREATE", key, group, "0", "FOO"],
        &["XGROUP", "create", key, group, "0", "ENTRIESREAD"],
        &[
            "XGROUP",
            "CREATE",
            key,
            group,
            "0",
            "ENTRIESREAD",
            "1",
            "ENTRIESREAD",
            "2",
        ],
        &["XGROUP", "SETID", key, group, "0", "MKSTREAM"],
        &[
            "XGROUP",
            "SETID",
            key,
            group,
            "0",
            "ENTRIESREAD",
            "1",
            "ENTRIESREAD",
            "2",
        ],
        &["XGROUP", "SETID", key, "nogroup", "0"],
        &["XGROUP", "CREATECONSUMER", key, "nogroup", consumer],
        &["XGROUP", "FOO", key],
        &["XGROUP", "DESTROY", key],
        &["XGROUP", "HELP"],
        &["XREADGROUP", "GROUP", group, consumer, "STREAMS", key, "$"],
        &["XREADGROUP", "GROUP", group, consumer, "STREAMS", key, "+"],
        &["XREADGROUP", "GROUP", group, consumer, "STREAMS", key, "(1"],
        &[
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "STREAMS",
            "nokey",
            key,
            ">",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "STREAMS",
            key,
            "nokey",
            "bad",
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "STREAMS",
            key,
            key,
            ">",
        ],
        &["XREADGROUP", "COUNT", "1", "STREAMS", key, ">"],
        &[
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "COUNT",
            "x",
            "STREAMS",
            key,
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "BLOCK",
            "-1",
            "STREAMS",
            key,
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "FOO",
            "STREAMS",
            key,
            ">",
        ],
        &["XACK", key, group, "bad"],
        &["XACK", key, group, "-"],
        &["XACK", "nokey", group, "bad"],
        &["XPENDING", key, group, "-"],
        &["XPENDING", key, group, "-", "+"],
        &["XPENDING", key, group, "-", "+", "x"],
        &["XPENDING", key, group, "bad", "+", "10"],
        &["XPENDING", key, group, "IDLE", "x", "-", "+", "10"],
        &["XPENDING", key, group, "IDLE", "10", "-", "+"],
        &["XPENDING", key, group, "(0-0", "(0-0", "10"],
        &["XPENDING", key, group, "-", "+", "10", consumer, "extra"],
        &["XPENDING", key, "nogroup"],
        &["XCLAIM", key, group, consumer, "x", "1-1"],
        &["XCLAIM", key, group, consumer, "0", "bad"],
        &["XCLAIM", key, group, consumer, "0", "1-1", "IDLE"],
        &["XCLAIM", key, group, consumer, "0", "1-1", "IDLE", "x"],
        &["XCLAIM", key, group, consumer, "0", "1-1", "TIME", "x"],
        &[
            "XCLAIM",
            key,
            group,
            consumer,
            "0",
            "1-1",
            "RETRYCOUNT",
            "x",
        ],
        &["XCLAIM", key, group, consumer, "0", "1-1", "LASTID", "+"],
        &["XCLAIM", key, "nogroup", consumer, "x", "1-1"],
        &["XAUTOCLAIM", key, group, consumer, "x", "0"],
        &["XAUTOCLAIM", key, group, consumer, "0", "(+"],
        &["XAUTOCLAIM", key, group, consumer, "0", "0", "COUNT", "0"],
        &["XAUTOCLAIM", key, group, consumer, "0", "0", "COUNT"],
        &["XAUTOCLAIM", key, group, consumer, "0", "0", "FOO"],
        &[
            "XAUTOCLAIM",
            "nokey",
            group,
            consumer,
            "0",
            "0",
            "COUNT",
            "0",
        ],
        &["XINFO", "CONSUMERS", key, "nogroup"],
        &["XINFO", "STREAM", key, "FULL", "COUNT", "x"],
        &["XINFO", "STREAM", key, "FOO"],
        &["XINFO", "GROUPS", "nokey"],
        &["XINFO", "HELP"],
        &["XINFO", "FOO"],
    ];
    let redis8_cases: &[&[&str]] = &[
        &[
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "CLAIM",
            "-1",
            "STREAMS",
            key,
            ">",
        ],
        &[
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "CLAIM",
            "STREAMS",
            key,
            ">",
        ],
        &["XACKDEL", key, group, "IDS", "0", "1-1"],
        &["XACKDEL", key, group, "IDS", "2", "1-1"],
        &["XACKDEL", key, group, "ACKED", "DELREF", "IDS", "1", "1-1"],
        &["XACKDEL", key, group, "IDS", "1", "bad"],
        &["XDELEX", key, "IDS", "1", "1-1", "2-1"],
        &["XDELEX", key, "IDS", "x", "1-1"],
        &["XADD", key, "KEEPREF", "DELREF", "99-1", "f", "v"],
        &["XTRIM", key, "MAXLEN", "0", "ACKED", "KEEPREF"],
    ];
    let c = if redis8 && t.pct(25) {
        t.pick(redis8_cases)
    } else {
        t.pick(cases)
    };
    c.iter().map(a).collect()
}

/// The §19 workload (one stream `s1`, groups g1, g2, G).
fn gen_lag_step(t: &mut Tape, m: &GroupModel) -> Vec<Vec<u8>> {
    let key = "s1";
    let group = pick_group(t, m, key);
    let mut v: Vec<Vec<u8>> = Vec::new();
    match t.n(20) {
        0..=5 => {
            v.extend([a("XADD"), a(key), next_add_id(t, m, key), a("f"), a("v")]);
        }
        6..=8 => {
            v.extend([a("XDEL"), a(key)]);
            for _ in 0..=t.n(2) {
                v.push(id_arg(pick_id(t, m, key)));
            }
        }
        9 | 10 => {
            v.extend([a("XTRIM"), a(key)]);
            if t.pct(50) {
                let len = stream_of(m, key).map_or(0, StreamModel::len);
                v.extend([
                    a("MAXLEN"),
                    a(len.saturating_sub(t.n(3) as u64).to_string()),
                ]);
            } else {
                v.extend([a("MINID"), id_arg(pick_id(t, m, key))]);
            }
        }
        11..=14 => {
            v.extend([a("XREADGROUP"), a("GROUP"), a(group), a("c")]);
            v.extend([a("COUNT"), a((1 + t.n(3)).to_string())]);
            v.extend([a("STREAMS"), a(key), a(">")]);
        }
        15..=17 => {
            let create = t.pct(50);
            v.extend([
                a("XGROUP"),
                a(if create { "CREATE" } else { "SETID" }),
                a(key),
                a(group),
            ]);
            v.push(match t.n(4) {
                0 => a("$"),
                1 => a("0"),
                _ => id_arg(pick_id(t, m, key)),
            });
            if create && stream_of(m, key).is_none() {
                v.push(a("MKSTREAM"));
            }
            if t.pct(50) {
                v.extend([
                    a("ENTRIESREAD"),
                    a(entries_read_value(t, m, key).to_string()),
                ]);
            }
        }
        18 => v.extend([a("XGROUP"), a("DESTROY"), a(key), a(group)]),
        _ => v.extend([a("XINFO"), a("GROUPS"), a(key)]),
    }
    v
}

// ---------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------

fn show(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|x| String::from_utf8_lossy(x).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn argv_of(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(a).collect()
}

/// Read-only commands that expose every group of every stream.
fn state_queries(m: &GroupModel, mode: Mode) -> Vec<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let keys: &[&str] = if mode == Mode::Lag {
        &["s1"]
    } else {
        &STREAM_KEYS
    };
    for key in keys {
        if stream_of(m, key).is_none() {
            continue;
        }
        out.push(argv_of(&["XINFO", "GROUPS", key]));
        if mode == Mode::Lag {
            continue;
        }
        out.push(argv_of(&["XINFO", "STREAM", key, "FULL", "COUNT", "0"]));
        if let Some(gs) = m.groups.get(key.as_bytes()) {
            for g in gs.keys() {
                let mut q = argv_of(&["XINFO", "CONSUMERS", key]);
                q.push(g.clone());
                out.push(q);
            }
        }
    }
    out
}

/// For an XREADGROUP, the IDs delivered as *new* entries per `>` stream (or the maximum
/// ID, which means `>`) must be above the group's last-delivered-id before the command,
/// ascending (checked on the reply).
fn check_no_redelivery(argv: &[Vec<u8>], pre: &GroupModel, reply: &Frame) -> Result<(), String> {
    if !argv[0].eq_ignore_ascii_case(b"XREADGROUP") {
        return Ok(());
    }
    let Some(gi) = argv.iter().position(|x| x.eq_ignore_ascii_case(b"GROUP")) else {
        return Ok(());
    };
    let group = &argv[gi + 1];
    let Some(si) = argv
        .iter()
        .rposition(|x| x.eq_ignore_ascii_case(b"STREAMS"))
    else {
        return Ok(());
    };
    let rest = &argv[si + 1..];
    let n = rest.len() / 2;
    let served: Vec<(Vec<u8>, Vec<Frame>)> = match reply {
        Frame::Array(pairs) => pairs
            .iter()
            .filter_map(|p| match p {
                Frame::Array(kv) if kv.len() == 2 => match (&kv[0], &kv[1]) {
                    (Frame::Bulk(k), Frame::Array(es)) => Some((k.clone(), es.clone())),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        Frame::Map(kv) => kv
            .iter()
            .filter_map(|(k, v)| match (k, v) {
                (Frame::Bulk(k), Frame::Array(es)) => Some((k.clone(), es.clone())),
                _ => None,
            })
            .collect(),
        _ => return Ok(()),
    };
    // Served streams appear in argument order; unserved `>` streams are omitted (a
    // history read is always served). With a key named twice the reply cannot be matched
    // to the arguments unambiguously: no check then.
    let mut keys: Vec<&Vec<u8>> = rest[..n].iter().collect();
    keys.sort();
    keys.dedup();
    if keys.len() != n {
        return Ok(());
    }
    let mut floors: BTreeMap<Vec<u8>, Id> = BTreeMap::new();
    let mut served = served.into_iter().peekable();
    for k in 0..n {
        let (key, id) = (&rest[k], &rest[n + k]);
        let Some(g) = pre.group(key, group) else {
            return Ok(());
        };
        let floor = floors.entry(key.clone()).or_insert(g.last_id);
        // Redis stores `>` as the maximum ID, so spelling that ID out reads new entries
        // too (and leaves the stream out when there are none) — seen live on Valkey 9.1.
        let is_new_read = id.as_slice() == b">" || *id == id_arg((u64::MAX, u64::MAX));
        match served.peek() {
            Some((skey, _)) if skey == key => {}
            _ if is_new_read => continue,
            _ => {
                return Err(format!(
                    "history read of {} not served",
                    show(std::slice::from_ref(key))
                ))
            }
        }
        let (_, entries) = served.next().expect("peeked");
        if !is_new_read {
            continue;
        }
        for e in entries {
            let Frame::Array(parts) = e else { continue };
            let is_new = parts.len() == 2
                || (parts.len() == 4
                    && parts[2] == Frame::Integer(0)
                    && parts[3] == Frame::Integer(0));
            let Some(Frame::Bulk(idb)) = parts.first() else {
                continue;
            };
            if !is_new {
                continue;
            }
            let s = String::from_utf8_lossy(idb).into_owned();
            let parsed = s
                .split_once('-')
                .and_then(|(ms, seq)| Some((ms.parse().ok()?, seq.parse().ok()?)));
            let Some(id) = parsed else {
                return Err(format!("unparsable delivered ID {s:?}"));
            };
            if id <= *floor {
                return Err(format!(
                    "`>` delivered {s} at or below last-delivered-id {}",
                    format_id(*floor)
                ));
            }
            *floor = id;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Against Valkey
// ---------------------------------------------------------------------------------

fn env_u64(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn server_now(conn: &mut RespConn) -> u64 {
    match conn.call(&[b"TIME"]) {
        Frame::Array(v) if v.len() == 2 => {
            let num = |f: &Frame| -> u64 {
                f.as_bytes()
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .and_then(|s| s.parse().ok())
                    .expect("TIME field")
            };
            num(&v[0]) * 1000 + num(&v[1]) / 1000
        }
        other => panic!("TIME replied {other}"),
    }
}

/// XREADGROUP without its `BLOCK n` (a live server would really block): what the Redis 8
/// generator's reads become for a server.
fn without_block(mut argv: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    if argv[0].eq_ignore_ascii_case(b"XREADGROUP") {
        let streams = argv
            .iter()
            .position(|x| x.eq_ignore_ascii_case(b"STREAMS"))
            .unwrap_or(argv.len());
        if let Some(at) = argv[..streams]
            .iter()
            .position(|x| x.eq_ignore_ascii_case(b"BLOCK"))
        {
            argv.drain(at..(at + 2).min(streams));
        }
    }
    argv
}

/// Random sequences of `mode` through the model and a private server of `kind`.
///
/// Valkey 9.1 runs the Valkey workload with its differences configured in the model (no
/// IDMP fields, Redis 7's entries-read/lag). Redis 8.6.3 runs the Redis 8 workload
/// (CLAIM, XACKDEL, XDELEX, KEEPREF/DELREF/ACKED; reads without BLOCK) with nothing
/// configured away: it must answer exactly as the model predicts, entries-read and lag
/// included. Both the server and the model then keep one node per stream
/// (`stream-node-max-entries 0`, `stream-node-max-bytes 0`), where the model's
/// entry-level trimming is exact for every policy.
fn oracle_run(kind: ServerKind, mode: Mode, steps_var: &str, seed_var: &str, default_steps: u64) {
    let Some(guard) = ServerGuard::start(kind) else {
        return;
    };
    let version = format!("{kind} {}", guard.version());
    let mut c2 = guard.connect();
    let mut c3 = guard.connect();
    c3.hello(3);
    let steps = env_u64(steps_var, default_steps);
    let seed = Rng::seed_from_env(seed_var);
    let mut rng = Rng::new(seed);
    let mut m = GroupModel::new();
    let redis8 = kind == ServerKind::Redis8;
    m.idmp_fields = redis8;
    m.block_answers_nil = false;
    m.lag_unknown = !redis8;
    if redis8 {
        let set = [
            &b"CONFIG"[..],
            b"SET",
            b"stream-node-max-entries",
            b"0",
            b"stream-node-max-bytes",
            b"0",
        ];
        assert_eq!(c2.call(&set), Frame::Simple(b"OK".to_vec()), "{version}");
        m.node_max_entries = 0;
    }
    let mut tally: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    c2.call(&[b"SET", b"str", b"x"]);
    m.execute(&argv_of(&["SET", "str", "x"]), 0);
    let mut history: Vec<String> = Vec::new();
    let fail = |step: u64, argv: &[Vec<u8>], msg: String, history: &[String]| -> ! {
        let from = history.len().saturating_sub(60);
        panic!(
            "{version}, {seed_var}={seed}, step {step}: {}\n  {msg}\n  previous steps:\n    {}",
            show(argv),
            history[from..].join("\n    ")
        )
    };
    // The server records a time somewhere between the TIME taken before a step and the
    // one taken after it; the model records the earlier. So a time value (a recorded
    // time, or an idle time measured from one) may be off by the widest such bracket so
    // far plus the bracket of the command that reports it: milliseconds normally,
    // seconds when a loaded machine holds the test or the server back in between.
    let mut skew: u64 = 0;
    let mut widest_check: u64 = 0;
    for step in 0..steps {
        let tape: Vec<u32> = (0..24).map(|_| rng.next_u64() as u32).collect();
        let now = server_now(&mut c2);
        let argv = without_block(gen_step(&m, &tape, mode, now));
        let resp3 = rng.pct(30);
        let conn = if resp3 { &mut c3 } else { &mut c2 };
        let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let got = conn.call(&args);
        let after = server_now(&mut c2);
        skew = skew.max(after.saturating_sub(now));
        let tol = ORACLE_TOLERANCE_MS + skew as i64;
        let want = m.execute(&argv, now);
        let e = tally
            .entry(String::from_utf8_lossy(&argv[0]).to_ascii_uppercase())
            .or_default();
        e.0 += 1;
        if got.is_error() {
            e.1 += 1;
        }
        if let Err(msg) = want.check(&got, resp3, tol) {
            fail(
                step,
                &argv,
                format!("{msg} (time values ±{tol} ms)"),
                &history,
            );
        }
        if let Err(msg) = m.check_invariants(0) {
            fail(step, &argv, format!("model invariant: {msg}"), &history);
        }
        history.push(format!("{} -> {got}", show(&argv)));
        let queries = state_queries(&m, mode);
        let replies: Vec<Frame> = queries
            .iter()
            .map(|q| c3.call(&q.iter().map(Vec::as_slice).collect::<Vec<_>>()))
            .collect();
        let done = server_now(&mut c2);
        widest_check = widest_check.max(done.saturating_sub(after));
        let tol = tol + done.saturating_sub(after) as i64;
        for (q, got) in queries.iter().zip(&replies) {
            let want = m.execute(q, after);
            if let Err(msg) = want.check(got, true, tol) {
                fail(
                    step,
                    &argv,
                    format!("after it, {}: {msg} (time values ±{tol} ms)", show(q)),
                    &history,
                );
            }
        }
    }
    eprintln!(
        "{mode:?} vs {version}: {steps} steps, widest TIME bracket of a step {skew} ms, \
         of its checks {widest_check} ms, (commands, errors): {tally:?}"
    );
}

#[test]
fn groups_model_matches_valkey() {
    oracle_run(
        ServerKind::Valkey,
        Mode::Valkey,
        "BROOK_GROUP_ORACLE_STEPS",
        "BROOK_GROUP_ORACLE_SEED",
        1500,
    );
}

/// The §19 workload against Valkey. Valkey 9.1 keeps Redis 7's entries-read/lag
/// algorithm (reference §22 #14–#17: no ENTRIESREAD clamp, lag from entries-read before
/// the first entry), so only the rest of XINFO GROUPS (last-delivered-id, pending,
/// consumers) and every reply are compared here; §19 itself is checked by the model's
/// unit tests (the reference's table) and by `engine_lag_matches_model`.
#[test]
fn lag_workload_matches_valkey() {
    oracle_run(
        ServerKind::Valkey,
        Mode::Lag,
        "BROOK_LAG_ORACLE_STEPS",
        "BROOK_LAG_ORACLE_SEED",
        1000,
    );
}

/// The Redis 8 workload (the engine's, minus BLOCK) against Redis 8.6.3: every reply and,
/// after every step, every stream's groups, PELs, consumers, entries-read and lag.
#[test]
fn groups_model_matches_redis8() {
    oracle_run(
        ServerKind::Redis8,
        Mode::Redis8,
        "BROOK_GROUP_ORACLE_STEPS",
        "BROOK_GROUP_ORACLE_SEED",
        1500,
    );
}

/// The §19 workload against Redis 8.6.3, entries-read and lag compared exactly.
#[test]
fn lag_workload_matches_redis8() {
    oracle_run(
        ServerKind::Redis8,
        Mode::Lag,
        "BROOK_LAG_ORACLE_STEPS",
        "BROOK_LAG_ORACLE_SEED",
        1000,
    );
}

// ---------------------------------------------------------------------------------
// Against the engine
// ---------------------------------------------------------------------------------

fn config(default_cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = default_cases;
    }
    if std::env::var_os("PROPTEST_MAX_SHRINK_ITERS").is_none() {
        c.max_shrink_iters = 2000;
    }
    c.failure_persistence = None;
    c
}

fn execute(ks: &mut Keyspace, argv: &[Vec<u8>], now: u64) -> Reply {
    let argv: Vec<Bytes> = argv.iter().map(|x| Bytes::copy_from_slice(x)).collect();
    ks.execute(&argv, now)
}

/// The engine's reply in both protocols against the model's prediction: byte-identical
/// when the prediction is exact, else structurally equal (only `radix-tree-*` free).
fn compare(argv: &[Vec<u8>], got: &Reply, want: &R) -> Result<Frame, String> {
    let mut resp2 = None;
    for (proto, resp3) in [(Protocol::Resp2, false), (Protocol::Resp3, true)] {
        let bytes = got.to_resp(proto);
        let frame = match parse_frame(&bytes) {
            Ok(Some((f, n))) if n == bytes.len() => f,
            other => {
                return Err(format!(
                    "{}: {proto:?} reply does not parse ({other:?}): {:?}",
                    show(argv),
                    String::from_utf8_lossy(&bytes)
                ))
            }
        };
        if want.is_exact() && bytes != encode_frame(&want.to_frame(resp3)) {
            return Err(format!(
                "{}: {proto:?} reply differs\n  engine: {frame}\n  model:  {}",
                show(argv),
                want.to_frame(resp3)
            ));
        }
        want.check(&frame, resp3, 0)
            .map_err(|e| format!("{}: {proto:?}: {e}", show(argv)))?;
        if !resp3 {
            resp2 = Some(frame);
        }
    }
    Ok(resp2.expect("RESP2 checked"))
}

fn run_engine(mode: Mode, steps: &[(u8, Vec<u32>)]) -> Result<(), TestCaseError> {
    let mut ks = Keyspace::new();
    // One node per stream: the model's entry-level trimming is then exact for every policy.
    ks.config_mut().node_limits = NodeLimits {
        max_bytes: 1 << 30,
        max_entries: 0,
    };
    let mut m = GroupModel::new();
    m.node_max_entries = 0;
    let mut now = ENGINE_START_MS;
    let set = argv_of(&["SET", "str", "x"]);
    execute(&mut ks, &set, now);
    m.execute(&set, now);
    for (i, (tick, tape)) in steps.iter().enumerate() {
        now += TICKS[*tick as usize % TICKS.len()];
        let argv = gen_step(&m, tape, mode, now);
        let fail = |e: String| TestCaseError::fail(format!("step {i} (now {now}): {e}"));
        let pre = m.clone();
        let got = execute(&mut ks, &argv, now);
        let want = m.execute(&argv, now);
        let frame = compare(&argv, &got, &want).map_err(fail)?;
        check_no_redelivery(&argv, &pre, &frame)
            .map_err(|e| fail(format!("{}: {e}", show(&argv))))?;
        m.check_invariants(1)
            .map_err(|e| fail(format!("after {}: model invariant: {e}", show(&argv))))?;
        ks.check()
            .map_err(|e| fail(format!("after {}: Keyspace::check: {e}", show(&argv))))?;
        for q in state_queries(&m, mode) {
            let got = execute(&mut ks, &q, now);
            let want = m.execute(&q, now);
            compare(&q, &got, &want).map_err(|e| fail(format!("after {}: {e}", show(&argv))))?;
        }
    }
    Ok(())
}

fn steps_strategy(max: usize) -> impl Strategy<Value = Vec<(u8, Vec<u32>)>> {
    prop::collection::vec(
        (any::<u8>(), prop::collection::vec(any::<u32>(), 24)),
        1..=max,
    )
}

proptest! {
    #![proptest_config(config(48))]

    /// Random group command sequences: engine and model agree on every reply and on all
    /// group state after every step.
    #[test]
    fn engine_groups_match_model(steps in steps_strategy(120)) {
        run_engine(Mode::Redis8, &steps)?;
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// Reference §19's randomized lag check: entries-read, lag and last-delivered-id of
    /// every group after every step.
    #[test]
    fn engine_lag_matches_model(steps in steps_strategy(80)) {
        run_engine(Mode::Lag, &steps)?;
    }
}

/// The Redis 8 workload on the model alone (no oracle exists for it): the model must not
/// panic, its invariants must hold after every step, and `>` must never re-deliver. Seed:
/// `BROOK_GROUP_MODEL_SEED`.
#[test]
fn redis8_workload_keeps_model_invariants() {
    let seed = Rng::seed_from_env("BROOK_GROUP_MODEL_SEED");
    let mut rng = Rng::new(seed);
    for _case in 0..20 {
        let mut m = GroupModel::new();
        m.node_max_entries = 0;
        m.execute(&argv_of(&["SET", "str", "x"]), 0);
        let mut now = ENGINE_START_MS;
        for step in 0..300 {
            now += TICKS[rng.below(TICKS.len() as u64) as usize];
            let tape: Vec<u32> = (0..24).map(|_| rng.next_u64() as u32).collect();
            let argv = gen_step(&m, &tape, Mode::Redis8, now);
            let pre = m.clone();
            let reply = m.execute(&argv, now);
            let ctx = || format!("seed {seed}, step {step}: {}", show(&argv));
            check_no_redelivery(&argv, &pre, &reply.to_frame(false))
                .unwrap_or_else(|e| panic!("{}: {e}", ctx()));
            check_no_redelivery(&argv, &pre, &reply.to_frame(true))
                .unwrap_or_else(|e| panic!("{}: {e}", ctx()));
            m.check_invariants(1)
                .unwrap_or_else(|e| panic!("{}: {e}", ctx()));
        }
    }
}
