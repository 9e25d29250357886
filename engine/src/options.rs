//! Typed options of the stream commands, named after Redis's arguments.

use core::time::Duration;

use crate::error::Error;
use crate::id::{StreamId, XAddId};
use crate::log::idmp::Idempotency;

/// How trimming decides what to remove: `MAXLEN n` or `MINID id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimStrategy {
    /// `MAXLEN n`: keep at most `n` entries.
    MaxLen(u64),
    /// `MINID id`: remove entries whose ID is below `id`.
    MinId(StreamId),
}

/// What deleting or trimming does about consumer-group references (Redis 8.2's
/// `KEEPREF | DELREF | ACKED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RefPolicy {
    /// `KEEPREF` (the default): pending entries of removed IDs stay in group PELs.
    #[default]
    KeepRef,
    /// `DELREF`: removed IDs are also removed from every group's PEL.
    DelRef,
    /// `ACKED`: only entries no group still references are removed.
    Acked,
}

impl RefPolicy {
    /// The policy named by a command argument (`KEEPREF`, `DELREF`, `ACKED`, any case).
    pub fn from_keyword(arg: &[u8]) -> Option<RefPolicy> {
        use crate::num::keyword_eq;
        if keyword_eq(arg, "KEEPREF") {
            Some(RefPolicy::KeepRef)
        } else if keyword_eq(arg, "DELREF") {
            Some(RefPolicy::DelRef)
        } else if keyword_eq(arg, "ACKED") {
            Some(RefPolicy::Acked)
        } else {
            None
        }
    }

    /// The policy's keyword, as Redis's commands spell it (`KEEPREF`, `DELREF`, `ACKED`).
    pub fn keyword(self) -> &'static str {
        match self {
            RefPolicy::KeepRef => "KEEPREF",
            RefPolicy::DelRef => "DELREF",
            RefPolicy::Acked => "ACKED",
        }
    }
}

/// Trimming options of XTRIM and of XADD's `MAXLEN`/`MINID` clause, built from
/// [`TrimOptions::maxlen`] or [`TrimOptions::minid`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrimOptions {
    /// `MAXLEN` or `MINID` and its threshold.
    pub strategy: TrimStrategy,
    /// `~`: with KEEPREF, trim whole nodes only (may leave more entries than asked);
    /// DELREF and ACKED always trim entry by entry (within LIMIT).
    pub approx: bool,
    /// `LIMIT n`: at most about `n` entries removed (only with `~`; `Some(0)` means no
    /// limit). `None` takes Redis's default: `100 × stream-node-max-entries` for `~`,
    /// no limit for exact trimming.
    pub limit: Option<u64>,
    /// `KEEPREF` / `DELREF` / `ACKED`.
    pub policy: RefPolicy,
}

impl TrimOptions {
    /// `MAXLEN = n` (exact).
    pub fn maxlen(n: u64) -> TrimOptions {
        TrimOptions {
            strategy: TrimStrategy::MaxLen(n),
            approx: false,
            limit: None,
            policy: RefPolicy::KeepRef,
        }
    }

    /// `MINID = id` (exact).
    pub fn minid(id: StreamId) -> TrimOptions {
        TrimOptions {
            strategy: TrimStrategy::MinId(id),
            ..TrimOptions::maxlen(0)
        }
    }

    /// Makes the trim approximate (`~`).
    pub fn approx(mut self) -> TrimOptions {
        self.approx = true;
        self
    }

    /// Sets `LIMIT n` (requires `~`).
    pub fn limit(mut self, n: u64) -> TrimOptions {
        self.limit = Some(n);
        self
    }

    /// Sets the reference policy.
    pub fn policy(mut self, policy: RefPolicy) -> TrimOptions {
        self.policy = policy;
        self
    }

    /// Redis's checks on a parsed trim clause: LIMIT needs `~`.
    pub fn validate(&self) -> Result<(), Error> {
        if self.limit.is_some() && !self.approx {
            return Err(Error::LimitWithoutApprox);
        }
        Ok(())
    }

