//! Where bucket policies plug into the access decision.
//!
//! [`super::decide`] asks [`evaluate`] for the bucket's policy verdict
//! before it looks at ownership and ACLs: an explicit Deny refuses even
//! the bucket owner, an Allow grants what ownership and ACLs do not, and
//! no opinion leaves the decision to them. [`load`] reads the policy a
//! bucket has, in the same index snapshot as the bucket's owner and ACL.
//!
//! Until bucket policies land this answers [`PolicyVerdict::NoOpinion`]
//! and no bucket has a policy.

use super::request::AccessRequest;
use crate::index::{Index, IndexError};

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

/// The verdict of `policy` (the bucket's policy document as stored, if it
/// has one) on `req`.
pub(crate) fn evaluate(policy: &Option<String>, req: &AccessRequest) -> PolicyVerdict {
    let _ = (policy, req);
    PolicyVerdict::NoOpinion
}

/// The stored policy of bucket `bucket`, if any.
pub(crate) fn load(ix: &mut Index, bucket: &str) -> Result<Option<String>, IndexError> {
    let _ = (ix, bucket);
    Ok(None)
}
