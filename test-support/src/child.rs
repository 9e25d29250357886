//! Crash tests' children: one test of the running test binary run again as a child
//! process (`--exact NAME`), told by an environment variable that it is the child,
//! with its stdout read line by line on a thread — so the parent can SIGKILL it at a
//! chosen moment and still have every line it printed before.
//!
//! The child is an ordinary `#[test]` that returns at once unless its variable is
//! set; what it prints with `println!` arrives here (it runs with `--nocapture`).

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::JoinHandle;
use std::time::Duration;

/// A test of this binary running as a child process.
pub struct TestChild {
    child: Child,
    lines: Receiver<String>,
    stdout: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<String>>,
}

/// How a [`TestChild`] ended and what it printed.
#[derive(Debug)]
pub struct Ended {
    /// Its exit status (no code when a signal ended it).
    pub status: ExitStatus,
    /// Its stdout lines that [`TestChild::next_line`] had not returned.
    pub lines: Vec<String>,
    /// Its whole stderr.
    pub stderr: String,
}

impl Ended {
    /// Whether a signal (the parent's SIGKILL) ended it rather than an exit.
    pub fn killed(&self) -> bool {
        self.status.code().is_none()
    }
}

impl TestChild {
    /// Runs the test `name` (its full path, `module::test`) of the current test binary
    /// as a child, alone, with `env` added to its environment.
    pub fn spawn<V: AsRef<OsStr>>(name: &str, env: &[(&str, V)]) -> io::Result<TestChild> {
        let exe = std::env::current_exe()?;
        let mut cmd = Command::new(exe);
        cmd.args(["--exact", name, "--nocapture", "--test-threads", "1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn()?;
        let out = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let mut err = child
            .stderr
            .take()
            .ok_or_else(|| io::Error::other("no stderr"))?;
        let (tx, lines) = mpsc::channel();
        let stdout = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Ok(TestChild {
            child,
            lines,
            stdout: Some(stdout),
            stderr: Some(stderr),
        })
    }

    /// The child's next stdout line, waiting up to `timeout`; `None` on a timeout or
    /// once its stdout is closed (it ended).
    pub fn next_line(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// Sends SIGKILL (unless it already ended) and waits for it.
    pub fn kill(mut self) -> io::Result<Ended> {
        // An error here means it had already exited: `finish` reports how.
        let _ = self.child.kill();
        self.finish()
    }

    /// Waits for the child to end by itself.
    pub fn wait(self) -> io::Result<Ended> {
        self.finish()
    }

    fn finish(mut self) -> io::Result<Ended> {
        let status = self.child.wait()?;
        if let Some(t) = self.stdout.take() {
            let _ = t.join();
        }
        let stderr = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        Ok(Ended {
            status,
            lines: self.lines.try_iter().collect(),
            stderr,
        })
    }
}

impl Drop for TestChild {
    /// A child left behind by a failing test is killed, not left running.
    fn drop(&mut self) {
        if self.stdout.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What follows `tag` in a line the child printed (the harness's `test NAME ... ` may
/// share the child's first line).
pub fn after_tag<'a>(line: &'a str, tag: &str) -> Option<&'a str> {
    line.find(tag).map(|at| &line[at + tag.len()..])
}
