//! The oracle servers and what we know differs between them and Redis 8.x.
//!
//! brook answers as Redis 8.6. The servers CI can install are Valkey 9.1 (which matches
//! Redis 8.6 on the stream commands both have) and Debian's Redis 7.0.15. Every known
//! difference is listed here, once, and applied to *our* reply before comparing — this
//! list is the README's compatibility table. A difference not listed here fails the test.

use brook_engine::{Keyspace, Protocol, Reply, StreamId};
use brook_test_support::{parse_frame, Frame, RespConn, ServerGuard, ServerKind};
use bytes::Bytes;

use crate::gen::Dialect;

/// A private server plus one RESP2 and one RESP3 connection to it.
pub struct Oracle {
    pub guard: ServerGuard,
    pub resp2: RespConn,
    pub resp3: RespConn,
    pub kind: ServerKind,
    pub version: String,
}

impl Oracle {
    /// Starts `kind`, or `None` (with the skip notice) when its binary is missing.
    pub fn start(kind: ServerKind) -> Option<Oracle> {
        let guard = ServerGuard::start(kind)?;
        let resp2 = guard.connect();
        let mut resp3 = guard.connect();
        resp3.hello(3);
        let version = guard.version();
        Some(Oracle {
            guard,
            resp2,
            resp3,
            kind,
            version,
        })
    }

    pub fn is_redis7(&self) -> bool {
        self.kind == ServerKind::Redis && self.version.starts_with("7.")
    }

    pub fn dialect(&self) -> Dialect {
        Dialect {
            ref_policies: false,
            xread_plus: !self.is_redis7(),
            min_node_bytes: if self.is_redis7() { 300 } else { 0 },
        }
    }

    pub fn call(&mut self, proto: Protocol, argv: &[Vec<u8>]) -> Frame {
        let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let conn = match proto {
            Protocol::Resp2 => &mut self.resp2,
            Protocol::Resp3 => &mut self.resp3,
        };
        let res = conn.send(&args).and_then(|()| conn.read());
        match res {
            Ok((frame, _)) => frame,
            Err(e) => {
                let log = std::fs::read_to_string(self.guard.log_path()).unwrap_or_default();
                let report = log
                    .find("BUG REPORT START")
                    .map_or("", |at| &log[at..(at + 1500).min(log.len())]);
                panic!(
                    "{} {} failed on {:?}: {e}\n{report}",
                    self.kind,
                    self.version,
                    String::from_utf8_lossy(&argv[0]),
                )
            }
        }
    }

    /// Whether to leave this step out against this server because the server would
    /// change state differently for a documented reason (so later steps could not be
    /// compared either).
    pub fn skip(&self, argv: &[Vec<u8>], ks: &Keyspace) -> bool {
        if !self.is_redis7() {
            // Valkey resolves `XREAD … +` from last-generated-id; Redis 8 from the last
            // live entry (they differ after deleting the tail or XSETID). A read, so
            // leaving it out changes nothing.
            if upper(&argv[0]) == "XREAD" {
                if let Some(at) = argv.iter().position(|a| upper(a) == "STREAMS") {
                    let rest = &argv[at + 1..];
                    let (keys, ids) = rest.split_at(rest.len() / 2);
                    return keys.iter().zip(ids).any(|(k, id)| {
                        id.as_slice() == b"+"
                            && matches!(ks.stream(k), Ok(Some(s)) if s.last_live_id() != Some(s.last_id()))
                    });
                }
            }
            return false;
        }
        // Redis 7.0 does not check that BLOCK's deadline overflows (8.x: `timeout is out
        // of range`), and would then block.
        if upper(&argv[0]) == "XREAD" && argv.iter().any(|a| a == b"9223372036854775807") {
            return true;
        }
        // §22 #4: Redis 7.0 has no `XREAD … +` (a read, so leaving it out changes nothing).
        if upper(&argv[0]) == "XREAD" && argv.iter().skip(2).any(|a| a == b"+") {
            return true;
        }
        // §22 #18: Redis 7.0 lets XSETID go below max-deleted-entry-id.
        if upper(&argv[0]) == "XSETID" && argv.len() >= 3 {
            if let (Ok(Some(s)), Ok(id)) = (ks.stream(&argv[1]), StreamId::parse_strict(&argv[2])) {
                return id < s.max_deleted_id();
            }
        }
        false
    }

