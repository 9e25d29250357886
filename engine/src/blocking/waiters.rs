//! The registry of blocked readers, served as Redis 8.x serves blocked clients
//! (reference §21): per key in the order they blocked, each woken read re-run against
//! the new state and blocked again — with its original deadline, at the tail — if it
//! finds nothing.
//!
//! Everything here runs under the engine lock: a reader registers in the same critical
//! section in which its read found nothing, so no write can slip between the two (no
//! lost wake-up), and the entries a re-run takes are handed over — delivered into the
//! PEL, for XREADGROUP — at the moment of the write that served them. The readers are
//! woken after the lock is released ([`Completions::deliver`]), so a waker that runs
//! code on the engine at once cannot deadlock.
//!
//! Costs: a key's queue is ordered by a ticket each reader takes when it (re)blocks, so
//! blocking again, being served or giving up is O(log n) per key, and a round over a key
//! is O(readers on it). Deadlines sit in one ordered set: the timer finds the next one
//! in O(log n).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use bytes::Bytes;
use hashbrown::HashMap;

use crate::blocking::handoff::{Outcome, Slot};
use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::keyspace::Signal;
use crate::read::request::{ReadOutput, ReadRequest};
use crate::sync::Arc;

/// Identifies a blocked reader in the registry.
pub(crate) type WaiterId = u64;

/// How often, at most, a blocked XREADGROUP … CLAIM whose PEL holds nothing to wait for
/// re-checks it (Redis re-runs such readers once per event-loop iteration).
const CLAIM_POLL_MS: u64 = 100;

struct Waiter {
    req: ReadRequest,
    keys: Vec<Bytes>,
    /// The reader's place in its keys' queues.
    ticket: u64,
    /// Absolute timeout (engine clock, ms); `None` = `BLOCK 0`.
    deadline: Option<u64>,
    /// XREADGROUP … CLAIM: when a pending entry becomes claimable.
    claim_due: Option<u64>,
    slot: Arc<Slot>,
}

/// Readers to wake once the engine lock is released.
#[must_use = "blocked readers are only woken by deliver()"]
#[derive(Default)]
pub(crate) struct Completions(Vec<(Arc<Slot>, Outcome)>);

impl Completions {
    /// Wakes every reader with its outcome (call without the engine lock held).
    pub(crate) fn deliver(self) {
        for (slot, outcome) in self.0 {
            slot.complete(outcome);
        }
    }

    /// True when nobody is to be woken.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn push(&mut self, slot: Arc<Slot>, outcome: Outcome) {
        self.0.push((slot, outcome));
    }
}

/// Blocked readers, by key and by ID.
#[derive(Default)]
pub(crate) struct Waiters {
    next: WaiterId,
    next_ticket: u64,
    queues: HashMap<Bytes, BTreeMap<u64, WaiterId>>,
    all: BTreeMap<WaiterId, Waiter>,
    /// `(time, waiter, is_claim)` for every timeout and CLAIM deadline.
    deadlines: BTreeSet<(u64, WaiterId, bool)>,
    /// Waiters without keys: sleepers (`Engine::sleep_until`), not readers.
    sleepers: usize,
}

impl Waiters {
    /// Blocks `req` (which just found nothing at `now`) until `deadline`.
    pub(crate) fn register(
        &mut self,
        ks: &mut Keyspace,
        req: ReadRequest,
        deadline: Option<u64>,
        now: u64,
    ) -> (WaiterId, Arc<Slot>) {
        self.next += 1;
        self.next_ticket += 1;
        let (id, ticket) = (self.next, self.next_ticket);
        let keys = req.keys();
        self.sleepers += usize::from(keys.is_empty());
        for k in &keys {
            self.queues.entry(k.clone()).or_default().insert(ticket, id);
            ks.signals_mut().watch(k);
        }
        let slot = Arc::new(Slot::new());
        let claim_due = claim_due(&req, ks, now);
        self.insert_deadlines(id, deadline, claim_due);
        self.all.insert(
            id,
            Waiter {
                req,
                keys,
                ticket,
                deadline,
                claim_due,
                slot: slot.clone(),
            },
        );
        (id, slot)
    }

