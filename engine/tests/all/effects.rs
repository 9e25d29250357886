//! Recorded effects rebuild the keyspace: a keyspace that records its effects
//! (`Keyspace::record_effects`) runs the differential generator's random workload —
//! every stream, group, IDMP and string command with Redis 8.6's options, key expiry —
//! and after every command the effects it recorded are replayed on a second keyspace
//! (`Keyspace::set_replaying`, as an append-only file is loaded). No replayed command
//! may fail, and after every step both keyspaces hold the same state: every key's
//! type, `XINFO STREAM key FULL COUNT 0` (entries, IDs and counters, groups with their
//! PEL — owners, delivery times and counts — consumers and IDMP state; only consumer
//! seen/active times, which reads that change nothing else also move, and the node
//! counts, which depend on the order entries came and went in, are left out),
//! strings with their TTLs, `dirty` aside — and `pids-tracked` of a key where an IDMP
//! XADD failed, which Redis's own propagation loses too (see the test). Floors on the effect kinds make sure the
//! rewritten forms (XADD with its ID and an exact trim, XCLAIM … FORCE JUSTID, XGROUP
//! SETID … ENTRIESREAD, DEL for an expired key) and COPY (propagated verbatim) were all
//! exercised.

use std::collections::{BTreeMap, BTreeSet};

use brook_engine::Reply;

use brook_engine::frontend::{Keyspace, Protocol};
use brook_engine::KeyType;
use brook_test_support::Frame;
use bytes::Bytes;

use crate::gen::{Dialect, Gen, View, ALL_KEYS};
use crate::oracle::to_frame;
use crate::rng::Rng;

fn args(words: &[&str]) -> Vec<Bytes> {
    words.iter().map(|w| Bytes::from(w.to_string())).collect()
}

/// Blanks the consumer times (`seen-time`, `active-time`) of an XINFO FULL reply, and
/// the node counts (`radix-tree-keys`, `-nodes`: how entries fell into nodes depends on
/// the order they came and went in, not on what the stream holds); with
/// `empty_producers`, also `pids-tracked` (see [`replayed_effects_rebuild_the_keyspace`]).
pub(crate) fn without_consumer_times(f: Frame, empty_producers: bool) -> Frame {
    match f {
        Frame::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut blank = false;
            for item in items {
                if blank {
                    out.push(Frame::Integer(0));
                    blank = false;
                    continue;
                }
                if let Frame::Bulk(name) = &item {
                    blank = matches!(
                        &name[..],
                        b"seen-time" | b"active-time" | b"radix-tree-keys" | b"radix-tree-nodes"
                    ) || (empty_producers && &name[..] == b"pids-tracked");
                }
                out.push(without_consumer_times(item, empty_producers));
            }
            Frame::Array(out)
        }
        other => other,
    }
}

/// A group whose counters a replay does not carry, by key and name.
pub(crate) type GroupName = (Vec<u8>, Vec<u8>);

/// An XINFO FULL reply with `entries-read` and `lag` blanked for the groups in
/// `clamped`, after adding to it the groups (of `key`) whose `entries-read` is above
/// the stream's `entries-added` — read on the origin first. A read can move a group's
/// counter past `entries-added` (after a SETID that clamped it, with an ID before the
/// last entries); the origin propagates that counter, and a replay clamps it as Redis
/// clamps it when it loads its own file (docs/design.md, "Effects"). From then on the
/// two counters may differ until the run ends; the rest of such a group is compared.
pub(crate) fn counters_of_clamped_blanked(
    f: Frame,
    key: &[u8],
    clamped: &mut BTreeSet<GroupName>,
) -> Frame {
    let Frame::Array(mut items) = f else {
        return f;
    };
    let at = |fields: &[Frame], name: &[u8]| {
        fields
            .iter()
            .position(|i| matches!(i, Frame::Bulk(b) if &b[..] == name))
            .map(|i| i + 1)
    };
    let added = match at(&items, b"entries-added").and_then(|i| items.get(i)) {
        Some(Frame::Integer(n)) => *n as u64,
        _ => return Frame::Array(items),
    };
    if let Some(Some(Frame::Array(groups))) = at(&items, b"groups").map(|i| items.get_mut(i)) {
        for g in groups {
            let Frame::Array(fields) = g else { continue };
            let name = match at(fields, b"name").and_then(|i| fields.get(i)) {
                Some(Frame::Bulk(n)) => (key.to_vec(), n.to_vec()),
                _ => continue,
            };
            // A counter past `i64::MAX` shows negative and is restored as it is.
            if let Some(Frame::Integer(n)) = at(fields, b"entries-read").and_then(|i| fields.get(i))
            {
                if *n >= 0 && (*n as u64) > added {
                    clamped.insert(name.clone());
                }
            }
            if clamped.contains(&name) {
                for field in [&b"entries-read"[..], b"lag"] {
                    if let Some(v) = at(fields, field).and_then(|i| fields.get_mut(i)) {
                        *v = Frame::Null;
                    }
                }
            }
        }
    }
    Frame::Array(items)
}

