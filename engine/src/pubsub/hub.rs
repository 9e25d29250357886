//! The engine's publish/subscribe hub: subscribers by channel and by pattern, each with
//! a queue of its own. Publishing never waits: it appends to each receiving queue and
//! wakes the reader; a queue holding more than the engine's pub/sub buffer limit (32
//! MiB by default, Redis's hard `client-output-buffer-limit pubsub`) ends that
//! subscription with an error, as Redis disconnects a slow subscriber. Patterns match
//! with Redis's glob rules. The hub has a lock of its own, apart from the keyspace.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use hashbrown::HashMap;

use super::PubSubMessage;
use crate::error::Error;

/// Owned copies of channel names or patterns.
fn owned(names: &[&[u8]]) -> Vec<Bytes> {
    names.iter().map(|n| Bytes::copy_from_slice(n)).collect()
}

/// Redis's default hard limit for pub/sub clients' output buffers.
pub const DEFAULT_PUBSUB_BUFFER: usize = 32 << 20;

/// Bytes a queued message counts for (payload, channel, pattern and Redis's framing).
fn cost(m: &PubSubMessage) -> usize {
    m.payload.len() + m.channel.len() + m.pattern.as_ref().map_or(0, Bytes::len) + 32
}

#[derive(Default)]
struct QueueState {
    messages: VecDeque<PubSubMessage>,
    bytes: usize,
    ended: Option<Error>,
    waker: Option<Waker>,
}

/// One subscriber's queue.
#[derive(Default)]
struct Queue(Mutex<QueueState>);

