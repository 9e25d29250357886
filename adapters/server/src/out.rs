//! The reply bytes of one connection: engine [`Reply`]s rendered for the connection's
//! protocol, and the server's own reply shapes (maps, sets, pushes, verbatim strings)
//! written as Redis writes them in RESP2 and RESP3.

use std::sync::Arc;

use brook_engine::{Protocol, Reply};

use crate::stats::Stats;

/// A connection's pending output and its protocol.
#[derive(Debug, Default)]
pub struct Out {
    /// Bytes not yet written to the socket.
    pub buf: Vec<u8>,
    /// The protocol chosen with `HELLO` (RESP2 until then).
    pub proto: Protocol,
    /// Error replies written so far (a command failed when this grew while it ran).
    pub errors: u64,
    /// Where error replies are counted (`INFO errorstats`, `total_error_replies`).
    pub stats: Option<Arc<Stats>>,
}

impl Out {
    fn line(&mut self, prefix: u8, body: &[u8]) {
        self.buf.push(prefix);
        self.buf.extend_from_slice(body);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn len_line(&mut self, prefix: u8, n: usize) {
        self.buf.push(prefix);
        self.buf.extend_from_slice(n.to_string().as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An engine reply.
    pub fn reply(&mut self, r: &Reply) {
        if let Reply::Error(e) = r {
            self.count_error(&e.message());
        }
        r.write_resp(self.proto, &mut self.buf);
    }

    /// Counts an error reply, as Redis's `afterErrorReply` does for each one sent.
    fn count_error(&mut self, text: &[u8]) {
        self.errors += 1;
        if let Some(s) = &self.stats {
            s.error(text);
        }
    }

    /// `+text` (CR and LF, which would break the frame, become spaces).
    pub fn simple(&mut self, text: &str) {
        let clean: Vec<u8> = text
            .bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        self.line(b'+', &clean);
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// `-text`; `text` starts with its code (`ERR …`, `NOAUTH …`). CR and LF become
    /// spaces, as Redis does for every error.
    pub fn error(&mut self, text: &str) {
        let clean: Vec<u8> = text
            .bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        self.count_error(&clean);
        self.line(b'-', &clean);
    }

    /// `:n`.
    pub fn int(&mut self, n: i64) {
        self.line(b':', n.to_string().as_bytes());
    }

    /// `$len` and the bytes.
    pub fn bulk(&mut self, bytes: &[u8]) {
        self.len_line(b'$', bytes.len());
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// The null bulk string (`$-1`, or `_` in RESP3).
    pub fn null(&mut self) {
        match self.proto {
            Protocol::Resp2 => self.buf.extend_from_slice(b"$-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// The null array (`*-1`, or `_` in RESP3).
    pub fn null_array(&mut self) {
        match self.proto {
            Protocol::Resp2 => self.buf.extend_from_slice(b"*-1\r\n"),
            Protocol::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// An array header of `n` elements.
    pub fn array(&mut self, n: usize) {
        self.len_line(b'*', n);
    }

    /// A map header of `n` pairs (`%n`; a flat array of `2n` in RESP2).
    pub fn map(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.len_line(b'*', n * 2),
            Protocol::Resp3 => self.len_line(b'%', n),
        }
    }

    /// A set header (`~n`; an array in RESP2).
    pub fn set(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.len_line(b'*', n),
            Protocol::Resp3 => self.len_line(b'~', n),
        }
    }

    /// A push header (`>n`; an array in RESP2): pub/sub messages.
    pub fn push(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => self.len_line(b'*', n),
            Protocol::Resp3 => self.len_line(b'>', n),
        }
    }

    /// A verbatim `txt` string (`=`; a bulk string in RESP2), as INFO and CLIENT INFO
    /// answer.
    pub fn verbatim(&mut self, text: &[u8]) {
        match self.proto {
            Protocol::Resp2 => self.bulk(text),
            Protocol::Resp3 => {
                self.len_line(b'=', text.len() + 4);
                self.buf.extend_from_slice(b"txt:");
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A double (`,` in RESP3; a bulk string in RESP2), written as Redis's `d2string`
    /// writes it: the shortest text that reads back as the same value.
    pub fn double(&mut self, d: f64) {
        let text = if d.is_nan() {
            "nan".to_string()
        } else {
            d.to_string()
        };
        match self.proto {
            Protocol::Resp2 => self.bulk(text.as_bytes()),
            Protocol::Resp3 => self.line(b',', text.as_bytes()),
        }
    }

    /// An integer inside a map, RESP3's or RESP2's shape alike.
    pub fn bulk_str(&mut self, text: &str) {
        self.bulk(text.as_bytes());
    }
}