/// Notes in `clamped` the groups of `key` whose `entries-read` is past `entries-added`
/// in `full`, the origin's `XINFO STREAM key FULL` after a command (see
/// [`counters_of_clamped_blanked`]). To be called after every command: a later XADD or
/// XSETID can bring `entries-added` back above such a counter, which a replay still
/// holds clamped (Redis reloading its own file too), so the end state alone misses it.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn note_clamped(full: &Frame, key: &[u8], clamped: &mut BTreeSet<GroupName>) {
    let _ = counters_of_clamped_blanked(full.clone(), key, clamped);
}

/// Carries the marks of `clamped` along a COPY, RENAME or RENAMENX that succeeded:
/// the destination's groups are the source's, with the counters the origin held and
/// those a replay clamped (COPY is propagated as it is). Whatever the destination held
/// before is gone, and its marks with it; a rename takes the source's marks away.
pub(crate) fn carry_clamped(argv: &[Bytes], reply: &Reply, clamped: &mut BTreeSet<GroupName>) {
    let named = |name: &str| {
        argv.first()
            .is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
    };
    let copied = named("COPY") && matches!(reply, Reply::Integer(1));
    let renamed = (named("RENAME") || named("RENAMENX"))
        && matches!(reply, Reply::Simple(_) | Reply::Integer(1));
    let (Some(src), Some(dst)) = (argv.get(1), argv.get(2)) else {
        return;
    };
    if !(copied || renamed) || src == dst {
        return;
    }
    let groups: Vec<Vec<u8>> = clamped
        .iter()
        .filter(|(k, _)| k[..] == src[..])
        .map(|(_, g)| g.clone())
        .collect();
    clamped.retain(|(k, _)| k[..] != dst[..] && !(renamed && k[..] == src[..]));
    for g in groups {
        clamped.insert((dst.to_vec(), g));
    }
}

/// Everything a replay must rebuild, as text.
pub(crate) fn state(
    ks: &mut Keyspace,
    now: u64,
    empty_producers: &BTreeSet<Vec<u8>>,
    clamped: &mut BTreeSet<GroupName>,
) -> String {
    let mut keys: Vec<Bytes> = ks.keys(b"*");
    keys.sort();
    let mut out = String::new();
    for key in keys {
        let k = String::from_utf8_lossy(&key).into_owned();
        let t = to_frame(&ks.execute(&args(&["TYPE", &k]), now), Protocol::Resp2);
        let body = match &t {
            Frame::Simple(s) if s == b"stream" => without_consumer_times(
                counters_of_clamped_blanked(
                    to_frame(
                        &ks.execute(&args(&["XINFO", "STREAM", &k, "FULL", "COUNT", "0"]), now),
                        Protocol::Resp2,
                    ),
                    &key,
                    clamped,
                ),
                empty_producers.contains(&key[..]),
            )
            .to_string(),
            _ => format!(
                "{} ttl {}",
                to_frame(&ks.execute(&args(&["GET", &k]), now), Protocol::Resp2),
                ks.pttl(&key, now)
            ),
        };
        out.push_str(&format!("{k} {t}: {body}\n"));
    }
    out
}

