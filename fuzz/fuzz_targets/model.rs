//! Fuzz target `model`: structured command sequences on the engine and on the
//! independent model (`brook_test_support::model`), compared after every step.
//!
//! The input is decoded with `arbitrary` into a `Vec<Action>`. Each action is resolved
//! against the model's current state (so IDs are often near the stream's last ID or
//! equal to live entries) into a `model::Command`, whose argument vector goes to
//! `Keyspace::execute` and whose prediction comes from `KeyspaceModel::apply`. Checks
//! after every step, as in the proptest state machine (engine/tests/all/model_test.rs):
//!
//! * the reply's RESP2 and RESP3 bytes equal the model's;
//! * approximate trims (`~`) stay within the model's bound (a prefix of the stream, no
//!   more than exact trimming, at most LIMIT) and are then applied to the model;
//! * `Keyspace::check()` passes;
//! * every key's type, length, entries, last-generated-id, entries-added,
//!   max-deleted-entry-id, recorded-first-entry-id and first/last entry match.
#![no_main]

use arbitrary::Arbitrary;
use brook_engine::{NodeLimits, Reply, StreamEntry, StreamId};
use brook_engine::frontend::{Keyspace, Protocol};
use brook_test_support::model::{
    self as model, Command, Entry, Expected, Fields, Id, KeyspaceModel, ModelReply, ModelValue,
    StreamModel, TrimArgs, TrimThreshold,
};
use brook_test_support::{encode_frame, parse_frame};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

const KEYS: [&[u8]; 4] = [b"s1", b"s2", b"str", b"nokey"];

/// XADD keywords a raw ID must not spell (the engine would take it as an option, the
/// model as an ID), and the operators that MINID would consume.
const KEYWORDS: &[&str] = &[
    "MAXLEN",
    "MINID",
    "LIMIT",
    "NOMKSTREAM",
    "KEEPREF",
    "DELREF",
    "ACKED",
    "IDMP",
    "IDMPAUTO",
    "~",
    "=",
];

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Key {
    S1,
    S2,
    Str,
    Missing,
}

