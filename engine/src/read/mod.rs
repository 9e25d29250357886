//! Reads as values: a blocking read kept as a re-runnable request (`request`), and the
//! sinks that XREAD and XREADGROUP deliver entries into (`sink`).

pub(crate) mod request;
pub(crate) mod sink;
