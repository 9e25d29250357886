//! Durability in Redis's own format: the multi-part append-only directory of Redis 7+
//! (`appendonlydir/`: a manifest, a base file and incremental files of commands, as
//! Redis writes them with `aof-use-rdb-preamble no`), so a directory moves between
//! brook and `redis-server` both ways.
//!
//! - [`manifest`]: the manifest, read and written with Redis's rules.
//! - [`resp_log`]: commands as the files hold them; the reader tells a torn tail from
//!   damage.
//! - [`load`]: a directory replayed, as Redis loads it (`aof-load-truncated yes`).
//! - [`appender`]: the incremental file being appended to, and its flusher thread
//!   (the one lock outside `crate::sync`: it never nests in the engine lock, and
//!   loom models the engine's).
//! - `open`: a directory opened for an engine: locked, loaded, created if new.
//! - `rewrite`: compaction (BGREWRITEAOF): a new base file from a snapshot, on demand
//!   or as the files grow; `snapshot` writes the commands that rebuild a keyspace.
//!
//! What is appended for each write is what Redis propagates for it: the keyspace
//! records those effects ([`crate::frontend::Keyspace::record_effects`]).

pub mod appender;
pub mod load;
pub mod manifest;
pub mod resp_log;
pub(crate) mod rewrite;
pub(crate) mod snapshot;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::error::Error;
use appender::Appender;

pub use load::{load_dir, Loaded, Skipped, Truncation, KEEP_SKIPPED, MANIFEST};
pub use manifest::{AofFile, FileKind, Manifest, ManifestError};
pub use rewrite::{AofStatus, AutoRewrite, RewriteError};

/// When what is appended reaches the disk: Redis's `appendfsync`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fsync {
    /// A write returns once its bytes are synced; concurrent writers share a sync.
    Always,
    /// Synced once a second: a crash of the machine loses at most about the last
    /// second; a crash of the process loses nothing written (the flusher writes at
    /// once).
    #[default]
    EverySec,
    /// Never synced by brook: the system writes it back when it will.
    No,
}

impl Fsync {
    /// The policy Redis's `appendfsync` names (`always`, `everysec`, `no`; any case).
    pub fn parse(name: &str) -> Option<Fsync> {
        match name.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::EverySec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }

    /// Redis's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::EverySec => "everysec",
            Fsync::No => "no",
        }
    }
}

/// A directory that cannot be loaded (or written): what and where.
#[derive(Debug)]
#[non_exhaustive]
pub enum AofError {
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The system's error.
        error: std::io::Error,
    },
    /// The manifest is not one Redis would read.
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// Redis's words for the problem, and the line.
        error: ManifestError,
    },
    /// Bytes that are not commands.
    Corrupt {
        /// The file.
        file: PathBuf,
        /// The byte offset where reading stopped.
        offset: u64,
        /// What was wrong there.
        reason: String,
    },
    /// Another process (or engine) has the directory open.
    Locked {
        /// The directory.
        dir: PathBuf,
    },
}

impl AofError {
    pub(crate) fn io(path: &Path, error: std::io::Error) -> AofError {
        AofError::Io {
            path: path.to_path_buf(),
            error,
        }
    }
}

impl core::fmt::Display for AofError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AofError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            AofError::Manifest { path, error } => {
                write!(f, "bad AOF manifest {}: {error}", path.display())
            }
            AofError::Corrupt {
                file,
                offset,
                reason,
            } => write!(
                f,
                "bad AOF file {} at byte {offset}: {reason}",
                file.display()
            ),
            AofError::Locked { dir } => write!(
                f,
                "{} is in use by another process (it holds {LOCK})",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for AofError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AofError::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// The lock file: one process (one engine) per directory.
pub const LOCK: &str = "brook.lock";

/// A directory opened for an engine.
pub(crate) struct Opened {
    /// The file appended to.
    pub appender: Appender,
    /// The directory: what loading found, its lock, its rewrites.
    pub dir: rewrite::AofDir,
}

/// Opens `dir` (created if missing) for one engine: takes its lock, replays what it
/// holds through `replay`, creates a base and an incremental file (and the manifest
/// naming them) when it has none, and opens the last incremental file to append to.
pub(crate) fn open(
    dir: &Path,
    fsync: Fsync,
    auto: AutoRewrite,
    replay: impl FnMut(usize, &[Bytes]) -> Result<(), Error>,
) -> Result<Opened, AofError> {
    fs::create_dir_all(dir).map_err(|e| AofError::io(dir, e))?;
    let lock_path = dir.join(LOCK);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| AofError::io(&lock_path, e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            return Err(AofError::Locked {
                dir: dir.to_path_buf(),
            })
        }
        Err(fs::TryLockError::Error(e)) => return Err(AofError::io(&lock_path, e)),
    }
    // What a rewrite killed midway left: its unfinished base (never in a manifest).
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name()
                .to_string_lossy()
                .starts_with(rewrite::TEMP_PREFIX)
            {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    let loaded = load_dir(dir, replay)?;
    let mut manifest = loaded.manifest.clone().unwrap_or_default();
    let mut changed = false;
    if loaded.manifest.is_none() {
        // A new directory, as Redis starts one: an empty base, then the increments.
        let base = "appendonly.aof.1.base.aof".to_string();
        create_empty(&dir.join(&base))?;
        manifest.base = Some(AofFile {
            name: base,
            seq: 1,
            kind: FileKind::Base,
            start_offset: None,
            end_offset: None,
        });
        changed = true;
    }
    if manifest.incr.is_empty() {
        let seq = 1;
        let name = format!("appendonly.aof.{seq}.incr.aof");
        create_empty(&dir.join(&name))?;
        manifest.incr.push(AofFile {
            name,
            seq,
            kind: FileKind::Incr,
            start_offset: None,
            end_offset: None,
        });
        changed = true;
    }
    if changed {
        write_manifest(dir, &manifest)?;
    }
    let last = manifest
        .incr
        .last()
        .map(|f| dir.join(&f.name))
        .unwrap_or_default();
    let file = OpenOptions::new()
        .append(true)
        .open(&last)
        .map_err(|e| AofError::io(&last, e))?;
    let loaded = Loaded {
        manifest: Some(manifest),
        ..loaded
    };
    Ok(Opened {
        appender: Appender::new(file, fsync),
        dir: rewrite::AofDir::new(dir.to_path_buf(), loaded, lock, auto),
    })
}

fn create_empty(path: &Path) -> Result<(), AofError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| AofError::io(path, e))
}

/// Writes the manifest as Redis does: a temporary file, synced, renamed over the old
/// one, and the directory synced, so a crash leaves the old manifest or the new one.
fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), AofError> {
    let tmp = dir.join(format!("temp-{MANIFEST}"));
    let path = dir.join(MANIFEST);
    let mut f = File::create(&tmp).map_err(|e| AofError::io(&tmp, e))?;
    f.write_all(m.to_text().as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| AofError::io(&tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| AofError::io(&path, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| AofError::io(dir, e))
}
