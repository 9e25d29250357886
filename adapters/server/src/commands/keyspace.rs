//! Commands that span databases: FLUSHALL empties every database, CONFIG SET applies
//! to every database's engine (CONFIG GET reads the first).

use bytes::Bytes;

use super::{engine_now, Session, Step};
use crate::Shared;

/// `FLUSHALL [ASYNC|SYNC]`: the first database checks the arguments; the rest follow.
pub(super) fn flushall(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let reply = engine_now(&shared.dbs[0], argv);
    if !reply.is_error() {
        for e in &shared.dbs[1..] {
            engine_now(e, argv);
        }
    }
    sess.out.reply(&reply);
    Step::Done
}

/// `CONFIG GET|SET|RESETSTAT …`: the stream settings live in each engine; a SET that
/// the first engine accepts is applied to all.
pub(super) fn config(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    if argv[1].eq_ignore_ascii_case(b"resetstat") {
        if argv.len() != 2 {
            sess.out
                .error("ERR wrong number of arguments for 'config|resetstat' command");
        } else {
            sess.out.ok();
        }
        return Step::Done;
    }
    let reply = engine_now(&shared.dbs[0], argv);
    if argv[1].eq_ignore_ascii_case(b"set") && !reply.is_error() {
        for e in &shared.dbs[1..] {
            engine_now(e, argv);
        }
    }
    sess.out.reply(&reply);
    Step::Done
}
