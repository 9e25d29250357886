//! A plain model of Redis consumer groups, layered on [`crate::model`].
//!
//! Written from the behavioural reference (`REDIS-STREAMS.md` §1.4, §1.5, §1.7, §3.2–§3.3,
//! §8, §11–§19), **not** from brook-engine, so that comparing the two finds bugs in either.
//! Everything is a `BTreeMap` or a `Vec`; there is no node layout.
//!
//! [`GroupModel::execute`] takes a command's argument vector and the command time `now`
//! (Unix ms) and answers with an [`R`], a protocol-neutral reply that renders to the exact
//! RESP2 or RESP3 [`Frame`] (§1.7). Errors are raised in Redis's order. Commands covered:
//! XGROUP (CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER/HELP), XREADGROUP (`>`, history,
//! COUNT, NOACK, several keys, CLAIM; BLOCK is parsed and answered as a read that does not
//! block), XACK, XACKDEL, XDELEX, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS / CONSUMERS /
//! STREAM \[FULL\], and the stream commands that interact with groups: XADD and XTRIM with
//! KEEPREF/DELREF/ACKED, XDEL, DEL, SET (overwrite), plus XLEN, XRANGE, XREVRANGE, XSETID and
//! XREAD delegated to [`KeyspaceModel`].
//!
//! Limits, documented rather than approximated:
//! * Trimming is modelled entry by entry. That equals Redis's node walk (§3.2) for KEEPREF
//!   and DELREF (exact), for MINID with any policy, and — when the whole stream sits in one
//!   node (`stream-node-max-entries 0`, `stream-node-max-bytes` large) — for ACKED MAXLEN and
//!   for `~` with DELREF/ACKED and a LIMIT. `~` with KEEPREF removes whole nodes only and is
//!   not modelled here (it panics; [`KeyspaceModel`] bounds it for the group-less tests).
//! * XINFO STREAM's `radix-tree-keys` and `radix-tree-nodes` depend on the layout; the model
//!   answers them as [`R::AnyInt`], which matches any integer.
//! * Time-dependent integers (idle times, seen/active/delivery times) are [`R::Time`] so that
//!   a comparison against a live server can allow a tolerance; against the engine, with the
//!   same `now`, they are compared exactly.
//! * XAUTOCLAIM's "Insufficient memory … COUNT too high." depends on the allocator and is
//!   not modelled (use COUNTs below 2^40).
//! * IDMP is not modelled; XINFO STREAM shows the default IDMP fields (or, for an oracle
//!   without them, none — see [`GroupModel::idmp_fields`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    c_string, canonical_i64, format_id, parse_nonstrict, parse_range_end, parse_range_start,
    parse_strict, parse_xadd_id, AddId, Entry, Fields, Id, KeyspaceModel, ModelError, ModelReply,
    ModelValue, StreamModel, TrimArgs, TrimThreshold, MAX_ID, MIN_ID,
};
use crate::resp::Frame;

// ---------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------

/// A reply, protocol-neutral.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum R {
    /// A simple string (`+OK`, HELP lines).
    Simple(String),
    /// An integer.
    Int(i64),
    /// A time-dependent integer (idle ms or a Unix-ms timestamp).
    Time(i64),
    /// Any integer (a value that depends on the node layout).
    AnyInt,
    /// Any reply at all (a value the model does not predict for this server; see
    /// [`GroupModel::lag_unknown`]).
    Any,
    /// A bulk string.
    Bulk(Vec<u8>),
    /// Null bulk (`$-1` / `_`).
    NullBulk,
    /// Null array (`*-1` / `_`).
    NullArray,
    /// An array (both protocols).
    Arr(Vec<R>),
    /// A map in RESP3, a flat `[k1, v1, k2, v2, …]` array in RESP2 (XINFO).
    Map(Vec<(R, R)>),
    /// A map in RESP3, an array of `[k, v]` pairs in RESP2 (XREADGROUP).
    PairMap(Vec<(R, R)>),
    /// An error; the text without the leading `-`.
    Err(String),
    /// A fixed reply, given per protocol (delegated commands).
    Fixed(Frame, Frame),
}

fn bulk(s: impl AsRef<[u8]>) -> R {
    R::Bulk(s.as_ref().to_vec())
}

fn rid(id: Id) -> R {
    R::Bulk(format_id(id).into_bytes())
}

fn ok() -> R {
    R::Simple("OK".into())
}

fn count_i(n: u64) -> R {
    R::Int(n as i64)
}

impl R {
    /// The frame Redis sends (RESP3 when `resp3`). [`R::AnyInt`] renders as `-1`.
    pub fn to_frame(&self, resp3: bool) -> Frame {
        match self {
            R::Simple(s) => Frame::simple(s),
            R::Int(n) | R::Time(n) => Frame::Integer(*n),
            R::AnyInt => Frame::Integer(-1),
            R::Any => Frame::NullBulk,
            R::Bulk(b) => Frame::bulk(b),
            R::NullBulk if resp3 => Frame::Null,
            R::NullBulk => Frame::NullBulk,
            R::NullArray if resp3 => Frame::Null,
            R::NullArray => Frame::NullArray,
            R::Arr(v) => Frame::Array(v.iter().map(|r| r.to_frame(resp3)).collect()),
            R::Map(kv) if resp3 => Frame::Map(
                kv.iter()
                    .map(|(k, v)| (k.to_frame(resp3), v.to_frame(resp3)))
                    .collect(),
            ),
            R::Map(kv) => Frame::Array(
                kv.iter()
                    .flat_map(|(k, v)| [k.to_frame(resp3), v.to_frame(resp3)])
                    .collect(),
            ),
            R::PairMap(kv) if resp3 => Frame::Map(
                kv.iter()
                    .map(|(k, v)| (k.to_frame(resp3), v.to_frame(resp3)))
                    .collect(),
            ),
            R::PairMap(kv) => Frame::Array(
                kv.iter()
                    .map(|(k, v)| Frame::Array(vec![k.to_frame(resp3), v.to_frame(resp3)]))
                    .collect(),
            ),
            R::Err(e) => Frame::error(e),
            R::Fixed(f2, f3) => {
                if resp3 {
                    f3.clone()
                } else {
                    f2.clone()
                }
            }
        }
    }

    /// True when the reply has no [`R::Time`] / [`R::AnyInt`], i.e. its bytes are exact.
    pub fn is_exact(&self) -> bool {
        match self {
            R::Time(_) | R::AnyInt | R::Any => false,
            R::Arr(v) => v.iter().all(R::is_exact),
            R::Map(kv) | R::PairMap(kv) => kv.iter().all(|(k, v)| k.is_exact() && v.is_exact()),
            _ => true,
        }
    }

    /// True for an error reply.
    pub fn is_err(&self) -> bool {
        matches!(self, R::Err(_))
    }

    /// Compares `got` (a server's or the engine's reply) with this prediction: exact, except
    /// that an [`R::Time`] may differ by at most `tol` and [`R::AnyInt`] matches any integer.
    /// The error names the path of the first difference.
    pub fn check(&self, got: &Frame, resp3: bool, tol: i64) -> Result<(), String> {
        self.check_at(got, resp3, tol, "reply")
    }

    fn check_at(&self, got: &Frame, resp3: bool, tol: i64, path: &str) -> Result<(), String> {
        let mismatch = || Err(format!("{path}: got {got}, model {}", self.to_frame(resp3)));
        match self {
            R::Time(v) => match got {
                Frame::Integer(g) if (g - v).abs() <= tol => Ok(()),
                _ => mismatch(),
            },
            R::AnyInt => match got {
                Frame::Integer(_) => Ok(()),
                _ => mismatch(),
            },
            R::Any => Ok(()),
            R::Arr(v) => match got {
                Frame::Array(g) if g.len() == v.len() => {
                    for (i, (m, g)) in v.iter().zip(g).enumerate() {
                        m.check_at(g, resp3, tol, &format!("{path}[{i}]"))?;
                    }
                    Ok(())
                }
                _ => mismatch(),
            },
            R::Map(kv) | R::PairMap(kv) if resp3 => match got {
                Frame::Map(g) if g.len() == kv.len() => {
                    for ((mk, mv), (gk, gv)) in kv.iter().zip(g) {
                        let name = mk.to_frame(resp3).to_string();
                        mk.check_at(gk, resp3, tol, &format!("{path}.key"))?;
                        mv.check_at(gv, resp3, tol, &format!("{path}.{name}"))?;
                    }
                    Ok(())
                }
                _ => mismatch(),
            },
            R::Map(kv) => match got {
                Frame::Array(g) if g.len() == 2 * kv.len() => {
                    for (i, (mk, mv)) in kv.iter().enumerate() {
                        let name = mk.to_frame(resp3).to_string();
                        mk.check_at(&g[2 * i], resp3, tol, &format!("{path}.key"))?;
                        mv.check_at(&g[2 * i + 1], resp3, tol, &format!("{path}.{name}"))?;
                    }
                    Ok(())
                }
                _ => mismatch(),
            },
            R::PairMap(kv) => match got {
                Frame::Array(g) if g.len() == kv.len() => {
                    for (i, ((mk, mv), g)) in kv.iter().zip(g).enumerate() {
                        let Frame::Array(pair) = g else {
                            return mismatch();
                        };
                        if pair.len() != 2 {
                            return mismatch();
                        }
                        mk.check_at(&pair[0], resp3, tol, &format!("{path}[{i}].key"))?;
                        mv.check_at(&pair[1], resp3, tol, &format!("{path}[{i}].value"))?;
                    }
                    Ok(())
                }
                _ => mismatch(),
            },
            _ => {
                if self.to_frame(resp3) == *got {
                    Ok(())
                } else {
                    mismatch()
                }
            }
        }
    }
}

impl From<ModelError> for R {
    fn from(e: ModelError) -> R {
        R::Err(e.message().to_string())
    }
}

impl From<ModelReply> for R {
    fn from(m: ModelReply) -> R {
        R::Fixed(m.to_frame(false), m.to_frame(true))
    }
}

type Res<T> = Result<T, R>;

fn err(s: impl Into<String>) -> R {
    R::Err(s.into())
}

const E_SYNTAX: &str = "ERR syntax error";
const E_INT: &str = "ERR value is not an integer or out of range";

const E_NOKEY: &str = "ERR no such key";
const E_XGROUP_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

