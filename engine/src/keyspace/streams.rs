//! The typed stream commands of the [`Keyspace`]: XADD, XLEN, XRANGE/XREVRANGE, XDEL,
//! XTRIM, XSETID, XINFO STREAM, XCFGSET and XIDMPRECORD, each a change made through the
//! door ([`Keyspace::write_stream`]) or a read of one stream.

use alloc::vec;
use alloc::vec::Vec;

use bytes::Bytes;

use super::door::Keyspace;
use super::effects::{self, arg, id as id_arg, num, word};
use super::reads::{count_limit, summary};
use crate::entry::{FieldValues, StreamEntry};
use crate::error::Error;
use crate::id::{StreamId, XAddId};
use crate::info::{XInfoStream, XInfoStreamFull};
use crate::options::{TrimOptions, XAddOptions, XSetIdOptions};
use crate::stream::Stream;

impl Keyspace {
    /// XADD. Returns the new entry's ID, or `None` when NOMKSTREAM found no stream.
    /// `fields` must hold at least one pair (the command layer checks arity).
    pub fn xadd<F: FieldValues + ?Sized>(
        &mut self,
        key: &[u8],
        opts: &XAddOptions,
        fields: &F,
        now: u64,
    ) -> Result<Option<StreamId>, Error> {
        self.check_writable()?;
        self.check_oom()?;
        if let Some(trim) = &opts.trim {
            trim.validate()?;
        }
        if fields.pair_count() == 0 {
            return Err(Error::WrongArity("xadd"));
        }
        // Only a replay may name the ID with IDMP: Redis propagates an IDMP add with
        // the ID it generated.
        if opts.idmp.is_some() && opts.id != XAddId::Auto && !self.replaying() {
            return Err(Error::IdmpNeedsAutoId);
        }
        if opts.id == XAddId::Explicit(StreamId::MIN) {
            return Err(Error::XAddIdZero);
        }
        let limits = self.config().node_limits;
        let added = self.write_stream(key, !opts.nomkstream, |stream, w| {
            // An IDMP duplicate answers the recorded ID and changes nothing else
            // (expiring old IIDs on the way). The producer is created first, as Redis
            // does: it stays even if the append below fails (see `idmp`'s module doc
            // for when Redis's cron drops it again).
            let idmp = opts.idmp.as_ref().map(|i| (i.pid(), i.iid(fields)));
            if let Some((pid, iid)) = &idmp {
                let state = stream.idmp_mut();
                state.expire(now);
                state.producer(pid);
                if let Some(id) = state.get(pid, iid) {
                    state.count_duplicate();
                    w.dirty(1);
                    if w.recording() {
                        let e = effects::xadd(key, false, opts.idmp.as_ref(), None, None, fields);
                        w.propagate(e);
                    }
                    return Ok(id);
                }
            }
            let id = stream.append(opts.id, fields, now, &limits)?;
            w.dirty(1);
            if let Some((pid, iid)) = idmp {
                stream.idmp_mut().record(pid, iid, id);
            }
            let last_trimmed = match &opts.trim {
                Some(trim) => stream.trim_reporting(trim, &limits).1,
                None => None,
            };
            w.modified();
            w.ready();
            if w.recording() {
                let trim = opts.trim.as_ref().map(|t| {
                    (
                        t,
                        stream.len(),
                        effects::min_after(last_trimmed, stream.first_live_id()),
                    )
                });
                let e = effects::xadd(
                    key,
                    opts.nomkstream,
                    opts.idmp.as_ref(),
                    Some(id),
                    trim,
                    fields,
                );
                w.propagate(e);
            }
            Ok(id)
        })?;
        added.transpose()
    }

    /// XLEN.
    pub fn xlen(&self, key: &[u8]) -> Result<u64, Error> {
        Ok(self.stream(key)?.map_or(0, Stream::len))
    }

    /// XRANGE: live entries with `start <= id <= end`, at most `count` (`None` = all).
    pub fn xrange(
        &self,
        key: &[u8],
        start: StreamId,
        end: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        let mut out = Vec::new();
        if let Some(s) = self.stream(key)? {
            if count != Some(0) {
                s.range(start, end, count_limit(count), &mut out);
            }
        }
        Ok(out)
    }

    /// XREVRANGE: like [`Keyspace::xrange`], newest first.
    pub fn xrevrange(
        &self,
        key: &[u8],
        end: StreamId,
        start: StreamId,
        count: Option<u64>,
    ) -> Result<Vec<StreamEntry>, Error> {
        let mut out = Vec::new();
        if let Some(s) = self.stream(key)? {
            if count != Some(0) {
                s.rev_range(end, start, count_limit(count), &mut out);
            }
        }
        Ok(out)
    }

    /// XDEL: deletes entries by ID; returns how many existed. An empty `ids` is Redis's
    /// arity error (the argument vector is `XDEL key`), before the key is looked at.
    pub fn xdel(&mut self, key: &[u8], ids: &[StreamId]) -> Result<u64, Error> {
        self.check_writable()?;
        if ids.is_empty() {
            return Err(Error::WrongArity("xdel"));
        }
        let n = self.write_stream(key, false, |s, w| {
            let n = s.delete(ids);
            if n > 0 {
                w.modified();
                w.dirty(n);
                if w.recording() {
                    w.propagate(effects::with_ids(vec![word("XDEL"), arg(key)], ids));
                }
            }
            n
        })?;
        Ok(n.unwrap_or(0))
    }

