//! A durable engine's append-only directory, as the engine's users see it: what
//! loading found, how far writes are synced, its status, and rewrites
//! (BGREWRITEAOF), on demand or as the files grow. The engines of one server's
//! databases share one directory ([`Durable`]).

use alloc::vec::Vec;
use std::sync::{OnceLock, Weak};

use bytes::Bytes;

use crate::aof::rewrite::Snapshot;
use crate::aof::{AofStatus, Fsync, Loaded, Opened, RewriteError};
use crate::cmd::CopyOptions;
use crate::error::Error;
use crate::handle::clock::{Clock, SystemClock};
use crate::handle::engine::{Engine, EngineBuilder};
use crate::handle::state::{Durable, Inner};
use crate::keyspace::Keyspace;
use crate::reply::Reply;
use crate::sync::Arc;

impl Durable {
    pub(crate) fn new(opened: Opened) -> Durable {
        Durable {
            appender: opened.appender,
            dir: opened.dir,
            engines: OnceLock::new(),
        }
    }

    /// Records the engines, by database.
    pub(crate) fn attach(&self, engines: &[Engine]) {
        let _ = self
            .engines
            .set(engines.iter().map(|e| Arc::downgrade(e.inner())).collect());
    }

    /// Starts the rewrite that the files' growth made due (the caller holds an engine
    /// lock: the rewrite runs on a thread of its own).
    #[cold]
    pub(crate) fn start_due_rewrite(&self) {
        if !self.dir.claim_due() || self.dir.begin().is_err() {
            return;
        }
        match self.engines() {
            Some(engines) => spawn_rewrite(engines),
            None => self.dir.abandon("the engine is closing".into()),
        }
    }

    /// The engines, while every one of them lives.
    fn engines(&self) -> Option<Vec<Arc<Inner>>> {
        self.engines
            .get()?
            .iter()
            .map(Weak::upgrade)
            .collect::<Option<Vec<_>>>()
    }
}

/// Replays one command of a directory into database `db` of `spaces`: `COPY … DB n`
/// across databases, everything else in its own.
pub(crate) fn replay(
    spaces: &mut [Keyspace],
    db: usize,
    argv: &[Bytes],
    now: u64,
) -> Result<(), Error> {
    if db >= spaces.len() {
        return Err(Error::DbIndexOutOfRange);
    }
    if argv.len() > 3 && argv[0].eq_ignore_ascii_case(b"copy") {
        let opts = CopyOptions::parse(argv, spaces.len())?;
        if let Some(to) = opts.db.filter(|to| *to != db) {
            let (src, dst) = if db < to {
                let (a, b) = spaces.split_at_mut(to);
                (&mut a[db], &mut b[0])
            } else {
                let (a, b) = spaces.split_at_mut(db);
                (&mut b[0], &mut a[to])
            };
            return src
                .copy_to(&argv[1], dst, &argv[2], to, opts.replace, now)
                .map(drop);
        }
    }
    match spaces[db].execute(argv, now) {
        Reply::Error(e) => Err(e),
        _ => Ok(()),
    }
}

impl EngineBuilder {
    /// A durable engine on the append-only directory `dir` (Redis 7+'s multi-part
    /// format, which `redis-server` loads too): created if missing, else loaded as
    /// Redis loads it (a torn end of the last file cut off, see
    /// [`crate::aof::load_dir`]); from then on every write's effects are appended,
    /// synced by `fsync`. One engine per directory: a second open, from this process or
    /// another, is [`AofError::Locked`](crate::aof::AofError::Locked) until the first
    /// engine is dropped. A directory that selects a database other than 0 is refused
    /// command by command (see [`EngineBuilder::open_databases`] for a server's).
    pub fn open(
        self,
        dir: impl AsRef<std::path::Path>,
        fsync: crate::aof::Fsync,
    ) -> Result<Engine, crate::aof::AofError> {
        let mut engines = self.open_databases(dir, fsync, 1)?;
        Ok(engines.remove(0))
    }

    /// `databases` durable engines on one append-only directory, one per database as
    /// `brook serve` has them (`SELECT n` in the files routes to engine `n`; a `COPY …
    /// DB n` replays across them): they append to the same files, each command under
    /// its database's SELECT, and a rewrite writes every database.
    pub fn open_databases(
        self,
        dir: impl AsRef<std::path::Path>,
        fsync: crate::aof::Fsync,
        databases: usize,
    ) -> Result<Vec<Engine>, crate::aof::AofError> {
        let databases = databases.max(1);
        let mut spaces: Vec<Keyspace> = (0..databases)
            .map(|_| {
                let mut ks = Keyspace::with_config(self.config);
                ks.set_replaying(true);
                ks
            })
            .collect();
        let now = match &self.clock {
            Some(c) => c.now_ms(),
            None => SystemClock.now_ms(),
        };
        let opened = crate::aof::open(dir.as_ref(), fsync, self.auto_rewrite, |db, argv| {
            replay(&mut spaces, db, argv, now)
        })?;
        let durable = std::sync::Arc::new(Durable::new(opened));
        let engines: Vec<Engine> = spaces
            .into_iter()
            .enumerate()
            .map(|(db, mut ks)| {
                ks.set_replaying(false);
                ks.take_effects();
                ks.record_effects(true);
                self.clone_settings()
                    .build_with(ks, Some((durable.clone(), db)))
            })
            .collect();
        durable.attach(&engines);
        Ok(engines)
    }
}

