//! The commands a write propagates: what Redis sends to its AOF and replicas for it,
//! as argument vectors. Built only while the keyspace records effects
//! ([`super::Keyspace::record_effects`]); replaying them on an empty keyspace rebuilds
//! the one that recorded them.
//!
//! Where Redis propagates the command as the client sent it, the effect is the typed
//! command written back in its canonical spelling. Where Redis rewrites it, so do we:
//! XADD gets the ID it generated and an exact trim; what XREADGROUP, XCLAIM and
//! XAUTOCLAIM hand over becomes one `XCLAIM … FORCE JUSTID` per entry plus
//! `XGROUP SETID … ENTRIESREAD` when the group moved; a key that expires becomes DEL.

use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::door::Argv;
use crate::entry::FieldValues;
use crate::id::StreamId;
use crate::log::idmp::Idempotency;
use crate::options::{RefPolicy, TrimOptions, TrimStrategy};

/// A static argument.
pub(crate) fn word(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// A key, group or consumer name as an argument.
pub(crate) fn arg(b: &[u8]) -> Bytes {
    Bytes::copy_from_slice(b)
}

/// A number as an argument.
pub(crate) fn num(n: impl core::fmt::Display) -> Bytes {
    Bytes::from(alloc::format!("{n}"))
}

/// A stream ID as an argument (`ms-seq`).
pub(crate) fn id(id: StreamId) -> Bytes {
    let mut buf = [0u8; 41];
    Bytes::copy_from_slice(id.format_into(&mut buf))
}

/// Redis's keyword for a reference policy.
pub(crate) fn policy(p: RefPolicy) -> Bytes {
    word(match p {
        RefPolicy::KeepRef => "KEEPREF",
        RefPolicy::DelRef => "DELREF",
        RefPolicy::Acked => "ACKED",
    })
}

/// A trim as the exact form Redis propagates: `MAXLEN|MINID = threshold`, where an
/// approximate trim (`~`, LIMIT) is replaced by what it left — the stream's length, or
/// for MINID (and MAXLEN with ACKED) the ID just after the greatest one it removed
/// (`min_after`, see [`min_after`]) — so a replay trims the same entries. (Redis writes the first entry's
/// ID left, which, with ACKED skipping a referenced entry, trims less on replay.)
pub(crate) fn push_trim(
    argv: &mut Argv,
    trim: &TrimOptions,
    len_after: u64,
    min_after: Option<StreamId>,
) {
    // An approximate trim that removed the greatest ID there is walked the whole stream.
    let min_after = |strategy: &'static str| match min_after {
        Some(m) => (strategy, id(m)),
        None => ("MAXLEN", num(0)),
    };
    let (name, threshold) = match (trim.strategy, trim.approx) {
        (TrimStrategy::MaxLen(n), false) => ("MAXLEN", num(n)),
        (TrimStrategy::MinId(m), false) => ("MINID", id(m)),
        // With ACKED a referenced entry stays behind, and `MAXLEN = len` would stop
        // the replay's walk earlier than the origin's (a node's eligibility depends
        // on the threshold): the MINID form repeats it exactly.
        (TrimStrategy::MaxLen(_), true) if trim.policy == RefPolicy::Acked => min_after("MINID"),
        (TrimStrategy::MaxLen(_), true) => ("MAXLEN", num(len_after)),
        (TrimStrategy::MinId(_), true) => min_after("MINID"),
    };
    argv.push(word(name));
    argv.push(word("="));
    argv.push(threshold);
    if trim.policy != RefPolicy::KeepRef {
        argv.push(policy(trim.policy));
    }
}

/// XADD as propagated: the concrete ID (or `*` for an IDMP duplicate, which adds
/// nothing), the IDMP option, and the trim made exact.
#[allow(clippy::too_many_arguments)]
pub(crate) fn xadd<F: FieldValues + ?Sized>(
    key: &[u8],
    nomkstream: bool,
    idmp: Option<&Idempotency>,
    added: Option<StreamId>,
    trim: Option<(&TrimOptions, u64, Option<StreamId>)>,
    fields: &F,
) -> Argv {
    let mut argv = vec![word("XADD"), arg(key)];
    if nomkstream {
        argv.push(word("NOMKSTREAM"));
    }
    match idmp {
        Some(Idempotency::Given { pid, iid }) => {
            argv.extend([word("IDMP"), pid.clone(), iid.clone()]);
        }
        Some(Idempotency::Auto { pid }) => argv.extend([word("IDMPAUTO"), pid.clone()]),
        None => {}
    }
    if let Some((t, len, first)) = trim {
        push_trim(&mut argv, t, len, first);
    }
    argv.push(added.map_or_else(|| word("*"), id));
    for i in 0..fields.pair_count() {
        let (f, v) = fields.pair(i);
        argv.push(arg(f));
        argv.push(arg(v));
    }
    argv
}

