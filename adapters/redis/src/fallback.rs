//! What the server has, and Lua that gives the same observable result where it lacks a
//! command: XACKDEL and XDELEX (Redis 8.2) on Redis 7.x and Valkey. Each script runs
//! atomically on the server, as the command would, and touches only its one key.

use brook_engine::{Error, RefPolicy, StreamId, TrimOptions, TrimStrategy};
use bytes::Bytes;
use redis::{Cmd, Value};

use crate::{errors, parse};

/// Commands found with `COMMAND INFO` when the adapter connected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Features {
    /// XACKDEL and XDELEX (Redis 8.2).
    pub(crate) del_ex: bool,
    /// XREADGROUP's CLAIM option (Redis 8.4).
    pub(crate) claim: bool,
    /// brook's conditional operations as commands (`brook serve`): used instead of
    /// the Lua scripts.
    pub(crate) brook_ops: bool,
}

impl Features {
    /// Asks the server. Version strings are not consulted: Valkey 9 reports
    /// `redis_version:7.2.4`.
    pub(crate) async fn detect(conn: &crate::conn::Commands) -> Result<Features, Error> {
        let v: Value = conn
            .query(
                redis::cmd("COMMAND")
                    .arg("INFO")
                    .arg("XACKDEL")
                    .arg("XDELEX")
                    .arg("BROOK.MARKACK"),
            )
            .await
            .map_err(|e| errors::from_redis(&e))?;
        let found: Vec<bool> = parse::array(v)?
            .iter()
            .map(|c| !matches!(c, Value::Nil))
            .collect();
        let known = found.iter().take(2).filter(|k| **k).count();
        // CLAIM is an option, not a command: look for it among XREADGROUP's documented
        // arguments.
        let docs = conn
            .query(redis::cmd("COMMAND").arg("DOCS").arg("XREADGROUP"))
            .await
            .map_err(|e| errors::from_redis(&e))?;
        Ok(Features {
            del_ex: known == 2,
            claim: mentions(&docs, b"CLAIM"),
            brook_ops: found.get(2).copied().unwrap_or(false),
        })
    }
}

/// Whether `v` holds the string `word` anywhere (any case).
fn mentions(v: &Value, word: &[u8]) -> bool {
    match v {
        Value::BulkString(b) => b.eq_ignore_ascii_case(word),
        Value::SimpleString(s) => s.as_bytes().eq_ignore_ascii_case(word),
        Value::Array(items) | Value::Set(items) => items.iter().any(|i| mentions(i, word)),
        Value::Map(pairs) => pairs
            .iter()
            .any(|(k, v)| mentions(k, word) || mentions(v, word)),
        Value::Attribute { data, .. } => mentions(data, word),
        _ => false,
    }
}

/// The fallback scripts, sent whole with EVAL (a few kilobytes; no script cache to go
/// stale after a server restart, and usable inside MULTI).
pub(crate) struct Scripts {
    xdelex: String,
    xackdel: String,
    claim: String,
    xtrim: String,
    xadd: String,
    owner: String,
    mark_ack: &'static str,
}

const REFS: &str = include_str!("lua/refs.lua");

impl Scripts {
    pub(crate) fn new() -> Scripts {
        Scripts {
            xdelex: format!("{REFS}\n{}", include_str!("lua/xdelex.lua")),
            xackdel: format!("{REFS}\n{}", include_str!("lua/xackdel.lua")),
            claim: format!("{REFS}\n{}", include_str!("lua/xreadgroup_claim.lua")),
            xtrim: format!("{REFS}\n{}", include_str!("lua/xtrim_refs.lua")),
            xadd: format!("{REFS}\n{}", include_str!("lua/xadd_refs.lua")),
            owner: format!("{REFS}\n{}", include_str!("lua/owner.lua")),
            mark_ack: include_str!("lua/mark_ack.lua"),
        }
    }

