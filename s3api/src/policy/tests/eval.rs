use super::super::{Verdict, evaluate};
use super::{policy, request, statement};

const PUBLIC_READ: &str =
    r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#;

#[test]
fn public_read_allows_anonymous_get_only() {
    let p = policy(&statement(PUBLIC_READ));
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("k"), None)), Verdict::Allow);
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("a/b"), Some("x"))), Verdict::Allow);
    assert_eq!(evaluate(&p, &request("s3:PutObject", Some("k"), None)), Verdict::NoOpinion);
    // The bucket ARN is no object ARN.
    assert_eq!(evaluate(&p, &request("s3:ListBucket", None, None)), Verdict::NoOpinion);
}

#[test]
fn deny_beats_allow_in_any_order() {
    let deny =
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/secret/*"}"#;
    for body in [format!("{PUBLIC_READ},{deny}"), format!("{deny},{PUBLIC_READ}")] {
        let p = policy(&statement(&body));
        let r = request("s3:GetObject", Some("secret/x"), Some("alice"));
        assert_eq!(evaluate(&p, &r), Verdict::ExplicitDeny);
        let r = request("s3:GetObject", Some("open/x"), Some("alice"));
        assert_eq!(evaluate(&p, &r), Verdict::Allow);
    }
}

#[test]
fn actions_match_wildcards_case_insensitively() {
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":"*","Action":["s3:get*","S3:LIST?UCKET"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#,
    ));
    for (action, key) in
        [("s3:GetObject", Some("k")), ("s3:GetObjectAcl", Some("k")), ("s3:ListBucket", None)]
    {
        assert_eq!(evaluate(&p, &request(action, key, None)), Verdict::Allow, "{action}");
    }
    assert_eq!(evaluate(&p, &request("s3:ListBucketVersions", None, None)), Verdict::NoOpinion);
    assert_eq!(evaluate(&p, &request("s3:DeleteObject", Some("k"), None)), Verdict::NoOpinion);
}

#[test]
fn resources_match_case_sensitively_with_wildcards() {
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/img/*.jpg"}"#,
    ));
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("img/a/b.jpg"), None)), Verdict::Allow);
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("IMG/a.jpg"), None)), Verdict::NoOpinion);
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("img/a.JPG"), None)), Verdict::NoOpinion);
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/f?.txt"}"#,
    ));
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("f1.txt"), None)), Verdict::Allow);
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("f12.txt"), None)), Verdict::NoOpinion);
}

#[test]
fn not_action_and_not_resource() {
    let p = policy(&statement(
        r#"{"Effect":"Deny","Principal":"*","NotAction":"s3:GetObject","NotResource":"arn:aws:s3:::b/tmp/*"}"#,
    ));
    assert_eq!(evaluate(&p, &request("s3:PutObject", Some("k"), Some("a"))), Verdict::ExplicitDeny);
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("k"), Some("a"))), Verdict::NoOpinion);
    assert_eq!(
        evaluate(&p, &request("s3:PutObject", Some("tmp/k"), Some("a"))),
        Verdict::NoOpinion
    );
}

#[test]
fn principals_by_owner_arn_user_and_canonical_id() {
    for name in [
        r#""alice""#,
        r#""arn:aws:iam::alice:root""#,
        r#""arn:aws:iam::alice:user/app""#,
        r#"["zed","alice"]"#,
    ] {
        let p = policy(&statement(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":{name}}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}}"#
        )));
        assert_eq!(
            evaluate(&p, &request("s3:PutObject", Some("k"), Some("alice"))),
            Verdict::Allow,
            "{name}"
        );
        assert_eq!(
            evaluate(&p, &request("s3:PutObject", Some("k"), Some("bob"))),
            Verdict::NoOpinion
        );
        assert_eq!(evaluate(&p, &request("s3:PutObject", Some("k"), None)), Verdict::NoOpinion);
    }
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":{"CanonicalUser":"canon-alice"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}"#,
    ));
    assert_eq!(evaluate(&p, &request("s3:PutObject", Some("k"), Some("alice"))), Verdict::Allow);
    // An account ARN of another account, or a role, is not alice.
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::alicex:root","arn:aws:iam::alice:role/r"]},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}"#,
    ));
    assert_eq!(
        evaluate(&p, &request("s3:PutObject", Some("k"), Some("alice"))),
        Verdict::NoOpinion
    );
}

#[test]
fn not_principal_denies_everyone_else_anonymous_included() {
    let p = policy(&statement(
        r#"{"Effect":"Deny","NotPrincipal":{"AWS":"alice"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#,
    ));
    assert_eq!(
        evaluate(&p, &request("s3:GetObject", Some("k"), Some("alice"))),
        Verdict::NoOpinion
    );
    assert_eq!(
        evaluate(&p, &request("s3:GetObject", Some("k"), Some("bob"))),
        Verdict::ExplicitDeny
    );
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("k"), None)), Verdict::ExplicitDeny);
}

#[test]
fn username_variable_in_resource() {
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}"#,
    ));
    assert_eq!(
        evaluate(&p, &request("s3:PutObject", Some("home/alice/x"), Some("alice"))),
        Verdict::Allow
    );
    assert_eq!(
        evaluate(&p, &request("s3:PutObject", Some("home/bob/x"), Some("alice"))),
        Verdict::NoOpinion
    );
    // Anonymous requests have no username: the resource matches nothing,
    // not even `home//x`.
    assert_eq!(evaluate(&p, &request("s3:PutObject", Some("home//x"), None)), Verdict::NoOpinion);
    // A 2008-10-17 policy keeps `${...}` literally.
    let old = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}}"#;
    let p = policy(old);
    assert_eq!(
        evaluate(&p, &request("s3:PutObject", Some("home/alice/x"), Some("alice"))),
        Verdict::NoOpinion
    );
    assert_eq!(
        evaluate(&p, &request("s3:PutObject", Some("home/${aws:username}/x"), Some("alice"))),
        Verdict::Allow
    );
}

#[test]
fn escaped_wildcards_match_literally() {
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a${*}b"}"#,
    ));
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("a*b"), None)), Verdict::Allow);
    assert_eq!(evaluate(&p, &request("s3:GetObject", Some("axb"), None)), Verdict::NoOpinion);
}

#[test]
fn every_condition_must_hold() {
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
            "Condition":{"StringEquals":{"s3:prefix":["home/","pub/"],"s3:delimiter":"/"}}}"#,
    ));
    let list = |prefix: Option<&str>, delim: Option<&str>| {
        let mut r = request("s3:ListBucket", None, None);
        if let Some(p) = prefix {
            r.set("s3:prefix", p);
        }
        if let Some(d) = delim {
            r.set("s3:delimiter", d);
        }
        evaluate(&p, &r)
    };
    assert_eq!(list(Some("home/"), Some("/")), Verdict::Allow);
    assert_eq!(list(Some("pub/"), Some("/")), Verdict::Allow);
    assert_eq!(list(Some("priv/"), Some("/")), Verdict::NoOpinion);
    assert_eq!(list(Some("home/"), None), Verdict::NoOpinion);
    assert_eq!(list(None, Some("/")), Verdict::NoOpinion);
}
