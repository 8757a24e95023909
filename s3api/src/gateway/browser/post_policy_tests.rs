//! POST policies: parsing, each condition kind, extra fields, expiry; and
//! arbitrary documents never panic.

use base64::Engine as _;
use proptest::prelude::{any, proptest};

use super::{Policy, PolicyError, parse_iso8601_ms};

fn b64(json: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(json)
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(n, v)| ((*n).to_string(), (*v).to_string())).collect()
}

const NOW: i64 = 1_800_000_000_000;

#[test]
fn dates() {
    assert_eq!(parse_iso8601_ms("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_iso8601_ms("2000-03-01T00:00:01.5Z"), Some(951_868_801_500));
    assert_eq!(parse_iso8601_ms("2026-12-07T02:00:00.000Z"), Some(1_796_608_800_000));
    for bad in ["2026-12-07T02:00:00", "2026-13-07T02:00:00Z", "x", "2026-12-07 02:00:00Z", ""] {
        assert_eq!(parse_iso8601_ms(bad), None, "{bad}");
    }
}

#[test]
fn conditions_as_aws() {
    let doc = r#"{"expiration": "2030-01-01T00:00:00.000Z", "conditions": [
        {"bucket": "photos"},
        ["starts-with", "$key", "user/"],
        {"acl": "public-read"},
        ["eq", "$Content-Type", "image/png"],
        ["starts-with", "$x-amz-meta-tag", ""],
        ["content-length-range", 10, "100"]
    ]}"#;
    let p = Policy::from_base64(&b64(doc)).unwrap();
    let ok = fields(&[
        ("key", "user/a.png"),
        ("ACL", "public-read"),
        ("content-type", "image/png"),
        ("x-amz-meta-tag", "x"),
        ("policy", "..."),
        ("x-amz-signature", "..."),
        ("x-ignore-me", "1"),
    ]);
    assert_eq!(p.check(&ok, "photos", 50, NOW), Ok(()));
    assert_eq!(
        p.check(&ok, "other", 50, NOW).unwrap_err(),
        PolicyError::Denied("Policy Condition failed: [\"eq\", \"$bucket\", \"photos\"]".into())
    );
    let mut bad = ok.clone();
    bad[0].1 = "admin/a.png".into();
    assert!(matches!(p.check(&bad, "photos", 50, NOW), Err(PolicyError::Denied(m))
        if m.contains("starts-with")));
    assert_eq!(p.check(&ok, "photos", 9, NOW), Err(PolicyError::TooSmall));
    assert_eq!(p.check(&ok, "photos", 101, NOW), Err(PolicyError::TooLarge));
    assert_eq!(p.check(&ok, "photos", 100, NOW), Ok(()));
    let mut extra = ok.clone();
    extra.push(("x-amz-meta-other".into(), "v".into()));
    assert_eq!(
        p.check(&extra, "photos", 50, NOW).unwrap_err(),
        PolicyError::Denied("Extra input fields: x-amz-meta-other".into())
    );
    let expired = parse_iso8601_ms("2030-01-01T00:00:00Z").unwrap();
    assert_eq!(
        p.check(&ok, "photos", 50, expired).unwrap_err(),
        PolicyError::Denied("Policy expired.".into())
    );
    // A missing field fails eq.
    let missing = fields(&[("key", "user/a"), ("acl", "public-read"), ("x-amz-meta-tag", "")]);
    assert!(p.check(&missing, "photos", 50, NOW).is_err());
}

#[test]
fn malformed_policies() {
    for doc in [
        "not json",
        r#"{"conditions": []}"#,
        r#"{"expiration": "soon", "conditions": []}"#,
        r#"{"expiration": "2030-01-01T00:00:00Z"}"#,
        r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["lt", "$key", "a"]]}"#,
        r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "key", "a"]]}"#,
        r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"a": "1", "b": "2"}]}"#,
        r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["content-length-range", -1, 2]]}"#,
    ] {
        assert!(matches!(Policy::from_base64(&b64(doc)), Err(PolicyError::Invalid(_))), "{doc}");
    }
    assert!(matches!(Policy::from_base64("%%%"), Err(PolicyError::Invalid(_))));
}

proptest! {
    #[test]
    fn arbitrary_policies_never_panic(doc in any::<String>(), n in any::<u64>()) {
        if let Ok(p) = Policy::from_base64(&b64(&doc)) {
            let _ = p.check(&fields(&[("key", "k")]), "b", n, NOW);
        }
        let json = format!(r#"{{"expiration": "{doc}", "conditions": [["eq", "$key", "{n}"]]}}"#);
        let _ = Policy::from_base64(&b64(&json));
    }
}