    /// XDELEX as EVAL.
    pub(crate) fn xdelex(&self, key: &[u8], ids: &[StreamId], policy: RefPolicy) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&self.xdelex).arg(1).arg(key).arg(policy.keyword());
        for id in ids {
            cmd.arg(id.to_string());
        }
        cmd
    }

    /// XREADGROUP … CLAIM (without BLOCK) as EVAL.
    pub(crate) fn xreadgroup_claim(
        &self,
        group: &[u8],
        consumer: &[u8],
        streams: &[(&[u8], brook_engine::GroupReadId)],
        opts: &brook_engine::XReadGroupOptions,
        min_idle: u64,
    ) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&self.claim).arg(streams.len());
        for (k, _) in streams {
            cmd.arg(*k);
        }
        cmd.arg(group)
            .arg(consumer)
            .arg(opts.count.unwrap_or(0))
            .arg(u8::from(opts.noack))
            .arg(min_idle);
        for (_, at) in streams {
            match at {
                brook_engine::GroupReadId::New => cmd.arg(">"),
                brook_engine::GroupReadId::After(id) => cmd.arg(id.to_string()),
            };
        }
        cmd
    }

    /// ack-if-owner (`op` "ack"), touch-if-owner ("touch") or delete-consumer-if-empty
    /// ("delconsumer"): a `BROOK.*` command when `native`, else EVAL.
    pub(crate) fn owner_op(
        &self,
        native: bool,
        op: &str,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> Cmd {
        if !native {
            return self.if_owner(op, key, group, consumer, ids);
        }
        let name = match op {
            "ack" => "BROOK.ACKIFOWNER",
            "touch" => "BROOK.TOUCHIFOWNER",
            _ => "BROOK.DELCONSUMERIFEMPTY",
        };
        let mut cmd = redis::cmd(name);
        cmd.arg(key).arg(group).arg(consumer);
        for id in ids {
            cmd.arg(id.to_string());
        }
        cmd
    }

    /// ack-if-owner (`op` "ack") or touch-if-owner ("touch") as EVAL.
    fn if_owner(
        &self,
        op: &str,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&self.owner)
            .arg(1)
            .arg(key)
            .arg(op)
            .arg(group)
            .arg(consumer);
        for id in ids {
            cmd.arg(id.to_string());
        }
        cmd
    }

    /// ack-if-owner then add as EVAL.
    #[allow(clippy::too_many_arguments)] // one argument per part of the operation
    pub(crate) fn if_owner_add(
        &self,
        native: bool,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        id: StreamId,
        to: &[u8],
        fields: &[(bytes::Bytes, bytes::Bytes)],
    ) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        if native {
            cmd = redis::cmd("BROOK.ACKIFOWNERTHENADD");
            cmd.arg(key)
                .arg(group)
                .arg(consumer)
                .arg(id.to_string())
                .arg(to);
        } else {
            cmd.arg(&self.owner)
                .arg(2)
                .arg(key)
                .arg(to)
                .arg("add")
                .arg(group)
                .arg(consumer)
                .arg(id.to_string());
        }
        for (f, v) in fields {
            cmd.arg(f.as_ref()).arg(v.as_ref());
        }
        cmd
    }

    /// mark-and-ack-if-new as EVAL; each effect as its own argument vector.
    #[allow(clippy::too_many_arguments)] // one argument per part of the operation
    pub(crate) fn mark_ack(
        &self,
        native: bool,
        key: &[u8],
        group: &[u8],
        id: StreamId,
        marker: &[u8],
        keep_ms: u64,
        effects: &[Cmd],
    ) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        if native {
            cmd = redis::cmd("BROOK.MARKACK");
            cmd.arg(key).arg(marker);
        } else {
            cmd.arg(self.mark_ack).arg(2).arg(key).arg(marker);
        }
        cmd.arg(group)
            .arg(id.to_string())
            .arg(keep_ms.max(1))
            .arg(effects.len());
        for e in effects {
            let argv: Vec<&[u8]> = e
                .args_iter()
                .filter_map(|a| match a {
                    redis::Arg::Simple(b) => Some(b),
                    _ => None,
                })
                .collect();
            cmd.arg(argv.len());
            for a in argv {
                cmd.arg(a);
            }
        }
        cmd
    }

    /// XTRIM with DELREF/ACKED as EVAL.
    pub(crate) fn xtrim(&self, key: &[u8], t: &TrimOptions) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&self.xtrim).arg(1).arg(key);
        trim_args(&mut cmd, t);
        cmd
    }

    /// XADD trimming with DELREF/ACKED as EVAL: the XADD without its trimming
    /// (`plain`, its whole argument vector), then the trim, in one script.
    pub(crate) fn xadd(&self, key: &[u8], plain: &[Bytes], t: &TrimOptions) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&self.xadd).arg(1).arg(key);
        trim_args(&mut cmd, t);
        // The plain XADD's arguments after its key.
        for arg in plain.iter().skip(2) {
            cmd.arg(&arg[..]);
        }
        cmd
    }

    /// XACKDEL as EVAL.
    pub(crate) fn xackdel(
        &self,
        key: &[u8],
        group: &[u8],
        ids: &[StreamId],
        policy: RefPolicy,
    ) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&self.xackdel)
            .arg(1)
            .arg(key)
            .arg(group)
            .arg(policy.keyword());
        for id in ids {
            cmd.arg(id.to_string());
        }
        cmd
    }
}

/// The trim script's arguments: strategy, threshold, policy, limit (0: none). A LIMIT
/// (only with `~`) caps entries here, where Redis counts whole nodes (the fallback
/// cannot see nodes); `~` itself Redis ignores with these policies.
fn trim_args(cmd: &mut Cmd, t: &TrimOptions) {
    match t.strategy {
        TrimStrategy::MaxLen(n) => cmd.arg("MAXLEN").arg(n),
        TrimStrategy::MinId(id) => cmd.arg("MINID").arg(id.to_string()),
    };
    cmd.arg(t.policy.keyword()).arg(t.limit.unwrap_or(0));
}
