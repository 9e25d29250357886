//! The open append-only file: what the engine stages under its lock is written and
//! made durable by a flusher thread, never under the engine lock.
//!
//! Writers stage the effects of a command (encoded, wrapped in MULTI/EXEC when there
//! are several, as Redis wraps them) while they hold the engine lock, so the file's
//! order is the engine's. The flusher takes everything staged, writes it, and — by
//! the policy — syncs it:
//!
//! - [`Fsync::Always`]: synced before any writer whose bytes it held is let go; every
//!   writer waiting meanwhile shares the next sync (group commit).
//! - [`Fsync::EverySec`]: written as soon as the flusher gets to it, synced once a
//!   second.
//! - [`Fsync::No`]: written, synced when the system decides.
//!
//! A failed write or sync keeps the bytes not yet on disk (nothing staged is ever
//! dropped) and is retried; until one succeeds the appender is failed
//! ([`Appender::failure`]) and the engine refuses writes with Redis's `MISCONF` error.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::resp_log::encode;
use super::Fsync;

/// How long the flusher waits before retrying a failed write.
const RETRY: Duration = Duration::from_millis(100);

/// How long the flusher lets writes gather between two writes under `everysec` and
/// `no`.
const BATCH_PAUSE: Duration = Duration::from_millis(1);

/// What writers and the flusher share.
struct Pending {
    /// Staged bytes not yet written.
    buf: Vec<u8>,
    /// Bytes staged since the file was opened (the next ticket's base).
    staged: u64,
    /// Bytes written (to the system) since then.
    written: u64,
    /// Bytes synced since then.
    synced: u64,
    /// The last write or sync failure, until a write and sync succeed again.
    failure: Option<String>,
    /// The database the file's last SELECT named.
    db: Option<usize>,
    /// The appender is being closed: flush what is left and stop.
    closing: bool,
    /// A rewrite began: bytes staged from this offset on go to this file (a new
    /// incremental file); those before it, to the old one, which is synced first.
    switch: Option<(u64, File)>,
    /// The flusher waits for work (a stage must wake it; when it is busy or pausing
    /// between writes, it will find the bytes without being woken).
    flusher_idle: bool,
}

