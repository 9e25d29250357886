//! Memory: what the engine holds per entry, measured by counting real allocations, and
//! the engine's own accounting (`memory_usage`, the caps) checked against it.
// A counting global allocator needs `unsafe impl GlobalAlloc`; it only forwards to the
// system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use brook_engine::{Config, Error, StreamId, XAddId, XAddOptions};

use brook_engine::frontend::Keyspace;

/// Counts live heap bytes allocated by each thread (so tests running in parallel in
/// this binary do not disturb each other's figures).
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn add(delta: isize) {
    // `try_with`: the slot may be gone while a thread is being torn down.
    let _ = LIVE.try_with(|c| c.set(c.get() + delta));
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

// SAFETY: forwards every call to the system allocator unchanged; only adds counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn fill(ks: &mut Keyspace, key: &[u8], n: u64) {
    let opts = XAddOptions::default();
    let mut now = 1_795_000_000_000;
    for i in 0..n {
        if i % 97 == 0 {
            now += 1;
        }
        ks.xadd(key, &opts, &[("field", "value")], now)
            .expect("xadd");
    }
}

#[test]
fn one_million_field_value_entries_fit_in_twelve_bytes_each() {
    let n = 1_000_000;
    let before = live();
    let mut ks = Keyspace::new();
    fill(&mut ks, b"s", n);
    let after = live();
    let measured = (after - before) as f64 / n as f64;
    let reported = ks.memory_usage(b"s").expect("key exists") as f64 / n as f64;
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("1M `field value` entries: {measured:.2} bytes/entry allocated, memory_usage says {reported:.2}\n").as_bytes(),
    );
    assert!(
        measured <= 12.0,
        "{measured:.2} bytes per entry (target ≤ 12)"
    );
    let ratio = reported / measured;
    assert!(
        (0.9..=1.1).contains(&ratio),
        "memory_usage is {ratio:.3}× the measured allocation"
    );
    drop(ks);
    let freed = live();
    assert!(
        (freed - before).abs() < 1 << 20,
        "dropping the keyspace left {} bytes allocated",
        freed - before
    );
}

#[test]
fn memory_usage_tracks_deletes_and_trims() {
    let before = live();
    let mut ks = Keyspace::new();
    fill(&mut ks, b"s", 100_000);
    let full = ks.memory_usage(b"s").expect("exists");
    // LIMIT 0: no cap on the work (the default `~` LIMIT would stop at 10000 removals).
    ks.execute_str(&["XTRIM", "s", "MAXLEN", "~", "10000", "LIMIT", "0"], 0);
    let trimmed = ks.memory_usage(b"s").expect("exists");
    let live = (live() - before) as f64;
    assert!(
        trimmed < full / 5,
        "{trimmed} after trimming 90% (was {full})"
    );
    let ratio = trimmed as f64 / live;
    assert!(
        (0.8..=1.25).contains(&ratio),
        "memory_usage {trimmed} vs allocated {live}"
    );
    assert_eq!(ks.used_entries(), ks.xlen(b"s").expect("xlen"));
    ks.check().expect("well-formed");
}

