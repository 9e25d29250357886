//! SET — store a string (the minimal form brook keeps so type errors are real).
//!
//! ```text
//! SET key value [NX | XX] [GET]
//! ```
//!
//! `NX` stores only if the key is missing, `XX` only if it exists (nil reply when not
//! stored); `GET` replies the old string (nil if none; WRONGTYPE for a stream, which is
//! then left in place). Expiry options are not supported and are a syntax error.

use bytes::Bytes;

use super::reply;
use crate::error::Error;
use crate::keyspace::{KeyType, Keyspace};
use crate::num::keyword_eq;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let (mut nx, mut xx, mut get) = (false, false, false);
        for opt in &argv[3..] {
            if keyword_eq(opt, "NX") && !xx {
                nx = true;
            } else if keyword_eq(opt, "XX") && !nx {
                xx = true;
            } else if keyword_eq(opt, "GET") {
                get = true;
            } else {
                return Err(Error::Syntax);
            }
        }
        let key = &argv[1];
        let old = if get { ks.get(key)? } else { None };
        let exists = ks.key_type(key) != KeyType::None;
        let store = !(nx && exists || xx && !exists);
        if store {
            ks.set(key, argv[2].clone());
        }
        Ok(match (get, store) {
            (true, _) => old.map_or(Reply::Null, Reply::Bulk),
            (false, true) => Reply::OK,
            (false, false) => Reply::Null,
        })
    })())
}