impl Engine {
    /// What opening its append-only directory found, for a durable engine
    /// ([`EngineBuilder::open`](crate::EngineBuilder::open)): commands replayed, a torn
    /// end cut off, commands skipped as Redis skips them.
    pub fn aof_loaded(&self) -> Option<&Loaded> {
        self.inner().aof.as_ref().map(|d| &d.dir.loaded)
    }

    /// The append-only file's policy, bytes staged and bytes synced since it was
    /// opened, and its last write failure while it lasts (`None`: not durable).
    pub fn aof_progress(&self) -> Option<(Fsync, u64, u64, Option<String>)> {
        let aof = &self.inner().aof.as_ref()?.appender;
        let (staged, synced) = aof.progress();
        Some((aof.fsync(), staged, synced, aof.failure()))
    }

    /// The directory's sizes and rewrite state, as `INFO persistence` reports them
    /// (`None`: not durable).
    pub fn aof_status(&self) -> Option<AofStatus> {
        let d = self.inner().aof.as_ref()?;
        let mut status = d.dir.status(d.appender.written());
        status.last_write_error = d.appender.failure();
        Some(status)
    }

    /// Waits until everything staged so far (by any engine on the directory) is on
    /// disk — under `always`; the other policies return at once. For a server that
    /// answers a pipeline's writes together: one wait before the replies go out, the
    /// sync shared with every connection waiting meanwhile. The write or sync failure
    /// that keeps the bytes from the disk, if one stands (the flusher retries; wait
    /// again).
    pub fn aof_sync_staged(&self) -> Result<(), String> {
        let Some(d) = &self.inner().aof else {
            return Ok(());
        };
        let (staged, _) = d.appender.progress();
        d.appender.wait_synced(staged)
    }

    /// Makes the append-only file's writes fail as on a full disk (`on`), or work
    /// again: for tests of what a failing disk does (writes are refused with
    /// `MISCONF` until a write succeeds; reads keep working; nothing staged is lost).
    #[doc(hidden)]
    pub fn inject_aof_write_failure(&self, on: bool) {
        if let Some(aof) = &self.inner().aof {
            aof.appender.inject_failure(on);
        }
    }

    /// Rewrites the append-only directory now (Redis's BGREWRITEAOF, waited for): a
    /// new base file from a snapshot of the keyspace (of every database sharing the
    /// directory), and the incremental files it replaces deleted. Writers go on
    /// meanwhile (the engine locks are held only to copy the keyspaces); a crash at any
    /// point leaves a directory that loads to the same state. Pending entries whose
    /// stream entry is gone are kept (Redis's own rewrite drops them). The new base
    /// file's size.
    pub fn rewrite_aof(&self) -> Result<u64, RewriteError> {
        let d = self.inner().aof.as_ref().ok_or(RewriteError::NotDurable)?;
        d.dir.begin()?;
        match d.engines() {
            Some(engines) => rewrite(&engines),
            None => {
                d.dir.abandon("the engine is closing".into());
                Err(RewriteError::NotDurable)
            }
        }
    }

    /// Starts a rewrite ([`Engine::rewrite_aof`]) on a thread of its own and returns:
    /// Redis's BGREWRITEAOF. [`Engine::aof_status`] shows it running and how it ended.
    pub fn bgrewriteaof(&self) -> Result<(), RewriteError> {
        let d = self.inner().aof.as_ref().ok_or(RewriteError::NotDurable)?;
        d.dir.begin()?;
        match d.engines() {
            Some(engines) => spawn_rewrite(engines),
            None => d.dir.abandon("the engine is closing".into()),
        }
        Ok(())
    }
}

/// Runs a begun rewrite on a new thread.
fn spawn_rewrite(engines: Vec<Arc<Inner>>) {
    let dir_of = |e: &[Arc<Inner>]| e.first().and_then(|i| i.aof.clone());
    let durable = dir_of(&engines);
    let spawned = std::thread::Builder::new()
        .name("brook-aof-rewrite".into())
        .spawn(move || {
            let _ = rewrite(&engines);
        });
    if let (Err(e), Some(d)) = (spawned, durable) {
        d.dir.abandon(e.to_string());
    }
}

/// A begun rewrite of the directory `engines` (every database's, in order) share,
/// run to its end.
fn rewrite(engines: &[Arc<Inner>]) -> Result<u64, RewriteError> {
    let Some(d) = engines.first().and_then(|i| i.aof.clone()) else {
        return Err(RewriteError::NotDurable);
    };
    d.dir.rewrite(
        |file| {
            // Every database's lock at once, in address order (as `copy_to` takes
            // two), so the copy is one instant of the whole directory.
            let mut order: Vec<usize> = (0..engines.len()).collect();
            order.sort_by_key(|&i| Arc::as_ptr(&engines[i]) as usize);
            let mut guards: Vec<Option<_>> = engines.iter().map(|_| None).collect();
            for i in order {
                guards[i] = Some(engines[i].state.lock());
            }
            let mut dbs = Vec::with_capacity(engines.len());
            let mut config = None;
            for (db, g) in guards.iter_mut().enumerate() {
                let Some(st) = g.as_mut() else { continue };
                // What is recorded but not yet staged belongs before the switch.
                let _ = engines[db].stage(st);
                let now = engines[db].now();
                config.get_or_insert(*st.ks.config());
                dbs.push((db, st.ks.snapshot(now)));
            }
            let switched_at = d.appender.switch_to(file);
            drop(guards);
            Snapshot {
                dbs,
                config: config.unwrap_or_default(),
                switched_at,
            }
        },
        || d.appender.written(),
    )
}
