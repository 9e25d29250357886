//! [`SentinelGuard`]: a private Sentinel (the server binary in `--sentinel` mode)
//! watching one master as `mymaster`, with short timeouts so a failover takes a few
//! seconds. Killed on drop, like [`ServerGuard`].

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use super::launch;
use super::watchdog::Watchdog;
use super::ServerGuard;

/// A running Sentinel.
#[derive(Debug)]
pub struct SentinelGuard {
    port: u16,
    dir: PathBuf,
    child: Child,
    watchdog: Watchdog,
}

impl SentinelGuard {
    /// Starts a Sentinel of the same binary as `master`, watching it as `mymaster`
    /// (quorum 1, down after 1 s, failover timeout 5 s). Panics when it does not start.
    pub fn start(master: &ServerGuard) -> SentinelGuard {
        let dir = launch::fresh_dir(master.kind()).expect("a temp dir for the sentinel");
        let port = launch::free_port().expect("a free port");
        let conf = dir.join("sentinel.conf");
        fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {}\nsentinel monitor mymaster 127.0.0.1 {} 1\n\
                 sentinel down-after-milliseconds mymaster 1000\n\
                 sentinel failover-timeout mymaster 5000\n",
                dir.display(),
                master.port()
            ),
        )
        .expect("writing sentinel.conf");
        let log = fs::File::create(dir.join("stdio.log")).ok();
        let child = Command::new(master.binary())
            .arg(&conf)
            .arg("--sentinel")
            .stdin(Stdio::null())
            .stdout(
                log.as_ref()
                    .and_then(|f| f.try_clone().ok())
                    .map_or(Stdio::null(), Stdio::from),
            )
            .stderr(log.map_or(Stdio::null(), Stdio::from))
            .spawn()
            .expect("starting the sentinel");
        let watchdog = Watchdog::spawn(child.id(), &dir);
        let mut guard = SentinelGuard {
            port,
            dir,
            child,
            watchdog,
        };
        if let Err(why) = launch::wait_ready(&mut guard.child, port) {
            let log = fs::read_to_string(guard.dir.join("stdio.log")).unwrap_or_default();
            panic!("the sentinel did not start: {why}\n{log}");
        }
        guard
    }

    /// Its TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for SentinelGuard {
    fn drop(&mut self) {
        self.watchdog.disarm();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