    /// XTRIM: returns how many entries were removed.
    pub fn xtrim(&mut self, key: &[u8], opts: &TrimOptions) -> Result<u64, Error> {
        self.check_writable()?;
        opts.validate()?;
        let limits = self.config().node_limits;
        let n = self.write_stream(key, false, |s, w| {
            let (n, last) = s.trim_reporting(opts, &limits);
            if n > 0 {
                w.modified();
                w.dirty(n);
                if w.recording() {
                    let mut e = vec![word("XTRIM"), arg(key)];
                    let min = effects::min_after(last, s.first_live_id());
                    effects::push_trim(&mut e, opts, s.len(), min);
                    w.propagate(e);
                }
            }
            n
        })?;
        Ok(n.unwrap_or(0))
    }

    /// XSETID.
    pub fn xsetid(&mut self, key: &[u8], opts: &XSetIdOptions) -> Result<(), Error> {
        self.check_writable()?;
        opts.validate()?;
        self.write_stream(key, false, |s, w| {
            s.set_id(opts.last_id, opts.entries_added, opts.max_deleted_id)?;
            w.dirty(1);
            if w.recording() {
                let mut e = vec![word("XSETID"), arg(key), id_arg(opts.last_id)];
                if let Some(n) = opts.entries_added {
                    e.extend([word("ENTRIESADDED"), num(n)]);
                }
                if let Some(m) = opts.max_deleted_id {
                    e.extend([word("MAXDELETEDID"), id_arg(m)]);
                }
                w.propagate(e);
            }
            Ok(())
        })?
        .unwrap_or(Err(Error::NoSuchKey))
    }

    /// XINFO STREAM at command time `now` (IDMP IIDs expired by then are not counted).
    pub fn xinfo_stream(&self, key: &[u8], now: u64) -> Result<XInfoStream, Error> {
        let s = self.stream(key)?.ok_or(Error::NoSuchKey)?;
        Ok(XInfoStream {
            summary: summary(s, now),
            groups: s.groups().len() as u64,
            first_entry: s.first_entry(),
            last_entry: s.last_entry(),
        })
    }

    /// XINFO STREAM FULL [COUNT count]: `count` entries (`0` = all; Redis's default 10).
    pub fn xinfo_stream_full(
        &self,
        key: &[u8],
        count: u64,
        now: u64,
    ) -> Result<XInfoStreamFull, Error> {
        let s = self.stream(key)?.ok_or(Error::NoSuchKey)?;
        let mut entries = Vec::new();
        s.range(
            StreamId::MIN,
            StreamId::MAX,
            count_limit(Some(count)),
            &mut entries,
        );
        Ok(XInfoStreamFull {
            summary: summary(s, now),
            entries,
            groups: super::groups::full_groups(s, count),
        })
    }

    /// XCFGSET: sets a stream's IDMP settings (validated by the caller: durations
    /// 1..=86400 s, sizes 1..=10000); a changed value forgets every recorded IID.
    pub fn xcfgset(
        &mut self,
        key: &[u8],
        duration: Option<u64>,
        maxsize: Option<u64>,
    ) -> Result<(), Error> {
        self.check_writable()?;
        self.write_stream(key, false, |s, w| {
            let before = s.idmp().settings();
            s.idmp_mut().configure(duration, maxsize);
            if before != s.idmp().settings() {
                w.dirty(1);
                if w.recording() {
                    let mut e = vec![word("XCFGSET"), arg(key)];
                    if let Some(d) = duration {
                        e.extend([word("IDMP-DURATION"), num(d)]);
                    }
                    if let Some(m) = maxsize {
                        e.extend([word("IDMP-MAXSIZE"), num(m)]);
                    }
                    w.propagate(e);
                }
            }
        })?
        .ok_or(Error::NoSuchKey)
    }

    /// XIDMPRECORD: records that `pid`'s `iid` produced the live entry `id`.
    pub fn xidmprecord(
        &mut self,
        key: &[u8],
        pid: &Bytes,
        iid: &Bytes,
        id: StreamId,
        now: u64,
    ) -> Result<(), Error> {
        self.check_writable()?;
        if pid.is_empty() {
            return Err(Error::EmptyProducerId);
        }
        if iid.is_empty() {
            return Err(Error::EmptyIdempotentId);
        }
        self.write_stream(key, false, |s, w| {
            let mut found = false;
            s.for_each_in(id, id, 1, |_| found = true);
            if !found {
                return Err(Error::NoSuchMessage);
            }
            let state = s.idmp_mut();
            state.expire(now);
            match state.get(pid, iid) {
                Some(existing) if existing == id => Ok(()),
                Some(_) => Err(Error::IidExists),
                None => {
                    state.record(pid, iid.clone(), id);
                    w.dirty(1);
                    w.propagate(vec![
                        word("XIDMPRECORD"),
                        arg(key),
                        pid.clone(),
                        iid.clone(),
                        id_arg(id),
                    ]);
                    Ok(())
                }
            }
        })?
        .unwrap_or(Err(Error::NoSuchKey))
    }
}
