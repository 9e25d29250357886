//! Canonical RESP encoding.

use super::Frame;

/// Encodes a command as a RESP array of bulk strings, the way clients send
/// commands: `*<argc>\r\n$<len>\r\n<arg>\r\n...`.
pub fn encode_command(argv: &[&[u8]]) -> Vec<u8> {
    let payload: usize = argv.iter().map(|a| a.len() + 16).sum();
    let mut out = Vec::with_capacity(payload + 16);
    header(&mut out, b'*', argv.len());
    for arg in argv {
        blob(&mut out, b'$', arg);
    }
    out
}

/// Encodes a frame canonically: `$-1\r\n` for [`Frame::NullBulk`],
/// `*-1\r\n` for [`Frame::NullArray`], `_\r\n` for [`Frame::Null`], decimal
/// lengths without padding, doubles and big numbers as their raw text.
///
/// Payloads of line-based frames ([`Frame::Simple`], [`Frame::Error`],
/// [`Frame::Double`], [`Frame::BigNumber`]) are written as is; they must not
/// contain CR or LF.
pub fn encode_frame(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(&mut out, frame);
    out
}

fn encode_into(out: &mut Vec<u8>, frame: &Frame) {
    match frame {
        Frame::Simple(s) => line(out, b'+', s),
        Frame::Error(s) => line(out, b'-', s),
        Frame::Integer(n) => line(out, b':', n.to_string().as_bytes()),
        Frame::Bulk(b) => blob(out, b'$', b),
        Frame::NullBulk => out.extend_from_slice(b"$-1\r\n"),
        Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
        Frame::Null => out.extend_from_slice(b"_\r\n"),
        Frame::Array(items) => list(out, b'*', items),
        Frame::Set(items) => list(out, b'~', items),
        Frame::Push(items) => list(out, b'>', items),
        Frame::Map(pairs) => map(out, b'%', pairs),
        Frame::Attribute(pairs) => map(out, b'|', pairs),
        Frame::Double(raw) => line(out, b',', raw),
        Frame::BigNumber(raw) => line(out, b'(', raw),
        Frame::Boolean(b) => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::Verbatim { format, text } => {
            header(out, b'=', text.len() + 4);
            out.extend_from_slice(format);
            out.push(b':');
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
    }
}

fn header(out: &mut Vec<u8>, kind: u8, n: usize) {
    line(out, kind, n.to_string().as_bytes());
}

fn line(out: &mut Vec<u8>, kind: u8, text: &[u8]) {
    out.push(kind);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

fn blob(out: &mut Vec<u8>, kind: u8, bytes: &[u8]) {
    header(out, kind, bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

fn list(out: &mut Vec<u8>, kind: u8, items: &[Frame]) {
    header(out, kind, items.len());
    for item in items {
        encode_into(out, item);
    }
}

fn map(out: &mut Vec<u8>, kind: u8, pairs: &[(Frame, Frame)]) {
    header(out, kind, pairs.len());
    for (k, v) in pairs {
        encode_into(out, k);
        encode_into(out, v);
    }
}
