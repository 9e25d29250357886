//! Incremental RESP2/RESP3 parser.

use std::error::Error;
use std::fmt;

use super::Frame;

/// Maximum aggregate nesting accepted by [`parse_frame`]; deeper input is
/// rejected instead of recursing further.
pub const MAX_DEPTH: usize = 1000;

/// Malformed RESP input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    offset: usize,
    message: String,
}

impl ParseError {
    /// Byte offset (from the start of the buffer given to [`parse_frame`])
    /// where the problem was detected.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Human-readable description of the problem.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed RESP at byte {}: {}",
            self.offset, self.message
        )
    }
}

impl Error for ParseError {}

/// Parses one frame from the start of `buf`.
///
/// Returns `Ok(None)` when `buf` is a valid but incomplete prefix of a frame,
/// `Ok(Some((frame, consumed)))` once a whole frame is present, and an error
/// as soon as the bytes seen cannot start a valid frame. Never panics;
/// nesting deeper than [`MAX_DEPTH`] is an error.
///
/// Notes on fidelity (everything else re-encodes byte for byte with
/// [`encode_frame`](super::encode_frame)):
/// * a top-level RESP3 attribute (`|`) is returned on its own as
///   [`Frame::Attribute`]; the reply it annotates is the next frame;
/// * attributes nested inside an aggregate are parsed and dropped, since
///   they do not count as elements;
/// * RESP3 blob errors (`!<len>`) become [`Frame::Error`];
/// * streamed strings and aggregates (`$?`, `*?`) are rejected.
pub fn parse_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, ParseError> {
    let mut parser = Parser { buf, pos: 0 };
    match parser.frame() {
        Ok(frame) => Ok(Some((frame, parser.pos))),
        Err(Stop::Incomplete) => Ok(None),
        Err(Stop::Invalid(e)) => Err(e),
    }
}

/// Why parsing stopped before producing a frame.
enum Stop {
    Incomplete,
    Invalid(ParseError),
}

type Step<T> = Result<T, Stop>;

fn invalid<T>(offset: usize, message: impl Into<String>) -> Step<T> {
    Err(Stop::Invalid(ParseError {
        offset,
        message: message.into(),
    }))
}

/// One header: either a complete frame or the start of an aggregate.
enum Token {
    Frame(Frame),
    /// Aggregate type byte and the number of child frames to collect
    /// (twice the pair count for maps and attributes).
    Open(u8, usize),
}

/// An aggregate still collecting children.
struct Open {
    kind: u8,
    remaining: usize,
    items: Vec<Frame>,
}

/// Builds the finished aggregate of type `kind`.
fn close(kind: u8, items: Vec<Frame>) -> Frame {
    let pairs = |items: Vec<Frame>| {
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut items = items.into_iter();
        while let (Some(k), Some(v)) = (items.next(), items.next()) {
            pairs.push((k, v));
        }
        pairs
    };
    match kind {
        b'~' => Frame::Set(items),
        b'>' => Frame::Push(items),
        b'%' => Frame::Map(pairs(items)),
        b'|' => Frame::Attribute(pairs(items)),
        _ => Frame::Array(items),
    }
}

struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    /// One complete frame, using an explicit stack instead of recursion.
    fn frame(&mut self) -> Step<Frame> {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            let start = self.pos;
            let mut value = match self.token()? {
                Token::Frame(frame) => frame,
                Token::Open(kind, 0) => close(kind, Vec::new()),
                Token::Open(kind, n) => {
                    if stack.len() >= MAX_DEPTH {
                        return invalid(start, format!("nesting deeper than {MAX_DEPTH}"));
                    }
                    stack.push(Open {
                        kind,
                        remaining: n,
                        items: Vec::with_capacity(n.min(1024)),
                    });
                    continue;
                }
            };
            // Hand the finished value to its parent, closing every aggregate
            // it completes.
            loop {
                let Some(mut top) = stack.pop() else {
                    return Ok(value);
                };
                if matches!(value, Frame::Attribute(_)) {
                    // Nested attributes do not count as elements.
                    stack.push(top);
                    break;
                }
                top.items.push(value);
                top.remaining -= 1;
                if top.remaining > 0 {
                    stack.push(top);
                    break;
                }
                value = close(top.kind, top.items);
            }
        }
    }

    /// A type byte and its line, plus the payload of blob types.
    fn token(&mut self) -> Step<Token> {
        let start = self.pos;
        let Some(&kind) = self.buf.get(start) else {
            return Err(Stop::Incomplete);
        };
        if !b"+-:$!=*~>%|_,(#".contains(&kind) {
            return invalid(start, format!("unknown frame type byte 0x{kind:02x}"));
        }
        self.pos += 1;
        let line_at = self.pos;
        let line = self.line()?;
        let frame = match kind {
            b'+' => Frame::Simple(line.to_vec()),
            b'-' => Frame::Error(line.to_vec()),
            b':' => match parse_int(line) {
                Some(n) => Frame::Integer(n),
                None => return invalid(line_at, "invalid integer"),
            },
            b'$' => match length(line, line_at)? {
                None => Frame::NullBulk,
                Some(len) => Frame::Bulk(self.blob(len)?.to_vec()),
            },
            b'!' => {
                let len = count(line, line_at)?;
                Frame::Error(self.blob(len)?.to_vec())
            }
            b'=' => {
                let len = count(line, line_at)?;
                let body_at = self.pos;
                match self.blob(len)? {
                    [a, b, c, b':', text @ ..] => Frame::Verbatim {
                        format: [*a, *b, *c],
                        text: text.to_vec(),
                    },
                    _ => return invalid(body_at, "verbatim string without `xxx:` prefix"),
                }
            }
            b'*' => match length(line, line_at)? {
                None => Frame::NullArray,
                Some(n) => return Ok(Token::Open(kind, n)),
            },
            b'~' | b'>' => return Ok(Token::Open(kind, count(line, line_at)?)),
            b'%' | b'|' => match count(line, line_at)?.checked_mul(2) {
                Some(n) => return Ok(Token::Open(kind, n)),
                None => return invalid(line_at, "length overflows"),
            },
            b'_' if line.is_empty() => Frame::Null,
            b'_' => return invalid(line_at, "null frame with payload"),
            b',' if is_double(line) => Frame::Double(line.to_vec()),
            b',' => return invalid(line_at, "invalid double"),
            b'(' if is_big_number(line) => Frame::BigNumber(line.to_vec()),
            b'(' => return invalid(line_at, "invalid big number"),
            b'#' => match line {
                b"t" => Frame::Boolean(true),
                b"f" => Frame::Boolean(false),
                _ => return invalid(line_at, "invalid boolean"),
            },
            _ => return invalid(start, format!("unknown frame type byte 0x{kind:02x}")),
        };
        Ok(Token::Frame(frame))
    }

    /// The rest of the current line, without its CRLF; the cursor moves
    /// past the CRLF.
    fn line(&mut self) -> Step<&'a [u8]> {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        let Some(i) = rest.iter().position(|&b| b == b'\r' || b == b'\n') else {
            return Err(Stop::Incomplete);
        };
        let at = self.pos + i;
        match (rest[i], rest.get(i + 1)) {
            (b'\n', _) => invalid(at, "LF without CR"),
            (_, None) => Err(Stop::Incomplete),
            (_, Some(b'\n')) => {
                self.pos = at + 2;
                Ok(&rest[..i])
            }
            (_, Some(_)) => invalid(at, "CR not followed by LF"),
        }
    }

    /// `len` payload bytes followed by CRLF.
    fn blob(&mut self, len: usize) -> Step<&'a [u8]> {
        let start = self.pos;
        let Some(end) = start.checked_add(len) else {
            return invalid(start, "length overflows");
        };
        let tail = self.buf.get(end..).unwrap_or_default();
        match tail {
            [b'\r', b'\n', ..] => {
                self.pos = end + 2;
                Ok(&self.buf[start..end])
            }
            [] | [b'\r'] => Err(Stop::Incomplete),
            _ => invalid(end, "payload not terminated by CRLF"),
        }
    }
}

/// A length header where `-1` means null.
fn length(line: &[u8], at: usize) -> Step<Option<usize>> {
    if line == b"-1" {
        return Ok(None);
    }
    count(line, at).map(Some)
}

/// A non-negative element count or byte length (digits only).
fn count(line: &[u8], at: usize) -> Step<usize> {
    if line.is_empty() || !line.iter().all(u8::is_ascii_digit) {
        return invalid(at, "invalid length");
    }
    let mut n: usize = 0;
    for &d in line {
        match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(usize::from(d - b'0')))
        {
            Some(v) => n = v,
            None => return invalid(at, "length overflows"),
        }
    }
    Ok(n)
}

/// `[+-]?[0-9]+` within `i64`.
fn parse_int(line: &[u8]) -> Option<i64> {
    let (negative, digits) = match line {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, line),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Accumulate negatively so that i64::MIN fits.
    let mut n: i64 = 0;
    for &d in digits {
        n = n.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if negative {
        Some(n)
    } else {
        n.checked_neg()
    }
}

/// `inf`, `-inf`, `nan` (any case, optional sign) or a decimal with an
/// optional fraction and exponent.
fn is_double(line: &[u8]) -> bool {
    let unsigned = match line {
        [b'-' | b'+', rest @ ..] => rest,
        _ => line,
    };
    if unsigned.eq_ignore_ascii_case(b"inf") || unsigned.eq_ignore_ascii_case(b"nan") {
        return true;
    }
    let (mantissa, exponent) = match unsigned.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = match mantissa.iter().position(|&b| b == b'.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, &[][..]),
    };
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = match exponent {
        None => true,
        Some([b'-' | b'+', rest @ ..]) | Some(rest) => !rest.is_empty() && digits(rest),
    };
    mantissa_ok && exponent_ok
}

/// `-?[0-9]+`.
fn is_big_number(line: &[u8]) -> bool {
    let digits = match line {
        [b'-' | b'+', rest @ ..] => rest,
        _ => line,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}