fn show(argv: &[Bytes]) -> String {
    argv.iter()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Notes in `set` the key an IDMP XADD that failed (the stream's last possible ID is
/// taken) left an empty producer on, as Redis 8.6 does: it changes nothing else and
/// nothing is propagated (Redis propagates nothing either, so its own replicas and AOF
/// lack that empty producer too; no command recreates one alone). On such a key
/// `pids-tracked` may differ after a replay; everything else must still match. RENAME
/// carries the producers along; the caller drops keys that are gone.
pub(crate) fn track_empty_producers(argv: &[Bytes], reply: &Reply, set: &mut BTreeSet<Vec<u8>>) {
    // (IDMP is an option before the ID, which must be `*`.)
    let idmp = argv.len() > 2
        && argv[2..]
            .iter()
            .take_while(|a| &a[..] != b"*")
            .any(|a| a.eq_ignore_ascii_case(b"IDMP") || a.eq_ignore_ascii_case(b"IDMPAUTO"));
    if idmp && argv[0].eq_ignore_ascii_case(b"XADD") && matches!(reply, Reply::Error(_)) {
        set.insert(argv[1].to_vec());
    }
    let renamed = argv.len() == 3
        && (argv[0].eq_ignore_ascii_case(b"RENAME") || argv[0].eq_ignore_ascii_case(b"RENAMENX"))
        && matches!(reply, Reply::Simple(_) | Reply::Integer(1));
    if renamed && set.remove(&argv[1][..]) {
        set.insert(argv[2].to_vec());
    }
}

#[test]
fn replayed_effects_rebuild_the_keyspace() {
    let seed = Rng::seed_from_env("BROOK_EFFECTS_SEED");
    let steps: u64 = std::env::var("BROOK_EFFECTS_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_000);
    let mut gen = Gen::new(seed, Dialect::REDIS8);
    let mut view = View::default();
    let mut origin = Keyspace::new();
    let mut replica = Keyspace::new();
    origin.record_effects(true);
    replica.set_replaying(true);
    let mut now: u64 = 1_700_000_000_000;
    let setup = args(&["CONFIG", "SET", "stream-idmp-duration", "86400"]);
    for ks in [&mut origin, &mut replica] {
        assert!(!matches!(ks.execute(&setup, now), Reply::Error(_)));
    }
    origin.take_effects();
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let mut history: Vec<String> = Vec::new();
    let mut empty_producers: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut clamped: BTreeSet<GroupName> = BTreeSet::new();
    for step in 1..=steps {
        now += 1 + gen.rng.below(40);
        // Now and then a key that expires soon, so that expiry is replayed too.
        let argv: Vec<Bytes> = if gen.rng.pct(2) {
            let at = (now + gen.rng.below(200)).to_string();
            args(&["SET", "str", "v", "PXAT", &at])
        } else {
            gen.next(&view).into_iter().map(Bytes::from).collect()
        };
        let reply = origin.execute(&argv, now);
        // Settings are not data: Redis keeps CONFIG SET out of its AOF, and a server
        // loading one runs with its own configuration. The replica gets the same.
        if argv[0].eq_ignore_ascii_case(b"CONFIG") {
            replica.execute(&argv, now);
        }
        let raw: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
        gen.observe(&raw, &to_frame(&reply, Protocol::Resp2));
        let replied: String = format!("{reply:?}").chars().take(80).collect();
        history.push(format!("{}   => {replied}", show(&argv)));
        for effect in origin.take_effects() {
            let name = String::from_utf8_lossy(&effect[0]).into_owned();
            let name = if name == "XGROUP" {
                format!("XGROUP {}", String::from_utf8_lossy(&effect[1]))
            } else {
                name
            };
            *kinds.entry(name).or_default() += 1;
            let r = replica.execute(&effect, now);
            assert!(
                !matches!(r, Reply::Error(_)),
                "step {step} (seed {seed}): the effect {} of {} failed on replay: {r:?}",
                show(&effect),
                show(&argv)
            );
            history.push(format!("  -> {}", show(&effect)));
        }
        track_empty_producers(&argv, &reply, &mut empty_producers);
        empty_producers.retain(|k| origin.key_type(k) != KeyType::None);
        carry_clamped(&argv, &reply, &mut clamped);
        let (a, b) = (
            state(&mut origin, now, &empty_producers, &mut clamped),
            state(&mut replica, now, &empty_producers, &mut clamped),
        );
        if a != b {
            let tail = history[history.len().saturating_sub(30)..].join("\n");
            panic!("step {step} (seed {seed}): the replay differs after {}\norigin:\n{a}\nreplay:\n{b}\nlast commands:\n{tail}", show(&argv));
        }
        replica.check().expect("the replica's invariants");
        for key in ALL_KEYS {
            let full = to_frame(
                &origin.execute(&args(&["XINFO", "STREAM", key, "FULL", "COUNT", "0"]), now),
                Protocol::Resp2,
            );
            view.record(key.as_bytes(), &full);
        }
    }
    eprintln!(
        "effects replayed over {steps} steps (seed {seed}): {kinds:?}; {} groups' counters \
         ran past entries-added (clamped on replay, not compared from then on)",
        clamped.len()
    );
    // Each rewritten form, and the plain ones, must have been exercised.
    for (kind, floor) in [
        ("XADD", steps / 20),
        ("XCLAIM", steps / 20),
        ("XGROUP SETID", steps / 100),
        ("XGROUP CREATE", steps / 200),
        ("XGROUP CREATECONSUMER", steps / 400),
        ("XGROUP DESTROY", steps / 800),
        ("XGROUP DELCONSUMER", steps / 800),
        ("XACK", steps / 200),
        ("XDEL", steps / 200),
        ("XTRIM", steps / 400),
        ("XSETID", steps / 400),
        ("XACKDEL", steps / 800),
        ("XDELEX", steps / 800),
        ("DEL", steps / 400),
        ("SET", steps / 200),
        // COPY is replayed whenever it occurs, but not every workload copies a key that
        // exists (seed 61 made none): engine/tests/all/copy.rs checks it directly.
    ] {
        let n = kinds.get(kind).copied().unwrap_or(0);
        assert!(
            n >= floor.max(1),
            "only {n} {kind} effects in {steps} steps (floor {floor}): {kinds:?}"
        );
    }
}

#[test]
fn nothing_is_recorded_unless_asked() {
    let mut ks = Keyspace::new();
    ks.execute(&args(&["XADD", "s", "1-1", "f", "v"]), 10);
    assert!(ks.take_effects().is_empty());
    ks.record_effects(true);
    ks.execute(&args(&["XADD", "s", "*", "f", "v"]), 20);
    ks.execute(&args(&["XLEN", "s"]), 20);
    ks.execute(&args(&["XDEL", "s", "9-9"]), 20);
    let got: Vec<String> = ks.take_effects().iter().map(|e| show(e)).collect();
    assert_eq!(
        got,
        ["XADD s 20-0 f v"],
        "a read and a write that changed nothing propagate nothing"
    );
    ks.record_effects(false);
    ks.execute(&args(&["XADD", "s", "*", "f", "v"]), 30);
    assert!(ks.take_effects().is_empty());
}

#[test]
fn clamped_marks_follow_copy_and_rename() {
    let mark = |k: &str, g: &str| (k.as_bytes().to_vec(), g.as_bytes().to_vec());
    let mut clamped: BTreeSet<GroupName> = [mark("s", "g"), mark("t", "old")].into();
    // A COPY that did nothing moves no mark.
    carry_clamped(&args(&["COPY", "s", "t"]), &Reply::Integer(0), &mut clamped);
    assert_eq!(clamped, [mark("s", "g"), mark("t", "old")].into());
    // One that replaced the destination: its marks are the source's.
    carry_clamped(
        &args(&["COPY", "s", "t", "REPLACE"]),
        &Reply::Integer(1),
        &mut clamped,
    );
    assert_eq!(clamped, [mark("s", "g"), mark("t", "g")].into());
    carry_clamped(
        &args(&["RENAME", "s", "u"]),
        &Reply::Simple("OK"),
        &mut clamped,
    );
    assert_eq!(clamped, [mark("t", "g"), mark("u", "g")].into());
    carry_clamped(
        &args(&["RENAMENX", "u", "t"]),
        &Reply::Integer(0),
        &mut clamped,
    );
    assert_eq!(clamped, [mark("t", "g"), mark("u", "g")].into());
}
