//! Key-level commands of the [`Keyspace`]: DEL, EXISTS, TYPE, KEYS, SCAN, RENAME,
//! COPY, FLUSHDB, SET and GET, each a change made through the key door
//! ([`Keyspace::write_keys`]) or a read of the key map.

use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::door::{KeyType, Keyspace, Value};
use super::effects::{arg, num, word};
use crate::error::Error;
use crate::glob;

/// FNV-1a, 64 bits: SCAN's key order (fixed, so cursors survive between calls).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Keyspace {
    /// DEL: removes keys, returns how many existed.
    pub fn del<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> u64 {
        self.write_keys(|kw| {
            let mut gone = Vec::new();
            for k in keys {
                if kw.remove(k.as_ref()).is_some() {
                    gone.push(k.as_ref());
                }
            }
            kw.dirty(gone.len() as u64);
            if !gone.is_empty() && kw.recording() {
                let mut e = vec![word("DEL")];
                e.extend(gone.iter().map(|k| arg(k)));
                kw.propagate(e);
            }
            gone.len() as u64
        })
    }

    /// RENAME (`nx` false) and RENAMENX (`nx` true): moves the value at `from`, with
    /// its expiry time, to `to`, replacing what `to` held (RENAMENX: only when `to` does
    /// not exist). Whether it moved; `ERR no such key` when `from` does not exist.
    /// Readers blocked on `from` re-run as after a DEL, those on `to` as after a write.
    pub fn rename(&mut self, from: &[u8], to: &[u8], nx: bool) -> Result<bool, Error> {
        self.check_writable()?;
        if self.value(from).is_none() {
            return Err(Error::NoSuchKey);
        }
        self.check_slots([from, to])?;
        if from == to {
            return Ok(!nx);
        }
        if nx && self.value(to).is_some() {
            return Ok(false);
        }
        self.write_keys(|kw| {
            let at = kw.expiry(from);
            let Some(mut value) = kw.remove(from) else {
                return Err(Error::NoSuchKey);
            };
            if let Value::Stream(s) = &mut value {
                s.idmp_mut().renamed();
            }
            kw.insert(to, value);
            if let Some(at) = at {
                kw.set_expiry(to, at);
            }
            kw.dirty(1);
            kw.propagate(vec![
                word(if nx { "RENAMENX" } else { "RENAME" }),
                arg(from),
                arg(to),
            ]);
            Ok(true)
        })
    }

    /// COPY (in one database): stores a copy of the value at `src`, with its expiry
    /// time, at `dst` — for a stream everything Redis's `streamDup` copies: entries,
    /// IDs and counters, groups with their consumers and PELs, IDMP settings, producers
    /// and IIDs. Whether it copied: `false` when `src` does not exist, or `dst` does and
    /// `replace` is off. `ERR source and destination objects are the same` when they
    /// are one key (checked first, after the cluster-mode slot check); keys due to
    /// expire at `now` are gone first. Readers blocked on `dst` re-run as after a
    /// write; WATCH sees `dst` modified. Propagated as `COPY src dst [REPLACE]`.
    pub fn copy(&mut self, src: &[u8], dst: &[u8], replace: bool, now: u64) -> Result<bool, Error> {
        self.check_writable()?;
        self.check_slots([src, dst])?;
        if src == dst {
            return Err(Error::SameObject);
        }
        self.expire_due(now);
        let Some((value, at)) = self.copy_of(src) else {
            return Ok(false);
        };
        let mut effect = vec![word("COPY"), arg(src), arg(dst)];
        if replace {
            effect.push(word("REPLACE"));
        }
        Ok(self.store_copy(dst, value, at, replace, Some(effect)))
    }

    /// COPY … DB n: as [`Keyspace::copy`], from this keyspace's `src` to `dst` in
    /// `dest`, another database's keyspace (`db` its index, for the effect). Recorded
    /// here, in the source's database, as Redis propagates it: `COPY src dst DB db
    /// [REPLACE]`; the change is counted by `dest`.
    pub fn copy_to(
        &mut self,
        src: &[u8],
        dest: &mut Keyspace,
        dst: &[u8],
        db: usize,
        replace: bool,
        now: u64,
    ) -> Result<bool, Error> {
        self.check_writable()?;
        self.expire_due(now);
        dest.expire_due(now);
        let Some((value, at)) = self.copy_of(src) else {
            return Ok(false);
        };
        if !dest.store_copy(dst, value, at, replace, None) {
            return Ok(false);
        }
        self.write_keys(|kw| {
            if kw.recording() {
                let mut effect = vec![word("COPY"), arg(src), arg(dst), word("DB"), num(db)];
                if replace {
                    effect.push(word("REPLACE"));
                }
                kw.propagate(effect);
            }
        });
        Ok(true)
    }

    /// The copy COPY stores of the value at `src`, and `src`'s expiry time.
    fn copy_of(&self, src: &[u8]) -> Option<(Value, Option<u64>)> {
        let value = match self.value(src)? {
            Value::Stream(s) => Value::Stream(alloc::boxed::Box::new(s.copied())),
            Value::String(b) => Value::String(Bytes::copy_from_slice(b)),
        };
        Some((value, self.expiry_of(src)))
    }

    /// Stores a copy at `dst` with expiry time `at` unless `dst` exists and `replace`
    /// is off; whether it stored it. `effect`: what to propagate.
    fn store_copy(
        &mut self,
        dst: &[u8],
        value: Value,
        at: Option<u64>,
        replace: bool,
        effect: Option<super::door::Argv>,
    ) -> bool {
        if !replace && self.value(dst).is_some() {
            return false;
        }
        self.write_keys(|kw| {
            kw.insert(dst, value);
            if let Some(at) = at {
                kw.set_expiry(dst, at);
            }
            kw.dirty(1);
            if let Some(effect) = effect {
                kw.propagate(effect);
            }
            true
        })
    }

    /// SCAN's order: keys by a fixed 64-bit hash (FNV-1a), so a cursor — the hash to
    /// resume at — stays valid while keys come and go. Returns the next cursor (0 when
    /// done) and up to `count` keys from `cursor` on (more when keys share a hash, so
    /// that none is skipped).
    pub fn scan_keys(&self, cursor: u64, count: usize) -> (u64, Vec<(Bytes, KeyType)>) {
        let mut hashed: Vec<(u64, &Bytes, &Value)> = self
            .entries()
            .map(|(k, v)| (fnv1a(k), k, v))
            .filter(|(h, _, _)| *h >= cursor)
            .collect();
        hashed.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut take = count.max(1).min(hashed.len());
        while take < hashed.len() && take > 0 && hashed[take].0 == hashed[take - 1].0 {
            take += 1;
        }
        let next = match hashed.get(take) {
            Some(_) => hashed[take - 1].0.wrapping_add(1),
            None => 0,
        };
        let keys = hashed[..take]
            .iter()
            .map(|(_, k, v)| ((*k).clone(), KeyType::of(v)))
            .collect();
        (next, keys)
    }

    /// EXISTS: how many of `keys` exist (a key named twice counts twice).
    pub fn exists<K: AsRef<[u8]>>(&self, keys: &[K]) -> u64 {
        keys.iter()
            .filter(|k| self.value(k.as_ref()).is_some())
            .count() as u64
    }

    /// TYPE.
    pub fn key_type(&self, key: &[u8]) -> KeyType {
        self.value(key).map_or(KeyType::None, KeyType::of)
    }

    /// KEYS: every key matching the glob `pattern` (Redis's `stringmatchlen`), in no
    /// particular order.
    pub fn keys(&self, pattern: &[u8]) -> Vec<Bytes> {
        let all = pattern == b"*";
        self.entries()
            .map(|(k, _)| k)
            .filter(|k| all || glob::matches(pattern, k))
            .cloned()
            .collect()
    }

    /// FLUSHALL / FLUSHDB: removes every key.
    pub fn flush(&mut self) {
        self.write_keys(|kw| {
            let n = kw.clear();
            kw.dirty(n);
            kw.propagate(vec![word("FLUSHDB")]);
        });
    }

    /// SET: stores a string, replacing any value (and its expiry time).
    pub fn set(&mut self, key: &[u8], value: Bytes) {
        self.write_keys(|kw| {
            if kw.recording() {
                kw.propagate(vec![word("SET"), arg(key), value.clone()]);
            }
            kw.insert(key, Value::String(value));
            kw.dirty(1);
        });
    }

    /// GET: the string at `key`; WRONGTYPE for a stream.
    pub fn get(&self, key: &[u8]) -> Result<Option<Bytes>, Error> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(v)) => Ok(Some(v.clone())),
            Some(_) => Err(Error::WrongType),
        }
    }
}
