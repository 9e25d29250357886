//! Stream entries as callers give and receive them.

use alloc::vec::Vec;

use bytes::Bytes;

use crate::id::StreamId;

/// One stream entry as returned by XRANGE, XREAD and friends: its ID and its
/// field/value pairs, in the order they were added (duplicate field names kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEntry {
    /// The entry's ID.
    pub id: StreamId,
    /// Field/value pairs in insertion order.
    pub fields: Vec<(Bytes, Bytes)>,
}

impl StreamEntry {
    /// The value of the first field named `name`, if any.
    pub fn get(&self, name: &[u8]) -> Option<&Bytes> {
        self.fields
            .iter()
            .find(|(f, _)| f.as_ref() == name)
            .map(|(_, v)| v)
    }
}

/// One stream's part of a read's reply: XREAD's entries ([`StreamEntry`]) or
/// XREADGROUP's ([`crate::GroupEntry`]) from the stream at `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamEntries<E = StreamEntry> {
    /// The stream's key.
    pub key: Bytes,
    /// Its entries, in the order the read delivered them.
    pub entries: Vec<E>,
}

impl<E> StreamEntries<E> {
    /// The entries read from the stream at `key`.
    pub fn new(key: impl Into<Bytes>, entries: Vec<E>) -> StreamEntries<E> {
        StreamEntries {
            key: key.into(),
            entries,
        }
    }
}

/// The field/value pairs of an entry being added (XADD's `field value [field value …]`).
///
/// Implemented for slices, arrays and vectors of `(field, value)` tuples of anything
/// byte-like, and for [`FlatFields`], a flat `[f1, v1, f2, v2 …]` argument list.
pub trait FieldValues {
    /// Number of field/value pairs.
    fn pair_count(&self) -> usize;
    /// The `i`-th pair; `i < pair_count()`.
    fn pair(&self, i: usize) -> (&[u8], &[u8]);
}

impl<K: AsRef<[u8]>, V: AsRef<[u8]>> FieldValues for [(K, V)] {
    fn pair_count(&self) -> usize {
        self.len()
    }
    fn pair(&self, i: usize) -> (&[u8], &[u8]) {
        let (k, v) = &self[i];
        (k.as_ref(), v.as_ref())
    }
}

impl<K: AsRef<[u8]>, V: AsRef<[u8]>, const N: usize> FieldValues for [(K, V); N] {
    fn pair_count(&self) -> usize {
        N
    }
    fn pair(&self, i: usize) -> (&[u8], &[u8]) {
        let (k, v) = &self[i];
        (k.as_ref(), v.as_ref())
    }
}

impl<K: AsRef<[u8]>, V: AsRef<[u8]>> FieldValues for Vec<(K, V)> {
    fn pair_count(&self) -> usize {
        self.len()
    }
    fn pair(&self, i: usize) -> (&[u8], &[u8]) {
        let (k, v) = &self[i];
        (k.as_ref(), v.as_ref())
    }
}

/// A reference to field/value pairs (so a slice of `&[(K, V)]` is a batch of entries).
impl<T: FieldValues + ?Sized> FieldValues for &T {
    fn pair_count(&self) -> usize {
        (**self).pair_count()
    }
    fn pair(&self, i: usize) -> (&[u8], &[u8]) {
        (**self).pair(i)
    }
}

/// A flat `[field1, value1, field2, value2 …]` list, as XADD's arguments arrive.
#[derive(Clone, Copy, Debug)]
pub struct FlatFields<'a, T>(&'a [T]);

impl<'a, T> FlatFields<'a, T> {
    /// The pairs of `args`; `None` when it has an odd number of elements (a field
    /// without its value), which XADD answers with its arity error.
    pub fn new(args: &'a [T]) -> Option<FlatFields<'a, T>> {
        args.len().is_multiple_of(2).then_some(FlatFields(args))
    }
}

impl<T: AsRef<[u8]>> FieldValues for FlatFields<'_, T> {
    fn pair_count(&self) -> usize {
        self.0.len() / 2
    }
    fn pair(&self, i: usize) -> (&[u8], &[u8]) {
        (self.0[2 * i].as_ref(), self.0[2 * i + 1].as_ref())
    }
}

/// Total bytes of all fields and values (Redis's `totelelen`).
pub(crate) fn total_len<F: FieldValues + ?Sized>(fields: &F) -> u64 {
    (0..fields.pair_count())
        .map(|i| {
            let (f, v) = fields.pair(i);
            (f.len() + v.len()) as u64
        })
        .sum()
}
