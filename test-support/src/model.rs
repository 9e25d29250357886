//! A plain, independent model of Redis streams for property tests and fuzzers.
//!
//! Everything here is written from the behavioural reference
//! (`REDIS-STREAMS.md` §1.3–§10), **not** from brook-engine's implementation, so that
//! comparing the two finds bugs in either. The model is deliberately naive: a stream is
//! a [`BTreeMap`] from ID to field/value pairs plus the four counters Redis reports
//! (§1.4); there are no nodes, no listpacks and no radix tree.
//!
//! * ID parsing ([`parse_strict`], [`parse_range_start`], [`parse_range_end`],
//!   [`parse_xadd_id`]) follows §1.3, including the C-string consequences of Redis
//!   copying the argument into a 128-byte buffer (only the bytes before the first NUL
//!   are looked at; the 127-byte limit counts every byte) and C `strtoull`'s rules.
//! * [`StreamModel`] holds one stream and implements XADD's ID generation (§2.2),
//!   exact trimming (§3), XDEL (§7), XSETID's checks (§9), ranges (§5) and reads (§10.2).
//! * [`KeyspaceModel`] adds keys (missing keys, a string key for WRONGTYPE) and the
//!   command-level error order of each command, answering with a [`ModelReply`] that
//!   renders to the RESP2/RESP3 [`Frame`] Redis would send.
//!
//! Approximate trimming (`~`) removes whole nodes (§3.2), which depends on the node
//! layout the model does not have. For `~` the model only *bounds* the result — the
//! removed entries are a prefix of the stream, no more than exact trimming would remove,
//! and at most LIMIT — see [`StreamModel::check_approx_trim`] and
//! [`KeyspaceModel::settle`], which checks the engine's result against the bound and then
//! applies it to the model. The same bound is used for the one exact trim that depends on
//! the layout, too: MINID after XSETID moved last-generated-id below an XDEL tombstone
//! ([`StreamModel::minid_is_layout_dependent`], a Redis behaviour verified live).

use std::collections::BTreeMap;

use crate::resp::Frame;

/// A stream ID as `(ms, seq)`; tuples order exactly as Redis orders IDs.
pub type Id = (u64, u64);
/// Field/value pairs of one entry, in insertion order (duplicates kept).
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;
/// One live entry.
pub type Entry = (Id, Fields);

/// `0-0`, the value of `-`.
pub const MIN_ID: Id = (0, 0);
/// `18446744073709551615-18446744073709551615`, the value of `+`.
pub const MAX_ID: Id = (u64::MAX, u64::MAX);

/// The ID after `id` (seq + 1, or (ms + 1)-0 on overflow); `None` after the maximum.
pub fn id_succ(id: Id) -> Option<Id> {
    match id {
        (ms, seq) if seq < u64::MAX => Some((ms, seq + 1)),
        (ms, _) if ms < u64::MAX => Some((ms + 1, 0)),
        _ => None,
    }
}

/// The ID before `id`; `None` before 0-0.
pub fn id_pred(id: Id) -> Option<Id> {
    match id {
        (ms, seq) if seq > 0 => Some((ms, seq - 1)),
        (ms, _) if ms > 0 => Some((ms - 1, u64::MAX)),
        _ => None,
    }
}

/// `<ms>-<seq>` in decimal, as every reply formats an ID.
pub fn format_id(id: Id) -> String {
    format!("{}-{}", id.0, id.1)
}

/// Ways to spell one ID that Redis parses to the same value (reference §1.3), so test
/// generators exercise the parser's odd-but-valid forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdStyle {
    /// `<ms>-<seq>`.
    Canonical,
    /// `<ms>` alone when seq is 0 (incomplete ID), else canonical.
    Incomplete,
    /// Leading zeros in both parts.
    ZeroPadded,
    /// A `+` sign before both parts.
    Plus,
    /// A space before both parts.
    Space,
}

/// `id` spelled in `style`.
pub fn spell_id((ms, seq): Id, style: IdStyle) -> Vec<u8> {
    match style {
        IdStyle::Canonical => format!("{ms}-{seq}"),
        IdStyle::Incomplete if seq == 0 => format!("{ms}"),
        IdStyle::Incomplete => format!("{ms}-{seq}"),
        IdStyle::ZeroPadded => format!("00{ms}-0{seq}"),
        IdStyle::Plus => format!("+{ms}-+{seq}"),
        IdStyle::Space => format!(" {ms}- {seq}"),
    }
    .into_bytes()
}

// ---------------------------------------------------------------------------------
// Errors and replies
// ---------------------------------------------------------------------------------

/// The error replies the modelled commands can give (Appendix A / §1.2 texts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelError {
    /// E_ID.
    InvalidId,
    /// E_TYPE.
    WrongType,
    /// E_NOKEY (XSETID on a missing key).
    NoSuchKey,
    /// Negative MAXLEN.
    MaxLenNegative,
    /// Negative LIMIT.
    LimitNegative,
    /// LIMIT without `~`.
    LimitWithoutApprox,
    /// Explicit XADD ID 0-0.
    XAddIdZero,
    /// last-generated-id is the maximum ID.
    Exhausted,
    /// XADD ID not above last-generated-id.
    XAddIdTooSmall,
    /// `(` + maximum as a start bound.
    InvalidStartInterval,
    /// `(` + 0-0 as an end bound.
    InvalidEndInterval,
    /// XSETID ENTRIESADDED < 0.
    EntriesAddedNegative,
    /// XSETID last-id < MAXDELETEDID.
    XSetIdBelowGivenMaxDeleted,
    /// XSETID last-id < the stream's max-deleted-entry-id.
    XSetIdBelowCurrentMaxDeleted,
    /// XSETID last-id < the last live entry.
    XSetIdBelowTop,
    /// XSETID ENTRIESADDED < length.
    XSetIdEntriesAddedBelowLength,
    /// XREAD with `>`.
    GreaterIdOutsideGroup,
}

