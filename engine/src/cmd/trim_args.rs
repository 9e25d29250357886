//! The option scanner XADD and XTRIM share for `MAXLEN | MINID [= | ~] threshold`,
//! `LIMIT count` and `KEEPREF | DELREF | ACKED` (reference §2.1, §4), and its writer.

use bytes::Bytes;

use alloc::vec::Vec;

use super::{id_arg, int_arg, parse_int, word};
use crate::error::Error;
use crate::id::StreamId;
use crate::num::{is_char, keyword_eq};
use crate::options::{RefPolicy, TrimOptions, TrimStrategy};

/// Trim options seen so far while scanning.
#[derive(Default)]
pub(super) struct TrimArgs {
    strategy: Option<TrimStrategy>,
    approx: bool,
    limit: Option<u64>,
    policy: Option<RefPolicy>,
}

impl TrimArgs {
    /// Consumes the trim option at `argv[*i]`, if it is one, leaving `*i` on its last
    /// argument. `Ok(false)`: not a trim option (the caller decides what it is).
    pub(super) fn scan(&mut self, argv: &[Bytes], i: &mut usize) -> Result<bool, Error> {
        let more = argv.len() - 1 - *i;
        let opt = &argv[*i];
        let maxlen = keyword_eq(opt, "MAXLEN");
        if (maxlen || keyword_eq(opt, "MINID")) && more > 0 {
            if self.strategy.is_some() {
                return Err(Error::TrimStrategyConflict);
            }
            self.approx = false;
            let next = &argv[*i + 1];
            if more >= 2 && is_char(next, b'~') {
                self.approx = true;
                *i += 1;
            } else if more >= 2 && is_char(next, b'=') {
                *i += 1;
            }
            let value = &argv[*i + 1];
            self.strategy = Some(if maxlen {
                let n = parse_int(value)?;
                TrimStrategy::MaxLen(u64::try_from(n).map_err(|_| Error::MaxLenNegative)?)
            } else {
                TrimStrategy::MinId(StreamId::parse_strict(value)?)
            });
            *i += 1;
            return Ok(true);
        }
        if keyword_eq(opt, "LIMIT") && more > 0 {
            let n = parse_int(&argv[*i + 1])?;
            self.limit = Some(u64::try_from(n).map_err(|_| Error::LimitNegative)?);
            *i += 1;
            return Ok(true);
        }
        if self.policy.is_none() {
            let Some(policy) = RefPolicy::from_keyword(opt) else {
                return Ok(false);
            };
            self.policy = Some(policy);
            return Ok(true);
        }
        Ok(false)
    }

    /// The checks after the scan, in Redis's order; `None` when XADD has no trim clause.
    /// `replaying` (an append-only file, a master): LIMIT is taken and dropped — the
    /// threshold was rewritten to trim exactly what the origin trimmed, so no limit
    /// applies (`~` without one), as Redis does for a client it must obey.
    pub(super) fn finish(
        mut self,
        xtrim: bool,
        replaying: bool,
    ) -> Result<Option<TrimOptions>, Error> {
        if self.limit.is_some_and(|l| l != 0) && self.strategy.is_none() {
            return Err(Error::LimitWithoutStrategy);
        }
        if xtrim && self.strategy.is_none() {
            return Err(Error::XTrimWithoutStrategy);
        }
        if replaying {
            self.limit = self.approx.then_some(0);
        }
        if self.limit.is_some() && !self.approx {
            return Err(Error::LimitWithoutApprox);
        }
        Ok(self.strategy.map(|strategy| TrimOptions {
            strategy,
            approx: self.approx,
            limit: self.limit,
            policy: self.policy.unwrap_or_default(),
        }))
    }
}

/// Writes `MAXLEN | MINID = | ~ threshold [LIMIT count]` (the `=` always, so the
/// threshold is never taken for an option; the policy is left to the caller, whose
/// place for it differs).
pub(super) fn write(out: &mut Vec<Bytes>, t: &TrimOptions) {
    let approx = word(if t.approx { "~" } else { "=" });
    match t.strategy {
        TrimStrategy::MaxLen(n) => out.extend([word("MAXLEN"), approx, int_arg(n)]),
        TrimStrategy::MinId(id) => out.extend([word("MINID"), approx, id_arg(id)]),
    }
    if let Some(n) = t.limit {
        out.extend([word("LIMIT"), int_arg(n)]);
    }
}

/// Writes the policy's keyword unless it is the default `KEEPREF` (so servers without
/// reference policies, Redis 7 and Valkey, accept the command).
pub(super) fn write_policy(out: &mut Vec<Bytes>, policy: RefPolicy) {
    if policy != RefPolicy::KeepRef {
        out.push(word(policy.keyword()));
    }
}
