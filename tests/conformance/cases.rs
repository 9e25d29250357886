//! The cases: each an `async fn` generic over the backend, written once. IDs are
//! explicit wherever a reply depends on them, so every reply is known exactly; no case
//! asserts a wall-clock value.

use std::time::Duration;

use brook::{
    Block, Claimed, Command, CommandReply, DeliveryInfo, Error, GroupEntry, GroupReadId,
    GroupStart, RefPolicy, StreamId, TrimOptions, WorkerOps, XAddOptions, XAutoClaimOptions,
    XClaimOptions, XPendingRange, XPendingSummary, XReadGroupOptions, XReadId, XSetIdOptions,
};
use bytes::Bytes;

use crate::backends::Run;

/// One case of the matrix.
pub struct Case {
    /// Its name in failure reports.
    pub name: &'static str,
    /// Its body, on a backend from [`brook::connect`].
    pub body: for<'a> fn(&'a brook::Backend) -> Run<'a>,
}

/// Every case.
pub static CASES: &[Case] = &[
    Case {
        name: "group_story",
        body: |s| Box::pin(group_story(s)),
    },
    Case {
        name: "xadd_ids_and_errors",
        body: |s| Box::pin(xadd_ids_and_errors(s)),
    },
    Case {
        name: "xadd_many_batch",
        body: |s| Box::pin(xadd_many_batch(s)),
    },
    Case {
        name: "ranges_and_deletes",
        body: |s| Box::pin(ranges_and_deletes(s)),
    },
    Case {
        name: "trimming",
        body: |s| Box::pin(trimming(s)),
    },
    Case {
        name: "xsetid",
        body: |s| Box::pin(xsetid(s)),
    },
    Case {
        name: "xread_several_streams",
        body: |s| Box::pin(xread_several_streams(s)),
    },
    Case {
        name: "group_lifecycle",
        body: |s| Box::pin(group_lifecycle(s)),
    },
    Case {
        name: "readgroup_new_history_noack",
        body: |s| Box::pin(readgroup_new_history_noack(s)),
    },
    Case {
        name: "pending_and_ack",
        body: |s| Box::pin(pending_and_ack(s)),
    },
    Case {
        name: "claiming",
        body: |s| Box::pin(claiming(s)),
    },
    Case {
        name: "introspection",
        body: |s| Box::pin(introspection(s)),
    },
    Case {
        name: "xdelex_policies",
        body: |s| Box::pin(xdelex_policies(s)),
    },
    Case {
        name: "xackdel_policies",
        body: |s| Box::pin(xackdel_policies(s)),
    },
    Case {
        name: "pipeline_and_atomic_batches",
        body: |s| Box::pin(pipeline_and_atomic_batches(s)),
    },
    Case {
        name: "trimming_with_references",
        body: |s| Box::pin(trimming_with_references(s)),
    },
    Case {
        name: "regression_trimming_xadd_errors_keep_their_text",
        body: |s| Box::pin(regression_trimming_xadd_errors_keep_their_text(s)),
    },
    Case {
        name: "regression_trimming_xadd_checks_the_id_before_the_type",
        body: |s| Box::pin(regression_trimming_xadd_checks_the_id_before_the_type(s)),
    },
    Case {
        name: "owner_conditional_operations",
        body: |s| Box::pin(owner_conditional_operations(s)),
    },
    Case {
        name: "mark_and_ack_if_new",
        body: |s| Box::pin(mark_and_ack_if_new(s)),
    },
    Case {
        name: "owner_race_ack_and_touch",
        body: |s| Box::pin(owner_race_ack_and_touch(s)),
    },
    Case {
        name: "owner_race_dead_letter_once",
        body: |s| Box::pin(owner_race_dead_letter_once(s)),
    },
    Case {
        name: "readgroup_claim",
        body: |s| Box::pin(readgroup_claim(s)),
    },
    Case {
        name: "readgroup_claim_in_batches",
        body: |s| Box::pin(readgroup_claim_in_batches(s)),
    },
    Case {
        name: "empty_id_lists",
        body: |s| Box::pin(empty_id_lists(s)),
    },
    Case {
        name: "blocked_group_read_woken_by_another_client",
        body: |s| Box::pin(blocked_group_read(s)),
    },
    Case {
        name: "block_times_out_empty",
        body: |s| Box::pin(block_times_out_empty(s)),
    },
];

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

/// The fields of an entry added by [`add`]: `f` = `v`.
fn fields_f(v: &str) -> Option<Vec<(Bytes, Bytes)>> {
    Some(vec![(
        Bytes::from_static(b"f"),
        Bytes::copy_from_slice(v.as_bytes()),
    )])
}

/// `s` with entries 1-1 … 1-`n`, group `g` from the start, and `count` of them
/// delivered to `consumer`; the `>` read position, for more reads.
async fn delivered<S: WorkerOps>(
    s: &S,
    n: u64,
    consumer: &[u8],
    count: u64,
) -> Result<[(&'static [u8], GroupReadId); 1], Error> {
    fill(s, b"s", n).await?;
    s.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
        .await?;
    let new = [(&b"s"[..], GroupReadId::New)];
    let opts = XReadGroupOptions::default().count(count);
    s.xreadgroup(b"g", consumer, &new, &opts, None).await?;
    Ok(new)
}

fn ids_of<T>(items: &[T], f: impl Fn(&T) -> StreamId) -> Vec<StreamId> {
    items.iter().map(f).collect()
}

/// A group read's entries as `(id, fields, claim)`.
type Parts = (StreamId, Option<Vec<(Bytes, Bytes)>>, Option<DeliveryInfo>);

fn parts(entries: &[GroupEntry]) -> Vec<Parts> {
    entries
        .iter()
        .map(|e| (e.id, e.fields.clone(), e.claim))
        .collect()
}

/// XPENDING's bounds as `(smallest, greatest)`.
fn bounds(s: &XPendingSummary) -> Option<(StreamId, StreamId)> {
    s.bounds.map(|b| (b.smallest, b.greatest))
}

/// XPENDING's consumers as `(name, count)`.
fn consumers(s: &XPendingSummary) -> Vec<(Bytes, u64)> {
    s.consumers
        .iter()
        .map(|c| (c.name.clone(), c.pending))
        .collect()
}

async fn add<S: WorkerOps>(s: &S, key: &[u8], at: StreamId) -> Result<Option<StreamId>, Error> {
    let v = at.to_string();
    s.xadd_with(key, &XAddOptions::with_id(at), &[("f", v.as_str())])
        .await
}

async fn fill<S: WorkerOps>(s: &S, key: &[u8], n: u64) -> Result<(), Error> {
    for seq in 1..=n {
        add(s, key, id(1, seq)).await?;
    }
    Ok(())
}

async fn xadd_ids_and_errors<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    assert_eq!(add(s, b"s", id(5, 1)).await?, Some(id(5, 1)));
    assert_eq!(add(s, b"s", id(5, 1)).await, Err(Error::XAddIdTooSmall));
    assert_eq!(add(s, b"s", id(4, 9)).await, Err(Error::XAddIdTooSmall));
    assert_eq!(add(s, b"t", id(0, 0)).await, Err(Error::XAddIdZero));
    let seq = XAddOptions::with_id(brook::XAddId::AutoSeq(5));
    assert_eq!(
        s.xadd_with(b"s", &seq, &[("f", "v")]).await?,
        Some(id(5, 2))
    );
    let auto = s
        .xadd_with(b"s", &XAddOptions::default(), &[("f", "v")])
        .await?;
    assert!(
        auto.is_some_and(|a| a > id(5, 2)),
        "an auto ID is above the top"
    );
    let nomk = XAddOptions::default().nomkstream();
    assert_eq!(s.xadd_with(b"missing", &nomk, &[("f", "v")]).await?, None);
    assert_eq!(s.xlen(b"missing").await?, 0);
    assert_eq!(s.xlen(b"s").await?, 3);
    // Several fields, duplicate names kept, binary values.
    let fields: [(&[u8], &[u8]); 3] = [(b"a", b"1"), (b"a", b"\x00\xff"), (b"b", b"")];
    let at = s
        .xadd_with(b"bin", &XAddOptions::with_id(id(1, 1)), &fields[..])
        .await?;
    let got = s.xrange(b"bin", StreamId::MIN, StreamId::MAX, None).await?;
    assert_eq!(got.len(), 1);
    assert_eq!(Some(got[0].id), at);
    let want: Vec<(Bytes, Bytes)> = fields
        .iter()
        .map(|(f, v)| (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v)))
        .collect();
    assert_eq!(got[0].fields, want);
    Ok(())
}

