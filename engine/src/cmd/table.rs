//! The command table: one [`CommandSpec`] row per command the engine runs, holding
//! everything known about it — Redis's name, arity, flags, key positions, ACL
//! categories, documentation and subcommands — and the handler that runs it.
//!
//! The engine's dispatcher ([`Keyspace::execute`]) checks arity, subcommands and
//! `denyoom` from the row and runs its handler; the cluster slot check takes the keys
//! from the row's key positions; `brook serve` answers COMMAND, COMMAND INFO and
//! COMMAND DOCS from the rows. The values are Redis 8's (as `COMMAND INFO` and
//! `COMMAND DOCS` print them).

use bytes::Bytes;

use super::{
    config, copy, dbsize, del, exists, flush, get, incr, key_type, keys, rename, scan, set,
};
use super::{ttl, xack, xackdel, xadd, xautoclaim, xcfgset, xclaim, xdel, xdelex, xgroup};
use super::{xidmprecord, xinfo, xlen, xpending, xrange, xread, xreadgroup, xsetid, xtrim};
use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

/// How the engine runs a command once found and checked.
pub(crate) type Handler = fn(&mut Keyspace, &[Bytes], u64) -> Reply;

/// Finds the keys of a command whose keys move (Redis's `movablekeys`): the slice of
/// `argv` holding them.
type GetKeys = fn(&[Bytes]) -> &[Bytes];

/// Where a command's keys are, as `COMMAND INFO` prints them: the first key's index in
/// the argument vector (the name is index 0; 0 = no keys), the last's (negative: counted
/// from the end, -1 = the last argument) and the step between keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPositions {
    /// Index of the first key; 0 when the command takes no key (at a fixed place).
    pub first: i32,
    /// Index of the last key; negative counts from the end (-1 = the last argument).
    pub last: i32,
    /// Distance between two keys.
    pub step: i32,
}

impl KeyPositions {
    /// No key (or keys that move, found by the command's own rule).
    pub const NONE: KeyPositions = KeyPositions::new(0, 0, 0);
    /// One key, the first argument.
    pub const FIRST: KeyPositions = KeyPositions::new(1, 1, 1);

    /// Positions `first`, `last`, `step`.
    pub const fn new(first: i32, last: i32, step: i32) -> KeyPositions {
        KeyPositions { first, last, step }
    }

    /// The arguments these positions pick out of `argv` (before stepping).
    fn range<'a>(&self, argv: &'a [Bytes]) -> &'a [Bytes] {
        let argc = argv.len() as i64;
        let first = i64::from(self.first);
        let last = match i64::from(self.last) {
            l if l < 0 => argc + l,
            l => l.min(argc - 1),
        };
        if first <= 0 || last < first {
            return &[];
        }
        let (Ok(first), Ok(last)) = (usize::try_from(first), usize::try_from(last)) else {
            return &[];
        };
        argv.get(first..=last).unwrap_or_default()
    }
}

/// One command as Redis describes it (`COMMAND INFO`, `COMMAND DOCS`), and, for the
/// engine's own commands, how the engine runs it. Rows are `'static`: get them from
/// [`command_spec`] or [`command_specs`].
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    /// Lower-case name; `container|sub` for a subcommand.
    pub name: &'static str,
    /// Redis arity: positive = exactly that many arguments (the name counted),
    /// negative = at least that many.
    pub arity: i32,
    /// Redis's command flags (`write`, `readonly`, `denyoom`, `fast`, …), in the order
    /// `COMMAND INFO` lists them.
    pub flags: &'static [&'static str],
    /// Where the keys are.
    pub keys: KeyPositions,
    /// ACL categories (`@write`, `@stream`, …), in `COMMAND INFO`'s order.
    pub acl_categories: &'static [&'static str],
    /// The documentation group (`stream`, `generic`, `string`, `server`, …).
    pub group: &'static str,
    /// The version that introduced the command.
    pub since: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// The arguments, space-separated, each as `COMMAND DOCS` names it: `key` (a key),
    /// a lower-case name (a string), an upper-case `TOKEN` (a pure token) or
    /// `TOKEN:name` (a token followed by a value).
    pub args: &'static str,
    /// The subcommands of a container command (empty for others).
    pub subcommands: &'static [CommandSpec],
    /// A container's name in upper case, as "Try XGROUP HELP." prints it.
    upper: &'static str,
    /// The engine's handler (`None` for a container and for commands a server runs).
    run: Option<Handler>,
    /// The key finder of a command with `movablekeys`.
    getkeys: Option<GetKeys>,
    /// `flags` has `denyoom` (worked out when the row is built).
    denyoom: bool,
}

