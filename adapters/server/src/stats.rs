//! The statistics monitoring reads, kept as Redis keeps them (`server.c` `call()`,
//! `afterErrorReply`, `blocked.c` `updateStatsOnUnblock`):
//!
//! - per command (`INFO commandstats`, `cmdstat_<name>`): `calls` — executions that
//!   completed (a blocked read counts once, when it is served, times out or is
//!   unblocked; commands queued by MULTI count when EXEC runs them), `usec` — time
//!   spent executing, `rejected_calls` — refused before execution (wrong arity,
//!   NOAUTH, not allowed while subscribed), `failed_calls` — executions that replied
//!   an error. Unknown commands and subcommands have no line (Redis knows no command to
//!   charge them to); containers are named `name|sub`.
//! - per error code (`INFO errorstats`, `errorstat_<CODE>:count=n`): every error reply
//!   counts under its first word (`ERR`, `NOGROUP`, `WRONGTYPE` …), protocol errors
//!   included; after 128 distinct codes Redis stops with `ERRORSTATS_DISABLED`.
//! - `total_commands_processed` (`INFO stats`): completed executions (as `calls`).
//! - `total_error_replies` (`INFO stats`): every error reply.
//!
//! `CONFIG RESETSTAT` clears all of them. The dirty counter
//! (`rdb_changes_since_last_save`) is the engines' own ([`brook_engine::frontend::Keyspace::dirty`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};

/// How many distinct error codes are kept before Redis gives up (`ERROR_STATS_NUMBER`).
const ERROR_CODES_MAX: usize = 128;

/// One command's counters (a `cmdstat_` line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommandStats {
    /// Completed executions.
    pub calls: u64,
    /// Microseconds spent executing them.
    pub usec: u64,
    /// Refused before execution.
    pub rejected_calls: u64,
    /// Executions that replied an error.
    pub failed_calls: u64,
}

#[derive(Debug)]
struct Inner {
    commands: BTreeMap<String, CommandStats>,
    errors: BTreeMap<Vec<u8>, u64>,
    errors_enabled: bool,
    commands_processed: u64,
    error_replies: u64,
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            commands: BTreeMap::new(),
            errors: BTreeMap::new(),
            errors_enabled: true,
            commands_processed: 0,
            error_replies: 0,
        }
    }
}

/// A server's statistics, shared by its connections.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Inner>,
}

/// The code an error reply counts under: its first word, as Redis's `afterErrorReply`
/// finds it (a space within the first 32 bytes of `-<text>`; otherwise `ERR`).
pub fn error_code(text: &[u8]) -> &[u8] {
    let window = &text[..text.len().min(31)];
    // CR and LF are written as spaces (the reply's line must not break): they end the
    // code as a space does.
    match window
        .iter()
        .position(|&b| matches!(b, b' ' | b'\r' | b'\n'))
    {
        Some(at) => &text[..at],
        None => b"ERR",
    }
}

impl Stats {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An execution of `name` (lower-case full name) completed after `usec`
    /// microseconds, replying an error if `failed`.
    pub fn call(&self, name: &str, usec: u64, failed: bool) {
        let mut s = self.lock();
        s.commands_processed += 1;
        let c = s.commands.entry(name.to_string()).or_default();
        c.calls += 1;
        c.usec += usec;
        if failed {
            c.failed_calls += 1;
        }
    }

    /// `name` was refused before execution (its error is counted by [`Stats::error`]).
    pub fn rejected(&self, name: &str) {
        self.lock()
            .commands
            .entry(name.to_string())
            .or_default()
            .rejected_calls += 1;
    }

