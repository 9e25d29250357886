//! The manifest of Redis 7+'s multi-part append-only file: which files of the
//! directory hold the data, in which order.
//!
//! ```text
//! file appendonly.aof.1.base.aof seq 1 type b
//! file appendonly.aof.1.incr.aof seq 1 type i
//! ```
//!
//! One line per file: the base first (type `b`, at most one), then history files
//! (`h`: replaced by a rewrite, not loaded), then incremental files (`i`, sequence
//! numbers strictly increasing). Lines are space-separated `key value` pairs, at least
//! `file`, `seq` and `type`; keys are case-insensitive and unknown keys are skipped
//! (Redis 8 adds `startoffset`/`endoffset`, which are kept as they are). Lines starting
//! with `#` are comments. Read with Redis's checks and its error texts.

use std::fmt::Write as _;

/// What a file of the directory holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `b`: the base, the state a rewrite wrote (as commands, or an RDB).
    Base,
    /// `h`: a file a rewrite replaced, to be deleted.
    History,
    /// `i`: commands appended after the base.
    Incr,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }
}

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFile {
    /// The file's name inside the directory (never a path).
    pub name: String,
    /// Its sequence number (base and incremental files count separately).
    pub seq: u64,
    /// What it holds.
    pub kind: FileKind,
    /// Redis 8's `startoffset` (a replication offset), when present.
    pub start_offset: Option<i64>,
    /// Redis 8's `endoffset`, when present.
    pub end_offset: Option<i64>,
}

/// The list of files, in loading order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, if any.
    pub base: Option<AofFile>,
    /// Files a rewrite replaced (not loaded; deleted when seen).
    pub history: Vec<AofFile>,
    /// The incremental files, oldest first.
    pub incr: Vec<AofFile>,
}

/// A manifest that cannot be read: Redis's words for the problem and the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    /// Redis's description (`Invalid AOF manifest file format`, …).
    pub reason: &'static str,
    /// The 1-based line it was found on (0: the file as a whole).
    pub line: usize,
}

impl core::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.line {
            0 => f.write_str(self.reason),
            n => write!(f, "{} (line {n})", self.reason),
        }
    }
}

/// Redis's longest manifest line (without its newline).
const MAX_LINE: usize = 1024;

