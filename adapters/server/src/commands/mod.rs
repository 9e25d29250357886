//! The commands the server answers itself — connection, client, server and
//! transaction commands and `BROOK.CLOCK` — and the routing of everything else to the
//! selected database's engine, in the order Redis's `processCommand` checks a command:
//! known name, arity, authentication, then MULTI queueing.

mod brook_ops;
pub(crate) mod client;
mod clock;
mod command;
mod connection;
mod copy;
mod info;
mod keyspace;
mod memory;
mod multi;
pub mod pubsub;

use std::sync::Arc;

pub(crate) use brook_engine::arity_ok;
use brook_engine::{Engine, Error, ExecuteFuture, Keyspace, Protocol, Reply};
use bytes::Bytes;

use crate::out::Out;
use crate::registry::Client;
use crate::Shared;

pub use multi::Multi;

/// What the connection does after a command.
pub enum Step {
    /// The reply is in the output buffer.
    Done,
    /// Write the output, then close (QUIT).
    Close,
    /// A blocking read is waiting: await it, then write its reply.
    Wait(ExecuteFuture),
}

/// A connection's state.
#[derive(Debug)]
pub struct Session {
    /// The client as the registry knows it.
    pub client: Arc<Client>,
    /// Its pending output (and protocol).
    pub out: Out,
    /// The selected database.
    pub db: usize,
    /// Authenticated (always, without `requirepass`).
    pub authed: bool,
    /// Inside MULTI: the queued commands.
    pub multi: Option<Multi>,
    /// Pub/sub channels and patterns.
    pub subs: pubsub::Subscriptions,
    /// Watched keys: database, key, version when watched.
    pub watches: Vec<(usize, Bytes, u64)>,
    /// The blocked read waiting on this connection: its statistics name and the time
    /// its first execution took, counted when it ends.
    pub blocked_call: Option<(String, u64)>,
    /// Error replies of the commands EXEC just ran (theirs, not EXEC's).
    nested_errors: u64,
    /// The command just run made another client reply an error (CLIENT UNBLOCK …
    /// ERROR), which Redis counts as this command's failure too.
    pub(crate) failed_elsewhere: bool,
}

impl Session {
    /// A fresh connection's state.
    pub fn new(shared: &Shared, client: Arc<Client>) -> Session {
        Session {
            client,
            out: Out {
                stats: Some(shared.stats.clone()),
                ..Out::default()
            },
            blocked_call: None,
            nested_errors: 0,
            failed_elsewhere: false,
            db: 0,
            authed: shared.config.requirepass.is_none(),
            multi: None,
            subs: pubsub::Subscriptions::default(),
            watches: Vec::new(),
        }
    }

    /// The selected database's engine.
    pub fn engine<'a>(&self, shared: &'a Shared) -> &'a Engine {
        &shared.dbs[self.db.min(shared.dbs.len() - 1)]
    }

    /// Sets the protocol (`HELLO`).
    pub fn set_proto(&mut self, proto: Protocol) {
        self.out.proto = proto;
        self.client.meta().resp = if proto == Protocol::Resp3 { 3 } else { 2 };
    }

    /// The connection is going away.
    pub fn close(&mut self, shared: &Shared) {
        self.multi = None;
        multi::unwatch_all(shared, self);
        pubsub::clear(self);
    }
}

/// A server command: name, Redis arity, runs without authentication.
struct ServerCommand {
    name: &'static str,
    arity: i32,
    no_auth: bool,
    run: fn(&Shared, &mut Session, &[Bytes]) -> Step,
}

const fn sc(
    name: &'static str,
    arity: i32,
    no_auth: bool,
    run: fn(&Shared, &mut Session, &[Bytes]) -> Step,
) -> ServerCommand {
    ServerCommand {
        name,
        arity,
        no_auth,
        run,
    }
}

static SERVER_COMMANDS: &[ServerCommand] = &[
    sc("ping", -1, false, connection::ping),
    sc("echo", 2, false, connection::echo),
    sc("hello", -1, true, connection::hello),
    sc("auth", -2, true, connection::auth),
    sc("select", 2, false, connection::select),
    sc("quit", -1, true, connection::quit),
    sc("reset", 1, true, connection::reset),
    sc("time", 1, false, connection::time),
    sc("client", -2, false, client::run),
    sc("info", -1, false, info::run),
    sc("memory", -2, false, memory::run),
    sc("flushall", -1, false, keyspace::flushall),
    sc("config", -2, false, keyspace::config),
    sc("multi", 1, false, multi::multi),
    sc("exec", 1, false, multi::exec),
    sc("discard", 1, false, multi::discard),
    sc("watch", -2, false, multi::watch),
    sc("unwatch", 1, false, multi::unwatch),
    sc("brook.clock", -2, false, clock::run),
    sc("command", -1, false, command::run),
    sc("publish", 3, false, pubsub::publish),
    sc("subscribe", -2, false, pubsub::subscribe),
    sc("psubscribe", -2, false, pubsub::subscribe),
    sc("unsubscribe", -1, false, pubsub::unsubscribe),
    sc("punsubscribe", -1, false, pubsub::unsubscribe),
    sc("brook.ackifowner", -5, false, brook_ops::if_owner),
    sc("brook.touchifowner", -5, false, brook_ops::if_owner),
    sc(
        "brook.ackifownerthenadd",
        -8,
        false,
        brook_ops::if_owner_then_add,
    ),
    sc(
        "brook.delconsumerifempty",
        4,
        false,
        brook_ops::delconsumer_if_empty,
    ),
    sc("brook.markack", -7, false, brook_ops::mark_ack),
];