    fn insert_deadlines(&mut self, id: WaiterId, deadline: Option<u64>, claim: Option<u64>) {
        if let Some(t) = deadline {
            self.deadlines.insert((t, id, false));
        }
        if let Some(t) = claim {
            self.deadlines.insert((t, id, true));
        }
    }

    fn remove_deadlines(&mut self, id: WaiterId, deadline: Option<u64>, claim: Option<u64>) {
        if let Some(t) = deadline {
            self.deadlines.remove(&(t, id, false));
        }
        if let Some(t) = claim {
            self.deadlines.remove(&(t, id, true));
        }
    }

    /// Number of blocked readers (sleepers not counted).
    pub(crate) fn readers(&self) -> usize {
        self.all.len() - self.sleepers
    }

    fn unlink(&mut self, ks: &mut Keyspace, id: WaiterId) -> Option<Waiter> {
        let w = self.all.remove(&id)?;
        self.sleepers -= usize::from(w.keys.is_empty());
        self.remove_deadlines(id, w.deadline, w.claim_due);
        for k in &w.keys {
            if let Some(q) = self.queues.get_mut(k) {
                q.remove(&w.ticket);
                if q.is_empty() {
                    self.queues.remove(k);
                }
            }
            ks.signals_mut().unwatch(k);
        }
        Some(w)
    }

    /// Removes a reader that gave up (its future was dropped). False when it was no
    /// longer registered: it was served or timed out already.
    pub(crate) fn cancel(&mut self, ks: &mut Keyspace, id: WaiterId) -> bool {
        self.unlink(ks, id).is_some()
    }

    /// Re-runs the readers of every signalled key until no signal is left; returns the
    /// readers to wake.
    pub(crate) fn serve(&mut self, ks: &mut Keyspace, now: u64) -> Completions {
        let mut done = Completions::default();
        self.serve_into(ks, now, &mut done);
        done
    }

