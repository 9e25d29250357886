//! `COMMAND`, `COMMAND COUNT`, `COMMAND LIST`, `COMMAND INFO [name …]` and
//! `COMMAND DOCS [name …]`: what the server runs, described as Redis 8 describes it,
//! enough for clients that probe (brook-redis looks for XACKDEL/XDELEX and for
//! XREADGROUP's CLAIM; cluster clients read arity, flags and key positions).
//!
//! Every command is described by its row ([`CommandSpec`]): the engine's table for the
//! engine's commands, the server's for its own. Key specs are not listed (an empty
//! array): the first/last/step key positions carry what the clients here use. DOCS
//! gives each command's summary, version, group and its arguments by name and token.

use brook_engine::frontend::CommandSpec;
use bytes::Bytes;

use super::{all_specs, Session, Step};
use crate::Shared;

/// The top-level command `name` (any case), as `COMMAND INFO` and `DOCS` find it.
fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    super::spec(name)
}

fn info(sess: &mut Session, doc: &CommandSpec) {
    let out = &mut sess.out;
    out.array(10);
    out.bulk_str(doc.name);
    out.int(i64::from(doc.arity));
    out.set(doc.flags.len());
    for f in doc.flags {
        out.simple(f);
    }
    out.int(i64::from(doc.keys.first));
    out.int(i64::from(doc.keys.last));
    out.int(i64::from(doc.keys.step));
    out.set(doc.acl_categories.len());
    for a in doc.acl_categories {
        out.simple(a);
    }
    out.array(0);
    out.array(0);
    out.array(doc.subcommands.len());
    for s in doc.subcommands {
        info(sess, s);
    }
}

fn docs(sess: &mut Session, doc: &CommandSpec) {
    let args: Vec<&str> = doc.args.split_whitespace().collect();
    let fields = 3 + usize::from(!args.is_empty()) + usize::from(!doc.subcommands.is_empty());
    let out = &mut sess.out;
    out.map(fields);
    out.bulk_str("summary");
    out.bulk_str(doc.summary);
    out.bulk_str("since");
    out.bulk_str(doc.since);
    out.bulk_str("group");
    out.bulk_str(doc.group);
    if !args.is_empty() {
        out.bulk_str("arguments");
        out.array(args.len());
        for a in args {
            let (token, name) = match a.split_once(':') {
                Some((t, n)) => (Some(t), n.to_string()),
                None if a.chars().any(|c| c.is_ascii_uppercase()) => {
                    (Some(a), a.to_ascii_lowercase())
                }
                None => (None, a.to_string()),
            };
            let kind = match (token, a) {
                (_, "key") => "key",
                (Some(t), _) if a == t => "pure-token",
                _ => "string",
            };
            out.map(3 + usize::from(token.is_some()));
            out.bulk_str("name");
            out.bulk_str(&name);
            out.bulk_str("type");
            out.bulk_str(kind);
            out.bulk_str("display_text");
            out.bulk_str(&name);
            if let Some(t) = token {
                out.bulk_str("token");
                out.bulk_str(t);
            }
        }
    }
    if !doc.subcommands.is_empty() {
        sess.out.bulk_str("subcommands");
        sess.out.map(doc.subcommands.len());
        for s in doc.subcommands {
            sess.out.bulk_str(s.name);
            docs(sess, s);
        }
    }
}

/// `COMMAND [COUNT | LIST | INFO [name …] | DOCS [name …]]`.
pub(super) fn run(_: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let count = all_specs().count();
    let Some(sub) = argv.get(1) else {
        sess.out.array(count);
        for d in all_specs() {
            info(sess, d);
        }
        return Step::Done;
    };
    let sub_lc = String::from_utf8_lossy(sub).to_ascii_lowercase();
    let arity_err = |sess: &mut Session| {
        sess.out.error(&format!(
            "ERR wrong number of arguments for 'command|{sub_lc}' command"
        ));
    };
    match sub_lc.as_str() {
        "count" | "list" if argv.len() != 2 => arity_err(sess),
        "count" => sess.out.int(i64::try_from(count).unwrap_or(i64::MAX)),
        "list" => {
            sess.out.array(count);
            for d in all_specs() {
                sess.out.bulk_str(d.name);
            }
        }
        "info" if argv.len() == 2 => {
            sess.out.array(count);
            for d in all_specs() {
                info(sess, d);
            }
        }
        "info" => {
            sess.out.array(argv.len() - 2);
            for name in &argv[2..] {
                match lookup(name) {
                    Some(d) => info(sess, d),
                    None => sess.out.null(),
                }
            }
        }
        "docs" => {
            let found: Vec<&CommandSpec> = if argv.len() == 2 {
                all_specs().collect()
            } else {
                argv[2..].iter().filter_map(|n| lookup(n)).collect()
            };
            sess.out.map(found.len());
            for d in found {
                sess.out.bulk_str(d.name);
                docs(sess, d);
            }
        }
        _ => sess.out.error(&format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            String::from_utf8_lossy(sub)
        )),
    }
    Step::Done
}

#[cfg(test)]
mod tests {
    use super::super::{find, spec, SERVER_COMMANDS, SERVER_RUN};

    /// The server's own rows and the engine's name different commands, and every
    /// engine command the server runs itself is an engine command.
    #[test]
    fn one_row_per_command() {
        for c in SERVER_COMMANDS {
            assert!(
                brook_engine::frontend::command_spec(c.spec.name).is_none(),
                "{} is described by the engine and the server",
                c.spec.name
            );
        }
        for (name, _) in SERVER_RUN {
            assert!(
                brook_engine::frontend::command_spec(name).is_some(),
                "{name} is run by the server but not an engine command"
            );
            assert!(find(name.as_bytes()).is_some());
        }
        let mut names: Vec<&str> = super::all_specs().map(|c| c.name).collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all, "a command described twice");
    }

    /// COMMAND INFO's arity is the dispatcher's: the rows the server checks commands
    /// against are the rows it describes.
    #[test]
    fn described_as_dispatched() {
        for name in ["xadd", "client", "config", "flushall", "command", "hello"] {
            let described = spec(name.as_bytes()).map(|c| c as *const _);
            let dispatched = find(name.as_bytes())
                .map(|c| c.spec as *const _)
                .or_else(|| brook_engine::frontend::command_spec(name).map(|c| c as *const _));
            assert_eq!(described, dispatched, "{name}");
        }
        assert!(find(b"hello").is_some_and(|c| c.spec.has_flag("no_auth")));
        assert!(find(b"ping").is_some_and(|c| !c.spec.has_flag("no_auth")));
    }
}
