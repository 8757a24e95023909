//! The configurations a backup carries, one [`Section`] each: how to read
//! it from the index as its S3 XML body, and how to put an XML body back,
//! validated as the S3 `Put` call validates it.
//!
//! Order matters on import: versioning comes before Object Lock, which
//! needs it Enabled. A bucket policy is kept as the JSON GetBucketPolicy
//! answers, the bucket's `access` (its ACL in fdfs's stored form, its
//! Object Ownership and its `key allow` grants, which S3 has no document
//! for) as JSON of its own, every other configuration as XML.

use s3s::dto::{
    BucketLifecycleConfiguration, BucketVersioningStatus, CORSConfiguration, MFADelete,
    ObjectLockConfiguration, PublicAccessBlockConfiguration, ServerSideEncryptionConfiguration,
    Tagging, VersioningConfiguration,
};

use super::xml::{from_xml, to_xml};
use crate::cors::CorsConfig;
use crate::gateway::tagging::rules::TagTarget;
use crate::gateway::{
    bucket_cors, bucket_encryption, object_lock, public_access_block, tagging, versioning,
};
use crate::index::{Index, Versioning};
use crate::lifecycle::parse;

/// One kind of bucket configuration.
pub(super) struct Section {
    /// Its key in a backup: the S3 sub-resource naming it.
    pub name: &'static str,
    /// Its XML body, `None` when the bucket has none.
    pub export: fn(&mut Index, &str) -> Result<Option<String>, String>,
    /// Applies a body, or (`None`) the bucket's lack of one.
    pub import: fn(&mut Index, &str, Option<&str>) -> Result<(), String>,
}

/// Every configuration, in import order.
pub(super) const SECTIONS: &[Section] = &[
    Section { name: "versioning", export: export_versioning, import: import_versioning },
    Section { name: "object-lock", export: export_lock, import: import_lock },
    Section { name: "lifecycle", export: export_lifecycle, import: import_lifecycle },
    Section { name: "encryption", export: export_encryption, import: import_encryption },
    Section { name: "tagging", export: export_tagging, import: import_tagging },
    Section { name: "cors", export: export_cors, import: import_cors },
    Section { name: "public-access-block", export: export_block, import: import_block },
    Section { name: "policy", export: export_policy, import: import_policy },
    Section { name: "access", export: export_access, import: import_access },
];

fn index_error(e: crate::index::IndexError) -> String {
    e.to_string()
}

fn s3_error(e: &s3s::S3Error) -> String {
    format!("{}: {}", e.code().as_str(), e.message().unwrap_or(""))
}

fn export_versioning(ix: &mut Index, bucket: &str) -> Result<Option<String>, String> {
    let Some(state) = ix.bucket_versioning(bucket).map_err(index_error)? else {
        return Ok(None);
    };
    let dto = VersioningConfiguration {
        mfa_delete: None,
        status: Some(BucketVersioningStatus::from(state.as_str().to_string())),
    };
    to_xml(&dto).map(Some)
}

/// Versioning never returns to unversioned on S3, so a bucket without it
/// in the file keeps what it has.
fn import_versioning(ix: &mut Index, bucket: &str, body: Option<&str>) -> Result<(), String> {
    let Some(body) = body else { return Ok(()) };
    let dto: VersioningConfiguration = from_xml(body)?;
    if dto.mfa_delete.as_ref().is_some_and(|m| m.as_str() == MFADelete::ENABLED) {
        return Err("MFA delete is not supported".into());
    }
    let state = versioning::state_of(dto.status.as_ref()).map_err(|e| s3_error(&e))?;
    ix.set_bucket_versioning(bucket, state).map_err(index_error)
}

fn export_lock(ix: &mut Index, bucket: &str) -> Result<Option<String>, String> {
    match ix.get_bucket_lock(bucket).map_err(index_error)? {
        Some(lock) => to_xml(&object_lock::config::to_dto(&lock)).map(Some),
        None => Ok(None),
    }
}

/// Object Lock cannot be turned off once on, so a bucket without it in
/// the file keeps what it has; turning it on needs versioning Enabled, as
/// PutObjectLockConfiguration does.
fn import_lock(ix: &mut Index, bucket: &str, body: Option<&str>) -> Result<(), String> {
    let Some(body) = body else { return Ok(()) };
    let dto: ObjectLockConfiguration = from_xml(body)?;
    let lock = object_lock::config::parse(Some(&dto)).map_err(|e| s3_error(&e))?;
    if ix.bucket_versioning(bucket).map_err(index_error)? != Some(Versioning::Enabled) {
        return Err("Object Lock needs versioning Enabled on the bucket".into());
    }
    ix.set_bucket_lock(bucket, &lock).map_err(index_error)
}

fn export_lifecycle(ix: &mut Index, bucket: &str) -> Result<Option<String>, String> {
    match ix.get_lifecycle(bucket).map_err(index_error)? {
        Some(config) => {
            let dto = BucketLifecycleConfiguration { rules: parse::to_dto(&config) };
            to_xml(&dto).map(Some)
        }
        None => Ok(None),
    }
}

fn import_lifecycle(ix: &mut Index, bucket: &str, body: Option<&str>) -> Result<(), String> {
    let Some(body) = body else {
        return ix.delete_lifecycle(bucket).map_err(index_error);
    };
    let dto: BucketLifecycleConfiguration = from_xml(body)?;
    let config = parse::from_dto(Some(&dto)).map_err(|e| s3_error(&e))?;
    ix.put_lifecycle(bucket, &config).map_err(index_error)
}

