//! Protocol-neutral command replies and their RESP2 / RESP3 encodings.
//!
//! A [`Reply`] records *what* Redis answers (a map, a null array …); [`Reply::write_resp`]
//! decides the bytes for the connection's protocol exactly as Redis does: maps become flat
//! arrays in RESP2, and the two RESP2 nulls (`$-1`, `*-1`) both become `_` in RESP3.

use alloc::vec::Vec;

use bytes::Bytes;

use crate::entry::StreamEntry;
use crate::error::Error;
use crate::id::StreamId;
pub use crate::resp::Protocol;
use crate::resp::{bulk_len, len_len, write_bulk, write_id, write_len, RespWriter};

/// A command's reply, before encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// A simple string such as `+OK` or `+stream`.
    Simple(&'static str),
    /// An error reply.
    Error(Error),
    /// An integer.
    Integer(i64),
    /// A bulk string.
    Bulk(Bytes),
    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// The null array: `*-1` in RESP2, `_` in RESP3.
    NullArray,
    /// An array.
    Array(Vec<Reply>),
    /// A map: `%n` in RESP3, a flat array of keys and values in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// A map in RESP3, an array of `[key, value]` pairs in RESP2 (XREAD's shape).
    PairMap(Vec<(Reply, Reply)>),
}

impl Reply {
    /// `+OK`.
    pub const OK: Reply = Reply::Simple("OK");

    /// A stream ID as a bulk string (`"1-1"`).
    pub fn id(id: StreamId) -> Reply {
        let mut buf = [0u8; 41];
        Reply::Bulk(Bytes::copy_from_slice(id.format_into(&mut buf)))
    }

    /// A bulk string from a static text (used for map keys).
    pub fn text(s: &'static str) -> Reply {
        Reply::Bulk(Bytes::from_static(s.as_bytes()))
    }

    /// An integer from an unsigned counter, converted as Redis's C code converts its
    /// `uint64_t` counters for `addReplyLongLong` (wrapping: `entries-added` one past
    /// `i64::MAX` shows as `-9223372036854775808`).
    pub fn count(n: u64) -> Reply {
        Reply::Integer(n as i64)
    }

    /// An entry as Redis replies it: `[id, [field, value, …]]`.
    pub fn entry(e: &StreamEntry) -> Reply {
        let mut fv = Vec::with_capacity(e.fields.len() * 2);
        for (f, v) in &e.fields {
            fv.push(Reply::Bulk(f.clone()));
            fv.push(Reply::Bulk(v.clone()));
        }
        Reply::Array(alloc::vec![Reply::id(e.id), Reply::Array(fv)])
    }

    /// An array of entries.
    pub fn entries(entries: &[StreamEntry]) -> Reply {
        Reply::Array(entries.iter().map(Reply::entry).collect())
    }

    /// An entry, or nil.
    pub fn opt_entry(e: &Option<StreamEntry>) -> Reply {
        e.as_ref().map_or(Reply::Null, Reply::entry)
    }

    /// True for an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// Encodes the reply for `proto`, appending to `out`.
    pub fn write_resp(&self, proto: Protocol, out: &mut Vec<u8>) {
        self.write_to(&mut RespWriter::new(out, proto));
    }

    /// Encodes the reply with `w`.
    pub fn write_to(&self, w: &mut RespWriter<'_>) {
        match self {
            Reply::Simple(s) => w.simple(s.as_bytes()),
            Reply::Error(e) => {
                let mut text = Vec::new();
                e.write_message(&mut text);
                w.error(&text);
            }
            Reply::Integer(i) => w.int(*i),
            Reply::Bulk(b) => w.bulk(b),
            Reply::Null => w.null(),
            Reply::NullArray => w.null_array(),
            Reply::Array(items) => {
                w.array(items.len());
                for item in items {
                    item.write_to(w);
                }
            }
            Reply::Map(pairs) => {
                w.map(pairs.len());
                for (k, v) in pairs {
                    k.write_to(w);
                    v.write_to(w);
                }
            }
            Reply::PairMap(pairs) => {
                w.pair_map(pairs.len());
                for (k, v) in pairs {
                    w.pair();
                    k.write_to(w);
                    v.write_to(w);
                }
            }
        }
    }