    /// Our reply, rewritten where this server is known to answer differently.
    pub fn normalize(&self, argv: &[Vec<u8>], pre: &Keyspace, ours: Frame) -> Frame {
        let cmd = upper(&argv[0]);
        let sub = argv.get(1).map(|s| upper(s)).unwrap_or_default();
        let mut f = ours;
        // Redis 8.6's XINFO STREAM adds six IDMP fields that neither Valkey 9.1 nor Redis
        // 7.0 has.
        if cmd == "XINFO" && sub == "STREAM" {
            f = strip_fields(f, IDMP_FIELDS);
        }
        if let Frame::Error(e) = &f {
            let text = e.clone();
            let replace = |from: &str, to: &str| {
                if text == from.as_bytes() {
                    Some(Frame::Error(to.as_bytes().to_vec()))
                } else {
                    None
                }
            };
            let redis7 = self.is_redis7();
            let fixed = if redis7 {
                replace(UNBALANCED_XREAD_8, "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
                    .or_else(|| {
                        // §22 #1: `ms-*` when last-id's seq is the maximum.
                        let seq_star_overflow = cmd == "XADD"
                            && text.starts_with(b"ERR The ID specified in XADD is equal or smaller")
                            && seq_star_overflows(argv, pre);
                        seq_star_overflow
                            .then(|| Frame::Error(b"ERR Elements are too large to be stored".to_vec()))
                    })
            } else {
                replace(
                    UNBALANCED_XREAD_8,
                    "ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.",
                )
            };
            if let Some(g) = fixed {
                f = g;
            }
        }
        if cmd == "XINFO" && sub == "HELP" && self.is_redis7() {
            f = map_simple(f, "    Print this help.", "    Prints this help.");
        }
        f
    }
}

const UNBALANCED_XREAD_8: &str =
    "ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or '$' must be specified.";

pub const IDMP_FIELDS: &[&str] = &[
    "idmp-duration",
    "idmp-maxsize",
    "pids-tracked",
    "iids-tracked",
    "iids-added",
    "iids-duplicates",
];

pub fn upper(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_uppercase()
}

/// True when XADD's ID argument is `<ms>-*` with `ms` equal to the stream's last ID ms
/// and that ID's sequence at its maximum.
fn seq_star_overflows(argv: &[Vec<u8>], pre: &Keyspace) -> bool {
    let Ok(Some(s)) = pre.stream(&argv[1]) else {
        return false;
    };
    let last = s.last_id();
    let wanted = format!("{}-*", last.ms);
    last.seq == u64::MAX && argv.iter().any(|a| a == wanted.as_bytes())
}

/// Removes `names` (and their values) from a map reply (RESP3) or flat key/value array
/// (RESP2).
pub fn strip_fields(f: Frame, names: &[&str]) -> Frame {
    let drop =
        |k: &Frame| matches!(k.as_bytes(), Some(b) if names.iter().any(|n| n.as_bytes() == b));
    match f {
        Frame::Map(pairs) => Frame::Map(pairs.into_iter().filter(|(k, _)| !drop(k)).collect()),
        Frame::Array(items) if items.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(items.len());
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                if !drop(&k) {
                    out.push(k);
                    out.push(v);
                }
            }
            Frame::Array(out)
        }
        other => other,
    }
}

fn map_simple(f: Frame, from: &str, to: &str) -> Frame {
    match f {
        Frame::Array(items) => Frame::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Frame::Simple(s) if s == from.as_bytes() => {
                        Frame::Simple(to.as_bytes().to_vec())
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Our reply encoded for `proto` and parsed back with the same parser the server's reply
/// went through (so comparing frames is comparing bytes).
pub fn to_frame(reply: &Reply, proto: Protocol) -> Frame {
    let bytes = reply.to_resp(proto);
    match parse_frame(&bytes) {
        Ok(Some((f, used))) if used == bytes.len() => f,
        other => panic!(
            "engine produced unparsable RESP {:?}: {other:?}",
            Bytes::from(bytes)
        ),
    }
}
