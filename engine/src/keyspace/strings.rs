//! Plain strings: SET with its conditions and expiry, and INCRBY — what a handler's
//! effects and the worker's processed-markers need beside streams.

use alloc::string::ToString;
use alloc::vec;

use bytes::Bytes;

use super::door::{KeyType, Keyspace, Value};
use super::effects::{arg, num, word};
use crate::error::Error;

/// When a string set with [`Keyspace::set_with`] expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expire {
    /// `PX ms` (and `EX s` as `s × 1000`): this long after the command.
    After(u64),
    /// `PXAT ms` (and `EXAT s`): at this Unix time in ms.
    At(u64),
    /// `KEEPTTL`: keep the key's current expiry time.
    Keep,
}

/// SET's options: `NX`/`XX` and an expiry; `SetOptions::default()` and the builder
/// methods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetOptions {
    /// `NX`: only if the key does not exist.
    pub nx: bool,
    /// `XX`: only if it exists.
    pub xx: bool,
    /// `PX`/`EX`/`PXAT`/`EXAT`/`KEEPTTL` (`None`: no expiry, any old one cleared).
    pub expire: Option<Expire>,
}

impl SetOptions {
    /// `NX`.
    pub fn nx(mut self) -> SetOptions {
        self.nx = true;
        self
    }

    /// `XX`.
    pub fn xx(mut self) -> SetOptions {
        self.xx = true;
        self
    }

    /// `PX ms`: expire this long after the command (rounded up to whole milliseconds;
    /// zero is refused, as Redis refuses `PX 0`).
    pub fn px(mut self, after: core::time::Duration) -> SetOptions {
        self.expire = Some(Expire::After(crate::options::millis_up(after)));
        self
    }

    /// Any expiry: `PX`, `PXAT` or `KEEPTTL`.
    pub fn expire(mut self, expire: Expire) -> SetOptions {
        self.expire = Some(expire);
        self
    }
}

impl Keyspace {
    /// SET key value \[NX|XX\] \[PX|PXAT|KEEPTTL\]: whether it stored the value (false
    /// when NX or XX said no; NX and XX together are a syntax error). A time already
    /// past stores nothing visible: the key is gone at once, as in Redis.
    pub fn set_with(
        &mut self,
        key: &[u8],
        value: Bytes,
        opts: &SetOptions,
        now: u64,
    ) -> Result<bool, Error> {
        self.check_writable()?;
        if opts.nx && opts.xx {
            return Err(Error::Syntax);
        }
        // Redis's checks on PX/PXAT before it looks at the key: a time above zero, and
        // a deadline it can hold.
        let max = i64::MAX as u64;
        match opts.expire {
            Some(Expire::After(0) | Expire::At(0)) => return Err(Error::InvalidExpireTime),
            Some(Expire::After(ms)) if now.checked_add(ms).is_none_or(|t| t > max) => {
                return Err(Error::InvalidExpireTime)
            }
            Some(Expire::At(at)) if at > max => return Err(Error::InvalidExpireTime),
            _ => {}
        }
        let exists = self.key_type(key) != KeyType::None;
        if opts.nx && exists || opts.xx && !exists {
            return Ok(false);
        }
        // A copy: `value` may be a slice of a connection's read buffer, which it would
        // keep alive for as long as the key lives.
        let value = Bytes::copy_from_slice(&value);
        let loading = self.replaying();
        self.write_keys(|kw| {
            let at = match opts.expire {
                None => None,
                Some(Expire::Keep) => kw.expiry(key),
                Some(Expire::After(ms)) => Some(now.saturating_add(ms)),
                Some(Expire::At(at)) => Some(at),
            };
            let effect = kw
                .recording()
                .then(|| vec![word("SET"), arg(key), value.clone()]);
            kw.insert(key, Value::String(value));
            kw.dirty(1);
            match at {
                // A time already past: Redis deletes the key and propagates DEL —
                // except while loading, when the key is kept to expire afterwards
                // (later commands in the file may still use it).
                Some(at) if at <= now && !loading => {
                    kw.remove(key);
                    kw.propagate(vec![word("DEL"), arg(key)]);
                }
                Some(at) => {
                    kw.set_expiry(key, at);
                    if let Some(mut e) = effect {
                        e.extend([word("PXAT"), num(at)]);
                        kw.propagate(e);
                    }
                }
                None => {
                    if let Some(e) = effect {
                        kw.propagate(e);
                    }
                }
            }
        });
        Ok(true)
    }

