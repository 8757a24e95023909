//! Where bucket policies and the Public Access Block plug into the access
//! decision.
//!
//! [`super::decide`] asks [`verdict`] for the bucket's policy verdict
//! before it looks at ownership and ACLs: an explicit Deny refuses even
//! the bucket owner, an Allow grants what ownership and ACLs do not, and
//! no opinion leaves the decision to them. [`load`] reads the policy and
//! the Public Access Block a bucket has (one snapshot for the two), in the
//! same index job that reads the bucket's owner and ACL.
//!
//! Three rules beyond [`crate::policy::evaluate`]:
//! - RestrictPublicBuckets: while the bucket's policy is public, its
//!   Allows count for the bucket owner only;
//! - the bucket owner may always read, replace and delete the bucket's
//!   policy, whatever it says (AWS's root-user rule), so no policy can
//!   lock its bucket for good;
//! - a stored policy that no longer parses (written by a newer build)
//!   denies everyone but that: failing closed.

use std::time::SystemTime;

use super::canonical::canonical_id;
use super::decide::Facts;
use super::request::AccessRequest;
use crate::index::{BucketAccessConfig, Index, IndexError};
use crate::policy::{self, Verdict, context};

/// What a bucket policy says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PolicyVerdict {
    /// A statement denies it: refused, whoever asks.
    ExplicitDeny,
    /// A statement allows it (and none denies).
    Allow,
    /// No statement applies.
    NoOpinion,
}

/// The actions the bucket owner keeps whatever the policy says.
const OWNER_KEEPS: [&str; 3] =
    ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"];

/// The verdict of the bucket's policy (in `facts`) on `req`, with the
/// Public Access Block and the owner's rule applied.
pub(crate) fn verdict(facts: &Facts, req: &AccessRequest) -> PolicyVerdict {
    let (Some(text), Some(bucket)) = (&facts.policy, &req.bucket) else {
        return PolicyVerdict::NoOpinion;
    };
    let is_owner = req.owner() == Some(facts.bucket_owner.as_str());
    if is_owner && OWNER_KEEPS.contains(&req.action) {
        return PolicyVerdict::NoOpinion;
    }
    let parsed = match policy::parse(text, bucket) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(bucket, reason = %e, "stored bucket policy does not parse: denying");
            return PolicyVerdict::ExplicitDeny;
        }
    };
    let verdict = policy::evaluate(&parsed, &request(req, facts.existing_tags.as_deref()));
    let restrict = facts.public_access_block.is_some_and(|b| b.restrict_public_buckets);
    match verdict {
        Verdict::ExplicitDeny => PolicyVerdict::ExplicitDeny,
        Verdict::Allow if restrict && !is_owner && policy::is_public(&parsed) => {
            tracing::debug!(bucket, "public policy restricted by RestrictPublicBuckets");
            PolicyVerdict::NoOpinion
        }
        Verdict::Allow => PolicyVerdict::Allow,
        Verdict::NoOpinion => PolicyVerdict::NoOpinion,
    }
}

/// Whether a policy tests the addressed object's tags, so the decision
/// must look them up (an index read the other requests are spared).
pub(crate) fn wants_tags(policy: Option<&str>) -> bool {
    policy.is_some_and(|p| p.to_ascii_lowercase().contains("s3:existingobjecttag/"))
}

/// The policy language's view of `req`; `existing_tags` are the addressed
/// version's tags when the decision looked them up.
fn request(req: &AccessRequest, existing_tags: Option<&[(String, String)]>) -> policy::Request {
    let owner = req.owner();
    let canonical = owner.map(canonical_id);
    context::build(&context::Facts {
        action: req.action,
        bucket: req.bucket.as_deref().unwrap_or_default(),
        key: req.key.as_deref(),
        owner,
        canonical_id: canonical.as_deref(),
        source_ip: req.source_ip,
        secure_transport: req.secure_transport,
        headers: &req.headers,
        query: req.query.as_deref(),
        now: SystemTime::now(),
        existing_tags,
        // PutObjectTagging's body could join here; `x-amz-tagging` already
        // does (see `policy::context`).
        request_tags: None,
    })
}

/// The stored policy and Public Access Block of bucket `bucket`.
pub(crate) fn load(ix: &mut Index, bucket: &str) -> Result<BucketAccessConfig, IndexError> {
    ix.get_bucket_access_config(bucket)
}

#[cfg(test)]
mod tests {
    use super::{PolicyVerdict, verdict, wants_tags};
    use crate::gateway::access::decide::Facts;
    use crate::gateway::access::request::{AccessRequest, Principal};
    use crate::index::PublicAccessBlock;

    fn req(owner: Option<&str>, action: &'static str) -> AccessRequest {
        AccessRequest {
            action,
            bucket: Some("b".into()),
            key: Some("k".into()),
            requester: owner.map(|o| Principal { owner: o.into(), admin: false }),
            source_ip: Some("127.0.0.1".parse().unwrap()),
            secure_transport: false,
            headers: http::HeaderMap::new(),
            query: None,
        }
    }

    fn facts(policy: &str) -> Facts {
        Facts { bucket_owner: "o".into(), policy: Some(policy.into()), ..Facts::default() }
    }

    const PUBLIC: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
        {"Effect":"Deny","Principal":"*","Action":"s3:*Policy","Resource":"arn:aws:s3:::b"}]}"#;

    #[test]
    fn restrict_public_buckets_keeps_the_owner_only() {
        let mut f = facts(PUBLIC);
        assert_eq!(verdict(&f, &req(None, "s3:GetObject")), PolicyVerdict::Allow);
        f.public_access_block =
            Some(PublicAccessBlock { restrict_public_buckets: true, ..Default::default() });
        assert_eq!(verdict(&f, &req(None, "s3:GetObject")), PolicyVerdict::NoOpinion);
        assert_eq!(verdict(&f, &req(Some("x"), "s3:GetObject")), PolicyVerdict::NoOpinion);
        assert_eq!(verdict(&f, &req(Some("o"), "s3:GetObject")), PolicyVerdict::Allow);
    }

    #[test]
    fn the_owner_keeps_the_policy_calls_and_a_broken_policy_denies() {
        let f = facts(PUBLIC);
        let mut r = req(Some("o"), "s3:PutBucketPolicy");
        r.key = None;
        assert_eq!(verdict(&f, &r), PolicyVerdict::NoOpinion);
        let mut r = req(Some("x"), "s3:PutBucketPolicy");
        r.key = None;
        assert_eq!(verdict(&f, &r), PolicyVerdict::ExplicitDeny);
        let broken = facts("{not json");
        assert_eq!(verdict(&broken, &req(Some("x"), "s3:GetObject")), PolicyVerdict::ExplicitDeny);
        assert_eq!(
            verdict(&Facts::default(), &req(None, "s3:GetObject")),
            PolicyVerdict::NoOpinion
        );
    }

    #[test]
    fn existing_tags_feed_conditions() {
        let p = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
            "Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:ExistingObjectTag/class":"public"}}}}"#;
        assert!(wants_tags(Some(p)));
        assert!(!wants_tags(Some(PUBLIC)));
        let mut f = facts(p);
        assert_eq!(verdict(&f, &req(None, "s3:GetObject")), PolicyVerdict::NoOpinion);
        f.existing_tags = Some(vec![("class".into(), "public".into())]);
        assert_eq!(verdict(&f, &req(None, "s3:GetObject")), PolicyVerdict::Allow);
    }
}
