//! MULTI / EXEC / DISCARD: commands queued after MULTI run together at EXEC, the engine
//! commands among them under one engine lock (nothing else runs in between, as in
//! Redis). A command refused while queueing (unknown, wrong arity, not authenticated)
//! makes EXEC answer `EXECABORT`.

use bytes::Bytes;

use super::{find, Session, Step};
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
pub(super) fn discard(_: &Shared, sess: &mut Session, _: &[Bytes]) -> Step {
    if sess.multi.take().is_none() {
        sess.out.error("ERR DISCARD without MULTI");
        return Step::Done;
    }
    sess.client.meta().multi = None;
    sess.out.ok();
    Step::Done
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
        sess.out
            .error("EXECABORT Transaction discarded because of previous errors.");
        return Step::Done;
    }
    let queue = multi.queue;
    sess.out.array(queue.len());
    let mut i = 0;
    while i < queue.len() {
        if let Some(c) = find(&queue[i][0]) {
            let _ = (c.run)(shared, sess, &queue[i]);
            i += 1;
            continue;
        }
        let end = queue[i..]
            .iter()
            .position(|argv| find(&argv[0]).is_some())
            .map_or(queue.len(), |n| i + n);
        let replies = sess.engine(shared).with_keyspace(|ks, now| {
            queue[i..end]
                .iter()
                .map(|argv| ks.execute(argv, now))
                .collect::<Vec<_>>()
        });
        for r in &replies {
            sess.out.reply(r);
        }
        i = end;
    }
    Step::Done
}
