//! `brook::connect`: what each URL opens, and what it refuses.

use std::time::Duration;

use brook::{Block, Error, StreamId, Streams, XAddOptions, XReadId};
use brook_test_support::{ServerGuard, ServerKind};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn add(s: &brook::Backend) -> Result<Option<StreamId>, Error> {
    s.xadd_with(b"s", &XAddOptions::default(), &[("f", "v")])
        .await
}

#[test]
fn mem_urls_open_fresh_or_named_engines() {
    rt().block_on(async {
        let a = brook::connect("mem://").await.expect("mem");
        let b = brook::connect("mem://").await.expect("mem");
        add(&a).await.expect("xadd");
        assert_eq!(
            b.xlen(b"s").await,
            Ok(0),
            "mem:// is a fresh engine each time"
        );
        let n1 = brook::connect("mem://conformance-named?node_max_entries=5")
            .await
            .expect("named");
        let n2 = brook::connect("mem://conformance-named")
            .await
            .expect("named again");
        add(&n1).await.expect("xadd");
        assert_eq!(n2.xlen(b"s").await, Ok(1), "mem://NAME is shared");
        assert!(n2.engine().is_some() && n2.manual_clock().is_none());
        for bad in [
            "mem://conformance-named?node_max_entries=6",
            "mem://?clock=sometimes",
            "mem://?node_max_bytes=-1",
            "mem://?bogus=1",
            "mem://?start_ms=5",
            "mem://?novalue",
            "redis+cluster://",
            "redis+sentinel://127.0.0.1:26379",
            "kafka://localhost",
            "no-scheme",
        ] {
            match brook::connect(bad).await {
                Err(Error::InvalidUrl(why)) => assert!(!why.is_empty()),
                other => panic!("{bad} must be refused, got {other:?}"),
            }
        }
    });
}

#[test]
fn a_manual_clock_drives_ids_and_block_timeouts() {
    rt().block_on(async {
        let s = brook::connect("mem://?clock=manual&start_ms=1000")
            .await
            .expect("mem");
        assert_eq!(add(&s).await, Ok(Some(StreamId::new(1000, 0))));
        let clock = s.manual_clock().expect("manual clock").clone();
        clock.advance(5);
        assert_eq!(add(&s).await, Ok(Some(StreamId::new(1005, 0))));
        // BLOCK 5000 ends when the clock says so, not after five real seconds.
        let reader = {
            let s = s.clone();
            tokio::spawn(async move {
                s.xread(
                    &[(b"s", XReadId::Last)],
                    None,
                    Some(Block::from_millis(5000)),
                )
                .await
            })
        };
        let engine = s.engine().expect("engine").clone();
        while engine.blocked_readers() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        clock.advance(4999);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!reader.is_finished(), "not yet: 1 ms of BLOCK left");
        clock.advance(1);
        let got = tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .expect("the timeout fired on advance")
            .expect("task");
        assert_eq!(got, Ok(vec![]));
    });
}

#[test]
fn redis_urls_open_the_adapter() {
    let Some(server) = ServerGuard::start(ServerKind::Valkey) else {
        return;
    };
    rt().block_on(async {
        let url = format!("redis://127.0.0.1:{}/", server.port());
        let s = brook::connect(&url).await.expect("connect");
        assert!(s.engine().is_none() && s.manual_clock().is_none());
        add(&s).await.expect("xadd");
        assert_eq!(s.xlen(b"s").await, Ok(1));
        // Nothing listens on port 1: the command cannot have been sent.
        for url in [
            "redis://127.0.0.1:1/",
            "redis+cluster://127.0.0.1:1",
            "redis+sentinel://127.0.0.1:1/mymaster",
        ] {
            match brook::connect(url).await {
                Err(Error::NotSent(_)) => {}
                other => panic!("a refused connection is NotSent, got {other:?}"),
            }
        }
    });
}

#[test]
fn redis_urls_carry_acl_credentials() {
    // The default user stays open (the guard probes with it); alice may touch only
    // `{q}:*` keys, which shows which user the adapter is.
    let Some(server) = ServerGuard::start_with(
        ServerKind::Valkey,
        &["--user", "alice", "on", ">s3cret", "~{q}:*", "+@all"],
    ) else {
        return;
    };
    rt().block_on(async {
        let port = server.port();
        let s = brook::connect(&format!("redis://alice:s3cret@127.0.0.1:{port}/"))
            .await
            .expect("connect as alice");
        s.xadd_with(b"{q}:jobs", &XAddOptions::default(), &[("f", "v")])
            .await
            .expect("alice may write {q}:jobs");
        match add(&s).await {
            Err(Error::Server(text)) => assert!(text.starts_with(b"NOPERM"), "{text:?}"),
            other => panic!("alice may not touch `s`: {other:?}"),
        }
        match brook::connect(&format!("redis://alice:wrong@127.0.0.1:{port}/")).await {
            Err(Error::NotSent(_)) => {}
            other => panic!("a refused login sends nothing: {other:?}"),
        }
    });
}

/// `rediss://` against Debian's redis-server (built with TLS) on a TLS port, with a
/// self-signed certificate made here by `openssl` (`#insecure`: not verified).
#[cfg(feature = "tls")]
#[test]
fn rediss_urls_speak_tls() {
    let dir = std::env::temp_dir().join(format!("brook-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(
            !brook_test_support::require_redis(),
            "openssl is needed: {made:?}"
        );
        eprintln!("SKIP: rediss_urls_speak_tls needs the openssl command");
        return;
    }
    let tls_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let (cert_s, key_s) = (cert.display().to_string(), key.display().to_string());
    let Some(_server) = ServerGuard::start_with(
        ServerKind::Redis,
        &[
            "--tls-port",
            &tls_port,
            "--tls-cert-file",
            &cert_s,
            "--tls-key-file",
            &key_s,
            "--tls-ca-cert-file",
            &cert_s,
            "--tls-auth-clients",
            "no",
        ],
    ) else {
        return;
    };
    rt().block_on(async {
        let s = brook::connect(&format!("rediss://127.0.0.1:{tls_port}/#insecure"))
            .await
            .expect("connect over TLS");
        add(&s).await.expect("xadd over TLS");
        assert_eq!(s.xlen(b"s").await, Ok(1));
        // Plain text to the TLS port gets no answer it can use.
        assert!(brook::connect(&format!("redis://127.0.0.1:{tls_port}/"))
            .await
            .is_err());
    });
    let _ = std::fs::remove_dir_all(&dir);
}