impl ModelError {
    /// The reply text exactly as Redis sends it, without the leading `-`.
    pub fn message(&self) -> &'static str {
        match self {
            ModelError::InvalidId => "ERR Invalid stream ID specified as stream command argument",
            ModelError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value"
            }
            ModelError::NoSuchKey => "ERR no such key",
            ModelError::MaxLenNegative => "ERR The MAXLEN argument must be >= 0.",
            ModelError::LimitNegative => "ERR The LIMIT argument must be >= 0.",
            ModelError::LimitWithoutApprox => {
                "ERR syntax error, LIMIT cannot be used without the special ~ option"
            }
            ModelError::XAddIdZero => "ERR The ID specified in XADD must be greater than 0-0",
            ModelError::Exhausted => {
                "ERR The stream has exhausted the last possible ID, unable to add more items"
            }
            ModelError::XAddIdTooSmall => {
                "ERR The ID specified in XADD is equal or smaller than the target stream top item"
            }
            ModelError::InvalidStartInterval => "ERR invalid start ID for the interval",
            ModelError::InvalidEndInterval => "ERR invalid end ID for the interval",
            ModelError::EntriesAddedNegative => "ERR entries_added must be positive",
            ModelError::XSetIdBelowGivenMaxDeleted => {
                "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
            }
            ModelError::XSetIdBelowCurrentMaxDeleted => {
                "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id"
            }
            ModelError::XSetIdBelowTop => {
                "ERR The ID specified in XSETID is smaller than the target stream top item"
            }
            ModelError::XSetIdEntriesAddedBelowLength => {
                "ERR The entries_added specified in XSETID is smaller than the target stream length"
            }
            ModelError::GreaterIdOutsideGroup => {
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
            }
        }
    }
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// A reply predicted by the model, protocol-neutral (§1.7 decides the wire form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelReply {
    /// `+OK`.
    Ok,
    /// An integer.
    Integer(i64),
    /// A stream ID as a bulk string.
    Id(Id),
    /// Null bulk (`$-1` / `_`).
    NullBulk,
    /// Null array (`*-1` / `_`).
    NullArray,
    /// An array of entries `[[id, [f, v, …]], …]`.
    Entries(Vec<Entry>),
    /// XREAD's result: `[[key, entries], …]` in RESP2, `{key: entries}` in RESP3.
    Streams(Vec<(Vec<u8>, Vec<Entry>)>),
    /// An error reply.
    Error(ModelError),
}

impl From<ModelError> for ModelReply {
    fn from(e: ModelError) -> ModelReply {
        ModelReply::Error(e)
    }
}

impl ModelReply {
    /// The frame Redis sends for this reply in RESP2 (`resp3 == false`) or RESP3.
    pub fn to_frame(&self, resp3: bool) -> Frame {
        match self {
            ModelReply::Ok => Frame::simple("OK"),
            ModelReply::Integer(n) => Frame::Integer(*n),
            ModelReply::Id(id) => Frame::bulk(format_id(*id)),
            ModelReply::NullBulk if resp3 => Frame::Null,
            ModelReply::NullBulk => Frame::NullBulk,
            ModelReply::NullArray if resp3 => Frame::Null,
            ModelReply::NullArray => Frame::NullArray,
            ModelReply::Entries(es) => entries_frame(es),
            ModelReply::Streams(streams) if resp3 => Frame::Map(
                streams
                    .iter()
                    .map(|(k, es)| (Frame::bulk(k), entries_frame(es)))
                    .collect(),
            ),
            ModelReply::Streams(streams) => Frame::Array(
                streams
                    .iter()
                    .map(|(k, es)| Frame::Array(vec![Frame::bulk(k), entries_frame(es)]))
                    .collect(),
            ),
            ModelReply::Error(e) => Frame::error(e.message()),
        }
    }

    fn from_result(r: Result<ModelReply, ModelError>) -> ModelReply {
        r.unwrap_or_else(ModelReply::Error)
    }
}

/// One entry as Redis sends it: `[id, [field, value, …]]` (an array in both protocols).
pub fn entry_frame((id, fields): &Entry) -> Frame {
    let flat = fields
        .iter()
        .flat_map(|(f, v)| [Frame::bulk(f), Frame::bulk(v)])
        .collect();
    Frame::Array(vec![Frame::bulk(format_id(*id)), Frame::Array(flat)])
}

/// An array of entries.
pub fn entries_frame(entries: &[Entry]) -> Frame {
    Frame::Array(entries.iter().map(entry_frame).collect())
}

// ---------------------------------------------------------------------------------
// ID parsing (§1.3)
// ---------------------------------------------------------------------------------

/// Longest ID argument accepted: Redis copies it into a 128-byte C buffer.
const MAX_ID_ARG_LEN: usize = 127;

/// What XADD's ID argument asks for (§2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddId {
    /// `*`.
    Auto,
    /// `<ms>-*`.
    AutoSeq(u64),
    /// `<ms>-<seq>` or incomplete `<ms>` (= `<ms>-0`).
    Explicit(Id),
}

/// The part of `arg` a C function sees: everything before the first NUL.
pub fn c_string(arg: &[u8]) -> &[u8] {
    arg.iter()
        .position(|&b| b == 0)
        .map_or(arg, |nul| &arg[..nul])
}

/// A canonical decimal `i64`: `0` or `-?[1-9][0-9]*` within range (§1.3 rule 4).
pub fn canonical_i64(s: &[u8]) -> Option<i64> {
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let first = *digits.first()?;
    if !(b'1'..=b'9').contains(&first) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits.len() > 19 {
        return None;
    }
    let mut mag: i128 = 0;
    for d in digits {
        mag = mag * 10 + i128::from(d - b'0');
    }
    i64::try_from(if neg { -mag } else { mag }).ok()
}

/// C `strtoull(s, &end, 10)` that must consume all of `s`: optional leading
/// whitespace (`isspace`), an optional sign (`-` negates modulo 2^64), at least one
/// digit, nothing after the digits; out-of-range magnitudes (ERANGE) are rejected.
fn strtoull_whole(s: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let digits_start = i;
    let mut value: Option<u64> = Some(0);
    while i < s.len() && s[i].is_ascii_digit() {
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u64::from(s[i] - b'0')));
        i += 1;
    }
    if i == digits_start || i != s.len() {
        return None;
    }
    let value = value?;
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// Redis's `string2ull`: a canonical `i64` (negative rejected), else `strtoull`.
fn parse_part(s: &[u8]) -> Option<u64> {
    match canonical_i64(s) {
        Some(v) => u64::try_from(v).ok(),
        None => strtoull_whole(s),
    }
}

/// The common parser. Returns the ID and whether a sequence number was given (false
/// only for `<ms>-*` with `allow_seq_star`).
fn parse_generic(
    arg: &[u8],
    strict: bool,
    missing_seq: u64,
    allow_seq_star: bool,
) -> Result<(Id, bool), ModelError> {
    if arg.len() > MAX_ID_ARG_LEN {
        return Err(ModelError::InvalidId);
    }
    let s = c_string(arg);
    if s == b"-" || s == b"+" {
        if strict {
            return Err(ModelError::InvalidId);
        }
        return Ok((if s == b"-" { MIN_ID } else { MAX_ID }, true));
    }
    let (ms_part, seq_part) = match s.iter().position(|&b| b == b'-') {
        Some(dash) => (&s[..dash], Some(&s[dash + 1..])),
        None => (s, None),
    };
    let ms = parse_part(ms_part).ok_or(ModelError::InvalidId)?;
    match seq_part {
        None => Ok(((ms, missing_seq), true)),
        Some(b"*") if allow_seq_star => Ok(((ms, 0), false)),
        Some(seq) => Ok(((ms, parse_part(seq).ok_or(ModelError::InvalidId)?), true)),
    }
}

/// An ID in a strict context (XADD id, MINID, XDEL, XSETID, explicit XREAD ids).
pub fn parse_strict(arg: &[u8]) -> Result<Id, ModelError> {
    parse_generic(arg, true, 0, false).map(|(id, _)| id)
}