impl Key {
    fn name(self) -> &'static [u8] {
        KEYS[self as usize]
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum IdA {
    Existing(u8),
    NearLast { dms: i8, dseq: i8 },
    Abs(u8, u8),
    NearMax { back: u8, seq: u8, high_seq: bool },
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Style {
    Canonical,
    Incomplete,
    Padded,
    Plus,
    Space,
}

#[derive(Arbitrary, Debug, Clone)]
struct IdSpec(IdA, Style);

#[derive(Arbitrary, Debug, Clone)]
enum AddIdA {
    Star,
    MsStar(IdA),
    Fresh { dms: u8, dseq: u8, style: Style },
    Any(IdSpec),
}

#[derive(Arbitrary, Debug, Clone)]
enum Value {
    Int(i64),
    SmallInt(i16),
    Text(Vec<u8>),
    Long(u16, u8),
}

impl Value {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Int(n) => n.to_string().into_bytes(),
            Value::SmallInt(n) => n.to_string().into_bytes(),
            Value::Text(t) => t.iter().take(80).copied().collect(),
            Value::Long(n, c) => vec![*c; usize::from(*n % 5000)],
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum ThresholdA {
    MaxLen(i8),
    BelowLen(u8),
    MinId(IdSpec),
}

#[derive(Arbitrary, Debug, Clone)]
struct TrimA {
    threshold: ThresholdA,
    approx: bool,
    explicit_eq: bool,
    limit: Option<i8>,
}

#[derive(Arbitrary, Debug, Clone)]
enum BoundA {
    Min,
    Max,
    Id(IdSpec, bool),
}

#[derive(Arbitrary, Debug, Clone)]
enum ReadA {
    Dollar,
    Plus,
    Gt,
    Id(IdSpec),
}

#[derive(Arbitrary, Debug, Clone)]
enum Action {
    XAdd {
        key: Key,
        nomkstream: bool,
        trim: Option<TrimA>,
        id: AddIdA,
        first: (Value, Value),
        more: Vec<(Value, Value)>,
        tick: i8,
    },
    XDel {
        key: Key,
        first: IdSpec,
        more: Vec<IdSpec>,
    },
    XTrim {
        key: Key,
        trim: TrimA,
    },
    XSetId {
        key: Key,
        last: IdSpec,
        entries_added: Option<(bool, i8)>,
        max_deleted: Option<IdSpec>,
    },
    XRange {
        key: Key,
        rev: bool,
        start: BoundA,
        end: BoundA,
        count: Option<i8>,
    },
    XRead {
        first: (Key, ReadA),
        more: Vec<(Key, ReadA)>,
        count: Option<i8>,
    },
    XLen(Key),
    Del(Key),
    Limits(u16, u8),
}

fn stream<'a>(m: &'a KeyspaceModel, key: &[u8]) -> Option<&'a StreamModel> {
    match m.keys.get(key) {
        Some(ModelValue::Stream(s)) => Some(s),
        _ => None,
    }
}

fn resolve(a: &IdA, s: Option<&StreamModel>) -> Result<Id, Vec<u8>> {
    let last = s.map_or((0, 0), |s| s.last_id);
    Ok(match a {
        IdA::Existing(i) => match s {
            Some(s) if !s.is_empty() => s.ids()[usize::from(*i) % s.entries.len()],
            _ => last,
        },
        IdA::NearLast { dms, dseq } => (
            last.0.saturating_add_signed(i64::from(*dms % 4)),
            last.1.saturating_add_signed(i64::from(*dseq % 4)),
        ),
        IdA::Abs(ms, seq) => (u64::from(*ms % 16), u64::from(*seq % 8)),
        IdA::NearMax {
            back,
            seq,
            high_seq,
        } => (
            u64::MAX - u64::from(*back % 3),
            if *high_seq {
                u64::MAX - u64::from(*seq % 3)
            } else {
                u64::from(*seq % 3)
            },
        ),
        IdA::Raw(r) => {
            let r: Vec<u8> = r.iter().take(140).copied().collect();
            // Redis compares keywords as C strings: only the part before a NUL counts.
            let c_str = r.split(|&b| b == 0).next().unwrap_or_default();
            let text = String::from_utf8_lossy(c_str);
            if KEYWORDS.iter().any(|k| text.eq_ignore_ascii_case(k)) {
                return Err(b"bad".to_vec());
            }
            return Err(r);
        }
    })
}

impl From<Style> for model::IdStyle {
    fn from(s: Style) -> model::IdStyle {
        match s {
            Style::Canonical => model::IdStyle::Canonical,
            Style::Incomplete => model::IdStyle::Incomplete,
            Style::Padded => model::IdStyle::ZeroPadded,
            Style::Plus => model::IdStyle::Plus,
            Style::Space => model::IdStyle::Space,
        }
    }
}

fn spell(spec: &IdSpec, s: Option<&StreamModel>) -> Vec<u8> {
    match resolve(&spec.0, s) {
        Ok(id) => model::spell_id(id, spec.1.into()),
        Err(raw) => raw,
    }
}

fn trim_args(t: &TrimA, s: Option<&StreamModel>) -> TrimArgs {
    let threshold = match &t.threshold {
        ThresholdA::MaxLen(n) => TrimThreshold::MaxLen(i64::from(*n)),
        ThresholdA::BelowLen(d) => {
            TrimThreshold::MaxLen((s.map_or(0, StreamModel::len) as i64 - i64::from(*d % 8)).max(0))
        }
        ThresholdA::MinId(spec) => TrimThreshold::MinId(spell(spec, s)),
    };
    TrimArgs {
        threshold,
        approx: t.approx,
        explicit_eq: t.explicit_eq,
        limit: t.limit.map(i64::from),
    }
}

fn bound(b: &BoundA, s: Option<&StreamModel>) -> Vec<u8> {
    match b {
        BoundA::Min => b"-".to_vec(),
        BoundA::Max => b"+".to_vec(),
        BoundA::Id(spec, exclusive) => {
            let mut out = if *exclusive {
                b"(".to_vec()
            } else {
                Vec::new()
            };
            out.extend(spell(spec, s));
            out
        }
    }
}

fn command(m: &KeyspaceModel, a: &Action) -> Option<Command> {
    Some(match a {
        Action::XAdd {
            key,
            nomkstream,
            trim,
            id,
            first,
            more,
            tick: _,
        } => {
            let s = stream(m, key.name());
            let id = match id {
                AddIdA::Star => b"*".to_vec(),
                AddIdA::MsStar(a) => match resolve(a, s) {
                    Ok((ms, _)) => format!("{ms}-*").into_bytes(),
                    Err(raw) => raw,
                },
                AddIdA::Fresh { dms, dseq, style } => {
                    let last = s.map_or((0, 0), |s| s.last_id);
                    let id = if dms % 3 == 0 {
                        (last.0, last.1.saturating_add(1 + u64::from(dseq % 3)))
                    } else {
                        (
                            last.0.saturating_add(u64::from(dms % 3)),
                            u64::from(dseq % 3),
                        )
                    };
                    model::spell_id(id, (*style).into())
                }
                AddIdA::Any(spec) => spell(spec, s),
            };
            let fields: Fields = std::iter::once(first)
                .chain(more.iter().take(5))
                .map(|(f, v)| (f.bytes(), v.bytes()))
                .collect();
            Command::XAdd {
                key: key.name().to_vec(),
                nomkstream: *nomkstream,
                trim: trim.as_ref().map(|t| trim_args(t, s)),
                id,
                fields,
            }
        }
        Action::XDel { key, first, more } => {
            let s = stream(m, key.name());
            Command::XDel {
                key: key.name().to_vec(),
                ids: std::iter::once(first)
                    .chain(more.iter().take(5))
                    .map(|i| spell(i, s))
                    .collect(),
            }
        }
        Action::XTrim { key, trim } => Command::XTrim {
            key: key.name().to_vec(),
            trim: trim_args(trim, stream(m, key.name())),
        },
        Action::XSetId {
            key,
            last,
            entries_added,
            max_deleted,
        } => {
            let s = stream(m, key.name());
            Command::XSetId {
                key: key.name().to_vec(),
                last: spell(last, s),
                entries_added: entries_added.map(|(relative, n)| {
                    i64::from(n)
                        + if relative {
                            s.map_or(0, |s| s.len() as i64)
                        } else {
                            0
                        }
                }),
                max_deleted: max_deleted.as_ref().map(|i| spell(i, s)),
            }
        }
        Action::XRange {
            key,
            rev,
            start,
            end,
            count,
        } => {
            let s = stream(m, key.name());
            Command::XRange {
                key: key.name().to_vec(),
                rev: *rev,
                start: bound(start, s),
                end: bound(end, s),
                count: count.map(i64::from),
            }
        }
        Action::XRead { first, more, count } => Command::XRead {
            streams: std::iter::once(first)
                .chain(more.iter().take(3))
                .map(|(k, r)| {
                    let id = match r {
                        ReadA::Dollar => b"$".to_vec(),
                        ReadA::Plus => b"+".to_vec(),
                        ReadA::Gt => b">".to_vec(),
                        ReadA::Id(spec) => spell(spec, stream(m, k.name())),
                    };
                    (k.name().to_vec(), id)
                })
                .collect(),
            count: count.map(i64::from),
        },
        Action::XLen(key) => Command::XLen {
            key: key.name().to_vec(),
        },
        Action::Del(key) => Command::Del {
            key: key.name().to_vec(),
        },
        Action::Limits(..) => return None,
    })
}

fn show(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| format!("{:?}", String::from_utf8_lossy(&a[..a.len().min(60)])))
        .collect::<Vec<_>>()
        .join(" ")
}