async fn ranges_and_deletes<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    fill(s, b"s", 6).await?;
    let all = s.xrange(b"s", StreamId::MIN, StreamId::MAX, None).await?;
    assert_eq!(all.len(), 6);
    assert_eq!(all[2].get(b"f").map(|v| v.as_ref()), Some(&b"1-3"[..]));
    let mid = s.xrange(b"s", id(1, 2), id(1, 4), Some(2)).await?;
    assert_eq!(ids_of(&mid, |e| e.id), [id(1, 2), id(1, 3)]);
    let rev = s.xrevrange(b"s", StreamId::MAX, id(1, 3), Some(2)).await?;
    assert_eq!(ids_of(&rev, |e| e.id), [id(1, 6), id(1, 5)]);
    assert!(s.xrange(b"s", id(1, 5), id(1, 2), None).await?.is_empty());
    assert!(s
        .xrange(b"nokey", StreamId::MIN, StreamId::MAX, None)
        .await?
        .is_empty());
    assert_eq!(s.xdel(b"s", &[id(1, 2), id(1, 2), id(9, 9)]).await?, 1);
    assert_eq!(s.xlen(b"s").await?, 5);
    let after = s.xrange(b"s", id(1, 1), id(1, 3), None).await?;
    assert_eq!(ids_of(&after, |e| e.id), [id(1, 1), id(1, 3)]);
    assert_eq!(s.del(&["s", "nokey"]).await?, 1);
    Ok(())
}

async fn trimming<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    fill(s, b"s", 10).await?;
    assert_eq!(s.xtrim(b"s", &TrimOptions::maxlen(7)).await?, 3);
    assert_eq!(s.xtrim(b"s", &TrimOptions::minid(id(1, 6))).await?, 2);
    let left = s.xrange(b"s", StreamId::MIN, StreamId::MAX, None).await?;
    assert_eq!(left.first().map(|e| e.id), Some(id(1, 6)));
    // XADD with a cap trims as it adds.
    let capped = XAddOptions::with_id(id(2, 1)).trim(TrimOptions::maxlen(2));
    s.xadd_with(b"s", &capped, &[("f", "v")]).await?;
    assert_eq!(s.xlen(b"s").await?, 2);
    assert_eq!(s.xtrim(b"nokey", &TrimOptions::maxlen(0)).await?, 0);
    Ok(())
}

async fn xsetid<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    fill(s, b"s", 3).await?;
    let set = |last, added| {
        let mut o = XSetIdOptions::new(last);
        o.entries_added = added;
        o
    };
    assert_eq!(
        s.xsetid(b"s", &set(id(1, 2), None)).await,
        Err(Error::XSetIdBelowTop)
    );
    assert_eq!(
        s.xsetid(b"s", &set(id(9, 0), Some(2))).await,
        Err(Error::XSetIdEntriesAddedBelowLength)
    );
    s.xsetid(b"s", &set(id(9, 0), Some(10))).await?;
    assert_eq!(add(s, b"s", id(8, 0)).await, Err(Error::XAddIdTooSmall));
    assert_eq!(add(s, b"s", id(9, 1)).await?, Some(id(9, 1)));
    let info = s.xinfo_stream(b"s").await?;
    assert_eq!(info.summary.entries_added, 11);
    assert_eq!(info.summary.last_generated_id, id(9, 1));
    Ok(())
}

async fn xread_several_streams<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    fill(s, b"a", 3).await?;
    fill(s, b"b", 2).await?;
    let got = s
        .xread(
            &[
                (b"a", XReadId::After(id(1, 1))),
                (b"b", XReadId::After(StreamId::MIN)),
                (b"c", XReadId::After(StreamId::MIN)),
            ],
            Some(1),
            None,
        )
        .await?;
    let shape: Vec<(Bytes, Vec<StreamId>)> = got
        .into_iter()
        .map(|s| (s.key.clone(), ids_of(&s.entries, |e| e.id)))
        .collect();
    assert_eq!(
        shape,
        [
            (Bytes::from_static(b"a"), vec![id(1, 2)]),
            (Bytes::from_static(b"b"), vec![id(1, 1)])
        ]
    );
    assert!(s
        .xread(&[(b"a", XReadId::Last)], None, None)
        .await?
        .is_empty());
    Ok(())
}

async fn group_lifecycle<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    assert_eq!(
        s.xgroup_create(b"s", b"g", GroupStart::Last, false, None)
            .await,
        Err(Error::XGroupKeyMissing)
    );
    s.xgroup_create(b"s", b"g", GroupStart::Last, true, None)
        .await?;
    assert_eq!(
        s.xgroup_create(b"s", b"g", GroupStart::Last, true, None)
            .await,
        Err(Error::BusyGroup)
    );
    assert!(s.xgroup_createconsumer(b"s", b"g", b"c1").await?);
    assert!(!s.xgroup_createconsumer(b"s", b"g", b"c1").await?);
    assert_eq!(
        s.xgroup_createconsumer(b"s", b"nogroup", b"c1").await,
        Err(Error::no_such_group(b"s", b"nogroup"))
    );
    assert_eq!(s.xgroup_delconsumer(b"s", b"g", b"c1").await?, 0);
    assert_eq!(s.xgroup_delconsumer(b"s", b"g", b"never").await?, 0);
    s.xgroup_setid(b"s", b"g", GroupStart::Id(StreamId::MIN), None)
        .await?;
    assert_eq!(
        s.xgroup_setid(b"s", b"nogroup", GroupStart::Last, None)
            .await,
        Err(Error::no_such_group(b"s", b"nogroup"))
    );
    assert!(s.xgroup_destroy(b"s", b"g").await?);
    assert!(!s.xgroup_destroy(b"s", b"g").await?);
    assert_eq!(
        s.xgroup_destroy(b"nokey", b"g").await,
        Err(Error::XGroupKeyMissing)
    );
    Ok(())
}

async fn readgroup_new_history_noack<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    fill(s, b"s", 5).await?;
    s.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
        .await?;
    let two = XReadGroupOptions::default().count(2);
    let new = [(b"s".as_slice(), GroupReadId::New)];
    let a = s.xreadgroup(b"g", b"alice", &new, &two, None).await?;
    let b = s.xreadgroup(b"g", b"bob", &new, &two, None).await?;
    assert_eq!(&a[0].key[..], b"s");
    assert_eq!(
        parts(&a[0].entries),
        [
            (id(1, 1), fields_f("1-1"), None),
            (id(1, 2), fields_f("1-2"), None)
        ]
    );
    assert_eq!(ids_of(&b[0].entries, |e| e.id), [id(1, 3), id(1, 4)]);
    // NOACK: delivered, not pending.
    let noack = {
        let mut o = two;
        o.noack = true;
        o
    };
    let c = s.xreadgroup(b"g", b"carol", &new, &noack, None).await?;
    assert_eq!(ids_of(&c[0].entries, |e| e.id), [id(1, 5)]);
    assert!(s
        .xreadgroup(b"g", b"carol", &new, &two, None)
        .await?
        .is_empty());
    // History: alice's own entries; a deleted one comes back without fields.
    s.xdel(b"s", &[id(1, 2)]).await?;
    let hist = [(b"s".as_slice(), GroupReadId::After(StreamId::MIN))];
    let h = s
        .xreadgroup(b"g", b"alice", &hist, &XReadGroupOptions::default(), None)
        .await?;
    assert_eq!(
        parts(&h[0].entries),
        [(id(1, 1), fields_f("1-1"), None), (id(1, 2), None, None)]
    );
    assert!(s
        .xreadgroup(b"g", b"carol", &hist, &two, None)
        .await?
        .iter()
        .all(|s| s.entries.is_empty()));
    assert_eq!(
        s.xreadgroup(b"nope", b"alice", &new, &two, None).await,
        Err(Error::no_group_for_read(b"s", b"nope"))
    );
    Ok(())
}