/// An ID in a non-strict context without `(` (XGROUP SETID): `-` is 0-0, `+` the
/// maximum, an incomplete ID has seq 0.
pub fn parse_nonstrict(arg: &[u8]) -> Result<Id, ModelError> {
    parse_generic(arg, false, 0, false).map(|(id, _)| id)
}

/// An interval bound: `(`+strict (exclusive), or non-strict. Returns (id, exclusive).
fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(Id, bool), ModelError> {
    if arg.len() > 1 && arg[0] == b'(' {
        Ok((parse_generic(&arg[1..], true, missing_seq, false)?.0, true))
    } else {
        Ok((parse_generic(arg, false, missing_seq, false)?.0, false))
    }
}

/// XRANGE's start (XREVRANGE's last argument): incomplete means seq 0, `(id` means
/// after `id`.
pub fn parse_range_start(arg: &[u8]) -> Result<Id, ModelError> {
    match parse_interval(arg, 0)? {
        (id, true) => id_succ(id).ok_or(ModelError::InvalidStartInterval),
        (id, false) => Ok(id),
    }
}

/// XRANGE's end (XREVRANGE's first bound): incomplete means seq 2^64-1, `(id` means
/// before `id`.
pub fn parse_range_end(arg: &[u8]) -> Result<Id, ModelError> {
    match parse_interval(arg, u64::MAX)? {
        (id, true) => id_pred(id).ok_or(ModelError::InvalidEndInterval),
        (id, false) => Ok(id),
    }
}

/// XADD's ID argument: `*`, `<ms>-*`, or a strict ID.
pub fn parse_xadd_id(arg: &[u8]) -> Result<AddId, ModelError> {
    if c_string(arg) == b"*" {
        return Ok(AddId::Auto);
    }
    Ok(match parse_generic(arg, true, 0, true)? {
        (id, true) => AddId::Explicit(id),
        ((ms, _), false) => AddId::AutoSeq(ms),
    })
}

// ---------------------------------------------------------------------------------
// Trimming arguments (§2.1, §3, §4)
// ---------------------------------------------------------------------------------

/// A parsed trimming strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimSpec {
    /// `MAXLEN n`: keep at most n entries.
    MaxLen(u64),
    /// `MINID id`: remove entries below id.
    MinId(Id),
}

/// The strategy as typed by the client (before validation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrimThreshold {
    /// `MAXLEN n` (may be negative, to exercise the error).
    MaxLen(i64),
    /// `MINID <arg>` (any bytes, parsed strictly).
    MinId(Vec<u8>),
}

/// A trimming clause `MAXLEN|MINID [=|~] threshold [LIMIT n]` as the client sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrimArgs {
    /// The strategy and threshold.
    pub threshold: TrimThreshold,
    /// `~` (otherwise `=` or nothing; see `explicit_eq`).
    pub approx: bool,
    /// Send `=` explicitly when not approximate.
    pub explicit_eq: bool,
    /// `LIMIT n`.
    pub limit: Option<i64>,
}

/// A validated trimming clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trim {
    /// Strategy and threshold.
    pub spec: TrimSpec,
    /// `~`.
    pub approx: bool,
    /// LIMIT as given (`None`: not given).
    pub limit: Option<u64>,
}

impl TrimArgs {
    /// The clause's tokens, in the order this model validates them.
    pub fn to_args(&self) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        let value = match &self.threshold {
            TrimThreshold::MaxLen(n) => {
                out.push(b"MAXLEN".to_vec());
                n.to_string().into_bytes()
            }
            TrimThreshold::MinId(id) => {
                out.push(b"MINID".to_vec());
                id.clone()
            }
        };
        if self.approx {
            out.push(b"~".to_vec());
        } else if self.explicit_eq {
            out.push(b"=".to_vec());
        }
        out.push(value);
        if let Some(l) = self.limit {
            out.push(b"LIMIT".to_vec());
            out.push(l.to_string().into_bytes());
        }
        out
    }

    /// The checks made while scanning the tokens, in token order (§2.1, §4 step 1).
    fn scan(&self) -> Result<TrimSpec, ModelError> {
        let spec = match &self.threshold {
            TrimThreshold::MaxLen(n) if *n < 0 => return Err(ModelError::MaxLenNegative),
            TrimThreshold::MaxLen(n) => TrimSpec::MaxLen(*n as u64),
            TrimThreshold::MinId(arg) => TrimSpec::MinId(parse_strict(arg)?),
        };
        if self.limit.is_some_and(|l| l < 0) {
            return Err(ModelError::LimitNegative);
        }
        Ok(spec)
    }

    /// The checks after the scan: LIMIT needs `~` (§2.1 step 2, §4 step 4).
    fn finish(&self, spec: TrimSpec) -> Result<Trim, ModelError> {
        if self.limit.is_some() && !self.approx {
            return Err(ModelError::LimitWithoutApprox);
        }
        Ok(Trim {
            spec,
            approx: self.approx,
            limit: self.limit.map(|l| l as u64),
        })
    }

    /// Full validation (as XTRIM does it, no other tokens involved).
    pub fn validate(&self) -> Result<Trim, ModelError> {
        let spec = self.scan()?;
        self.finish(spec)
    }
}

impl Trim {
    /// The LIMIT trimming uses (0 = unlimited): the given one, or for `~` without LIMIT
    /// `100 × stream-node-max-entries` (10000 if that is ≤ 0), at most 1,000,000 (§2.1).
    /// (The product saturates here; Redis's signed product would only differ for
    /// `stream-node-max-entries` above 9·10^16.)
    pub fn effective_limit(&self, node_max_entries: u64) -> u64 {
        match self.limit {
            Some(l) => l,
            None if self.approx => {
                let l = node_max_entries.saturating_mul(100);
                if l == 0 {
                    10_000
                } else {
                    l.min(1_000_000)
                }
            }
            None => 0,
        }
    }
}

// ---------------------------------------------------------------------------------
// One stream
// ---------------------------------------------------------------------------------

/// One stream: its live entries and the counters of §1.4.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamModel {
    /// Live entries by ID.
    pub entries: BTreeMap<Id, Fields>,
    /// `last-generated-id`.
    pub last_id: Id,
    /// `entries-added`.
    pub entries_added: u64,
    /// `max-deleted-entry-id`.
    pub max_deleted_entry_id: Id,
    /// `recorded-first-entry-id`.
    pub first_id: Id,
    /// The largest ID XDEL ever deleted here (never lowered, unlike
    /// `max-deleted-entry-id`): an upper bound of the IDs of XDEL's tombstones.
    pub xdel_high_water: Id,
    /// True once XSETID has set last-generated-id below `xdel_high_water` (possible
    /// after MAXDELETEDID lowered `max-deleted-entry-id`): a tombstone may then lie
    /// above later entries, and exact MINID trimming is only bounded (see
    /// [`StreamModel::minid_is_layout_dependent`]).
    pub disordered: bool,
}

impl StreamModel {
    /// A new, empty stream: all IDs 0-0, counters 0.
    pub fn new() -> StreamModel {
        StreamModel::default()
    }

