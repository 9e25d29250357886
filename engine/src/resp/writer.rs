//! [`RespWriter`]: every RESP2/RESP3 frame shape, written as Redis writes it.

use alloc::string::ToString;
use alloc::vec::Vec;

use super::encode::{write_bulk, write_i64, write_len};

/// The RESP protocol version of a connection (`HELLO 2` / `HELLO 3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, the default.
    #[default]
    Resp2,
    /// RESP3.
    Resp3,
}

/// Appends RESP frames to a buffer for one protocol. The RESP3-only shapes fall back as
/// Redis falls back for a RESP2 client: a map becomes a flat array of keys and values,
/// a set or a push an array, a verbatim string or a double a bulk string, and both nulls
/// their RESP2 forms (`$-1`, `*-1`).
#[derive(Debug)]
pub struct RespWriter<'a> {
    out: &'a mut Vec<u8>,
    proto: Protocol,
}

impl<'a> RespWriter<'a> {
    /// A writer appending to `out` for `proto`.
    pub fn new(out: &'a mut Vec<u8>, proto: Protocol) -> RespWriter<'a> {
        RespWriter { out, proto }
    }

    /// The protocol written.
    pub fn protocol(&self) -> Protocol {
        self.proto
    }

    fn line(&mut self, prefix: u8, body: &[u8]) {
        self.out.push(prefix);
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\r\n");
    }

    /// A line whose CR and LF (which would break the frame) become spaces, as Redis
    /// writes every status and error line.
    fn clean_line(&mut self, prefix: u8, body: &[u8]) {
        self.out.push(prefix);
        self.out.extend(
            body.iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
        );
        self.out.extend_from_slice(b"\r\n");
    }

    /// `+text`.
    pub fn simple(&mut self, text: &[u8]) {
        self.clean_line(b'+', text);
    }

    /// `-text`; `text` starts with its code (`ERR …`, `NOAUTH …`).
    pub fn error(&mut self, text: &[u8]) {
        self.clean_line(b'-', text);
    }

    /// `:n`.
    pub fn int(&mut self, n: i64) {
        self.out.push(b':');
        write_i64(n, self.out);
        self.out.extend_from_slice(b"\r\n");
    }

    /// `$len` and the bytes.
    pub fn bulk(&mut self, bytes: &[u8]) {
        write_bulk(bytes, self.out);
    }

    /// The null bulk string (`$-1`, or `_` in RESP3).
    pub fn null(&mut self) {
        self.out.extend_from_slice(match self.proto {
            Protocol::Resp2 => b"$-1\r\n",
            Protocol::Resp3 => b"_\r\n",
        });
    }

    /// The null array (`*-1`, or `_` in RESP3).
    pub fn null_array(&mut self) {
        self.out.extend_from_slice(match self.proto {
            Protocol::Resp2 => b"*-1\r\n",
            Protocol::Resp3 => b"_\r\n",
        });
    }

    /// An array header of `n` elements.
    pub fn array(&mut self, n: usize) {
        write_len(b'*', n, self.out);
    }

    /// A map header of `n` pairs (`%n`; a flat array of `2n` in RESP2).
    pub fn map(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => write_len(b'*', n * 2, self.out),
            Protocol::Resp3 => write_len(b'%', n, self.out),
        }
    }

    /// A map header of `n` pairs whose RESP2 form is an array of `[key, value]` pairs
    /// (XREAD's shape): `%n` in RESP3, `*n` in RESP2, and each pair then starts with
    /// [`RespWriter::pair`].
    pub fn pair_map(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => write_len(b'*', n, self.out),
            Protocol::Resp3 => write_len(b'%', n, self.out),
        }
    }

    /// Starts one pair of a [`RespWriter::pair_map`] (`*2` in RESP2, nothing in RESP3).
    pub fn pair(&mut self) {
        if self.proto == Protocol::Resp2 {
            self.out.extend_from_slice(b"*2\r\n");
        }
    }

    /// A set header (`~n`; an array in RESP2).
    pub fn set(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => write_len(b'*', n, self.out),
            Protocol::Resp3 => write_len(b'~', n, self.out),
        }
    }

    /// A push header (`>n`; an array in RESP2): pub/sub messages.
    pub fn push(&mut self, n: usize) {
        match self.proto {
            Protocol::Resp2 => write_len(b'*', n, self.out),
            Protocol::Resp3 => write_len(b'>', n, self.out),
        }
    }

    /// A verbatim `txt` string (`=`; a bulk string in RESP2), as INFO and CLIENT INFO
    /// answer.
    pub fn verbatim(&mut self, text: &[u8]) {
        match self.proto {
            Protocol::Resp2 => self.bulk(text),
            Protocol::Resp3 => {
                write_len(b'=', text.len() + 4, self.out);
                self.out.extend_from_slice(b"txt:");
                self.out.extend_from_slice(text);
                self.out.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A double (`,` in RESP3; a bulk string in RESP2): the shortest text that reads
    /// back as the same value, which is what Redis's `d2string` writes for values of
    /// ordinary size such as MEMORY STATS's percentages (`inf`, `-inf` and `nan` as
    /// Redis writes them). Very large or small values differ: Rust writes every digit
    /// (`1000000000000000000000`) where Redis writes an exponent (`1e+21`).
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(f: impl Fn(&mut RespWriter<'_>)) -> (Vec<u8>, Vec<u8>) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        f(&mut RespWriter::new(&mut a, Protocol::Resp2));
        f(&mut RespWriter::new(&mut b, Protocol::Resp3));
        (a, b)
    }

    /// One frame: how to write it, then its RESP2 and RESP3 bytes.
    type Case<'c> = (&'c dyn Fn(&mut RespWriter<'_>), &'c [u8], &'c [u8]);

    #[test]
    fn every_shape_in_both_protocols() {
        let cases: [Case<'_>; 12] = [
            (&|w| w.simple(b"a\r\nb"), b"+a  b\r\n", b"+a  b\r\n"),
            (&|w| w.error(b"ERR x\ny"), b"-ERR x y\r\n", b"-ERR x y\r\n"),
            (&|w| w.int(-12), b":-12\r\n", b":-12\r\n"),
            (&|w| w.bulk(b"hi"), b"$2\r\nhi\r\n", b"$2\r\nhi\r\n"),
            (&|w| w.null(), b"$-1\r\n", b"_\r\n"),
            (&|w| w.null_array(), b"*-1\r\n", b"_\r\n"),
            (&|w| w.map(2), b"*4\r\n", b"%2\r\n"),
            (
                &|w| {
                    w.pair_map(1);
                    w.pair()
                },
                b"*1\r\n*2\r\n",
                b"%1\r\n",
            ),
            (&|w| w.set(3), b"*3\r\n", b"~3\r\n"),
            (&|w| w.push(3), b"*3\r\n", b">3\r\n"),
            (&|w| w.verbatim(b"x"), b"$1\r\nx\r\n", b"=5\r\ntxt:x\r\n"),
            (&|w| w.double(1.5), b"$3\r\n1.5\r\n", b",1.5\r\n"),
        ];
        for (f, resp2, resp3) in cases {
            let (a, b) = both(f);
            assert_eq!((&a[..], &b[..]), (resp2, resp3));
        }
    }
}
