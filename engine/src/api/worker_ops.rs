//! [`WorkerOps`]: the conditional operations a reliable consumer needs, each atomic on
//! the backend (a Lua script on a server, one step under the lock on the engine).

use core::future::Future;
use core::time::Duration;

use super::{Command, EffectReplies, Streams, StreamsClock};
use crate::entry::FieldValues;
use crate::error::Error;
use crate::id::StreamId;

/// The worker's recipes on top of [`Streams`] and [`StreamsClock`]: acknowledge,
/// touch or dead-letter an entry only while a consumer still owns it, commit an
/// idempotent handler's effects, and retire an idle consumer without dropping pending
/// entries. No Redis command does these alone; brook's worker needs each to be atomic.
pub trait WorkerOps: Streams + StreamsClock {
    /// The longest a mark-and-ack marker is kept (about 100 years): a longer `keep`
    /// (`Duration::MAX` for "forever") is this, so the marker's expiry is always one
    /// Redis accepts and the entry is never acknowledged without its marker.
    const MAX_MARKER_KEEP: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

    /// ack-if-owner: acknowledges those `ids` that `consumer` still owns in `group`
    /// (an entry another consumer reclaimed is left alone); the number acknowledged.
    /// `NOGROUP` when the key or group is missing.
    fn xack_if_owner(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// touch-if-owner: resets the idle time of those `ids` that `consumer` still owns
    /// (as the owner's `XCLAIM … 0 … JUSTID`: no delivery counted), so a long handler
    /// keeps its entry from being reclaimed without taking back one already reclaimed;
    /// the number touched.
    fn xtouch_if_owner(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        ids: &[StreamId],
    ) -> impl Future<Output = Result<u64, Error>> + Send;

    /// ack-if-owner then add: when `consumer` still owns `id`, adds `fields` to stream
    /// `to` (auto ID) and acknowledges `id`, atomically; the new ID, or `None` (nothing
    /// written) when it no longer owns it. The dead-letter move: only the owner that
    /// acknowledges writes the dead letter. On a cluster `to` must share `key`'s slot.
    fn xack_if_owner_then_add(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
        id: StreamId,
        to: impl AsRef<[u8]> + Send,
        fields: &(impl FieldValues + Sync + ?Sized),
    ) -> impl Future<Output = Result<Option<StreamId>, Error>> + Send;

    /// mark-and-ack-if-new, an idempotent handler's commit: XACK `id`, then set
    /// `marker` (expiring after `keep`: whole milliseconds rounded up, at least 1 ms,
    /// at most [`WorkerOps::MAX_MARKER_KEEP`]) if it is missing and, only then, apply
    /// `effects` (each answers on its own, nothing rolled back; unlike MULTI, a write
    /// short of its arity — an empty ID list — answers its arity error in its place
    /// and the others still apply); their replies, or `None` when the marker was there
    /// (a duplicate: acknowledged, nothing applied). On a cluster every key must share
    /// `key`'s slot.
    ///
    /// Any [`Command`] may be an effect on every backend and server version: on a Redis
    /// without a command or option an effect uses (XACKDEL, XDELEX and trimming with
    /// DELREF or ACKED before Redis 8.2, XREADGROUP … CLAIM before 8.4), brook-redis
    /// runs the same Lua its fallback for that command runs, inside the one script, so
    /// the whole commit stays atomic and answers as the engine does.
    #[allow(clippy::too_many_arguments)] // one argument per part of the operation
    fn mark_and_ack_if_new(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        id: StreamId,
        marker: impl AsRef<[u8]> + Send,
        keep: Duration,
        effects: &[Command],
    ) -> impl Future<Output = Result<Option<EffectReplies>, Error>> + Send;

    /// delete-consumer-if-empty: XGROUP DELCONSUMER only when `consumer` owns no
    /// pending entry, so nothing is dropped from the PEL; whether it was deleted
    /// (`false` also when it did not exist). `NOGROUP` when the key or group is
    /// missing.
    fn xgroup_delconsumer_if_empty(
        &self,
        key: impl AsRef<[u8]> + Send,
        group: impl AsRef<[u8]> + Send,
        consumer: impl AsRef<[u8]> + Send,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
}