    /// `length`.
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// True when no live entry is left.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// IDs of the live entries, ascending.
    pub fn ids(&self) -> Vec<Id> {
        self.entries.keys().copied().collect()
    }

    /// The first live entry (XINFO `first-entry`).
    pub fn first_entry(&self) -> Option<Entry> {
        self.entries.iter().next().map(|(k, v)| (*k, v.clone()))
    }

    /// The last live entry (XINFO `last-entry`).
    pub fn last_entry(&self) -> Option<Entry> {
        self.entries
            .iter()
            .next_back()
            .map(|(k, v)| (*k, v.clone()))
    }

    /// The ID XADD would give (§2.1 steps 7–8, §2.2), or its error.
    pub fn next_id(&self, spec: AddId, now: u64) -> Result<Id, ModelError> {
        if self.last_id == MAX_ID {
            return Err(ModelError::Exhausted);
        }
        let last = self.last_id;
        let id = match spec {
            AddId::Auto if now > last.0 => (now, 0),
            AddId::Auto => id_succ(last).ok_or(ModelError::Exhausted)?,
            AddId::AutoSeq(ms) if ms == last.0 => {
                if last.1 == u64::MAX {
                    return Err(ModelError::XAddIdTooSmall);
                }
                (ms, last.1 + 1)
            }
            AddId::AutoSeq(ms) => (ms, 0),
            AddId::Explicit(id) => id,
        };
        if id <= last {
            return Err(ModelError::XAddIdTooSmall);
        }
        Ok(id)
    }

    /// Appends an entry (§1.4 "XADD appends"); does not trim.
    pub fn append(&mut self, spec: AddId, fields: Fields, now: u64) -> Result<Id, ModelError> {
        let id = self.next_id(spec, now)?;
        if self.entries.is_empty() {
            self.first_id = id;
        }
        self.entries.insert(id, fields);
        self.last_id = id;
        self.entries_added += 1;
        Ok(id)
    }

    /// How many entries exact trimming removes: the oldest ones beyond `n` for MAXLEN,
    /// every entry below the threshold for MINID.
    pub fn exact_trim_count(&self, spec: TrimSpec) -> u64 {
        match spec {
            TrimSpec::MaxLen(n) => self.len().saturating_sub(n),
            TrimSpec::MinId(min) => self.entries.range(..min).count() as u64,
        }
    }

    /// Whether exact MINID trimming depends on the node layout here. Redis walks a node's
    /// entries in insertion order and stops at the first one — a tombstone included —
    /// whose ID is ≥ the threshold. Entries are in ID order, except after XSETID moved
    /// last-generated-id below an XDEL tombstone: a later XADD then lands *after* the
    /// larger tombstone, and `XTRIM … MINID` stops at the tombstone, keeping smaller live
    /// entries behind it. Checked live on Redis 7.0.15: `XADD s 1-1 f v`, `XADD s 5-5 f v`,
    /// `XDEL s 5-5`, `XSETID s 5-5 MAXDELETEDID 0-1`, `XSETID s 3-0`, `XADD s 4-0 f v`,
    /// `XTRIM s MINID 5-0` → `1` (4-0 stays). The removed entries are still the smallest
    /// ones and never more than exact trimming removes, so such trims are checked like
    /// `~` (by [`StreamModel::check_approx_trim`], without a LIMIT).
    pub fn minid_is_layout_dependent(&self) -> bool {
        self.disordered
    }

    /// Removes the `k` oldest entries, as trimming does: `recorded-first-entry-id`
    /// becomes the first live entry (0-0 if none); `max-deleted-entry-id` is untouched.
    pub fn remove_prefix(&mut self, k: u64) {
        for _ in 0..k {
            self.entries.pop_first();
        }
        self.first_id = self.entries.keys().next().copied().unwrap_or(MIN_ID);
    }

    /// Exact trimming (`=` or no operator); returns the number removed.
    pub fn trim_exact(&mut self, spec: TrimSpec) -> u64 {
        let k = self.exact_trim_count(spec);
        if k > 0 {
            self.remove_prefix(k);
        }
        k
    }

    /// Checks an approximate trim's outcome against what the model can say about it:
    /// `after` (the live IDs left) must be this stream minus a prefix of `k` entries
    /// where `k ≤` the exact count and, with `limit ≠ 0`, `k ≤ limit`; `reported` (XTRIM's
    /// reply, when there is one) must equal `k`. Returns `k`.
    pub fn check_approx_trim(
        &self,
        spec: TrimSpec,
        limit: u64,
        after: &[Id],
        reported: Option<u64>,
    ) -> Result<u64, String> {
        let before = self.ids();
        if after.len() > before.len() {
            return Err(format!(
                "~ trim grew the stream from {} to {} entries",
                before.len(),
                after.len()
            ));
        }
        let k = before.len() - after.len();
        if before[k..] != *after {
            return Err(format!(
                "~ trim did not remove a prefix: before {} entries, after {:?}…",
                before.len(),
                &after[..after.len().min(8)]
            ));
        }
        let k = k as u64;
        let exact = self.exact_trim_count(spec);
        if k > exact {
            return Err(format!(
                "~ trim removed {k} entries, more than exact trimming ({exact})"
            ));
        }
        if limit != 0 && k > limit {
            return Err(format!("~ trim removed {k} entries despite LIMIT {limit}"));
        }
        if let Some(r) = reported {
            if r != k {
                return Err(format!("~ trim replied {r} but removed {k} entries"));
            }
        }
        Ok(k)
    }

    /// XDEL's effect (§7, §1.4); returns how many entries existed.
    pub fn delete(&mut self, ids: &[Id]) -> u64 {
        let mut deleted = 0;
        let mut first_deleted = false;
        for id in ids {
            if self.entries.remove(id).is_some() {
                deleted += 1;
                if *id == self.first_id {
                    first_deleted = true;
                }
                if *id > self.max_deleted_entry_id {
                    self.max_deleted_entry_id = *id;
                }
                if *id > self.xdel_high_water {
                    self.xdel_high_water = *id;
                }
            }
        }
        if self.entries.is_empty() {
            self.first_id = MIN_ID;
        } else if first_deleted {
            self.first_id = *self.entries.keys().next().unwrap_or(&MIN_ID);
        }
        deleted
    }

    /// XSETID on an existing stream (§9 steps 4–6; the parse-time check of step 2 is
    /// in [`KeyspaceModel::xsetid`]).
    pub fn set_id(
        &mut self,
        last: Id,
        entries_added: Option<u64>,
        max_deleted: Option<Id>,
    ) -> Result<(), ModelError> {
        if last < self.max_deleted_entry_id {
            return Err(ModelError::XSetIdBelowCurrentMaxDeleted);
        }
        if let Some((top, _)) = self.entries.iter().next_back() {
            if last < *top {
                return Err(ModelError::XSetIdBelowTop);
            }
            if entries_added.is_some_and(|n| n < self.len()) {
                return Err(ModelError::XSetIdEntriesAddedBelowLength);
            }
        }
        self.last_id = last;
        if last < self.xdel_high_water {
            self.disordered = true;
        }
        if let Some(n) = entries_added {
            self.entries_added = n;
        }
        if let Some(md) = max_deleted {
            if md != MIN_ID {
                self.max_deleted_entry_id = md;
            }
        }
        Ok(())
    }

