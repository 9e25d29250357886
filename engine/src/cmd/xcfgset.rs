//! XCFGSET — set a stream's idempotent-producer settings (Redis 8.6).
//!
//! ```text
//! XCFGSET key [IDMP-DURATION duration] [IDMP-MAXSIZE maxsize]
//! ```
//!
//! Order (reference §20.3): the key (missing → `ERR no such key`, wrong type), then the
//! parameters left to right — a repeated one is refused before its value is read, values
//! are integers in 1..=86400 seconds / 1..=10000 entries — and at least one is required.
//! A value that differs from the current one forgets every recorded IID.

use bytes::Bytes;

use super::{parse_int, reply};
use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::num::keyword_eq;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let key = &argv[1];
        ks.stream(key)?.ok_or(Error::NoSuchKey)?;
        let (mut duration, mut maxsize) = (None, None);
        let mut i = 2;
        while i < argv.len() {
            let has_value = i + 1 < argv.len();
            let (slot, name, range, range_err) =
                if keyword_eq(&argv[i], "IDMP-DURATION") && has_value {
                    (
                        &mut duration,
                        "IDMP-DURATION",
                        1..=86_400,
                        Error::XCfgSetDurationRange,
                    )
                } else if keyword_eq(&argv[i], "IDMP-MAXSIZE") && has_value {
                    (
                        &mut maxsize,
                        "IDMP-MAXSIZE",
                        1..=10_000,
                        Error::XCfgSetMaxsizeRange,
                    )
                } else {
                    return Err(Error::Syntax);
                };
            if slot.is_some() {
                return Err(Error::XCfgSetTwice(name));
            }
            let v = parse_int(&argv[i + 1])?;
            if !range.contains(&v) {
                return Err(range_err);
            }
            *slot = Some(v as u64);
            i += 2;
        }
        if duration.is_none() && maxsize.is_none() {
            return Err(Error::XCfgSetNothing);
        }
        ks.xcfgset(key, duration, maxsize)?;
        Ok(Reply::OK)
    })())
}
