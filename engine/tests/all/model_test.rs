//! Model-based property tests: brook-engine against an independent model.
//!
//! Three proptest properties, all driven through the command layer
//! ([`Keyspace::execute`]) so that parsing, replies and state are exercised together:
//!
//! 1. **`engine_matches_model`** — random sequences of XADD (explicit, `ms-*` and `*`
//!    IDs in canonical and odd spellings, field sets with integer-like, empty and long
//!    values, NOMKSTREAM, exact and `~` trimming), XDEL of existing and missing IDs,
//!    XTRIM (MAXLEN/MINID, `=`/`~`, LIMIT), XSETID with its options, XRANGE/XREVRANGE with
//!    random (exclusive, incomplete, invalid) bounds and COUNT, XREAD, XLEN, DEL and node
//!    limit changes, on three stream keys plus a string key and a missing key. After every
//!    step the RESP2 and RESP3 bytes of the reply must equal what
//!    [`brook_test_support::model`] predicts; `Keyspace::check()` must pass; and every key's
//!    type, length, entries, last-generated-id, entries-added, max-deleted-entry-id,
//!    recorded-first-entry-id and first/last entry must match the model. Approximate
//!    trims are checked against the model's bound (a prefix, no more than exact, within
//!    LIMIT) and then applied to the model.
//! 2. **`node_boundaries_follow_redis_rule`** — appends only, with node limits changed at
//!    random: `radix-tree-keys` must equal a re-computation of Redis's node-splitting rule
//!    (reference §1.6) using this file's own listpack-size calculator, and
//!    `radix-tree-nodes` must equal the §1.6 trie count over the predicted node keys.
//! 3. **`node_layout_with_deletes_and_trims`** — the same layout model extended with XDEL
//!    (tombstones, node removal on the last live entry) and exact / approximate trims
//!    (§3.2, whole nodes for `~`), whose replies are then predicted *exactly*.
//!
//! Cases: 64 by default for property 1 (up to 200 steps each) and 48 for the others;
//! `PROPTEST_CASES` overrides all three. Shrinking is capped at 2000 iterations and no
//! regression files are written (the failing case is printed). Deterministic checks of
//! the layout model and an `#[ignore]`d regression test for an engine bug found by
//! property 1 (`xsetid_below_a_tombstone_then_xadd`) follow the properties.

use brook_engine::{NodeLimits, Reply, StreamEntry, StreamId};

use brook_engine::frontend::{Keyspace, Protocol};
use brook_test_support::model::{
    self, format_id, spell_id, Command, Entry, Expected, Fields, Id, IdStyle, KeyspaceModel,
    ModelReply, ModelValue, StreamModel, TrimArgs, TrimThreshold,
};
use brook_test_support::{encode_frame, parse_frame};
use bytes::Bytes;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

// ---------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------

fn config(default_cases: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = default_cases;
    }
    if std::env::var_os("PROPTEST_MAX_SHRINK_ITERS").is_none() {
        c.max_shrink_iters = 2000;
    }
    c.failure_persistence = None;
    c
}

const STRING_KEY: &[u8] = b"str";
const MISSING_KEY: &[u8] = b"nokey";
const ALL_KEYS: [&[u8]; 5] = [b"s1", b"s2", b"s3", STRING_KEY, MISSING_KEY];
const START_MS: u64 = 1_000;

// ---------------------------------------------------------------------------------
// Operations of property 1
// ---------------------------------------------------------------------------------

/// A sequence number relative to some base ID.
#[derive(Clone, Copy, Debug)]
enum Seq {
    Zero,
    One,
    Plus(u8),
    Minus(u8),
    Max,
}

/// An ID argument, resolved against the model's current state when the step runs.
#[derive(Clone, Debug)]
enum IdArg {
    /// A live entry of the stream (by index), or its last ID when it has none.
    Existing(Index),
    /// Relative to the stream's last-generated-id.
    NearLast { dms: i8, seq: Seq },
    /// A small absolute ID.
    Abs(u64, u64),
    /// Close to the largest ID.
    NearMax { back: u8, seq: Seq },
    /// A literal argument (odd spellings, invalid forms).
    Raw(String),
}

/// How a resolved ID is spelled.

#[derive(Clone, Debug)]
struct IdSpec(IdArg, IdStyle);

#[derive(Clone, Debug)]
enum AddIdArg {
    Star,
    MsStar(IdArg),
    Explicit(IdSpec),
}

#[derive(Clone, Debug)]
enum Bound {
    Min,
    Max,
    Id { id: IdSpec, exclusive: bool },
}

#[derive(Clone, Debug)]
enum ReadArg {
    Dollar,
    Plus,
    Gt,
    Id(IdSpec),
}

#[derive(Clone, Debug)]
enum Threshold {
    MaxLen(i64),
    /// MAXLEN relative to the current length.
    MaxLenBelowLen(u8),
    MinId(IdSpec),
}

#[derive(Clone, Debug)]
struct TrimOp {
    threshold: Threshold,
    approx: bool,
    explicit_eq: bool,
    limit: Option<i64>,
}

#[derive(Clone, Debug)]
enum EntriesAdded {
    Abs(i64),
    LenPlus(i8),
}

#[derive(Clone, Debug)]
enum Op {
    XAdd {
        key: u8,
        nomkstream: bool,
        trim: Option<TrimOp>,
        id: AddIdArg,
        fields: Fields,
        tick: i64,
    },
    XDel {
        key: u8,
        ids: Vec<IdSpec>,
    },
    XTrim {
        key: u8,
        trim: TrimOp,
    },
    XSetId {
        key: u8,
        last: IdSpec,
        entries_added: Option<EntriesAdded>,
        max_deleted: Option<IdSpec>,
    },
    XRange {
        key: u8,
        rev: bool,
        start: Bound,
        end: Bound,
        count: Option<i64>,
    },
    XRead {
        streams: Vec<(u8, ReadArg)>,
        count: Option<i64>,
    },
    XLen {
        key: u8,
    },
    Del {
        key: u8,
    },
    Limits {
        max_bytes: u64,
        max_entries: u64,
    },
}

const RAW_IDS: &[&str] = &[
    "",
    "-",
    "+",
    "abc",
    "5-x",
    "1-*",
    "-1",
    "5--5",
    "(5",
    "0",
    "0-0",
    "0-1",
    "1-0",
    "18446744073709551616",
    "1-18446744073709551616",
    "18446744073709551615-18446744073709551615",
    "18446744073709551615-18446744073709551614",
    " -1",
    "5- -1",
    "4-0 ",
    "4-",
    "1\u{0}7",
    "*\u{0}x",
    "$",
    ">",
    "2-+3",
    "-0",
    "1--0",
    "\t9-\t9",
    "1-9223372036854775808",
    "1--9223372036854775809",
    "1--9223372036854775808",
];

fn seq() -> BoxedStrategy<Seq> {
    prop_oneof![
        2 => Just(Seq::Zero),
        2 => Just(Seq::One),
        4 => (0u8..4).prop_map(Seq::Plus),
        2 => (0u8..4).prop_map(Seq::Minus),
        1 => Just(Seq::Max),
    ]
    .boxed()
}

