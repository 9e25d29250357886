//! Loading a multi-part append-only directory: the manifest, then the base and the
//! incremental files in order, each command handed to the caller to replay.
//!
//! As Redis loads (`aof-load-truncated yes`): `SELECT n` switches the database the
//! following commands go to; `MULTI` … `EXEC` is replayed when its EXEC is read; a
//! last file that ends inside a command, or inside a MULTI without its EXEC, is cut
//! back to the end of its last whole command (or transaction), and the report says
//! so; anything else that is not a command — in any file, or a torn end of a file that
//! is not the last — is an error naming the file and the byte offset.
//!
//! A command that the engine refuses is skipped, as Redis skips it (its loading client
//! ignores replies): a file Redis wrote loads as Redis loads it, even where Redis's own
//! rewrite wrote something it refuses (`XSETID … ENTRIESADDED` of a counter past
//! `i64::MAX`, written negative). Each skip is counted and the first few kept in the
//! report ([`Loaded::skipped`]); a file brook wrote never has one (the effects replay
//! test proves every recorded effect replays).

use std::fs;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::manifest::{FileKind, Manifest};
use super::resp_log::{Next, Reader};
use super::AofError;
use crate::error::Error;

/// What loading found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    /// The manifest read (`None`: no directory or no manifest — nothing to load).
    pub manifest: Option<Manifest>,
    /// Commands replayed (MULTI and EXEC not counted, SELECT counted).
    pub commands: u64,
    /// Bytes read, over all files.
    pub bytes: u64,
    /// The base file's size.
    pub base_bytes: u64,
    /// A torn end of the last file that was cut off.
    pub truncated: Option<Truncation>,
    /// Commands the engine refused, skipped as Redis skips them.
    pub skipped: u64,
    /// The first [`KEEP_SKIPPED`] of them.
    pub first_skipped: Vec<Skipped>,
}

/// How many skipped commands a report keeps.
pub const KEEP_SKIPPED: usize = 16;

/// A command of the file that the engine refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub file: PathBuf,
    /// The command's byte offset.
    pub offset: u64,
    /// The command, as text (cut after 200 characters).
    pub command: String,
    /// The engine's error.
    pub error: Error,
}

/// A torn tail cut off the last file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// The file.
    pub file: PathBuf,
    /// Its new length: the end of its last whole command.
    pub offset: u64,
    /// The bytes cut off.
    pub dropped: u64,
}

/// A command queued inside MULTI: its database, byte offset and arguments.
type Queued = (usize, usize, Vec<Bytes>);

/// The manifest's name for the default file name `appendonly.aof`.
pub const MANIFEST: &str = "appendonly.aof.manifest";

