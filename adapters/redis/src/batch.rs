//! [`Command`]s as Redis commands, and their replies back as [`CommandReply`]s: what
//! pipelines and transactions send.

use brook_engine::{Command, CommandReply, Error, GroupReadId, XReadId};
use redis::{Cmd, Value};

use crate::{args, parse, RedisStreams};

/// The Redis command for `c` (XACKDEL/XDELEX as their fallback where the server lacks
/// them).
pub(crate) fn to_cmd(r: &RedisStreams, c: &Command) -> Cmd {
    match c {
        Command::XAdd { key, opts, fields } => {
            let pairs: Vec<(&[u8], &[u8])> = fields.iter().map(|(f, v)| (&f[..], &v[..])).collect();
            r.xadd_cmd(key, opts, &pairs)
        }
        Command::XLen { key } => {
            let mut cmd = redis::cmd("XLEN");
            cmd.arg(&key[..]);
            cmd
        }
        Command::XRange {
            key,
            start,
            end,
            count,
        } => args::range("XRANGE", key, *start, *end, *count),
        Command::XRevRange {
            key,
            end,
            start,
            count,
        } => args::range("XREVRANGE", key, *end, *start, *count),
        Command::XDel { key, ids } => args::xdel(key, ids),
        Command::XTrim { key, opts } => r.xtrim_cmd(key, opts),
        Command::XSetId { key, opts } => args::xsetid(key, opts),
        Command::XRead { streams, count } => {
            let st: Vec<(&[u8], XReadId)> = streams.iter().map(|(k, at)| (&k[..], *at)).collect();
            args::xread(&st, *count, None)
        }
        Command::XGroupCreate {
            key,
            group,
            start,
            mkstream,
            entries_read,
        } => args::xgroup_create(key, group, *start, *mkstream, *entries_read),
        Command::XGroupSetId {
            key,
            group,
            start,
            entries_read,
        } => args::xgroup_setid(key, group, *start, *entries_read),
        Command::XGroupDestroy { key, group } => args::xgroup("DESTROY", key, group, None),
        Command::XGroupCreateConsumer {
            key,
            group,
            consumer,
        } => args::xgroup("CREATECONSUMER", key, group, Some(consumer)),
        Command::XGroupDelConsumer {
            key,
            group,
            consumer,
        } => args::xgroup("DELCONSUMER", key, group, Some(consumer)),
        Command::XReadGroup {
            group,
            consumer,
            streams,
            opts,
        } => {
            let st: Vec<(&[u8], GroupReadId)> =
                streams.iter().map(|(k, at)| (&k[..], *at)).collect();
            args::xreadgroup(group, consumer, &st, opts, None)
        }
        Command::XAck { key, group, ids } => args::xack(key, group, ids),
        Command::XAckDel {
            key,
            group,
            ids,
            policy,
        } => r.del_ex(key, Some(group), ids, *policy),
        Command::XDelEx { key, ids, policy } => r.del_ex(key, None, ids, *policy),
        Command::XPending { key, group } => args::xpending(key, group),
        Command::XPendingRange { key, group, range } => args::xpending_range(key, group, range),
        Command::XClaim {
            key,
            group,
            consumer,
            min_idle_ms,
            ids,
            opts,
        } => args::xclaim(key, group, consumer, *min_idle_ms, ids, opts),
        Command::XAutoClaim {
            key,
            group,
            consumer,
            min_idle_ms,
            start,
            opts,
        } => args::xautoclaim(key, group, consumer, *min_idle_ms, *start, opts),
        Command::XInfoStream { key } => args::xinfo("STREAM", key, None),
        Command::XInfoGroups { key } => args::xinfo("GROUPS", key, None),
        Command::XInfoConsumers { key, group } => args::xinfo("CONSUMERS", key, Some(group)),
        Command::Del { keys } => {
            let ks: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
            args::del(&ks)
        }
        Command::Set { key, value, opts } => args::set(key, value, opts),
        Command::Get { key } => {
            let mut cmd = redis::cmd("GET");
            cmd.arg(&key[..]);
            cmd
        }
        Command::IncrBy { key, by } => {
            let mut cmd = redis::cmd("INCRBY");
            cmd.arg(&key[..]).arg(*by);
            cmd
        }
    }
}

/// The reply to `c`, parsed.
pub(crate) fn parse_reply(c: &Command, v: Value) -> Result<CommandReply, Error> {
    use CommandReply as R;
    Ok(match c {
        Command::XAdd { .. } => match v {
            Value::Nil => R::Id(None),
            v => R::Id(Some(parse::id(v)?)),
        },
        Command::XLen { .. }
        | Command::XDel { .. }
        | Command::XTrim { .. }
        | Command::XAck { .. }
        | Command::XGroupDelConsumer { .. }
        | Command::Del { .. } => R::Count(parse::uint(v)?),
        Command::XSetId { .. } | Command::XGroupCreate { .. } | Command::XGroupSetId { .. } => {
            parse::ok(v)?;
            R::Ok
        }
        Command::XGroupDestroy { .. } | Command::XGroupCreateConsumer { .. } => {
            R::Bool(parse::uint(v)? > 0)
        }
        Command::XAckDel { .. } | Command::XDelEx { .. } => R::Codes(
            parse::array(v)?
                .into_iter()
                .map(parse::int)
                .collect::<Result<_, _>>()?,
        ),
        Command::XRange { .. } | Command::XRevRange { .. } => R::Entries(parse::entries(v)?),
        Command::XRead { .. } => R::Read(parse::xread(v)?),
        Command::XReadGroup { .. } => R::ReadGroup(parse::xreadgroup(v)?),
        Command::XPending { .. } => R::PendingSummary(parse::xpending(v)?),
        Command::XPendingRange { .. } => R::Pending(parse::xpending_range(v)?),
        Command::XClaim { opts, .. } => R::Claimed(parse::claimed(v, opts.justid)?),
        Command::XAutoClaim { opts, .. } => R::AutoClaim(parse::xautoclaim(v, opts.justid)?),
        Command::XInfoStream { .. } => R::Stream(Box::new(parse::xinfo_stream(v)?)),
        Command::XInfoGroups { .. } => R::Groups(parse::xinfo_groups(v)?),
        Command::XInfoConsumers { .. } => R::Consumers(parse::xinfo_consumers(v)?),
        Command::Set { .. } => R::Bool(parse::set_reply(v)?),
        Command::Get { .. } => R::Value(parse::opt_bytes(v)?),
        Command::IncrBy { .. } => R::Int(parse::int(v)?),
    })
}