impl CommandSpec {
    /// A command (not a container) with its Redis metadata; the arguments are those
    /// of the fields of the same names.
    #[allow(clippy::too_many_arguments)] // one per column of the table
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: &'static [&'static str],
        keys: KeyPositions,
        acl_categories: &'static [&'static str],
        group: &'static str,
        since: &'static str,
        summary: &'static str,
        args: &'static str,
    ) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags,
            keys,
            acl_categories,
            group,
            since,
            summary,
            args,
            subcommands: &[],
            upper: "",
            run: None,
            getkeys: None,
            denyoom: has(flags, "denyoom"),
        }
    }

    /// A container command (`XGROUP`, `CLIENT`, …): arity -2, no flags, no keys, ACL
    /// category `@slow`, and its `subcommands`. `upper` is `name` in upper case (checked
    /// when the table is built).
    pub const fn container(
        name: &'static str,
        upper: &'static str,
        group: &'static str,
        since: &'static str,
        summary: &'static str,
        subcommands: &'static [CommandSpec],
    ) -> CommandSpec {
        assert!(
            is_upper_of(upper, name),
            "a container's upper-case name must be its name"
        );
        CommandSpec {
            name,
            arity: -2,
            flags: &[],
            keys: KeyPositions::NONE,
            acl_categories: &["@slow"],
            group,
            since,
            summary,
            args: "",
            subcommands,
            upper,
            run: None,
            getkeys: None,
            denyoom: false,
        }
    }

    /// The row with a different arity (for a container whose name alone is a command,
    /// as `COMMAND` is).
    pub const fn with_arity(self, arity: i32) -> CommandSpec {
        CommandSpec { arity, ..self }
    }

    /// The row run by the engine with `run`.
    const fn run(self, run: Handler) -> CommandSpec {
        CommandSpec {
            run: Some(run),
            ..self
        }
    }

    /// The row with keys found by `getkeys` (a `movablekeys` command).
    const fn getkeys(self, getkeys: GetKeys) -> CommandSpec {
        CommandSpec {
            getkeys: Some(getkeys),
            ..self
        }
    }

    /// True when the command has Redis's command flag `flag` (lower case).
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }

    /// True for a command refused with the OOM error when a memory cap is reached
    /// (Redis's `denyoom` flag).
    pub fn denyoom(&self) -> bool {
        self.denyoom
    }

    /// True for a container command (one with subcommands).
    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty()
    }

    /// The subcommand `sub` (any case; the part after the `|`) of a container.
    pub fn subcommand(&self, sub: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommands
            .iter()
            .find(|c| sub_name(c.name).as_bytes().eq_ignore_ascii_case(sub))
    }

    /// The keys of the command `argv` (this row's command, its name first), in order:
    /// those at the row's key positions, or those its own rule finds for a command with
    /// movable keys (XREAD, XREADGROUP: the first half of what follows `STREAMS`, none
    /// when that is unbalanced). Positions past the end of `argv` yield nothing.
    ///
    /// Lazy: nothing is worked out until the first key is asked for.
    pub fn keys<'a>(&'a self, argv: &'a [Bytes]) -> impl Iterator<Item = &'a [u8]> + 'a {
        core::iter::once(())
            .flat_map(move |()| {
                let (range, step) = match self.getkeys {
                    Some(find) => (find(argv), 1),
                    None => (
                        self.keys.range(argv),
                        usize::try_from(self.keys.step).unwrap_or(1).max(1),
                    ),
                };
                range.iter().step_by(step)
            })
            .map(|k| &k[..])
    }

    /// Checks `argv` (this row's command, its name first) as Redis's dispatcher does
    /// before running or queueing it: the arity, then for a container given a
    /// subcommand, that the subcommand is known and its arity. Returns the row that
    /// runs: the subcommand's for a container given one, else this one.
    pub fn resolve(&'static self, argv: &[Bytes]) -> Result<&'static CommandSpec, Error> {
        if !arity_ok(self.arity, argv.len()) {
            return Err(Error::WrongArity(self.name));
        }
        if !self.is_container() {
            return Ok(self);
        }
        let Some(sub) = argv.get(1) else {
            return Ok(self);
        };
        let Some(c) = self.subcommand(sub) else {
            return Err(Error::unknown_subcommand(sub, self.upper));
        };
        if !arity_ok(c.arity, argv.len()) {
            return Err(Error::WrongArity(c.name));
        }
        Ok(c)
    }

    /// The engine's handler for this row.
    pub(crate) fn handler(&self) -> Option<Handler> {
        self.run
    }
}

