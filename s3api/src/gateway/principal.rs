//! Who signed a request: the owner its access key acts as, and whether the
//! key is an admin key.
//!
//! Tenants are owners: a key reaches the buckets of its owner (and, later,
//! what ACLs and policies grant it). Group buckets are different: they
//! expose a FastDFS group's raw files by file ID, which include every
//! tenant's objects whatever their bucket, so only admin keys may read
//! them ([`require_admin`]). `s3s` has verified the signature before any
//! handler runs, so the key named by the credentials exists and signed.

use s3s::{S3Error, S3ErrorCode, S3Request, S3Result};

use super::access::canonical::ANONYMOUS;
use super::{Inner, error};

/// The principal behind a request: a key's owner, or (`owner` is
/// `access::canonical::ANONYMOUS`) an unsigned request the access
/// decision allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    /// The owner the key acts as.
    pub owner: String,
    /// Whether the key may read group buckets.
    pub admin: bool,
}

/// The principal of the access key that signed `req`.
pub(crate) async fn principal_of<T>(inner: &Inner, req: &S3Request<T>) -> S3Result<Principal> {
    // The verified key: s3s's credentials, or the mark the ignored-Range
    // route leaves after s3s verified the request (see `ignored_range`).
    if let Some(super::access::Resolved(p)) = req.extensions.get() {
        return Ok(p.clone());
    }
    let Some(id) = super::ignored_range::signer(req).map(str::to_string) else {
        // Unsigned: the access decision let it through, or it is refused.
        if super::access::verdict::anonymous_granted() {
            return Ok(Principal { owner: ANONYMOUS.to_string(), admin: false });
        }
        return Err(S3Error::with_message(S3ErrorCode::AccessDenied, "signature required"));
    };
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

/// AccessDenied unless an admin key signed `req`; `bucket` names the group
/// bucket in the message.
pub(crate) async fn require_admin<T>(
    inner: &Inner,
    req: &S3Request<T>,
    bucket: &str,
) -> S3Result<()> {
    let principal = principal_of(inner, req).await?;
    if principal.admin {
        return Ok(());
    }
    tracing::debug!(owner = %principal.owner, bucket, "group bucket refused to a tenant key");
    Err(S3Error::with_message(
        S3ErrorCode::AccessDenied,
        format!("bucket {bucket:?} is a FastDFS group: only admin keys may read it"),
    ))
}
