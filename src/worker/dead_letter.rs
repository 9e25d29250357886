//! Dead letters: the entry a worker gave up on, written to the dead-letter stream by
//! ack-if-owner-then-add (so only the consumer that still owns it writes one), and
//! [`redrive`], which moves dead letters back to their stream.
//!
//! A dead letter's fields: first `dl:stream`, `dl:group`, `dl:id` (the original ID),
//! `dl:deliveries`, `dl:error` (the last failure), `dl:consumer`, then the original
//! entry's fields unchanged.

use bytes::Bytes;

use crate::{Command, CommandReply, Error, StreamEntry, StreamId, WorkerOps, XAddOptions};

const META: [&str; 6] = [
    "dl:stream",
    "dl:group",
    "dl:id",
    "dl:deliveries",
    "dl:error",
    "dl:consumer",
];

/// A parsed dead letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// Its ID in the dead-letter stream.
    pub id: StreamId,
    /// The stream the entry came from.
    pub stream: Bytes,
    /// The group that gave up on it.
    pub group: Bytes,
    /// Its ID in that stream.
    pub original_id: StreamId,
    /// Its delivery count when it was dead-lettered.
    pub deliveries: u64,
    /// The last failure.
    pub error: String,
    /// The consumer that dead-lettered it.
    pub consumer: Bytes,
    /// The original entry's fields.
    pub fields: Vec<(Bytes, Bytes)>,
}

/// The fields of the dead letter for entry `id` of `stream`.
pub(crate) fn fields(
    stream: &Bytes,
    group: &Bytes,
    consumer: &Bytes,
    id: StreamId,
    deliveries: u64,
    error: &str,
    original: &[(Bytes, Bytes)],
) -> Vec<(Bytes, Bytes)> {
    let values = [
        stream.clone(),
        group.clone(),
        Bytes::from(id.to_string()),
        Bytes::from(deliveries.to_string()),
        Bytes::from(error.to_owned()),
        consumer.clone(),
    ];
    let mut out: Vec<(Bytes, Bytes)> = META
        .iter()
        .zip(values)
        .map(|(f, v)| (Bytes::from_static(f.as_bytes()), v))
        .collect();
    out.extend(original.iter().cloned());
    out
}

impl DeadLetter {
    /// Reads a dead-letter stream entry; `None` when it does not start with the
    /// dead-letter fields.
    pub fn parse(entry: &StreamEntry) -> Option<DeadLetter> {
        if entry.fields.len() < META.len()
            || !META
                .iter()
                .zip(&entry.fields)
                .all(|(m, (f, _))| m.as_bytes() == f.as_ref())
        {
            return None;
        }
        let v = |i: usize| entry.fields.get(i).map(|(_, v)| v.clone());
        let text = |i: usize| v(i).map(|b| String::from_utf8_lossy(&b).into_owned());
        Some(DeadLetter {
            id: entry.id,
            stream: v(0)?,
            group: v(1)?,
            original_id: text(2)?.parse().ok()?,
            deliveries: text(3)?.parse().ok()?,
            error: text(4)?,
            consumer: v(5)?,
            fields: entry.fields.get(META.len()..)?.to_vec(),
        })
    }
}

/// Up to `count` dead letters from the start of `dead_stream` (entries that are not
/// dead letters are skipped).
pub async fn dead_letters<S: WorkerOps>(
    backend: &S,
    dead_stream: impl AsRef<[u8]>,
    count: u64,
) -> Result<Vec<DeadLetter>, Error> {
    let entries = backend
        .xrange(
            dead_stream.as_ref(),
            StreamId::MIN,
            StreamId::MAX,
            Some(count),
        )
        .await?;
    Ok(entries.iter().filter_map(DeadLetter::parse).collect())
}

/// Moves up to `count` dead letters (oldest first) back to the streams they came from:
/// each original entry is added again (a new ID, its original fields) and its dead
/// letter deleted, in one MULTI/EXEC, so a crash never loses or duplicates one. The
/// number moved. On a cluster both streams must share a hash slot.
pub async fn redrive<S: WorkerOps>(
    backend: &S,
    dead_stream: impl AsRef<[u8]>,
    count: u64,
) -> Result<u64, Error> {
    let dead_stream = Bytes::copy_from_slice(dead_stream.as_ref());
    let mut moved = 0;
    for dl in dead_letters(backend, &dead_stream, count).await? {
        let cmds = [
            Command::XAdd {
                key: dl.stream.clone(),
                opts: XAddOptions::default(),
                fields: dl.fields.clone(),
            },
            Command::XDel {
                key: dead_stream.clone(),
                ids: vec![dl.id],
            },
        ];
        let mut replies = backend.atomic(&cmds).await?.into_iter();
        match replies.next() {
            Some(Ok(CommandReply::Id(Some(_)))) => moved += 1,
            Some(Err(e)) => return Err(e),
            _ => {}
        }
        if let Some(Err(e)) = replies.next() {
            return Err(e);
        }
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letter_fields_parse_back() {
        let original = vec![(Bytes::from_static(b"dl:x"), Bytes::from_static(b"1"))];
        let f = fields(
            &Bytes::from_static(b"s"),
            &Bytes::from_static(b"g"),
            &Bytes::from_static(b"c"),
            StreamId::new(5, 1),
            3,
            "boom",
            &original,
        );
        let entry = StreamEntry {
            id: StreamId::new(9, 0),
            fields: f,
        };
        let dl = DeadLetter::parse(&entry).expect("parses");
        assert_eq!(dl.original_id, StreamId::new(5, 1));
        assert_eq!(dl.deliveries, 3);
        assert_eq!(dl.error, "boom");
        assert_eq!(dl.fields, original);
        let plain = StreamEntry {
            id: StreamId::new(1, 0),
            fields: original,
        };
        assert_eq!(DeadLetter::parse(&plain), None);
    }
}