    /// The effective LIMIT: explicit, or Redis's default for `~` (`100 ×
    /// stream-node-max-entries`, 10000 when that is 0, at most 1,000,000); `0` = none.
    pub fn effective_limit(&self, node_max_entries: u64) -> u64 {
        match self.limit {
            Some(n) => n,
            None if self.approx => {
                // `100 * stream_node_max_entries` in C's signed 64-bit arithmetic.
                let l = (node_max_entries as i64).wrapping_mul(100);
                if l <= 0 {
                    10_000
                } else {
                    l.min(1_000_000) as u64
                }
            }
            None => 0,
        }
    }
}

/// Options of XADD: `XAddOptions::default()` (`*`, no trimming) and the builder methods.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct XAddOptions {
    /// The ID to use: `*` (default), `ms-*`, or explicit.
    pub id: XAddId,
    /// `NOMKSTREAM`: do not create a missing stream (the reply is then nil).
    pub nomkstream: bool,
    /// `MAXLEN` / `MINID` trimming after the append (with its reference policy).
    pub trim: Option<TrimOptions>,
    /// `IDMP pid iid` / `IDMPAUTO pid`: deduplicate by producer and idempotent ID
    /// (requires the `*` ID).
    pub idmp: Option<Idempotency>,
}

impl XAddOptions {
    /// Options with an explicit or partial ID.
    pub fn with_id(id: impl Into<XAddId>) -> XAddOptions {
        XAddOptions {
            id: id.into(),
            ..XAddOptions::default()
        }
    }

    /// Sets `NOMKSTREAM`.
    pub fn nomkstream(mut self) -> XAddOptions {
        self.nomkstream = true;
        self
    }

    /// Trims after adding.
    pub fn trim(mut self, trim: TrimOptions) -> XAddOptions {
        self.trim = Some(trim);
        self
    }

    /// Sets the ID (`*`, `ms-*` or explicit).
    pub fn id(mut self, id: impl Into<XAddId>) -> XAddOptions {
        self.id = id.into();
        self
    }

    /// Sets `IDMP pid iid` or `IDMPAUTO pid` (Redis 8.6).
    pub fn idmp(mut self, idmp: Idempotency) -> XAddOptions {
        self.idmp = Some(idmp);
        self
    }
}

/// Which ID XREAD reads after, per stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XReadId {
    /// Entries with an ID greater than this one.
    After(StreamId),
    /// `$`: only entries added after the call (the stream's last-generated-id).
    Last,
    /// `+`: the stream's last entry.
    LastEntry,
}

/// XSETID's arguments, built from [`XSetIdOptions::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XSetIdOptions {
    /// The new last-generated-id.
    pub last_id: StreamId,
    /// `ENTRIESADDED n`.
    pub entries_added: Option<u64>,
    /// `MAXDELETEDID id`.
    pub max_deleted_id: Option<StreamId>,
}

impl XSetIdOptions {
    /// XSETID to `last_id` without options.
    pub fn new(last_id: StreamId) -> XSetIdOptions {
        XSetIdOptions {
            last_id,
            entries_added: None,
            max_deleted_id: None,
        }
    }

    /// Sets `ENTRIESADDED n`.
    pub fn entries_added(mut self, n: u64) -> XSetIdOptions {
        self.entries_added = Some(n);
        self
    }

    /// Sets `MAXDELETEDID id`.
    pub fn max_deleted_id(mut self, id: StreamId) -> XSetIdOptions {
        self.max_deleted_id = Some(id);
        self
    }

    /// The checks Redis makes while parsing, before looking at the key.
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(md) = self.max_deleted_id {
            if self.last_id < md {
                return Err(Error::XSetIdBelowGivenMaxDeleted);
            }
        }
        Ok(())
    }
}

/// Where XREADGROUP reads a stream from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupReadId {
    /// `>`: entries never delivered to this group.
    New,
    /// An explicit ID: this consumer's pending entries after it (its history).
    After(StreamId),
}

impl GroupReadId {
    /// The read as Redis performs it: Redis stores `>` as the maximum ID, so an explicit
    /// `18446744073709551615-18446744073709551615` reads new entries too.
    pub fn normalized(self) -> GroupReadId {
        match self {
            GroupReadId::After(StreamId::MAX) => GroupReadId::New,
            other => other,
        }
    }
}

