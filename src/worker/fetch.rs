//! Where messages come from: the reader (the consumer's own pending history from `0`
//! after a restart, then `>` with BLOCK) and the reclaimer (periodic XAUTOCLAIM that
//! follows the cursor to the end). Both take permits from the worker's in-flight limit
//! before they fetch, so the worker never holds more than its concurrency.

use std::collections::HashMap;
use std::sync::Arc;

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
        let Some(permit) = permits(&ctx, &sem, cfg.batch).await else {
            return Ok(());
        };
        let n = permit.num_permits();
        let (at, block) = match history {
            Some(c) => (GroupReadId::After(c), None),
            None => (GroupReadId::New, Some(cfg.block_ms)),
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

/// The reclaimer: every `claim_interval`, one pass of XAUTOCLAIM from `0-0` to the end
/// of the PEL, taking entries idle past `claim_idle`.
pub(crate) async fn reclaimer<S: Streams + Clone + 'static>(
    ctx: Shared<S>,
    sem: Arc<Semaphore>,
    tx: mpsc::Sender<Delivery>,
) -> Result<(), Error> {
    loop {
        if !ctx.pause(ctx.cfg.claim_interval_ms).await {
            return Ok(());
        }
        let pass = reclaim_pass(&ctx, &sem, &tx).await;
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