#[test]
fn caps_refuse_xadd_with_the_oom_error_and_lose_nothing() {
    let mut ks = Keyspace::with_config(Config {
        max_entries: Some(10),
        ..Config::default()
    });
    for i in 1..=10 {
        let opts = XAddOptions::with_id(StreamId::new(i, 0));
        ks.xadd(b"s", &opts, &[("f", "v")], 0)
            .expect("under the cap");
    }
    let opts = XAddOptions::with_id(StreamId::new(11, 0));
    assert_eq!(
        ks.xadd(b"s", &opts, &[("f", "v")], 0),
        Err(Error::OutOfMemory)
    );
    let reply = ks.execute_str(&["XADD", "s", "*", "f", "v"], 0);
    assert_eq!(
        reply.to_resp(brook_engine::frontend::Protocol::Resp2),
        b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    );
    // Refused, not half-done: the stream is unchanged and still readable.
    assert_eq!(ks.xlen(b"s"), Ok(10));
    // Freeing room (trim, delete) lets writes in again.
    ks.execute_str(&["XTRIM", "s", "MAXLEN", "5"], 0);
    assert_eq!(ks.used_entries(), 5);
    let opts = XAddOptions::with_id(XAddId::AutoSeq(20));
    assert_eq!(
        ks.xadd(b"s", &opts, &[("f", "v")], 0),
        Ok(Some(StreamId::new(20, 0)))
    );
    // Reads and deletions are never refused.
    assert_eq!(
        ks.execute_str(&["XLEN", "s"], 0),
        brook_engine::Reply::Integer(6)
    );

    let mut ks = Keyspace::with_config(Config {
        max_bytes: Some(64 * 1024),
        ..Config::default()
    });
    let mut added = 0u64;
    let res = loop {
        let opts = XAddOptions::with_id(StreamId::new(added + 1, 0));
        match ks.xadd(b"s", &opts, &[("f", "some value bytes")], 0) {
            Ok(_) => added += 1,
            Err(e) => break e,
        }
        assert!(added < 1_000_000, "byte cap never reached");
    };
    assert_eq!(res, Error::OutOfMemory);
    assert!(ks.used_memory() >= 64 * 1024);
    assert_eq!(ks.xlen(b"s"), Ok(added));
    ks.check().expect("well-formed");

    // The byte cap counts everything a key holds: a PEL that outgrows the cap refuses
    // XADD though the entries alone are far below it.
    let mut ks = Keyspace::with_config(Config {
        max_bytes: Some(256 * 1024),
        ..Config::default()
    });
    for i in 1..=2_000 {
        let opts = XAddOptions::with_id(StreamId::new(i, 0));
        ks.xadd(b"s", &opts, &[("f", "v")], 0)
            .expect("under the cap");
    }
    let entries_only = ks.used_memory();
    assert!(entries_only < 128 * 1024, "{entries_only}");
    let mut groups = 0;
    while ks.used_memory() < 256 * 1024 {
        let g = format!("g{groups}");
        ks.execute_str(&["XGROUP", "CREATE", "s", &g, "0"], 0);
        ks.execute_str(&["XREADGROUP", "GROUP", &g, "c", "STREAMS", "s", ">"], 0);
        groups += 1;
        assert!(groups < 1_000, "PELs never reached the cap");
    }
    assert!(ks.used_bytes() < 128 * 1024, "node bytes stay small");
    let opts = XAddOptions::with_id(StreamId::new(3_000, 0));
    assert_eq!(
        ks.xadd(b"s", &opts, &[("f", "v")], 0),
        Err(Error::OutOfMemory)
    );
    ks.execute_str(&["XGROUP", "DESTROY", "s", "g0"], 0);
    ks.execute_str(&["XGROUP", "DESTROY", "s", "g1"], 0);
    assert!(ks.used_memory() < 256 * 1024);
    assert!(ks.xadd(b"s", &opts, &[("f", "v")], 0).is_ok(), "room again");
    ks.check().expect("well-formed");
}

/// `used_memory` — every key with its groups, PELs, consumers and IDMP state — stays
/// within 15% of what the keyspace really allocates, as groups read, claim and
/// acknowledge and producers record IIDs, and goes back to nothing with the keys.
#[test]
fn used_memory_follows_real_allocations_of_groups_pels_and_idmp() {
    let before = live();
    let mut ks = Keyspace::new();
    let now = 1_795_000_000_000;
    let compare = |ks: &Keyspace, what: &str| {
        let allocated = (live() - before) as f64;
        let counted = ks.used_memory() as f64;
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("{what}: used_memory {counted}, allocated {allocated}\n").as_bytes(),
        );
        let ratio = counted / allocated;
        assert!(
            (0.85..=1.15).contains(&ratio),
            "{what}: used_memory {counted} vs allocated {allocated} ({ratio:.3}×)"
        );
        ks.check().expect("well-formed");
    };
    fill(&mut ks, b"s", 50_000);
    compare(&ks, "50k entries");
    for g in 0..4 {
        let g = format!("g{g}");
        ks.execute_str(&["XGROUP", "CREATE", "s", &g, "0"], now);
        for c in 0..10 {
            let c = format!("consumer-{c}");
            ks.execute_str(
                &[
                    "XREADGROUP",
                    "GROUP",
                    &g,
                    &c,
                    "COUNT",
                    "5000",
                    "STREAMS",
                    "s",
                    ">",
                ],
                now,
            );
        }
    }
    compare(&ks, "4 groups × 50k pending");
    for i in 0..20 {
        let pid = format!("producer-{i}");
        for j in 0..100 {
            let iid = format!("idempotent-id-{j}");
            ks.execute_str(&["XADD", "t", "IDMP", &pid, &iid, "*", "f", "v"], now);
        }
    }
    compare(&ks, "and 2000 IIDs");
    let pel = ks.used_memory();
    ks.execute_str(&["XGROUP", "DESTROY", "s", "g0"], now);
    ks.execute_str(&["XGROUP", "DESTROY", "s", "g1"], now);
    assert!(
        ks.used_memory() < pel,
        "destroying groups gives memory back"
    );
    compare(&ks, "2 groups destroyed");
    ks.execute_str(&["DEL", "s", "t"], now);
    assert_eq!(ks.used_memory(), 0);
    drop(ks);
}