fn arity(name: &str) -> R {
    err(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

fn subsyntax(sub: &[u8], cmd: &str) -> R {
    err(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {cmd} HELP.",
        String::from_utf8_lossy(sub)
    ))
}

fn nogroup_rw(key: &[u8], group: &[u8]) -> R {
    err(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

fn nogroup_cfg(key: &[u8], group: &[u8]) -> R {
    err(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    ))
}

fn eq(a: &[u8], kw: &str) -> bool {
    a.eq_ignore_ascii_case(kw.as_bytes())
}

fn int(arg: &[u8]) -> Option<i64> {
    canonical_i64(arg)
}

fn int_or(arg: &[u8], e: &str) -> Res<i64> {
    int(arg).ok_or_else(|| err(e))
}

fn entry_r(id: Id, fields: &Fields) -> R {
    R::Arr(vec![
        rid(id),
        R::Arr(
            fields
                .iter()
                .flat_map(|(f, v)| [bulk(f), bulk(v)])
                .collect(),
        ),
    ])
}

fn entries_r(es: &[Entry]) -> R {
    R::Arr(es.iter().map(|(id, f)| entry_r(*id, f)).collect())
}

fn opt_int(v: Option<i64>) -> R {
    v.map_or(R::NullBulk, R::Int)
}

// ---------------------------------------------------------------------------------
// Group state (§1.5)
// ---------------------------------------------------------------------------------

/// One pending entry (NACK).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nack {
    /// Owning consumer.
    pub owner: Vec<u8>,
    /// Unix ms of the last delivery.
    pub delivery_time: u64,
    /// Number of deliveries.
    pub delivery_count: u64,
}

/// One consumer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// `seen-time`.
    pub seen_time: u64,
    /// `active-time` (`None` = −1, never active).
    pub active_time: Option<u64>,
    /// IDs this consumer owns in the group PEL.
    pub pel: BTreeSet<Id>,
}

/// One consumer group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// `last-delivered-id`.
    pub last_id: Id,
    /// `entries-read` (`None` = invalid, shown as nil).
    pub entries_read: Option<u64>,
    /// The group PEL by ID.
    pub pel: BTreeMap<Id, Nack>,
    /// The PEL in delivery-time order, oldest first (walked by XREADGROUP CLAIM).
    pub time_order: Vec<Id>,
    /// Consumers by name (bytewise order).
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    fn new(last_id: Id, entries_read: Option<u64>) -> Group {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// Removes `id` from the PEL, its owner's PEL and the time order.
    pub fn remove_nack(&mut self, id: Id) -> bool {
        let Some(n) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&n.owner) {
            c.pel.remove(&id);
        }
        self.time_order.retain(|x| *x != id);
        true
    }

    /// Sets the delivery time of a pending `id` and re-inserts it in the time order after
    /// every entry whose time is ≤ `t` (§1.5; for `t = now` that is the tail).
    fn set_time(&mut self, id: Id, t: u64) {
        self.time_order.retain(|x| *x != id);
        if let Some(n) = self.pel.get_mut(&id) {
            n.delivery_time = t;
        }
        let pos = self
            .time_order
            .iter()
            .rposition(|x| self.pel.get(x).is_some_and(|n| n.delivery_time <= t))
            .map_or(0, |p| p + 1);
        self.time_order.insert(pos, id);
    }

    /// Makes `consumer` the owner of pending `id` (which must be in the PEL).
    fn set_owner(&mut self, id: Id, consumer: &[u8]) {
        let Some(n) = self.pel.get_mut(&id) else {
            return;
        };
        let old = std::mem::replace(&mut n.owner, consumer.to_vec());
        if let Some(c) = self.consumers.get_mut(&old) {
            c.pel.remove(&id);
        }
        self.consumers
            .entry(consumer.to_vec())
            .or_default()
            .pel
            .insert(id);
    }

    /// Looks `name` up, creating it at `now` when absent; sets seen-time := now.
    fn touch_consumer(&mut self, name: &[u8], now: u64) -> &mut Consumer {
        let c = self
            .consumers
            .entry(name.to_vec())
            .or_insert_with(|| Consumer {
                seen_time: now,
                active_time: None,
                pel: BTreeSet::new(),
            });
        c.seen_time = now;
        c
    }

    fn idle(&self, id: Id, now: u64) -> u64 {
        self.pel
            .get(&id)
            .map_or(0, |n| now.saturating_sub(n.delivery_time))
    }

    /// The invariants of §1.5: the group PEL is the disjoint union of the consumer PELs,
    /// every owner exists, delivery counts ≥ 1 unless set lower by XCLAIM RETRYCOUNT (so
    /// callers that never send RETRYCOUNT 0 pass `min_count = 1`), and the time order is a
    /// permutation of the PEL.
    pub fn check_invariants(&self, min_count: u64) -> Result<(), String> {
        let mut union = BTreeSet::new();
        for (name, c) in &self.consumers {
            for id in &c.pel {
                if !union.insert(*id) {
                    return Err(format!("{} pending for two consumers", format_id(*id)));
                }
                match self.pel.get(id) {
                    Some(n) if n.owner == *name => {}
                    _ => {
                        return Err(format!(
                            "{} in consumer {}'s PEL but not owned by it in the group PEL",
                            format_id(*id),
                            String::from_utf8_lossy(name)
                        ))
                    }
                }
            }
        }
        let group_ids: BTreeSet<Id> = self.pel.keys().copied().collect();
        if union != group_ids {
            return Err("group PEL differs from the union of the consumer PELs".into());
        }
        for (id, n) in &self.pel {
            if !self.consumers.contains_key(&n.owner) {
                return Err(format!("{} owned by a missing consumer", format_id(*id)));
            }
            if n.delivery_count < min_count {
                return Err(format!(
                    "{} has delivery count {}",
                    format_id(*id),
                    n.delivery_count
                ));
            }
        }
        let mut order = self.time_order.clone();
        order.sort_unstable();
        if order != group_ids.into_iter().collect::<Vec<_>>() {
            return Err("delivery-time order is not a permutation of the PEL".into());
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------
// entries-read and lag (§19)
// ---------------------------------------------------------------------------------

fn tombstone_after(s: &StreamModel, x: Id) -> bool {
    !s.is_empty() && s.max_deleted_entry_id != MIN_ID && x <= s.max_deleted_entry_id
}

/// §19 `estimate(id)`; `None` = INVALID.
pub fn estimate(s: &StreamModel, id: Id) -> Option<u64> {
    let added = s.entries_added;
    let len = s.len();
    if added == 0 {
        return Some(0);
    }
    if len == 0 && id <= s.last_id {
        return Some(added);
    }
    if id != MIN_ID && id < s.max_deleted_entry_id {
        return None;
    }
    if id == s.last_id {
        return Some(added);
    }
    if id > s.last_id {
        return None;
    }
    if s.max_deleted_entry_id == MIN_ID || s.max_deleted_entry_id < s.first_id {
        if id < s.first_id {
            return Some(added.wrapping_sub(len));
        }
        if id == s.first_id {
            return Some(added.wrapping_sub(len).wrapping_add(1));
        }
    }
    None
}

/// §19 lag of `g` on `s`; `None` = nil.
pub fn lag(s: &StreamModel, g: &Group) -> Option<i64> {
    let added = s.entries_added;
    if added == 0 || s.is_empty() {
        return Some(0);
    }
    if g.last_id < s.first_id && s.max_deleted_entry_id < s.first_id {
        return Some(s.len() as i64);
    }
    if let Some(er) = g.entries_read {
        if !tombstone_after(s, g.last_id) {
            return Some((added as i64).wrapping_sub(er as i64));
        }
    }
    estimate(s, g.last_id).map(|e| (added as i64).wrapping_sub(e as i64))
}

/// entries-read after `>` delivers `id` (§19), before last-delivered-id moves.
fn entries_read_after_delivery(s: &StreamModel, g: &Group, id: Id) -> Option<u64> {
    match g.entries_read {
        Some(er) if g.last_id >= s.first_id && !tombstone_after(s, g.last_id) => Some(er + 1),
        _ if s.entries_added > 0 => estimate(s, id),
        other => other,
    }
}

// ---------------------------------------------------------------------------------
// Reference policies (§3.1, §3.3)
// ---------------------------------------------------------------------------------

/// KEEPREF / DELREF / ACKED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RefPolicy {
    /// Leave PEL references dangling (default).
    #[default]
    KeepRef,
    /// Remove the ID from every group's PEL.
    DelRef,
    /// Only delete entries no group references.
    Acked,
}

fn ref_policy(a: &[u8]) -> Option<RefPolicy> {
    if eq(a, "KEEPREF") {
        Some(RefPolicy::KeepRef)
    } else if eq(a, "DELREF") {
        Some(RefPolicy::DelRef)
    } else if eq(a, "ACKED") {
        Some(RefPolicy::Acked)
    } else {
        None
    }
}

/// §3.3: referenced iff there is a group and the ID is above the smallest
/// last-delivered-id or pending in some group.
pub fn referenced(groups: &BTreeMap<Vec<u8>, Group>, id: Id) -> bool {
    let Some(min_last) = groups.values().map(|g| g.last_id).min() else {
        return false;
    };
    id > min_last || groups.values().any(|g| g.pel.contains_key(&id))
}

// ---------------------------------------------------------------------------------
// The keyspace with groups
// ---------------------------------------------------------------------------------

/// Streams (in [`KeyspaceModel`]) plus their consumer groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupModel {
    /// The streams and other keys.
    pub ks: KeyspaceModel,
    /// Groups per stream key, by name (bytewise).
    pub groups: BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, Group>>,
    /// `stream-node-max-entries`, for `~`'s default LIMIT.
    pub node_max_entries: u64,
    /// Whether XINFO STREAM has the six IDMP fields (Redis 8.6: yes; Valkey 9.1: no).
    pub idmp_fields: bool,
    /// Answer `entries-read` and `lag` (XINFO GROUPS / STREAM FULL) as [`R::Any`]: for
    /// Valkey 9.1, which keeps Redis 7's algorithm for them (reference §22 #14–#17).
    pub lag_unknown: bool,
    /// Whether an XREADGROUP that would block may be answered (false for a live server,
    /// where it would really block: the model then panics instead).
    pub block_answers_nil: bool,
}

impl Default for GroupModel {
    fn default() -> Self {
        GroupModel::new()
    }
}

/// Which stream a parsed XREADGROUP read targets.
enum ReadSpec {
    New,
    History(Id),
}

impl GroupModel {
    /// An empty keyspace answering like Redis 8.6.
    pub fn new() -> GroupModel {
        GroupModel {
            ks: KeyspaceModel::new(),
            groups: BTreeMap::new(),
            node_max_entries: 100,
            idmp_fields: true,
            lag_unknown: false,
            block_answers_nil: true,
        }
    }

    /// The stream at `key` (`Ok(None)` if missing).
    pub fn stream(&self, key: &[u8]) -> Result<Option<&StreamModel>, R> {
        self.ks.stream(key).map_err(R::from)
    }

    fn stream_mut(&mut self, key: &[u8]) -> Option<&mut StreamModel> {
        match self.ks.keys.get_mut(key) {
            Some(ModelValue::Stream(s)) => Some(s),
            _ => None,
        }
    }

    /// The group `name` of the stream at `key`.
    pub fn group(&self, key: &[u8], name: &[u8]) -> Option<&Group> {
        self.groups.get(key).and_then(|gs| gs.get(name))
    }

    /// Stream and mutable group together.
    fn parts(&mut self, key: &[u8], group: &[u8]) -> Option<(&mut StreamModel, &mut Group)> {
        let s = match self.ks.keys.get_mut(key) {
            Some(ModelValue::Stream(s)) => s,
            _ => return None,
        };
        let g = self.groups.get_mut(key)?.get_mut(group)?;
        Some((s, g))
    }

