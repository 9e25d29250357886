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

use bytes::Bytes;

use super::reply;
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

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
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
                    if now.checked_add(ms).is_none_or(|t| t > i64::MAX as u64) {
                        return Err(Error::InvalidExpireTime);
                    }
                    Expire::After(ms)
                });
            } else {
                return Err(Error::Syntax);
            }
            i += 1;
        }
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
