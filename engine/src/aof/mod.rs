//! Durability in Redis's own format: the multi-part append-only directory of Redis 7+
//! (`appendonlydir/`: a manifest, a base file and incremental files of commands, as
//! Redis writes them with `aof-use-rdb-preamble no`), so a directory moves between
//! brook and `redis-server` both ways.
//!
//! - [`manifest`]: the manifest, read and written with Redis's rules.
//! - [`resp_log`]: commands as the files hold them; the reader tells a torn tail from
//!   damage.
//! - [`load`]: a directory replayed, as Redis loads it (`aof-load-truncated yes`).
//!
//! What is appended for each write is what Redis propagates for it: the keyspace
//! records those effects ([`crate::frontend::Keyspace::record_effects`]).

pub mod load;
pub mod manifest;
pub mod resp_log;

use std::path::{Path, PathBuf};

pub use load::{load_dir, Loaded, Skipped, Truncation, KEEP_SKIPPED, MANIFEST};
pub use manifest::{AofFile, FileKind, Manifest, ManifestError};

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
