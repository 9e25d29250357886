//! The oracle servers and what we know differs between them and Redis 8.x.
//!
//! brook answers as Redis 8.6. Against Redis 8.6.3 itself (`ServerKind::Redis8`, told
//! apart by kind, not by version) nothing here applies: no step is skipped, no reply is
//! rewritten, and [`Oracle::same`] compares exactly except for wall-clock fields (the
//! tolerance below). The older servers CI also runs are Valkey 9.1 (which matches
//! Redis 8.6 on the stream commands both have) and Debian's Redis 7.0.15. Every known
//! difference of those two is listed here, once, and applied to *our* reply before
//! comparing — this list is the README's compatibility table. A difference not listed
//! here fails the test. The Redis 8 additions (IDMP, XDELEX, XACKDEL, CLAIM, reference
//! policies, ENTRIESREAD clamping) are never sent to them (`Dialect`).
//!
//! Consumer groups (reference §22): Valkey 9.1 stores `XGROUP CREATE/SETID … ENTRIESREAD n`
//! above entries-added verbatim (Redis 8.x clamps; observed live) — the generator never
//! sends such values to a non-clamping oracle (`Dialect::clamps_entries_read`). Against
//! Redis 7.0.15:
//! * #5, #6: XREADGROUP's unbalanced-STREAMS text and its answer to `+` (E_ID) are
//!   rewritten in our reply;
//! * #10, #11: `active-time` (XINFO STREAM FULL consumers) and `inactive` (XINFO
//!   CONSUMERS) are removed from our reply; 7.0's `seen-time`/`idle` only move when
//!   something is served or claimed (observed live), so they are not compared;
//! * #12: HELP texts end in `Prints this help.`;
//! * #13: implicit consumer creation is avoided by the generator (it names only
//!   consumers that exist, `Dialect::implicit_consumers`);
//! * #14: avoided as for Valkey; #15–#17 (lag and entries-read algorithms): `entries-read`
//!   and `lag` in XINFO GROUPS and XINFO STREAM FULL are not compared (they are, exactly,
//!   against Valkey).
//!
//! Time-valued fields — XPENDING idle, XINFO CONSUMERS idle/inactive, XINFO STREAM FULL
//! delivery times, seen-time and active-time, the idle time of entries XREADGROUP …
//! CLAIM returns — are compared with a tolerance of
//! [`TIME_TOLERANCE_MS`] (`-1` only equals `-1`) because brook and the server run each
//! command a few milliseconds apart; see [`Oracle::same`]. Everything else is exact.

use brook_engine::{Reply, StreamId};

use brook_engine::frontend::{Keyspace, Protocol};
use brook_test_support::{parse_frame, Frame, RespConn, ServerGuard, ServerKind};
use bytes::Bytes;

