//! Fuzz target `id_parse`: arbitrary bytes through every stream-ID parser.
//!
//! * `StreamId::parse_strict`, `parse_range_start`, `parse_range_end` and
//!   `XAddId::parse` must never panic.
//! * Round trip: an ID accepted by the strict parser formats (both `Display` and
//!   `format_into`) to `<ms>-<seq>`, which parses back to the same ID in every context.
//! * Differential: each parser must agree — same ID or same error text — with the
//!   independent parser of `brook_test_support::model` (written from the reference's
//!   §1.3, not from the engine).
#![no_main]

use brook_engine::{Error, StreamId, XAddId};
use brook_test_support::model::{self, AddId, ModelError};
use libfuzzer_sys::fuzz_target;

fn same(
    what: &str,
    input: &[u8],
    got: Result<StreamId, Error>,
    want: Result<model::Id, ModelError>,
) {
    let got = got.map(|id| (id.ms, id.seq)).map_err(|e| e.message());
    let want = want.map_err(|e| e.message().as_bytes().to_vec());
    assert_eq!(got, want, "{what} disagrees with the model on {input:?}");
}

fuzz_target!(|data: &[u8]| {
    let strict = StreamId::parse_strict(data);
    same(
        "parse_strict",
        data,
        strict.clone(),
        model::parse_strict(data),
    );
    same(
        "parse_range_start",
        data,
        StreamId::parse_range_start(data),
        model::parse_range_start(data),
    );
    same(
        "parse_range_end",
        data,
        StreamId::parse_range_end(data),
        model::parse_range_end(data),
    );

    let xadd = XAddId::parse(data).map_err(|e| e.message());
    let want = model::parse_xadd_id(data)
        .map(|a| match a {
            AddId::Auto => XAddId::Auto,
            AddId::AutoSeq(ms) => XAddId::AutoSeq(ms),
            AddId::Explicit((ms, seq)) => XAddId::Explicit(StreamId::new(ms, seq)),
        })
        .map_err(|e| e.message().as_bytes().to_vec());
    assert_eq!(
        xadd, want,
        "XAddId::parse disagrees with the model on {data:?}"
    );

    if let Ok(id) = strict {
        let text = id.to_string();
        let mut buf = [0u8; 41];
        assert_eq!(id.format_into(&mut buf), text.as_bytes());
        assert_eq!(text, format!("{}-{}", id.ms, id.seq));
        let b = text.as_bytes();
        assert_eq!(StreamId::parse_strict(b), Ok(id), "round trip of {text}");
        assert_eq!(
            StreamId::parse_range_start(b),
            Ok(id),
            "round trip of {text}"
        );
        assert_eq!(StreamId::parse_range_end(b), Ok(id), "round trip of {text}");
        assert_eq!(
            XAddId::parse(b),
            Ok(XAddId::Explicit(id)),
            "round trip of {text}"
        );
        assert_eq!(text.parse::<StreamId>(), Ok(id));
    }
});