fn find(name: &[u8]) -> Option<&'static ServerCommand> {
    SERVER_COMMANDS
        .iter()
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// COPY with a `DB` option, which the server runs itself (see `copy.rs`).
static COPY_DB: ServerCommand = sc("copy", -3, false, copy::run);

/// The server command that runs `argv`, if the server runs it itself: by name, and
/// COPY when it names a database.
fn find_for(argv: &[Bytes]) -> Option<&'static ServerCommand> {
    if copy::names_db(argv) {
        return Some(&COPY_DB);
    }
    find(argv.first().map(|n| &n[..]).unwrap_or_default())
}

/// A server container command's subcommands: name, full name, Redis arity.
type Subcommands = &'static [(&'static str, &'static str, i32)];

/// The server's container commands whose subcommands Redis's dispatcher checks (known,
/// right arity) before running or queueing them — the subcommands brook implements.
/// (`BROOK.CLOCK` checks its own: it has no Redis counterpart.)
static CONTAINERS: &[(&str, &str, Subcommands)] = &[
    (
        "client",
        "CLIENT",
        &[
            ("id", "client|id", 2),
            ("setname", "client|setname", 3),
            ("getname", "client|getname", 2),
            ("setinfo", "client|setinfo", 4),
            ("info", "client|info", 2),
            ("list", "client|list", -2),
            ("kill", "client|kill", -3),
            ("unblock", "client|unblock", -3),
            ("no-evict", "client|no-evict", 3),
            ("no-touch", "client|no-touch", 3),
            ("reply", "client|reply", 3),
            ("help", "client|help", 2),
        ],
    ),
    (
        "config",
        "CONFIG",
        &[
            ("get", "config|get", -3),
            ("set", "config|set", -4),
            ("resetstat", "config|resetstat", 2),
        ],
    ),
    (
        "memory",
        "MEMORY",
        &[
            ("usage", "memory|usage", -3),
            ("stats", "memory|stats", 2),
            ("doctor", "memory|doctor", 2),
            ("malloc-stats", "memory|malloc-stats", 2),
            ("purge", "memory|purge", 2),
            ("help", "memory|help", 2),
        ],
    ),
    (
        "command",
        "COMMAND",
        &[
            ("count", "command|count", 2),
            ("list", "command|list", -2),
            ("info", "command|info", -2),
            ("docs", "command|docs", -2),
        ],
    ),
];

/// The subcommands of the server container `name` (none for other commands).
fn subcommands(name: &str) -> Subcommands {
    CONTAINERS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or(&[], |(_, _, subs)| subs)
}

/// Checks a server container's subcommand: unknown (`Try <CMD> HELP.`) or wrong arity.
fn check_subcommand(c: &ServerCommand, argv: &[Bytes]) -> Result<(), Error> {
    let Some(&(_, upper, subs)) = CONTAINERS.iter().find(|(n, _, _)| *n == c.name) else {
        return Ok(());
    };
    let Some(sub) = argv.get(1) else {
        return Ok(());
    };
    match subs
        .iter()
        .find(|(n, _, _)| n.as_bytes().eq_ignore_ascii_case(sub))
    {
        None => Err(Error::unknown_subcommand(sub, upper)),
        Some(&(_, full, arity)) if !arity_ok(arity, argv.len()) => Err(Error::WrongArity(full)),
        Some(_) => Ok(()),
    }
}

/// Checks a command as Redis's dispatcher does before running or queueing it: known
/// (subcommands too), right arity.
fn check(argv: &[Bytes]) -> Result<Option<&'static ServerCommand>, Error> {
    match find_for(argv) {
        Some(c) if !arity_ok(c.arity, argv.len()) => Err(Error::WrongArity(c.name)),
        Some(c) => check_subcommand(c, argv).map(|()| Some(c)),
        None => Keyspace::check_command(argv).map(|()| None),
    }
}

/// True when `name` is one of `names` (any case).
fn is_one_of(name: &[u8], names: &[&str]) -> bool {
    names
        .iter()
        .any(|n| n.as_bytes().eq_ignore_ascii_case(name))
}

