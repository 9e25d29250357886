//! RESP2 and RESP3 frames: the [`Frame`] type, an incremental parser
//! ([`parse_frame`]) and encoders ([`encode_frame`], [`encode_command`]).
//!
//! The encoder is canonical: for any input produced by a conforming server,
//! `encode_frame(&parse_frame(x)?.0) == x`. The exceptions are documented on
//! [`parse_frame`] (RESP3 blob errors and attributes nested inside
//! aggregates).

mod encode;
mod frame;
mod parse;

#[cfg(test)]
mod tests;

pub use encode::{encode_command, encode_frame};
pub use frame::Frame;
pub use parse::{parse_frame, ParseError, MAX_DEPTH};