use crate::gen::{Dialect, View};

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
        Oracle::start_with(kind, &[])
    }

    /// [`Oracle::start`] with extra server arguments (`--appendonly yes`, …).
    pub fn start_with(kind: ServerKind, args: &[&str]) -> Option<Oracle> {
        Oracle::attach(ServerGuard::start_with(kind, args)?)
    }

    /// An oracle on a server already running.
    pub fn attach(guard: ServerGuard) -> Option<Oracle> {
        let kind = guard.kind();
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

    /// The Redis 8.6.3 oracle: brook's reference, compared without normalisations.
    pub fn is_redis8(&self) -> bool {
        self.kind == ServerKind::Redis8
    }

    pub fn dialect(&self) -> Dialect {
        if self.is_redis8() {
            // `BROOK_DIFF_WITHOUT=idmp,claim,…` turns Redis 8 features off (to bisect).
            let off = std::env::var("BROOK_DIFF_WITHOUT").unwrap_or_default();
            let on = |name: &str| !off.split(',').any(|o| o == name);
            // Redis 8.6.3 still corrupts small stream nodes as 7.0.15 does (listpack
            // assertions, malformed replies, crashes soon after `stream-node-max-bytes`
            // 1, 50 or 100; none in 60000 steps with 300 or more). Override with
            // `BROOK_DIFF_MIN_NODE_BYTES=0` to see it.
            let min_node_bytes = std::env::var("BROOK_DIFF_MIN_NODE_BYTES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(300);
            return Dialect {
                min_node_bytes,
                ref_policies: on("policies"),
                approx_policy_trims: on("approx-policy"),
                clamps_entries_read: on("clamp"),
                xdelex: on("xdelex"),
                xackdel: on("xackdel"),
                readgroup_claim: on("claim"),
                idmp: on("idmp"),
                xcfgset: on("xcfgset"),
                xidmprecord: on("xidmprecord"),
                ..Dialect::REDIS8
            };
        }
        Dialect {
            xread_plus: !self.is_redis7(),
            min_node_bytes: if self.is_redis7() { 300 } else { 0 },
            implicit_consumers: !self.is_redis7(),
            block_overflow_checked: !self.is_redis7(),
            ref_policies: false,
            approx_policy_trims: false,
            clamps_entries_read: false,
            xdelex: false,
            xackdel: false,
            readgroup_claim: false,
            idmp: false,
            xcfgset: false,
            xidmprecord: false,
        }
    }

    /// Sends every command of `argvs` in one write (pipelined), then reads their replies
    /// (one scheduling round trip instead of one per command); or — when the server
    /// closed the connection or sent something that is not RESP — what happened, with the
    /// crash report from its log.
    pub fn try_call_many(
        &mut self,
        proto: Protocol,
        argvs: &[Vec<Vec<u8>>],
    ) -> Result<Vec<Frame>, String> {
        if std::env::var("BROOK_DIFF_NO_PIPELINE").is_ok() {
            return argvs.iter().map(|a| self.try_call(proto, a)).collect();
        }
        let mut bytes = Vec::new();
        for argv in argvs {
            let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            bytes.extend(brook_test_support::encode_command(&args));
        }
        let conn = match proto {
            Protocol::Resp2 => &mut self.resp2,
            Protocol::Resp3 => &mut self.resp3,
        };
        let sent = conn.send_raw(&bytes);
        let mut out = Vec::with_capacity(argvs.len());
        for argv in argvs {
            match sent
                .as_ref()
                .map_err(|e| e.to_string())
                .and_then(|()| conn.read().map_err(|e| e.to_string()))
            {
                Ok((frame, _)) => out.push(frame),
                Err(e) => return Err(self.died(argv, &e)),
            }
        }
        Ok(out)
    }

    /// What to say when the server died on `argv`: the error and its crash report.
    fn died(&self, argv: &[Vec<u8>], e: &dyn std::fmt::Display) -> String {
        let log = std::fs::read_to_string(self.guard.log_path()).unwrap_or_default();
        let report = log
            .find("BUG REPORT START")
            .map_or("", |at| &log[at..(at + 3000).min(log.len())]);
        let shown: Vec<String> = argv
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        format!(
            "{} {} failed on {shown:?}: {e}\n{report}",
            self.kind, self.version,
        )
    }

    /// One command; panics if the server died.
    pub fn call(&mut self, proto: Protocol, argv: &[Vec<u8>]) -> Frame {
        self.try_call(proto, argv)
            .unwrap_or_else(|crash| panic!("{crash}"))
    }

    /// [`call`](Self::call), or what happened when the server died.
    pub fn try_call(&mut self, proto: Protocol, argv: &[Vec<u8>]) -> Result<Frame, String> {
        let args: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let conn = match proto {
            Protocol::Resp2 => &mut self.resp2,
            Protocol::Resp3 => &mut self.resp3,
        };
        match conn.send(&args).and_then(|()| conn.read()) {
            Ok((frame, _)) => Ok(frame),
            Err(e) => Err(self.died(argv, &e)),
        }
    }

    /// Whether to leave this step out against this server because the server would
    /// change state differently for a documented reason (so later steps could not be
    /// compared either).
    pub fn skip(&self, argv: &[Vec<u8>], view: &View) -> bool {
        if self.is_redis8() {
            return false;
        }
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
                            && matches!(view.stream(k), Some(s) if s.ids.last() != Some(&s.last_id))
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
            if let (Some(s), Ok(id)) = (view.stream(&argv[1]), StreamId::parse_strict(&argv[2])) {
                return id < s.max_deleted;
            }
        }
        false
    }

    /// Our reply, rewritten where this server is known to answer differently.
    pub fn normalize(&self, argv: &[Vec<u8>], pre: &Keyspace, ours: Frame) -> Frame {
        if self.is_redis8() {
            // The reference itself: nothing is rewritten.
            return ours;
        }
        let cmd = upper(&argv[0]);
        let sub = argv.get(1).map(|s| upper(s)).unwrap_or_default();
        let mut f = ours;
        // Redis 8.6's XINFO STREAM adds six IDMP fields that neither Valkey 9.1 nor Redis
        // 7.0 has (compared, unchanged, against Redis 8.6).
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
                replace(UNBALANCED_XREAD_8, UNBALANCED_7)
                    .or_else(|| replace(UNBALANCED_XREADGROUP_8, UNBALANCED_7))
                    // §22 #6.
                    .or_else(|| {
                        replace(
                            XREADGROUP_PLUS_8,
                            "ERR Invalid stream ID specified as stream command argument",
                        )
                    })
                    .or_else(|| {
                        // §22 #1: `ms-*` when last-id's seq is the maximum.
                        let seq_star_overflow = cmd == "XADD"
                            && text
                                .starts_with(b"ERR The ID specified in XADD is equal or smaller")
                            && seq_star_overflows(argv, pre);
                        seq_star_overflow.then(|| {
                            Frame::Error(b"ERR Elements are too large to be stored".to_vec())
                        })
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
        if (cmd == "XINFO" || cmd == "XGROUP") && sub == "HELP" && self.is_redis7() {
            f = map_simple(f, "    Print this help.", "    Prints this help.");
        }
        if self.is_redis7() && cmd == "XINFO" && sub == "CONSUMERS" {
            f = map_items(f, |c| strip_fields(c, &["inactive"]));
        }
        // Valkey 9.1 computes `lag` with Redis 7's rules: no "empty stream → 0" and no
        // "group before the first entry → length" (Redis 8.x, reference §19 rules 2-3).
        if !self.is_redis7() && cmd == "XINFO" && (sub == "GROUPS" || sub == "STREAM") {
            if let Some(Ok(Some(stream))) = argv.get(2).map(|k| pre.stream(k)) {
                let lag = |g: Frame| valkey_lag(stream, g);
                f = if sub == "GROUPS" {
                    map_items(f, lag)
                } else {
                    map_field(f, "groups", |groups| map_items(groups, lag))
                };
            }
        }
        if self.is_redis7() && cmd == "XINFO" && sub == "STREAM" {
            f = map_field(f, "groups", |groups| {
                map_items(groups, |g| {
                    map_field(g, "consumers", |cs| {
                        map_items(cs, |c| strip_fields(c, &["active-time"]))
                    })
                })
            });
        }
        f
    }

    /// Whether our (normalized) reply to `argv` equals the server's: byte-equal, except
    /// the time-valued positions, which may differ by [`TIME_TOLERANCE_MS`], and — against
    /// Redis 7.0 — the fields listed in the module doc that are not compared.
    pub fn same(&self, argv: &[Vec<u8>], ours: &Frame, theirs: &Frame) -> bool {
        same(self.is_redis7(), argv, ours, theirs)
    }
}

/// [`Oracle::same`]; `redis7` selects the fields not compared against Redis 7.0.
pub fn same(redis7: bool, argv: &[Vec<u8>], ours: &Frame, theirs: &Frame) -> bool {
    let cmd = upper(&argv[0]);
    let sub = argv.get(1).map(|s| upper(s)).unwrap_or_default();
    match (cmd.as_str(), sub.as_str()) {
        // CLAIM replies `[id, fields, idle, delivery-count]` per entry.
        ("XREADGROUP", _) if argv.iter().any(|a| upper(a) == "CLAIM") => eq_read(ours, theirs),
        // Extended form: [id, consumer, idle, delivery-count] per entry.
        ("XPENDING", _) if argv.len() >= 6 => eq_items(ours, theirs, &|a, b| eq_tuple(a, b, 2)),
        ("XINFO", "CONSUMERS") => eq_items(ours, theirs, &|a, b| {
            eq_fields(a, b, &|k, x, y| match k {
                b"idle" => redis7 || eq_time(x, y),
                b"inactive" => eq_time(x, y),
                _ => x == y,
            })
        }),
        ("XINFO", "GROUPS") => eq_items(ours, theirs, &|a, b| {
            eq_fields(a, b, &|k, x, y| {
                (redis7 && (k == b"entries-read" || k == b"lag")) || x == y
            })
        }),
        ("XINFO", "STREAM") if argv.iter().skip(3).any(|a| upper(a) == "FULL") => {
            eq_fields(ours, theirs, &|k, x, y| {
                if k == b"groups" {
                    eq_items(x, y, &|a, b| same_full_group(redis7, a, b))
                } else {
                    x == y
                }
            })
        }
        _ => ours == theirs,
    }
}

/// Two XREADGROUP replies (RESP2 `[[key, entries]…]` or RESP3 `{key: entries}`) whose
/// entries may carry an idle time at position 2 (CLAIM).
fn eq_read(ours: &Frame, theirs: &Frame) -> bool {
    let entries = |x: &Frame, y: &Frame| eq_items(x, y, &|a, b| eq_tuple(a, b, 2));
    match (ours, theirs) {
        (Frame::Map(_), Frame::Map(_)) => eq_fields(ours, theirs, &|_, x, y| entries(x, y)),
        _ => eq_items(ours, theirs, &|a, b| match (a, b) {
            (Frame::Array(x), Frame::Array(y)) if x.len() == 2 && y.len() == 2 => {
                x[0] == y[0] && entries(&x[1], &y[1])
            }
            _ => a == b,
        }),
    }
}

/// One group of XINFO STREAM FULL.
fn same_full_group(redis7: bool, ours: &Frame, theirs: &Frame) -> bool {
    eq_fields(ours, theirs, &|k, x, y| match k {
        b"entries-read" | b"lag" => redis7 || x == y,
        // [id, consumer, delivery-time, delivery-count]
        b"pending" => eq_items(x, y, &|a, b| eq_tuple(a, b, 2)),
        b"consumers" => eq_items(x, y, &|a, b| {
            eq_fields(a, b, &|k, x, y| match k {
                b"seen-time" => redis7 || eq_time(x, y),
                b"active-time" => eq_time(x, y),
                // [id, delivery-time, delivery-count]
                b"pending" => eq_items(x, y, &|a, b| eq_tuple(a, b, 1)),
                _ => x == y,
            })
        }),
        _ => x == y,
    })
}

/// How far apart brook's and the server's time-valued fields may be (ms).
pub const TIME_TOLERANCE_MS: i64 = 1000;

/// Two times or idle values: within the tolerance, and `-1` ("never") only equals `-1`.
fn eq_time(a: &Frame, b: &Frame) -> bool {
    match (a, b) {
        (Frame::Integer(x), Frame::Integer(y)) => {
            x == y || (*x != -1 && *y != -1 && x.abs_diff(*y) <= TIME_TOLERANCE_MS as u64)
        }
        _ => a == b,
    }
}

/// Two arrays element by element with `eq`; anything else exactly.
fn eq_items(a: &Frame, b: &Frame, eq: &dyn Fn(&Frame, &Frame) -> bool) -> bool {
    match (a, b) {
        (Frame::Array(x), Frame::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q))
        }
        _ => a == b,
    }
}

