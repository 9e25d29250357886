//! XTRIM — remove entries from the head of a stream.
//!
//! ```text
//! XTRIM key MAXLEN | MINID [= | ~] threshold [LIMIT count] [KEEPREF | DELREF | ACKED]
//! ```
//!
//! Tokens in any order; anything unrecognised (including a second policy) is a syntax
//! error. Parse errors win over a missing key (`0`) and a wrong type (reference §4).

use alloc::vec::Vec;

use bytes::Bytes;

use super::trim_args::{self, TrimArgs};
use super::{reply, word};
use crate::cmd::Command;
use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::options::TrimOptions;
use crate::reply::Reply;

/// XTRIM's options, checked in Redis's order (all before the key).
/// `replaying`: as [`TrimArgs::finish`] takes it.
fn parse(argv: &[Bytes], replaying: bool) -> Result<TrimOptions, Error> {
    let mut trim = TrimArgs::default();
    let mut i = 2;
    while i < argv.len() {
        if !trim.scan(argv, &mut i)? {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    trim.finish(true, replaying)?
        .ok_or(Error::XTrimWithoutStrategy)
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    reply(parse(argv, ks.replaying()).and_then(|opts| Ok(Reply::count(ks.xtrim(&argv[1], &opts)?))))
}

/// The typed XTRIM.
pub(super) fn command(argv: &[Bytes]) -> Result<Command, Error> {
    Ok(Command::XTrim {
        key: argv[1].clone(),
        opts: parse(argv, false)?,
    })
}

/// Writes `XTRIM key MAXLEN | MINID = | ~ threshold [LIMIT count] [DELREF | ACKED]`.
pub(super) fn write(out: &mut Vec<Bytes>, key: &Bytes, opts: &TrimOptions) {
    out.extend([word("XTRIM"), key.clone()]);
    trim_args::write(out, opts);
    trim_args::write_policy(out, opts.policy);
}
