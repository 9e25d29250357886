//! Replies as `redis::Value`s: onto the engine's [`Reply`] for a command's reply (which
//! [`Command::read_reply`] reads into its typed reply, in both protocol shapes), and the
//! few plain shapes the adapter's own scripts and `CLUSTER SLOTS` answer with. Anything
//! of an unexpected shape is [`Error::Server`] naming what was expected, never a panic.

use brook_engine::{Command, CommandReply, Error, Reply, StreamId, XReadGroupReply};
use bytes::Bytes;
use redis::Value;

/// A reply that does not have the shape the command's reply has.
pub(crate) fn unexpected(what: &str, v: &Value) -> Error {
    Error::Server(Bytes::from(format!(
        "ERR brook-redis: expected {what}, got {v:?}"
    )))
}

/// Unwraps RESP3 attributes.
fn plain(v: Value) -> Value {
    match v {
        Value::Attribute { data, .. } => plain(*data),
        other => other,
    }
}

/// A string reply.
pub(crate) fn bytes(v: Value) -> Result<Bytes, Error> {
    match plain(v) {
        Value::BulkString(b) => Ok(Bytes::from(b)),
        Value::SimpleString(s) => Ok(Bytes::from(s)),
        Value::VerbatimString { text, .. } => Ok(Bytes::from(text)),
        Value::Okay => Ok(Bytes::from_static(b"OK")),
        other => Err(unexpected("a string", &other)),
    }
}

/// An integer reply (or a string holding one, as XPENDING's consumer counts are).
pub(crate) fn int(v: Value) -> Result<i64, Error> {
    match plain(v) {
        Value::Int(n) => Ok(n),
        other @ (Value::BulkString(_) | Value::SimpleString(_)) => {
            let b = bytes(other.clone())?;
            core::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| unexpected("an integer", &other))
        }
        other => Err(unexpected("an integer", &other)),
    }
}

/// A non-negative integer reply.
pub(crate) fn uint(v: Value) -> Result<u64, Error> {
    let shown = v.clone();
    u64::try_from(int(v)?).map_err(|_| unexpected("a non-negative integer", &shown))
}

/// An array (`Nil` is empty).
pub(crate) fn array(v: Value) -> Result<Vec<Value>, Error> {
    match plain(v) {
        Value::Array(items) | Value::Set(items) => Ok(items),
        Value::Nil => Ok(Vec::new()),
        other => Err(unexpected("an array", &other)),
    }
}

/// A stream ID.
pub(crate) fn id(v: Value) -> Result<StreamId, Error> {
    StreamId::parse_strict(&bytes(v)?)
}

/// A server's reply as the engine's [`Reply`]: what [`Command::read_reply`] reads.
/// Status replies other than `OK` and RESP3's verbatim strings, doubles and big numbers
/// become bulk strings, sets and pushes arrays, booleans integers, attributes their
/// data; an error reply becomes [`Reply::Error`] with the error its text names.
pub(crate) fn reply(v: Value) -> Reply {
    match v {
        Value::Nil => Reply::Null,
        Value::Int(n) => Reply::Integer(n),
        Value::BulkString(b) => Reply::Bulk(Bytes::from(b)),
        Value::Okay => Reply::OK,
        Value::SimpleString(s) if s == "OK" => Reply::OK,
        Value::SimpleString(s) => Reply::Bulk(Bytes::from(s)),
        Value::VerbatimString { text, .. } => Reply::Bulk(Bytes::from(text)),
        Value::Array(items) | Value::Set(items) | Value::Push { data: items, .. } => {
            Reply::Array(items.into_iter().map(reply).collect())
        }
        Value::Map(pairs) => Reply::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (reply(k), reply(v)))
                .collect(),
        ),
        Value::Attribute { data, .. } => reply(*data),
        Value::Double(d) => Reply::Bulk(Bytes::from(d.to_string())),
        Value::Boolean(b) => Reply::Integer(i64::from(b)),
        Value::ServerError(e) => {
            let text = match e.details() {
                Some(detail) => format!("{} {detail}", e.code()),
                None => e.code().to_string(),
            };
            Reply::Error(Error::from_message(text.as_bytes()))
        }
        other => Reply::Bulk(Bytes::from(format!("{other:?}"))),
    }
}

/// `cmd`'s typed reply from the server's `v`.
pub(crate) fn command_reply(cmd: &Command, v: Value) -> Result<CommandReply, Error> {
    cmd.read_reply(reply(v))
}

/// An XREADGROUP's (or its CLAIM script's) reply: `group_read` is the read.
pub(crate) fn group_read(group_read: &Command, v: Value) -> Result<XReadGroupReply, Error> {
    match command_reply(group_read, v)? {
        CommandReply::ReadGroup(got) => Ok(got),
        other => Err(Error::Server(Bytes::from(format!(
            "ERR brook-redis: expected an XREADGROUP reply, got {other:?}"
        )))),
    }
}
