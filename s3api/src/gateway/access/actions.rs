//! Each S3 operation as an IAM action, and which ACL permission (on the
//! bucket or on the object) grants it, as S3's ACL documentation maps
//! them: bucket READ lists, bucket WRITE creates and deletes objects,
//! object READ reads, READ_ACP/WRITE_ACP read and write the ACL of what
//! they are granted on. Everything else (bucket configuration, tags,
//! retention) only the bucket owner, or a bucket policy, may do.

use super::acl::Permission;

/// What grants an operation besides owning the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// No bucket: any signed requester (ListBuckets).
    Service,
    /// CreateBucket: any signed requester; the bucket is theirs.
    Create,
    /// The bucket's ACL, with this permission (`None`: no ACL grants it).
    Bucket(Option<Permission>),
    /// The addressed object version's ACL, with this permission.
    Object(Option<Permission>),
}

/// The IAM action and scope of operation `op` (s3s's operation name);
/// `versioned` when the request names a version ID, which some actions
/// spell differently (`s3:GetObjectVersion`).
pub(crate) fn of(op: &str, versioned: bool) -> (&'static str, Scope) {
    use Permission::{Read, ReadAcp, Write, WriteAcp};
    let v = |plain: &'static str, version: &'static str| if versioned { version } else { plain };
    match op {
        "ListBuckets" => ("s3:ListAllMyBuckets", Scope::Service),
        "CreateBucket" => ("s3:CreateBucket", Scope::Create),
        "HeadBucket" | "ListObjects" | "ListObjectsV2" => {
            ("s3:ListBucket", Scope::Bucket(Some(Read)))
        }
        "ListObjectVersions" => ("s3:ListBucketVersions", Scope::Bucket(Some(Read))),
        "ListMultipartUploads" => ("s3:ListBucketMultipartUploads", Scope::Bucket(Some(Read))),
        "GetObject" | "HeadObject" => {
            (v("s3:GetObject", "s3:GetObjectVersion"), Scope::Object(Some(Read)))
        }
        "GetObjectAttributes" => (
            v("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
            Scope::Object(Some(Read)),
        ),
        "PutObject"
        | "CopyObject"
        | "CreateMultipartUpload"
        | "UploadPart"
        | "UploadPartCopy"
        | "CompleteMultipartUpload"
        | "PostObject" => ("s3:PutObject", Scope::Bucket(Some(Write))),
        "AbortMultipartUpload" => ("s3:AbortMultipartUpload", Scope::Bucket(Some(Write))),
        "ListParts" => ("s3:ListMultipartUploadParts", Scope::Bucket(Some(Write))),
        "DeleteObject" => {
            (v("s3:DeleteObject", "s3:DeleteObjectVersion"), Scope::Bucket(Some(Write)))
        }
        "DeleteObjects" => ("s3:DeleteObject", Scope::Bucket(Some(Write))),
        "GetBucketAcl" => ("s3:GetBucketAcl", Scope::Bucket(Some(ReadAcp))),
        "PutBucketAcl" => ("s3:PutBucketAcl", Scope::Bucket(Some(WriteAcp))),
        "GetObjectAcl" => {
            (v("s3:GetObjectAcl", "s3:GetObjectVersionAcl"), Scope::Object(Some(ReadAcp)))
        }
        "PutObjectAcl" => {
            (v("s3:PutObjectAcl", "s3:PutObjectVersionAcl"), Scope::Object(Some(WriteAcp)))
        }
        other => (owner_only(other, versioned), scope_of_owner_only(other)),
    }
}

/// The actions only the bucket owner (or a policy) grants.
fn owner_only(op: &str, versioned: bool) -> &'static str {
    let v = |plain: &'static str, version: &'static str| if versioned { version } else { plain };
    match op {
        "DeleteBucket" => "s3:DeleteBucket",
        "GetBucketLocation" => "s3:GetBucketLocation",
        "GetBucketVersioning" => "s3:GetBucketVersioning",
        "PutBucketVersioning" => "s3:PutBucketVersioning",
        "GetBucketLifecycleConfiguration" => "s3:GetLifecycleConfiguration",
        "PutBucketLifecycleConfiguration" | "DeleteBucketLifecycle" => {
            "s3:PutLifecycleConfiguration"
        }
        "GetBucketEncryption" => "s3:GetEncryptionConfiguration",
        "PutBucketEncryption" | "DeleteBucketEncryption" => "s3:PutEncryptionConfiguration",
        "GetObjectLockConfiguration" => "s3:GetBucketObjectLockConfiguration",
        "PutObjectLockConfiguration" => "s3:PutBucketObjectLockConfiguration",
        "GetObjectRetention" => "s3:GetObjectRetention",
        "PutObjectRetention" => "s3:PutObjectRetention",
        "GetObjectLegalHold" => "s3:GetObjectLegalHold",
        "PutObjectLegalHold" => "s3:PutObjectLegalHold",
        "GetBucketPolicy" => "s3:GetBucketPolicy",
        "PutBucketPolicy" => "s3:PutBucketPolicy",
        "DeleteBucketPolicy" => "s3:DeleteBucketPolicy",
        "GetBucketPolicyStatus" => "s3:GetBucketPolicyStatus",
        "GetBucketTagging" => "s3:GetBucketTagging",
        "PutBucketTagging" | "DeleteBucketTagging" => "s3:PutBucketTagging",
        "GetObjectTagging" => v("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
        "PutObjectTagging" => v("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
        "DeleteObjectTagging" => v("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
        "GetBucketCors" => "s3:GetBucketCORS",
        "PutBucketCors" | "DeleteBucketCors" => "s3:PutBucketCORS",
        "GetPublicAccessBlock" => "s3:GetBucketPublicAccessBlock",
        "PutPublicAccessBlock" | "DeletePublicAccessBlock" => "s3:PutBucketPublicAccessBlock",
        "GetBucketOwnershipControls" => "s3:GetBucketOwnershipControls",
        "PutBucketOwnershipControls" | "DeleteBucketOwnershipControls" => {
            "s3:PutBucketOwnershipControls"
        }
        "RestoreObject" => "s3:RestoreObject",
        // An operation this table does not know: only what grants every
        // action (`s3:*`) can grant it.
        _ => "s3:*",
    }
}

/// Owner-only operations on an object are object-scoped (their policy
/// resource is the object), the rest bucket-scoped.
fn scope_of_owner_only(op: &str) -> Scope {
    if op.contains("Object") && !op.contains("LockConfiguration") {
        Scope::Object(None)
    } else {
        Scope::Bucket(None)
    }
}

#[cfg(test)]
mod tests {
    use super::{Scope, of};
    use crate::gateway::access::acl::Permission;

    #[test]
    fn operations_map_to_actions_and_acl_permissions() {
        assert_eq!(of("GetObject", false), ("s3:GetObject", Scope::Object(Some(Permission::Read))));
        assert_eq!(of("GetObject", true).0, "s3:GetObjectVersion");
        assert_eq!(of("HeadObject", false).0, "s3:GetObject");
        assert_eq!(
            of("ListObjectsV2", false),
            ("s3:ListBucket", Scope::Bucket(Some(Permission::Read)))
        );
        assert_eq!(
            of("PutObject", false),
            ("s3:PutObject", Scope::Bucket(Some(Permission::Write)))
        );
        assert_eq!(of("DeleteObject", true).0, "s3:DeleteObjectVersion");
        assert_eq!(of("PutBucketAcl", false).1, Scope::Bucket(Some(Permission::WriteAcp)));
        assert_eq!(
            of("GetObjectAcl", true),
            ("s3:GetObjectVersionAcl", Scope::Object(Some(Permission::ReadAcp)))
        );
        assert_eq!(
            of("PutBucketVersioning", false),
            ("s3:PutBucketVersioning", Scope::Bucket(None))
        );
        assert_eq!(of("PutObjectTagging", false), ("s3:PutObjectTagging", Scope::Object(None)));
        assert_eq!(of("PutObjectLockConfiguration", false).1, Scope::Bucket(None));
        assert_eq!(of("ListBuckets", false).1, Scope::Service);
        assert_eq!(of("CreateBucket", false).1, Scope::Create);
        assert_eq!(of("SomethingNew", false), ("s3:*", Scope::Bucket(None)));
    }
}
