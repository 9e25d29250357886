//! The option scanner shared by XDELEX and XACKDEL: `KEEPREF | DELREF | ACKED` and
//! `IDS numids id [id ...]`, in any order (reference §8); its writer; and the strict
//! ID lists of XDEL, XACK, XACKDEL and XDELEX.

use alloc::vec::Vec;

use bytes::Bytes;

use super::trim_args::write_policy;
use super::{id_arg, int_arg, word};
use crate::error::Error;
use crate::id::StreamId;
use crate::num::keyword_eq;
use crate::options::RefPolicy;

/// Parses every argument as a strict ID (the first bad one is the error).
pub(super) fn parse_ids(args: &[Bytes]) -> Result<Vec<StreamId>, Error> {
    args.iter().map(|a| StreamId::parse_strict(a)).collect()
}

/// Writes the IDs as `ms-seq`.
pub(super) fn write_ids(out: &mut Vec<Bytes>, ids: &[StreamId]) {
    out.extend(ids.iter().map(|&i| id_arg(i)));
}

/// Writes `[DELREF | ACKED] IDS numids id [id ...]` (`KEEPREF`, the default, is left
/// out).
pub(super) fn write(out: &mut Vec<Bytes>, policy: RefPolicy, ids: &[StreamId]) {
    write_policy(out, policy);
    out.extend([word("IDS"), int_arg(ids.len() as u64)]);
    write_ids(out, ids);
}

/// The scanned options: the policy and the ID arguments (not yet parsed: a missing key
/// answers before the IDs are validated).
pub(super) struct IdsArgs<'a> {
    pub policy: RefPolicy,
    pub ids: &'a [Bytes],
}

/// Scans `argv[from..]`.
pub(super) fn scan(argv: &[Bytes], from: usize) -> Result<IdsArgs<'_>, Error> {
    let mut policy = None;
    let mut ids = None;
    let mut i = from;
    while i < argv.len() {
        let opt = &argv[i];
        if let Some(p) = RefPolicy::from_keyword(opt) {
            if policy.is_some() {
                return Err(Error::Syntax);
            }
            policy = Some(p);
            i += 1;
        } else if keyword_eq(opt, "IDS") && i + 1 < argv.len() {
            let n = crate::num::parse_i64(&argv[i + 1]).ok_or(Error::NumIdsInvalid)?;
            if n < 1 {
                return Err(Error::NumIdsInvalid);
            }
            let first = i + 2;
            let n = usize::try_from(n).map_err(|_| Error::NumIdsMismatch)?;
            if n > argv.len() - first {
                return Err(Error::NumIdsMismatch);
            }
            ids = Some(&argv[first..first + n]);
            i = first + n;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(IdsArgs {
        policy: policy.unwrap_or_default(),
        ids: ids.ok_or(Error::IdsRequired)?,
    })
}
