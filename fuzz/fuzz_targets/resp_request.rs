//! brook-server's request parser on arbitrary bytes, fed in arbitrary chunks: it never
//! panics; the requests (and the protocol error, if any) are the same however the
//! bytes are split; every parsed command re-encoded as a multibulk parses back to the
//! same arguments.
#![no_main]

use brook_server::request::{Limits, Parsed, Parser, ProtocolError};
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_bulk: 1 << 20,
    unauthenticated: false,
};

/// Everything `bytes` parses to when it arrives in pieces of the given sizes.
fn parse_all(bytes: &[u8], cuts: &[u8]) -> (Vec<Vec<Bytes>>, Option<ProtocolError>) {
    let mut parser = Parser::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut cut = cuts.iter().cycle();
    while at < bytes.len() {
        let n = usize::from(*cut.next().unwrap_or(&255)).max(1);
        let end = (at + n).min(bytes.len());
        buf.extend_from_slice(&bytes[at..end]);
        at = end;
        loop {
            match parser.next(&mut buf, LIMITS) {
                Ok(Parsed::Command(argv)) => {
                    assert!(!argv.is_empty());
                    out.push(argv);
                }
                Ok(Parsed::Empty) => {}
                Ok(Parsed::Incomplete) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    (out, None)
}

fuzz_target!(|input: (Vec<u8>, Vec<u8>)| {
    let (bytes, cuts) = input;
    let whole = parse_all(&bytes, &[255]);
    let pieces = parse_all(&bytes, if cuts.is_empty() { &[1] } else { &cuts });
    // A header line longer than 64 KiB is judged when it is seen whole or when the
    // buffer passes the limit: the same outcome either way.
    assert_eq!(whole, pieces, "chunking changed the outcome");
    for argv in &whole.0 {
        let refs: Vec<&[u8]> = argv.iter().map(|a| &a[..]).collect();
        let encoded = brook_test_support::encode_command(&refs);
        let again = parse_all(&encoded, &[255]);
        assert_eq!(again.0, vec![argv.clone()]);
        assert!(again.1.is_none());
    }
});
