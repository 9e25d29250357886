//! What a handler receives ([`Message`]) and what a producer sends ([`Envelope`]).
//!
//! A message is a stream entry: its field/value pairs as XADD wrote them. brook's
//! conventions on top, for producers that use [`Envelope`]: the body in the field
//! `payload` (JSON with the `json` feature, or any bytes), and headers — trace context
//! such as `traceparent`, tenant, content type — in fields named `h:<name>`.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

use crate::{Command, SetOptions, StreamId};

/// The field that holds an [`Envelope`]'s body.
pub const PAYLOAD_FIELD: &str = "payload";

/// The prefix of an [`Envelope`]'s header fields.
pub const HEADER_PREFIX: &str = "h:";

/// One delivery of a stream entry to a handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The stream it was read from.
    pub stream: Bytes,
    /// Its entry ID.
    pub id: StreamId,
    /// How many times the group has delivered it, this delivery included (Redis's own
    /// delivery count, as XPENDING shows it).
    pub deliveries: u64,
    /// Its field/value pairs in the order they were added.
    pub fields: Vec<(Bytes, Bytes)>,
    /// Writes the handler wants committed together with the acknowledgement.
    pub effects: Effects,
}

/// Writes to the backend (strings, streams) that a handler asks to commit in one
/// atomic step with the message's acknowledgement — the "INCRBY + XACK in one
/// transaction" pattern — instead of writing them itself. With the worker's
/// `idempotent` setting the step is mark-and-ack-if-new, so they apply once per message
/// even if it is delivered (or added) twice; without it, a MULTI of the writes and the
/// XACK. Writes of a failed attempt are dropped. On a cluster their keys must share the
/// stream's hash slot.
#[derive(Clone, Default)]
pub struct Effects(Arc<Mutex<Vec<Command>>>);

impl Effects {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Command>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds any write.
    pub fn push(&self, cmd: Command) {
        self.lock().push(cmd);
    }

    /// INCRBY `key` `by`.
    pub fn incr_by(&self, key: impl AsRef<[u8]>, by: i64) {
        self.push(Command::IncrBy {
            key: Bytes::copy_from_slice(key.as_ref()),
            by,
        });
    }

    /// SET `key` `value`.
    pub fn set(&self, key: impl AsRef<[u8]>, value: impl Into<Bytes>) {
        self.push(Command::Set {
            key: Bytes::copy_from_slice(key.as_ref()),
            value: value.into(),
            opts: SetOptions::default(),
        });
    }

    /// XADD `key` `*` `fields` (e.g. an event for the next stage).
    pub fn xadd(&self, key: impl AsRef<[u8]>, fields: Vec<(Bytes, Bytes)>) {
        self.push(Command::XAdd {
            key: Bytes::copy_from_slice(key.as_ref()),
            opts: crate::XAddOptions::default(),
            fields,
        });
    }

    /// The writes so far, taken out.
    pub(crate) fn take(&self) -> Vec<Command> {
        std::mem::take(&mut *self.lock())
    }
}

impl PartialEq for Effects {
    fn eq(&self, other: &Effects) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.lock() == *other.lock()
    }
}

impl Eq for Effects {}

impl std::fmt::Debug for Effects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.lock().iter()).finish()
    }
}

impl Message {
    /// The value of the first field named `name`.
    pub fn field(&self, name: impl AsRef<[u8]>) -> Option<&Bytes> {
        let name = name.as_ref();
        self.fields
            .iter()
            .find(|(f, _)| f.as_ref() == name)
            .map(|(_, v)| v)
    }

    /// The body an [`Envelope`] put in the `payload` field.
    pub fn payload(&self) -> Option<&Bytes> {
        self.field(PAYLOAD_FIELD)
    }

    /// The headers (fields named `h:<name>`), as `(name, value)`.
    pub fn headers(&self) -> impl Iterator<Item = (&[u8], &Bytes)> + '_ {
        self.fields.iter().filter_map(|(f, v)| {
            f.strip_prefix(HEADER_PREFIX.as_bytes())
                .map(|name| (name, v))
        })
    }

    /// One header's value.
    pub fn header(&self, name: impl AsRef<[u8]>) -> Option<&Bytes> {
        let name = name.as_ref();
        self.headers().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The payload decoded from JSON.
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, super::BoxError> {
        let body = self
            .payload()
            .ok_or_else(|| format!("entry {} has no '{PAYLOAD_FIELD}' field", self.id))?;
        Ok(serde_json::from_slice(body)?)
    }
}

/// A message to add with XADD: a payload and headers, as field/value pairs a
/// [`Message`] reads back. `envelope.fields()` goes to `Streams::xadd`.
///
/// ```
/// use brook::worker::Envelope;
/// let e = Envelope::new("resize 42").header("traceparent", "00-abc-def-01");
/// assert_eq!(e.fields().len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope {
    fields: Vec<(Bytes, Bytes)>,
}

impl Envelope {
    /// An envelope whose `payload` field holds `body`.
    pub fn new(body: impl Into<Bytes>) -> Envelope {
        Envelope {
            fields: vec![(Bytes::from_static(PAYLOAD_FIELD.as_bytes()), body.into())],
        }
    }

    /// An envelope whose payload is `value` as JSON.
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Envelope, serde_json::Error> {
        Ok(Envelope::new(serde_json::to_vec(value)?))
    }

    /// Adds header `name` (stored in the field `h:<name>`).
    pub fn header(mut self, name: impl AsRef<[u8]>, value: impl Into<Bytes>) -> Envelope {
        let mut field = HEADER_PREFIX.as_bytes().to_vec();
        field.extend_from_slice(name.as_ref());
        self.fields.push((Bytes::from(field), value.into()));
        self
    }

    /// The field/value pairs, payload first.
    pub fn fields(&self) -> &[(Bytes, Bytes)] {
        &self.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_reads_back_as_a_message() {
        let e = Envelope::new("body")
            .header("traceparent", "tp")
            .header("tenant", "t1");
        let m = Message {
            stream: Bytes::from_static(b"s"),
            id: StreamId::new(1, 0),
            deliveries: 1,
            fields: e.fields().to_vec(),
            effects: Effects::default(),
        };
        assert_eq!(m.payload().map(|b| &b[..]), Some(&b"body"[..]));
        assert_eq!(m.header("tenant").map(|b| &b[..]), Some(&b"t1"[..]));
        assert_eq!(m.header("payload"), None);
        let names: Vec<&[u8]> = m.headers().map(|(n, _)| n).collect();
        assert_eq!(names, vec![&b"traceparent"[..], &b"tenant"[..]]);
    }

    #[cfg(feature = "json")]
    #[test]
    fn json_payloads_round_trip() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Order {
            id: u32,
            item: String,
        }
        let order = Order {
            id: 7,
            item: "lamp".into(),
        };
        let e = Envelope::json(&order).expect("serializes");
        let m = Message {
            stream: Bytes::from_static(b"s"),
            id: StreamId::new(1, 0),
            deliveries: 1,
            fields: e.fields().to_vec(),
            effects: Effects::default(),
        };
        assert_eq!(m.json::<Order>().expect("decodes"), order);
        let bad = Message {
            fields: vec![],
            ..m
        };
        assert!(bad.json::<Order>().is_err());
    }
}
