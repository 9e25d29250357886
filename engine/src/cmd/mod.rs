//! The command layer: Redis argument vectors in, protocol-neutral [`Reply`]s out.
//!
//! One file per command, each with the same shape (as mini-redis does it): the wire
//! syntax in its doc comment, a `run` function that parses the arguments with Redis's
//! checks *in Redis's order* and applies the command to the [`Keyspace`]. Where Redis
//! interleaves parsing with key lookups (XDEL, XREAD, XINFO), so do we; the reference
//! sections cited in each file give the order.
//!
//! Every command has one row in the command table (`table.rs`, [`CommandSpec`]): its
//! Redis metadata and its handler. [`Keyspace::execute`] is the entry point: it finds
//! the row (case-insensitively), checks the arity (and the subcommand's), the cluster
//! slots of the keys at the row's key positions and, for commands Redis marks
//! `denyoom`, the engine's caps, exactly as Redis's dispatcher does before a command's
//! own parser runs.

use bytes::Bytes;

use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::num;
use crate::read::request::ReadRequest;
use crate::reply::Reply;

pub use command::{Command, CommandReply, XReadGroupReply, XReadReply};
pub use copy::CopyOptions;

mod command;
mod config;
mod copy;
mod dbsize;
mod del;
mod exists;
mod flush;
mod get;
mod ids_args;
mod incr;
mod key_type;
mod keys;
mod rename;
mod reply_read;
mod scan;
mod set;
mod table;
mod trim_args;
mod ttl;
mod xack;
mod xackdel;
mod xadd;
mod xautoclaim;
mod xcfgset;
mod xclaim;
mod xdel;
mod xdelex;
mod xgroup;
mod xidmprecord;
mod xinfo;
mod xlen;
mod xpending;
mod xrange;
mod xread;
mod xreadgroup;
mod xsetid;
mod xtrim;

pub(crate) use table::table_name;
pub use table::{arity_ok, command_spec, command_specs, CommandSpec, KeyPositions};

/// The row of the command `argv` names, when `argv` has its arity.
fn fitting(argv: &[Bytes]) -> Option<&'static CommandSpec> {
    argv.first()
        .and_then(command_spec)
        .filter(|c| arity_ok(c.arity, argv.len()))
}

/// Finds the command `argv` names and checks it as Redis's dispatcher does (known name,
/// arity, subcommand and its arity): the row that runs.
fn resolve(argv: &[Bytes]) -> Result<&'static CommandSpec, Error> {
    argv.first()
        .and_then(command_spec)
        .ok_or_else(|| Error::unknown_command(argv))?
        .resolve(argv)
}

impl Keyspace {
    /// Executes one command given as a Redis argument vector (`argv[0]` is the command
    /// name) at command time `now` (Unix ms), returning Redis's reply.
    ///
    /// Blocking reads are answered as Redis answers them inside MULTI/EXEC: an XREAD
    /// with `BLOCK` that finds nothing replies nil at once. (Blocking is served by the
    /// engine, which owns the waiters.)
    pub fn execute(&mut self, argv: &[Bytes], now: u64) -> Reply {
        self.expire_due(now);
        let command = match resolve(argv) {
            Ok(c) => c,
            Err(e) => return Reply::Error(e),
        };
        if let Err(e) = self.check_slots(command.keys(argv)) {
            return Reply::Error(e);
        }
        // As Redis refuses write commands while its append-only file cannot be written.
        if self.writes_refused().is_some() && command.has_flag("write") {
            if let Err(e) = self.check_writable() {
                return Reply::Error(e);
            }
        }
        if command.denyoom() {
            if let Err(e) = self.check_oom() {
                return Reply::Error(e);
            }
        }
        match command.handler() {
            Some(run) => run(self, argv, now),
            None => Reply::Error(Error::unknown_command(argv)),
        }
    }

