//! `BROOK.CLOCK`: brook's own command to read and move the virtual clock of a server
//! started with `--clock manual`.
//!
//! ```text
//! BROOK.CLOCK GET           -> :<unix ms>
//! BROOK.CLOCK ADVANCE <ms>  -> :<unix ms after>   (fires due BLOCK timeouts first)
//! BROOK.CLOCK SET <ms>      -> :<unix ms>         (may move backwards)
//! ```
//!
//! `GET` works on the system clock too; `ADVANCE` and `SET` then answer an error.

use bytes::Bytes;

use super::{Session, Step};
use crate::Shared;
use brook_engine::frontend::parse_i64;

/// `BROOK.CLOCK GET|ADVANCE|SET`.
pub(super) fn run(shared: &Shared, sess: &mut Session, argv: &[Bytes]) -> Step {
    let sub = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
    let arity = match sub.as_str() {
        "get" => 2,
        "advance" | "set" => 3,
        _ => {
            sess.out.error(&format!(
                "ERR unknown subcommand '{}'. Try BROOK.CLOCK GET, ADVANCE <ms> or SET <ms>.",
                String::from_utf8_lossy(&argv[1])
            ));
            return Step::Done;
        }
    };
    if argv.len() != arity {
        sess.out.error(&format!(
            "ERR wrong number of arguments for 'brook.clock|{sub}' command"
        ));
        return Step::Done;
    }
    if sub == "get" {
        sess.out
            .int(i64::try_from(shared.now_ms()).unwrap_or(i64::MAX));
        return Step::Done;
    }
    let Some(clock) = &shared.clock else {
        sess.out.error(
            "ERR the server runs on the system clock; start it with --clock manual to move time",
        );
        return Step::Done;
    };
    let ms = match parse_i64(&argv[2]).and_then(|v| u64::try_from(v).ok()) {
        Some(ms) => ms,
        None => {
            sess.out
                .error("ERR value is not an integer or out of range");
            return Step::Done;
        }
    };
    if sub == "advance" {
        clock.advance(ms);
    } else {
        clock.set(ms);
    }
    sess.out
        .int(i64::try_from(shared.now_ms()).unwrap_or(i64::MAX));
    Step::Done
}
