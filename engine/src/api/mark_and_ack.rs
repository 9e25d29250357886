//! mark-and-ack-if-new: the commit of an idempotent handler. In one atomic step it
//! acknowledges the entry, sets a processed-marker that expires after a while, and —
//! only if the marker was not there yet — applies the handler's writes. A redelivered or
//! duplicated message whose marker exists is acknowledged and changes nothing else
//! (the Redis adapter runs the same steps as one Lua script).

use alloc::vec::Vec;

use bytes::Bytes;

use crate::api::{Command, CommandReply};
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::keyspace::{Expire, SetOptions};

/// The replies of the writes a commit applied, one per command, each its own result.
pub type EffectReplies = Vec<Result<CommandReply, Error>>;

impl Keyspace {
    /// XACK `id` in `group`; then `SET marker 1 NX PX keep_ms`; if that set it, runs
    /// `effects` (as in MULTI: each answers on its own, nothing is rolled back) and
    /// returns their replies; `None` when the marker existed (a duplicate: acknowledged,
    /// nothing applied). In cluster mode every key must share `key`'s slot.
    #[allow(clippy::too_many_arguments)] // one argument per part of the operation
    pub fn mark_and_ack_if_new(
        &mut self,
        key: &[u8],
        group: &[u8],
        id: StreamId,
        marker: &[u8],
        keep_ms: u64,
        effects: &[Command],
        now: u64,
    ) -> Result<Option<EffectReplies>, Error> {
        self.check_writable()?;
        self.check_slots(
            [key, marker]
                .into_iter()
                .chain(effects.iter().flat_map(Command::keys)),
        )?;
        // The marker's expiry is checked before anything changes: an entry is never
        // acknowledged without its marker.
        if now.checked_add(keep_ms).is_none_or(|t| t > i64::MAX as u64) {
            return Err(Error::InvalidExpireTime);
        }
        self.xack(key, group, &[id])?;
        let opts = SetOptions::default()
            .nx()
            .expire(Expire::After(keep_ms.max(1)));
        if !self.set_with(marker, Bytes::from_static(b"1"), &opts, now)? {
            return Ok(None);
        }
        Ok(Some(effects.iter().map(|c| c.apply(self, now)).collect()))
    }
}
