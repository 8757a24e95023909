//! Get/PutBucketAcl and Get/PutObjectAcl.
//!
//! Who may call them is the access decision's business (READ_ACP and
//! WRITE_ACP grants, the bucket owner, the object's owner); by the time a
//! handler runs, `check_owner` only confirms it. An ACL equal to the
//! default (`private`, owned by the bucket's owner) is stored as NULL.

use s3s::dto::{
    AccessControlPolicy, GetBucketAclInput, GetBucketAclOutput, GetObjectAclInput,
    GetObjectAclOutput, PutBucketAclInput, PutBucketAclOutput, PutObjectAclInput,
    PutObjectAclOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::super::access::acl::Acl;
use super::super::access::headers::{Requested, requested};
use super::super::access::ownership::{Ownership, acls_not_supported};
use super::super::access::{public_block, stored_acl};
use super::super::bucket::check_owner;
use super::super::{Inner, error, owner_of, public_acl};
use super::{check_known, convert, owners_by_id, ownership_of};
use crate::index::IndexError;

pub(crate) async fn get_bucket_acl(
    inner: &Inner,
    req: S3Request<GetBucketAclInput>,
) -> S3Result<S3Response<GetBucketAclOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.get_bucket_acl", bucket = %req.input.bucket);
    async {
        let bucket = check_owner(inner, &req.input.bucket, &owner).await?;
        let n = bucket.name.clone();
        let access = inner.index.read(move |ix| ix.get_bucket_access(&n)).await;
        let access = access.map_err(|e| error::from_index(e, &owner))?;
        let (stored, ownership) = match &access {
            Some(a) => (a.acl.as_deref(), Ownership::stored(a.object_ownership.as_deref())),
            None => (None, Ownership::default()),
        };
        let acl = match ownership {
            Ownership::BucketOwnerEnforced => Acl::private(&bucket.owner),
            _ => stored_acl(stored, &bucket.owner),
        };
        let (owner, grants) = convert::to_dto(&acl, &owners_by_id(inner).await?);
        Ok(S3Response::new(GetBucketAclOutput { owner: Some(owner), grants: Some(grants) }))
    }
    .instrument(span)
    .await
}

pub(crate) async fn put_bucket_acl(
    inner: &Inner,
    req: S3Request<PutBucketAclInput>,
) -> S3Result<S3Response<PutBucketAclOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.put_bucket_acl", bucket = %req.input.bucket);
    async {
        let bucket = check_owner(inner, &req.input.bucket, &owner).await?;
        let asked = requested(&req.headers)?;
        if ownership_of(inner, &bucket.name).await? == Ownership::BucketOwnerEnforced {
            if !owner_full_control(&asked, req.input.access_control_policy.as_ref(), &bucket.owner)
            {
                return Err(acls_not_supported());
            }
            return Ok(S3Response::new(PutBucketAclOutput::default()));
        }
        let acl =
            wanted(&asked, req.input.access_control_policy.as_ref(), &bucket.owner, &bucket.owner)?;
        public_acl::refuse_if_blocked(inner, &bucket.name, public_block::is_public(&acl)).await?;
        check_grantees(inner, &acl).await?;
        let stored = (acl != Acl::private(&bucket.owner)).then(|| acl.encode());
        let n = bucket.name.clone();
        inner
            .index
            .write(move |ix| ix.set_bucket_acl(&n, stored.as_deref()))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        Ok(S3Response::new(PutBucketAclOutput::default()))
    }
    .instrument(span)
    .await
}

pub(crate) async fn get_object_acl(
    inner: &Inner,
    req: S3Request<GetObjectAclInput>,
) -> S3Result<S3Response<GetObjectAclOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.get_object_acl", bucket = %input.bucket, key = %input.key);
    async {
        let bucket = check_owner(inner, &input.bucket, &owner).await?;
        let stored =
            object_acl(inner, &input.bucket, &input.key, input.version_id.as_deref()).await?;
        let acl = match ownership_of(inner, &bucket.name).await? {
            Ownership::BucketOwnerEnforced => Acl::private(&bucket.owner),
            _ => stored_acl(stored.as_deref(), &bucket.owner),
        };
        let (owner, grants) = convert::to_dto(&acl, &owners_by_id(inner).await?);
        Ok(S3Response::new(GetObjectAclOutput {
            owner: Some(owner),
            grants: Some(grants),
            ..GetObjectAclOutput::default()
        }))
    }
    .instrument(span)
    .await
}

