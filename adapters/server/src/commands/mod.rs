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
mod persistence;
pub mod pubsub;

use std::sync::Arc;

pub(crate) use brook_engine::frontend::arity_ok;
use brook_engine::frontend::{CommandSpec, ExecuteFuture, KeyPositions, Keyspace, Protocol};
use brook_engine::{Engine, Error, Reply};
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

/// How the server runs a command it answers itself.
type Handler = fn(&Shared, &mut Session, &[Bytes]) -> Step;

/// A command the server answers itself: its description (the engine's row type) and
/// its handler.
struct ServerCommand {
    spec: CommandSpec,
    run: Handler,
}

/// The row of a server command.
#[allow(clippy::too_many_arguments)] // one per column of the table
const fn sc(
    name: &'static str,
    arity: i32,
    flags: &'static [&'static str],
    keys: KeyPositions,
    acl: &'static [&'static str],
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    args: &'static str,
    run: Handler,
) -> ServerCommand {
    ServerCommand {
        spec: CommandSpec::new(name, arity, flags, keys, acl, group, since, summary, args),
        run,
    }
}

/// The row of a server container command.
const fn container(spec: CommandSpec, run: Handler) -> ServerCommand {
    ServerCommand { spec, run }
}

const WF: &[&str] = &["write", "fast"];
const WDF: &[&str] = &["write", "denyoom", "fast"];
const WD: &[&str] = &["write", "denyoom"];
const R: &[&str] = &["readonly"];
const HELP: &[&str] = &["loading", "stale"];
const CONN: &[&str] = &["noscript", "loading", "stale", "fast", "allow_busy"];
const NOAUTH: &[&str] = &[
    "noscript",
    "loading",
    "stale",
    "fast",
    "no_auth",
    "allow_busy",
];
const ADMIN: &[&str] = &["admin", "noscript", "loading", "stale"];
const K1: KeyPositions = KeyPositions::FIRST;
const K0: KeyPositions = KeyPositions::NONE;
const SWF: &[&str] = &["@write", "@stream", "@fast"];
const CONN_ACL: &[&str] = &["@slow", "@connection"];
const ADMIN_ACL: &[&str] = &["@admin", "@slow", "@dangerous", "@connection"];

use CommandSpec as C;

