//! `CLIENT` subcommands: ID, SETNAME, GETNAME, SETINFO, INFO, LIST, KILL, UNBLOCK,
//! NO-EVICT, NO-TOUCH, REPLY (ON only), HELP.

use std::fmt::Write as _;

use brook_engine::Error;
use bytes::Bytes;

use super::{arity_ok, Session, Step};
use crate::registry::{Client, Unblock};
use crate::Shared;
use brook_engine::frontend::parse_i64;

/// Redis's rule for names and library attributes: printable ASCII without spaces.
pub(super) fn check_name(name: &[u8]) -> Result<(), &'static str> {
    if name.iter().all(|&b| (b'!'..=b'~').contains(&b)) {
        Ok(())
    } else {
        Err("ERR Client names cannot contain spaces, newlines or special characters.")
    }
}

/// `CLIENT subcommand …`.
pub(super) fn run(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let Some(spec) = super::find(b"client").and_then(|c| c.spec.subcommand(&argv[1])) else {
        sess.out
            .error(&Error::unknown_subcommand(&argv[1], "CLIENT").to_string());
        return Step::Done;
    };
    if !arity_ok(spec.arity, argv.len()) {
        sess.out.error(&Error::WrongArity(spec.name).to_string());
        return Step::Done;
    }
    let name = spec.name.strip_prefix("client|").unwrap_or(spec.name);
    match name {
        "id" => sess
            .out
            .int(i64::try_from(sess.client.id).unwrap_or(i64::MAX)),
        "setname" => match check_name(&argv[2]) {
            Ok(()) => {
                sess.client.meta().name = argv[2].to_vec();
                sess.out.ok();
            }
            Err(e) => sess.out.error(e),
        },
        "getname" => {
            let name = sess.client.meta().name.clone();
            if name.is_empty() {
                sess.out.null();
            } else {
                sess.out.bulk(&name);
            }
        }
        "setinfo" => setinfo(sess, &argv[2], &argv[3]),
        "info" => {
            let line = describe(shared, &sess.client);
            sess.out.verbatim(line.as_bytes());
        }
        "list" => list(shared, sess, &argv[2..]),
        "kill" => kill(shared, sess, &argv[2..]),
        "unblock" => unblock(shared, sess, &argv[2..]),
        "no-evict" | "no-touch" => {
            if argv[2].eq_ignore_ascii_case(b"on") || argv[2].eq_ignore_ascii_case(b"off") {
                sess.out.ok();
            } else {
                sess.out.error("ERR syntax error");
            }
        }
        "reply" => {
            if argv[2].eq_ignore_ascii_case(b"on") {
                sess.out.ok();
            } else if argv[2].eq_ignore_ascii_case(b"off") || argv[2].eq_ignore_ascii_case(b"skip")
            {
                sess.out
                    .error("ERR CLIENT REPLY OFF and SKIP are not supported by brook serve");
            } else {
                sess.out.error("ERR syntax error");
            }
        }
        _ => help(sess),
    }
    Step::Done
}

fn setinfo(sess: &mut Session, attr: &[u8], value: &[u8]) {
    let attr_text = String::from_utf8_lossy(attr);
    let lib_name = attr.eq_ignore_ascii_case(b"lib-name");
    if !lib_name && !attr.eq_ignore_ascii_case(b"lib-ver") {
        sess.out
            .error(&format!("ERR Unrecognized option '{attr_text}'"));
        return;
    }
    if check_name(value).is_err() {
        sess.out.error(&format!(
            "ERR {attr_text} cannot contain spaces, newlines or special characters."
        ));
        return;
    }
    let mut meta = sess.client.meta();
    if lib_name {
        meta.lib_name = value.to_vec();
    } else {
        meta.lib_ver = value.to_vec();
    }
    drop(meta);
    sess.out.ok();
}

/// One client's `CLIENT LIST` line (without the newline), in Redis's field order.
pub(crate) fn describe(_shared: &Shared, c: &Client) -> String {
    let m = c.meta().clone();
    let mut flags = String::new();
    if m.blocked {
        flags.push('b');
    }
    if m.sub + m.psub > 0 {
        flags.push('P');
    }
    if m.multi.is_some() {
        flags.push('x');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let mut s = String::new();
    let _ = write!(
        s,
        "id={} addr={} laddr={} fd=8 name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 \
         multi={} watch={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp=0 obl={} oll=0 \
         omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={} \
         io-thread=0",
        c.id,
        c.addr,
        c.laddr,
        String::from_utf8_lossy(&m.name),
        c.created.elapsed().as_secs(),
        m.last.elapsed().as_secs(),
        flags,
        m.db,
        m.sub,
        m.psub,
        m.multi.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)),
        m.watch,
        m.buffers.query,
        m.buffers.query_free,
        m.buffers.query + m.buffers.query_free,
        m.buffers.unsent,
        m.buffers.output,
        m.buffers.query + m.buffers.query_free + m.buffers.output,
        m.cmd.text(),
        m.resp,
        String::from_utf8_lossy(&m.lib_name),
        String::from_utf8_lossy(&m.lib_ver),
    );
    s.push('\n');
    s
}

