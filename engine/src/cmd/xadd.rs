//! XADD — append an entry.
//!
//! ```text
//! XADD key [NOMKSTREAM] [KEEPREF | DELREF | ACKED] [IDMPAUTO pid | IDMP pid iid]
//!      [MAXLEN | MINID [= | ~] threshold [LIMIT count]] <* | id | ms-*> field value [field value ...]
//! ```
//!
//! Options come in any order before the ID; the first token that is not an option is the
//! ID (so a misplaced option is reported as an invalid ID, as Redis does). After the scan,
//! in order: LIMIT without a strategy, LIMIT without `~`, the field/value arity, an
//! explicit `0-0` (before the key is touched), the key's type, NOMKSTREAM on a missing
//! key (nil), the IDMP duplicate check (the recorded ID is the reply), then the append
//! and its trim (reference §2, §20).

use alloc::vec::Vec;

use bytes::Bytes;

use super::trim_args::{self, TrimArgs};
use super::{id_arg, int_arg, reply, word};
use crate::cmd::Command;
use crate::entry::FlatFields;
use crate::error::Error;
use crate::id::XAddId;
use crate::keyspace::Keyspace;
use crate::log::idmp::Idempotency;
use crate::num::{is_char, keyword_eq};
use crate::options::XAddOptions;
use crate::reply::Reply;

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    reply(parse(argv, ks.replaying()).and_then(|(opts, fields)| {
        let fields = FlatFields::new(fields).ok_or(Error::WrongArity("xadd"))?;
        Ok(match ks.xadd(&argv[1], &opts, &fields, now)? {
            Some(id) => Reply::id(id),
            None => Reply::Null,
        })
    }))
}

/// `replaying`: an IDMP add may name its ID (Redis propagates it so).
fn parse(argv: &[Bytes], replaying: bool) -> Result<(XAddOptions, &[Bytes]), Error> {
    let mut trim = TrimArgs::default();
    let mut opts = XAddOptions::default();
    let mut i = 2;
    let mut id = None;
    while i < argv.len() {
        if is_char(&argv[i], b'*') {
            id = Some(XAddId::Auto);
            break;
        }
        let more = argv.len() - 1 - i;
        // Every option is a word: an argument that starts with a digit is the ID (as
        // every XADD an append-only file holds has it), compared with no keyword.
        if argv[i].first().is_some_and(u8::is_ascii_digit) {
            id = Some(XAddId::parse(&argv[i])?);
            if opts.idmp.is_some() && !replaying {
                return Err(Error::IdmpNeedsAutoId);
            }
            break;
        }
        if trim.scan(argv, &mut i)? {
        } else if keyword_eq(&argv[i], "NOMKSTREAM") {
            opts.nomkstream = true;
        } else if keyword_eq(&argv[i], "IDMPAUTO") && more >= 1 {
            if opts.idmp.is_some() {
                return Err(Error::IdmpTwice);
            }
            let pid = argv[i + 1].clone();
            if pid.is_empty() {
                return Err(Error::IdmpAutoEmptyPid);
            }
            opts.idmp = Some(Idempotency::Auto { pid });
            i += 1;
        } else if keyword_eq(&argv[i], "IDMP") && more >= 2 {
            if opts.idmp.is_some() {
                return Err(Error::IdmpTwice);
            }
            let (pid, iid) = (argv[i + 1].clone(), argv[i + 2].clone());
            if pid.is_empty() {
                return Err(Error::IdmpEmptyPid);
            }
            if iid.is_empty() {
                return Err(Error::IdmpEmptyIid);
            }
            opts.idmp = Some(Idempotency::Given { pid, iid });
            i += 2;
        } else {
            id = Some(XAddId::parse(&argv[i])?);
            if opts.idmp.is_some() && !replaying {
                return Err(Error::IdmpNeedsAutoId);
            }
            break;
        }
        i += 1;
    }
    opts.trim = trim.finish(false, replaying)?;
    let fields = argv.get(i + 1..).unwrap_or(&[]);
    if fields.len() < 2 || fields.len() % 2 == 1 {
        return Err(Error::WrongArity("xadd"));
    }
    opts.id = id.unwrap_or_default();
    // An explicit 0-0 is refused next, before the key is touched (`Keyspace::xadd`).
    Ok((opts, fields))
}

/// The typed XADD (syntax only; an IDMP add must use `*`).
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    let (opts, fields) = parse(argv, false)?;
    let fields = fields
        .chunks_exact(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    Ok(Command::XAdd {
        key: argv[1].clone(),
        opts,
        fields,
    })
}

/// Writes `XADD key [NOMKSTREAM] [DELREF | ACKED] [IDMP pid iid | IDMPAUTO pid]
/// [MAXLEN | MINID = | ~ threshold [LIMIT count]] id field value …`.
pub(super) fn write(
    out: &mut Vec<Bytes>,
    key: &Bytes,
    opts: &XAddOptions,
    fields: &[(Bytes, Bytes)],
) {
    out.extend([word("XADD"), key.clone()]);
    if opts.nomkstream {
        out.push(word("NOMKSTREAM"));
    }
    if let Some(t) = &opts.trim {
        trim_args::write_policy(out, t.policy);
    }
    match &opts.idmp {
        Some(Idempotency::Given { pid, iid }) => {
            out.extend([word("IDMP"), pid.clone(), iid.clone()]);
        }
        Some(Idempotency::Auto { pid }) => out.extend([word("IDMPAUTO"), pid.clone()]),
        None => {}
    }
    if let Some(t) = &opts.trim {
        trim_args::write(out, t);
    }
    out.push(match opts.id {
        XAddId::Auto => word("*"),
        XAddId::AutoSeq(ms) => {
            let mut ms = int_arg(ms).to_vec();
            ms.extend_from_slice(b"-*");
            Bytes::from(ms)
        }
        XAddId::Explicit(id) => id_arg(id),
    });
    for (f, v) in fields {
        out.extend([f.clone(), v.clone()]);
    }
}