/// The commands the server answers itself, described as Redis 8 describes them (the
/// `brook.*` ones are brook's own).
#[rustfmt::skip]
static SERVER_COMMANDS: &[ServerCommand] = &[
    sc("ping", -1, &["fast"], K0, &["@fast", "@connection"], "connection", "1.0.0", "Returns the server's liveliness response.", "message", connection::ping),
    sc("echo", 2, &["fast"], K0, &["@fast", "@connection"], "connection", "1.0.0", "Returns the given string.", "message", connection::echo),
    sc("hello", -1, NOAUTH, K0, &["@fast", "@connection"], "connection", "6.0.0", "Handshakes with the Redis server.",
        "protover AUTH:username password SETNAME:clientname", connection::hello),
    sc("auth", -2, NOAUTH, K0, &["@fast", "@connection"], "connection", "1.0.0", "Authenticates the connection.", "username password", connection::auth),
    sc("select", 2, &["loading", "stale", "fast"], K0, &["@keyspace", "@fast"], "connection", "1.0.0", "Changes the selected database.", "index", connection::select),
    sc("quit", -1, NOAUTH, K0, &["@fast", "@connection"], "connection", "1.0.0", "Closes the connection.", "", connection::quit),
    sc("reset", 1, NOAUTH, K0, &["@fast", "@connection"], "connection", "6.2.0", "Resets the connection.", "", connection::reset),
    sc("time", 1, &["loading", "stale", "fast"], K0, &["@fast"], "server", "2.6.0", "Returns the server time.", "", connection::time),
    sc("info", -1, &["loading", "stale"], K0, &["@slow", "@dangerous"], "server", "1.0.0", "Returns information and statistics about the server.", "section", info::run),
    sc("bgrewriteaof", 1, &["admin", "noscript", "no_async_loading"], K0, &["@admin", "@slow", "@dangerous"], "server", "1.0.0",
        "Asynchronously rewrites the append-only file to disk.", "", persistence::bgrewriteaof),
    sc("multi", 1, CONN, K0, &["@fast", "@transaction"], "transactions", "1.2.0", "Starts a transaction.", "", multi::multi),
    sc("exec", 1, &["noscript", "loading", "stale", "skip_slowlog"], K0, &["@slow", "@transaction"], "transactions", "1.2.0", "Executes all commands in a transaction.", "", multi::exec),
    sc("watch", -2, CONN, KeyPositions::new(1, -1, 1), &["@fast", "@transaction"], "transactions", "2.2.0",
        "Monitors changes to keys to determine the execution of a transaction.", "key", multi::watch),
    sc("unwatch", 1, CONN, K0, &["@fast", "@transaction"], "transactions", "2.2.0", "Forgets about watched keys of a transaction.", "", multi::unwatch),
    sc("discard", 1, CONN, K0, &["@fast", "@transaction"], "transactions", "2.0.0", "Discards a transaction.", "", multi::discard),
    container(C::container("client", "CLIENT", "connection", "2.4.0", "A container for client connection commands.", &[
        C::new("client|id", 2, CONN, K0, CONN_ACL, "connection", "5.0.0", "Returns the unique client ID of the connection.", ""),
        C::new("client|setname", 3, CONN, K0, CONN_ACL, "connection", "2.6.9", "Sets the connection name.", "connection-name"),
        C::new("client|getname", 2, CONN, K0, CONN_ACL, "connection", "2.6.9", "Returns the name of the connection.", ""),
        C::new("client|setinfo", 4, CONN, K0, CONN_ACL, "connection", "7.2.0", "Sets information specific to the client or connection.", "LIB-NAME:libname LIB-VER:libver"),
        C::new("client|info", 2, CONN, K0, CONN_ACL, "connection", "6.2.0", "Returns information about the connection.", ""),
        C::new("client|list", -2, ADMIN, K0, ADMIN_ACL, "connection", "2.4.0", "Lists open connections.", "TYPE:type ID:client-id"),
        C::new("client|kill", -3, ADMIN, K0, ADMIN_ACL, "connection", "2.4.0", "Terminates open connections.",
            "ip:port ID:client-id ADDR:ip:port LADDR:ip:port USER:username SKIPME:yes/no MAXAGE:maxage"),
        C::new("client|unblock", -3, ADMIN, K0, ADMIN_ACL, "connection", "5.0.0", "Unblocks a client blocked by a blocking command from a different connection.", "client-id TIMEOUT ERROR"),
        C::new("client|no-evict", 3, ADMIN, K0, ADMIN_ACL, "connection", "7.0.0", "Sets the client eviction mode of the connection.", "ON OFF"),
        C::new("client|no-touch", 3, CONN, K0, CONN_ACL, "connection", "7.2.0", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "ON OFF"),
        C::new("client|reply", 3, CONN, K0, CONN_ACL, "connection", "3.2.0", "Instructs the server whether to reply to commands.", "ON OFF SKIP"),
        C::new("client|help", 2, HELP, K0, CONN_ACL, "connection", "5.0.0", "Returns helpful text about the different subcommands.", ""),
    ]), client::run),
    container(C::container("memory", "MEMORY", "server", "4.0.0", "A container for memory diagnostics commands.", &[
        C::new("memory|usage", -3, R, KeyPositions::new(2, 2, 1), &["@read", "@slow"], "server", "4.0.0", "Estimates the memory usage of a key.", "key SAMPLES:count"),
        C::new("memory|stats", 2, &[], K0, &["@slow"], "server", "4.0.0", "Returns details about memory usage.", ""),
        C::new("memory|doctor", 2, &[], K0, &["@slow"], "server", "4.0.0", "Outputs a memory problems report.", ""),
        C::new("memory|malloc-stats", 2, &[], K0, &["@slow"], "server", "4.0.0", "Returns the allocator statistics.", ""),
        C::new("memory|purge", 2, &[], K0, &["@slow"], "server", "4.0.0", "Asks the allocator to release memory.", ""),
        C::new("memory|help", 2, HELP, K0, &["@slow"], "server", "4.0.0", "Returns helpful text about the different subcommands.", ""),
    ]), memory::run),
    // COMMAND alone lists every command: arity -1, as Redis has it.
    container(C::container("command", "COMMAND", "server", "2.8.13", "Returns detailed information about all commands.", &[
        C::new("command|count", 2, HELP, K0, CONN_ACL, "server", "2.8.13", "Returns a count of commands.", ""),
        C::new("command|list", -2, HELP, K0, CONN_ACL, "server", "7.0.0", "Returns a list of command names.", ""),
        C::new("command|info", -2, HELP, K0, CONN_ACL, "server", "2.8.13", "Returns information about one, multiple or all commands.", "command-name"),
        C::new("command|docs", -2, HELP, K0, CONN_ACL, "server", "7.0.0", "Returns documentary information about one, multiple or all commands.", "command-name"),
    ]).with_arity(-1), command::run),
    sc("brook.ackifowner", -5, WF, K1, SWF, "brook", "0.1.0", "XACK of those IDs the consumer still owns.", "key group consumer id", brook_ops::if_owner),
    sc("brook.touchifowner", -5, WF, K1, SWF, "brook", "0.1.0", "Resets the idle time of those IDs the consumer still owns, without counting a delivery.",
        "key group consumer id", brook_ops::if_owner),
    sc("brook.ackifownerthenadd", -8, WDF, K1, SWF, "brook", "0.1.0", "When the consumer still owns the ID: adds the fields to another stream, then acknowledges.",
        "key group consumer id to field value", brook_ops::if_owner_then_add),
    sc("brook.delconsumerifempty", 4, WF, K1, SWF, "brook", "0.1.0", "Deletes a consumer only when it owns no pending entry.", "key group consumer",
        brook_ops::delconsumer_if_empty),
    sc("brook.markack", -7, WD, KeyPositions::new(1, 2, 1), &["@write", "@stream", "@slow"], "brook", "0.1.0",
        "XACK, then sets a marker with NX PX; when it was new, runs the writes that follow.", "key marker group id keep-ms numwrites argc arg", brook_ops::mark_ack),
    sc("publish", 3, &["pubsub", "loading", "stale", "fast"], K0, &["@pubsub", "@fast"], "pubsub", "2.0.0", "Posts a message to a channel.", "channel message", pubsub::publish),
    sc("subscribe", -2, &["pubsub", "noscript", "loading", "stale"], K0, &["@pubsub", "@slow"], "pubsub", "2.0.0", "Listens for messages published to channels.", "channel", pubsub::subscribe),
    sc("psubscribe", -2, &["pubsub", "noscript", "loading", "stale"], K0, &["@pubsub", "@slow"], "pubsub", "2.0.0",
        "Listens for messages published to channels that match one or more patterns.", "pattern", pubsub::subscribe),
    sc("unsubscribe", -1, &["pubsub", "noscript", "loading", "stale"], K0, &["@pubsub", "@slow"], "pubsub", "2.0.0", "Stops listening to messages posted to channels.", "channel",
        pubsub::unsubscribe),
    sc("punsubscribe", -1, &["pubsub", "noscript", "loading", "stale"], K0, &["@pubsub", "@slow"], "pubsub", "2.0.0",
        "Stops listening to messages published to channels that match one or more patterns.", "pattern", pubsub::unsubscribe),
    sc("brook.clock", -2, &["fast"], K0, &["@fast"], "brook", "0.1.0", "Reads or moves brook serve's virtual clock (GET, ADVANCE ms, SET ms).",
        "GET ADVANCE:milliseconds SET:unix-time-milliseconds", clock::run),
];

