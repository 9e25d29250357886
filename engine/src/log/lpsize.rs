//! Redis's listpack byte accounting.
//!
//! brook stores node entries in its own compact format, but Redis decides when XADD
//! starts a new node from the *listpack* size of the tail node, and `~` trimming works on
//! whole nodes, so replies such as XINFO STREAM's `radix-tree-keys` and the result of
//! `XTRIM … MAXLEN ~ n` depend on exactly where Redis closes nodes. This module computes
//! what each listpack element would occupy (reference §1.6) so that nodes close at the
//! same entry as in Redis.

use crate::num;

/// Header (6 bytes: total size and element count) plus the end-of-listpack byte.
pub const LISTPACK_OVERHEAD: u64 = 7;

/// Bytes an element's back-length field takes for an encoding of `enc` bytes.
const fn backlen(enc: u64) -> u64 {
    if enc <= 127 {
        1
    } else if enc < 16383 {
        2
    } else if enc < 2_097_151 {
        3
    } else if enc < 268_435_455 {
        4
    } else {
        5
    }
}

/// Size of an integer element (`lpAppendInteger`).
#[inline]
pub const fn int_elem(v: i64) -> u64 {
    let enc = if 0 <= v && v <= 127 {
        1
    } else if -4096 <= v && v <= 4095 {
        2
    } else if -32768 <= v && v <= 32767 {
        3
    } else if -8_388_608 <= v && v <= 8_388_607 {
        4
    } else if -2_147_483_648 <= v && v <= 2_147_483_647 {
        5
    } else {
        9
    };
    enc + backlen(enc)
}

/// Size of a string element (`lpAppend`): strings that are canonical `i64`s are stored
/// as integers.
#[inline]
pub fn str_elem(s: &[u8]) -> u64 {
    let maybe_int = matches!(s.first(), Some(b'0'..=b'9' | b'-')) && s.len() <= 20;
    if maybe_int {
        if let Some(v) = num::lp_int(s) {
            return int_elem(v);
        }
    }
    let len = s.len() as u64;
    let enc = if len < 64 {
        1 + len
    } else if len < 4096 {
        2 + len
    } else {
        5 + len
    };
    enc + backlen(enc)
}

/// Size of a count element (a node's live or deleted counter), which Redis stores as an
/// integer and rewrites in place when it changes.
#[inline]
pub fn count_elem(n: u64) -> u64 {
    if n < 128 {
        return 2;
    }
    int_elem(i64::try_from(n).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlen_boundaries() {
        // lpEncodeBacklen: ≤127 → 1, <16383 → 2, <2097151 → 3, <268435455 → 4, else 5.
        assert_eq!([backlen(127), backlen(128)], [1, 2]);
        assert_eq!([backlen(16382), backlen(16383)], [2, 3]);
        assert_eq!([backlen(2_097_150), backlen(2_097_151)], [3, 4]);
        assert_eq!([backlen(268_435_454), backlen(268_435_455)], [4, 5]);
        assert_eq!(str_elem(&[b'x'; 16_378]), 16_383 + 3);
        assert_eq!(str_elem(&[b'x'; 16_377]), 16_382 + 2);
    }

    #[test]
    fn count_elements_widen_past_127() {
        assert_eq!([count_elem(0), count_elem(127)], [2, 2]);
        assert_eq!([count_elem(128), count_elem(129)], [3, 3]);
        assert_eq!(count_elem(5000), 4);
    }

    #[test]
    fn element_sizes() {
        assert_eq!(int_elem(0), 2);
        assert_eq!(int_elem(127), 2);
        assert_eq!(int_elem(128), 3);
        assert_eq!(int_elem(-1), 3);
        assert_eq!(int_elem(-4096), 3);
        assert_eq!(int_elem(4096), 4);
        assert_eq!(int_elem(-32769), 5);
        assert_eq!(int_elem(8_388_608), 6);
        assert_eq!(int_elem(i64::MAX), 10);
        assert_eq!(str_elem(b"value"), 7);
        assert_eq!(str_elem(b"12"), 2);
        assert_eq!(str_elem(b"012"), 5);
        assert_eq!(str_elem(&[b'a'; 63]), 65);
        assert_eq!(str_elem(&[b'a'; 64]), 66 + 1);
        assert_eq!(str_elem(&[b'a'; 125]), 127 + 1);
        assert_eq!(str_elem(&[b'a'; 126]), 128 + 2);
        assert_eq!(str_elem(&[b'a'; 4096]), 4101 + 2);
    }
}