/// Consumers: `used_memory` stays within 10% of what 2^17 consumers in one group
/// really allocate — named in order (`consumer-N`) or in a scattered order, with short
/// (inline) and long (heap) names — and each costs at most 72 bytes (Redis 8.6: about
/// 118 of RSS); deleting them gives the memory back. (2^17: the slot table is full, no
/// room left from its last doubling.)
#[test]
fn used_memory_follows_real_allocations_of_consumers() {
    let n = 1u64 << 17;
    let now = 1_795_000_000_000;
    /// How the i-th consumer is named.
    type Naming = fn(u64) -> String;
    let names: [(&str, Naming); 3] = [
        ("in order", |i| format!("consumer-{i}")),
        ("scattered", |i| {
            format!("c-{}", i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40)
        }),
        ("long names", |i| {
            format!("worker-on-host-{i:08}.example.net")
        }),
    ];
    for (what, name) in names {
        let before = live();
        let mut ks = Keyspace::new();
        ks.execute_str(&["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], now);
        let empty = live();
        let counted_empty = ks.used_memory();
        for i in 0..n {
            ks.execute_str(&["XGROUP", "CREATECONSUMER", "s", "g", &name(i)], now);
        }
        let allocated = (live() - empty) as f64 / n as f64;
        let counted = (ks.used_memory() - counted_empty) as f64 / n as f64;
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("2^17 consumers, {what}: {allocated:.1} bytes each allocated, used_memory says {counted:.1}\n").as_bytes(),
        );
        let ratio = counted / allocated;
        assert!(
            (0.9..=1.1).contains(&ratio),
            "{what}: used_memory {counted:.1} vs allocated {allocated:.1} per consumer ({ratio:.3}×)"
        );
        if what != "long names" {
            assert!(
                allocated <= 72.0,
                "{what}: {allocated:.1} bytes per consumer"
            );
        }
        ks.check().expect("well-formed");
        for i in 0..n {
            ks.execute_str(&["XGROUP", "DELCONSUMER", "s", "g", &name(i)], now);
        }
        assert_eq!(ks.used_memory(), counted_empty);
        ks.check().expect("well-formed");
        drop(ks);
        assert!((live() - before).abs() < 4096, "{what}: all given back");
    }
}

#[test]
fn a_cloned_keyspace_is_well_formed_and_counts_what_it_allocates() {
    // Streams with open and sealed nodes, groups with consumers and PELs, IDMP state
    // and strings: a clone (what COPY will make) passes the invariant check, keeps the
    // capacities the accounting counts, so it reports what the original does, and that
    // figure is within the accounting's 15% of what the clone really allocated.
    let mut ks = Keyspace::new();
    let now = 1_000_000;
    for i in 0..2_000u64 {
        let key = format!("s{}", i % 3);
        let id = format!("{}-{}", i + 1, i % 5);
        ks.execute_str(&["XADD", &key, &id, "f", "v", "g", &i.to_string()], now);
    }
    ks.execute_str(&["XADD", "s0", "IDMP", "p", "i1", "*", "f", "v"], now);
    for key in ["s0", "s1", "s2"] {
        ks.execute_str(&["XGROUP", "CREATE", key, "g", "0"], now);
        for c in 0..40 {
            let consumer = format!("consumer-{c}");
            ks.execute_str(
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    &consumer,
                    "COUNT",
                    "7",
                    "STREAMS",
                    key,
                    ">",
                ],
                now,
            );
        }
    }
    ks.execute_str(&["SET", "str", "value"], now);
    ks.check().expect("the original is well formed");
    let before = live();
    let copy = ks.clone();
    let allocated = live() - before;
    copy.check().expect("the clone is well formed");
    assert_eq!(copy.used_memory(), ks.used_memory());
    let counted = copy.used_memory() as f64;
    assert!(
        (counted - allocated as f64).abs() <= 0.15 * allocated as f64,
        "the clone counts {counted} bytes, allocated {allocated}"
    );
}
