//! SCAN — iterate over the keys with a cursor.
//!
//! ```text
//! SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
//! ```
//!
//! Replies `[next-cursor, [key …]]`; a cursor of 0 starts and ends an iteration. As in
//! Redis, a key present for the whole iteration is returned (here exactly once), keys
//! added or removed meanwhile may or may not be, COUNT is a hint (default 10), and
//! MATCH and TYPE filter a page after it was taken, so a page may be empty before the
//! end. The cursor values themselves are brook's (keys in a fixed hash order), not
//! Redis's bucket positions. Errors in Redis's order: `ERR invalid cursor`, then each
//! option (`ERR syntax error`, `ERR value is not an integer or out of range`, an
//! unknown TYPE).

use alloc::vec::Vec;

use bytes::Bytes;

use crate::error::Error;
use crate::glob;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

/// Redis's `string2ull`: a canonical `i64` that is not negative, or else what C's
/// `strtoull` takes whole — leading white space, an optional sign (a `-` negates,
/// wrapping), decimal digits, no overflow.
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    if let Some(v) = crate::num::parse_i64(arg) {
        return u64::try_from(v).ok();
    }
    let s = crate::num::c_str(arg);
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || s.len() != arg.len() {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

const TYPES: &[&str] = &["string", "list", "set", "zset", "hash", "stream"];

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    crate::cmd::reply(scan(ks, argv))
}

fn scan(ks: &Keyspace, argv: &[Bytes]) -> Result<Reply, Error> {
    let cursor = parse_cursor(&argv[1]).ok_or(Error::InvalidCursor)?;
    let mut pattern: Option<&Bytes> = None;
    let mut count = 10usize;
    let mut kind: Option<Vec<u8>> = None;
    let mut i = 2;
    while i < argv.len() {
        let Some(value) = argv.get(i + 1) else {
            return Err(Error::Syntax);
        };
        let opt = &argv[i];
        if opt.eq_ignore_ascii_case(b"COUNT") {
            let n = crate::cmd::parse_int(value)?;
            if n < 1 {
                return Err(Error::Syntax);
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if opt.eq_ignore_ascii_case(b"MATCH") {
            pattern = Some(value);
        } else if opt.eq_ignore_ascii_case(b"TYPE") {
            let t = value.to_ascii_lowercase();
            if !TYPES.iter().any(|k| k.as_bytes() == &t[..]) {
                return Err(Error::UnknownTypeName(crate::error::c_arg(value, 128)));
            }
            kind = Some(t);
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    let (next, keys) = ks.scan_keys(cursor, count);
    let keys = keys
        .into_iter()
        .filter(|(k, _)| pattern.is_none_or(|p| &p[..] == b"*" || glob::matches(p, k)))
        .filter(|(_, t)| {
            kind.as_ref()
                .is_none_or(|want| t.name().as_bytes() == &want[..])
        })
        .map(|(k, _)| Reply::Bulk(k))
        .collect();
    let mut buf = [0u8; 20];
    let n = crate::num::write_u64(next, &mut buf, 0);
    Ok(Reply::Array(alloc::vec![
        Reply::Bulk(Bytes::copy_from_slice(&buf[..n])),
        Reply::Array(keys),
    ]))
}
