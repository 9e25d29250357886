//! One error type for every command, whose text is Redis's exact error reply.
//!
//! `Display` (and [`Error::message`]) give the reply text without the leading `-` of the
//! RESP error frame, e.g. `ERR The ID specified in XADD is equal or smaller than the target
//! stream top item`. The first word is Redis's error code (`ERR`, `WRONGTYPE`, `OOM`, …),
//! available from [`Error::code`]. The Redis adapter maps server errors back onto the same
//! variants, so code matching on them works with either backend.

mod parse;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use bytes::Bytes;

use crate::num;

/// An error reply, as Redis would send it.
///
/// `Debug` shows the byte strings it carries (keys, server replies, transport
/// failures) as text: `NotSent("Connection refused (os error 111)")`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `ERR Invalid stream ID specified as stream command argument`
    InvalidStreamId,
    /// `ERR value is not an integer or out of range`
    NotAnInteger,
    /// `ERR syntax error`
    Syntax,
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR invalid cursor` (SCAN)
    InvalidCursor,
    /// `ERR wrong number of arguments for '<command>' command` (lower-case full name,
    /// e.g. `xadd`, `xinfo|stream`).
    WrongArity(&'static str),
    /// `ERR unknown command '<name>', with args beginning with: '<a1>' '<a2>' `, or just
    /// `ERR unknown command '<name>'` when the command came without arguments (Redis 8).
    UnknownCommand(Bytes),
    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.`
    UnknownSubcommand {
        /// The subcommand as typed (sanitised, at most 128 bytes).
        sub: Bytes,
        /// The container command, upper-case (`XINFO`, `XGROUP`, `CONFIG`).
        command: &'static str,
    },
    /// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP.`
    SubcommandSyntax {
        /// The subcommand as typed (sanitised, at most 128 bytes).
        sub: Bytes,
        /// The container command, upper-case.
        command: &'static str,
    },
    /// `ERR syntax error, MAXLEN and MINID options at the same time are not compatible`
    TrimStrategyConflict,
    /// `ERR The MAXLEN argument must be >= 0.`
    MaxLenNegative,
    /// `ERR The LIMIT argument must be >= 0.`
    LimitNegative,
    /// `ERR syntax error, LIMIT cannot be used without specifying a trimming strategy`
    LimitWithoutStrategy,
    /// `ERR syntax error, XTRIM must be called with a trimming strategy`
    XTrimWithoutStrategy,
    /// `ERR syntax error, LIMIT cannot be used without the special ~ option`
    LimitWithoutApprox,
    /// `ERR syntax error, IDMP/IDMPAUTO specified multiple times`
    IdmpTwice,
    /// `ERR syntax error, IDMPAUTO requires a non-empty producer ID`
    IdmpAutoEmptyPid,
    /// `ERR syntax error, IDMP requires a non-empty producer ID`
    IdmpEmptyPid,
    /// `ERR syntax error, IDMP requires a non-empty idempotent ID`
    IdmpEmptyIid,
    /// `ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs`
    IdmpNeedsAutoId,
    /// `ERR IDMP-DURATION specified multiple times` / `ERR IDMP-MAXSIZE specified multiple times`
    XCfgSetTwice(&'static str),
    /// `ERR IDMP-DURATION must be between 1 and 86400 seconds`
    XCfgSetDurationRange,
    /// `ERR IDMP-MAXSIZE must be between 1 and 10000 entries`
    XCfgSetMaxsizeRange,
    /// `ERR At least one parameter must be specified`
    XCfgSetNothing,
    /// `ERR producer ID must be non-empty`
    EmptyProducerId,
    /// `ERR idempotent ID must be non-empty`
    EmptyIdempotentId,
    /// `ERR No such message in stream`
    NoSuchMessage,
    /// `ERR IID already exists for this producer with a different stream ID`
    IidExists,
    /// `ERR The ID specified in XADD must be greater than 0-0`
    XAddIdZero,
    /// `ERR The stream has exhausted the last possible ID, unable to add more items`
    StreamExhausted,
    /// `ERR The ID specified in XADD is equal or smaller than the target stream top item`
    XAddIdTooSmall,
    /// `ERR Elements are too large to be stored`
    ElementsTooLarge,
    /// `ERR invalid start ID for the interval`
    InvalidStartInterval,
    /// `ERR invalid end ID for the interval`
    InvalidEndInterval,
    /// `ERR The <OPT> option is only supported by XREADGROUP. You called XREAD instead.`
    OnlyForXReadGroup(&'static str),
    /// `ERR timeout is not an integer or out of range`
    TimeoutNotInteger,
    /// `ERR timeout is negative`
    TimeoutNegative,
    /// `ERR timeout is out of range`
    TimeoutOutOfRange,
    /// `ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or '$' must be specified.`
    UnbalancedXRead,
    /// `ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.`
    GreaterIdOutsideGroup,
    /// `ERR entries_added must be positive`
    EntriesAddedNegative,
    /// `ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id`
    XSetIdBelowGivenMaxDeleted,
    /// `ERR The ID specified in XSETID is smaller than current max_deleted_entry_id`
    XSetIdBelowMaxDeleted,
    /// `ERR The ID specified in XSETID is smaller than the target stream top item`
    XSetIdBelowTop,
    /// `ERR The entries_added specified in XSETID is smaller than the target stream length`
    XSetIdEntriesAddedBelowLength,
    /// `OOM command not allowed when used memory > 'maxmemory'.` — also what the engine
    /// answers when one of its configured caps (entries, bytes) would be exceeded.
    OutOfMemory,
    /// `ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified.`
    UnbalancedXReadGroup,
    /// `ERR Missing GROUP option for XREADGROUP`
    MissingGroupOption,
    /// `ERR The $ ID is meaningless in the context of XREADGROUP: …` (and the same for `+`;
    /// the field is `'$'` or `'+'`).
    MeaninglessGroupId(char),
    /// `ERR min-idle-time is not an integer or out of range` (XREADGROUP `CLAIM`)
    ClaimNotInteger,
    /// `ERR min-idle-time must be a positive integer` (XREADGROUP `CLAIM` below 0)
    ClaimNegative,
    /// `NOGROUP No such key '<key>' or consumer group '<group>' in XREADGROUP with GROUP option`
    NoGroupForRead {
        /// The key as typed (sanitised).
        key: Bytes,
        /// The group as typed (sanitised).
        group: Bytes,
    },
    /// `NOGROUP No such key '<key>' or consumer group '<group>'` (XPENDING, XCLAIM,
    /// XAUTOCLAIM)
    NoGroup {
        /// The key as typed (sanitised).
        key: Bytes,
        /// The group as typed (sanitised).
        group: Bytes,
    },
    /// `NOGROUP No such consumer group '<group>' for key name '<key>'` (XGROUP SETID,
    /// CREATECONSUMER, DELCONSUMER, XINFO CONSUMERS)
    NoSuchGroup {
        /// The key as typed (sanitised).
        key: Bytes,
        /// The group as typed (sanitised).
        group: Bytes,
    },
    /// `ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may
    /// want to use the MKSTREAM option to create an empty stream automatically.`
    XGroupKeyMissing,
    /// `ERR value for ENTRIESREAD must be positive or -1`
    EntriesReadRange,
    /// `BUSYGROUP Consumer Group name already exists`
    BusyGroup,
    /// `ERR Invalid <what> argument for XCLAIM`, `<what>` being `min-idle-time`,
    /// `IDLE option`, `TIME option` or `RETRYCOUNT option`.
    XClaimInvalid(&'static str),
    /// `ERR Unrecognized XCLAIM option '<token>'`
    XClaimUnrecognized(Bytes),
    /// `ERR Invalid min-idle-time argument for XAUTOCLAIM`
    XAutoClaimMinIdle,
    /// `ERR COUNT must be > 0` (XAUTOCLAIM)
    XAutoClaimCount,
    /// `ERR Insufficient memory, failed allocating transient memory, COUNT too high.`
    XAutoClaimCountTooHigh,
    /// `ERR Number of IDs must be a positive integer` (XDELEX, XACKDEL)
    NumIdsInvalid,
    /// ``ERR The `numids` parameter must match the number of arguments`` (XDELEX, XACKDEL)
    NumIdsMismatch,
    /// `ERR IDS option is required` (XDELEX, XACKDEL)
    IdsRequired,
    /// `UNBLOCKED client unblocked via CLIENT UNBLOCK`
    Unblocked,
    /// `ERR engine closed`: brook's own — a blocking read on an engine that
    /// [`crate::Engine::close`] closed.
    EngineClosed,
    /// `ERR Unknown option or number of arguments for CONFIG SET - '<name>'`
    ConfigUnknownOption(Bytes),
    /// `ERR CONFIG SET failed (possibly related to argument '<name>') - <reason>`
    ConfigSetFailed {
        /// The parameter name as typed (sanitised).
        name: Bytes,
        /// Why the value was refused, in Redis's words.
        reason: &'static str,
    },
    /// An error reply brook has no variant for, exactly as a server sent it (without
    /// the RESP `-`): see [`Error::from_message`].
    Server(Bytes),
    /// A client-side failure before the command reached a server (connection refused,
    /// no connection): it had no effect and may be sent again.
    NotSent(Bytes),
    /// A client-side failure after the command may have reached a server (connection
    /// lost or timed out while waiting for the reply): it may or may not have run.
    /// brook never resends such a command by itself.
    OutcomeUnknown(Bytes),
    /// A backend URL that names no backend brook can open (see `brook::connect`).
    InvalidUrl(Bytes),
    /// `ERR invalid expire time in 'set' command` (SET EX/PX/EXAT/PXAT)
    InvalidExpireTime,
    /// `ERR increment or decrement would overflow` (INCRBY and friends)
    IncrOverflow,
    /// `CROSSSLOT Keys in request don't hash to the same slot`: a command or batch whose
    /// keys live in different Redis Cluster slots (on a cluster, or an engine in cluster
    /// mode).
    CrossSlot,
    /// `ERR source and destination objects are the same` (COPY onto its own key in the
    /// same database)
    SameObject,
    /// `ERR DB index is out of range` (COPY … DB n naming no database)
    DbIndexOutOfRange,
    /// `ERR value is out of range, value must between -2147483648 and 2147483647` (an
    /// argument Redis reads as a C `int`, such as COPY's DB, beyond its range)
    IntOutOfRange,
    /// `ERR Copying to another database is not allowed in cluster mode`: Redis 7's
    /// answer to `COPY … DB n` (n ≠ 0) in cluster mode (Redis 8 answers
    /// [`Error::DbIndexOutOfRange`]); read from a Redis 7 server's reply.
    CopyDbInCluster,
    /// `EXECABORT Transaction discarded because of previous errors.`: EXEC's answer to a
    /// transaction with a command refused when it was queued (an arity error), of which
    /// nothing ran ([`crate::Streams::atomic`]).
    ExecAbort,
}

impl Error {
    /// The reply text without the RESP `-` prefix, as raw bytes (key names and arguments
    /// echoed in an error may be binary).
    pub fn message(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_message(&mut out);
        out
    }

    /// The error code: the first word of the message (`ERR`, `WRONGTYPE`, `OOM` …).
    pub fn code(&self) -> &'static str {
        match self {
            Error::WrongType => "WRONGTYPE",
            Error::OutOfMemory => "OOM",
            Error::NoGroupForRead { .. } | Error::NoGroup { .. } | Error::NoSuchGroup { .. } => {
                "NOGROUP"
            }
            Error::BusyGroup => "BUSYGROUP",
            Error::Unblocked => "UNBLOCKED",
            Error::ExecAbort => "EXECABORT",
            Error::CrossSlot => "CROSSSLOT",
            Error::Server(text) => known_code(text),
            _ => "ERR",
        }
    }

    pub(crate) fn static_text(&self) -> Option<&'static str> {
        Some(match self {
            Error::InvalidStreamId => "ERR Invalid stream ID specified as stream command argument",
            Error::NotAnInteger => "ERR value is not an integer or out of range",
            Error::Syntax => "ERR syntax error",
            Error::WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value",
            Error::NoSuchKey => "ERR no such key",
            Error::InvalidCursor => "ERR invalid cursor",
            Error::TrimStrategyConflict => {
                "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
            }
            Error::MaxLenNegative => "ERR The MAXLEN argument must be >= 0.",
            Error::LimitNegative => "ERR The LIMIT argument must be >= 0.",
            Error::LimitWithoutStrategy => {
                "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
            }
            Error::XTrimWithoutStrategy => {
                "ERR syntax error, XTRIM must be called with a trimming strategy"
            }
            Error::LimitWithoutApprox => {
                "ERR syntax error, LIMIT cannot be used without the special ~ option"
            }
            Error::XAddIdZero => "ERR The ID specified in XADD must be greater than 0-0",
            Error::IdmpTwice => "ERR syntax error, IDMP/IDMPAUTO specified multiple times",
            Error::IdmpAutoEmptyPid => {
                "ERR syntax error, IDMPAUTO requires a non-empty producer ID"
            }
            Error::IdmpEmptyPid => "ERR syntax error, IDMP requires a non-empty producer ID",
            Error::IdmpEmptyIid => "ERR syntax error, IDMP requires a non-empty idempotent ID",
            Error::IdmpNeedsAutoId => {
                "ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs"
            }
            Error::XCfgSetDurationRange => "ERR IDMP-DURATION must be between 1 and 86400 seconds",
            Error::XCfgSetMaxsizeRange => "ERR IDMP-MAXSIZE must be between 1 and 10000 entries",
            Error::XCfgSetNothing => "ERR At least one parameter must be specified",
            Error::EmptyProducerId => "ERR producer ID must be non-empty",
            Error::EmptyIdempotentId => "ERR idempotent ID must be non-empty",
            Error::NoSuchMessage => "ERR No such message in stream",
            Error::IidExists => "ERR IID already exists for this producer with a different stream ID",
            Error::StreamExhausted => {
                "ERR The stream has exhausted the last possible ID, unable to add more items"
            }
            Error::XAddIdTooSmall => {
                "ERR The ID specified in XADD is equal or smaller than the target stream top item"
            }
            Error::ElementsTooLarge => "ERR Elements are too large to be stored",
            Error::InvalidStartInterval => "ERR invalid start ID for the interval",
            Error::InvalidEndInterval => "ERR invalid end ID for the interval",
            Error::TimeoutNotInteger => "ERR timeout is not an integer or out of range",
            Error::TimeoutNegative => "ERR timeout is negative",
            Error::TimeoutOutOfRange => "ERR timeout is out of range",
            Error::UnbalancedXRead => {
                "ERR Unbalanced 'xread' list of streams: for each stream key an ID, '+', or '$' must be specified."
            }
            Error::GreaterIdOutsideGroup => {
                "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
            }
            Error::EntriesAddedNegative => "ERR entries_added must be positive",
            Error::XSetIdBelowGivenMaxDeleted => {
                "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
            }
            Error::XSetIdBelowMaxDeleted => {
                "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id"
            }
            Error::XSetIdBelowTop => {
                "ERR The ID specified in XSETID is smaller than the target stream top item"
            }
            Error::XSetIdEntriesAddedBelowLength => {
                "ERR The entries_added specified in XSETID is smaller than the target stream length"
            }
            Error::OutOfMemory => "OOM command not allowed when used memory > 'maxmemory'.",
            Error::UnbalancedXReadGroup => {
                "ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified."
            }
            Error::MissingGroupOption => "ERR Missing GROUP option for XREADGROUP",
            Error::ClaimNotInteger => "ERR min-idle-time is not an integer or out of range",
            Error::ClaimNegative => "ERR min-idle-time must be a positive integer",
            Error::XGroupKeyMissing => {
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
            }
            Error::EntriesReadRange => "ERR value for ENTRIESREAD must be positive or -1",
            Error::BusyGroup => "BUSYGROUP Consumer Group name already exists",
            Error::XAutoClaimMinIdle => "ERR Invalid min-idle-time argument for XAUTOCLAIM",
            Error::XAutoClaimCount => "ERR COUNT must be > 0",
            Error::XAutoClaimCountTooHigh => {
                "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
            }
            Error::NumIdsInvalid => "ERR Number of IDs must be a positive integer",
            Error::NumIdsMismatch => "ERR The `numids` parameter must match the number of arguments",
            Error::IdsRequired => "ERR IDS option is required",
            Error::Unblocked => "UNBLOCKED client unblocked via CLIENT UNBLOCK",
            Error::EngineClosed => "ERR engine closed",
            Error::CrossSlot => "CROSSSLOT Keys in request don't hash to the same slot",
            Error::SameObject => "ERR source and destination objects are the same",
            Error::DbIndexOutOfRange => "ERR DB index is out of range",
            Error::IntOutOfRange => {
                "ERR value is out of range, value must between -2147483648 and 2147483647"
            }
            Error::CopyDbInCluster => {
                "ERR Copying to another database is not allowed in cluster mode"
            }
            Error::ExecAbort => "EXECABORT Transaction discarded because of previous errors.",
            Error::InvalidExpireTime => "ERR invalid expire time in 'set' command",
            Error::IncrOverflow => "ERR increment or decrement would overflow",
            _ => return None,
        })
    }

    /// Appends the reply text (without the RESP `-`) to `out`.
    pub fn write_message(&self, out: &mut Vec<u8>) {
        if let Some(text) = self.static_text() {
            out.extend_from_slice(text.as_bytes());
            return;
        }
        let mut cat = |parts: &[&[u8]]| parts.iter().for_each(|p| out.extend_from_slice(p));
        match self {
            Error::XCfgSetTwice(name) => {
                cat(&[b"ERR ", name.as_bytes(), b" specified multiple times"])
            }
            Error::WrongArity(cmd) => cat(&[
                b"ERR wrong number of arguments for '",
                cmd.as_bytes(),
                b"' command",
            ]),
            Error::UnknownCommand(msg) => cat(&[msg]),
            Error::UnknownSubcommand { sub, command } => cat(&[
                b"ERR unknown subcommand '",
                sub,
                b"'. Try ",
                command.as_bytes(),
                b" HELP.",
            ]),
            Error::SubcommandSyntax { sub, command } => cat(&[
                b"ERR unknown subcommand or wrong number of arguments for '",
                sub,
                b"'. Try ",
                command.as_bytes(),
                b" HELP.",
            ]),
            Error::OnlyForXReadGroup(opt) => cat(&[
                b"ERR The ",
                opt.as_bytes(),
                b" option is only supported by XREADGROUP. You called XREAD instead.",
            ]),
            Error::MeaninglessGroupId(c) => {
                let mut buf = [0u8; 4];
                let c = c.encode_utf8(&mut buf).as_bytes();
                cat(&[
                    b"ERR The ",
                    c,
                    b" ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The ",
                    c,
                    b" ID would just return an empty result set.",
                ]);
            }
            Error::NoGroupForRead { key, group } => cat(&[
                b"NOGROUP No such key '",
                key,
                b"' or consumer group '",
                group,
                b"' in XREADGROUP with GROUP option",
            ]),
            Error::NoGroup { key, group } => cat(&[
                b"NOGROUP No such key '",
                key,
                b"' or consumer group '",
                group,
                b"'",
            ]),
            Error::NoSuchGroup { key, group } => cat(&[
                b"NOGROUP No such consumer group '",
                group,
                b"' for key name '",
                key,
                b"'",
            ]),
            Error::XClaimInvalid(what) => {
                cat(&[b"ERR Invalid ", what.as_bytes(), b" argument for XCLAIM"])
            }
            Error::XClaimUnrecognized(token) => {
                cat(&[b"ERR Unrecognized XCLAIM option '", token, b"'"])
            }
            Error::ConfigUnknownOption(name) => cat(&[
                b"ERR Unknown option or number of arguments for CONFIG SET - '",
                name,
                b"'",
            ]),
            Error::ConfigSetFailed { name, reason } => cat(&[
                b"ERR CONFIG SET failed (possibly related to argument '",
                name,
                b"') - ",
                reason.as_bytes(),
            ]),
            Error::Server(text) => cat(&[text]),
            Error::NotSent(why) => cat(&[b"ERR command not sent: ", why]),
            Error::OutcomeUnknown(why) => cat(&[b"ERR command outcome unknown: ", why]),
            Error::InvalidUrl(why) => cat(&[b"ERR invalid backend URL: ", why]),
            _ => {}
        }
    }

    /// `ERR unknown subcommand '<sub>'. Try <CMD> HELP.` with `sub` formatted as Redis
    /// formats `%.128s`.
    pub fn unknown_subcommand(sub: &[u8], command: &'static str) -> Error {
        Error::UnknownSubcommand {
            sub: c_arg(sub, 128),
            command,
        }
    }

    /// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP.`
    pub fn subcommand_syntax(sub: &[u8], command: &'static str) -> Error {
        Error::SubcommandSyntax {
            sub: c_arg(sub, 128),
            command,
        }
    }

    /// `NOGROUP No such key '<key>' or consumer group '<group>' in XREADGROUP with GROUP
    /// option`, names formatted as Redis's `%s`.
    pub fn no_group_for_read(key: &[u8], group: &[u8]) -> Error {
        Error::NoGroupForRead {
            key: c_arg(key, usize::MAX),
            group: c_arg(group, usize::MAX),
        }
    }

    /// `NOGROUP No such key '<key>' or consumer group '<group>'`.
    pub fn no_group(key: &[u8], group: &[u8]) -> Error {
        Error::NoGroup {
            key: c_arg(key, usize::MAX),
            group: c_arg(group, usize::MAX),
        }
    }

    /// `NOGROUP No such consumer group '<group>' for key name '<key>'`.
    pub fn no_such_group(key: &[u8], group: &[u8]) -> Error {
        Error::NoSuchGroup {
            key: c_arg(key, usize::MAX),
            group: c_arg(group, usize::MAX),
        }
    }

    /// `ERR Unrecognized XCLAIM option '<token>'`.
    pub fn xclaim_unrecognized(token: &[u8]) -> Error {
        Error::XClaimUnrecognized(c_arg(token, usize::MAX))
    }

    /// Redis's reply to a command it does not know: the name and, if there are any, the
    /// first arguments, each quoted, as long as the argument list is shorter than 128
    /// bytes. (Redis 8 leaves out `, with args beginning with: ` for a bare command;
    /// Valkey and Redis 7 do not.)
    pub fn unknown_command(argv: &[Bytes]) -> Error {
        let mut msg = Vec::from(&b"ERR unknown command '"[..]);
        if let Some(name) = argv.first() {
            msg.extend_from_slice(&c_arg(name, 128));
        }
        msg.push(b'\'');
        if argv.len() < 2 {
            return Error::UnknownCommand(Bytes::from(sanitize(msg)));
        }
        msg.extend_from_slice(b", with args beginning with: ");
        let mut args: Vec<u8> = Vec::new();
        for arg in argv.iter().skip(1) {
            if args.len() >= 128 {
                break;
            }
            let room = 128 - args.len();
            args.push(b'\'');
            args.extend_from_slice(&c_arg(arg, room));
            args.extend_from_slice(b"' ");
        }
        msg.extend_from_slice(&args);
        Error::UnknownCommand(Bytes::from(sanitize(msg)))
    }
}

