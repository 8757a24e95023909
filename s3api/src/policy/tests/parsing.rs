use super::super::model::{Effect, Match, Operator, Principals, SetQualifier};
use super::super::{MAX_POLICY_BYTES, parse};
use super::{policy, statement};

fn refused(json: &str) -> String {
    match parse(json, "b") {
        Ok(p) => panic!("accepted: {p:?}"),
        Err(e) => e.0,
    }
}

const OK: &str =
    r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#;

#[test]
fn parses_a_full_document() {
    let p = policy(
        r#"{"Version":"2012-10-17","Id":"P1","Statement":[
        {"Sid":"A","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::alice:root","bob"]},
         "Action":["s3:GetObject","s3:List*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],
         "Condition":{"ForAnyValue:StringLikeIfExists":{"s3:Prefix":["home/","x"]},"Bool":{"aws:SecureTransport":true}}},
        {"Effect":"Deny","NotPrincipal":{"CanonicalUser":"abc"},"NotAction":"s3:*","NotResource":"arn:aws:s3:::b/pub/*"}]}"#,
    );
    assert_eq!(p.version.as_deref(), Some("2012-10-17"));
    assert_eq!(p.id.as_deref(), Some("P1"));
    assert_eq!(p.statements.len(), 2);
    let a = &p.statements[0];
    assert_eq!(a.effect, Effect::Allow);
    assert_eq!(
        a.principal,
        Match::Is(Principals::Named(vec!["arn:aws:iam::alice:root".into(), "bob".into()]))
    );
    assert_eq!(a.conditions.len(), 2);
    let c = a.conditions.iter().find(|c| c.key == "s3:prefix").unwrap();
    assert_eq!(c.operator, Operator::StringLike);
    assert_eq!(c.qualifier, Some(SetQualifier::ForAnyValue));
    assert!(c.if_exists);
    assert_eq!(c.key, "s3:prefix");
    let b = a.conditions.iter().find(|c| c.key == "aws:securetransport").unwrap();
    assert_eq!(b.values, vec!["true".to_string()]);
    let d = &p.statements[1];
    assert_eq!(d.effect, Effect::Deny);
    assert!(matches!(d.principal, Match::Not(_)));
    assert!(matches!(d.action, Match::Not(_)));
    assert!(matches!(d.resource, Match::Not(_)));
}

#[test]
fn a_single_statement_object_and_star_principals() {
    let p = policy(&format!(r#"{{"Statement":{{{OK}}}}}"#));
    assert_eq!(p.statements[0].principal, Match::Is(Principals::Anyone));
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":"*"}"#,
    ));
    assert_eq!(p.statements[0].principal, Match::Is(Principals::Anyone));
    let p = policy(&statement(
        r#"{"Effect":"Allow","Principal":{"AWS":["x","*"]},"Action":"s3:*","Resource":"arn:aws:s3:::b*"}"#,
    ));
    assert_eq!(p.statements[0].principal, Match::Is(Principals::Anyone));
}

#[test]
fn refuses_what_is_not_json_or_not_an_object() {
    let msg = "Policies must be valid JSON and the first byte must be '{'";
    for text in ["", "[]", "nope", "{", r#"{"Statement":[}"#, "  [1]"] {
        assert_eq!(refused(text), msg, "{text:?}");
    }
}

