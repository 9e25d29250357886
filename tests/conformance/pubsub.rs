//! Pub/sub on every backend: the same subscribers (channels, Redis glob patterns,
//! a channel and a pattern naming the same thing, a duplicate subscription) and the same
//! publishes on the engine and on Redis 8.6.3, Valkey 9.1 and Redis 7.0.15 (RESP2 and
//! RESP3); every PUBLISH count and every subscriber's messages equal, in the order they
//! are delivered; no replay for a late subscriber.
//!
//! Order: a subscriber gets the messages in publish order, and for one publish the
//! channel's message before the patterns' (checked on every backend). Among the messages
//! one publish makes through *several* matching patterns Redis sets no order: it walks
//! its pattern dictionary, whose hash seed is random per process (`pubsub.c`,
//! `pubsubPublishMessageInternal`); only that run of messages is compared as a set.

use brook::{PubSub, Subscription};
use brook_test_support::{ServerGuard, ServerKind};
use bytes::Bytes;

type Got = Vec<(Bytes, Option<Bytes>, Bytes)>;

const SUBSCRIBERS: &[(&[&str], &[&str])] = &[
    (&["news", "sports"], &[]),
    (
        &[],
        &[
            "n*",
            "*s",
            "h?llo",
            "h[ae]llo",
            "h[^e]llo",
            "h[a-b]llo",
            "\\*star",
            "[z-x]ero",
        ],
    ),
    (&["news"], &["news"]),
    (&["news", "news"], &[]),
];

const PUBLISHES: &[&str] = &[
    "news", "sports", "hello", "hallo", "hbllo", "hillo", "*star", "xstar", "", "yero", "news",
];

async fn run<P: PubSub>(p: &P) -> (Vec<u64>, Vec<Got>) {
    let mut subs = Vec::new();
    for (channels, patterns) in SUBSCRIBERS {
        let mut ch: Vec<&[u8]> = channels.iter().map(|c| c.as_bytes()).collect();
        ch.push(b"end");
        let pat: Vec<&[u8]> = patterns.iter().map(|c| c.as_bytes()).collect();
        subs.push(p.subscribe(&ch, &pat).await.expect("subscribe"));
    }
    let mut counts = Vec::new();
    for (i, channel) in PUBLISHES.iter().enumerate() {
        let n = p
            .publish(channel.as_bytes(), format!("m{i}").as_bytes())
            .await
            .expect("publish");
        counts.push(n);
    }
    counts.push(p.publish(b"end", b"end").await.expect("publish"));
    // A subscriber that arrives now sees nothing of the above.
    let mut late = p
        .subscribe(&[b"news", b"end2"], &[b"*"])
        .await
        .expect("late");
    counts.push(p.publish(b"end2", b"x").await.expect("publish"));
    let first = late.next().await.expect("late message");
    assert_eq!(&first.payload[..], b"x", "no replay for a late subscriber");
    let mut all = Vec::new();
    for mut s in subs {
        let mut got: Got = Vec::new();
        loop {
            let m = tokio::time::timeout(std::time::Duration::from_secs(10), s.next())
                .await
                .expect("a message in time")
                .expect("message");
            if &m.channel[..] == b"end" && m.pattern.is_none() {
                break;
            }
            got.push((m.channel, m.pattern, m.payload));
        }
        all.push(delivery_order(got));
    }
    (counts, all)
}

/// `got` as delivered, except that the pattern messages of one publish (one payload:
/// every publish has its own) are put in pattern order; panics unless every publish's
/// messages are delivered together, the channel's first.
fn delivery_order(got: Got) -> Got {
    let mut out: Got = Vec::new();
    let mut run: Got = Vec::new();
    for m in got {
        if run.last().is_some_and(|last| last.2 != m.2) {
            run.sort_by(|a, b| a.1.cmp(&b.1));
            out.append(&mut run);
        }
        assert!(
            !out.iter().any(|o| o.2 == m.2),
            "the messages of one publish are delivered together: {m:?}"
        );
        assert!(
            m.1.is_some() || run.iter().all(|r| r.1.is_none()),
            "a channel's message comes before the patterns' messages: {m:?} after {run:?}"
        );
        run.push(m);
    }
    run.sort_by(|a, b| a.1.cmp(&b.1));
    out.append(&mut run);
    out
}

#[test]
fn fan_out_and_patterns_equal_redis() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let engine = rt.block_on(async {
        let b = brook::connect("mem://").await.expect("mem");
        run(&b).await
    });
    assert!(
        engine.1.iter().all(|g| !g.is_empty()),
        "every subscriber got something"
    );
    for kind in ServerKind::ALL {
        let Some(server) = ServerGuard::start(kind) else {
            continue;
        };
        for proto in ["", "?protocol=resp3"] {
            let url = format!("redis://127.0.0.1:{}/{proto}", server.port());
            let theirs = rt.block_on(async {
                let b = brook::connect(&url).await.expect("connect");
                run(&b).await
            });
            assert_eq!(engine.0, theirs.0, "{kind}{proto}: PUBLISH counts");
            for (i, (a, b)) in engine.1.iter().zip(&theirs.1).enumerate() {
                assert_eq!(a, b, "{kind}{proto}: subscriber {i}'s messages");
            }
            eprintln!(
                "pubsub: {kind}{proto}: {} publishes, {} deliveries equal",
                theirs.0.len(),
                theirs.1.iter().map(Vec::len).sum::<usize>()
            );
        }
    }
}
