//! Stream IDs: the `<ms>-<seq>` pair every stream command speaks, with every form Redis
//! accepts and rejects.
//!
//! An ID is two unsigned 64-bit integers compared as `(ms, seq)`. Redis parses IDs in a
//! handful of contexts that differ in what they accept:
//!
//! | context | `-` / `+` | incomplete `5` | `(5` exclusive | `5-*` |
//! |---|---|---|---|---|
//! | strict (XADD id, MINID, XDEL, XSETID, explicit XREAD ids …) | rejected | `5-0` | rejected | XADD only |
//! | interval start (XRANGE/XREVRANGE start, XPENDING, XAUTOCLAIM) | `0-0` / max | `5-0` | `5-1` | rejected |
//! | interval end (XRANGE/XREVRANGE end, XPENDING) | `0-0` / max | `5-max` | `4-max`… | rejected |
//!
//! Parsing reproduces Redis's quirks exactly (reference §1.3): an argument longer than 127
//! bytes is invalid; only the bytes before the first NUL are looked at (Redis copies the
//! argument into a C string); each part is a canonical decimal `i64` that must not be
//! negative, or else whatever C's `strtoull` accepts in full (leading whitespace, a sign,
//! leading zeros; `" -1"` wraps to 2^64-1).

use core::fmt;

use crate::error::Error;
use crate::num;