fn show_resp(bytes: &[u8]) -> String {
    match parse_frame(bytes) {
        Ok(Some((f, _))) => f.to_string(),
        other => format!("{other:?}"),
    }
}

fn compare_reply(argv: &[Vec<u8>], got: &Reply, want: &ModelReply) {
    for (proto, resp3) in [(Protocol::Resp2, false), (Protocol::Resp3, true)] {
        let got = got.to_resp(proto);
        let want = encode_frame(&want.to_frame(resp3));
        assert!(
            got == want,
            "{}: {proto:?} reply differs\n  engine: {}\n  model:  {}",
            show(argv),
            show_resp(&got),
            show_resp(&want)
        );
    }
}

fn ids(ks: &Keyspace, key: &[u8]) -> Vec<Id> {
    ks.xrange(key, StreamId::MIN, StreamId::MAX, None)
        .unwrap_or_default()
        .iter()
        .map(|e| (e.id.ms, e.id.seq))
        .collect()
}

fn run_command(ks: &mut Keyspace, m: &mut KeyspaceModel, cmd: &Command, now: u64) {
    let argv = cmd.to_argv();
    let max_entries = ks.config().node_limits.max_entries;
    let bytes: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
    let got = ks.execute(&bytes, now);
    match m.apply(cmd, now, max_entries) {
        Expected::Reply(want) => compare_reply(&argv, &got, &want),
        Expected::ReplyThenSettle(want, p) => {
            compare_reply(&argv, &got, &want);
            if let Err(e) = m.settle(&p, &ids(ks, &p.key), None) {
                panic!("{}: {e}", show(&argv));
            }
        }
        Expected::ApproxTrim(p) => {
            let Reply::Integer(k) = got else {
                panic!("{}: ~ trim replied {got:?}", show(&argv));
            };
            let reported = u64::try_from(k).expect("a count");
            if let Err(e) = m.settle(&p, &ids(ks, &p.key), Some(reported)) {
                panic!("{}: {e}", show(&argv));
            }
        }
    }
}

