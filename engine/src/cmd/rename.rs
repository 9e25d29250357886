//! RENAME and RENAMENX — give a key another name.
//!
//! ```text
//! RENAME key newkey      -> +OK
//! RENAMENX key newkey    -> :1 renamed, :0 newkey exists
//! ```
//!
//! The value moves with its expiry time and, for a stream, its groups and PEL; the
//! destination's old value is dropped. `ERR no such key` when `key` does not exist
//! (checked before anything else, as Redis's lookup does). Readers blocked on `key`
//! re-run as after a DEL; those blocked on `newkey` as after a write.

use bytes::Bytes;

use crate::keyspace::Keyspace;
use crate::reply::Reply;

pub(super) fn run_rename(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    match ks.rename(&argv[1], &argv[2], false) {
        Ok(_) => Reply::OK,
        Err(e) => Reply::Error(e),
    }
}

pub(super) fn run_renamenx(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    match ks.rename(&argv[1], &argv[2], true) {
        Ok(done) => Reply::Integer(i64::from(done)),
        Err(e) => Reply::Error(e),
    }
}
