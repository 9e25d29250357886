//! One message's life in a worker: handle it (panics caught, cut off at the handler
//! timeout), acknowledge it on success, otherwise retry it after a backoff while this
//! consumer still owns it, and dead-letter it once it was delivered `max_deliveries`
//! times. While the worker holds it, the worker's toucher keeps it from looking idle.

use std::sync::Arc;

use bytes::Bytes;

use super::context::Shared;
use super::dead_letter;
use super::faults::CrashPoint;
use super::handler::{CatchUnwind, Handler};
use super::message::Message;
use crate::{GroupReadId, StreamId, WorkerOps, XReadGroupOptions};

/// How a message's task ended.
#[derive(Debug)]
pub(crate) enum End {
    /// Succeeded (or found already handled, in idempotent mode) and acknowledged, or
    /// queued for the batched acknowledgement.
    Completed,
    /// Moved to the dead-letter stream (or acknowledged because its entry was deleted).
    DeadLettered,
    /// Another consumer took it over; left to that one.
    TakenOver,
    /// Its stream entry was deleted while it waited for a retry; acknowledged.
    Deleted,
    /// Left pending (shutdown, or a backend error) for this or another worker.
    Abandoned,
    /// The fault hook killed the worker here.
    Crashed(CrashPoint),
}

/// A finished task: the message's ID, its ordering key, and how it ended.
pub(crate) struct TaskEnd {
    pub(crate) id: StreamId,
    pub(crate) key: Option<Bytes>,
    pub(crate) end: End,
    /// The message's slot, given back only once the coordinator has taken note of the
    /// end: a slot freed as the task returns could let the next message start before
    /// the coordinator sees that this one crashed the worker.
    pub(crate) slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Runs the message's whole life, with its entry kept fresh alongside.
pub(crate) async fn run<S: WorkerOps + Clone + 'static, H: Handler>(
    ctx: Shared<S>,
    handler: Arc<H>,
    msg: Message,
    key: Option<Bytes>,
    slot: tokio::sync::OwnedSemaphorePermit,
) -> TaskEnd {
    let id = msg.id;
    let span = tracing::info_span!(
        "brook.message",
        stream = %String::from_utf8_lossy(&msg.stream),
        group = %String::from_utf8_lossy(&ctx.cfg.group),
        consumer = %String::from_utf8_lossy(&ctx.cfg.consumer),
        id = %id,
        deliveries = msg.deliveries,
    );
    // The worker's toucher keeps the entry fresh meanwhile (see `run.rs`).
    let mut slot = Some(slot);
    let end = tracing::Instrument::instrument(life(&ctx, &*handler, msg, &mut slot), span).await;
    TaskEnd { id, key, end, slot }
}

/// `slot` is the message's place in the in-flight limit: held while it is handled,
/// given back while it waits out a backoff (other messages go on meanwhile) and taken
/// again for the retry — unless the worker keeps per-key order (a message queued
/// behind this one's key holds a slot and waits for it: giving the slot away could
/// leave the retry waiting for a slot that the queue behind it holds), or as many
/// messages as `concurrency` are waiting for a retry already (so a failing backlog is
/// not pulled in whole).
async fn life<S: WorkerOps, H: Handler>(
    ctx: &Shared<S>,
    handler: &H,
    mut msg: Message,
    slot: &mut Option<tokio::sync::OwnedSemaphorePermit>,
) -> End {
    let cfg = &ctx.cfg;
    if ctx.crash(CrashPoint::AfterReadBeforeHandle, msg.id) {
        return End::Crashed(CrashPoint::AfterReadBeforeHandle);
    }
    if cfg.idempotent_keep.is_some() {
        match ctx.backend.get(&marker(ctx, &msg)).await {
            Ok(Some(_)) => {
                // Processed before (a redelivery, or the same message added twice).
                ctx.stat(|s| s.duplicates += 1);
                let _ = ctx.acks.send(msg.id);
                return End::Completed;
            }
            Ok(None) => {}
            Err(_) => {
                ctx.stat(|s| s.errors += 1);
                return End::Abandoned;
            }
        }
    }
    let mut last_error: Option<String> = None;
    loop {
        if msg.deliveries > cfg.max_deliveries {
            let error = last_error.take().unwrap_or_else(|| {
                format!(
                    "delivered {} times (max_deliveries {}) without success",
                    msg.deliveries, cfg.max_deliveries
                )
            });
            return dead_letter(ctx, &msg, &error).await;
        }
        match attempt(ctx, handler, msg.clone()).await {
            Ok(()) => {
                ctx.stat(|s| s.succeeded += 1);
                if ctx.crash(CrashPoint::AfterHandleBeforeAck, msg.id) {
                    return End::Crashed(CrashPoint::AfterHandleBeforeAck);
                }
                return commit(ctx, &msg).await;
            }
            Err(e) => {
                ctx.stat(|s| s.failed += 1);
                // A failed attempt's writes are dropped.
                drop(msg.effects.take());
                if msg.deliveries >= cfg.max_deliveries {
                    return dead_letter(ctx, &msg, &e).await;
                }
                last_error = Some(e);
            }
        }
        // Wait out the backoff (the entry stays pending and kept fresh), then take it
        // again from this consumer's own PEL — which counts the delivery.
        // The retry's deadline is taken before `backing_off` shows it, so a test that
        // sees the count can move a manual clock past the backoff and know it fires.
        let retry_at = ctx.deadline(cfg.backoff.delay_ms(msg.deliveries));
        // A message waiting for its retry does not keep its slot, when it can have a
        // place among the retries instead (see above).
        let waiting = match cfg.ordering_field {
            Some(_) => None,
            None => ctx.retries.clone().try_acquire_owned().ok(),
        };
        if waiting.is_some() {
            drop(slot.take());
        }
        ctx.stat(|s| s.backing_off += 1);
        ctx.publish();
        let waited = ctx.sleep_until(retry_at).await;
        ctx.stat(|s| s.backing_off -= 1);
        if !waited {
            return End::Abandoned;
        }
        if slot.is_none() {
            *slot = ctx.slot().await;
            if slot.is_none() {
                return End::Abandoned;
            }
        }
        drop(waiting);
        match refetch(ctx, &msg).await {
            Ok(Refetch::Again(again)) => {
                ctx.stat(|s| s.retried += 1);
                msg = again;
            }
            Ok(Refetch::Deleted) => return End::Deleted,
            Ok(Refetch::Gone) => {
                ctx.stat(|s| s.taken_over += 1);
                return End::TakenOver;
            }
            Err(_) => {
                ctx.stat(|s| s.errors += 1);
                return End::Abandoned;
            }
        }
    }
}