/// Two arrays exactly, except element `at`, a time.
fn eq_tuple(a: &Frame, b: &Frame, at: usize) -> bool {
    match (a, b) {
        (Frame::Array(x), Frame::Array(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .enumerate()
                    .all(|(i, (p, q))| if i == at { eq_time(p, q) } else { p == q })
        }
        _ => a == b,
    }
}

/// The key/value pairs of a RESP3 map or a RESP2 flat array.
fn pairs(f: &Frame) -> Option<Vec<(&Frame, &Frame)>> {
    match f {
        Frame::Map(p) => Some(p.iter().map(|(k, v)| (k, v)).collect()),
        Frame::Array(items) if items.len() % 2 == 0 => {
            Some(items.chunks_exact(2).map(|kv| (&kv[0], &kv[1])).collect())
        }
        _ => None,
    }
}

/// Two maps (same shape, same keys in the same order); values compared by `eq` given the
/// key's name.
fn eq_fields(a: &Frame, b: &Frame, eq: &dyn Fn(&[u8], &Frame, &Frame) -> bool) -> bool {
    let same_shape = matches!(
        (a, b),
        (Frame::Map(_), Frame::Map(_)) | (Frame::Array(_), Frame::Array(_))
    );
    match (same_shape, pairs(a), pairs(b)) {
        (true, Some(x), Some(y)) => {
            x.len() == y.len()
                && x.iter().zip(&y).all(|((ka, va), (kb, vb))| {
                    ka == kb && eq(ka.as_bytes().unwrap_or(b""), va, vb)
                })
        }
        _ => a == b,
    }
}

/// Applies `f` to every element of an array.
/// Rewrites one group's `lag` (XINFO GROUPS / FULL) to what Valkey 9.1 reports: Redis
/// 8's rules without the two it added (reference §19 rules 2 and 3, §22 #15-#16).
fn valkey_lag(stream: &brook_engine::frontend::Stream, g: Frame) -> Frame {
    let Some(group) = g
        .get("name")
        .and_then(Frame::as_bytes)
        .and_then(|n| stream.group(n))
    else {
        return g;
    };
    let c = stream.counters();
    let (ld, read) = (group.last_delivered, group.entries_read);
    let lag = if c.added == 0 {
        Some(0)
    } else {
        match read {
            Some(r) if !c.tombstone_after(ld) => Some(c.added.wrapping_sub(r)),
            _ => c.estimate(ld).map(|e| c.added.wrapping_sub(e)),
        }
    };
    let resp3 = matches!(g, Frame::Map(_));
    map_field(g, "lag", |_| match lag {
        Some(n) => Frame::Integer(n as i64),
        None if resp3 => Frame::Null,
        None => Frame::NullBulk,
    })
}

fn map_items(f: Frame, g: impl Fn(Frame) -> Frame) -> Frame {
    match f {
        Frame::Array(items) => Frame::Array(items.into_iter().map(g).collect()),
        other => other,
    }
}

/// Applies `g` to the value of field `name` of a map or flat key/value array.
fn map_field(f: Frame, name: &str, g: impl Fn(Frame) -> Frame) -> Frame {
    let hit = |k: &Frame| k.as_bytes() == Some(name.as_bytes());
    match f {
        Frame::Map(pairs) => Frame::Map(
            pairs
                .into_iter()
                .map(|(k, v)| {
                    if hit(&k) {
                        let v = g(v);
                        (k, v)
                    } else {
                        (k, v)
                    }
                })
                .collect(),
        ),
        Frame::Array(items) if items.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(items.len());
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                let v = if hit(&k) { g(v) } else { v };
                out.push(k);
                out.push(v);
            }
            Frame::Array(out)
        }
        other => other,
    }
}

