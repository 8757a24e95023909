//! Who may do what: the one access decision every request goes through,
//! anonymous ones included.
//!
//! `s3s` calls its access hook (`request_target::Recorder`) once it knows
//! the operation, bucket and key and has verified the signature; the hook
//! calls [`check`], which turns the request into an [`AccessRequest`] (the
//! IAM action of the operation, see `actions`), reads what the index knows
//! about the bucket and object ([`Facts`]: owner, ACLs, Object Ownership,
//! policy) and [`decide`]s. A refusal is 403 AccessDenied before the
//! handler runs; an allowance beyond ownership is left where the handlers'
//! `owner_of` and `bucket::check_owner` find it (`verdict`), so handlers
//! need not know why a requester may act.
//!
//! # Layout
//!
//! - `canonical` — owners' canonical IDs and display names.
//! - `acl` — ACLs: grants, canned ACLs, the stored form.
//! - `actions` — operation → IAM action and the ACL permission granting it.
//! - `request` — [`AccessRequest`], what a decision (and a policy) sees.
//! - `decide` — the rules, pure.
//! - `direct` — the decision for a form POST, which `s3s` never sees.
//! - `policy_hook` — where bucket policies plug in.
//! - `public_block` — IgnorePublicAcls applied to the ACLs a decision reads.
//! - `verdict` — the per-request record of what was granted.
//! - `headers` — `x-amz-acl` and `x-amz-grant-*` as an ACL.
//! - `ownership` — Object Ownership.

pub(crate) mod acl;
pub(crate) mod actions;
pub(crate) mod canonical;
pub(crate) mod decide;
pub(crate) mod direct;
pub(crate) mod headers;
pub(crate) mod ownership;
pub(crate) mod policy_hook;
pub(crate) mod public_block;
pub(crate) mod request;
pub(crate) mod verdict;

use http::HeaderMap;
use s3s::access::S3AccessContext;
use s3s::path::S3Path;
use s3s::{S3Error, S3ErrorCode, S3Result};
use tracing::Instrument;

use self::acl::Acl;
use self::actions::Scope;
use self::decide::{Decision, Facts, decide};
use self::request::{AccessRequest, Principal};
use super::transport::Transport;
use super::{Inner, error};

/// The principal the hook resolved from the request's access key, so
/// `principal_of` need not read the key again.
#[derive(Debug, Clone)]
pub(crate) struct Resolved(pub Principal);

/// The access decision for the request in `cx`; see the module docs.
pub(crate) async fn check(inner: &Inner, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
    let requester = match cx.credentials().map(|c| c.access_key.clone()) {
        Some(id) => {
            let principal = resolve(inner, id).await?;
            cx.extensions_mut().insert(Resolved(principal.clone()));
            Some(principal)
        }
        None => None,
    };
    let (bucket, key) = match cx.s3_path() {
        S3Path::Root => (None, None),
        S3Path::Bucket { bucket } => (Some(bucket.to_string()), None),
        S3Path::Object { bucket, key } => (Some(bucket.to_string()), Some(key.to_string())),
    };
    let transport = cx.extensions_mut().get::<Transport>().copied();
    let query = cx.uri().query().map(str::to_string);
    let versioned =
        query.as_deref().is_some_and(|q| q.split('&').any(|p| p.starts_with("versionId=")));
    let op = cx.s3_op().name();
    let (action, scope) = actions::of(op, versioned);
    let req = AccessRequest {
        action,
        bucket,
        key,
        requester,
        source_ip: transport.map(|t| t.peer.ip()),
        secure_transport: transport.is_some_and(|t| t.secure),
        headers: cx.headers().clone(),
        query,
    };
    let source = matches!(op, "CopyObject" | "UploadPartCopy")
        .then(|| copy_source(cx.headers(), &req))
        .flatten();
    // Lifting a GOVERNANCE retention is an action of its own: the bucket's
    // owner holds it unless a policy denies it, anyone else only where a
    // policy allows it (no ACL grants it). Being allowed to delete is not
    // enough, so a grantee's bypass header must not pass unexamined.
    let bypass = (matches!(op, "DeleteObject" | "DeleteObjects" | "PutObjectRetention")
        && super::object_lock::bypass_requested(cx.headers()))
    .then(|| AccessRequest { action: "s3:BypassGovernanceRetention", ..req.clone() });
    async {
        authorize(inner, &req, scope).await?;
        if let Some(source) = &source {
            authorize(inner, source, Scope::Object(Some(acl::Permission::Read))).await?;
        }
        if let Some(bypass) = &bypass {
            authorize(inner, bypass, Scope::Bucket(None)).await?;
        }
        Ok::<_, S3Error>(())
    }
    .instrument(tracing::debug_span!("s3.access", op, action))
    .await?;
    if req.requester.is_none() {
        verdict::grant_anonymous();
    }
    Ok(())
}

/// Decides one request, recording a grant beyond ownership.
async fn authorize(inner: &Inner, req: &AccessRequest, scope: Scope) -> S3Result<()> {
    let signed = req.requester.is_some();
    let bucket = match (scope, &req.bucket) {
        (Scope::Service | Scope::Create, _) | (_, None) => {
            return if signed { Ok(()) } else { Err(denied(req)) };
        }
        (_, Some(b)) => b.clone(),
    };
    let Some(facts) = load_facts(inner, req, scope).await? else {
        // No such bucket in the index: the handler answers (NoSuchBucket,
        // or a group bucket's rules) to a signed request.
        return if signed { Ok(()) } else { Err(denied(req)) };
    };
    match decide(req, scope, &facts) {
        Decision::Owner => Ok(()),
        Decision::Granted => {
            tracing::debug!(bucket, action = req.action, "granted by ACL or policy");
            verdict::grant_bucket(&bucket);
            Ok(())
        }
        Decision::Denied => Err(denied(req)),
    }
}