async fn pending_and_ack<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    fill(s, b"s", 4).await?;
    s.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
        .await?;
    let new = [(b"s".as_slice(), GroupReadId::New)];
    let one = XReadGroupOptions::default().count(1);
    s.xreadgroup(b"g", b"alice", &new, &one, None).await?;
    s.xreadgroup(
        b"g",
        b"bob",
        &new,
        &XReadGroupOptions::default().count(3),
        None,
    )
    .await?;
    let sum = s.xpending(b"s", b"g").await?;
    assert_eq!(sum.count, 4);
    assert_eq!(bounds(&sum), Some((id(1, 1), id(1, 4))));
    assert_eq!(
        consumers(&sum),
        [
            (Bytes::from_static(b"alice"), 1),
            (Bytes::from_static(b"bob"), 3)
        ]
    );
    let range = |consumer: Option<&'static [u8]>, start, count| {
        let mut o = XPendingRange::new(start, StreamId::MAX, count);
        o.consumer = consumer.map(Bytes::from_static);
        o
    };
    let bobs = s
        .xpending_range(b"s", b"g", &range(Some(b"bob"), StreamId::MIN, 2))
        .await?;
    assert_eq!(ids_of(&bobs, |p| p.id), [id(1, 2), id(1, 3)]);
    assert!(bobs
        .iter()
        .all(|p| p.delivery_count == 1 && &p.consumer[..] == b"bob"));
    assert_eq!(
        s.xack(b"s", b"g", &[id(1, 1), id(1, 3), id(1, 3), id(7, 7)])
            .await?,
        2
    );
    let left = s
        .xpending_range(b"s", b"g", &range(None, StreamId::MIN, 10))
        .await?;
    assert_eq!(ids_of(&left, |p| p.id), [id(1, 2), id(1, 4)]);
    assert_eq!(s.xack(b"nokey", b"g", &[id(1, 1)]).await?, 0);
    assert_eq!(
        s.xpending(b"s", b"nope").await,
        Err(Error::no_group(b"s", b"nope"))
    );
    let empty = s.xpending(b"s", b"g").await?;
    assert_eq!(empty.count, 2);
    Ok(())
}

async fn claiming<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    fill(s, b"s", 5).await?;
    s.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
        .await?;
    let new = [(b"s".as_slice(), GroupReadId::New)];
    s.xreadgroup(b"g", b"alice", &new, &XReadGroupOptions::default(), None)
        .await?;
    // Nothing is idle for an hour yet.
    let none = s
        .xclaim(
            b"s",
            b"g",
            b"bob",
            Duration::from_millis(3_600_000),
            &[id(1, 1)],
            &XClaimOptions::default(),
        )
        .await?;
    assert_eq!(none, Claimed::Entries(vec![]));
    let justid = XClaimOptions::default().justid();
    let got = s
        .xclaim(
            b"s",
            b"g",
            b"bob",
            Duration::ZERO,
            &[id(1, 1), id(1, 2), id(9, 9)],
            &justid,
        )
        .await?;
    assert_eq!(got, Claimed::Ids(vec![id(1, 1), id(1, 2)]));
    let full = s
        .xclaim(
            b"s",
            b"g",
            b"carol",
            Duration::ZERO,
            &[id(1, 3)],
            &XClaimOptions::default(),
        )
        .await?;
    match full {
        Claimed::Entries(es) => {
            assert_eq!(ids_of(&es, |e| e.id), [id(1, 3)]);
            assert_eq!(es[0].get(b"f").map(|v| v.as_ref()), Some(&b"1-3"[..]));
        }
        other => panic!("XCLAIM without JUSTID answers entries: {other:?}"),
    }
    let pend = s
        .xpending_range(b"s", b"g", &XPendingRange::new(id(1, 3), id(1, 3), 1))
        .await?;
    assert_eq!(
        (&pend[0].consumer[..], pend[0].delivery_count),
        (&b"carol"[..], 2)
    );
    // XAUTOCLAIM: a deleted entry leaves the PEL and is reported.
    s.xdel(b"s", &[id(1, 4)]).await?;
    let auto = s
        .xautoclaim(
            b"s",
            b"g",
            b"dave",
            Duration::ZERO,
            id(1, 3),
            &XAutoClaimOptions::default().count(2).justid(),
        )
        .await?;
    assert_eq!(auto.claimed, Claimed::Ids(vec![id(1, 3)]));
    assert_eq!(auto.deleted, [id(1, 4)]);
    assert_eq!(auto.next, id(1, 5));
    let rest = s
        .xautoclaim(
            b"s",
            b"g",
            b"dave",
            Duration::ZERO,
            auto.next,
            &XAutoClaimOptions::default().count(10),
        )
        .await?;
    assert_eq!(rest.next, StreamId::MIN);
    match rest.claimed {
        Claimed::Entries(es) => assert_eq!(ids_of(&es, |e| e.id), [id(1, 5)]),
        other => panic!("entries expected: {other:?}"),
    }
    assert_eq!(s.xpending(b"s", b"g").await?.count, 4);
    assert_eq!(
        s.xautoclaim(
            b"s",
            b"nope",
            b"x",
            Duration::ZERO,
            StreamId::MIN,
            &XAutoClaimOptions::default().count(1)
        )
        .await,
        Err(Error::no_group(b"s", b"nope"))
    );
    Ok(())
}

async fn introspection<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    fill(s, b"s", 4).await?;
    s.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
        .await?;
    s.xgroup_create(b"s", b"h", GroupStart::Last, false, None)
        .await?;
    let new = [(b"s".as_slice(), GroupReadId::New)];
    s.xreadgroup(
        b"g",
        b"alice",
        &new,
        &XReadGroupOptions::default().count(3),
        None,
    )
    .await?;
    let groups = s.xinfo_groups(b"s").await?;
    let shape: Vec<_> = groups
        .iter()
        .map(|g| {
            (
                &g.name[..],
                g.consumers,
                g.pending,
                g.last_delivered_id,
                g.entries_read,
                g.lag,
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            (&b"g"[..], 1, 3, id(1, 3), Some(3), Some(1)),
            (&b"h"[..], 0, 0, id(1, 4), None, Some(0))
        ]
    );
    let consumers = s.xinfo_consumers(b"s", b"g").await?;
    assert_eq!(consumers.len(), 1);
    assert_eq!(
        (&consumers[0].name[..], consumers[0].pending),
        (&b"alice"[..], 3)
    );
    let info = s.xinfo_stream(b"s").await?;
    assert_eq!(info.summary.length, 4);
    assert_eq!(info.summary.entries_added, 4);
    assert_eq!(info.summary.last_generated_id, id(1, 4));
    assert_eq!(info.summary.radix_tree_keys, 1);
    assert_eq!(info.groups, 2);
    assert_eq!(info.first_entry.map(|e| e.id), Some(id(1, 1)));
    assert_eq!(info.last_entry.map(|e| e.id), Some(id(1, 4)));
    assert_eq!(
        s.xinfo_stream(b"nokey").await.map(|_| ()),
        Err(Error::NoSuchKey)
    );
    Ok(())
}

