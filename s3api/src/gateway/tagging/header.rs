//! The `x-amz-tagging` header of PutObject, CopyObject (with
//! `x-amz-tagging-directive: REPLACE`) and CreateMultipartUpload: a tag set
//! as URL query parameters, `k1=v1&k2=v2`, each name and value
//! percent-encoded UTF-8 with `+` for a space (what boto3, aws-cli and
//! the SDKs send).
//!
//! A segment without `=` is a key with an empty value; empty segments are
//! skipped. A name given twice, or a decoding that is not UTF-8, is 400
//! InvalidArgument with AWS's message; then the set goes through the same
//! rules as a PutObjectTagging body ([`super::rules`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::rules::{TagTarget, validate};

/// AWS's answer to a malformed `x-amz-tagging`.
const MALFORMED: &str = "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded \
    URL query parameters without tag name duplicates.";

/// The tag set of an `x-amz-tagging` header value, checked as an
/// object's tag set.
pub fn parse(value: &str) -> S3Result<BTreeMap<String, String>> {
    let mut pairs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for segment in value.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = segment.split_once('=').unwrap_or((segment, ""));
        let (k, v) = (decode(k)?, decode(v)?);
        if !seen.insert(k.clone()) {
            return Err(malformed());
        }
        pairs.push((k, v));
    }
    validate(pairs, TagTarget::Object)
}

/// The header's tag set when the request carries one (`None`: no header).
pub fn parse_opt(value: Option<&str>) -> S3Result<Option<BTreeMap<String, String>>> {
    value.map(parse).transpose()
}

/// Form decoding: `+` is a space, then `%XX` escapes; UTF-8 or refused.
fn decode(s: &str) -> S3Result<String> {
    let spaced: Cow<'_, str> =
        if s.contains('+') { Cow::Owned(s.replace('+', " ")) } else { Cow::Borrowed(s) };
    percent_decode_str(&spaced).decode_utf8().map(Cow::into_owned).map_err(|_| malformed())
}

fn malformed() -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, MALFORMED)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    use proptest::prelude::*;

    use super::parse;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn forms_clients_send() {
        assert_eq!(parse("").unwrap(), BTreeMap::new());
        assert_eq!(parse("a=1&b=2").unwrap(), map(&[("a", "1"), ("b", "2")]));
        assert_eq!(parse("a&b=").unwrap(), map(&[("a", ""), ("b", "")]));
        assert_eq!(
            parse("my+key=a%20b%2Bc&%C3%A9=%C3%BC").unwrap(),
            map(&[("my key", "a b+c"), ("é", "ü")])
        );
        assert_eq!(parse("a=1&&b=x=y").unwrap(), map(&[("a", "1"), ("b", "x=y")]));
    }

    #[test]
    fn refusals() {
        let code = |v: &str| parse(v).unwrap_err().code().as_str().to_string();
        assert_eq!(code("a=1&a=2"), "InvalidArgument");
        assert_eq!(code("a=%FF"), "InvalidArgument");
        assert_eq!(code("aws%3Ax=1"), "InvalidTag");
        assert_eq!(code("a=%3F"), "InvalidTag");
        let eleven: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
        assert_eq!(code(&eleven.join("&")), "BadRequest");
    }

    proptest! {
        /// Any header value is answered, never a panic.
        #[test]
        fn never_panics(value in ".{0,300}") {
            let _ = parse(&value);
        }

        /// Any valid tag set, encoded as clients encode it, reads back.
        #[test]
        fn round_trips(set in prop::collection::btree_map(
            "[a-zA-Z0-9 +=._:/@é-]{1,20}", "[a-zA-Z0-9 +=._:/@ü-]{0,30}", 0..10,
        )) {
            prop_assume!(set.keys().all(|k| !k.to_ascii_lowercase().starts_with("aws:")));
            let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
            let header: Vec<String> =
                set.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
            prop_assert_eq!(parse(&header.join("&")).unwrap(), set);
        }
    }
}