impl Manifest {
    /// The manifest `text` describes, read as Redis reads it.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let err = |reason, line| Err(ManifestError { reason, line });
        let mut m = Manifest::default();
        let mut lines = 0;
        let mut rest = text;
        while !rest.is_empty() {
            lines += 1;
            let (line, more) = match rest.iter().position(|&b| b == b'\n') {
                Some(at) if at <= MAX_LINE => (&rest[..at], &rest[at + 1..]),
                _ if rest[0] == b'#' => (rest, &rest[rest.len()..]),
                _ => return err("The AOF manifest file contains too long line", lines),
            };
            rest = more;
            if line.first() == Some(&b'#') {
                continue;
            }
            let Some(args) = split_args(trim(line)) else {
                return err("Invalid AOF manifest file format", lines);
            };
            if args.len() < 6 || args.len() % 2 != 0 {
                return err("Invalid AOF manifest file format", lines);
            }
            let (mut name, mut seq, mut kind) = (None, 0i64, None);
            let (mut start_offset, mut end_offset) = (None, None);
            for pair in args.chunks(2) {
                let (k, v) = (&pair[0], &pair[1]);
                if k.eq_ignore_ascii_case(b"file") {
                    let Ok(n) = String::from_utf8(v.clone()) else {
                        return err("Invalid AOF manifest file format", lines);
                    };
                    if n.contains('/') || n == "." || n == ".." {
                        return err("File can't be a path, just a filename", lines);
                    }
                    name = Some(n);
                } else if k.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(v);
                } else if k.eq_ignore_ascii_case(b"type") {
                    kind = v.first().copied();
                } else if k.eq_ignore_ascii_case(b"startoffset") {
                    start_offset = Some(atoll(v));
                } else if k.eq_ignore_ascii_case(b"endoffset") {
                    end_offset = Some(atoll(v));
                }
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return err("Invalid AOF manifest file format", lines);
            };
            if seq == 0 {
                return err("Invalid AOF manifest file format", lines);
            }
            let file = |kind| AofFile {
                name,
                // A negative sequence number reads as Redis's `long long` does; it
                // can only order files, never name them.
                seq: seq.unsigned_abs(),
                kind,
                start_offset,
                end_offset,
            };
            match kind {
                b'b' if m.base.is_some() => {
                    return err("Found duplicate base file information", lines)
                }
                b'b' => m.base = Some(file(FileKind::Base)),
                b'h' => m.history.push(file(FileKind::History)),
                b'i' => {
                    if m.incr.last().is_some_and(|last| seq <= last.seq as i64) || seq < 0 {
                        return err("Found a non-monotonic sequence number", lines);
                    }
                    m.incr.push(file(FileKind::Incr));
                }
                _ => return err("Unknown AOF file type", lines),
            }
        }
        if lines == 0 {
            return err("Found an empty AOF manifest", 0);
        }
        Ok(m)
    }

    /// The manifest's text, as Redis writes it: base, history, then incremental files.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in self.base.iter().chain(&self.history).chain(&self.incr) {
            let _ = write!(
                out,
                "file {} seq {} type {}",
                quoted_if_needed(&f.name),
                f.seq,
                f.kind.letter()
            );
            if let Some(s) = f.start_offset {
                let _ = write!(out, " startoffset {s}");
                if let Some(e) = f.end_offset {
                    let _ = write!(out, " endoffset {e}");
                }
            }
            out.push('\n');
        }
        out
    }

    /// The files to load, in order: the base, then the incremental files.
    pub fn load_order(&self) -> impl Iterator<Item = &AofFile> {
        self.base.iter().chain(&self.incr)
    }
}

/// `line` without leading and trailing spaces, tabs, CR and LF.
fn trim(line: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !ws(b)).unwrap_or(line.len());
    let end = line.iter().rposition(|b| !ws(b)).map_or(start, |e| e + 1);
    &line[start..end]
}

/// C's `atoll`: leading blanks, an optional sign, digits; 0 when there are none.
fn atoll(v: &[u8]) -> i64 {
    let v = trim(v);
    let (neg, digits) = match v.first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    let mut n: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

/// Words separated by blanks, with Redis's quoting (`"…"` with `\n`, `\xHH` … escapes,
/// `'…'` with `\'`); `None` for unbalanced quotes or a quote not followed by a blank.
fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == line.len() {
            return Some(out);
        }
        let mut word = Vec::new();
        match line[i] {
            b'"' => {
                i += 1;
                loop {
                    match *line.get(i)? {
                        b'\\'
                            if i + 3 < line.len()
                                && line[i + 1] == b'x'
                                && line[i + 2].is_ascii_hexdigit()
                                && line[i + 3].is_ascii_hexdigit() =>
                        {
                            let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                            word.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                            i += 4;
                        }
                        b'\\' if i + 1 < line.len() => {
                            word.push(match line[i + 1] {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 8,
                                b'a' => 7,
                                c => c,
                            });
                            i += 2;
                        }
                        b'"' => {
                            i += 1;
                            break;
                        }
                        c => {
                            word.push(c);
                            i += 1;
                        }
                    }
                }
                if line.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                    return None;
                }
            }
            b'\'' => {
                i += 1;
                loop {
                    match *line.get(i)? {
                        b'\\' if line.get(i + 1) == Some(&b'\'') => {
                            word.push(b'\'');
                            i += 2;
                        }
                        b'\'' => {
                            i += 1;
                            break;
                        }
                        c => {
                            word.push(c);
                            i += 1;
                        }
                    }
                }
                if line.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                    return None;
                }
            }
            _ => {
                while i < line.len() && !line[i].is_ascii_whitespace() {
                    word.push(line[i]);
                    i += 1;
                }
            }
        }
        out.push(word);
    }
}

