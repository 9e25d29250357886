//! Typed replies of XINFO STREAM and XINFO STREAM FULL.

use alloc::vec::Vec;

use crate::entry::StreamEntry;
use crate::id::StreamId;

/// The counters and layout figures shared by XINFO STREAM and its FULL form, in the
/// order Redis 8.6 lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamSummary {
    /// `length`: live entries.
    pub length: u64,
    /// `radix-tree-keys`: nodes.
    pub radix_tree_keys: u64,
    /// `radix-tree-nodes`: nodes of Redis's radix tree over the node keys.
    pub radix_tree_nodes: u64,
    /// `last-generated-id`.
    pub last_generated_id: StreamId,
    /// `max-deleted-entry-id`.
    pub max_deleted_entry_id: StreamId,
    /// `entries-added`.
    pub entries_added: u64,
    /// `recorded-first-entry-id`.
    pub recorded_first_entry_id: StreamId,
    /// `idmp-duration` (seconds), the stream's idempotent-producer window.
    pub idmp_duration: u64,
    /// `idmp-maxsize`, IIDs kept per producer.
    pub idmp_maxsize: u64,
    /// `pids-tracked`.
    pub pids_tracked: u64,
    /// `iids-tracked`.
    pub iids_tracked: u64,
    /// `iids-added`.
    pub iids_added: u64,
    /// `iids-duplicates`.
    pub iids_duplicates: u64,
}

/// XINFO STREAM's reply.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XInfoStream {
    /// Counters and layout.
    pub summary: StreamSummary,
    /// `groups`: number of consumer groups.
    pub groups: u64,
    /// `first-entry`: the first live entry.
    pub first_entry: Option<StreamEntry>,
    /// `last-entry`: the last live entry.
    pub last_entry: Option<StreamEntry>,
}

/// XINFO STREAM FULL's reply.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XInfoStreamFull {
    /// Counters and layout.
    pub summary: StreamSummary,
    /// `entries`: the first COUNT live entries.
    pub entries: Vec<StreamEntry>,
    /// `groups`, by name.
    pub groups: Vec<FullGroup>,
}

/// One element of XINFO GROUPS.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XInfoGroup {
    /// `name`.
    pub name: bytes::Bytes,
    /// `consumers`: how many consumers the group has.
    pub consumers: u64,
    /// `pending`: entries in the group PEL.
    pub pending: u64,
    /// `last-delivered-id`.
    pub last_delivered_id: StreamId,
    /// `entries-read` (`None`: nil).
    pub entries_read: Option<u64>,
    /// `lag` (`None`: nil).
    pub lag: Option<u64>,
}

/// One element of XINFO CONSUMERS.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XInfoConsumer {
    /// `name`.
    pub name: bytes::Bytes,
    /// `pending`: entries this consumer owns.
    pub pending: u64,
    /// `idle`: ms since the consumer's last attempted interaction.
    pub idle: u64,
    /// `inactive`: ms since its last successful one (`None`: never, shown as -1).
    pub inactive: Option<u64>,
}

/// A pending entry as XPENDING's extended form lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingEntry {
    /// The entry ID.
    pub id: StreamId,
    /// Its owner.
    pub consumer: bytes::Bytes,
    /// ms since its last delivery.
    pub idle: u64,
    /// How many times it was delivered.
    pub delivery_count: u64,
}

/// XPENDING's summary form.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XPendingSummary {
    /// Entries pending in the group.
    pub count: u64,
    /// The smallest and greatest pending IDs (`None` when nothing is pending).
    pub bounds: Option<PendingBounds>,
    /// Consumers with at least one pending entry, by name, with their counts.
    pub consumers: Vec<ConsumerPending>,
}

/// The smallest and greatest IDs pending in a group (XPENDING's summary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingBounds {
    /// The smallest pending ID.
    pub smallest: StreamId,
    /// The greatest pending ID.
    pub greatest: StreamId,
}

impl PendingBounds {
    /// Bounds from the smallest and the greatest pending ID.
    pub fn new(smallest: StreamId, greatest: StreamId) -> PendingBounds {
        PendingBounds { smallest, greatest }
    }
}

