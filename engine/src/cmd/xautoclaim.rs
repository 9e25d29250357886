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

use alloc::vec::Vec;

use bytes::Bytes;

use super::reply_read;
use super::xclaim::claimed_reply;
use super::{id_arg, int_arg, reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::id::StreamId;
use crate::info::XAutoClaimReply;
use crate::keyspace::Keyspace;
use crate::num::{keyword_eq, parse_i64};
use crate::options::XAutoClaimOptions;
use crate::reply::Reply;

/// Redis's cap on COUNT: `LONG_MAX / (sizeof(streamID) * attempts factor)`.
const MAX_COUNT: i64 = (1 << 59) - 1;
/// brook's stand-in for an allocation of COUNT × 16 bytes failing.
const MAX_ALLOCATABLE_COUNT: u64 = 1 << 31;

/// XAUTOCLAIM's arguments from min-idle-time on, checked in Redis's order (all before
/// the key): `(min_idle, start, opts)`, a negative min-idle-time as 0.
fn parse(argv: &[Bytes]) -> Result<(u64, StreamId, XAutoClaimOptions), Error> {
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
    Ok((min_idle.max(0) as u64, start, opts))
}

/// The typed XAUTOCLAIM (syntax only: the "Insufficient memory" stand-in for a COUNT
/// above 2^31, which Redis answers after looking at the key, is left to the command
/// layer).
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    let (min_idle_ms, start, opts) = parse(argv)?;
    Ok(Command::XAutoClaim {
        key: argv[1].clone(),
        group: argv[2].clone(),
        consumer: argv[3].clone(),
        min_idle_ms,
        start,
        opts,
    })
}

/// Writes `XAUTOCLAIM key group consumer min-idle-time start COUNT n [JUSTID]` (COUNT
/// always: every server has it).
pub(super) fn write(
    out: &mut Vec<Bytes>,
    (key, group, consumer): (&Bytes, &Bytes, &Bytes),
    min_idle_ms: u64,
    start: StreamId,
    opts: &XAutoClaimOptions,
) {
    out.extend([
        word("XAUTOCLAIM"),
        key.clone(),
        group.clone(),
        consumer.clone(),
    ]);
    out.extend([int_arg(min_idle_ms), id_arg(start)]);
    out.extend([word("COUNT"), int_arg(opts.count)]);
    if opts.justid {
        out.push(word("JUSTID"));
    }
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let (key, group, consumer) = (&argv[1], &argv[2], &argv[3]);
        let (min_idle, start, opts) = parse(argv)?;
        match ks.stream(key)? {
            Some(s) if s.group(group).is_some() => {}
            _ => return Err(Error::no_group(key, group)),
        }
        if opts.count > MAX_ALLOCATABLE_COUNT {
            return Err(Error::XAutoClaimCountTooHigh);
        }
        let r = ks.xautoclaim(key, group, consumer, min_idle, start, &opts, now)?;
        Ok(Reply::Array(alloc::vec![
            Reply::id(r.next),
            claimed_reply(r.claimed),
            Reply::Array(r.deleted.into_iter().map(Reply::id).collect()),
        ]))
    })())
}

/// XAUTOCLAIM's reply read back: `[next, claimed, deleted]`.
pub(crate) fn read_reply(r: Reply, justid: bool) -> Result<XAutoClaimReply, Error> {
    let [next, claimed, deleted] = reply_read::parts(r, "XAUTOCLAIM's reply has three parts")?;
    Ok(XAutoClaimReply {
        next: reply_read::id(next)?,
        claimed: super::xclaim::read_reply(claimed, justid)?,
        deleted: reply_read::array(deleted)?
            .into_iter()
            .map(reply_read::id)
            .collect::<Result<_, _>>()?,
    })
}
