//! Parser, encoder and display tests.

use super::*;

fn b(s: &str) -> Frame {
    Frame::bulk(s)
}

/// Every canonical sample: parses to the frame, consumes everything,
/// re-encodes to the same bytes.
fn samples() -> Vec<(&'static [u8], Frame)> {
    vec![
        (b"+OK\r\n", Frame::simple("OK")),
        (b"+\r\n", Frame::simple("")),
        (
            b"-ERR unknown command\r\n",
            Frame::error("ERR unknown command"),
        ),
        (b":0\r\n", Frame::Integer(0)),
        (b":-42\r\n", Frame::Integer(-42)),
        (b":9223372036854775807\r\n", Frame::Integer(i64::MAX)),
        (b":-9223372036854775808\r\n", Frame::Integer(i64::MIN)),
        (b"$0\r\n\r\n", b("")),
        (b"$5\r\nhello\r\n", b("hello")),
        (b"$4\r\na\r\nb\r\n", b("a\r\nb")),
        (b"$-1\r\n", Frame::NullBulk),
        (b"*-1\r\n", Frame::NullArray),
        (b"_\r\n", Frame::Null),
        (b"*0\r\n", Frame::Array(vec![])),
        (
            b"*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n",
            Frame::Array(vec![b("1-1"), Frame::Array(vec![b("a"), b("1")])]),
        ),
        (
            b"*3\r\n:1\r\n$-1\r\n*-1\r\n",
            Frame::Array(vec![Frame::Integer(1), Frame::NullBulk, Frame::NullArray]),
        ),
        (
            b"%2\r\n+server\r\n$5\r\nredis\r\n+proto\r\n:3\r\n",
            Frame::Map(vec![
                (Frame::simple("server"), b("redis")),
                (Frame::simple("proto"), Frame::Integer(3)),
            ]),
        ),
        (b"%0\r\n", Frame::Map(vec![])),
        (
            b"~2\r\n$1\r\na\r\n$1\r\nb\r\n",
            Frame::Set(vec![b("a"), b("b")]),
        ),
        (
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
            Frame::Push(vec![b("message"), b("ch"), b("hi")]),
        ),
        (b",1.5\r\n", Frame::Double(b"1.5".to_vec())),
        (b",-inf\r\n", Frame::Double(b"-inf".to_vec())),
        (b",inf\r\n", Frame::Double(b"inf".to_vec())),
        (b",nan\r\n", Frame::Double(b"nan".to_vec())),
        (b",1.23e-10\r\n", Frame::Double(b"1.23e-10".to_vec())),
        (b",10\r\n", Frame::Double(b"10".to_vec())),
        (b"#t\r\n", Frame::Boolean(true)),
        (b"#f\r\n", Frame::Boolean(false)),
        (
            b"(3492890328409238509324850943850943825024385\r\n",
            Frame::BigNumber(b"3492890328409238509324850943850943825024385".to_vec()),
        ),
        (b"(-1\r\n", Frame::BigNumber(b"-1".to_vec())),
        (
            b"=15\r\ntxt:Some string\r\n",
            Frame::Verbatim {
                format: *b"txt",
                text: b"Some string".to_vec(),
            },
        ),
        (
            b"=4\r\nmkd:\r\n",
            Frame::Verbatim {
                format: *b"mkd",
                text: vec![],
            },
        ),
        (
            b"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n",
            Frame::Attribute(vec![(
                Frame::simple("key-popularity"),
                Frame::Map(vec![(b("a"), Frame::Double(b"0.1923".to_vec()))]),
            )]),
        ),
    ]
}

#[test]
fn parses_and_round_trips_every_frame_type() {
    for (wire, frame) in samples() {
        let parsed = parse_frame(wire).expect("valid sample");
        assert_eq!(
            parsed,
            Some((frame.clone(), wire.len())),
            "{:?}",
            String::from_utf8_lossy(wire)
        );
        assert_eq!(encode_frame(&frame), wire, "{frame}");
    }
}

#[test]
fn every_strict_prefix_is_incomplete() {
    for (wire, _) in samples() {
        for cut in 0..wire.len() {
            assert_eq!(
                parse_frame(&wire[..cut]),
                Ok(None),
                "prefix {:?} of {:?}",
                String::from_utf8_lossy(&wire[..cut]),
                String::from_utf8_lossy(wire)
            );
        }
    }
}

#[test]
fn stops_after_one_frame() {
    let wire = b"+OK\r\n:1\r\n$1\r\nx";
    assert_eq!(parse_frame(wire), Ok(Some((Frame::simple("OK"), 5))));
    assert_eq!(parse_frame(&wire[5..]), Ok(Some((Frame::Integer(1), 4))));
    assert_eq!(parse_frame(&wire[9..]), Ok(None));
}

#[test]
fn blob_error_parses_as_error() {
    let wire = b"!21\r\nSYNTAX invalid syntax\r\n";
    let expected = Frame::error("SYNTAX invalid syntax");
    assert_eq!(parse_frame(wire), Ok(Some((expected, wire.len()))));
}

#[test]
fn nested_attributes_are_dropped() {
    let wire = b"*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n";
    let expected = Frame::Array(vec![Frame::Integer(1), Frame::Integer(2)]);
    assert_eq!(parse_frame(wire), Ok(Some((expected, wire.len()))));
}

