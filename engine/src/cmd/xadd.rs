//! XADD — append an entry.
//!
//! ```text
//! XADD key [NOMKSTREAM] [KEEPREF | DELREF | ACKED]
//!      [MAXLEN | MINID [= | ~] threshold [LIMIT count]] <* | id | ms-*> field value [field value ...]
//! ```
//!
//! Options come in any order before the ID; the first token that is not an option is the
//! ID (so a misplaced option is reported as an invalid ID, as Redis does). After the scan,
//! in order: LIMIT without a strategy, LIMIT without `~`, the field/value arity, an
//! explicit `0-0` (before the key is touched), the key's type, NOMKSTREAM on a missing
//! key (nil), then the append and its trim (reference §2). Not supported yet: Redis 8.6's
//! `IDMP` / `IDMPAUTO` (read as the ID, so an invalid-ID error, as in Redis 7).

use bytes::Bytes;

use super::reply;
use super::trim_args::TrimArgs;
use crate::entry::FlatFields;
use crate::error::Error;
use crate::id::XAddId;
use crate::keyspace::Keyspace;
use crate::num::{is_char, keyword_eq};
use crate::options::XAddOptions;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply(parse(argv).and_then(|(opts, fields)| {
        let fields = FlatFields::new(fields).ok_or(Error::WrongArity("xadd"))?;
        Ok(match ks.xadd(&argv[1], &opts, &fields, now)? {
            Some(id) => Reply::id(id),
            None => Reply::Null,
        })
    }))
}

fn parse(argv: &[Bytes]) -> Result<(XAddOptions, &[Bytes]), Error> {
    let mut trim = TrimArgs::default();
    let mut opts = XAddOptions::default();
    let mut i = 2;
    let mut id = None;
    while i < argv.len() {
        if is_char(&argv[i], b'*') {
            id = Some(XAddId::Auto);
            break;
        }
        if !trim.scan(argv, &mut i)? {
            if keyword_eq(&argv[i], "NOMKSTREAM") {
                opts.nomkstream = true;
            } else {
                id = Some(XAddId::parse(&argv[i])?);
                break;
            }
        }
        i += 1;
    }
    opts.trim = trim.finish(false)?;
    let fields = argv.get(i + 1..).unwrap_or(&[]);
    if fields.len() < 2 || fields.len() % 2 == 1 {
        return Err(Error::WrongArity("xadd"));
    }
    opts.id = id.unwrap_or_default();
    // An explicit 0-0 is refused next, before the key is touched (`Keyspace::xadd`).
    Ok((opts, fields))
}
