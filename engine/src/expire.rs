//! Key expiry: the time after which a key no longer exists (SET … PX/EX/PXAT/EXAT,
//! PTTL/TTL), kept by key and in time order.
//!
//! Expired keys are removed at the start of every command (the engine calls
//! [`Keyspace::expire_due`] with the command's time before it runs anything), so no
//! command ever sees one — as in Redis, where a read of an expired key finds nothing.
//! Finding that nothing is due costs one comparison; removing a key costs O(log n).

use alloc::collections::BTreeSet;

use bytes::Bytes;
use hashbrown::HashMap;

use crate::keyspace::Keyspace;

/// Expiry times by key and in time order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expiry {
    at: HashMap<Bytes, u64>,
    order: BTreeSet<(u64, Bytes)>,
}

impl Expiry {
    /// Sets (or replaces) `key`'s expiry time.
    pub(crate) fn set(&mut self, key: &[u8], at: u64) {
        let key = Bytes::copy_from_slice(key);
        if let Some(old) = self.at.insert(key.clone(), at) {
            self.order.remove(&(old, key.clone()));
        }
        self.order.insert((at, key));
    }

    /// Forgets `key`'s expiry time (the key was removed or persisted).
    pub(crate) fn clear(&mut self, key: &[u8]) {
        if self.at.is_empty() {
            return;
        }
        if let Some((k, at)) = self.at.remove_entry(key) {
            self.order.remove(&(at, k));
        }
    }

    /// `key`'s expiry time.
    pub(crate) fn get(&self, key: &[u8]) -> Option<u64> {
        self.at.get(key).copied()
    }

    /// Forgets every expiry time.
    pub(crate) fn reset(&mut self) {
        self.at.clear();
        self.order.clear();
    }

    fn pop_due(&mut self, now: u64) -> Option<Bytes> {
        let first = self.order.first()?;
        if first.0 > now {
            return None;
        }
        let (_, key) = self.order.pop_first()?;
        self.at.remove(&key);
        Some(key)
    }

    /// Number of keys with an expiry time.
    pub(crate) fn len(&self) -> usize {
        self.at.len()
    }
}

impl Keyspace {
    /// How many keys have an expiry time (INFO keyspace's `expires`).
    pub fn expiring_keys(&self) -> usize {
        self.expiry.len()
    }

    /// Removes every key whose expiry time is at or before `now`; how many.
    #[inline]
    pub fn expire_due(&mut self, now: u64) -> u64 {
        if self.expiry.at.is_empty() {
            return 0;
        }
        self.expire_due_slow(now)
    }

    fn expire_due_slow(&mut self, now: u64) -> u64 {
        let mut n = 0;
        while let Some(key) = self.expiry.pop_due(now) {
            n += self.remove_keys(&[key]);
        }
        n
    }

    /// PTTL: ms left before `key` expires; -1 without an expiry, -2 when the key does
    /// not exist.
    pub fn pttl(&self, key: &[u8], now: u64) -> i64 {
        if self.exists(&[key]) == 0 {
            return -2;
        }
        match self.expiry.get(key) {
            None => -1,
            Some(at) => i64::try_from(at.saturating_sub(now)).unwrap_or(i64::MAX),
        }
    }

    /// Makes `key` expire at `at_ms` (Unix ms); false when it does not exist. A time
    /// already past removes it at once.
    pub fn expire_at(&mut self, key: &[u8], at_ms: u64, now: u64) -> bool {
        if self.exists(&[key]) == 0 {
            return false;
        }
        self.expiry.set(key, at_ms);
        self.expire_due(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_vanish_at_their_time_and_overwrites_forget_it() {
        let mut ks = Keyspace::new();
        ks.set(b"a", Bytes::from_static(b"1"));
        ks.set(b"b", Bytes::from_static(b"2"));
        assert!(ks.expire_at(b"a", 100, 0));
        assert!(ks.expire_at(b"b", 200, 0));
        assert!(!ks.expire_at(b"nope", 200, 0));
        assert_eq!(ks.pttl(b"a", 40), 60);
        assert_eq!(ks.pttl(b"nope", 40), -2);
        assert_eq!(ks.expire_due(99), 0);
        assert_eq!(ks.expire_due(100), 1);
        assert_eq!(ks.get(b"a"), Ok(None));
        // SET replaces the value and its expiry.
        ks.set(b"b", Bytes::from_static(b"3"));
        assert_eq!(ks.pttl(b"b", 150), -1);
        assert_eq!(ks.expire_due(1_000), 0);
        assert_eq!(ks.get(b"b"), Ok(Some(Bytes::from_static(b"3"))));
        assert_eq!(ks.expiry.len(), 0);
        // A time in the past removes the key at once.
        assert!(ks.expire_at(b"b", 10, 50));
        assert_eq!(ks.exists(&[b"b"]), 0);
    }
}
