//! `COPY source destination DB n [REPLACE]` across databases: each database is an
//! engine of its own, so the server runs a COPY that names a database itself — the
//! engine runs a COPY without one. Redis's checks in Redis's order: the keys' slot and
//! the memory cap (as the dispatcher checks them), the options
//! ([`CopyOptions::parse`], for this server's databases — database 0 alone in cluster
//! mode, as Redis 8.6.3 answers `DB 1` there with `ERR DB index is out of range`), then
//! the copy: in the selected database when `n` names it, else
//! [`Engine::copy_to`](brook_engine::Engine::copy_to), with both databases locked.
//! Inside MULTI/EXEC such a COPY runs in place, as the server's own commands do.

use brook_engine::frontend::CopyOptions;
use brook_engine::{Error, Reply};
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
    // A cluster has database 0 only: Redis 8 answers any other index as out of range
    // (Redis 7 had its own error for it, `Error::CopyDbInCluster`).
    let databases = if cluster { 1 } else { shared.dbs.len() };
    let opts = CopyOptions::parse(argv, databases)?;
    let to = opts.db.unwrap_or(sess.db);
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

#[cfg(test)]
mod tests {
    use brook_engine::{Error, Reply};
    use bytes::Bytes;

    use super::copy;
    use crate::commands::Session;
    use crate::{ServerConfig, Shared};

    fn argv(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    /// In cluster mode only database 0 exists: `DB 1` is out of range (Redis 8.6.3's
    /// answer, checked on a one-node cluster; Redis 7.0 words it differently) and
    /// `DB 0` copies; outside cluster mode `DB 1` copies across databases.
    #[test]
    fn cluster_mode_has_database_0_only() {
        let shared = Shared::new(ServerConfig::default(), 0);
        let sess = Session::new(&shared, shared.registry.add(String::new(), String::new()));
        let set = argv(&["SET", "{a}x", "1"]);
        shared.dbs[0].execute(&set);
        let to_db1 = argv(&["COPY", "{a}x", "{a}y", "DB", "1"]);
        assert_eq!(copy(&shared, &sess, &to_db1), Ok(Reply::Integer(1)));

        let mut config = shared.dbs[0].config();
        config.cluster = true;
        shared.dbs[0].set_config(config);
        assert_eq!(
            copy(&shared, &sess, &argv(&["COPY", "{a}x", "{a}z", "DB", "1"])),
            Err(Error::DbIndexOutOfRange)
        );
        assert_eq!(
            copy(&shared, &sess, &argv(&["COPY", "{a}x", "{a}z", "DB", "0"])),
            Ok(Reply::Integer(1))
        );
        assert_eq!(
            copy(&shared, &sess, &argv(&["COPY", "{a}x", "{b}z", "DB", "0"])),
            Err(Error::CrossSlot)
        );
        // Nor can a connection leave database 0 there.
        let mut sess = sess;
        super::super::connection::select(&shared, &mut sess, &argv(&["SELECT", "1"]));
        assert_eq!(sess.db, 0);
        let out = String::from_utf8_lossy(&sess.out.buf).into_owned();
        assert_eq!(out, "-ERR SELECT is not allowed in cluster mode\r\n");
    }
}
