//! The condition keys a gateway request fills, and policies that test
//! them end to end.

use std::time::{Duration, UNIX_EPOCH};

use http::HeaderMap;

use super::super::context::{Facts, build};
use super::super::{Verdict, evaluate};
use super::{policy, statement};

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, v.parse().unwrap());
    }
    h
}

fn facts<'a>(h: &'a HeaderMap, query: Option<&'a str>, owner: Option<&'a str>) -> Facts<'a> {
    Facts {
        action: "s3:ListBucket",
        bucket: "b",
        key: None,
        owner,
        canonical_id: None,
        source_ip: Some("::ffff:127.0.0.5".parse().unwrap()),
        secure_transport: false,
        headers: h,
        query,
        now: UNIX_EPOCH + Duration::from_secs(1_767_225_600),
        existing_tags: None,
        request_tags: None,
    }
}

fn one<'r>(r: &'r super::Request, key: &str) -> Option<&'r str> {
    r.values.get(key).and_then(|v| v.first()).map(String::as_str)
}

#[test]
fn fills_keys_from_peer_headers_query_and_time() {
    let h = headers(&[
        ("user-agent", "aws-cli/2"),
        ("referer", "https://example.com/"),
        ("x-amz-acl", "public-read"),
        ("x-amz-server-side-encryption", "AES256"),
        ("x-amz-tagging", "class=public&team=a+b%2Fc"),
    ]);
    let r = build(&facts(
        &h,
        Some("prefix=home%2Falice%2F&delimiter=/&max-keys=10&list-type=2"),
        Some("alice"),
    ));
    assert_eq!(one(&r, "aws:sourceip"), Some("127.0.0.5"), "v4-mapped shown as v4");
    assert_eq!(one(&r, "aws:securetransport"), Some("false"));
    assert_eq!(one(&r, "aws:username"), Some("alice"));
    assert_eq!(one(&r, "aws:principaltype"), Some("Account"));
    assert_eq!(one(&r, "aws:epochtime"), Some("1767225600"));
    assert_eq!(one(&r, "aws:currenttime"), Some("2026-01-01T00:00:00Z"));
    assert_eq!(one(&r, "aws:useragent"), Some("aws-cli/2"));
    assert_eq!(one(&r, "aws:referer"), Some("https://example.com/"));
    assert_eq!(one(&r, "s3:x-amz-acl"), Some("public-read"));
    assert_eq!(one(&r, "s3:x-amz-server-side-encryption"), Some("AES256"));
    assert_eq!(one(&r, "s3:prefix"), Some("home/alice/"));
    assert_eq!(one(&r, "s3:delimiter"), Some("/"));
    assert_eq!(one(&r, "s3:max-keys"), Some("10"));
    assert_eq!(one(&r, "s3:requestobjecttag/team"), Some("a b/c"));
    assert_eq!(r.values["s3:requestobjecttagkeys"], vec!["class".to_string(), "team".to_string()]);
    assert!(!r.values.contains_key("s3:versionid"));
}

#[test]
fn anonymous_requests_have_no_username() {
    let h = HeaderMap::new();
    let r = build(&facts(&h, None, None));
    assert!(r.requester.is_none());
    assert!(!r.values.contains_key("aws:username"));
    assert_eq!(one(&r, "aws:principaltype"), Some("Anonymous"));
    assert!(!r.values.contains_key("s3:prefix"));
}

#[test]
fn list_only_your_home_with_the_username_variable() {
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
            "Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*"]},"NumericLessThanEquals":{"s3:max-keys":"100"}}}"#,
    ));
    let h = HeaderMap::new();
    let decide = |q: &str, who: Option<&str>| evaluate(&p, &build(&facts(&h, Some(q), who)));
    assert_eq!(decide("prefix=home/alice/x&max-keys=10", Some("alice")), Verdict::Allow);
    assert_eq!(decide("prefix=home/alice/x&max-keys=1000", Some("alice")), Verdict::NoOpinion);
    assert_eq!(decide("prefix=home/bob/&max-keys=10", Some("alice")), Verdict::NoOpinion);
    assert_eq!(decide("prefix=home/alice/&max-keys=10", None), Verdict::NoOpinion);
    assert_eq!(decide("max-keys=10", Some("alice")), Verdict::NoOpinion);
}

#[test]
fn existing_and_supplied_tags() {
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*",
            "Condition":{"StringEquals":{"s3:ExistingObjectTag/class":"public","s3:RequestObjectTag/k":"v"}}}"#,
    ));
    let h = HeaderMap::new();
    let existing = vec![("class".to_string(), "public".to_string())];
    let supplied = vec![("k".to_string(), "v".to_string())];
    let mut f = facts(&h, None, None);
    assert_eq!(evaluate(&p, &build(&f)), Verdict::NoOpinion);
    f.existing_tags = Some(&existing);
    f.request_tags = Some(&supplied);
    assert_eq!(evaluate(&p, &build(&f)), Verdict::Allow);
}