    /// Live entries with `start <= id <= end`, ascending, at most `count` (0 = all).
    pub fn range(&self, start: Id, end: Id, count: u64) -> Vec<Entry> {
        if start > end {
            return Vec::new();
        }
        let it = self
            .entries
            .range(start..=end)
            .map(|(k, v)| (*k, v.clone()));
        take(it, count)
    }

    /// Live entries with `start <= id <= end`, descending, at most `count` (0 = all).
    pub fn rev_range(&self, end: Id, start: Id, count: u64) -> Vec<Entry> {
        if start > end {
            return Vec::new();
        }
        let it = self
            .entries
            .range(start..=end)
            .rev()
            .map(|(k, v)| (*k, v.clone()));
        take(it, count)
    }

    /// Entries with an ID strictly greater than `after`, at most `count` (0 = all).
    pub fn read_after(&self, after: Id, count: u64) -> Vec<Entry> {
        match id_succ(after) {
            Some(start) => self.range(start, MAX_ID, count),
            None => Vec::new(),
        }
    }
}

fn take(it: impl Iterator<Item = Entry>, count: u64) -> Vec<Entry> {
    if count == 0 {
        it.collect()
    } else {
        it.take(usize::try_from(count).unwrap_or(usize::MAX))
            .collect()
    }
}

// ---------------------------------------------------------------------------------
// A keyspace of streams (command-level error order)
// ---------------------------------------------------------------------------------

/// An exact MINID trim the model can only bound (see
/// [`StreamModel::minid_is_layout_dependent`]).
fn bounded_minid(s: &StreamModel, spec: TrimSpec) -> bool {
    matches!(spec, TrimSpec::MinId(_)) && s.minid_is_layout_dependent()
}

/// A value in the model keyspace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModelValue {
    /// A stream.
    Stream(StreamModel),
    /// A string (to provoke WRONGTYPE).
    String(Vec<u8>),
}

/// An approximate trim whose size the model cannot predict: settle it with the
/// engine's outcome through [`KeyspaceModel::settle`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingTrim {
    /// The stream's key.
    pub key: Vec<u8>,
    /// Strategy and threshold.
    pub spec: TrimSpec,
    /// The effective LIMIT (0 = none).
    pub limit: u64,
}

/// What XTRIM does in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trimmed {
    /// Exactly this many entries were removed (the reply).
    Exact(u64),
    /// `~` on an existing stream (or exact MINID on a disordered one): only bounded.
    Approx(PendingTrim),
}

/// Named values, with each modelled command's argument checks in Redis's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyspaceModel {
    /// The keys.
    pub keys: BTreeMap<Vec<u8>, ModelValue>,
}

impl KeyspaceModel {
    /// An empty keyspace.
    pub fn new() -> KeyspaceModel {
        KeyspaceModel::default()
    }

    /// The stream at `key`: `Ok(None)` if missing, WRONGTYPE for a string.
    pub fn stream(&self, key: &[u8]) -> Result<Option<&StreamModel>, ModelError> {
        match self.keys.get(key) {
            None => Ok(None),
            Some(ModelValue::Stream(s)) => Ok(Some(s)),
            Some(ModelValue::String(_)) => Err(ModelError::WrongType),
        }
    }

    fn stream_mut(&mut self, key: &[u8]) -> Result<Option<&mut StreamModel>, ModelError> {
        match self.keys.get_mut(key) {
            None => Ok(None),
            Some(ModelValue::Stream(s)) => Ok(Some(s)),
            Some(ModelValue::String(_)) => Err(ModelError::WrongType),
        }
    }

    /// SET key value (replaces anything).
    pub fn set(&mut self, key: &[u8], value: &[u8]) -> ModelReply {
        self.keys
            .insert(key.to_vec(), ModelValue::String(value.to_vec()));
        ModelReply::Ok
    }

    /// DEL key; returns whether it existed.
    pub fn del(&mut self, key: &[u8]) -> bool {
        self.keys.remove(key).is_some()
    }

