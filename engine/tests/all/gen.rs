//! Random Redis argument vectors for the differential test.
//!
//! Mostly valid commands (so most steps exercise real behaviour, not just the parser),
//! with every kind of malformed argument mixed in: odd ID forms, non-canonical integers,
//! binary bytes, misplaced options. IDs are drawn near each stream's current last ID,
//! group, consumer and pending IDs from the current groups, all read from a [`View`] of
//! the *server's* state (so the generator behaves the same with and without the engine,
//! see `BROOK_DIFF_SERVER_ONLY`); explicit IDs succeed often and fail on purpose
//! sometimes.
//!
//! Time: the engine and the server execute each command a few milliseconds apart, so
//! every time-dependent decision is made deterministic: min-idle-time values (XCLAIM,
//! XAUTOCLAIM, XPENDING IDLE) are 0, negative, or thresholds far away from every idle
//! time that can occur — fresh deliveries are at most a run's length old (minutes),
//! while XCLAIM IDLE/TIME pins delivery times 1 h, 2 h, 3 h or ~56 years in the past.
//! `XREADGROUP … CLAIM min-idle-time` draws from the same values (and `0` more often).
//!
//! Redis 8 syntax is gated by [`Dialect`] flags, so the Valkey 9.1 and Redis 7.0 runs
//! never see it: XDELEX and XACKDEL (policies, `IDS numids`, mismatched counts, repeated
//! or misplaced options), KEEPREF/DELREF/ACKED on XADD and XTRIM, CLAIM, `XADD … IDMP
//! pid iid` / `IDMPAUTO pid` (three producers, six IIDs: duplicates are frequent),
//! XCFGSET, XIDMPRECORD and `CONFIG SET stream-idmp-*`. IDMP timing: durations are at
//! least 10 h, so no IID expires in a run; XIDMPRECORD names only entries whose ID is
//! well inside that duration; and the two cases in which the reply would depend on when
//! Redis's once-a-second IDMP cron runs are not generated (`Gen::idmp_allowed`).

use std::collections::{BTreeMap, BTreeSet};

use brook_engine::StreamId;
use brook_test_support::Frame;

use crate::rng::Rng;

/// Stream keys the test uses, plus one key that holds a string.
pub const STREAM_KEYS: &[&str] = &["s1", "s2", "s3"];
pub const STRING_KEY: &str = "str";
/// Every key the generator may touch (compared after each step).
pub const ALL_KEYS: &[&str] = &["s1", "s2", "s3", "str", "nokey"];

/// Consumer-group names the generator uses (bytewise order `G` < `g1` < `g2`).
pub const GROUPS: &[&str] = &["g1", "g2", "G"];
/// Consumer names the generator uses.
pub const CONSUMERS: &[&str] = &["alice", "bob", "c"];

/// Which optional syntax / behaviour the oracle has (Redis 8.x additions and changes).
#[derive(Clone, Copy)]
pub struct Dialect {
    /// KEEPREF / DELREF / ACKED on XADD and XTRIM.
    pub ref_policies: bool,
    /// `XREAD … STREAMS key +`.
    pub xread_plus: bool,
    /// The smallest `stream-node-max-bytes` to set (Redis 7.0.15 and 8.6.3 corrupt small
    /// nodes).
    pub min_node_bytes: u64,
    /// XREADGROUP, XCLAIM and XAUTOCLAIM create a missing consumer even when they serve
    /// or claim nothing (Redis 8.x, Valkey; §22 #13). When false (Redis 7.0) the
    /// generator only names consumers that already exist in every group the command
    /// reaches, and creates them with XGROUP CREATECONSUMER first.
    pub implicit_consumers: bool,
    /// XGROUP CREATE/SETID clamp ENTRIESREAD to entries-added (Redis 8.x; §22 #14).
    /// Neither Valkey 9.1 nor Redis 7.0 does, so without it ENTRIESREAD never exceeds
    /// the stream's entries-added.
    pub clamps_entries_read: bool,
    /// `BLOCK 9223372036854775807` is rejected as out of range (Redis 7.0 would block).
    pub block_overflow_checked: bool,
    /// Approximate (`~`) trims with DELREF or ACKED on XADD and XTRIM.
    pub approx_policy_trims: bool,
    /// XDELEX (Redis 8.2).
    pub xdelex: bool,
    /// XACKDEL (Redis 8.2).
    pub xackdel: bool,
    /// `XREADGROUP … CLAIM min-idle-time` (Redis 8.4).
    pub readgroup_claim: bool,
    /// `XADD … IDMP pid iid` / `IDMPAUTO pid` and `CONFIG SET stream-idmp-*` (Redis 8.6).
    pub idmp: bool,
    /// XCFGSET (Redis 8.6).
    pub xcfgset: bool,
    /// XIDMPRECORD (Redis 8.6.2).
    pub xidmprecord: bool,
}

impl Dialect {
    /// Everything Redis 8.6 has.
    pub const REDIS8: Dialect = Dialect {
        ref_policies: true,
        xread_plus: true,
        min_node_bytes: 0,
        implicit_consumers: true,
        clamps_entries_read: true,
        block_overflow_checked: true,
        approx_policy_trims: true,
        xdelex: true,
        xackdel: true,
        readgroup_claim: true,
        idmp: true,
        xcfgset: true,
        xidmprecord: true,
    };
}

/// One stream as the generator sees it (from XINFO STREAM FULL COUNT 0).
#[derive(Clone, Debug, Default)]
pub struct StreamView {
    pub length: u64,
    pub last_id: StreamId,
    pub max_deleted: StreamId,
    pub entries_added: u64,
    /// `idmp-duration` (seconds; 0 when the server has no IDMP).
    pub idmp_duration: u64,
    /// Live entry IDs, ascending.
    pub ids: Vec<StreamId>,
    pub groups: Vec<GroupView>,
}

#[derive(Clone, Debug, Default)]
pub struct GroupView {
    pub name: Vec<u8>,
    pub last_delivered: StreamId,
    /// The group PEL: (ID, owner), ascending by ID.
    pub pending: Vec<(StreamId, Vec<u8>)>,
    pub consumers: Vec<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub enum KeyView {
    Missing,
    Stream(StreamView),
    /// A key of another type.
    Other,
}

/// The state the generator draws from, one entry per key of [`ALL_KEYS`].
#[derive(Clone, Debug, Default)]
pub struct View {
    pub keys: BTreeMap<Vec<u8>, KeyView>,
}

fn frame_u64(f: Option<&Frame>) -> u64 {
    match f {
        Some(Frame::Integer(n)) => u64::try_from(*n).unwrap_or(0),
        _ => 0,
    }
}

fn frame_id(f: Option<&Frame>) -> StreamId {
    f.and_then(Frame::as_bytes)
        .and_then(|b| StreamId::parse_strict(b).ok())
        .unwrap_or(StreamId::MIN)
}

fn frame_items(f: Option<&Frame>) -> &[Frame] {
    match f {
        Some(Frame::Array(items)) => items,
        _ => &[],
    }
}

impl View {
    /// Records `key` from a RESP2 `XINFO STREAM key FULL COUNT 0` reply.
    pub fn record(&mut self, key: &[u8], full: &Frame) {
        let kv = match full {
            Frame::Error(e) if e.starts_with(b"WRONGTYPE") => KeyView::Other,
            Frame::Error(_) => KeyView::Missing,
            f => {
                let groups = frame_items(f.get("groups"))
                    .iter()
                    .map(|g| GroupView {
                        name: g
                            .get("name")
                            .and_then(Frame::as_bytes)
                            .unwrap_or(b"")
                            .to_vec(),
                        last_delivered: frame_id(g.get("last-delivered-id")),
                        pending: frame_items(g.get("pending"))
                            .iter()
                            .map(|p| {
                                let p = frame_items(Some(p));
                                let owner = p.get(1).and_then(Frame::as_bytes).unwrap_or(b"");
                                (frame_id(p.first()), owner.to_vec())
                            })
                            .collect(),
                        consumers: frame_items(g.get("consumers"))
                            .iter()
                            .map(|c| {
                                c.get("name")
                                    .and_then(Frame::as_bytes)
                                    .unwrap_or(b"")
                                    .to_vec()
                            })
                            .collect(),
                    })
                    .collect();
                KeyView::Stream(StreamView {
                    length: frame_u64(f.get("length")),
                    last_id: frame_id(f.get("last-generated-id")),
                    max_deleted: frame_id(f.get("max-deleted-entry-id")),
                    entries_added: frame_u64(f.get("entries-added")),
                    idmp_duration: frame_u64(f.get("idmp-duration")),
                    ids: frame_items(f.get("entries"))
                        .iter()
                        .map(|e| frame_id(frame_items(Some(e)).first()))
                        .collect(),
                    groups,
                })
            }
        };
        self.keys.insert(key.to_vec(), kv);
    }

