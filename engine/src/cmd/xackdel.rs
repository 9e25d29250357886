//! XACKDEL — acknowledge entries in a group and delete them (Redis 8.2).
//!
//! ```text
//! XACKDEL key group [KEEPREF | DELREF | ACKED] IDS numids id [id ...]
//! ```
//!
//! Order (reference §13): a wrong type first; the options (as XDELEX); a missing key or
//! group answers `-1` per ID without validating them; then the IDs strictly. Codes: `-1`
//! not pending in this group, `1` acknowledged and deleted, `2` acknowledged but kept
//! (ACKED: another group still references it).

use alloc::vec::Vec;

use bytes::Bytes;

use super::ids_args::{self, parse_ids};
use super::xdelex::codes;
use super::{reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::options::RefPolicy;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply((|| {
        let (key, group) = (&argv[1], &argv[2]);
        let has_group = ks.stream(key)?.is_some_and(|s| s.group(group).is_some());
        let args = ids_args::scan(argv, 3)?;
        if !has_group {
            return Ok(codes(alloc::vec![-1; args.ids.len()]));
        }
        let ids = parse_ids(args.ids)?;
        Ok(codes(ks.xackdel(key, group, &ids, args.policy)?))
    })())
}

/// The typed XACKDEL.
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    let args = ids_args::scan(argv, 3)?;
    Ok(Command::XAckDel {
        key: argv[1].clone(),
        group: argv[2].clone(),
        ids: parse_ids(args.ids)?,
        policy: args.policy,
    })
}

/// Writes `XACKDEL key group [DELREF | ACKED] IDS numids id [id ...]`.
pub(super) fn write(
    out: &mut Vec<Bytes>,
    key: &Bytes,
    group: &Bytes,
    ids: &[StreamId],
    policy: RefPolicy,
) {
    out.extend([word("XACKDEL"), key.clone(), group.clone()]);
    ids_args::write(out, policy, ids);
}