fn export_encryption(ix: &mut Index, bucket: &str) -> Result<Option<String>, String> {
    match ix.get_bucket_encryption(bucket).map_err(index_error)? {
        Some(algorithm) => to_xml(&bucket_encryption::config_of(algorithm)).map(Some),
        None => Ok(None),
    }
}

fn import_encryption(ix: &mut Index, bucket: &str, body: Option<&str>) -> Result<(), String> {
    let algorithm = match body {
        Some(body) => {
            let dto: ServerSideEncryptionConfiguration = from_xml(body)?;
            Some(bucket_encryption::default_of(&dto).map_err(|e| s3_error(&e))?)
        }
        None => None,
    };
    ix.set_bucket_encryption(bucket, algorithm).map_err(index_error)
}

fn export_tagging(ix: &mut Index, bucket: &str) -> Result<Option<String>, String> {
    match ix.get_bucket_tags(bucket).map_err(index_error)? {
        Some(tags) => to_xml(&Tagging { tag_set: tagging::to_dto(tags) }).map(Some),
        None => Ok(None),
    }
}

fn import_tagging(ix: &mut Index, bucket: &str, body: Option<&str>) -> Result<(), String> {
    let tags = match body {
        Some(body) => {
            let dto: Tagging = from_xml(body)?;
            Some(tagging::from_dto(dto.tag_set, TagTarget::Bucket).map_err(|e| s3_error(&e))?)
        }
        None => None,
    };
    ix.set_bucket_tags(bucket, tags.as_ref()).map_err(index_error)
}

fn export_cors(ix: &mut Index, bucket: &str) -> Result<Option<String>, String> {
    match ix.get_cors(bucket).map_err(index_error)? {
        Some(config) => to_xml(&CORSConfiguration { cors_rules: config.to_dto() }).map(Some),
        None => Ok(None),
    }
}

fn import_cors(ix: &mut Index, bucket: &str, body: Option<&str>) -> Result<(), String> {
    let Some(body) = body else {
        return ix.delete_cors(bucket).map_err(index_error);
    };
    let dto: CORSConfiguration = from_xml(body)?;
    let config = CorsConfig::from_dto(&dto).map_err(|e| s3_error(&bucket_cors::refused(e)))?;
    ix.put_cors(bucket, &config).map_err(index_error)
}

fn export_block(ix: &mut Index, bucket: &str) -> Result<Option<String>, String> {
    match ix.get_public_access_block(bucket).map_err(index_error)? {
        Some(block) => to_xml(&public_access_block::to_dto(&block)).map(Some),
        None => Ok(None),
    }
}

fn import_block(ix: &mut Index, bucket: &str, body: Option<&str>) -> Result<(), String> {
    let block = match body {
        Some(body) => {
            let dto: PublicAccessBlockConfiguration = from_xml(body)?;
            Some(public_access_block::from_dto(&dto))
        }
        None => None,
    };
    ix.set_public_access_block(bucket, block.as_ref()).map_err(index_error)
}

/// A bucket policy is JSON, as GetBucketPolicy answers it.
fn export_policy(ix: &mut Index, bucket: &str) -> Result<Option<String>, String> {
    ix.get_bucket_policy(bucket).map_err(index_error)
}

/// Validated as PutBucketPolicy validates it (a backup restores a state
/// that was accepted, so the Public Access Block is not asked again).
fn import_policy(ix: &mut Index, bucket: &str, body: Option<&str>) -> Result<(), String> {
    if let Some(text) = body {
        crate::policy::parse(text, bucket).map_err(|e| format!("MalformedPolicy: {}", e.0))?;
    }
    ix.set_bucket_policy(bucket, body).map_err(index_error)
}

/// A bucket's ACL, Object Ownership and owner grants, as one JSON object:
/// `{"acl": <stored ACL or null>, "object_ownership": <or null>,
/// "grants": [{"owner", "read", "write"}]}`.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessJson {
    acl: Option<String>,
    object_ownership: Option<String>,
    grants: Vec<GrantJson>,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantJson {
    owner: String,
    read: bool,
    write: bool,
}

fn export_access(ix: &mut Index, bucket: &str) -> Result<Option<String>, String> {
    let config = ix.get_bucket_acl_config(bucket).map_err(index_error)?;
    if config == crate::index::BucketAclConfig::default() {
        return Ok(None);
    }
    let json = AccessJson {
        acl: config.acl,
        object_ownership: config.object_ownership,
        grants: config
            .grants
            .into_iter()
            .map(|(owner, g)| GrantJson { owner, read: g.read, write: g.write })
            .collect(),
    };
    serde_json::to_string(&json).map(Some).map_err(|e| e.to_string())
}

fn import_access(ix: &mut Index, bucket: &str, body: Option<&str>) -> Result<(), String> {
    let config = match body {
        None => crate::index::BucketAclConfig::default(),
        Some(text) => {
            let json: AccessJson = serde_json::from_str(text).map_err(|e| e.to_string())?;
            if let Some(acl) = &json.acl {
                crate::gateway::access::acl::Acl::decode(acl)
                    .ok_or_else(|| format!("undecodable ACL {acl:?}"))?;
            }
            if let Some(o) = &json.object_ownership {
                crate::gateway::access::ownership::Ownership::parse(o).map_err(|e| s3_error(&e))?;
            }
            crate::index::BucketAclConfig {
                acl: json.acl,
                object_ownership: json.object_ownership,
                grants: json
                    .grants
                    .into_iter()
                    .map(|g| (g.owner, crate::index::OwnerGrant { read: g.read, write: g.write }))
                    .collect(),
            }
        }
    };
    ix.set_bucket_acl_config(bucket, &config).map_err(index_error)
}
