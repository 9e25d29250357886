//! Commands as an append-only file holds them: each an array of bulk strings
//! (`*3\r\n$3\r\nDEL\r\n…`), one after another; lines starting with `#` are
//! annotations and skipped, as Redis skips them.
//!
//! The reader tells a file that ends inside a command (a torn tail: the process died
//! mid-write) from bytes that are not a command at all (damage), and says where.

use bytes::Bytes;

/// Appends `argv` as one command.
pub fn encode<A: AsRef<[u8]>>(argv: &[A], out: &mut Vec<u8>) {
    header(b'*', argv.len(), out);
    for a in argv {
        let a = a.as_ref();
        header(b'$', a.len(), out);
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn header(kind: u8, n: usize, out: &mut Vec<u8>) {
    // Most lengths are one or two digits.
    if n < 10 {
        out.extend_from_slice(&[kind, b'0' + n as u8, b'\r', b'\n']);
        return;
    }
    if n < 100 {
        out.extend_from_slice(&[
            kind,
            b'0' + (n / 10) as u8,
            b'0' + (n % 10) as u8,
            b'\r',
            b'\n',
        ]);
        return;
    }
    out.push(kind);
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
    out.extend_from_slice(b"\r\n");
}

/// What the reader found next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// A whole command, ending at byte `end` of the file.
    Command {
        /// Its arguments, the name first.
        argv: Vec<Bytes>,
        /// The offset just past it.
        end: usize,
    },
    /// The end of the file, after a whole command (or an empty file).
    End,
    /// The file ends inside a command that starts at the reader's offset: a torn
    /// write.
    Torn,
    /// Bytes at `at` that are not part of any command.
    Corrupt {
        /// Where the reader stopped making sense of them.
        at: usize,
        /// What was wrong.
        reason: &'static str,
    },
}

/// Reads commands from a file's bytes.
pub struct Reader {
    data: Bytes,
    pos: usize,
}

/// Redis reads the `*n` and `$len` lines into a buffer of this size.
const MAX_LINE: usize = 1024;

impl Reader {
    /// A reader at the start of `data`.
    pub fn new(data: Bytes) -> Reader {
        Reader { data, pos: 0 }
    }

    /// Where the next command starts.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// The next command, or why there is none. After `Torn` or `Corrupt` the reader
    /// stays where it was.
    pub fn next_command(&mut self) -> Next {
        loop {
            if self.pos == self.data.len() {
                return Next::End;
            }
            if self.data[self.pos] != b'#' {
                break;
            }
            // An annotation: skip its line (a last one without a newline is torn).
            match self.line_end(self.pos) {
                Some(end) => self.pos = end,
                None => return Next::Torn,
            }
        }
        match self.command(self.pos) {
            Ok((argv, end)) => {
                self.pos = end;
                Next::Command { argv, end }
            }
            Err(None) => Next::Torn,
            Err(Some((at, reason))) => Next::Corrupt { at, reason },
        }
    }

    /// The offset after the `\n` that ends the line starting at `at`.
    fn line_end(&self, at: usize) -> Option<usize> {
        self.data[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| at + i + 1)
    }

    /// A `*n` or `$n` line at `at` (`kind` its first byte): n and where it ends.
    /// `Err(None)`: the file ends first.
    #[allow(clippy::type_complexity)]
    fn count_line(
        &self,
        at: usize,
        kind: u8,
    ) -> Result<(usize, usize), Option<(usize, &'static str)>> {
        // The common case in one pass: `kind`, 1 to 18 digits, CRLF. Anything else
        // (a torn or damaged line) is told apart below.
        if self.data.get(at) == Some(&kind) {
            let mut n = 0usize;
            let mut pos = at + 1;
            while let Some(&d) = self.data.get(pos) {
                if !d.is_ascii_digit() || pos - at > 18 {
                    break;
                }
                n = n * 10 + usize::from(d - b'0');
                pos += 1;
            }
            if pos > at + 1 && self.data.get(pos..pos + 2) == Some(b"\r\n") {
                return Ok((n, pos + 2));
            }
        }
        let Some(&first) = self.data.get(at) else {
            return Err(None);
        };
        if first != kind {
            return Err(Some((
                at,
                if kind == b'*' {
                    "expected '*' (the start of a command)"
                } else {
                    "expected '$' (an argument's length)"
                },
            )));
        }
        let Some(end) = self.line_end(at) else {
            return if self.data.len() - at > MAX_LINE {
                Err(Some((at, "a length line without its end")))
            } else {
                Err(None)
            };
        };
        let digits = &self.data[at + 1..end - 1];
        let digits = digits
            .strip_suffix(b"\r")
            .ok_or(Some((at, "a length line not ended by CRLF")))?;
        if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(Some((at, "a length that is not a number")));
        }
        let n = digits
            .iter()
            .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
        Ok((n, end))
    }

    #[allow(clippy::type_complexity)]
    fn command(&self, at: usize) -> Result<(Vec<Bytes>, usize), Option<(usize, &'static str)>> {
        let (argc, mut pos) = self.count_line(at, b'*')?;
        if argc == 0 {
            return Err(Some((at, "a command without arguments")));
        }
        let mut argv = Vec::with_capacity(argc.min(1024));
        for _ in 0..argc {
            let (len, start) = self.count_line(pos, b'$')?;
            let end = start
                .checked_add(len)
                .ok_or(Some((pos, "an argument too long")))?;
            if end + 2 > self.data.len() {
                return Err(None);
            }
            if &self.data[end..end + 2] != b"\r\n" {
                return Err(Some((end, "an argument not followed by CRLF")));
            }
            argv.push(self.data.slice(start..end));
            pos = end + 2;
        }
        Ok((argv, pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(data: &[u8]) -> (Vec<Vec<Bytes>>, Next) {
        let mut r = Reader::new(Bytes::copy_from_slice(data));
        let mut out = Vec::new();
        loop {
            match r.next_command() {
                Next::Command { argv, .. } => out.push(argv),
                other => return (out, other),
            }
        }
    }

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        encode(&["SELECT", "0"], &mut buf);
        encode(&[&b"XADD"[..], b"s", b"1-1", b"f\r\n", b""], &mut buf);
        assert_eq!(
            &buf[..],
            &b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$3\r\n1-1\r\n$3\r\nf\r\n\r\n$0\r\n\r\n"[..]
        );
        let (got, end) = commands(&buf);
        assert_eq!(end, Next::End);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1][3], Bytes::from_static(b"f\r\n"));
        assert_eq!(got[1][4], Bytes::new());
    }

    /// Every proper prefix of a command is a torn tail, never damage.
    #[test]
    fn every_cut_is_torn() {
        let mut buf = Vec::new();
        encode(&["DEL", "k"], &mut buf);
        let whole = buf.len();
        encode(&["XADD", "s", "1-1", "field", "value"], &mut buf);
        for cut in whole + 1..buf.len() {
            let (got, end) = commands(&buf[..cut]);
            assert_eq!(got.len(), 1, "cut at {cut}");
            assert_eq!(end, Next::Torn, "cut at {cut}");
        }
    }

    #[test]
    fn damage_is_located() {
        let mut buf = Vec::new();
        encode(&["DEL", "k"], &mut buf);
        let second = buf.len();
        encode(&["DEL", "k"], &mut buf);
        let mut bad = buf.clone();
        bad[second] = b'+';
        assert_eq!(
            commands(&bad).1,
            Next::Corrupt {
                at: second,
                reason: "expected '*' (the start of a command)"
            }
        );
        let mut bad = buf.clone();
        bad[second + 4] = b'x'; // `$3` → `x3`
        assert!(matches!(commands(&bad).1, Next::Corrupt { at, .. } if at == second + 4));
        let mut bad = buf.clone();
        let last = bad.len() - 2;
        bad[last] = b'!'; // the CRLF after the last argument
        assert!(matches!(commands(&bad).1, Next::Corrupt { at, .. } if at == last));
        assert!(matches!(commands(b"*0\r\n").1, Next::Corrupt { at: 0, .. }));
    }

    /// Length lines at the edges of the one-pass parse: 18 digits are a length, 19
    /// are not, a line ended by LF alone is damage, a cut inside the digits is torn.
    #[test]
    fn length_lines() {
        let mut r = Reader::new(Bytes::from_static(b"*000000000000000001\r\n$0\r\n\r\n"));
        assert!(
            matches!(r.next_command(), Next::Command { ref argv, .. } if argv == &[Bytes::new()])
        );
        assert_eq!(
            commands(b"*0000000000000000001\r\n").1,
            Next::Corrupt {
                at: 0,
                reason: "a length that is not a number"
            }
        );
        assert_eq!(
            commands(b"*1\n$0\r\n\r\n").1,
            Next::Corrupt {
                at: 0,
                reason: "a length line not ended by CRLF"
            }
        );
        assert_eq!(
            commands(b"*\r\n").1,
            Next::Corrupt {
                at: 0,
                reason: "a length that is not a number"
            }
        );
        assert_eq!(commands(b"*12").1, Next::Torn);
        assert_eq!(commands(b"*1\r").1, Next::Torn);
        assert_eq!(commands(b"*1\r\n$10").1, Next::Torn);
    }

    #[test]
    fn annotations_are_skipped() {
        let mut buf = b"#TS:1700000000\r\n".to_vec();
        encode(&["DEL", "k"], &mut buf);
        let (got, end) = commands(&buf);
        assert_eq!((got.len(), end), (1, Next::End));
        assert_eq!(commands(b"#TS:17").1, Next::Torn);
    }
}
