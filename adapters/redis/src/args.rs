//! Typed requests as Redis argument vectors: one function per command, arguments in
//! the order the reference's syntax gives them. Options left at their defaults are not
//! sent, so servers older than the option (Redis 7, Valkey) accept the command.

use brook_engine::{
    ClaimTime, GroupReadId, GroupStart, StreamId, XAutoClaimOptions, XClaimOptions, XPendingRange,
    XReadGroupOptions, XReadId, XSetIdOptions,
};
use redis::Cmd;

/// An ID as Redis writes it.
pub(crate) fn id(id: StreamId) -> String {
    id.to_string()
}

/// XRANGE / XREVRANGE (`from`, `to` in the command's own order).
pub(crate) fn range(
    name: &str,
    key: &[u8],
    from: StreamId,
    to: StreamId,
    count: Option<u64>,
) -> Cmd {
    let mut cmd = redis::cmd(name);
    cmd.arg(key).arg(id(from)).arg(id(to));
    if let Some(n) = count {
        cmd.arg("COUNT").arg(n);
    }
    cmd
}

/// XDEL.
pub(crate) fn xdel(key: &[u8], ids: &[StreamId]) -> Cmd {
    let mut cmd = redis::cmd("XDEL");
    cmd.arg(key);
    for i in ids {
        cmd.arg(id(*i));
    }
    cmd
}

/// XSETID.
pub(crate) fn xsetid(key: &[u8], o: &XSetIdOptions) -> Cmd {
    let mut cmd = redis::cmd("XSETID");
    cmd.arg(key).arg(id(o.last_id));
    if let Some(n) = o.entries_added {
        cmd.arg("ENTRIESADDED").arg(n);
    }
    if let Some(m) = o.max_deleted_id {
        cmd.arg("MAXDELETEDID").arg(id(m));
    }
    cmd
}

fn block_arg(cmd: &mut Cmd, block: Option<u64>) {
    if let Some(ms) = block {
        cmd.arg("BLOCK").arg(ms);
    }
}

/// XREAD.
pub(crate) fn xread(streams: &[(&[u8], XReadId)], count: Option<u64>, block: Option<u64>) -> Cmd {
    let mut cmd = redis::cmd("XREAD");
    if let Some(n) = count {
        cmd.arg("COUNT").arg(n);
    }
    block_arg(&mut cmd, block);
    cmd.arg("STREAMS");
    for (k, _) in streams {
        cmd.arg(*k);
    }
    for (_, at) in streams {
        match at {
            XReadId::After(i) => cmd.arg(id(*i)),
            XReadId::Last => cmd.arg("$"),
            XReadId::LastEntry => cmd.arg("+"),
        };
    }
    cmd
}

/// XREADGROUP.
pub(crate) fn xreadgroup(
    group: &[u8],
    consumer: &[u8],
    streams: &[(&[u8], GroupReadId)],
    opts: &XReadGroupOptions,
    block: Option<u64>,
) -> Cmd {
    let mut cmd = redis::cmd("XREADGROUP");
    cmd.arg("GROUP").arg(group).arg(consumer);
    if let Some(n) = opts.count {
        cmd.arg("COUNT").arg(n);
    }
    block_arg(&mut cmd, block);
    if let Some(ms) = opts.claim {
        cmd.arg("CLAIM").arg(ms);
    }
    if opts.noack {
        cmd.arg("NOACK");
    }
    cmd.arg("STREAMS");
    for (k, _) in streams {
        cmd.arg(*k);
    }
    for (_, at) in streams {
        match at {
            GroupReadId::New => cmd.arg(">"),
            GroupReadId::After(i) => cmd.arg(id(*i)),
        };
    }
    cmd
}

fn start_arg(start: GroupStart) -> String {
    match start {
        GroupStart::Last => "$".to_string(),
        GroupStart::Id(i) => id(i),
    }
}

/// XGROUP CREATE.
pub(crate) fn xgroup_create(
    key: &[u8],
    group: &[u8],
    start: GroupStart,
    mkstream: bool,
    entries_read: Option<i64>,
) -> Cmd {
    let mut cmd = redis::cmd("XGROUP");
    cmd.arg("CREATE").arg(key).arg(group).arg(start_arg(start));
    if mkstream {
        cmd.arg("MKSTREAM");
    }
    if let Some(n) = entries_read {
        cmd.arg("ENTRIESREAD").arg(n);
    }
    cmd
}