/// Formats an argument as C's `%.Ns` does (up to the first NUL, at most `max` bytes),
/// then replaces CR and LF with spaces as Redis does for every error it formats.
pub(crate) fn c_arg(arg: &[u8], max: usize) -> Bytes {
    let s = num::c_str(arg);
    let s = &s[..s.len().min(max)];
    Bytes::from(sanitize(s.to_vec()))
}

fn sanitize(mut v: Vec<u8>) -> Vec<u8> {
    for b in v.iter_mut() {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    v
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = self.message();
        f.write_str(&String::from_utf8_lossy(&msg))
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// Bytes shown by `Debug` as a (lossy UTF-8) string rather than `b"…"`.
struct Text<'a>(&'a [u8]);

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*String::from_utf8_lossy(self.0), f)
    }
}

/// `Debug` as derived, but with every `Bytes` field shown through `Text`. The match
/// stays exhaustive: a new variant must be listed here.
macro_rules! debug_impl {
    ($f:ident; units: $($u:ident)*; plain: $($p:ident)*; bytes: $($b:ident)*; $($rest:tt)*) => {
        impl fmt::Debug for Error {
            fn fmt(&self, $f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Error::$u => $f.write_str(stringify!($u)),)*
                    $(Error::$p(v) => $f.debug_tuple(stringify!($p)).field(v).finish(),)*
                    $(Error::$b(v) => $f.debug_tuple(stringify!($b)).field(&Text(v)).finish(),)*
                    $($rest)*
                }
            }
        }
    };
}

