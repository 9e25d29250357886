//! Redis Cluster's slot rule, on an engine in cluster mode (`mem://?cluster=1`): keys
//! of one logical queue share a `{tag}` and work together; a command or atomic batch
//! whose keys cross slots fails with CROSSSLOT and changes nothing.

use brook::{
    Block, Command, Error, GroupReadId, GroupStart, Streams, WorkerOps, XAddOptions,
    XReadGroupOptions, XReadId,
};
use bytes::Bytes;

/// The body, generic over the backend.
pub async fn slot_rules<S: WorkerOps>(s: &S) -> Result<(), Error> {
    let add = |k: &'static [u8]| Command::XAdd {
        key: Bytes::from_static(k),
        opts: XAddOptions::default(),
        fields: vec![(Bytes::from_static(b"f"), Bytes::from_static(b"v"))],
    };
    // One queue's keys share a hash tag: multi-key work is fine.
    s.xadd_with(b"{q}:jobs", &XAddOptions::default(), &[("f", "v")])
        .await?;
    s.xadd_with(b"{q}:dead", &XAddOptions::default(), &[("f", "v")])
        .await?;
    let both = [
        (&b"{q}:jobs"[..], XReadId::After(brook::StreamId::MIN)),
        (&b"{q}:dead"[..], XReadId::After(brook::StreamId::MIN)),
    ];
    assert_eq!(s.xread(&both, None, None).await?.len(), 2);
    let got = s.atomic(&[add(b"{q}:jobs"), add(b"{q}:dead")]).await?;
    assert!(got.iter().all(Result::is_ok));
    // Across slots: refused, nothing applied.
    let cross = [
        (&b"a"[..], XReadId::After(brook::StreamId::MIN)),
        (&b"b"[..], XReadId::After(brook::StreamId::MIN)),
    ];
    assert_eq!(s.xread(&cross, None, None).await, Err(Error::CrossSlot));
    s.xgroup_create(b"{q}:jobs", b"g", GroupStart::Last, false, None)
        .await?;
    let group_cross = [
        (&b"{q}:jobs"[..], GroupReadId::New),
        (&b"other"[..], GroupReadId::New),
    ];
    assert_eq!(
        s.xreadgroup(
            b"g",
            b"c",
            &group_cross,
            &XReadGroupOptions::default(),
            None
        )
        .await,
        Err(Error::CrossSlot)
    );
    assert_eq!(
        s.del(&["{q}:jobs", "elsewhere"]).await,
        Err(Error::CrossSlot)
    );
    assert_eq!(
        s.atomic(&[add(b"{q}:jobs"), add(b"elsewhere")]).await,
        Err(Error::CrossSlot)
    );
    assert_eq!(
        s.xlen(b"{q}:jobs").await?,
        2,
        "the refused batch added nothing"
    );
    assert_eq!(s.xlen(b"elsewhere").await?, 0);
    // A pipeline is not atomic: each command on its own key is fine.
    let got = s.pipeline(&[add(b"{q}:jobs"), add(b"elsewhere")]).await?;
    assert!(got.iter().all(Result::is_ok));
    assert_eq!(s.del(&[b"{q}:jobs", b"{q}:dead"]).await?, 2);
    Ok(())
}

#[test]
fn an_engine_in_cluster_mode_keeps_the_slot_rule() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let s = brook::connect("mem://?cluster=1").await.expect("mem");
        slot_rules(&s).await.expect("slot rules");
        // The command layer answers with Redis Cluster's text.
        let engine = s.engine().expect("engine");
        assert_eq!(
            engine.execute_str(&["XREAD", "STREAMS", "a", "b", "0", "0"]),
            brook::Reply::Error(Error::CrossSlot)
        );
        assert_eq!(engine.del(&["a", "b"]), Err(Error::CrossSlot));
        assert_eq!(engine.exists(&["{q}:a", "{q}:b"]), Ok(0));
        assert_eq!(
            Error::CrossSlot.to_string(),
            "CROSSSLOT Keys in request don't hash to the same slot"
        );
        // Without cluster mode the same calls work.
        let plain = brook::connect("mem://").await.expect("mem");
        let cross = [(&b"a"[..], XReadId::Last), (&b"b"[..], XReadId::Last)];
        assert_eq!(plain.xread(&cross, None, None).await, Ok(vec![]));
    });
}