fn id_arg() -> BoxedStrategy<IdArg> {
    prop_oneof![
        12 => any::<Index>().prop_map(IdArg::Existing),
        12 => (-2i8..4, seq()).prop_map(|(dms, seq)| IdArg::NearLast { dms, seq }),
        4 => (0u64..8, 0u64..4).prop_map(|(ms, seq)| IdArg::Abs(ms, seq)),
        1 => (0u8..3, seq()).prop_map(|(back, seq)| IdArg::NearMax { back, seq }),
        4 => prop_oneof![
            20 => prop::sample::select(RAW_IDS).prop_map(|s| IdArg::Raw(s.to_string())),
            1 => Just(IdArg::Raw("1".repeat(127))),
            1 => Just(IdArg::Raw("1".repeat(128))),
            1 => Just(IdArg::Raw(format!("{}1-0", "0".repeat(124)))),
        ],
    ]
    .boxed()
}

fn style() -> BoxedStrategy<IdStyle> {
    prop_oneof![
        12 => Just(IdStyle::Canonical),
        3 => Just(IdStyle::Incomplete),
        1 => Just(IdStyle::ZeroPadded),
        1 => Just(IdStyle::Plus),
        1 => Just(IdStyle::Space),
    ]
    .boxed()
}

fn id_spec() -> BoxedStrategy<IdSpec> {
    (id_arg(), style()).prop_map(|(a, s)| IdSpec(a, s)).boxed()
}

fn key() -> BoxedStrategy<u8> {
    prop_oneof![10 => Just(0u8), 4 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8), 1 => Just(4u8)]
        .boxed()
}

const EDGE_INTS: &[&str] = &[
    "0",
    "127",
    "128",
    "-1",
    "4095",
    "4096",
    "-4096",
    "-4097",
    "32767",
    "32768",
    "-32768",
    "-32769",
    "8388607",
    "8388608",
    "-8388608",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "01",
    "-0",
    "+1",
    " 1",
    "1 ",
    "00",
    "18446744073709551615",
];

fn value() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        5 => (-200i64..5000).prop_map(|n| n.to_string().into_bytes()),
        3 => prop::sample::select(EDGE_INTS).prop_map(|s| s.as_bytes().to_vec()),
        1 => any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        5 => prop::collection::vec(b'a'..=b'z', 0..12),
        1 => prop::collection::vec(any::<u8>(), 0..8),
        1 => (60usize..300, b'a'..=b'z').prop_map(|(n, c)| vec![c; n]),
        1 => (4050usize..4150, b'a'..=b'z').prop_map(|(n, c)| vec![c; n]),
    ]
    .boxed()
}

fn field_name() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        6 => prop::sample::select(&["a", "b", "c", "name", "1", "-7", "", "128"][..])
            .prop_map(|s| s.as_bytes().to_vec()),
        2 => prop::collection::vec(b'a'..=b'z', 1..6),
        1 => (64usize..80).prop_map(|n| vec![b'f'; n]),
    ]
    .boxed()
}

const TEMPLATES: &[&[&str]] = &[&["a", "b"], &["a"], &["name", "1", "c"]];

/// Field sets: mostly one of the [`TEMPLATES`] (stable schemas, so the same-fields
/// encoding is used), otherwise 1..`max_own` arbitrary pairs; values from `values`.
fn field_sets(
    values: BoxedStrategy<Vec<u8>>,
    template_weight: u32,
    own_weight: u32,
    max_own: usize,
) -> BoxedStrategy<Fields> {
    let template =
        (0..TEMPLATES.len(), prop::collection::vec(values.clone(), 3)).prop_map(|(t, vs)| {
            TEMPLATES[t]
                .iter()
                .zip(vs)
                .map(|(f, v)| (f.as_bytes().to_vec(), v))
                .collect()
        });
    prop_oneof![
        template_weight => template,
        own_weight => prop::collection::vec((field_name(), values), 1..max_own),
    ]
    .boxed()
}

fn fields() -> BoxedStrategy<Fields> {
    field_sets(value(), 3, 2, 4)
}

fn trim_op() -> BoxedStrategy<TrimOp> {
    let threshold = prop_oneof![
        2 => (0i64..40).prop_map(Threshold::MaxLen),
        5 => (0u8..5).prop_map(Threshold::MaxLenBelowLen),
        1 => Just(Threshold::MaxLen(-1)),
        4 => id_spec().prop_map(Threshold::MinId),
    ];
    let limit = prop_oneof![
        6 => Just(None),
        3 => (0i64..12).prop_map(Some),
        1 => Just(Some(-2)),
    ];
    (threshold, any::<bool>(), any::<bool>(), limit, 0u8..10)
        .prop_map(|(threshold, approx, explicit_eq, limit, r)| TrimOp {
            threshold,
            approx,
            explicit_eq,
            // LIMIT without `~` is an error; keep it rare.
            limit: if approx || r == 0 { limit } else { None },
        })
        .boxed()
}

/// An ID just above the stream's last ID (so that most explicit XADDs succeed).
fn fresh_id_arg() -> BoxedStrategy<IdArg> {
    prop_oneof![
        3 => (1u8..4).prop_map(|k| IdArg::NearLast { dms: 0, seq: Seq::Plus(k) }),
        2 => (1i8..3, prop_oneof![Just(Seq::Zero), Just(Seq::One), (0u8..3).prop_map(Seq::Plus)])
            .prop_map(|(dms, seq)| IdArg::NearLast { dms, seq }),
    ]
    .boxed()
}

fn add_id_arg() -> BoxedStrategy<AddIdArg> {
    prop_oneof![
        6 => Just(AddIdArg::Star),
        2 => prop_oneof![
            3 => (0i8..2).prop_map(|dms| IdArg::NearLast { dms, seq: Seq::Zero }),
            1 => id_arg(),
        ].prop_map(AddIdArg::MsStar),
        6 => (fresh_id_arg(), style()).prop_map(|(a, s)| AddIdArg::Explicit(IdSpec(a, s))),
        2 => id_spec().prop_map(AddIdArg::Explicit),
    ]
    .boxed()
}

fn bound() -> BoxedStrategy<Bound> {
    prop_oneof![
        2 => Just(Bound::Min),
        2 => Just(Bound::Max),
        6 => (id_spec(), prop::bool::weighted(0.3))
            .prop_map(|(id, exclusive)| Bound::Id { id, exclusive }),
    ]
    .boxed()
}

fn count() -> BoxedStrategy<Option<i64>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some(-1)),
        1 => Just(Some(0)),
        4 => (1i64..6).prop_map(Some),
        1 => Just(Some(1000)),
    ]
    .boxed()
}

fn read_arg() -> BoxedStrategy<ReadArg> {
    prop_oneof![
        2 => Just(ReadArg::Dollar),
        2 => Just(ReadArg::Plus),
        1 => Just(ReadArg::Gt),
        6 => id_spec().prop_map(ReadArg::Id),
    ]
    .boxed()
}