/// The processed-marker of `msg` for idempotent mode.
fn marker<S: WorkerOps>(ctx: &Shared<S>, msg: &Message) -> Bytes {
    let cfg = &ctx.cfg;
    let key = cfg
        .idempotency_field
        .as_ref()
        .and_then(|f| msg.field(f).cloned())
        .unwrap_or_else(|| Bytes::from(msg.id.to_string()));
    let mut m = Vec::with_capacity(cfg.stream.len() + cfg.group.len() + key.len() + 8);
    m.extend_from_slice(&cfg.stream);
    m.extend_from_slice(b":done:");
    m.extend_from_slice(&cfg.group);
    m.push(b':');
    m.extend_from_slice(&key);
    Bytes::from(m)
}

/// Commits a success: the batched acker when there is nothing else to write; the
/// handler's writes with the XACK in one MULTI; or, in idempotent mode,
/// mark-and-ack-if-new. A commit that fails leaves the entry pending (redelivered, and
/// with nothing of it applied).
async fn commit<S: WorkerOps>(ctx: &Shared<S>, msg: &Message) -> End {
    let cfg = &ctx.cfg;
    let effects = msg.effects.take();
    if let Some(keep) = cfg.idempotent_keep {
        let marker = marker(ctx, msg);
        let r = ctx
            .backend
            .mark_and_ack_if_new(&cfg.stream, &cfg.group, msg.id, &marker, keep, &effects)
            .await;
        return match r {
            Ok(Some(replies)) => {
                let failed = replies.iter().filter(|r| r.is_err()).count() as u64;
                ctx.stat(|s| {
                    s.acked += 1;
                    s.effect_errors += failed;
                });
                End::Completed
            }
            Ok(None) => {
                // A duplicate at commit time: acknowledged all the same (like one
                // spotted before the handler ran), nothing else applied.
                ctx.stat(|s| {
                    s.acked += 1;
                    s.duplicates += 1;
                });
                End::Completed
            }
            Err(_) => {
                ctx.stat(|s| s.errors += 1);
                End::Abandoned
            }
        };
    }
    if effects.is_empty() {
        // The acker sends XACK in batches; if the worker dies first the entry is
        // redelivered (at least once).
        let _ = ctx.acks.send(msg.id);
        return End::Completed;
    }
    let n = effects.len();
    let mut cmds = effects;
    cmds.push(crate::Command::XAck {
        key: cfg.stream.clone(),
        group: cfg.group.clone(),
        ids: vec![msg.id],
    });
    match ctx.backend.atomic(&cmds).await {
        Ok(replies) => {
            let failed = replies.iter().take(n).filter(|r| r.is_err()).count() as u64;
            ctx.stat(|s| {
                s.acked += 1;
                s.effect_errors += failed;
            });
            End::Completed
        }
        Err(_) => {
            ctx.stat(|s| s.errors += 1);
            End::Abandoned
        }
    }
}

