//! Parsing never panics, whatever the bytes; and a parsed policy always
//! evaluates without panicking.

use proptest::prelude::{Just, Strategy, prop_oneof, proptest};

use super::super::{evaluate, parse};
use super::request;

/// Fragments that steer random documents towards the parser's deeper
/// paths (conditions, principals, wildcards, variables).
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just(r#""Statement""#.to_string()),
        Just(r#""Effect":"Allow""#.to_string()),
        Just(r#""Principal":"*""#.to_string()),
        Just(r#""Principal":{"AWS":["a","*"]}"#.to_string()),
        Just(r#""Action":"s3:*""#.to_string()),
        Just(r#""Resource":"arn:aws:s3:::b/${aws:username}/*""#.to_string()),
        Just(
            r#""Condition":{"ForAnyValue:StringLikeIfExists":{"s3:prefix":["*?","${"]}}"#
                .to_string()
        ),
        Just(r#""Condition":{"IpAddress":{"aws:SourceIp":"::/0"}}"#.to_string()),
        Just(r#""Condition":{"NumericLessThan":{"s3:max-keys":1e308}}"#.to_string()),
        Just(
            r#""Condition":{"DateGreaterThan":{"aws:CurrentTime":"9999-12-31T23:59:59Z"}}"#
                .to_string()
        ),
        "[ -~]{0,12}".prop_map(|s| s),
    ]
}

proptest::proptest! {
    #[test]
    fn parse_never_panics_on_bytes(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse(&text, "b");
    }

    #[test]
    fn parse_and_evaluate_never_panic(parts in proptest::collection::vec(fragment(), 0..40),
                                      key in "[ -~]{0,20}", user in proptest::option::of("[a-z]{1,5}")) {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{{{}}}]}}"#, parts.concat());
        if let Ok(p) = parse(&text, "b") {
            let mut r = request("s3:GetObject", Some(&key), user.as_deref());
            r.set("s3:prefix", key.clone());
            r.set("aws:SourceIp", "10.1.2.3");
            r.set("aws:CurrentTime", "2026-01-01T00:00:00Z");
            r.set("s3:max-keys", key.clone());
            let _ = evaluate(&p, &r);
        }
    }
}

proptest! {
    #[test]
    fn wildcard_star_matches_any_text(text in "[ -#%-~]{0,30}") {
        assert!(super::super::wildcard::matches("*", &text, false));
        assert!(super::super::wildcard::matches(&format!("*{text}"), &text, false));
    }
}

proptest! {
    /// The request side is network input too: any query string and header
    /// values build a request that evaluates without panicking.
    #[test]
    fn context_never_panics_on_request_input(query in "[ -~]{0,80}", tagging in "[ -~]{0,60}",
                                             agent in "[ -~]{0,30}") {
        use super::super::context::{Facts, build};
        let mut headers = http::HeaderMap::new();
        if let Ok(v) = http::HeaderValue::from_str(&tagging) {
            headers.insert("x-amz-tagging", v);
        }
        if let Ok(v) = http::HeaderValue::from_str(&agent) {
            headers.insert("user-agent", v);
        }
        let facts = Facts {
            action: "s3:ListBucket",
            bucket: "b",
            key: None,
            owner: Some("alice"),
            canonical_id: None,
            source_ip: None,
            secure_transport: true,
            headers: &headers,
            query: Some(&query),
            now: std::time::SystemTime::now(),
            existing_tags: None,
            request_tags: None,
        };
        let r = build(&facts);
        let p = parse(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*",
                "Condition":{"StringLike":{"s3:prefix":"${aws:username}/*","aws:UserAgent":"*"},"NumericLessThan":{"s3:max-keys":5}}}}"#,
            "b",
        ).unwrap();
        let _ = evaluate(&p, &r);
    }
}
