//! Where messages come from: the reader (the consumer's own pending history from `0`
//! after a restart, then `>` with BLOCK) and the reclaimer (XAUTOCLAIM at start, then
//! periodically, following the cursor to the end). Both fetch as many entries as the
//! worker's in-flight limit has room for, and each entry takes its slot as it is
//! handed over, so the worker never handles more than its concurrency — and a read
//! blocked on `>` holds no slot that a reclaim pass or a retry waits for.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, OwnedSemaphorePermit};

use super::context::Shared;
use super::message::Message;
use crate::{
    Block, Claimed, Error, GroupEntry, GroupReadId, StreamEntry, StreamId, WorkerOps,
    XAutoClaimOptions, XPendingRange, XReadGroupOptions,
};

/// A fetched message with the in-flight permit it holds until it is done.
pub(crate) struct Delivery {
    pub(crate) msg: Message,
    pub(crate) permit: OwnedSemaphorePermit,
}

/// How many entries to fetch: waits until a slot of the in-flight limit is free, then
/// answers how many are (at most `batch`) — without taking them. A fetch takes its
/// slots only for the entries it got (in [`hand_over`]), so a read blocked on `>`
/// holds none, and a reclaim pass or a retry never waits for one to end. `None` on
/// shutdown.
async fn room<S: WorkerOps>(ctx: &Shared<S>, batch: usize) -> Option<usize> {
    drop(ctx.slot().await?);
    Some(ctx.slots.available_permits().clamp(1, batch.max(1)))
}

/// The delivery counts this consumer's PEL holds for IDs in `[first, last]`.
async fn delivery_counts<S: WorkerOps>(
    ctx: &Shared<S>,
    first: StreamId,
    last: StreamId,
    n: usize,
) -> Result<HashMap<StreamId, u64>, Error> {
    let range = XPendingRange::new(first, last, n as u64).consumer(&ctx.cfg.consumer);
    let pending = ctx
        .backend
        .xpending_range(&ctx.cfg.stream, &ctx.cfg.group, &range)
        .await?;
    Ok(pending
        .into_iter()
        .map(|p| (p.id, p.delivery_count))
        .collect())
}

/// Hands `entries` (with their counts) to the coordinator, each once it has a slot of
/// the in-flight limit; deleted entries (no fields) are acknowledged instead. An entry
/// joins the worker's held set at once (the toucher keeps it fresh while it waits for
/// a slot); one the worker holds already (our own reclaim took it back) is left to
/// the task that has it. `false` when the worker stops.
///
/// Entries fetched and waiting here for a slot already count as delivered in Redis (a
/// worker that dies meanwhile leaves them pending, one delivery used); at most a batch
/// from the reader and one from the reclaimer wait at a time. On a `false` return the
/// IDs not handed over stay in the held set: the worker is stopping.
async fn hand_over<S: WorkerOps>(
    ctx: &Shared<S>,
    entries: Vec<GroupEntry>,
    counts: Option<&HashMap<StreamId, u64>>,
    tx: &mpsc::Sender<Delivery>,
) -> bool {
    let mut deleted = Vec::new();
    let mut live = Vec::new();
    for GroupEntry { id, fields, .. } in entries {
        let Some(fields) = fields else {
            deleted.push(id);
            continue;
        };
        let deliveries = match counts {
            None => 1,
            Some(c) => match c.get(&id) {
                Some(n) => *n,
                // No longer ours (taken over in between): leave it to its owner.
                None => continue,
            },
        };
        if ctx.held().insert(id) {
            live.push((id, deliveries, fields));
        }
    }
    ack_deleted(ctx, &deleted).await;
    for (id, deliveries, fields) in live {
        let Some(permit) = ctx.slot().await else {
            return false;
        };
        let msg = Message {
            stream: ctx.cfg.stream.clone(),
            id,
            deliveries,
            fields,
            effects: Default::default(),
        };
        ctx.stat(|s| s.in_flight += 1);
        if tx.send(Delivery { msg, permit }).await.is_err() {
            ctx.stat(|s| s.in_flight -= 1);
            return false;
        }
    }
    true
}

