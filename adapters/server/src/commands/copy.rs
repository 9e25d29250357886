//! `COPY source destination DB n [REPLACE]` across databases: each database is an
//! engine of its own, so the server runs a COPY that names a database itself — the
//! engine runs a COPY without one. Redis's checks in Redis's order: the keys' slot and
//! the memory cap (as the dispatcher checks them), the options
//! ([`CopyOptions::parse`], for this server's databases), cluster mode (`DB` must not
//! leave database 0), then the copy: in the selected database when `n` names it, else
//! [`Engine::copy_to`](brook_engine::Engine::copy_to), with both databases locked.
//! Inside MULTI/EXEC such a COPY runs in place, as the server's own commands do.

use brook_engine::{CopyOptions, Error, Reply};
use bytes::Bytes;

use super::{engine_now, Session, Step};
use crate::Shared;

/// Whether the server runs this command itself: a COPY with a `DB` option.
pub(super) fn names_db(argv: &[Bytes]) -> bool {
    argv.first()
        .is_some_and(|n| n.eq_ignore_ascii_case(b"copy"))
        && argv
            .get(3..)
            .is_some_and(|opts| opts.iter().any(|a| a.eq_ignore_ascii_case(b"db")))
}

/// `COPY source destination … DB n …`.
pub(super) fn run(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let reply = copy(shared, sess, argv).unwrap_or_else(Reply::Error);
    sess.out.reply(&reply);
    Step::Done
}

fn copy(shared: &Shared, sess: &Session, argv: &[Bytes]) -> Result<Reply, Error> {
    let (src, dst) = (&argv[1], &argv[2]);
    let engine = sess.engine(shared);
    let cluster = engine.with_keyspace(|ks, _| {
        ks.check_slots([&src[..], &dst[..]])?;
        ks.check_oom()?;
        Ok::<_, Error>(ks.config().cluster)
    })?;
    let opts = CopyOptions::parse(argv, shared.dbs.len())?;
    let to = opts.db.unwrap_or(sess.db);
    if cluster && (sess.db != 0 || to != 0) {
        return Err(Error::CopyDbInCluster);
    }
    let Some(dest) = shared.dbs.get(to).filter(|_| to != sess.db) else {
        // The selected database: the engine's own COPY, without the option.
        let mut same = vec![argv[0].clone(), src.clone(), dst.clone()];
        if opts.replace {
            same.push(Bytes::from_static(b"REPLACE"));
        }
        return Ok(engine_now(engine, &same));
    };
    let copied = engine.copy_to(src, dest, dst, to, opts.replace)?;
    Ok(Reply::Integer(i64::from(copied)))
}
