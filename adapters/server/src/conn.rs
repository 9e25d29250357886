//! One connection: read requests, run them in order, write the replies — pipelined
//! requests answered together — until the client quits, is killed, sends garbage or
//! goes away.
//!
//! Reading never waits for writing. A client may send a whole pipeline before it reads
//! a single reply (redis-py's pipelines do): the connection keeps reading and running
//! its requests while earlier replies wait to be written, so the two can never wait on
//! each other. Unread replies are bounded the way Redis bounds them, by the client
//! class's `client-output-buffer-limit` (none for normal clients by default, `32mb 8mb
//! 60` once subscribed): a client past its limit is closed, with Redis's log line.

use std::sync::Arc;
use std::time::Instant;

use brook_engine::Reply;

use brook_engine::frontend::ExecuteFuture;
use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::commands::{self, Session, Step};
use crate::config::OutputLimit;
use crate::registry::{Buffers, Client, Unblock};
use crate::request::{Limits, Parsed, Parser};
use crate::Shared;

/// Output is written (as far as the socket takes it, without waiting) once this much
/// is queued, even mid-pipeline.
const FLUSH_AT: usize = 64 * 1024;

/// A connection's buffers start at this size, and go back to it when idle.
const BUF_START: usize = 16 * 1024;

/// An empty buffer that has grown past this is given back after [`IDLE_SHRINK`] of
/// quiet, as Redis's client cron resizes the buffers of idle clients: one large
/// request or reply must not pin its memory for the rest of the connection.
const SHRINK_ABOVE: usize = 64 * 1024;

/// How long a connection is quiet before its grown buffers are given back.
const IDLE_SHRINK: std::time::Duration = std::time::Duration::from_secs(2);

/// How often a client whose unread output is at or above its soft limit is checked
/// again while nothing else happens on it, as Redis's client cron checks every client's
/// output limits (a subscriber left above its soft limit with no new traffic is still
/// closed once the limit's seconds have passed).
const SOFT_LIMIT_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a client that killed itself gets to read its last reply.
const LAST_WRITE: std::time::Duration = std::time::Duration::from_secs(10);

/// Redis keeps a client's first 16 KiB of replies in a static buffer that its output
/// limits do not count; brook counts every unsent byte, so it leaves this much out.
const STATIC_REPLY_BUFFER: usize = 16 * 1024;