/// Redis's arity rule: positive = exactly that many arguments (the name counted),
/// negative = at least that many.
pub fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = argc as i64;
    let arity = i64::from(arity);
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// The part of a subcommand's name after the `|`.
fn sub_name(full: &'static str) -> &'static str {
    full.split('|').nth(1).unwrap_or(full)
}

/// `flags` has `flag` (usable in a `const` table).
const fn has(flags: &[&str], flag: &str) -> bool {
    let mut i = 0;
    while i < flags.len() {
        if equal(flags[i], flag) {
            return true;
        }
        i += 1;
    }
    false
}

/// `a == b` (usable in a `const` table).
const fn equal(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// `b` is `a` in upper case (usable in a `const` table).
const fn is_upper_of(b: &str, a: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i].to_ascii_uppercase() != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The description of the engine command `name` (any case; a top-level name, not
/// `container|sub` — see [`CommandSpec::subcommand`]), or `None` when the engine does
/// not run it.
pub fn command_spec(name: impl AsRef<[u8]>) -> Option<&'static CommandSpec> {
    let name = name.as_ref();
    COMMANDS
        .iter()
        .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

/// Every command the engine runs, one row each (containers by their own name, their
/// subcommands inside).
pub fn command_specs() -> &'static [CommandSpec] {
    COMMANDS
}

/// The table's own spelling of the command or subcommand called `name` exactly
/// (lower-case, `container|sub` for a subcommand), as Redis's arity error quotes it:
/// for reading that error back into [`Error::WrongArity`].
pub(crate) fn table_name(name: &[u8]) -> Option<&'static str> {
    COMMANDS
        .iter()
        .flat_map(|c| core::iter::once(c).chain(c.subcommands))
        .map(|c| c.name)
        .find(|n| n.as_bytes() == name)
}

/// XREAD's keys: the first half of what follows `STREAMS`, none when that is
/// unbalanced (the command answers it with its own error).
fn xread_keys(argv: &[Bytes]) -> &[Bytes] {
    stream_keys(argv, 1)
}

/// XREADGROUP's keys: as XREAD's, with `STREAMS` searched from the fifth argument on,
/// as Redis's key spec searches it (`GROUP group consumer` come first: a group or
/// consumer named "streams" is not the keyword).
fn xreadgroup_keys(argv: &[Bytes]) -> &[Bytes] {
    stream_keys(argv, 4)
}

/// The first half of what follows the first `STREAMS` at or after `from`.
fn stream_keys(argv: &[Bytes], from: usize) -> &[Bytes] {
    let after = argv
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, a)| a.eq_ignore_ascii_case(b"STREAMS"))
        .map_or(argv.len(), |(at, _)| at + 1);
    let rest = argv.get(after..).unwrap_or_default();
    if rest.len() % 2 == 0 {
        &rest[..rest.len() / 2]
    } else {
        &[]
    }
}

