//! XCLAIM — take over pending entries by ID.
//!
//! ```text
//! XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-ms]
//!        [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
//! ```
//!
//! Order (reference §15.1): the key's type, then the key and group (NOGROUP wins over
//! bad arguments), then min-idle-time, then the IDs — every argument from the fifth on
//! that parses as a strict ID — then the options; any other token (an ID after an
//! option, a keyword without its value) is "Unrecognized XCLAIM option".

use alloc::vec::Vec;

use bytes::Bytes;

use super::ids_args::write_ids;
use super::reply_read;
use super::{id_arg, int_arg, reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::id::StreamId;
use crate::info::Claimed;
use crate::keyspace::Keyspace;
use crate::num::{keyword_eq, parse_i64};
use crate::options::{ClaimTime, XClaimOptions};
use crate::reply::Reply;

/// XCLAIM's and XAUTOCLAIM's claimed entries as Redis replies them.
pub(super) fn claimed_reply(c: Claimed) -> Reply {
    match c {
        Claimed::Entries(entries) => Reply::entries(&entries),
        Claimed::Ids(ids) => Reply::Array(ids.into_iter().map(Reply::id).collect()),
    }
}

/// What XCLAIM's arguments after the key, group and consumer ask for.
struct Args {
    /// min-idle-time (a negative one as 0).
    min_idle: u64,
    ids: Vec<StreamId>,
    opts: XClaimOptions,
}

/// XCLAIM's arguments from min-idle-time on, checked in Redis's order (after the key
/// and group).
fn parse(argv: &[Bytes]) -> Result<Args, Error> {
    let min_idle = parse_i64(&argv[4]).ok_or(Error::XClaimInvalid("min-idle-time"))?;
    let mut i = 5;
    let mut ids = Vec::new();
    while i < argv.len() {
        match StreamId::parse_strict(&argv[i]) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        i += 1;
    }
    let mut opts = XClaimOptions::default();
    while i < argv.len() {
        let opt = &argv[i];
        let more = argv.len() - 1 - i;
        if keyword_eq(opt, "FORCE") {
            opts.force = true;
        } else if keyword_eq(opt, "JUSTID") {
            opts.justid = true;
        } else if keyword_eq(opt, "IDLE") && more > 0 {
            i += 1;
            let ms = parse_i64(&argv[i]).ok_or(Error::XClaimInvalid("IDLE option"))?;
            opts.time = Some(ClaimTime::Idle(ms));
        } else if keyword_eq(opt, "TIME") && more > 0 {
            i += 1;
            let ms = parse_i64(&argv[i]).ok_or(Error::XClaimInvalid("TIME option"))?;
            opts.time = Some(ClaimTime::Time(ms));
        } else if keyword_eq(opt, "RETRYCOUNT") && more > 0 {
            i += 1;
            let n = parse_i64(&argv[i]).ok_or(Error::XClaimInvalid("RETRYCOUNT option"))?;
            opts.retry_count = Some(n);
        } else if keyword_eq(opt, "LASTID") && more > 0 {
            i += 1;
            opts.last_id = Some(StreamId::parse_strict(&argv[i])?);
        } else {
            return Err(Error::xclaim_unrecognized(opt));
        }
        i += 1;
    }
    Ok(Args {
        min_idle: min_idle.max(0) as u64,
        ids,
        opts,
    })
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let (key, group, consumer) = (&argv[1], &argv[2], &argv[3]);
        match ks.stream(key)? {
            Some(s) if s.group(group).is_some() => {}
            _ => return Err(Error::no_group(key, group)),
        }
        let Args {
            min_idle,
            ids,
            opts,
        } = parse(argv)?;
        let claimed = ks.xclaim(key, group, consumer, min_idle, &ids, &opts, now)?;
        Ok(claimed_reply(claimed))
    })())
}

/// The typed XCLAIM (a negative min-idle-time becomes 0, as Redis takes it).
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    let Args {
        min_idle,
        ids,
        opts,
    } = parse(argv)?;
    Ok(Command::XClaim {
        key: argv[1].clone(),
        group: argv[2].clone(),
        consumer: argv[3].clone(),
        min_idle_ms: min_idle,
        ids,
        opts,
    })
}

/// Writes `XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms | TIME unix-ms]
/// [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]`.
pub(super) fn write(
    out: &mut Vec<Bytes>,
    (key, group, consumer): (&Bytes, &Bytes, &Bytes),
    min_idle_ms: u64,
    ids: &[StreamId],
    opts: &XClaimOptions,
) {
    out.extend([word("XCLAIM"), key.clone(), group.clone(), consumer.clone()]);
    out.push(int_arg(min_idle_ms));
    write_ids(out, ids);
    match opts.time {
        Some(ClaimTime::Idle(ms)) => out.extend([word("IDLE"), int_arg(ms)]),
        Some(ClaimTime::Time(ms)) => out.extend([word("TIME"), int_arg(ms)]),
        None => {}
    }
    if let Some(n) = opts.retry_count {
        out.extend([word("RETRYCOUNT"), int_arg(n)]);
    }
    if opts.force {
        out.push(word("FORCE"));
    }
    if opts.justid {
        out.push(word("JUSTID"));
    }
    if let Some(id) = opts.last_id {
        out.extend([word("LASTID"), id_arg(id)]);
    }
}

/// XCLAIM's reply read back: entries, or IDs with JUSTID.
pub(crate) fn read_reply(r: Reply, justid: bool) -> Result<Claimed, Error> {
    Ok(if justid {
        Claimed::Ids(
            reply_read::array(r)?
                .into_iter()
                .map(reply_read::id)
                .collect::<Result<_, _>>()?,
        )
    } else {
        Claimed::Entries(reply_read::entries(r)?)
    })
}
