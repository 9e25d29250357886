//! XTRIM — remove entries from the head of a stream.
//!
//! ```text
//! XTRIM key MAXLEN | MINID [= | ~] threshold [LIMIT count] [KEEPREF | DELREF | ACKED]
//! ```
//!
//! Tokens in any order; anything unrecognised (including a second policy) is a syntax
//! error. Parse errors win over a missing key (`0`) and a wrong type (reference §4).

use bytes::Bytes;

use super::reply;
use super::trim_args::TrimArgs;
use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let mut trim = TrimArgs::default();
        let mut i = 2;
        while i < argv.len() {
            if !trim.scan(argv, &mut i)? {
                return Err(Error::Syntax);
            }
            i += 1;
        }
        let opts = trim.finish(true)?.ok_or(Error::XTrimWithoutStrategy)?;
        Ok(Reply::count(ks.xtrim(&argv[1], &opts)?))
    })())
}