/// Command flags that recur.
mod flags {
    /// `write`.
    pub(super) const W: &[&str] = &["write"];
    /// `write fast`.
    pub(super) const WF: &[&str] = &["write", "fast"];
    /// `write denyoom fast`.
    pub(super) const WDF: &[&str] = &["write", "denyoom", "fast"];
    /// `write denyoom`.
    pub(super) const WD: &[&str] = &["write", "denyoom"];
    /// `readonly`.
    pub(super) const R: &[&str] = &["readonly"];
    /// `readonly fast`.
    pub(super) const RF: &[&str] = &["readonly", "fast"];
    /// A container's HELP subcommand: `loading stale`.
    pub(super) const HELP: &[&str] = &["loading", "stale"];
    /// An administrative command: `admin noscript loading stale`.
    pub(super) const ADMIN: &[&str] = &["admin", "noscript", "loading", "stale"];
}

/// ACL categories that recur.
mod acl {
    /// A slow stream write.
    pub(super) const SW: &[&str] = &["@write", "@stream", "@slow"];
    /// A fast stream write.
    pub(super) const SWF: &[&str] = &["@write", "@stream", "@fast"];
    /// A slow stream read.
    pub(super) const SR: &[&str] = &["@read", "@stream", "@slow"];
    /// A fast stream read.
    pub(super) const SRF: &[&str] = &["@read", "@stream", "@fast"];
    /// An administrative command.
    pub(super) const ADMIN: &[&str] = &["@admin", "@slow", "@dangerous"];
}

use acl::{SR, SRF, SW, SWF};
use flags::{HELP, R, RF, W, WD, WDF, WF};

const K1: KeyPositions = KeyPositions::FIRST;
const K0: KeyPositions = KeyPositions::NONE;
/// The key of a container's subcommand: the argument after the subcommand.
const K2: KeyPositions = KeyPositions::new(2, 2, 1);
/// Every argument is a key.
const KALL: KeyPositions = KeyPositions::new(1, -1, 1);

use CommandSpec as C;

