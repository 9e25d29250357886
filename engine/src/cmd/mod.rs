//! The command layer: Redis argument vectors in, protocol-neutral [`Reply`]s out.
//!
//! One file per command, each with the same shape (as mini-redis does it): the wire
//! syntax in its doc comment, a `run` function that parses the arguments with Redis's
//! checks *in Redis's order* and applies the command to the [`Keyspace`]. Where Redis
//! interleaves parsing with key lookups (XDEL, XREAD, XINFO), so do we; the reference
//! sections cited in each file give the order.
//!
//! [`Keyspace::execute`] is the entry point: it finds the command (case-insensitively),
//! checks its arity and, for commands Redis marks `denyoom`, the engine's caps, exactly
//! as Redis's dispatcher does before a command's own parser runs.

use bytes::Bytes;

use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::num;
use crate::read_request::ReadRequest;
use crate::reply::Reply;

pub use copy::CopyOptions;

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
mod scan;
mod set;
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

/// How a command is run once found and its arity checked.
type Handler = fn(&mut Keyspace, &[Bytes], u64) -> Reply;

/// One entry of the command table.
struct Command {
    /// Lower-case name, as Redis prints it in arity errors.
    name: &'static str,
    /// Redis arity: positive = exact, negative = minimum, counting the name.
    arity: i32,
    /// Refused with the OOM error when a cap is reached (Redis's `denyoom` flag).
    denyoom: bool,
    /// The handler, or the subcommands of a container command.
    kind: Kind,
}

enum Kind {
    Run(Handler),
    Container {
        upper: &'static str,
        subs: &'static [Command],
    },
}

const fn cmd(name: &'static str, arity: i32, denyoom: bool, run: Handler) -> Command {
    Command {
        name,
        arity,
        denyoom,
        kind: Kind::Run(run),
    }
}

static COMMANDS: &[Command] = &[
    cmd("xadd", -5, true, xadd::run),
    cmd("xlen", 2, false, xlen::run),
    cmd("xrange", -4, false, xrange::run_xrange),
    cmd("xrevrange", -4, false, xrange::run_xrevrange),
    cmd("xdel", -3, false, xdel::run),
    cmd("xtrim", -4, false, xtrim::run),
    cmd("xsetid", -3, true, xsetid::run),
    cmd("xread", -4, false, xread::run),
    cmd("xreadgroup", -7, false, xreadgroup::run),
    cmd("xack", -4, false, xack::run),
    cmd("xackdel", -6, false, xackdel::run),
    cmd("xdelex", -5, false, xdelex::run),
    cmd("xpending", -3, false, xpending::run),
    cmd("xclaim", -6, false, xclaim::run),
    cmd("xautoclaim", -6, false, xautoclaim::run),
    Command {
        name: "xgroup",
        arity: -2,
        denyoom: false,
        kind: Kind::Container {
            upper: "XGROUP",
            subs: &[
                cmd("xgroup|create", -5, true, xgroup::run_create),
                cmd("xgroup|setid", -5, false, xgroup::run_setid),
                cmd("xgroup|destroy", 4, false, xgroup::run_destroy),
                cmd("xgroup|createconsumer", 5, true, xgroup::run_createconsumer),
                cmd("xgroup|delconsumer", 5, false, xgroup::run_delconsumer),
                cmd("xgroup|help", 2, false, xgroup::run_help),
            ],
        },
    },
    cmd("xcfgset", -2, false, xcfgset::run),
    cmd("xidmprecord", 5, true, xidmprecord::run),
    Command {
        name: "xinfo",
        arity: -2,
        denyoom: false,
        kind: Kind::Container {
            upper: "XINFO",
            subs: &[
                cmd("xinfo|stream", -3, false, xinfo::run_stream),
                cmd("xinfo|groups", 3, false, xinfo::run_groups),
                cmd("xinfo|consumers", 4, false, xinfo::run_consumers),
                cmd("xinfo|help", 2, false, xinfo::run_help),
            ],
        },
    },
    cmd("del", -2, false, del::run),
    cmd("unlink", -2, false, del::run),
    cmd("exists", -2, false, exists::run),
    cmd("type", 2, false, key_type::run),
    cmd("keys", 2, false, keys::run),
    cmd("scan", -2, false, scan::run),
    cmd("rename", 3, false, rename::run_rename),
    cmd("renamenx", 3, false, rename::run_renamenx),
    cmd("copy", -3, true, copy::run),
    cmd("dbsize", 1, false, dbsize::run),
    cmd("flushall", -1, false, flush::run),
    cmd("flushdb", -1, false, flush::run),
    cmd("set", -3, true, set::run),
    cmd("get", 2, false, get::run),
    cmd("incr", 2, true, incr::run_incr),
    cmd("incrby", 3, true, incr::run_incrby),
    cmd("decr", 2, true, incr::run_decr),
    cmd("pttl", 2, false, ttl::run_pttl),
    cmd("ttl", 2, false, ttl::run_ttl),
    Command {
        name: "config",
        arity: -2,
        denyoom: false,
        kind: Kind::Container {
            upper: "CONFIG",
            subs: &[
                cmd("config|get", -3, false, config::run_get),
                cmd("config|set", -4, false, config::run_set),
            ],
        },
    },
];