struct Shared {
    pending: Mutex<Pending>,
    /// Wakes the flusher (something staged, or closing).
    work: Condvar,
    /// Wakes writers waiting for their bytes to be synced.
    done: Condvar,
    fsync: Fsync,
    /// A failure stands (what the engine reads, without the lock, before each command).
    failed: AtomicBool,
    /// Tests: every write fails as on a full disk while set.
    inject_failure: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The incremental file being appended to, with its flusher thread.
pub struct Appender {
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

impl Appender {
    /// Appends to `file` (opened for appending, positioned at its end) under `fsync`.
    pub fn new(file: File, fsync: Fsync) -> Appender {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending {
                buf: Vec::new(),
                staged: 0,
                written: 0,
                synced: 0,
                failure: None,
                db: None,
                closing: false,
                switch: None,
                flusher_idle: false,
            }),
            work: Condvar::new(),
            done: Condvar::new(),
            fsync,
            failed: AtomicBool::new(false),
            inject_failure: AtomicBool::new(false),
        });
        let s = shared.clone();
        let flusher = std::thread::Builder::new()
            .name("brook-aof".into())
            .spawn(move || flush_loop(&s, file))
            .ok();
        Appender { shared, flusher }
    }

    /// The policy.
    pub fn fsync(&self) -> Fsync {
        self.shared.fsync
    }

    /// Stages the effects of one command or batch on database `db` (the caller holds
    /// the engine lock, so the order is the engine's): `SELECT db` first when the file
    /// last named another, MULTI/EXEC around several. The ticket to wait for with
    /// [`Appender::wait_synced`]; `None` when there was nothing to stage.
    pub fn stage(&self, db: usize, effects: &[Vec<Bytes>]) -> Option<u64> {
        if effects.is_empty() {
            return None;
        }
        let mut p = self.shared.lock();
        let before = p.buf.len();
        if p.db != Some(db) {
            encode(&[&b"SELECT"[..], db.to_string().as_bytes()], &mut p.buf);
            p.db = Some(db);
        }
        let multi = effects.len() > 1;
        if multi {
            encode(&["MULTI"], &mut p.buf);
        }
        for e in effects {
            encode(e, &mut p.buf);
        }
        if multi {
            encode(&["EXEC"], &mut p.buf);
        }
        p.staged += (p.buf.len() - before) as u64;
        let ticket = p.staged;
        let wake = p.flusher_idle;
        drop(p);
        if wake {
            self.shared.work.notify_one();
        }
        Some(ticket)
    }

    /// Waits until the bytes up to `ticket` are on disk (only the `always` policy
    /// waits; the others return at once); the failure that keeps them from it, if the
    /// flusher meets one first.
    pub fn wait_synced(&self, ticket: u64) -> Result<(), String> {
        if self.shared.fsync != Fsync::Always {
            return Ok(());
        }
        let mut p = self.shared.lock();
        loop {
            if p.synced >= ticket {
                return Ok(());
            }
            if let Some(f) = &p.failure {
                return Err(f.clone());
            }
            p = self
                .shared
                .done
                .wait(p)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The last write or sync failure, while it lasts (writes are refused meanwhile).
    pub fn failure(&self) -> Option<String> {
        self.shared.lock().failure.clone()
    }

    /// Whether a write or sync failure stands (cheap: no lock).
    #[inline]
    pub fn failed(&self) -> bool {
        self.shared.failed.load(Ordering::Acquire)
    }

    /// Makes every write fail as on a full disk (`on`), or work again: for tests of
    /// what a failing disk does.
    pub fn inject_failure(&self, on: bool) {
        self.shared.inject_failure.store(on, Ordering::Release);
        self.shared.work.notify_one();
    }

    /// From now on, appends to `file` (a new incremental file; the caller holds the
    /// engine lock, so what is staged before is the old file's, what is staged after is
    /// this one's). The old file is synced before the first byte goes to the new one.
    /// The offset (in bytes staged since the appender was opened) where `file` starts.
    pub fn switch_to(&self, file: File) -> u64 {
        let mut p = self.shared.lock();
        let at = p.staged;
        p.switch = Some((at, file));
        // The new file starts with its own SELECT, as Redis's does.
        p.db = None;
        drop(p);
        self.shared.work.notify_one();
        at
    }

    /// Bytes written (to the system) since the appender was opened.
    pub fn written(&self) -> u64 {
        self.shared.lock().written
    }

    /// Bytes staged and bytes synced since the file was opened.
    pub fn progress(&self) -> (u64, u64) {
        let p = self.shared.lock();
        (p.staged, p.synced)
    }
}

impl Drop for Appender {
    /// Writes and syncs what is staged, then stops the flusher.
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.work.notify_all();
        if let Some(t) = self.flusher.take() {
            let _ = t.join();
        }
    }
}

