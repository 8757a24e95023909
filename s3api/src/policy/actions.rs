//! The S3 actions a bucket policy may name, and the condition keys it
//! may test. AWS refuses a policy naming an action that does not exist
//! ("Policy has invalid action") or a key S3 does not know ("Policy has
//! an invalid condition key"), so a typo is caught at PutBucketPolicy
//! instead of silently granting nothing.

/// S3's actions, as IAM names them (compared case-insensitively).
pub const S3_ACTIONS: &[&str] = &[
    "AbortMultipartUpload",
    "BypassGovernanceRetention",
    "CreateBucket",
    "DeleteBucket",
    "DeleteBucketOwnershipControls",
    "DeleteBucketPolicy",
    "DeleteBucketWebsite",
    "DeleteObject",
    "DeleteObjectTagging",
    "DeleteObjectVersion",
    "DeleteObjectVersionTagging",
    "GetAccelerateConfiguration",
    "GetAnalyticsConfiguration",
    "GetBucketAcl",
    "GetBucketCORS",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketNotification",
    "GetBucketObjectLockConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketPublicAccessBlock",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetEncryptionConfiguration",
    "GetInventoryConfiguration",
    "GetLifecycleConfiguration",
    "GetMetricsConfiguration",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "GetObjectVersion",
    "GetObjectVersionAcl",
    "GetObjectVersionAttributes",
    "GetObjectVersionForReplication",
    "GetObjectVersionTagging",
    "GetObjectVersionTorrent",
    "GetReplicationConfiguration",
    "ListAllMyBuckets",
    "ListBucket",
    "ListBucketMultipartUploads",
    "ListBucketVersions",
    "ListMultipartUploadParts",
    "ObjectOwnerOverrideToBucketOwner",
    "PutAccelerateConfiguration",
    "PutAnalyticsConfiguration",
    "PutBucketAcl",
    "PutBucketCORS",
    "PutBucketLogging",
    "PutBucketNotification",
    "PutBucketObjectLockConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketPublicAccessBlock",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutEncryptionConfiguration",
    "PutInventoryConfiguration",
    "PutLifecycleConfiguration",
    "PutMetricsConfiguration",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutObjectVersionAcl",
    "PutObjectVersionTagging",
    "PutReplicationConfiguration",
    "ReplicateDelete",
    "ReplicateObject",
    "ReplicateTags",
    "RestoreObject",
];

/// Whether `action` (as written in a policy) names S3 actions: `*`, or
/// `s3:` followed by a wildcard pattern or a known action.
pub fn valid_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    if !service.eq_ignore_ascii_case("s3") || name.is_empty() {
        return false;
    }
    if name.contains(['*', '?']) {
        return S3_ACTIONS.iter().any(|a| super::wildcard::matches(name, a, true));
    }
    S3_ACTIONS.iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// S3's own condition keys (lowercased); `s3:ExistingObjectTag/<k>` and
/// `s3:RequestObjectTag/<k>` are prefixes, and every `aws:` key is a
/// global key IAM accepts.
const S3_KEYS: &[&str] = &[
    "s3:prefix",
    "s3:delimiter",
    "s3:max-keys",
    "s3:x-amz-acl",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-copy-source",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-storage-class",
    "s3:x-amz-content-sha256",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write-acp",
    "s3:x-amz-grant-full-control",
    "s3:versionid",
    "s3:locationconstraint",
    "s3:requestobjecttagkeys",
    "s3:object-lock-mode",
    "s3:object-lock-retain-until-date",
    "s3:object-lock-remaining-retention-days",
    "s3:object-lock-legal-hold",
    "s3:signatureversion",
    "s3:signatureage",
    "s3:authtype",
    "s3:tlsversion",
    "s3:resourceaccount",
];

/// Whether `key` (lowercased) is a condition key a bucket policy may use.
pub fn valid_condition_key(key: &str) -> bool {
    if let Some(name) = key.strip_prefix("aws:") {
        return !name.is_empty();
    }
    for prefix in ["s3:existingobjecttag/", "s3:requestobjecttag/"] {
        if let Some(tag) = key.strip_prefix(prefix) {
            return !tag.is_empty();
        }
    }
    S3_KEYS.contains(&key)
}
