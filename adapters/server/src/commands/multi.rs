//! MULTI / EXEC / DISCARD / WATCH / UNWATCH: commands queued after MULTI run together
//! at EXEC, the engine commands among them under one engine lock (nothing else runs in
//! between, as in Redis). A command refused while queueing (unknown, wrong arity, not
//! authenticated) makes EXEC answer `EXECABORT`. A key under WATCH that was modified
//! (as Redis counts modifications: see [`brook_engine::frontend::Keyspace::key_version`]) makes
//! EXEC answer nil; the check is made under the same lock as the transaction's first
//! engine commands.

use bytes::Bytes;

use super::{find_for, stats_name, Session, Step};
use crate::Shared;

/// An open transaction.
#[derive(Debug, Default)]
pub struct Multi {
    /// The queued commands.
    pub queue: Vec<Vec<Bytes>>,
    /// A command was refused while queueing.
    pub failed: bool,
}

/// `MULTI`.
pub(super) fn multi(_: &Shared, sess: &mut Session, _: &[Bytes]) -> Step {
    if sess.multi.is_some() {
        sess.out.error("ERR MULTI calls can not be nested");
        return Step::Done;
    }
    sess.multi = Some(Multi::default());
    sess.client.meta().multi = Some(0);
    sess.out.ok();
    Step::Done
}

/// `DISCARD`.
pub(super) fn discard(shared: &Shared, sess: &mut Session, _: &[Bytes]) -> Step {
    if sess.multi.take().is_none() {
        sess.out.error("ERR DISCARD without MULTI");
        return Step::Done;
    }
    unwatch_all(shared, sess);
    sess.client.meta().multi = None;
    sess.out.ok();
    Step::Done
}

/// `WATCH key [key …]`.
pub(super) fn watch(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    if sess.multi.is_some() {
        sess.out.error("ERR WATCH inside MULTI is not allowed");
        return Step::Done;
    }
    let db = sess.db;
    for key in &argv[1..] {
        if sess.watches.iter().any(|(d, k, _)| *d == db && k == key) {
            continue;
        }
        let version = sess.engine(shared).with_keyspace(|ks, _| ks.watch_key(key));
        // A copy: the argument is a slice of the read buffer it would keep alive.
        sess.watches
            .push((db, Bytes::copy_from_slice(key), version));
    }
    sess.client.meta().watch = sess.watches.len();
    sess.out.ok();
    Step::Done
}

/// `UNWATCH`.
pub(super) fn unwatch(shared: &Shared, sess: &mut Session, _: &[Bytes]) -> Step {
    unwatch_all(shared, sess);
    sess.out.ok();
    Step::Done
}

/// Forgets every watched key (EXEC, DISCARD, UNWATCH, RESET, disconnect).
pub fn unwatch_all(shared: &Shared, sess: &mut Session) {
    for (db, key, _) in sess.watches.drain(..) {
        if let Some(e) = shared.dbs.get(db) {
            e.with_keyspace(|ks, _| ks.unwatch_key(&key));
        }
    }
    sess.client.meta().watch = 0;
}

/// True when a watched key of database `db` changed (checked under its lock).
fn dirty_in(
    ks: &brook_engine::frontend::Keyspace,
    watches: &[(usize, Bytes, u64)],
    db: usize,
) -> bool {
    watches
        .iter()
        .filter(|(d, _, _)| *d == db)
        .any(|(_, k, v)| ks.key_version(k) != Some(*v))
}

/// `EXEC`: every queued reply in one array. Server commands in the queue (PING, ECHO,
/// SELECT, CLIENT …) answer in place; each run of engine commands between them is one
/// atomic batch on the database selected at that point.
pub(super) fn exec(shared: &Shared, sess: &mut Session, _: &[Bytes]) -> Step {
    let Some(multi) = sess.multi.take() else {
        sess.out.error("ERR EXEC without MULTI");
        return Step::Done;
    };
    sess.client.meta().multi = None;
    if multi.failed {
        unwatch_all(shared, sess);
        sess.out
            .error("EXECABORT Transaction discarded because of previous errors.");
        return Step::Done;
    }
    let queue = multi.queue;
    let watches = std::mem::take(&mut sess.watches);
    // Watches in other databases are checked first; those in the selected one with
    // its first engine commands, or now when the queue starts with a server command.
    let first_db = sess.db;
    let starts_with_engine = queue.first().is_some_and(|a| find_for(a).is_none());
    let dirty = watches
        .iter()
        .any(|(d, _, _)| *d != first_db || !starts_with_engine)
        && shared.dbs.iter().enumerate().any(|(db, e)| {
            (db != first_db || !starts_with_engine)
                && watches.iter().any(|(d, _, _)| *d == db)
                && e.with_keyspace(|ks, _| dirty_in(ks, &watches, db))
        });
    sess.watches = watches;
    if dirty {
        unwatch_all(shared, sess);
        sess.out.null_array();
        return Step::Done;
    }
    let mut header = Some(queue.len());
    let mut i = 0;
    if !starts_with_engine {
        if let Some(n) = header.take() {
            sess.out.array(n);
        }
    }
    // Each queued command is a call of its own (Redis's `call()` inside EXEC); their
    // errors are theirs, not EXEC's.
    let mut nested_errors = 0;
    while i < queue.len() {
        if let Some(c) = find_for(&queue[i]) {
            let errors = sess.out.errors;
            let started = std::time::Instant::now();
            let _ = (c.run)(shared, sess, &queue[i]);
            let failed = sess.out.errors > errors || std::mem::take(&mut sess.failed_elsewhere);
            nested_errors += sess.out.errors - errors;
            shared
                .stats
                .call(&stats_name(&queue[i]), micros(started), failed);
            i += 1;
            continue;
        }
        let end = queue[i..]
            .iter()
            .position(|argv| find_for(argv).is_some())
            .map_or(queue.len(), |n| i + n);
        let check = header.is_some();
        let watches = &sess.watches;
        let db = sess.db;
        let replies = sess.engine(shared).with_keyspace(|ks, now| {
            if check && dirty_in(ks, watches, db) {
                return None;
            }
            Some(
                queue[i..end]
                    .iter()
                    .map(|argv| {
                        let started = std::time::Instant::now();
                        let reply = ks.execute(argv, now);
                        (reply, micros(started))
                    })
                    .collect::<Vec<_>>(),
            )
        });
        let Some(replies) = replies else {
            unwatch_all(shared, sess);
            sess.out.null_array();
            return Step::Done;
        };
        if let Some(n) = header.take() {
            sess.out.array(n);
        }
        for (argv, (r, usec)) in queue[i..end].iter().zip(&replies) {
            sess.out.reply(r);
            nested_errors += u64::from(r.is_error());
            shared.stats.call(&stats_name(argv), *usec, r.is_error());
        }
        i = end;
    }
    if let Some(n) = header.take() {
        sess.out.array(n);
    }
    unwatch_all(shared, sess);
    sess.nested_errors = nested_errors;
    Step::Done
}

/// Microseconds since `started`.
fn micros(started: std::time::Instant) -> u64 {
    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
}
