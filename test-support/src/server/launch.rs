//! Helpers for starting a server: free ports, private temp dirs, readiness
//! polling and log tails.

use std::fs;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::conn::RespConn;
use crate::resp::Frame;

use super::ServerKind;

/// How long a server may take to answer `PING`.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// A port that was free a moment ago (bind `127.0.0.1:0`, then release).
/// Never 6379, so a system Redis is never touched.
pub(crate) fn free_port() -> io::Result<u16> {
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        if port != 6379 {
            return Ok(port);
        }
    }
}

/// A new, empty directory unique to this guard: pid + counter + time.
pub(crate) fn fresh_dir(kind: ServerKind) -> io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "brook-{}-{}-{n}-{nanos}",
            kind.name(),
            std::process::id()
        ));
        match fs::create_dir(&dir) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            other => return other.map(|()| dir),
        }
    }
}

/// Polls `PING` every 10 ms until `PONG`, checking that the answering
/// process is `child` (not some other server that grabbed the port).
pub(crate) fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut last = String::from("no connection yet");
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) => return Err(format!("server exited early ({status})")),
            Ok(None) => {}
            Err(e) => return Err(format!("cannot poll the server process: {e}")),
        }
        match probe(port) {
            Ok(pid) if pid == child.id() => return Ok(()),
            Ok(pid) => {
                return Err(format!(
                    "port {port} is served by another process (pid {pid}, ours is {})",
                    child.id()
                ))
            }
            Err(why) => last = why,
        }
        thread::sleep(POLL_INTERVAL);
    }
    Err(format!("no PONG within {READY_TIMEOUT:?} (last: {last})"))
}

/// `PING` then `INFO server`; the answering server's `process_id`.
fn probe(port: u16) -> Result<u32, String> {
    let mut conn = RespConn::connect(port).map_err(|e| format!("connect: {e}"))?;
    conn.set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| e.to_string())?;
    conn.send(&[b"PING"])
        .map_err(|e| format!("send PING: {e}"))?;
    let (pong, _) = conn.read().map_err(|e| format!("read PING reply: {e}"))?;
    if pong != Frame::simple("PONG") {
        return Err(format!("PING answered {pong}"));
    }
    conn.send(&[b"INFO", b"server"])
        .map_err(|e| format!("send INFO: {e}"))?;
    let (info, _) = conn.read().map_err(|e| format!("read INFO reply: {e}"))?;
    info_field(&info, "process_id")
        .and_then(|pid| pid.parse().ok())
        .ok_or_else(|| format!("INFO server has no process_id: {info}"))
}

/// The value of `field:` in an `INFO` reply.
pub(crate) fn info_field(info: &Frame, field: &str) -> Option<String> {
    let text = String::from_utf8_lossy(info.as_bytes()?);
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key == field).then(|| value.trim().to_string())
    })
}

/// The last lines of the server's log file, for failure messages.
pub(crate) fn log_tail(path: &Path) -> String {
    const MAX_BYTES: usize = 4096;
    match fs::read(path) {
        Ok(bytes) => {
            let from = bytes.len().saturating_sub(MAX_BYTES);
            let text = String::from_utf8_lossy(&bytes[from..]);
            if text.trim().is_empty() {
                "(log is empty)".to_string()
            } else {
                text.into_owned()
            }
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}
