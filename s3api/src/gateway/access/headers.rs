//! `x-amz-acl` and `x-amz-grant-*` as an ACL, for CreateBucket,
//! PutObject, CopyObject, CreateMultipartUpload, PutBucketAcl and
//! PutObjectAcl.
//!
//! A grant header lists grantees, comma-separated: `id="CANONICAL-ID"`,
//! `uri="http://acs.amazonaws.com/groups/global/AllUsers"` (or
//! AuthenticatedUsers, or the LogDelivery group), and `emailAddress=`,
//! which S3 answers only in its oldest regions; like S3 everywhere else
//! we refuse it (400 UnresolvableGrantByEmailAddress). A canned ACL and
//! grant headers together are 400 InvalidRequest, as on S3.

use http::HeaderMap;
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::acl::{Acl, Grant, Grantee, Permission, canned, is_canonical_id};

/// The grant headers and the permission each grants.
const GRANT_HEADERS: [(&str, Permission); 5] = [
    ("x-amz-grant-read", Permission::Read),
    ("x-amz-grant-write", Permission::Write),
    ("x-amz-grant-read-acp", Permission::ReadAcp),
    ("x-amz-grant-write-acp", Permission::WriteAcp),
    ("x-amz-grant-full-control", Permission::FullControl),
];

/// What the ACL headers of a request ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Requested {
    /// No ACL header: the default.
    Nothing,
    /// `x-amz-acl`, by name.
    Canned(String),
    /// `x-amz-grant-*`: exactly these grants (the owner gets nothing
    /// implicit, as on S3).
    Grants(Vec<Grant>),
}

impl Requested {
    /// The ACL this asks for, of something `owner` owns in a bucket
    /// `bucket_owner` owns; `None` for [`Requested::Nothing`].
    pub(crate) fn to_acl(&self, owner: &str, bucket_owner: &str) -> S3Result<Option<Acl>> {
        match self {
            Requested::Nothing => Ok(None),
            Requested::Canned(name) => canned(name, owner, bucket_owner)
                .map(Some)
                .ok_or_else(|| invalid_argument(format!("unknown canned ACL {name:?}"))),
            Requested::Grants(grants) => {
                Ok(Some(Acl { owner: owner.to_string(), grants: grants.clone() }))
            }
        }
    }

