//! Blocking reads on the [`Engine`]: XREAD and XREADGROUP with `BLOCK`, on a thread or
//! as a future, served as Redis 8.x serves blocked clients (reference §21).
//!
//! A read that finds nothing registers itself in the engine's waiter registry in the
//! same critical section (so no write can be missed in between) and then waits on its
//! slot. Writes that signal its keys re-run it under the engine lock; its entries are
//! handed over at that moment. For XREADGROUP that means they are delivered — in the
//! consumer's PEL, `last-delivered-id` moved — before the reader even wakes: a future
//! dropped after that point leaves them pending for that consumer, exactly as a Redis
//! client that disconnects after being served does (with `NOACK` they are gone, as in
//! Redis). A future dropped while still waiting simply unregisters.
//!
//! Timeouts use the engine's clock (see `timer.rs`): with
//! [`ManualClock`](crate::ManualClock) they fire inside `advance()`/`set()`; otherwise
//! one timer thread per engine sleeps until the next deadline.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use bytes::Bytes;

use crate::blocking::handoff::Slot;
use crate::blocking::waiters::WaiterId;
use crate::cmd::ReadStep;
use crate::error::Error;
use crate::handle::engine::Engine;
use crate::read::request::{ReadOutput, ReadRequest};
use crate::reply::Reply;
use crate::sync::Arc;

/// What starting a read gave: an answer now, or a registered waiter.
enum Start {
    Done(Result<ReadOutput, Error>),
    Waiting(WaiterId, Arc<Slot>),
}

/// Runs `req` once and, if it found nothing and may block, registers it — all under
/// one lock acquisition.
fn start(engine: &Engine, mut req: ReadRequest, block: Option<u64>) -> Start {
    let mut st = engine.lock();
    let now = engine.now();
    st.ks.expire_due(now);
    st.ks.resolve_last(&mut req);
    let out = match st.ks.run_read(&req, now) {
        Ok(out) if out.is_empty() && block.is_some() => out,
        done => {
            // A group read changed the PEL: durable before it answers (`always`).
            let ticket = st.stage_effects();
            drop(st);
            engine.await_durable(ticket);
            return Start::Done(done);
        }
    };
    drop(out);
    if st.closed {
        return Start::Done(Err(Error::EngineClosed));
    }
    let deadline = block.filter(|&ms| ms > 0).map(|ms| now.saturating_add(ms));
    #[cfg(loom)]
    if crate::sync::seeded::lost_wakeup() {
        drop(st);
        st = engine.lock();
    }
    register(engine, &mut st, req, deadline, now)
}

fn register(
    engine: &Engine,
    st: &mut crate::handle::state::State,
    req: ReadRequest,
    deadline: Option<u64>,
    now: u64,
) -> Start {
    let st_ref = &mut *st;
    let (id, slot) = st_ref.waiters.register(&mut st_ref.ks, req, deadline, now);
    crate::handle::timer::wake_timer(engine.inner(), st);
    Start::Waiting(id, slot)
}

/// The reply of [`Engine::execute`] for an argument vector, blocking the thread for
/// XREAD/XREADGROUP with `BLOCK` that found nothing.
pub(crate) fn execute(engine: &Engine, argv: &[Bytes]) -> Reply {
    match begin_execute(engine, argv) {
        Ok(reply) => reply,
        Err((_, slot)) => crate::cmd::render_read(slot.wait(engine.inner().spin)),
    }
}

/// Runs a command; `Err` carries the waiter of a read that blocks.
#[allow(clippy::result_large_err)]
fn begin_execute(engine: &Engine, argv: &[Bytes]) -> Result<Reply, (WaiterId, Arc<Slot>)> {
    let mut st = engine.lock();
    let now = engine.now();
    let step = st.ks.prepare_read(argv, now);
    match step {
        None => {
            let reply = st.ks.execute(argv, now);
            let done = st.after_write(now);
            let ticket = st.stage_effects();
            drop(st);
            done.deliver();
            engine.await_durable(ticket);
            Ok(reply)
        }
        Some(ReadStep::Reply(reply)) => {
            let ticket = st.stage_effects();
            drop(st);
            engine.await_durable(ticket);
            Ok(reply)
        }
        Some(ReadStep::Block { .. }) if st.closed => Ok(Reply::Error(Error::EngineClosed)),
        Some(ReadStep::Block { request, deadline }) => {
            match register(engine, &mut st, request, deadline, now) {
                Start::Waiting(id, slot) => Err((id, slot)),
                Start::Done(out) => Ok(crate::cmd::render_read(out)),
            }
        }
    }
}

