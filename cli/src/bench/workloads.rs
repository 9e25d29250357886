//! The workloads, each on each backend that can run it: XADD one field (the engine's
//! typed handle, the async trait on `mem://`, brook-redis and raw redis-rs on a server
//! at pipelining depth 1 and 16), XREADGROUP COUNT 1000 + XACK, and a one-producer →
//! group → one-acking-consumer hand-off against a crossbeam channel.

use std::thread;
use std::time::Instant;

use brook::{
    Backend, Block, Command, Engine, GroupReadId, GroupStart, Streams, XAddOptions,
    XReadGroupOptions,
};
use bytes::Bytes;

use super::measure::Sample;

/// The key every workload writes.
pub const KEY: &str = "brook-bench";

fn fields() -> Vec<(Bytes, Bytes)> {
    vec![(Bytes::from_static(b"field"), Bytes::from_static(b"value"))]
}

/// XADD on the typed engine handle; also returns bytes per entry.
pub fn xadd_engine(n: u64) -> (Sample, Option<f64>) {
    let engine = Engine::new();
    let mut s = Sample::new(n as usize);
    let start = Instant::now();
    for _ in 0..n {
        s.call(|| engine.xadd(KEY, &[("field", "value")]).map(drop))
            .ok();
    }
    s.wall = start.elapsed();
    let bytes = engine.memory_usage(KEY).map(|b| b as f64 / n as f64);
    (s, bytes)
}

/// XADD through the `Streams` trait on `backend`, `depth` at a time (a pipeline when
/// more than one).
pub async fn xadd_trait(backend: &Backend, n: u64, depth: u64) -> Sample {
    let _ = backend.del(&[KEY.as_bytes()]).await;
    let opts = XAddOptions::default();
    let batch: Vec<Command> = (0..depth)
        .map(|_| Command::XAdd {
            key: Bytes::from_static(KEY.as_bytes()),
            opts: opts.clone(),
            fields: fields(),
        })
        .collect();
    let mut s = Sample::new((n / depth) as usize);
    let start = Instant::now();
    let mut done = 0;
    while done < n {
        // Every call timed on a server (a round trip dwarfs the clock read); one in
        // SAMPLE_EVERY on the engine.
        let timed = backend.engine().is_none() || done.is_multiple_of(super::measure::SAMPLE_EVERY);
        let t = Instant::now();
        if depth == 1 {
            let _ = backend
                .xadd_with(KEY.as_bytes(), &opts, &[("field", "value")])
                .await;
        } else {
            let _ = backend.pipeline(&batch).await;
        }
        if timed {
            s.calls.push(t.elapsed().as_nanos() as u64);
        }
        s.ops += depth;
        done += depth;
    }
    s.wall = start.elapsed();
    s
}

/// XADD on raw redis-rs, `depth` at a time.
pub async fn xadd_raw(conn: &mut redis::aio::MultiplexedConnection, n: u64, depth: u64) -> Sample {
    let _: redis::RedisResult<()> = redis::cmd("DEL").arg(KEY).query_async(conn).await;
    let mut s = Sample::new((n / depth) as usize);
    let start = Instant::now();
    let mut done = 0;
    while done < n {
        let t = Instant::now();
        if depth == 1 {
            let _: redis::RedisResult<String> = redis::cmd("XADD")
                .arg(KEY)
                .arg("*")
                .arg("field")
                .arg("value")
                .query_async(conn)
                .await;
        } else {
            let mut pipe = redis::pipe();
            for _ in 0..depth {
                pipe.cmd("XADD").arg(KEY).arg("*").arg("field").arg("value");
            }
            let _: redis::RedisResult<Vec<String>> = pipe.query_async(conn).await;
        }
        s.calls.push(t.elapsed().as_nanos() as u64);
        s.ops += depth;
        done += depth;
    }
    s.wall = start.elapsed();
    s
}