/// `name` as Redis writes it in a manifest: as it is, or quoted with escapes when it
/// holds a blank, a quote, a backslash or a byte outside printable ASCII.
fn quoted_if_needed(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'' && b != b'\\');
    if plain {
        return name.to_string();
    }
    let mut out = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
            b => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, seq: u64, kind: FileKind) -> AofFile {
        AofFile {
            name: name.into(),
            seq,
            kind,
            start_offset: None,
            end_offset: None,
        }
    }

    /// What Redis 8.6.3 wrote on its first start with `appendonly yes`.
    #[test]
    fn reads_what_redis_writes() {
        let m = Manifest::parse(
            b"file appendonly.aof.1.base.aof seq 1 type b\n\
              file appendonly.aof.1.incr.aof seq 1 type i startoffset 0\n",
        )
        .expect("manifest");
        assert_eq!(
            m.base,
            Some(file("appendonly.aof.1.base.aof", 1, FileKind::Base))
        );
        let mut incr = file("appendonly.aof.1.incr.aof", 1, FileKind::Incr);
        incr.start_offset = Some(0);
        assert_eq!(m.incr, vec![incr]);
        assert_eq!(
            m.to_text(),
            "file appendonly.aof.1.base.aof seq 1 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type i startoffset 0\n"
        );
        let names: Vec<_> = m.load_order().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof"]
        );
    }

    #[test]
    fn round_trips_history_and_quoted_names() {
        let m = Manifest {
            base: Some(file("b a.aof", 3, FileKind::Base)),
            history: vec![file("old\"x\\.aof", 2, FileKind::History)],
            incr: vec![
                file("i.4.aof", 4, FileKind::Incr),
                file("i.5.aof", 5, FileKind::Incr),
            ],
        };
        assert_eq!(Manifest::parse(m.to_text().as_bytes()), Ok(m));
    }

    #[test]
    fn refuses_what_redis_refuses() {
        let reason = |text: &[u8]| Manifest::parse(text).map_err(|e| e.reason);
        assert_eq!(reason(b""), Err("Found an empty AOF manifest"));
        assert_eq!(
            reason(b"file a seq 1\n"),
            Err("Invalid AOF manifest file format")
        );
        assert_eq!(
            reason(b"file a seq 0 type b\n"),
            Err("Invalid AOF manifest file format")
        );
        assert_eq!(reason(b"   \n"), Err("Invalid AOF manifest file format"));
        assert_eq!(
            reason(b"file a/b seq 1 type b\n"),
            Err("File can't be a path, just a filename")
        );
        assert_eq!(
            reason(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            Err("Found duplicate base file information")
        );
        assert_eq!(
            reason(b"file a seq 2 type i\nfile b seq 2 type i\n"),
            Err("Found a non-monotonic sequence number")
        );
        assert_eq!(
            reason(b"file a seq 1 type x\n"),
            Err("Unknown AOF file type")
        );
        assert_eq!(
            reason(b"file \"a seq 1 type b\n"),
            Err("Invalid AOF manifest file format")
        );
        let long = format!("file {} seq 1 type b\n", "a".repeat(1100));
        assert_eq!(
            reason(long.as_bytes()),
            Err("The AOF manifest file contains too long line")
        );
        // Comments, unknown keys, any case.
        assert!(Manifest::parse(b"# hi\nFILE a SEQ 1 TYPE b color red\n").is_ok());
        // A last line without its newline is refused, as Redis refuses it (its check
        // for an over-long line is that the line has no newline).
        assert_eq!(
            reason(b"file a seq 1 type b"),
            Err("The AOF manifest file contains too long line")
        );
    }
}