    /// The encoded reply for `proto`.
    pub fn to_resp(&self, proto: Protocol) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_resp(proto, &mut out);
        out
    }
}

impl From<Error> for Reply {
    fn from(e: Error) -> Reply {
        Reply::Error(e)
    }
}

impl<T: Into<Reply>> From<Result<T, Error>> for Reply {
    fn from(r: Result<T, Error>) -> Reply {
        match r {
            Ok(v) => v.into(),
            Err(e) => Reply::Error(e),
        }
    }
}

/// One entry, `[id, [field, value, …]]`, encoded straight from the node it lives in
/// (the bytes [`Reply::entry`] would give, without copying the entry first).
pub(crate) fn write_entry_ref(e: &crate::log::node::EntryRef<'_>, out: &mut Vec<u8>) {
    write_entry_parts(e, 2, out);
}

/// As [`write_entry_ref`], with the array header announcing `parts` elements: the
/// caller writes the elements after the first two (XREADGROUP … CLAIM's idle time and
/// delivery count).
pub(crate) fn write_entry_parts(
    e: &crate::log::node::EntryRef<'_>,
    parts: usize,
    out: &mut Vec<u8>,
) {
    #[cfg(debug_assertions)]
    let before = out.len();
    write_len(b'*', parts, out);
    write_id(e.id, out);
    let pairs = e.pairs();
    write_len(b'*', pairs.size_hint().0 * 2, out);
    for (f, v) in pairs {
        write_bulk(f, out);
        write_bulk(v, out);
    }
    #[cfg(debug_assertions)]
    debug_assert_eq!(out.len() - before, entry_parts_len(e, parts));
}

/// How many bytes [`write_entry_parts`] writes for `e` (so that a caller can reserve
/// a large reply's room once instead of growing it by doubling).
pub(crate) fn entry_parts_len(e: &crate::log::node::EntryRef<'_>, parts: usize) -> usize {
    let mut id = [0u8; 41];
    let mut n = len_len(parts) + bulk_len(e.id.format_into(&mut id).len());
    let pairs = e.pairs();
    n += len_len(pairs.size_hint().0 * 2);
    for (f, v) in pairs {
        n += bulk_len(f.len()) + bulk_len(v.len());
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn encodings() {
        let empty_pel = Reply::Array(vec![
            Reply::Integer(0),
            Reply::Null,
            Reply::Null,
            Reply::NullArray,
        ]);
        assert_eq!(
            empty_pel.to_resp(Protocol::Resp2),
            b"*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"
        );
        assert_eq!(
            empty_pel.to_resp(Protocol::Resp3),
            b"*4\r\n:0\r\n_\r\n_\r\n_\r\n"
        );
        let map = Reply::Map(vec![(Reply::text("length"), Reply::Integer(-3))]);
        assert_eq!(
            map.to_resp(Protocol::Resp2),
            b"*2\r\n$6\r\nlength\r\n:-3\r\n"
        );
        assert_eq!(
            map.to_resp(Protocol::Resp3),
            b"%1\r\n$6\r\nlength\r\n:-3\r\n"
        );
        assert_eq!(
            Reply::Error(Error::Syntax).to_resp(Protocol::Resp3),
            b"-ERR syntax error\r\n"
        );
        assert_eq!(Reply::OK.to_resp(Protocol::Resp2), b"+OK\r\n");
        assert_eq!(
            Reply::id(StreamId::new(1, 2)).to_resp(Protocol::Resp2),
            b"$3\r\n1-2\r\n"
        );
        let read = Reply::PairMap(vec![(Reply::text("s"), Reply::Array(vec![]))]);
        assert_eq!(
            read.to_resp(Protocol::Resp2),
            b"*1\r\n*2\r\n$1\r\ns\r\n*0\r\n"
        );
        assert_eq!(read.to_resp(Protocol::Resp3), b"%1\r\n$1\r\ns\r\n*0\r\n");
        assert_eq!(
            Reply::Integer(i64::MIN).to_resp(Protocol::Resp2),
            b":-9223372036854775808\r\n"
        );
    }
}
