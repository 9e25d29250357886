//! [`Command`]s as Redis commands, and their replies back as [`CommandReply`]s: what
//! pipelines and transactions send.

use brook_engine::{Command, CommandReply, Error};
use bytes::Bytes;
use redis::{Cmd, Value};

use crate::{parse, RedisStreams};

/// The Redis command for `c`: its argument vector ([`Command::to_argv`]), or its Lua
/// fallback where the server lacks the command or option ([`RedisStreams::fallback`]).
pub(crate) fn to_cmd(r: &RedisStreams, c: &Command) -> Cmd {
    r.fallback(c).unwrap_or_else(|| argv_cmd(&c.to_argv()))
}

/// A Redis command from an argument vector (its name first).
pub(crate) fn argv_cmd(argv: &[Bytes]) -> Cmd {
    let mut cmd = Cmd::new();
    for a in argv {
        cmd.arg(&a[..]);
    }
    cmd
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

#[cfg(test)]
mod tests {
    //! The engine's argument vectors are what the typed methods send (`args.rs`, until
    //! those methods send [`Command`]s too).

    use brook_engine::{
        ClaimTime, Command, Expire, GroupReadId, GroupStart, SetOptions, StreamId,
        XAutoClaimOptions, XClaimOptions, XPendingRange, XReadGroupOptions, XReadId, XSetIdOptions,
    };
    use bytes::Bytes;
    use redis::Cmd;

    use crate::args;

    fn words(cmd: &Cmd) -> Vec<Vec<u8>> {
        cmd.args_iter()
            .map(|a| match a {
                redis::Arg::Simple(b) => b.to_vec(),
                _ => b"<cursor>".to_vec(),
            })
            .collect()
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn same(c: Command, typed: Cmd) {
        assert_eq!(
            words(&super::argv_cmd(&c.to_argv())),
            words(&typed),
            "{c:?}"
        );
    }

    #[test]
    fn engine_argv_matches_the_typed_methods() {
        let (k, g, c) = (b("k"), b("g"), b("c"));
        let (a, z) = (StreamId::new(1, 2), StreamId::new(30, 4));
        for count in [None, Some(0), Some(7)] {
            same(
                Command::XRange {
                    key: k.clone(),
                    start: a,
                    end: z,
                    count,
                },
                args::range("XRANGE", b"k", a, z, count),
            );
            same(
                Command::XRevRange {
                    key: k.clone(),
                    end: z,
                    start: a,
                    count,
                },
                args::range("XREVRANGE", b"k", z, a, count),
            );
            let streams = [(b"k".as_slice(), XReadId::Last), (b"j", XReadId::After(a))];
            same(
                Command::XRead {
                    streams: streams
                        .iter()
                        .map(|(k, at)| (Bytes::copy_from_slice(k), *at))
                        .collect(),
                    count,
                },
                args::xread(&streams, count, None),
            );
        }
        same(
            Command::XDel {
                key: k.clone(),
                ids: vec![a, z],
            },
            args::xdel(b"k", &[a, z]),
        );
        let mut setid = XSetIdOptions::new(z);
        same(
            Command::XSetId {
                key: k.clone(),
                opts: setid,
            },
            args::xsetid(b"k", &setid),
        );
        setid.entries_added = Some(5);
        setid.max_deleted_id = Some(a);
        same(
            Command::XSetId {
                key: k.clone(),
                opts: setid,
            },
            args::xsetid(b"k", &setid),
        );
        for (mkstream, entries_read) in [(false, None), (true, Some(-1)), (false, Some(9))] {
            same(
                Command::XGroupCreate {
                    key: k.clone(),
                    group: g.clone(),
                    start: GroupStart::Last,
                    mkstream,
                    entries_read,
                },
                args::xgroup_create(b"k", b"g", GroupStart::Last, mkstream, entries_read),
            );
            same(
                Command::XGroupSetId {
                    key: k.clone(),
                    group: g.clone(),
                    start: GroupStart::Id(a),
                    entries_read,
                },
                args::xgroup_setid(b"k", b"g", GroupStart::Id(a), entries_read),
            );
        }
        same(
            Command::XGroupDestroy {
                key: k.clone(),
                group: g.clone(),
            },
            args::xgroup("DESTROY", b"k", b"g", None),
        );
        same(
            Command::XGroupCreateConsumer {
                key: k.clone(),
                group: g.clone(),
                consumer: c.clone(),
            },
            args::xgroup("CREATECONSUMER", b"k", b"g", Some(b"c")),
        );
        same(
            Command::XGroupDelConsumer {
                key: k.clone(),
                group: g.clone(),
                consumer: c.clone(),
            },
            args::xgroup("DELCONSUMER", b"k", b"g", Some(b"c")),
        );
        for opts in [
            XReadGroupOptions::default(),
            XReadGroupOptions::default().count(3).noack().claim(100),
        ] {
            let streams = [
                (b"k".as_slice(), GroupReadId::New),
                (b"j", GroupReadId::After(a)),
            ];
            same(
                Command::XReadGroup {
                    group: g.clone(),
                    consumer: c.clone(),
                    streams: streams
                        .iter()
                        .map(|(k, at)| (Bytes::copy_from_slice(k), *at))
                        .collect(),
                    opts,
                },
                args::xreadgroup(b"g", b"c", &streams, &opts, None),
            );
        }
        same(
            Command::XAck {
                key: k.clone(),
                group: g.clone(),
                ids: vec![a],
            },
            args::xack(b"k", b"g", &[a]),
        );
        same(
            Command::XPending {
                key: k.clone(),
                group: g.clone(),
            },
            args::xpending(b"k", b"g"),
        );
        for (min_idle, consumer) in [(0, None), (-5, Some(c.clone())), (60_000, None)] {
            let range = XPendingRange {
                min_idle,
                start: a,
                end: StreamId::MAX,
                count: 10,
                consumer,
            };
            same(
                Command::XPendingRange {
                    key: k.clone(),
                    group: g.clone(),
                    range: range.clone(),
                },
                args::xpending_range(b"k", b"g", &range),
            );
        }
        let full = XClaimOptions {
            time: Some(ClaimTime::Time(-1)),
            retry_count: Some(4),
            force: true,
            justid: true,
            last_id: Some(z),
        };
        for opts in [XClaimOptions::default(), full] {
            same(
                Command::XClaim {
                    key: k.clone(),
                    group: g.clone(),
                    consumer: c.clone(),
                    min_idle_ms: 10,
                    ids: vec![a, z],
                    opts,
                },
                args::xclaim(b"k", b"g", b"c", 10, &[a, z], &opts),
            );
        }
        for opts in [
            XAutoClaimOptions::default(),
            XAutoClaimOptions {
                count: 3,
                justid: true,
            },
        ] {
            same(
                Command::XAutoClaim {
                    key: k.clone(),
                    group: g.clone(),
                    consumer: c.clone(),
                    min_idle_ms: 0,
                    start: a,
                    opts,
                },
                args::xautoclaim(b"k", b"g", b"c", 0, a, &opts),
            );
        }
        same(
            Command::XInfoStream { key: k.clone() },
            args::xinfo("STREAM", b"k", None),
        );
        same(
            Command::XInfoGroups { key: k.clone() },
            args::xinfo("GROUPS", b"k", None),
        );
        same(
            Command::XInfoConsumers {
                key: k.clone(),
                group: g.clone(),
            },
            args::xinfo("CONSUMERS", b"k", Some(b"g")),
        );
        same(
            Command::Del {
                keys: vec![k.clone(), g.clone()],
            },
            args::del(&[b"k", b"g"]),
        );
        for opts in [
            SetOptions::default(),
            SetOptions::default().nx().px(5),
            SetOptions {
                nx: false,
                xx: true,
                expire: Some(Expire::At(9)),
            },
            SetOptions {
                expire: Some(Expire::Keep),
                ..SetOptions::default()
            },
        ] {
            same(
                Command::Set {
                    key: k.clone(),
                    value: b("v"),
                    opts,
                },
                args::set(b"k", b"v", &opts),
            );
        }
    }
}