/// Runs one request, and counts it as Redis's `processCommand` and `call()` do: a
/// command refused before execution (unknown, wrong arity, NOAUTH, not allowed while
/// subscribed) is a rejected call of the command it names, if any; a queued one counts
/// nothing yet; an executed one is a call, failed if it replied an error; a blocked
/// read counts when it ends (see `conn.rs`).
pub fn run(shared: &Shared, sess: &mut Session, argv: Vec<Bytes>) -> Step {
    {
        let mut meta = sess.client.meta();
        meta.last = std::time::Instant::now();
        meta.cmd = crate::registry::CmdLabel::new(
            &argv[0],
            argv.get(1)
                .map(|s| &s[..])
                .filter(|_| is_container(&argv[0])),
        );
    }
    let found = match check(&argv) {
        Ok(found) => found,
        Err(e) => {
            if let Some(m) = &mut sess.multi {
                m.failed = true;
            }
            sess.out.error(&e.to_string());
            if let Error::WrongArity(name) = e {
                shared.stats.rejected(name);
            }
            return Step::Done;
        }
    };
    let name = stats_name(&argv);
    if !sess.authed && !found.is_some_and(|c| c.no_auth) {
        if let Some(m) = &mut sess.multi {
            m.failed = true;
        }
        sess.out.error("NOAUTH Authentication required.");
        shared.stats.rejected(&name);
        return Step::Done;
    }
    if sess.out.proto == Protocol::Resp2
        && sess.subs.count() > 0
        && !is_one_of(&argv[0], PUBSUB_CONTEXT)
    {
        if let Some(m) = &mut sess.multi {
            m.failed = true;
        }
        let label = command_label(&argv[0], argv.get(1));
        sess.out.error(&format!(
            "ERR Can't execute '{label}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / \
             RESET are allowed in this context"
        ));
        shared.stats.rejected(&name);
        return Step::Done;
    }
    if let Some(m) = &mut sess.multi {
        if !is_one_of(
            &argv[0],
            &["exec", "discard", "multi", "watch", "quit", "reset"],
        ) {
            m.queue.push(argv);
            sess.client.meta().multi = Some(m.queue.len());
            sess.out.simple("QUEUED");
            return Step::Done;
        }
    }
    let errors = sess.out.errors;
    let started = std::time::Instant::now();
    let step = match found {
        Some(c) => (c.run)(shared, sess, &argv),
        // Encoded straight into the output buffer: XRANGE, XREVRANGE, XREAD and
        // XREADGROUP as their entries are read, XINFO STREAM FULL and XPENDING as the
        // stream and its groups are walked, XINFO CONSUMERS one consumer at a time — a
        // large reply costs its bytes once. A read that blocks writes nothing.
        None => {
            let proto = sess.out.proto;
            let engine = sess.engine(shared);
            match engine.execute_resp_async(&argv, proto, &mut sess.out.buf) {
                Err(e) if matches!(e, Error::OutOfMemory | Error::CrossSlot) => {
                    // Refused by the dispatcher's memory or slot check, before running.
                    sess.out.reply(&Reply::Error(e));
                    shared.stats.rejected(&name);
                    return Step::Done;
                }
                Err(e) => {
                    sess.out.reply(&Reply::Error(e));
                    Step::Done
                }
                Ok(None) => Step::Done,
                Ok(Some(fut)) => Step::Wait(fut),
            }
        }
    };
    let usec = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    if let Step::Wait(_) = step {
        sess.blocked_call = Some((name, usec));
        return step;
    }
    let nested = std::mem::take(&mut sess.nested_errors);
    let failed = sess.out.errors - errors > nested || std::mem::take(&mut sess.failed_elsewhere);
    shared.stats.call(&name, usec, failed);
    step
}

/// The name a command's statistics go under (`cmdstat_<name>`): the lower-case name,
/// `name|sub` for containers.
pub fn stats_name(argv: &[Bytes]) -> String {
    command_label(&argv[0], argv.get(1))
}

/// The commands a RESP2 connection may run while subscribed.
const PUBSUB_CONTEXT: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// Whether `name` is a command with subcommands, which CLIENT LIST and errors show as
/// `name|sub`.
fn is_container(name: &[u8]) -> bool {
    [
        "client",
        "config",
        "xinfo",
        "xgroup",
        "brook.clock",
        "command",
        "memory",
    ]
    .iter()
    .any(|c| c.as_bytes().eq_ignore_ascii_case(name))
}

/// How errors name a command: `name`, or `name|sub` for containers, in lower case (as
/// [`CmdLabel`](crate::registry::CmdLabel) does for CLIENT LIST).
pub fn command_label(name: &[u8], sub: Option<&Bytes>) -> String {
    let container = is_container(name);
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    match sub {
        Some(sub) if container => {
            format!(
                "{name}|{}",
                String::from_utf8_lossy(sub).to_ascii_lowercase()
            )
        }
        _ => name,
    }
}

/// A non-blocking engine command's reply, written now (used inside EXEC and by
/// server commands that forward to every database).
pub(crate) fn engine_now(engine: &Engine, argv: &[Bytes]) -> brook_engine::Reply {
    engine.with_keyspace(|ks, now| ks.execute(argv, now))
}