impl Engine {
    /// Executes one command given as a Redis argument vector (see
    /// [`crate::frontend::Keyspace::execute`]). XREAD and XREADGROUP with `BLOCK` wait on this
    /// thread, as a Redis client would; use [`Engine::execute_async`] from async code.
    pub fn execute(&self, argv: &[Bytes]) -> Reply {
        execute(self, argv)
    }

    /// Runs a read, blocking the thread up to `block_ms` (0: forever) when it finds
    /// nothing.
    pub fn read_blocking(&self, req: ReadRequest, block_ms: u64) -> Result<ReadOutput, Error> {
        match start(self, req, Some(block_ms)) {
            Start::Done(out) => out,
            Start::Waiting(_, slot) => slot.wait(self.inner().spin),
        }
    }

    /// The future form of [`Engine::read_blocking`]. The read runs at the first poll
    /// (its BLOCK time counts from then). Dropping it while it waits unregisters the
    /// read; see the module docs for a drop after the hand-off. Polling it again after
    /// it completed answers [`Error::EngineClosed`].
    pub fn read_async(&self, req: ReadRequest, block_ms: u64) -> ReadFuture {
        ReadFuture {
            engine: self.clone(),
            state: FutureState::Start(req, block_ms),
        }
    }

    /// [`Engine::execute`] for async code: XREAD/XREADGROUP with `BLOCK` wait without
    /// blocking the thread. The command runs when this is called (as a command sent on
    /// a connection does); only the wait is in the future.
    pub fn execute_async(&self, argv: &[Bytes]) -> ExecuteFuture {
        let state = match begin_execute(self, argv) {
            Ok(reply) => ExecState::Ready(Some(reply)),
            Err((id, slot)) => ExecState::Waiting(Waiting::new(self.clone(), id, slot)),
        };
        ExecuteFuture { state }
    }

    /// [`Engine::execute_async`] for a server writing RESP: the reply of a command that
    /// answers at once is encoded for `proto` and appended to `out` — XREAD and
    /// XREADGROUP straight from the stream as their entries are read, the other
    /// commands as [`Keyspace::execute_resp`](crate::frontend::Keyspace::execute_resp) encodes
    /// them — and `Ok(None)` returned; a read that blocks writes nothing and returns
    /// its future (which yields the reply to encode). An error reply is returned as
    /// `Err`, nothing written.
    pub fn execute_resp_async(
        &self,
        argv: &[Bytes],
        proto: crate::resp::Protocol,
        out: &mut alloc::vec::Vec<u8>,
    ) -> Result<Option<ExecuteFuture>, Error> {
        let mut st = self.lock();
        let now = self.now();
        let step = st.ks.prepare_read_resp(argv, now, proto, out);
        let (request, deadline) = match step {
            None => {
                let written = st.ks.execute_resp(argv, now, proto, out);
                let done = st.after_write(now);
                drop(st);
                done.deliver();
                return written.map(|()| None);
            }
            Some(Err(e)) => return Err(e),
            Some(Ok(crate::cmd::RespReadStep::Written)) => return Ok(None),
            Some(Ok(crate::cmd::RespReadStep::Block { .. })) if st.closed => {
                return Err(Error::EngineClosed)
            }
            Some(Ok(crate::cmd::RespReadStep::Block { request, deadline })) => (request, deadline),
        };
        match register(self, &mut st, request, deadline, now) {
            Start::Waiting(id, slot) => Ok(Some(ExecuteFuture {
                state: ExecState::Waiting(Waiting::new(self.clone(), id, slot)),
            })),
            Start::Done(done) => match crate::cmd::render_read(done) {
                Reply::Error(e) => Err(e),
                reply => {
                    reply.write_resp(proto, out);
                    Ok(None)
                }
            },
        }
    }

    /// Closes the engine for blocking: every blocked reader wakes with
    /// [`Error::EngineClosed`], and later reads that would block fail the same way.
    /// Other commands keep working.
    pub fn close(&self) {
        let done = {
            let mut st = self.lock();
            st.closed = true;
            let st = &mut *st;
            st.waiters.fail_all(&mut st.ks, &Error::EngineClosed)
        };
        self.inner().timer.notify_all();
        done.deliver();
        self.pubsub().close();
    }

    /// Number of readers blocked right now.
    pub fn blocked_readers(&self) -> usize {
        self.lock().waiters.readers()
    }

