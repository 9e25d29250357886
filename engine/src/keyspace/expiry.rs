//! The expiry index: the time after which a key no longer exists (SET … PX/EX/PXAT/EXAT,
//! PTTL/TTL), kept by key and in time order. The keyspace's door owns it; `ttl.rs`
//! holds the commands.

use alloc::collections::BTreeSet;

use bytes::Bytes;
use hashbrown::HashMap;

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

    /// The first key whose time is at or before `now`, forgotten here.
    pub(crate) fn pop_due(&mut self, now: u64) -> Option<Bytes> {
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

    /// True when no key has an expiry time.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}
