//! A durable engine's append-only directory, as the engine's users see it: what
//! loading found, how far writes are synced, its status, and rewrites
//! (BGREWRITEAOF), on demand or as the files grow.

use crate::aof::rewrite::{AofDir, Snapshot};
use crate::aof::{AofStatus, Fsync, Loaded, RewriteError};
use crate::handle::engine::Engine;
use crate::handle::state::Inner;
use crate::sync::Arc;

impl Engine {
    /// What opening its append-only directory found, for a durable engine
    /// ([`EngineBuilder::open`](crate::EngineBuilder::open)): commands replayed, a torn
    /// end cut off, commands skipped as Redis skips them.
    pub fn aof_loaded(&self) -> Option<&Loaded> {
        self.inner().aof_dir.as_ref().map(|d| &d.loaded)
    }

    /// The append-only file's policy, bytes staged and bytes synced since it was
    /// opened, and its last write failure while it lasts (`None`: not durable).
    pub fn aof_progress(&self) -> Option<(Fsync, u64, u64, Option<String>)> {
        let aof = self.inner().aof.as_ref()?;
        let (staged, synced) = aof.progress();
        Some((aof.fsync(), staged, synced, aof.failure()))
    }

    /// The directory's sizes and rewrite state, as `INFO persistence` reports them
    /// (`None`: not durable).
    pub fn aof_status(&self) -> Option<AofStatus> {
        let inner = self.inner();
        let (aof, dir) = (inner.aof.as_ref()?, inner.aof_dir.as_ref()?);
        Some(dir.status(aof.written()))
    }

    /// Makes the append-only file's writes fail as on a full disk (`on`), or work
    /// again: for tests of what a failing disk does (writes are refused with
    /// `MISCONF` until a write succeeds; reads keep working; nothing staged is lost).
    #[doc(hidden)]
    pub fn inject_aof_write_failure(&self, on: bool) {
        if let Some(aof) = &self.inner().aof {
            aof.inject_failure(on);
        }
    }

    /// Rewrites the append-only directory now (Redis's BGREWRITEAOF, waited for): a
    /// new base file from a snapshot of the keyspace, and the incremental files it
    /// replaces deleted. Writers go on meanwhile (the engine lock is held only to copy
    /// the keyspace); a crash at any point leaves a directory that loads to the same
    /// state. Pending entries whose stream entry is gone are kept (Redis's own rewrite
    /// drops them). The new base file's size.
    pub fn rewrite_aof(&self) -> Result<u64, RewriteError> {
        let dir = self
            .inner()
            .aof_dir
            .as_ref()
            .ok_or(RewriteError::NotDurable)?;
        dir.begin()?;
        rewrite(self.inner(), dir)
    }

    /// Starts a rewrite ([`Engine::rewrite_aof`]) on a thread of its own and returns:
    /// Redis's BGREWRITEAOF. [`Engine::aof_status`] shows it running and how it ended.
    pub fn bgrewriteaof(&self) -> Result<(), RewriteError> {
        let inner = self.inner().clone();
        let dir = inner.aof_dir.as_ref().ok_or(RewriteError::NotDurable)?;
        dir.begin()?;
        spawn_rewrite(inner);
        Ok(())
    }
}

impl Inner {
    /// Starts the rewrite that the files' growth made due (the caller holds the engine
    /// lock: the rewrite runs on a thread of its own).
    #[cold]
    pub(crate) fn start_due_rewrite(&self, dir: &AofDir) {
        if !dir.claim_due() || dir.begin().is_err() {
            return;
        }
        match self.me.get().and_then(std::sync::Weak::upgrade) {
            Some(me) => spawn_rewrite(me),
            None => dir.abandon("the engine is closing".into()),
        }
    }
}

/// Runs a begun rewrite on a new thread.
fn spawn_rewrite(inner: Arc<Inner>) {
    let spawned = std::thread::Builder::new()
        .name("brook-aof-rewrite".into())
        .spawn({
            let inner = inner.clone();
            move || {
                if let Some(dir) = inner.aof_dir.as_ref() {
                    let _ = rewrite(&inner, dir);
                }
            }
        });
    if let (Err(e), Some(dir)) = (spawned, inner.aof_dir.as_ref()) {
        dir.abandon(e.to_string());
    }
}

/// A begun rewrite of `dir`, run to its end.
fn rewrite(inner: &Inner, dir: &AofDir) -> Result<u64, RewriteError> {
    let Some(aof) = inner.aof.as_ref() else {
        dir.abandon("the engine has no append-only file".into());
        return Err(RewriteError::NotDurable);
    };
    dir.rewrite(
        |file| {
            let mut st = inner.state.lock();
            // What is recorded but not yet staged belongs before the switch.
            let _ = inner.stage(&mut st);
            let now = inner.now();
            let keys = st.ks.snapshot(now);
            let config = *st.ks.config();
            let switched_at = aof.switch_to(file);
            drop(st);
            Snapshot {
                keys,
                config,
                switched_at,
            }
        },
        || aof.written(),
    )
}
