//! Access control lists: the model, the canned ACLs, and the stored form.
//!
//! An [`Acl`] is an owner and its grants, as S3 has them. A bucket keeps
//! one on its row, an object one per version (on the version's row, so a
//! new write of a key never inherits the ACL of what it replaced). A row
//! without one (written before ACLs existed, or with the default) is
//! `private`: its owner, full control, nobody else.
//!
//! The stored form is text of one line per fact, so the index and the
//! file tags hold it without a serialization crate: the first line is the
//! percent-encoded owner name, each further line `PERMISSION id HEX` or
//! `PERMISSION group NAME`. [`Acl::decode`] refuses anything else rather
//! than guessing (a corrupt ACL must never grant).

use super::canonical::canonical_id;

/// The group URIs S3 grants to.
pub(crate) const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub(crate) const AUTHENTICATED_USERS: &str =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub(crate) const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

/// What a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permission {
    FullControl,
    Read,
    Write,
    ReadAcp,
    WriteAcp,
}

impl Permission {
    /// S3's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Permission::FullControl => "FULL_CONTROL",
            Permission::Read => "READ",
            Permission::Write => "WRITE",
            Permission::ReadAcp => "READ_ACP",
            Permission::WriteAcp => "WRITE_ACP",
        }
    }

    /// Parses S3's spelling.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "FULL_CONTROL" => Permission::FullControl,
            "READ" => Permission::Read,
            "WRITE" => Permission::Write,
            "READ_ACP" => Permission::ReadAcp,
            "WRITE_ACP" => Permission::WriteAcp,
            _ => return None,
        })
    }
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grantee {
    /// An owner, by canonical ID.
    Id(String),
    /// Everyone, anonymous requests included.
    AllUsers,
    /// Every signed request.
    AuthenticatedUsers,
    /// S3's log delivery group (granted by `log-delivery-write`; no
    /// requester of ours is in it).
    LogDelivery,
}

impl Grantee {
    /// The group of `uri`, if S3 has one by that URI.
    pub(crate) fn group(uri: &str) -> Option<Self> {
        match uri {
            ALL_USERS => Some(Grantee::AllUsers),
            AUTHENTICATED_USERS => Some(Grantee::AuthenticatedUsers),
            LOG_DELIVERY => Some(Grantee::LogDelivery),
            _ => None,
        }
    }

    /// The group's URI; `None` for an owner.
    pub(crate) fn uri(&self) -> Option<&'static str> {
        match self {
            Grantee::Id(_) => None,
            Grantee::AllUsers => Some(ALL_USERS),
            Grantee::AuthenticatedUsers => Some(AUTHENTICATED_USERS),
            Grantee::LogDelivery => Some(LOG_DELIVERY),
        }
    }

    /// Whether the requester (an owner name, `None` when anonymous) is
    /// this grantee.
    fn covers(&self, requester: Option<&str>) -> bool {
        match self {
            Grantee::Id(id) => requester.is_some_and(|r| *id == canonical_id(r)),
            Grantee::AllUsers => true,
            Grantee::AuthenticatedUsers => requester.is_some(),
            Grantee::LogDelivery => false,
        }
    }
}

/// One grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// An owner and its grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Acl {
    /// The owner's name.
    pub owner: String,
    pub grants: Vec<Grant>,
}

impl Acl {
    /// `private`: the owner has full control.
    pub(crate) fn private(owner: &str) -> Self {
        let grants = vec![Grant {
            grantee: Grantee::Id(canonical_id(owner)),
            permission: Permission::FullControl,
        }];
        Self { owner: owner.to_string(), grants }
    }

    /// Whether the requester (an owner name, `None` when anonymous) holds
    /// `wanted`, directly or through FULL_CONTROL.
    pub(crate) fn allows(&self, requester: Option<&str>, wanted: Permission) -> bool {
        self.grants.iter().any(|g| {
            (g.permission == wanted || g.permission == Permission::FullControl)
                && g.grantee.covers(requester)
        })
    }

    /// The stored form (see the module docs).
    pub(crate) fn encode(&self) -> String {
        let owner = percent_encoding::utf8_percent_encode(&self.owner, STORED);
        let mut out = owner.to_string();
        for g in &self.grants {
            out.push('\n');
            out.push_str(g.permission.as_str());
            match &g.grantee {
                Grantee::Id(id) => {
                    out.push_str(" id ");
                    out.push_str(id);
                }
                Grantee::AllUsers => out.push_str(" group AllUsers"),
                Grantee::AuthenticatedUsers => out.push_str(" group AuthenticatedUsers"),
                Grantee::LogDelivery => out.push_str(" group LogDelivery"),
            }
        }
        out
    }

