//! XAUTOCLAIM — scan a group's PEL and take over entries idle long enough.
//!
//! ```text
//! XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
//! ```
//!
//! Order (reference §16.1): min-idle-time, the start bound (`-`, `+`, `(id` allowed),
//! the options (`COUNT` in 1..=2^59−1, `JUSTID`), then the key's type and the key and
//! group. The reply is `[next-cursor, claimed, deleted-ids]`.
//!
//! Redis allocates COUNT × 16 bytes up front and answers "Insufficient memory" when
//! that fails, which depends on the machine. brook allocates nothing up front and
//! answers that error when the buffer would exceed 32 GiB (COUNT above 2^31), a size no
//! machine this runs on would hand Redis either.

use bytes::Bytes;

use super::reply;
use super::xclaim::claimed_reply;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::num::{keyword_eq, parse_i64};
use crate::options::XAutoClaimOptions;
use crate::reply::Reply;

/// Redis's cap on COUNT: `LONG_MAX / (sizeof(streamID) * attempts factor)`.
const MAX_COUNT: i64 = (1 << 59) - 1;
/// brook's stand-in for an allocation of COUNT × 16 bytes failing.
const MAX_ALLOCATABLE_COUNT: u64 = 1 << 31;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let (key, group, consumer) = (&argv[1], &argv[2], &argv[3]);
        let min_idle = parse_i64(&argv[4]).ok_or(Error::XAutoClaimMinIdle)?;
        let start = StreamId::parse_range_start(&argv[5])?;
        let mut opts = XAutoClaimOptions::default();
        let mut i = 6;
        while i < argv.len() {
            let opt = &argv[i];
            let more = argv.len() - 1 - i;
            if keyword_eq(opt, "COUNT") && more > 0 {
                i += 1;
                let n = parse_i64(&argv[i]).ok_or(Error::XAutoClaimCount)?;
                if !(1..=MAX_COUNT).contains(&n) {
                    return Err(Error::XAutoClaimCount);
                }
                opts.count = n as u64;
            } else if keyword_eq(opt, "JUSTID") {
                opts.justid = true;
            } else {
                return Err(Error::Syntax);
            }
            i += 1;
        }
        match ks.stream(key)? {
            Some(s) if s.group(group).is_some() => {}
            _ => return Err(Error::no_group(key, group)),
        }
        if opts.count > MAX_ALLOCATABLE_COUNT {
            return Err(Error::XAutoClaimCountTooHigh);
        }
        let min_idle = min_idle.max(0) as u64;
        let r = ks.xautoclaim(key, group, consumer, min_idle, start, &opts, now)?;
        Ok(Reply::Array(alloc::vec![
            Reply::id(r.next),
            claimed_reply(r.claimed),
            Reply::Array(r.deleted.into_iter().map(Reply::id).collect()),
        ]))
    })())
}