/// Loads `dir`: `replay(db, argv)` runs each command on database `db` and answers its
/// error if it fails. A missing directory or manifest loads nothing.
pub fn load_dir(
    dir: &Path,
    mut replay: impl FnMut(usize, &[Bytes]) -> Result<(), Error>,
) -> Result<Loaded, AofError> {
    let manifest_path = dir.join(MANIFEST);
    let text = match fs::read(&manifest_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(AofError::io(&manifest_path, e)),
    };
    let manifest = Manifest::parse(&text).map_err(|error| AofError::Manifest {
        path: manifest_path.clone(),
        error,
    })?;
    let mut loaded = Loaded::default();
    let files: Vec<_> = manifest.load_order().cloned().collect();
    let mut db = 0usize;
    for (i, f) in files.iter().enumerate() {
        let path = dir.join(&f.name);
        let last = i + 1 == files.len();
        let data = fs::read(&path).map_err(|e| AofError::io(&path, e))?;
        if f.kind == FileKind::Base {
            loaded.base_bytes = data.len() as u64;
        }
        loaded.bytes += data.len() as u64;
        if data.starts_with(b"REDIS") {
            return Err(AofError::Corrupt {
                file: path,
                offset: 0,
                reason: "an RDB file: brook loads files of commands only (in Redis: \
                         aof-use-rdb-preamble no, then BGREWRITEAOF)"
                    .into(),
            });
        }
        let len = data.len();
        let mut reader = Reader::new(Bytes::from(data));
        // An open MULTI: where it started, and its commands with their databases and
        // offsets.
        let mut multi: Option<(usize, Vec<Queued>)> = None;
        let torn_at = loop {
            let at = reader.offset();
            match reader.next_command() {
                Next::Command { argv, .. } => {
                    let name = &argv[0];
                    if name.eq_ignore_ascii_case(b"multi") {
                        multi = Some((at, Vec::new()));
                    } else if name.eq_ignore_ascii_case(b"exec") {
                        let Some((_, group)) = multi.take() else {
                            return Err(AofError::Corrupt {
                                file: path,
                                offset: at as u64,
                                reason: "EXEC without MULTI".into(),
                            });
                        };
                        for (db, at, argv) in group {
                            run(&mut loaded, &mut replay, &path, db, at, &argv);
                        }
                    } else if name.eq_ignore_ascii_case(b"select") {
                        // SELECT takes effect as it is read, inside a MULTI too (the
                        // commands queued after it run on the database it names).
                        db = select(&argv).map_err(|error| AofError::Corrupt {
                            file: path.clone(),
                            offset: at as u64,
                            reason: format!("{}: {error}", shown(&argv)),
                        })?;
                    } else if let Some((_, group)) = &mut multi {
                        group.push((db, at, argv));
                    } else {
                        run(&mut loaded, &mut replay, &path, db, at, &argv);
                    }
                }
                // A MULTI left open at the end: Redis reverts it as a torn write.
                Next::End => match multi {
                    Some((start, _)) => break Some(start),
                    None => break None,
                },
                Next::Torn => break Some(multi.as_ref().map_or(at, |(start, _)| *start)),
                Next::Corrupt { at, reason } => {
                    return Err(AofError::Corrupt {
                        file: path,
                        offset: at as u64,
                        reason: reason.into(),
                    })
                }
            }
        };
        if let Some(offset) = torn_at {
            if !last {
                return Err(AofError::Corrupt {
                    file: path,
                    offset: offset as u64,
                    reason: "the file ends inside a command, and it is not the last file".into(),
                });
            }
            let file = fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| AofError::io(&path, e))?;
            file.set_len(offset as u64)
                .and_then(|()| file.sync_all())
                .map_err(|e| AofError::io(&path, e))?;
            loaded.truncated = Some(Truncation {
                file: path,
                offset: offset as u64,
                dropped: (len - offset) as u64,
            });
        }
    }
    loaded.manifest = Some(manifest);
    Ok(loaded)
}

/// The database `SELECT n` names.
fn select(argv: &[Bytes]) -> Result<usize, Error> {
    let n = argv
        .get(1)
        .and_then(|n| crate::num::parse_i64(n))
        .ok_or(Error::NotAnInteger)?;
    usize::try_from(n).map_err(|_| Error::DbIndexOutOfRange)
}

/// Replays one command, counting it, and a refusal as a skip.
fn run(
    loaded: &mut Loaded,
    replay: &mut impl FnMut(usize, &[Bytes]) -> Result<(), Error>,
    file: &Path,
    db: usize,
    at: usize,
    argv: &[Bytes],
) {
    loaded.commands += 1;
    if let Err(error) = replay(db, argv) {
        loaded.skipped += 1;
        if loaded.first_skipped.len() < KEEP_SKIPPED {
            loaded.first_skipped.push(Skipped {
                file: file.to_path_buf(),
                offset: at as u64,
                command: shown(argv),
                error,
            });
        }
    }
}

/// A command as text for an error message: its arguments separated by spaces, cut
/// after 200 characters.
fn shown(argv: &[Bytes]) -> String {
    let mut out = String::new();
    for a in argv {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&String::from_utf8_lossy(a));
        if out.len() > 200 {
            let mut cut = 200;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
    out
}