    /// [`Keyspace::execute`] with the reply encoded for `proto` and appended to `out`,
    /// as a server writes it — except an error reply, which is returned instead (and
    /// nothing written), so the caller can count it. XRANGE, XREVRANGE, XREAD,
    /// XREADGROUP, XINFO STREAM … FULL and XPENDING's extended form are encoded straight
    /// from the stream (and its groups) while they are walked, and XINFO CONSUMERS one
    /// consumer at a time, so a large reply costs its bytes once (not owned entries, a
    /// reply tree and then the bytes); the bytes are the same.
    pub fn execute_resp(
        &mut self,
        argv: &[Bytes],
        now: u64,
        proto: crate::resp::Protocol,
        out: &mut alloc::vec::Vec<u8>,
    ) -> Result<(), Error> {
        let name = argv.first().map_or(&[][..], |n| &n[..]);
        let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
        if (is(b"xrange") || is(b"xrevrange")) && fitting(argv).is_some() {
            self.expire_due(now);
            return xrange::write_resp(self, argv, proto, out);
        }
        let read = if is(b"xread") || is(b"xreadgroup") {
            fitting(argv)
        } else {
            None
        };
        if let Some(spec) = read {
            // As `execute` runs them: the dispatcher's slot check, then the command,
            // which never blocks here.
            self.expire_due(now);
            self.check_slots(spec.keys(argv))?;
            let (request, _) = if is(b"xreadgroup") {
                xreadgroup::parse(self, argv, now)?
            } else {
                xread::parse(self, argv, now)?
            };
            return self.read_resp(request, None, now, proto, out).map(|_| ());
        }
        let full = argv.len() >= 4
            && argv[0].eq_ignore_ascii_case(b"xinfo")
            && argv[1].eq_ignore_ascii_case(b"stream");
        if full {
            self.expire_due(now);
            return xinfo::write_stream_resp(self, argv, now, proto, out);
        }
        if argv.len() >= 6 && argv[0].eq_ignore_ascii_case(b"xpending") {
            self.expire_due(now);
            return xpending::write_resp(self, argv, now, proto, out);
        }
        let consumers = argv.len() == 4
            && argv[0].eq_ignore_ascii_case(b"xinfo")
            && argv[1].eq_ignore_ascii_case(b"consumers");
        if consumers {
            self.expire_due(now);
            return xinfo::write_consumers_resp(self, argv, now, proto, out);
        }
        match self.execute(argv, now) {
            Reply::Error(e) => Err(e),
            reply => {
                reply.write_resp(proto, out);
                Ok(())
            }
        }
    }

    /// Checks a command as Redis does when MULTI queues it: the name must be known and the
    /// arity right (subcommands included). `Ok` means [`Keyspace::execute`] would run it.
    pub fn check_command(argv: &[Bytes]) -> Result<(), Error> {
        resolve(argv).map(|_| ())
    }

    /// Executes a command given as string slices (a convenience for tests and examples).
    pub fn execute_str(&mut self, argv: &[&str], now: u64) -> Reply {
        let argv: alloc::vec::Vec<Bytes> = argv
            .iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect();
        self.execute(&argv, now)
    }
}

/// What [`Keyspace::prepare_read`] found: a reply to send now, or a read to block.
#[derive(Debug)]
pub enum ReadStep {
    /// Not a blocking read, or one that answered at once (served, nil, or an error).
    Reply(Reply),
    /// XREAD/XREADGROUP with `BLOCK` that found nothing: block `request` until the
    /// absolute `deadline` (`None`: no timeout), `$` already resolved.
    Block {
        /// The read to re-run when its keys are signalled.
        request: ReadRequest,
        /// Absolute deadline in engine-clock ms; `None` for `BLOCK 0`.
        deadline: Option<u64>,
    },
}

/// What [`Keyspace::prepare_read_resp`] did with a read.
#[derive(Debug)]
pub enum RespReadStep {
    /// The reply (served streams, or nil) was appended to the output.
    Written,
    /// XREAD/XREADGROUP with `BLOCK` that found nothing (nothing written): block
    /// `request` until the absolute `deadline` (`None`: no timeout), `$` already
    /// resolved.
    Block {
        /// The read to re-run when its keys are signalled.
        request: ReadRequest,
        /// Absolute deadline in engine-clock ms; `None` for `BLOCK 0`.
        deadline: Option<u64>,
    },
}

