//! A snapshot of streams, their groups and consumers, read with XINFO STREAM, XINFO
//! GROUPS, XINFO CONSUMERS and XPENDING through the [`Streams`] trait — the numbers the
//! exposition and `brook stats` show.

use bytes::Bytes;

use crate::{Error, StreamId, Streams, StreamsClock};

/// One stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamMetrics {
    /// Its key.
    pub stream: Bytes,
    /// `length`.
    pub length: u64,
    /// `radix-tree-keys`.
    pub radix_tree_keys: u64,
    /// `radix-tree-nodes`.
    pub radix_tree_nodes: u64,
    /// `last-generated-id`.
    pub last_generated_id: StreamId,
    /// `max-deleted-entry-id`.
    pub max_deleted_entry_id: StreamId,
    /// `entries-added`.
    pub entries_added: u64,
    /// `first-entry`'s ID.
    pub first_entry_id: Option<StreamId>,
    /// `last-entry`'s ID.
    pub last_entry_id: Option<StreamId>,
    /// Its groups, by name.
    pub groups: Vec<GroupMetrics>,
}

/// One consumer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMetrics {
    /// Its name.
    pub name: Bytes,
    /// `pending`.
    pub pending: u64,
    /// `last-delivered-id`.
    pub last_delivered_id: StreamId,
    /// `entries-read` (`None` where Redis says nil).
    pub entries_read: Option<u64>,
    /// `lag` (`None` where Redis says nil: unknown, not 0).
    pub lag: Option<u64>,
    /// Age of the oldest pending entry, from its ID's time to the backend's clock (ms).
    pub oldest_pending_age_ms: Option<u64>,
    /// Its consumers, by name.
    pub consumers: Vec<ConsumerMetrics>,
}

/// One consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerMetrics {
    /// Its name.
    pub name: Bytes,
    /// `pending`.
    pub pending: u64,
    /// `idle` (ms).
    pub idle_ms: u64,
    /// `inactive` (ms; `None`: never active, or a server without the field).
    pub inactive_ms: Option<u64>,
}

/// Reads the metrics of each stream in `keys` that exists (missing keys are skipped).
pub async fn snapshot<S: Streams + StreamsClock>(
    backend: &S,
    keys: &[impl AsRef<[u8]>],
) -> Result<Vec<StreamMetrics>, Error> {
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let key = key.as_ref();
        let info = match backend.xinfo_stream(key).await {
            Ok(i) => i,
            Err(Error::NoSuchKey) => continue,
            Err(e) => return Err(e),
        };
        let mut groups = Vec::new();
        for g in backend.xinfo_groups(key).await? {
            let oldest_pending_age_ms = match g.pending {
                0 => None,
                _ => backend
                    .xpending(key, &g.name)
                    .await?
                    .bounds
                    .map(|b| backend.now_ms().saturating_sub(b.smallest.ms)),
            };
            let consumers = backend
                .xinfo_consumers(key, &g.name)
                .await?
                .into_iter()
                .map(|c| ConsumerMetrics {
                    name: c.name,
                    pending: c.pending,
                    idle_ms: c.idle,
                    inactive_ms: c.inactive,
                })
                .collect();
            groups.push(GroupMetrics {
                name: g.name,
                pending: g.pending,
                last_delivered_id: g.last_delivered_id,
                entries_read: g.entries_read,
                lag: g.lag,
                oldest_pending_age_ms,
                consumers,
            });
        }
        let s = info.summary;
        out.push(StreamMetrics {
            stream: Bytes::copy_from_slice(key),
            length: s.length,
            radix_tree_keys: s.radix_tree_keys,
            radix_tree_nodes: s.radix_tree_nodes,
            last_generated_id: s.last_generated_id,
            max_deleted_entry_id: s.max_deleted_entry_id,
            entries_added: s.entries_added,
            first_entry_id: info.first_entry.map(|e| e.id),
            last_entry_id: info.last_entry.map(|e| e.id),
            groups,
        });
    }
    Ok(out)
}