    /// `XADD key [NOMKSTREAM] [trim] <id> field value …` (§2.1 order). With an
    /// approximate trim the entry is appended and the trim is returned as pending (the
    /// reply never depends on trimming).
    #[allow(clippy::too_many_arguments)]
    pub fn xadd(
        &mut self,
        key: &[u8],
        nomkstream: bool,
        trim: Option<&TrimArgs>,
        id_arg: &[u8],
        fields: &Fields,
        now: u64,
        node_max_entries: u64,
    ) -> (ModelReply, Option<PendingTrim>) {
        match self.xadd_inner(key, nomkstream, trim, id_arg, fields, now, node_max_entries) {
            Ok(r) => r,
            Err(e) => (ModelReply::Error(e), None),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn xadd_inner(
        &mut self,
        key: &[u8],
        nomkstream: bool,
        trim: Option<&TrimArgs>,
        id_arg: &[u8],
        fields: &Fields,
        now: u64,
        node_max_entries: u64,
    ) -> Result<(ModelReply, Option<PendingTrim>), ModelError> {
        // Option scan: the trim clause's tokens, then the ID.
        let spec = trim.map(TrimArgs::scan).transpose()?;
        let id = parse_xadd_id(id_arg)?;
        let trim = match (trim, spec) {
            (Some(t), Some(spec)) => Some(t.finish(spec)?),
            _ => None,
        };
        assert!(
            !fields.is_empty(),
            "XADD needs at least one field/value pair"
        );
        if id == AddId::Explicit(MIN_ID) {
            return Err(ModelError::XAddIdZero);
        }
        if self.stream(key)?.is_none() {
            if nomkstream {
                return Ok((ModelReply::NullBulk, None));
            }
            self.keys
                .insert(key.to_vec(), ModelValue::Stream(StreamModel::new()));
        }
        let Some(s) = self.stream_mut(key)? else {
            unreachable!("the stream was just created");
        };
        let new_id = s.append(id, fields.clone(), now)?;
        let pending = match trim {
            Some(t) if t.approx || bounded_minid(s, t.spec) => Some(PendingTrim {
                key: key.to_vec(),
                spec: t.spec,
                limit: t.effective_limit(node_max_entries),
            }),
            Some(t) => {
                s.trim_exact(t.spec);
                None
            }
            None => None,
        };
        Ok((ModelReply::Id(new_id), pending))
    }

    /// `XTRIM key <trim>` (§4 order).
    pub fn xtrim(
        &mut self,
        key: &[u8],
        trim: &TrimArgs,
        node_max_entries: u64,
    ) -> Result<Trimmed, ModelError> {
        let t = trim.validate()?;
        let Some(s) = self.stream_mut(key)? else {
            return Ok(Trimmed::Exact(0));
        };
        if t.approx || bounded_minid(s, t.spec) {
            Ok(Trimmed::Approx(PendingTrim {
                key: key.to_vec(),
                spec: t.spec,
                limit: t.effective_limit(node_max_entries),
            }))
        } else {
            Ok(Trimmed::Exact(s.trim_exact(t.spec)))
        }
    }

    /// Checks an approximate trim the engine performed (`after`: the live IDs it left;
    /// `reported`: XTRIM's reply, `None` inside XADD) and applies it to the model.
    /// Returns the number of entries removed.
    pub fn settle(
        &mut self,
        pending: &PendingTrim,
        after: &[Id],
        reported: Option<u64>,
    ) -> Result<u64, String> {
        let s = match self.keys.get_mut(&pending.key) {
            Some(ModelValue::Stream(s)) => s,
            _ => return Err("settle: no stream at the trimmed key".to_string()),
        };
        let k = s.check_approx_trim(pending.spec, pending.limit, after, reported)?;
        s.remove_prefix(k);
        Ok(k)
    }

    /// `XLEN key`.
    pub fn xlen(&self, key: &[u8]) -> ModelReply {
        match self.stream(key) {
            Ok(s) => ModelReply::Integer(s.map_or(0, |s| s.len() as i64)),
            Err(e) => e.into(),
        }
    }

    /// `XRANGE key start end [COUNT count]` (§5 order). `count`: the COUNT value if given.
    pub fn xrange(&self, key: &[u8], start: &[u8], end: &[u8], count: Option<i64>) -> ModelReply {
        self.range_generic(key, start, end, count, false)
    }

    /// `XREVRANGE key end start [COUNT count]` (§5 order: the start bound, i.e. the last
    /// argument, is parsed first).
    pub fn xrevrange(
        &self,
        key: &[u8],
        end: &[u8],
        start: &[u8],
        count: Option<i64>,
    ) -> ModelReply {
        self.range_generic(key, start, end, count, true)
    }

    fn range_generic(
        &self,
        key: &[u8],
        start: &[u8],
        end: &[u8],
        count: Option<i64>,
        rev: bool,
    ) -> ModelReply {
        ModelReply::from_result((|| {
            let start = parse_range_start(start)?;
            let end = parse_range_end(end)?;
            let Some(s) = self.stream(key)? else {
                return Ok(ModelReply::Entries(Vec::new()));
            };
            let count = match count {
                Some(c) if c <= 0 => return Ok(ModelReply::NullArray),
                Some(c) => c as u64,
                None => 0,
            };
            Ok(ModelReply::Entries(if rev {
                s.rev_range(end, start, count)
            } else {
                s.range(start, end, count)
            }))
        })())
    }

    /// `XDEL key id [id …]` (§7 order).
    pub fn xdel(&mut self, key: &[u8], ids: &[&[u8]]) -> ModelReply {
        ModelReply::from_result((|| {
            if self.stream(key)?.is_none() {
                return Ok(ModelReply::Integer(0));
            }
            let ids = ids
                .iter()
                .map(|a| parse_strict(a))
                .collect::<Result<Vec<_>, _>>()?;
            let Some(s) = self.stream_mut(key)? else {
                unreachable!("checked above");
            };
            Ok(ModelReply::Integer(s.delete(&ids) as i64))
        })())
    }

    /// `XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]` (§9 order; the options
    /// are sent in this order).
    pub fn xsetid(
        &mut self,
        key: &[u8],
        last: &[u8],
        entries_added: Option<i64>,
        max_deleted: Option<&[u8]>,
    ) -> ModelReply {
        ModelReply::from_result((|| {
            let last = parse_strict(last)?;
            let entries_added = match entries_added {
                Some(n) if n < 0 => return Err(ModelError::EntriesAddedNegative),
                Some(n) => Some(n as u64),
                None => None,
            };
            let max_deleted = match max_deleted {
                Some(arg) => {
                    let md = parse_strict(arg)?;
                    if last < md {
                        return Err(ModelError::XSetIdBelowGivenMaxDeleted);
                    }
                    Some(md)
                }
                None => None,
            };
            let s = self.stream_mut(key)?.ok_or(ModelError::NoSuchKey)?;
            s.set_id(last, entries_added, max_deleted)?;
            Ok(ModelReply::Ok)
        })())
    }

    /// Non-blocking `XREAD [COUNT count] STREAMS key … id …` (§10; `count` as given,
    /// negative meaning no limit). IDs may be `$`, `+`, `>` or strict IDs.
    pub fn xread(&self, streams: &[(&[u8], &[u8])], count: Option<i64>) -> ModelReply {
        ModelReply::from_result((|| {
            let count = count.map_or(0, |c| c.max(0) as u64);
            let mut after = Vec::with_capacity(streams.len());
            for (key, id) in streams {
                let s = self.stream(key)?;
                let a = match c_string(id) {
                    b"$" => s.map_or(MIN_ID, |s| s.last_id),
                    b"+" => s
                        .and_then(|s| s.entries.keys().next_back().copied())
                        .and_then(id_pred)
                        .unwrap_or(MIN_ID),
                    b">" => return Err(ModelError::GreaterIdOutsideGroup),
                    _ => parse_strict(id)?,
                };
                after.push(a);
            }
            let mut served = Vec::new();
            for ((key, _), a) in streams.iter().zip(after) {
                if let Some(s) = self.stream(key)? {
                    let es = s.read_after(a, count);
                    if !es.is_empty() {
                        served.push((key.to_vec(), es));
                    }
                }
            }
            Ok(if served.is_empty() {
                ModelReply::NullArray
            } else {
                ModelReply::Streams(served)
            })
        })())
    }
}

// ---------------------------------------------------------------------------------
// Commands as data: one argv and one prediction per command
// ---------------------------------------------------------------------------------

/// A modelled command with its arguments exactly as sent. [`Command::to_argv`] gives the
/// argument vector for the engine and [`KeyspaceModel::apply`] the model's prediction,
/// so every harness (property tests, fuzzers) checks the engine the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `XADD key [NOMKSTREAM] [trim] id field value …`.
    XAdd {
        /// Key.
        key: Vec<u8>,
        /// NOMKSTREAM.
        nomkstream: bool,
        /// Trimming clause.
        trim: Option<TrimArgs>,
        /// The ID argument (`*`, `ms-*`, an ID, or anything).
        id: Vec<u8>,
        /// At least one pair.
        fields: Fields,
    },
    /// `XDEL key id …`.
    XDel {
        /// Key.
        key: Vec<u8>,
        /// ID arguments (at least one).
        ids: Vec<Vec<u8>>,
    },
    /// `XTRIM key <trim>`.
    XTrim {
        /// Key.
        key: Vec<u8>,
        /// Trimming clause.
        trim: TrimArgs,
    },
    /// `XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]`.
    XSetId {
        /// Key.
        key: Vec<u8>,
        /// last-id argument.
        last: Vec<u8>,
        /// ENTRIESADDED value.
        entries_added: Option<i64>,
        /// MAXDELETEDID argument.
        max_deleted: Option<Vec<u8>>,
    },
    /// `XRANGE key start end [COUNT n]`, or XREVRANGE (`key end start`) when `rev`.
    XRange {
        /// Key.
        key: Vec<u8>,
        /// XREVRANGE.
        rev: bool,
        /// Start bound argument (XREVRANGE: the last argument).
        start: Vec<u8>,
        /// End bound argument (XREVRANGE: the first bound).
        end: Vec<u8>,
        /// COUNT value.
        count: Option<i64>,
    },
    /// `XREAD [COUNT n] STREAMS key … id …`.
    XRead {
        /// `(key, id argument)` pairs (at least one).
        streams: Vec<(Vec<u8>, Vec<u8>)>,
        /// COUNT value.
        count: Option<i64>,
    },
    /// `XLEN key`.
    XLen {
        /// Key.
        key: Vec<u8>,
    },
    /// `DEL key`.
    Del {
        /// Key.
        key: Vec<u8>,
    },
    /// `SET key value`.
    Set {
        /// Key.
        key: Vec<u8>,
        /// Value.
        value: Vec<u8>,
    },
}

impl Command {
    /// The argument vector to send.
    pub fn to_argv(&self) -> Vec<Vec<u8>> {
        let count_args = |out: &mut Vec<Vec<u8>>, count: &Option<i64>| {
            if let Some(c) = count {
                out.push(b"COUNT".to_vec());
                out.push(c.to_string().into_bytes());
            }
        };
        match self {
            Command::XAdd {
                key,
                nomkstream,
                trim,
                id,
                fields,
            } => {
                let mut out = vec![b"XADD".to_vec(), key.clone()];
                if *nomkstream {
                    out.push(b"NOMKSTREAM".to_vec());
                }
                if let Some(t) = trim {
                    out.extend(t.to_args());
                }
                out.push(id.clone());
                for (f, v) in fields {
                    out.push(f.clone());
                    out.push(v.clone());
                }
                out
            }
            Command::XDel { key, ids } => {
                let mut out = vec![b"XDEL".to_vec(), key.clone()];
                out.extend(ids.iter().cloned());
                out
            }
            Command::XTrim { key, trim } => {
                let mut out = vec![b"XTRIM".to_vec(), key.clone()];
                out.extend(trim.to_args());
                out
            }
            Command::XSetId {
                key,
                last,
                entries_added,
                max_deleted,
            } => {
                let mut out = vec![b"XSETID".to_vec(), key.clone(), last.clone()];
                if let Some(n) = entries_added {
                    out.push(b"ENTRIESADDED".to_vec());
                    out.push(n.to_string().into_bytes());
                }
                if let Some(md) = max_deleted {
                    out.push(b"MAXDELETEDID".to_vec());
                    out.push(md.clone());
                }
                out
            }
            Command::XRange {
                key,
                rev,
                start,
                end,
                count,
            } => {
                let mut out = if *rev {
                    vec![
                        b"XREVRANGE".to_vec(),
                        key.clone(),
                        end.clone(),
                        start.clone(),
                    ]
                } else {
                    vec![b"XRANGE".to_vec(), key.clone(), start.clone(), end.clone()]
                };
                count_args(&mut out, count);
                out
            }
            Command::XRead { streams, count } => {
                let mut out = vec![b"XREAD".to_vec()];
                count_args(&mut out, count);
                out.push(b"STREAMS".to_vec());
                out.extend(streams.iter().map(|(k, _)| k.clone()));
                out.extend(streams.iter().map(|(_, id)| id.clone()));
                out
            }
            Command::XLen { key } => vec![b"XLEN".to_vec(), key.clone()],
            Command::Del { key } => vec![b"DEL".to_vec(), key.clone()],
            Command::Set { key, value } => vec![b"SET".to_vec(), key.clone(), value.clone()],
        }
    }
}

/// The model's prediction for one command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expected {
    /// Exactly this reply.
    Reply(ModelReply),
    /// Exactly this reply (XADD's ID); the approximate trim that followed must then be
    /// checked and applied with [`KeyspaceModel::settle`] (no reported count).
    ReplyThenSettle(ModelReply, PendingTrim),
    /// XTRIM `~`: the reply is the number removed, which the model only bounds; check
    /// and apply it with [`KeyspaceModel::settle`], passing the reply as `reported`.
    ApproxTrim(PendingTrim),
}

