//! The commands that rebuild a keyspace: what a rewrite writes as the new base file.
//!
//! A stream is written as Redis's own rewrite writes it — its entries as XADD, its
//! counters with XSETID … ENTRIESADDED … MAXDELETEDID, each group with XGROUP CREATE …
//! ENTRIESREAD, each pending entry with XCLAIM … TIME … RETRYCOUNT … JUSTID FORCE,
//! consumers without pending entries with XGROUP CREATECONSUMER, IDMP settings with
//! XCFGSET and IDMP records with XIDMPRECORD — and a string as SET, an expiry time as
//! PEXPIREAT.
//!
//! Two things are kept that Redis's rewrite loses: a pending entry whose stream entry
//! was deleted or trimmed (Redis claims it on load with XCLAIM, which skips entries that
//! are gone, so after a rewrite and a restart its XPENDING shrinks), and an IDMP record
//! naming such an entry (which Redis leaves out: XIDMPRECORD refuses a missing ID), so a
//! producer's retry is still recognised after a restart. Here each such entry is added
//! back (with an empty field and value) before the groups and records are rebuilt, and
//! deleted again after; a last XSETID restores the counters the deletion moved. (A
//! group that has read more entries than the stream counts as added, after an XSETID
//! lowered the count, keeps its count too: Redis's rewrite lowers it.) Redis
//! loads these commands too, with the same result. Lost, as with Redis: the IDMP
//! counters `iids-added` and `iids-duplicates` (each record rebuilt counts one added),
//! and consumers' seen and active times (the load's).

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use std::io::{self, Write};

use bytes::Bytes;

use super::resp_log::encode;
use crate::id::StreamId;
use crate::keyspace::{Config, Value};
use crate::stream::Stream;

/// How many bytes are gathered before they are written.
const CHUNK: usize = 64 * 1024;

/// Commands encoded into a buffer and written out in chunks.
struct Emit<W: Write> {
    out: W,
    buf: Vec<u8>,
    bytes: u64,
}

