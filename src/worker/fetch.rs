//! Where messages come from: the reader (the consumer's own pending history from `0`
//! after a restart, then `>` with BLOCK) and the reclaimer (XAUTOCLAIM at start, then
//! periodically, following the cursor to the end). Both take permits from the worker's
//! in-flight limit before they fetch, so the worker never holds more than its
//! concurrency.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::context::Shared;
use super::message::Message;
use crate::{
    Claimed, Error, GroupEntry, GroupReadId, StreamEntry, StreamId, Streams, XAutoClaimOptions,
    XPendingRange, XReadGroupOptions,
};

/// A fetched message with the in-flight permit it holds until it is done.
pub(crate) struct Delivery {
    pub(crate) msg: Message,
    pub(crate) permit: OwnedSemaphorePermit,
}

/// Waits for one permit, then takes up to `batch` in all; `None` on shutdown.
async fn permits<S: Streams>(
    ctx: &Shared<S>,
    sem: &Arc<Semaphore>,
    batch: usize,
) -> Option<OwnedSemaphorePermit> {
    let mut shutdown = ctx.shutdown.clone();
    let mut first = tokio::select! {
        p = sem.clone().acquire_owned() => p.ok()?,
        _ = shutdown.wait_for(|s| *s) => return None,
    };
    let more = batch.saturating_sub(1).min(sem.available_permits());
    if more > 0 {
        if let Ok(p) = sem.clone().try_acquire_many_owned(more as u32) {
            first.merge(p);
        }
    }
    Some(first)
}

/// The delivery counts this consumer's PEL holds for IDs in `[first, last]`.
async fn delivery_counts<S: Streams>(
    ctx: &Shared<S>,
    first: StreamId,
    last: StreamId,
    n: usize,
) -> Result<HashMap<StreamId, u64>, Error> {
    let range = XPendingRange {
        min_idle: 0,
        start: first,
        end: last,
        count: n as u64,
        consumer: Some(ctx.cfg.consumer.clone()),
    };
    let pending = ctx
        .backend
        .xpending_range(&ctx.cfg.stream, &ctx.cfg.group, &range)
        .await?;
    Ok(pending
        .into_iter()
        .map(|p| (p.id, p.delivery_count))
        .collect())
}

/// Hands `entries` (with their counts) to the coordinator, one permit each; deleted
/// entries (no fields) are acknowledged instead. `false` when the coordinator is gone.
async fn hand_over<S: Streams>(
    ctx: &Shared<S>,
    mut permit: OwnedSemaphorePermit,
    entries: Vec<GroupEntry>,
    counts: Option<&HashMap<StreamId, u64>>,
    tx: &mpsc::Sender<Delivery>,
) -> bool {
    let mut deleted = Vec::new();
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
        let Some(one) = permit.split(1) else {
            break;
        };
        let msg = Message {
            stream: ctx.cfg.stream.clone(),
            id,
            deliveries,
            fields,
            effects: Default::default(),
        };
        ctx.stat(|s| s.in_flight += 1);
        if tx.send(Delivery { msg, permit: one }).await.is_err() {
            return false;
        }
    }
    ack_deleted(ctx, &deleted).await;
    true
}