    /// Reads the stored form; `None` if it is not one.
    pub(crate) fn decode(stored: &str) -> Option<Self> {
        let mut lines = stored.split('\n');
        let owner = percent_encoding::percent_decode_str(lines.next()?).decode_utf8().ok()?;
        let mut grants = Vec::new();
        for line in lines {
            let mut words = line.split(' ');
            let permission = Permission::parse(words.next()?)?;
            let grantee = match (words.next()?, words.next()?) {
                ("id", id) if is_canonical_id(id) => Grantee::Id(id.to_string()),
                ("group", "AllUsers") => Grantee::AllUsers,
                ("group", "AuthenticatedUsers") => Grantee::AuthenticatedUsers,
                ("group", "LogDelivery") => Grantee::LogDelivery,
                _ => return None,
            };
            if words.next().is_some() {
                return None;
            }
            grants.push(Grant { grantee, permission });
        }
        Some(Self { owner: owner.into_owned(), grants })
    }
}

/// Whether `id` looks like a canonical ID: 64 lower-case hex digits (or
/// the 32 of AWS's anonymous principal).
pub(crate) fn is_canonical_id(id: &str) -> bool {
    (id.len() == 64 || id.len() == 32)
        && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What the owner line escapes: controls (the newline above all), `%`
/// and space.
const STORED: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b'%').add(b' ');

/// A canned ACL by its `x-amz-acl` name, for an object or bucket owned by
/// `owner` in a bucket owned by `bucket_owner`; `None` if S3 has no such
/// canned ACL.
pub(crate) fn canned(name: &str, owner: &str, bucket_owner: &str) -> Option<Acl> {
    let mut acl = Acl::private(owner);
    let mut add = |grantee: Grantee, permission: Permission| {
        acl.grants.push(Grant { grantee, permission });
    };
    match name {
        "private" | "aws-exec-read" => {}
        "public-read" => add(Grantee::AllUsers, Permission::Read),
        "public-read-write" => {
            add(Grantee::AllUsers, Permission::Read);
            add(Grantee::AllUsers, Permission::Write);
        }
        "authenticated-read" => add(Grantee::AuthenticatedUsers, Permission::Read),
        "bucket-owner-read" if bucket_owner != owner => {
            add(Grantee::Id(canonical_id(bucket_owner)), Permission::Read);
        }
        "bucket-owner-full-control" if bucket_owner != owner => {
            add(Grantee::Id(canonical_id(bucket_owner)), Permission::FullControl);
        }
        "bucket-owner-read" | "bucket-owner-full-control" => {}
        "log-delivery-write" => {
            add(Grantee::LogDelivery, Permission::Write);
            add(Grantee::LogDelivery, Permission::ReadAcp);
        }
        _ => return None,
    }
    Some(acl)
}

#[cfg(test)]
mod tests {
    use super::{Acl, Grant, Grantee, Permission, canned};
    use crate::gateway::access::canonical::canonical_id;

    #[test]
    fn canned_acls_grant_what_s3_says() {
        let p = canned("public-read", "a", "a").unwrap();
        assert!(p.allows(None, Permission::Read));
        assert!(!p.allows(None, Permission::Write));
        assert!(p.allows(Some("a"), Permission::WriteAcp));
        assert!(!p.allows(Some("b"), Permission::ReadAcp));
        let rw = canned("public-read-write", "a", "a").unwrap();
        assert!(rw.allows(None, Permission::Write));
        let auth = canned("authenticated-read", "a", "a").unwrap();
        assert!(!auth.allows(None, Permission::Read));
        assert!(auth.allows(Some("b"), Permission::Read));
        let bofc = canned("bucket-owner-full-control", "w", "o").unwrap();
        assert!(bofc.allows(Some("o"), Permission::WriteAcp));
        assert_eq!(canned("bucket-owner-full-control", "o", "o").unwrap(), Acl::private("o"));
        let bor = canned("bucket-owner-read", "w", "o").unwrap();
        assert!(bor.allows(Some("o"), Permission::Read));
        assert!(!bor.allows(Some("o"), Permission::Write));
        let private = canned("private", "a", "a").unwrap();
        assert!(!private.allows(None, Permission::Read));
        assert!(canned("log-delivery-write", "a", "a").is_some());
        assert!(canned("public", "a", "a").is_none());
    }

    #[test]
    fn the_stored_form_round_trips_and_refuses_garbage() {
        let mut acl = canned("public-read-write", "odd owner\n%", "x").unwrap();
        acl.grants.push(Grant {
            grantee: Grantee::Id(canonical_id("b")),
            permission: Permission::ReadAcp,
        });
        acl.grants
            .push(Grant { grantee: Grantee::AuthenticatedUsers, permission: Permission::Write });
        acl.grants.push(Grant { grantee: Grantee::LogDelivery, permission: Permission::WriteAcp });
        let stored = acl.encode();
        assert_eq!(stored.lines().count(), 1 + acl.grants.len());
        assert_eq!(Acl::decode(&stored), Some(acl));
        for bad in [
            "o\nREAD",
            "o\nREAD id 12",
            "o\nREAD group Nobody",
            "o\nSEE group AllUsers",
            "o\nREAD group AllUsers extra",
            "%ff",
        ] {
            assert_eq!(Acl::decode(bad), None, "{bad:?}");
        }
        assert_eq!(Acl::decode("o"), Some(Acl { owner: "o".into(), grants: vec![] }));
    }
}
