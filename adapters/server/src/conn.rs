//! One connection: read requests, run them in order, write the replies — pipelined
//! requests answered together — until the client quits, is killed, sends garbage or
//! goes away.

use std::sync::Arc;

use brook_engine::{ExecuteFuture, Reply};
use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::commands::{self, Session, Step};
use crate::registry::Unblock;
use crate::request::{Limits, Parsed, Parser};
use crate::Shared;

/// Output is written once this much is waiting, even mid-pipeline.
const FLUSH_AT: usize = 64 * 1024;

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
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut parser = Parser::new();
    'conn: loop {
        loop {
            let limits = Limits {
                max_bulk: shared.config.proto_max_bulk_len,
                unauthenticated: !sess.authed,
            };
            match parser.next(&mut buf, limits) {
                Ok(Parsed::Command(argv)) => {
                    match commands::run(&shared, &mut sess, argv) {
                        Step::Done => {}
                        Step::Close => {
                            let _ = flush(&shared, &mut wr, &mut sess).await;
                            break 'conn;
                        }
                        Step::Wait(fut) => {
                            if flush(&shared, &mut wr, &mut sess).await.is_err() {
                                break 'conn;
                            }
                            let waited = wait(&shared, &sess, fut, &mut rd, &mut buf).await;
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
                    if sess.out.buf.len() >= FLUSH_AT
                        && flush(&shared, &mut wr, &mut sess).await.is_err()
                    {
                        break 'conn;
                    }
                }
                Ok(Parsed::Empty) => {}
                Ok(Parsed::Incomplete) => break,
                Err(e) => {
                    sess.out.error(&format!("ERR {e}"));
                    let _ = flush(&shared, &mut wr, &mut sess).await;
                    break 'conn;
                }
            }
            if client.is_killed() {
                let _ = flush(&shared, &mut wr, &mut sess).await;
                break 'conn;
            }
        }
        if flush(&shared, &mut wr, &mut sess).await.is_err() {
            break;
        }
        if buf.len() > shared.config.client_query_buffer_limit {
            break;
        }
        let woke = tokio::select! {
            r = rd.read_buf(&mut buf) => Woke::Read(r),
            _ = client.kill.notified() => Woke::Killed,
            m = next_message(&mut sess.subs.subscriber) => Woke::Message(m),
        };
        match woke {
            Woke::Read(Ok(0) | Err(_)) | Woke::Killed => break,
            Woke::Read(Ok(_)) => {}
            Woke::Message(Ok(m)) => commands::pubsub::deliver(&mut sess, &m),
            // The hub cut a subscriber that fell too far behind, or the server closes:
            // the connection ends, as Redis disconnects it.
            Woke::Message(Err(_)) => break,
        }
    }
    sess.close(&shared);
    shared.registry.remove(client.id);
    let _ = wr.shutdown().await;
}

/// What woke an idle connection.
enum Woke {
    Read(std::io::Result<usize>),
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

/// Writes the pending output. A subscribed connection keeps taking its messages while
/// the client is slow to read, and is cut off once more than the pub/sub output limit
/// waits unread (Redis's `client-output-buffer-limit pubsub`).
async fn flush<W: AsyncWrite + Unpin>(
    shared: &Shared,
    wr: &mut W,
    sess: &mut Session,
) -> std::io::Result<()> {
    if sess.subs.subscriber.is_none() {
        let r = wr.write_all(&sess.out.buf).await;
        sess.out.buf.clear();
        return r;
    }
    let limit = shared.config.client_output_buffer_limit_pubsub;
    while !sess.out.buf.is_empty() {
        let woke = tokio::select! {
            n = wr.write(&sess.out.buf) => Err(n),
            m = next_message(&mut sess.subs.subscriber) => Ok(m),
        };
        match woke {
            Err(Ok(0)) => return Err(std::io::ErrorKind::WriteZero.into()),
            Err(Ok(n)) => {
                sess.out.buf.drain(..n);
            }
            Err(Err(e)) => return Err(e),
            Ok(Ok(m)) => {
                commands::pubsub::deliver(sess, &m);
                if sess.out.buf.len() > limit {
                    return Err(std::io::ErrorKind::OutOfMemory.into());
                }
            }
            Ok(Err(_)) => return Err(std::io::ErrorKind::ConnectionAborted.into()),
        }
    }
    Ok(())
}

enum Waited {
    Reply(Reply),
    Unblocked,
    Gone,
}

/// Waits for a blocked read, reading ahead (pipelined requests wait in the buffer) so
/// that a disconnect is noticed and the read given up, as Redis frees a blocked client
/// that goes away.
async fn wait<R: AsyncRead + Unpin>(
    shared: &Shared,
    sess: &Session,
    mut fut: ExecuteFuture,
    rd: &mut R,
    buf: &mut BytesMut,
) -> Waited {
    let client = &sess.client;
    client.meta().blocked = true;
    let limit = shared.config.client_query_buffer_limit;
    let out = loop {
        tokio::select! {
            reply = &mut fut => break Waited::Reply(reply),
            r = rd.read_buf(buf), if buf.len() <= limit => match r {
                Ok(0) | Err(_) => break Waited::Gone,
                Ok(_) => {}
            },
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
            }
        }
    };
    client.meta().blocked = false;
    out
}