fn tick() -> BoxedStrategy<i64> {
    prop_oneof![6 => Just(0i64), 4 => 1i64..3, 1 => Just(-5i64), 1 => Just(1000i64)].boxed()
}

const MAX_BYTES_CHOICES: &[u64] = &[0, 1, 40, 64, 100, 150, 300, 1000, 4096, 1 << 31];
const MAX_ENTRIES_CHOICES: &[u64] = &[0, 1, 2, 3, 5, 10, 100];

fn limits() -> BoxedStrategy<(u64, u64)> {
    (
        prop::sample::select(MAX_BYTES_CHOICES),
        prop::sample::select(MAX_ENTRIES_CHOICES),
    )
        .boxed()
}

fn op() -> BoxedStrategy<Op> {
    prop_oneof![
        50 => (key(), prop::bool::weighted(0.1), prop::option::weighted(0.08, trim_op()),
               add_id_arg(), fields(), tick())
            .prop_map(|(key, nomkstream, trim, id, fields, tick)| Op::XAdd {
                key, nomkstream, trim, id, fields, tick
            }),
        8 => (key(), prop::collection::vec(id_spec(), 1..4))
            .prop_map(|(key, ids)| Op::XDel { key, ids }),
        4 => (key(), trim_op()).prop_map(|(key, trim)| Op::XTrim { key, trim }),
        4 => (
            key(),
            id_spec(),
            prop::option::weighted(0.4, prop_oneof![
                (-1i64..8).prop_map(EntriesAdded::Abs),
                (-2i8..3).prop_map(EntriesAdded::LenPlus),
            ]),
            prop::option::weighted(0.4, id_spec()),
        )
            .prop_map(|(key, last, entries_added, max_deleted)| Op::XSetId {
                key, last, entries_added, max_deleted
            }),
        12 => (key(), any::<bool>(), bound(), bound(), count())
            .prop_map(|(key, rev, start, end, count)| Op::XRange { key, rev, start, end, count }),
        8 => (prop::collection::vec((key(), read_arg()), 1..4), count())
            .prop_map(|(streams, count)| Op::XRead { streams, count }),
        3 => key().prop_map(|key| Op::XLen { key }),
        1 => prop_oneof![1 => Just(0u8), 1 => Just(1u8), 4 => Just(2u8)].prop_map(|key| Op::Del { key }),
        3 => limits().prop_map(|(max_bytes, max_entries)| Op::Limits { max_bytes, max_entries }),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------
// Running property 1
// ---------------------------------------------------------------------------------

fn key_name(k: u8) -> &'static [u8] {
    ALL_KEYS[usize::from(k)]
}

fn apply_seq(base: u64, s: Seq) -> u64 {
    match s {
        Seq::Zero => 0,
        Seq::One => 1,
        Seq::Plus(k) => base.saturating_add(u64::from(k)),
        Seq::Minus(k) => base.saturating_sub(u64::from(k)),
        Seq::Max => u64::MAX,
    }
}

/// The stream at `key` in the model, if it is one.
fn model_stream<'a>(m: &'a KeyspaceModel, key: &[u8]) -> Option<&'a StreamModel> {
    match m.keys.get(key) {
        Some(ModelValue::Stream(s)) => Some(s),
        _ => None,
    }
}

fn resolve_id(arg: &IdArg, s: Option<&StreamModel>) -> Result<Id, String> {
    let last = s.map_or(model::MIN_ID, |s| s.last_id);
    Ok(match arg {
        IdArg::Existing(ix) => match s {
            Some(s) if !s.is_empty() => {
                let ids = s.ids();
                ids[ix.index(ids.len())]
            }
            _ => last,
        },
        IdArg::NearLast { dms, seq } => (
            last.0.saturating_add_signed(i64::from(*dms)),
            apply_seq(last.1, *seq),
        ),
        IdArg::Abs(ms, seq) => (*ms, *seq),
        IdArg::NearMax { back, seq } => (u64::MAX - u64::from(*back), apply_seq(0, *seq)),
        IdArg::Raw(r) => return Err(r.clone()),
    })
}

fn spell(spec: &IdSpec, s: Option<&StreamModel>) -> Vec<u8> {
    let IdSpec(arg, style) = spec;
    let (ms, seq) = match resolve_id(arg, s) {
        Ok(id) => id,
        Err(raw) => return raw.into_bytes(),
    };
    spell_id((ms, seq), *style)
}

fn bound_arg(b: &Bound, s: Option<&StreamModel>) -> Vec<u8> {
    match b {
        Bound::Min => b"-".to_vec(),
        Bound::Max => b"+".to_vec(),
        Bound::Id { id, exclusive } => {
            let mut out = if *exclusive {
                b"(".to_vec()
            } else {
                Vec::new()
            };
            out.extend(spell(id, s));
            out
        }
    }
}

fn trim_args(t: &TrimOp, s: Option<&StreamModel>) -> TrimArgs {
    let threshold = match &t.threshold {
        Threshold::MaxLen(n) => TrimThreshold::MaxLen(*n),
        Threshold::MaxLenBelowLen(d) => {
            let len = s.map_or(0, StreamModel::len) as i64;
            TrimThreshold::MaxLen((len - i64::from(*d)).max(0))
        }
        Threshold::MinId(spec) => TrimThreshold::MinId(spell(spec, s)),
    };
    TrimArgs {
        threshold,
        approx: t.approx,
        explicit_eq: t.explicit_eq,
        limit: t.limit,
    }
}

