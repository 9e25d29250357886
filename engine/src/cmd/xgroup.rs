//! XGROUP — create, move, destroy consumer groups and manage their consumers.
//!
//! ```text
//! XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
//! XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
//! XGROUP DESTROY key group
//! XGROUP CREATECONSUMER key group consumer
//! XGROUP DELCONSUMER key group consumer
//! XGROUP HELP
//! ```
//!
//! Redis's order (reference §17.1): the options from the sixth argument on are scanned
//! first (CREATE: `MKSTREAM`, `ENTRIESREAD n`; SETID: `ENTRIESREAD n`; anything else is
//! the subcommand syntax error); then the key (type, existence — unless CREATE …
//! MKSTREAM); then the group for SETID/CREATECONSUMER/DELCONSUMER; then the
//! subcommand's own argument count; then the ID.

use alloc::vec::Vec;

use bytes::Bytes;

use super::{id_arg, int_arg, parse_int, reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::GroupStart;
use crate::keyspace::Keyspace;
use crate::num::{is_char, keyword_eq};
use crate::reply::Reply;

const HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Print this help.",
];

pub(super) fn run_help(_ks: &mut Keyspace, _argv: &[Bytes], _now: u64) -> Reply {
    Reply::Array(HELP.iter().map(|l| Reply::Simple(l)).collect())
}

/// The options after the ID: `(mkstream, entries_read)`.
/// `replaying`: a counter below `-1` is accepted (one that went past `i64::MAX`, as
/// brook propagates it).
fn scan_options(
    argv: &[Bytes],
    create: bool,
    replaying: bool,
) -> Result<(bool, Option<i64>), Error> {
    let syntax = || Error::subcommand_syntax(&argv[1], "XGROUP");
    let mut mkstream = false;
    let mut entries_read = None;
    let mut i = 5;
    while i < argv.len() {
        let opt = &argv[i];
        if create && keyword_eq(opt, "MKSTREAM") {
            mkstream = true;
        } else if keyword_eq(opt, "ENTRIESREAD") && i + 1 < argv.len() {
            i += 1;
            let n = parse_int(&argv[i])?;
            if n < -1 && !replaying {
                return Err(Error::EntriesReadRange);
            }
            entries_read = Some(n);
        } else {
            return Err(syntax());
        }
        i += 1;
    }
    Ok((mkstream, entries_read))
}

/// The key (and, for `need_group`, the group) checks shared by the subcommands.
fn check_key(ks: &Keyspace, argv: &[Bytes], mkstream: bool, need_group: bool) -> Result<(), Error> {
    let (key, group) = (&argv[2], &argv[3]);
    match ks.stream(key)? {
        None if mkstream => Ok(()),
        None => Err(Error::XGroupKeyMissing),
        Some(s) if need_group && s.group(group).is_none() => Err(Error::no_such_group(key, group)),
        Some(_) => Ok(()),
    }
}

fn parse_start(arg: &[u8], strict: bool) -> Result<GroupStart, Error> {
    if is_char(arg, b'$') {
        return Ok(GroupStart::Last);
    }
    let id = if strict {
        StreamId::parse_strict(arg)?
    } else {
        StreamId::parse_loose(arg)?
    };
    Ok(GroupStart::Id(id))
}

/// CREATE's checks after the key's: the argument count, then the ID.
fn create_start(argv: &[Bytes]) -> Result<GroupStart, Error> {
    if argv.len() > 8 {
        return Err(Error::subcommand_syntax(&argv[1], "XGROUP"));
    }
    parse_start(&argv[4], true)
}

/// SETID's checks after the key's and the group's: the argument count, then the ID.
fn setid_start(argv: &[Bytes]) -> Result<GroupStart, Error> {
    if argv.len() != 5 && argv.len() != 7 {
        return Err(Error::subcommand_syntax(&argv[1], "XGROUP"));
    }
    parse_start(&argv[4], false)
}

pub(super) fn run_create(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let (mkstream, entries_read) = scan_options(argv, true, ks.replaying())?;
        check_key(ks, argv, mkstream, false)?;
        let start = create_start(argv)?;
        ks.xgroup_create(&argv[2], &argv[3], start, mkstream, entries_read)?;
        Ok(Reply::OK)
    })())
}