/// The part of a container's subcommand name after the `|`.
fn sub_name(full: &'static str) -> &'static str {
    full.split('|').nth(1).unwrap_or(full)
}

/// Redis's arity rule: positive = exactly that many arguments (the name counted),
/// negative = at least that many.
pub fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = argc as i64;
    let arity = i64::from(arity);
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
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
        let Some(name) = argv.first() else {
            return Reply::Error(Error::unknown_command(argv));
        };
        let Some(found) = COMMANDS
            .iter()
            .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
        else {
            return Reply::Error(Error::unknown_command(argv));
        };
        if !arity_ok(found.arity, argv.len()) {
            return Reply::Error(Error::WrongArity(found.name));
        }
        let command = match &found.kind {
            Kind::Run(_) => found,
            Kind::Container { upper, subs } => {
                let sub = &argv[1];
                let Some(c) = subs
                    .iter()
                    .find(|c| sub_name(c.name).as_bytes().eq_ignore_ascii_case(sub))
                else {
                    return Reply::Error(Error::unknown_subcommand(sub, upper));
                };
                if !arity_ok(c.arity, argv.len()) {
                    return Reply::Error(Error::WrongArity(c.name));
                }
                c
            }
        };
        if let Err(e) = self.check_slots(multi_keys(command.name, argv)) {
            return Reply::Error(e);
        }
        if command.denyoom {
            if let Err(e) = self.check_oom() {
                return Reply::Error(e);
            }
        }
        match command.kind {
            Kind::Run(run) => run(self, argv, now),
            Kind::Container { .. } => Reply::Error(Error::unknown_command(argv)),
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
        proto: crate::Protocol,
        out: &mut alloc::vec::Vec<u8>,
    ) -> Result<(), Error> {
        let range = argv.len() >= 4
            && (argv[0].eq_ignore_ascii_case(b"xrange")
                || argv[0].eq_ignore_ascii_case(b"xrevrange"));
        if range {
            self.expire_due(now);
            return xrange::write_resp(self, argv, proto, out);
        }
        let read = (argv.len() >= 4 && argv[0].eq_ignore_ascii_case(b"xread"))
            || (argv.len() >= 7 && argv[0].eq_ignore_ascii_case(b"xreadgroup"));
        if read {
            // As `execute` runs them: the dispatcher's slot check, then the command,
            // which never blocks here.
            self.expire_due(now);
            let group = argv[0].eq_ignore_ascii_case(b"xreadgroup");
            let name = if group { "xreadgroup" } else { "xread" };
            self.check_slots(multi_keys(name, argv))?;
            let (request, _) = if group {
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
        let Some(name) = argv.first() else {
            return Err(Error::unknown_command(argv));
        };
        let Some(found) = COMMANDS
            .iter()
            .find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
        else {
            return Err(Error::unknown_command(argv));
        };
        if !arity_ok(found.arity, argv.len()) {
            return Err(Error::WrongArity(found.name));
        }
        if let Kind::Container { upper, subs } = &found.kind {
            let sub = &argv[1];
            let Some(c) = subs
                .iter()
                .find(|c| sub_name(c.name).as_bytes().eq_ignore_ascii_case(sub))
            else {
                return Err(Error::unknown_subcommand(sub, upper));
            };
            if !arity_ok(c.arity, argv.len()) {
                return Err(Error::WrongArity(c.name));
            }
        }
        Ok(())
    }

    /// The names of the commands the command layer runs (lower case; containers by
    /// their own name).
    pub fn command_names() -> impl Iterator<Item = &'static str> {
        COMMANDS.iter().map(|c| c.name)
    }

    /// True when the engine's command layer knows `name` (any case).
    pub fn knows_command(name: &[u8]) -> bool {
        COMMANDS
            .iter()
            .any(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
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
        proto: crate::Protocol,
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
        if name.eq_ignore_ascii_case(b"xread") {
            (argv.len() >= 4).then(|| xread::parse(self, argv, now))
        } else if name.eq_ignore_ascii_case(b"xreadgroup") {
            (argv.len() >= 7).then(|| xreadgroup::parse(self, argv, now))
        } else {
            None
        }
    }

    /// Runs `request` with its reply encoded into `out` as the entries are read; with
    /// `block` (a deadline, 0 = none) and nothing served, writes nothing and returns
    /// the read to block.
    fn read_resp(
        &mut self,
        request: ReadRequest,
        block: Option<u64>,
        now: u64,
        proto: crate::Protocol,
        out: &mut alloc::vec::Vec<u8>,
    ) -> Result<RespReadStep, Error> {
        let mut sink = crate::read_sink::RespSink::new(proto, out);
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
pub(crate) fn render_read(outcome: Result<crate::read_request::ReadOutput, Error>) -> Reply {
    match outcome {
        Ok(out) => xread::render(&out),
        Err(e) => Reply::Error(e),
    }
}

/// Redis's `getLongLongFromObjectOrReply`: a canonical decimal `i64` or E_INT.
pub(crate) fn parse_int(arg: &[u8]) -> Result<i64, Error> {
    num::parse_i64(arg).ok_or(Error::NotAnInteger)
}

/// Turns a `Result<Reply, Error>` into a reply.
pub(crate) fn reply(r: Result<Reply, Error>) -> Reply {
    r.unwrap_or_else(Reply::Error)
}

/// The keys of a command that can name several (DEL, EXISTS, UNLINK, and the streams of
/// XREAD and XREADGROUP), for the cluster-mode slot check; none for the others, whose
/// one key cannot cross slots. An unbalanced STREAMS list yields none: the command
/// answers it with its own error.
fn multi_keys<'a>(name: &str, argv: &'a [Bytes]) -> alloc::vec::Vec<&'a [u8]> {
    let keys: &[Bytes] = match name {
        "del" | "exists" | "unlink" => argv.get(1..).unwrap_or_default(),
        "rename" | "renamenx" | "copy" => argv.get(1..3).unwrap_or_default(),
        "xread" | "xreadgroup" => {
            let after = argv
                .iter()
                .position(|a| a.eq_ignore_ascii_case(b"STREAMS"))
                .map_or(argv.len(), |at| at + 1);
            let rest = argv.get(after..).unwrap_or_default();
            if rest.len() % 2 == 0 {
                &rest[..rest.len() / 2]
            } else {
                &[]
            }
        }
        _ => &[],
    };
    keys.iter().map(|k| &k[..]).collect()
}
