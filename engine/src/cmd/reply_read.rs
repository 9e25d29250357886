//! A [`Reply`] read back into typed values: what a client of a Redis server does with a
//! command's answer. brook-redis turns each server reply into a [`Reply`] and hands it
//! to [`Command::read_reply`](crate::Command::read_reply); the command's own file reads
//! its shape with these helpers.
//!
//! Both protocol shapes are read: RESP2 (flat arrays, `*-1`, `$-1`) and RESP3 (maps,
//! `_`). An error reply is that error; a reply of another shape than the command's is
//! [`Error::Server`] naming what was expected — never a panic. Parts a later server
//! may add are ignored: items past a fixed-size reply's last, a record's unknown
//! fields.

use alloc::format;
use alloc::vec::Vec;

use bytes::Bytes;

use crate::entry::{StreamEntries, StreamEntry};
use crate::error::Error;
use crate::id::StreamId;
use crate::reply::Reply;

/// A reply that does not have the shape the command's reply has.
pub(crate) fn unexpected(what: &str, r: &Reply) -> Error {
    Error::Server(Bytes::from(format!(
        "ERR brook: expected {what} in the reply, got {r:?}"
    )))
}

/// A malformed part of a reply, described by `what`.
pub(crate) fn malformed(what: &'static str) -> Error {
    Error::Server(Bytes::from(format!("ERR brook: malformed reply: {what}")))
}

/// The reply itself, or its error.
fn plain(r: Reply) -> Result<Reply, Error> {
    match r {
        Reply::Error(e) => Err(e),
        r => Ok(r),
    }
}

/// Whether `r` is one of the two nulls.
fn is_null(r: &Reply) -> bool {
    matches!(r, Reply::Null | Reply::NullArray)
}

/// A string reply (bulk or simple).
pub(crate) fn bytes(r: Reply) -> Result<Bytes, Error> {
    match plain(r)? {
        Reply::Bulk(b) => Ok(b),
        Reply::Simple(s) => Ok(Bytes::from_static(s.as_bytes())),
        other => Err(unexpected("a string", &other)),
    }
}

/// An integer reply (or a string holding one, as XPENDING's per-consumer counts are).
pub(crate) fn int(r: Reply) -> Result<i64, Error> {
    match plain(r)? {
        Reply::Integer(n) => Ok(n),
        Reply::Bulk(b) => {
            crate::num::parse_i64(&b).ok_or_else(|| unexpected("an integer", &Reply::Bulk(b)))
        }
        other => Err(unexpected("an integer", &other)),
    }
}

/// A non-negative integer reply.
pub(crate) fn uint(r: Reply) -> Result<u64, Error> {
    match int(r)? {
        n if n >= 0 => Ok(n.unsigned_abs()),
        n => Err(unexpected("a non-negative integer", &Reply::Integer(n))),
    }
}

/// `OK`.
pub(crate) fn ok(r: Reply) -> Result<(), Error> {
    match plain(r)? {
        Reply::Simple("OK") => Ok(()),
        other => Err(unexpected("OK", &other)),
    }
}

/// A string, or `None` for a null.
pub(crate) fn opt_bytes(r: Reply) -> Result<Option<Bytes>, Error> {
    match plain(r)? {
        r if is_null(&r) => Ok(None),
        r => bytes(r).map(Some),
    }
}

/// An array's items (a null: none).
pub(crate) fn array(r: Reply) -> Result<Vec<Reply>, Error> {
    match plain(r)? {
        Reply::Array(items) => Ok(items),
        r if is_null(&r) => Ok(Vec::new()),
        other => Err(unexpected("an array", &other)),
    }
}

/// A stream ID (`ms-seq`).
pub(crate) fn id(r: Reply) -> Result<StreamId, Error> {
    StreamId::parse_strict(&bytes(r)?)
}

/// A stream ID, or `None` for a null.
pub(crate) fn opt_id(r: Reply) -> Result<Option<StreamId>, Error> {
    match plain(r)? {
        r if is_null(&r) => Ok(None),
        r => id(r).map(Some),
    }
}

/// A non-negative integer, or `None` for a null.
pub(crate) fn opt_uint(r: Reply) -> Result<Option<u64>, Error> {
    match plain(r)? {
        r if is_null(&r) => Ok(None),
        r => uint(r).map(Some),
    }
}

/// The first `N` items of an array, any further ones ignored (a later server may add
/// parts to a reply); fewer is an error, `what` naming the shape.
pub(crate) fn parts<const N: usize>(r: Reply, what: &'static str) -> Result<[Reply; N], Error> {
    let mut items = array(r)?;
    if items.len() < N {
        return Err(malformed(what));
    }
    items.truncate(N);
    <[Reply; N]>::try_from(items).map_err(|_| malformed(what))
}

/// `[f1, v1, f2, v2 …]`.
pub(crate) fn fields(r: Reply) -> Result<Vec<(Bytes, Bytes)>, Error> {
    let flat = array(r)?;
    if flat.len() % 2 != 0 {
        return Err(malformed("a field without its value"));
    }
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let (Some(f), Some(v)) = (it.next(), it.next()) {
        out.push((bytes(f)?, bytes(v)?));
    }
    Ok(out)
}

/// An entry: `[id, [f, v …]]`.
pub(crate) fn entry(r: Reply) -> Result<StreamEntry, Error> {
    let [i, f] = parts(r, "an entry is an ID and its fields")?;
    Ok(StreamEntry {
        id: id(i)?,
        fields: fields(f)?,
    })
}