/// Bucket (and, for object-scoped actions, version) facts from the index;
/// `None` when the bucket does not exist.
async fn load_facts(inner: &Inner, req: &AccessRequest, scope: Scope) -> S3Result<Option<Facts>> {
    let bucket = req.bucket.clone().unwrap_or_default();
    let key = req.key.clone();
    let version = req.query_param("versionId");
    let me = req.owner().map(str::to_string);
    let object_scoped = matches!(scope, Scope::Object(Some(_)));
    let loaded = inner
        .index
        .read(move |ix| {
            let Some(access) = ix.get_bucket_access(&bucket)? else { return Ok(None) };
            let config = policy_hook::load(ix, &bucket)?;
            let block = config.public_access_block;
            let owner = access.bucket.owner.clone();
            let existing_tags = match &key {
                Some(key) if policy_hook::wants_tags(config.policy.as_deref()) => {
                    match ix.object_tags(&bucket, key, version.as_deref()) {
                        Ok(found) => Some(found.tags.into_iter().collect()),
                        // The database failing is an error, not "no tags"
                        // (a Deny on a tag must not fail open).
                        Err(e @ crate::index::IndexError::Sqlite(_)) => return Err(e),
                        // No such key or version (or a delete marker): none.
                        Err(_) => None,
                    }
                }
                _ => None,
            };
            let object_acl = match key {
                Some(key) if object_scoped && me.as_deref() != Some(owner.as_str()) => {
                    match ix.get_object_acl(&bucket, &key, version.as_deref()) {
                        Ok(found) => found.map(|stored| stored_acl(stored.as_deref(), &owner)),
                        Err(crate::index::IndexError::NoSuchBucket(_)) => None,
                        Err(e) => return Err(e),
                    }
                }
                _ => None,
            };
            let owner_grant = match &me {
                Some(me) if *me != owner => ix.get_bucket_grant(&bucket, me)?,
                _ => Default::default(),
            };
            let bucket_acl = access.acl.as_deref().map(|s| stored_acl(Some(s), &owner));
            Ok(Some(Facts {
                bucket_acl: bucket_acl.map(|a| public_block::effective_acl(a, block)),
                acls_enabled: ownership::Ownership::stored(access.object_ownership.as_deref())
                    != ownership::Ownership::BucketOwnerEnforced,
                bucket_owner: owner,
                object_acl: object_acl.map(|a| public_block::effective_acl(a, block)),
                policy: config.policy,
                public_access_block: block,
                owner_grant,
                // Looked up only when the policy tests them.
                existing_tags,
            }))
        })
        .await
        .map_err(|e| error::from_index(e, ""))?;
    Ok(loaded)
}

/// A stored ACL (`None`: the default) of something `owner` owns by
/// default. A stored ACL that does not decode grants nothing but its
/// owner's full control.
pub(crate) fn stored_acl(stored: Option<&str>, owner: &str) -> Acl {
    match stored {
        None => Acl::private(owner),
        Some(s) => Acl::decode(s).unwrap_or_else(|| {
            tracing::warn!(stored = s, "undecodable stored ACL, treated as private");
            Acl::private(owner)
        }),
    }
}

/// The owner (as an S3 `Owner`) of an object whose stored ACL is
/// `stored`, in a bucket `bucket_owner` owns.
pub(crate) fn object_owner(stored: Option<&str>, bucket_owner: &str) -> s3s::dto::Owner {
    match stored.and_then(Acl::decode) {
        Some(acl) => canonical::owner_dto(&acl.owner),
        None => canonical::owner_dto(bucket_owner),
    }
}

/// The request reading a CopyObject's (or UploadPartCopy's) source, from
/// `x-amz-copy-source` (`bucket/key` or `/bucket/key`, percent-encoded,
/// maybe `?versionId=`).
fn copy_source(headers: &HeaderMap, req: &AccessRequest) -> Option<AccessRequest> {
    let raw = headers.get("x-amz-copy-source")?.to_str().ok()?;
    let (path, query) = match raw.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (raw, None),
    };
    let path =
        percent_encoding::percent_decode_str(path.trim_start_matches('/')).decode_utf8().ok()?;
    let (bucket, key) = path.split_once('/')?;
    let versioned = query.as_deref().is_some_and(|q| q.starts_with("versionId="));
    Some(AccessRequest {
        action: actions::of("GetObject", versioned).0,
        bucket: Some(bucket.to_string()),
        key: Some(key.to_string()),
        query,
        ..req.clone()
    })
}

/// The key's principal; InvalidAccessKeyId when the key is gone.
async fn resolve(inner: &Inner, id: String) -> S3Result<Principal> {
    let key = inner
        .index
        .read(move |ix| ix.get_key_info(&id))
        .await
        .map_err(|e| error::from_index(e, ""))?;
    match key {
        Some(key) => Ok(Principal { owner: key.owner, admin: key.admin }),
        None => Err(S3Error::with_message(
            S3ErrorCode::InvalidAccessKeyId,
            error::default_message("InvalidAccessKeyId"),
        )),
    }
}

/// 403 AccessDenied for `req`.
fn denied(req: &AccessRequest) -> S3Error {
    tracing::debug!(
        action = req.action,
        resource = %req.resource_arn(),
        requester = ?req.owner(),
        source_ip = ?req.source_ip,
        secure = req.secure_transport,
        acl_header = ?req.headers.get("x-amz-acl"),
        "access denied"
    );
    S3Error::with_message(S3ErrorCode::AccessDenied, "Access Denied")
}