fn entry(e: &StreamEntry) -> Entry {
    (
        (e.id.ms, e.id.seq),
        e.fields
            .iter()
            .map(|(f, v)| (f.to_vec(), v.to_vec()))
            .collect(),
    )
}

fn compare_state(ks: &Keyspace, m: &KeyspaceModel) {
    if let Err(e) = ks.check() {
        panic!("Keyspace::check failed: {e}");
    }
    assert_eq!(ks.len(), m.keys.len(), "DBSIZE");
    for key in KEYS {
        let want_type = match m.keys.get(key) {
            None => "none",
            Some(ModelValue::String(_)) => "string",
            Some(ModelValue::Stream(_)) => "stream",
        };
        assert_eq!(ks.key_type(key).name(), want_type, "type of {key:?}");
        let Some(s) = stream(m, key) else {
            continue;
        };
        let info = ks.xinfo_stream(key, 0).expect("XINFO STREAM");
        let sum = &info.summary;
        let sid = |id: StreamId| (id.ms, id.seq);
        assert_eq!(
            (
                sum.length,
                sid(sum.last_generated_id),
                sum.entries_added,
                sid(sum.max_deleted_entry_id),
                sid(sum.recorded_first_entry_id),
            ),
            (
                s.len(),
                s.last_id,
                s.entries_added,
                s.max_deleted_entry_id,
                s.first_id
            ),
            "(length, last-generated-id, entries-added, max-deleted-entry-id, \
             recorded-first-entry-id) of {key:?}"
        );
        assert_eq!(
            info.first_entry.as_ref().map(entry),
            s.first_entry(),
            "first-entry"
        );
        assert_eq!(
            info.last_entry.as_ref().map(entry),
            s.last_entry(),
            "last-entry"
        );
        let all: Vec<Entry> = ks
            .xrange(key, StreamId::MIN, StreamId::MAX, None)
            .expect("XRANGE")
            .iter()
            .map(entry)
            .collect();
        let want: Vec<Entry> = s.entries.iter().map(|(k, v)| (*k, v.clone())).collect();
        assert!(all == want, "contents of {key:?} differ");
    }
}

fuzz_target!(|actions: Vec<Action>| {
    let mut ks = Keyspace::new();
    let mut m = KeyspaceModel::new();
    let mut now: u64 = 1_000;
    let set = Command::Set {
        key: b"str".to_vec(),
        value: b"x".to_vec(),
    };
    run_command(&mut ks, &mut m, &set, now);
    for a in actions.iter().take(300) {
        match a {
            Action::Limits(b, e) => {
                ks.config_mut().node_limits = NodeLimits {
                    max_bytes: u64::from(*b),
                    max_entries: u64::from(*e % 12),
                };
            }
            _ => {
                if let Action::XAdd { tick, .. } = a {
                    now = now.saturating_add_signed(i64::from(*tick % 3));
                }
                let cmd = command(&m, a).expect("a command");
                run_command(&mut ks, &mut m, &cmd, now);
            }
        }
        compare_state(&ks, &m);
    }
});