/// `CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id …]`.
fn list(shared: &Shared, sess: &mut Session, args: &[Bytes]) {
    let mut clients = shared.registry.all();
    match args {
        [] => {}
        [t, kind] if t.eq_ignore_ascii_case(b"type") => {
            let kind = String::from_utf8_lossy(kind).to_ascii_lowercase();
            match kind.as_str() {
                "normal" => clients.retain(|c| c.subscriptions() == 0),
                "pubsub" => clients.retain(|c| c.subscriptions() > 0),
                "master" | "replica" | "slave" => clients.clear(),
                _ => {
                    sess.out.error(&format!("ERR Unknown client type '{kind}'"));
                    return;
                }
            }
        }
        [i, ids @ ..] if i.eq_ignore_ascii_case(b"id") && !ids.is_empty() => {
            let mut wanted = Vec::new();
            for id in ids {
                match parse_i64(id) {
                    Some(v) if v > 0 => wanted.push(v as u64),
                    _ => {
                        sess.out.error("ERR Invalid client ID");
                        return;
                    }
                }
            }
            clients.retain(|c| wanted.contains(&c.id));
        }
        _ => {
            sess.out.error("ERR syntax error");
            return;
        }
    }
    let text: String = clients.iter().map(|c| describe(shared, c)).collect();
    sess.out.verbatim(text.as_bytes());
}

/// `CLIENT KILL addr` or `CLIENT KILL [ID id] [ADDR addr] [LADDR addr] [USER name]
/// [SKIPME yes|no] [MAXAGE secs]`.
fn kill(shared: &Shared, sess: &mut Session, args: &[Bytes]) {
    if let [addr] = args {
        match shared
            .registry
            .all()
            .into_iter()
            .find(|c| c.addr.as_bytes() == &addr[..])
        {
            Some(c) => {
                c.request_kill();
                sess.out.ok();
            }
            None => sess.out.error("ERR No such client"),
        }
        return;
    }
    let mut id = None;
    let mut addr = None;
    let mut laddr = None;
    let mut user = None;
    let mut skipme = true;
    let mut maxage = None;
    let mut i = 0;
    while i < args.len() {
        let Some(value) = args.get(i + 1) else {
            sess.out.error("ERR syntax error");
            return;
        };
        let opt = &args[i];
        if opt.eq_ignore_ascii_case(b"id") {
            match parse_i64(value) {
                Some(v) if v > 0 => id = Some(v as u64),
                _ => {
                    sess.out.error("ERR client-id should be greater than 0");
                    return;
                }
            }
        } else if opt.eq_ignore_ascii_case(b"addr") {
            addr = Some(value.clone());
        } else if opt.eq_ignore_ascii_case(b"laddr") {
            laddr = Some(value.clone());
        } else if opt.eq_ignore_ascii_case(b"user") {
            user = Some(value.clone());
        } else if opt.eq_ignore_ascii_case(b"skipme") {
            if value.eq_ignore_ascii_case(b"yes") {
                skipme = true;
            } else if value.eq_ignore_ascii_case(b"no") {
                skipme = false;
            } else {
                sess.out.error("ERR syntax error");
                return;
            }
        } else if opt.eq_ignore_ascii_case(b"maxage") {
            match parse_i64(value) {
                Some(v) => maxage = Some(v),
                None => {
                    sess.out
                        .error("ERR value is not an integer or out of range");
                    return;
                }
            }
        } else {
            sess.out.error("ERR syntax error");
            return;
        }
        i += 2;
    }
    let mut killed = 0;
    for c in shared.registry.all() {
        let hit = id.is_none_or(|id| c.id == id)
            && addr.as_ref().is_none_or(|a| c.addr.as_bytes() == &a[..])
            && laddr.as_ref().is_none_or(|a| c.laddr.as_bytes() == &a[..])
            && user.as_ref().is_none_or(|u| &u[..] == b"default")
            && maxage.is_none_or(|age| c.created.elapsed().as_secs() as i64 >= age)
            && !(skipme && c.id == sess.client.id);
        if hit {
            c.request_kill();
            killed += 1;
        }
    }
    sess.out.int(killed);
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`.
fn unblock(shared: &Shared, sess: &mut Session, args: &[Bytes]) {
    let Some(id) = parse_i64(&args[0]) else {
        sess.out
            .error("ERR value is not an integer or out of range");
        return;
    };
    let how = match args.get(1) {
        None => Unblock::Timeout,
        Some(r) if r.eq_ignore_ascii_case(b"timeout") => Unblock::Timeout,
        Some(r) if r.eq_ignore_ascii_case(b"error") => Unblock::Error,
        Some(_) => {
            sess.out
                .error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    };
    if args.len() > 2 {
        sess.out.error("ERR syntax error");
        return;
    }
    let done = u64::try_from(id)
        .ok()
        .and_then(|id| shared.registry.get(id))
        .is_some_and(|c| c.request_unblock(how));
    // Redis charges the error it sends the unblocked client to this command as well:
    // it is sent while CLIENT UNBLOCK runs.
    sess.failed_elsewhere = done && how == Unblock::Error;
    sess.out.int(i64::from(done));
}

fn help(sess: &mut Session) {
    let lines = [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ID",
        "    Return the ID of the current connection.",
        "GETNAME",
        "    Return the name of the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "INFO",
        "    Return information about the current client connection.",
        "LIST [options ...]",
        "    Return information about client connections.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are ID, ADDR, LADDR, USER, SKIPME, MAXAGE.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "HELP",
        "    Print this help.",
    ];
    sess.out.array(lines.len());
    for l in lines {
        sess.out.simple(l);
    }
}