/// Options of XREADGROUP: `XReadGroupOptions::default()` and the builder methods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct XReadGroupOptions {
    /// `COUNT n`: at most this many entries per stream (`None` or 0: no limit).
    pub count: Option<u64>,
    /// `NOACK`: `>` deliveries create no pending entries.
    pub noack: bool,
    /// `CLAIM min-idle-time` (Redis 8.4): with `>`, first take over pending entries
    /// idle at least this many milliseconds.
    pub claim: Option<u64>,
}

impl XReadGroupOptions {
    /// Sets `COUNT`.
    pub fn count(mut self, n: u64) -> XReadGroupOptions {
        self.count = Some(n);
        self
    }

    /// Sets `NOACK`.
    pub fn noack(mut self) -> XReadGroupOptions {
        self.noack = true;
        self
    }

    /// Sets `CLAIM min-idle-time` (whole milliseconds).
    pub fn claim(mut self, min_idle: Duration) -> XReadGroupOptions {
        self.claim = Some(millis(min_idle));
        self
    }
}

/// XCLAIM's delivery-time option: the last `IDLE` or `TIME` given wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimTime {
    /// `IDLE ms`: delivered `ms` before the command's time.
    Idle(i64),
    /// `TIME unix-ms`: delivered at this time.
    Time(i64),
}

/// Options of XCLAIM: `XClaimOptions::default()` and the builder methods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct XClaimOptions {
    /// `IDLE ms` or `TIME unix-ms` (default: the command's time).
    pub time: Option<ClaimTime>,
    /// `RETRYCOUNT n`: set the delivery count (negative: as if not given).
    pub retry_count: Option<i64>,
    /// `FORCE`: create pending entries for existing entries nobody has pending.
    pub force: bool,
    /// `JUSTID`: reply with IDs only and leave delivery counts alone.
    pub justid: bool,
    /// `LASTID id`: raise the group's last-delivered-id to this ID.
    pub last_id: Option<StreamId>,
}

/// Options of XAUTOCLAIM: `XAutoClaimOptions::default()` (COUNT 100) and the builder
/// methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XAutoClaimOptions {
    /// `COUNT n` (default 100): claim at most this many, examining at most 10× as many.
    pub count: u64,
    /// `JUSTID`: reply with IDs only and leave delivery counts alone.
    pub justid: bool,
}

impl Default for XAutoClaimOptions {
    fn default() -> XAutoClaimOptions {
        XAutoClaimOptions {
            count: 100,
            justid: false,
        }
    }
}

impl XAutoClaimOptions {
    /// Sets `COUNT n`.
    pub fn count(mut self, n: u64) -> XAutoClaimOptions {
        self.count = n;
        self
    }

    /// Sets `JUSTID`.
    pub fn justid(mut self) -> XAutoClaimOptions {
        self.justid = true;
        self
    }
}

impl XClaimOptions {
    /// Sets `IDLE ms` (whole milliseconds): as if delivered this long before the
    /// command. Redis takes an idle time longer than the time since 1970 as 0 (the
    /// delivery time cannot be negative), and so does the engine.
    pub fn idle(mut self, idle: Duration) -> XClaimOptions {
        self.time = Some(ClaimTime::Idle(
            i64::try_from(millis(idle)).unwrap_or(i64::MAX),
        ));
        self
    }

    /// Sets `TIME unix-ms`: as if delivered at this Unix time in milliseconds.
    pub fn time_ms(mut self, unix_ms: i64) -> XClaimOptions {
        self.time = Some(ClaimTime::Time(unix_ms));
        self
    }

    /// Sets `RETRYCOUNT n`.
    pub fn retry_count(mut self, n: i64) -> XClaimOptions {
        self.retry_count = Some(n);
        self
    }

    /// Sets `FORCE`.
    pub fn force(mut self) -> XClaimOptions {
        self.force = true;
        self
    }

    /// Sets `JUSTID`.
    pub fn justid(mut self) -> XClaimOptions {
        self.justid = true;
        self
    }

    /// Sets `LASTID id`.
    pub fn last_id(mut self, id: StreamId) -> XClaimOptions {
        self.last_id = Some(id);
        self
    }
}

/// XPENDING's extended form: `[IDLE min-idle] start end count [consumer]`, built from
/// [`XPendingRange::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XPendingRange {
    /// Only entries idle at least this many milliseconds (0 or negative: no filter).
    pub min_idle: i64,
    /// First ID (inclusive).
    pub start: StreamId,
    /// Last ID (inclusive).
    pub end: StreamId,
    /// At most this many entries.
    pub count: u64,
    /// Only this consumer's entries.
    pub consumer: Option<bytes::Bytes>,
}

