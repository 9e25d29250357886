//! The Prometheus exposition on every backend: parsed with a Prometheus text parser,
//! every stream, group and consumer value equals what XINFO says, a nil lag is absent
//! (never 0), the worker metrics are there, and `/metrics` answers over HTTP.

use std::collections::HashMap;
#[cfg(feature = "metrics-http")]
use std::time::Duration;

#[cfg(feature = "metrics-http")]
use brook::metrics;
use brook::metrics::Exporter;
#[cfg(feature = "metrics-http")]
use brook::worker::{Message, Worker};
use brook::{GroupReadId, GroupStart, StreamId, WorkerOps, XAddOptions, XReadGroupOptions};
use brook_test_support::{ServerGuard, ServerKind};
use prometheus_parse::{Sample, Scrape, Value};

fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("the exposition parses")
}

fn value(v: &Value) -> f64 {
    match v {
        Value::Counter(x) | Value::Gauge(x) | Value::Untyped(x) => *x,
        other => panic!("not a number: {other:?}"),
    }
}

/// The samples named `name` whose labels include `want`, by value.
fn find<'a>(s: &'a Scrape, name: &str, want: &[(&str, &str)]) -> Vec<&'a Sample> {
    s.samples
        .iter()
        .filter(|x| x.metric == name && want.iter().all(|(k, v)| x.labels.get(k) == Some(*v)))
        .collect()
}

fn one(s: &Scrape, name: &str, want: &[(&str, &str)]) -> f64 {
    let found = find(s, name, want);
    assert_eq!(found.len(), 1, "{name} {want:?}: {} samples", found.len());
    value(&found[0].value)
}

async fn setup<S: WorkerOps>(s: &S) {
    let id = |ms, seq| StreamId::new(ms, seq);
    for n in 1..=5 {
        s.xadd_with(b"m", &XAddOptions::with_id(id(n, 1)), &[("f", "v")])
            .await
            .expect("xadd");
    }
    s.xdel(b"m", &[id(3, 1)]).await.expect("xdel");
    s.xgroup_create(b"m", b"busy", GroupStart::Id(StreamId::MIN), false, None)
        .await
        .expect("create");
    let opts = XReadGroupOptions::default().count(2);
    for consumer in [b"alice".as_slice(), b"bob"] {
        s.xreadgroup(
            b"busy",
            consumer,
            &[(b"m".as_slice(), GroupReadId::New)],
            &opts,
            None,
        )
        .await
        .expect("read");
    }
    // Created below a deletion: Redis cannot tell its lag (nil).
    s.xgroup_create(b"m", b"unknown", GroupStart::Id(id(1, 1)), false, None)
        .await
        .expect("create");
}

async fn check<S: WorkerOps + Clone + 'static>(s: &S, name: &str) {
    setup(s).await;
    let text = Exporter::new(s.clone(), &["m", "missing"])
        .render()
        .await
        .expect("render");
    if std::env::var("BROOK_SHOW_EXPOSITION").is_ok() {
        eprintln!("{text}");
    }
    let scrape = parse(&text);
    let info = s.xinfo_stream(b"m").await.expect("xinfo");
    let st = [("db", "db0"), ("stream", "m")];
    assert_eq!(
        one(&scrape, "redis_stream_length", &st),
        info.summary.length as f64
    );
    assert_eq!(
        one(&scrape, "redis_stream_radix_tree_keys", &st),
        info.summary.radix_tree_keys as f64
    );
    assert_eq!(one(&scrape, "redis_stream_groups", &st), 2.0);
    assert_eq!(one(&scrape, "redis_stream_last_generated_id", &st), 5.0);
    assert_eq!(one(&scrape, "redis_stream_max_deleted_entry_id", &st), 3.0);
    assert_eq!(one(&scrape, "redis_stream_first_entry_id", &st), 1.0);
    assert_eq!(one(&scrape, "redis_stream_last_entry_id", &st), 5.0);
    assert_eq!(
        one(&scrape, "redis_stream_entries_added_total", &st),
        info.summary.entries_added as f64
    );
    assert!(find(&scrape, "redis_stream_length", &[("stream", "missing")]).is_empty());
    for g in s.xinfo_groups(b"m").await.expect("groups") {
        let gname = String::from_utf8_lossy(&g.name).into_owned();
        let gl = [("stream", "m"), ("group", gname.as_str())];
        assert_eq!(
            one(&scrape, "redis_stream_group_messages_pending", &gl),
            g.pending as f64
        );
        assert_eq!(
            one(&scrape, "redis_stream_group_consumers", &gl),
            g.consumers as f64
        );
        assert_eq!(
            one(&scrape, "redis_stream_group_last_delivered_id", &gl),
            g.last_delivered_id.ms as f64
        );
        match g.lag {
            Some(lag) => assert_eq!(one(&scrape, "redis_stream_group_lag", &gl), lag as f64),
            None => assert!(
                find(&scrape, "redis_stream_group_lag", &gl).is_empty(),
                "{name}: a nil lag is absent, not 0"
            ),
        }
        for c in s.xinfo_consumers(b"m", &g.name).await.expect("consumers") {
            let cname = String::from_utf8_lossy(&c.name).into_owned();
            let cl = [("group", gname.as_str()), ("consumer", cname.as_str())];
            assert_eq!(
                one(&scrape, "redis_stream_group_consumer_messages_pending", &cl),
                c.pending as f64
            );
            let idle = one(&scrape, "redis_stream_group_consumer_idle_seconds", &cl);
            assert!(
                (idle - c.idle as f64 / 1e3).abs() < 1.0,
                "{name}: idle {idle}"
            );
        }
    }
    let lags: HashMap<_, _> = s
        .xinfo_groups(b"m")
        .await
        .expect("groups")
        .into_iter()
        .map(|g| (g.name, g.lag))
        .collect();
    assert_eq!(
        lags.get(&b"unknown"[..]),
        Some(&None),
        "{name}: the setup has a nil lag"
    );
    let oldest = one(
        &scrape,
        "brook_stream_group_oldest_pending_age_seconds",
        &[("group", "busy")],
    );
    let now = s.now_ms() as f64 / 1e3;
    assert!(
        (oldest - (now - 0.001)).abs() < 5.0,
        "{name}: oldest pending age {oldest}"
    );
    eprintln!(
        "metrics: {name}: {} samples match XINFO",
        scrape.samples.len()
    );
}

