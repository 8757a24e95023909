//! The condition operators, table-driven: (operator and values, request
//! value or absent, expected).

use super::super::{Verdict, evaluate};
use super::{policy, request, statement};

/// Evaluates an Allow-everything statement guarded by `cond` for a
/// request whose `key` has `values` (empty: absent).
fn holds(cond: &str, key: &str, values: &[&str]) -> bool {
    let p = policy(&statement(&format!(
        r#"{{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{cond}}}"#
    )));
    let mut r = request("s3:GetObject", Some("k"), Some("alice"));
    if !values.is_empty() {
        r.values.insert(key.to_ascii_lowercase(), values.iter().map(|v| v.to_string()).collect());
    } else {
        r.values.remove(&key.to_ascii_lowercase());
    }
    evaluate(&p, &r) == Verdict::Allow
}

#[test]
fn string_operators() {
    let k = "aws:UserAgent";
    let t = |op: &str, val: &str, req: &[&str]| {
        holds(&format!(r#"{{"{op}":{{"{k}":{val}}}}}"#), k, req)
    };
    assert!(t("StringEquals", r#"["a","b"]"#, &["b"]));
    assert!(!t("StringEquals", r#""a""#, &["A"]));
    assert!(!t("StringEquals", r#""a""#, &[]));
    assert!(t("StringNotEquals", r#""a""#, &["b"]));
    assert!(!t("StringNotEquals", r#"["a","b"]"#, &["b"]));
    assert!(t("StringNotEquals", r#""a""#, &[]), "a negated operator holds without the key");
    assert!(t("StringEqualsIgnoreCase", r#""ABC""#, &["abc"]));
    assert!(!t("StringNotEqualsIgnoreCase", r#""ABC""#, &["abc"]));
    assert!(t("StringLike", r#""curl/*""#, &["curl/8.1"]));
    assert!(!t("StringLike", r#""curl/?""#, &["curl/81"]));
    assert!(t("StringNotLike", r#""curl/*""#, &["boto3"]));
    assert!(t("StringEqualsIfExists", r#""a""#, &[]));
    assert!(!t("StringEqualsIfExists", r#""a""#, &["b"]));
}

#[test]
fn username_variable_in_condition_values() {
    let c = r#"{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}"#;
    assert!(holds(c, "s3:prefix", &["home/alice/x"]));
    assert!(!holds(c, "s3:prefix", &["home/bob/x"]));
}

#[test]
fn numeric_operators() {
    let k = "s3:max-keys";
    let t = |op: &str, val: &str, req: &[&str]| {
        holds(&format!(r#"{{"{op}":{{"{k}":{val}}}}}"#), k, req)
    };
    assert!(t("NumericEquals", "10", &["10"]));
    assert!(t("NumericEquals", r#""10""#, &["10.0"]));
    assert!(!t("NumericNotEquals", "10", &["10"]));
    assert!(t("NumericLessThan", "10", &["9"]));
    assert!(!t("NumericLessThan", "10", &["10"]));
    assert!(t("NumericLessThanEquals", "10", &["10"]));
    assert!(t("NumericGreaterThan", "10", &["11"]));
    assert!(!t("NumericGreaterThanEquals", "10", &["9"]));
    assert!(!t("NumericLessThan", "10", &["abc"]), "a non-number never matches");
    assert!(!t("NumericLessThan", "10", &[]));
}

#[test]
fn date_operators() {
    let k = "aws:CurrentTime";
    let t = |op: &str, val: &str, req: &str| {
        holds(&format!(r#"{{"{op}":{{"{k}":"{val}"}}}}"#), k, &[req])
    };
    assert!(t("DateGreaterThan", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"));
    assert!(!t("DateGreaterThan", "2026-01-01T00:00:00Z", "2025-06-01T00:00:00Z"));
    assert!(t("DateLessThan", "2026-01-01", "2025-12-31T23:59:59Z"));
    assert!(t("DateEquals", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"));
    assert!(t("DateEquals", "1767225600", "2026-01-01T00:00:00Z"), "epoch seconds");
    assert!(t("DateNotEquals", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"));
    assert!(t("DateLessThanEquals", "2026-01-01T00:00:00+01:00", "2025-12-31T23:00:00Z"));
    assert!(t("DateGreaterThanEquals", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"));
}

#[test]
fn bool_and_null() {
    let k = "aws:SecureTransport";
    assert!(holds(r#"{"Bool":{"aws:SecureTransport":"false"}}"#, k, &["false"]));
    assert!(holds(r#"{"Bool":{"aws:SecureTransport":true}}"#, k, &["true"]));
    assert!(!holds(r#"{"Bool":{"aws:SecureTransport":"true"}}"#, k, &["false"]));
    assert!(!holds(r#"{"Bool":{"aws:SecureTransport":"true"}}"#, k, &[]));
    assert!(holds(r#"{"Null":{"aws:SecureTransport":"true"}}"#, k, &[]));
    assert!(!holds(r#"{"Null":{"aws:SecureTransport":"true"}}"#, k, &["true"]));
    assert!(holds(r#"{"Null":{"aws:SecureTransport":false}}"#, k, &["true"]));
}

#[test]
fn ip_operators() {
    let k = "aws:SourceIp";
    let t =
        |op: &str, val: &str, ip: &str| holds(&format!(r#"{{"{op}":{{"{k}":{val}}}}}"#), k, &[ip]);
    assert!(t("IpAddress", r#""127.0.0.0/8""#, "127.9.8.7"));
    assert!(!t("IpAddress", r#""127.0.0.0/8""#, "128.0.0.1"));
    assert!(t("IpAddress", r#"["10.0.0.0/8","192.168.1.7"]"#, "192.168.1.7"));
    assert!(!t("IpAddress", r#""192.168.1.7""#, "192.168.1.8"));
    assert!(t("IpAddress", r#""0.0.0.0/0""#, "1.2.3.4"));
    assert!(t("IpAddress", r#""2001:db8::/32""#, "2001:db8:1::5"));
    assert!(!t("IpAddress", r#""2001:db8::/32""#, "2001:db9::5"));
    assert!(t("IpAddress", r#""127.0.0.1/32""#, "::ffff:127.0.0.1"), "v4-mapped v6");
    assert!(!t("IpAddress", r#""10.0.0.0/8""#, "::1"));
    assert!(t("NotIpAddress", r#""10.0.0.0/8""#, "127.0.0.1"));
    assert!(!t("NotIpAddress", r#""127.0.0.0/8""#, "127.0.0.1"));
    assert!(!t("IpAddress", r#""10.0.0.0/8""#, "not-an-ip"));
}

#[test]
fn arn_operators() {
    let k = "aws:SourceArn";
    let t = |op: &str, val: &str, arn: &str| {
        holds(&format!(r#"{{"{op}":{{"{k}":"{val}"}}}}"#), k, &[arn])
    };
    assert!(t("ArnEquals", "arn:aws:sns:us-east-1:1:t", "arn:aws:sns:us-east-1:1:t"));
    assert!(t("ArnLike", "arn:aws:sns:*:1:*", "arn:aws:sns:eu-west-1:1:t"));
    assert!(!t("ArnLike", "arn:aws:sns:*:1:*", "arn:aws:sns:eu-west-1:2:t"));
    assert!(t("ArnNotLike", "arn:aws:sns:*:1:*", "arn:aws:sqs:eu-west-1:2:t"));
    assert!(!t("ArnNotEquals", "arn:aws:sns:us-east-1:1:t", "arn:aws:sns:us-east-1:1:t"));
}

#[test]
fn set_qualifiers() {
    let k = "s3:RequestObjectTagKeys";
    let any = r#"{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}"#;
    let all = r#"{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}"#;
    assert!(holds(any, k, &["x", "b"]));
    assert!(!holds(any, k, &["x", "y"]));
    assert!(!holds(any, k, &[]));
    assert!(holds(all, k, &["a", "b"]));
    assert!(!holds(all, k, &["a", "x"]));
    assert!(holds(all, k, &[]), "ForAllValues holds vacuously");
}

#[test]
fn tag_keys() {
    let c = r#"{"StringEquals":{"s3:ExistingObjectTag/class":"public"}}"#;
    assert!(holds(c, "s3:ExistingObjectTag/class", &["public"]));
    assert!(!holds(c, "s3:ExistingObjectTag/class", &["secret"]));
    assert!(!holds(c, "s3:ExistingObjectTag/class", &[]));
}

#[test]
fn conditions_on_different_keys_are_anded() {
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*",
            "Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"},"Bool":{"aws:SecureTransport":"true"}}}"#,
    ));
    let mut r = request("s3:GetObject", Some("k"), None);
    r.set("aws:SourceIp", "127.0.0.1");
    r.set("aws:SecureTransport", "false");
    assert_eq!(evaluate(&p, &r), Verdict::NoOpinion);
    r.set("aws:SecureTransport", "true");
    assert_eq!(evaluate(&p, &r), Verdict::Allow);
}
