//! [`Command`]s as Redis commands: what single commands, pipelines and transactions
//! send (their replies are read by [`Command::read_reply`]).

use brook_engine::Command;
use bytes::Bytes;
use redis::Cmd;

use crate::RedisStreams;

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

/// XREAD or XREADGROUP `c` with `BLOCK ms`, written before the read's other options:
/// after `XREAD`, after `XREADGROUP GROUP group consumer` (a server finds the keys by
/// searching for `STREAMS` from the fifth argument, so nothing may come before `GROUP`);
/// `c` itself without `ms`.
pub(crate) fn blocking_cmd(c: &Command, block: Option<u64>) -> Cmd {
    let argv = c.to_argv();
    let Some(ms) = block else {
        return argv_cmd(&argv);
    };
    let at = match c {
        Command::XReadGroup { .. } => 4,
        _ => 1,
    }
    .min(argv.len());
    let mut cmd = Cmd::new();
    for a in &argv[..at] {
        cmd.arg(&a[..]);
    }
    cmd.arg("BLOCK").arg(ms);
    for a in &argv[at..] {
        cmd.arg(&a[..]);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use brook_engine::{Command, GroupReadId, XReadGroupOptions, XReadId};
    use bytes::Bytes;

    fn words(cmd: &redis::Cmd) -> Vec<String> {
        cmd.args_iter()
            .map(|a| match a {
                redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                _ => String::new(),
            })
            .collect()
    }

    /// BLOCK goes after `XREADGROUP GROUP group consumer` (a server looks for STREAMS
    /// from the fifth argument; a group named "streams" must not be taken for it) and
    /// right after `XREAD`.
    #[test]
    fn block_is_written_where_servers_find_the_keys() {
        let group = Command::XReadGroup {
            group: Bytes::from_static(b"streams"),
            consumer: Bytes::from_static(b"c"),
            streams: vec![(Bytes::from_static(b"k"), GroupReadId::New)],
            opts: XReadGroupOptions::default().count(2),
        };
        assert_eq!(
            words(&super::blocking_cmd(&group, Some(50))),
            [
                "XREADGROUP",
                "GROUP",
                "streams",
                "c",
                "BLOCK",
                "50",
                "COUNT",
                "2",
                "STREAMS",
                "k",
                ">"
            ]
        );
        let read = Command::XRead {
            streams: vec![(Bytes::from_static(b"k"), XReadId::Last)],
            count: None,
        };
        assert_eq!(
            words(&super::blocking_cmd(&read, Some(0))),
            ["XREAD", "BLOCK", "0", "STREAMS", "k", "$"]
        );
        assert_eq!(
            words(&super::blocking_cmd(&read, None)),
            ["XREAD", "STREAMS", "k", "$"]
        );
    }
}
