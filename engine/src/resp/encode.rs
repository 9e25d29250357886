//! The byte-level pieces of RESP frames, for callers that write a frame in parts (a
//! large reply straight from stream nodes, a header put in front of items once their
//! count is known).

use alloc::vec::Vec;

use crate::id::StreamId;
use crate::num;

/// The bytes of an aggregate header for `n` items (`*n\r\n`).
pub(crate) fn len_len(n: usize) -> usize {
    let mut buf = [0u8; 20];
    num::write_u64(n as u64, &mut buf, 0) + 3
}

/// The bytes of a bulk string of `len` bytes.
pub(crate) fn bulk_len(len: usize) -> usize {
    len_len(len) + len + 2
}

/// A stream ID as a bulk string (the bytes of `Reply::id`).
pub(crate) fn write_id(id: StreamId, out: &mut Vec<u8>) {
    let mut buf = [0u8; 41];
    write_bulk(id.format_into(&mut buf), out);
}

/// A bulk string (the bytes of `Reply::Bulk`).
pub(crate) fn write_bulk(b: &[u8], out: &mut Vec<u8>) {
    write_len(b'$', b.len(), out);
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// An unsigned counter as an integer (the bytes of `Reply::count`).
pub(crate) fn write_count(n: u64, out: &mut Vec<u8>) {
    out.push(b':');
    write_i64(n as i64, out);
    out.extend_from_slice(b"\r\n");
}

/// Puts an array header for `n` items at `at`, in front of the items already written
/// after it.
pub(crate) fn insert_array_len(out: &mut Vec<u8>, at: usize, n: usize) {
    insert_len(out, at, b'*', n);
}

/// Puts an aggregate header (`prefix`: `*` array, `%` map) for `n` items at `at`, in
/// front of the items already written after it.
pub(crate) fn insert_len(out: &mut Vec<u8>, at: usize, prefix: u8, n: usize) {
    let mut header = [0u8; 24];
    header[0] = prefix;
    let len = num::write_u64(n as u64, &mut header, 1);
    header[len..len + 2].copy_from_slice(b"\r\n");
    out.splice(at..at, header[..len + 2].iter().copied());
}

/// An aggregate or bulk header: `prefix`, the decimal `len`, CRLF.
pub(crate) fn write_len(prefix: u8, len: usize, out: &mut Vec<u8>) {
    out.push(prefix);
    let mut buf = [0u8; 20];
    let n = num::write_u64(len as u64, &mut buf, 0);
    out.extend_from_slice(&buf[..n]);
    out.extend_from_slice(b"\r\n");
}

/// `v` in decimal, without a frame.
pub(crate) fn write_i64(v: i64, out: &mut Vec<u8>) {
    if v < 0 {
        out.push(b'-');
    }
    let mut buf = [0u8; 20];
    let n = num::write_u64(v.unsigned_abs(), &mut buf, 0);
    out.extend_from_slice(&buf[..n]);
}