/// A server's bytes per entry for the XADD stream (MEMORY USAGE … SAMPLES 0 / XLEN).
pub async fn server_bytes_per_entry(conn: &mut redis::aio::MultiplexedConnection) -> Option<f64> {
    let mem: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(KEY)
        .arg("SAMPLES")
        .arg(0)
        .query_async(conn)
        .await
        .ok()?;
    let len: i64 = redis::cmd("XLEN").arg(KEY).query_async(conn).await.ok()?;
    (len > 0).then(|| mem as f64 / len as f64)
}

/// XREADGROUP COUNT 1000 + XACK over `n` entries through the trait.
pub async fn readgroup_ack(backend: &Backend, n: u64) -> Sample {
    let _ = backend.del(&[KEY.as_bytes()]).await;
    let fill: Vec<Command> = (0..1000)
        .map(|_| Command::XAdd {
            key: Bytes::from_static(KEY.as_bytes()),
            opts: XAddOptions::default(),
            fields: fields(),
        })
        .collect();
    for _ in 0..n.div_ceil(1000) {
        let _ = backend.pipeline(&fill).await;
    }
    let _ = backend
        .xgroup_create(
            KEY.as_bytes(),
            b"g",
            GroupStart::Id(brook::StreamId::MIN),
            false,
            None,
        )
        .await;
    let opts = XReadGroupOptions::default().count(1000);
    let streams = [(KEY.as_bytes(), GroupReadId::New)];
    let mut s = Sample::new((n / 1000) as usize);
    let start = Instant::now();
    loop {
        let t = Instant::now();
        let got = backend
            .xreadgroup(b"g", b"c", &streams, &opts, None)
            .await
            .unwrap_or_default();
        let ids: Vec<brook::StreamId> = got
            .iter()
            .flat_map(|s| s.entries.iter().map(|e| e.id))
            .collect();
        if ids.is_empty() {
            break;
        }
        let _ = backend.xack(KEY.as_bytes(), b"g", &ids).await;
        s.calls.push(t.elapsed().as_nanos() as u64);
        s.ops += ids.len() as u64;
    }
    s.wall = start.elapsed();
    s
}

/// One producer thread XADDs `n` entries, one consumer thread reads them through a
/// group (blocking) and acknowledges them.
pub fn handoff_engine(n: u64) -> Sample {
    let engine = Engine::new();
    let _ = engine.xgroup_create(KEY, "g", GroupStart::Last, true, None);
    let start = Instant::now();
    let producer = {
        let engine = engine.clone();
        thread::spawn(move || {
            for i in 0..n {
                let v = i.to_le_bytes();
                let _ = engine.xadd(KEY, &[(&b"n"[..], &v[..])]);
            }
        })
    };
    let opts = XReadGroupOptions::default().count(1000);
    let streams = [(Bytes::from_static(KEY.as_bytes()), GroupReadId::New)];
    let mut seen = 0;
    let mut ids = Vec::with_capacity(1000);
    while seen < n {
        let Ok(served) = engine.xreadgroup("g", "c", &streams, &opts, Some(Block::Forever)) else {
            break;
        };
        ids.clear();
        ids.extend(served.iter().flat_map(|s| s.entries.iter().map(|e| e.id)));
        seen += ids.len() as u64;
        // XACK with no IDs is an arity error, not 0.
        if !ids.is_empty() {
            let _ = engine.xack(KEY, "g", &ids);
        }
    }
    let _ = producer.join();
    let mut s = Sample::new(0);
    s.ops = seen;
    s.wall = start.elapsed();
    s
}

/// The same hand-off through a bounded crossbeam channel.
pub fn handoff_crossbeam(n: u64) -> Sample {
    let (tx, rx) = crossbeam_channel::bounded::<(u64, [u8; 8])>(1024);
    let start = Instant::now();
    let producer = thread::spawn(move || {
        for i in 0..n {
            let _ = tx.send((i, i.to_le_bytes()));
        }
    });
    let mut sum = 0u64;
    for _ in 0..n {
        if let Ok((i, _)) = rx.recv() {
            sum = sum.wrapping_add(i);
        }
    }
    let _ = producer.join();
    std::hint::black_box(sum);
    let mut s = Sample::new(0);
    s.ops = n;
    s.wall = start.elapsed();
    s
}