async fn blocked_group_read<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    s.xgroup_create(b"s", b"g", GroupStart::Last, true, None)
        .await?;
    let writer = {
        let s = s.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            add(&s, b"s", id(3, 1)).await
        })
    };
    let new = [(b"s".as_slice(), GroupReadId::New)];
    let got = s
        .xreadgroup(
            b"g",
            b"c",
            &new,
            &XReadGroupOptions::default(),
            Some(Block::from_millis(10_000)),
        )
        .await?;
    assert_eq!(ids_of(&got[0].entries, |e| e.id), [id(3, 1)]);
    let written = writer
        .await
        .map_err(|e| Error::Server(Bytes::from(e.to_string())))??;
    assert_eq!(written, Some(id(3, 1)));
    // Other commands of the same backend run while a read blocks.
    let blocked = {
        let s = s.clone();
        tokio::spawn(async move {
            let new = [(b"s".as_slice(), GroupReadId::New)];
            s.xreadgroup(
                b"g",
                b"c",
                &new,
                &XReadGroupOptions::default(),
                Some(Block::from_millis(0)),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(s.xlen(b"s").await?, 1);
    assert_eq!(s.xpending(b"s", b"g").await?.count, 1);
    add(s, b"s", id(3, 2)).await?;
    let second = blocked
        .await
        .map_err(|e| Error::Server(Bytes::from(e.to_string())))??;
    assert_eq!(ids_of(&second[0].entries, |e| e.id), [id(3, 2)]);
    Ok(())
}

async fn block_times_out_empty<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    fill(s, b"s", 1).await?;
    let t = std::time::Instant::now();
    let got = s
        .xread(
            &[(b"s", XReadId::Last)],
            None,
            Some(Block::from_millis(150)),
        )
        .await?;
    assert!(got.is_empty());
    assert!(
        t.elapsed() >= Duration::from_millis(140),
        "BLOCK 150 waited {:?}",
        t.elapsed()
    );
    Ok(())
}

/// A whole consumer-group story through the trait, every reply checked.
async fn group_story<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    s.del(&[b"s"]).await?;
    for (seq, v) in [(1, "a"), (2, "b"), (3, "c")] {
        assert_eq!(add_value(s, id(1, seq), v).await?, Some(id(1, seq)));
    }
    assert_eq!(
        add_value(s, id(1, 2), "x").await,
        Err(Error::XAddIdTooSmall),
        "an ID at or below the top is refused"
    );
    assert_eq!(s.xlen(b"s").await?, 3);
    let all = s.xrange(b"s", StreamId::MIN, StreamId::MAX, None).await?;
    assert_eq!(
        all.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id(1, 1), id(1, 2), id(1, 3)]
    );
    assert_eq!(all[1].get(b"f").map(|v| v.as_ref()), Some(&b"b"[..]));
    let last = s
        .xrevrange(b"s", StreamId::MAX, StreamId::MIN, Some(1))
        .await?;
    assert_eq!(last.iter().map(|e| e.id).collect::<Vec<_>>(), [id(1, 3)]);

    s.xgroup_create(b"s", b"g", GroupStart::Id(StreamId::MIN), false, None)
        .await?;
    assert_eq!(
        s.xgroup_create(b"s", b"g", GroupStart::Last, false, None)
            .await,
        Err(Error::BusyGroup)
    );
    let opts = XReadGroupOptions::default().count(2);
    let got = s
        .xreadgroup(b"g", b"alice", &[(b"s", GroupReadId::New)], &opts, None)
        .await?;
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].key[..], b"s");
    let ids: Vec<_> = got[0].entries.iter().map(|e| e.id).collect();
    assert_eq!(ids, [id(1, 1), id(1, 2)]);
    let summary = s.xpending(b"s", b"g").await?;
    assert_eq!(summary.count, 2);
    assert_eq!(bounds(&summary), Some((id(1, 1), id(1, 2))));
    assert_eq!(
        consumers(&summary),
        [(bytes::Bytes::from_static(b"alice"), 2)]
    );

    assert_eq!(s.xack(b"s", b"g", &[id(1, 1), id(9, 9)]).await?, 1);
    let claimed = s
        .xclaim(
            b"s",
            b"g",
            b"bob",
            Duration::ZERO,
            &[id(1, 2)],
            &XClaimOptions::default().justid(),
        )
        .await?;
    assert_eq!(claimed, Claimed::Ids(vec![id(1, 2)]));
    let range = XPendingRange::new(StreamId::MIN, StreamId::MAX, 10);
    let pending = s.xpending_range(b"s", b"g", &range).await?;
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].id, &pending[0].consumer[..]),
        (id(1, 2), &b"bob"[..])
    );
    assert_eq!(
        pending[0].delivery_count, 1,
        "JUSTID does not count a delivery"
    );

    let auto = s
        .xautoclaim(
            b"s",
            b"g",
            b"alice",
            Duration::ZERO,
            StreamId::MIN,
            &XAutoClaimOptions::default().count(10),
        )
        .await?;
    assert_eq!(auto.next, StreamId::MIN);
    assert!(auto.deleted.is_empty());
    match &auto.claimed {
        Claimed::Entries(es) => assert_eq!(es.iter().map(|e| e.id).collect::<Vec<_>>(), [id(1, 2)]),
        other => panic!("XAUTOCLAIM without JUSTID answers entries, got {other:?}"),
    }
    // History: alice's own pending entries.
    let hist = s
        .xreadgroup(
            b"g",
            b"alice",
            &[(b"s", GroupReadId::After(StreamId::MIN))],
            &opts,
            None,
        )
        .await?;
    assert_eq!(
        hist[0].entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id(1, 2)]
    );

    match s
        .xreadgroup(b"nope", b"alice", &[(b"s", GroupReadId::New)], &opts, None)
        .await
    {
        Err(e @ Error::NoGroupForRead { .. }) => assert!(e.to_string().starts_with("NOGROUP")),
        other => panic!("a missing group is NOGROUP, got {other:?}"),
    }

    let groups = s.xinfo_groups(b"s").await?;
    assert_eq!(groups.len(), 1);
    assert_eq!(
        (
            &groups[0].name[..],
            groups[0].pending,
            groups[0].last_delivered_id
        ),
        (&b"g"[..], 1, id(1, 2))
    );
    assert_eq!(groups[0].lag, Some(1));
    let consumers = s.xinfo_consumers(b"s", b"g").await?;
    let names: Vec<_> = consumers.iter().map(|c| (&c.name[..], c.pending)).collect();
    assert_eq!(names, [(&b"alice"[..], 1), (&b"bob"[..], 0)]);
    assert!(s.xgroup_createconsumer(b"s", b"g", b"carol").await?);
    assert!(!s.xgroup_createconsumer(b"s", b"g", b"carol").await?);
    assert_eq!(s.xgroup_delconsumer(b"s", b"g", b"alice").await?, 1);

    assert_eq!(s.xdel(b"s", &[id(1, 1), id(7, 7)]).await?, 1);
    assert_eq!(s.xtrim(b"s", &TrimOptions::maxlen(1)).await?, 1);
    let info = s.xinfo_stream(b"s").await?;
    assert_eq!(info.groups, 1);
    assert_eq!(info.first_entry.map(|e| e.id), Some(id(1, 3)));
    let read = s
        .xread(&[(b"s", XReadId::After(StreamId::MIN))], None, None)
        .await?;
    assert_eq!(
        read[0].entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        [id(1, 3)]
    );
    s.xgroup_setid(b"s", b"g", GroupStart::Last, Some(1))
        .await?;
    assert!(s.xgroup_destroy(b"s", b"g").await?);
    assert!(!s.xgroup_destroy(b"s", b"g").await?);
    assert_eq!(s.del(&["s", "other"]).await?, 1);
    Ok(())
}

async fn add_value<S: WorkerOps>(s: &S, at: StreamId, v: &str) -> Result<Option<StreamId>, Error> {
    s.xadd_with(b"s", &XAddOptions::with_id(at), &[("f", v)])
        .await
}

/// Entries 1-1 … 4-1; group g1 has read three (PEL 1-1 2-1 3-1), g2 two (PEL 1-1 2-1):
/// the reference's checked setup for §8 and §13.
async fn two_groups<S: WorkerOps>(s: &S) -> Result<(), Error> {
    for ms in 1..=4 {
        add(s, b"s", id(ms, 1)).await?;
    }
    let new = [(b"s".as_slice(), GroupReadId::New)];
    for (g, n) in [(&b"g1"[..], 3), (&b"g2"[..], 2)] {
        s.xgroup_create(b"s", g, GroupStart::Id(StreamId::MIN), false, None)
            .await?;
        s.xreadgroup(g, b"c", &new, &XReadGroupOptions::default().count(n), None)
            .await?;
    }
    Ok(())
}

