//! Wake-up signals: which keys blocked readers wait on, and which of those a write
//! has touched since the engine last served its waiters (reference §21). The keyspace
//! records signals only for keys somebody is blocked on ([`Signals::watch`]), so
//! commands pay one branch when nobody waits.

use alloc::vec::Vec;

use bytes::Bytes;
use hashbrown::HashMap;

/// Why a key was signalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// New data or a changed group: entries added, the key created, a group destroyed.
    /// Every reader blocked on the key re-runs.
    Data,
    /// The key was deleted or now holds another type: only XREADGROUP readers re-run
    /// (they answer NOGROUP or WRONGTYPE); XREAD readers keep waiting.
    Gone,
}

/// Keys with blocked readers, and the signals raised on them since the engine last
/// served its waiters.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    watched: HashMap<Bytes, u32>,
    ready: Vec<(Bytes, Signal)>,
}

impl Signals {
    /// A reader blocks on `key`.
    pub fn watch(&mut self, key: &Bytes) {
        *self.watched.entry(key.clone()).or_insert(0) += 1;
    }

    /// A reader stops waiting on `key`.
    pub fn unwatch(&mut self, key: &[u8]) {
        if let Some(n) = self.watched.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                self.watched.remove(key);
            }
        }
    }

    /// Nobody waits on any key.
    pub fn idle(&self) -> bool {
        self.watched.is_empty()
    }

    /// Records a signal on `key` if a reader waits on it. Keys keep the order they
    /// were first signalled; `Data` wins over `Gone`.
    pub fn raise(&mut self, key: &[u8], signal: Signal) {
        if self.watched.is_empty() || !self.watched.contains_key(key) {
            return;
        }
        if let Some((_, s)) = self.ready.iter_mut().find(|(k, _)| k.as_ref() == key) {
            if signal == Signal::Data {
                *s = Signal::Data;
            }
            return;
        }
        self.ready.push((Bytes::copy_from_slice(key), signal));
    }

    /// True when signals wait to be served.
    pub fn pending(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Takes the signals raised so far, in order.
    pub fn take(&mut self) -> Vec<(Bytes, Signal)> {
        core::mem::take(&mut self.ready)
    }

    /// The keys watched (for checks and tests).
    pub fn watched_keys(&self) -> usize {
        self.watched.len()
    }

    /// How many readers wait on `key`.
    pub fn watchers(&self, key: &[u8]) -> usize {
        self.watched.get(key).map_or(0, |n| *n as usize)
    }
}
