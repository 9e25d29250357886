//! Every connected client, for `CLIENT LIST/KILL/UNBLOCK`, `INFO clients` and `HELLO`'s
//! id: what each reports about itself and the signals other clients send it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::Notify;

/// How `CLIENT UNBLOCK` ends a blocked command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unblock {
    /// As if its timeout had come.
    Timeout,
    /// With `-UNBLOCKED client unblocked via CLIENT UNBLOCK`.
    Error,
}

/// What a client reports in `CLIENT LIST` / `CLIENT INFO`.
#[derive(Clone, Debug)]
pub struct Meta {
    /// `CLIENT SETNAME`.
    pub name: Vec<u8>,
    /// `CLIENT SETINFO LIB-NAME`.
    pub lib_name: Vec<u8>,
    /// `CLIENT SETINFO LIB-VER`.
    pub lib_ver: Vec<u8>,
    /// The selected database.
    pub db: usize,
    /// 2 or 3.
    pub resp: u8,
    /// The last command's name and first argument (CLIENT LIST shows `name` or
    /// `name|sub`).
    pub cmd: CmdLabel,
    /// When the last command ran.
    pub last: Instant,
    /// Inside MULTI: how many commands are queued.
    pub multi: Option<usize>,
    /// Blocked in a read.
    pub blocked: bool,
    /// Channel and pattern subscriptions.
    pub sub: usize,
    /// Pattern subscriptions.
    pub psub: usize,
    /// Watched keys.
    pub watch: usize,
    /// The connection's buffers as it last went idle (CLIENT LIST's `qbuf`,
    /// `qbuf-free`, `obl`, `omem`, `tot-mem`).
    pub buffers: Buffers,
}

/// A connection's buffer sizes, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Buffers {
    /// Unparsed request bytes (`qbuf`).
    pub query: usize,
    /// The query buffer's spare capacity (`qbuf-free`).
    pub query_free: usize,
    /// Reply bytes not yet written (`obl`).
    pub unsent: usize,
    /// The reply buffer's allocated size (`omem`).
    pub output: usize,
}

/// One connected client as others see it.
#[derive(Debug)]
pub struct Client {
    /// `CLIENT ID`.
    pub id: u64,
    /// The peer address (`ip:port`, or the socket path's form for Unix sockets).
    pub addr: String,
    /// The local address.
    pub laddr: String,
    /// When it connected.
    pub created: Instant,
    meta: Mutex<Meta>,
    /// Set by `CLIENT KILL`: the connection closes.
    pub kill: Notify,
    killed: std::sync::atomic::AtomicBool,
    unblock: Mutex<Option<Unblock>>,
    /// Woken by `CLIENT UNBLOCK`.
    pub unblocked: Notify,
}

impl Client {
    /// Its self-description, locked.
    pub fn meta(&self) -> MutexGuard<'_, Meta> {
        self.meta
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Channel and pattern subscriptions together.
    pub fn subscriptions(&self) -> usize {
        let m = self.meta();
        m.sub + m.psub
    }

    /// Asks the connection to close.
    pub fn request_kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.kill.notify_one();
    }

    /// True once a kill was requested.
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// Asks a blocked command to end (false when the client is not blocked).
    pub fn request_unblock(&self, how: Unblock) -> bool {
        if !self.meta().blocked {
            return false;
        }
        *self
            .unblock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(how);
        self.unblocked.notify_one();
        true
    }

    /// The pending unblock request, taken.
    pub fn take_unblock(&self) -> Option<Unblock> {
        self.unblock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

/// The clients of one server.
#[derive(Debug, Default)]
pub struct Registry {
    next_id: AtomicU64,
    clients: Mutex<BTreeMap<u64, Arc<Client>>>,
}

impl Registry {
    fn map(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<Client>>> {
        self.clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new connection; ids start at 1 and never repeat.
    pub fn add(&self, addr: String, laddr: String) -> Arc<Client> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let now = Instant::now();
        let client = Arc::new(Client {
            id,
            addr,
            laddr,
            created: now,
            meta: Mutex::new(Meta {
                name: Vec::new(),
                lib_name: Vec::new(),
                lib_ver: Vec::new(),
                db: 0,
                resp: 2,
                cmd: CmdLabel::new(b"NULL", None),
                last: now,
                multi: None,
                blocked: false,
                sub: 0,
                psub: 0,
                watch: 0,
                buffers: Buffers::default(),
            }),
            kill: Notify::new(),
            killed: std::sync::atomic::AtomicBool::new(false),
            unblock: Mutex::new(None),
            unblocked: Notify::new(),
        });
        self.map().insert(id, client.clone());
        client
    }

    /// Forgets a closed connection.
    pub fn remove(&self, id: u64) {
        self.map().remove(&id);
    }

    /// Every client, in id order.
    pub fn all(&self) -> Vec<Arc<Client>> {
        self.map().values().cloned().collect()
    }

    /// One client.
    pub fn get(&self, id: u64) -> Option<Arc<Client>> {
        self.map().get(&id).cloned()
    }

    /// How many are connected.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// True when none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The last command of a client as CLIENT LIST's `cmd=` shows it (`name`, or
/// `name|sub` for a command with subcommands), lower-cased and kept inline: no
/// allocation per command, and no slice of the request, which would keep the
/// connection's whole read buffer alive.
#[derive(Clone, Copy, Debug)]
pub struct CmdLabel {
    buf: [u8; 48],
    len: u8,
}

impl CmdLabel {
    /// The label of a command named `name`, with `sub` for a command with subcommands
    /// (long names are cut at 48 bytes).
    pub fn new(name: &[u8], sub: Option<&[u8]>) -> CmdLabel {
        let mut label = CmdLabel {
            buf: [0; 48],
            len: 0,
        };
        label.push(name);
        if let Some(sub) = sub {
            label.push(b"|");
            label.push(sub);
        }
        label
    }

    fn push(&mut self, bytes: &[u8]) {
        for b in bytes {
            if usize::from(self.len) == self.buf.len() {
                return;
            }
            self.buf[usize::from(self.len)] = b.to_ascii_lowercase();
            self.len += 1;
        }
    }

    /// The label as text.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.buf[..usize::from(self.len)])
    }
}
