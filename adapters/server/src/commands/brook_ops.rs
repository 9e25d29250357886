//! brook's conditional operations as commands, so brook-redis (and so the reliable
//! worker) runs on `brook serve` without Lua: each is one engine critical section, the
//! same code the embedded engine runs. Replies have the shapes of brook-redis's Lua
//! scripts for the same operations.
//!
//! ```text
//! BROOK.ACKIFOWNER key group consumer id [id …]            -> :acknowledged
//! BROOK.TOUCHIFOWNER key group consumer id [id …]          -> :touched
//! BROOK.ACKIFOWNERTHENADD key group consumer id to field value [field value …]
//!                                                          -> the new ID, or nil
//! BROOK.DELCONSUMERIFEMPTY key group consumer              -> :1 deleted / :0
//! BROOK.MARKACK key marker group id keep-ms n [argc arg …]…
//!     XACK, then SET marker 1 NX PX keep-ms; when the marker was new, the n writes:
//!     their replies (an error as ["\0brook-error", text]); nil for a duplicate
//! ```

use brook_engine::{Error, Reply, StreamId};
use bytes::Bytes;

use super::{Session, Step};
use crate::Shared;
use brook_engine::frontend::parse_i64;

fn ids(args: &[Bytes]) -> Result<Vec<StreamId>, Error> {
    args.iter().map(|a| StreamId::parse_strict(a)).collect()
}

fn answer(sess: &mut Session, r: Result<Reply, Error>) -> Step {
    match r {
        Ok(reply) => sess.out.reply(&reply),
        Err(e) => sess.out.error(&e.to_string()),
    }
    Step::Done
}

/// `BROOK.ACKIFOWNER` and `BROOK.TOUCHIFOWNER`.
pub(super) fn if_owner(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let touch = argv[0].eq_ignore_ascii_case(b"brook.touchifowner");
    let r = ids(&argv[4..]).and_then(|ids| {
        sess.engine(shared).with_keyspace(|ks, now| {
            let (key, group, consumer) = (&argv[1][..], &argv[2][..], &argv[3][..]);
            if touch {
                ks.xtouch_if_owner(key, group, consumer, &ids, now)
            } else {
                ks.xack_if_owner(key, group, consumer, &ids)
            }
        })
    });
    answer(
        sess,
        r.map(|n| Reply::Integer(i64::try_from(n).unwrap_or(i64::MAX))),
    )
}

/// `BROOK.ACKIFOWNERTHENADD`.
pub(super) fn if_owner_then_add(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    if !(argv.len() - 6).is_multiple_of(2) {
        sess.out
            .error(&Error::WrongArity("brook.ackifownerthenadd").to_string());
        return Step::Done;
    }
    let r = StreamId::parse_strict(&argv[4]).and_then(|id| {
        let fields: Vec<(Bytes, Bytes)> = argv[6..]
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
        sess.engine(shared).with_keyspace(|ks, now| {
            ks.xack_if_owner_then_add(&argv[1], &argv[2], &argv[3], id, &argv[5], &fields[..], now)
        })
    });
    answer(sess, r.map(|added| added.map_or(Reply::Null, Reply::id)))
}

/// `BROOK.DELCONSUMERIFEMPTY`.
pub(super) fn delconsumer_if_empty(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let r = sess
        .engine(shared)
        .with_keyspace(|ks, _| ks.xgroup_delconsumer_if_empty(&argv[1], &argv[2], &argv[3]));
    answer(sess, r.map(|d| Reply::Integer(i64::from(d))))
}

/// The writes of a `BROOK.MARKACK`: `n` argument vectors, each its count then its
/// arguments.
fn writes(args: &[Bytes], n: usize) -> Option<Vec<Vec<Bytes>>> {
    let mut out = Vec::new();
    let mut i = 0;
    for _ in 0..n {
        let argc = usize::try_from(parse_i64(args.get(i)?)?).ok()?;
        let argv = args.get(i + 1..i + 1 + argc)?.to_vec();
        if argv.is_empty() {
            return None;
        }
        out.push(argv);
        i += 1 + argc;
    }
    (i == args.len()).then_some(out)
}

/// `BROOK.MARKACK`.
pub(super) fn mark_ack(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let n = parse_i64(&argv[6]).and_then(|n| usize::try_from(n).ok());
    let Some(cmds) = n.and_then(|n| writes(&argv[7..], n)) else {
        sess.out.error("ERR syntax error");
        return Step::Done;
    };
    let keep = parse_i64(&argv[5]).filter(|&ms| ms > 0);
    let (Ok(id), Some(keep)) = (StreamId::parse_strict(&argv[4]), keep) else {
        sess.out.error("ERR syntax error");
        return Step::Done;
    };
    let (key, marker, group) = (&argv[1], &argv[2], &argv[3]);
    let replies = sess.engine(shared).with_keyspace(|ks, now| {
        ks.xack(key, group, &[id])?;
        let set = [
            Bytes::from_static(b"SET"),
            marker.clone(),
            Bytes::from_static(b"1"),
            Bytes::from_static(b"NX"),
            Bytes::from_static(b"PX"),
            Bytes::from(keep.to_string()),
        ];
        match ks.execute(&set, now) {
            Reply::Error(e) => return Err(e),
            Reply::Null => return Ok(None),
            _ => {}
        }
        Ok(Some(
            cmds.iter()
                .map(|argv| ks.execute(argv, now))
                .collect::<Vec<_>>(),
        ))
    });
    match replies {
        Err(e) => sess.out.error(&e.to_string()),
        Ok(None) => sess.out.null(),
        Ok(Some(replies)) => {
            sess.out.array(replies.len());
            for r in &replies {
                match r {
                    Reply::Error(e) => {
                        sess.out.array(2);
                        sess.out.bulk(b"\0brook-error");
                        sess.out.bulk(e.to_string().as_bytes());
                    }
                    r => sess.out.reply(r),
                }
            }
        }
    }
    Step::Done
}
