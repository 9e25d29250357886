//! `COMMAND`, `COMMAND COUNT`, `COMMAND LIST`, `COMMAND INFO [name …]` and
//! `COMMAND DOCS [name …]`: what the server runs, described as Redis 8 describes it,
//! enough for clients that probe (brook-redis looks for XACKDEL/XDELEX and for
//! XREADGROUP's CLAIM; cluster clients read arity, flags and key positions).
//!
//! Key specs are not listed (an empty array): the first/last/step key positions carry
//! what the clients here use. DOCS gives each command's summary, version, group and its
//! arguments by name and token.

use bytes::Bytes;

use super::{Session, Step};
use crate::Shared;

/// One command's description.
struct Doc {
    name: &'static str,
    arity: i64,
    flags: &'static [&'static str],
    keys: (i64, i64, i64),
    acl: &'static [&'static str],
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    /// Arguments: `key`, a lower-case name, an upper-case `TOKEN`, or `TOKEN:name`.
    args: &'static str,
    subs: &'static [Doc],
}

const W: &[&str] = &["write"];
const WF: &[&str] = &["write", "fast"];
const WDF: &[&str] = &["write", "denyoom", "fast"];
const WD: &[&str] = &["write", "denyoom"];
const R: &[&str] = &["readonly"];
const RF: &[&str] = &["readonly", "fast"];
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
const K1: (i64, i64, i64) = (1, 1, 1);
const K0: (i64, i64, i64) = (0, 0, 0);
const SW: &[&str] = &["@write", "@stream", "@slow"];
const SWF: &[&str] = &["@write", "@stream", "@fast"];
const SR: &[&str] = &["@read", "@stream", "@slow"];
const SRF: &[&str] = &["@read", "@stream", "@fast"];

#[allow(clippy::too_many_arguments)] // one per column of the table
const fn d(
    name: &'static str,
    arity: i64,
    flags: &'static [&'static str],
    keys: (i64, i64, i64),
    acl: &'static [&'static str],
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    args: &'static str,
) -> Doc {
    Doc {
        name,
        arity,
        flags,
        keys,
        acl,
        group,
        since,
        summary,
        args,
        subs: &[],
    }
}

const fn container(
    name: &'static str,
    group: &'static str,
    since: &'static str,
    summary: &'static str,
    subs: &'static [Doc],
) -> Doc {
    Doc {
        name,
        arity: -2,
        flags: &[],
        keys: K0,
        acl: &["@slow"],
        group,
        since,
        summary,
        args: "",
        subs,
    }
}

