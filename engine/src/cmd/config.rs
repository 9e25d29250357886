//! CONFIG GET and CONFIG SET for the settings that shape streams (and CONFIG RESETSTAT,
//! which has nothing to reset in the engine).
//!
//! ```text
//! CONFIG GET parameter [parameter ...]
//! CONFIG SET parameter value [parameter value ...]
//! ```
//!
//! Parameters: `stream-node-max-bytes` (a memory value such as `4096` or `4kb`),
//! `stream-node-max-entries` (an integer), `stream-idmp-duration` (1..=86400 seconds)
//! and `stream-idmp-maxsize` (1..=10000), the last two copied into each new stream. Names are case-insensitive; GET takes glob
//! patterns and answers a map (a flat array in RESP2). SET checks every name first
//! (unknown, duplicate), then every value, with Redis's error texts (a bad value names
//! the parameter in lower case, a duplicate as typed).

use alloc::vec::Vec;

use bytes::Bytes;

use crate::error::Error;
use crate::glob;
use crate::keyspace::{Config, Keyspace};
use crate::num;
use crate::reply::Reply;

const PARAMS: &[&str] = &[
    "stream-node-max-bytes",
    "stream-node-max-entries",
    "stream-idmp-duration",
    "stream-idmp-maxsize",
];

const RANGE: &str = "argument must be between 0 and 9223372036854775807 inclusive";

fn value_of(ks: &Keyspace, name: &str) -> u64 {
    let c = ks.config();
    match name {
        "stream-node-max-bytes" => c.node_limits.max_bytes,
        "stream-node-max-entries" => c.node_limits.max_entries,
        "stream-idmp-duration" => c.idmp_duration,
        _ => c.idmp_maxsize,
    }
}

/// Parses `value` for parameter `name` and stores it in `config`.
fn set_value(config: &mut Config, name: &str, value: &[u8]) -> Result<(), &'static str> {
    match name {
        "stream-node-max-bytes" => config.node_limits.max_bytes = parse_bytes(value)?,
        "stream-node-max-entries" => config.node_limits.max_entries = parse_entries(value)?,
        "stream-idmp-duration" => {
            config.idmp_duration = parse_in(
                value,
                1,
                86_400,
                "argument must be between 1 and 86400 inclusive",
            )?
        }
        _ => {
            config.idmp_maxsize = parse_in(
                value,
                1,
                10_000,
                "argument must be between 1 and 10000 inclusive",
            )?
        }
    }
    Ok(())
}

/// `CONFIG RESETSTAT`: the engine keeps no statistics of its own (a server resets its
/// own); OK.
pub(super) fn run_resetstat(_ks: &mut Keyspace, _argv: &[Bytes], _now: u64) -> Reply {
    Reply::OK
}

pub(super) fn run_get(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    let mut out: Vec<(Reply, Reply)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for pattern in &argv[2..] {
        let is_glob = pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
        for &name in PARAMS {
            let hit = if is_glob {
                glob::matches(&pattern.to_ascii_lowercase(), name.as_bytes())
            } else {
                pattern.eq_ignore_ascii_case(name.as_bytes())
            };
            if hit && !seen.contains(&name) {
                seen.push(name);
                let shown = if is_glob {
                    Reply::text(name)
                } else {
                    Reply::Bulk(pattern.clone())
                };
                let mut buf = [0u8; 20];
                let n = num::write_u64(value_of(ks, name), &mut buf, 0);
                out.push((shown, Reply::Bulk(Bytes::copy_from_slice(&buf[..n]))));
            }
        }
    }
    Reply::Map(out)
}

pub(super) fn run_set(ks: &mut Keyspace, argv: &[Bytes], _now: u64) -> Reply {
    let pairs = &argv[2..];
    if !pairs.len().is_multiple_of(2) {
        return Reply::Error(Error::Syntax);
    }
    let mut chosen: Vec<(&'static str, &Bytes)> = Vec::new();
    for pair in pairs.chunks(2) {
        let Some(&name) = PARAMS
            .iter()
            .find(|p| p.as_bytes().eq_ignore_ascii_case(&pair[0]))
        else {
            return Reply::Error(Error::ConfigUnknownOption(crate::error::c_arg(
                &pair[0], 128,
            )));
        };
        if chosen.iter().any(|(n, _)| *n == name) {
            // This one error echoes the name as typed.
            return Reply::Error(Error::ConfigSetFailed {
                name: crate::error::c_arg(&pair[0], 128),
                reason: "duplicate parameter",
            });
        }
        chosen.push((name, &pair[1]));
    }
    let mut config = *ks.config();
    for (name, value) in chosen {
        if let Err(reason) = set_value(&mut config, name, value) {
            return Reply::Error(failed(name, reason));
        }
    }
    *ks.config_mut() = config;
    Reply::OK
}

/// Redis names the parameter by its canonical (lower-case) name here.
fn failed(name: &'static str, reason: &'static str) -> Error {
    Error::ConfigSetFailed {
        name: Bytes::from_static(name.as_bytes()),
        reason,
    }
}

fn parse_bytes(v: &[u8]) -> Result<u64, &'static str> {
    match num::parse_memory(v) {
        Some(n) if n <= i64::MAX as u64 => Ok(n),
        Some(_) => Err(RANGE),
        // Digits too many for 64 bits: Redis 7.0 calls it a range error.
        None if v.iter().all(u8::is_ascii_digit) => Err(RANGE),
        None => Err("argument must be a memory value"),
    }
}

fn parse_in(v: &[u8], min: i64, max: i64, range: &'static str) -> Result<u64, &'static str> {
    match num::parse_i64(v) {
        Some(n) if (min..=max).contains(&n) => Ok(n as u64),
        Some(_) => Err(range),
        None => Err("argument couldn't be parsed into an integer"),
    }
}

fn parse_entries(v: &[u8]) -> Result<u64, &'static str> {
    match num::parse_i64(v) {
        Some(n) if n >= 0 => Ok(n as u64),
        Some(_) => Err(RANGE),
        None => Err("argument couldn't be parsed into an integer"),
    }
}