async fn xdelex_policies<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    two_groups(s).await?;
    let all = [id(1, 1), id(2, 1), id(3, 1), id(4, 1), id(9, 1)];
    assert_eq!(
        s.xdelex(b"s", &all, RefPolicy::Acked).await?,
        [2, 2, 2, 2, 2]
    );
    assert_eq!(s.xdelex(b"s", &[id(9, 1)], RefPolicy::KeepRef).await?, [-1]);
    // DELREF purges the ID from every PEL, then deletes.
    assert_eq!(s.xdelex(b"s", &[id(1, 1)], RefPolicy::DelRef).await?, [1]);
    assert_eq!(s.xpending(b"s", b"g1").await?.count, 2);
    assert_eq!(s.xpending(b"s", b"g2").await?.count, 1);
    // KEEPREF deletes and leaves the references dangling.
    assert_eq!(
        s.xdelex(b"s", &[id(2, 1), id(2, 1)], RefPolicy::KeepRef)
            .await?,
        [1, -1]
    );
    assert_eq!(s.xpending(b"s", b"g1").await?.count, 2);
    assert_eq!(s.xlen(b"s").await?, 2);
    assert_eq!(
        s.xdelex(b"nokey", &[id(1, 1), id(2, 1)], RefPolicy::Acked)
            .await?,
        [-1, -1]
    );
    Ok(())
}

async fn xackdel_policies<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    two_groups(s).await?;
    let acked = RefPolicy::Acked;
    assert_eq!(
        s.xackdel(b"s", b"g1", &[id(1, 1), id(3, 1), id(9, 1)], acked)
            .await?,
        [2, 2, -1]
    );
    assert_eq!(s.xackdel(b"s", b"g2", &[id(1, 1)], acked).await?, [1]);
    assert_eq!(
        s.xackdel(b"s", b"g2", &[id(2, 1)], RefPolicy::KeepRef)
            .await?,
        [1]
    );
    assert_eq!(
        s.xackdel(b"s", b"g1", &[id(2, 1)], RefPolicy::KeepRef)
            .await?,
        [1]
    );
    // Acknowledged by the first ACKED call even though it answered 2.
    assert_eq!(
        s.xackdel(b"s", b"g1", &[id(3, 1), id(3, 1)], acked).await?,
        [-1, -1]
    );
    assert_eq!(s.xlen(b"s").await?, 2);
    // DELREF: acknowledged here, purged everywhere, deleted.
    let new = [(b"s".as_slice(), GroupReadId::New)];
    s.xreadgroup(b"g1", b"c", &new, &XReadGroupOptions::default(), None)
        .await?;
    s.xreadgroup(b"g2", b"c", &new, &XReadGroupOptions::default(), None)
        .await?;
    assert_eq!(
        s.xackdel(b"s", b"g1", &[id(4, 1)], RefPolicy::DelRef)
            .await?,
        [1]
    );
    assert_eq!(s.xpending(b"s", b"g2").await?.count, 1, "3-1 only");
    assert_eq!(s.xlen(b"s").await?, 1);
    assert_eq!(s.xackdel(b"s", b"nogroup", &[id(3, 1)], acked).await?, [-1]);
    assert_eq!(s.xackdel(b"nokey", b"g1", &[id(3, 1)], acked).await?, [-1]);
    Ok(())
}

async fn pipeline_and_atomic_batches<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    let key = || Bytes::from_static(b"s");
    let xadd = |ms| Command::XAdd {
        key: key(),
        opts: XAddOptions::with_id(id(ms, 1)),
        fields: vec![(Bytes::from_static(b"f"), Bytes::from_static(b"v"))],
    };
    // Each command answers on its own; an error does not stop the others.
    let got = s
        .pipeline(&[xadd(1), xadd(1), Command::XLen { key: key() }])
        .await?;
    assert_eq!(
        got,
        [
            Ok(CommandReply::Id(Some(id(1, 1)))),
            Err(Error::XAddIdTooSmall),
            Ok(CommandReply::Count(1))
        ]
    );
    assert_eq!(s.pipeline(&[]).await?, []);
    let group = |g: &'static [u8]| Command::XGroupCreate {
        key: key(),
        group: Bytes::from_static(g),
        start: GroupStart::Id(StreamId::MIN),
        mkstream: false,
        entries_read: None,
    };
    let read = Command::XReadGroup {
        group: Bytes::from_static(b"g"),
        consumer: Bytes::from_static(b"c"),
        streams: vec![(key(), GroupReadId::New)],
        opts: XReadGroupOptions::default(),
    };
    let got = s
        .atomic(&[
            group(b"g"),
            xadd(2),
            read,
            group(b"g"),
            Command::XAck {
                key: key(),
                group: Bytes::from_static(b"g"),
                ids: vec![id(1, 1)],
            },
            Command::XPending {
                key: key(),
                group: Bytes::from_static(b"g"),
            },
        ])
        .await?;
    assert_eq!(got.len(), 6);
    assert_eq!(got[0], Ok(CommandReply::Ok));
    assert_eq!(got[1], Ok(CommandReply::Id(Some(id(2, 1)))));
    match &got[2] {
        Ok(CommandReply::ReadGroup(r)) => {
            assert_eq!(ids_of(&r[0].entries, |e| e.id), [id(1, 1), id(2, 1)])
        }
        other => panic!("XREADGROUP in a batch: {other:?}"),
    }
    // No rollback: the failed command leaves the others applied.
    assert_eq!(got[3], Err(Error::BusyGroup));
    assert_eq!(got[4], Ok(CommandReply::Count(1)));
    match &got[5] {
        Ok(CommandReply::PendingSummary(p)) => assert_eq!(p.count, 1),
        other => panic!("XPENDING in a batch: {other:?}"),
    }
    assert_eq!(s.xlen(b"s").await?, 2);
    Ok(())
}

/// Sets the last delivery of `id` to `idle_ms` ago (XCLAIM … IDLE … JUSTID, which
/// neither counts a delivery nor changes the owner when `owner` already has it).
async fn age<S: WorkerOps>(s: &S, owner: &[u8], id: StreamId, idle_ms: i64) -> Result<(), Error> {
    let opts = {
        let mut o = XClaimOptions::default();
        o.time = Some(brook::ClaimTime::Idle(idle_ms));
        o.justid = true;
        o
    };
    s.xclaim(b"s", b"g", owner, Duration::ZERO, &[id], &opts)
        .await
        .map(|_| ())
}

/// Redis 8.4's XREADGROUP … CLAIM: native on the engine, the adapter's fallback on
/// servers without it. Idle values are pinned apart by more than the test's own
/// latency, and checked within it.
async fn readgroup_claim<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    let new = delivered(s, 4, b"alice", 3).await?;
    // Delivery order, oldest first: 1-3, 1-1, 1-2.
    age(s, b"alice", id(1, 3), 5000).await?;
    age(s, b"alice", id(1, 1), 3000).await?;
    age(s, b"alice", id(1, 2), 2000).await?;
    let claim = |ms, count| {
        let mut o = XReadGroupOptions::default();
        o.count = Some(count);
        o.claim = Some(ms);
        o
    };
    let got = s
        .xreadgroup(b"g", b"bob", &new, &claim(2500, 10), None)
        .await?;
    let es = &got[0].entries;
    assert_eq!(
        ids_of(es, |e| e.id),
        [id(1, 3), id(1, 1), id(1, 4)],
        "claimed by delivery time, then new"
    );
    let near = |d: DeliveryInfo, want: u64| {
        d.idle >= want && d.idle < want + 1000 && d.delivery_count == 1
    };
    assert!(
        near(es[0].claim.unwrap_or_default(), 5000),
        "{:?}",
        es[0].claim
    );
    assert!(
        near(es[1].claim.unwrap_or_default(), 3000),
        "{:?}",
        es[1].claim
    );
    assert_eq!(
        es[2].claim,
        Some(DeliveryInfo::default()),
        "a new entry in CLAIM's shape"
    );
    assert_eq!(es[0].fields, fields_f("1-3"));
    let range = XPendingRange::new(StreamId::MIN, StreamId::MAX, 10);
    let owners: Vec<(StreamId, Bytes, u64)> = s
        .xpending_range(b"s", b"g", &range)
        .await?
        .into_iter()
        .map(|p| (p.id, p.consumer, p.delivery_count))
        .collect();
    let (alice, bob) = (Bytes::from_static(b"alice"), Bytes::from_static(b"bob"));
    assert_eq!(
        owners,
        [
            (id(1, 1), bob.clone(), 2),
            (id(1, 2), alice, 1),
            (id(1, 3), bob.clone(), 2),
            (id(1, 4), bob, 1)
        ]
    );
    // Only 1-2 is idle long enough; nothing new: that alone is served.
    let got = s
        .xreadgroup(b"g", b"carol", &new, &claim(1000, 5), None)
        .await?;
    assert_eq!(ids_of(&got[0].entries, |e| e.id), [id(1, 2)]);
    // Nothing idle for an hour, nothing new: no stream served.
    assert!(s
        .xreadgroup(b"g", b"dave", &new, &claim(3_600_000, 5), None)
        .await?
        .is_empty());
    // Blocked: served once the oldest delivery has been idle 300 ms.
    let t = std::time::Instant::now();
    let got = s
        .xreadgroup(
            b"g",
            b"eve",
            &new,
            &claim(300, 1),
            Some(Block::from_millis(5000)),
        )
        .await?;
    let waited = t.elapsed();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].entries.len(), 1);
    let idle = got[0].entries[0].claim.unwrap_or_default().idle;
    assert!(idle >= 300, "claimed at idle {idle}");
    assert!(
        waited >= Duration::from_millis(200) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    Ok(())
}