/// The conformance cases whose keys stay in one slot per command (the others, by
/// design, read or delete several unrelated keys at once, which a cluster refuses).
const SINGLE_SLOT_CASES: &[&str] = &[
    "xadd_ids_and_errors",
    "trimming",
    "xsetid",
    "group_lifecycle",
    "readgroup_new_history_noack",
    "pending_and_ack",
    "claiming",
    "introspection",
    "xdelex_policies",
    "xackdel_policies",
    "pipeline_and_atomic_batches",
    "owner_conditional_operations",
    "owner_race_dead_letter_once",
    "owner_race_ack_and_touch",
    "mark_and_ack_if_new",
    "trimming_with_references",
    "readgroup_claim",
    "blocked_group_read_woken_by_another_client",
    "block_times_out_empty",
];

fn text(f: &brook_test_support::Frame) -> String {
    match f {
        brook_test_support::Frame::Bulk(b) | brook_test_support::Frame::Simple(b) => {
            String::from_utf8_lossy(b).into_owned()
        }
        other => format!("{other:?}"),
    }
}

/// Starts moving `slot` from the node at `from` to the node at `to` and migrates its
/// keys (the slot is then MIGRATING/IMPORTING: the old node answers ASK for the moved
/// keys); returns the new owner's node ID for [`finish_move`].
fn migrate_slot(
    cluster: &brook_test_support::ClusterGuard,
    slot: u16,
    from: usize,
    to: usize,
) -> String {
    let nodes = cluster.nodes();
    let id = |i: usize| text(&nodes[i].connect().call_str(&["CLUSTER", "MYID"]));
    let (src, dst) = (id(from), id(to));
    let slot_s = slot.to_string();
    let mut d = nodes[to].connect();
    let mut s = nodes[from].connect();
    assert_eq!(
        text(&d.call_str(&["CLUSTER", "SETSLOT", &slot_s, "IMPORTING", &src])),
        "OK"
    );
    assert_eq!(
        text(&s.call_str(&["CLUSTER", "SETSLOT", &slot_s, "MIGRATING", &dst])),
        "OK"
    );
    loop {
        let keys = s.call_str(&["CLUSTER", "GETKEYSINSLOT", &slot_s, "100"]);
        let brook_test_support::Frame::Array(keys) = keys else {
            panic!("GETKEYSINSLOT: {keys:?}")
        };
        if keys.is_empty() {
            break;
        }
        let port = nodes[to].port().to_string();
        let mut argv: Vec<String> = ["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        argv.extend(keys.iter().map(text));
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        assert_eq!(text(&s.call_str(&argv)), "OK", "MIGRATE");
    }
    dst
}

/// Ends a move: every node assigns `slot` to `dst`.
fn finish_move(cluster: &brook_test_support::ClusterGuard, slot: u16, dst: &str) {
    for node in cluster.nodes() {
        node.connect()
            .call_str(&["CLUSTER", "SETSLOT", &slot.to_string(), "NODE", dst]);
    }
}

/// The index of the node serving `slot` as [`brook_test_support::ClusterGuard`] split
/// the slots.
fn owner_of(slot: u16) -> usize {
    usize::from(slot > 5460) + usize::from(slot > 10922)
}

#[test]
fn a_valkey_cluster_through_the_adapter() {
    cluster_through_the_adapter(brook_test_support::ServerKind::Valkey);
}

#[test]
fn a_redis_7_cluster_through_the_adapter() {
    cluster_through_the_adapter(brook_test_support::ServerKind::Redis);
}

fn cluster_through_the_adapter(kind: brook_test_support::ServerKind) {
    let Some(cluster) = brook_test_support::ClusterGuard::start(kind) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = cluster.url();
    // The same slot rules as the engine in cluster mode.
    let s = rt
        .block_on(brook::connect(&url))
        .expect("connect to the cluster");
    rt.block_on(slot_rules(&s))
        .expect("slot rules on the cluster");
    // The single-slot conformance cases, every reply as on the other backends.
    let mut ran = 0;
    for case in crate::cases::CASES
        .iter()
        .filter(|c| SINGLE_SLOT_CASES.contains(&c.name))
    {
        cluster.on_every_node(&["FLUSHALL"]);
        let body = case.body;
        rt.block_on(body(&s))
            .unwrap_or_else(|e| panic!("{} on the cluster: {e:?}", case.name));
        ran += 1;
    }
    assert_eq!(ran, SINGLE_SLOT_CASES.len());
    eprintln!("cluster: slot rules and {ran} conformance cases on a 3-master {kind} cluster");

    // Resharding: the slot of a queue moves to another node while the adapter keeps
    // using it; commands and a blocking read follow the move.
    cluster.on_every_node(&["FLUSHALL"]);
    rt.block_on(async {
        let key = b"{moving}:jobs";
        s.xgroup_create(key, b"g", GroupStart::Id(brook::StreamId::MIN), true, None)
            .await?;
        s.xadd_with(key, &XAddOptions::default(), &[("n", "1")])
            .await?;
        let new = [(&key[..], GroupReadId::New)];
        // A blocking read first, so the adapter has the slot's node cached.
        let got = s
            .xreadgroup(
                b"g",
                b"c",
                &new,
                &XReadGroupOptions::default(),
                Some(Block::from_millis(1000)),
            )
            .await?;
        assert_eq!(got[0].entries.len(), 1);
        Ok::<_, Error>(())
    })
    .expect("before the move");
    let slot = brook::key_slot(b"{moving}:jobs");
    let owner = owner_of(slot);
    let dst = migrate_slot(&cluster, slot, owner, (owner + 1) % 3);
    finish_move(&cluster, slot, &dst);
    rt.block_on(async {
        let key = b"{moving}:jobs";
        s.xadd_with(key, &XAddOptions::default(), &[("n", "2")])
            .await?;
        assert_eq!(s.xlen(key).await?, 2, "the stream moved with its slot");
        let new = [(&key[..], GroupReadId::New)];
        let got = s
            .xreadgroup(
                b"g",
                b"c",
                &new,
                &XReadGroupOptions::default(),
                Some(Block::from_millis(1000)),
            )
            .await?;
        assert_eq!(
            got[0].entries.len(),
            1,
            "the blocking read followed MOVED to the new node"
        );
        assert_eq!(s.xpending(key, b"g").await?.count, 2);
        Ok::<_, Error>(())
    })
    .expect("after the move");

    // Mid-migration: the key is already on the importing node, the old one answers
    // ASK; the blocking read asks there.
    let key = b"{asking}:jobs";
    rt.block_on(async {
        s.xgroup_create(key, b"g", GroupStart::Id(brook::StreamId::MIN), true, None)
            .await?;
        s.xadd_with(key, &XAddOptions::default(), &[("n", "1")])
            .await
    })
    .expect("before the migration");
    let slot = brook::key_slot(key);
    let owner = owner_of(slot);
    let dst = migrate_slot(&cluster, slot, owner, (owner + 1) % 3);
    let got = rt
        .block_on(async {
            let new = [(&key[..], GroupReadId::New)];
            s.xreadgroup(
                b"g",
                b"c",
                &new,
                &XReadGroupOptions::default(),
                Some(Block::from_millis(1000)),
            )
            .await
        })
        .expect("a blocking read during the migration");
    assert_eq!(
        got[0].entries.len(),
        1,
        "the read followed ASK to the importing node"
    );
    finish_move(&cluster, slot, &dst);
}