/// `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID last`: one
/// pending entry with its owner, delivery time and count, as Redis propagates every
/// entry XREADGROUP, XCLAIM and XAUTOCLAIM hand over (and every pending entry they drop
/// because its entry is gone).
pub(crate) fn xclaim_entry(
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    entry: StreamId,
    delivery_time: u64,
    delivery_count: u64,
    last_id: StreamId,
) -> Argv {
    vec![
        word("XCLAIM"),
        arg(key),
        arg(group),
        arg(consumer),
        word("0"),
        id(entry),
        word("TIME"),
        num(delivery_time),
        word("RETRYCOUNT"),
        num(delivery_count),
        word("FORCE"),
        word("JUSTID"),
        word("LASTID"),
        id(last_id),
    ]
}

/// `XGROUP SETID key group id ENTRIESREAD n`: a group's position after a read.
pub(crate) fn group_position(key: &[u8], group: &[u8], last: StreamId, entries_read: i64) -> Argv {
    vec![
        word("XGROUP"),
        word("SETID"),
        arg(key),
        arg(group),
        id(last),
        word("ENTRIESREAD"),
        num(entries_read),
    ]
}

/// `XGROUP CREATECONSUMER key group consumer`.
pub(crate) fn create_consumer(key: &[u8], group: &[u8], consumer: &[u8]) -> Argv {
    vec![
        word("XGROUP"),
        word("CREATECONSUMER"),
        arg(key),
        arg(group),
        arg(consumer),
    ]
}

/// A command name followed by a key and stream IDs (XDEL, XACK's tail).
pub(crate) fn with_ids(head: Vec<Bytes>, ids: &[StreamId]) -> Argv {
    let mut argv = head;
    argv.extend(ids.iter().map(|&i| id(i)));
    argv
}

/// The exact MINID threshold for an approximate trim that removed up to `last_removed`:
/// the ID just after it (every entry below it the policy let go is gone). When it
/// removed nothing, the first live ID (`MAX` for an empty stream): a replay removes
/// nothing either. `None` when it removed the greatest ID there is, which no MINID
/// reaches: the trim walked the whole stream, as `MAXLEN = 0` does.
pub(crate) fn min_after(
    last_removed: Option<StreamId>,
    first_live: Option<StreamId>,
) -> Option<StreamId> {
    match last_removed {
        Some(StreamId::MAX) => None,
        Some(l) if l.seq == u64::MAX => Some(StreamId::new(l.ms + 1, 0)),
        Some(l) => Some(StreamId::new(l.ms, l.seq + 1)),
        None => Some(first_live.unwrap_or(StreamId::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(argv: &Argv) -> Vec<&str> {
        argv.iter()
            .map(|a| core::str::from_utf8(a).unwrap_or("?"))
            .collect()
    }

    /// An approximate trim that removed the greatest ID there is has no MINID after it:
    /// it is written as `MAXLEN = 0` (the whole stream walked), with its policy.
    #[test]
    fn a_trim_past_the_greatest_id_is_written_as_maxlen_zero() {
        assert_eq!(min_after(Some(StreamId::MAX), None), None);
        let before_max = StreamId::new(u64::MAX - 1, u64::MAX);
        assert_eq!(
            min_after(Some(before_max), None),
            Some(StreamId::new(u64::MAX, 0))
        );
        let acked = TrimOptions::maxlen(0).approx().policy(RefPolicy::Acked);
        let mut argv = vec![word("XTRIM"), word("s")];
        push_trim(&mut argv, &acked, 0, None);
        assert_eq!(words(&argv), ["XTRIM", "s", "MAXLEN", "=", "0", "ACKED"]);
        let mut argv = vec![word("XTRIM"), word("s")];
        push_trim(&mut argv, &acked, 0, Some(StreamId::new(5, 1)));
        assert_eq!(words(&argv), ["XTRIM", "s", "MINID", "=", "5-1", "ACKED"]);
    }
}
