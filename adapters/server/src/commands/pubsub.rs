//! PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE on the engine's pub/sub
//! hub (one hub for the whole server, as Redis's pub/sub ignores databases). Messages
//! reach the connection as pushes (`>` in RESP3, arrays in RESP2); in RESP2 a
//! subscribed connection may only (un)subscribe, PING, QUIT and RESET.

use std::collections::{BTreeMap, HashMap};

use brook_engine::PubSubMessage;
use bytes::Bytes;

use super::{Session, Step};
use crate::Shared;

/// A connection's subscriptions, in the order they were made.
#[derive(Debug, Default)]
pub struct Subscriptions {
    /// The hub's subscriber, once the connection subscribed to anything.
    pub subscriber: Option<brook_engine::Subscriber>,
    /// Channels.
    pub channels: Names,
    /// Patterns.
    pub patterns: Names,
}

/// Channel names or patterns in the order they were subscribed; adding, finding and
/// removing one costs O(log n), so a client with 100k subscriptions pays no more per
/// (un)subscribe than one with ten.
#[derive(Debug, Default)]
pub struct Names {
    by_seq: BTreeMap<u64, Bytes>,
    seq: HashMap<Bytes, u64>,
    next: u64,
}

impl Names {
    /// How many.
    pub fn len(&self) -> usize {
        self.seq.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.seq.is_empty()
    }

    /// Adds `name`; false if it was there already.
    pub fn insert(&mut self, name: &Bytes) -> bool {
        if self.seq.contains_key(name) {
            return false;
        }
        // A copy: `name` is a slice of the connection's read buffer, which it would keep
        // alive for as long as the subscription lasts.
        let name = Bytes::copy_from_slice(name);
        self.seq.insert(name.clone(), self.next);
        self.by_seq.insert(self.next, name.clone());
        self.next += 1;
        true
    }

    /// Removes `name`; false if it was not there.
    pub fn remove(&mut self, name: &[u8]) -> bool {
        match self.seq.remove(name) {
            Some(at) => {
                self.by_seq.remove(&at);
                true
            }
            None => false,
        }
    }

    /// All of them, oldest first.
    pub fn to_vec(&self) -> Vec<Bytes> {
        self.by_seq.values().cloned().collect()
    }
}

impl Subscriptions {
    /// Channels and patterns together (the count every (un)subscribe reply carries).
    pub fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}

fn sync_meta(sess: &Session) {
    let mut m = sess.client.meta();
    m.sub = sess.subs.channels.len();
    m.psub = sess.subs.patterns.len();
}

fn notice(sess: &mut Session, kind: &str, name: Option<&[u8]>) {
    let count = sess.subs.count();
    sess.out.push(3);
    sess.out.bulk_str(kind);
    match name {
        Some(n) => sess.out.bulk(n),
        None => sess.out.null(),
    }
    sess.out.int(count as i64);
}

/// `PUBLISH channel message`: how many subscriptions received it.
pub(super) fn publish(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let n = shared.dbs[0].publish(&argv[1], &argv[2]);
    sess.out.int(i64::try_from(n).unwrap_or(i64::MAX));
    Step::Done
}

/// `SUBSCRIBE` and `PSUBSCRIBE`.
pub(super) fn subscribe(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let pattern = argv[0].eq_ignore_ascii_case(b"psubscribe");
    for name in &argv[1..] {
        let list = if pattern {
            &mut sess.subs.patterns
        } else {
            &mut sess.subs.channels
        };
        if list.insert(name) {
            let (c, p): (&[&[u8]], &[&[u8]]) = if pattern {
                (&[], &[&name[..]])
            } else {
                (&[&name[..]], &[])
            };
            match &sess.subs.subscriber {
                Some(s) => s.add(c, p),
                None => match shared.dbs[0].subscribe(c, p) {
                    Ok(s) => sess.subs.subscriber = Some(s),
                    Err(e) => {
                        sess.out.error(&e.to_string());
                        return Step::Done;
                    }
                },
            }
        }
        notice(
            sess,
            if pattern { "psubscribe" } else { "subscribe" },
            Some(name),
        );
    }
    sync_meta(sess);
    Step::Done
}

/// `UNSUBSCRIBE` and `PUNSUBSCRIBE` (no names: all of that kind).
pub(super) fn unsubscribe(_: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let pattern = argv[0].eq_ignore_ascii_case(b"punsubscribe");
    let kind = if pattern {
        "punsubscribe"
    } else {
        "unsubscribe"
    };
    let names: Vec<Bytes> = if argv.len() > 1 {
        argv[1..].to_vec()
    } else if pattern {
        sess.subs.patterns.to_vec()
    } else {
        sess.subs.channels.to_vec()
    };
    if names.is_empty() {
        notice(sess, kind, None);
    }
    for name in &names {
        let list = if pattern {
            &mut sess.subs.patterns
        } else {
            &mut sess.subs.channels
        };
        if list.remove(name) {
            if let Some(s) = &sess.subs.subscriber {
                if pattern {
                    s.remove(&[], &[&name[..]]);
                } else {
                    s.remove(&[&name[..]], &[]);
                }
            }
        }
        notice(sess, kind, Some(name));
    }
    if sess.subs.count() == 0 {
        sess.subs.subscriber = None;
    }
    sync_meta(sess);
    Step::Done
}

/// Writes one message as a push.
pub fn deliver(sess: &mut Session, m: &PubSubMessage) {
    match &m.pattern {
        Some(p) => {
            sess.out.push(4);
            sess.out.bulk(b"pmessage");
            sess.out.bulk(p);
        }
        None => {
            sess.out.push(3);
            sess.out.bulk(b"message");
        }
    }
    sess.out.bulk(&m.channel);
    sess.out.bulk(&m.payload);
}

/// Leaves every subscription (RESET, disconnect).
pub fn clear(sess: &mut Session) {
    sess.subs = Subscriptions::default();
    sync_meta(sess);
}