static DOCS: &[Doc] = &[
    d("xadd", -5, WDF, K1, SWF, "stream", "5.0.0", "Appends a new message to a stream. Creates the key if it doesn't exist.",
      "key NOMKSTREAM KEEPREF DELREF ACKED IDMP:producer-id IDMPAUTO:producer-id MAXLEN MINID LIMIT:count id field value"),
    d("xrange", -4, R, K1, SR, "stream", "5.0.0", "Returns the messages from a stream within a range of IDs.", "key start end COUNT:count"),
    d("xrevrange", -4, R, K1, SR, "stream", "5.0.0", "Returns the messages from a stream within a range of IDs in reverse order.", "key end start COUNT:count"),
    d("xlen", 2, RF, K1, SRF, "stream", "5.0.0", "Return the number of messages in a stream.", "key"),
    d("xdel", -3, WF, K1, SWF, "stream", "5.0.0", "Returns the number of messages after removing them from a stream.", "key id"),
    d("xdelex", -5, WF, K1, SWF, "stream", "8.2.0", "Deletes one or multiple entries from the stream.", "key KEEPREF DELREF ACKED IDS:numids id"),
    d("xtrim", -4, W, K1, SW, "stream", "5.0.0", "Deletes messages from the beginning of a stream.", "key MAXLEN MINID threshold LIMIT:count KEEPREF DELREF ACKED"),
    d("xsetid", -3, WDF, K1, SWF, "stream", "5.0.0", "An internal command for replicating stream values.", "key last-id ENTRIESADDED:entries-added MAXDELETEDID:max-deleted-id"),
    d("xread", -4, &["readonly", "blocking", "movablekeys"], K0, &["@read", "@stream", "@slow", "@blocking"], "stream", "5.0.0",
      "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.", "COUNT:count BLOCK:milliseconds STREAMS key id"),
    d("xreadgroup", -7, &["write", "blocking", "movablekeys"], K0, &["@write", "@stream", "@slow", "@blocking"], "stream", "5.0.0",
      "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.",
      "GROUP:group consumer COUNT:count BLOCK:milliseconds CLAIM:min-idle-time NOACK STREAMS key id"),
    d("xack", -4, WF, K1, SWF, "stream", "5.0.0", "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.", "key group id"),
    d("xackdel", -6, WF, K1, SWF, "stream", "8.2.0", "Acknowledges and deletes one or multiple messages for a stream consumer group.", "key group KEEPREF DELREF ACKED IDS:numids id"),
    d("xpending", -3, R, K1, SR, "stream", "5.0.0", "Returns the information and entries from a stream consumer group's pending entries list.", "key group IDLE:min-idle-time start end count consumer"),
    d("xclaim", -6, WF, K1, SWF, "stream", "5.0.0", "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.",
      "key group consumer min-idle-time id IDLE:ms TIME:unix-time-milliseconds RETRYCOUNT:count FORCE JUSTID LASTID:lastid"),
    d("xautoclaim", -6, WF, K1, SWF, "stream", "6.2.0", "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.",
      "key group consumer min-idle-time start COUNT:count JUSTID"),
    container("xgroup", "stream", "5.0.0", "A container for consumer groups commands.", &[
        d("xgroup|create", -5, WD, (2, 2, 1), SW, "stream", "5.0.0", "Creates a consumer group.", "key group id MKSTREAM ENTRIESREAD:entries-read"),
        d("xgroup|setid", -5, W, (2, 2, 1), SW, "stream", "5.0.0", "Sets the last-delivered ID of a consumer group.", "key group id ENTRIESREAD:entries-read"),
        d("xgroup|destroy", 4, W, (2, 2, 1), SW, "stream", "5.0.0", "Destroys a consumer group.", "key group"),
        d("xgroup|createconsumer", 5, WD, (2, 2, 1), SW, "stream", "6.2.0", "Creates a consumer in a consumer group.", "key group consumer"),
        d("xgroup|delconsumer", 5, W, (2, 2, 1), SW, "stream", "5.0.0", "Deletes a consumer from a consumer group.", "key group consumer"),
        d("xgroup|help", 2, HELP, K0, &["@stream", "@slow"], "stream", "5.0.0", "Returns helpful text about the different subcommands.", ""),
    ]),
    container("xinfo", "stream", "5.0.0", "A container for stream introspection commands.", &[
        d("xinfo|stream", -3, R, (2, 2, 1), SR, "stream", "5.0.0", "Returns information about a stream.", "key FULL COUNT:count"),
        d("xinfo|groups", 3, R, (2, 2, 1), SR, "stream", "5.0.0", "Returns a list of the consumer groups of a stream.", "key"),
        d("xinfo|consumers", 4, R, (2, 2, 1), SR, "stream", "5.0.0", "Returns a list of the consumers in a consumer group.", "key group"),
        d("xinfo|help", 2, HELP, K0, &["@stream", "@slow"], "stream", "5.0.0", "Returns helpful text about the different subcommands.", ""),
    ]),
    d("xcfgset", -2, WF, K1, SWF, "stream", "8.6.0", "Sets a stream's idempotency settings.", "key IDMP-DURATION:duration IDMP-MAXSIZE:maxsize"),
    d("xidmprecord", 5, WDF, K1, SWF, "stream", "8.6.2", "Records an idempotent producer's message ID.", "key producer-id iid id"),
    d("del", -2, W, (1, -1, 1), &["@keyspace", "@write", "@slow"], "generic", "1.0.0", "Deletes one or more keys.", "key"),
    d("unlink", -2, WF, (1, -1, 1), &["@keyspace", "@write", "@fast"], "generic", "4.0.0", "Asynchronously deletes one or more keys.", "key"),
    d("exists", -2, RF, (1, -1, 1), &["@keyspace", "@read", "@fast"], "generic", "1.0.0", "Determines whether one or more keys exist.", "key"),
    d("type", 2, RF, K1, &["@keyspace", "@read", "@fast"], "generic", "1.0.0", "Determines the type of value stored at a key.", "key"),
    d("keys", 2, R, K0, &["@keyspace", "@read", "@slow", "@dangerous"], "generic", "1.0.0", "Returns all key names that match a pattern.", "pattern"),
    d("scan", -2, R, K0, &["@keyspace", "@read", "@slow"], "generic", "2.8.0", "Iterates over the key names in the database.", "cursor MATCH:pattern COUNT:count TYPE:type"),
    d("rename", 3, W, (1, 2, 1), &["@keyspace", "@write", "@slow"], "generic", "1.0.0", "Renames a key and overwrites the destination.", "key newkey"),
    d("renamenx", 3, WF, (1, 2, 1), &["@keyspace", "@write", "@fast"], "generic", "1.0.0", "Renames a key only when the target key name doesn't exist.", "key newkey"),
    d("copy", -3, WD, (1, 2, 1), &["@keyspace", "@write", "@slow"], "generic", "6.2.0", "Copies the value of a key to a new key.", "source destination DB:destination-db REPLACE"),
    d("dbsize", 1, RF, K0, &["@keyspace", "@read", "@fast"], "server", "1.0.0", "Returns the number of keys in the database.", ""),
    d("flushall", -1, W, K0, &["@keyspace", "@write", "@slow", "@dangerous"], "server", "1.0.0", "Removes all keys from all databases.", "ASYNC SYNC"),
    d("flushdb", -1, W, K0, &["@keyspace", "@write", "@slow", "@dangerous"], "server", "1.0.0", "Remove all keys from the current database.", "ASYNC SYNC"),
    d("set", -3, WD, K1, &["@write", "@string", "@slow"], "string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
      "key value NX XX GET EX:seconds PX:milliseconds EXAT:unix-time-seconds PXAT:unix-time-milliseconds KEEPTTL"),
    d("get", 2, RF, K1, &["@read", "@string", "@fast"], "string", "1.0.0", "Returns the string value of a key.", "key"),
    d("incr", 2, WDF, K1, &["@write", "@string", "@fast"], "string", "1.0.0", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "key"),
    d("incrby", 3, WDF, K1, &["@write", "@string", "@fast"], "string", "1.0.0", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "key increment"),
    d("decr", 2, WDF, K1, &["@write", "@string", "@fast"], "string", "1.0.0", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "key"),
    d("pttl", 2, RF, K1, &["@keyspace", "@read", "@fast"], "generic", "2.6.0", "Returns the expiration time in milliseconds of a key.", "key"),
    d("ttl", 2, RF, K1, &["@keyspace", "@read", "@fast"], "generic", "1.0.0", "Returns the expiration time in seconds of a key.", "key"),
    d("ping", -1, &["fast"], K0, &["@fast", "@connection"], "connection", "1.0.0", "Returns the server's liveliness response.", "message"),
    d("echo", 2, &["fast"], K0, &["@fast", "@connection"], "connection", "1.0.0", "Returns the given string.", "message"),
    d("hello", -1, NOAUTH, K0, &["@fast", "@connection"], "connection", "6.0.0", "Handshakes with the Redis server.", "protover AUTH:username password SETNAME:clientname"),
    d("auth", -2, NOAUTH, K0, &["@fast", "@connection"], "connection", "1.0.0", "Authenticates the connection.", "username password"),
    d("select", 2, &["loading", "stale", "fast"], K0, &["@keyspace", "@fast"], "connection", "1.0.0", "Changes the selected database.", "index"),
    d("quit", -1, NOAUTH, K0, &["@fast", "@connection"], "connection", "1.0.0", "Closes the connection.", ""),
    d("reset", 1, NOAUTH, K0, &["@fast", "@connection"], "connection", "6.2.0", "Resets the connection.", ""),
    d("time", 1, &["loading", "stale", "fast"], K0, &["@fast"], "server", "2.6.0", "Returns the server time.", ""),
    d("info", -1, &["loading", "stale"], K0, &["@slow", "@dangerous"], "server", "1.0.0", "Returns information and statistics about the server.", "section"),
    d("multi", 1, CONN, K0, &["@fast", "@transaction"], "transactions", "1.2.0", "Starts a transaction.", ""),
    d("exec", 1, &["noscript", "loading", "stale", "skip_slowlog"], K0, &["@slow", "@transaction"], "transactions", "1.2.0", "Executes all commands in a transaction.", ""),
    d("watch", -2, &["noscript", "loading", "stale", "fast", "allow_busy"], (1, -1, 1), &["@fast", "@transaction"], "transactions", "2.2.0", "Monitors changes to keys to determine the execution of a transaction.", "key"),
    d("unwatch", 1, CONN, K0, &["@fast", "@transaction"], "transactions", "2.2.0", "Forgets about watched keys of a transaction.", ""),
    d("discard", 1, CONN, K0, &["@fast", "@transaction"], "transactions", "2.0.0", "Discards a transaction.", ""),
    container("client", "connection", "2.4.0", "A container for client connection commands.", &[
        d("client|id", 2, CONN, K0, &["@slow", "@connection"], "connection", "5.0.0", "Returns the unique client ID of the connection.", ""),
        d("client|setname", 3, CONN, K0, &["@slow", "@connection"], "connection", "2.6.9", "Sets the connection name.", "connection-name"),
        d("client|getname", 2, CONN, K0, &["@slow", "@connection"], "connection", "2.6.9", "Returns the name of the connection.", ""),
        d("client|setinfo", 4, CONN, K0, &["@slow", "@connection"], "connection", "7.2.0", "Sets information specific to the client or connection.", "LIB-NAME:libname LIB-VER:libver"),
        d("client|info", 2, CONN, K0, &["@slow", "@connection"], "connection", "6.2.0", "Returns information about the connection.", ""),
        d("client|list", -2, &["admin", "noscript", "loading", "stale"], K0, &["@admin", "@slow", "@dangerous", "@connection"], "connection", "2.4.0", "Lists open connections.", "TYPE:type ID:client-id"),
        d("client|kill", -3, &["admin", "noscript", "loading", "stale"], K0, &["@admin", "@slow", "@dangerous", "@connection"], "connection", "2.4.0", "Terminates open connections.", "ip:port ID:client-id ADDR:ip:port LADDR:ip:port USER:username SKIPME:yes/no MAXAGE:maxage"),
        d("client|unblock", -3, &["admin", "noscript", "loading", "stale"], K0, &["@admin", "@slow", "@dangerous", "@connection"], "connection", "5.0.0", "Unblocks a client blocked by a blocking command from a different connection.", "client-id TIMEOUT ERROR"),
        d("client|no-evict", 3, &["admin", "noscript", "loading", "stale"], K0, &["@admin", "@slow", "@dangerous", "@connection"], "connection", "7.0.0", "Sets the client eviction mode of the connection.", "ON OFF"),
        d("client|no-touch", 3, CONN, K0, &["@slow", "@connection"], "connection", "7.2.0", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", "ON OFF"),
        d("client|reply", 3, CONN, K0, &["@slow", "@connection"], "connection", "3.2.0", "Instructs the server whether to reply to commands.", "ON OFF SKIP"),
        d("client|help", 2, HELP, K0, &["@slow", "@connection"], "connection", "5.0.0", "Returns helpful text about the different subcommands.", ""),
    ]),
    container("config", "server", "2.0.0", "A container for server configuration commands.", &[
        d("config|get", -3, &["admin", "noscript", "loading", "stale"], K0, &["@admin", "@slow", "@dangerous"], "server", "2.0.0", "Returns the effective values of configuration parameters.", "parameter"),
        d("config|set", -4, &["admin", "noscript", "loading", "stale"], K0, &["@admin", "@slow", "@dangerous"], "server", "2.0.0", "Sets configuration parameters in-flight.", "parameter value"),
        d("config|resetstat", 2, &["admin", "noscript", "loading", "stale"], K0, &["@admin", "@slow", "@dangerous"], "server", "2.0.0", "Resets the server's statistics.", ""),
    ]),
    container("memory", "server", "4.0.0", "A container for memory diagnostics commands.", &[
        d("memory|usage", -3, R, (2, 2, 1), &["@read", "@slow"], "server", "4.0.0", "Estimates the memory usage of a key.", "key SAMPLES:count"),
        d("memory|stats", 2, &[], K0, &["@slow"], "server", "4.0.0", "Returns details about memory usage.", ""),
        d("memory|doctor", 2, &[], K0, &["@slow"], "server", "4.0.0", "Outputs a memory problems report.", ""),
        d("memory|malloc-stats", 2, &[], K0, &["@slow"], "server", "4.0.0", "Returns the allocator statistics.", ""),
        d("memory|purge", 2, &[], K0, &["@slow"], "server", "4.0.0", "Asks the allocator to release memory.", ""),
        d("memory|help", 2, HELP, K0, &["@slow"], "server", "4.0.0", "Returns helpful text about the different subcommands.", ""),
    ]),
    container("command", "server", "2.8.13", "Returns detailed information about all commands.", &[
        d("command|count", 2, &["loading", "stale"], K0, &["@slow", "@connection"], "server", "2.8.13", "Returns a count of commands.", ""),
        d("command|list", 2, &["loading", "stale"], K0, &["@slow", "@connection"], "server", "7.0.0", "Returns a list of command names.", ""),
        d("command|info", -2, &["loading", "stale"], K0, &["@slow", "@connection"], "server", "2.8.13", "Returns information about one, multiple or all commands.", "command-name"),
        d("command|docs", -2, &["loading", "stale"], K0, &["@slow", "@connection"], "server", "7.0.0", "Returns documentary information about one, multiple or all commands.", "command-name"),
    ]),
    d("brook.ackifowner", -5, WF, K1, SWF, "brook", "0.1.0", "XACK of those IDs the consumer still owns.", "key group consumer id"),
    d("brook.touchifowner", -5, WF, K1, SWF, "brook", "0.1.0", "Resets the idle time of those IDs the consumer still owns, without counting a delivery.", "key group consumer id"),
    d("brook.ackifownerthenadd", -8, WDF, (1, 1, 1), SWF, "brook", "0.1.0", "When the consumer still owns the ID: adds the fields to another stream, then acknowledges.", "key group consumer id to field value"),
    d("brook.delconsumerifempty", 4, WF, K1, SWF, "brook", "0.1.0", "Deletes a consumer only when it owns no pending entry.", "key group consumer"),
    d("brook.markack", -7, WD, (1, 2, 1), &["@write", "@stream", "@slow"], "brook", "0.1.0", "XACK, then sets a marker with NX PX; when it was new, runs the writes that follow.", "key marker group id keep-ms numwrites argc arg"),
    d("publish", 3, &["pubsub", "loading", "stale", "fast"], K0, &["@pubsub", "@fast"], "pubsub", "2.0.0", "Posts a message to a channel.", "channel message"),
    d("subscribe", -2, &["pubsub", "noscript", "loading", "stale"], K0, &["@pubsub", "@slow"], "pubsub", "2.0.0", "Listens for messages published to channels.", "channel"),
    d("psubscribe", -2, &["pubsub", "noscript", "loading", "stale"], K0, &["@pubsub", "@slow"], "pubsub", "2.0.0", "Listens for messages published to channels that match one or more patterns.", "pattern"),
    d("unsubscribe", -1, &["pubsub", "noscript", "loading", "stale"], K0, &["@pubsub", "@slow"], "pubsub", "2.0.0", "Stops listening to messages posted to channels.", "channel"),
    d("punsubscribe", -1, &["pubsub", "noscript", "loading", "stale"], K0, &["@pubsub", "@slow"], "pubsub", "2.0.0", "Stops listening to messages published to channels that match one or more patterns.", "pattern"),
    d("brook.clock", -2, &["fast"], K0, &["@fast"], "brook", "0.1.0", "Reads or moves brook serve's virtual clock (GET, ADVANCE ms, SET ms).", "GET ADVANCE:milliseconds SET:unix-time-milliseconds"),
];

fn lookup(name: &[u8]) -> Option<&'static Doc> {
    DOCS.iter()
        .find(|d| d.name.as_bytes().eq_ignore_ascii_case(name))
}