/// Engine commands the server runs itself (described by the engine's row): FLUSHALL
/// flushes every database, CONFIG spans the engines and the server's own settings.
static SERVER_RUN: &[(&str, Handler)] = &[
    ("flushall", keyspace::flushall),
    ("config", keyspace::config),
];

/// A command the server runs: its row and its handler.
#[derive(Clone, Copy)]
struct Found {
    spec: &'static CommandSpec,
    run: Handler,
}

/// The server command that runs `argv`, if the server runs it itself: by name, and
/// COPY when it names a database (see `copy.rs`; the engine's row describes it).
fn find_for(argv: &[Bytes]) -> Option<Found> {
    if copy::names_db(argv) {
        if let Some(spec) = brook_engine::frontend::command_spec("copy") {
            return Some(Found {
                spec,
                run: copy::run,
            });
        }
    }
    find(argv.first().map(|n| &n[..]).unwrap_or_default())
}

/// The command `name` if the server runs it itself.
fn find(name: &[u8]) -> Option<Found> {
    if let Some(c) = SERVER_COMMANDS
        .iter()
        .find(|c| c.spec.name.as_bytes().eq_ignore_ascii_case(name))
    {
        return Some(Found {
            spec: &c.spec,
            run: c.run,
        });
    }
    let &(engine_name, run) = SERVER_RUN
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))?;
    brook_engine::frontend::command_spec(engine_name).map(|spec| Found { spec, run })
}

/// The row of `name` (any case): a server command's or the engine's.
fn spec(name: &[u8]) -> Option<&'static CommandSpec> {
    SERVER_COMMANDS
        .iter()
        .map(|c| &c.spec)
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
        .or_else(|| brook_engine::frontend::command_spec(name))
}

/// Every command `brook serve` runs, one row each: the engine's, then the server's.
fn all_specs() -> impl Iterator<Item = &'static CommandSpec> {
    brook_engine::frontend::command_specs()
        .iter()
        .chain(SERVER_COMMANDS.iter().map(|c| &c.spec))
}

/// Checks a command as Redis's dispatcher does before running or queueing it: known
/// (subcommands too), right arity.
fn check(argv: &[Bytes]) -> Result<Option<Found>, Error> {
    match find_for(argv) {
        Some(c) => c.spec.resolve(argv).map(|_| Some(c)),
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
    if !sess.authed && !found.is_some_and(|c| c.spec.has_flag("no_auth")) {
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
/// `name|sub` (`BROOK.CLOCK` too, which checks its own).
fn is_container(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"brook.clock") || spec(name).is_some_and(CommandSpec::is_container)
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