impl KeyspaceModel {
    /// Runs `cmd` on the model at time `now`; `node_max_entries` is the current
    /// `stream-node-max-entries` (for `~`'s default LIMIT).
    pub fn apply(&mut self, cmd: &Command, now: u64, node_max_entries: u64) -> Expected {
        let reply = match cmd {
            Command::XAdd {
                key,
                nomkstream,
                trim,
                id,
                fields,
            } => {
                return match self.xadd(
                    key,
                    *nomkstream,
                    trim.as_ref(),
                    id,
                    fields,
                    now,
                    node_max_entries,
                ) {
                    (r, None) => Expected::Reply(r),
                    (r, Some(p)) => Expected::ReplyThenSettle(r, p),
                }
            }
            Command::XDel { key, ids } => {
                let ids: Vec<&[u8]> = ids.iter().map(Vec::as_slice).collect();
                self.xdel(key, &ids)
            }
            Command::XTrim { key, trim } => match self.xtrim(key, trim, node_max_entries) {
                Ok(Trimmed::Exact(n)) => ModelReply::Integer(n as i64),
                Ok(Trimmed::Approx(p)) => return Expected::ApproxTrim(p),
                Err(e) => ModelReply::Error(e),
            },
            Command::XSetId {
                key,
                last,
                entries_added,
                max_deleted,
            } => self.xsetid(key, last, *entries_added, max_deleted.as_deref()),
            Command::XRange {
                key,
                rev: false,
                start,
                end,
                count,
            } => self.xrange(key, start, end, *count),
            Command::XRange {
                key,
                rev: true,
                start,
                end,
                count,
            } => self.xrevrange(key, end, start, *count),
            Command::XRead { streams, count } => {
                let pairs: Vec<(&[u8], &[u8])> = streams
                    .iter()
                    .map(|(k, id)| (k.as_slice(), id.as_slice()))
                    .collect();
                self.xread(&pairs, *count)
            }
            Command::XLen { key } => self.xlen(key),
            Command::Del { key } => ModelReply::Integer(i64::from(self.del(key))),
            Command::Set { key, value } => self.set(key, value),
        };
        Expected::Reply(reply)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn id_forms_from_the_reference() {
        assert_eq!(parse_strict(b"1-+5"), Ok((1, 5)));
        assert_eq!(parse_strict(b"1-07"), Ok((1, 7)));
        assert_eq!(parse_strict(b"1- 8"), Ok((1, 8)));
        assert_eq!(parse_strict(b"+2-0"), Ok((2, 0)));
        assert_eq!(parse_strict(b"003-0"), Ok((3, 0)));
        assert_eq!(parse_strict(b" 1"), Ok((1, 0)));
        assert_eq!(parse_strict(b"\t1"), Ok((1, 0)));
        assert_eq!(parse_strict(b"5- -1"), Ok((5, u64::MAX)));
        for bad in [
            &b"5--5"[..],
            b"-5-1",
            b"4-0 ",
            b"4-",
            b"-",
            b"+",
            b"18446744073709551616",
            b"1-*",
            b"",
        ] {
            assert_eq!(parse_strict(bad), Err(ModelError::InvalidId), "{bad:?}");
        }
        let long = [b'1'; 128];
        assert_eq!(parse_strict(&long[..128]), Err(ModelError::InvalidId));
        let mut ok = vec![b'0'; 126];
        ok.push(b'7');
        assert_eq!(parse_strict(&ok), Ok((7, 0)));
        assert_eq!(parse_range_end(b"1"), Ok((1, u64::MAX)));
        assert_eq!(parse_range_start(b"(5"), Ok((5, 1)));
        assert_eq!(parse_range_end(b"(5"), Ok((5, u64::MAX - 1)));
        assert_eq!(parse_range_start(b"-"), Ok(MIN_ID));
        assert_eq!(parse_range_end(b"+"), Ok(MAX_ID));
        assert_eq!(parse_range_start(b"("), Err(ModelError::InvalidId));
        assert_eq!(parse_range_start(b"(-"), Err(ModelError::InvalidId));
        assert_eq!(
            parse_range_start(b"(18446744073709551615-18446744073709551615"),
            Err(ModelError::InvalidStartInterval)
        );
        assert_eq!(
            parse_range_end(b"(0-0"),
            Err(ModelError::InvalidEndInterval)
        );
        assert_eq!(parse_xadd_id(b"5-*"), Ok(AddId::AutoSeq(5)));
        assert_eq!(parse_xadd_id(b"*"), Ok(AddId::Auto));
        assert_eq!(parse_xadd_id(b"5"), Ok(AddId::Explicit((5, 0))));
    }

    #[test]
    fn id_generation_from_the_reference() {
        let mut s = StreamModel::new();
        let f = vec![(b"f".to_vec(), b"v".to_vec())];
        assert_eq!(s.append(AddId::AutoSeq(0), f.clone(), 1), Ok((0, 1)));
        for seq in 0..3 {
            assert_eq!(s.append(AddId::AutoSeq(5), f.clone(), 1), Ok((5, seq)));
        }
        assert_eq!(
            s.append(AddId::Explicit((5, 0)), f.clone(), 1),
            Err(ModelError::XAddIdTooSmall)
        );
        assert_eq!(s.append(AddId::Explicit((6, 0)), f.clone(), 1), Ok((6, 0)));
        assert_eq!(
            s.append(AddId::AutoSeq(4), f.clone(), 1),
            Err(ModelError::XAddIdTooSmall)
        );
        assert_eq!(s.append(AddId::Auto, f.clone(), 100), Ok((100, 0)));
        assert_eq!(s.append(AddId::Auto, f.clone(), 50), Ok((100, 1)));
        s.append(AddId::Explicit((200, u64::MAX)), f.clone(), 1)
            .unwrap();
        assert_eq!(s.append(AddId::Auto, f.clone(), 1), Ok((201, 0)));
        assert_eq!(s.first_id, (0, 1));
        assert_eq!(s.entries_added, 9);
        s.set_id(MAX_ID, None, None).unwrap();
        assert_eq!(s.append(AddId::Auto, f, 1), Err(ModelError::Exhausted));
    }

    #[test]
    fn minid_after_xsetid_below_a_tombstone_is_bounded() {
        // The sequence checked live on Redis 7.0.15 (see minid_is_layout_dependent).
        let mut ks = KeyspaceModel::new();
        let f = vec![(b"f".to_vec(), b"v".to_vec())];
        ks.xadd(b"s", false, None, b"1-1", &f, 0, 100);
        ks.xadd(b"s", false, None, b"5-5", &f, 0, 100);
        assert_eq!(ks.xdel(b"s", &[b"5-5"]), ModelReply::Integer(1));
        assert_eq!(ks.xsetid(b"s", b"5-5", None, Some(b"0-1")), ModelReply::Ok);
        assert!(!ks.stream(b"s").unwrap().unwrap().disordered);
        assert_eq!(ks.xsetid(b"s", b"3-0", None, None), ModelReply::Ok);
        assert!(ks.stream(b"s").unwrap().unwrap().disordered);
        ks.xadd(b"s", false, None, b"4-0", &f, 0, 100);
        let trim = TrimArgs {
            threshold: TrimThreshold::MinId(b"5-0".to_vec()),
            approx: false,
            explicit_eq: false,
            limit: None,
        };
        let Ok(Trimmed::Approx(p)) = ks.xtrim(b"s", &trim, 100) else {
            panic!("exact MINID on a disordered stream must be bounded");
        };
        // Redis removes only 1-1 (it stops at the 5-5 tombstone); exact would remove 2.
        assert_eq!(ks.settle(&p, &[(4, 0)], Some(1)), Ok(1));
        assert_eq!(ks.stream(b"s").unwrap().unwrap().first_id, (4, 0));
    }

    #[test]
    fn counters_from_the_reference() {
        let mut ks = KeyspaceModel::new();
        let f = vec![(b"f".to_vec(), b"v".to_vec())];
        for id in ["1-1", "2-1"] {
            ks.xadd(b"s", false, None, id.as_bytes(), &f, 0, 100);
        }
        assert_eq!(ks.xdel(b"s", &[b"1-1", b"9-9"]), ModelReply::Integer(1));
        let s = ks.stream(b"s").unwrap().unwrap();
        assert_eq!((s.first_id, s.max_deleted_entry_id), ((2, 1), (1, 1)));
        assert_eq!(ks.xsetid(b"s", b"5", None, None), ModelReply::Ok);
        assert_eq!(ks.xsetid(b"s", b"3", None, None), ModelReply::Ok);
        assert_eq!(
            ks.xsetid(b"s", b"2-0", None, None),
            ModelReply::Error(ModelError::XSetIdBelowTop)
        );
        assert_eq!(
            ks.xsetid(b"nokey", b"bad", None, None),
            ModelReply::Error(ModelError::InvalidId)
        );
        assert_eq!(
            ks.xsetid(b"nokey", b"1", None, None),
            ModelReply::Error(ModelError::NoSuchKey)
        );
        let trim = TrimArgs {
            threshold: TrimThreshold::MaxLen(0),
            approx: false,
            explicit_eq: false,
            limit: None,
        };
        assert_eq!(ks.xtrim(b"s", &trim, 100), Ok(Trimmed::Exact(1)));
        let s = ks.stream(b"s").unwrap().unwrap();
        assert_eq!((s.first_id, s.max_deleted_entry_id), (MIN_ID, (1, 1)));
        assert_eq!(ks.xdel(b"nokey", &[b"bad"]), ModelReply::Integer(0));
    }
}