/// Acknowledges pending IDs whose entries were deleted, so the PEL does not leak.
async fn ack_deleted<S: WorkerOps>(ctx: &Shared<S>, ids: &[StreamId]) {
    if ids.is_empty() {
        return;
    }
    match ctx.backend.xack(&ctx.cfg.stream, &ctx.cfg.group, ids).await {
        Ok(_) => ctx.stat(|s| s.deleted_acked += ids.len() as u64),
        Err(_) => ctx.stat(|s| s.errors += 1),
    }
    ctx.publish();
}

/// The reader: own history first, then `>`. Ends on shutdown (`Ok`) or when the
/// backend is gone for good.
pub(crate) async fn reader<S: WorkerOps + Clone + 'static>(
    ctx: Shared<S>,
    tx: mpsc::Sender<Delivery>,
) -> Result<(), Error> {
    let cfg = &ctx.cfg;
    // `Some(cursor)` while draining this consumer's own pending entries.
    let mut history = Some(StreamId::MIN);
    loop {
        let Some(n) = room(&ctx, cfg.batch).await else {
            return Ok(());
        };
        let (at, block) = match history {
            Some(c) => (GroupReadId::After(c), None),
            None => (GroupReadId::New, Some(Block::from_millis(cfg.block_ms))),
        };
        let opts = XReadGroupOptions::default().count(n as u64);
        let mut shutdown = ctx.shutdown.clone();
        let streams = [(&cfg.stream[..], at)];
        let read = tokio::select! {
            r = ctx.backend.xreadgroup(&cfg.group, &cfg.consumer, &streams, &opts, block) => r,
            // A read dropped after the server served it leaves its entries pending
            // here; the next worker with this name, or a reclaimer, takes them.
            _ = shutdown.wait_for(|s| *s) => return Ok(()),
        };
        let entries: Vec<GroupEntry> = match read {
            Ok(reply) => reply.into_iter().flat_map(|s| s.entries).collect(),
            Err(e) => {
                if matches!(e, Error::NoGroupForRead { .. } | Error::NoGroup { .. }) {
                    // The group (or the stream) was deleted under us: create it again.
                    let _ = ctx.ensure_group().await;
                }
                if !ctx.recover(&e).await {
                    return if matches!(e, Error::EngineClosed) {
                        Err(e)
                    } else {
                        Ok(())
                    };
                }
                continue;
            }
        };
        let counts = match (history, entries.last()) {
            (Some(_), None) => {
                history = None;
                ctx.stat(|s| s.reading_new = true);
                ctx.publish();
                // The start-up reclaim pass waits for this: it must not claim (and count
                // a delivery of) an entry that this drain is about to take back.
                ctx.history_done.send_replace(true);
                continue;
            }
            (Some(_), Some(last)) => {
                let first = entries.first().map_or(last.id, |e| e.id);
                match delivery_counts(&ctx, first, last.id, entries.len()).await {
                    Ok(c) => {
                        // Past these only once they are handed over (after a failure
                        // they are read again).
                        history = Some(last.id);
                        Some(c)
                    }
                    Err(e) => {
                        if !ctx.recover(&e).await {
                            return Ok(());
                        }
                        continue;
                    }
                }
            }
            (None, _) => None,
        };
        ctx.stat(|s| s.fetched += entries.len() as u64);
        if !hand_over(&ctx, entries, counts.as_ref(), &tx).await {
            return Ok(());
        }
    }
}