impl Queue {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `m`; false when that passed `limit` and ended the subscription.
    fn push(&self, m: PubSubMessage, limit: usize) -> bool {
        let waker = {
            let mut q = self.lock();
            if q.ended.is_some() {
                return true;
            }
            q.bytes += cost(&m);
            q.messages.push_back(m);
            if q.bytes > limit {
                q.messages.clear();
                q.bytes = 0;
                q.ended = Some(Error::Server(Bytes::from(alloc::format!(
                    "ERR brook: subscriber disconnected: more than {limit} bytes of messages queued (client-output-buffer-limit pubsub)"
                ))));
            }
            q.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    fn end(&self, e: Error) {
        let waker = {
            let mut q = self.lock();
            q.ended.get_or_insert(e);
            q.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn poll(&self, cx: &mut Context<'_>) -> Poll<Result<PubSubMessage, Error>> {
        let mut q = self.lock();
        if let Some(m) = q.messages.pop_front() {
            q.bytes -= cost(&m);
            return Poll::Ready(Ok(m));
        }
        if let Some(e) = &q.ended {
            return Poll::Ready(Err(e.clone()));
        }
        q.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Subscribers by channel and pattern (in subscription order). Subscribing and
/// unsubscribing cost in proportion to what that subscriber names, never to what the
/// rest of the server subscribes to; a publish walks the channel's subscribers and every
/// pattern (as Redis does).
#[derive(Default)]
pub(crate) struct Hub {
    next: u64,
    /// Channel subscriptions: channel → (sequence number → subscriber), so a publish
    /// delivers in subscription order and one subscriber leaves in O(log n).
    channels: HashMap<Bytes, BTreeMap<u64, u64>>,
    /// Pattern subscriptions by a sequence number, so a publish delivers them in the
    /// order they were made: sequence → (pattern, subscriber).
    patterns: BTreeMap<u64, (Bytes, u64)>,
    /// The next subscription's sequence number (channels and patterns).
    next_pattern: u64,
    /// Each subscriber's own channels and patterns (name → sequence number).
    own: HashMap<u64, Own>,
    queues: HashMap<u64, Arc<Queue>>,
    closed: bool,
}

/// What one subscriber is subscribed to.
#[derive(Default)]
struct Own {
    channels: HashMap<Bytes, u64>,
    patterns: HashMap<Bytes, u64>,
}

impl Hub {
    fn add(&mut self, id: u64, channels: &[&[u8]], patterns: &[&[u8]]) {
        let own = self.own.entry(id).or_default();
        for c in owned(channels) {
            if !own.channels.contains_key(&c) {
                let seq = self.next_pattern;
                self.next_pattern += 1;
                own.channels.insert(c.clone(), seq);
                self.channels.entry(c).or_default().insert(seq, id);
            }
        }
        for p in owned(patterns) {
            if !own.patterns.contains_key(&p) {
                let seq = self.next_pattern;
                self.next_pattern += 1;
                own.patterns.insert(p.clone(), seq);
                self.patterns.insert(seq, (p, id));
            }
        }
    }

    /// Unsubscribes `id` from `channels` and `patterns`.
    fn remove_some(&mut self, id: u64, channels: &[&[u8]], patterns: &[&[u8]]) {
        let Some(own) = self.own.get_mut(&id) else {
            return;
        };
        for c in channels {
            if let Some(seq) = own.channels.remove(*c) {
                unlink_channel(&mut self.channels, c, seq);
            }
        }
        for p in patterns {
            if let Some(seq) = own.patterns.remove(*p) {
                self.patterns.remove(&seq);
            }
        }
    }

    fn remove(&mut self, id: u64) {
        self.queues.remove(&id);
        let Some(own) = self.own.remove(&id) else {
            return;
        };
        for (c, seq) in &own.channels {
            unlink_channel(&mut self.channels, c, *seq);
        }
        for seq in own.patterns.values() {
            self.patterns.remove(seq);
        }
    }
}

/// Removes subscription `seq` from `channel` (and the channel once nobody is left).
fn unlink_channel(channels: &mut HashMap<Bytes, BTreeMap<u64, u64>>, channel: &[u8], seq: u64) {
    if let Some(subs) = channels.get_mut(channel) {
        subs.remove(&seq);
        if subs.is_empty() {
            channels.remove(channel);
        }
    }
}

/// The hub and its limit, shared by an engine's handles.
pub(crate) struct Shared {
    hub: Mutex<Hub>,
    pub(crate) limit: usize,
}

impl Shared {
    pub(crate) fn new(limit: usize) -> Shared {
        Shared {
            hub: Mutex::new(Hub::default()),
            limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Hub> {
        self.hub.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends every subscription (the engine is closing).
    pub(crate) fn close(&self) {
        let queues: Vec<Arc<Queue>> = {
            let mut hub = self.lock();
            hub.closed = true;
            hub.queues.values().cloned().collect()
        };
        for q in queues {
            q.end(Error::EngineClosed);
        }
    }
}

/// A subscription to the engine's hub (`PubSub::subscribe` on an `Engine`).
pub struct Subscriber {
    shared: Arc<Shared>,
    id: u64,
    queue: Arc<Queue>,
}

impl core::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Subscriber")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.shared.lock().remove(self.id);
    }
}

impl Subscriber {
    /// Subscribes this subscriber to more channels and patterns (a connection's later
    /// SUBSCRIBE / PSUBSCRIBE); messages published from now on arrive on its queue.
    pub fn add(&self, channels: &[&[u8]], patterns: &[&[u8]]) {
        self.shared.lock().add(self.id, channels, patterns);
    }

    /// Stops receiving from `channels` and `patterns` (UNSUBSCRIBE / PUNSUBSCRIBE);
    /// messages already queued stay queued.
    pub fn remove(&self, channels: &[&[u8]], patterns: &[&[u8]]) {
        self.shared.lock().remove_some(self.id, channels, patterns);
    }
}

struct Next<'a>(&'a Queue);

impl Future for Next<'_> {
    type Output = Result<PubSubMessage, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll(cx)
    }
}

impl Subscriber {
    /// The next message, waiting for one; an error once the subscription has ended.
    pub(crate) fn next_message(
        &mut self,
    ) -> impl Future<Output = Result<PubSubMessage, Error>> + Send + '_ {
        Next(&self.queue)
    }
}

impl Shared {
    /// PUBLISH: the number of subscriptions that received it.
    pub(crate) fn publish(&self, channel: &[u8], payload: &[u8]) -> u64 {
        let shared = self;
        let (targets, limit) = {
            let hub = shared.lock();
            let mut targets: Vec<(Arc<Queue>, Option<Bytes>)> = Vec::new();
            if let Some(subs) = hub.channels.get(channel) {
                for s in subs.values() {
                    if let Some(q) = hub.queues.get(s) {
                        targets.push((q.clone(), None));
                    }
                }
            }
            for (pattern, s) in hub.patterns.values() {
                if crate::glob::matches(pattern, channel) {
                    if let Some(q) = hub.queues.get(s) {
                        targets.push((q.clone(), Some(pattern.clone())));
                    }
                }
            }
            (targets, shared.limit)
        };
        let channel = Bytes::copy_from_slice(channel);
        let payload = Bytes::copy_from_slice(payload);
        for (q, pattern) in &targets {
            q.push(
                PubSubMessage {
                    channel: channel.clone(),
                    pattern: pattern.clone(),
                    payload: payload.clone(),
                },
                limit,
            );
        }
        targets.len() as u64
    }

    /// A subscriber to `channels` and `patterns`.
    pub(crate) fn subscribe(
        this: &Arc<Shared>,
        channels: &[&[u8]],
        patterns: &[&[u8]],
    ) -> Result<Subscriber, Error> {
        let shared = this.clone();
        let queue = Arc::new(Queue::default());
        let id = {
            let mut hub = shared.lock();
            if hub.closed {
                return Err(Error::EngineClosed);
            }
            hub.next += 1;
            let id = hub.next;
            hub.queues.insert(id, queue.clone());
            hub.add(id, channels, patterns);
            id
        };
        Ok(Subscriber { shared, id, queue })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn poll_next(s: &mut Subscriber) -> Poll<Result<PubSubMessage, Error>> {
        let mut cx = Context::from_waker(Waker::noop());
        let mut f = core::pin::pin!(s.next_message());
        f.as_mut().poll(&mut cx)
    }

    #[test]
    fn channels_patterns_and_counts() {
        let e = Arc::new(Shared::new(DEFAULT_PUBSUB_BUFFER));
        let mut a = Shared::subscribe(&e, &[b"news"], &[b"n*"]).expect("sub");
        let mut b = Shared::subscribe(&e, &[], &[b"n?ws", b"x*"]).expect("sub");
        assert_eq!(e.publish(b"news", b"1"), 3);
        assert_eq!(e.publish(b"other", b"2"), 0);
        let got = |s: &mut Subscriber| match poll_next(s) {
            Poll::Ready(Ok(m)) => (m.channel, m.pattern, m.payload),
            other => panic!("{other:?}"),
        };
        let bytes = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(got(&mut a), (bytes("news"), None, bytes("1")));
        assert_eq!(got(&mut a), (bytes("news"), Some(bytes("n*")), bytes("1")));
        assert!(poll_next(&mut a).is_pending());
        assert_eq!(
            got(&mut b),
            (bytes("news"), Some(bytes("n?ws")), bytes("1"))
        );
        drop(a);
        assert_eq!(e.publish(b"news", b"3"), 1, "a unsubscribed on drop");
    }

    #[test]
    fn patterns_in_subscription_order_and_removed_exactly() {
        let e = Arc::new(Shared::new(DEFAULT_PUBSUB_BUFFER));
        let mut a = Shared::subscribe(&e, &[], &[b"a*", b"*"]).expect("sub");
        let b = Shared::subscribe(&e, &[b"ab"], &[b"a?", b"a*"]).expect("sub");
        a.add(&[b"ab"], &[b"?b", b"a*"]); // `a*` again: no second subscription
        assert_eq!(e.publish(b"ab", b"1"), 7);
        let mut got = Vec::new();
        while let Poll::Ready(Ok(m)) = poll_next(&mut a) {
            got.push(m.pattern);
        }
        let p = |s: &'static str| Some(Bytes::from_static(s.as_bytes()));
        assert_eq!(got, vec![None, p("a*"), p("*"), p("?b")]);
        b.remove(&[b"ab", b"nope"], &[b"a*", b"zz"]);
        a.remove(&[], &[b"*"]);
        assert_eq!(e.publish(b"ab", b"2"), 4, "a: ab, a*, ?b; b: a?");
        drop(b);
        assert_eq!(e.publish(b"ab", b"3"), 3);
        drop(a);
        assert_eq!(e.publish(b"ab", b"4"), 0);
        let hub = e.lock();
        assert!(hub.channels.is_empty() && hub.patterns.is_empty() && hub.own.is_empty());
    }

    #[test]
    fn a_slow_subscriber_is_cut_off_and_close_ends_all() {
        let e = Arc::new(Shared::new(1_000));
        let mut slow = Shared::subscribe(&e, &[b"c"], &[]).expect("sub");
        let mut fast = Shared::subscribe(&e, &[b"c"], &[]).expect("sub");
        for _ in 0..20 {
            assert_eq!(e.publish(b"c", &[0u8; 100]), 2, "never blocks");
            assert!(matches!(poll_next(&mut fast), Poll::Ready(Ok(_))));
        }
        assert!(matches!(
            poll_next(&mut slow),
            Poll::Ready(Err(Error::Server(_)))
        ));
        e.close();
        assert_eq!(poll_next(&mut fast), Poll::Ready(Err(Error::EngineClosed)));
        assert!(Shared::subscribe(&e, &[b"c"], &[]).is_err());
    }
}
