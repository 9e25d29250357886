//! XIDMPRECORD — record an idempotent ID for an existing entry (Redis 8.6.2; what an
//! AOF rewrite emits to restore IDMP state).
//!
//! ```text
//! XIDMPRECORD key pid iid stream-id
//! ```
//!
//! Order (reference §20.4): the stream ID (strict), an empty pid, an empty iid, the key
//! (missing → `ERR no such key`, wrong type), the entry (`ERR No such message in
//! stream`), then an IID already recorded with another ID. Recording the same mapping
//! again is a no-op.

use bytes::Bytes;

use super::reply;
use crate::id::StreamId;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply((|| {
        let id = StreamId::parse_strict(&argv[4])?;
        ks.xidmprecord(&argv[1], &argv[2], &argv[3], id, now)?;
        Ok(Reply::OK)
    })())
}
