//! COPY — copy a key's value to another key.
//!
//! ```text
//! COPY source destination [DB destination-db] [REPLACE]
//!     -> :1 copied, :0 source missing or destination exists (without REPLACE)
//! ```
//!
//! The copy carries what Redis's `streamDup` copies (entries, IDs and counters, groups
//! with consumers and PELs, IDMP state) and the source's expiry time. Options are read
//! left to right as Redis reads them: `REPLACE`, or `DB n` (an integer — `ERR value is
//! not an integer or out of range`, then `ERR value is out of range, …` beyond a C
//! `int` — naming a database, else `ERR DB index is out of range`, reported at once);
//! anything else is a syntax error. Then `ERR source and destination objects are the
//! same` for one key in one database. A keyspace alone is database 0 of one: `DB 0` is
//! itself and any other index is out of range; `brook serve` runs `COPY … DB n` across
//! its databases itself (with [`CopyOptions::parse`]).

use bytes::Bytes;

use crate::error::Error;
use crate::keyspace::Keyspace;
use crate::num;
use crate::reply::Reply;

/// COPY's options, as [`CopyOptions::parse`] reads them from an argument vector.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyOptions {
    /// `REPLACE`: an existing destination is overwritten.
    pub replace: bool,
    /// `DB n`: the destination database (the last one named); `None`: the source's.
    pub db: Option<usize>,
}

impl CopyOptions {
    /// Reads the options of `COPY source destination …` (`argv[3..]`) with Redis's
    /// checks in Redis's order, for a server of `databases` databases.
    pub fn parse(argv: &[Bytes], databases: usize) -> Result<CopyOptions, Error> {
        let mut opts = CopyOptions::default();
        let mut j = 3;
        while let Some(a) = argv.get(j) {
            if a.eq_ignore_ascii_case(b"replace") {
                opts.replace = true;
            } else if let (true, Some(n)) = (a.eq_ignore_ascii_case(b"db"), argv.get(j + 1)) {
                let n = num::parse_i64(n).ok_or(Error::NotAnInteger)?;
                let n = i32::try_from(n).map_err(|_| Error::IntOutOfRange)?;
                let db = usize::try_from(n)
                    .ok()
                    .filter(|db| *db < databases)
                    .ok_or(Error::DbIndexOutOfRange)?;
                opts.db = Some(db);
                j += 1;
            } else {
                return Err(Error::Syntax);
            }
            j += 1;
        }
        Ok(opts)
    }
}

pub(super) fn run(ks: &mut Keyspace, argv: &[Bytes], now: u64) -> Reply {
    let opts = match CopyOptions::parse(argv, 1) {
        Ok(opts) => opts,
        Err(e) => return Reply::Error(e),
    };
    match ks.copy(&argv[1], &argv[2], opts.replace, now) {
        Ok(done) => Reply::Integer(i64::from(done)),
        Err(e) => Reply::Error(e),
    }
}