const UNBALANCED_7: &str =
    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
const UNBALANCED_XREADGROUP_8: &str =
    "ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified.";
const XREADGROUP_PLUS_8: &str = "ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.";
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

/// The tolerant comparison accepts small time differences exactly where documented and
/// nowhere else.
#[test]
fn time_tolerance_is_narrow() {
    let argv = |s: &str| -> Vec<Vec<u8>> { s.split(' ').map(|a| a.as_bytes().to_vec()).collect() };
    let b = Frame::bulk;
    let consumer = |pending: i64, idle: i64, inactive: i64| {
        Frame::Array(vec![
            b("name"),
            b("alice"),
            b("pending"),
            Frame::Integer(pending),
            b("idle"),
            Frame::Integer(idle),
            b("inactive"),
            Frame::Integer(inactive),
        ])
    };
    let consumers = argv("XINFO CONSUMERS s g");
    let one = |c: Frame| Frame::Array(vec![c]);
    assert!(same(
        false,
        &consumers,
        &one(consumer(2, 10, 10)),
        &one(consumer(2, 15, 900))
    ));
    assert!(!same(
        false,
        &consumers,
        &one(consumer(2, 10, 10)),
        &one(consumer(2, 10, 1200))
    ));
    assert!(!same(
        false,
        &consumers,
        &one(consumer(2, 10, -1)),
        &one(consumer(2, 10, 3))
    ));
    assert!(!same(
        false,
        &consumers,
        &one(consumer(2, 10, 10)),
        &one(consumer(3, 10, 10))
    ));
    assert!(!same(
        false,
        &consumers,
        &one(consumer(2, 10, 10)),
        &one(consumer(2, 99_999, 10))
    ));
    // Redis 7.0's idle means something else (§22 #11): not compared.
    assert!(same(
        true,
        &consumers,
        &one(consumer(2, 10, 10)),
        &one(consumer(2, 99_999, 10))
    ));
    assert!(!same(
        true,
        &consumers,
        &one(consumer(2, 10, 10)),
        &one(consumer(1, 10, 10))
    ));

    let pel = |idle: i64, count: i64| {
        Frame::Array(vec![Frame::Array(vec![
            b("1-1"),
            b("alice"),
            Frame::Integer(idle),
            Frame::Integer(count),
        ])])
    };
    let extended = argv("XPENDING s g - + 10");
    assert!(same(false, &extended, &pel(5, 1), &pel(8, 1)));
    assert!(!same(false, &extended, &pel(5, 1), &pel(5, 2)));
    assert!(!same(false, &extended, &pel(5, 1), &pel(3_600_005, 1)));
    // Not a time-valued position: exact.
    assert!(!same(false, &argv("XRANGE s - +"), &pel(5, 1), &pel(8, 1)));
    assert!(!same(
        false,
        &argv("XINFO GROUPS s"),
        &Frame::Integer(5),
        &Frame::Integer(6)
    ));

    let full = |delivered: i64, lag: i64| {
        Frame::Array(vec![
            b("length"),
            Frame::Integer(1),
            b("groups"),
            Frame::Array(vec![Frame::Array(vec![
                b("name"),
                b("g"),
                b("lag"),
                Frame::Integer(lag),
                b("pending"),
                Frame::Array(vec![Frame::Array(vec![
                    b("1-1"),
                    b("alice"),
                    Frame::Integer(delivered),
                    Frame::Integer(1),
                ])]),
            ])]),
        ])
    };
    let info_full = argv("XINFO STREAM s FULL COUNT 0");
    assert!(same(
        false,
        &info_full,
        &full(1_000_000, 0),
        &full(1_000_400, 0)
    ));
    assert!(!same(
        false,
        &info_full,
        &full(1_000_000, 0),
        &full(1_002_000, 0)
    ));
    assert!(!same(
        false,
        &info_full,
        &full(1_000_000, 0),
        &full(1_000_000, 1)
    ));
    assert!(same(
        true,
        &info_full,
        &full(1_000_000, 0),
        &full(1_000_000, 1)
    ));
    // XREADGROUP … CLAIM: the idle time of a claimed entry (position 2), RESP2 and RESP3.
    let claimed = |idle: i64, count: i64| {
        Frame::Array(vec![
            b("1-1"),
            Frame::Array(vec![b("f"), b("v")]),
            Frame::Integer(idle),
            Frame::Integer(count),
        ])
    };
    let resp2 = |e: Frame| Frame::Array(vec![Frame::Array(vec![b("s"), Frame::Array(vec![e])])]);
    let resp3 = |e: Frame| Frame::Map(vec![(b("s"), Frame::Array(vec![e]))]);
    let claim = argv("XREADGROUP GROUP g c CLAIM 0 STREAMS s >");
    for wrap in [&resp2 as &dyn Fn(Frame) -> Frame, &resp3] {
        assert!(same(
            false,
            &claim,
            &wrap(claimed(10, 1)),
            &wrap(claimed(600, 1))
        ));
        assert!(!same(
            false,
            &claim,
            &wrap(claimed(10, 1)),
            &wrap(claimed(10, 2))
        ));
        assert!(!same(
            false,
            &claim,
            &wrap(claimed(10, 1)),
            &wrap(claimed(5_000, 1))
        ));
    }
    // Without CLAIM the reply is compared exactly.
    let plain = argv("XREADGROUP GROUP g c STREAMS s >");
    assert!(!same(
        false,
        &plain,
        &resp2(claimed(10, 1)),
        &resp2(claimed(600, 1))
    ));
    // Without FULL the reply has no times.
    assert!(!same(
        false,
        &argv("XINFO STREAM s"),
        &full(1_000_000, 0),
        &full(1_000_400, 0)
    ));
}
