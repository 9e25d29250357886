//! Key expiry as commands see it: PTTL, making a key expire, and removing the keys
//! whose time has come (the engine does that before every command, so no command ever
//! sees an expired key — as in Redis, where a read of an expired key finds nothing).
//! Finding that nothing is due costs one comparison; removing a key costs O(log n).

use alloc::vec;

use super::door::Keyspace;
use super::effects::{arg, num, word};

impl Keyspace {
    /// Removes every key whose expiry time is at or before `now`; how many. Each is
    /// propagated as DEL, as Redis propagates an expired key. Nothing expires while
    /// the keyspace replays propagated commands ([`Keyspace::set_replaying`]): as in
    /// Redis while it loads, a key expires after the file is read, so the commands
    /// the file holds after its expiry time still find it.
    #[inline]
    pub fn expire_due(&mut self, now: u64) -> u64 {
        if !self.has_expiring_keys() || self.replaying() {
            return 0;
        }
        self.expire_due_slow(now)
    }

    fn expire_due_slow(&mut self, now: u64) -> u64 {
        self.write_keys(|kw| {
            let mut n = 0;
            while let Some(key) = kw.pop_due(now) {
                if kw.remove(&key).is_some() {
                    n += 1;
                    kw.propagate(vec![word("DEL"), key]);
                }
            }
            n
        })
    }

    /// PTTL: ms left before `key` expires; -1 without an expiry, -2 when the key does
    /// not exist.
    pub fn pttl(&self, key: &[u8], now: u64) -> i64 {
        if self.exists(&[key]) == 0 {
            return -2;
        }
        match self.expiry_of(key) {
            None => -1,
            Some(at) => i64::try_from(at.saturating_sub(now)).unwrap_or(i64::MAX),
        }
    }

    /// Makes `key` expire at `at_ms` (Unix ms), as PEXPIREAT; false when it does not
    /// exist. A time already past removes it at once.
    pub fn expire_at(&mut self, key: &[u8], at_ms: u64, now: u64) -> bool {
        if self.exists(&[key]) == 0 {
            return false;
        }
        self.write_keys(|kw| {
            kw.set_expiry(key, at_ms);
            kw.propagate(vec![word("PEXPIREAT"), arg(key), num(at_ms)]);
        });
        self.expire_due(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

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
        assert_eq!(ks.expiring_keys(), 0);
        // A time in the past removes the key at once.
        assert!(ks.expire_at(b"b", 10, 50));
        assert_eq!(ks.exists(&[b"b"]), 0);
    }
}
