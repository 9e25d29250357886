//! `brook demo`: the main job on the embedded engine.
//!
//! A producer appends order events to a stream with auto-generated IDs, a reader follows
//! the stream with XREAD from its last seen ID, the stream is capped with approximate
//! trimming, and XINFO STREAM shows the layout. Then a consumer group: two workers share
//! the orders, one crashes with entries unacknowledged, ten virtual minutes later the
//! other reclaims them with XAUTOCLAIM, and a blocked worker is woken by a new order —
//! every step through the same command layer a Redis client would talk to, with the
//! replies printed as Redis prints them.

use std::thread;
use std::time::Duration;

use brook::{Engine, ManualClock, Reply, StreamId, TrimOptions, XReadId};

/// Options: `--orders N` (default 2000), `--keep N` (default 500).
pub fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let mut orders: u64 = 2000;
    let mut keep: u64 = 500;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match a.as_str() {
            "--orders" => orders = value("--orders")?,
            "--keep" => keep = value("--keep")?,
            other => return Err(format!("unknown option '{other}'").into()),
        }
    }
    let engine = Engine::new();

    println!("== producer: XADD orders * item <name> qty <n>, {orders} times");
    let items = ["book", "lamp", "chair", "pen", "mug"];
    let mut first = None;
    let mut last = StreamId::MIN;
    for i in 0..orders {
        let item = items[(i % items.len() as u64) as usize];
        let qty = (i % 7 + 1).to_string();
        last = engine.xadd("orders", &[("item", item), ("qty", qty.as_str())])?;
        first.get_or_insert(last);
    }
    println!("   first id {}, last id {last}", first.unwrap_or(last));
    println!("   XLEN orders -> {}", engine.xlen("orders")?);

    println!("\n== reader: XREAD COUNT 100 STREAMS orders <cursor>, until caught up");
    let mut cursor = StreamId::MIN;
    let mut seen = 0u64;
    let mut qty_total = 0u64;
    loop {
        let batch = engine.xread(&[("orders", XReadId::After(cursor))], Some(100))?;
        let Some((_, entries)) = batch.into_iter().next() else {
            break;
        };
        for entry in &entries {
            qty_total += entry
                .get(b"qty")
                .and_then(|q| std::str::from_utf8(q).ok()?.parse::<u64>().ok())
                .unwrap_or(0);
            cursor = entry.id;
            seen += 1;
        }
    }
    println!("   read {seen} entries, {qty_total} items ordered, cursor at {cursor}");
    let none = engine.execute_str(&["XREAD", "STREAMS", "orders", &cursor.to_string()]);
    println!("   XREAD past the end -> {}", show(&none));

    println!("\n== retention: XTRIM orders MAXLEN ~ {keep}  (whole nodes only)");
    let removed = engine.xtrim("orders", &TrimOptions::maxlen(keep).approx())?;
    let info = engine.xinfo_stream("orders")?;
    println!(
        "   removed {removed}; length {} in {} nodes (approximate trimming keeps ≥ {keep})",
        info.summary.length, info.summary.radix_tree_keys
    );
    let removed = engine.xtrim("orders", &TrimOptions::maxlen(keep))?;
    println!("   XTRIM orders MAXLEN = {keep} -> removed {removed} more");

    println!("\n== the same engine through Redis's wire commands");
    for argv in [
        vec![
            "XADD", "orders", "MAXLEN", "~", "100", "*", "item", "desk", "qty", "1",
        ],
        vec!["XREVRANGE", "orders", "+", "-", "COUNT", "1"],
        vec!["XADD", "orders", "1-1", "item", "late"],
        vec!["XINFO", "STREAM", "orders"],
    ] {
        let reply = engine.execute_str(&argv);
        println!("   > {}\n   {}", argv.join(" "), show(&reply));
    }
    println!(
        "\n   memory: {} bytes for {} entries",
        engine.memory_usage("orders").unwrap_or(0),
        engine.xlen("orders")?
    );
    consumer_group()
}

