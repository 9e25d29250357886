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
        // As RESP2 carries a double: its text (`nan`, `inf`, `-inf` as Redis writes them).
        Value::Double(d) if d.is_nan() => Reply::Bulk(Bytes::from_static(b"nan")),
        Value::Double(d) => Reply::Bulk(Bytes::from(d.to_string())),
        Value::BigNumber(digits) => Reply::Bulk(Bytes::from(digits)),
        Value::Boolean(b) => Reply::Integer(i64::from(b)),
        // Only inside a reply the redis crate hands over whole (a pipeline's replies
        // arrive one by one; a nested error fails the call before it gets here).
        Value::ServerError(e) => Reply::Error(crate::errors::from_server(e.code(), e.details())),
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

#[cfg(test)]
mod tests {
    use brook_engine::{Error, Reply};
    use bytes::Bytes;
    use redis::Value;

    use super::reply;

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// Every shape the redis crate decodes becomes the `Reply` the engine's readers read.
    #[test]
    fn every_value_shape() {
        assert_eq!(reply(Value::Nil), Reply::Null);
        assert_eq!(reply(Value::Int(-3)), Reply::Integer(-3));
        assert_eq!(reply(Value::Okay), Reply::OK);
        assert_eq!(reply(Value::SimpleString("OK".into())), Reply::OK);
        assert_eq!(reply(Value::SimpleString("stream".into())), bulk("stream"));
        assert_eq!(reply(Value::BulkString(b"x".to_vec())), bulk("x"));
        assert_eq!(
            reply(Value::VerbatimString {
                format: redis::VerbatimFormat::Text,
                text: "t".into()
            }),
            bulk("t")
        );
        let items = vec![Value::Int(1), Value::Nil];
        let want = Reply::Array(vec![Reply::Integer(1), Reply::Null]);
        assert_eq!(reply(Value::Array(items.clone())), want);
        assert_eq!(reply(Value::Set(items.clone())), want);
        assert_eq!(
            reply(Value::Map(vec![(
                Value::BulkString(b"k".to_vec()),
                Value::Int(2)
            )])),
            Reply::Map(vec![(bulk("k"), Reply::Integer(2))])
        );
        assert_eq!(
            reply(Value::Attribute {
                data: Box::new(Value::Int(4)),
                attributes: vec![]
            }),
            Reply::Integer(4)
        );
        assert_eq!(reply(Value::Double(1.5)), bulk("1.5"));
        assert_eq!(reply(Value::Double(f64::NAN)), bulk("nan"));
        assert_eq!(reply(Value::Double(f64::NEG_INFINITY)), bulk("-inf"));
        assert_eq!(reply(Value::BigNumber(b"123".to_vec())), bulk("123"));
        assert_eq!(reply(Value::Boolean(true)), Reply::Integer(1));
    }

    /// A server error inside a reply is the error its text names, as a top-level one.
    #[test]
    fn nested_errors() {
        let parsed =
            redis::parse_redis_value(b"*1\r\n-NOGROUP No such key 'k'\r\n").expect("a RESP value");
        let Reply::Array(items) = reply(parsed) else {
            panic!("an array");
        };
        assert_eq!(
            items[0],
            Reply::Error(Error::from_message(b"NOGROUP No such key 'k'"))
        );
    }
}