/// Acknowledges pending IDs whose entries were deleted, so the PEL does not leak.
async fn ack_deleted<S: Streams>(ctx: &Shared<S>, ids: &[StreamId]) {
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
pub(crate) async fn reader<S: Streams + Clone + 'static>(
    ctx: Shared<S>,
    sem: Arc<Semaphore>,
    tx: mpsc::Sender<Delivery>,
) -> Result<(), Error> {
    let cfg = &ctx.cfg;
    // `Some(cursor)` while draining this consumer's own pending entries.
    let mut history = Some(StreamId::MIN);
    loop {
        // New entries wait while a reclaim pass runs or is due (one runs as the worker
        // starts): a blocked `>` read would hold permits the pass is waiting for.
        if history.is_none() && !ctx.reclaim_open() && !ctx.reclaim_done().await {
            return Ok(());
        }
        let Some(permit) = permits(&ctx, &sem, cfg.batch).await else {
            return Ok(());
        };
        let n = permit.num_permits();
        let (at, block) = match history {
            Some(c) => (GroupReadId::After(c), None),
            // BLOCK ends by the time the next pass is due, so the pass does not wait
            // for the permits this read holds.
            None => match ctx
                .reclaim
                .borrow()
                .next_due
                .checked_sub(ctx.backend.now_ms())
            {
                Some(until_pass) if until_pass > 0 => {
                    (GroupReadId::New, Some(cfg.block_ms.min(until_pass)))
                }
                _ => continue,
            },
        };
        let opts = XReadGroupOptions::default().count(n as u64);
        let mut shutdown = ctx.shutdown.clone();
        let streams = [(&cfg.stream[..], at)];
        let read = ctx
            .backend
            .xreadgroup(&cfg.group, &cfg.consumer, &streams, &opts, block);
        let mut read = std::pin::pin!(read);
        // The first poll sends the read (on the engine: registers it and takes its BLOCK
        // deadline, at most the next pass's due time).
        let first = std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await;
        let read = match first {
            Poll::Ready(r) => r,
            // The clock passed the next pass's due time while the read was being sent (a
            // manual clock moved meanwhile): its BLOCK could outlast the due time and keep
            // the pass waiting for these permits, so it is given up and sent again after
            // the pass. (On a real clock this needs a BLOCK of about a millisecond; a
            // read served in that instant leaves its entries pending here until a reclaim
            // pass takes them.)
            Poll::Pending if block.is_some() && !ctx.reclaim_open() => continue,
            Poll::Pending => tokio::select! {
                r = &mut read => r,
                // A read dropped after the server served it leaves its entries pending
                // here; the next worker with this name, or a reclaimer, takes them.
                _ = shutdown.wait_for(|s| *s) => return Ok(()),
            },
        };
        let entries: Vec<GroupEntry> = match read {
            Ok(reply) => reply.into_iter().flat_map(|(_, e)| e).collect(),
            Err(e) => {
                drop(permit);
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
                ctx.reclaim.send_modify(|r| r.history_done = true);
                continue;
            }
            (Some(_), Some(last)) => {
                history = Some(last.id);
                let first = entries.first().map_or(last.id, |e| e.id);
                match delivery_counts(&ctx, first, last.id, entries.len()).await {
                    Ok(c) => Some(c),
                    Err(e) => {
                        drop(permit);
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
        if !hand_over(&ctx, permit, entries, counts.as_ref(), &tx).await {
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
pub(crate) async fn reclaimer<S: Streams + Clone + 'static>(
    ctx: Shared<S>,
    sem: Arc<Semaphore>,
    tx: mpsc::Sender<Delivery>,
) -> Result<(), Error> {
    let mut next = ctx.deadline(ctx.cfg.claim_interval_ms);
    ctx.reclaim.send_modify(|r| r.next_due = next);
    ctx.arm(super::context::RECLAIM);
    if !ctx.history_done().await {
        return Ok(());
    }
    let mut first = true;
    loop {
        let start_up = std::mem::take(&mut first);
        if !start_up {
            if !ctx.sleep_until(next).await {
                return Ok(());
            }
            ctx.reclaim.send_modify(|r| r.running = true);
        }
        let pass = reclaim_pass(&ctx, &sem, &tx).await;
        // The next pass is due an interval after this one ended, so passes slower than
        // the interval still leave the reader room between them — except after the
        // start-up pass, whose end may come after a manual clock moved: the first
        // deadline stays the one taken as the worker started.
        if !start_up {
            next = ctx.deadline(ctx.cfg.claim_interval_ms);
        }
        ctx.reclaim.send_modify(|r| {
            r.running = false;
            r.next_due = next;
        });
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
async fn reclaim_pass<S: Streams>(
    ctx: &Shared<S>,
    sem: &Arc<Semaphore>,
    tx: &mpsc::Sender<Delivery>,
) -> Result<bool, Error> {
    let cfg = &ctx.cfg;
    let mut cursor = StreamId::MIN;
    loop {
        let Some(permit) = permits(ctx, sem, cfg.batch).await else {
            return Ok(false);
        };
        let opts = XAutoClaimOptions {
            count: permit.num_permits() as u64,
            justid: false,
        };
        let reply = ctx
            .backend
            .xautoclaim(
                &cfg.stream,
                &cfg.group,
                &cfg.consumer,
                cfg.claim_idle_ms,
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
            let entries = entries
                .into_iter()
                .map(|e| GroupEntry {
                    id: e.id,
                    fields: Some(e.fields),
                    claim: None,
                })
                .collect();
            if !hand_over(ctx, permit, entries, Some(&counts), tx).await {
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
async fn delete_idle_consumers<S: Streams>(ctx: &Shared<S>, idle_ms: u64) -> Result<(), Error> {
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
