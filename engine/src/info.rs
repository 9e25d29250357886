//! Typed replies of XINFO STREAM and XINFO STREAM FULL.

use alloc::vec::Vec;

use crate::entry::StreamEntry;
use crate::id::StreamId;

/// The counters and layout figures shared by XINFO STREAM and its FULL form, in the
/// order Redis 8.6 lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
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
pub struct XInfoStreamFull {
    /// Counters and layout.
    pub summary: StreamSummary,
    /// `entries`: the first COUNT live entries.
    pub entries: Vec<StreamEntry>,
}