    /// Checks every group's invariants (see [`Group::check_invariants`]).
    pub fn check_invariants(&self, min_count: u64) -> Result<(), String> {
        for (key, gs) in &self.groups {
            if !matches!(self.ks.keys.get(key), Some(ModelValue::Stream(_))) {
                return Err(format!(
                    "groups kept for {} which is not a stream",
                    String::from_utf8_lossy(key)
                ));
            }
            for (name, g) in gs {
                g.check_invariants(min_count).map_err(|e| {
                    format!(
                        "{}/{}: {e}",
                        String::from_utf8_lossy(key),
                        String::from_utf8_lossy(name)
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Runs one command at time `now` (Unix ms).
    pub fn execute(&mut self, argv: &[Vec<u8>], now: u64) -> R {
        let Some(name) = argv.first() else {
            return err("ERR empty command");
        };
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let (min, exact) = match name.as_str() {
            "xadd" => (5, false),
            "xtrim" => (4, false),
            "xdel" => (3, false),
            "xdelex" => (5, false),
            "xackdel" => (6, false),
            "xreadgroup" => (7, false),
            "xread" => (4, false),
            "xack" => (4, false),
            "xpending" => (3, false),
            "xclaim" => (6, false),
            "xautoclaim" => (6, false),
            "xgroup" => (2, false),
            "xinfo" => (2, false),
            "xlen" => (2, true),
            "xrange" | "xrevrange" => (4, false),
            "xsetid" => (3, false),
            "del" => (2, false),
            "set" => (3, true),
            _ => panic!("group model: command {name:?} is not modelled"),
        };
        if argv.len() < min || (exact && argv.len() != min) {
            return arity(&name);
        }
        let res = match name.as_str() {
            "xadd" => self.xadd(argv, now),
            "xtrim" => self.xtrim(argv),
            "xdel" => {
                let ids: Vec<&[u8]> = argv[2..].iter().map(Vec::as_slice).collect();
                Ok(self.ks.xdel(&argv[1], &ids).into())
            }
            "xdelex" => self.xdelex(argv),
            "xackdel" => self.xackdel(argv),
            "xreadgroup" => self.xreadgroup(argv, now),
            "xread" => self.xread(argv),
            "xack" => self.xack(argv),
            "xpending" => self.xpending(argv, now),
            "xclaim" => self.xclaim(argv, now),
            "xautoclaim" => self.xautoclaim(argv, now),
            "xgroup" => self.xgroup(argv, now),
            "xinfo" => self.xinfo(argv, now),
            "xlen" => Ok(self.ks.xlen(&argv[1]).into()),
            "xrange" | "xrevrange" => self.range(argv, name == "xrevrange"),
            "xsetid" => self.xsetid(argv),
            "del" => {
                let mut n = 0;
                for k in &argv[1..] {
                    if self.ks.del(k) {
                        n += 1;
                    }
                    self.groups.remove(k);
                }
                Ok(R::Int(n))
            }
            "set" => {
                self.groups.remove(&argv[1]);
                Ok(self.ks.set(&argv[1], &argv[2]).into())
            }
            _ => unreachable!(),
        };
        res.unwrap_or_else(|e| e)
    }

    // -----------------------------------------------------------------------------
    // XADD / XTRIM with reference policies (§2.1, §3, §4)
    // -----------------------------------------------------------------------------

    /// The XADD/XTRIM option scanner. Returns (spec, approx, limit, policy, nomkstream,
    /// index of the first token not consumed).
    fn scan_trim(argv: &[Vec<u8>], xadd: bool) -> Res<TrimScan> {
        let mut t = TrimScan::default();
        let mut i = 2;
        while i < argv.len() {
            let a = &argv[i];
            let more = argv.len() - 1 - i;
            if xadd && c_string(a) == b"*" {
                break;
            }
            if (eq(a, "MAXLEN") || eq(a, "MINID")) && more >= 1 {
                if t.threshold.is_some() {
                    return Err(err(
                        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                    ));
                }
                let maxlen = eq(a, "MAXLEN");
                i += 1;
                if more >= 2 && (argv[i] == b"~" || argv[i] == b"=") {
                    t.approx = argv[i] == b"~";
                    i += 1;
                }
                let v = &argv[i];
                t.threshold = Some(if maxlen {
                    let n = int_or(v, E_INT)?;
                    if n < 0 {
                        return Err(ModelError::MaxLenNegative.into());
                    }
                    TrimThreshold::MaxLen(n)
                } else {
                    parse_strict(v)?;
                    TrimThreshold::MinId(v.clone())
                });
                i += 1;
            } else if eq(a, "LIMIT") && more >= 1 {
                let n = int_or(&argv[i + 1], E_INT)?;
                if n < 0 {
                    return Err(ModelError::LimitNegative.into());
                }
                t.limit = Some(n);
                i += 2;
            } else if let (Some(p), false) = (ref_policy(a), t.policy_seen) {
                t.policy = p;
                t.policy_seen = true;
                i += 1;
            } else if xadd && eq(a, "NOMKSTREAM") {
                t.nomkstream = true;
                i += 1;
            } else if xadd {
                break;
            } else {
                return Err(err(E_SYNTAX));
            }
        }
        t.next = i;
        Ok(t)
    }

    fn xadd(&mut self, argv: &[Vec<u8>], now: u64) -> Res<R> {
        let t = Self::scan_trim(argv, true)?;
        let Some(id_arg) = argv.get(t.next) else {
            // Only reachable when every token was an option: the arity check fails.
            return Err(arity("xadd"));
        };
        let id = parse_xadd_id(id_arg)?;
        if t.limit.is_some_and(|l| l != 0) && t.threshold.is_none() {
            return Err(err(
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
            ));
        }
        if t.limit.is_some() && !t.approx {
            return Err(ModelError::LimitWithoutApprox.into());
        }
        let rest = argv.len() - t.next - 1;
        if rest < 2 || !rest.is_multiple_of(2) {
            return Err(arity("xadd"));
        }
        if id == AddId::Explicit(MIN_ID) {
            return Err(ModelError::XAddIdZero.into());
        }
        let key = &argv[1];
        if self.stream(key)?.is_none() {
            if t.nomkstream {
                return Ok(R::NullBulk);
            }
            self.ks
                .keys
                .insert(key.clone(), ModelValue::Stream(StreamModel::new()));
        }
        let fields: Fields = argv[t.next + 1..]
            .chunks(2)
            .map(|p| (p[0].clone(), p[1].clone()))
            .collect();
        let s = self.stream_mut(key).expect("stream exists");
        let new_id = s.append(id, fields, now)?;
        if let Some(th) = &t.threshold {
            let trim = t.to_trim_args(th).validate()?;
            let limit = trim.effective_limit(self.node_max_entries);
            self.trim(key, trim.spec, trim.approx, limit, t.policy);
        }
        Ok(rid(new_id))
    }

    fn xtrim(&mut self, argv: &[Vec<u8>]) -> Res<R> {
        let t = Self::scan_trim(argv, false)?;
        if t.limit.is_some_and(|l| l != 0) && t.threshold.is_none() {
            return Err(err(
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
            ));
        }
        let Some(th) = &t.threshold else {
            return Err(err(
                "ERR syntax error, XTRIM must be called with a trimming strategy",
            ));
        };
        if t.limit.is_some() && !t.approx {
            return Err(ModelError::LimitWithoutApprox.into());
        }
        let key = &argv[1];
        if self.stream(key)?.is_none() {
            return Ok(R::Int(0));
        }
        let trim = t.to_trim_args(th).validate()?;
        let limit = trim.effective_limit(self.node_max_entries);
        Ok(count_i(self.trim(
            key,
            trim.spec,
            trim.approx,
            limit,
            t.policy,
        )))
    }

    /// Trims entry by entry (see the module docs for when this equals Redis's node walk).
    pub fn trim(
        &mut self,
        key: &[u8],
        spec: crate::model::TrimSpec,
        approx: bool,
        limit: u64,
        policy: RefPolicy,
    ) -> u64 {
        use crate::model::TrimSpec;
        assert!(
            !(approx && policy == RefPolicy::KeepRef),
            "group model: `~` with KEEPREF removes whole nodes and is not modelled"
        );
        let groups = self.groups.get(key).cloned().unwrap_or_default();
        let Some(s) = self.stream_mut(key) else {
            return 0;
        };
        if let TrimSpec::MaxLen(n) = spec {
            if s.len() <= n {
                return 0;
            }
        }
        // LIMIT is checked against the whole (single) node's live count.
        if limit != 0 && s.len() > limit {
            return 0;
        }
        let mut removed = Vec::new();
        let mut len = s.len();
        for id in s.ids() {
            let stop = match spec {
                TrimSpec::MaxLen(n) => len <= n,
                TrimSpec::MinId(min) => id >= min,
            };
            if stop {
                break;
            }
            if policy == RefPolicy::Acked && referenced(&groups, id) {
                continue;
            }
            removed.push(id);
            len -= 1;
        }
        for id in &removed {
            s.entries.remove(id);
        }
        if !removed.is_empty() {
            s.first_id = s.entries.keys().next().copied().unwrap_or(MIN_ID);
        }
        if policy == RefPolicy::DelRef {
            if let Some(gs) = self.groups.get_mut(key) {
                for g in gs.values_mut() {
                    for id in &removed {
                        g.remove_nack(*id);
                    }
                }
            }
        }
        removed.len() as u64
    }

    fn purge_refs(&mut self, key: &[u8], id: Id) {
        if let Some(gs) = self.groups.get_mut(key) {
            for g in gs.values_mut() {
                g.remove_nack(id);
            }
        }
    }

    /// Deletes one entry as XDEL does (§1.4 counters); true if it existed.
    fn delete_entry(&mut self, key: &[u8], id: Id) -> bool {
        self.stream_mut(key).is_some_and(|s| s.delete(&[id]) == 1)
    }

    // -----------------------------------------------------------------------------
    // XDELEX / XACKDEL (§8, §13)
    // -----------------------------------------------------------------------------

    /// The shared option scan from `from`: (policy, id arguments).
    fn scan_ids(argv: &[Vec<u8>], from: usize) -> Res<(RefPolicy, Vec<Vec<u8>>)> {
        let mut policy = None;
        let mut ids = None;
        let mut i = from;
        while i < argv.len() {
            let a = &argv[i];
            if let Some(p) = ref_policy(a) {
                if policy.is_some() {
                    return Err(err(E_SYNTAX));
                }
                policy = Some(p);
                i += 1;
            } else if eq(a, "IDS") && i + 1 < argv.len() {
                let n = int(&argv[i + 1])
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| err("ERR Number of IDs must be a positive integer"))?
                    as u64;
                let remaining = (argv.len() - i - 2) as u64;
                if n > remaining {
                    return Err(err(
                        "ERR The `numids` parameter must match the number of arguments",
                    ));
                }
                let start = i + 2;
                let end = start + n as usize;
                ids = Some(argv[start..end].to_vec());
                i = end;
            } else {
                return Err(err(E_SYNTAX));
            }
        }
        let ids = ids.ok_or_else(|| err("ERR IDS option is required"))?;
        Ok((policy.unwrap_or_default(), ids))
    }

    fn xdelex(&mut self, argv: &[Vec<u8>]) -> Res<R> {
        let key = &argv[1];
        let exists = self.stream(key)?.is_some();
        let (policy, id_args) = Self::scan_ids(argv, 2)?;
        if !exists {
            return Ok(R::Arr(vec![R::Int(-1); id_args.len()]));
        }
        let ids = id_args
            .iter()
            .map(|a| parse_strict(a))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        for id in ids {
            let code = match policy {
                RefPolicy::KeepRef => {
                    if self.delete_entry(key, id) {
                        1
                    } else {
                        -1
                    }
                }
                RefPolicy::DelRef => {
                    self.purge_refs(key, id);
                    if self.delete_entry(key, id) {
                        1
                    } else {
                        -1
                    }
                }
                RefPolicy::Acked => {
                    let gs = self.groups.get(key).cloned().unwrap_or_default();
                    if referenced(&gs, id) {
                        2
                    } else if self.delete_entry(key, id) {
                        1
                    } else {
                        -1
                    }
                }
            };
            out.push(R::Int(code));
        }
        Ok(R::Arr(out))
    }

    fn xackdel(&mut self, argv: &[Vec<u8>]) -> Res<R> {
        let (key, group) = (&argv[1], &argv[2]);
        let exists = self.stream(key)?.is_some();
        let (policy, id_args) = Self::scan_ids(argv, 3)?;
        if !exists || self.group(key, group).is_none() {
            return Ok(R::Arr(vec![R::Int(-1); id_args.len()]));
        }
        let ids = id_args
            .iter()
            .map(|a| parse_strict(a))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        for id in ids {
            let (_, g) = self.parts(key, group).expect("checked");
            if !g.remove_nack(id) {
                out.push(R::Int(-1));
                continue;
            }
            let code = match policy {
                RefPolicy::KeepRef => {
                    self.delete_entry(key, id);
                    1
                }
                RefPolicy::DelRef => {
                    self.purge_refs(key, id);
                    self.delete_entry(key, id);
                    1
                }
                RefPolicy::Acked => {
                    let gs = self.groups.get(key).cloned().unwrap_or_default();
                    if referenced(&gs, id) {
                        2
                    } else {
                        self.delete_entry(key, id);
                        1
                    }
                }
            };
            out.push(R::Int(code));
        }
        Ok(R::Arr(out))
    }

    // -----------------------------------------------------------------------------
    // XGROUP (§17)
    // -----------------------------------------------------------------------------

    fn xgroup(&mut self, argv: &[Vec<u8>], now: u64) -> Res<R> {
        let sub = &argv[1];
        let (name, arity_ok) = if eq(sub, "CREATE") {
            ("create", argv.len() >= 5)
        } else if eq(sub, "SETID") {
            ("setid", argv.len() >= 5)
        } else if eq(sub, "DESTROY") {
            ("destroy", argv.len() == 4)
        } else if eq(sub, "CREATECONSUMER") {
            ("createconsumer", argv.len() == 5)
        } else if eq(sub, "DELCONSUMER") {
            ("delconsumer", argv.len() == 5)
        } else if eq(sub, "HELP") {
            ("help", argv.len() == 2)
        } else {
            return Err(err(format!(
                "ERR unknown subcommand '{}'. Try XGROUP HELP.",
                String::from_utf8_lossy(sub)
            )));
        };
        if !arity_ok {
            return Err(arity(&format!("xgroup|{name}")));
        }
        if name == "help" {
            return Ok(R::Arr(
                XGROUP_HELP.iter().map(|l| R::Simple((*l).into())).collect(),
            ));
        }
        let (key, group) = (&argv[2], &argv[3]);
        // Option scan from argv[5].
        let mut mkstream = false;
        let mut entries_read: Option<i64> = None;
        let mut i = 5;
        while i < argv.len() {
            let a = &argv[i];
            if name == "create" && eq(a, "MKSTREAM") {
                mkstream = true;
                i += 1;
            } else if (name == "create" || name == "setid") && eq(a, "ENTRIESREAD") {
                let Some(v) = argv.get(i + 1) else {
                    return Err(subsyntax(sub, "XGROUP"));
                };
                let n = int_or(v, E_INT)?;
                if n < -1 {
                    return Err(err("ERR value for ENTRIESREAD must be positive or -1"));
                }
                entries_read = Some(n);
                i += 2;
            } else {
                return Err(subsyntax(sub, "XGROUP"));
            }
        }
        let exists = self.stream(key)?.is_some();
        if !(exists || (name == "create" && mkstream)) {
            return Err(err(E_XGROUP_KEY));
        }
        if matches!(name, "setid" | "createconsumer" | "delconsumer")
            && self.group(key, group).is_none()
        {
            return Err(nogroup_cfg(key, group));
        }
        match name {
            "create" if argv.len() > 8 => return Err(subsyntax(sub, "XGROUP")),
            "setid" if argv.len() != 5 && argv.len() != 7 => return Err(subsyntax(sub, "XGROUP")),
            _ => {}
        }
        match name {
            "create" => {
                let id = if c_string(&argv[4]) == b"$" {
                    self.stream(key)?.map_or(MIN_ID, |s| s.last_id)
                } else {
                    parse_strict(&argv[4])?
                };
                if !exists {
                    self.ks
                        .keys
                        .insert(key.clone(), ModelValue::Stream(StreamModel::new()));
                }
                let added = self.stream(key)?.map_or(0, |s| s.entries_added);
                let gs = self.groups.entry(key.clone()).or_default();
                if gs.contains_key(group) {
                    return Err(err("BUSYGROUP Consumer Group name already exists"));
                }
                let er = clamp_entries_read(entries_read, added);
                gs.insert(group.clone(), Group::new(id, er));
                Ok(ok())
            }
            "setid" => {
                let s = self.stream(key)?.expect("checked");
                let id = if c_string(&argv[4]) == b"$" {
                    s.last_id
                } else {
                    parse_nonstrict(&argv[4])?
                };
                let added = s.entries_added;
                let (_, g) = self.parts(key, group).expect("checked");
                g.last_id = id;
                g.entries_read = clamp_entries_read(entries_read, added);
                Ok(ok())
            }
            "destroy" => {
                let removed = self
                    .groups
                    .get_mut(key)
                    .and_then(|gs| gs.remove(group))
                    .is_some();
                Ok(R::Int(i64::from(removed)))
            }
            "createconsumer" => {
                let (_, g) = self.parts(key, group).expect("checked");
                if g.consumers.contains_key(&argv[4]) {
                    return Ok(R::Int(0));
                }
                g.touch_consumer(&argv[4], now);
                Ok(R::Int(1))
            }
            "delconsumer" => {
                let (_, g) = self.parts(key, group).expect("checked");
                let Some(c) = g.consumers.remove(&argv[4]) else {
                    return Ok(R::Int(0));
                };
                for id in &c.pel {
                    g.pel.remove(id);
                    g.time_order.retain(|x| x != id);
                }
                Ok(count_i(c.pel.len() as u64))
            }
            _ => unreachable!(),
        }
    }

    // -----------------------------------------------------------------------------
    // XREADGROUP (§11)
    // -----------------------------------------------------------------------------

    fn xreadgroup(&mut self, argv: &[Vec<u8>], now: u64) -> Res<R> {
        let mut count: u64 = 0;
        let mut block = false;
        let mut claim: Option<u64> = None;
        let mut noack = false;
        let mut group: Option<(Vec<u8>, Vec<u8>)> = None;
        let mut streams: Option<(usize, usize)> = None;
        let mut i = 1;
        while i < argv.len() {
            let a = &argv[i];
            let more = argv.len() - 1 - i;
            if eq(a, "COUNT") && more >= 1 {
                count = int_or(&argv[i + 1], E_INT)?.max(0) as u64;
                i += 2;
            } else if eq(a, "BLOCK") && more >= 1 {
                let ms = int_or(
                    &argv[i + 1],
                    "ERR timeout is not an integer or out of range",
                )?;
                if ms < 0 {
                    return Err(err("ERR timeout is negative"));
                }
                if (now as i64).checked_add(ms).is_none() {
                    return Err(err("ERR timeout is out of range"));
                }
                block = true;
                i += 2;
            } else if eq(a, "CLAIM") && more >= 1 {
                let v = int_or(
                    &argv[i + 1],
                    "ERR min-idle-time is not an integer or out of range",
                )?;
                if v < 0 {
                    return Err(err("ERR min-idle-time must be a positive integer"));
                }
                claim = Some(v as u64);
                i += 2;
            } else if eq(a, "GROUP") && more >= 2 {
                group = Some((argv[i + 1].clone(), argv[i + 2].clone()));
                i += 3;
            } else if eq(a, "NOACK") {
                noack = true;
                i += 1;
            } else if eq(a, "STREAMS") && more >= 1 {
                if !more.is_multiple_of(2) {
                    return Err(err("ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified."));
                }
                streams = Some((i + 1, more / 2));
                break;
            } else {
                return Err(err(E_SYNTAX));
            }
        }
        let Some((first, n)) = streams else {
            return Err(err(E_SYNTAX));
        };
        let Some((gname, cname)) = group else {
            return Err(err("ERR Missing GROUP option for XREADGROUP"));
        };
        let mut specs = Vec::with_capacity(n);
        for k in 0..n {
            let key = &argv[first + k];
            let id = &argv[first + n + k];
            let exists = self.stream(key)?.is_some();
            if !exists || self.group(key, &gname).is_none() {
                return Err(err(format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(&gname)
                )));
            }
            let spec = match c_string(id) {
                b"$" => return Err(err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")),
                b"+" => return Err(err("ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.")),
                b">" => ReadSpec::New,
                // Redis stores `>` as the maximum ID: spelling it out means `>` too.
                _ => match parse_strict(id)? {
                    (u64::MAX, u64::MAX) => ReadSpec::New,
                    id => ReadSpec::History(id),
                },
            };
            specs.push((key.clone(), spec));
        }
        let mut served = Vec::new();
        for (key, spec) in specs {
            let (s, g) = self.parts(&key, &gname).expect("validated");
            g.touch_consumer(&cname, now);
            let entries = match spec {
                ReadSpec::History(after) => {
                    claim = None;
                    Some(read_history(s, g, &cname, after, count, now))
                }
                ReadSpec::New => read_new(s, g, &cname, count, noack, claim, now),
            };
            if let Some(es) = entries {
                served.push((bulk(&key), R::Arr(es)));
            }
        }
        if served.is_empty() {
            assert!(
                !block || self.block_answers_nil,
                "group model: this XREADGROUP would block"
            );
            return Ok(R::NullArray);
        }
        Ok(R::PairMap(served))
    }

    fn xread(&mut self, argv: &[Vec<u8>]) -> Res<R> {
        // Only the shape `XREAD [COUNT n] STREAMS k… id…` is delegated.
        let mut i = 1;
        let mut count = None;
        if eq(&argv[1], "COUNT") {
            count = Some(int_or(&argv[2], E_INT)?);
            i = 3;
        }
        assert!(
            eq(&argv[i], "STREAMS"),
            "group model: XREAD shape not modelled"
        );
        let rest = &argv[i + 1..];
        let n = rest.len() / 2;
        let pairs: Vec<(&[u8], &[u8])> = (0..n)
            .map(|k| (rest[k].as_slice(), rest[n + k].as_slice()))
            .collect();
        Ok(self.ks.xread(&pairs, count).into())
    }

    // -----------------------------------------------------------------------------
    // XACK, XPENDING, XCLAIM, XAUTOCLAIM (§12, §14–§16)
    // -----------------------------------------------------------------------------

    fn xack(&mut self, argv: &[Vec<u8>]) -> Res<R> {
        let (key, group) = (&argv[1], &argv[2]);
        if self.stream(key)?.is_none() || self.group(key, group).is_none() {
            return Ok(R::Int(0));
        }
        let ids = argv[3..]
            .iter()
            .map(|a| parse_strict(a))
            .collect::<Result<Vec<_>, _>>()?;
        let (_, g) = self.parts(key, group).expect("checked");
        let n = ids.into_iter().filter(|id| g.remove_nack(*id)).count();
        Ok(count_i(n as u64))
    }

    fn xpending(&mut self, argv: &[Vec<u8>], now: u64) -> Res<R> {
        let argc = argv.len();
        if argc != 3 && !(6..=9).contains(&argc) {
            return Err(err(E_SYNTAX));
        }
        let (key, group) = (&argv[1], &argv[2]);
        let mut ext = None;
        if argc >= 6 {
            let mut i = 3;
            let mut min_idle = 0;
            if eq(&argv[3], "IDLE") {
                min_idle = int_or(&argv[4], E_INT)?;
                if argc < 8 {
                    return Err(err(E_SYNTAX));
                }
                i = 5;
            }
            let count = int_or(&argv[i + 2], E_INT)?.max(0) as u64;
            let start = parse_range_start(&argv[i])?;
            let end = parse_range_end(&argv[i + 1])?;
            let consumer = argv.get(i + 3).cloned();
            ext = Some((min_idle, start, end, count, consumer));
        }
        if self.stream(key)?.is_none() || self.group(key, group).is_none() {
            return Err(nogroup_rw(key, group));
        }
        let g = self.group(key, group).expect("checked");
        let Some((min_idle, start, end, count, consumer)) = ext else {
            if g.pel.is_empty() {
                return Ok(R::Arr(vec![
                    R::Int(0),
                    R::NullBulk,
                    R::NullBulk,
                    R::NullArray,
                ]));
            }
            let first = *g.pel.keys().next().expect("non-empty");
            let last = *g.pel.keys().next_back().expect("non-empty");
            let per: Vec<R> = g
                .consumers
                .iter()
                .filter(|(_, c)| !c.pel.is_empty())
                .map(|(n, c)| R::Arr(vec![bulk(n), bulk(c.pel.len().to_string())]))
                .collect();
            return Ok(R::Arr(vec![
                count_i(g.pel.len() as u64),
                rid(first),
                rid(last),
                R::Arr(per),
            ]));
        };
        if count == 0 || start > end {
            return Ok(R::Arr(vec![]));
        }
        let ids: Vec<Id> = match &consumer {
            Some(c) => match g.consumers.get(c) {
                Some(c) => c.pel.range(start..=end).copied().collect(),
                None => Vec::new(),
            },
            None => g.pel.range(start..=end).map(|(k, _)| *k).collect(),
        };
        let mut out = Vec::new();
        for id in ids {
            if out.len() as u64 >= count {
                break;
            }
            let n = &g.pel[&id];
            let idle = now.saturating_sub(n.delivery_time);
            if min_idle > 0 && (idle as i64) < min_idle {
                continue;
            }
            out.push(R::Arr(vec![
                rid(id),
                bulk(&n.owner),
                R::Time(idle as i64),
                count_i(n.delivery_count),
            ]));
        }
        Ok(R::Arr(out))
    }

    #[allow(clippy::map_entry)] // the PEL entry is created, then claimed, as in §15.2
    fn xclaim(&mut self, argv: &[Vec<u8>], now: u64) -> Res<R> {
        let (key, group, consumer) = (&argv[1], &argv[2], &argv[3]);
        if self.stream(key)?.is_none() || self.group(key, group).is_none() {
            return Err(nogroup_rw(key, group));
        }
        let min_idle = int_or(&argv[4], "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
        let mut i = 5;
        let mut ids = Vec::new();
        while i < argv.len() {
            match parse_strict(&argv[i]) {
                Ok(id) => ids.push(id),
                Err(_) => break,
            }
            i += 1;
        }
        let mut delivery: Option<i64> = None;
        let mut retry: Option<i64> = None;
        let (mut force, mut justid) = (false, false);
        let mut lastid: Option<Id> = None;
        while i < argv.len() {
            let a = &argv[i];
            let more = argv.len() - 1 - i;
            if eq(a, "FORCE") {
                force = true;
                i += 1;
            } else if eq(a, "JUSTID") {
                justid = true;
                i += 1;
            } else if eq(a, "IDLE") && more >= 1 {
                let v = int_or(&argv[i + 1], "ERR Invalid IDLE option argument for XCLAIM")?;
                delivery = Some((now as i64).wrapping_sub(v));
                i += 2;
            } else if eq(a, "TIME") && more >= 1 {
                delivery = Some(int_or(
                    &argv[i + 1],
                    "ERR Invalid TIME option argument for XCLAIM",
                )?);
                i += 2;
            } else if eq(a, "RETRYCOUNT") && more >= 1 {
                retry = Some(int_or(
                    &argv[i + 1],
                    "ERR Invalid RETRYCOUNT option argument for XCLAIM",
                )?);
                i += 2;
            } else if eq(a, "LASTID") && more >= 1 {
                lastid = Some(parse_strict(&argv[i + 1])?);
                i += 2;
            } else {
                return Err(err(format!(
                    "ERR Unrecognized XCLAIM option '{}'",
                    String::from_utf8_lossy(a)
                )));
            }
        }
        let dtime = match delivery {
            Some(t) if t >= 0 && t <= now as i64 => t as u64,
            _ => now,
        };
        let retry = retry.filter(|r| *r >= 0).map(|r| r as u64);
        let (s, g) = self.parts(key, group).expect("checked");
        if let Some(l) = lastid {
            if l > g.last_id {
                g.last_id = l;
            }
        }
        g.touch_consumer(consumer, now);
        let mut out = Vec::new();
        for id in ids {
            let Some(fields) = s.entries.get(&id) else {
                g.remove_nack(id);
                continue;
            };
            if !g.pel.contains_key(&id) {
                if !force {
                    continue;
                }
                g.pel.insert(
                    id,
                    Nack {
                        owner: Vec::new(),
                        delivery_time: now,
                        delivery_count: 1,
                    },
                );
                g.time_order.push(id);
            } else if min_idle > 0 && (g.idle(id, now) as i64) < min_idle {
                continue;
            }
            g.set_owner(id, consumer);
            g.set_time(id, dtime);
            let n = g.pel.get_mut(&id).expect("pending");
            match retry {
                Some(r) => n.delivery_count = r,
                None if !justid => n.delivery_count += 1,
                None => {}
            }
            if let Some(c) = g.consumers.get_mut(consumer) {
                c.active_time = Some(now);
            }
            out.push(if justid { rid(id) } else { entry_r(id, fields) });
        }
        Ok(R::Arr(out))
    }

    fn xautoclaim(&mut self, argv: &[Vec<u8>], now: u64) -> Res<R> {
        let (key, group, consumer) = (&argv[1], &argv[2], &argv[3]);
        let min_idle = int_or(
            &argv[4],
            "ERR Invalid min-idle-time argument for XAUTOCLAIM",
        )?
        .max(0) as u64;
        let start = parse_range_start(&argv[5])?;
        let mut count: u64 = 100;
        let mut justid = false;
        let mut i = 6;
        while i < argv.len() {
            let a = &argv[i];
            if eq(a, "COUNT") && i + 1 < argv.len() {
                count = int(&argv[i + 1])
                    .filter(|n| (1..=576_460_752_303_423_487).contains(n))
                    .ok_or_else(|| err("ERR COUNT must be > 0"))? as u64;
                i += 2;
            } else if eq(a, "JUSTID") {
                justid = true;
                i += 1;
            } else {
                return Err(err(E_SYNTAX));
            }
        }
        if self.stream(key)?.is_none() || self.group(key, group).is_none() {
            return Err(nogroup_rw(key, group));
        }
        assert!(
            count < 1 << 40,
            "group model: XAUTOCLAIM COUNT this large depends on the allocator"
        );
        let (s, g) = self.parts(key, group).expect("checked");
        g.touch_consumer(consumer, now);
        let mut attempts = count * 10;
        let mut left = count;
        let mut claimed = Vec::new();
        let mut deleted = Vec::new();
        let candidates: Vec<Id> = g.pel.range(start..).map(|(k, _)| *k).collect();
        let mut cursor = MIN_ID;
        let mut it = candidates.into_iter().peekable();
        while attempts > 0 && left > 0 {
            let Some(id) = it.next() else {
                break;
            };
            attempts -= 1;
            let Some(fields) = s.entries.get(&id) else {
                g.remove_nack(id);
                deleted.push(rid(id));
                left -= 1;
                continue;
            };
            if min_idle > 0 && g.idle(id, now) < min_idle {
                continue;
            }
            g.set_owner(id, consumer);
            g.set_time(id, now);
            if !justid {
                g.pel.get_mut(&id).expect("pending").delivery_count += 1;
            }
            if let Some(c) = g.consumers.get_mut(consumer) {
                c.active_time = Some(now);
            }
            claimed.push(if justid { rid(id) } else { entry_r(id, fields) });
            left -= 1;
        }
        if let Some(next) = it.next() {
            cursor = next;
        }
        Ok(R::Arr(vec![rid(cursor), R::Arr(claimed), R::Arr(deleted)]))
    }

    // -----------------------------------------------------------------------------
    // XINFO (§18)
    // -----------------------------------------------------------------------------

    fn xinfo(&mut self, argv: &[Vec<u8>], now: u64) -> Res<R> {
        let sub = &argv[1];
        let (name, arity_ok) = if eq(sub, "STREAM") {
            ("stream", argv.len() >= 3)
        } else if eq(sub, "GROUPS") {
            ("groups", argv.len() == 3)
        } else if eq(sub, "CONSUMERS") {
            ("consumers", argv.len() == 4)
        } else if eq(sub, "HELP") {
            ("help", argv.len() == 2)
        } else {
            return Err(err(format!(
                "ERR unknown subcommand '{}'. Try XINFO HELP.",
                String::from_utf8_lossy(sub)
            )));
        };
        if !arity_ok {
            return Err(arity(&format!("xinfo|{name}")));
        }
        if name == "help" {
            return Ok(R::Arr(
                XINFO_HELP.iter().map(|l| R::Simple((*l).into())).collect(),
            ));
        }
        let key = &argv[2];
        let s = self.stream(key)?.ok_or_else(|| err(E_NOKEY))?;
        let empty = BTreeMap::new();
        let gs = self.groups.get(key).unwrap_or(&empty);
        match name {
            "groups" => Ok(R::Arr(
                gs.iter()
                    .map(|(n, g)| {
                        R::Map(vec![
                            (bulk("name"), bulk(n)),
                            (bulk("consumers"), count_i(g.consumers.len() as u64)),
                            (bulk("pending"), count_i(g.pel.len() as u64)),
                            (bulk("last-delivered-id"), rid(g.last_id)),
                            (bulk("entries-read"), self.entries_read_r(g)),
                            (bulk("lag"), self.lag_r(s, g)),
                        ])
                    })
                    .collect(),
            )),
            "consumers" => {
                let g = gs.get(&argv[3]).ok_or_else(|| nogroup_cfg(key, &argv[3]))?;
                Ok(R::Arr(
                    g.consumers
                        .iter()
                        .map(|(n, c)| {
                            R::Map(vec![
                                (bulk("name"), bulk(n)),
                                (bulk("pending"), count_i(c.pel.len() as u64)),
                                (
                                    bulk("idle"),
                                    R::Time(now.saturating_sub(c.seen_time) as i64),
                                ),
                                (
                                    bulk("inactive"),
                                    c.active_time.map_or(R::Int(-1), |a| {
                                        R::Time(now.saturating_sub(a) as i64)
                                    }),
                                ),
                            ])
                        })
                        .collect(),
                ))
            }
            _ => {
                let full = match argv.len() {
                    3 => None,
                    4 if eq(&argv[3], "FULL") => Some(10),
                    6 if eq(&argv[3], "FULL") && eq(&argv[4], "COUNT") => {
                        let n = int_or(&argv[5], E_INT)?;
                        Some(if n < 0 { 10 } else { n as u64 })
                    }
                    _ => return Err(subsyntax(sub, "XINFO")),
                };
                Ok(self.info_stream(s, gs, full))
            }
        }
    }

    fn entries_read_r(&self, g: &Group) -> R {
        if self.lag_unknown {
            R::Any
        } else {
            opt_int(g.entries_read.map(|n| n as i64))
        }
    }

    fn lag_r(&self, s: &StreamModel, g: &Group) -> R {
        if self.lag_unknown {
            R::Any
        } else {
            opt_int(lag(s, g))
        }
    }

    fn info_stream(&self, s: &StreamModel, gs: &BTreeMap<Vec<u8>, Group>, full: Option<u64>) -> R {
        let mut m = vec![
            (bulk("length"), count_i(s.len())),
            (bulk("radix-tree-keys"), R::AnyInt),
            (bulk("radix-tree-nodes"), R::AnyInt),
            (bulk("last-generated-id"), rid(s.last_id)),
            (bulk("max-deleted-entry-id"), rid(s.max_deleted_entry_id)),
            (bulk("entries-added"), count_i(s.entries_added)),
            (bulk("recorded-first-entry-id"), rid(s.first_id)),
        ];
        if self.idmp_fields {
            for (k, v) in [
                ("idmp-duration", 100),
                ("idmp-maxsize", 100),
                ("pids-tracked", 0),
                ("iids-tracked", 0),
                ("iids-added", 0),
                ("iids-duplicates", 0),
            ] {
                m.push((bulk(k), R::Int(v)));
            }
        }
        let take = |n: u64| if n == 0 { usize::MAX } else { n as usize };
        let Some(count) = full else {
            m.push((bulk("groups"), count_i(gs.len() as u64)));
            let fe = s.first_entry().map_or(R::NullBulk, |(i, f)| entry_r(i, &f));
            let le = s.last_entry().map_or(R::NullBulk, |(i, f)| entry_r(i, &f));
            m.push((bulk("first-entry"), fe));
            m.push((bulk("last-entry"), le));
            return R::Map(m);
        };
        let entries: Vec<Entry> = s
            .entries
            .iter()
            .take(take(count))
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        m.push((bulk("entries"), entries_r(&entries)));
        let groups = gs
            .iter()
            .map(|(n, g)| {
                let pending = g
                    .pel
                    .iter()
                    .take(take(count))
                    .map(|(id, nk)| {
                        R::Arr(vec![
                            rid(*id),
                            bulk(&nk.owner),
                            R::Time(nk.delivery_time as i64),
                            count_i(nk.delivery_count),
                        ])
                    })
                    .collect();
                let consumers = g
                    .consumers
                    .iter()
                    .map(|(cn, c)| {
                        let cp = c
                            .pel
                            .iter()
                            .take(take(count))
                            .map(|id| {
                                let nk = &g.pel[id];
                                R::Arr(vec![
                                    rid(*id),
                                    R::Time(nk.delivery_time as i64),
                                    count_i(nk.delivery_count),
                                ])
                            })
                            .collect();
                        R::Map(vec![
                            (bulk("name"), bulk(cn)),
                            (bulk("seen-time"), R::Time(c.seen_time as i64)),
                            (
                                bulk("active-time"),
                                c.active_time.map_or(R::Int(-1), |a| R::Time(a as i64)),
                            ),
                            (bulk("pel-count"), count_i(c.pel.len() as u64)),
                            (bulk("pending"), R::Arr(cp)),
                        ])
                    })
                    .collect();
                R::Map(vec![
                    (bulk("name"), bulk(n)),
                    (bulk("last-delivered-id"), rid(g.last_id)),
                    (bulk("entries-read"), self.entries_read_r(g)),
                    (bulk("lag"), self.lag_r(s, g)),
                    (bulk("pel-count"), count_i(g.pel.len() as u64)),
                    (bulk("pending"), R::Arr(pending)),
                    (bulk("consumers"), R::Arr(consumers)),
                ])
            })
            .collect();
        m.push((bulk("groups"), R::Arr(groups)));
        R::Map(m)
    }

    // -----------------------------------------------------------------------------
    // Delegated
    // -----------------------------------------------------------------------------

    fn range(&mut self, argv: &[Vec<u8>], rev: bool) -> Res<R> {
        let count = match argv.len() {
            4 => None,
            6 if eq(&argv[4], "COUNT") => Some(int_or(&argv[5], E_INT)?),
            _ => panic!("group model: XRANGE shape not modelled"),
        };
        Ok(if rev {
            self.ks.xrevrange(&argv[1], &argv[2], &argv[3], count)
        } else {
            self.ks.xrange(&argv[1], &argv[2], &argv[3], count)
        }
        .into())
    }

    fn xsetid(&mut self, argv: &[Vec<u8>]) -> Res<R> {
        let mut ea = None;
        let mut md = None;
        let mut i = 3;
        while i + 1 < argv.len() {
            if eq(&argv[i], "ENTRIESADDED") && ea.is_none() && md.is_none() {
                ea = Some(int_or(&argv[i + 1], E_INT)?);
            } else if eq(&argv[i], "MAXDELETEDID") && md.is_none() {
                md = Some(argv[i + 1].as_slice());
            } else {
                panic!("group model: XSETID shape not modelled");
            }
            i += 2;
        }
        assert!(i == argv.len(), "group model: XSETID shape not modelled");
        Ok(self.ks.xsetid(&argv[1], &argv[2], ea, md).into())
    }
}

#[derive(Default)]
struct TrimScan {
    threshold: Option<TrimThreshold>,
    approx: bool,
    limit: Option<i64>,
    policy: RefPolicy,
    policy_seen: bool,
    nomkstream: bool,
    next: usize,
}

impl TrimScan {
    fn to_trim_args(&self, th: &TrimThreshold) -> TrimArgs {
        TrimArgs {
            threshold: th.clone(),
            approx: self.approx,
            explicit_eq: false,
            limit: self.limit,
        }
    }
}

fn clamp_entries_read(v: Option<i64>, added: u64) -> Option<u64> {
    match v {
        None | Some(-1) => None,
        Some(n) => Some((n as u64).min(added)),
    }
}

/// History read (§11.4): this consumer's PEL above `after`.
fn read_history(
    s: &StreamModel,
    g: &mut Group,
    consumer: &[u8],
    after: Id,
    count: u64,
    now: u64,
) -> Vec<R> {
    let Some(from) = crate::model::id_succ(after) else {
        return Vec::new();
    };
    let ids: Vec<Id> = g.consumers[consumer]
        .pel
        .range(from..=MAX_ID)
        .copied()
        .take(if count == 0 {
            usize::MAX
        } else {
            count as usize
        })
        .collect();
    let mut out = Vec::new();
    for id in ids {
        match s.entries.get(&id) {
            Some(fields) => {
                g.pel.get_mut(&id).expect("pending").delivery_count += 1;
                g.set_time(id, now);
                out.push(entry_r(id, fields));
            }
            None => out.push(R::Arr(vec![rid(id), R::NullArray])),
        }
    }
    out
}

/// `>` (§11.3), with CLAIM (§11.6) when `claim` is set. `None`: the stream is not served.
#[allow(clippy::map_entry)] // re-delivery of a pending ID vs a new PEL entry, as in §11.3
fn read_new(
    s: &StreamModel,
    g: &mut Group,
    consumer: &[u8],
    count: u64,
    noack: bool,
    claim: Option<u64>,
    now: u64,
) -> Option<Vec<R>> {
    let has_new = s
        .entries
        .keys()
        .next_back()
        .is_some_and(|last| *last > g.last_id);
    let mut out = Vec::new();
    let limit = if count == 0 { u64::MAX } else { count };
    if let Some(min_idle) = claim {
        let claimable = g
            .time_order
            .iter()
            .find(|id| s.entries.contains_key(id))
            .is_some_and(|id| g.idle(*id, now) >= min_idle);
        if !has_new && !claimable {
            return None;
        }
        let snapshot = g.time_order.clone();
        for id in snapshot {
            if out.len() as u64 >= limit {
                break;
            }
            let Some(fields) = s.entries.get(&id) else {
                continue;
            };
            let idle = g.idle(id, now);
            if idle < min_idle {
                break;
            }
            let before = g.pel[&id].delivery_count;
            g.set_owner(id, consumer);
            g.set_time(id, now);
            g.pel.get_mut(&id).expect("pending").delivery_count += 1;
            if let Some(c) = g.consumers.get_mut(consumer) {
                c.active_time = Some(now);
            }
            let mut e = match entry_r(id, fields) {
                R::Arr(v) => v,
                _ => unreachable!(),
            };
            e.push(R::Time(idle as i64));
            e.push(count_i(before));
            out.push(R::Arr(e));
        }
    } else if !has_new {
        return None;
    }
    let new: Vec<Entry> = s.read_after(g.last_id, 0);
    let mut delivered = false;
    for (id, fields) in new {
        if out.len() as u64 >= limit {
            break;
        }
        g.entries_read = entries_read_after_delivery(s, g, id);
        g.last_id = id;
        if !noack {
            if g.pel.contains_key(&id) {
                let n = g.pel.get_mut(&id).expect("pending");
                n.delivery_count = 1;
            } else {
                g.pel.insert(
                    id,
                    Nack {
                        owner: consumer.to_vec(),
                        delivery_time: now,
                        delivery_count: 1,
                    },
                );
                g.time_order.push(id);
            }
            g.set_owner(id, consumer);
            g.set_time(id, now);
            delivered = true;
        }
        let mut e = match entry_r(id, &fields) {
            R::Arr(v) => v,
            _ => unreachable!(),
        };
        if claim.is_some() {
            e.push(R::Int(0));
            e.push(R::Int(0));
        }
        out.push(R::Arr(e));
    }
    if delivered {
        if let Some(c) = g.consumers.get_mut(consumer) {
            c.active_time = Some(now);
        }
    }
    Some(out)
}

/// `XGROUP HELP` (8.6.3 text, §17.5).
pub const XGROUP_HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Print this help.",
];

/// `XINFO HELP` (8.6.3 text, §18.6).
pub const XINFO_HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Print this help.",
];

#[cfg(test)]
mod tests {
    //! The checked examples of reference §3.2, §8, §11.6, §13, §15, §16 and §19.
    use super::*;

    fn argv(line: &str) -> Vec<Vec<u8>> {
        line.split_whitespace()
            .map(|a| a.as_bytes().to_vec())
            .collect()
    }

    /// Runs `line` at `now`; the reply in the reference's RESP2 notation.
    fn run(m: &mut GroupModel, now: u64, line: &str) -> String {
        m.execute(&argv(line), now).to_frame(false).to_string()
    }

    fn run3(m: &mut GroupModel, now: u64, line: &str) -> String {
        m.execute(&argv(line), now).to_frame(true).to_string()
    }

    fn with_entries(n: u64) -> GroupModel {
        let mut m = GroupModel::new();
        for i in 1..=n {
            let field = (b'a' + (i - 1) as u8) as char;
            run(&mut m, 1, &format!("XADD s {i}-1 {field} {i}"));
        }
        m
    }

    /// g1 (PEL 1-1, 2-1, 3-1; last 3-1) and g2 (PEL 1-1, 2-1; last 2-1) on 1-1..4-1.
    fn two_groups() -> GroupModel {
        let mut m = with_entries(4);
        for line in [
            "XGROUP CREATE s g1 0",
            "XGROUP CREATE s g2 0",
            "XREADGROUP GROUP g1 c COUNT 3 STREAMS s >",
            "XREADGROUP GROUP g2 c COUNT 2 STREAMS s >",
        ] {
            assert!(!m.execute(&argv(line), 10).is_err(), "{line}");
        }
        m
    }

    #[test]
    fn xdelex_acked_example() {
        let mut m = two_groups();
        assert_eq!(
            run(&mut m, 20, "XDELEX s ACKED IDS 5 1-1 2-1 3-1 4-1 9-1"),
            "[2, 2, 2, 2, 2]"
        );
        assert_eq!(run(&mut m, 20, "XDELEX s IDS 1 9-1"), "[-1]");
        assert_eq!(run(&mut m, 20, "XDELEX nokey IDS 2 bad bad"), "[-1, -1]");
        assert_eq!(run(&mut m, 20, "XLEN s"), "4");
        // Scanning continues after the IDs; a second IDS block replaces the first.
        assert_eq!(run(&mut m, 20, "XDELEX s IDS 1 4-1 KEEPREF"), "[1]");
        assert_eq!(run(&mut m, 20, "XDELEX s IDS 1 1-1 IDS 1 3-1"), "[1]");
        assert_eq!(run(&mut m, 20, "XLEN s"), "2");
        assert_eq!(
            run(&mut m, 20, "XDELEX s IDS 1 1-1 2-1"),
            "-ERR syntax error"
        );
        assert_eq!(
            run(&mut m, 20, "XDELEX s KEEPREF ACKED IDS 1 1-1"),
            "-ERR syntax error"
        );
        assert_eq!(
            run(&mut m, 20, "XDELEX s IDS 0 1-1"),
            "-ERR Number of IDs must be a positive integer"
        );
        assert_eq!(
            run(&mut m, 20, "XDELEX s IDS 3 1-1"),
            "-ERR The `numids` parameter must match the number of arguments"
        );
        run(&mut m, 20, "SET str x");
        assert_eq!(
            run(&mut m, 20, "XDELEX str FOO IDS 1 1-1"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value"
        );
        // KEEPREF left 3-1 and 4-1 dangling in g1; DELREF purges a missing ID's refs too.
        assert_eq!(run(&mut m, 20, "XPENDING s g1")[..4].to_string(), "[3, ");
        assert_eq!(run(&mut m, 20, "XDELEX s DELREF IDS 1 3-1"), "[-1]");
        assert_eq!(
            run(&mut m, 20, "XPENDING s g1"),
            "[2, \"1-1\", \"2-1\", [[\"c\", \"2\"]]]"
        );
    }

    #[test]
    fn xackdel_example() {
        let mut m = two_groups();
        assert_eq!(
            run(&mut m, 20, "XACKDEL s g1 ACKED IDS 3 1-1 3-1 9-1"),
            "[2, 2, -1]"
        );
        assert_eq!(run(&mut m, 20, "XACKDEL s g2 ACKED IDS 1 1-1"), "[1]");
        assert_eq!(run(&mut m, 20, "XACKDEL s g2 KEEPREF IDS 1 2-1"), "[1]");
        // 2-1 is still pending (dangling) in g1.
        assert_eq!(
            run(&mut m, 20, "XPENDING s g1 - + 10"),
            "[[\"2-1\", \"c\", 10, 1]]"
        );
        assert_eq!(run(&mut m, 20, "XACKDEL s g1 IDS 1 2-1"), "[1]");
        assert_eq!(
            run(&mut m, 20, "XRANGE s - +"),
            "[[\"3-1\", [\"c\", \"3\"]], [\"4-1\", [\"d\", \"4\"]]]"
        );
        assert_eq!(run(&mut m, 20, "XACKDEL s nogroup IDS 1 bad"), "[-1]");
        let mut m = two_groups();
        assert_eq!(
            run(&mut m, 20, "XACKDEL s g2 ACKED IDS 2 1-1 1-1"),
            "[2, -1]"
        );
        assert_eq!(run(&mut m, 20, "XACKDEL s g1 DELREF IDS 1 2-1"), "[1]");
        assert_eq!(run(&mut m, 20, "XPENDING s g2 - + 10"), "[]");
    }

    #[test]
    fn claim_examples() {
        let mut m = with_entries(3);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 1000, "XREADGROUP GROUP g alice COUNT 1 STREAMS s >");
        run(&mut m, 1020, "XREADGROUP GROUP g alice STREAMS s >");
        assert_eq!(
            run(&mut m, 1081, "XREADGROUP GROUP g bob CLAIM 50 STREAMS s >"),
            "[[\"s\", [[\"1-1\", [\"a\", \"1\"], 81, 1], [\"2-1\", [\"b\", \"2\"], 61, 1], [\"3-1\", [\"c\", \"3\"], 61, 1]]]]"
        );
        assert_eq!(
            run(&mut m, 1081, "XREADGROUP GROUP g bob CLAIM 0 STREAMS s >"),
            "[[\"s\", [[\"1-1\", [\"a\", \"1\"], 0, 2], [\"2-1\", [\"b\", \"2\"], 0, 2], [\"3-1\", [\"c\", \"3\"], 0, 2]]]]"
        );
        assert_eq!(
            run(&mut m, 1081, "XPENDING s g - + 1"),
            "[[\"1-1\", \"bob\", 0, 3]]"
        );
        // Not idle enough and nothing new: not served.
        assert_eq!(
            run(&mut m, 1090, "XREADGROUP GROUP g bob CLAIM 50 STREAMS s >"),
            "nil*"
        );
        // Delivery-time order, not ID order.
        run(&mut m, 1100, "XCLAIM s g carol 0 1-1 2-1");
        assert_eq!(
            run(
                &mut m,
                1200,
                "XREADGROUP GROUP g dave CLAIM 0 COUNT 2 STREAMS s >"
            ),
            "[[\"s\", [[\"3-1\", [\"c\", \"3\"], 119, 3], [\"1-1\", [\"a\", \"1\"], 100, 4]]]]"
        );

        // Two claimable plus new entries, COUNT 3; RESP3 shape.
        let mut m = with_entries(2);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 5, "XREADGROUP GROUP g alice STREAMS s >");
        run(&mut m, 5, "XADD s 3-1 c 3");
        assert_eq!(
            run(&mut m, 5, "XREADGROUP GROUP g bob CLAIM 0 COUNT 3 STREAMS s >"),
            "[[\"s\", [[\"1-1\", [\"a\", \"1\"], 0, 1], [\"2-1\", [\"b\", \"2\"], 0, 1], [\"3-1\", [\"c\", \"3\"], 0, 0]]]]"
        );
        let mut m = with_entries(2);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 5, "XREADGROUP GROUP g alice COUNT 1 STREAMS s >");
        assert_eq!(
            run3(&mut m, 5, "XREADGROUP GROUP g bob CLAIM 0 STREAMS s >"),
            "{\"s\": [[\"1-1\", [\"a\", \"1\"], 0, 1], [\"2-1\", [\"b\", \"2\"], 0, 0]]}"
        );
        // NOACK: claimed entries are still reassigned and counted.
        run(&mut m, 6, "XADD s 3-1 c 3");
        assert_eq!(
            run(&mut m, 7, "XREADGROUP GROUP g carol CLAIM 0 NOACK STREAMS s >"),
            "[[\"s\", [[\"1-1\", [\"a\", \"1\"], 2, 2], [\"2-1\", [\"b\", \"2\"], 2, 1], [\"3-1\", [\"c\", \"3\"], 0, 0]]]]"
        );
        assert_eq!(
            run(&mut m, 7, "XPENDING s g"),
            "[2, \"1-1\", \"2-1\", [[\"carol\", \"2\"]]]"
        );
    }

    #[test]
    fn claim_is_switched_off_by_a_history_read() {
        let setup = || {
            let mut m = GroupModel::new();
            for k in ["s", "t"] {
                run(&mut m, 1, &format!("XADD {k} 1-1 a 1"));
                run(&mut m, 1, &format!("XGROUP CREATE {k} g 0"));
                run(
                    &mut m,
                    1,
                    &format!("XREADGROUP GROUP g alice STREAMS {k} >"),
                );
                run(&mut m, 1, &format!("XADD {k} 2-1 b 2"));
            }
            m
        };
        let mut m = setup();
        assert_eq!(
            run(&mut m, 9, "XREADGROUP GROUP g bob CLAIM 0 STREAMS s t 0 >"),
            "[[\"s\", []], [\"t\", [[\"2-1\", [\"b\", \"2\"]]]]]"
        );
        let mut m = setup();
        assert_eq!(
            run(&mut m, 9, "XREADGROUP GROUP g bob CLAIM 0 STREAMS t s > >"),
            "[[\"t\", [[\"1-1\", [\"a\", \"1\"], 8, 1], [\"2-1\", [\"b\", \"2\"], 0, 0]]], [\"s\", [[\"1-1\", [\"a\", \"1\"], 8, 1], [\"2-1\", [\"b\", \"2\"], 0, 0]]]]"
        );
        // A claimable entry whose stream entry is gone is skipped and left pending.
        let mut m = setup();
        run(&mut m, 9, "XDEL s 1-1");
        assert_eq!(
            run(&mut m, 9, "XREADGROUP GROUP g bob CLAIM 0 STREAMS s >"),
            "[[\"s\", [[\"2-1\", [\"b\", \"2\"], 0, 0]]]]"
        );
        assert_eq!(
            run(&mut m, 9, "XPENDING s g - + 10"),
            "[[\"1-1\", \"alice\", 8, 1], [\"2-1\", \"bob\", 0, 1]]"
        );
    }

    #[test]
    fn acked_and_delref_trimming_examples() {
        let mut m = with_entries(10);
        run(&mut m, 1, "XGROUP CREATE s g 2-1");
        run(&mut m, 1, "XREADGROUP GROUP g c COUNT 2 STREAMS s >");
        assert_eq!(run(&mut m, 1, "XTRIM s MAXLEN ~ 2 ACKED"), "2");
        assert_eq!(run(&mut m, 1, "XLEN s"), "8");
        let mut m = with_entries(10);
        assert_eq!(run(&mut m, 1, "XTRIM s MAXLEN ~ 5 DELREF"), "5");
        let mut m = with_entries(12);
        assert_eq!(run(&mut m, 1, "XTRIM s MAXLEN ~ 9 ACKED"), "3");
        // DELREF purges the trimmed IDs from every PEL; ACKED keeps pending ones.
        let mut m = with_entries(4);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 1, "XREADGROUP GROUP g c COUNT 2 STREAMS s >");
        assert_eq!(run(&mut m, 1, "XADD s ACKED MAXLEN 0 5-1 e 5"), "\"5-1\"");
        assert_eq!(run(&mut m, 1, "XLEN s"), "5");
        assert_eq!(run(&mut m, 1, "XTRIM s MINID 2-1 DELREF"), "1");
        assert_eq!(
            run(&mut m, 1, "XPENDING s g"),
            "[1, \"2-1\", \"2-1\", [[\"c\", \"1\"]]]"
        );
        assert_eq!(
            run(&mut m, 1, "XADD s KEEPREF DELREF 6-1 f 6"),
            "-ERR Invalid stream ID specified as stream command argument"
        );
        assert_eq!(run(&mut m, 1, "XTRIM s KEEPREF ACKED"), "-ERR syntax error");
    }

    #[test]
    fn xclaim_and_xautoclaim_examples() {
        let mut m = with_entries(6);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 100_000, "XREADGROUP GROUP g alice STREAMS s >");
        assert_eq!(
            run(&mut m, 100_030, "XCLAIM s g bob 20 1-1"),
            "[[\"1-1\", [\"a\", \"1\"]]]"
        );
        assert_eq!(run(&mut m, 100_031, "XCLAIM s g bob 20 1-1"), "[]");
        assert_eq!(
            run(&mut m, 100_031, "XCLAIM s g bob 0 1-1 2-1 JUSTID"),
            "[\"1-1\", \"2-1\"]"
        );
        run(
            &mut m,
            100_031,
            "XCLAIM s g bob 0 3-1 IDLE 5000 RETRYCOUNT 7",
        );
        assert_eq!(
            run(&mut m, 100_031, "XPENDING s g - 3-1 10 bob"),
            "[[\"1-1\", \"bob\", 0, 2], [\"2-1\", \"bob\", 0, 1], [\"3-1\", \"bob\", 5000, 7]]"
        );
        // IDLE beyond the command time clamps to now.
        run(&mut m, 100_031, "XCLAIM s g bob 0 4-1 IDLE 200000 JUSTID");
        assert_eq!(
            run(&mut m, 100_031, "XPENDING s g 4-1 4-1 1"),
            "[[\"4-1\", \"bob\", 0, 1]]"
        );
        assert_eq!(
            run(&mut m, 100_031, "XCLAIM s g bob 0 1-1 JUSTID 2-1"),
            "-ERR Unrecognized XCLAIM option '2-1'"
        );

        let mut m = with_entries(6);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 1, "XREADGROUP GROUP g alice STREAMS s >");
        assert_eq!(
            run(&mut m, 2, "XAUTOCLAIM s g bob 0 0 COUNT 2"),
            "[\"3-1\", [[\"1-1\", [\"a\", \"1\"]], [\"2-1\", [\"b\", \"2\"]]], []]"
        );
        assert_eq!(
            run(&mut m, 2, "XAUTOCLAIM s g bob 0 3-1 COUNT 2 JUSTID"),
            "[\"5-1\", [\"3-1\", \"4-1\"], []]"
        );
        assert_eq!(
            run(&mut m, 2, "XAUTOCLAIM s g bob 0 (5-1"),
            "[\"0-0\", [[\"6-1\", [\"f\", \"6\"]]], []]"
        );
        run(&mut m, 2, "XDEL s 2-1 3-1");
        assert_eq!(
            run(&mut m, 2, "XAUTOCLAIM s g carol 0 0 COUNT 1"),
            "[\"2-1\", [[\"1-1\", [\"a\", \"1\"]]], []]"
        );
        assert_eq!(
            run(&mut m, 2, "XAUTOCLAIM s g carol 0 0 COUNT 3"),
            "[\"4-1\", [[\"1-1\", [\"a\", \"1\"]]], [\"2-1\", \"3-1\"]]"
        );
        run(&mut m, 2, "XDEL s 4-1 5-1");
        assert_eq!(
            run(&mut m, 2, "XAUTOCLAIM s g carol 100000 0 COUNT 1"),
            "[\"5-1\", [], [\"4-1\"]]"
        );
        assert_eq!(run(&mut m, 2, "XAUTOCLAIM s g c 0 +"), "[\"0-0\", [], []]");