/// XGROUP SETID.
pub(crate) fn xgroup_setid(
    key: &[u8],
    group: &[u8],
    start: GroupStart,
    entries_read: Option<i64>,
) -> Cmd {
    let mut cmd = redis::cmd("XGROUP");
    cmd.arg("SETID").arg(key).arg(group).arg(start_arg(start));
    if let Some(n) = entries_read {
        cmd.arg("ENTRIESREAD").arg(n);
    }
    cmd
}

/// XGROUP `sub` key group [consumer] (DESTROY, CREATECONSUMER, DELCONSUMER).
pub(crate) fn xgroup(sub: &str, key: &[u8], group: &[u8], consumer: Option<&[u8]>) -> Cmd {
    let mut cmd = redis::cmd("XGROUP");
    cmd.arg(sub).arg(key).arg(group);
    if let Some(c) = consumer {
        cmd.arg(c);
    }
    cmd
}

/// XACK.
pub(crate) fn xack(key: &[u8], group: &[u8], ids: &[StreamId]) -> Cmd {
    let mut cmd = redis::cmd("XACK");
    cmd.arg(key).arg(group);
    for i in ids {
        cmd.arg(id(*i));
    }
    cmd
}

/// XPENDING's summary form.
pub(crate) fn xpending(key: &[u8], group: &[u8]) -> Cmd {
    let mut cmd = redis::cmd("XPENDING");
    cmd.arg(key).arg(group);
    cmd
}

/// XPENDING's extended form.
pub(crate) fn xpending_range(key: &[u8], group: &[u8], r: &XPendingRange) -> Cmd {
    let mut cmd = redis::cmd("XPENDING");
    cmd.arg(key).arg(group);
    if r.min_idle != 0 {
        cmd.arg("IDLE").arg(r.min_idle);
    }
    cmd.arg(id(r.start)).arg(id(r.end)).arg(r.count);
    if let Some(c) = &r.consumer {
        cmd.arg(c.as_ref());
    }
    cmd
}

/// XCLAIM.
pub(crate) fn xclaim(
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    min_idle_ms: u64,
    ids: &[StreamId],
    o: &XClaimOptions,
) -> Cmd {
    let mut cmd = redis::cmd("XCLAIM");
    cmd.arg(key).arg(group).arg(consumer).arg(min_idle_ms);
    for i in ids {
        cmd.arg(id(*i));
    }
    match o.time {
        Some(ClaimTime::Idle(ms)) => {
            cmd.arg("IDLE").arg(ms);
        }
        Some(ClaimTime::Time(ms)) => {
            cmd.arg("TIME").arg(ms);
        }
        None => {}
    }
    if let Some(n) = o.retry_count {
        cmd.arg("RETRYCOUNT").arg(n);
    }
    if o.force {
        cmd.arg("FORCE");
    }
    if o.justid {
        cmd.arg("JUSTID");
    }
    if let Some(l) = o.last_id {
        cmd.arg("LASTID").arg(id(l));
    }
    cmd
}

/// XAUTOCLAIM.
pub(crate) fn xautoclaim(
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    min_idle_ms: u64,
    start: StreamId,
    o: &XAutoClaimOptions,
) -> Cmd {
    let mut cmd = redis::cmd("XAUTOCLAIM");
    cmd.arg(key)
        .arg(group)
        .arg(consumer)
        .arg(min_idle_ms)
        .arg(id(start))
        .arg("COUNT")
        .arg(o.count);
    if o.justid {
        cmd.arg("JUSTID");
    }
    cmd
}

/// XINFO `sub` key [group].
pub(crate) fn xinfo(sub: &str, key: &[u8], group: Option<&[u8]>) -> Cmd {
    let mut cmd = redis::cmd("XINFO");
    cmd.arg(sub).arg(key);
    if let Some(g) = group {
        cmd.arg(g);
    }
    cmd
}

/// DEL.
pub(crate) fn del(keys: &[&[u8]]) -> Cmd {
    let mut cmd = redis::cmd("DEL");
    for k in keys {
        cmd.arg(*k);
    }
    cmd
}

/// SET key value [NX|XX] [PX ms|PXAT ms|KEEPTTL].
pub(crate) fn set(key: &[u8], value: &[u8], opts: &brook_engine::SetOptions) -> Cmd {
    use brook_engine::Expire;
    let mut cmd = redis::cmd("SET");
    cmd.arg(key).arg(value);
    if opts.nx {
        cmd.arg("NX");
    }
    if opts.xx {
        cmd.arg("XX");
    }
    match opts.expire {
        None => {}
        Some(Expire::After(ms)) => {
            cmd.arg("PX").arg(ms);
        }
        Some(Expire::At(ms)) => {
            cmd.arg("PXAT").arg(ms);
        }
        Some(Expire::Keep) => {
            cmd.arg("KEEPTTL");
        }
    }
    cmd
}
