//! Named crash points for fault tests: where a worker can die as a killed process
//! would, to show that no message is lost and no dead letter is written twice.

use std::sync::Arc;

use crate::StreamId;

/// A point in a message's life where a test may kill the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CrashPoint {
    /// The entry was read (it is in this consumer's PEL) but not handed to the handler.
    AfterReadBeforeHandle,
    /// The handler succeeded; the acknowledgement was not sent.
    AfterHandleBeforeAck,
    /// The entry is to be dead-lettered; the atomic add-and-ack was not sent.
    BeforeDeadLetter,
    /// The dead letter was written and the entry acknowledged, in one atomic step;
    /// the worker dies before it records that.
    AfterDeadLetter,
}

/// The test's hook: true = die here.
pub(crate) type FaultHook = Arc<dyn Fn(CrashPoint, StreamId) -> bool + Send + Sync>;
