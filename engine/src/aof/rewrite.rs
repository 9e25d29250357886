//! Rewriting the append-only directory (Redis's BGREWRITEAOF): a new base file from a
//! snapshot of the keyspace, the increments it replaces deleted, writers going on
//! throughout.
//!
//! The steps, each leaving a directory that loads to the same state if the process
//! dies right after it:
//!
//! 1. A new, empty incremental file is created and the manifest rewritten to list it
//!    after the others.
//! 2. Under the engine lock: the keyspace is copied and the appender told to switch to
//!    the new file from that point (the old one is synced first). Everything after the
//!    copy goes to the new file.
//! 3. The copy is written, without the lock, as commands to a temporary file
//!    ([`super::snapshot`]), which is synced and renamed to the next base name.
//! 4. The manifest is rewritten to list the new base and the new incremental file only
//!    (a temporary file, synced, renamed, the directory synced).
//! 5. The old base and incremental files are deleted.
//!
//! Rewrites also start on their own as the files grow, by Redis's rule
//! (`auto-aof-rewrite-percentage`, `auto-aof-rewrite-min-size`): see [`AutoRewrite`].

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use std::fs::{self, File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;

use super::manifest::{AofFile, FileKind, Manifest};
use super::{write_manifest, AofError, Loaded};
use crate::keyspace::{Config, Value};

/// The name a base file has while a rewrite writes it (Redis's, with the process ID
/// after it); removed when a directory is opened.
pub(crate) const TEMP_PREFIX: &str = "temp-rewriteaof-bg-";

/// When a rewrite starts on its own: Redis's `auto-aof-rewrite-percentage` and
/// `auto-aof-rewrite-min-size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoRewrite {
    /// Growth over the size after the last rewrite (or load), in percent, that starts
    /// a rewrite; `0` never starts one.
    pub percentage: u64,
    /// The size (bytes, all files) below which no rewrite starts on its own.
    pub min_size: u64,
}

impl Default for AutoRewrite {
    /// Redis's defaults: 100 %, 64 MB.
    fn default() -> AutoRewrite {
        AutoRewrite {
            percentage: 100,
            min_size: 64 * 1024 * 1024,
        }
    }
}

/// What monitoring reads about the directory (the AOF fields of `INFO persistence`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AofStatus {
    /// A rewrite is running (`aof_rewrite_in_progress`).
    pub rewrite_in_progress: bool,
    /// How the last rewrite ended (`aof_last_bgrewrite_status`): `None` if none ran or
    /// it succeeded, else why it failed.
    pub last_rewrite_error: Option<String>,
    /// Rewrites completed since the directory was opened.
    pub rewrites: u64,
    /// Bytes of all the directory's files (`aof_current_size`).
    pub current_size: u64,
    /// Bytes after the last rewrite, or at open (`aof_base_size`).
    pub base_size: u64,
    /// The last write or sync failure, while it lasts (`aof_last_write_status`).
    pub last_write_error: Option<String>,
}

/// Sizes, as Redis keeps them: `files` bytes were in the directory when the appender
/// had written `origin` bytes, so the current size is `files + written - origin`.
#[derive(Debug, Default)]
struct Sizes {
    files: u64,
    origin: u64,
    /// The current size after the last rewrite or at open.
    base: u64,
}

#[derive(Debug, Default)]
struct Status {
    in_progress: bool,
    last_error: Option<String>,
    rewrites: u64,
    sizes: Sizes,
}

/// An open append-only directory: its path, manifest, lock and rewrite state.
pub(crate) struct AofDir {
    /// The directory.
    pub dir: PathBuf,
    /// What opening it found.
    pub loaded: Loaded,
    /// Held while the engine lives (dropped: unlocked).
    _lock: File,
    /// The manifest as on disk; held through a rewrite.
    manifest: Mutex<Manifest>,
    status: Mutex<Status>,
    auto: AutoRewrite,
    /// The appender offset (bytes staged) from which a rewrite is due on its own.
    due_at: AtomicU64,
}

/// Why a rewrite did not run.
#[derive(Debug)]
#[non_exhaustive]
pub enum RewriteError {
    /// The engine has no append-only directory.
    NotDurable,
    /// Another rewrite is running (Redis: `Background append only file rewriting
    /// already in progress`).
    InProgress,
    /// A file could not be written; the directory still loads as before.
    Aof(AofError),
}

