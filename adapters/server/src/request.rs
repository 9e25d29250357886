//! Reading requests off a connection's query buffer, as Redis's `processInputBuffer`
//! does: a request starting with `*` is a multibulk array of `$`-prefixed bulk strings,
//! anything else an inline command split like `sdssplitargs` (quotes and escapes).
//!
//! Every malformed request gets Redis's exact protocol error (the connection is then
//! closed after the reply), and nothing is allocated in proportion to a length the
//! client merely announced: argument vectors grow as bulk strings arrive.

use brook_engine::frontend::parse_i64;
use bytes::{Buf, Bytes, BytesMut};

/// Longest inline request, and longest `*`/`$` header line, Redis reads before it
/// gives up (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX: usize = 64 * 1024;

/// Largest argument count Redis accepts in a multibulk header (`INT_MAX`).
pub const MULTIBULK_MAX: i64 = i32::MAX as i64;

/// Before `AUTH` on a server with a password: at most this many arguments…
pub const UNAUTH_MULTIBULK_MAX: i64 = 10;
/// …and bulk strings of at most this many bytes (Redis's limits for such clients).
pub const UNAUTH_BULK_MAX: i64 = 16 * 1024;

/// Why a request could not be read; `Display` is the text after `-ERR `.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtocolError {
    /// An inline request without a newline in the first 64 KiB.
    TooBigInline,
    /// A multibulk header line longer than 64 KiB.
    TooBigMultibulk,
    /// A multibulk count that is not a number or too large.
    InvalidMultibulk,
    /// More than 10 arguments before `AUTH`.
    UnauthMultibulk,
    /// A bulk header line longer than 64 KiB.
    TooBigBulkCount,
    /// A bulk header not starting with `$`.
    ExpectedDollar(u8),
    /// A bulk length that is not a number, negative or above the limit.
    InvalidBulk,
    /// A bulk longer than 16 KiB before `AUTH`.
    UnauthBulk,
    /// An inline request with an unterminated quote.
    UnbalancedQuotes,
}

impl core::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Protocol error: ")?;
        match self {
            ProtocolError::TooBigInline => f.write_str("too big inline request"),
            ProtocolError::TooBigMultibulk => f.write_str("too big mbulk count string"),
            ProtocolError::InvalidMultibulk => f.write_str("invalid multibulk length"),
            ProtocolError::UnauthMultibulk => f.write_str("unauthenticated multibulk length"),
            ProtocolError::TooBigBulkCount => f.write_str("too big bulk count string"),
            ProtocolError::ExpectedDollar(c) => {
                write!(f, "expected '$', got '{}'", char::from(*c))
            }
            ProtocolError::InvalidBulk => f.write_str("invalid bulk length"),
            ProtocolError::UnauthBulk => f.write_str("unauthenticated bulk length"),
            ProtocolError::UnbalancedQuotes => f.write_str("unbalanced quotes in request"),
        }
    }
}

/// The limits a parser applies.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`: the longest bulk string accepted.
    pub max_bulk: i64,
    /// Whether the client still has to authenticate (tighter limits apply).
    pub unauthenticated: bool,
}

/// One step of reading the buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A complete command (never empty).
    Command(Vec<Bytes>),
    /// An empty request (`*0`, `*-1`, a blank line) was consumed; nothing to run.
    Empty,
    /// More bytes are needed.
    Incomplete,
}

/// An in-progress multibulk request: Redis keeps these between reads, so a huge
/// request is not re-scanned from its start on every read.
#[derive(Debug, Default)]
pub struct Parser {
    /// Arguments still expected (0: between requests).
    left: i64,
    /// The length of the bulk being read, once its header was read.
    bulk: Option<usize>,
    argv: Vec<Bytes>,
}

impl Parser {
    /// A parser between requests.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// True while a multibulk request has been partly read.
    pub fn in_request(&self) -> bool {
        self.left > 0
    }