/// The reclaimer: one pass of XAUTOCLAIM from `0-0` to the end of the PEL, taking
/// entries idle past `claim_idle`, as the worker starts (once the reader has taken back
/// this consumer's own pending entries: what a dead worker left behind long ago is taken
/// at once), `claim_interval` after the worker started, and then `claim_interval` after
/// each pass ends. The first deadline is taken as the worker starts, so once
/// [`ready`](super::WorkerHandle::ready) a manual clock moved past `claim_interval`
/// fires a pass.
pub(crate) async fn reclaimer<S: WorkerOps + Clone + 'static>(
    ctx: Shared<S>,
    tx: mpsc::Sender<Delivery>,
) -> Result<(), Error> {
    let mut next = ctx.deadline(ctx.cfg.claim_interval_ms);
    ctx.arm(super::context::RECLAIM);
    // No pass before the reader has taken back its own pending entries, however long
    // that takes: an entry a pass claimed for us meanwhile would be in that drain too,
    // and handled twice.
    if !ctx.history_done().await {
        return Ok(());
    }
    let mut first = true;
    loop {
        let start_up = std::mem::take(&mut first);
        if !start_up && ctx.backend.now_ms() < next && !ctx.sleep_until(next).await {
            return Ok(());
        }
        let pass = reclaim_pass(&ctx, &tx).await;
        // The next pass is due an interval after this one ended — except after the
        // start-up pass, whose end may come after a manual clock moved: the first
        // deadline stays the one taken as the worker started.
        if !start_up {
            next = ctx.deadline(ctx.cfg.claim_interval_ms);
        }
        ctx.publish();
        match pass {
            Ok(true) => {
                ctx.stat(|s| s.reclaim_passes += 1);
                ctx.publish();
            }
            Ok(false) => return Ok(()),
            Err(e) => {
                if !ctx.recover(&e).await {
                    return Ok(());
                }
            }
        }
        if let Some(idle) = ctx.cfg.delete_idle_consumers_ms {
            if let Err(e) = delete_idle_consumers(&ctx, idle).await {
                if !ctx.recover(&e).await {
                    return Ok(());
                }
            }
        }
    }
}

/// One pass; `Ok(false)` on shutdown.
async fn reclaim_pass<S: WorkerOps>(
    ctx: &Shared<S>,
    tx: &mpsc::Sender<Delivery>,
) -> Result<bool, Error> {
    let cfg = &ctx.cfg;
    let mut cursor = StreamId::MIN;
    loop {
        let Some(n) = room(ctx, cfg.batch).await else {
            return Ok(false);
        };
        let opts = XAutoClaimOptions::default().count(n as u64);
        let reply = ctx
            .backend
            .xautoclaim(
                &cfg.stream,
                &cfg.group,
                &cfg.consumer,
                Duration::from_millis(cfg.claim_idle_ms),
                cursor,
                &opts,
            )
            .await?;
        // Redis 7+ already dropped these from the PEL; 6.2 did not.
        ack_deleted(ctx, &reply.deleted).await;
        let entries: Vec<StreamEntry> = match reply.claimed {
            Claimed::Entries(e) => e,
            Claimed::Ids(_) => Vec::new(),
        };
        if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
            let counts = delivery_counts(ctx, first.id, last.id, entries.len()).await?;
            ctx.stat(|s| s.reclaimed += entries.len() as u64);
            let entries = entries.into_iter().map(GroupEntry::from).collect();
            if !hand_over(ctx, entries, Some(&counts), tx).await {
                return Ok(false);
            }
        }
        cursor = reply.next;
        if cursor == StreamId::MIN {
            return Ok(true);
        }
    }
}

/// Deletes other consumers idle at least `idle_ms` that own nothing pending.
async fn delete_idle_consumers<S: WorkerOps>(ctx: &Shared<S>, idle_ms: u64) -> Result<(), Error> {
    let cfg = &ctx.cfg;
    let consumers = ctx.backend.xinfo_consumers(&cfg.stream, &cfg.group).await?;
    for c in consumers {
        if c.name != cfg.consumer && c.pending == 0 && c.idle >= idle_ms {
            let deleted = ctx
                .backend
                .xgroup_delconsumer_if_empty(&cfg.stream, &cfg.group, &c.name)
                .await?;
            if deleted {
                ctx.stat(|s| s.consumers_deleted += 1);
                ctx.publish();
            }
        }
    }
    Ok(())
}
