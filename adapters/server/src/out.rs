//! The reply bytes of one connection: engine [`Reply`]s rendered for the connection's
//! protocol, and the server's own reply shapes (maps, sets, pushes, verbatim strings)
//! written as Redis writes them in RESP2 and RESP3.

use std::sync::Arc;

use brook_engine::Reply;

use brook_engine::frontend::{Protocol, RespWriter};

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
    /// A writer of RESP frames into this connection's buffer, for its protocol.
    fn w(&mut self) -> RespWriter<'_> {
        RespWriter::new(&mut self.buf, self.proto)
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
        self.w().simple(text.as_bytes());
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// `-text`; `text` starts with its code (`ERR …`, `NOAUTH …`). CR and LF become
    /// spaces, as Redis does for every error.
    pub fn error(&mut self, text: &str) {
        // The writer turns CR and LF into spaces; the code is read as if it had.
        self.count_error(text.as_bytes());
        self.w().error(text.as_bytes());
    }

    /// `:n`.
    pub fn int(&mut self, n: i64) {
        self.w().int(n);
    }

    /// `$len` and the bytes.
    pub fn bulk(&mut self, bytes: &[u8]) {
        self.w().bulk(bytes);
    }

    /// The null bulk string (`$-1`, or `_` in RESP3).
    pub fn null(&mut self) {
        self.w().null();
    }

    /// The null array (`*-1`, or `_` in RESP3).
    pub fn null_array(&mut self) {
        self.w().null_array();
    }

    /// An array header of `n` elements.
    pub fn array(&mut self, n: usize) {
        self.w().array(n);
    }

    /// A map header of `n` pairs (`%n`; a flat array of `2n` in RESP2).
    pub fn map(&mut self, n: usize) {
        self.w().map(n);
    }

    /// A set header (`~n`; an array in RESP2).
    pub fn set(&mut self, n: usize) {
        self.w().set(n);
    }

    /// A push header (`>n`; an array in RESP2): pub/sub messages.
    pub fn push(&mut self, n: usize) {
        self.w().push(n);
    }

    /// A verbatim `txt` string (`=`; a bulk string in RESP2), as INFO and CLIENT INFO
    /// answer.
    pub fn verbatim(&mut self, text: &[u8]) {
        self.w().verbatim(text);
    }

    /// A double (`,` in RESP3; a bulk string in RESP2), as Redis's `d2string` writes it.
    pub fn double(&mut self, d: f64) {
        self.w().double(d);
    }

    /// A string as a bulk string.
    pub fn bulk_str(&mut self, text: &str) {
        self.bulk(text.as_bytes());
    }
}
