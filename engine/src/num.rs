//! Byte-level number and keyword handling with Redis's exact acceptance rules.
//!
//! Redis parses integer arguments with `string2ll` (canonical decimal only: no `+`, no
//! leading zeros, no spaces, at most 20 bytes), ID parts with `string2ull` (which falls
//! back to C's `strtoull`), and compares keywords with `strcasecmp` on C strings, so an
//! argument is only looked at up to its first NUL byte. Every rule lives here, once.

/// The bytes of `arg` before its first NUL: what a C string function sees.
pub fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    }
}

/// `strcasecmp(arg, keyword) == 0` for an ASCII keyword.
pub fn keyword_eq(arg: &[u8], keyword: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(keyword.as_bytes())
}

/// True when `arg` as a C string is exactly the one character `c` (`opt[0] == c &&
/// opt[1] == '\0'` in Redis).
pub fn is_char(arg: &[u8], c: u8) -> bool {
    c_str(arg) == [c]
}

/// Redis's `string2ll`: a canonical decimal `i64` (`0`, or `-?[1-9][0-9]*` within range,
/// at most 20 bytes). Works on the full byte string, NULs included (they never parse).
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    if digits.len() <= 19 {
        // At most 19 digits never overflow a u64: no checked arithmetic (IDs' parts
        // and most integers take this way).
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u64::from(d - b'0');
        }
    } else {
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
    }
    if negative {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Whether a listpack would store this string as an integer (`lpStringToInt64`), and
/// which. Identical to [`parse_i64`]; named for its use in listpack size accounting.
pub fn lp_int(s: &[u8]) -> Option<i64> {
    parse_i64(s)
}

/// Redis's `string2ull` (on one part of an ID, already cut at the first NUL and at the
/// `-`; on SCAN's cursor, cut at the first NUL): a canonical non-negative `i64`, or
/// else anything C's `strtoull(s, &end, 10)` consumes entirely without overflow.
pub fn parse_id_part(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    strtoull_whole(s)
}

/// C's `strtoull(s, &end, 10)` requiring `*s != 0 && *end == 0` and no `ERANGE`.
fn strtoull_whole(s: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        // No digits at all (end == s), or trailing garbage.
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// Writes `v` in decimal at `buf[at..]`, returning the new end. Two digits a step
/// from a table, each byte written once in place (every reply of an ID or a length
/// passes here).
pub fn write_u64(v: u64, buf: &mut [u8], at: usize) -> usize {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let end = at + v.checked_ilog10().map_or(1, |l| l as usize + 1);
    let out = &mut buf[at..end];
    let (mut v, mut i) = (v, out.len());
    while v >= 100 {
        let d = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        out[i..i + 2].copy_from_slice(&PAIRS[d..d + 2]);
    }
    if v >= 10 {
        let d = v as usize * 2;
        out[..2].copy_from_slice(&PAIRS[d..d + 2]);
    } else {
        out[0] = b'0' + v as u8;
    }
    end
}

/// Redis's `memtoull` for memory configs: decimal digits (possibly none, meaning 0) and
/// an optional unit `b`, `k`, `kb`, `m`, `mb`, `g`, `gb` (case-insensitive; `k` = 1000,
/// `kb` = 1024). No sign, no spaces. `None` when malformed or out of `u64`.
pub fn parse_memory(s: &[u8]) -> Option<u64> {
    let split = s
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    v.checked_mul(mul)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b"007"), None);
        assert_eq!(parse_i64(b"+5"), None);
        assert_eq!(parse_i64(b" 5"), None);
        assert_eq!(parse_i64(b"5 "), None);
        assert_eq!(parse_i64(b"-"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"-9223372036854775809"), None);
        assert_eq!(parse_i64(b"1\x002"), None);
        assert_eq!(parse_i64(b"-12"), Some(-12));
    }

    #[test]
    fn string2ull_rules() {
        assert_eq!(parse_id_part(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_id_part(b"18446744073709551616"), None);
        assert_eq!(parse_id_part(b"-5"), None);
        assert_eq!(parse_id_part(b" -1"), Some(u64::MAX));
        assert_eq!(parse_id_part(b"-0"), Some(0));
        assert_eq!(parse_id_part(b"- 1"), None);
        assert_eq!(parse_id_part(b"+"), None);
        assert_eq!(parse_id_part(b"   "), None);
        assert_eq!(parse_id_part(b"\x0b7"), Some(7));
        assert_eq!(
            parse_id_part(b"-9223372036854775809"),
            Some(9223372036854775807)
        );
    }

    #[test]
    fn keywords_and_memory() {
        assert!(keyword_eq(b"maxlen", "MAXLEN"));
        assert!(keyword_eq(b"MAXLEN\0x", "MAXLEN"));
        assert!(!keyword_eq(b"MAXLENx", "MAXLEN"));
        assert!(is_char(b"~", b'~'));
        assert!(is_char(b"~\0", b'~'));
        assert!(!is_char(b"~~", b'~'));
        assert_eq!(parse_memory(b"4096"), Some(4096));
        assert_eq!(parse_memory(b"4kb"), Some(4096));
        assert_eq!(parse_memory(b"4K"), Some(4000));
        assert_eq!(parse_memory(b"1GB"), Some(1 << 30));
        assert_eq!(parse_memory(b"3m"), Some(3_000_000));
        assert_eq!(parse_memory(b"3mb"), Some(3 << 20));
        assert_eq!(parse_memory(b"3g"), Some(3_000_000_000));
        assert_eq!(parse_memory(b"3gb"), Some(3 << 30));
        assert_eq!(parse_memory(b"7b"), Some(7));
        assert_eq!(parse_memory(b"x"), None);
        assert_eq!(parse_memory(b"-1"), None);
        // As Redis and Valkey answer CONFIG SET: no digits means 0; no sign or spaces.
        assert_eq!(parse_memory(b""), Some(0));
        assert_eq!(parse_memory(b"k"), Some(0));
        assert_eq!(parse_memory(b"1Kb"), Some(1024));
        for bad in [&b" 5"[..], b"5 ", b"+5", b"-0", b"0x10", b"1.5k"] {
            assert_eq!(parse_memory(bad), None, "{bad:?}");
        }
        let mut buf = [0u8; 20];
        let n = write_u64(u64::MAX, &mut buf, 0);
        assert_eq!(&buf[..n], b"18446744073709551615");
    }

    /// Every digit count and its edges, written at an offset, as `format!` writes
    /// them; and parsed back.
    #[test]
    fn decimal_edges() {
        let mut values = vec![0, 1, 9, u64::MAX, u64::MAX - 1, i64::MAX as u64];
        for p in 1..20 {
            let t = 10u64.pow(p);
            values.extend([t - 1, t, t + 1, t / 2 + 7]);
        }
        for v in values {
            let mut buf = [b'x'; 24];
            let end = write_u64(v, &mut buf, 3);
            let want = format!("xxx{v}");
            assert_eq!(&buf[..end], want.as_bytes());
            assert!(buf[end..].iter().all(|&b| b == b'x'));
            assert_eq!(parse_i64(&buf[3..end]), i64::try_from(v).ok(), "{v}");
        }
        assert_eq!(parse_i64(b"9999999999999999999"), None);
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"-9223372036854775809"), None);
        assert_eq!(parse_i64(b"12a"), None);
    }
}