pub(super) fn run_setid(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let (_, entries_read) = scan_options(argv, false, ks.replaying())?;
        check_key(ks, argv, false, true)?;
        let start = setid_start(argv)?;
        ks.xgroup_setid(&argv[2], &argv[3], start, entries_read)?;
        Ok(Reply::OK)
    })())
}

pub(super) fn run_destroy(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        check_key(ks, argv, false, false)?;
        Ok(Reply::Integer(i64::from(
            ks.xgroup_destroy(&argv[2], &argv[3])?,
        )))
    })())
}

pub(super) fn run_createconsumer(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        check_key(ks, argv, false, true)?;
        let created = ks.xgroup_createconsumer(&argv[2], &argv[3], &argv[4], now)?;
        Ok(Reply::Integer(i64::from(created)))
    })())
}

pub(super) fn run_delconsumer(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        check_key(ks, argv, false, true)?;
        let n = ks.xgroup_delconsumer(&argv[2], &argv[3], &argv[4])?;
        Ok(Reply::count(n))
    })())
}

/// The typed XGROUP CREATE (syntax only: the options, the argument count, the ID;
/// ENTRIESREAD at least -1).
pub(super) fn command_create(argv: &[Bytes]) -> Result<Command, Error> {
    let (mkstream, entries_read) = scan_options(argv, true, false)?;
    Ok(Command::XGroupCreate {
        key: argv[2].clone(),
        group: argv[3].clone(),
        start: create_start(argv)?,
        mkstream,
        entries_read,
    })
}

/// The typed XGROUP SETID (syntax only).
pub(super) fn command_setid(argv: &[Bytes]) -> Result<Command, Error> {
    let (_, entries_read) = scan_options(argv, false, false)?;
    Ok(Command::XGroupSetId {
        key: argv[2].clone(),
        group: argv[3].clone(),
        start: setid_start(argv)?,
        entries_read,
    })
}

/// The typed XGROUP DESTROY, CREATECONSUMER or DELCONSUMER (`sub`, upper case): the
/// arity is all there is to check.
pub(super) fn command_named(argv: &[Bytes], sub: &str) -> Option<Command> {
    let (key, group) = (argv[2].clone(), argv[3].clone());
    let consumer = || argv[4].clone();
    Some(match sub {
        "DESTROY" => Command::XGroupDestroy { key, group },
        "CREATECONSUMER" => Command::XGroupCreateConsumer {
            key,
            group,
            consumer: consumer(),
        },
        "DELCONSUMER" => Command::XGroupDelConsumer {
            key,
            group,
            consumer: consumer(),
        },
        _ => return None,
    })
}

/// Writes `XGROUP sub key group` and the arguments after them.
fn write_head(out: &mut Vec<Bytes>, sub: &'static str, key: &Bytes, group: &Bytes) {
    out.extend([word("XGROUP"), word(sub), key.clone(), group.clone()]);
}

/// The start ID as an argument: `$` or `ms-seq`.
fn start_arg(start: GroupStart) -> Bytes {
    match start {
        GroupStart::Last => word("$"),
        GroupStart::Id(id) => id_arg(id),
    }
}

/// Writes `XGROUP CREATE key group id | $ [MKSTREAM] [ENTRIESREAD n]` (`mkstream`
/// given) or `XGROUP SETID key group id | $ [ENTRIESREAD n]`.
pub(super) fn write_create_or_setid(
    out: &mut Vec<Bytes>,
    key: &Bytes,
    group: &Bytes,
    start: GroupStart,
    mkstream: Option<bool>,
    entries_read: Option<i64>,
) {
    let sub = if mkstream.is_some() {
        "CREATE"
    } else {
        "SETID"
    };
    write_head(out, sub, key, group);
    out.push(start_arg(start));
    if mkstream == Some(true) {
        out.push(word("MKSTREAM"));
    }
    if let Some(n) = entries_read {
        out.extend([word("ENTRIESREAD"), int_arg(n)]);
    }
}

/// Writes `XGROUP DESTROY key group`, or `XGROUP CREATECONSUMER | DELCONSUMER key group
/// consumer`.
pub(super) fn write_named(
    out: &mut Vec<Bytes>,
    sub: &'static str,
    key: &Bytes,
    group: &Bytes,
    consumer: Option<&Bytes>,
) {
    write_head(out, sub, key, group);
    out.extend(consumer.cloned());
}
