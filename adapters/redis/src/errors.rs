//! `redis` crate errors onto [`Error`]: a server's error reply becomes the variant with
//! that text ([`Error::from_message`]); a transport failure says whether the command
//! can have run.

use brook_engine::Error;
use bytes::Bytes;

/// An error from sending a command and reading its reply.
pub(crate) fn from_redis(e: &redis::RedisError) -> Error {
    if let Some(code) = e.code() {
        // The cluster client's own cross-slot refusal has its own wording.
        if code == "CROSSSLOT" {
            return Error::CrossSlot;
        }
        // EXEC's refusal of a transaction (the crate keeps only its code).
        if code == "EXECABORT" {
            return Error::ExecAbort;
        }
        return from_server(code, e.detail());
    }
    if e.is_connection_refusal() {
        return not_sent(e);
    }
    Error::OutcomeUnknown(Bytes::from(e.to_string()))
}

/// A server's error reply, from its code and the rest of its text.
pub(crate) fn from_server(code: &str, detail: Option<&str>) -> Error {
    let text = match detail {
        Some(detail) => format!("{code} {detail}"),
        None => code.to_string(),
    };
    Error::from_message(text.as_bytes())
}

/// A failure before the command was written (no connection).
pub(crate) fn not_sent(e: &redis::RedisError) -> Error {
    Error::NotSent(Bytes::from(e.to_string()))
}