impl<W: Write> Emit<W> {
    fn cmd<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> io::Result<()> {
        encode(argv, &mut self.buf);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
}

/// A stream ID as the files hold it.
fn id(id: StreamId) -> Vec<u8> {
    id.to_string().into_bytes()
}

fn num(n: impl core::fmt::Display) -> Vec<u8> {
    n.to_string().into_bytes()
}

/// Writes the commands that rebuild database `db`'s `keys` (each with its expiry time)
/// to `out`: `SELECT db` first, as Redis starts each database, unless there are no keys.
/// The bytes written.
pub(crate) fn write_db(
    db: usize,
    keys: &[(Bytes, Value, Option<u64>)],
    config: &Config,
    out: impl Write,
) -> io::Result<u64> {
    let mut e = Emit {
        out,
        buf: Vec::with_capacity(CHUNK + 4096),
        bytes: 0,
    };
    if !keys.is_empty() {
        e.cmd(&[&b"SELECT"[..], &num(db)])?;
    }
    for (key, value, at) in keys {
        match value {
            Value::String(v) => e.cmd(&[&b"SET"[..], key, v])?,
            Value::Stream(s) => stream(&mut e, key, s, config)?,
        }
        if let Some(at) = at {
            e.cmd(&[&b"PEXPIREAT"[..], key, &num(at)])?;
        }
    }
    e.flush()?;
    e.out.flush()?;
    Ok(e.bytes)
}

fn stream<W: Write>(e: &mut Emit<W>, key: &[u8], s: &Stream, config: &Config) -> io::Result<()> {
    // Entries gone from the stream that a pending entry or an IDMP record still
    // names: added back while those are rebuilt.
    let records = s.idmp().records();
    let ghosts: BTreeSet<StreamId> = s
        .groups()
        .values()
        .flat_map(|g| g.pel().iter().map(|(id, _)| id))
        .chain(
            records
                .iter()
                .flat_map(|(_, iids)| iids.iter().map(|(_, id)| *id)),
        )
        .filter(|id| !s.contains(*id))
        .collect();
    let mut ghost_at = ghosts.iter().copied().peekable();
    let mut err = Ok(());
    let mut argv: Vec<Bytes> = Vec::new();
    let key_b = Bytes::copy_from_slice(key);
    s.for_each_in(StreamId::MIN, StreamId::MAX, 0, |entry| {
        if err.is_err() {
            return;
        }
        while let Some(g) = ghost_at.next_if(|g| *g < entry.id) {
            if let Err(x) = e.cmd(&[&b"XADD"[..], key, &id(g), b"", b""]) {
                err = Err(x);
                return;
            }
        }
        argv.clear();
        argv.extend([
            Bytes::from_static(b"XADD"),
            key_b.clone(),
            Bytes::from(id(entry.id)),
        ]);
        for (f, v) in entry.pairs() {
            argv.push(Bytes::copy_from_slice(f));
            argv.push(Bytes::copy_from_slice(v));
        }
        if let Err(x) = e.cmd(&argv) {
            err = Err(x);
        }
    });
    err?;
    for g in ghost_at {
        e.cmd(&[&b"XADD"[..], key, &id(g), b"", b""])?;
    }
    if s.is_empty() && ghosts.is_empty() {
        // Redis's way to create an empty stream: add one entry and trim it away.
        e.cmd(&[&b"XADD"[..], key, b"MAXLEN", b"0", b"0-1", b"x", b"y"])?;
    }
    let counters = |e: &mut Emit<W>, added: u64| {
        e.cmd(&[
            &b"XSETID"[..],
            key,
            &id(s.last_id()),
            b"ENTRIESADDED",
            // Past i64::MAX shown negative, as Redis writes it (brook's load takes it
            // back; Redis's refuses the command).
            &num(added as i64),
            b"MAXDELETEDID",
            &id(s.max_deleted_id()),
        ])
    };
    // XGROUP CREATE lowers ENTRIESREAD to the entries added so far, and a group may
    // have read more than that (an XSETID lowered the count after): the count is
    // raised while the groups are created, and set back after.
    let most_read = s
        .groups()
        .values()
        .filter_map(|g| g.entries_read)
        .filter(|n| i64::try_from(*n).is_ok())
        .max()
        .unwrap_or(0);
    let raised = most_read > s.entries_added();
    counters(e, s.entries_added().max(most_read))?;
    for (name, g) in s.groups() {
        let entries_read = g.entries_read.map_or(-1, |n| n as i64);
        e.cmd(&[
            &b"XGROUP"[..],
            b"CREATE",
            key,
            name,
            &id(g.last_delivered),
            b"ENTRIESREAD",
            &num(entries_read),
        ])?;
        // Each consumer's pending entries, consumers in name order, entries by ID.
        let consumers: Vec<_> = g.consumers_with_ids().collect();
        let mut owned: Vec<Vec<(StreamId, u64, u64)>> = vec![Vec::new(); consumers.len()];
        let slot_of: hashbrown::HashMap<_, usize> = consumers
            .iter()
            .enumerate()
            .map(|(i, (cid, _))| (*cid, i))
            .collect();
        for (pid, nack) in g.pel().iter() {
            if let Some(&i) = slot_of.get(&nack.owner) {
                owned[i].push((pid, nack.delivery_time, nack.delivery_count));
            }
        }
        for ((_, c), pel) in consumers.iter().zip(&owned) {
            let cname = c.name.as_bytes();
            if pel.is_empty() {
                e.cmd(&[&b"XGROUP"[..], b"CREATECONSUMER", key, name, cname])?;
                continue;
            }
            for (pid, time, count) in pel {
                e.cmd(&[
                    &b"XCLAIM"[..],
                    key,
                    name,
                    cname,
                    b"0",
                    &id(*pid),
                    b"TIME",
                    &num(time),
                    b"RETRYCOUNT",
                    &num(count),
                    b"JUSTID",
                    b"FORCE",
                ])?;
            }
        }
    }
    let (duration, maxsize) = s.idmp().settings();
    if (duration, maxsize) != (config.idmp_duration, config.idmp_maxsize) {
        e.cmd(&[
            &b"XCFGSET"[..],
            key,
            b"IDMP-DURATION",
            &num(duration),
            b"IDMP-MAXSIZE",
            &num(maxsize),
        ])?;
    }
    for (pid, iids) in records {
        for (iid, at) in iids {
            e.cmd(&[&b"XIDMPRECORD"[..], key, pid, iid, &id(at)])?;
        }
    }
    if !ghosts.is_empty() {
        let mut del: Vec<Vec<u8>> = vec![b"XDEL".to_vec(), key.to_vec()];
        del.extend(ghosts.iter().map(|g| id(*g)));
        e.cmd(&del)?;
    }
    if raised || !ghosts.is_empty() {
        counters(e, s.entries_added())?;
    }
    Ok(())
}
