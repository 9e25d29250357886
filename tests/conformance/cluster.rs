//! Redis Cluster's slot rule, on an engine in cluster mode (`mem://?cluster=1`): keys
//! of one logical queue share a `{tag}` and work together; a command or atomic batch
//! whose keys cross slots fails with CROSSSLOT and changes nothing.

use brook::{
    Command, Error, GroupReadId, GroupStart, Streams, XAddOptions, XReadGroupOptions, XReadId,
};
use bytes::Bytes;

/// The body, generic over the backend.
pub async fn slot_rules<S: Streams>(s: &S) -> Result<(), Error> {
    let add = |k: &'static [u8]| Command::XAdd {
        key: Bytes::from_static(k),
        opts: XAddOptions::default(),
        fields: vec![(Bytes::from_static(b"f"), Bytes::from_static(b"v"))],
    };
    // One queue's keys share a hash tag: multi-key work is fine.
    s.xadd(b"{q}:jobs", &XAddOptions::default(), &[("f", "v")])
        .await?;
    s.xadd(b"{q}:dead", &XAddOptions::default(), &[("f", "v")])
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
        s.del(&[b"{q}:jobs", b"elsewhere"]).await,
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