/// Serves one connection until it ends.
pub async fn serve<R, W>(shared: Arc<Shared>, mut rd: R, mut wr: W, addr: String, laddr: String)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    shared.count(&shared.connections_received);
    let client = shared.registry.add(addr, laddr);
    if shared.registry.len() > shared.config.maxclients {
        shared.count(&shared.rejected_connections);
        let _ = wr
            .write_all(b"-ERR max number of clients reached\r\n")
            .await;
        shared.registry.remove(client.id);
        return;
    }
    let mut sess = Session::new(&shared, client.clone());
    let mut buf = BytesMut::with_capacity(BUF_START);
    let mut parser = Parser::new();
    let mut outbox = Outbox::default();
    let mut query_grown = false;
    'conn: loop {
        loop {
            if client.is_killed() {
                // Killed by another client: closed at once, its pending replies dropped
                // (Redis's freeClient).
                break 'conn;
            }
            let limits = Limits {
                max_bulk: shared.config.proto_max_bulk_len,
                unauthenticated: !sess.authed,
            };
            match parser.next(&mut buf, limits) {
                Ok(Parsed::Command(argv)) => {
                    match commands::run(&shared, &mut sess, argv) {
                        Step::Done => {}
                        Step::Close => {
                            outbox.write_last(&mut wr, &mut sess.out.buf, &client).await;
                            break 'conn;
                        }
                        Step::Wait(fut) => {
                            let waited = wait(
                                &shared,
                                &mut sess,
                                fut,
                                &mut rd,
                                &mut buf,
                                &mut wr,
                                &mut outbox,
                            )
                            .await;
                            let errors = sess.out.errors;
                            match waited {
                                Waited::Reply(r) => sess.out.reply(&r),
                                Waited::Unblocked => sess
                                    .out
                                    .error("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
                                // A client that went away is charged nothing, as in Redis.
                                Waited::Gone => break 'conn,
                            }
                            // The blocked read counts once, now that it ended (Redis's
                            // re-run or `updateStatsOnUnblock`).
                            if let Some((name, usec)) = sess.blocked_call.take() {
                                shared.stats.call(&name, usec, sess.out.errors > errors);
                            }
                        }
                    }
                    if outbox.unsent(&sess.out.buf) >= FLUSH_AT {
                        durable_replies(&shared).await;
                        if outbox.write_now(&mut wr, &mut sess.out.buf).await.is_err() {
                            break 'conn;
                        }
                    }
                    if outbox.over_limit(&shared, &sess) {
                        break 'conn;
                    }
                }
                Ok(Parsed::Empty) => {}
                Ok(Parsed::Incomplete) => break,
                Err(e) => {
                    sess.out.error(&format!("ERR {e}"));
                    durable_replies(&shared).await;
                    outbox.write_last(&mut wr, &mut sess.out.buf, &client).await;
                    break 'conn;
                }
            }
            if client.is_killed() {
                // This command killed its own client (CLIENT KILL … SKIPME no): its
                // reply still goes out, as Redis closes such a client after the reply.
                durable_replies(&shared).await;
                let flushed = outbox.write_all(&mut wr, &mut sess.out.buf);
                let _ = tokio::time::timeout(LAST_WRITE, flushed).await;
                break 'conn;
            }
        }
        if buf.len() > shared.config.client_query_buffer_limit {
            break;
        }
        let writing = outbox.unsent(&sess.out.buf) > 0;
        if writing {
            durable_replies(&shared).await;
        }
        // A request's arguments are split off the read buffer, so its capacity shrinks
        // as they are taken while the allocation stays: remember that it grew.
        query_grown |= buf.capacity() > SHRINK_ABOVE;
        let grown =
            (buf.is_empty() && query_grown) || (!writing && sess.out.buf.capacity() > SHRINK_ABOVE);
        client.meta().buffers = Buffers {
            query: buf.len(),
            query_free: buf.capacity() - buf.len(),
            unsent: outbox.unsent(&sess.out.buf),
            output: sess.out.buf.capacity(),
        };
        let unsent = &sess.out.buf[outbox.sent.min(sess.out.buf.len())..];
        let woke = tokio::select! {
            r = rd.read_buf(&mut buf) => Woke::Read(r),
            w = wr.write(unsent), if writing => Woke::Wrote(w),
            _ = client.kill.notified() => Woke::Killed,
            m = next_message(&mut sess.subs.subscriber) => Woke::Message(m),
            () = tokio::time::sleep(IDLE_SHRINK), if grown => Woke::Idle,
            () = tokio::time::sleep_until(outbox.soft_check_at()), if outbox.soft_since.is_some() => Woke::Cron,
        };
        match woke {
            Woke::Idle => {
                if buf.is_empty() && query_grown {
                    buf = BytesMut::with_capacity(BUF_START);
                    query_grown = false;
                }
                if outbox.unsent(&sess.out.buf) == 0 && sess.out.buf.capacity() > SHRINK_ABOVE {
                    sess.out.buf = Vec::with_capacity(BUF_START);
                    outbox.sent = 0;
                }
            }
            Woke::Read(Ok(0) | Err(_)) | Woke::Killed => break,
            Woke::Read(Ok(_)) => query_grown |= buf.capacity() > SHRINK_ABOVE,
            Woke::Wrote(Ok(0) | Err(_)) => break,
            Woke::Wrote(Ok(n)) => {
                outbox.sent(&mut sess.out.buf, n);
                if outbox.soft_since.is_some() && outbox.over_limit(&shared, &sess) {
                    break;
                }
            }
            Woke::Cron => {
                if outbox.over_limit(&shared, &sess) {
                    break;
                }
            }
            Woke::Message(Ok(m)) => {
                commands::pubsub::deliver(&mut sess, &m);
                if outbox.over_limit(&shared, &sess) {
                    break;
                }
            }
            // The hub cut a subscriber that fell too far behind, or the server closes:
            // the connection ends, as Redis disconnects it.
            Woke::Message(Err(_)) => break,
        }
    }
    sess.close(&shared);
    shared.registry.remove(client.id);
    let _ = wr.shutdown().await;
}

/// With `appendonly yes` and `appendfsync always`, waits until the writes whose
/// replies are about to go out are on disk: one wait for all the replies queued (a
/// pipeline's writes share one sync). The wait runs on tokio's blocking pool, so the
/// other connections go on meanwhile and their writes share the next sync. While the
/// disk fails, it keeps waiting (new writes are refused with MISCONF meanwhile): a
/// write is never answered before it is durable.
async fn durable_replies(shared: &Shared) {
    use brook_engine::aof::Fsync;
    if !shared.config.appendonly || shared.config.appendfsync != Fsync::Always {
        return;
    }
    let engine = shared.dbs[0].clone();
    if engine
        .aof_progress()
        .is_none_or(|(_, staged, synced, _)| synced >= staged)
    {
        return;
    }
    let _ = tokio::task::spawn_blocking(move || {
        while engine.aof_sync_staged().is_err() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    })
    .await;
}

