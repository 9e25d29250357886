//! Replies as `redis::Value`s onto the engine's typed replies, in both protocol shapes:
//! RESP2 (flat arrays, `*-1`) and RESP3 (maps, `_`). Anything of an unexpected shape is
//! [`Error::Server`] naming what was expected, never a panic.

use brook_engine::{
    Claimed, Error, GroupEntry, PendingEntry, StreamEntries, StreamEntry, StreamId, StreamSummary,
    XAutoClaimReply, XInfoConsumer, XInfoGroup, XInfoStream, XPendingSummary,
};
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

/// `OK`.
pub(crate) fn ok(v: Value) -> Result<(), Error> {
    match plain(v) {
        Value::Okay => Ok(()),
        Value::SimpleString(s) if s == "OK" => Ok(()),
        other => Err(unexpected("OK", &other)),
    }
}

/// SET's reply: `OK` (stored) or nil (NX/XX said no).
pub(crate) fn set_reply(v: Value) -> Result<bool, Error> {
    match plain(v) {
        Value::Nil => Ok(false),
        other => ok(other).map(|()| true),
    }
}

/// A string or nil.
pub(crate) fn opt_bytes(v: Value) -> Result<Option<Bytes>, Error> {
    match plain(v) {
        Value::Nil => Ok(None),
        other => bytes(other).map(Some),
    }
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

/// An optional ID (nil: none).
fn opt_id(v: Value) -> Result<Option<StreamId>, Error> {
    match plain(v) {
        Value::Nil => Ok(None),
        other => id(other).map(Some),
    }
}

/// An optional integer (nil: none).
fn opt_uint(v: Value) -> Result<Option<u64>, Error> {
    match plain(v) {
        Value::Nil => Ok(None),
        other => uint(other).map(Some),
    }
}

/// `[f1, v1, f2, v2 …]`.
fn fields(v: Value) -> Result<Vec<(Bytes, Bytes)>, Error> {
    let flat = array(v)?;
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let Some(f) = it.next() {
        let Some(val) = it.next() else {
            return Err(Error::Server(Bytes::from_static(
                b"ERR brook-redis: a field without its value",
            )));
        };
        out.push((bytes(f)?, bytes(val)?));
    }
    Ok(out)
}

/// `[id, [f, v …]]`.
pub(crate) fn entry(v: Value) -> Result<StreamEntry, Error> {
    let parts = array(v)?;
    let mut it = parts.into_iter();
    match (it.next(), it.next()) {
        (Some(i), Some(f)) => Ok(StreamEntry {
            id: id(i)?,
            fields: fields(f)?,
        }),
        _ => Err(Error::Server(Bytes::from_static(
            b"ERR brook-redis: an entry needs an ID and fields",
        ))),
    }
}

/// A list of entries.
pub(crate) fn entries(v: Value) -> Result<Vec<StreamEntry>, Error> {
    array(v)?.into_iter().map(entry).collect()
}

/// An XREADGROUP entry: `[id, fields|nil]`, or with CLAIM `[id, fields, idle, count]`.
fn group_entry(v: Value) -> Result<GroupEntry, Error> {
    let parts = array(v)?;
    let n = parts.len();
    let mut it = parts.into_iter();
    let (Some(i), Some(f)) = (it.next(), it.next()) else {
        return Err(Error::Server(Bytes::from_static(
            b"ERR brook-redis: an entry needs an ID and fields",
        )));
    };
    let fields = match plain(f) {
        Value::Nil => None,
        other => Some(fields(other)?),
    };
    let claim = match (n, it.next(), it.next()) {
        (4, Some(idle), Some(count)) => Some((uint(idle)?, uint(count)?)),
        _ => None,
    };
    Ok(GroupEntry {
        id: id(i)?,
        fields,
        claim,
    })
}

/// Streams with their items: a RESP3 map or a RESP2 array of `[key, items]` (nil: none).
fn per_stream<T>(
    v: Value,
    item: impl Fn(Value) -> Result<T, Error>,
) -> Result<Vec<StreamEntries<T>>, Error> {
    let pairs: Vec<(Value, Value)> = match plain(v) {
        Value::Map(pairs) => pairs,
        Value::Nil => Vec::new(),
        Value::Array(items) => items
            .into_iter()
            .map(|kv| {
                let mut it = array(kv)?.into_iter();
                match (it.next(), it.next()) {
                    (Some(k), Some(v)) => Ok((k, v)),
                    _ => Err(Error::Server(Bytes::from_static(
                        b"ERR brook-redis: a stream needs a key and entries",
                    ))),
                }
            })
            .collect::<Result<_, _>>()?,
        other => return Err(unexpected("streams", &other)),
    };
    pairs
        .into_iter()
        .map(|(k, v)| {
            Ok(StreamEntries::new(
                bytes(k)?,
                array(v)?.into_iter().map(&item).collect::<Result<_, _>>()?,
            ))
        })
        .collect()
}

/// XREAD's reply.
pub(crate) fn xread(v: Value) -> Result<Vec<StreamEntries>, Error> {
    per_stream(v, entry)
}

/// XREADGROUP's reply.
pub(crate) fn xreadgroup(v: Value) -> Result<Vec<StreamEntries<GroupEntry>>, Error> {
    per_stream(v, group_entry)
}

/// XPENDING's summary: `[count, min|nil, max|nil, [[consumer, count] …]|nil]`.
pub(crate) fn xpending(v: Value) -> Result<XPendingSummary, Error> {
    let mut it = array(v)?.into_iter();
    let (Some(count), Some(lo), Some(hi), Some(consumers)) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return Err(Error::Server(Bytes::from_static(
            b"ERR brook-redis: XPENDING's summary has four parts",
        )));
    };
    let bounds = match (opt_id(lo)?, opt_id(hi)?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    let consumers = array(consumers)?
        .into_iter()
        .map(|c| {
            let mut it = array(c)?.into_iter();
            match (it.next(), it.next()) {
                (Some(name), Some(n)) => Ok((bytes(name)?, uint(n)?)),
                _ => Err(Error::Server(Bytes::from_static(
                    b"ERR brook-redis: a consumer needs a name and a count",
                ))),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(XPendingSummary {
        count: uint(count)?,
        bounds,
        consumers,
    })
}

/// XPENDING's extended form: `[[id, consumer, idle, count] …]`.
pub(crate) fn xpending_range(v: Value) -> Result<Vec<PendingEntry>, Error> {
    array(v)?
        .into_iter()
        .map(|p| {
            let mut it = array(p)?.into_iter();
            match (it.next(), it.next(), it.next(), it.next()) {
                (Some(i), Some(c), Some(idle), Some(n)) => Ok(PendingEntry {
                    id: id(i)?,
                    consumer: bytes(c)?,
                    idle: uint(idle)?,
                    delivery_count: uint(n)?,
                }),
                _ => Err(Error::Server(Bytes::from_static(
                    b"ERR brook-redis: a pending entry has four parts",
                ))),
            }
        })
        .collect()
}

/// XCLAIM's reply: entries, or IDs with JUSTID.
pub(crate) fn claimed(v: Value, justid: bool) -> Result<Claimed, Error> {
    if justid {
        Ok(Claimed::Ids(
            array(v)?.into_iter().map(id).collect::<Result<_, _>>()?,
        ))
    } else {
        Ok(Claimed::Entries(entries(v)?))
    }
}

/// XAUTOCLAIM's reply: `[next, claimed, deleted]`.
pub(crate) fn xautoclaim(v: Value, justid: bool) -> Result<XAutoClaimReply, Error> {
    let mut it = array(v)?.into_iter();
    let (Some(next), Some(got), Some(deleted)) = (it.next(), it.next(), it.next()) else {
        return Err(Error::Server(Bytes::from_static(
            b"ERR brook-redis: XAUTOCLAIM's reply has three parts",
        )));
    };
    Ok(XAutoClaimReply {
        next: id(next)?,
        claimed: claimed(got, justid)?,
        deleted: array(deleted)?
            .into_iter()
            .map(id)
            .collect::<Result<_, _>>()?,
    })
}

/// A record: a RESP3 map or a RESP2 flat `[name, value …]` array, by field name.
struct Record(Vec<(Bytes, Value)>);

impl Record {
    fn new(v: Value) -> Result<Record, Error> {
        let pairs = match plain(v) {
            Value::Map(pairs) => pairs,
            Value::Array(flat) => {
                let mut out = Vec::with_capacity(flat.len() / 2);
                let mut it = flat.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    out.push((k, v));
                }
                out
            }
            other => return Err(unexpected("a record", &other)),
        };
        pairs
            .into_iter()
            .map(|(k, v)| Ok((bytes(k)?, v)))
            .collect::<Result<_, _>>()
            .map(Record)
    }

    /// The value of `name` (removed), if present.
    fn take(&mut self, name: &str) -> Option<Value> {
        let at = self
            .0
            .iter()
            .position(|(k, _)| k.as_ref() == name.as_bytes())?;
        Some(self.0.swap_remove(at).1)
    }

    fn need(&mut self, name: &str) -> Result<Value, Error> {
        self.take(name).ok_or_else(|| {
            Error::Server(Bytes::from(format!(
                "ERR brook-redis: no `{name}` in the reply"
            )))
        })
    }

    /// A count that servers before the field existed do not send: 0 there.
    fn uint_or_zero(&mut self, name: &str) -> Result<u64, Error> {
        self.take(name).map_or(Ok(0), uint)
    }
}

/// XINFO GROUPS.
pub(crate) fn xinfo_groups(v: Value) -> Result<Vec<XInfoGroup>, Error> {
    array(v)?
        .into_iter()
        .map(|g| {
            let mut r = Record::new(g)?;
            Ok(XInfoGroup {
                name: bytes(r.need("name")?)?,
                consumers: uint(r.need("consumers")?)?,
                pending: uint(r.need("pending")?)?,
                last_delivered_id: id(r.need("last-delivered-id")?)?,
                entries_read: r.take("entries-read").map_or(Ok(None), opt_uint)?,
                lag: r.take("lag").map_or(Ok(None), opt_uint)?,
            })
        })
        .collect()
}

/// XINFO CONSUMERS (`inactive` is absent before Redis 7.2).
pub(crate) fn xinfo_consumers(v: Value) -> Result<Vec<XInfoConsumer>, Error> {
    array(v)?
        .into_iter()
        .map(|c| {
            let mut r = Record::new(c)?;
            let inactive = match r.take("inactive") {
                None => None,
                Some(v) => match int(v)? {
                    n if n < 0 => None,
                    n => Some(n.unsigned_abs()),
                },
            };
            Ok(XInfoConsumer {
                name: bytes(r.need("name")?)?,
                pending: uint(r.need("pending")?)?,
                idle: uint(r.need("idle")?)?,
                inactive,
            })
        })
        .collect()
}

/// XINFO STREAM (the idempotency counters are absent before Redis 8.6: 0 there).
pub(crate) fn xinfo_stream(v: Value) -> Result<XInfoStream, Error> {
    let mut r = Record::new(v)?;
    let entry_or_none = |v: Option<Value>| -> Result<Option<StreamEntry>, Error> {
        match v.map(plain) {
            None | Some(Value::Nil) => Ok(None),
            Some(e) => entry(e).map(Some),
        }
    };
    let summary = StreamSummary {
        length: uint(r.need("length")?)?,
        radix_tree_keys: uint(r.need("radix-tree-keys")?)?,
        radix_tree_nodes: uint(r.need("radix-tree-nodes")?)?,
        last_generated_id: id(r.need("last-generated-id")?)?,
        max_deleted_entry_id: r
            .take("max-deleted-entry-id")
            .map_or(Ok(StreamId::MIN), id)?,
        entries_added: r.uint_or_zero("entries-added")?,
        recorded_first_entry_id: r
            .take("recorded-first-entry-id")
            .map_or(Ok(StreamId::MIN), id)?,
        idmp_duration: r.uint_or_zero("idmp-duration")?,
        idmp_maxsize: r.uint_or_zero("idmp-maxsize")?,
        pids_tracked: r.uint_or_zero("pids-tracked")?,
        iids_tracked: r.uint_or_zero("iids-tracked")?,
        iids_added: r.uint_or_zero("iids-added")?,
        iids_duplicates: r.uint_or_zero("iids-duplicates")?,
    };
    Ok(XInfoStream {
        summary,
        groups: uint(r.need("groups")?)?,
        first_entry: entry_or_none(r.take("first-entry"))?,
        last_entry: entry_or_none(r.take("last-entry"))?,
    })
}
