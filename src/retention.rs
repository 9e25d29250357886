//! Retention: bounding a stream's memory without losing work. [`Retention::Safe`] never
//! removes an entry some consumer group has not yet delivered and acknowledged — it
//! trims with MINID up to the oldest entry that is still unread (after a group's
//! `last-delivered-id`) or pending in any group; [`Retention::Acked`] uses Redis 8.2's
//! ACKED trimming policy, atomic in one command; [`Retention::MaxLen`] and
//! [`Retention::MaxAge`] are the plain XTRIM caps for streams whose readers accept loss.
//! [`spawn`] applies policies periodically on the backend's clock.
//!
//! The safe boundary is read (XINFO GROUPS, XPENDING) and then trimmed to, in two
//! steps: a group created — or moved back with XGROUP SETID — in between may find old
//! entries gone. Everything else a group can do in between (deliver newer entries,
//! acknowledge, claim) only moves its boundary up, so nothing it still needs is lost.
//! A stream without groups is left alone by `Safe` (nothing says what was consumed).

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{Error, StreamId, Streams, StreamsClock, TrimOptions};

/// A retention policy for one stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    /// Remove only entries every group has delivered and acknowledged (MINID up to the
    /// oldest entry unread or pending in any group). `approx` trims whole nodes only
    /// (`~`: cheaper, keeps a few more).
    Safe {
        /// `~` trimming.
        approx: bool,
    },
    /// Redis 8.2's `ACKED` policy: XTRIM MAXLEN 0 ACKED removes every entry that every
    /// group has delivered and acknowledged — also those behind one still pending,
    /// which `Safe` keeps (it only trims a prefix). Native on the engine and Redis 8.2+;
    /// on older servers the adapter's Lua fallback trims entry by entry (slower on long
    /// streams). Nothing is trimmed from a stream without groups.
    Acked,
    /// Keep at most `len` entries (MAXLEN), processed or not.
    MaxLen {
        /// The cap.
        len: u64,
        /// `~` trimming.
        approx: bool,
    },
    /// Remove entries older than `age` by their ID's time (MINID now − age), processed
    /// or not.
    MaxAge {
        /// The age.
        age: Duration,
        /// `~` trimming.
        approx: bool,
    },
}

/// The first ID [`Retention::Safe`] must keep in `key`: the smallest of each group's
/// oldest pending entry and first undelivered ID. `None` when the stream does not exist
/// or has no group (nothing may be trimmed).
pub async fn safe_boundary<S: Streams + StreamsClock>(
    backend: &S,
    key: impl AsRef<[u8]>,
) -> Result<Option<StreamId>, Error> {
    let key = key.as_ref();
    let groups = match backend.xinfo_groups(key).await {
        Ok(g) => g,
        Err(Error::NoSuchKey) => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut boundary: Option<StreamId> = None;
    for g in groups {
        let mut keep = g.last_delivered_id.next().unwrap_or(StreamId::MAX);
        if g.pending > 0 {
            if let Some(b) = backend.xpending(key, &g.name).await?.bounds {
                keep = keep.min(b.smallest);
            }
        }
        boundary = Some(boundary.map_or(keep, |b| b.min(keep)));
    }
    Ok(boundary)
}

/// Applies `policy` to `key` once; how many entries it removed.
pub async fn apply<S: Streams + StreamsClock>(
    backend: &S,
    key: impl AsRef<[u8]>,
    policy: &Retention,
) -> Result<u64, Error> {
    let key = key.as_ref();
    let (opts, approx) = match *policy {
        Retention::Safe { approx } => match safe_boundary(backend, key).await? {
            Some(b) => (TrimOptions::minid(b), approx),
            None => return Ok(0),
        },
        Retention::Acked => {
            let opts = TrimOptions::maxlen(0).policy(crate::RefPolicy::Acked);
            return match backend.xtrim(key, &opts).await {
                Err(Error::NoSuchKey) => Ok(0),
                r => r,
            };
        }
        Retention::MaxLen { len, approx } => (TrimOptions::maxlen(len), approx),
        Retention::MaxAge { age, approx } => {
            let age = u64::try_from(age.as_millis()).unwrap_or(u64::MAX);
            let cut = backend.now_ms().saturating_sub(age);
            (TrimOptions::minid(StreamId::new(cut, 0)), approx)
        }
    };
    let opts = if approx { opts.approx() } else { opts };
    match backend.xtrim(key, &opts).await {
        Err(Error::NoSuchKey) => Ok(0),
        r => r,
    }
}

/// Counters of a [`spawn`]ed retention task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionStats {
    /// Completed passes (every policy applied once).
    pub passes: u64,
    /// Entries removed so far.
    pub trimmed: u64,
    /// Backend errors (the task goes on at the next pass).
    pub errors: u64,
}

/// A running retention task.
pub struct RetentionHandle {
    join: JoinHandle<()>,
    stats: watch::Receiver<RetentionStats>,
}

impl RetentionHandle {
    /// The counters now.
    pub fn stats(&self) -> RetentionStats {
        *self.stats.borrow()
    }

    /// Waits until the counters satisfy `pred` (or the task ended).
    pub async fn wait_for(&self, mut pred: impl FnMut(&RetentionStats) -> bool) -> RetentionStats {
        let mut rx = self.stats.clone();
        if let Ok(s) = rx.wait_for(|s| pred(s)).await {
            return *s;
        }
        let last = *rx.borrow();
        last
    }

    /// Stops the task.
    pub fn stop(self) {
        self.join.abort();
    }
}

/// Applies `policies` to `key` every `every` (on the backend's clock, so a
/// `ManualClock` drives it), on the current tokio runtime, until stopped.
pub fn spawn<S: Streams + StreamsClock + Clone + 'static>(
    backend: S,
    key: impl AsRef<[u8]>,
    policies: Vec<Retention>,
    every: Duration,
) -> RetentionHandle {
    let key = bytes::Bytes::copy_from_slice(key.as_ref());
    let every = u64::try_from(every.as_millis()).unwrap_or(u64::MAX).max(1);
    let (tx, rx) = watch::channel(RetentionStats::default());
    let join = tokio::spawn(async move {
        loop {
            let next = backend.now_ms().saturating_add(every);
            if backend.sleep_until(next).await.is_err() {
                return;
            }
            for p in &policies {
                match apply(&backend, &key, p).await {
                    Ok(n) => tx.send_modify(|s| s.trimmed += n),
                    Err(_) => tx.send_modify(|s| s.errors += 1),
                }
            }
            tx.send_modify(|s| s.passes += 1);
        }
    });
    RetentionHandle { join, stats: rx }
}