    /// Reads the next request from `buf`, consuming what it used.
    pub fn next(&mut self, buf: &mut BytesMut, limits: Limits) -> Result<Parsed, ProtocolError> {
        if self.left == 0 {
            if buf.is_empty() {
                return Ok(Parsed::Incomplete);
            }
            if buf[0] != b'*' {
                return inline(buf);
            }
            let Some(line) = header_line(buf, ProtocolError::TooBigMultibulk)? else {
                return Ok(Parsed::Incomplete);
            };
            let n = parse_i64(&buf[1..line]);
            let n = match n {
                Some(n) if n <= MULTIBULK_MAX => n,
                _ => return Err(ProtocolError::InvalidMultibulk),
            };
            if limits.unauthenticated && n > UNAUTH_MULTIBULK_MAX {
                return Err(ProtocolError::UnauthMultibulk);
            }
            buf.advance(line + 2);
            if n <= 0 {
                return Ok(Parsed::Empty);
            }
            self.left = n;
            self.argv = Vec::with_capacity(usize::try_from(n.min(1024)).unwrap_or(1024));
        }
        while self.left > 0 {
            let len = match self.bulk {
                Some(len) => len,
                None => {
                    let Some(line) = header_line(buf, ProtocolError::TooBigBulkCount)? else {
                        return Ok(Parsed::Incomplete);
                    };
                    if buf[0] != b'$' {
                        return Err(ProtocolError::ExpectedDollar(buf[0]));
                    }
                    let len = match parse_i64(&buf[1..line]) {
                        Some(n) if n >= 0 && n <= limits.max_bulk => n,
                        _ => return Err(ProtocolError::InvalidBulk),
                    };
                    if limits.unauthenticated && len > UNAUTH_BULK_MAX {
                        return Err(ProtocolError::UnauthBulk);
                    }
                    buf.advance(line + 2);
                    let len = usize::try_from(len).map_err(|_| ProtocolError::InvalidBulk)?;
                    self.bulk = Some(len);
                    len
                }
            };
            // Redis skips the two bytes after the payload without looking at them.
            let Some(need) = len.checked_add(2) else {
                return Err(ProtocolError::InvalidBulk);
            };
            if buf.len() < need {
                return Ok(Parsed::Incomplete);
            }
            let arg = buf.split_to(len).freeze();
            buf.advance(2);
            self.argv.push(arg);
            self.bulk = None;
            self.left -= 1;
        }
        Ok(Parsed::Command(core::mem::take(&mut self.argv)))
    }
}

/// The position of the `\r` ending the header line at the start of `buf` (with its `\n`
/// there too), or `None` to wait for more; `too_big` once 64 KiB came without one.
fn header_line(buf: &BytesMut, too_big: ProtocolError) -> Result<Option<usize>, ProtocolError> {
    match find_before_nul(buf, b'\r') {
        None if buf.len() > INLINE_MAX => Err(too_big),
        None => Ok(None),
        // Wait for the `\n` too.
        Some(at) if at + 1 >= buf.len() => Ok(None),
        Some(at) => Ok(Some(at)),
    }
}

/// Where `byte` first occurs before any NUL: Redis looks for line ends with `strchr`
/// on its NUL-terminated query buffer, so a NUL ahead of the line end hides it (the
/// request then waits for more input, up to the 64 KiB limit).
fn find_before_nul(buf: &[u8], byte: u8) -> Option<usize> {
    buf.iter()
        .position(|&b| b == byte || b == 0)
        .filter(|&at| buf[at] == byte)
}

/// An inline request: one line, split into arguments.
fn inline(buf: &mut BytesMut) -> Result<Parsed, ProtocolError> {
    let Some(nl) = find_before_nul(buf, b'\n') else {
        if buf.len() > INLINE_MAX {
            return Err(ProtocolError::TooBigInline);
        }
        return Ok(Parsed::Incomplete);
    };
    let line = buf.split_to(nl + 1);
    let mut text = &line[..nl];
    if let Some(stripped) = text.strip_suffix(b"\r") {
        text = stripped;
    }
    let argv = split_args(text).ok_or(ProtocolError::UnbalancedQuotes)?;
    if argv.is_empty() {
        return Ok(Parsed::Empty);
    }
    Ok(Parsed::Command(argv))
}

/// Splits an inline line as `sdssplitargs` does: arguments separated by whitespace;
/// `"…"` with `\n \r \t \b \a \\ \" \xHH` escapes and `'…'` with `\'`; a closing quote
/// must be followed by a space or the end. `None` for unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Bytes>> {
    // A C string: the line ends at its first NUL.
    let line = match line.iter().position(|&b| b == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    let mut out = Vec::new();
    let mut i = 0;
    let is_space = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c);
    loop {
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                let c = *line.get(i)?;
                if c == b'\\' && i + 3 < line.len() && line[i + 1] == b'x' {
                    if let (Some(h), Some(l)) = (hex(line[i + 2]), hex(line[i + 3])) {
                        cur.push(h * 16 + l);
                        i += 4;
                        continue;
                    }
                }
                if c == b'\\' && i + 1 < line.len() {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    // The closing quote must be followed by a space or the end.
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
                        return None;
                    }
                    inq = false;
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if insq {
                let c = *line.get(i)?;
                if c == b'\\' && i + 1 < line.len() && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < line.len() && !is_space(line[i + 1]) {
                        return None;
                    }
                    insq = false;
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                match line.get(i) {
                    None => break,
                    Some(&c) if is_space(c) => break,
                    Some(b'"') => inq = true,
                    Some(b'\'') => insq = true,
                    Some(&c) => cur.push(c),
                }
            }
            i += 1;
        }
        if inq || insq {
            return None;
        }
        out.push(Bytes::from(cur));
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}