fn show_argv(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|a| {
            let s = String::from_utf8_lossy(&a[..a.len().min(40)]).into_owned();
            if a.len() > 40 {
                format!("{s:?}…({} bytes)", a.len())
            } else {
                format!("{s:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn show_resp(bytes: &[u8]) -> String {
    match parse_frame(bytes) {
        Ok(Some((f, n))) if n == bytes.len() => {
            let s = f.to_string();
            if s.chars().count() > 600 {
                format!("{}…", s.chars().take(600).collect::<String>())
            } else {
                s
            }
        }
        other => format!(
            "<unparsable {other:?}: {:?}>",
            String::from_utf8_lossy(bytes)
        ),
    }
}

fn execute(ks: &mut Keyspace, argv: &[Vec<u8>], now: u64) -> Reply {
    let argv: Vec<Bytes> = argv.iter().map(|a| Bytes::copy_from_slice(a)).collect();
    ks.execute(&argv, now)
}

/// The engine's reply must be byte-identical to the model's, in both protocols.
fn compare_reply(argv: &[Vec<u8>], got: &Reply, want: &ModelReply) -> Result<(), String> {
    for (proto, resp3) in [(Protocol::Resp2, false), (Protocol::Resp3, true)] {
        let got = got.to_resp(proto);
        let want = encode_frame(&want.to_frame(resp3));
        if got != want {
            return Err(format!(
                "{}: {proto:?} reply differs\n  engine: {}\n  model:  {}",
                show_argv(argv),
                show_resp(&got),
                show_resp(&want)
            ));
        }
    }
    Ok(())
}

fn to_model_entry(e: &StreamEntry) -> Entry {
    (
        (e.id.ms, e.id.seq),
        e.fields
            .iter()
            .map(|(f, v)| (f.to_vec(), v.to_vec()))
            .collect(),
    )
}

fn sid(id: StreamId) -> Id {
    (id.ms, id.seq)
}

fn engine_ids(ks: &Keyspace, key: &[u8]) -> Vec<Id> {
    ks.xrange(key, StreamId::MIN, StreamId::MAX, None)
        .unwrap_or_default()
        .iter()
        .map(|e| sid(e.id))
        .collect()
}

/// Everything observable about every key must agree with the model.
fn compare_state(ks: &Keyspace, m: &KeyspaceModel) -> Result<(), String> {
    ks.check()
        .map_err(|e| format!("Keyspace::check failed: {e}"))?;
    if ks.len() != m.keys.len() {
        return Err(format!(
            "DBSIZE {} but the model has {} keys",
            ks.len(),
            m.keys.len()
        ));
    }
    for key in ALL_KEYS {
        let name = String::from_utf8_lossy(key);
        let want_type = match m.keys.get(key) {
            None => "none",
            Some(ModelValue::String(_)) => "string",
            Some(ModelValue::Stream(_)) => "stream",
        };
        let got_type = ks.key_type(key).name();
        if got_type != want_type {
            return Err(format!("{name}: type {got_type}, model {want_type}"));
        }
        let Some(s) = model_stream(m, key) else {
            continue;
        };
        let info = ks
            .xinfo_stream(key, 0)
            .map_err(|e| format!("{name}: XINFO STREAM failed: {e}"))?;
        let sum = &info.summary;
        let got = (
            sum.length,
            sid(sum.last_generated_id),
            sum.entries_added,
            sid(sum.max_deleted_entry_id),
            sid(sum.recorded_first_entry_id),
        );
        let want = (
            s.len(),
            s.last_id,
            s.entries_added,
            s.max_deleted_entry_id,
            s.first_id,
        );
        if got != want {
            return Err(format!(
                "{name}: (length, last-generated-id, entries-added, max-deleted-entry-id, \
                 recorded-first-entry-id) = {got:?}, model {want:?}"
            ));
        }
        let first = info.first_entry.as_ref().map(to_model_entry);
        let last = info.last_entry.as_ref().map(to_model_entry);
        if first != s.first_entry() || last != s.last_entry() {
            return Err(format!(
                "{name}: first/last entry {:?}/{:?}, model {:?}/{:?}",
                first.map(|e| e.0),
                last.map(|e| e.0),
                s.first_entry().map(|e| e.0),
                s.last_entry().map(|e| e.0)
            ));
        }
        let all: Vec<Entry> = ks
            .xrange(key, StreamId::MIN, StreamId::MAX, None)
            .map_err(|e| format!("{name}: XRANGE failed: {e}"))?
            .iter()
            .map(to_model_entry)
            .collect();
        let want_all: Vec<Entry> = s.entries.iter().map(|(k, v)| (*k, v.clone())).collect();
        if all != want_all {
            let got_ids: Vec<String> = all.iter().map(|e| format_id(e.0)).collect();
            let want_ids: Vec<String> = want_all.iter().map(|e| format_id(e.0)).collect();
            return Err(format!(
                "{name}: contents differ\n  engine: {got_ids:?}\n  model:  {want_ids:?}"
            ));
        }
    }
    Ok(())
}

/// Sends `cmd` to the engine, predicts it with the model, and compares the replies
/// (settling approximate trims against the model's bound).
fn run_command(
    ks: &mut Keyspace,
    m: &mut KeyspaceModel,
    cmd: &Command,
    now: u64,
) -> Result<(), String> {
    let argv = cmd.to_argv();
    let max_entries = ks.config().node_limits.max_entries;
    let got = execute(ks, &argv, now);
    let settle_err = |e: String| format!("{}: {e}", show_argv(&argv));
    match m.apply(cmd, now, max_entries) {
        Expected::Reply(want) => compare_reply(&argv, &got, &want),
        Expected::ReplyThenSettle(want, p) => {
            compare_reply(&argv, &got, &want)?;
            m.settle(&p, &engine_ids(ks, &p.key), None)
                .map(|_| ())
                .map_err(settle_err)
        }
        Expected::ApproxTrim(p) => {
            let Reply::Integer(k) = got else {
                return Err(settle_err(format!(
                    "~ trim replied {}",
                    show_resp(&got.to_resp(Protocol::Resp2))
                )));
            };
            let reported = u64::try_from(k).map_err(|_| settle_err(format!("reply {k}")))?;
            m.settle(&p, &engine_ids(ks, &p.key), Some(reported))
                .map_err(settle_err)?;
            compare_reply(&argv, &got, &ModelReply::Integer(k))
        }
    }
}

/// Resolves an operation against the model's current state into a command.
fn command(m: &KeyspaceModel, op: &Op) -> Option<Command> {
    Some(match op {
        Op::XAdd {
            key,
            nomkstream,
            trim,
            id,
            fields,
            tick: _,
        } => {
            let key = key_name(*key);
            let s = model_stream(m, key);
            let id = match id {
                AddIdArg::Star => b"*".to_vec(),
                AddIdArg::MsStar(a) => match resolve_id(a, s) {
                    Ok((ms, _)) => format!("{ms}-*").into_bytes(),
                    Err(raw) => raw.into_bytes(),
                },
                AddIdArg::Explicit(spec) => spell(spec, s),
            };
            Command::XAdd {
                key: key.to_vec(),
                nomkstream: *nomkstream,
                trim: trim.as_ref().map(|t| trim_args(t, s)),
                id,
                fields: fields.clone(),
            }
        }
        Op::XDel { key, ids } => {
            let key = key_name(*key);
            let s = model_stream(m, key);
            Command::XDel {
                key: key.to_vec(),
                ids: ids.iter().map(|i| spell(i, s)).collect(),
            }
        }
        Op::XTrim { key, trim } => {
            let key = key_name(*key);
            Command::XTrim {
                key: key.to_vec(),
                trim: trim_args(trim, model_stream(m, key)),
            }
        }
        Op::XSetId {
            key,
            last,
            entries_added,
            max_deleted,
        } => {
            let key = key_name(*key);
            let s = model_stream(m, key);
            Command::XSetId {
                key: key.to_vec(),
                last: spell(last, s),
                entries_added: entries_added.as_ref().map(|e| match e {
                    EntriesAdded::Abs(n) => *n,
                    EntriesAdded::LenPlus(d) => {
                        s.map_or(0, StreamModel::len) as i64 + i64::from(*d)
                    }
                }),
                max_deleted: max_deleted.as_ref().map(|i| spell(i, s)),
            }
        }
        Op::XRange {
            key,
            rev,
            start,
            end,
            count,
        } => {
            let key = key_name(*key);
            let s = model_stream(m, key);
            Command::XRange {
                key: key.to_vec(),
                rev: *rev,
                start: bound_arg(start, s),
                end: bound_arg(end, s),
                count: *count,
            }
        }
        Op::XRead { streams, count } => Command::XRead {
            streams: streams
                .iter()
                .map(|(k, r)| {
                    let key = key_name(*k);
                    let id = match r {
                        ReadArg::Dollar => b"$".to_vec(),
                        ReadArg::Plus => b"+".to_vec(),
                        ReadArg::Gt => b">".to_vec(),
                        ReadArg::Id(spec) => spell(spec, model_stream(m, key)),
                    };
                    (key.to_vec(), id)
                })
                .collect(),
            count: *count,
        },
        Op::XLen { key } => Command::XLen {
            key: key_name(*key).to_vec(),
        },
        Op::Del { key } => Command::Del {
            key: key_name(*key).to_vec(),
        },
        Op::Limits { .. } => return None,
    })
}

/// Runs one step on both sides and compares the replies.
fn step(ks: &mut Keyspace, m: &mut KeyspaceModel, op: &Op, now: &mut u64) -> Result<(), String> {
    match op {
        Op::Limits {
            max_bytes,
            max_entries,
        } => {
            ks.config_mut().node_limits = NodeLimits {
                max_bytes: *max_bytes,
                max_entries: *max_entries,
            };
            Ok(())
        }
        Op::XAdd { tick, .. } => {
            *now = now.saturating_add_signed(*tick);
            let cmd = command(m, op).expect("XADD is a command");
            run_command(ks, m, &cmd, *now)
        }
        _ => {
            let cmd = command(m, op).expect("not a config change");
            run_command(ks, m, &cmd, *now)
        }
    }
}

fn run_ops(initial: (u64, u64), ops: &[Op]) -> Result<(), TestCaseError> {
    let mut ks = Keyspace::new();
    ks.config_mut().node_limits = NodeLimits {
        max_bytes: initial.0,
        max_entries: initial.1,
    };
    let mut m = KeyspaceModel::new();
    let set = Command::Set {
        key: STRING_KEY.to_vec(),
        value: b"x".to_vec(),
    };
    run_command(&mut ks, &mut m, &set, START_MS).map_err(TestCaseError::fail)?;
    let mut now = START_MS;
    for (i, op) in ops.iter().enumerate() {
        step(&mut ks, &mut m, op, &mut now)
            .and_then(|()| compare_state(&ks, &m))
            .map_err(|e| TestCaseError::fail(format!("step {i} ({op:?}): {e}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    /// Property 1: every reply and every observable counter matches the model.
    #[test]
    fn engine_matches_model(
        initial in limits(),
        ops in prop::collection::vec(op(), 1..=200),
    ) {
        run_ops(initial, &ops)?;
    }
}

// ---------------------------------------------------------------------------------
// Properties 2 and 3: node layout (reference §1.6, §3.2)
// ---------------------------------------------------------------------------------

/// `stream-node-max-bytes` as Redis uses it: 0 or more than 1 GiB means 1 GiB.
fn effective_max_bytes(max_bytes: u64) -> u64 {
    if max_bytes == 0 || max_bytes > 1 << 30 {
        1 << 30
    } else {
        max_bytes
    }
}

/// Listpack size arithmetic, written from §1.6 (independent of the engine's lpsize).
mod lp {
    /// Bytes of the back-length field for an element whose encoding is `enc` bytes.
    fn backlen(enc: u64) -> u64 {
        match enc {
            0..=127 => 1,
            128..=16382 => 2,
            16383..=2097150 => 3,
            2097151..=268435454 => 4,
            _ => 5,
        }
    }

    /// Encoded bytes of an integer element (without back-length).
    fn int_enc(v: i64) -> u64 {
        match v {
            0..=127 => 1,
            -4096..=4095 => 2,
            -32768..=32767 => 3,
            -8388608..=8388607 => 4,
            -2147483648..=2147483647 => 5,
            _ => 9,
        }
    }

    /// `0` or `-?[1-9][0-9]*`, at most 20 characters, within i64.
    fn as_int(s: &[u8]) -> Option<i64> {
        if s.is_empty() || s.len() > 20 {
            return None;
        }
        if s == b"0" {
            return Some(0);
        }
        let digits = s.strip_prefix(b"-").unwrap_or(s);
        if digits.first().is_none_or(|d| !(b'1'..=b'9').contains(d))
            || !digits.iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse::<i64>().ok()
    }

    /// Full size (encoding + back-length) of an integer element.
    pub fn int(v: i64) -> u64 {
        let e = int_enc(v);
        e + backlen(e)
    }

    /// Full size of a string element (stored as an integer when it is one).
    pub fn string(s: &[u8]) -> u64 {
        if let Some(v) = as_int(s) {
            return int(v);
        }
        let len = s.len() as u64;
        let e = match len {
            0..=63 => 1 + len,
            64..=4095 => 2 + len,
            _ => 5 + len,
        };
        e + backlen(e)
    }
}

#[derive(Clone, Debug)]
struct LEntry {
    id: Id,
    fields: Fields,
    deleted: bool,
}

#[derive(Clone, Debug)]
struct LNode {
    master: Id,
    master_fields: Vec<Vec<u8>>,
    entries: Vec<LEntry>,
}

impl LNode {
    fn live(&self) -> u64 {
        self.entries.iter().filter(|e| !e.deleted).count() as u64
    }

    fn last(&self) -> Id {
        self.entries.last().map_or(self.master, |e| e.id)
    }

    /// The listpack's total bytes, from §1.6.
    fn lp_bytes(&self) -> u64 {
        let deleted = self.entries.len() as u64 - self.live();
        let mut total = 7;
        total += lp::int(self.live() as i64) + lp::int(deleted as i64);
        total += lp::int(self.master_fields.len() as i64);
        total += self
            .master_fields
            .iter()
            .map(|f| lp::string(f))
            .sum::<u64>();
        total += lp::int(0);
        for e in &self.entries {
            let same = e.fields.len() == self.master_fields.len()
                && e.fields
                    .iter()
                    .zip(&self.master_fields)
                    .all(|((f, _), mf)| f == mf);
            let n = e.fields.len() as i64;
            let flags = i64::from(e.deleted) | if same { 2 } else { 0 };
            total += lp::int(flags);
            total += lp::int(e.id.0.wrapping_sub(self.master.0) as i64);
            total += lp::int(e.id.1.wrapping_sub(self.master.1) as i64);
            if same {
                total += e.fields.iter().map(|(_, v)| lp::string(v)).sum::<u64>();
                total += lp::int(n + 3);
            } else {
                total += lp::int(n);
                total += e
                    .fields
                    .iter()
                    .map(|(f, v)| lp::string(f) + lp::string(v))
                    .sum::<u64>();
                total += lp::int(2 * n + 4);
            }
        }
        total
    }
}

/// The node layout Redis would have for a stream (KEEPREF only).
#[derive(Clone, Debug, Default)]
struct Layout {
    nodes: Vec<LNode>,
    length: u64,
}

impl Layout {
    fn append(&mut self, id: Id, fields: &Fields, limits: (u64, u64)) {
        let (max_bytes, max_entries) = limits;
        let totelelen: u64 = fields.iter().map(|(f, v)| (f.len() + v.len()) as u64).sum();
        let new_node = match self.nodes.last() {
            None => true,
            Some(tail) => {
                tail.lp_bytes() + totelelen >= effective_max_bytes(max_bytes)
                    || (max_entries != 0 && tail.entries.len() as u64 >= max_entries)
            }
        };
        if new_node {
            self.nodes.push(LNode {
                master: id,
                master_fields: fields.iter().map(|(f, _)| f.clone()).collect(),
                entries: Vec::new(),
            });
        }
        let Some(tail) = self.nodes.last_mut() else {
            unreachable!("a node was just ensured");
        };
        tail.entries.push(LEntry {
            id,
            fields: fields.clone(),
            deleted: false,
        });
        self.length += 1;
    }

    fn live_ids(&self) -> Vec<Id> {
        self.nodes
            .iter()
            .flat_map(|n| n.entries.iter().filter(|e| !e.deleted).map(|e| e.id))
            .collect()
    }

    /// XDEL: tombstone, or drop the node when its last live entry goes (§1.6).
    fn delete(&mut self, id: Id) -> bool {
        for i in 0..self.nodes.len() {
            let node = &mut self.nodes[i];
            if let Some(pos) = node.entries.iter().position(|e| e.id == id && !e.deleted) {
                if node.live() == 1 {
                    self.nodes.remove(i);
                } else {
                    node.entries[pos].deleted = true;
                }
                self.length -= 1;
                return true;
            }
        }
        false
    }

    /// §3.2 with KEEPREF. Returns the number of entries removed.
    fn trim(&mut self, maxlen: Option<u64>, minid: Option<Id>, approx: bool, limit: u64) -> u64 {
        let mut removed = 0;
        while let Some(node) = self.nodes.first_mut() {
            let live = node.live();
            if let Some(n) = maxlen {
                if self.length <= n {
                    break;
                }
            }
            if limit != 0 && removed + live > limit {
                break;
            }
            let eligible = match (maxlen, minid) {
                (Some(n), _) => self.length - live >= n,
                (None, Some(min)) => node.last() < min,
                (None, None) => unreachable!("a strategy is always given"),
            };
            if eligible {
                self.nodes.remove(0);
                self.length -= live;
                removed += live;
                continue;
            }
            if approx {
                break;
            }
            for e in node.entries.iter_mut().filter(|e| !e.deleted) {
                let stop = match (maxlen, minid) {
                    (Some(n), _) => self.length <= n,
                    (None, Some(min)) => e.id >= min,
                    (None, None) => unreachable!(),
                };
                if stop {
                    break;
                }
                e.deleted = true;
                self.length -= 1;
                removed += 1;
            }
            break;
        }
        removed
    }

    /// The node keys (master IDs) as 128-bit numbers, i.e. 16-byte big-endian strings.
    fn keys(&self) -> Vec<u128> {
        self.nodes
            .iter()
            .map(|n| (u128::from(n.master.0) << 64) | u128::from(n.master.1))
            .collect()
    }

    /// `radix-tree-nodes` by the §1.6 trie rule. In a trie over sorted keys the
    /// branching positions are exactly the longest common prefixes of neighbouring
    /// keys, and every child of a branching position starts one of those neighbours,
    /// so the set is the root, the keys, and for each neighbour pair their common
    /// prefix and both one-byte extensions of it (a position is (depth, prefix)).
    fn rax_nodes(&self) -> u64 {
        rax_nodes_sorted(&self.keys())
    }
}

/// The first `d` bytes of a 16-byte key.
fn trie_pos(k: u128, d: u32) -> (u32, u128) {
    (d, if d == 0 { 0 } else { k >> (8 * (16 - d)) })
}

fn rax_nodes_sorted(keys: &[u128]) -> u64 {
    let mut positions = std::collections::BTreeSet::new();
    positions.insert(trie_pos(0, 0));
    for &k in keys {
        positions.insert(trie_pos(k, 16));
    }
    for w in keys.windows(2) {
        let lcp = (w[0] ^ w[1]).leading_zeros() / 8;
        positions.insert(trie_pos(w[0], lcp));
        positions.insert(trie_pos(w[0], lcp + 1));
        positions.insert(trie_pos(w[1], lcp + 1));
    }
    positions.len() as u64
}

/// The §1.6 rule taken literally (for checking [`rax_nodes_sorted`]): every trie
/// position with its set of child bytes, then root ∪ keys ∪ branching ∪ their children.
fn rax_nodes_by_definition(keys: &[u128]) -> u64 {
    use std::collections::{BTreeMap, BTreeSet};
    let mut children: BTreeMap<(u32, u128), BTreeSet<u8>> = BTreeMap::new();
    for &k in keys {
        for d in 0..16 {
            let byte = (k >> (8 * (15 - d))) as u8;
            children.entry(trie_pos(k, d)).or_default().insert(byte);
        }
    }
    let branching = |k: u128, d: u32| children.get(&trie_pos(k, d)).is_some_and(|c| c.len() >= 2);
    let mut positions = BTreeSet::new();
    positions.insert(trie_pos(0, 0));
    for &k in keys {
        positions.insert(trie_pos(k, 16));
        for d in 1..16 {
            if branching(k, d) || branching(k, d - 1) {
                positions.insert(trie_pos(k, d));
            }
        }
    }
    positions.len() as u64
}

impl Layout {}

#[derive(Clone, Debug)]
enum NodeOp {
    Append {
        dms: u64,
        seq: u64,
        fields: Fields,
        /// Before appending, set `stream-node-max-bytes` to the predicted
        /// `lp_bytes(tail) + Σ(field+value)` plus this (−1, 0, 1): the decision then
        /// flips on any one-byte error in the size calculation.
        probe: Option<i8>,
    },
    Limits(u64, u64),
    Del(Vec<Index>),
    Trim {
        maxlen: Option<u8>,
        minid: Index,
        approx: bool,
        limit: Option<u8>,
    },
}

fn node_value() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => (0i64..128).prop_map(|n| n.to_string().into_bytes()),
        2 => (-4096i64..4096).prop_map(|n| n.to_string().into_bytes()),
        1 => (-32768i64..32768).prop_map(|n| n.to_string().into_bytes()),
        1 => (-8388608i64..8388608).prop_map(|n| n.to_string().into_bytes()),
        1 => any::<i32>().prop_map(|n| n.to_string().into_bytes()),
        1 => any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        2 => prop::sample::select(EDGE_INTS).prop_map(|s| s.as_bytes().to_vec()),
        3 => prop::collection::vec(b'a'..=b'z', 0..70),
        1 => (64usize..300, b'a'..=b'z').prop_map(|(n, c)| vec![c; n]),
        1 => (4000usize..4200, b'a'..=b'z').prop_map(|(n, c)| vec![c; n]),
    ]
    .boxed()
}

fn node_fields() -> BoxedStrategy<Fields> {
    field_sets(node_value(), 4, 1, 5)
}

fn append_op() -> BoxedStrategy<NodeOp> {
    let dms = prop_oneof![
        6 => Just(0u64),
        3 => 1u64..3,
        1 => Just(130u64),
        1 => Just(70_000u64),
        1 => Just(1u64 << 40),
    ];
    let seq = prop_oneof![
        4 => Just(0u64),
        2 => 1u64..3,
        1 => Just(200u64),
        1 => Just(40_000u64),
        1 => Just(1u64 << 40),
    ];
    let probe = prop::option::weighted(0.3, -1i8..=1);
    (dms, seq, node_fields(), probe)
        .prop_map(|(dms, seq, fields, probe)| NodeOp::Append {
            dms,
            seq,
            fields,
            probe,
        })
        .boxed()
}

fn append_only_op() -> BoxedStrategy<NodeOp> {
    prop_oneof![
        20 => append_op(),
        1 => limits().prop_map(|(b, e)| NodeOp::Limits(b, e)),
    ]
    .boxed()
}

fn layout_op() -> BoxedStrategy<NodeOp> {
    prop_oneof![
        14 => append_op(),
        1 => limits().prop_map(|(b, e)| NodeOp::Limits(b, e)),
        3 => prop::collection::vec(any::<Index>(), 1..4).prop_map(NodeOp::Del),
        3 => (
            prop::option::of(0u8..20),
            any::<Index>(),
            any::<bool>(),
            prop::option::weighted(0.4, 0u8..12),
        )
            .prop_map(|(maxlen, minid, approx, limit)| NodeOp::Trim {
                maxlen,
                minid,
                approx,
                limit: if approx { limit } else { None },
            }),
    ]
    .boxed()
}

fn execute_str(ks: &mut Keyspace, argv: &[String]) -> Reply {
    let argv: Vec<Bytes> = argv
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    ks.execute(&argv, START_MS)
}

fn check_layout(ks: &Keyspace, layout: &Layout) -> Result<(), String> {
    ks.check()
        .map_err(|e| format!("Keyspace::check failed: {e}"))?;
    let Ok(info) = ks.xinfo_stream(b"s", 0) else {
        return if layout.nodes.is_empty() {
            Ok(())
        } else {
            Err("the stream is missing".to_string())
        };
    };
    let got = (
        info.summary.radix_tree_keys,
        info.summary.radix_tree_nodes,
        info.summary.length,
    );
    let want = (layout.nodes.len() as u64, layout.rax_nodes(), layout.length);
    if got != want {
        let sizes: Vec<(u64, u64)> = layout
            .nodes
            .iter()
            .map(|n| (n.entries.len() as u64, n.lp_bytes()))
            .collect();
        return Err(format!(
            "(radix-tree-keys, radix-tree-nodes, length) = {got:?}, predicted {want:?}; \
             predicted nodes (entries, lp bytes): {sizes:?}"
        ));
    }
    let ids = engine_ids(ks, b"s");
    if ids != layout.live_ids() {
        return Err("live entries differ from the layout model".to_string());
    }
    Ok(())
}

fn run_layout(initial: (u64, u64), ops: &[NodeOp]) -> Result<(), TestCaseError> {
    let mut ks = Keyspace::new();
    let mut limits = initial;
    ks.config_mut().node_limits = NodeLimits {
        max_bytes: limits.0,
        max_entries: limits.1,
    };
    let mut layout = Layout::default();
    let mut last: Id = (1, 0);
    for (i, op) in ops.iter().enumerate() {
        let res = (|| -> Result<(), String> {
            match op {
                NodeOp::Append {
                    dms,
                    seq,
                    fields,
                    probe,
                } => {
                    if let (Some(d), Some(tail)) = (probe, layout.nodes.last()) {
                        let totelelen: u64 =
                            fields.iter().map(|(f, v)| (f.len() + v.len()) as u64).sum();
                        limits.0 =
                            (tail.lp_bytes() + totelelen).saturating_add_signed(i64::from(*d));
                        ks.config_mut().node_limits.max_bytes = limits.0;
                    }
                    let id = if *dms == 0 {
                        (last.0, last.1 + 1 + seq % 3)
                    } else {
                        (last.0 + dms, *seq)
                    };
                    let mut raw = vec![b"XADD".to_vec(), b"s".to_vec(), format_id(id).into_bytes()];
                    for (f, v) in fields {
                        raw.push(f.clone());
                        raw.push(v.clone());
                    }
                    let got = execute(&mut ks, &raw, START_MS);
                    compare_reply(&raw, &got, &ModelReply::Id(id))?;
                    layout.append(id, fields, limits);
                    last = id;
                }
                NodeOp::Limits(b, e) => {
                    limits = (*b, *e);
                    ks.config_mut().node_limits = NodeLimits {
                        max_bytes: *b,
                        max_entries: *e,
                    };
                }
                NodeOp::Del(picks) => {
                    let ids = layout.live_ids();
                    let chosen: Vec<Id> = picks
                        .iter()
                        .map(|ix| {
                            if ids.is_empty() {
                                (0, 1)
                            } else {
                                ids[ix.index(ids.len())]
                            }
                        })
                        .collect();
                    let mut argv = vec!["XDEL".to_string(), "s".to_string()];
                    argv.extend(chosen.iter().map(|id| format_id(*id)));
                    let got = execute_str(&mut ks, &argv);
                    let n = chosen.iter().filter(|id| layout.delete(**id)).count();
                    let raw: Vec<Vec<u8>> = argv.iter().map(|a| a.clone().into_bytes()).collect();
                    compare_reply(&raw, &got, &ModelReply::Integer(n as i64))?;
                }
                NodeOp::Trim {
                    maxlen,
                    minid,
                    approx,
                    limit,
                } => {
                    let ids = layout.live_ids();
                    let min = if ids.is_empty() {
                        (0, 1)
                    } else {
                        let mut m = ids[minid.index(ids.len())];
                        if minid.index(4) == 0 {
                            m = model::id_succ(m).unwrap_or(m);
                        }
                        m
                    };
                    let mut argv = vec!["XTRIM".to_string(), "s".to_string()];
                    match maxlen {
                        Some(n) => argv.extend(["MAXLEN".to_string(), n.to_string()]),
                        None => argv.extend(["MINID".to_string(), format_id(min)]),
                    }
                    argv.insert(3, if *approx { "~" } else { "=" }.to_string());
                    if let Some(l) = limit {
                        argv.extend(["LIMIT".to_string(), l.to_string()]);
                    }
                    let eff = model::Trim {
                        spec: model::TrimSpec::MaxLen(0),
                        approx: *approx,
                        limit: limit.map(u64::from),
                    }
                    .effective_limit(limits.1);
                    let got = execute_str(&mut ks, &argv);
                    let n = layout.trim(maxlen.map(u64::from), Some(min), *approx, eff);
                    let raw: Vec<Vec<u8>> = argv.iter().map(|a| a.clone().into_bytes()).collect();
                    compare_reply(&raw, &got, &ModelReply::Integer(n as i64))?;
                }
            }
            check_layout(&ks, &layout)
        })();
        res.map_err(|e| TestCaseError::fail(format!("step {i} ({op:?}): {e}")))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    /// Property 2: with random node limits and appends only, node boundaries follow
    /// Redis's rule (§1.6) exactly.
    #[test]
    fn node_boundaries_follow_redis_rule(
        initial in limits(),
        ops in prop::collection::vec(append_only_op(), 1..=200),
    ) {
        run_layout(initial, &ops)?;
    }

    /// Property 3: with XDEL and exact / approximate trims as well, the node layout and
    /// every trim's reply follow §1.6 and §3.2 exactly.
    #[test]
    fn node_layout_with_deletes_and_trims(
        initial in limits(),
        ops in prop::collection::vec(layout_op(), 1..=200),
    ) {
        run_layout(initial, &ops)?;
    }
}

/// The fast rax count agrees with the literal definition on random key sets.
#[test]
fn rax_count_matches_definition() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..300 {
        let n = (next() % 40) as usize;
        let mut keys: Vec<u128> = (0..n)
            .map(|_| {
                // Mostly keys that share long prefixes, as stream IDs do.
                let ms = (next() % 4).wrapping_add(if next() % 4 == 0 { next() } else { 0 });
                let seq = (next() % 300).wrapping_add(if next() % 8 == 0 { next() } else { 0 });
                (u128::from(ms) << 64) | u128::from(seq)
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(
            rax_nodes_sorted(&keys),
            rax_nodes_by_definition(&keys),
            "{keys:x?}"
        );
    }
}

/// The layout model itself, on the reference's worked examples.
#[test]
fn layout_model_matches_reference_examples() {
    // §1.6: keys 1-1, 1-6, 1-11, 1-16, 1-21 give 7 rax nodes; empty 1; one key 2.
    let mut l = Layout::default();
    assert_eq!(l.rax_nodes(), 1);
    let f: Fields = vec![(b"f".to_vec(), b"v".to_vec())];
    for seq in 1..=23 {
        l.append((1, seq), &f, (4096, 5));
    }
    assert_eq!(l.nodes.len(), 5);
    assert_eq!(l.rax_nodes(), 7);
    // §3.4 walk-through.
    let t = |l: &mut Layout, maxlen: Option<u64>, minid: Option<Id>, approx: bool, limit| {
        l.trim(maxlen, minid, approx, limit)
    };
    assert_eq!(t(&mut l, Some(12), None, true, 500), 10);
    assert_eq!(t(&mut l, Some(12), None, true, 500), 0);
    assert_eq!(t(&mut l, Some(12), None, false, 0), 1);
    assert_eq!(l.nodes.len(), 3);
    assert_eq!(t(&mut l, Some(9), None, true, 500), 0);
    assert_eq!(t(&mut l, Some(0), None, true, 5), 4);
    assert_eq!(t(&mut l, None, Some((1, 19)), true, 500), 0);
    assert_eq!(t(&mut l, None, Some((1, 21)), true, 500), 5);
    assert_eq!(t(&mut l, None, Some((1, 22)), false, 0), 1);
    assert_eq!(t(&mut l, Some(0), None, false, 0), 2);
    assert_eq!((l.nodes.len(), l.rax_nodes()), (0, 1));
    // A single entry "f"/"v": 7 (header, terminator) + count, deleted, numfields (2 each)
    // + "f" (1+1 enc, 1 backlen) + master terminator 0 (2) + flags, ms, seq (2 each)
    // + "v" (3) + lp-count (2) = 29.
    let mut one = Layout::default();
    one.append((1, 1), &f, (4096, 100));
    assert_eq!(one.nodes[0].lp_bytes(), 29);
}

/// Regression for a finding of `engine_matches_model`: XSETID may move
/// last-generated-id below an XDEL tombstone (after MAXDELETEDID lowered
/// max-deleted-entry-id), and the next XADD then lands after that larger tombstone.
/// Redis accepts all of it; the replies below were observed live on Redis 7.0.15 (and
/// Valkey 9.1 agrees). brook once panicked here (delta encoding assumed increasing IDs
/// within a node); it now stores such an entry with its absolute ID.
#[test]
fn xsetid_below_a_tombstone_then_xadd() {
    let mut ks = Keyspace::new();
    let fv = |v: &str| vec![(b"f".to_vec(), v.as_bytes().to_vec())];
    let steps: Vec<(&[&str], ModelReply)> = vec![
        (&["XADD", "s", "1-1", "f", "v"], ModelReply::Id((1, 1))),
        (&["XADD", "s", "5-5", "f", "v"], ModelReply::Id((5, 5))),
        (&["XDEL", "s", "5-5"], ModelReply::Integer(1)),
        (
            &["XSETID", "s", "5-5", "MAXDELETEDID", "0-1"],
            ModelReply::Ok,
        ),
        (&["XSETID", "s", "3-0"], ModelReply::Ok),
        (&["XADD", "s", "4-0", "f", "v"], ModelReply::Id((4, 0))),
        (
            &["XRANGE", "s", "-", "+"],
            ModelReply::Entries(vec![((1, 1), fv("v")), ((4, 0), fv("v"))]),
        ),
        (
            &["XRANGE", "s", "4", "4"],
            ModelReply::Entries(vec![((4, 0), fv("v"))]),
        ),
        (
            &["XREVRANGE", "s", "+", "-"],
            ModelReply::Entries(vec![((4, 0), fv("v")), ((1, 1), fv("v"))]),
        ),
        (&["XLEN", "s"], ModelReply::Integer(2)),
        (&["XADD", "s", "5-5", "f", "v2"], ModelReply::Id((5, 5))),
        (&["XTRIM", "s", "MINID", "5-0"], ModelReply::Integer(1)),
        (
            &["XRANGE", "s", "-", "+"],
            ModelReply::Entries(vec![((4, 0), fv("v")), ((5, 5), fv("v2"))]),
        ),
    ];
    for (argv, want) in steps {
        let raw: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
        let got = execute(&mut ks, &raw, START_MS);
        if let Err(e) = compare_reply(&raw, &got, &want) {
            panic!("{e}");
        }
        if let Err(e) = ks.check() {
            panic!("Keyspace::check failed after {argv:?}: {e}");
        }
    }
    let sum = ks.xinfo_stream(b"s", 0).expect("a stream").summary;
    assert_eq!(
        (
            sum.length,
            sid(sum.last_generated_id),
            sid(sum.max_deleted_entry_id),
            sum.entries_added,
            sid(sum.recorded_first_entry_id),
        ),
        (2, (5, 5), (0, 1), 4, (4, 0))
    );
}