/// One handler run: `Err(text)` for an error, a panic or a timeout.
async fn attempt<S: WorkerOps, H: Handler>(
    ctx: &Shared<S>,
    handler: &H,
    msg: Message,
) -> Result<(), String> {
    drop(msg.effects.take());
    ctx.metrics.deliveries.observe(msg.deliveries as f64);
    let started = std::time::Instant::now();
    let outcome = attempt_inner(ctx, handler, msg).await;
    ctx.metrics
        .handler_seconds
        .observe(started.elapsed().as_secs_f64());
    outcome
}

async fn attempt_inner<S: WorkerOps, H: Handler>(
    ctx: &Shared<S>,
    handler: &H,
    msg: Message,
) -> Result<(), String> {
    let run = CatchUnwind(Box::pin(handler.handle(msg)));
    let outcome = match ctx.cfg.handler_timeout_ms {
        None => run.await,
        Some(ms) => {
            let deadline = ctx.backend.now_ms().saturating_add(ms);
            tokio::select! {
                r = run => r,
                _ = ctx.backend.sleep_until(deadline) => {
                    ctx.stat(|s| s.timed_out += 1);
                    return Err(format!("handler timed out after {ms} ms"));
                }
            }
        }
    };
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => {
            ctx.stat(|s| s.panicked += 1);
            Err(format!("handler panicked: {panic}"))
        }
    }
}

/// What taking a message again for its retry found.
enum Refetch {
    /// Still ours: the entry, delivered once more.
    Again(Message),
    /// Taken over by another consumer (or acknowledged) meanwhile.
    Gone,
    /// Its stream entry was deleted; now acknowledged.
    Deleted,
}

/// Takes `msg` again for a retry if this consumer still owns it: touch-if-owner, then
/// a history read of exactly that entry (one more delivery).
async fn refetch<S: WorkerOps>(ctx: &Shared<S>, msg: &Message) -> Result<Refetch, crate::Error> {
    let cfg = &ctx.cfg;
    let touched = ctx
        .backend
        .xtouch_if_owner(&cfg.stream, &cfg.group, &cfg.consumer, &[msg.id])
        .await?;
    if touched == 0 {
        return Ok(Refetch::Gone);
    }
    let before = msg.id.prev().unwrap_or(StreamId::MIN);
    let opts = XReadGroupOptions::default().count(1);
    let reply = ctx
        .backend
        .xreadgroup(
            &cfg.group,
            &cfg.consumer,
            &[(&cfg.stream[..], GroupReadId::After(before))],
            &opts,
            None,
        )
        .await?;
    let Some(entry) = reply.into_iter().flat_map(|s| s.entries).next() else {
        return Ok(Refetch::Gone);
    };
    if entry.id != msg.id {
        return Ok(Refetch::Gone);
    }
    let Some(fields) = entry.fields else {
        ctx.backend.xack(&cfg.stream, &cfg.group, &[msg.id]).await?;
        ctx.stat(|s| s.deleted_acked += 1);
        return Ok(Refetch::Deleted);
    };
    Ok(Refetch::Again(Message {
        deliveries: msg.deliveries + 1,
        fields,
        ..msg.clone()
    }))
}

/// ack-if-owner-then-add into the dead-letter stream.
async fn dead_letter<S: WorkerOps>(ctx: &Shared<S>, msg: &Message, error: &str) -> End {
    let cfg = &ctx.cfg;
    if ctx.crash(CrashPoint::BeforeDeadLetter, msg.id) {
        return End::Crashed(CrashPoint::BeforeDeadLetter);
    }
    let fields = dead_letter::fields(
        &cfg.stream,
        &cfg.group,
        &cfg.consumer,
        msg.id,
        msg.deliveries,
        error,
        &msg.fields,
    );
    let moved = ctx
        .backend
        .xack_if_owner_then_add(
            &cfg.stream,
            &cfg.group,
            &cfg.consumer,
            msg.id,
            &cfg.dead_letter,
            &fields,
        )
        .await;
    if ctx.crash(CrashPoint::AfterDeadLetter, msg.id) {
        return End::Crashed(CrashPoint::AfterDeadLetter);
    }
    match moved {
        Ok(Some(_)) => {
            ctx.stat(|s| s.dead_lettered += 1);
            End::DeadLettered
        }
        Ok(None) => {
            ctx.stat(|s| s.taken_over += 1);
            End::TakenOver
        }
        Err(_) => {
            ctx.stat(|s| s.errors += 1);
            End::Abandoned
        }
    }
}