/// The flusher: writes what is staged, syncs by the policy, retries failures.
fn flush_loop(shared: &Shared, mut file: File) {
    let mut last_sync = Instant::now();
    let mut unsynced = false;
    // The buffer written last round, emptied: swapped in for writers to fill, so
    // neither side grows a buffer from nothing each round.
    let mut spare: Vec<u8> = Vec::new();
    loop {
        let mut p = shared.lock();
        // Wait for bytes, a due sync, or the end.
        loop {
            let sync_due = unsynced
                && shared.fsync == Fsync::EverySec
                && last_sync.elapsed() >= Duration::from_secs(1);
            if !p.buf.is_empty() || sync_due || p.closing || p.switch.is_some() {
                break;
            }
            let wait = if unsynced && shared.fsync == Fsync::EverySec {
                Duration::from_secs(1).saturating_sub(last_sync.elapsed())
            } else {
                Duration::from_secs(3600)
            };
            p.flusher_idle = true;
            p = shared
                .work
                .wait_timeout(p, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            p.flusher_idle = false;
        }
        let closing = p.closing;
        spare.clear();
        let chunk = std::mem::replace(&mut p.buf, std::mem::take(&mut spare));
        let from = p.written;
        let upto = from + chunk.len() as u64;
        // A switch of files due within these bytes: where, in the chunk.
        let mut switch = match &p.switch {
            Some((at, _)) if *at <= upto => p
                .switch
                .take()
                .map(|(at, f)| ((at.saturating_sub(from)) as usize, f)),
            _ => None,
        };
        drop(p);

        // Write outside the lock; on failure put back what did not make it.
        let mut done = 0;
        let mut failure = None;
        if shared.inject_failure.load(Ordering::Acquire) && !chunk.is_empty() {
            failure = Some("No space left on device".to_string());
        }
        let first = switch
            .as_ref()
            .map_or(chunk.len(), |(at, _)| (*at).min(chunk.len()));
        if failure.is_none() {
            failure = write_out(&mut file, &chunk[..first], &mut done);
        }
        if done > 0 {
            unsynced = true;
        }
        if failure.is_none() {
            if let Some((_, next)) = switch.take() {
                // The old file is whole: synced before anything goes to the next.
                if unsynced {
                    if let Err(e) = file.sync_data() {
                        failure = Some(strerror(&e));
                        switch = Some((first, next));
                    } else {
                        unsynced = false;
                        last_sync = Instant::now();
                        file = next;
                    }
                } else {
                    file = next;
                }
                if failure.is_none() {
                    let before = done;
                    failure = write_out(&mut file, &chunk[first..], &mut done);
                    if done > before {
                        unsynced = true;
                    }
                }
            }
        }
        let sync_now = failure.is_none()
            && unsynced
            && match shared.fsync {
                Fsync::Always => true,
                Fsync::EverySec => closing || last_sync.elapsed() >= Duration::from_secs(1),
                Fsync::No => closing,
            };
        if sync_now {
            match file.sync_data() {
                Ok(()) => {
                    unsynced = false;
                    last_sync = Instant::now();
                }
                Err(e) => failure = Some(strerror(&e)),
            }
        }

        let mut p = shared.lock();
        let written = upto - (chunk.len() - done) as u64;
        p.written = written;
        if !unsynced {
            p.synced = written;
        }
        if let Some((_, f)) = switch {
            // The switch has not happened: still due at the same offset.
            p.switch = Some((from + first as u64, f));
        }
        if done < chunk.len() {
            // Unwritten bytes go back in front of anything staged since.
            let mut rest = chunk[done..].to_vec();
            rest.extend_from_slice(&p.buf);
            p.buf = rest;
        }
        spare = chunk;
        let failed = failure.is_some();
        match failure {
            Some(f) => p.failure = Some(f),
            None if !unsynced || shared.fsync != Fsync::Always => p.failure = None,
            None => {}
        }
        shared.failed.store(p.failure.is_some(), Ordering::Release);
        let stop = closing && (p.buf.is_empty() || failed);
        drop(p);
        shared.done.notify_all();
        if stop {
            return;
        }
        if failed {
            std::thread::sleep(RETRY);
        } else if shared.fsync != Fsync::Always {
            // Let writes gather for a moment: one write for many commands, and writers
            // that find the flusher pausing need not wake it. A process killed now
            // loses at most this pause's commands (the policies' documented window).
            std::thread::sleep(BATCH_PAUSE);
        }
    }
}

/// Writes `data` to `file`, adding what was written to `done`; the failure, if any.
fn write_out(file: &mut File, data: &[u8], done: &mut usize) -> Option<String> {
    let mut at = 0;
    while at < data.len() {
        match file.write(&data[at..]) {
            Ok(0) => return Some("write returned 0".to_string()),
            Ok(n) => {
                at += n;
                *done += n;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Some(strerror(&e)),
        }
    }
    None
}

/// The system's words for `e`, as Redis's `strerror` gives them (`No space left on
/// device`): Rust's text without its ` (os error 28)`.
fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