debug_impl! {
    f;
    units: InvalidStreamId NotAnInteger Syntax WrongType NoSuchKey InvalidCursor
        TrimStrategyConflict MaxLenNegative LimitNegative LimitWithoutStrategy
        XTrimWithoutStrategy LimitWithoutApprox IdmpTwice IdmpAutoEmptyPid IdmpEmptyPid
        IdmpEmptyIid IdmpNeedsAutoId XCfgSetDurationRange XCfgSetMaxsizeRange XCfgSetNothing
        EmptyProducerId EmptyIdempotentId NoSuchMessage IidExists XAddIdZero StreamExhausted
        XAddIdTooSmall ElementsTooLarge InvalidStartInterval InvalidEndInterval
        TimeoutNotInteger TimeoutNegative TimeoutOutOfRange UnbalancedXRead
        GreaterIdOutsideGroup EntriesAddedNegative XSetIdBelowGivenMaxDeleted
        XSetIdBelowMaxDeleted XSetIdBelowTop XSetIdEntriesAddedBelowLength OutOfMemory
        UnbalancedXReadGroup MissingGroupOption ClaimNotInteger ClaimNegative
        XGroupKeyMissing EntriesReadRange BusyGroup XAutoClaimMinIdle XAutoClaimCount
        XAutoClaimCountTooHigh NumIdsInvalid NumIdsMismatch IdsRequired Unblocked
        EngineClosed InvalidExpireTime IncrOverflow CrossSlot SameObject DbIndexOutOfRange
        IntOutOfRange CopyDbInCluster ExecAbort;
    plain: WrongArity XCfgSetTwice OnlyForXReadGroup MeaninglessGroupId XClaimInvalid;
    bytes: UnknownCommand XClaimUnrecognized ConfigUnknownOption Server NotSent
        OutcomeUnknown InvalidUrl;
    Error::UnknownSubcommand { sub, command } => f
        .debug_struct("UnknownSubcommand")
        .field("sub", &Text(sub))
        .field("command", command)
        .finish(),
    Error::SubcommandSyntax { sub, command } => f
        .debug_struct("SubcommandSyntax")
        .field("sub", &Text(sub))
        .field("command", command)
        .finish(),
    Error::NoGroupForRead { key, group } => f
        .debug_struct("NoGroupForRead")
        .field("key", &Text(key))
        .field("group", &Text(group))
        .finish(),
    Error::NoGroup { key, group } => f
        .debug_struct("NoGroup")
        .field("key", &Text(key))
        .field("group", &Text(group))
        .finish(),
    Error::NoSuchGroup { key, group } => f
        .debug_struct("NoSuchGroup")
        .field("key", &Text(key))
        .field("group", &Text(group))
        .finish(),
    Error::ConfigSetFailed { name, reason } => f
        .debug_struct("ConfigSetFailed")
        .field("name", &Text(name))
        .field("reason", reason)
        .finish(),
}

