//! Random Redis argument vectors for the differential test.
//!
//! Mostly valid commands (so most steps exercise real behaviour, not just the parser),
//! with every kind of malformed argument mixed in: odd ID forms, non-canonical integers,
//! binary bytes, misplaced options. IDs are drawn near each stream's current last ID,
//! read from the engine's own keyspace, so explicit IDs succeed often and fail on
//! purpose sometimes.

use brook_engine::{Keyspace, StreamId};

use crate::rng::Rng;

/// Stream keys the test uses, plus one key that holds a string.
pub const STREAM_KEYS: &[&str] = &["s1", "s2", "s3"];
pub const STRING_KEY: &str = "str";
/// Every key the generator may touch (compared after each step).
pub const ALL_KEYS: &[&str] = &["s1", "s2", "s3", "str", "nokey"];

/// Which optional syntax the oracle understands (Redis 8.2+ additions).
#[derive(Clone, Copy)]
pub struct Dialect {
    /// KEEPREF / DELREF / ACKED on XADD and XTRIM.
    pub ref_policies: bool,
    /// `XREAD … STREAMS key +`.
    pub xread_plus: bool,
    /// The smallest `stream-node-max-bytes` to set (Redis 7.0.15 corrupts small nodes).
    pub min_node_bytes: u64,
}

pub struct Gen {
    pub rng: Rng,
    dialect: Dialect,
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

    fn last_id(ks: &Keyspace, key: &[u8]) -> StreamId {
        ks.stream(key)
            .ok()
            .flatten()
            .map_or(StreamId::MIN, |s| s.last_id())
    }

    /// IDs of live entries (to delete or use as bounds).
    fn existing_ids(ks: &Keyspace, key: &[u8]) -> Vec<StreamId> {
        ks.xrange(key, StreamId::MIN, StreamId::MAX, None)
            .map(|v| v.into_iter().map(|e| e.id).collect())
            .unwrap_or_default()
    }

    fn fmt_id(id: StreamId) -> Vec<u8> {
        a(&id.to_string())
    }

    /// A plausible ID for this stream: an existing one, one near the last ID, or a
    /// small one.
    fn near_id(&mut self, ks: &Keyspace, key: &[u8]) -> StreamId {
        let last = Self::last_id(ks, key);
        match self.rng.below(10) {
            0..=3 => {
                let ids = Self::existing_ids(ks, key);
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

    fn trim_clause(&mut self, ks: &Keyspace, key: &[u8], argv: &mut Argv, xtrim: bool) {
        let len = ks.xlen(key).unwrap_or(0);
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
        if xtrim && self.dialect.ref_policies && self.rng.pct(20) {
            argv.push(a(self.rng.pick(&["KEEPREF", "DELREF", "ACKED"])));
        }
    }

    fn trim_op(&mut self, argv: &mut Argv) {
        match self.rng.below(10) {
            0..=4 => argv.push(a("~")),
            5..=6 => argv.push(a("=")),
            _ => {}
        }
    }

    fn xadd(&mut self, ks: &Keyspace) -> Argv {
        let key = self.key();
        let mut argv = vec![a("XADD"), key.clone()];
        if self.rng.pct(10) {
            argv.push(a("NOMKSTREAM"));
        }
        if self.dialect.ref_policies && self.rng.pct(5) {
            argv.push(a(self.rng.pick(&["KEEPREF", "DELREF", "ACKED"])));
        }
        if self.rng.pct(30) {
            self.trim_clause(ks, &key, &mut argv, false);
        }
        if self.rng.pct(3) {
            argv.push(a("NOMKSTREAM"));
        }
        let last = Self::last_id(ks, &key);
        let id = match self.rng.below(100) {
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
        argv
    }

    fn xdel(&mut self, ks: &Keyspace) -> Argv {
        let key = self.key();
        let mut argv = vec![a("XDEL"), key.clone()];
        let n = 1 + self.rng.below(3);
        for _ in 0..n {
            let id = self.near_id(ks, &key);
            argv.push(if self.rng.pct(90) {
                Self::fmt_id(id)
            } else {
                self.weird_id(id)
            });
        }
        argv
    }

    fn xtrim(&mut self, ks: &Keyspace) -> Argv {
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
        argv
    }

    fn bound(&mut self, ks: &Keyspace, key: &[u8]) -> Vec<u8> {
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

    fn xrange(&mut self, ks: &Keyspace) -> Argv {
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

    fn xread(&mut self, ks: &Keyspace) -> Argv {
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

    fn xsetid(&mut self, ks: &Keyspace) -> Argv {
        let key = self.key();
        let last = Self::last_id(ks, &key);
        let top = StreamId::new(last.ms.saturating_add(self.rng.below(3)), self.rng.below(3));
        let id = match self.rng.below(10) {
            0..=5 => top,
            6..=7 => last,
            _ => self.near_id(ks, &key),
        };
        let mut argv = vec![a("XSETID"), key.clone(), Self::fmt_id(id)];
        if self.rng.pct(30) {
            argv.push(a("ENTRIESADDED"));
            let added = ks
                .stream(&key)
                .ok()
                .flatten()
                .map_or(0, |s| s.entries_added());
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

    fn config(&mut self) -> Argv {
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

    /// The next random command.
    pub fn next(&mut self, ks: &Keyspace) -> Argv {
        // Keep the run healthy: a stream key overwritten by a string, or a stream that
        // reached the top of the ID space, is soon deleted again.
        for key in STREAM_KEYS {
            let stuck = match ks.stream(key.as_bytes()) {
                Err(_) => true,
                Ok(Some(s)) => s.last_id().ms == u64::MAX,
                Ok(None) => false,
            };
            if stuck && self.rng.pct(15) {
                return vec![a("DEL"), a(key)];
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