    /// Checks every invariant of the keyspace and of the blocked-reader registry.
    pub fn check(&self) -> Result<(), alloc::string::String> {
        let st = self.lock();
        st.ks.check()?;
        st.waiters.check(&st.ks)
    }
}

/// A registered waiter owned by a future: unregisters on drop unless finished.
pub(crate) struct Waiting {
    engine: Engine,
    id: WaiterId,
    slot: Arc<Slot>,
    done: bool,
    /// Spun already (only the first poll after registering spins).
    spun: bool,
}

impl Waiting {
    pub(crate) fn new(engine: Engine, id: WaiterId, slot: Arc<Slot>) -> Waiting {
        Waiting {
            engine,
            id,
            slot,
            done: false,
            spun: false,
        }
    }

    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<ReadOutput, Error>> {
        if !self.spun {
            self.spun = true;
            self.slot.spin(self.engine.inner().spin);
        }
        let p = self.slot.poll(cx);
        if p.is_ready() {
            self.done = true;
        }
        p
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let mut st = self.engine.lock();
        let st = &mut *st;
        if !st.waiters.cancel(&mut st.ks, self.id) {
            // Served or timed out before we looked: whatever was handed over stays
            // where the hand-off put it (pending entries stay pending).
            drop(self.slot.take());
        }
    }
}

enum FutureState {
    Start(ReadRequest, u64),
    Waiting(Waiting),
    Done,
}

/// The future of [`Engine::read_async`]: `Send`, runtime-independent, woken by the
/// engine (no polling).
pub struct ReadFuture {
    engine: Engine,
    state: FutureState,
}

impl core::fmt::Debug for ReadFuture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReadFuture").finish_non_exhaustive()
    }
}

impl Future for ReadFuture {
    type Output = Result<ReadOutput, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                FutureState::Start(..) => {
                    let FutureState::Start(req, block) =
                        core::mem::replace(&mut this.state, FutureState::Done)
                    else {
                        continue;
                    };
                    match start(&this.engine, req, Some(block)) {
                        Start::Done(out) => return Poll::Ready(out),
                        Start::Waiting(id, slot) => {
                            this.state =
                                FutureState::Waiting(Waiting::new(this.engine.clone(), id, slot));
                        }
                    }
                }
                FutureState::Waiting(w) => {
                    let p = w.poll(cx);
                    if p.is_ready() {
                        this.state = FutureState::Done;
                    }
                    return p;
                }
                FutureState::Done => return Poll::Ready(Err(Error::EngineClosed)),
            }
        }
    }
}

enum ExecState {
    Ready(Option<Reply>),
    Waiting(Waiting),
}

/// The future of [`Engine::execute_async`].
pub struct ExecuteFuture {
    state: ExecState,
}

impl core::fmt::Debug for ExecuteFuture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExecuteFuture").finish_non_exhaustive()
    }
}

impl ExecuteFuture {
    /// The reply, when the command did not block (taken: later polls answer nil).
    pub fn take_ready(&mut self) -> Option<Reply> {
        match &mut self.state {
            ExecState::Ready(r) => r.take(),
            ExecState::Waiting(_) => None,
        }
    }

    /// True while the command is a blocked read waiting for data or its timeout.
    pub fn is_blocked(&self) -> bool {
        matches!(&self.state, ExecState::Waiting(w) if !w.done)
    }

    /// `CLIENT UNBLOCK`: takes a blocked read out of the waiter registry, as if its
    /// timeout had come, and returns true; the future must then be dropped without
    /// being polled again. False when it was no longer waiting — already served or
    /// timed out — and awaiting it gives that outcome.
    pub fn unblock(&mut self) -> bool {
        let ExecState::Waiting(w) = &mut self.state else {
            return false;
        };
        if w.done {
            return false;
        }
        let cancelled = {
            let mut st = w.engine.lock();
            let st = &mut *st;
            st.waiters.cancel(&mut st.ks, w.id)
        };
        if cancelled {
            w.done = true;
            self.state = ExecState::Ready(None);
        }
        cancelled
    }
}

impl Future for ExecuteFuture {
    type Output = Reply;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Reply> {
        match &mut self.get_mut().state {
            ExecState::Ready(r) => Poll::Ready(r.take().unwrap_or(Reply::NullArray)),
            ExecState::Waiting(w) => w.poll(cx).map(crate::cmd::render_read),
        }
    }
}