/// Error codes servers send, for [`Error::code`] of an [`Error::Server`].
const CODES: &[&str] = &[
    "ERR",
    "WRONGTYPE",
    "NOGROUP",
    "BUSYGROUP",
    "OOM",
    "UNBLOCKED",
    "NOSCRIPT",
    "BUSY",
    "LOADING",
    "READONLY",
    "MASTERDOWN",
    "NOAUTH",
    "WRONGPASS",
    "NOPERM",
    "EXECABORT",
    "MOVED",
    "ASK",
    "TRYAGAIN",
    "CROSSSLOT",
    "CLUSTERDOWN",
    "NOREPLICAS",
    "MISCONF",
];

/// The code of an error text (its first word) when it is one servers send; else `ERR`.
pub(crate) fn known_code(text: &[u8]) -> &'static str {
    let word = text.split(|&b| b == b' ').next().unwrap_or_default();
    CODES
        .iter()
        .find(|c| c.as_bytes() == word)
        .copied()
        .unwrap_or("ERR")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn texts() {
        assert_eq!(
            Error::WrongArity("xinfo|stream").to_string(),
            "ERR wrong number of arguments for 'xinfo|stream' command"
        );
        assert_eq!(
            Error::unknown_subcommand(b"FOO", "XINFO").to_string(),
            "ERR unknown subcommand 'FOO'. Try XINFO HELP."
        );
        assert_eq!(
            Error::OnlyForXReadGroup("NOACK").to_string(),
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
        );
        assert_eq!(Error::WrongType.code(), "WRONGTYPE");
    }

    #[test]
    fn unknown_command_format() {
        let argv = [
            Bytes::from_static(b"XACKDEL"),
            Bytes::from_static(b"s"),
            Bytes::from_static(b"g"),
        ];
        assert_eq!(
            Error::unknown_command(&argv).to_string(),
            "ERR unknown command 'XACKDEL', with args beginning with: 's' 'g' "
        );
        let long = Bytes::from(alloc::vec![b'a'; 200]);
        let argv = [Bytes::from_static(b"FOO"), long.clone(), long];
        let msg = Error::unknown_command(&argv).message();
        // The first argument fills the 128-byte budget; the second is not listed.
        let expected_args = 128 + 3;
        assert_eq!(
            msg.len(),
            "ERR unknown command 'FOO', with args beginning with: ".len() + expected_args
        );
        let argv = [Bytes::from_static(b"a\r\nb\0c"), Bytes::from_static(b"x")];
        assert_eq!(
            Error::unknown_command(&argv).to_string(),
            "ERR unknown command 'a  b', with args beginning with: 'x' "
        );
        // Redis 8: no argument list at all for a bare command.
        let argv = [Bytes::from_static(b"a\r\nb\0c")];
        assert_eq!(
            Error::unknown_command(&argv).to_string(),
            "ERR unknown command 'a  b'"
        );
    }

    #[test]
    fn debug_shows_byte_strings_as_text() {
        use alloc::format;
        let refused = Error::NotSent(Bytes::from_static(b"Connection refused (os error 111)"));
        assert_eq!(
            format!("{refused:?}"),
            r#"NotSent("Connection refused (os error 111)")"#
        );
        assert_eq!(
            format!("{:?}", Error::no_group(b"k", b"g")),
            r#"NoGroup { key: "k", group: "g" }"#
        );
        assert_eq!(
            format!("{:?}", Error::Server(Bytes::from_static(b"BAD \xff"))),
            "Server(\"BAD \u{fffd}\")"
        );
        assert_eq!(format!("{:?}", Error::WrongType), "WrongType");
        assert_eq!(
            format!("{:?}", Error::WrongArity("xadd")),
            r#"WrongArity("xadd")"#
        );
        assert_eq!(
            format!("{:?}", Error::MeaninglessGroupId('$')),
            "MeaninglessGroupId('$')"
        );
    }
}
