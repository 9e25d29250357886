//! A helper process that kills the server if this process dies without
//! running destructors (abort, stack overflow, SIGKILL from a CI timeout).

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Blocks on its stdin (a pipe only this process holds); on EOF, i.e. when
/// this process is gone, it SIGKILLs the server and, a second later (the
/// kill is asynchronous), removes the server's temp dir. Reuse of the pid is not a
/// concern: the server is our child and stays unreaped until we wait for it
/// (after disarming), or until init reaps it after this process died.
const SCRIPT: &str = "read -r _; kill -9 \"$1\" 2>/dev/null; sleep 1; rm -rf -- \"$2\"";

/// Kills the server with pid `pid` and removes `dir` when this process dies
/// abruptly.
/// Best effort: without `sh` there is no watchdog.
#[derive(Debug)]
pub(crate) struct Watchdog(Option<Child>);

impl Watchdog {
    /// Starts watching `pid`, which runs in `dir`.
    pub(crate) fn spawn(pid: u32, dir: &Path) -> Watchdog {
        if !cfg!(unix) {
            return Watchdog(None);
        }
        let child = Command::new("sh")
            .args(["-c", SCRIPT, "brook-watchdog", &pid.to_string()])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        Watchdog(child)
    }

    /// Stops the watchdog without letting it act. Call before killing and
    /// reaping the server itself.
    pub(crate) fn disarm(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.disarm();
    }
}
