//! [`RespConn`]: a blocking RESP client that keeps each reply's raw bytes.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use crate::resp::{encode_command, parse_frame, Frame};

/// Default read timeout of a [`RespConn`].
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

const READ_CHUNK: usize = 64 * 1024;

/// A blocking client connection to `127.0.0.1:<port>`.
///
/// Replies are buffered, so pipelining works: [`send`](Self::send) N
/// commands, then [`read`](Self::read) N replies. The `call*` helpers panic
/// on I/O errors, which is the intended test failure.
#[derive(Debug)]
pub struct RespConn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`.
    start: usize,
}

impl RespConn {
    /// Connects to `127.0.0.1:port` with `TCP_NODELAY` and a 30 s read timeout.
    pub fn connect(port: u16) -> io::Result<Self> {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_write_timeout(Some(READ_TIMEOUT))?;
        Ok(RespConn {
            stream,
            buf: Vec::new(),
            start: 0,
        })
    }

    /// Changes the read timeout (`None` blocks forever).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)
    }

    /// Sends one command as a RESP array of bulk strings without waiting
    /// for the reply.
    pub fn send(&mut self, argv: &[&[u8]]) -> io::Result<()> {
        self.stream.write_all(&encode_command(argv))
    }

    /// Sends arbitrary bytes (inline commands, malformed input, ...).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads the next reply and its exact bytes, skipping any RESP3
    /// attribute frames that precede it (their bytes are not included).
    pub fn read(&mut self) -> io::Result<(Frame, Vec<u8>)> {
        loop {
            let (frame, raw) = self.read_any()?;
            if !matches!(frame, Frame::Attribute(_)) {
                return Ok((frame, raw));
            }
        }
    }

    /// Reads the next frame, attribute frames included, with its exact bytes.
    pub fn read_any(&mut self) -> io::Result<(Frame, Vec<u8>)> {
        loop {
            let pending = &self.buf[self.start..];
            match parse_frame(pending) {
                Ok(Some((frame, used))) => {
                    let raw = pending[..used].to_vec();
                    self.consume(used);
                    return Ok((frame, raw));
                }
                Ok(None) => self.fill()?,
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
    }

    /// Sends a command and returns its reply; panics on I/O errors.
    pub fn call(&mut self, argv: &[&[u8]]) -> Frame {
        self.call_with_raw(argv).0
    }

    /// Sends a command and returns the exact bytes of its reply; panics on
    /// I/O errors.
    pub fn call_raw(&mut self, argv: &[&[u8]]) -> Vec<u8> {
        self.call_with_raw(argv).1
    }

    /// Sends a command and returns its reply both parsed and as exact bytes;
    /// panics on I/O errors.
    pub fn call_with_raw(&mut self, argv: &[&[u8]]) -> (Frame, Vec<u8>) {
        let name = argv
            .first()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default();
        self.send(argv)
            .unwrap_or_else(|e| panic!("sending {name} failed: {e}"));
        self.read()
            .unwrap_or_else(|e| panic!("reading the reply to {name} failed: {e}"))
    }

    /// [`call`](Self::call) with string arguments.
    pub fn call_str(&mut self, argv: &[&str]) -> Frame {
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        self.call(&argv)
    }

    /// Switches the connection's protocol with `HELLO <proto>` (2 or 3) and
    /// returns the server's reply (a map under RESP3, a flat array under
    /// RESP2). Panics if the server answers with an error.
    pub fn hello(&mut self, proto: u8) -> Frame {
        let proto = proto.to_string();
        let reply = self.call(&[b"HELLO", proto.as_bytes()]);
        assert!(!reply.is_error(), "HELLO {proto} failed: {reply}");
        reply
    }

    fn consume(&mut self, used: usize) {
        self.start += used;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > READ_CHUNK && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    /// Reads at least one more byte into the buffer.
    fn fill(&mut self) -> io::Result<()> {
        let old = self.buf.len();
        self.buf.resize(old + READ_CHUNK, 0);
        let result = loop {
            match self.stream.read(&mut self.buf[old..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let n = *result.as_ref().unwrap_or(&0);
        self.buf.truncate(old + n);
        match result {
            Ok(0) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before a complete reply",
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