    /// The canonical IDs the grants name (each must be a known owner's).
    pub(crate) fn ids(&self) -> Vec<&str> {
        match self {
            Requested::Grants(grants) => grants
                .iter()
                .filter_map(|g| match &g.grantee {
                    Grantee::Id(id) => Some(id.as_str()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// The ACL headers of `headers`.
pub(crate) fn requested(headers: &HeaderMap) -> S3Result<Requested> {
    let canned = match headers.get("x-amz-acl") {
        Some(v) => Some(v.to_str().map_err(|_| invalid_argument("x-amz-acl is not ASCII"))?),
        None => None,
    };
    let mut grants = Vec::new();
    let mut any_grant = false;
    for (name, permission) in GRANT_HEADERS {
        for value in headers.get_all(name) {
            any_grant = true;
            let value =
                value.to_str().map_err(|_| invalid_argument(format!("{name} is not ASCII")))?;
            for grantee in parse_grantees(value)? {
                grants.push(Grant { grantee, permission });
            }
        }
    }
    match (canned, any_grant) {
        (Some(_), true) => Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Specifying both Canned ACLs and Header Grants is not allowed",
        )),
        (Some(c), false) => Ok(Requested::Canned(c.trim().to_string())),
        (None, true) => Ok(Requested::Grants(grants)),
        (None, false) => Ok(Requested::Nothing),
    }
}

/// The grantees of one grant header's value.
pub(crate) fn parse_grantees(value: &str) -> S3Result<Vec<Grantee>> {
    let mut out = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let Some((kind, quoted)) = item.split_once('=') else {
            return Err(invalid_argument(format!("malformed grantee {item:?}")));
        };
        let v = quoted.trim();
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        let grantee = match kind.trim() {
            k if k.eq_ignore_ascii_case("id") => {
                if !is_canonical_id(v) {
                    return Err(invalid_argument("Invalid id"));
                }
                Grantee::Id(v.to_string())
            }
            k if k.eq_ignore_ascii_case("uri") => Grantee::group(v)
                .ok_or_else(|| invalid_argument(format!("Invalid group uri {v:?}")))?,
            k if k.eq_ignore_ascii_case("emailAddress") => {
                return Err(S3Error::with_message(
                    S3ErrorCode::UnresolvableGrantByEmailAddress,
                    "The e-mail address you provided does not match any account on record.",
                ));
            }
            other => return Err(invalid_argument(format!("unknown grantee type {other:?}"))),
        };
        out.push(grantee);
    }
    Ok(out)
}

fn invalid_argument(msg: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, msg.into())
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;
    use proptest::prelude::*;

    use super::{Requested, parse_grantees, requested};
    use crate::gateway::access::acl::{Grantee, Permission, canned};
    use crate::gateway::access::canonical::canonical_id;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn headers_become_acls() {
        assert_eq!(requested(&HeaderMap::new()).unwrap(), Requested::Nothing);
        let r = requested(&headers(&[("x-amz-acl", "public-read")])).unwrap();
        assert_eq!(r.to_acl("o", "o").unwrap(), canned("public-read", "o", "o"));
        let bad = requested(&headers(&[("x-amz-acl", "publicly")])).unwrap();
        assert_eq!(bad.to_acl("o", "o").unwrap_err().code().as_str(), "InvalidArgument");
        let id = canonical_id("bob");
        let value = format!("id=\"{id}\", uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"");
        let r = requested(&headers(&[
            ("x-amz-grant-read", &value),
            (
                "x-amz-grant-write-acp",
                "uri=http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
            ),
        ]))
        .unwrap();
        assert_eq!(r.ids(), vec![id.as_str()]);
        let acl = r.to_acl("o", "o").unwrap().unwrap();
        assert!(acl.allows(Some("bob"), Permission::Read));
        assert!(acl.allows(None, Permission::Read));
        assert!(acl.allows(Some("x"), Permission::WriteAcp));
        assert!(!acl.allows(Some("o"), Permission::Write), "grant headers replace the default");
        let both = headers(&[("x-amz-acl", "private"), ("x-amz-grant-read", &value)]);
        assert_eq!(requested(&both).unwrap_err().code().as_str(), "InvalidRequest");
    }

    #[test]
    fn grantee_lists_are_checked() {
        let all = "http://acs.amazonaws.com/groups/global/AllUsers";
        assert_eq!(parse_grantees(&format!("uri={all}")).unwrap(), vec![Grantee::AllUsers]);
        let code = |v: &str| parse_grantees(v).unwrap_err().code().as_str().to_string();
        assert_eq!(code("emailAddress=\"a@b.c\""), "UnresolvableGrantByEmailAddress");
        assert_eq!(code("id=\"nothex\""), "InvalidArgument");
        assert_eq!(code("uri=\"http://example.com/group\""), "InvalidArgument");
        assert_eq!(code("who=\"x\""), "InvalidArgument");
        assert_eq!(code("novalue"), "InvalidArgument");
    }

    proptest! {
        // No header value makes the parser panic, and whatever it accepts
        // round-trips through the stored form.
        #[test]
        fn any_grant_header_is_answered(value in "[ -~]{0,200}") {
            if let Ok(grantees) = parse_grantees(&value) {
                let grants = grantees
                    .into_iter()
                    .map(|grantee| crate::gateway::access::acl::Grant { grantee, permission: Permission::Read })
                    .collect();
                let acl = crate::gateway::access::acl::Acl { owner: value.clone(), grants };
                prop_assert_eq!(crate::gateway::access::acl::Acl::decode(&acl.encode()), Some(acl));
            }
        }

        #[test]
        fn any_stored_form_decodes_or_is_refused(stored in "(?s).{0,300}") {
            let _ = crate::gateway::access::acl::Acl::decode(&stored);
        }
    }
}
