//! The registry of blocked readers, served as Redis 8.x serves blocked clients
//! (reference §21): per key in the order they blocked, each woken read re-run against
//! the new state and blocked again — with its original deadline, at the tail — if it
//! finds nothing.
//!
//! Everything here runs under the engine lock: a reader registers in the same critical
//! section in which its read found nothing, so no write can slip between the two (no
//! lost wake-up), and the entries a re-run takes are handed over — delivered into the
//! PEL, for XREADGROUP — at the moment of the write that served them.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use bytes::Bytes;
use hashbrown::HashMap;

use crate::blocking::{ReadOutput, ReadRequest, Signal};
use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::slot::Slot;
use crate::sync::Arc;

/// Identifies a blocked reader in the registry.
pub(crate) type WaiterId = u64;

struct Waiter {
    req: ReadRequest,
    keys: Vec<Bytes>,
    /// Absolute timeout (engine clock, ms); `None` = `BLOCK 0`.
    deadline: Option<u64>,
    /// XREADGROUP … CLAIM: when a pending entry becomes claimable.
    claim_due: Option<u64>,
    slot: Arc<Slot>,
}

/// Blocked readers, by key and by ID.
#[derive(Default)]
pub(crate) struct Waiters {
    next: WaiterId,
    queues: HashMap<Bytes, VecDeque<WaiterId>>,
    all: BTreeMap<WaiterId, Waiter>,
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
        let id = self.next;
        let keys = req.keys();
        for k in &keys {
            self.queues.entry(k.clone()).or_default().push_back(id);
            ks.signals.watch(k);
        }
        let slot = Arc::new(Slot::new());
        let claim_due = req.claim_deadline(ks, now);
        self.all.insert(
            id,
            Waiter {
                req,
                keys,
                deadline,
                claim_due,
                slot: slot.clone(),
            },
        );
        (id, slot)
    }

    /// Number of blocked readers.
    pub(crate) fn len(&self) -> usize {
        self.all.len()
    }

    fn unlink(&mut self, ks: &mut Keyspace, id: WaiterId) -> Option<Waiter> {
        let w = self.all.remove(&id)?;
        for k in &w.keys {
            if let Some(q) = self.queues.get_mut(k) {
                q.retain(|x| *x != id);
                if q.is_empty() {
                    self.queues.remove(k);
                }
            }
            ks.signals.unwatch(k);
        }
        Some(w)
    }

    /// Removes a reader that gave up (its future was dropped). False when it was no
    /// longer registered: it was served or timed out already.
    pub(crate) fn cancel(&mut self, ks: &mut Keyspace, id: WaiterId) -> bool {
        self.unlink(ks, id).is_some()
    }

    /// Re-runs the readers of every signalled key until no signal is left.
    pub(crate) fn serve(&mut self, ks: &mut Keyspace, now: u64) {
        loop {
            let signals = ks.signals.take();
            if signals.is_empty() {
                return;
            }
            for (key, signal) in signals {
                // Only readers queued when this key's round starts; one that blocks
                // again goes to the tail and waits for the next round.
                let round: Vec<WaiterId> = match self.queues.get(&key) {
                    Some(q) => q.iter().copied().collect(),
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
                        done => {
                            if let Some(w) = self.unlink(ks, id) {
                                w.slot.complete(done);
                            }
                        }
                    }
                }
            }
        }
    }

    /// Puts a reader that found nothing back at the tail of its keys' queues.
    fn reblock(&mut self, ks: &mut Keyspace, id: WaiterId, now: u64) {
        let Some(w) = self.all.get_mut(&id) else {
            return;
        };
        w.claim_due = w.req.claim_deadline(ks, now);
        for k in &w.keys {
            if let Some(q) = self.queues.get_mut(k) {
                q.retain(|x| *x != id);
                q.push_back(id);
            }
        }
    }

    /// Fires what is due at `now`: CLAIM deadlines signal their keys (the readers
    /// re-run), then timed-out readers get the empty answer.
    pub(crate) fn fire_due(&mut self, ks: &mut Keyspace, now: u64) {
        let claims: Vec<Bytes> = self
            .all
            .values()
            .filter(|w| w.claim_due.is_some_and(|d| d <= now))
            .flat_map(|w| w.keys.iter().cloned())
            .collect();
        for k in claims {
            ks.signals.raise(&k, Signal::Data);
        }
        self.serve(ks, now);
        let expired: Vec<WaiterId> = self
            .all
            .iter()
            .filter(|(_, w)| w.deadline.is_some_and(|d| d <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some(w) = self.unlink(ks, id) {
                w.slot.complete(Ok(ReadOutput::empty_for(&w.req)));
            }
        }
    }

    /// The earliest timeout or CLAIM deadline.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.all
            .values()
            .flat_map(|w| w.deadline.into_iter().chain(w.claim_due))
            .min()
    }

    /// Wakes every reader with `error` (the engine is closing).
    pub(crate) fn fail_all(&mut self, ks: &mut Keyspace, error: &Error) {
        let ids: Vec<WaiterId> = self.all.keys().copied().collect();
        for id in ids {
            if let Some(w) = self.unlink(ks, id) {
                w.slot.complete(Err(error.clone()));
            }
        }
    }

    /// Checks that queues and the registry agree.
    pub(crate) fn check(&self, ks: &Keyspace) -> Result<(), alloc::string::String> {
        let queued: usize = self.queues.values().map(VecDeque::len).sum();
        let expected: usize = self.all.values().map(|w| w.keys.len()).sum();
        if queued != expected {
            return Err(alloc::format!(
                "{queued} queue places for {expected} waiter keys"
            ));
        }
        if ks.signals.watched_keys() != self.queues.len() {
            return Err(alloc::format!(
                "{} watched keys, {} queues",
                ks.signals.watched_keys(),
                self.queues.len()
            ));
        }
        Ok(())
    }
}
