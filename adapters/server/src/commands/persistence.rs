//! Durability as clients see it: BGREWRITEAOF, and the append-only fields of `INFO
//! persistence` that monitoring reads (`brook serve --appendonly yes`).

use std::fmt::Write as _;

use brook_engine::aof::RewriteError;
use brook_engine::{Error, Reply};
use bytes::Bytes;

use super::{Session, Step};
use crate::Shared;

/// `BGREWRITEAOF`: starts a rewrite of the append-only directory (every database).
pub(super) fn bgrewriteaof(shared: &Shared, sess: &mut Session, _argv: &[Bytes]) -> Step {
    let reply = match shared.dbs[0].bgrewriteaof() {
        Ok(()) => Reply::Simple("Background append only file rewriting started"),
        Err(RewriteError::InProgress) => Reply::Error(Error::Server(Bytes::from_static(
            b"ERR Background append only file rewriting already in progress",
        ))),
        Err(e) => Reply::Error(Error::Server(Bytes::from(format!(
            "ERR Background append only file rewriting failed to start: {e} (brook serve \
             rewrites only with --appendonly yes)"
        )))),
    };
    sess.out.reply(&reply);
    Step::Done
}

/// The `aof_*` fields of `INFO persistence`, with Redis's names and in Redis's order.
pub(super) fn info(shared: &Shared, s: &mut String) {
    let mut kv = |k: &str, v: &dyn std::fmt::Display| {
        let _ = write!(s, "{k}:{v}\r\n");
    };
    let status = shared.dbs[0].aof_status();
    let ok = |failed: bool| if failed { "err" } else { "ok" };
    kv("aof_enabled", &u8::from(status.is_some()));
    let st = status.unwrap_or_default();
    kv("aof_rewrite_in_progress", &u8::from(st.rewrite_in_progress));
    kv("aof_rewrite_scheduled", &0);
    kv("aof_rewrites", &st.rewrites);
    kv(
        "aof_last_bgrewrite_status",
        &ok(st.last_rewrite_error.is_some()),
    );
    kv("aof_last_write_status", &ok(st.last_write_error.is_some()));
    if shared.config.appendonly {
        kv("aof_current_size", &st.current_size);
        kv("aof_base_size", &st.base_size);
        kv("aof_pending_rewrite", &0);
    }
}
