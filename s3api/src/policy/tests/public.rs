use super::super::is_public;
use super::{policy, statement};

fn public(body: &str) -> bool {
    is_public(&policy(&statement(body)))
}

const GET: &str = r#""Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*""#;

#[test]
fn star_without_restriction_is_public() {
    assert!(public(&format!(r#"{{"Effect":"Allow","Principal":"*",{GET}}}"#)));
    assert!(public(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"*"}},{GET}}}"#)));
    assert!(public(&format!(r#"{{"Effect":"Allow","NotPrincipal":{{"AWS":"a"}},{GET}}}"#)));
    // Conditions that do not pin the caller leave it public.
    for cond in [
        r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
        r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
        r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","0.0.0.0/1"]}}"#,
        r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
        r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#,
        r#"{"StringLike":{"aws:SourceArn":"arn:aws:sns:*"}}"#,
        r#"{"StringEquals":{"s3:prefix":"x"}}"#,
    ] {
        assert!(
            public(&format!(r#"{{"Effect":"Allow","Principal":"*",{GET},"Condition":{cond}}}"#)),
            "{cond}"
        );
    }
}

#[test]
fn fixed_principals_or_restricting_conditions_are_not_public() {
    assert!(!public(&format!(r#"{{"Effect":"Allow","Principal":{{"AWS":"alice"}},{GET}}}"#)));
    assert!(!public(&format!(r#"{{"Effect":"Deny","Principal":"*",{GET}}}"#)));
    for cond in [
        r#"{"IpAddress":{"aws:SourceIp":"192.168.1.0/24"}}"#,
        r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}"#,
        r#"{"StringEquals":{"aws:SourceAccount":"123"}}"#,
        r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:1:t"}}"#,
        r#"{"StringEquals":{"aws:username":"alice"}}"#,
    ] {
        assert!(
            !public(&format!(r#"{{"Effect":"Allow","Principal":"*",{GET},"Condition":{cond}}}"#)),
            "{cond}"
        );
    }
}
