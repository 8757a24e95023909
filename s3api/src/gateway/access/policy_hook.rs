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
    let verdict = policy::evaluate(&parsed, &request(req));
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

/// The policy language's view of `req`.
fn request(req: &AccessRequest) -> policy::Request {
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
        // Object tags join the request once tagging lands: the addressed
        // version's tags here, PutObjectTagging's body as request tags.
        existing_tags: None,
        request_tags: None,
    })
}

/// The stored policy and Public Access Block of bucket `bucket`.
pub(crate) fn load(ix: &mut Index, bucket: &str) -> Result<BucketAccessConfig, IndexError> {
    ix.get_bucket_access_config(bucket)
}
