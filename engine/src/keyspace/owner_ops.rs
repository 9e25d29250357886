//! The conditional operations a reliable worker needs and plain MULTI cannot express:
//! each acts only on pending entries the named consumer still owns, so a worker whose
//! entry was reclaimed by another never acknowledges, refreshes or dead-letters it.
//! One keyspace call each, so atomic under the engine lock (the Redis adapter runs the
//! same steps as one Lua script).

use alloc::vec::Vec;

use crate::entry::FieldValues;
use crate::error::Error;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::options::{XAddOptions, XClaimOptions};

impl Keyspace {
    /// The IDs among `ids` that `consumer` owns in `group`'s PEL (in the given order);
    /// `NOGROUP` when the key or the group does not exist.
    fn owned(
        &self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> Result<Vec<StreamId>, Error> {
        let g = self
            .stream(key)?
            .and_then(|s| s.group(group))
            .ok_or_else(|| Error::no_group(key, group))?;
        let Some(me) = g.consumer_id(consumer) else {
            return Ok(Vec::new());
        };
        Ok(ids
            .iter()
            .copied()
            .filter(|id| g.pending(*id).is_some_and(|n| n.owner == me))
            .collect())
    }

    /// ack-if-owner: XACK of those `ids` that `consumer` still owns; the number acknowledged.
    pub fn xack_if_owner(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
    ) -> Result<u64, Error> {
        self.check_writable()?;
        let mine = self.owned(key, group, consumer, ids)?;
        // None owned (or none asked for): XACK with no IDs would be an arity error.
        if mine.is_empty() {
            return Ok(0);
        }
        self.xack(key, group, &mine)
    }

    /// touch-if-owner: refreshes the delivery time (idle 0) of those `ids` that
    /// `consumer` still owns, as the owner's own `XCLAIM … 0 … JUSTID` would, without
    /// counting a delivery; the number touched.
    pub fn xtouch_if_owner(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        ids: &[StreamId],
        now: u64,
    ) -> Result<u64, Error> {
        self.check_writable()?;
        let mine = self.owned(key, group, consumer, ids)?;
        if mine.is_empty() {
            return Ok(0);
        }
        let opts = XClaimOptions {
            justid: true,
            ..XClaimOptions::default()
        };
        self.xclaim(key, group, consumer, 0, &mine, &opts, now)?;
        Ok(mine.len() as u64)
    }

    /// ack-if-owner then add: when `consumer` still owns `id`, acknowledges it and adds
    /// `fields` to stream `to` (an auto ID); the new entry's ID, or `None` when the
    /// consumer no longer owns it (nothing is written). A dead-letter move: only the
    /// owner that acknowledges writes the dead letter.
    #[allow(clippy::too_many_arguments)] // one argument per part of the operation
    pub fn xack_if_owner_then_add<F: FieldValues + ?Sized>(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
        id: StreamId,
        to: &[u8],
        fields: &F,
        now: u64,
    ) -> Result<Option<StreamId>, Error> {
        self.check_writable()?;
        self.check_slots([key, to])?;
        if self.owned(key, group, consumer, &[id])?.is_empty() {
            return Ok(None);
        }
        // Added first: an add that fails (wrong type, memory cap) acknowledges nothing.
        let added = self.xadd(to, &XAddOptions::default(), fields, now)?;
        self.xack(key, group, &[id])?;
        Ok(added)
    }

    /// delete-consumer-if-empty: XGROUP DELCONSUMER of `consumer` only when it owns no
    /// pending entry (so deleting it loses nothing); whether it was deleted (`false`
    /// also when it did not exist). `NOGROUP` when the key or group is missing.
    pub fn xgroup_delconsumer_if_empty(
        &mut self,
        key: &[u8],
        group: &[u8],
        consumer: &[u8],
    ) -> Result<bool, Error> {
        self.check_writable()?;
        let g = self
            .stream(key)?
            .and_then(|s| s.group(group))
            .ok_or_else(|| Error::no_group(key, group))?;
        let empty = g.consumer(consumer).is_some_and(|c| c.pending == 0);
        if !empty {
            return Ok(false);
        }
        self.xgroup_delconsumer(key, group, consumer)?;
        Ok(true)
    }
}
