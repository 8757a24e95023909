//! ACLs and Object Ownership as S3 operations, and the ACL every write
//! gives what it creates.
//!
//! The rules live in `access` (the model, canned ACLs, headers, the
//! decision); this module is the S3 surface: Get/PutBucketAcl,
//! Get/PutObjectAcl (`ops`), Put/Get/DeleteBucketOwnershipControls
//! (`ownership_ops`), the XML ↔ model conversion (`convert`), and
//! [`for_new_object`] / [`for_new_bucket`], which CreateBucket, PutObject,
//! CopyObject and CreateMultipartUpload call with their headers.
//!
//! An object's stored ACL also names its owner (the writer), so a
//! version written by its bucket's owner with no ACL header stores
//! nothing: the default already says exactly that.

mod convert;
mod ops;
mod ownership_ops;
mod retag;

pub(crate) use ops::{get_bucket_acl, get_object_acl, put_bucket_acl, put_object_acl};
pub(crate) use ownership_ops::{
    delete_bucket_ownership_controls, get_bucket_ownership_controls, put_bucket_ownership_controls,
};

use std::collections::HashMap;

use http::HeaderMap;
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::access::acl::Acl;
use super::access::canonical::{ANONYMOUS, canonical_id};
use super::access::headers::{Requested, requested};
use super::access::ownership::{Ownership, acls_not_supported};
use super::{Inner, error};
use crate::index;

/// The stored ACL a new object (or upload) written by `writer` into
/// `bucket` with `headers` gets; `None` for the default (the bucket
/// owner's, private). Refuses what S3 refuses: an unknown canned ACL,
/// a grant to an unknown owner, an ACL on a BucketOwnerEnforced bucket.
pub(crate) async fn for_new_object(
    inner: &Inner,
    headers: &HeaderMap,
    bucket: &index::Bucket,
    writer: &str,
) -> S3Result<Option<String>> {
    let asked = requested(headers)?;
    if asked == Requested::Nothing && writer == bucket.owner {
        return Ok(None);
    }
    let ownership = ownership_of(inner, &bucket.name).await?;
    let bofc = asked == Requested::Canned("bucket-owner-full-control".into());
    let owner = match ownership {
        Ownership::BucketOwnerEnforced => {
            if asked != Requested::Nothing && !bofc {
                return Err(acls_not_supported());
            }
            return Ok(None);
        }
        Ownership::BucketOwnerPreferred if bofc => bucket.owner.as_str(),
        _ => writer,
    };
    check_ids(inner, &asked).await?;
    let acl = asked.to_acl(owner, &bucket.owner)?.unwrap_or_else(|| Acl::private(owner));
    Ok((acl != Acl::private(&bucket.owner)).then(|| acl.encode()))
}

/// The stored ACL of a bucket `owner` creates with `headers` under
/// `ownership`; `None` for the default (private).
pub(crate) async fn for_new_bucket(
    inner: &Inner,
    headers: &HeaderMap,
    owner: &str,
    ownership: Ownership,
) -> S3Result<Option<String>> {
    let asked = requested(headers)?;
    if ownership == Ownership::BucketOwnerEnforced
        && !matches!(&asked, Requested::Nothing)
        && asked != Requested::Canned("bucket-owner-full-control".into())
        && asked != Requested::Canned("private".into())
    {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidBucketAclWithObjectOwnership,
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    check_ids(inner, &asked).await?;
    let acl = asked.to_acl(owner, owner)?.unwrap_or_else(|| Acl::private(owner));
    Ok((acl != Acl::private(owner)).then(|| acl.encode()))
}

/// Bucket `name`'s Object Ownership.
pub(crate) async fn ownership_of(inner: &Inner, name: &str) -> S3Result<Ownership> {
    let n = name.to_string();
    let access = inner
        .index
        .read(move |ix| ix.get_bucket_access(&n))
        .await
        .map_err(|e| error::from_index(e, ""))?;
    let access = access
        .ok_or_else(|| error::from_index(index::IndexError::NoSuchBucket(name.into()), ""))?;
    Ok(Ownership::stored(access.object_ownership.as_deref()))
}

/// Every owner with an access key, by canonical ID.
pub(crate) async fn owners_by_id(inner: &Inner) -> S3Result<HashMap<String, String>> {
    let keys =
        inner.index.read(|ix| ix.list_access_keys()).await.map_err(|e| error::from_index(e, ""))?;
    let mut owners: HashMap<String, String> =
        keys.into_iter().map(|k| (canonical_id(&k.owner), k.owner)).collect();
    // The owner of what anonymous writers stored.
    owners.insert(canonical_id(ANONYMOUS), "anonymous".to_string());
    Ok(owners)
}

/// 400 InvalidArgument unless every canonical ID `asked` grants to is a
/// known owner's, as S3 refuses grants to accounts it does not know.
async fn check_ids(inner: &Inner, asked: &Requested) -> S3Result<()> {
    let ids = asked.ids();
    if ids.is_empty() {
        return Ok(());
    }
    let known = owners_by_id(inner).await?;
    check_known(ids.into_iter(), &known)
}

/// 400 InvalidArgument unless each of `ids` is in `known`.
fn check_known<'a>(
    mut ids: impl Iterator<Item = &'a str>,
    known: &HashMap<String, String>,
) -> S3Result<()> {
    match ids.find(|id| !known.contains_key(*id)) {
        Some(id) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("Invalid id: no owner has the canonical ID {id}"),
        )),
        None => Ok(()),
    }
}