/// Where a connection's output stands: how much of the session's output buffer is
/// already written, and since when it has been at or above its soft limit.
#[derive(Debug, Default)]
struct Outbox {
    /// Bytes at the front of the output buffer that are written.
    sent: usize,
    /// When the unread output first reached the soft limit (reset below it).
    soft_since: Option<Instant>,
    /// While at the soft limit, when to check the limits again if nothing else does
    /// (an absolute time: other events on the connection do not postpone it).
    soft_check_at: Option<tokio::time::Instant>,
}

impl Outbox {
    /// Bytes queued and not yet written.
    fn unsent(&self, out: &[u8]) -> usize {
        out.len().saturating_sub(self.sent)
    }

    /// Records `n` more bytes written; drops written bytes once they are all written,
    /// or when they are most of a large buffer (so a busy pipeline does not keep them).
    fn sent(&mut self, out: &mut Vec<u8>, n: usize) {
        self.sent = (self.sent + n).min(out.len());
        if self.sent == out.len() {
            out.clear();
            self.sent = 0;
        } else if self.sent >= FLUSH_AT && self.sent * 2 >= out.len() {
            out.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// Writes what the socket takes right now, without waiting.
    async fn write_now<W: AsyncWrite + Unpin>(
        &mut self,
        wr: &mut W,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        while self.unsent(out) > 0 {
            let unsent = &out[self.sent..];
            // Unconstrained: tokio's per-task budget must not pass for a full socket.
            let wrote = tokio::select! {
                biased;
                w = tokio::task::unconstrained(wr.write(unsent)) => Some(w),
                () = std::future::ready(()) => None,
            };
            match wrote {
                None => return Ok(()),
                Some(Ok(0)) => return Err(std::io::ErrorKind::WriteZero.into()),
                Some(Ok(n)) => self.sent(out, n),
                Some(Err(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// The last reply before the connection closes (QUIT, a protocol error): written
    /// in full unless another client kills this one first.
    async fn write_last<W: AsyncWrite + Unpin>(
        &mut self,
        wr: &mut W,
        out: &mut Vec<u8>,
        client: &Client,
    ) {
        tokio::select! {
            _ = self.write_all(wr, out) => {}
            _ = client.kill.notified() => {}
        }
    }

    /// Writes everything queued, waiting as long as it takes (the connection ends
    /// after this).
    async fn write_all<W: AsyncWrite + Unpin>(
        &mut self,
        wr: &mut W,
        out: &mut Vec<u8>,
    ) -> std::io::Result<()> {
        let r = wr.write_all(&out[self.sent.min(out.len())..]).await;
        out.clear();
        self.sent = 0;
        r
    }

    /// Redis's `checkClientOutputBufferLimits` for this client's class (pub/sub once
    /// it has a subscription, else normal): true — and the close logged and counted —
    /// when the unread output reached the hard limit, or has stayed at or above the
    /// soft limit for more than its seconds.
    fn over_limit(&mut self, shared: &Shared, sess: &Session) -> bool {
        let closed = self.check_limits(shared, sess);
        self.soft_check_at = self
            .soft_since
            .map(|_| tokio::time::Instant::now() + SOFT_LIMIT_CHECK);
        closed
    }

    /// When to check the limits again while at the soft limit (far away otherwise:
    /// the caller's branch is off then).
    fn soft_check_at(&self) -> tokio::time::Instant {
        self.soft_check_at
            .unwrap_or_else(|| tokio::time::Instant::now() + SOFT_LIMIT_CHECK)
    }

    fn check_limits(&mut self, shared: &Shared, sess: &Session) -> bool {
        let used = self.unsent(&sess.out.buf);
        if used == 0 {
            self.soft_since = None;
            return false;
        }
        // An unauthenticated client may not leave more than 1 KiB unread beyond the
        // static buffer, whatever its class (Redis 8's guard against clients that
        // never read their NOAUTH errors).
        if !sess.authed && used > STATIC_REPLY_BUFFER + 1024 {
            return self.close_over_limit(shared, sess);
        }
        let limit: OutputLimit = if sess.client.subscriptions() > 0 {
            shared.config.client_output_buffer_limit_pubsub
        } else {
            shared.config.client_output_buffer_limit_normal
        };
        let hard = limit.hard > 0 && used >= limit.hard;
        let mut soft = false;
        if limit.soft > 0 && used >= limit.soft {
            match self.soft_since {
                None => self.soft_since = Some(Instant::now()),
                Some(t) => soft = t.elapsed().as_secs() > limit.soft_seconds,
            }
        } else {
            self.soft_since = None;
        }
        if !(hard || soft) {
            return false;
        }
        self.close_over_limit(shared, sess)
    }

    /// Counts and logs a client closed for its output buffer limit; always true.
    fn close_over_limit(&self, shared: &Shared, sess: &Session) -> bool {
        shared.count(&shared.output_limit_disconnections);
        eprintln!(
            "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
            commands::client::describe(shared, &sess.client)
        );
        true
    }
}

/// What woke an idle connection.
enum Woke {
    Read(std::io::Result<usize>),
    Wrote(std::io::Result<usize>),
    /// Quiet for [`IDLE_SHRINK`] with a grown buffer.
    Idle,
    /// Time to check the output limits again (unread output at the soft limit).
    Cron,
    Killed,
    Message(Result<brook_engine::PubSubMessage, brook_engine::Error>),
}

/// The next pub/sub message, or never when the connection subscribes to nothing.
async fn next_message(
    sub: &mut Option<brook_engine::Subscriber>,
) -> Result<brook_engine::PubSubMessage, brook_engine::Error> {
    use brook_engine::Subscription;
    match sub {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// What woke a blocked read's wait, besides its end.
enum Waiting {
    Wrote(std::io::Result<usize>),
    /// Time to check the output limits again (unread output at the soft limit).
    Cron,
    Message(Result<brook_engine::PubSubMessage, brook_engine::Error>),
}

enum Waited {
    Reply(Reply),
    Unblocked,
    Gone,
}

/// Waits for a blocked read, writing the replies before it meanwhile, delivering the
/// pub/sub messages of a (RESP3) subscribed client, and reading ahead (pipelined
/// requests wait in the buffer) so that a disconnect is noticed and the read given up,
/// as Redis frees a blocked client that goes away.
async fn wait<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    shared: &Shared,
    sess: &mut Session,
    mut fut: ExecuteFuture,
    rd: &mut R,
    buf: &mut BytesMut,
    wr: &mut W,
    outbox: &mut Outbox,
) -> Waited {
    let client = sess.client.clone();
    client.meta().blocked = true;
    let limit = shared.config.client_query_buffer_limit;
    let waited = loop {
        let writing = outbox.unsent(&sess.out.buf) > 0;
        if writing {
            durable_replies(shared).await;
        }
        let unsent = &sess.out.buf[outbox.sent.min(sess.out.buf.len())..];
        let event = tokio::select! {
            reply = &mut fut => break Waited::Reply(reply),
            w = wr.write(unsent), if writing => Waiting::Wrote(w),
            r = rd.read_buf(buf), if buf.len() <= limit => match r {
                Ok(0) | Err(_) => break Waited::Gone,
                Ok(_) => continue,
            },
            m = next_message(&mut sess.subs.subscriber) => Waiting::Message(m),
            () = tokio::time::sleep_until(outbox.soft_check_at()), if outbox.soft_since.is_some() => Waiting::Cron,
            _ = client.kill.notified() => break Waited::Gone,
            _ = client.unblocked.notified() => {
                if let Some(how) = client.take_unblock() {
                    if fut.unblock() {
                        break match how {
                            Unblock::Timeout => Waited::Reply(fut.await),
                            Unblock::Error => Waited::Unblocked,
                        };
                    }
                }
                continue;
            }
        };
        match event {
            Waiting::Wrote(Ok(0) | Err(_)) => break Waited::Gone,
            Waiting::Wrote(Ok(n)) => {
                outbox.sent(&mut sess.out.buf, n);
                if outbox.soft_since.is_some() && outbox.over_limit(shared, sess) {
                    break Waited::Gone;
                }
            }
            Waiting::Cron => {
                if outbox.over_limit(shared, sess) {
                    break Waited::Gone;
                }
            }
            Waiting::Message(Ok(m)) => {
                commands::pubsub::deliver(sess, &m);
                if outbox.over_limit(shared, sess) {
                    break Waited::Gone;
                }
            }
            Waiting::Message(Err(_)) => break Waited::Gone,
        }
    };
    client.meta().blocked = false;
    // A CLIENT UNBLOCK that arrived as the read ended must not end the next one.
    client.take_unblock();
    waited
}
