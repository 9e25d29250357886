//! `GET /metrics` over HTTP/1.1 on a tokio listener: just enough HTTP for a Prometheus
//! scraper (one request per connection, `Connection: close`); anything else gets 404,
//! a malformed request 400, a backend error 500 with its text.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::Exporter;
use crate::{Streams, StreamsClock};

/// The OpenMetrics content type Prometheus negotiates for this text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The longest request head read (a scraper's is a few hundred bytes).
const MAX_HEAD: usize = 8192;

/// Serves `exporter` on `listener` until the returned task is aborted.
pub fn serve<S: Streams + StreamsClock + Clone + 'static>(
    exporter: Exporter<S>,
    listener: TcpListener,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                continue;
            };
            let exporter = exporter.clone();
            tokio::spawn(async move {
                let _ = answer(&exporter, conn).await;
            });
        }
    })
}

async fn answer<S: Streams + StreamsClock + Clone + 'static>(
    exporter: &Exporter<S>,
    mut conn: TcpStream,
) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = conn.read(&mut buf).await?;
        if n == 0 || head.len() + n > MAX_HEAD {
            return reply(&mut conn, "400 Bad Request", "text/plain", "bad request\n").await;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (method, path) = (parts.next(), parts.next());
    let path = path.map(|p| p.split(|&b| b == b'?').next().unwrap_or_default());
    match (method, path) {
        (Some(b"GET"), Some(b"/metrics")) => match exporter.render().await {
            Ok(body) => reply(&mut conn, "200 OK", CONTENT_TYPE, &body).await,
            Err(e) => {
                reply(
                    &mut conn,
                    "500 Internal Server Error",
                    "text/plain",
                    &format!("{e}\n"),
                )
                .await
            }
        },
        _ => reply(&mut conn, "404 Not Found", "text/plain", "not found\n").await,
    }
}

async fn reply(conn: &mut TcpStream, status: &str, ctype: &str, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body.as_bytes()).await?;
    conn.shutdown().await
}