pub(crate) async fn put_object_acl(
    inner: &Inner,
    req: S3Request<PutObjectAclInput>,
) -> S3Result<S3Response<PutObjectAclOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.put_object_acl", bucket = %req.input.bucket, key = %req.input.key);
    async {
        let input = &req.input;
        let bucket = check_owner(inner, &input.bucket, &owner).await?;
        let version = input.version_id.as_deref();
        let stored = object_acl(inner, &input.bucket, &input.key, version).await?;
        let asked = requested(&req.headers)?;
        if ownership_of(inner, &bucket.name).await? == Ownership::BucketOwnerEnforced {
            if !owner_full_control(&asked, input.access_control_policy.as_ref(), &bucket.owner) {
                return Err(acls_not_supported());
            }
            return Ok(S3Response::new(PutObjectAclOutput::default()));
        }
        let object_owner = stored_acl(stored.as_deref(), &bucket.owner).owner;
        let acl =
            wanted(&asked, input.access_control_policy.as_ref(), &object_owner, &bucket.owner)?;
        public_acl::refuse_if_blocked(inner, &bucket.name, public_block::is_public(&acl)).await?;
        check_grantees(inner, &acl).await?;
        let stored = (acl != Acl::private(&bucket.owner)).then(|| acl.encode());
        let (b, k, v) = (input.bucket.clone(), input.key.clone(), input.version_id.clone());
        let tagged = stored.clone();
        inner
            .index
            .write(move |ix| ix.set_object_acl(&b, &k, v.as_deref(), stored.as_deref()))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        super::retag::retag(inner, &input.bucket, &input.key, version, tagged.as_deref()).await;
        Ok(S3Response::new(PutObjectAclOutput::default()))
    }
    .instrument(span)
    .await
}

/// The stored ACL of the version addressed; NoSuchKey / NoSuchVersion
/// when there is none.
async fn object_acl(
    inner: &Inner,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> S3Result<Option<String>> {
    let (b, k, v) = (bucket.to_string(), key.to_string(), version.map(str::to_string));
    let found = inner
        .index
        .read(move |ix| ix.get_object_acl(&b, &k, v.as_deref()))
        .await
        .map_err(|e| error::from_index(e, ""))?;
    found.ok_or_else(|| {
        let e = match version {
            None => IndexError::NoSuchKey { bucket: bucket.into(), key: key.into() },
            Some(v) => IndexError::NoSuchVersion {
                bucket: bucket.into(),
                key: key.into(),
                version_id: v.into(),
            },
        };
        error::from_index(e, "")
    })
}

/// The ACL a Put*Acl asks for, by headers or by body (not both), of
/// something `owner` owns in a bucket `bucket_owner` owns.
fn wanted(
    asked: &Requested,
    body: Option<&AccessControlPolicy>,
    owner: &str,
    bucket_owner: &str,
) -> S3Result<Acl> {
    match (asked, body) {
        (Requested::Nothing, Some(policy)) => convert::from_dto(policy, owner),
        (Requested::Nothing, None) => Err(S3Error::with_message(
            S3ErrorCode::MissingSecurityHeader,
            "Your request was missing a required header: an ACL header or an ACL body",
        )),
        (asked, None) => {
            Ok(asked.to_acl(owner, bucket_owner)?.unwrap_or_else(|| Acl::private(owner)))
        }
        (_, Some(_)) => Err(S3Error::with_message(
            S3ErrorCode::UnexpectedContent,
            "This request does not support content with ACL headers",
        )),
    }
}

/// Whether a Put*Acl on a BucketOwnerEnforced bucket asks for only what
/// S3 still accepts there: the bucket owner's full control.
fn owner_full_control(
    asked: &Requested,
    body: Option<&AccessControlPolicy>,
    bucket_owner: &str,
) -> bool {
    match (asked, body) {
        (Requested::Canned(c), None) => c == "bucket-owner-full-control",
        (Requested::Nothing, Some(p)) => {
            convert::from_dto(p, bucket_owner).is_ok_and(|acl| acl == Acl::private(bucket_owner))
        }
        _ => false,
    }
}

/// 400 InvalidArgument unless every owner `acl` grants to exists.
async fn check_grantees(inner: &Inner, acl: &Acl) -> S3Result<()> {
    let ids = acl.grants.iter().filter_map(|g| match &g.grantee {
        super::super::access::acl::Grantee::Id(id) => Some(id.as_str()),
        _ => None,
    });
    let ids: Vec<&str> = ids.collect();
    if ids.is_empty() {
        return Ok(());
    }
    let known = owners_by_id(inner).await?;
    check_known(ids.into_iter(), &known)
}