impl Keyspace {
    /// For an XREAD or XREADGROUP argument vector: runs it once like [`Keyspace::execute`]
    /// but, when it has `BLOCK` and found nothing, returns the read to block instead of
    /// nil. `None` for any other command (or an arity error, which `execute` answers).
    pub fn prepare_read(&mut self, argv: &[Bytes], now: u64) -> Option<ReadStep> {
        self.expire_due(now);
        let (mut request, block) = match self.parse_read(argv, now)? {
            Ok(p) => p,
            Err(e) => return Some(ReadStep::Reply(Reply::Error(e))),
        };
        self.resolve_last(&mut request);
        let out = match self.run_read(&request, now) {
            Ok(out) => out,
            Err(e) => return Some(ReadStep::Reply(Reply::Error(e))),
        };
        match block {
            Some(deadline) if out.is_empty() => Some(ReadStep::Block {
                request,
                deadline: (deadline != 0).then_some(deadline),
            }),
            _ => Some(ReadStep::Reply(xread::render(&out))),
        }
    }

    /// [`Keyspace::prepare_read`] for a server: a read that answers at once is encoded
    /// for `proto` and appended to `out` while its entries are read from the stream
    /// (the bytes of `prepare_read`'s reply, with the same effects on the groups); an
    /// error is returned instead, nothing written. `None` for any other command (or an
    /// arity error).
    pub fn prepare_read_resp(
        &mut self,
        argv: &[Bytes],
        now: u64,
        proto: crate::resp::Protocol,
        out: &mut alloc::vec::Vec<u8>,
    ) -> Option<Result<RespReadStep, Error>> {
        self.expire_due(now);
        let (mut request, block) = match self.parse_read(argv, now)? {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        self.resolve_last(&mut request);
        Some(self.read_resp(request, block, now, proto, out))
    }

    /// Parses an XREAD or XREADGROUP: the request (`$` not yet resolved) and its
    /// `BLOCK` deadline. `None` for any other command or too few arguments.
    fn parse_read(
        &self,
        argv: &[Bytes],
        now: u64,
    ) -> Option<Result<(ReadRequest, Option<u64>), Error>> {
        let name = argv.first()?;
        let group = name.eq_ignore_ascii_case(b"xreadgroup");
        if !group && !name.eq_ignore_ascii_case(b"xread") {
            return None;
        }
        fitting(argv)?;
        Some(if group {
            xreadgroup::parse(self, argv, now)
        } else {
            xread::parse(self, argv, now)
        })
    }

    /// Runs `request` with its reply encoded into `out` as the entries are read; with
    /// `block` (a deadline, 0 = none) and nothing served, writes nothing and returns
    /// the read to block.
    fn read_resp(
        &mut self,
        request: ReadRequest,
        block: Option<u64>,
        now: u64,
        proto: crate::resp::Protocol,
        out: &mut alloc::vec::Vec<u8>,
    ) -> Result<RespReadStep, Error> {
        let mut sink = crate::read::sink::RespSink::new(proto, out);
        if let Err(e) = self.run_read_into(&request, now, &mut sink) {
            sink.discard();
            return Err(e);
        }
        match block {
            Some(deadline) if sink.served() == 0 => {
                sink.discard();
                Ok(RespReadStep::Block {
                    request,
                    deadline: (deadline != 0).then_some(deadline),
                })
            }
            _ => {
                sink.finish();
                Ok(RespReadStep::Written)
            }
        }
    }
}

/// The reply for a blocked read's outcome: the served streams, nil for a timeout, or
/// the error its re-run met.
pub(crate) fn render_read(outcome: Result<crate::read::request::ReadOutput, Error>) -> Reply {
    match outcome {
        Ok(out) => xread::render(&out),
        Err(e) => Reply::Error(e),
    }
}

/// Redis's `getLongLongFromObjectOrReply`: a canonical decimal `i64` or E_INT.
pub(crate) fn parse_int(arg: &[u8]) -> Result<i64, Error> {
    num::parse_i64(arg).ok_or(Error::NotAnInteger)
}

/// A keyword argument (a command name, an option) for an argument vector.
pub(crate) fn word(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// An integer argument, as Redis's decimal text.
pub(crate) fn int_arg(n: impl Into<i128>) -> Bytes {
    Bytes::from(alloc::format!("{}", n.into()))
}

/// A stream ID argument, as `ms-seq`.
pub(crate) fn id_arg(id: crate::id::StreamId) -> Bytes {
    Bytes::from(alloc::format!("{id}"))
}

/// Turns a `Result<Reply, Error>` into a reply.
pub(crate) fn reply(r: Result<Reply, Error>) -> Reply {
    r.unwrap_or_else(Reply::Error)
}
