//! The [`Frame`] type and its compact [`Display`](fmt::Display) notation.

use std::fmt;

/// One RESP2 or RESP3 protocol frame.
///
/// Byte payloads are kept exactly as received. Doubles and big numbers keep
/// their raw text so that re-encoding reproduces the server's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Simple string, `+OK\r\n`.
    Simple(Vec<u8>),
    /// Simple error, `-ERR message\r\n` (RESP3 blob errors `!` parse to this too).
    Error(Vec<u8>),
    /// Integer, `:42\r\n`.
    Integer(i64),
    /// Bulk string, `$3\r\nabc\r\n`.
    Bulk(Vec<u8>),
    /// RESP2 null bulk string, `$-1\r\n`.
    NullBulk,
    /// RESP2 null array, `*-1\r\n`.
    NullArray,
    /// RESP3 null, `_\r\n`.
    Null,
    /// Array, `*2\r\n...`.
    Array(Vec<Frame>),
    /// RESP3 map, `%1\r\n<key><value>`, pairs in wire order.
    Map(Vec<(Frame, Frame)>),
    /// RESP3 set, `~2\r\n...`, elements in wire order.
    Set(Vec<Frame>),
    /// RESP3 push, `>2\r\n...` (pub/sub messages, invalidations).
    Push(Vec<Frame>),
    /// RESP3 double, `,1.5\r\n`; holds the raw text (`1.5`, `inf`, `-inf`, `nan`).
    Double(Vec<u8>),
    /// RESP3 boolean, `#t\r\n` / `#f\r\n`.
    Boolean(bool),
    /// RESP3 big number, `(12345678901234567890\r\n`; holds the raw digits.
    BigNumber(Vec<u8>),
    /// RESP3 verbatim string, `=15\r\ntxt:Some string\r\n`.
    Verbatim {
        /// The three-byte format tag, e.g. `txt` or `mkd`.
        format: [u8; 3],
        /// The text after the `xxx:` prefix.
        text: Vec<u8>,
    },
    /// RESP3 attribute, `|1\r\n<key><value>`; it precedes the reply it annotates.
    Attribute(Vec<(Frame, Frame)>),
}

impl Frame {
    /// Builds a [`Frame::Bulk`] from anything byte-like.
    pub fn bulk(bytes: impl AsRef<[u8]>) -> Frame {
        Frame::Bulk(bytes.as_ref().to_vec())
    }

    /// Builds a [`Frame::Simple`] from anything byte-like.
    pub fn simple(bytes: impl AsRef<[u8]>) -> Frame {
        Frame::Simple(bytes.as_ref().to_vec())
    }

    /// Builds a [`Frame::Error`] from anything byte-like.
    pub fn error(bytes: impl AsRef<[u8]>) -> Frame {
        Frame::Error(bytes.as_ref().to_vec())
    }

    /// True for [`Frame::Error`].
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }

    /// The payload of a simple string, bulk string, verbatim string or error.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::Simple(b) | Frame::Error(b) | Frame::Bulk(b) => Some(b),
            Frame::Verbatim { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The value looked up by bulk or simple-string `key` in a [`Frame::Map`]
    /// (or a flat RESP2 key/value [`Frame::Array`]).
    pub fn get(&self, key: &str) -> Option<&Frame> {
        let key = key.as_bytes();
        match self {
            Frame::Map(pairs) | Frame::Attribute(pairs) => pairs
                .iter()
                .find(|(k, _)| k.as_bytes() == Some(key))
                .map(|(_, v)| v),
            Frame::Array(items) => items
                .chunks_exact(2)
                .find(|kv| kv[0].as_bytes() == Some(key))
                .map(|kv| &kv[1]),
            _ => None,
        }
    }
}

/// Compact notation, meant for assertion messages:
///
/// | frame | shown as |
/// |---|---|
/// | simple / error | `+OK`, `-ERR no such key` |
/// | integer | `42` |
/// | bulk | `"a\x00b"` (non-printable bytes as `\xNN`) |
/// | null bulk / null array / RESP3 null | `nil` / `nil*` / `_` |
/// | array / push / set | `["a", 1]` / `>["message", "a"]` / `~{"a", "b"}` |
/// | map / attribute | `{"k": "v"}` / `\|{"k": "v"}` |
/// | double / big number / boolean | `,1.5` / `(123` / `true`, `false` |
/// | verbatim | `=txt:"text"` |
impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frame::Simple(s) => {
                f.write_str("+")?;
                write_escaped(f, s, false)
            }
            Frame::Error(s) => {
                f.write_str("-")?;
                write_escaped(f, s, false)
            }
            Frame::Integer(n) => write!(f, "{n}"),
            Frame::Bulk(b) => write_quoted(f, b),
            Frame::NullBulk => f.write_str("nil"),
            Frame::NullArray => f.write_str("nil*"),
            Frame::Null => f.write_str("_"),
            Frame::Array(items) => write_list(f, "[", items, "]"),
            Frame::Set(items) => write_list(f, "~{", items, "}"),
            Frame::Push(items) => write_list(f, ">[", items, "]"),
            Frame::Map(pairs) => write_pairs(f, "{", pairs),
            Frame::Attribute(pairs) => write_pairs(f, "|{", pairs),
            Frame::Double(raw) => {
                f.write_str(",")?;
                write_escaped(f, raw, false)
            }
            Frame::BigNumber(raw) => {
                f.write_str("(")?;
                write_escaped(f, raw, false)
            }
            Frame::Boolean(b) => write!(f, "{b}"),
            Frame::Verbatim { format, text } => {
                f.write_str("=")?;
                write_escaped(f, format, false)?;
                f.write_str(":")?;
                write_quoted(f, text)
            }
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, open: &str, items: &[Frame], close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str(close)
}

fn write_pairs(f: &mut fmt::Formatter<'_>, open: &str, pairs: &[(Frame, Frame)]) -> fmt::Result {
    f.write_str(open)?;
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{k}: {v}")?;
    }
    f.write_str("}")
}

fn write_quoted(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str("\"")?;
    write_escaped(f, bytes, true)?;
    f.write_str("\"")
}

/// Printable ASCII as is; `\\`, `\n`, `\r`, `\t`, (when quoted) `\"`, and
/// `\xNN` for everything else.
fn write_escaped(f: &mut fmt::Formatter<'_>, bytes: &[u8], quoted: bool) -> fmt::Result {
    for &b in bytes {
        match b {
            b'\\' => f.write_str("\\\\")?,
            b'"' if quoted => f.write_str("\\\"")?,
            b'\n' => f.write_str("\\n")?,
            b'\r' => f.write_str("\\r")?,
            b'\t' => f.write_str("\\t")?,
            0x20..=0x7e => write!(f, "{}", char::from(b))?,
            _ => write!(f, "\\x{b:02x}")?,
        }
    }
    Ok(())
}