impl XPendingRange {
    /// At most `count` pending entries from `start` to `end` (inclusive).
    pub fn new(start: StreamId, end: StreamId, count: u64) -> XPendingRange {
        XPendingRange {
            min_idle: 0,
            start,
            end,
            count,
            consumer: None,
        }
    }

    /// Sets `IDLE min-idle-time` (whole milliseconds).
    pub fn idle(mut self, min_idle: Duration) -> XPendingRange {
        self.min_idle = i64::try_from(millis(min_idle)).unwrap_or(i64::MAX);
        self
    }

    /// Only `consumer`'s entries.
    pub fn consumer(mut self, consumer: impl AsRef<[u8]>) -> XPendingRange {
        self.consumer = Some(bytes::Bytes::copy_from_slice(consumer.as_ref()));
        self
    }
}

/// `d` in whole milliseconds, rounded down and at most `i64::MAX` (the largest time
/// Redis parses).
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).map_or(i64::MAX as u64, |ms| ms.min(i64::MAX as u64))
}

/// `d` in whole milliseconds, rounded up (so any wait or expiry above zero is at least
/// 1 ms) and at most `i64::MAX`.
pub(crate) fn millis_up(d: Duration) -> u64 {
    let up = u64::from(!d.subsec_nanos().is_multiple_of(1_000_000));
    millis(d).saturating_add(up).min(i64::MAX as u64)
}

/// A `BLOCK` this long or longer (about 146 million years) is sent as `BLOCK 0`.
const FOREVER_MS: u64 = 1 << 62;

/// How long a read waits when it finds nothing: XREAD/XREADGROUP's `BLOCK`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Block {
    /// `BLOCK ms`: wait up to this long (rounded up to whole milliseconds; zero does not
    /// wait at all — unlike Redis's `BLOCK 0`, which means forever; a wait of 2^62 ms or
    /// more is forever).
    For(Duration),
    /// `BLOCK 0`: wait until an entry arrives.
    Forever,
}

impl Block {
    /// Redis's `BLOCK` argument (0: forever), or `None` for a zero duration, which reads
    /// without blocking.
    pub fn millis(self) -> Option<u64> {
        match self {
            Block::Forever => Some(0),
            Block::For(d) if d.is_zero() => None,
            // Redis refuses a deadline past `i64::MAX` ms: a wait that long is forever.
            Block::For(d) if millis(d) >= FOREVER_MS => Some(0),
            Block::For(d) => Some(millis_up(d)),
        }
    }

    /// The block for Redis's `BLOCK ms` (0: forever).
    pub fn from_millis(ms: u64) -> Block {
        match ms {
            0 => Block::Forever,
            ms => Block::For(Duration::from_millis(ms)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_as_redis_block_argument() {
        assert_eq!(Block::Forever.millis(), Some(0));
        assert_eq!(Block::For(Duration::ZERO).millis(), None);
        assert_eq!(Block::For(Duration::from_micros(1)).millis(), Some(1));
        assert_eq!(Block::For(Duration::from_micros(1_500)).millis(), Some(2));
        assert_eq!(Block::For(Duration::from_millis(30)).millis(), Some(30));
        assert_eq!(Block::For(Duration::MAX).millis(), Some(0));
        assert_eq!(Block::from_millis(0), Block::Forever);
        assert_eq!(Block::from_millis(7).millis(), Some(7));
    }

    #[test]
    fn durations_in_argv_stay_within_what_redis_parses() {
        assert_eq!(millis(Duration::from_micros(1_999)), 1);
        assert_eq!(millis(Duration::MAX), i64::MAX as u64);
        assert_eq!(millis_up(Duration::from_micros(1)), 1);
        assert_eq!(millis_up(Duration::MAX), i64::MAX as u64);
        let o = XClaimOptions::default().idle(Duration::MAX);
        assert_eq!(o.time, Some(ClaimTime::Idle(i64::MAX)));
        let r = XPendingRange::new(StreamId::MIN, StreamId::MAX, 1).idle(Duration::MAX);
        assert_eq!(r.min_idle, i64::MAX);
    }
}