    /// INCRBY key by: the new value. A missing key counts from 0; the key keeps its
    /// expiry. `ERR value is not an integer or out of range` when the string is not a
    /// canonical 64-bit integer, `ERR increment or decrement would overflow`, WRONGTYPE
    /// for a stream.
    pub fn incr_by(&mut self, key: &[u8], by: i64) -> Result<i64, Error> {
        self.check_writable()?;
        let old = match self.get(key)? {
            None => 0,
            Some(v) => crate::num::parse_i64(&v).ok_or(Error::NotAnInteger)?,
        };
        let new = old.checked_add(by).ok_or(Error::IncrOverflow)?;
        self.write_keys(|kw| {
            let ttl = kw.expiry(key);
            kw.insert(key, Value::String(Bytes::from(new.to_string())));
            if let Some(at) = ttl {
                kw.set_expiry(key, at);
            }
            kw.dirty(1);
            kw.propagate(vec![word("INCRBY"), arg(key), num(by)]);
        });
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_conditions_and_expiry() {
        let mut ks = Keyspace::new();
        let v = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(
            ks.set_with(
                b"k",
                v("1"),
                &SetOptions::default()
                    .nx()
                    .px(core::time::Duration::from_millis(100)),
                1_000
            ),
            Ok(true)
        );
        assert_eq!(
            ks.set_with(b"k", v("2"), &SetOptions::default().nx(), 1_010),
            Ok(false)
        );
        assert_eq!(ks.pttl(b"k", 1_010), 90);
        let keep = SetOptions {
            xx: true,
            expire: Some(Expire::Keep),
            ..SetOptions::default()
        };
        assert_eq!(ks.set_with(b"k", v("3"), &keep, 1_020), Ok(true));
        assert_eq!(ks.pttl(b"k", 1_020), 80);
        assert_eq!(ks.incr_by(b"k", 4), Ok(7));
        assert_eq!(ks.pttl(b"k", 1_020), 80, "INCRBY keeps the expiry");
        ks.expire_due(1_100);
        assert_eq!(ks.get(b"k"), Ok(None));
        assert_eq!(
            ks.set_with(b"k", v("x"), &keep, 1_100),
            Ok(false),
            "XX on a missing key"
        );
        let past = SetOptions {
            expire: Some(Expire::At(5)),
            ..SetOptions::default()
        };
        assert_eq!(ks.set_with(b"k", v("x"), &past, 1_100), Ok(true));
        let both = SetOptions {
            nx: true,
            xx: true,
            expire: None,
        };
        assert_eq!(ks.set_with(b"z", v("x"), &both, 1_100), Err(Error::Syntax));
        assert_eq!(ks.exists(&[b"k"]), 0, "a past time removes it at once");
    }

    #[test]
    fn set_refuses_the_expiries_redis_refuses() {
        let mut ks = Keyspace::new();
        let v = |s: &'static str| Bytes::from_static(s.as_bytes());
        let px = |d| SetOptions::default().px(d);
        let zero = SetOptions::default().expire(Expire::After(0));
        assert_eq!(
            ks.set_with(b"k", v("1"), &zero, 1_000),
            Err(Error::InvalidExpireTime)
        );
        let at0 = SetOptions::default().expire(Expire::At(0));
        assert_eq!(
            ks.set_with(b"k", v("1"), &at0, 1_000),
            Err(Error::InvalidExpireTime)
        );
        let far = SetOptions::default().expire(Expire::After(i64::MAX as u64));
        assert_eq!(
            ks.set_with(b"k", v("1"), &far, 1_000),
            Err(Error::InvalidExpireTime)
        );
        assert_eq!(ks.key_type(b"k"), KeyType::None);
        // Under a millisecond rounds up to PX 1, as a wait above zero.
        let tiny = px(core::time::Duration::from_micros(10));
        assert_eq!(tiny.expire, Some(Expire::After(1)));
        assert_eq!(ks.set_with(b"k", v("1"), &tiny, 1_000), Ok(true));
    }

    #[test]
    fn incr_by_errors() {
        let mut ks = Keyspace::new();
        ks.set(b"s", Bytes::from_static(b" 1"));
        assert_eq!(ks.incr_by(b"s", 1), Err(Error::NotAnInteger));
        ks.set(b"m", Bytes::from(i64::MAX.to_string()));
        assert_eq!(ks.incr_by(b"m", 1), Err(Error::IncrOverflow));
        assert_eq!(ks.incr_by(b"new", -3), Ok(-3));
    }
}