#[test]
fn rejects_malformed_input() {
    let bad: &[&[u8]] = &[
        b"?\r\n",
        b"x",
        b"+OK\n",
        b"+O\rK\r\n",
        b":\r\n",
        b":12a\r\n",
        b":-\r\n",
        b":9223372036854775808\r\n",
        b":-9223372036854775809\r\n",
        b"$-2\r\n",
        b"$abc\r\n",
        b"$\r\n",
        b"$+1\r\nx\r\n",
        b"$99999999999999999999999999\r\n",
        b"$3\r\nabcd\r\n",
        b"$3\r\nabc\rx",
        b"*-2\r\n",
        b"*1\r\n?\r\n",
        b"%-1\r\n",
        b"~-1\r\n",
        b"_x\r\n",
        b"#x\r\n",
        b"#\r\n",
        b",\r\n",
        b",1.2.3\r\n",
        b",abc\r\n",
        b",1e\r\n",
        b",.\r\n",
        b"(\r\n",
        b"(12x\r\n",
        b"=3\r\ntxt\r\n",
        b"=5\r\ntxt-x\r\n",
        b"$?\r\n",
        b"*?\r\n",
    ];
    for wire in bad {
        assert!(
            parse_frame(wire).is_err(),
            "accepted {:?}: {:?}",
            String::from_utf8_lossy(wire),
            parse_frame(wire)
        );
    }
}

#[test]
fn error_reports_offset() {
    let err = parse_frame(b"*2\r\n:1\r\n:x\r\n").expect_err("malformed");
    assert_eq!(err.offset(), 9);
    assert!(err.to_string().contains("integer"), "{err}");
}

#[test]
fn nesting_is_capped() {
    let depth_ok = MAX_DEPTH;
    let mut wire = b"*1\r\n".repeat(depth_ok);
    wire.extend_from_slice(b":1\r\n");
    let (frame, used) = parse_frame(&wire).expect("valid").expect("complete");
    assert_eq!(used, wire.len());
    assert_eq!(encode_frame(&frame), wire);

    let mut too_deep = b"*1\r\n".repeat(depth_ok + 1);
    too_deep.extend_from_slice(b":1\r\n");
    assert!(parse_frame(&too_deep).is_err());
    // Rejected even before the innermost element arrives.
    assert!(parse_frame(&b"*1\r\n".repeat(100_000)).is_err());
}

#[test]
fn huge_declared_counts_do_not_allocate_or_panic() {
    assert_eq!(parse_frame(b"*9223372036854775807\r\n"), Ok(None));
    assert_eq!(parse_frame(b"%9223372036854775807\r\n:1\r\n"), Ok(None));
    assert_eq!(parse_frame(b"$9223372036854775807\r\nabc"), Ok(None));
}

#[test]
fn encode_command_is_an_array_of_bulks() {
    assert_eq!(
        encode_command(&[b"SET", b"k", b""]),
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
    );
    assert_eq!(encode_command(&[]), b"*0\r\n");
}

#[test]
fn display_is_compact() {
    let reply = Frame::Array(vec![b("1-1"), Frame::Array(vec![b("a"), b("1")])]);
    assert_eq!(reply.to_string(), r#"["1-1", ["a", "1"]]"#);
    assert_eq!(Frame::simple("OK").to_string(), "+OK");
    assert_eq!(Frame::error("ERR no").to_string(), "-ERR no");
    assert_eq!(Frame::Integer(-3).to_string(), "-3");
    assert_eq!(Frame::NullBulk.to_string(), "nil");
    assert_eq!(Frame::NullArray.to_string(), "nil*");
    assert_eq!(Frame::Null.to_string(), "_");
    assert_eq!(
        Frame::Bulk(b"a\"\\\n\x00\xff".to_vec()).to_string(),
        r#""a\"\\\n\x00\xff""#
    );
    let map = Frame::Map(vec![(b("k"), Frame::Integer(1)), (b("v"), Frame::Null)]);
    assert_eq!(map.to_string(), r#"{"k": 1, "v": _}"#);
    assert_eq!(Frame::Set(vec![b("a")]).to_string(), r#"~{"a"}"#);
    assert_eq!(Frame::Push(vec![b("a")]).to_string(), r#">["a"]"#);
    assert_eq!(Frame::Double(b"1.5".to_vec()).to_string(), ",1.5");
    assert_eq!(Frame::BigNumber(b"12".to_vec()).to_string(), "(12");
    assert_eq!(Frame::Boolean(true).to_string(), "true");
    let verbatim = Frame::Verbatim {
        format: *b"txt",
        text: b"hi".to_vec(),
    };
    assert_eq!(verbatim.to_string(), r#"=txt:"hi""#);
    assert_eq!(Frame::Attribute(vec![]).to_string(), "|{}");
}

#[test]
fn get_looks_up_maps_and_flat_arrays() {
    let map = Frame::Map(vec![(b("proto"), Frame::Integer(3))]);
    assert_eq!(map.get("proto"), Some(&Frame::Integer(3)));
    assert_eq!(map.get("nope"), None);
    let flat = Frame::Array(vec![b("proto"), Frame::Integer(2)]);
    assert_eq!(flat.get("proto"), Some(&Frame::Integer(2)));
}

/// Deterministic pseudo-random garbage never panics, and whatever parses
/// re-encodes to a prefix-consistent frame.
#[test]
fn garbage_never_panics() {
    let alphabet: &[u8] = b"+-:$*%~>|_,#(=!\r\n0123456789-1taf.e?x";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        let mut input = Vec::new();
        let len = (state % 40) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            input.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        if let Ok(Some((frame, used))) = parse_frame(&input) {
            assert!(used <= input.len());
            let again = parse_frame(&encode_frame(&frame)).expect("re-encoded frame parses");
            assert_eq!(again.map(|(f, _)| f), Some(frame));
        }
    }
}