/// Prints a command and its reply.
fn say(engine: &Engine, argv: &[&str]) -> Reply {
    let reply = engine.execute_str(argv);
    println!("   > {}\n   {}", argv.join(" "), show(&reply));
    reply
}

/// Two workers in a group, a crash, a reclaim ten virtual minutes later, a blocked
/// read woken by a producer.
fn consumer_group() -> Result<(), Box<dyn std::error::Error>> {
    // A virtual clock: "ten minutes later" takes no time.
    let clock = ManualClock::new(1_800_000_000_000);
    let engine = Engine::builder().clock(clock.clone()).build();
    println!("\n== consumer group: workers share the jobs, a crash, a reclaim");
    for i in 1..=6 {
        engine.xadd("jobs", &[("job", format!("resize-{i}").as_str())])?;
    }
    say(&engine, &["XGROUP", "CREATE", "jobs", "workers", "0"]);
    say(
        &engine,
        &[
            "XREADGROUP",
            "GROUP",
            "workers",
            "alice",
            "COUNT",
            "3",
            "STREAMS",
            "jobs",
            ">",
        ],
    );
    say(
        &engine,
        &[
            "XREADGROUP",
            "GROUP",
            "workers",
            "bob",
            "COUNT",
            "3",
            "STREAMS",
            "jobs",
            ">",
        ],
    );
    let alice = engine.xpending_range(
        "jobs",
        "workers",
        &brook::XPendingRange {
            min_idle: 0,
            start: StreamId::MIN,
            end: StreamId::MAX,
            count: 10,
            consumer: Some("alice".into()),
        },
    )?;
    let done: Vec<StreamId> = alice.iter().map(|p| p.id).collect();
    println!(
        "   alice finishes her {} jobs and acknowledges them",
        done.len()
    );
    engine.xack("jobs", "workers", &done)?;
    println!("   bob crashes: his 3 jobs stay pending");
    say(&engine, &["XPENDING", "jobs", "workers"]);
    clock.advance(10 * 60 * 1000);
    println!("   … ten minutes later (virtual clock), alice reclaims what has been idle ≥ 5 min:");
    say(
        &engine,
        &[
            "XAUTOCLAIM",
            "jobs",
            "workers",
            "alice",
            "300000",
            "0",
            "COUNT",
            "10",
            "JUSTID",
        ],
    );
    say(&engine, &["XPENDING", "jobs", "workers", "-", "+", "10"]);
    say(&engine, &["XINFO", "GROUPS", "jobs"]);

    println!("\n== a blocked worker is woken by the next job");
    let waiter = {
        let engine = engine.clone();
        thread::spawn(move || {
            engine.execute_str(&[
                "XREADGROUP",
                "GROUP",
                "workers",
                "carol",
                "BLOCK",
                "0",
                "STREAMS",
                "jobs",
                ">",
            ])
        })
    };
    while engine.blocked_readers() == 0 {
        thread::sleep(Duration::from_millis(1));
    }
    println!("   carol is blocked (XREADGROUP … BLOCK 0 … >); a producer adds job 7");
    engine.xadd("jobs", &[("job", "resize-7")])?;
    let reply = waiter.join().map_err(|_| "the waiting worker panicked")?;
    println!("   carol got {}", show(&reply));
    say(&engine, &["XINFO", "GROUPS", "jobs"]);
    Ok(())
}

/// A reply in redis-cli's RESP3-ish one-line notation.
fn show(reply: &Reply) -> String {
    match reply {
        Reply::Simple(s) => s.to_string(),
        Reply::Error(e) => format!("(error) {e}"),
        Reply::Integer(i) => format!("(integer) {i}"),
        Reply::Bulk(b) => format!("{:?}", String::from_utf8_lossy(b)),
        Reply::Null | Reply::NullArray => "(nil)".to_string(),
        Reply::Array(items) => {
            let inner: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", inner.join(", "))
        }
        Reply::Map(pairs) | Reply::PairMap(pairs) => {
            let inner: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}: {}", show(k), show(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}