    pub fn stream(&self, key: &[u8]) -> Option<&StreamView> {
        match self.keys.get(key) {
            Some(KeyView::Stream(s)) => Some(s),
            _ => None,
        }
    }

    pub fn is_other(&self, key: &[u8]) -> bool {
        matches!(self.keys.get(key), Some(KeyView::Other))
    }

    pub fn group(&self, key: &[u8], group: &[u8]) -> Option<&GroupView> {
        self.stream(key)?.groups.iter().find(|g| g.name == group)
    }

    fn last_id(&self, key: &[u8]) -> StreamId {
        self.stream(key).map_or(StreamId::MIN, |s| s.last_id)
    }

    fn xlen(&self, key: &[u8]) -> u64 {
        self.stream(key).map_or(0, |s| s.length)
    }

    /// IDs of live entries (to delete or use as bounds).
    fn existing_ids(&self, key: &[u8]) -> Vec<StreamId> {
        self.stream(key).map(|s| s.ids.clone()).unwrap_or_default()
    }

    /// IDs pending in any group of `key`.
    fn all_pending(&self, key: &[u8]) -> Vec<StreamId> {
        self.stream(key)
            .map(|s| {
                s.groups
                    .iter()
                    .flat_map(|g| g.pending.iter().map(|p| p.0))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub struct Gen {
    pub rng: Rng,
    dialect: Dialect,
    /// Cursors returned by recent XAUTOCLAIM calls.
    cursors: Vec<Vec<u8>>,
    /// Streams that may be in Redis's IDMP expiry cron's list (an IDMP XADD or
    /// XIDMPRECORD succeeded since the key was created), see [`Gen::idmp_allowed`].
    idmp_tracked: BTreeSet<Vec<u8>>,
    /// Streams that may hold a producer without IIDs (an IDMP XADD failed on them).
    idmp_empty_producer: BTreeSet<Vec<u8>>,
    /// Readers are blocked on other connections: no `XREADGROUP … CLAIM … BLOCK n`
    /// then. On the server such a read blocks for a moment and its CLAIM deadline
    /// re-runs every reader blocked on the key; the command layer never blocks, so it
    /// would not.
    pub with_blocked_readers: bool,
}

type Argv = Vec<Vec<u8>>;

fn a<S: AsRef<[u8]> + ?Sized>(s: &S) -> Vec<u8> {
    s.as_ref().to_vec()
}

impl Gen {
    pub fn new(seed: u64, dialect: Dialect) -> Gen {
        Gen {
            rng: Rng::new(seed),
            dialect,
            cursors: Vec::new(),
            idmp_tracked: BTreeSet::new(),
            idmp_empty_producer: BTreeSet::new(),
            with_blocked_readers: false,
        }
    }

    /// Whether an IDMP XADD (`succeeds`: one that would record an IID) or XIDMPRECORD
    /// may be sent to `key` without racing Redis's once-a-second IDMP cron. The cron
    /// drops producers without IIDs, but only on streams that had a successful IDMP
    /// insert, so two cases depend on when it runs: an IDMP XADD that fails after the
    /// producer was created (exhausted IDs) on a stream the cron may visit, and a
    /// successful insert on a stream that holds such an empty producer. Neither is sent.
    /// (IID expiry cannot race: durations are at least 10 h, see [`Gen::xcfgset`].)
    fn idmp_allowed(&self, ks: &View, key: &[u8]) -> bool {
        if self.idmp_empty_producer.contains(key) {
            return false;
        }
        let exhausted = ks
            .stream(key)
            .is_some_and(|s| s.last_id == StreamId::new(u64::MAX, u64::MAX));
        !(exhausted && self.idmp_tracked.contains(key))
    }

    /// Learns from the server's reply to a generated command (XAUTOCLAIM cursors).
    pub fn observe(&mut self, argv: &[Vec<u8>], reply: &Frame) {
        let name = &argv[0];
        let idmp =
            |a: &Vec<u8>| a.eq_ignore_ascii_case(b"IDMP") || a.eq_ignore_ascii_case(b"IDMPAUTO");
        if name.eq_ignore_ascii_case(b"XADD") && argv.len() > 2 && argv.iter().any(idmp) {
            match reply {
                Frame::Bulk(_) => {
                    self.idmp_tracked.insert(argv[1].clone());
                }
                Frame::Error(e) if e.windows(9).any(|w| w == b"exhausted") => {
                    self.idmp_empty_producer.insert(argv[1].clone());
                }
                _ => {}
            }
        }
        if name.eq_ignore_ascii_case(b"XIDMPRECORD") && argv.len() > 1 && !reply.is_error() {
            self.idmp_tracked.insert(argv[1].clone());
        }
        // A copy of a stream Redis's IDMP cron may visit is one it may visit too.
        if name.eq_ignore_ascii_case(b"COPY")
            && argv.len() > 2
            && matches!(reply, Frame::Integer(1))
            && self.idmp_tracked.contains(&argv[1])
        {
            self.idmp_tracked.insert(argv[2].clone());
        }
        if argv[0].eq_ignore_ascii_case(b"XAUTOCLAIM") {
            if let Frame::Array(items) = reply {
                if let Some(cursor) = items.first().and_then(Frame::as_bytes) {
                    self.cursors.push(cursor.to_vec());
                    if self.cursors.len() > 4 {
                        self.cursors.remove(0);
                    }
                }
            }
        }
    }

    fn key(&mut self) -> Vec<u8> {
        let r = self.rng.below(100);
        if r < 90 {
            a(self.rng.pick(STREAM_KEYS))
        } else if r < 96 {
            a(STRING_KEY)
        } else {
            a("nokey")
        }
    }

    fn fmt_id(id: StreamId) -> Vec<u8> {
        a(&id.to_string())
    }

    /// A plausible ID for this stream: an existing one, one near the last ID, or a
    /// small one.
    fn near_id(&mut self, ks: &View, key: &[u8]) -> StreamId {
        let last = ks.last_id(key);
        match self.rng.below(10) {
            0..=3 => {
                let ids = ks.existing_ids(key);
                if ids.is_empty() {
                    StreamId::new(self.rng.below(20), self.rng.below(3))
                } else {
                    *self.rng.pick(&ids)
                }
            }
            4..=6 => StreamId::new(last.ms.saturating_add(self.rng.below(3)), self.rng.below(4)),
            7 => StreamId::new(last.ms.saturating_sub(self.rng.below(3)), self.rng.below(5)),
            _ => StreamId::new(self.rng.below(30), self.rng.below(3)),
        }
    }

    /// An odd but often valid ID spelling, or garbage.
    fn weird_id(&mut self, id: StreamId) -> Vec<u8> {
        let forms: Vec<Vec<u8>> = vec![
            a(&format!("{}", id.ms)),
            a(&format!("+{}-{}", id.ms, id.seq)),
            a(&format!("00{}-0{}", id.ms, id.seq)),
            a(&format!(" {}-{}", id.ms, id.seq)),
            a(&format!("{}- {}", id.ms, id.seq)),
            a(&format!("{}-{} ", id.ms, id.seq)),
            a(&format!("{}-", id.ms)),
            a(&format!("{}--{}", id.ms, id.seq)),
            a(&format!("-{}-{}", id.ms, id.seq)),
            a(&format!("{}- -1", id.ms)),
            a(&format!("{}-{}\0junk", id.ms, id.seq)),
            a("18446744073709551615-18446744073709551615"),
            a("18446744073709551616-0"),
            a("18446744073709551615"),
            a("-"),
            a("+"),
            a("$"),
            a(">"),
            a("*"),
            a(""),
            a("abc"),
            a("1-*"),
            a("(1-1"),
            vec![b'1'; 128],
            [vec![b'0'; 126], vec![b'7']].concat(),
            vec![0xff, 0x00, b'\r', b'\n'],
        ];
        self.rng.pick(&forms).clone()
    }

    fn integer(&mut self, typical: u64) -> Vec<u8> {
        match self.rng.below(20) {
            0 => a("-1"),
            1 => a("abc"),
            2 => a("007"),
            3 => a("+5"),
            4 => a("9223372036854775808"),
            5 => a("0"),
            6 => a(""),
            _ => a(&self.rng.below(typical + 1).to_string()),
        }
    }

    fn value(&mut self) -> Vec<u8> {
        match self.rng.below(40) {
            0 => vec![b'x'; 5000],
            1..=2 => vec![b'y'; 200],
            3..=4 => vec![b'z'; 64],
            5 => vec![b'w'; if self.rng.pct(50) { 63 } else { 128 }],
            6 => vec![0, b'\r', b'\n', 0xff],
            7 => a(""),
            8 => a("-0"),
            9 => a("007"),
            10 => a("127"),
            11 => a("128"),
            12 => a("-4096"),
            13 => a("4096"),
            14 => a("123456789012"),
            15 => a("-9223372036854775808"),
            16 => a("9223372036854775808"),
            17..=19 => a(&self.rng.below(1000).to_string()),
            _ => a(self.rng.pick(&["v", "value", "hello", "x"])),
        }
    }

    fn fields(&mut self, argv: &mut Argv) {
        let schemas: &[&[&str]] = &[&["f"], &["f"], &["a", "b"], &["field"], &["1", "-5"]];
        if self.rng.pct(75) {
            let schema = *self.rng.pick(schemas);
            for f in schema {
                argv.push(a(f));
                let v = self.value();
                argv.push(v);
            }
        } else {
            let n = self.rng.below(4);
            for _ in 0..n {
                argv.push(a(self.rng.pick(&["f", "a", "b", "", "x", "1"])));
                let v = self.value();
                argv.push(v);
            }
            if self.rng.pct(20) {
                argv.push(a("odd"));
            }
            if n == 0 && self.rng.pct(50) {
                argv.push(a("f"));
                argv.push(a("v"));
            }
        }
    }

    fn trim_clause(&mut self, ks: &View, key: &[u8], argv: &mut Argv, xtrim: bool) {
        let len = ks.xlen(key);
        if self.rng.pct(50) {
            argv.push(a(self.rng.pick(&["MAXLEN", "maxlen"])));
            self.trim_op(argv);
            let n = if self.rng.pct(85) {
                a(&len.saturating_sub(self.rng.below(12)).to_string())
            } else {
                self.integer(20)
            };
            argv.push(n);
        } else {
            argv.push(a("MINID"));
            self.trim_op(argv);
            let id = self.near_id(ks, key);
            let id = if self.rng.pct(90) {
                Self::fmt_id(id)
            } else {
                self.weird_id(id)
            };
            argv.push(id);
        }
        if self.rng.pct(25) {
            argv.push(a("LIMIT"));
            let n = self.integer(20);
            argv.push(n);
        }
        if xtrim && self.dialect.ref_policies && self.rng.pct(40) {
            argv.push(a(self.rng.pick(&["KEEPREF", "DELREF", "ACKED"])));
        }
    }

    /// Without [`Dialect::approx_policy_trims`], a `~` beside DELREF or ACKED becomes `=`.
    fn exact_policy_trim(&self, mut argv: Argv) -> Argv {
        let policy = argv
            .iter()
            .any(|t| t.eq_ignore_ascii_case(b"DELREF") || t.eq_ignore_ascii_case(b"ACKED"));
        if !self.dialect.approx_policy_trims && policy {
            for t in argv.iter_mut() {
                if t.as_slice() == b"~" {
                    *t = a("=");
                }
            }
        }
        argv
    }

    fn trim_op(&mut self, argv: &mut Argv) {
        match self.rng.below(10) {
            0..=4 => argv.push(a("~")),
            5..=6 => argv.push(a("=")),
            _ => {}
        }
    }

    fn xadd(&mut self, ks: &View) -> Argv {
        let key = self.key();
        let mut argv = vec![a("XADD"), key.clone()];
        if self.rng.pct(10) {
            argv.push(a("NOMKSTREAM"));
        }
        if self.dialect.ref_policies && self.rng.pct(12) {
            argv.push(a(self.rng.pick(&["KEEPREF", "DELREF", "ACKED"])));
        }
        let idmp = self.dialect.idmp && self.idmp_allowed(ks, &key) && self.rng.pct(20);
        let idmp_first = idmp && self.rng.pct(50);
        if idmp_first {
            self.idmp_option(&mut argv);
        }
        if self.rng.pct(30) {
            self.trim_clause(ks, &key, &mut argv, false);
        }
        if idmp && !idmp_first {
            self.idmp_option(&mut argv);
        }
        if self.rng.pct(3) {
            argv.push(a("NOMKSTREAM"));
        }
        let last = ks.last_id(&key);
        let id = match self.rng.below(100) {
            // IDMP takes only `*`.
            _ if idmp && self.rng.pct(85) => a("*"),
            0..=44 => {
                let ms = last.ms.saturating_add(self.rng.below(3));
                let seq = if ms == last.ms {
                    last.seq.saturating_add(self.rng.below(3))
                } else {
                    self.rng.below(3)
                };
                Self::fmt_id(StreamId::new(ms, seq))
            }
            45..=54 => a("*"),
            55..=69 => a(&format!("{}-*", last.ms.saturating_add(self.rng.below(2)))),
            70..=79 => a(&last.ms.saturating_add(1 + self.rng.below(2)).to_string()),
            80..=82 => a(self.rng.pick(&["0-0", "0", "0-*", "0-1"])),
            83..=85 => {
                // Near the top of the ID space.
                a(self.rng.pick(&[
                    "18446744073709551615-18446744073709551614",
                    "18446744073709551615-18446744073709551615",
                    "18446744073709551615-*",
                    "18446744073709551614-18446744073709551615",
                    "18446744073709551614-*",
                ]))
            }
            _ => {
                let id = self.near_id(ks, &key);
                self.weird_id(id)
            }
        };
        argv.push(id);
        self.fields(&mut argv);
        self.exact_policy_trim(argv)
    }

    /// `IDMP pid iid` or `IDMPAUTO pid` (a few producers and IIDs, so that duplicates
    /// are frequent), now and then malformed or twice.
    fn idmp_option(&mut self, argv: &mut Argv) {
        let pid = |g: &mut Gen| {
            a(if g.rng.pct(97) {
                *g.rng.pick(&["p1", "p2", "p3"])
            } else {
                ""
            })
        };
        let times = if self.rng.pct(3) { 2 } else { 1 };
        for _ in 0..times {
            if self.rng.pct(50) {
                argv.push(a(self.rng.pick(&["IDMP", "IDMP", "idmp"])));
                let p = pid(self);
                argv.push(p);
                if self.rng.pct(98) {
                    let iid = if self.rng.pct(97) {
                        self.rng.pick(&["i1", "i2", "i3", "i4", "i5", "i6"])
                    } else {
                        ""
                    };
                    argv.push(a(iid));
                }
            } else {
                argv.push(a(self.rng.pick(&["IDMPAUTO", "IDMPAUTO", "idmpauto"])));
                let p = pid(self);
                argv.push(p);
            }
        }
    }

    /// XCFGSET: durations of at least 10 h (no IID expires during a run, so nothing
    /// depends on when Redis's cron runs), small and large max sizes, and bad values.
    fn xcfgset(&mut self) -> Argv {
        let key = self.key();
        let mut argv = vec![a("XCFGSET"), key];
        let n = match self.rng.below(20) {
            0 => 0,
            1..=12 => 1,
            13..=18 => 2,
            _ => 3,
        };
        for _ in 0..n {
            if self.rng.pct(50) {
                argv.push(a(self.rng.pick(&[
                    "IDMP-DURATION",
                    "IDMP-DURATION",
                    "idmp-duration",
                ])));
                if self.rng.pct(97) {
                    argv.push(a(match self.rng.below(12) {
                        0..=4 => "86400",
                        5..=7 => "36000",
                        8 => "0",
                        9 => "86401",
                        10 => "-1",
                        _ => "abc",
                    }));
                }
            } else {
                argv.push(a(self.rng.pick(&[
                    "IDMP-MAXSIZE",
                    "IDMP-MAXSIZE",
                    "idmp-maxsize",
                ])));
                if self.rng.pct(97) {
                    argv.push(a(match self.rng.below(14) {
                        0..=2 => "1",
                        3..=4 => "2",
                        5..=6 => "3",
                        7..=8 => "100",
                        9 => "10000",
                        10 => "0",
                        11 => "10001",
                        12 => "1.5",
                        _ => "",
                    }));
                }
            }
        }
        if self.rng.pct(3) {
            argv.push(a(self.rng.pick(&["FOO", "IDMP-DURATION", "100"])));
        }
        argv
    }

    /// XIDMPRECORD on live entries recorded well inside the stream's IDMP duration (an
    /// older one would expire at Redis's next cron run), on missing entries, and with
    /// bad arguments.
    fn xidmprecord(&mut self, ks: &View) -> Argv {
        let key = self.key();
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let duration_ms = ks.stream(&key).map_or(0, |s| s.idmp_duration * 1000);
        let fresh: Vec<StreamId> = ks
            .existing_ids(&key)
            .into_iter()
            .filter(|id| id.ms > (wall + 3_600_000).saturating_sub(duration_ms))
            .collect();
        let stale_ok = |id: &StreamId| id.ms > (wall + 3_600_000).saturating_sub(duration_ms);
        let id = match self.rng.below(20) {
            0..=12 if !fresh.is_empty() => Self::fmt_id(*self.rng.pick(&fresh)),
            0..=16 => {
                // Mostly no such entry (an error), unless it is fresh.
                let id = self.near_id(ks, &key);
                if ks.existing_ids(&key).contains(&id) && !stale_ok(&id) {
                    a("0-0")
                } else {
                    Self::fmt_id(id)
                }
            }
            _ => {
                let id = self.near_id(ks, &key);
                let w = self.weird_id(id);
                match StreamId::parse_strict(&w) {
                    Ok(p) if ks.existing_ids(&key).contains(&p) && !stale_ok(&p) => a("x"),
                    _ => w,
                }
            }
        };
        let pid = a(if self.rng.pct(96) {
            *self.rng.pick(&["p1", "p2", "p3"])
        } else {
            ""
        });
        let iid = a(if self.rng.pct(96) {
            *self
                .rng
                .pick(&["i1", "i2", "i3", "i4", "i5", "i6", "r1", "r2"])
        } else {
            ""
        });
        let mut argv = vec![a("XIDMPRECORD"), key, pid, iid, id];
        if self.rng.pct(2) {
            argv.pop();
        } else if self.rng.pct(2) {
            argv.push(a("x"));
        }
        argv
    }

    /// The `[KEEPREF | DELREF | ACKED] IDS numids id …` part of XDELEX and XACKDEL,
    /// with misplaced, repeated and mismatched pieces now and then.
    fn ids_clause(&mut self, ids: Vec<Vec<u8>>, argv: &mut Argv) {
        let policy = |g: &mut Gen| {
            a(g.rng
                .pick(&["KEEPREF", "DELREF", "ACKED", "acked", "delref"]))
        };
        let policy_first = self.rng.pct(70);
        let with_policy = self.rng.pct(75);
        if with_policy && policy_first {
            let p = policy(self);
            argv.push(p);
        }
        if self.rng.pct(98) {
            argv.push(a(if self.rng.pct(95) { "IDS" } else { "ids" }));
            let n = match self.rng.below(30) {
                0 => a("0"),
                1 => a("-1"),
                2 => a("abc"),
                3 => a(&(ids.len() + 1).to_string()),
                4 if ids.len() > 1 => a(&(ids.len() - 1).to_string()),
                5 => a("9223372036854775808"),
                _ => a(&ids.len().to_string()),
            };
            argv.push(n);
            argv.extend(ids);
        }
        if with_policy && !policy_first {
            let p = policy(self);
            argv.push(p);
        }
        if self.rng.pct(4) {
            let extra = match self.rng.below(4) {
                0 => policy(self),
                1 => a("IDS"),
                2 => a("FOO"),
                _ => a("1-1"),
            };
            argv.push(extra);
        }
    }

    /// IDs for XDELEX/XACKDEL: pending ones, live ones, near ones, now and then garbage.
    fn some_ids(&mut self, ks: &View, key: &[u8], group: Option<&[u8]>) -> Vec<Vec<u8>> {
        let n = match self.rng.below(10) {
            0..=5 => 1,
            6..=8 => 2,
            _ => 3 + self.rng.below(3),
        };
        let pending = match group {
            Some(g) => Self::pending_ids(ks, key, g, None),
            None => ks.all_pending(key),
        };
        let mut ids: Vec<Vec<u8>> = (0..n)
            .map(|_| match self.rng.below(20) {
                0..=8 if !pending.is_empty() => Self::fmt_id(*self.rng.pick(&pending)),
                0..=17 => {
                    let id = self.near_id(ks, key);
                    Self::fmt_id(id)
                }
                _ => {
                    let id = self.near_id(ks, key);
                    self.weird_id(id)
                }
            })
            .collect();
        if self.rng.pct(8) {
            let again = ids[0].clone();
            ids.push(again);
        }
        ids
    }

    fn xdelex(&mut self, ks: &View) -> Argv {
        let key = if self.rng.pct(60) {
            self.group_key(ks)
        } else {
            self.key()
        };
        let mut argv = vec![a("XDELEX"), key.clone()];
        let ids = self.some_ids(ks, &key, None);
        self.ids_clause(ids, &mut argv);
        argv
    }

    fn xackdel(&mut self, ks: &View) -> Argv {
        let key = self.group_key(ks);
        let group = self.group_name(ks, &key);
        let mut argv = vec![a("XACKDEL"), key.clone(), group.clone()];
        let ids = self.some_ids(ks, &key, Some(&group));
        self.ids_clause(ids, &mut argv);
        argv
    }

    fn xdel(&mut self, ks: &View) -> Argv {
        let key = self.key();
        let mut argv = vec![a("XDEL"), key.clone()];
        let n = 1 + self.rng.below(3);
        let pending = ks.all_pending(&key);
        for _ in 0..n {
            // Deleting pending entries leaves dangling PEL references behind.
            if !pending.is_empty() && self.rng.pct(30) {
                argv.push(Self::fmt_id(*self.rng.pick(&pending)));
                continue;
            }
            let id = self.near_id(ks, &key);
            argv.push(if self.rng.pct(90) {
                Self::fmt_id(id)
            } else {
                self.weird_id(id)
            });
        }
        argv
    }

    fn xtrim(&mut self, ks: &View) -> Argv {
        let key = self.key();
        let mut argv = vec![a("XTRIM"), key.clone()];
        if self.rng.pct(95) {
            self.trim_clause(ks, &key, &mut argv, true);
        }
        if self.rng.pct(5) {
            argv.push(a(self.rng.pick(&["FOO", "LIMIT", "MAXLEN", "~"])));
        }
        if argv.len() < 4 {
            argv.push(a("MAXLEN"));
        }
        self.exact_policy_trim(argv)
    }

    fn bound(&mut self, ks: &View, key: &[u8]) -> Vec<u8> {
        let id = self.near_id(ks, key);
        match self.rng.below(20) {
            0..=2 => a("-"),
            3..=5 => a("+"),
            6..=8 => [b"(".to_vec(), Self::fmt_id(id)].concat(),
            9..=10 => a(&id.ms.to_string()),
            11 => [b"(".to_vec(), a(&id.ms.to_string())].concat(),
            12 => self.weird_id(id),
            13 => a(self.rng.pick(&[
                "(18446744073709551615-18446744073709551615",
                "(0-0",
                "(",
                "(-",
                "(+",
            ])),
            _ => Self::fmt_id(id),
        }
    }

    fn xrange(&mut self, ks: &View) -> Argv {
        let key = self.key();
        let name = if self.rng.pct(50) {
            "XRANGE"
        } else {
            "XREVRANGE"
        };
        let b1 = self.bound(ks, &key);
        let b2 = self.bound(ks, &key);
        let mut argv = vec![a(name), key, b1, b2];
        if self.rng.pct(40) {
            argv.push(a(self.rng.pick(&["COUNT", "count"])));
            if self.rng.pct(95) {
                let n = self.integer(6);
                argv.push(n);
            }
        }
        if self.rng.pct(5) {
            argv.push(a(self.rng.pick(&["COUNT", "FOO", "2"])));
        }
        argv
    }

    fn xread(&mut self, ks: &View) -> Argv {
        let mut argv = vec![a("XREAD")];
        if self.rng.pct(40) {
            argv.push(a("COUNT"));
            let n = self.integer(4);
            argv.push(n);
        }
        if self.rng.pct(5) {
            // Only BLOCK values that fail to parse: this layer never waits.
            argv.push(a("BLOCK"));
            argv.push(a(self.rng.pick(&[
                "-1",
                "1.5",
                "abc",
                "99999999999999999999",
                "9223372036854775807",
            ])));
        }
        if self.rng.pct(3) {
            argv.push(a(self.rng.pick(&["NOACK", "FOO"])));
        }
        if self.rng.pct(2) {
            argv.extend([a("GROUP"), a("g"), a("c")]);
        }
        if self.rng.pct(97) {
            argv.push(a("STREAMS"));
        }
        let n = 1 + self.rng.below(3) as usize;
        let keys: Vec<Vec<u8>> = (0..n).map(|_| self.key()).collect();
        argv.extend(keys.iter().cloned());
        for key in &keys {
            let id = self.near_id(ks, key);
            let v = match self.rng.below(20) {
                0..=2 => a("$"),
                3..=4 if self.dialect.xread_plus => a("+"),
                5..=7 => a("0"),
                8 => self.weird_id(id),
                _ => Self::fmt_id(id.prev().unwrap_or(id)),
            };
            argv.push(v);
        }
        if self.rng.pct(3) {
            argv.push(a("0"));
        }
        argv
    }

    fn xsetid(&mut self, ks: &View) -> Argv {
        let key = self.key();
        let last = ks.last_id(&key);
        let top = StreamId::new(last.ms.saturating_add(self.rng.below(3)), self.rng.below(3));
        let id = match self.rng.below(10) {
            0..=5 => top,
            6..=7 => last,
            _ => self.near_id(ks, &key),
        };
        let mut argv = vec![a("XSETID"), key.clone(), Self::fmt_id(id)];
        if self.rng.pct(30) {
            argv.push(a("ENTRIESADDED"));
            let added = ks.stream(&key).map_or(0, |s| s.entries_added);
            argv.push(match self.rng.below(20) {
                0 => a("9223372036854775807"),
                1..=4 => self.integer(10),
                _ => a(&(added + self.rng.below(3)).saturating_sub(1).to_string()),
            });
        }
        if self.rng.pct(30) {
            argv.push(a("MAXDELETEDID"));
            let md = self.near_id(ks, &key);
            argv.push(match self.rng.below(10) {
                // Lowering max-deleted lets a later XSETID go below tombstones.
                0..=1 => a("0-1"),
                2 => self.weird_id(md),
                _ => Self::fmt_id(md),
            });
        }
        if self.rng.pct(3) {
            argv.push(a(self.rng.pick(&["FOO", "ENTRIESADDED"])));
        }
        argv
    }

    fn xinfo(&mut self) -> Argv {
        let key = self.key();
        match self.rng.below(12) {
            0..=5 => vec![a("XINFO"), a("STREAM"), key],
            6..=7 => vec![a("XINFO"), a("STREAM"), key, a("FULL")],
            8 => {
                let n = self.integer(5);
                vec![a("XINFO"), a("stream"), key, a("full"), a("COUNT"), n]
            }
            9 => vec![a("XINFO"), a("STREAM"), key, a("FOO")],
            10 => vec![a("XINFO"), a("HELP")],
            _ => vec![a("XINFO"), a("STREAM"), key, a("FULL"), a("COUNT")],
        }
    }

    fn keyspace_cmd(&mut self) -> Argv {
        let key = self.key();
        match self.rng.below(10) {
            0..=1 => vec![a("DEL"), a(STRING_KEY)],
            2 => vec![a("EXISTS"), key.clone(), key, a("s2")],
            3 => vec![a("TYPE"), key],
            4..=5 => vec![a("SET"), a(STRING_KEY), a("x")],
            6 => vec![a("GET"), key],
            7 => vec![a("XLEN"), key],
            8 => vec![a("DBSIZE")],
            _ => {
                // Overwrite a stream with a string now and then (then delete it again
                // soon, so streams spend most of the run as streams).
                if self.rng.pct(30) {
                    vec![a("SET"), key, a("y")]
                } else {
                    vec![a("DEL"), a(self.rng.pick(STREAM_KEYS))]
                }
            }
        }
    }

    /// COPY between the test's keys: onto a missing or an existing key, with and
    /// without REPLACE, now and then onto itself, with `DB 0` (the same database) or a
    /// bad option. (`DB n` for another database is `brook serve`'s, tested there.) A
    /// stream that may hold a producer without IIDs is not copied: the copy is one that
    /// Redis's IDMP cron visits, so when it drops that producer would depend on the cron.
    fn copy(&mut self) -> Argv {
        let mut src = self.key();
        if self.idmp_empty_producer.contains(&src) {
            src = a(STRING_KEY);
        }
        let dst = if self.rng.pct(8) {
            src.clone()
        } else {
            self.key()
        };
        let mut argv = vec![a("COPY"), src, dst];
        if self.rng.pct(50) {
            argv.push(a(if self.rng.pct(50) {
                "REPLACE"
            } else {
                "replace"
            }));
        }
        if self.rng.pct(12) {
            let opts: &[&[&str]] = &[
                &["DB", "0"],
                &["db", "0", "REPLACE"],
                &["DB", "16"],
                &["DB", "-1"],
                &["DB", "x"],
                &["DB", "99999999999"],
                &["DB"],
                &["FOO"],
                &["DB", "16", "FOO"],
                &["FOO", "DB", "16"],
            ];
            argv.extend(self.rng.pick(opts).iter().map(a));
        }
        argv
    }

    fn config(&mut self) -> Argv {
        if self.dialect.idmp && self.rng.pct(20) {
            // New streams copy these; durations stay far above a run's length.
            return if self.rng.pct(50) {
                let v = *self
                    .rng
                    .pick(&["1", "2", "3", "100", "10000", "0", "10001"]);
                vec![a("CONFIG"), a("SET"), a("stream-idmp-maxsize"), a(v)]
            } else {
                let v = *self.rng.pick(&["86400", "36000", "0", "86401"]);
                vec![a("CONFIG"), a("SET"), a("stream-idmp-duration"), a(v)]
            };
        }
        if self.rng.pct(50) {
            let v = *self.rng.pick(&["0", "1", "2", "3", "5", "10", "100"]);
            vec![a("CONFIG"), a("SET"), a("stream-node-max-entries"), a(v)]
        } else {
            let choices: Vec<&str> = ["0", "1", "50", "100", "300", "1000", "4096", "10000"]
                .into_iter()
                .filter(|v| {
                    *v == "0"
                        || v.parse::<u64>()
                            .is_ok_and(|n| n >= self.dialect.min_node_bytes)
                })
                .collect();
            let v = *self.rng.pick(&choices);
            vec![a("CONFIG"), a("SET"), a("stream-node-max-bytes"), a(v)]
        }
    }

    fn junk(&mut self) -> Argv {
        if self.rng.pct(30) {
            let forms: &[(bool, &[&str])] = &[
                (self.dialect.xdelex, &["XDELEX", "s1"]),
                (self.dialect.xdelex, &["XDELEX", "s1", "IDS"]),
                (self.dialect.xdelex, &["XDELEX", "s1", "IDS", "1"]),
                (
                    self.dialect.xdelex,
                    &["XDELEX", "str", "FOO", "IDS", "1", "1-1"],
                ),
                (
                    self.dialect.xdelex,
                    &["XDELEX", "nokey", "IDS", "2", "bad", "bad"],
                ),
                (
                    self.dialect.xackdel,
                    &["XACKDEL", "s1", "g1", "IDS", "0", "1-1"],
                ),
                (self.dialect.xackdel, &["XACKDEL", "s1", "g1", "IDS", "1"]),
                (
                    self.dialect.xackdel,
                    &["XACKDEL", "nokey", "g1", "IDS", "1", "x"],
                ),
                (self.dialect.xcfgset, &["XCFGSET"]),
                (self.dialect.xcfgset, &["XCFGSET", "s1"]),
                (
                    self.dialect.xcfgset,
                    &["XCFGSET", "nokey", "IDMP-MAXSIZE", "5"],
                ),
                (self.dialect.xidmprecord, &["XIDMPRECORD", "s1", "p1", "i1"]),
                // (`0-0`, an entry no stream has: `nokey` is created now and then, and
                // recording a stale ID there would depend on when Redis's IDMP cron runs.)
                (
                    self.dialect.xidmprecord,
                    &["XIDMPRECORD", "nokey", "p1", "i1", "0-0"],
                ),
                (
                    self.dialect.idmp,
                    &["XADD", "s1", "IDMP", "p", "*", "f", "v"],
                ),
                (self.dialect.idmp, &["XADD", "s1", "IDMP", "p", "i"]),
                (
                    self.dialect.idmp,
                    &["XADD", "s1", "IDMPAUTO", "p", "1-*", "f", "v"],
                ),
                (
                    self.dialect.idmp,
                    &[
                        "XADD", "s1", "IDMPAUTO", "p", "IDMP", "p", "i", "*", "f", "v",
                    ],
                ),
                (
                    self.dialect.readgroup_claim,
                    &[
                        "XREADGROUP",
                        "GROUP",
                        "g1",
                        "alice",
                        "CLAIM",
                        "STREAMS",
                        "s1",
                        ">",
                    ],
                ),
                (
                    self.dialect.readgroup_claim,
                    &["XREAD", "CLAIM", "5", "STREAMS", "s1", "0"],
                ),
            ];
            let usable: Vec<&[&str]> = forms.iter().filter(|f| f.0).map(|f| f.1).collect();
            if !usable.is_empty() {
                return self.rng.pick(&usable).iter().map(a).collect();
            }
        }
        let forms: &[&[&str]] = &[
            &["XADD", "s1"],
            &["XADD", "s1", "*"],
            &["XLEN"],
            &["XLEN", "s1", "s2"],
            &["XRANGE", "s1", "-"],
            &["XDEL", "s1"],
            &["XTRIM", "s1"],
            &["XTRIM", "s1", "FOO"],
            &["XSETID", "s1"],
            &["XREAD", "STREAMS"],
            &["XREAD", "COUNT", "1", "BLOCK"],
            &["XINFO"],
            &["XINFO", "FOO"],
            &["XINFO", "STREAM"],
            &["XINFO", "HELP", "x"],
            &["xinfo", "stream"],
            &["XADD", "s1", "MAXLEN", "1", "LIMIT", "10", "*", "f", "v"],
            &["XADD", "s1", "LIMIT", "0", "*", "a", "1"],
            &["XADD", "s1", "LIMIT", "5", "*", "a", "1"],
            &["XADD", "s1", "MAXLEN", "*", "f", "v"],
            &[
                "XADD", "s1", "MAXLEN", "~", "1", "MINID", "1", "*", "f", "v",
            ],
            &["XTRIM", "s1", "MAXLEN", "~"],
            &["XTRIM", "s1", "LIMIT", "1"],
            &["XTRIM", "s1", "MAXLEN", "1", "MINID", "2"],
        ];
        self.rng.pick(forms).iter().map(a).collect()
    }

    // ---- consumer groups ------------------------------------------------------

    /// A key for a group command: mostly an existing stream.
    fn group_key(&mut self, ks: &View) -> Vec<u8> {
        let streams: Vec<&str> = STREAM_KEYS
            .iter()
            .copied()
            .filter(|k| ks.stream(k.as_bytes()).is_some())
            .collect();
        let with_groups: Vec<&str> = streams
            .iter()
            .copied()
            .filter(|k| {
                ks.stream(k.as_bytes())
                    .is_some_and(|s| !s.groups.is_empty())
            })
            .collect();
        if !with_groups.is_empty() && self.rng.pct(80) {
            a(*self.rng.pick(&with_groups))
        } else if !streams.is_empty() && self.rng.pct(85) {
            a(*self.rng.pick(&streams))
        } else {
            self.key()
        }
    }

    /// A group name for `key`: mostly one that exists there.
    fn group_name(&mut self, ks: &View, key: &[u8]) -> Vec<u8> {
        let existing: Vec<Vec<u8>> = ks
            .stream(key)
            .map(|s| s.groups.iter().map(|g| g.name.clone()).collect())
            .unwrap_or_default();
        match self.rng.below(100) {
            0..=89 if !existing.is_empty() => self.rng.pick(&existing).clone(),
            0..=97 => a(*self.rng.pick(GROUPS)),
            _ => a(*self.rng.pick(&["nogroup", "g"])),
        }
    }

    /// A consumer name for `key`/`group`: mostly one that exists in the group.
    fn consumer_name(&mut self, ks: &View, key: &[u8], group: &[u8]) -> Vec<u8> {
        let existing: Vec<Vec<u8>> = ks
            .group(key, group)
            .map(|g| g.consumers.clone())
            .unwrap_or_default();
        match self.rng.below(100) {
            0..=69 if !existing.is_empty() => self.rng.pick(&existing).clone(),
            0..=97 => a(*self.rng.pick(CONSUMERS)),
            _ => a("zed"),
        }
    }

    /// Against servers that create consumers only when something is served or claimed
    /// (Redis 7.0, §22 #13), a command naming `consumer` on these keys must find it in
    /// every group that exists there; otherwise create it first with this command.
    fn missing_consumer(
        &self,
        ks: &View,
        keys: &[Vec<u8>],
        group: &[u8],
        consumer: &[u8],
    ) -> Option<Argv> {
        if self.dialect.implicit_consumers {
            return None;
        }
        keys.iter().find_map(|key| {
            let g = ks.group(key, group)?;
            (!g.consumers.iter().any(|c| c == consumer)).then(|| {
                vec![
                    a("XGROUP"),
                    a("CREATECONSUMER"),
                    key.clone(),
                    group.to_vec(),
                    consumer.to_vec(),
                ]
            })
        })
    }

    /// IDs pending in `group` of `key` (optionally only `owner`'s).
    fn pending_ids(ks: &View, key: &[u8], group: &[u8], owner: Option<&[u8]>) -> Vec<StreamId> {
        ks.group(key, group)
            .map(|g| {
                g.pending
                    .iter()
                    .filter(|p| owner.is_none_or(|o| p.1 == o))
                    .map(|p| p.0)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An ID for a command on a group's PEL: mostly a pending one.
    fn pel_id(&mut self, ks: &View, key: &[u8], group: &[u8]) -> Vec<u8> {
        let pending = Self::pending_ids(ks, key, group, None);
        match self.rng.below(100) {
            0..=79 if !pending.is_empty() => Self::fmt_id(*self.rng.pick(&pending)),
            0..=95 => {
                let id = self.near_id(ks, key);
                Self::fmt_id(id)
            }
            _ => {
                let id = self.near_id(ks, key);
                self.weird_id(id)
            }
        }
    }

    /// A min-idle-time: 0, negative (= 0), thresholds far from any idle time that
    /// occurs (see the module doc), or invalid.
    fn min_idle(&mut self) -> Vec<u8> {
        a(match self.rng.below(50) {
            0..=21 => "0",
            22..=23 => "-5",
            24..=30 => "1800000",
            31..=36 => "5400000",
            37..=39 => "9000000",
            40..=46 => "100000000000000",
            47 => "abc",
            48 => "1.5",
            _ => "9223372036854775808",
        })
    }

    /// An ENTRIESREAD value: -1, near entries-added, or invalid.
    fn entries_read(&mut self, ks: &View, key: &[u8]) -> Vec<u8> {
        let added = ks.stream(key).map_or(0, |s| s.entries_added);
        match self.rng.below(20) {
            0..=3 => a("-1"),
            4 => a(self.rng.pick(&["-2", "abc", "1.5"])),
            5 if self.dialect.clamps_entries_read => {
                a(self.rng.pick(&["100000", "9223372036854775807"]))
            }
            6..=7 => a("0"),
            _ => a(&added
                .saturating_sub(self.rng.below(4))
                .saturating_add(if self.dialect.clamps_entries_read {
                    self.rng.below(3)
                } else {
                    0
                })
                .to_string()),
        }
    }

    fn xgroup(&mut self, ks: &View) -> Argv {
        let key = self.group_key(ks);
        let groups = ks.stream(&key).map_or(0, |s| s.groups.len());
        // Keep groups around: mostly CREATE on keys that have few.
        let r = match groups {
            0 if self.rng.pct(80) => 0,
            1 if self.rng.pct(40) => 0,
            // All names taken: mostly something else than CREATE.
            n if n >= GROUPS.len() && self.rng.pct(90) => 40 + self.rng.below(60),
            _ => self.rng.below(100),
        };
        if r < 40 {
            // CREATE: mostly a name the key does not have yet.
            let free: Vec<&str> = GROUPS
                .iter()
                .copied()
                .filter(|g| ks.group(&key, g.as_bytes()).is_none())
                .collect();
            let group = if !free.is_empty() && self.rng.pct(85) {
                a(*self.rng.pick(&free))
            } else {
                self.group_name(ks, &key)
            };
            let id = match self.rng.below(20) {
                0..=3 => a("$"),
                4..=11 => a("0"),
                12..=15 => {
                    let id = self.near_id(ks, &key);
                    Self::fmt_id(id)
                }
                16 => a(self.rng.pick(&["-", "+", ">"])),
                _ => {
                    let id = self.near_id(ks, &key);
                    self.weird_id(id)
                }
            };
            let sub = if self.rng.pct(90) { "CREATE" } else { "create" };
            let mut argv = vec![a("XGROUP"), a(sub), key.clone(), group, id];
            if self.rng.pct(30) || ks.stream(&key).is_none() && self.rng.pct(60) {
                argv.push(a("MKSTREAM"));
            }
            if self.rng.pct(30) {
                argv.push(a("ENTRIESREAD"));
                let n = self.entries_read(ks, &key);
                argv.push(n);
            }
            if self.rng.pct(3) {
                argv.push(a(self.rng.pick(&["MKSTREAM", "FOO", "ENTRIESREAD"])));
            }
            argv
        } else if r < 60 {
            let group = self.group_name(ks, &key);
            let id = match self.rng.below(20) {
                0..=4 => a("$"),
                5..=6 => a("-"),
                7 => a("+"),
                8..=9 => a("0"),
                10 => {
                    // A step back: `>` re-delivers entries that may still be pending.
                    let ld = ks
                        .group(&key, &group)
                        .map_or(StreamId::MIN, |g| g.last_delivered);
                    let back = ks
                        .existing_ids(&key)
                        .into_iter()
                        .filter(|id| *id < ld)
                        .nth_back(self.rng.below(3) as usize)
                        .unwrap_or(StreamId::MIN);
                    Self::fmt_id(back)
                }
                11..=17 => {
                    let id = self.near_id(ks, &key);
                    Self::fmt_id(id)
                }
                _ => {
                    let id = self.near_id(ks, &key);
                    self.weird_id(id)
                }
            };
            let mut argv = vec![a("XGROUP"), a("SETID"), key.clone(), group, id];
            if self.rng.pct(35) {
                argv.push(a("ENTRIESREAD"));
                let n = self.entries_read(ks, &key);
                argv.push(n);
            }
            if self.rng.pct(3) {
                argv.push(a(self.rng.pick(&["MKSTREAM", "ENTRIESREAD"])));
            }
            argv
        } else if r < 66 {
            let group = self.group_name(ks, &key);
            vec![a("XGROUP"), a("DESTROY"), key, group]
        } else if r < 84 {
            let group = self.group_name(ks, &key);
            let consumer = if self.rng.pct(70) {
                a(*self.rng.pick(CONSUMERS))
            } else {
                self.consumer_name(ks, &key, &group)
            };
            vec![a("XGROUP"), a("CREATECONSUMER"), key, group, consumer]
        } else if r < 96 {
            let group = self.group_name(ks, &key);
            let consumer = self.consumer_name(ks, &key, &group);
            vec![a("XGROUP"), a("DELCONSUMER"), key, group, consumer]
        } else {
            match self.rng.below(4) {
                0 => vec![a("XGROUP"), a("HELP")],
                1 => vec![a("xgroup"), a("help")],
                2 => vec![a("XGROUP"), a("HELP"), a("x")],
                _ => vec![a("XGROUP"), a(self.rng.pick(&["FOO", "create", "Destroy"]))],
            }
        }
    }

    fn xreadgroup(&mut self, ks: &View) -> Argv {
        let first = self.group_key(ks);
        let group = self.group_name(ks, &first);
        let consumer = self.consumer_name(ks, &first, &group);
        let mut argv = vec![a("XREADGROUP")];
        let group_first = self.rng.pct(90);
        if group_first && self.rng.pct(97) {
            argv.extend([a("GROUP"), group.clone(), consumer.clone()]);
        }
        if self.rng.pct(40) {
            argv.push(a(self.rng.pick(&["COUNT", "count"])));
            let n = if self.rng.pct(70) {
                a(&(1 + self.rng.below(4)).to_string())
            } else {
                self.integer(4)
            };
            argv.push(n);
        }
        if self.rng.pct(8) {
            argv.push(a("BLOCK"));
            // Only timeouts this layer can agree with: a short wait ends in nil on the
            // server, exactly as the command layer's immediate nil; or invalid values.
            let v = match self.rng.below(8) {
                0..=3 => (1 + self.rng.below(20)).to_string(),
                4 => "-1".into(),
                5 => "1.5".into(),
                6 => "99999999999999999999".into(),
                _ if self.dialect.block_overflow_checked => "9223372036854775807".into(),
                _ => "abc".into(),
            };
            argv.push(a(&v));
        }
        if self.rng.pct(8) {
            argv.push(a(self.rng.pick(&["NOACK", "noack"])));
        }
        if self.dialect.readgroup_claim && self.rng.pct(30) {
            argv.push(a(self.rng.pick(&["CLAIM", "CLAIM", "claim"])));
            if self.rng.pct(98) {
                let t = if self.rng.pct(40) {
                    a("0")
                } else {
                    self.min_idle()
                };
                argv.push(t);
            }
        }
        if !group_first {
            argv.extend([a("GROUP"), group.clone(), consumer.clone()]);
        }
        if self.rng.pct(98) {
            argv.push(a("STREAMS"));
        }
        let mut keys = vec![first];
        if self.rng.pct(25) {
            let sharing: Vec<&str> = STREAM_KEYS
                .iter()
                .copied()
                .filter(|k| ks.group(k.as_bytes(), &group).is_some())
                .collect();
            for _ in 0..=self.rng.below(2) {
                let k = if !sharing.is_empty() && self.rng.pct(85) {
                    a(*self.rng.pick(&sharing))
                } else {
                    self.group_key(ks)
                };
                keys.push(k);
            }
        }
        argv.extend(keys.iter().cloned());
        for key in &keys {
            let v = match self.rng.below(100) {
                0..=69 => a(">"),
                70..=81 => a("0"),
                82..=89 => {
                    let mine = Self::pending_ids(ks, key, &group, Some(&consumer));
                    match mine.as_slice() {
                        [] => a("0-0"),
                        ids => Self::fmt_id(self.rng.pick(ids).prev().unwrap_or(StreamId::MIN)),
                    }
                }
                90..=93 => {
                    let id = self.near_id(ks, key);
                    Self::fmt_id(id)
                }
                94..=95 => a(self.rng.pick(&["$", "+", "-"])),
                _ => {
                    let id = self.near_id(ks, key);
                    self.weird_id(id)
                }
            };
            argv.push(v);
        }
        if self.rng.pct(2) {
            argv.push(a(">"));
        }
        if self.with_blocked_readers && argv.iter().any(|t| t.eq_ignore_ascii_case(b"CLAIM")) {
            if let Some(at) = argv.iter().position(|t| t.as_slice() == b"BLOCK") {
                argv.drain(at..(at + 2).min(argv.len()));
            }
        }
        self.missing_consumer(ks, &keys, &group, &consumer)
            .unwrap_or(argv)
    }

    fn xack(&mut self, ks: &View) -> Argv {
        let key = self.group_key(ks);
        let group = self.group_name(ks, &key);
        let mut argv = vec![a("XACK"), key.clone(), group.clone()];
        for _ in 0..1 + self.rng.below(3) {
            let id = self.pel_id(ks, &key, &group);
            argv.push(id);
        }
        if self.rng.pct(10) {
            let again = argv[3].clone();
            argv.push(again);
        }
        argv
    }

    fn xpending(&mut self, ks: &View) -> Argv {
        let key = self.group_key(ks);
        let group = self.group_name(ks, &key);
        let mut argv = vec![a("XPENDING"), key.clone(), group.clone()];
        match self.rng.below(100) {
            0..=34 => {}
            35..=96 => {
                if self.rng.pct(40) {
                    argv.push(a(self.rng.pick(&["IDLE", "idle"])));
                    let t = if self.rng.pct(50) {
                        a("1800000")
                    } else {
                        self.min_idle()
                    };
                    argv.push(t);
                }
                let (start, end) = if self.rng.pct(50) {
                    (a("-"), a("+"))
                } else {
                    (self.bound(ks, &key), self.bound(ks, &key))
                };
                argv.extend([start, end]);
                let n = if self.rng.pct(80) {
                    a(&(1 + self.rng.below(12)).to_string())
                } else {
                    self.integer(5)
                };
                argv.push(n);
                if self.rng.pct(35) {
                    let c = self.consumer_name(ks, &key, &group);
                    argv.push(c);
                }
                if self.rng.pct(3) {
                    argv.push(a("extra"));
                }
            }
            _ => {
                // Wrong argument counts.
                argv.push(a("-"));
                if self.rng.pct(50) {
                    argv.push(a("+"));
                }
            }
        }
        argv
    }

    /// XCLAIM's option list.
    fn xclaim_options(&mut self, ks: &View, key: &[u8], argv: &mut Argv) {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        for _ in 0..self.rng.below(4) {
            match self.rng.below(16) {
                0..=2 | 14..=15 => {
                    argv.push(a("IDLE"));
                    argv.push(a(self.rng.pick(&[
                        "3600000",
                        "7200000",
                        "0",
                        "250",
                        "-5",
                        "99999999999999",
                        "x",
                    ])));
                }
                3..=4 => {
                    argv.push(a("TIME"));
                    let t = match self.rng.below(7) {
                        0..=2 => (wall - 10_800_000).to_string(),
                        3 => "1000".into(),
                        4 => "0".into(),
                        5 => (wall + 100_000_000).to_string(),
                        _ => self.rng.pick(&["-5", "x"]).to_string(),
                    };
                    argv.push(a(&t));
                }
                5..=6 => {
                    argv.push(a("RETRYCOUNT"));
                    let n = self.integer(6);
                    argv.push(n);
                }
                7..=8 => argv.push(a("FORCE")),
                9..=10 => argv.push(a("JUSTID")),
                11..=12 => {
                    argv.push(a("LASTID"));
                    let id = self.near_id(ks, key);
                    argv.push(if self.rng.pct(90) {
                        Self::fmt_id(id)
                    } else {
                        self.weird_id(id)
                    });
                }
                _ => argv.push(a(self.rng.pick(&["FOO", "IDLE", "1-1", "-"]))),
            }
        }
    }

    fn xclaim(&mut self, ks: &View) -> Argv {
        let key = self.group_key(ks);
        let group = self.group_name(ks, &key);
        let consumer = self.consumer_name(ks, &key, &group);
        let min_idle = self.min_idle();
        let mut argv = vec![
            a("XCLAIM"),
            key.clone(),
            group.clone(),
            consumer.clone(),
            min_idle,
        ];
        let n = match self.rng.below(10) {
            0 => 0,
            1..=6 => 1,
            _ => 2 + self.rng.below(3),
        };
        for _ in 0..n {
            let id = if self.rng.pct(10) {
                // Entries not pending (FORCE creates them).
                let id = self.near_id(ks, &key);
                Self::fmt_id(id)
            } else {
                self.pel_id(ks, &key, &group)
            };
            argv.push(id);
        }
        if n > 0 && self.rng.pct(8) {
            let again = argv[5].clone();
            argv.push(again);
        }
        self.xclaim_options(ks, &key, &mut argv);
        if self.rng.pct(35) {
            // Pin the delivery time far in the past (the last IDLE/TIME wins), so that
            // later min-idle thresholds split pinned from fresh entries.
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            if self.rng.pct(50) {
                argv.push(a("IDLE"));
                argv.push(a(self.rng.pick(&["3600000", "7200000"])));
            } else {
                argv.push(a("TIME"));
                argv.push(a(&(wall - 10_800_000).to_string()));
            }
        }
        self.missing_consumer(ks, &[key], &group, &consumer)
            .unwrap_or(argv)
    }

    fn xautoclaim(&mut self, ks: &View) -> Argv {
        let key = self.group_key(ks);
        let group = self.group_name(ks, &key);
        let consumer = self.consumer_name(ks, &key, &group);
        let min_idle = self.min_idle();
        let start = match self.rng.below(20) {
            0..=6 if !self.cursors.is_empty() => self.rng.pick(&self.cursors).clone(),
            0..=9 => a(self.rng.pick(&["0", "0-0", "-"])),
            10..=14 => self.pel_id(ks, &key, &group),
            15..=16 => {
                let id = self.near_id(ks, &key);
                [b"(".to_vec(), Self::fmt_id(id)].concat()
            }
            _ => self.bound(ks, &key),
        };
        let mut argv = vec![
            a("XAUTOCLAIM"),
            key.clone(),
            group.clone(),
            consumer.clone(),
            min_idle,
            start,
        ];
        if self.rng.pct(50) {
            argv.push(a("COUNT"));
            argv.push(a(match self.rng.below(24) {
                0..=5 => "1",
                6..=9 => "2",
                10..=12 => "3",
                13..=14 => "100",
                15 => "0",
                16 => "-1",
                17 => "abc",
                18 => "576460752303423488",
                _ => "5",
            }));
        }
        if self.rng.pct(30) {
            argv.push(a("JUSTID"));
        }
        if self.rng.pct(3) {
            argv.push(a(self.rng.pick(&["COUNT", "FOO", "JUSTID"])));
        }
        self.missing_consumer(ks, &[key], &group, &consumer)
            .unwrap_or(argv)
    }

    fn xinfo_groups(&mut self, ks: &View) -> Argv {
        let key = self.group_key(ks);
        if self.rng.pct(40) {
            vec![a("XINFO"), a("GROUPS"), key]
        } else {
            let group = self.group_name(ks, &key);
            vec![a("XINFO"), a("CONSUMERS"), key, group]
        }
    }

    /// A plain append to a stream with groups (feeds the groups' PELs).
    fn xadd_for_groups(&mut self, ks: &View) -> Argv {
        let key = self.group_key(ks);
        let last = ks.last_id(&key);
        let id = if self.rng.pct(50) {
            a("*")
        } else {
            a(&format!("{}-*", last.ms))
        };
        let mut argv = vec![a("XADD"), key, id];
        self.fields(&mut argv);
        argv
    }

    fn group_cmd(&mut self, ks: &View) -> Argv {
        if self.dialect.xackdel && self.rng.pct(7) {
            return self.xackdel(ks);
        }
        match self.rng.below(110) {
            0..=21 => self.xgroup(ks),
            22..=47 => self.xreadgroup(ks),
            48..=55 => self.xack(ks),
            56..=67 => self.xpending(ks),
            68..=80 => self.xclaim(ks),
            81..=91 => self.xautoclaim(ks),
            92..=97 => self.xinfo_groups(ks),
            98..=109 => self.xadd_for_groups(ks),
            _ => {
                let forms: &[&[&str]] = &[
                    &["XGROUP"],
                    &["XGROUP", "CREATE", "s1", "g1"],
                    &["XGROUP", "DESTROY", "s1", "g1", "x"],
                    &["XGROUP", "CREATECONSUMER", "s1", "g1"],
                    &["XREADGROUP", "GROUP", "g1", "alice", "STREAMS", "s1"],
                    &["XREADGROUP", "COUNT", "1", "STREAMS", "s1", ">"],
                    &["XREADGROUP", "GROUP", "g1", "alice", "s1", ">"],
                    &[
                        "XREADGROUP",
                        "GROUP",
                        "g1",
                        "alice",
                        "STREAMS",
                        "s1",
                        "s2",
                        ">",
                    ],
                    &["XACK", "s1", "g1"],
                    &["XACK", "nokey", "g1", "bad"],
                    &["XPENDING", "s1"],
                    &["XPENDING", "s1", "g1", "IDLE", "0", "-", "+"],
                    &["XCLAIM", "s1", "g1", "alice", "0"],
                    &["XCLAIM", "nokey", "g1", "alice", "x", "1-1"],
                    &["XAUTOCLAIM", "s1", "g1", "alice", "0"],
                    &["XAUTOCLAIM", "nokey", "g1", "alice", "0", "0", "COUNT", "0"],
                    &["XAUTOCLAIM", "s1", "g1", "alice", "0", "(+"],
                    &["XINFO", "GROUPS"],
                    &["XINFO", "CONSUMERS", "s1"],
                    &["XINFO", "CONSUMERS", "nokey", "g1"],
                ];
                self.rng.pick(forms).iter().map(a).collect()
            }
        }
    }

    /// A read that may block for good (`BLOCK 0`), for a reader on its own connection:
    /// XREAD on `$`, `+` or the last ID, or XREADGROUP `>` of an existing group (COUNT,
    /// NOACK, and CLAIM with a min-idle-time no entry ever reaches, so that only new
    /// entries wake it — a CLAIM deadline would be met by the server's timer, not by a
    /// command).
    pub fn blocking_read(&mut self, ks: &View) -> Argv {
        let key = self.group_key(ks);
        let group = ks
            .stream(&key)
            .filter(|s| !s.groups.is_empty())
            .map(|s| self.rng.pick(&s.groups).name.clone());
        let count = |g: &mut Gen, argv: &mut Argv| {
            if g.rng.pct(40) {
                argv.push(a("COUNT"));
                argv.push(a(&(1 + g.rng.below(2)).to_string()));
            }
        };
        match group {
            Some(group) if self.dialect.implicit_consumers && self.rng.pct(60) => {
                let consumer = a(*self.rng.pick(CONSUMERS));
                let mut argv = vec![a("XREADGROUP"), a("GROUP"), group, consumer];
                count(self, &mut argv);
                if self.rng.pct(10) {
                    argv.push(a("NOACK"));
                }
                if self.dialect.readgroup_claim && self.rng.pct(35) {
                    argv.extend([a("CLAIM"), a("100000000000000")]);
                }
                argv.extend([a("BLOCK"), a("0"), a("STREAMS"), key, a(">")]);
                argv
            }
            _ => {
                let mut argv = vec![a("XREAD")];
                count(self, &mut argv);
                argv.extend([a("BLOCK"), a("0"), a("STREAMS")]);
                let mut keys = vec![a(*self.rng.pick(STREAM_KEYS))];
                if self.rng.pct(25) {
                    keys.push(a(*self.rng.pick(STREAM_KEYS)));
                }
                let ids: Vec<Vec<u8>> = keys
                    .iter()
                    .map(|k| match self.rng.below(20) {
                        0..=11 => a("$"),
                        12..=14 if self.dialect.xread_plus => a("+"),
                        _ => Self::fmt_id(ks.last_id(k)),
                    })
                    .collect();
                argv.extend(keys);
                argv.extend(ids);
                argv
            }
        }
    }

    /// The next random command.
    pub fn next(&mut self, ks: &View) -> Argv {
        // Keep the run healthy: a stream key overwritten by a string, or a stream that
        // reached the top of the ID space, is soon deleted again.
        for key in STREAM_KEYS {
            let stuck = ks.is_other(key.as_bytes())
                || ks
                    .stream(key.as_bytes())
                    .is_some_and(|s| s.last_id.ms == u64::MAX);
            if stuck && self.rng.pct(15) {
                return vec![a("DEL"), a(key)];
            }
        }
        // Streams that are gone take their IDMP history with them.
        let gone: Vec<Vec<u8>> = self
            .idmp_tracked
            .iter()
            .chain(&self.idmp_empty_producer)
            .filter(|k| ks.stream(k).is_none())
            .cloned()
            .collect();
        for k in gone {
            self.idmp_tracked.remove(&k);
            self.idmp_empty_producer.remove(&k);
        }
        // Group commands take 45 % of the steps; the rest keeps the stream-log mix.
        if self.rng.pct(45) {
            return self.group_cmd(ks);
        }
        if self.dialect.xdelex && self.rng.pct(5) {
            return self.xdelex(ks);
        }
        if self.dialect.xcfgset && self.rng.pct(4) {
            return self.xcfgset();
        }
        if self.rng.pct(4) {
            return self.copy();
        }
        if self.dialect.xidmprecord && self.rng.pct(5) {
            let argv = self.xidmprecord(ks);
            if self.idmp_allowed(ks, &argv[1]) {
                return argv;
            }
        }
        match self.rng.below(100) {
            0..=29 => self.xadd(ks),
            30..=37 => self.xdel(ks),
            38..=45 => self.xtrim(ks),
            46..=57 => self.xrange(ks),
            58..=66 => self.xread(ks),
            67..=72 => self.xsetid(ks),
            73..=78 => self.xinfo(),
            79..=88 => self.keyspace_cmd(),
            89..=92 => self.config(),
            _ => self.junk(),
        }
    }
}
