//! `MEMORY USAGE key [SAMPLES count]`, `MEMORY STATS`, `MEMORY DOCTOR`,
//! `MEMORY MALLOC-STATS`, `MEMORY PURGE` and `MEMORY HELP`, as Redis 8.6 answers them
//! (unknown subcommands and wrong arities are refused by the dispatcher, as Redis's
//! are).
//!
//! The figures are brook's own accounting ([`crate::memory`]): exact counts of what the
//! engines and connections hold, not an allocator's. DOCTOR therefore checks what
//! brook can see — a peak far above the current use, large client buffers — in its own
//! words, not the allocator's fragmentation and RSS that Redis's report covers.

use bytes::Bytes;

use super::{Session, Step};
use crate::Shared;
use brook_engine::frontend::parse_i64;

/// `MEMORY <subcommand> …` (the dispatcher has checked the subcommand and its arity).
pub(super) fn run(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let sub = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
    match sub.as_str() {
        "usage" => {
            usage(shared, sess, argv);
        }
        "stats" => stats(shared, sess),
        "doctor" => doctor(shared, sess),
        // What Redis built without jemalloc answers: brook uses the system allocator.
        "malloc-stats" => sess
            .out
            .bulk_str("Stats not supported for the current allocator"),
        // Nothing to purge: brook gives memory back to the system allocator as it frees.
        "purge" => sess.out.ok(),
        _ => help(sess),
    }
    Step::Done
}

/// `MEMORY USAGE key [SAMPLES count]`: the key's heap bytes
/// ([`brook_engine::frontend::Keyspace::memory_usage`]), nil for a missing key. brook counts
/// exactly, so `SAMPLES` is checked as Redis checks it (an integer, not negative) and
/// otherwise has no effect.
fn usage(shared: &Shared, sess: &mut Session, argv: &[Bytes]) {
    let mut j = 3;
    while j < argv.len() {
        if argv[j].eq_ignore_ascii_case(b"samples") && j + 1 < argv.len() {
            match parse_i64(&argv[j + 1]) {
                None => {
                    sess.out
                        .error("ERR value is not an integer or out of range");
                    return;
                }
                Some(n) if n < 0 => {
                    sess.out.error("ERR syntax error");
                    return;
                }
                Some(_) => j += 2,
            }
        } else {
            sess.out.error("ERR syntax error");
            return;
        }
    }
    let key = &argv[2];
    match sess
        .engine(shared)
        .with_keyspace(|ks, _| ks.memory_usage(key))
    {
        Some(n) => sess.out.int(i64::try_from(n).unwrap_or(i64::MAX)),
        None => sess.out.null(),
    }
}

/// `MEMORY STATS`: Redis 8.6's map, every field in its order and type. brook reports
/// 0 for what it does not have or cannot know: `replication.backlog`,
/// `replica.fullsync.buffer`, `clients.slaves`, `cluster.links`, `aof.buffer`,
/// `lua.caches`, `functions.caches`, `script.VMs`, each database's
/// `overhead.hashtable.main`/`.expires` (the key table's slots are counted in each
/// key's figure, so in `dataset.bytes`), `overhead.db.hashtable.lut`,
/// `overhead.db.hashtable.rehashing`, `db.dict.rehashing.count`, the `allocator.*`
/// byte counts and `*.bytes` of the fragmentation figures, and 1 for their ratios.
/// `startup.allocated` is 0 (brook counts nothing it holds at startup).
fn stats(shared: &Shared, sess: &mut Session) {
    let m = shared.memory();
    let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let out = &mut sess.out;
    out.map(33 + m.dbs.len());
    let int = |out: &mut crate::out::Out, name: &str, n: u64| {
        out.bulk_str(name);
        out.int(as_i64(n));
    };
    int(out, "peak.allocated", m.peak);
    int(out, "total.allocated", m.used());
    int(out, "startup.allocated", 0);
    int(out, "replication.backlog", 0);
    int(out, "replica.fullsync.buffer", 0);
    int(out, "clients.slaves", 0);
    int(out, "clients.normal", m.clients);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", 0);
    int(out, "lua.caches", 0);
    int(out, "functions.caches", 0);
    int(out, "script.VMs", 0);
    for db in &m.dbs {
        out.bulk_str(&format!("db.{}", db.index));
        out.map(2);
        int(out, "overhead.hashtable.main", 0);
        int(out, "overhead.hashtable.expires", 0);
    }
    int(out, "overhead.db.hashtable.lut", 0);
    int(out, "overhead.db.hashtable.rehashing", 0);
    int(out, "overhead.total", m.overhead());
    int(out, "db.dict.rehashing.count", 0);
    int(out, "keys.count", m.keys());
    int(out, "keys.bytes-per-key", m.bytes_per_key());
    int(out, "dataset.bytes", m.dataset);
    out.bulk_str("dataset.percentage");
    out.double(m.dataset_perc());
    out.bulk_str("peak.percentage");
    out.double(m.peak_perc());
    int(out, "allocator.allocated", 0);
    int(out, "allocator.active", 0);
    int(out, "allocator.resident", 0);
    int(out, "allocator.muzzy", 0);
    for (ratio, bytes) in [
        (
            "allocator-fragmentation.ratio",
            "allocator-fragmentation.bytes",
        ),
        ("allocator-rss.ratio", "allocator-rss.bytes"),
        ("rss-overhead.ratio", "rss-overhead.bytes"),
        ("fragmentation", "fragmentation.bytes"),
    ] {
        out.bulk_str(ratio);
        out.double(1.0);
        int(out, bytes, 0);
    }
}

/// `MEMORY DOCTOR`: a text report (verbatim, as Redis's) on the conditions Redis's
/// doctor checks that brook can see: too little in use to judge (under 5 MiB), a peak
/// above 150% of the current use, client buffers above 200 KiB per client on average.
fn doctor(shared: &Shared, sess: &mut Session) {
    let m = shared.memory();
    let used = m.used();
    let clients = shared.registry.len().max(1) as u64;
    let mut text = String::new();
    if used < 5 << 20 {
        text.push_str(
            "brook holds less than 5 MiB, too little to say anything useful about its \
             memory.\n",
        );
    } else {
        let mut issues = Vec::new();
        if m.peak as f64 / used as f64 > 1.5 {
            issues.push(format!(
                " * Peak: brook once held {} ({} bytes), over 150% of the {} it holds now. \
                 What was freed went back to the allocator; the process may still be \
                 large until the system reclaims it.\n",
                crate::memory::bytes_to_human(m.peak),
                m.peak,
                crate::memory::bytes_to_human(used),
            ));
        }
        if m.clients / clients > 200 * 1024 {
            issues.push(format!(
                " * Client buffers: the connections hold {} of buffers, over 200 KiB per \
                 client on average: large pipelines or replies, or clients that do not \
                 read what they are sent. CLIENT LIST shows each one's qbuf and omem.\n",
                crate::memory::bytes_to_human(m.clients),
            ));
        }
        if issues.is_empty() {
            text.push_str("brook sees no memory problem in what it counts.\n");
        } else {
            text.push_str("brook sees these memory problems:\n\n");
            for i in issues {
                text.push_str(&i);
                text.push('\n');
            }
        }
    }
    sess.out.verbatim(text.as_bytes());
}

/// `MEMORY HELP`: Redis's text.
fn help(sess: &mut Session) {
    let lines = [
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Print this help.",
    ];
    sess.out.array(lines.len());
    for l in lines {
        sess.out.simple(l);
    }
}