    /// An error reply `text` (`CODE message`, without the `-`) was sent.
    pub fn error(&self, text: &[u8]) {
        let mut s = self.lock();
        s.error_replies += 1;
        if !s.errors_enabled {
            return;
        }
        let code = error_code(text);
        if let Some(n) = s.errors.get_mut(code) {
            *n += 1;
            return;
        }
        if s.errors.len() >= ERROR_CODES_MAX {
            s.errors.clear();
            s.errors.insert(b"ERRORSTATS_DISABLED".to_vec(), 1);
            s.errors_enabled = false;
            return;
        }
        s.errors.insert(code.to_vec(), 1);
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset(&self) {
        *self.lock() = Inner::default();
    }

    /// `total_commands_processed`.
    pub fn commands_processed(&self) -> u64 {
        self.lock().commands_processed
    }

    /// `total_error_replies`.
    pub fn error_replies(&self) -> u64 {
        self.lock().error_replies
    }

    /// One command's counters (zero when it has none).
    pub fn command(&self, name: &str) -> CommandStats {
        self.lock().commands.get(name).copied().unwrap_or_default()
    }

    /// The `# Commandstats` lines: commands with any call, rejection or failure.
    pub fn write_commandstats(&self, out: &mut String) {
        for (name, c) in &self.lock().commands {
            if c.calls == 0 && c.rejected_calls == 0 && c.failed_calls == 0 {
                continue;
            }
            // Redis divides in single precision.
            let per_call = if c.calls == 0 {
                0.0
            } else {
                c.usec as f32 / c.calls as f32
            };
            let _ = write!(
                out,
                "cmdstat_{}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},\
                 failed_calls={}\r\n",
                safe(name.as_bytes()),
                c.calls,
                c.usec,
                c.rejected_calls,
                c.failed_calls
            );
        }
    }

    /// The `# Errorstats` lines, codes in byte order (Redis's radix tree order).
    pub fn write_errorstats(&self, out: &mut String) {
        for (code, n) in &self.lock().errors {
            let _ = write!(out, "errorstat_{}:count={n}\r\n", safe(code));
        }
    }
}

/// Redis's `getSafeInfoString`: `:`, `\r` and `\n` would break INFO's lines and become
/// `_`.
fn safe(name: &[u8]) -> String {
    String::from_utf8_lossy(name)
        .chars()
        .map(|c| {
            if matches!(c, ':' | '\r' | '\n') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes() {
        assert_eq!(error_code(b"NOGROUP No such key"), b"NOGROUP");
        assert_eq!(error_code(b"ERR syntax error"), b"ERR");
        assert_eq!(error_code(b"OK"), b"ERR");
        assert_eq!(error_code(&[b'A'; 40]), b"ERR");
        assert_eq!(
            error_code(b"ABCDEFGHIJKLMNOPQRSTUVWXYZABCD x"),
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZABCD"
        );
        assert_eq!(error_code(b"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDE x"), b"ERR");
    }

    #[test]
    fn error_codes_cap() {
        let s = Stats::default();
        for i in 0..ERROR_CODES_MAX {
            s.error(format!("E{i} x").as_bytes());
        }
        s.error(b"E0 again");
        s.error(b"NEW code");
        s.error(b"E1 after");
        let mut out = String::new();
        s.write_errorstats(&mut out);
        assert_eq!(out, "errorstat_ERRORSTATS_DISABLED:count=1\r\n");
        assert_eq!(s.error_replies(), ERROR_CODES_MAX as u64 + 3);
        s.reset();
        s.error(b"NOGROUP x");
        out.clear();
        s.write_errorstats(&mut out);
        assert_eq!(out, "errorstat_NOGROUP:count=1\r\n");
    }

    #[test]
    fn command_lines() {
        let s = Stats::default();
        s.call("xadd", 3, false);
        s.call("xadd", 4, true);
        s.rejected("xadd");
        s.rejected("xgroup|create");
        let mut out = String::new();
        s.write_commandstats(&mut out);
        assert_eq!(
            out,
            "cmdstat_xadd:calls=2,usec=7,usec_per_call=3.50,rejected_calls=1,failed_calls=1\r\n\
             cmdstat_xgroup|create:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,\
             failed_calls=0\r\n"
        );
        assert_eq!(s.commands_processed(), 2);
    }
}
