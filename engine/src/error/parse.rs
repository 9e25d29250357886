//! Error replies back into [`Error`] variants: what an adapter does with the text a
//! server sent, so that code matching on `Error::BusyGroup` or `Error::NoGroup { .. }`
//! works whichever backend answered.

use bytes::Bytes;

use crate::error::Error;

/// Every variant whose text has no parameters.
const FIXED: &[Error] = &[
    Error::InvalidStreamId,
    Error::NotAnInteger,
    Error::Syntax,
    Error::WrongType,
    Error::NoSuchKey,
    Error::TrimStrategyConflict,
    Error::MaxLenNegative,
    Error::LimitNegative,
    Error::LimitWithoutStrategy,
    Error::XTrimWithoutStrategy,
    Error::LimitWithoutApprox,
    Error::IdmpTwice,
    Error::IdmpAutoEmptyPid,
    Error::IdmpEmptyPid,
    Error::IdmpEmptyIid,
    Error::IdmpNeedsAutoId,
    Error::XCfgSetDurationRange,
    Error::XCfgSetMaxsizeRange,
    Error::XCfgSetNothing,
    Error::EmptyProducerId,
    Error::EmptyIdempotentId,
    Error::NoSuchMessage,
    Error::IidExists,
    Error::XAddIdZero,
    Error::StreamExhausted,
    Error::XAddIdTooSmall,
    Error::ElementsTooLarge,
    Error::InvalidStartInterval,
    Error::InvalidEndInterval,
    Error::TimeoutNotInteger,
    Error::TimeoutNegative,
    Error::TimeoutOutOfRange,
    Error::UnbalancedXRead,
    Error::GreaterIdOutsideGroup,
    Error::EntriesAddedNegative,
    Error::XSetIdBelowGivenMaxDeleted,
    Error::XSetIdBelowMaxDeleted,
    Error::XSetIdBelowTop,
    Error::XSetIdEntriesAddedBelowLength,
    Error::OutOfMemory,
    Error::UnbalancedXReadGroup,
    Error::MissingGroupOption,
    Error::ClaimNotInteger,
    Error::ClaimNegative,
    Error::XGroupKeyMissing,
    Error::EntriesReadRange,
    Error::BusyGroup,
    Error::XAutoClaimMinIdle,
    Error::InvalidExpireTime,
    Error::IncrOverflow,
    Error::XAutoClaimCount,
    Error::XAutoClaimCountTooHigh,
    Error::NumIdsInvalid,
    Error::NumIdsMismatch,
    Error::IdsRequired,
    Error::Unblocked,
    Error::EngineClosed,
    Error::CrossSlot,
    Error::SameObject,
    Error::DbIndexOutOfRange,
    Error::IntOutOfRange,
    Error::CopyDbInCluster,
    Error::ExecAbort,
];

/// `text` with `prefix` and `suffix` removed, if it has both.
fn between<'a>(text: &'a [u8], prefix: &str, suffix: &str) -> Option<&'a [u8]> {
    text.strip_prefix(prefix.as_bytes())?
        .strip_suffix(suffix.as_bytes())
}

/// `<a><middle><b>` split at the first `middle`.
fn split_once<'a>(text: &'a [u8], middle: &str) -> Option<(&'a [u8], &'a [u8])> {
    let m = middle.as_bytes();
    let at = text.windows(m.len()).position(|w| w == m)?;
    Some((&text[..at], &text[at + m.len()..]))
}

impl Error {
    /// The variant whose reply text is `text` (an error reply without the RESP `-`), or
    /// [`Error::Server`] holding it as sent. The inverse of [`Error::message`] for
    /// every variant a stream command returns; names quoted in `NOGROUP` texts come back
    /// as they were quoted.
    pub fn from_message(text: &[u8]) -> Error {
        if let Some(e) = FIXED
            .iter()
            .find(|e| e.static_text().is_some_and(|t| t.as_bytes() == text))
        {
            return e.clone();
        }
        let owned = |b: &[u8]| Bytes::copy_from_slice(b);
        if let Some(inner) = between(
            text,
            "NOGROUP No such key '",
            "' in XREADGROUP with GROUP option",
        ) {
            if let Some((key, group)) = split_once(inner, "' or consumer group '") {
                return Error::NoGroupForRead {
                    key: owned(key),
                    group: owned(group),
                };
            }
        }
        if let Some(inner) = between(text, "NOGROUP No such key '", "'") {
            if let Some((key, group)) = split_once(inner, "' or consumer group '") {
                return Error::NoGroup {
                    key: owned(key),
                    group: owned(group),
                };
            }
        }
        if let Some(inner) = between(text, "NOGROUP No such consumer group '", "'") {
            if let Some((group, key)) = split_once(inner, "' for key name '") {
                return Error::NoSuchGroup {
                    key: owned(key),
                    group: owned(group),
                };
            }
        }
        if let Some(token) = between(text, "ERR Unrecognized XCLAIM option '", "'") {
            return Error::XClaimUnrecognized(owned(token));
        }
        if let Some(name) = between(text, "ERR wrong number of arguments for '", "' command")
            .and_then(crate::cmd::table_name)
        {
            return Error::WrongArity(name);
        }
        Error::Server(owned(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixed_text_and_every_group_error_comes_back() {
        for e in FIXED {
            assert!(e.static_text().is_some(), "{e:?} has a fixed text");
            assert_eq!(&Error::from_message(&e.message()), e);
        }
        for e in [
            Error::no_group_for_read(b"k'ey", b"g"),
            Error::no_group(b"k", b"g' or consumer group 'x"),
            Error::no_such_group(b"k", b"g"),
            Error::xclaim_unrecognized(b"FOO"),
            Error::WrongArity("xack"),
            Error::WrongArity("xgroup|create"),
        ] {
            assert_eq!(Error::from_message(&e.message()), e);
        }
    }

    #[test]
    fn other_texts_are_kept_as_sent() {
        let text = b"NOSCRIPT No matching script. Please use EVAL.";
        let e = Error::from_message(text);
        assert_eq!(e, Error::Server(Bytes::from_static(text)));
        assert_eq!(e.code(), "NOSCRIPT");
        assert_eq!(e.message(), text);
        assert_eq!(Error::from_message(b"WEIRD thing").code(), "ERR");
        // An arity error for a command the table does not have stays as sent.
        let text = b"ERR wrong number of arguments for 'nosuch' command";
        assert_eq!(
            Error::from_message(text),
            Error::Server(Bytes::from_static(text))
        );
    }
}