/// XREADGROUP … CLAIM in a pipeline and in a MULTI batch: native on the engine, the
/// adapter's claim script inside the batch on servers without the option.
async fn readgroup_claim_in_batches<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    delivered(s, 4, b"alice", 3).await?;
    age(s, b"alice", id(1, 3), 5000).await?;
    age(s, b"alice", id(1, 1), 3000).await?;
    age(s, b"alice", id(1, 2), 2000).await?;
    let read = |consumer: &'static [u8], min_idle_ms: u64, count: Option<u64>| {
        let mut opts = XReadGroupOptions::default().claim(Duration::from_millis(min_idle_ms));
        opts.count = count;
        Command::XReadGroup {
            group: Bytes::from_static(b"g"),
            consumer: Bytes::from_static(consumer),
            streams: vec![(Bytes::from_static(b"s"), GroupReadId::New)],
            opts,
        }
    };
    let served = |r: &Result<CommandReply, Error>| -> Vec<(StreamId, u64)> {
        match r {
            Ok(CommandReply::ReadGroup(streams)) => streams
                .iter()
                .flat_map(|st| &st.entries)
                .map(|e| (e.id, e.claim.map_or(u64::MAX, |d| d.delivery_count)))
                .collect(),
            other => panic!("XREADGROUP … CLAIM in a batch: {other:?}"),
        }
    };
    let got = s
        .pipeline(&[read(b"bob", 2500, Some(2)), read(b"carol", 3_600_000, None)])
        .await?;
    // Claimed by delivery time (delivered once before), then the new entry (0 before).
    assert_eq!(served(&got[0]), [(id(1, 3), 1), (id(1, 1), 1)]);
    assert_eq!(served(&got[1]), [(id(1, 4), 0)]);
    let got = s
        .atomic(&[
            read(b"dave", 0, Some(1)),
            Command::XAck {
                key: Bytes::from_static(b"s"),
                group: Bytes::from_static(b"g"),
                ids: vec![id(1, 2)],
            },
            read(b"erin", 3_600_000, None),
        ])
        .await?;
    assert_eq!(served(&got[0]), [(id(1, 2), 1)], "the oldest delivery");
    assert_eq!(got[1], Ok(CommandReply::Count(1)));
    assert_eq!(
        got[2],
        Ok(CommandReply::ReadGroup(vec![])),
        "nothing served"
    );
    Ok(())
}

/// Typed commands with an empty ID list answer what Redis answers their argument
/// vectors (the arity error first; XACKDEL's and XDELEX's `IDS 0` error after a policy
/// keyword and the type check); XCLAIM with an option runs; one of them in an atomic
/// batch discards the batch (EXECABORT), in a pipeline it answers in place.
async fn empty_id_lists<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    delivered(s, 2, b"alice", 1).await?;
    s.set(b"str", b"x", &Default::default()).await?;
    let none: [StreamId; 0] = [];
    for key in [&b"s"[..], b"str", b"nokey"] {
        assert_eq!(
            s.xack(key, b"g", &none).await,
            Err(Error::WrongArity("xack"))
        );
        assert_eq!(s.xdel(key, &none).await, Err(Error::WrongArity("xdel")));
        let plain = XClaimOptions::default();
        assert_eq!(
            s.xclaim(key, b"g", b"c", Duration::ZERO, &none, &plain)
                .await,
            Err(Error::WrongArity("xclaim"))
        );
        for policy in [RefPolicy::KeepRef, RefPolicy::DelRef, RefPolicy::Acked] {
            let (ackdel, delex) = match policy {
                RefPolicy::KeepRef => (Error::WrongArity("xackdel"), Error::WrongArity("xdelex")),
                _ if key == b"str" => (Error::WrongType, Error::WrongType),
                _ => (Error::NumIdsInvalid, Error::NumIdsInvalid),
            };
            assert_eq!(s.xackdel(key, b"g", &none, policy).await, Err(ackdel));
            assert_eq!(s.xdelex(key, &none, policy).await, Err(delex));
        }
    }
    let justid = XClaimOptions::default().justid();
    assert_eq!(
        s.xclaim(b"s", b"g", b"alice", Duration::ZERO, &none, &justid)
            .await,
        Ok(Claimed::Ids(vec![]))
    );
    assert_eq!(s.xpending(b"s", b"g").await?.count, 1, "nothing changed");
    let add = Command::XAdd {
        key: Bytes::from_static(b"s"),
        opts: XAddOptions::with_id(id(2, 1)),
        fields: vec![(Bytes::from_static(b"f"), Bytes::from_static(b"v"))],
    };
    let empty_ack = Command::XAck {
        key: Bytes::from_static(b"s"),
        group: Bytes::from_static(b"g"),
        ids: vec![],
    };
    assert_eq!(
        s.atomic(&[add.clone(), empty_ack.clone()]).await,
        Err(Error::ExecAbort)
    );
    assert_eq!(s.xlen(b"s").await?, 2, "EXEC ran nothing");
    assert_eq!(
        s.pipeline(&[add, empty_ack]).await?,
        [
            Ok(CommandReply::Id(Some(id(2, 1)))),
            Err(Error::WrongArity("xack"))
        ]
    );
    Ok(())
}

/// XTRIM and XADD trimming with ACKED and DELREF (Redis 8.2): native on the engine,
/// the adapter's Lua on older servers. The reference's checked ACKED case first.
async fn trimming_with_references<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    let new = delivered(s, 10, b"c", 4).await?;
    s.xack(b"s", b"g", &[id(1, 1), id(1, 2)]).await?;
    // PEL {1-3, 1-4}, last-delivered 1-4: only 1-1 and 1-2 are not referenced.
    let with = |mut t: TrimOptions, policy| {
        t.policy = policy;
        t
    };
    let mut approx = TrimOptions::maxlen(2);
    approx.approx = true;
    assert_eq!(s.xtrim(b"s", &with(approx, RefPolicy::Acked)).await?, 2);
    let left = s.xrange(b"s", StreamId::MIN, StreamId::MAX, None).await?;
    assert_eq!(left.first().map(|e| e.id), Some(id(1, 3)));
    let info = s.xinfo_stream(b"s").await?;
    assert_eq!(info.summary.length, 8);
    assert_eq!(
        info.summary.max_deleted_entry_id,
        StreamId::MIN,
        "trimming is not deleting"
    );
    assert_eq!(info.summary.recorded_first_entry_id, id(1, 3));
    // DELREF: 1-3 goes, and leaves the PEL with it.
    let minid = TrimOptions::minid(id(1, 4));
    assert_eq!(s.xtrim(b"s", &with(minid, RefPolicy::DelRef)).await?, 1);
    assert_eq!(s.xpending(b"s", b"g").await?.count, 1);
    // XADD trims after appending; everything left is still referenced.
    let capped = |ms, seq| {
        XAddOptions::with_id(id(ms, seq)).trim(with(TrimOptions::maxlen(3), RefPolicy::Acked))
    };
    assert_eq!(
        s.xadd_with(b"s", &capped(2, 1), &[("f", "v")]).await?,
        Some(id(2, 1))
    );
    assert_eq!(s.xlen(b"s").await?, 8);
    // Read and acknowledged by the group: nothing is referenced any more.
    let all = s
        .xreadgroup(b"g", b"c", &new, &XReadGroupOptions::default(), None)
        .await?;
    let mut ids = ids_of(&all[0].entries, |e| e.id);
    ids.push(id(1, 4));
    s.xack(b"s", b"g", &ids).await?;
    assert_eq!(
        s.xadd_with(b"s", &capped(2, 2), &[("f", "v")]).await?,
        Some(id(2, 2))
    );
    let left = s.xrange(b"s", StreamId::MIN, StreamId::MAX, None).await?;
    assert_eq!(ids_of(&left, |e| e.id), [id(1, 10), id(2, 1), id(2, 2)]);
    assert_eq!(
        s.xinfo_stream(b"s").await?.summary.max_deleted_entry_id,
        StreamId::MIN
    );
    Ok(())
}

