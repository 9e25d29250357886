//! What the server has, and Lua that gives the same observable result where it lacks a
//! command or option: XACKDEL, XDELEX and trimming with DELREF or ACKED (Redis 8.2),
//! XREADGROUP … CLAIM (Redis 8.4), on Redis 7.x and Valkey. Each script runs atomically
//! on the server, as the command would, and touches only the command's keys; inside
//! mark-and-ack-if-new's script (which cannot nest EVAL) the same Lua runs as functions.

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

/// A fallback script: one command's Lua, run alone with EVAL or as a function inside
/// the mark-and-ack script (which cannot nest EVAL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Script {
    /// XDELEX (Redis 8.2).
    XDelEx,
    /// XACKDEL (Redis 8.2).
    XAckDel,
    /// XREADGROUP … CLAIM without BLOCK (Redis 8.4).
    Claim,
    /// XTRIM with DELREF or ACKED (Redis 8.2).
    XTrim,
    /// XADD trimming with DELREF or ACKED (Redis 8.2).
    XAdd,
}

impl Script {
    const ALL: [Script; 5] = [
        Script::XDelEx,
        Script::XAckDel,
        Script::Claim,
        Script::XTrim,
        Script::XAdd,
    ];

    /// Its name in the mark-and-ack script's table of fallbacks.
    fn name(self) -> &'static str {
        match self {
            Script::XDelEx => "xdelex",
            Script::XAckDel => "xackdel",
            Script::Claim => "claim",
            Script::XTrim => "xtrim",
            Script::XAdd => "xadd",
        }
    }

    /// Its Lua (without the shared functions of `refs.lua`), which reads `KEYS` and
    /// `ARGV` and returns its reply.
    fn body(self) -> &'static str {
        match self {
            Script::XDelEx => include_str!("lua/xdelex.lua"),
            Script::XAckDel => include_str!("lua/xackdel.lua"),
            Script::Claim => include_str!("lua/xreadgroup_claim.lua"),
            Script::XTrim => include_str!("lua/xtrim_refs.lua"),
            Script::XAdd => include_str!("lua/xadd_refs.lua"),
        }
    }
}

/// One run of a fallback script: the script, its keys and its arguments.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    script: Script,
    keys: Vec<Bytes>,
    args: Vec<Bytes>,
}

/// `id` as an argument.
fn id_arg(id: StreamId) -> Bytes {
    Bytes::from(id.to_string())
}

/// A number as an argument.
fn num(n: impl ToString) -> Bytes {
    Bytes::from(n.to_string())
}

/// `key` as an owned argument.
fn owned(key: &[u8]) -> Bytes {
    Bytes::copy_from_slice(key)
}

impl Call {
    /// XDELEX.
    pub(crate) fn xdelex(key: &[u8], ids: &[StreamId], policy: RefPolicy) -> Call {
        let mut args = vec![Bytes::from_static(policy.keyword().as_bytes())];
        args.extend(ids.iter().map(|&id| id_arg(id)));
        Call {
            script: Script::XDelEx,
            keys: vec![owned(key)],
            args,
        }
    }

    /// XACKDEL.
    pub(crate) fn xackdel(key: &[u8], group: &[u8], ids: &[StreamId], policy: RefPolicy) -> Call {
        let mut args = vec![
            owned(group),
            Bytes::from_static(policy.keyword().as_bytes()),
        ];
        args.extend(ids.iter().map(|&id| id_arg(id)));
        Call {
            script: Script::XAckDel,
            keys: vec![owned(key)],
            args,
        }
    }

    /// XREADGROUP … CLAIM (without BLOCK).
    pub(crate) fn xreadgroup_claim(
        group: &[u8],
        consumer: &[u8],
        streams: &[(&[u8], brook_engine::GroupReadId)],
        opts: &brook_engine::XReadGroupOptions,
        min_idle: u64,
    ) -> Call {
        let mut args = vec![
            owned(group),
            owned(consumer),
            num(opts.count.unwrap_or(0)),
            num(u8::from(opts.noack)),
            num(min_idle),
        ];
        args.extend(streams.iter().map(|(_, at)| match at {
            brook_engine::GroupReadId::New => Bytes::from_static(b">"),
            brook_engine::GroupReadId::After(id) => id_arg(*id),
        }));
        Call {
            script: Script::Claim,
            keys: streams.iter().map(|(k, _)| owned(k)).collect(),
            args,
        }
    }

    /// XTRIM with DELREF/ACKED.
    pub(crate) fn xtrim(key: &[u8], t: &TrimOptions) -> Call {
        Call {
            script: Script::XTrim,
            keys: vec![owned(key)],
            args: trim_args(t),
        }
    }

    /// XADD trimming with DELREF/ACKED: the XADD without its trimming (`plain`, its
    /// whole argument vector), then the trim, in one script.
    pub(crate) fn xadd(key: &[u8], plain: &[Bytes], t: &TrimOptions) -> Call {
        let mut args = trim_args(t);
        // The plain XADD's arguments after its key.
        args.extend(plain.iter().skip(2).cloned());
        Call {
            script: Script::XAdd,
            keys: vec![owned(key)],
            args,
        }
    }
}

