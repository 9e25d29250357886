//! A `brook serve` in the test process: its own tokio runtime on a thread, stopped on
//! drop.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use brook_server::{Server, ServerConfig};
use brook_test_support::RespConn;

/// A running in-process server.
pub struct Brook {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Brook {
    /// Starts a server with `config` (its address is always 127.0.0.1 on a free port).
    pub fn start(mut config: ServerConfig) -> Brook {
        config.bind = ([127, 0, 0, 1], 0).into();
        let (port_tx, port_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let server = Server::start(config).await.expect("bind");
                port_tx.send(server.local_addr().port()).expect("port");
                let _ = stop_rx.await;
                server.shutdown();
                server.wait().await;
            });
        });
        let port = port_rx.recv().expect("server started");
        Brook {
            port,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// With the default settings.
    pub fn default_server() -> Brook {
        Brook::start(ServerConfig::default())
    }

    /// Its TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A raw connection.
    pub fn connect(&self) -> RespConn {
        RespConn::connect(self.port).expect("connect to brook serve")
    }
}

impl Drop for Brook {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Waits (up to 10 s, then fails the test) until the server on `port` reports `n`
/// blocked clients in `INFO clients`.
pub fn wait_blocked(port: u16, n: usize) {
    let mut admin = RespConn::connect(port).expect("connect");
    admin
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let want = format!("blocked_clients:{n}\r\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, bytes) = admin.call_with_raw(&[b"INFO", b"clients"]);
        if String::from_utf8_lossy(&bytes).contains(&want) {
            return;
        }
        assert!(Instant::now() < deadline, "never saw {want:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