/// Found by the typed differential (seed 1, step 2377): XADD trimming with DELREF on a
/// server without reference policies runs as Lua, and an error raised there carried the
/// script's location in its text, so `XAddIdTooSmall` came back as `Error::Server`.
async fn regression_trimming_xadd_errors_keep_their_text<S: WorkerOps + Clone + 'static>(
    s: &S,
) -> Result<(), Error> {
    fill(s, b"s", 2).await?;
    for policy in [RefPolicy::DelRef, RefPolicy::Acked] {
        let mut t = TrimOptions::maxlen(5);
        t.policy = policy;
        let opts = XAddOptions::with_id(id(1, 1)).trim(t);
        assert_eq!(
            s.xadd_with(b"s", &opts, &[("f", "v")]).await,
            Err(Error::XAddIdTooSmall)
        );
    }
    Ok(())
}

/// Found by running the Lua fallbacks against Redis 8.6.3's native commands (seed 123,
/// step 2883): XADD's explicit `0-0` is refused before the key's type is looked at
/// (reference §2.1 step 4), but the fallback for trimming with DELREF/ACKED checked the
/// type first and answered WRONGTYPE on a string key.
async fn regression_trimming_xadd_checks_the_id_before_the_type<S: WorkerOps + Clone + 'static>(
    s: &S,
) -> Result<(), Error> {
    s.set(b"str", b"x", &brook::SetOptions::default()).await?;
    for policy in [RefPolicy::KeepRef, RefPolicy::DelRef, RefPolicy::Acked] {
        let mut t = TrimOptions::maxlen(5);
        t.policy = policy;
        let opts = XAddOptions::with_id(StreamId::MIN).trim(t);
        assert_eq!(
            s.xadd_with(b"str", &opts, &[("f", "v")]).await,
            Err(Error::XAddIdZero),
            "{policy:?}"
        );
        let opts = XAddOptions::with_id(id(1, 1)).trim(t);
        assert_eq!(
            s.xadd_with(b"str", &opts, &[("f", "v")]).await,
            Err(Error::WrongType),
            "{policy:?}"
        );
    }
    Ok(())
}

/// ack-if-owner, touch-if-owner and ack-if-owner-then-add: each acts only on entries
/// the consumer still owns.
async fn owner_conditional_operations<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    delivered(s, 3, b"alice", 3).await?;
    s.xclaim(
        b"s",
        b"g",
        b"bob",
        Duration::ZERO,
        &[id(1, 2)],
        &XClaimOptions::default(),
    )
    .await?;
    assert_eq!(
        s.xack_if_owner(b"s", b"g", b"alice", &[id(1, 1), id(1, 2), id(9, 9)])
            .await?,
        1
    );
    let range = XPendingRange::new(StreamId::MIN, StreamId::MAX, 10);
    let owners = |p: Vec<brook::PendingEntry>| -> Vec<(StreamId, Bytes, u64)> {
        p.into_iter()
            .map(|p| (p.id, p.consumer, p.delivery_count))
            .collect()
    };
    let (alice, bob) = (Bytes::from_static(b"alice"), Bytes::from_static(b"bob"));
    assert_eq!(
        owners(s.xpending_range(b"s", b"g", &range).await?),
        [(id(1, 2), bob.clone(), 2), (id(1, 3), alice.clone(), 1)]
    );
    // touch: 1-3 (alice's) becomes fresh, uncounted; 1-2 stays bob's.
    age(s, b"alice", id(1, 3), 5000).await?;
    assert_eq!(
        s.xtouch_if_owner(b"s", b"g", b"alice", &[id(1, 2), id(1, 3)])
            .await?,
        1
    );
    let pending = s.xpending_range(b"s", b"g", &range).await?;
    assert!(pending[1].idle < 1000, "touched: idle {}", pending[1].idle);
    assert_eq!(
        owners(pending),
        [(id(1, 2), bob.clone(), 2), (id(1, 3), alice, 1)]
    );
    // The dead-letter move: only the owner writes.
    let dead = b"{s}:dead";
    let letter = [(Bytes::from_static(b"id"), Bytes::from_static(b"1-2"))];
    assert_eq!(
        s.xack_if_owner_then_add(b"s", b"g", b"alice", id(1, 2), dead, &letter)
            .await?,
        None
    );
    assert_eq!(s.xlen(dead).await?, 0);
    let moved = s
        .xack_if_owner_then_add(b"s", b"g", b"bob", id(1, 2), dead, &letter)
        .await?;
    assert!(moved.is_some());
    let letters = s.xrange(dead, StreamId::MIN, StreamId::MAX, None).await?;
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].fields, letter.to_vec());
    assert_eq!(
        owners(s.xpending_range(b"s", b"g", &range).await?).len(),
        1,
        "1-3 only"
    );
    assert_eq!(
        s.xack_if_owner(b"s", b"nope", b"alice", &[id(1, 3)]).await,
        Err(Error::no_group(b"s", b"nope"))
    );
    assert_eq!(
        s.xack_if_owner_then_add(b"nokey", b"g", b"x", id(1, 1), b"{nokey}:d", &letter)
            .await,
        Err(Error::no_group(b"nokey", b"g"))
    );
    // delete-consumer-if-empty: alice still owns 1-3, bob owns nothing.
    assert!(!s.xgroup_delconsumer_if_empty(b"s", b"g", b"alice").await?);
    assert!(s.xgroup_delconsumer_if_empty(b"s", b"g", b"bob").await?);
    assert!(
        !s.xgroup_delconsumer_if_empty(b"s", b"g", b"bob").await?,
        "gone already"
    );
    let names: Vec<Bytes> = s
        .xinfo_consumers(b"s", b"g")
        .await?
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, [Bytes::from_static(b"alice")]);
    assert_eq!(s.xpending(b"s", b"g").await?.count, 1, "alice's entry kept");
    assert_eq!(
        s.xgroup_delconsumer_if_empty(b"s", b"nope", b"alice").await,
        Err(Error::no_group(b"s", b"nope"))
    );
    Ok(())
}

