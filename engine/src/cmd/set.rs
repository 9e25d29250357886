//! SET — store a string.
//!
//! ```text
//! SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
//!     EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
//! ```
//!
//! `NX` stores only if the key is missing, `XX` only if it exists (nil reply when not
//! stored); `GET` replies the old string (nil if none; WRONGTYPE for a stream, which is
//! then left in place). One expiry option at most; its time must be a positive integer
//! (`ERR invalid expire time in 'set' command`, also when `EX` × 1000 or the absolute
//! time would overflow). A time already past stores a key that is gone at once.

use alloc::vec::Vec;

use bytes::Bytes;

use super::reply_read;
use super::{int_arg, reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::keyspace::{Expire, SetOptions};
use crate::num::{keyword_eq, parse_i64};
use crate::reply::Reply;

/// The expiry option at `argv[i]` with its value at `argv[i + 1]`, if it is one.
fn expire_option(opt: &[u8]) -> Option<(bool, bool)> {
    // (in seconds, absolute)
    [
        ("EX", true, false),
        ("PX", false, false),
        ("EXAT", true, true),
        ("PXAT", false, true),
    ]
    .iter()
    .find(|(name, ..)| keyword_eq(opt, name))
    .map(|(_, s, a)| (*s, *a))
}

/// SET's options and whether `GET` was given, checked in Redis's order. With `now`, a
/// relative expiry must not overflow the clock (Redis checks it while parsing);
/// without, that check is left out (the keyspace saturates such a time).
fn parse(argv: &[Bytes], now: Option<u64>) -> Result<(SetOptions, bool), Error> {
    let mut opts = SetOptions::default();
    let mut get = false;
    let mut i = 3;
    while i < argv.len() {
        let opt = &argv[i];
        if keyword_eq(opt, "NX") && !opts.xx {
            opts.nx = true;
        } else if keyword_eq(opt, "XX") && !opts.nx {
            opts.xx = true;
        } else if keyword_eq(opt, "GET") {
            get = true;
        } else if keyword_eq(opt, "KEEPTTL") && opts.expire.is_none() {
            opts.expire = Some(Expire::Keep);
        } else if let Some((secs, absolute)) =
            expire_option(opt).filter(|_| opts.expire.is_none() && i + 1 < argv.len())
        {
            i += 1;
            let v = parse_i64(&argv[i]).ok_or(Error::NotAnInteger)?;
            if v <= 0 || secs && v > i64::MAX / 1000 {
                return Err(Error::InvalidExpireTime);
            }
            let ms = if secs { v * 1000 } else { v } as u64;
            opts.expire = Some(if absolute {
                Expire::At(ms)
            } else {
                let overflows = |now: u64| now.checked_add(ms).is_none_or(|t| t > i64::MAX as u64);
                if now.is_some_and(overflows) {
                    return Err(Error::InvalidExpireTime);
                }
                Expire::After(ms)
            });
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    Ok((opts, get))
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let (opts, get) = parse(argv, Some(now))?;
        let key = &argv[1];
        let old = if get { ks.get(key)? } else { None };
        let stored = ks.set_with(key, argv[2].clone(), &opts, now)?;
        Ok(match (get, stored) {
            (true, _) => old.map_or(Reply::Null, Reply::Bulk),
            (false, true) => Reply::OK,
            (false, false) => Reply::Null,
        })
    })())
}

/// The typed SET (`EX`/`EXAT` become `PX`/`PXAT` in milliseconds). `None` for
/// `SET … GET`, which the typed command does not have; a relative expiry is not
/// checked against a clock.
pub(super) fn command(argv: &[Bytes]) -> Result<Option<Command>, Error> {
    let (opts, get) = parse(argv, None)?;
    Ok((!get).then(|| Command::Set {
        key: argv[1].clone(),
        value: argv[2].clone(),
        opts,
    }))
}

/// Writes `SET key value [NX | XX] [PX ms | PXAT unix-ms | KEEPTTL]`.
pub(super) fn write(out: &mut Vec<Bytes>, key: &Bytes, value: &Bytes, opts: &SetOptions) {
    out.extend([word("SET"), key.clone(), value.clone()]);
    if opts.nx {
        out.push(word("NX"));
    }
    if opts.xx {
        out.push(word("XX"));
    }
    match opts.expire {
        None => {}
        Some(Expire::After(ms)) => out.extend([word("PX"), int_arg(ms)]),
        Some(Expire::At(ms)) => out.extend([word("PXAT"), int_arg(ms)]),
        Some(Expire::Keep) => out.push(word("KEEPTTL")),
    }
}

/// SET's reply read back: `OK` (stored) or a null (NX/XX/IFEQ said no).
pub(crate) fn read_reply(r: Reply) -> Result<bool, Error> {
    match r {
        Reply::Null | Reply::NullArray => Ok(false),
        r => reply_read::ok(r).map(|()| true),
    }
}
