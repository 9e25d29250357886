//! The coordinator: starts the reader, the reclaimer and the acker, runs one task per
//! message (keeping per-key order when asked), and on shutdown stops fetching, lets
//! in-flight work finish within the deadline, flushes acknowledgements and deletes the
//! consumer if it owns nothing pending.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use super::context::{Ctx, Shared};
use super::fetch::{self, Delivery};
use super::handler::Handler;
use super::task::{self, End, TaskEnd};
use super::{Worker, WorkerError, WorkerReport};
use crate::{Error, StreamId, WorkerOps};

/// Aborts a helper task when the coordinator goes away — also when the coordinator's
/// own task is aborted, so nothing of a killed worker keeps running.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends acknowledged IDs as XACK batches (everything queued at once); once `done`
/// fires (no task is left to queue more) it flushes what is queued and ends.
async fn acker<S: WorkerOps>(
    ctx: Shared<S>,
    mut rx: mpsc::UnboundedReceiver<StreamId>,
    mut done: oneshot::Receiver<()>,
) {
    let mut batch = Vec::new();
    let mut last = false;
    while !last {
        tokio::select! {
            biased;
            n = rx.recv_many(&mut batch, 1024) => {
                if n == 0 {
                    return;
                }
            }
            _ = &mut done => {
                last = true;
                while let Ok(id) = rx.try_recv() {
                    batch.push(id);
                }
            }
        }
        if batch.is_empty() {
            continue;
        }
        match ctx
            .backend
            .xack(&ctx.cfg.stream, &ctx.cfg.group, &batch)
            .await
        {
            Ok(_) => ctx.stat(|s| s.acked += batch.len() as u64),
            // Left pending: redelivered later (at least once).
            Err(_) => ctx.stat(|s| s.errors += 1),
        }
        ctx.publish();
        batch.clear();
    }
}

/// Every `touch_interval`, resets the idle time of every entry the worker holds with
/// one touch-if-owner per 1000 IDs, so a long handler (or a retry waiting out its
/// backoff) is not reclaimed, and an entry another consumer took is not taken back. One
/// timer per worker, not one per message.
async fn toucher<S: WorkerOps>(ctx: Shared<S>) {
    let cfg = &ctx.cfg;
    loop {
        let next = ctx.deadline(cfg.touch_interval_ms);
        ctx.arm(super::context::TOUCH);
        if !ctx.sleep_until(next).await {
            return;
        }
        let ids: Vec<StreamId> = ctx.held().iter().copied().collect();
        for chunk in ids.chunks(1000) {
            let touched = ctx
                .backend
                .xtouch_if_owner(&cfg.stream, &cfg.group, &cfg.consumer, chunk)
                .await;
            if touched.is_err() {
                ctx.stat(|s| s.errors += 1);
                ctx.publish();
            }
        }
    }
}

struct Coordinator<S, H> {
    ctx: Shared<S>,
    handler: Arc<H>,
    tasks: JoinSet<TaskEnd>,
    /// Ordering keys with a running task, and the deliveries queued behind it.
    busy: HashMap<Bytes, VecDeque<Delivery>>,
    report: WorkerReport,
}

impl<S: WorkerOps + Clone + 'static, H: Handler> Coordinator<S, H> {
    fn dispatch(&mut self, d: Delivery) {
        let key = self
            .ctx
            .cfg
            .ordering_field
            .as_ref()
            .and_then(|f| d.msg.field(f).cloned());
        if let Some(k) = &key {
            if let Some(queue) = self.busy.get_mut(k) {
                queue.push_back(d);
                return;
            }
            self.busy.insert(k.clone(), VecDeque::new());
        }
        self.start(d, key);
    }

    fn start(&mut self, d: Delivery, key: Option<Bytes>) {
        let fut = task::run(self.ctx.clone(), self.handler.clone(), d.msg, key, d.permit);
        self.tasks.spawn(fut);
    }

    /// Records a finished task; `Some(error)` when the worker must die.
    fn finish(&mut self, joined: Result<TaskEnd, tokio::task::JoinError>) -> Option<WorkerError> {
        let t = match joined {
            Ok(t) => t,
            Err(e) if e.is_cancelled() => return None,
            Err(e) => return Some(WorkerError::Internal(e.to_string())),
        };
        let TaskEnd { id, key, end, slot } = t;
        self.ctx.held().remove(&id);
        self.ctx.stat(|s| s.in_flight -= 1);
        // The task's slot is free from here on, not from when the task returned: the
        // next message must not start before a crash that stops the worker is seen.
        drop(slot);
        match end {
            End::Crashed(point) => return Some(WorkerError::Crashed(point)),
            End::Completed => self.report.completed += 1,
            End::DeadLettered => self.report.dead_lettered += 1,
            End::Deleted => {}
            End::TakenOver => self.report.taken_over += 1,
            End::Abandoned => self.report.abandoned += 1,
        }
        if let Some(k) = key {
            let next = self.busy.get_mut(&k).and_then(VecDeque::pop_front);
            match next {
                Some(d) => self.start(d, Some(k)),
                None => {
                    self.busy.remove(&k);
                }
            }
        }
        None
    }
}

