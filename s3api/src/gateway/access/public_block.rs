//! IgnorePublicAcls: while a bucket's Public Access Block has it on, the
//! ACLs a decision reads (the bucket's and the addressed version's) lose
//! their grants to AllUsers and AuthenticatedUsers, as on AWS — they stay
//! stored (GetBucketAcl still shows them) but grant nothing. BlockPublicAcls
//! (refusing to *set* such grants, [`is_public`]) is `gateway::public_acl`.

use super::acl::{Acl, Grantee};
use crate::index::PublicAccessBlock;

/// Whether `acl` grants anything to AllUsers or AuthenticatedUsers: a
/// public ACL, which BlockPublicAcls refuses to store.
pub(crate) fn is_public(acl: &Acl) -> bool {
    acl.grants.iter().any(|g| public_grantee(&g.grantee))
}

fn public_grantee(g: &Grantee) -> bool {
    matches!(g, Grantee::AllUsers | Grantee::AuthenticatedUsers)
}

/// `acl` as the decision may use it under `block`.
pub(crate) fn effective_acl(mut acl: Acl, block: Option<PublicAccessBlock>) -> Acl {
    if block.is_some_and(|b| b.ignore_public_acls) {
        acl.grants
            .retain(|g| !matches!(g.grantee, Grantee::AllUsers | Grantee::AuthenticatedUsers));
    }
    acl
}

#[cfg(test)]
mod tests {
    use super::{effective_acl, is_public};
    use crate::gateway::access::acl::{Permission, canned};
    use crate::index::PublicAccessBlock;

    #[test]
    fn ignore_public_acls_drops_public_grants_only() {
        let acl = canned("public-read-write", "o", "o").unwrap();
        assert!(acl.allows(None, Permission::Read));
        assert!(is_public(&acl));
        assert!(!is_public(&canned("log-delivery-write", "o", "o").unwrap()));
        let kept = effective_acl(acl.clone(), Some(PublicAccessBlock::default()));
        assert_eq!(kept, acl);
        let kept = effective_acl(acl.clone(), None);
        assert_eq!(kept, acl);
        let ignore = PublicAccessBlock { ignore_public_acls: true, ..PublicAccessBlock::default() };
        let private = effective_acl(acl, Some(ignore));
        assert!(!is_public(&private));
        assert!(!private.allows(None, Permission::Read));
        assert!(!private.allows(Some("x"), Permission::Write));
        assert!(private.allows(Some("o"), Permission::FullControl), "the owner's grant stays");
        let auth = effective_acl(canned("authenticated-read", "o", "o").unwrap(), Some(ignore));
        assert!(!auth.allows(Some("x"), Permission::Read));
    }
}