/// A stream entry ID, `<ms>-<seq>`, ordered by `(ms, seq)` as Redis orders them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    /// Milliseconds part (usually a Unix time in ms).
    pub ms: u64,
    /// Sequence number within the millisecond.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`, the smallest ID (`-` in ranges); never a valid entry ID.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// `18446744073709551615-18446744073709551615`, the largest ID (`+` in ranges).
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// Builds an ID from its two parts.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// True for `0-0`.
    pub const fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// The next ID in order (`seq + 1`, or `(ms + 1)-0` on overflow); `None` after
    /// [`StreamId::MAX`]. Mirrors Redis's `streamIncrID`.
    pub const fn next(&self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID in order; `None` before `0-0`. Mirrors Redis's `streamDecrID`.
    pub const fn prev(&self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// The ID as one 128-bit number (`ms` in the high half): the order of the 16-byte
    /// big-endian key Redis uses in its radix tree.
    pub const fn to_u128(&self) -> u128 {
        ((self.ms as u128) << 64) | self.seq as u128
    }

    /// Inverse of [`StreamId::to_u128`].
    pub const fn from_u128(v: u128) -> StreamId {
        StreamId::new((v >> 64) as u64, v as u64)
    }

    /// The 16-byte big-endian key of this ID (Redis's `streamEncodeID`).
    pub const fn to_be_bytes(&self) -> [u8; 16] {
        self.to_u128().to_be_bytes()
    }

    /// Writes the decimal `<ms>-<seq>` form into `buf` and returns the used part.
    pub fn format_into<'a>(&self, buf: &'a mut [u8; 41]) -> &'a [u8] {
        let mut n = num::write_u64(self.ms, buf, 0);
        buf[n] = b'-';
        n += 1;
        n = num::write_u64(self.seq, buf, n);
        &buf[..n]
    }

    /// Parses an ID in a *strict* context (reference §1.3): `-`, `+`, `(`, and `ms-*` are
    /// rejected; an incomplete `5` means `5-0`.
    pub fn parse_strict(arg: &[u8]) -> Result<StreamId, Error> {
        parse_id(arg, true, 0, false).map(|(id, _)| id)
    }

    /// Parses an ID in a *non-strict* context without interval syntax (XGROUP SETID):
    /// `-` is `0-0`, `+` is the maximum ID, an incomplete `5` means `5-0`, `(` is
    /// refused.
    pub fn parse_loose(arg: &[u8]) -> Result<StreamId, Error> {
        parse_id(arg, false, 0, false).map(|(id, _)| id)
    }

    /// Parses the start bound of an interval (XRANGE start, XREVRANGE's last argument,
    /// XPENDING start, XAUTOCLAIM start): `-`, `+`, `(id` accepted; incomplete means seq 0.
    pub fn parse_range_start(arg: &[u8]) -> Result<StreamId, Error> {
        let (id, exclusive) = parse_interval(arg, 0)?;
        if exclusive {
            id.next().ok_or(Error::InvalidStartInterval)
        } else {
            Ok(id)
        }
    }

    /// Parses the end bound of an interval (XRANGE end, XREVRANGE's first bound, XPENDING
    /// end): `-`, `+`, `(id` accepted; incomplete means seq 2^64-1.
    pub fn parse_range_end(arg: &[u8]) -> Result<StreamId, Error> {
        let (id, exclusive) = parse_interval(arg, u64::MAX)?;
        if exclusive {
            id.prev().ok_or(Error::InvalidEndInterval)
        } else {
            Ok(id)
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl fmt::Debug for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<(u64, u64)> for StreamId {
    fn from((ms, seq): (u64, u64)) -> StreamId {
        StreamId::new(ms, seq)
    }
}

impl core::str::FromStr for StreamId {
    type Err = Error;
    /// Parses strictly, as an explicit entry ID (see [`StreamId::parse_strict`]).
    fn from_str(s: &str) -> Result<StreamId, Error> {
        StreamId::parse_strict(s.as_bytes())
    }
}

/// What XADD was asked to use as the new entry's ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum XAddId {
    /// `*`: generated from the command time and the stream's last ID.
    #[default]
    Auto,
    /// `<ms>-*`: this millisecond, the next free sequence number.
    AutoSeq(u64),
    /// An explicit `<ms>-<seq>` (or incomplete `<ms>`, meaning `<ms>-0`).
    Explicit(StreamId),
}

impl XAddId {
    /// Parses XADD's ID argument (strict, `ms-*` allowed). `*` itself is recognised by the
    /// option scanner before this is called, but is accepted here as well.
    pub fn parse(arg: &[u8]) -> Result<XAddId, Error> {
        if num::c_str(arg) == b"*" {
            return Ok(XAddId::Auto);
        }
        let (id, seq_given) = parse_id(arg, true, 0, true)?;
        Ok(if seq_given {
            XAddId::Explicit(id)
        } else {
            XAddId::AutoSeq(id.ms)
        })
    }
}

impl From<StreamId> for XAddId {
    fn from(id: StreamId) -> XAddId {
        XAddId::Explicit(id)
    }
}

/// Longest ID argument Redis accepts (it copies into a 128-byte C buffer).
const MAX_ID_ARG_LEN: usize = 127;

/// Redis's `streamGenericParseIDOrReply`. Returns the ID and whether the sequence was
/// given (false only for `ms-*` when `allow_seq_star`).
fn parse_id(
    arg: &[u8],
    strict: bool,
    missing_seq: u64,
    allow_seq_star: bool,
) -> Result<(StreamId, bool), Error> {
    if arg.len() > MAX_ID_ARG_LEN {
        return Err(Error::InvalidStreamId);
    }
    let s = num::c_str(arg);
    match s {
        b"-" | b"+" if strict => return Err(Error::InvalidStreamId),
        b"-" => return Ok((StreamId::MIN, true)),
        b"+" => return Ok((StreamId::MAX, true)),
        _ => {}
    }
    let (ms_part, seq_part) = match s.iter().position(|&b| b == b'-') {
        Some(dash) => (&s[..dash], Some(&s[dash + 1..])),
        None => (s, None),
    };
    let ms = num::parse_id_part(ms_part).ok_or(Error::InvalidStreamId)?;
    match seq_part {
        Some(b"*") if allow_seq_star => Ok((StreamId::new(ms, 0), false)),
        Some(part) => {
            let seq = num::parse_id_part(part).ok_or(Error::InvalidStreamId)?;
            Ok((StreamId::new(ms, seq), true))
        }
        None => Ok((StreamId::new(ms, missing_seq), true)),
    }
}

/// Redis's `streamParseIntervalIdOrReply`: an argument of two or more bytes starting
/// with `(` is exclusive and the rest is parsed strictly.
fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Error> {
    if arg.len() > 1 && arg[0] == b'(' {
        let (id, _) = parse_id(&arg[1..], true, missing_seq, false)?;
        Ok((id, true))
    } else {
        let (id, _) = parse_id(arg, false, missing_seq, false)?;
        Ok((id, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn strict(s: &str) -> Result<StreamId, Error> {
        StreamId::parse_strict(s.as_bytes())
    }

    #[test]
    fn strict_forms() {
        assert_eq!(strict("1-0"), Ok(StreamId::new(1, 0)));
        assert_eq!(strict("5"), Ok(StreamId::new(5, 0)));
        assert_eq!(strict("1-+5"), Ok(StreamId::new(1, 5)));
        assert_eq!(strict("1-07"), Ok(StreamId::new(1, 7)));
        assert_eq!(strict("1- 8"), Ok(StreamId::new(1, 8)));
        assert_eq!(strict("+2-0"), Ok(StreamId::new(2, 0)));
        assert_eq!(strict("003-0"), Ok(StreamId::new(3, 0)));
        assert_eq!(strict(" 1"), Ok(StreamId::new(1, 0)));
        assert_eq!(strict("\t1"), Ok(StreamId::new(1, 0)));
        assert_eq!(strict("5- -1"), Ok(StreamId::new(5, u64::MAX)));
        for bad in [
            "-",
            "+",
            "5--5",
            "-5-1",
            "4-0 ",
            "4-",
            "",
            "1-*",
            "18446744073709551616",
            "x",
            "(1",
            "1-2-3",
            "0x10",
        ] {
            assert_eq!(strict(bad), Err(Error::InvalidStreamId), "{bad:?}");
        }
        assert_eq!(
            strict("18446744073709551615-18446744073709551615"),
            Ok(StreamId::MAX)
        );
    }

    #[test]
    fn length_and_nul_rules() {
        let mut long = alloc::vec![b'0'; 126];
        long.push(b'1');
        assert_eq!(long.len(), 127);
        assert_eq!(StreamId::parse_strict(&long), Ok(StreamId::new(1, 0)));
        long.insert(0, b'0');
        assert_eq!(StreamId::parse_strict(&long), Err(Error::InvalidStreamId));
        // Only the bytes before a NUL count, as in Redis's C-string copy.
        assert_eq!(
            StreamId::parse_strict(b"7-1\0junk"),
            Ok(StreamId::new(7, 1))
        );
        assert_eq!(
            StreamId::parse_strict(b"\x007"),
            Err(Error::InvalidStreamId)
        );
    }

    #[test]
    fn ranges() {
        let s = |x: &str| StreamId::parse_range_start(x.as_bytes());
        let e = |x: &str| StreamId::parse_range_end(x.as_bytes());
        assert_eq!(s("-"), Ok(StreamId::MIN));
        assert_eq!(s("+"), Ok(StreamId::MAX));
        assert_eq!(e("5"), Ok(StreamId::new(5, u64::MAX)));
        assert_eq!(s("(5"), Ok(StreamId::new(5, 1)));
        assert_eq!(e("(5"), Ok(StreamId::new(5, u64::MAX - 1)));
        assert_eq!(e("(2-0"), Ok(StreamId::new(1, u64::MAX)));
        assert_eq!(s("("), Err(Error::InvalidStreamId));
        assert_eq!(s("(-"), Err(Error::InvalidStreamId));
        assert_eq!(s("(+"), Err(Error::InvalidStreamId));
        assert_eq!(
            s("(18446744073709551615-18446744073709551615"),
            Err(Error::InvalidStartInterval)
        );
        assert_eq!(e("(0-0"), Err(Error::InvalidEndInterval));
        assert_eq!(s("1-*"), Err(Error::InvalidStreamId));
    }

    #[test]
    fn xadd_ids() {
        assert_eq!(XAddId::parse(b"*"), Ok(XAddId::Auto));
        assert_eq!(XAddId::parse(b"5-*"), Ok(XAddId::AutoSeq(5)));
        assert_eq!(
            XAddId::parse(b"5"),
            Ok(XAddId::Explicit(StreamId::new(5, 0)))
        );
        assert_eq!(XAddId::parse(b"-"), Err(Error::InvalidStreamId));
        assert_eq!(XAddId::parse(b"*-1"), Err(Error::InvalidStreamId));
    }

    #[test]
    fn conversions() {
        let id = StreamId::new(0x0102, 0x0304);
        let mut be = [0u8; 16];
        be[6] = 1;
        be[7] = 2;
        be[14] = 3;
        be[15] = 4;
        assert_eq!(id.to_be_bytes(), be);
        assert!(StreamId::new(1, u64::MAX).to_be_bytes() < StreamId::new(2, 0).to_be_bytes());
        assert_eq!(StreamId::from((7, 8)), StreamId::new(7, 8));
        assert_eq!("7-8".parse::<StreamId>(), Ok(StreamId::new(7, 8)));
        assert_eq!("+".parse::<StreamId>(), Err(Error::InvalidStreamId));
        assert_eq!(
            XAddId::from(StreamId::new(3, 4)),
            XAddId::Explicit(StreamId::new(3, 4))
        );
        assert!(
            StreamId::MIN.is_zero()
                && !StreamId::new(0, 1).is_zero()
                && !StreamId::new(1, 0).is_zero()
        );
    }

    #[test]
    fn next_prev_and_format() {
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
        let mut buf = [0u8; 41];
        assert_eq!(
            StreamId::MAX.format_into(&mut buf),
            StreamId::MAX.to_string().as_bytes()
        );
        assert_eq!(StreamId::new(0, 7).format_into(&mut buf), b"0-7");
        assert_eq!(
            StreamId::from_u128(StreamId::new(3, 4).to_u128()),
            StreamId::new(3, 4)
        );
        assert!(StreamId::new(1, 9) < StreamId::new(2, 0));
    }
}