impl<S: WorkerOps + Clone + 'static> Worker<S> {
    /// Runs the worker until `shutdown` completes (then shuts down gracefully) or it
    /// fails. Needs a tokio runtime: each message runs as a task of its own.
    pub async fn run_until<H: Handler>(
        self,
        handler: H,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> Result<WorkerReport, WorkerError> {
        let stop = self.shutdown.clone();
        let run = std::pin::pin!(self.run(handler));
        let mut shutdown = std::pin::pin!(shutdown);
        let mut run = run;
        tokio::select! {
            r = &mut run => r,
            () = &mut shutdown => {
                // `send_replace`: `run` may not have subscribed yet.
                stop.send_replace(true);
                run.await
            }
        }
    }

    /// Runs until [`WorkerHandle::shutdown`](super::WorkerHandle::shutdown) (via
    /// [`Worker::spawn`]) or a fatal error.
    pub(crate) async fn run<H: Handler>(self, handler: H) -> Result<WorkerReport, WorkerError> {
        let (ack_tx, ack_rx) = mpsc::unbounded_channel();
        let ctx: Shared<S> = Arc::new(Ctx {
            slots: Arc::new(Semaphore::new(self.cfg.concurrency)),
            retries: Arc::new(Semaphore::new(self.cfg.concurrency)),
            backend: self.backend,
            cfg: self.cfg,
            stats: self.stats,
            shutdown: self.shutdown.subscribe(),
            acks: ack_tx,
            metrics: self.metrics,
            held: Default::default(),
            armed: self.armed,
            history_done: watch::Sender::new(false),
        });
        ctx.ensure_group().await.map_err(WorkerError::Backend)?;
        let (tx, mut rx) = mpsc::channel::<Delivery>(ctx.cfg.concurrency.max(ctx.cfg.batch));
        let (acks_done, acks_done_rx) = oneshot::channel();
        let acker = tokio::spawn(acker(ctx.clone(), ack_rx, acks_done_rx));
        let mut acker = AbortOnDrop(acker);
        let mut reader = AbortOnDrop(tokio::spawn(fetch::reader(ctx.clone(), tx.clone())));
        let reclaimer = AbortOnDrop(tokio::spawn(fetch::reclaimer(ctx.clone(), tx)));
        let toucher = AbortOnDrop(tokio::spawn(toucher(ctx.clone())));
        let mut co = Coordinator {
            ctx: ctx.clone(),
            handler: Arc::new(handler),
            tasks: JoinSet::new(),
            busy: HashMap::new(),
            report: WorkerReport::default(),
        };
        let mut stop = ctx.shutdown.clone();
        let mut fatal: Option<Error> = None;
        let mut reader_done = false;
        loop {
            tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => break,
                Some(joined) = co.tasks.join_next() => {
                    if let Some(e) = co.finish(joined) {
                        return Err(e);
                    }
                }
                Some(d) = rx.recv() => co.dispatch(d),
                r = &mut reader.0, if !reader_done => {
                    reader_done = true;
                    if let Ok(Err(e)) = r {
                        fatal = Some(e);
                        break;
                    }
                }
            }
            ctx.publish();
        }
        // Graceful shutdown: no more fetching; what was fetched but not started stays
        // pending for this consumer name (or a reclaimer).
        let _ = self.shutdown.send(true);
        drop(reader);
        drop(reclaimer);
        drop(toucher);
        rx.close();
        while let Ok(d) = rx.try_recv() {
            drop(d);
            ctx.stat(|s| s.in_flight -= 1);
            co.report.abandoned += 1;
        }
        let queued: usize = co.busy.values().map(VecDeque::len).sum();
        co.busy.values_mut().for_each(VecDeque::clear);
        ctx.stat(|s| s.in_flight -= queued as u64);
        co.report.abandoned += queued as u64;
        let deadline = ctx
            .backend
            .now_ms()
            .saturating_add(ctx.cfg.shutdown_timeout_ms);
        let mut timer = std::pin::pin!(ctx.backend.sleep_until(deadline));
        while !co.tasks.is_empty() {
            tokio::select! {
                Some(joined) = co.tasks.join_next() => {
                    if let Some(e) = co.finish(joined) {
                        return Err(e);
                    }
                }
                _ = &mut timer => {
                    let left = co.tasks.len() as u64;
                    co.tasks.abort_all();
                    while co.tasks.join_next().await.is_some() {}
                    ctx.stat(|s| s.in_flight -= left);
                    co.report.abandoned += left;
                }
            }
        }
        // Every task has ended: flush the acknowledgements they queued.
        let _ = acks_done.send(());
        let _ = (&mut acker.0).await;
        let mut report = std::mem::take(&mut co.report);
        report.consumer_deleted = ctx
            .backend
            .xgroup_delconsumer_if_empty(&ctx.cfg.stream, &ctx.cfg.group, &ctx.cfg.consumer)
            .await
            .unwrap_or(false);
        ctx.publish();
        report.stats = *ctx.stats.borrow();
        match fatal {
            Some(e) => Err(WorkerError::Backend(e)),
            None => Ok(report),
        }
    }
}