/// A write of mark-and-ack-if-new as the script runs it: a command as its argument
/// vector, or a fallback script's call.
#[derive(Clone, Debug)]
pub(crate) enum Effect {
    /// A command the server has, run with `redis.pcall`.
    Argv(Vec<Bytes>),
    /// A fallback, run as a function of the script.
    Script(Call),
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
    /// mark-and-ack-if-new whose writes are all commands.
    mark_ack: String,
    /// mark-and-ack-if-new with every fallback as a function, for writes that need one.
    mark_ack_fallbacks: String,
}

const REFS: &str = include_str!("lua/refs.lua");
const MARK_ACK: &str = include_str!("lua/mark_ack.lua");

impl Scripts {
    pub(crate) fn new() -> Scripts {
        let mut library = format!("{REFS}\nlocal fallbacks = {{}}\n");
        for script in Script::ALL {
            library.push_str(&format!(
                "fallbacks['{}'] = function(KEYS, ARGV)\n{}\nend\n",
                script.name(),
                script.body()
            ));
        }
        let source = |s: Script| format!("{REFS}\n{}", s.body());
        Scripts {
            xdelex: source(Script::XDelEx),
            xackdel: source(Script::XAckDel),
            claim: source(Script::Claim),
            xtrim: source(Script::XTrim),
            xadd: source(Script::XAdd),
            owner: format!("{REFS}\n{}", include_str!("lua/owner.lua")),
            mark_ack: format!("local fallbacks = {{}}\n{MARK_ACK}"),
            mark_ack_fallbacks: format!("{library}{MARK_ACK}"),
        }
    }

    /// `call` as EVAL.
    pub(crate) fn eval(&self, call: &Call) -> Cmd {
        let source = match call.script {
            Script::XDelEx => &self.xdelex,
            Script::XAckDel => &self.xackdel,
            Script::Claim => &self.claim,
            Script::XTrim => &self.xtrim,
            Script::XAdd => &self.xadd,
        };
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(source).arg(call.keys.len());
        for k in &call.keys {
            cmd.arg(&k[..]);
        }
        for a in &call.args {
            cmd.arg(&a[..]);
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

    /// mark-and-ack-if-new as `BROOK.MARKACK` (`brook serve`, which has every command
    /// natively): each write as its argument count and its argument vector.
    pub(crate) fn mark_ack_native(
        &self,
        (key, group, id): (&[u8], &[u8], StreamId),
        marker: &[u8],
        keep_ms: u64,
        effects: &[Vec<Bytes>],
    ) -> Cmd {
        let mut cmd = redis::cmd("BROOK.MARKACK");
        cmd.arg(key)
            .arg(marker)
            .arg(group)
            .arg(id.to_string())
            .arg(keep_ms.max(1))
            .arg(effects.len());
        for argv in effects {
            cmd.arg(argv.len());
            for a in argv {
                cmd.arg(&a[..]);
            }
        }
        cmd
    }

    /// mark-and-ack-if-new as EVAL: each write as its kind (empty for a command, else
    /// the fallback's name), its argument count and its arguments (a fallback's: its
    /// key count, keys and arguments). The fallbacks are in the script only when a
    /// write needs one.
    pub(crate) fn mark_ack(
        &self,
        (key, group, id): (&[u8], &[u8], StreamId),
        marker: &[u8],
        keep_ms: u64,
        effects: &[Effect],
    ) -> Cmd {
        let with_fallbacks = effects.iter().any(|e| matches!(e, Effect::Script(_)));
        let source = if with_fallbacks {
            &self.mark_ack_fallbacks
        } else {
            &self.mark_ack
        };
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(source)
            .arg(2)
            .arg(key)
            .arg(marker)
            .arg(group)
            .arg(id.to_string())
            .arg(keep_ms.max(1))
            .arg(effects.len());
        for e in effects {
            match e {
                Effect::Argv(argv) => {
                    cmd.arg("").arg(argv.len());
                    for a in argv {
                        cmd.arg(&a[..]);
                    }
                }
                Effect::Script(call) => {
                    cmd.arg(call.script.name())
                        .arg(1 + call.keys.len() + call.args.len())
                        .arg(call.keys.len());
                    for a in call.keys.iter().chain(&call.args) {
                        cmd.arg(&a[..]);
                    }
                }
            }
        }
        cmd
    }
}

/// The trim script's arguments: strategy, threshold, policy, limit (0: none). A LIMIT
/// (only with `~`) caps entries here, where Redis counts whole nodes (the fallback
/// cannot see nodes); `~` itself Redis ignores with these policies.
fn trim_args(t: &TrimOptions) -> Vec<Bytes> {
    let (strategy, threshold) = match t.strategy {
        TrimStrategy::MaxLen(n) => ("MAXLEN", num(n)),
        TrimStrategy::MinId(id) => ("MINID", id_arg(id)),
    };
    vec![
        Bytes::from_static(strategy.as_bytes()),
        threshold,
        Bytes::from_static(t.policy.keyword().as_bytes()),
        num(t.limit.unwrap_or(0)),
    ]
}