/// A consumer's pending count (XPENDING's summary).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerPending {
    /// The consumer's name.
    pub name: bytes::Bytes,
    /// How many entries it has pending.
    pub pending: u64,
}

/// A group in XINFO STREAM FULL.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FullGroup {
    /// Name, last-delivered-id, entries-read, lag as in XINFO GROUPS (`consumers` and
    /// `pending` counts there are the lengths of the lists here).
    pub info: XInfoGroup,
    /// `pending`: the group's first COUNT pending entries.
    pub pending: Vec<GroupPendingEntry>,
    /// `consumers`.
    pub consumers: Vec<FullConsumer>,
}

/// A consumer in XINFO STREAM FULL.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FullConsumer {
    /// `name`.
    pub name: bytes::Bytes,
    /// `seen-time` (Unix ms).
    pub seen_time: u64,
    /// `active-time` (Unix ms; `None` shows as -1).
    pub active_time: Option<u64>,
    /// `pel-count`.
    pub pel_count: u64,
    /// `pending`: its first COUNT pending entries.
    pub pending: Vec<ConsumerPendingEntry>,
}

impl ConsumerPending {
    /// `name` with `pending` entries.
    pub fn new(name: impl Into<bytes::Bytes>, pending: u64) -> ConsumerPending {
        ConsumerPending {
            name: name.into(),
            pending,
        }
    }
}

/// A pending entry of a group in XINFO STREAM FULL.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupPendingEntry {
    /// The entry's ID.
    pub id: StreamId,
    /// The consumer that owns it.
    pub consumer: bytes::Bytes,
    /// When it was last delivered (Unix ms).
    pub delivery_time: u64,
    /// How many times it was delivered.
    pub delivery_count: u64,
}

/// A pending entry of a consumer in XINFO STREAM FULL.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerPendingEntry {
    /// The entry's ID.
    pub id: StreamId,
    /// When it was last delivered (Unix ms).
    pub delivery_time: u64,
    /// How many times it was delivered.
    pub delivery_count: u64,
}

/// One entry of an XREADGROUP reply.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupEntry {
    /// The entry ID.
    pub id: StreamId,
    /// Its fields; `None` for a pending entry whose stream entry was deleted (history
    /// reads answer `[id, nil]`).
    pub fields: Option<Vec<(bytes::Bytes, bytes::Bytes)>>,
    /// With `CLAIM`: the entry's idle time and delivery count before this read (both
    /// 0 for new entries); the reply element then has four parts.
    pub claim: Option<DeliveryInfo>,
}

impl From<StreamEntry> for GroupEntry {
    /// The entry as a group read delivers it: with its fields, without CLAIM's part.
    fn from(e: StreamEntry) -> GroupEntry {
        GroupEntry {
            id: e.id,
            fields: Some(e.fields),
            claim: None,
        }
    }
}

/// What XREADGROUP … CLAIM tells about an entry's earlier deliveries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryInfo {
    /// ms since its last delivery (0 for a new entry).
    pub idle: u64,
    /// How many times it was delivered before (0 for a new entry).
    pub delivery_count: u64,
}

impl DeliveryInfo {
    /// An entry idle for `idle` ms, delivered `delivery_count` times before.
    pub fn new(idle: u64, delivery_count: u64) -> DeliveryInfo {
        DeliveryInfo {
            idle,
            delivery_count,
        }
    }
}

/// XCLAIM's and XAUTOCLAIM's claimed entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claimed {
    /// Full entries.
    Entries(Vec<StreamEntry>),
    /// IDs only (`JUSTID`).
    Ids(Vec<StreamId>),
}

/// XAUTOCLAIM's reply.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct XAutoClaimReply {
    /// Where the next call should start (`0-0`: the scan reached the end).
    pub next: StreamId,
    /// What was claimed.
    pub claimed: Claimed,
    /// Pending IDs whose entries no longer exist (removed from the PEL).
    pub deleted: Vec<StreamId>,
}
