//! The decision itself: pure, over the request and the facts the index
//! holds about its bucket and object, so every rule is unit-tested here.
//!
//! In order:
//! 1. a bucket policy's explicit Deny refuses, whoever asks;
//! 2. the bucket owner may do anything (S3 lets the bucket owner at
//!    objects others wrote only through grants or BucketOwnerEnforced;
//!    here the bucket owner always can: every owner of a bucket could
//!    already do so before ACLs existed, and an owner locked out of their
//!    own bucket's objects helps nobody);
//! 3. a bucket policy's Allow grants;
//! 4. unless the bucket enforces bucket ownership (ACLs disabled), an ACL
//!    grants: the bucket's for bucket-scoped actions, the addressed
//!    version's for object-scoped ones, whose owner also always reads and
//!    writes its ACL;
//! 5. everything else is refused.

use super::acl::{Acl, Permission};
use super::actions::Scope;
use super::policy_hook::{self, PolicyVerdict};
use super::request::AccessRequest;

/// What the index knows about the bucket (and object) a request addresses.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    /// The bucket's owner.
    pub bucket_owner: String,
    /// The bucket's ACL; `None` is `private`.
    pub bucket_acl: Option<Acl>,
    /// Whether ACLs count (Object Ownership is not BucketOwnerEnforced).
    pub acls_enabled: bool,
    /// The addressed object version's ACL, when the action is
    /// object-scoped and the version exists.
    pub object_acl: Option<Acl>,
    /// The bucket's policy document, if it has one.
    pub policy: Option<String>,
}

/// Why a request was allowed, or that it was not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The requester owns the bucket.
    Owner,
    /// A policy or an ACL grants it.
    Granted,
    /// Refused.
    Denied,
}

/// Decides `req` (of `scope`) against `facts`.
pub(crate) fn decide(req: &AccessRequest, scope: Scope, facts: &Facts) -> Decision {
    let policy = policy_hook::evaluate(&facts.policy, req);
    if policy == PolicyVerdict::ExplicitDeny {
        return Decision::Denied;
    }
    let me = req.owner();
    if me == Some(facts.bucket_owner.as_str()) {
        return Decision::Owner;
    }
    if policy == PolicyVerdict::Allow {
        return Decision::Granted;
    }
    if facts.acls_enabled && acl_grants(me, scope, facts) {
        return Decision::Granted;
    }
    Decision::Denied
}

/// Whether the ACL that governs `scope` grants it to `me`.
fn acl_grants(me: Option<&str>, scope: Scope, facts: &Facts) -> bool {
    match scope {
        Scope::Bucket(Some(wanted)) => match &facts.bucket_acl {
            Some(acl) => acl.allows(me, wanted),
            None => false,
        },
        Scope::Object(Some(wanted)) => facts.object_acl.as_ref().is_some_and(|acl| {
            let owns = me.is_some_and(|m| m == acl.owner);
            let acp = matches!(wanted, Permission::ReadAcp | Permission::WriteAcp);
            (owns && acp) || acl.allows(me, wanted)
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{Decision, Facts, decide};
    use crate::gateway::access::acl::{Permission, canned};
    use crate::gateway::access::actions::Scope;
    use crate::gateway::access::request::{AccessRequest, Principal};

    fn req(owner: Option<&str>) -> AccessRequest {
        AccessRequest {
            action: "s3:GetObject",
            bucket: Some("b".into()),
            key: Some("k".into()),
            requester: owner.map(|o| Principal { owner: o.into(), admin: false }),
            source_ip: None,
            secure_transport: false,
            headers: http::HeaderMap::new(),
            query: None,
        }
    }

    fn facts(bucket_acl: Option<&str>, object_acl: Option<&str>) -> Facts {
        Facts {
            bucket_owner: "o".into(),
            bucket_acl: bucket_acl.map(|c| canned(c, "o", "o").unwrap()),
            acls_enabled: true,
            object_acl: object_acl.map(|c| canned(c, "w", "o").unwrap()),
            policy: None,
        }
    }

    const READ: Scope = Scope::Bucket(Some(Permission::Read));
    const WRITE: Scope = Scope::Bucket(Some(Permission::Write));
    const GET: Scope = Scope::Object(Some(Permission::Read));
    const OWNER_ONLY: Scope = Scope::Bucket(None);

    #[test]
    fn owners_pass_and_strangers_do_not() {
        let f = facts(None, None);
        assert_eq!(decide(&req(Some("o")), OWNER_ONLY, &f), Decision::Owner);
        assert_eq!(decide(&req(Some("o")), GET, &f), Decision::Owner);
        assert_eq!(decide(&req(Some("x")), READ, &f), Decision::Denied);
        assert_eq!(decide(&req(None), READ, &f), Decision::Denied);
        assert_eq!(decide(&req(Some("x")), GET, &f), Decision::Denied);
    }

    #[test]
    fn bucket_acls_grant_bucket_actions_only() {
        let f = facts(Some("public-read"), None);
        assert_eq!(decide(&req(None), READ, &f), Decision::Granted);
        assert_eq!(decide(&req(None), WRITE, &f), Decision::Denied);
        assert_eq!(decide(&req(None), OWNER_ONLY, &f), Decision::Denied);
        // A public bucket does not make its objects readable.
        assert_eq!(decide(&req(None), GET, &f), Decision::Denied);
        let f = facts(Some("public-read-write"), None);
        assert_eq!(decide(&req(None), WRITE, &f), Decision::Granted);
        let f = facts(Some("authenticated-read"), None);
        assert_eq!(decide(&req(None), READ, &f), Decision::Denied);
        assert_eq!(decide(&req(Some("x")), READ, &f), Decision::Granted);
    }

    #[test]
    fn object_acls_grant_object_actions() {
        let f = facts(None, Some("public-read"));
        assert_eq!(decide(&req(None), GET, &f), Decision::Granted);
        assert_eq!(
            decide(&req(None), Scope::Object(Some(Permission::ReadAcp)), &f),
            Decision::Denied
        );
        // The object's writer keeps its ACL even without a grant.
        let mut f = facts(None, Some("private"));
        f.object_acl.as_mut().unwrap().grants.clear();
        let acp = Scope::Object(Some(Permission::WriteAcp));
        assert_eq!(decide(&req(Some("w")), acp, &f), Decision::Granted);
        assert_eq!(decide(&req(Some("w")), GET, &f), Decision::Denied);
    }

    #[test]
    fn enforced_bucket_ownership_turns_acls_off() {
        let mut f = facts(Some("public-read"), Some("public-read"));
        f.acls_enabled = false;
        assert_eq!(decide(&req(None), READ, &f), Decision::Denied);
        assert_eq!(decide(&req(None), GET, &f), Decision::Denied);
        assert_eq!(decide(&req(Some("o")), GET, &f), Decision::Owner);
    }
}