/// An entry, or `None` for a null.
pub(crate) fn opt_entry(r: Reply) -> Result<Option<StreamEntry>, Error> {
    match plain(r)? {
        r if is_null(&r) => Ok(None),
        r => entry(r).map(Some),
    }
}

/// A list of entries.
pub(crate) fn entries(r: Reply) -> Result<Vec<StreamEntry>, Error> {
    array(r)?.into_iter().map(entry).collect()
}

/// XREAD's and XREADGROUP's shape: streams with their items, as a RESP3 map or a RESP2
/// array of `[key, items]` pairs (a null: no stream).
pub(crate) fn per_stream<T>(
    r: Reply,
    item: impl Fn(Reply) -> Result<T, Error>,
) -> Result<Vec<StreamEntries<T>>, Error> {
    let pairs: Vec<(Reply, Reply)> = match plain(r)? {
        Reply::Map(pairs) | Reply::PairMap(pairs) => pairs,
        Reply::Array(items) => items
            .into_iter()
            .map(|kv| {
                let [k, v] = parts(kv, "a stream is a key and its entries")?;
                Ok((k, v))
            })
            .collect::<Result<_, Error>>()?,
        r if is_null(&r) => Vec::new(),
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

/// A record by field name: a RESP3 map or a RESP2 flat `[name, value …]` array (XINFO's
/// shape).
pub(crate) struct Record(Vec<(Bytes, Reply)>);

impl Record {
    /// The record `r` holds.
    pub(crate) fn new(r: Reply) -> Result<Record, Error> {
        let pairs = match plain(r)? {
            Reply::Map(pairs) | Reply::PairMap(pairs) => pairs,
            Reply::Array(flat) => {
                let mut out = Vec::with_capacity(flat.len() / 2);
                let mut it = flat.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    out.push((k, v));
                }
                out
            }
            other => return Err(unexpected("a record", &other)),
        };
        // (A RESP2 record of odd length has its last name without a value: ignored.)
        pairs
            .into_iter()
            .map(|(k, v)| Ok((bytes(k)?, v)))
            .collect::<Result<_, _>>()
            .map(Record)
    }

    /// The value of `name` (taken out), if present.
    pub(crate) fn take(&mut self, name: &str) -> Option<Reply> {
        let at = self
            .0
            .iter()
            .position(|(k, _)| k.as_ref() == name.as_bytes())?;
        Some(self.0.swap_remove(at).1)
    }

    /// The value of `name`; an error when the reply lacks it.
    pub(crate) fn need(&mut self, name: &str) -> Result<Reply, Error> {
        self.take(name).ok_or_else(|| {
            Error::Server(Bytes::from(format!("ERR brook: no `{name}` in the reply")))
        })
    }

    /// A count that servers from before the field existed do not send: 0 there.
    pub(crate) fn uint_or_zero(&mut self, name: &str) -> Result<u64, Error> {
        self.take(name).map_or(Ok(0), uint)
    }

    /// An ID that servers from before the field existed do not send: `0-0` there.
    pub(crate) fn id_or_min(&mut self, name: &str) -> Result<StreamId, Error> {
        self.take(name).map_or(Ok(StreamId::MIN), id)
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use bytes::Bytes;

    use crate::cmd::{Command, CommandReply};
    use crate::id::StreamId;
    use crate::options::{GroupReadId, XReadGroupOptions};
    use crate::reply::Reply;

    fn bulk(s: &str) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// Parts a later server may append are ignored; too few is an error.
    #[test]
    fn extra_parts_are_ignored() {
        let range = Command::XRange {
            key: Bytes::from_static(b"s"),
            start: StreamId::MIN,
            end: StreamId::MAX,
            count: None,
        };
        let entry = |extra: usize| {
            let mut parts = vec![bulk("1-1"), Reply::Array(vec![bulk("f"), bulk("v")])];
            parts.extend((0..extra).map(|_| Reply::Integer(7)));
            Reply::Array(vec![Reply::Array(parts)])
        };
        let got = range
            .read_reply(entry(1))
            .expect("an entry with a part more");
        assert!(matches!(got, CommandReply::Entries(e) if e.len() == 1 && e[0].fields.len() == 1));
        assert!(range
            .read_reply(Reply::Array(vec![Reply::Array(vec![bulk("1-1")])]))
            .is_err());

        let group = Command::XReadGroup {
            group: Bytes::from_static(b"g"),
            consumer: Bytes::from_static(b"c"),
            streams: vec![(Bytes::from_static(b"s"), GroupReadId::New)],
            opts: XReadGroupOptions::default(),
        };
        let claimed = |extra: usize| {
            let mut parts = vec![
                bulk("1-1"),
                Reply::Null,
                Reply::Integer(5),
                Reply::Integer(2),
            ];
            parts.extend((0..extra).map(|_| Reply::Integer(9)));
            Reply::Map(vec![(bulk("s"), Reply::Array(vec![Reply::Array(parts)]))])
        };
        for extra in [0, 1] {
            let Ok(CommandReply::ReadGroup(got)) = group.read_reply(claimed(extra)) else {
                panic!("a CLAIM entry with {extra} parts more");
            };
            let d = got[0].entries[0].claim.expect("the CLAIM part");
            assert_eq!((d.idle, d.delivery_count), (5, 2));
            assert!(got[0].entries[0].fields.is_none());
        }
    }
}