impl core::fmt::Display for RewriteError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RewriteError::NotDurable => f.write_str("the engine has no append-only directory"),
            RewriteError::InProgress => {
                f.write_str("Background append only file rewriting already in progress")
            }
            RewriteError::Aof(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RewriteError {}

/// A database's keys, each with its value and expiry time.
pub(crate) type DbKeys = Vec<(Bytes, Value, Option<u64>)>;

/// What the engines hand the rewrite under their locks: each database's keys with
/// their expiry times, the configuration, and the appender offset where the new
/// incremental file starts.
pub(crate) struct Snapshot {
    /// Each database's keys, by database.
    pub dbs: Vec<(usize, DbKeys)>,
    pub config: Config,
    pub switched_at: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AofDir {
    pub(crate) fn new(dir: PathBuf, loaded: Loaded, lock_file: File, auto: AutoRewrite) -> AofDir {
        let manifest = loaded.manifest.clone().unwrap_or_default();
        let files = files_size(&dir, &manifest);
        let d = AofDir {
            dir,
            loaded,
            _lock: lock_file,
            manifest: Mutex::new(manifest),
            status: Mutex::new(Status {
                sizes: Sizes {
                    files,
                    origin: 0,
                    base: files,
                },
                ..Status::default()
            }),
            auto,
            due_at: AtomicU64::new(u64::MAX),
        };
        d.set_due(&lock(&d.status).sizes);
        d
    }

    /// Whether a rewrite is due on its own once `staged` bytes have been staged.
    #[inline]
    pub(crate) fn due(&self, staged: u64) -> bool {
        staged >= self.due_at.load(Ordering::Relaxed)
    }

    /// Takes the due rewrite (so only one caller starts it): true for that caller.
    pub(crate) fn claim_due(&self) -> bool {
        let at = self.due_at.load(Ordering::Relaxed);
        at != u64::MAX
            && self
                .due_at
                .compare_exchange(at, u64::MAX, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
    }

    fn set_due(&self, sizes: &Sizes) {
        let at = if self.auto.percentage == 0 {
            u64::MAX
        } else {
            // Redis: current > min_size and current ≥ base × (100 + percentage) / 100.
            let grown = sizes
                .base
                .max(1)
                .saturating_mul(100 + self.auto.percentage)
                .div_ceil(100);
            let target = grown.max(self.auto.min_size.saturating_add(1));
            (sizes.origin + target).saturating_sub(sizes.files)
        };
        self.due_at.store(at, Ordering::Relaxed);
    }

    /// The status, with the current size for an appender that has written `written`
    /// bytes.
    pub(crate) fn status(&self, written: u64) -> AofStatus {
        let s = lock(&self.status);
        AofStatus {
            rewrite_in_progress: s.in_progress,
            last_rewrite_error: s.last_error.clone(),
            rewrites: s.rewrites,
            current_size: s.sizes.files + written.saturating_sub(s.sizes.origin),
            base_size: s.sizes.base,
            last_write_error: None,
        }
    }

    /// Marks a rewrite as running; [`RewriteError::InProgress`] if one is.
    pub(crate) fn begin(&self) -> Result<(), RewriteError> {
        let mut s = lock(&self.status);
        if s.in_progress {
            return Err(RewriteError::InProgress);
        }
        s.in_progress = true;
        Ok(())
    }

    /// Ends a rewrite begun with [`AofDir::begin`] that could not run.
    pub(crate) fn abandon(&self, why: String) {
        let mut s = lock(&self.status);
        s.in_progress = false;
        s.last_error = Some(why);
    }

    /// Runs a rewrite begun with [`AofDir::begin`]. `snapshot` is called with the new
    /// incremental file, and must, under the engine lock, copy the keyspace and switch
    /// the appender to that file. `written` reads the appender's bytes written. The
    /// size of the new base file.
    pub(crate) fn rewrite(
        &self,
        snapshot: impl FnOnce(File) -> Snapshot,
        written: impl Fn() -> u64,
    ) -> Result<u64, RewriteError> {
        let out = self.run(snapshot);
        let mut s = lock(&self.status);
        s.in_progress = false;
        match out {
            Ok((base_bytes, switched_at)) => {
                s.last_error = None;
                s.rewrites += 1;
                // As Redis: the base size is the whole size once the rewrite is done.
                let now = written();
                let incr = now.saturating_sub(switched_at);
                s.sizes = Sizes {
                    files: base_bytes,
                    origin: switched_at,
                    base: base_bytes + incr,
                };
                self.set_due(&s.sizes);
                Ok(base_bytes)
            }
            Err(e) => {
                s.last_error = Some(e.to_string());
                // Tried again once the files have grown by as much again.
                let sizes = Sizes {
                    files: s.sizes.files,
                    origin: s.sizes.origin,
                    base: s.sizes.files + written().saturating_sub(s.sizes.origin),
                };
                self.set_due(&sizes);
                Err(RewriteError::Aof(e))
            }
        }
    }

    fn run(&self, snapshot: impl FnOnce(File) -> Snapshot) -> Result<(u64, u64), AofError> {
        let dir = &self.dir;
        let mut manifest = lock(&self.manifest);
        let prefix = prefix(&manifest);

        // 1. The new incremental file, listed.
        let incr_seq = manifest.incr.iter().map(|f| f.seq).max().unwrap_or(0) + 1;
        let incr_name = format!("{prefix}.{incr_seq}.incr.aof");
        let incr_path = dir.join(&incr_name);
        // Emptied if a rewrite killed before it listed the file left one behind.
        let append = File::create(&incr_path)
            .and_then(|_| OpenOptions::new().append(true).open(&incr_path))
            .map_err(|e| AofError::io(&incr_path, e))?;
        let mut listed = manifest.clone();
        listed.incr.push(AofFile {
            name: incr_name.clone(),
            seq: incr_seq,
            kind: FileKind::Incr,
            start_offset: None,
            end_offset: None,
        });
        write_manifest(dir, &listed)?;
        *manifest = listed;

        // 2. The copy, and the switch.
        let Snapshot {
            mut dbs,
            config,
            switched_at,
        } = snapshot(append);

        // 3. The new base.
        for (_, keys) in &mut dbs {
            keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        }
        let tmp = dir.join(format!("{TEMP_PREFIX}{}.aof", std::process::id()));
        let written = write_base(&tmp, &dbs, &config);
        drop(dbs);
        let base_bytes = match written {
            Ok(n) => n,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        let base_seq = manifest.base.as_ref().map_or(0, |b| b.seq) + 1;
        let base_name = format!("{prefix}.{base_seq}.base.aof");
        let base_path = dir.join(&base_name);
        if let Err(e) = fs::rename(&tmp, &base_path) {
            let _ = fs::remove_file(&tmp);
            return Err(AofError::io(&base_path, e));
        }
        sync_dir(dir)?;

        // 4. The manifest that names it.
        let old: Vec<AofFile> = manifest
            .base
            .iter()
            .chain(manifest.incr.iter().filter(|f| f.name != incr_name))
            .cloned()
            .collect();
        let next = Manifest {
            base: Some(AofFile {
                name: base_name,
                seq: base_seq,
                kind: FileKind::Base,
                start_offset: None,
                end_offset: None,
            }),
            history: Vec::new(),
            incr: manifest
                .incr
                .iter()
                .filter(|f| f.name == incr_name)
                .cloned()
                .collect(),
        };
        write_manifest(dir, &next)?;
        *manifest = next;

        // 5. What it replaced.
        for f in old {
            let _ = fs::remove_file(dir.join(&f.name));
        }
        Ok((base_bytes, switched_at))
    }
}

/// Writes the base file at `path` and syncs it; its size.
fn write_base(path: &Path, dbs: &[(usize, DbKeys)], config: &Config) -> Result<u64, AofError> {
    let file = File::create(path).map_err(|e| AofError::io(path, e))?;
    let mut w = BufWriter::with_capacity(256 * 1024, file);
    let mut n = 0;
    for (db, keys) in dbs {
        n += super::snapshot::write_db(*db, keys, config, &mut w)
            .map_err(|e| AofError::io(path, e))?;
    }
    let file = w
        .into_inner()
        .map_err(|e| AofError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| AofError::io(path, e))?;
    Ok(n)
}

fn sync_dir(dir: &Path) -> Result<(), AofError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AofError::io(dir, e))
}

/// The files' name prefix (Redis's `appendfilename`), as the manifest's files show it.
fn prefix(m: &Manifest) -> String {
    let named = m.base.iter().chain(m.incr.iter()).next();
    named
        .and_then(|f| {
            let suffix = format!(
                ".{}.{}.aof",
                f.seq,
                if f.kind == FileKind::Base {
                    "base"
                } else {
                    "incr"
                }
            );
            f.name.strip_suffix(&suffix).map(str::to_string)
        })
        .unwrap_or_else(|| "appendonly.aof".to_string())
}

/// Bytes of the files the manifest lists.
fn files_size(dir: &Path, m: &Manifest) -> u64 {
    m.base
        .iter()
        .chain(m.incr.iter())
        .filter_map(|f| fs::metadata(dir.join(&f.name)).ok())
        .map(|md| md.len())
        .sum()
}