#[test]
fn the_exposition_equals_xinfo() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let b = brook::connect("mem://").await.expect("mem");
        check(&b, "engine").await;
    });
    for kind in ServerKind::ALL {
        let Some(server) = ServerGuard::start(kind) else {
            continue;
        };
        let url = format!("redis://127.0.0.1:{}/", server.port());
        rt.block_on(async {
            let b = brook::connect(&url).await.expect("connect");
            check(&b, kind.name()).await;
        });
    }
}

/// A worker's counters and histograms, and `/metrics` over HTTP (feature
/// `metrics-http`, its own CI step).
#[cfg(feature = "metrics-http")]
#[test]
fn worker_metrics_over_http() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let b = brook::connect("mem://").await.expect("mem");
        for _ in 0..10 {
            brook::Streams::xadd(&b, "http", &[("f", "v")])
                .await
                .expect("xadd");
        }
        let h = Worker::builder(b.clone(), "http", "g")
            .consumer("metrics-w")
            .block(Duration::from_millis(50))
            .build()
            .spawn(|_m: Message| async { Ok(()) });
        h.wait_for(|s| s.acked >= 10).await;
        let exporter = Exporter::new(b.clone(), &["http"]);
        exporter.watch_worker(&h);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = metrics::serve(exporter, listener);
        let get = |path: &'static str| async move {
            let mut c = tokio::net::TcpStream::connect(addr).await.expect("connect");
            c.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                .await
                .expect("write");
            let mut out = String::new();
            c.read_to_string(&mut out).await.expect("read");
            out
        };
        let resp = get("/metrics").await;
        let (head, body) = resp.split_once("\r\n\r\n").expect("a response");
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
        assert!(head.contains("application/openmetrics-text"), "{head}");
        assert!(body.ends_with("# EOF\n"), "an OpenMetrics body");
        let scrape = parse(body);
        let w = [("consumer", "metrics-w")];
        assert_eq!(one(&scrape, "brook_worker_processed_total", &w), 10.0);
        assert_eq!(one(&scrape, "brook_worker_acked_total", &w), 10.0);
        let hist: Vec<&Sample> = find(&scrape, "brook_worker_deliveries", &w);
        assert_eq!(hist.len(), 1, "one histogram for the worker");
        match &hist[0].value {
            Value::Histogram(buckets) => {
                let first = buckets.iter().find(|b| b.less_than == 1.0).expect("le=1");
                assert_eq!(first.count, 10.0, "ten first deliveries");
            }
            other => panic!("not a histogram: {other:?}"),
        }
        assert!(get("/other").await.starts_with("HTTP/1.1 404"));
        server.abort();
        h.shutdown().await.expect("shutdown");
    });
}
