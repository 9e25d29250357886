//! `redis+sentinel://`: the adapter finds the master through a Sentinel and, after a
//! failover, reports the failure of the command that met the old master and then
//! works against the new one — without being rebuilt, and without resending anything.

use std::time::{Duration, Instant};

use brook::{Error, Streams, XAddOptions};
use brook_test_support::{Frame, SentinelGuard, ServerGuard, ServerKind};

fn text(f: &Frame) -> String {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Error(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        other => format!("{other:?}"),
    }
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_sentinel_failover_is_reported_then_followed() {
    let Some(master) = ServerGuard::start(ServerKind::Redis) else {
        return;
    };
    let master_port = master.port().to_string();
    let replica = ServerGuard::start_with(
        ServerKind::Redis,
        &["--replicaof", "127.0.0.1", &master_port],
    )
    .expect("replica");
    wait_for("the replica to sync", || {
        text(&replica.connect().call_str(&["INFO", "replication"]))
            .contains("master_link_status:up")
    });
    let sentinel = SentinelGuard::start(&master);
    let sentinel_port = sentinel.port();
    let mut sc = brook_test_support::RespConn::connect(sentinel_port).expect("sentinel");
    wait_for(
        "the sentinel to see the replica",
        || matches!(sc.call_str(&["SENTINEL", "REPLICAS", "mymaster"]), Frame::Array(r) if !r.is_empty()),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("redis+sentinel://127.0.0.1:{sentinel_port}/mymaster");
    let s = rt
        .block_on(brook::connect(&url))
        .expect("connect through the sentinel");
    let opts = XAddOptions::default();
    let add = || s.xadd_with(b"s", &opts, &[("f", "v")]);
    rt.block_on(add()).expect("xadd on the first master");
    wait_for("the write to reach the replica", || {
        matches!(
            replica.connect().call_str(&["XLEN", "s"]),
            Frame::Integer(1)
        )
    });
    // Until the Sentinel has the replica's own INFO it answers NOGOODSLAVE.
    wait_for("the sentinel to start a failover", || {
        text(&sc.call_str(&["SENTINEL", "FAILOVER", "mymaster"])) == "OK"
    });
    let new_port = replica.port().to_string();
    wait_for("the sentinel to name the new master", || {
        matches!(sc.call_str(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"]),
            Frame::Array(a) if a.get(1).map(text).as_deref() == Some(new_port.as_str()))
    });
    // Once the old master is a replica, the first command meets it and fails with its
    // READONLY (a write accepted before the demotion would be lost with it — no client
    // can tell; that is Sentinel's own window); then the adapter is on the new master.
    wait_for("the old master to be demoted", || {
        text(&master.connect().call_str(&["INFO", "replication"])).contains("role:slave")
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut failures = Vec::new();
    loop {
        match rt.block_on(add()) {
            Ok(_) => break,
            Err(e @ (Error::NotSent(_) | Error::OutcomeUnknown(_))) => failures.push(e),
            Err(Error::Server(t)) if t.starts_with(b"READONLY") => failures.push(Error::Server(t)),
            Err(other) => panic!("unexpected error during the failover: {other:?}"),
        }
        assert!(
            Instant::now() < deadline,
            "never reached the new master: {failures:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "sentinel failover: {} failed command(s) before the new master: {failures:?}",
        failures.len()
    );
    assert_eq!(rt.block_on(s.xlen(b"s")), Ok(2));
    assert!(
        matches!(
            replica.connect().call_str(&["XLEN", "s"]),
            Frame::Integer(2)
        ),
        "the writes went to the promoted replica"
    );
    drop(sentinel);
}
