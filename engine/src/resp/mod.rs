//! RESP, the one place that writes Redis's wire format: [`RespWriter`] writes every frame
//! shape of RESP2 and RESP3 (simple strings, errors, integers, bulk strings, the nulls,
//! arrays, maps, sets, pushes, verbatim strings, doubles) as Redis writes them for the
//! connection's [`Protocol`]; the engine's [`crate::Reply`] encodes through it and
//! `brook serve` writes its own replies with it.

mod encode;
mod writer;

pub(crate) use encode::{
    bulk_len, insert_array_len, insert_len, len_len, write_bulk, write_count, write_id, write_len,
};
pub use writer::{Protocol, RespWriter};