#[test]
fn refuses_bad_effects_actions_resources() {
    let cases = [
        (
            r#""Effect":"Allo","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#,
            "Invalid effect: Allo",
        ),
        (
            r#""Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#,
            "Invalid effect: allow",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::b/*""#,
            "Policy has invalid action",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::b/*""#,
            "Policy has invalid action",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":"s3:Zz*","Resource":"arn:aws:s3:::b/*""#,
            "Policy has invalid action",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":[],"Resource":"arn:aws:s3:::b/*""#,
            "Policy has invalid action",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*""#,
            "Policy has invalid resource",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bb/*""#,
            "Policy has invalid resource",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"b/*""#,
            "Policy has invalid resource",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::/x""#,
            "Policy has invalid resource",
        ),
        (
            r#""Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#,
            "Missing required field Effect",
        ),
        (
            r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#,
            "Missing required field Principal",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::b/*""#,
            "Missing required field Action",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject""#,
            "Missing required field Resource",
        ),
        (
            r#""Effect":"Allow","Principal":"bob","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#,
            "Invalid principal in policy",
        ),
        (
            r#""Effect":"Allow","Principal":{"AWS":"bo*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#,
            "Invalid principal in policy",
        ),
        (
            r#""Effect":"Allow","Principal":{"Federated":"x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#,
            "Invalid principal in policy",
        ),
        (
            r#""Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#,
            "Invalid principal in policy",
        ),
        (
            r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Bogus":1"#,
            "Unknown field Bogus",
        ),
    ];
    for (body, msg) in cases {
        assert_eq!(refused(&statement(&format!("{{{body}}}"))), msg, "{body}");
    }
}

#[test]
fn refuses_bad_conditions() {
    let with = |cond: &str| statement(&format!("{{{OK},\"Condition\":{cond}}}"));
    let cases = [
        (r#"{"StringEqualz":{"aws:username":"a"}}"#, "Invalid Condition type : StringEqualz"),
        (
            r#"{"ForSomeValues:StringEquals":{"aws:username":"a"}}"#,
            "Invalid Condition type : ForSomeValues:StringEquals",
        ),
        (r#"{"NullIfExists":{"aws:username":"true"}}"#, "Invalid Condition type : NullIfExists"),
        (r#"{"StringEquals":{"s3:bogus":"a"}}"#, "Policy has an invalid condition key"),
        (r#"{"StringEquals":{"bogus":"a"}}"#, "Policy has an invalid condition key"),
        (
            r#"{"NumericLessThan":{"s3:max-keys":"ten"}}"#,
            "Invalid Condition value for NumericLessThan: ten",
        ),
        (
            r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#,
            "Invalid Condition value for IpAddress: 10.0.0.0/33",
        ),
        (
            r#"{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}"#,
            "Invalid Condition value for DateGreaterThan: yesterday",
        ),
        (r#"{"Bool":{"aws:SecureTransport":"yes"}}"#, "Invalid Condition value for Bool: yes"),
        (
            r#"{"StringEquals":{"aws:username":{"a":1}}}"#,
            "Invalid Condition value for StringEquals",
        ),
        (r#"{"StringEquals":"a"}"#, "Invalid Condition block for StringEquals"),
        (r#"[]"#, "Condition must be an object"),
    ];
    for (cond, msg) in cases {
        assert_eq!(refused(&with(cond)), msg, "{cond}");
    }
}

#[test]
fn refuses_document_level_faults() {
    assert_eq!(refused(r#"{"Version":"2012-10-17"}"#), "Missing required field Statement");
    assert_eq!(
        refused(r#"{"Version":"2012-10-17","Statement":[]}"#),
        "Could not parse the policy: Statement is empty!"
    );
    assert_eq!(
        refused(&format!(r#"{{"Version":"2013-01-01","Statement":{{{OK}}}}}"#)),
        "The policy must contain a valid version string"
    );
    assert_eq!(refused(&format!(r#"{{"Statement":{{{OK}}},"Extra":1}}"#)), "Unknown field Extra");
    assert_eq!(
        refused(&format!(r#"{{"Statement":[{{"Sid":"x",{OK}}},{{"Sid":"x",{OK}}}]}}"#)),
        "Statement IDs (SID) in a single policy must be unique."
    );
    assert_eq!(
        refused(&format!(r#"{{"Statement":{{{OK},"NotAction":"s3:PutObject"}}}}"#)),
        "Statement can have only one of Action and NotAction"
    );
}

#[test]
fn refuses_policies_over_20_kb() {
    let sids: Vec<String> = (0..400).map(|i| format!(r#"{{"Sid":"s{i}",{OK}}}"#)).collect();
    let big = format!(r#"{{"Statement":[{}]}}"#, sids.join(","));
    assert!(big.len() > MAX_POLICY_BYTES);
    assert_eq!(refused(&big), "Policy exceeds the maximum allowed document size.");
    let fits: Vec<String> = (0..100).map(|i| format!(r#"{{"Sid":"s{i}",{OK}}}"#)).collect();
    policy(&format!(r#"{{"Statement":[{}]}}"#, fits.join(",")));
}

#[test]
fn operators_and_keys_are_case_insensitive() {
    let p = policy(&statement(&format!(
        r#"{{{OK},"Condition":{{"forallvalues:stringequalsignorecaseifexists":{{"AWS:UserName":"A"}}}}}}"#
    )));
    let c = &p.statements[0].conditions[0];
    assert_eq!(c.operator, Operator::StringEqualsIgnoreCase);
    assert_eq!(c.qualifier, Some(SetQualifier::ForAllValues));
    assert!(c.if_exists);
    assert_eq!(c.key, "aws:username");
}
