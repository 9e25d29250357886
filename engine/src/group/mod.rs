//! Consumer groups on a stream, pure: the group with its consumers
//! (`consumer_group`), the pending entries list (`pel`) and its ID map (`pel_map`),
//! and the lag counters (`lag`).

mod consumer_group;
pub(crate) mod lag;
pub(crate) mod pel;
pub(crate) mod pel_map;

pub use consumer_group::{Consumer, ConsumerId, Group};
