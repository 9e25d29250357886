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
//! option (`ERR syntax error`, `ERR value is not an integer or out of range`). An
//! unknown TYPE is no error in Redis 8 (its check is commented out in `db.c`): it
//! matches no key, so every page is empty.

use alloc::vec::Vec;

use bytes::Bytes;

use crate::error::Error;
use crate::glob;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

const TYPES: &[&str] = &["string", "list", "set", "zset", "hash", "stream"];

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    crate::cmd::reply(scan(ks, argv))
}

fn scan(ks: &Keyspace, argv: &[Bytes]) -> Result<Reply, Error> {
    // Redis's `string2ull` on the C string (up to a NUL).
    let cursor =
        crate::num::parse_id_part(crate::num::c_str(&argv[1])).ok_or(Error::InvalidCursor)?;
    let mut pattern: Option<&Bytes> = None;
    let mut count = 10usize;
    // `Some(None)`: a TYPE that names no type, which matches no key.
    let mut kind: Option<Option<Vec<u8>>> = None;
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
            // `strcasecmp` on the C string (up to a NUL).
            let t = crate::num::c_str(value).to_ascii_lowercase();
            let known = TYPES.iter().any(|k| k.as_bytes() == &t[..]);
            kind = Some(known.then_some(t));
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
            kind.as_ref().is_none_or(|want| {
                want.as_ref()
                    .is_some_and(|want| t.name().as_bytes() == &want[..])
            })
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
