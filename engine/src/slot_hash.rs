//! Redis Cluster's key slots: which of the 16384 slots a key belongs to (CRC16-XMODEM of
//! the key, or of its hash tag — the part between the first `{` and the next `}` when
//! that part is not empty), and the check a cluster makes before running a command whose
//! keys must all live in one slot.

use crate::error::Error;

/// The number of slots.
pub const SLOTS: u16 = 16384;

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as Redis Cluster uses.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The part of `key` that is hashed: its hash tag when it has a non-empty one.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// The slot of `key` (`CLUSTER KEYSLOT`).
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) % SLOTS
}

/// `Ok` when every key is in the same slot, else Redis Cluster's `CROSSSLOT` error.
pub fn same_slot<'a>(keys: impl IntoIterator<Item = &'a [u8]>) -> Result<(), Error> {
    let mut slot = None;
    for k in keys {
        let s = key_slot(k);
        match slot {
            None => slot = Some(s),
            Some(first) if first != s => return Err(Error::CrossSlot),
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_as_redis_computes_them() {
        // CRC16-XMODEM's check value, and CLUSTER KEYSLOT answers of Redis.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"{user1000}.followers"), key_slot(b"user1000"));
        // An empty tag hashes the whole key; only the first `{` counts.
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        assert_eq!(hash_tag(b"no-close{"), b"no-close{");
        assert!(same_slot([&b"{q}:a"[..], b"{q}:b"]).is_ok());
        assert_eq!(same_slot([&b"foo"[..], b"bar"]), Err(Error::CrossSlot));
        assert!(same_slot(core::iter::empty()).is_ok());
    }
}