fn info(sess: &mut Session, doc: &Doc) {
    let out = &mut sess.out;
    out.array(10);
    out.bulk_str(doc.name);
    out.int(doc.arity);
    out.set(doc.flags.len());
    for f in doc.flags {
        out.simple(f);
    }
    out.int(doc.keys.0);
    out.int(doc.keys.1);
    out.int(doc.keys.2);
    out.set(doc.acl.len());
    for a in doc.acl {
        out.simple(a);
    }
    out.array(0);
    out.array(0);
    out.array(doc.subs.len());
    for s in doc.subs {
        info(sess, s);
    }
}

fn docs(sess: &mut Session, doc: &Doc) {
    let args: Vec<&str> = doc.args.split_whitespace().collect();
    let fields = 3 + usize::from(!args.is_empty()) + usize::from(!doc.subs.is_empty());
    let out = &mut sess.out;
    out.map(fields);
    out.bulk_str("summary");
    out.bulk_str(doc.summary);
    out.bulk_str("since");
    out.bulk_str(doc.since);
    out.bulk_str("group");
    out.bulk_str(doc.group);
    if !args.is_empty() {
        out.bulk_str("arguments");
        out.array(args.len());
        for a in args {
            let (token, name) = match a.split_once(':') {
                Some((t, n)) => (Some(t), n.to_string()),
                None if a.chars().any(|c| c.is_ascii_uppercase()) => {
                    (Some(a), a.to_ascii_lowercase())
                }
                None => (None, a.to_string()),
            };
            let kind = match (token, a) {
                (_, "key") => "key",
                (Some(t), _) if a == t => "pure-token",
                _ => "string",
            };
            out.map(3 + usize::from(token.is_some()));
            out.bulk_str("name");
            out.bulk_str(&name);
            out.bulk_str("type");
            out.bulk_str(kind);
            out.bulk_str("display_text");
            out.bulk_str(&name);
            if let Some(t) = token {
                out.bulk_str("token");
                out.bulk_str(t);
            }
        }
    }
    if !doc.subs.is_empty() {
        sess.out.bulk_str("subcommands");
        sess.out.map(doc.subs.len());
        for s in doc.subs {
            sess.out.bulk_str(s.name);
            docs(sess, s);
        }
    }
}

