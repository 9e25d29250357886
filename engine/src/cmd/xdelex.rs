//! XDELEX — delete entries by ID under a reference policy (Redis 8.2).
//!
//! ```text
//! XDELEX key [KEEPREF | DELREF | ACKED] IDS numids id [id ...]
//! ```
//!
//! Order (reference §8): a wrong type first, before any parsing; then the options; a
//! missing key answers `-1` per ID without validating them; then the IDs strictly. One
//! code per ID: `1` deleted, `-1` no such entry, `2` kept because a group references it.

use alloc::vec::Vec;

use bytes::Bytes;

use super::ids_args::{self, parse_ids};
use super::{reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::options::RefPolicy;
use crate::reply::Reply;

/// The per-ID codes as Redis replies them.
pub(super) fn codes(codes: Vec<i64>) -> Reply {
    Reply::Array(codes.into_iter().map(Reply::Integer).collect())
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let key = &argv[1];
        let exists = ks.stream(key)?.is_some();
        let args = ids_args::scan(argv, 2)?;
        if !exists {
            return Ok(codes(alloc::vec![-1; args.ids.len()]));
        }
        let ids = parse_ids(args.ids)?;
        Ok(codes(ks.xdelex(key, &ids, args.policy)?))
    })())
}

/// The typed XDELEX.
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    let args = ids_args::scan(argv, 2)?;
    Ok(Command::XDelEx {
        key: argv[1].clone(),
        ids: parse_ids(args.ids)?,
        policy: args.policy,
    })
}

/// Writes `XDELEX key [DELREF | ACKED] IDS numids id [id ...]`.
pub(super) fn write(out: &mut Vec<Bytes>, key: &Bytes, ids: &[StreamId], policy: RefPolicy) {
    out.extend([word("XDELEX"), key.clone()]);
    ids_args::write(out, policy, ids);
}