        let mut m = with_entries(15);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 1, "XREADGROUP GROUP g alice STREAMS s >");
        assert_eq!(
            run(&mut m, 2, "XAUTOCLAIM s g bob 100000 0 COUNT 1"),
            "[\"11-1\", [], []]"
        );
        assert_eq!(
            run(&mut m, 2, "XAUTOCLAIM s g bob 100000 0 COUNT 2"),
            "[\"0-0\", [], []]"
        );
    }

    fn group_info(m: &mut GroupModel) -> String {
        run(m, 50, "XINFO GROUPS s")
    }

    #[test]
    fn entries_read_and_lag_table() {
        let mut m = GroupModel::new();
        run(&mut m, 1, "XGROUP CREATE s g 0 MKSTREAM");
        assert!(group_info(&mut m).ends_with("\"entries-read\", nil, \"lag\", 0]]"));
        let cases = [
            ("XGROUP CREATE s g 0", "nil", "5"),
            ("XGROUP CREATE s g $", "nil", "0"),
            ("XGROUP CREATE s g 3-1", "nil", "nil"),
            ("XGROUP CREATE s g 9-1", "nil", "nil"),
            ("XGROUP CREATE s g 0 ENTRIESREAD 2", "2", "5"),
        ];
        for (create, er, lag) in cases {
            let mut m = with_entries(5);
            run(&mut m, 1, create);
            let want = format!("\"entries-read\", {er}, \"lag\", {lag}]]");
            assert!(
                group_info(&mut m).ends_with(&want),
                "{create}: {}",
                group_info(&mut m)
            );
        }
        let mut m = with_entries(5);
        run(&mut m, 1, "XGROUP CREATE s g 0 ENTRIESREAD 2");
        run(&mut m, 1, "XREADGROUP GROUP g c COUNT 1 STREAMS s >");
        assert!(group_info(&mut m).ends_with("\"entries-read\", 1, \"lag\", 4]]"));
        run(&mut m, 1, "XDEL s 4-1");
        assert!(group_info(&mut m).ends_with("\"entries-read\", 1, \"lag\", nil]]"));
        run(&mut m, 1, "XREADGROUP GROUP g c STREAMS s >");
        assert!(group_info(&mut m).ends_with("\"entries-read\", 5, \"lag\", 0]]"));
        run(&mut m, 1, "XGROUP CREATE s h 0 ENTRIESREAD 1");
        run(&mut m, 1, "XTRIM s MAXLEN 1");
        assert!(
            group_info(&mut m).contains("\"name\", \"h\", \"consumers\", 0, \"pending\", 0, \"last-delivered-id\", \"0-0\", \"entries-read\", 1, \"lag\", 1]")
        );
        run(&mut m, 1, "XDEL s 5-1");
        assert!(group_info(&mut m).ends_with("\"entries-read\", 1, \"lag\", 0]]"));
        // XSETID … ENTRIESADDED 50 MAXDELETEDID 8-1, group at 6-1 having read 6.
        let mut m = with_entries(7);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 1, "XREADGROUP GROUP g c COUNT 6 STREAMS s >");
        assert!(group_info(&mut m).ends_with("\"entries-read\", 6, \"lag\", 1]]"));
        run(&mut m, 1, "XSETID s 9-1 ENTRIESADDED 50 MAXDELETEDID 8-1");
        assert!(group_info(&mut m).ends_with("\"entries-read\", 6, \"lag\", nil]]"));
        // XCLAIM … LASTID 50-0 with 7 added and 4 read.
        let mut m = with_entries(7);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 1, "XREADGROUP GROUP g c COUNT 4 STREAMS s >");
        run(&mut m, 1, "XCLAIM s g c 0 1-1 LASTID 50-0");
        assert!(group_info(&mut m)
            .ends_with("\"last-delivered-id\", \"50-0\", \"entries-read\", 4, \"lag\", 3]]"));
        // ENTRIESREAD above entries-added is clamped.
        let mut m = with_entries(3);
        run(&mut m, 1, "XGROUP CREATE s g 0 ENTRIESREAD 99");
        assert!(group_info(&mut m).ends_with("\"entries-read\", 3, \"lag\", 3]]"));
        run(&mut m, 1, "XGROUP SETID s g 2-1");
        assert!(group_info(&mut m).ends_with("\"entries-read\", nil, \"lag\", nil]]"));
    }

    #[test]
    fn history_and_redelivery() {
        let mut m = with_entries(3);
        run(&mut m, 1, "XGROUP CREATE s g 0");
        run(&mut m, 1, "XREADGROUP GROUP g alice STREAMS s >");
        run(&mut m, 1, "XDEL s 2-1");
        assert_eq!(
            run(&mut m, 2, "XREADGROUP GROUP g alice STREAMS s 0"),
            "[[\"s\", [[\"1-1\", [\"a\", \"1\"]], [\"2-1\", nil*], [\"3-1\", [\"c\", \"3\"]]]]]"
        );
        assert_eq!(
            run3(&mut m, 2, "XREADGROUP GROUP g alice COUNT 2 STREAMS s 0"),
            "{\"s\": [[\"1-1\", [\"a\", \"1\"]], [\"2-1\", _]]}"
        );
        assert_eq!(
            run(&mut m, 2, "XPENDING s g - + 10"),
            "[[\"1-1\", \"alice\", 0, 3], [\"2-1\", \"alice\", 1, 1], [\"3-1\", \"alice\", 0, 2]]"
        );
        assert_eq!(
            run(&mut m, 2, "XREADGROUP GROUP g bob STREAMS s 0"),
            "[[\"s\", []]]"
        );
        // SETID backwards: `>` re-delivers, resetting the count and the owner.
        run(&mut m, 3, "XGROUP SETID s g 0");
        assert_eq!(
            run(&mut m, 4, "XREADGROUP GROUP g bob COUNT 1 STREAMS s >"),
            "[[\"s\", [[\"1-1\", [\"a\", \"1\"]]]]]"
        );
        assert_eq!(
            run(&mut m, 4, "XPENDING s g - + 1"),
            "[[\"1-1\", \"bob\", 0, 1]]"
        );
        assert_eq!(run(&mut m, 4, "XGROUP DELCONSUMER s g alice"), "2");
        assert!(m.check_invariants(1).is_ok());
        assert_eq!(
            run(&mut m, 4, "XINFO CONSUMERS s g"),
            "[[\"name\", \"bob\", \"pending\", 1, \"idle\", 0, \"inactive\", 0]]"
        );
    }
}