    fn serve_into(&mut self, ks: &mut Keyspace, now: u64, done: &mut Completions) {
        loop {
            let signals = ks.signals_mut().take();
            if signals.is_empty() {
                return;
            }
            for (key, signal) in signals {
                // Only readers queued when this key's round starts; one that blocks
                // again goes to the tail and waits for the next round.
                let round: Vec<WaiterId> = match self.queues.get(&key) {
                    Some(q) => q.values().copied().collect(),
                    None => continue,
                };
                for id in round {
                    let Some(w) = self.all.get(&id) else {
                        continue;
                    };
                    if signal == Signal::Gone && !w.req.is_group() {
                        continue;
                    }
                    let outcome = ks.run_read(&w.req, now);
                    match outcome {
                        Ok(out) if out.is_empty() => self.reblock(ks, id, now),
                        outcome => {
                            if let Some(w) = self.unlink(ks, id) {
                                done.push(w.slot, outcome);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Puts a reader that found nothing back at the tail of its keys' queues.
    fn reblock(&mut self, ks: &mut Keyspace, id: WaiterId, now: u64) {
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        let Some(w) = self.all.get_mut(&id) else {
            return;
        };
        let old = (w.ticket, w.claim_due);
        w.ticket = ticket;
        w.claim_due = claim_due(&w.req, ks, now);
        let claim = w.claim_due;
        for k in &w.keys {
            if let Some(q) = self.queues.get_mut(k) {
                q.remove(&old.0);
                q.insert(ticket, id);
            }
        }
        if old.1 != claim {
            self.remove_deadlines(id, None, old.1);
            self.insert_deadlines(id, None, claim);
        }
    }

    /// Fires what is due at `now`: CLAIM deadlines signal their keys (the readers
    /// re-run), then timed-out readers get the empty answer.
    pub(crate) fn fire_due(&mut self, ks: &mut Keyspace, now: u64) -> Completions {
        let mut done = Completions::default();
        let due: Vec<WaiterId> = self
            .deadlines
            .range(..=(now, WaiterId::MAX, true))
            .map(|(_, id, _)| *id)
            .collect();
        if due.is_empty() {
            return done;
        }
        for id in &due {
            if let Some(w) = self.all.get(id) {
                if w.claim_due.is_some_and(|d| d <= now) {
                    for k in &w.keys {
                        ks.signals_mut().raise(k, Signal::Data);
                    }
                }
            }
        }
        self.serve_into(ks, now, &mut done);
        for id in due {
            let expired = self
                .all
                .get(&id)
                .is_some_and(|w| w.deadline.is_some_and(|d| d <= now));
            if expired {
                if let Some(w) = self.unlink(ks, id) {
                    let empty = Ok(ReadOutput::empty_for(&w.req));
                    done.push(w.slot, empty);
                }
            }
        }
        done
    }

    /// The earliest timeout or CLAIM deadline.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.deadlines.first().map(|(t, _, _)| *t)
    }

    /// Wakes every reader with `error` (the engine is closing).
    pub(crate) fn fail_all(&mut self, ks: &mut Keyspace, error: &Error) -> Completions {
        let mut done = Completions::default();
        let ids: Vec<WaiterId> = self.all.keys().copied().collect();
        for id in ids {
            if let Some(w) = self.unlink(ks, id) {
                done.push(w.slot, Err(error.clone()));
            }
        }
        done
    }

    /// Checks that queues, deadlines, watched keys and the registry agree.
    pub(crate) fn check(&self, ks: &Keyspace) -> Result<(), alloc::string::String> {
        for (id, w) in &self.all {
            for k in &w.keys {
                if self.queues.get(k).and_then(|q| q.get(&w.ticket)) != Some(id) {
                    return Err(alloc::format!(
                        "waiter {id} missing from the queue of {k:?}"
                    ));
                }
            }
            let set = |t: Option<u64>, claim: bool| {
                t.is_none_or(|t| self.deadlines.contains(&(t, *id, claim)))
            };
            if !set(w.deadline, false) || !set(w.claim_due, true) {
                return Err(alloc::format!("waiter {id}'s deadlines are not set"));
            }
        }
        let queued: usize = self.queues.values().map(BTreeMap::len).sum();
        let expected: usize = self.all.values().map(|w| w.keys.len()).sum();
        if queued != expected {
            return Err(alloc::format!(
                "{queued} queue places for {expected} waiter keys"
            ));
        }
        let deadlines: usize = self
            .all
            .values()
            .map(|w| usize::from(w.deadline.is_some()) + usize::from(w.claim_due.is_some()))
            .sum();
        if deadlines != self.deadlines.len() {
            return Err(alloc::format!(
                "{} deadlines set for {deadlines} expected",
                self.deadlines.len()
            ));
        }
        for (k, q) in &self.queues {
            if ks.signals().watchers(k) != q.len() {
                return Err(alloc::format!(
                    "key {k:?}: {} watchers, {} queued",
                    ks.signals().watchers(k),
                    q.len()
                ));
            }
        }
        if ks.signals().watched_keys() != self.queues.len() {
            return Err(alloc::format!(
                "{} watched keys, {} queues",
                ks.signals().watched_keys(),
                self.queues.len()
            ));
        }
        Ok(())
    }
}

/// A CLAIM reader's next re-check: when its oldest pending entry becomes claimable, or
/// — with nothing pending to wait for — after `max(min-idle-time, CLAIM_POLL_MS)`.
fn claim_due(req: &ReadRequest, ks: &mut Keyspace, now: u64) -> Option<u64> {
    let (due, pending) = ks.claim_deadline(req, now)?;
    Some(if pending {
        due
    } else {
        due.max(now.saturating_add(CLAIM_POLL_MS))
    })
}