/// `COMMAND [COUNT | LIST | INFO [name …] | DOCS [name …]]`.
pub(super) fn run(_: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let Some(sub) = argv.get(1) else {
        sess.out.array(DOCS.len());
        for d in DOCS {
            info(sess, d);
        }
        return Step::Done;
    };
    let sub_lc = String::from_utf8_lossy(sub).to_ascii_lowercase();
    let arity_err = |sess: &mut Session| {
        sess.out.error(&format!(
            "ERR wrong number of arguments for 'command|{sub_lc}' command"
        ));
    };
    match sub_lc.as_str() {
        "count" | "list" if argv.len() != 2 => arity_err(sess),
        "count" => sess.out.int(DOCS.len() as i64),
        "list" => {
            sess.out.array(DOCS.len());
            for d in DOCS {
                sess.out.bulk_str(d.name);
            }
        }
        "info" if argv.len() == 2 => {
            sess.out.array(DOCS.len());
            for d in DOCS {
                info(sess, d);
            }
        }
        "info" => {
            sess.out.array(argv.len() - 2);
            for name in &argv[2..] {
                match lookup(name) {
                    Some(d) => info(sess, d),
                    None => sess.out.null(),
                }
            }
        }
        "docs" => {
            let found: Vec<&Doc> = if argv.len() == 2 {
                DOCS.iter().collect()
            } else {
                argv[2..].iter().filter_map(|n| lookup(n)).collect()
            };
            sess.out.map(found.len());
            for d in found {
                sess.out.bulk_str(d.name);
                docs(sess, d);
            }
        }
        _ => sess.out.error(&format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            String::from_utf8_lossy(sub)
        )),
    }
    Step::Done
}

#[cfg(test)]
mod tests {
    use super::DOCS;

    /// Every command the server routes is described, and only those.
    #[test]
    fn every_command_described() {
        for d in DOCS {
            let known = brook_engine::Keyspace::knows_command(d.name.as_bytes())
                || super::super::find(d.name.as_bytes()).is_some()
                || d.name == "command";
            assert!(known, "{} is described but not run", d.name);
        }
        let served = brook_engine::Keyspace::command_names()
            .chain(super::super::SERVER_COMMANDS.iter().map(|c| c.name));
        for name in served {
            assert!(
                DOCS.iter().any(|d| d.name == name),
                "{name} runs but COMMAND does not describe it"
            );
        }
    }
}