/// The engine's commands, the most used first (the dispatcher looks them up in order).
#[rustfmt::skip]
static COMMANDS: &[CommandSpec] = &[
    C::new("xadd", -5, WDF, K1, SWF, "stream", "5.0.0", "Appends a new message to a stream. Creates the key if it doesn't exist.",
        "key NOMKSTREAM KEEPREF DELREF ACKED IDMP:producer-id IDMPAUTO:producer-id MAXLEN MINID LIMIT:count id field value").run(xadd::run),
    C::new("xlen", 2, RF, K1, SRF, "stream", "5.0.0", "Return the number of messages in a stream.", "key").run(xlen::run),
    C::new("xrange", -4, R, K1, SR, "stream", "5.0.0", "Returns the messages from a stream within a range of IDs.", "key start end COUNT:count")
        .run(xrange::run_xrange),
    C::new("xrevrange", -4, R, K1, SR, "stream", "5.0.0", "Returns the messages from a stream within a range of IDs in reverse order.", "key end start COUNT:count")
        .run(xrange::run_xrevrange),
    C::new("xdel", -3, WF, K1, SWF, "stream", "5.0.0", "Returns the number of messages after removing them from a stream.", "key id").run(xdel::run),
    C::new("xtrim", -4, W, K1, SW, "stream", "5.0.0", "Deletes messages from the beginning of a stream.", "key MAXLEN MINID threshold LIMIT:count KEEPREF DELREF ACKED")
        .run(xtrim::run),
    C::new("xsetid", -3, WDF, K1, SWF, "stream", "5.0.0", "An internal command for replicating stream values.",
        "key last-id ENTRIESADDED:entries-added MAXDELETEDID:max-deleted-id").run(xsetid::run),
    C::new("xread", -4, &["readonly", "blocking", "movablekeys"], K0, &["@read", "@stream", "@slow", "@blocking"], "stream", "5.0.0",
        "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.",
        "COUNT:count BLOCK:milliseconds STREAMS key id").run(xread::run).getkeys(xread_keys),
    C::new("xreadgroup", -7, &["write", "blocking", "movablekeys"], K0, &["@write", "@stream", "@slow", "@blocking"], "stream", "5.0.0",
        "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.",
        "GROUP:group consumer COUNT:count BLOCK:milliseconds CLAIM:min-idle-time NOACK STREAMS key id").run(xreadgroup::run).getkeys(xreadgroup_keys),
    C::new("xack", -4, WF, K1, SWF, "stream", "5.0.0", "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.",
        "key group id").run(xack::run),
    C::new("xackdel", -6, WF, K1, SWF, "stream", "8.2.0", "Acknowledges and deletes one or multiple messages for a stream consumer group.",
        "key group KEEPREF DELREF ACKED IDS:numids id").run(xackdel::run),
    C::new("xdelex", -5, WF, K1, SWF, "stream", "8.2.0", "Deletes one or multiple entries from the stream.", "key KEEPREF DELREF ACKED IDS:numids id")
        .run(xdelex::run),
    C::new("xpending", -3, R, K1, SR, "stream", "5.0.0", "Returns the information and entries from a stream consumer group's pending entries list.",
        "key group IDLE:min-idle-time start end count consumer").run(xpending::run),
    C::new("xclaim", -6, WF, K1, SWF, "stream", "5.0.0",
        "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.",
        "key group consumer min-idle-time id IDLE:ms TIME:unix-time-milliseconds RETRYCOUNT:count FORCE JUSTID LASTID:lastid").run(xclaim::run),
    C::new("xautoclaim", -6, WF, K1, SWF, "stream", "6.2.0",
        "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.",
        "key group consumer min-idle-time start COUNT:count JUSTID").run(xautoclaim::run),
    C::container("xgroup", "XGROUP", "stream", "5.0.0", "A container for consumer groups commands.", &[
        C::new("xgroup|create", -5, WD, K2, SW, "stream", "5.0.0", "Creates a consumer group.", "key group id MKSTREAM ENTRIESREAD:entries-read")
            .run(xgroup::run_create),
        C::new("xgroup|setid", -5, W, K2, SW, "stream", "5.0.0", "Sets the last-delivered ID of a consumer group.", "key group id ENTRIESREAD:entries-read")
            .run(xgroup::run_setid),
        C::new("xgroup|destroy", 4, W, K2, SW, "stream", "5.0.0", "Destroys a consumer group.", "key group").run(xgroup::run_destroy),
        C::new("xgroup|createconsumer", 5, WD, K2, SW, "stream", "6.2.0", "Creates a consumer in a consumer group.", "key group consumer")
            .run(xgroup::run_createconsumer),
        C::new("xgroup|delconsumer", 5, W, K2, SW, "stream", "5.0.0", "Deletes a consumer from a consumer group.", "key group consumer")
            .run(xgroup::run_delconsumer),
        C::new("xgroup|help", 2, HELP, K0, &["@stream", "@slow"], "stream", "5.0.0", "Returns helpful text about the different subcommands.", "")
            .run(xgroup::run_help),
    ]),
    C::new("xcfgset", -2, WF, K1, SWF, "stream", "8.6.0", "Sets a stream's idempotency settings.", "key IDMP-DURATION:duration IDMP-MAXSIZE:maxsize")
        .run(xcfgset::run),
    C::new("xidmprecord", 5, WDF, K1, SWF, "stream", "8.6.2", "Records an idempotent producer's message ID.", "key producer-id iid id")
        .run(xidmprecord::run),
    C::container("xinfo", "XINFO", "stream", "5.0.0", "A container for stream introspection commands.", &[
        C::new("xinfo|stream", -3, R, K2, SR, "stream", "5.0.0", "Returns information about a stream.", "key FULL COUNT:count").run(xinfo::run_stream),
        C::new("xinfo|groups", 3, R, K2, SR, "stream", "5.0.0", "Returns a list of the consumer groups of a stream.", "key").run(xinfo::run_groups),
        C::new("xinfo|consumers", 4, R, K2, SR, "stream", "5.0.0", "Returns a list of the consumers in a consumer group.", "key group")
            .run(xinfo::run_consumers),
        C::new("xinfo|help", 2, HELP, K0, &["@stream", "@slow"], "stream", "5.0.0", "Returns helpful text about the different subcommands.", "")
            .run(xinfo::run_help),
    ]),
    C::new("del", -2, W, KALL, &["@keyspace", "@write", "@slow"], "generic", "1.0.0", "Deletes one or more keys.", "key").run(del::run),
    C::new("unlink", -2, WF, KALL, &["@keyspace", "@write", "@fast"], "generic", "4.0.0", "Asynchronously deletes one or more keys.", "key").run(del::run),
    C::new("exists", -2, RF, KALL, &["@keyspace", "@read", "@fast"], "generic", "1.0.0", "Determines whether one or more keys exist.", "key").run(exists::run),
    C::new("type", 2, RF, K1, &["@keyspace", "@read", "@fast"], "generic", "1.0.0", "Determines the type of value stored at a key.", "key").run(key_type::run),
    C::new("keys", 2, R, K0, &["@keyspace", "@read", "@slow", "@dangerous"], "generic", "1.0.0", "Returns all key names that match a pattern.", "pattern")
        .run(keys::run),
    C::new("scan", -2, R, K0, &["@keyspace", "@read", "@slow"], "generic", "2.8.0", "Iterates over the key names in the database.",
        "cursor MATCH:pattern COUNT:count TYPE:type").run(scan::run),
    C::new("rename", 3, W, KeyPositions::new(1, 2, 1), &["@keyspace", "@write", "@slow"], "generic", "1.0.0", "Renames a key and overwrites the destination.",
        "key newkey").run(rename::run_rename),
    C::new("renamenx", 3, WF, KeyPositions::new(1, 2, 1), &["@keyspace", "@write", "@fast"], "generic", "1.0.0",
        "Renames a key only when the target key name doesn't exist.", "key newkey").run(rename::run_renamenx),
    C::new("copy", -3, WD, KeyPositions::new(1, 2, 1), &["@keyspace", "@write", "@slow"], "generic", "6.2.0", "Copies the value of a key to a new key.",
        "source destination DB:destination-db REPLACE").run(copy::run),
    C::new("dbsize", 1, RF, K0, &["@keyspace", "@read", "@fast"], "server", "1.0.0", "Returns the number of keys in the database.", "").run(dbsize::run),
    C::new("flushall", -1, W, K0, &["@keyspace", "@write", "@slow", "@dangerous"], "server", "1.0.0", "Removes all keys from all databases.", "ASYNC SYNC")
        .run(flush::run),
    C::new("flushdb", -1, W, K0, &["@keyspace", "@write", "@slow", "@dangerous"], "server", "1.0.0", "Remove all keys from the current database.", "ASYNC SYNC")
        .run(flush::run),
    C::new("set", -3, WD, K1, &["@write", "@string", "@slow"], "string", "1.0.0",
        "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        "key value NX XX GET EX:seconds PX:milliseconds EXAT:unix-time-seconds PXAT:unix-time-milliseconds KEEPTTL").run(set::run),
    C::new("get", 2, RF, K1, &["@read", "@string", "@fast"], "string", "1.0.0", "Returns the string value of a key.", "key").run(get::run),
    C::new("incr", 2, WDF, K1, &["@write", "@string", "@fast"], "string", "1.0.0",
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "key").run(incr::run_incr),
    C::new("incrby", 3, WDF, K1, &["@write", "@string", "@fast"], "string", "1.0.0",
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.", "key increment").run(incr::run_incrby),
    C::new("decr", 2, WDF, K1, &["@write", "@string", "@fast"], "string", "1.0.0",
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.", "key").run(incr::run_decr),
    C::new("pttl", 2, RF, K1, &["@keyspace", "@read", "@fast"], "generic", "2.6.0", "Returns the expiration time in milliseconds of a key.", "key")
        .run(ttl::run_pttl),
    C::new("ttl", 2, RF, K1, &["@keyspace", "@read", "@fast"], "generic", "1.0.0", "Returns the expiration time in seconds of a key.", "key")
        .run(ttl::run_ttl),
    C::container("config", "CONFIG", "server", "2.0.0", "A container for server configuration commands.", &[
        C::new("config|get", -3, flags::ADMIN, K0, acl::ADMIN, "server", "2.0.0", "Returns the effective values of configuration parameters.", "parameter")
            .run(config::run_get),
        C::new("config|set", -4, flags::ADMIN, K0, acl::ADMIN, "server", "2.0.0", "Sets configuration parameters in-flight.", "parameter value")
            .run(config::run_set),
        C::new("config|resetstat", 2, flags::ADMIN, K0, acl::ADMIN, "server", "2.0.0", "Resets the server's statistics.", "")
            .run(config::run_resetstat),
    ]),
];

#[cfg(test)]
mod tests {
    use alloc::string::ToString;
    use alloc::vec::Vec;

    use bytes::Bytes;

    use super::*;

    fn argv(args: &[&str]) -> Vec<Bytes> {
        args.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    /// Every row the dispatcher finds runs a handler, and every handler has its row: a
    /// command is a handler exactly when it is not a container, a container's
    /// subcommands all run one. Names are lower case, unique, and a subcommand is named
    /// `container|sub`.
    #[test]
    fn one_row_per_command() {
        let mut names: Vec<&str> = Vec::new();
        for c in command_specs() {
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(!c.name.contains('|'), "{}", c.name);
            assert_eq!(c.handler().is_some(), !c.is_container(), "{}", c.name);
            assert!(core::ptr::eq(command_spec(c.name).expect("found"), c));
            assert!(core::ptr::eq(
                command_spec(c.name.to_ascii_uppercase()).expect("found"),
                c
            ));
            names.push(c.name);
            for s in c.subcommands {
                assert!(s.handler().is_some(), "{}", s.name);
                assert!(!s.is_container(), "{}", s.name);
                let sub = s
                    .name
                    .strip_prefix(c.name)
                    .and_then(|r| r.strip_prefix('|'));
                let sub = sub.expect("a subcommand is named container|sub");
                assert!(core::ptr::eq(c.subcommand(sub.as_bytes()).expect("sub"), s));
                assert_eq!(s.name, s.name.to_ascii_lowercase());
                names.push(s.name);
            }
        }
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all, "a command has two rows");
        assert!(command_spec("nosuch").is_none());
        assert!(
            command_spec("xgroup|create").is_none(),
            "top-level names only"
        );
    }

    /// The dispatcher checks arity and subcommands from the rows: for every command,
    /// one argument too few (or too many, for a fixed arity) is the row's arity error,
    /// and the right count gets past the dispatcher to the command itself.
    #[test]
    fn dispatcher_reads_the_rows() {
        let mut ks = Keyspace::new();
        let check = |spec: &CommandSpec, args: &[&str]| {
            let exact = usize::try_from(spec.arity.unsigned_abs()).expect("small");
            let mut ok = argv(args);
            ok.resize(exact, Bytes::from_static(b"x"));
            let mut short = ok.clone();
            short.pop();
            // A subcommand with one argument too few may be short of its container's.
            let short_of = if short.len() < 2 && spec.name.contains('|') {
                spec.name.split('|').next().unwrap_or_default()
            } else {
                spec.name
            };
            if !short.is_empty() {
                let err = Keyspace::check_command(&short);
                assert_eq!(err, Err(Error::WrongArity(short_of)), "{}", spec.name);
            }
            assert_eq!(Keyspace::check_command(&ok), Ok(()), "{}", spec.name);
            if spec.arity > 0 {
                let mut long = ok.clone();
                long.push(Bytes::from_static(b"x"));
                let err = Keyspace::check_command(&long);
                assert_eq!(err, Err(Error::WrongArity(spec.name)), "{}", spec.name);
            }
            ok
        };
        for c in command_specs() {
            if c.is_container() {
                for s in c.subcommands {
                    let sub = s.name.split('|').nth(1).expect("sub");
                    let ok = check(s, &[c.name, sub]);
                    let reply = ks.execute(&ok, 0);
                    assert_ne!(reply, Reply::Error(Error::WrongArity(s.name)), "{}", s.name);
                }
                let upper = c.name.to_ascii_uppercase();
                let err = Keyspace::check_command(&argv(&[&upper, "nosuch"]));
                let text = err.expect_err("unknown subcommand").to_string();
                assert_eq!(
                    text,
                    alloc::format!("ERR unknown subcommand 'nosuch'. Try {upper} HELP.")
                );
            } else {
                let ok = check(c, &[c.name]);
                if c.has_flag("blocking") {
                    continue;
                }
                let reply = ks.execute(&ok, 0);
                assert_ne!(reply, Reply::Error(Error::WrongArity(c.name)), "{}", c.name);
                assert!(
                    !matches!(reply, Reply::Error(Error::UnknownCommand(_))),
                    "{}",
                    c.name
                );
            }
        }
    }

    /// `denyoom` comes from the flags: exactly Redis's `denyoom` commands.
    #[test]
    fn denyoom_from_flags() {
        let mut deny: Vec<&str> = command_specs()
            .iter()
            .flat_map(|c| core::iter::once(c).chain(c.subcommands))
            .filter(|c| {
                assert_eq!(c.denyoom(), c.has_flag("denyoom"), "{}", c.name);
                c.denyoom()
            })
            .map(|c| c.name)
            .collect();
        deny.sort_unstable();
        assert_eq!(
            deny,
            [
                "copy",
                "decr",
                "incr",
                "incrby",
                "set",
                "xadd",
                "xgroup|create",
                "xgroup|createconsumer",
                "xidmprecord",
                "xsetid"
            ]
        );
    }

    /// The keys a row's positions (or its key finder) pick out of an argument vector.
    #[test]
    fn keys_from_positions() {
        let keys = |args: &[&str]| -> Vec<Vec<u8>> {
            let argv = argv(args);
            let spec = command_spec(&argv[0]).expect("known");
            let spec = spec.resolve(&argv).expect("valid");
            spec.keys(&argv).map(<[u8]>::to_vec).collect()
        };
        let k =
            |ks: &[&str]| -> Vec<Vec<u8>> { ks.iter().map(|k| k.as_bytes().to_vec()).collect() };
        assert_eq!(keys(&["XADD", "s", "*", "f", "v"]), k(&["s"]));
        assert_eq!(keys(&["DEL", "a", "b", "c"]), k(&["a", "b", "c"]));
        assert_eq!(keys(&["RENAME", "a", "b"]), k(&["a", "b"]));
        assert_eq!(keys(&["XGROUP", "CREATE", "s", "g", "$"]), k(&["s"]));
        assert_eq!(keys(&["XINFO", "STREAM", "s"]), k(&["s"]));
        assert_eq!(keys(&["XINFO", "HELP"]), k(&[]));
        assert_eq!(keys(&["DBSIZE"]), k(&[]));
        assert_eq!(
            keys(&["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"]),
            k(&["a", "b"])
        );
        assert_eq!(
            keys(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", ">"]),
            k(&["a"])
        );
        // A group named like the keyword is not the keyword (Redis searches from the
        // fifth argument).
        assert_eq!(
            keys(&["XREADGROUP", "GROUP", "STREAMS", "k", "STREAMS", "k", ">"]),
            k(&["k"])
        );
        assert_eq!(keys(&["XREAD", "STREAMS", "a", "b", "0"]), k(&[]));
        let spec = command_spec("xread").expect("known");
        assert_eq!(spec.keys, KeyPositions::NONE);
        assert!(spec.has_flag("movablekeys"));
        // Positions past the end pick nothing.
        let rename = command_spec("rename").expect("known");
        assert_eq!(rename.keys(&argv(&["RENAME"])).count(), 0);
        assert_eq!(
            KeyPositions::new(1, -1, 2)
                .range(&argv(&["MSET", "a", "1", "b", "2"]))
                .len(),
            4
        );
    }

    /// In cluster mode the dispatcher refuses keys in different slots, read from the
    /// row's key positions.
    #[test]
    fn slot_check_reads_the_rows() {
        let mut ks = Keyspace::with_config(crate::keyspace::Config {
            cluster: true,
            ..crate::keyspace::Config::default()
        });
        let cross = Reply::Error(Error::CrossSlot);
        assert_eq!(ks.execute(&argv(&["DEL", "foo", "bar"]), 0), cross);
        assert_eq!(ks.execute(&argv(&["RENAME", "foo", "bar"]), 0), cross);
        assert_eq!(
            ks.execute(&argv(&["XREAD", "STREAMS", "foo", "bar", "0", "0"]), 0),
            cross
        );
        assert_eq!(
            ks.execute(&argv(&["DEL", "{t}foo", "{t}bar"]), 0),
            Reply::Integer(0)
        );
    }
}
