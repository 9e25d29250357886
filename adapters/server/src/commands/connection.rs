//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET, TIME.

use brook_engine::Error;

use brook_engine::frontend::Protocol;
use bytes::Bytes;

use super::{Session, Step};
use crate::Shared;
use brook_engine::frontend::parse_i64;

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// `PING [message]`: `+PONG`, or the message as a bulk string.
pub(super) fn ping(_: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    if argv.len() > 2 {
        sess.out.error(&Error::WrongArity("ping").to_string());
        return Step::Done;
    }
    if sess.subs.count() > 0 && sess.out.proto == Protocol::Resp2 {
        sess.out.array(2);
        sess.out.bulk(b"pong");
        sess.out.bulk(argv.get(1).map_or(&b""[..], |m| &m[..]));
        return Step::Done;
    }
    match argv.get(1) {
        Some(msg) => sess.out.bulk(msg),
        None => sess.out.simple("PONG"),
    }
    Step::Done
}

/// `ECHO message`.
pub(super) fn echo(_: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    sess.out.bulk(&argv[1]);
    Step::Done
}

/// Checks a password for `user` against `requirepass` (the default user's password;
/// without one, the default user takes any password, as Redis's `nopass` user does).
fn authenticate(shared: &Shared, user: &[u8], pass: &[u8]) -> bool {
    user == b"default"
        && shared
            .config
            .requirepass
            .as_ref()
            .is_none_or(|p| p.as_bytes() == pass)
}

/// `AUTH [username] password`.
pub(super) fn auth(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    if argv.len() > 3 {
        sess.out.error("ERR syntax error");
        return Step::Done;
    }
    if argv.len() == 2 && shared.config.requirepass.is_none() {
        sess.out.error(
            "ERR AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?",
        );
        return Step::Done;
    }
    let (user, pass) = match argv {
        [_, pass] => (&b"default"[..], &pass[..]),
        [_, user, pass] => (&user[..], &pass[..]),
        _ => return Step::Done,
    };
    if authenticate(shared, user, pass) {
        sess.authed = true;
        sess.out.ok();
    } else {
        sess.out.error(WRONGPASS);
    }
    Step::Done
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`: switches the
/// protocol and answers the server's description as a map.
pub(super) fn hello(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let mut ver = None;
    if let Some(v) = argv.get(1) {
        match parse_i64(v) {
            Some(v) if (2..=3).contains(&v) => ver = Some(v),
            Some(_) => {
                sess.out.error("NOPROTO unsupported protocol version");
                return Step::Done;
            }
            None => {
                sess.out
                    .error("ERR Protocol version is not an integer or out of range");
                return Step::Done;
            }
        }
    }
    let mut creds = None;
    let mut name = None;
    let mut j = 2;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = &argv[j];
        if opt.eq_ignore_ascii_case(b"AUTH") && more >= 2 {
            creds = Some((&argv[j + 1], &argv[j + 2]));
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"SETNAME") && more >= 1 {
            name = Some(&argv[j + 1]);
            j += 2;
        } else {
            sess.out.error(&format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            ));
            return Step::Done;
        }
    }
    if let Some((user, pass)) = creds {
        if !authenticate(shared, user, pass) {
            sess.out.error(WRONGPASS);
            return Step::Done;
        }
        sess.authed = true;
    }
    if !sess.authed {
        sess.out.error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
             select the RESP protocol version at the same time",
        );
        return Step::Done;
    }
    if let Some(name) = name {
        if let Err(e) = super::client::check_name(name) {
            sess.out.error(e);
            return Step::Done;
        }
        sess.client.meta().name = name.to_vec();
    }
    match ver {
        Some(3) => sess.set_proto(Protocol::Resp3),
        Some(_) => sess.set_proto(Protocol::Resp2),
        None => {}
    }
    let out = &mut sess.out;
    out.map(7);
    out.bulk_str("server");
    out.bulk_str("redis");
    out.bulk_str("version");
    out.bulk_str(crate::REDIS_VERSION);
    out.bulk_str("proto");
    out.int(if out.proto == Protocol::Resp3 { 3 } else { 2 });
    out.bulk_str("id");
    out.int(i64::try_from(sess.client.id).unwrap_or(i64::MAX));
    out.bulk_str("mode");
    out.bulk_str("standalone");
    out.bulk_str("role");
    out.bulk_str("master");
    out.bulk_str("modules");
    out.array(0);
    Step::Done
}

/// `SELECT index`.
pub(super) fn select(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    match parse_i64(&argv[1]).filter(|v| i32::try_from(*v).is_ok()) {
        None => sess
            .out
            .error("ERR value is not an integer or out of range"),
        // A cluster has database 0 only (Redis 8.6.3's words, checked on a one-node
        // cluster).
        Some(db) if db != 0 && shared.dbs[0].config().cluster => {
            sess.out.error("ERR SELECT is not allowed in cluster mode")
        }
        Some(db) if db < 0 || db as usize >= shared.dbs.len() => {
            sess.out.error("ERR DB index is out of range")
        }
        Some(db) => {
            sess.db = db as usize;
            sess.client.meta().db = sess.db;
            sess.out.ok();
        }
    }
    Step::Done
}

/// `QUIT`: `+OK`, then the connection closes.
pub(super) fn quit(_: &Shared, sess: &mut Session, _: &[Bytes]) -> Step {
    sess.out.ok();
    Step::Close
}

/// `RESET`: back to a fresh connection's state (database 0, RESP2, no transaction, no
/// name, logged out when a password is set).
pub(super) fn reset(shared: &Shared, sess: &mut Session, _: &[Bytes]) -> Step {
    sess.multi = None;
    super::multi::unwatch_all(shared, sess);
    super::pubsub::clear(sess);
    sess.db = 0;
    sess.authed = shared.config.requirepass.is_none();
    sess.set_proto(Protocol::Resp2);
    {
        let mut meta = sess.client.meta();
        meta.db = 0;
        meta.name.clear();
        meta.multi = None;
    }
    sess.out.simple("RESET");
    Step::Done
}

/// `TIME`: seconds and microseconds, from the engines' clock (the virtual one with
/// `--clock manual`).
pub(super) fn time(shared: &Shared, sess: &mut Session, _: &[Bytes]) -> Step {
    let (secs, micros) = match &shared.clock {
        Some(_) => {
            let ms = shared.now_ms();
            (ms / 1000, (ms % 1000) * 1000)
        }
        None => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            (now.as_secs(), u64::from(now.subsec_micros()))
        }
    };
    sess.out.array(2);
    sess.out.bulk(secs.to_string().as_bytes());
    sess.out.bulk(micros.to_string().as_bytes());
    Step::Done
}