/// mark-and-ack-if-new: the first commit acknowledges, marks and applies the writes;
/// a second with the same marker (a redelivery, or a duplicate entry) only
/// acknowledges; a write's error answers in place; the marker expires.
async fn mark_and_ack_if_new<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    delivered(s, 3, b"alice", 3).await?;
    let total = Bytes::from_static(b"{s}:total");
    let effects = [
        Command::IncrBy {
            key: total.clone(),
            by: 5,
        },
        Command::Set {
            key: Bytes::from_static(b"{s}:last"),
            value: Bytes::from_static(b"1-1"),
            opts: brook::SetOptions::default(),
        },
        Command::Get {
            key: Bytes::from_static(b"{s}:last"),
        },
    ];
    let marker = b"{s}:done:order-7";
    let first = s
        .mark_and_ack_if_new(
            b"s",
            b"g",
            id(1, 1),
            marker,
            Duration::from_secs(100),
            &effects,
        )
        .await?;
    assert_eq!(
        first,
        Some(vec![
            Ok(CommandReply::Int(5)),
            Ok(CommandReply::Bool(true)),
            Ok(CommandReply::Value(Some(Bytes::from_static(b"1-1")))),
        ])
    );
    assert_eq!(s.xpending(b"s", b"g").await?.count, 2, "1-1 acknowledged");
    // The same order again (say, added twice by a producer): acknowledged, not applied.
    let again = s
        .mark_and_ack_if_new(
            b"s",
            b"g",
            id(1, 2),
            marker,
            Duration::from_secs(100),
            &effects,
        )
        .await?;
    assert_eq!(again, None);
    assert_eq!(
        s.xpending(b"s", b"g").await?.count,
        1,
        "1-2 acknowledged too"
    );
    assert_eq!(s.get(&total).await?, Some(Bytes::from_static(b"5")));
    assert_eq!(s.get(marker).await?, Some(Bytes::from_static(b"1")));
    // A failing write answers in its place; the others still apply.
    let mixed = [
        Command::IncrBy {
            key: Bytes::from_static(b"s"),
            by: 1,
        },
        Command::IncrBy {
            key: total.clone(),
            by: 1,
        },
    ];
    let r = s
        .mark_and_ack_if_new(
            b"s",
            b"g",
            id(1, 3),
            b"{s}:done:x",
            Duration::from_secs(100),
            &mixed,
        )
        .await?;
    assert_eq!(
        r,
        Some(vec![Err(Error::WrongType), Ok(CommandReply::Int(6))])
    );
    assert_eq!(s.xpending(b"s", b"g").await?.count, 0);
    // Markers live as long as asked.
    assert_eq!(
        s.mark_and_ack_if_new(
            b"s",
            b"g",
            id(1, 3),
            b"{s}:done:short",
            Duration::from_millis(30),
            &[]
        )
        .await?,
        Some(vec![])
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(s.get(b"{s}:done:short").await?, None, "expired");
    assert_eq!(
        s.mark_and_ack_if_new(
            b"s",
            b"g",
            id(1, 3),
            b"{s}:done:short",
            Duration::from_millis(30),
            &[]
        )
        .await?,
        Some(vec![]),
        "a new marker after the old one expired"
    );
    // Plain strings through the trait.
    let nx = brook::SetOptions::default().nx();
    assert!(!s.set(b"{s}:last", b"z", &nx).await?);
    assert!(
        s.set(b"{s}:new", b"z", &nx.px(Duration::from_millis(100_000)))
            .await?
    );
    assert_eq!(s.incr_by(b"{s}:new", 1).await, Err(Error::NotAnInteger));
    assert_eq!(s.get(b"s").await, Err(Error::WrongType));
    Ok(())
}

/// Two workers race over each entry, with ack-if-owner and touch-if-owner against
/// another consumer's XCLAIM: an acknowledgement lands only while the first owner still
/// owns the entry (then the claim finds nothing), and a touch never takes an entry back
/// nor counts a delivery.
async fn owner_race_ack_and_touch<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    const ROUNDS: u64 = 30;
    delivered(s, 2 * ROUNDS, b"alice", 2 * ROUNDS).await?;
    let justid = XClaimOptions::default().justid();
    let join = |r: Result<Result<u64, Error>, tokio::task::JoinError>| {
        r.map_err(|e| Error::Server(Bytes::from(e.to_string())))?
    };
    let claim = |s: S, at: StreamId| {
        tokio::spawn(async move {
            Ok(
                match s
                    .xclaim(b"s", b"g", b"bob", Duration::ZERO, &[at], &justid)
                    .await?
                {
                    Claimed::Ids(ids) => ids.len() as u64,
                    Claimed::Entries(e) => e.len() as u64,
                },
            )
        })
    };
    let mut acked = 0;
    for n in 1..=ROUNDS {
        let at = id(1, n);
        let a = {
            let s = s.clone();
            tokio::spawn(async move { s.xack_if_owner(b"s", b"g", b"alice", &[at]).await })
        };
        let b = claim(s.clone(), at);
        let (a, b) = (join(a.await)?, join(b.await)?);
        assert!(a + b == 1, "entry {n}: alice acked {a}, bob claimed {b}");
        acked += a;
    }
    for n in ROUNDS + 1..=2 * ROUNDS {
        let at = id(1, n);
        let a = {
            let s = s.clone();
            tokio::spawn(async move { s.xtouch_if_owner(b"s", b"g", b"alice", &[at]).await })
        };
        let b = claim(s.clone(), at);
        let (_, b) = (join(a.await)?, join(b.await)?);
        assert_eq!(b, 1, "entry {n}: the claim always succeeds");
        let range = XPendingRange::new(at, at, 1);
        let p = s.xpending_range(b"s", b"g", &range).await?;
        assert_eq!(
            (&p[0].consumer[..], p[0].delivery_count),
            (&b"bob"[..], 1),
            "entry {n}: bob keeps it, no delivery counted"
        );
    }
    let summary = s.xpending(b"s", b"g").await?;
    assert_eq!(summary.count, 2 * ROUNDS - acked);
    Ok(())
}

/// Two workers race over each entry: the first owner dead-letters it while a second
/// reclaims it. Whatever the interleaving, every entry is dead-lettered exactly once.
async fn owner_race_dead_letter_once<S: WorkerOps + Clone + 'static>(s: &S) -> Result<(), Error> {
    const ROUNDS: u64 = 30;
    delivered(s, ROUNDS, b"alice", ROUNDS).await?;
    let dead: &'static [u8] = b"{s}:dead";
    let letter = |n: u64| vec![(Bytes::from_static(b"n"), Bytes::from(n.to_string()))];
    for n in 1..=ROUNDS {
        let at = id(1, n);
        let a = {
            let s = s.clone();
            tokio::spawn(async move {
                s.xack_if_owner_then_add(b"s", b"g", b"alice", at, dead, &letter(n))
                    .await
            })
        };
        let b = {
            let s = s.clone();
            tokio::spawn(async move {
                let justid = XClaimOptions::default().justid();
                match s
                    .xclaim(b"s", b"g", b"bob", Duration::ZERO, &[at], &justid)
                    .await?
                {
                    Claimed::Ids(ids) if ids == [at] => {
                        s.xack_if_owner_then_add(b"s", b"g", b"bob", at, dead, &letter(n))
                            .await
                    }
                    _ => Ok(None),
                }
            })
        };
        let join = |r: Result<Result<Option<StreamId>, Error>, tokio::task::JoinError>| {
            r.map_err(|e| Error::Server(Bytes::from(e.to_string())))?
        };
        let (a, b) = (join(a.await)?, join(b.await)?);
        assert!(
            a.is_some() != b.is_some(),
            "entry {n}: alice {a:?}, bob {b:?}"
        );
    }
    assert_eq!(s.xlen(dead).await?, ROUNDS, "one dead letter per entry");
    assert_eq!(s.xpending(b"s", b"g").await?.count, 0);
    Ok(())
}

/// `xadd_many`: a batch appended in order through one pipeline; an entry that fails
/// answers its error while the others are written and answer their IDs.
async fn xadd_many_batch(s: &brook::Backend) -> Result<(), Error> {
    use brook::Streams;
    let entries = vec![
        vec![("n", "1")],
        vec![("n", "2"), ("note", "big")],
        vec![("n", "3")],
    ];
    let ids: Vec<StreamId> = s
        .xadd_many(b"s", &entries)
        .await?
        .into_iter()
        .collect::<Result<_, _>>()?;
    let got = s.xrange(b"s", StreamId::MIN, StreamId::MAX, None).await?;
    assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert_eq!(got[1].fields.len(), 2);
    let mixed: [&[(&str, &str)]; 3] = [&[("n", "4")], &[], &[("n", "5")]];
    let out = s.xadd_many(b"s", &mixed).await?;
    let err = out[1].clone().expect_err("no fields");
    assert!(
        err.to_string().contains("wrong number of arguments"),
        "{err}"
    );
    assert!(out[0].is_ok() && out[2].is_ok(), "{out:?}");
    assert_eq!(
        s.xlen(b"s").await?,
        5,
        "the entries around the error are written"
    );
    Ok(())
}
