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

use bytes::Bytes;

use super::{parse_int, reply};
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

pub(super) fn run_create(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let (mkstream, entries_read) = scan_options(argv, true, ks.replaying())?;
        check_key(ks, argv, mkstream, false)?;
        if argv.len() > 8 {
            return Err(Error::subcommand_syntax(&argv[1], "XGROUP"));
        }
        let start = parse_start(&argv[4], true)?;
        ks.xgroup_create(&argv[2], &argv[3], start, mkstream, entries_read)?;
        Ok(Reply::OK)
    })())
}

pub(super) fn run_setid(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let (_, entries_read) = scan_options(argv, false, ks.replaying())?;
        check_key(ks, argv, false, true)?;
        if argv.len() != 5 && argv.len() != 7 {
            return Err(Error::subcommand_syntax(&argv[1], "XGROUP"));
        }
        let start = parse_start(&argv[4], false)?;
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
