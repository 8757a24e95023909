//! PutBucketVersioning and GetBucketVersioning: a bucket's versioning
//! state (`index::versions` says what each state does to writes).
//!
//! - A bucket whose versioning was never set answers an empty
//!   `VersioningConfiguration`; once set it is `Enabled` or `Suspended`
//!   and can never go back, as on S3.
//! - MFA delete is refused: an `x-amz-mfa` header or `MfaDelete: Enabled`
//!   is 501 NotImplemented, so a client that asks for it learns it did
//!   not get it (`MfaDelete: Disabled` is accepted: it is the state).
//! - The group buckets (`group1`, ...) are FastDFS groups served read-only
//!   by file ID; their versioning cannot be set (the dispatcher refuses
//!   writes to them).

use s3s::dto::{
    BucketVersioningStatus, GetBucketVersioningInput, GetBucketVersioningOutput, MFADelete,
    PutBucketVersioningInput, PutBucketVersioningOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::{Inner, error, owner_of};
use crate::index::Versioning;

pub async fn put_bucket_versioning(
    inner: &Inner,
    req: S3Request<PutBucketVersioningInput>,
) -> S3Result<S3Response<PutBucketVersioningOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.put_bucket_versioning", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let config = &input.versioning_configuration;
        let mfa_enabled =
            config.mfa_delete.as_ref().is_some_and(|m| m.as_str() == MFADelete::ENABLED);
        if input.mfa.is_some() || mfa_enabled {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "MFA delete is not supported by this gateway",
            ));
        }
        let state = state_of(config.status.as_ref())?;
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.set_bucket_versioning(&b, state))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        tracing::info!(state = state.as_str(), "bucket versioning set");
        Ok(S3Response::new(PutBucketVersioningOutput::default()))
    }
    .instrument(span)
    .await
}

pub async fn get_bucket_versioning(
    inner: &Inner,
    req: S3Request<GetBucketVersioningInput>,
) -> S3Result<S3Response<GetBucketVersioningOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.get_bucket_versioning", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        let state = inner
            .index
            .read(move |ix| ix.bucket_versioning(&b))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        Ok(S3Response::new(GetBucketVersioningOutput {
            status: state.map(|s| BucketVersioningStatus::from(s.as_str().to_string())),
            mfa_delete: None,
        }))
    }
    .instrument(span)
    .await
}

/// The requested state: `Enabled` or `Suspended`; anything else (or none)
/// is MalformedXML, as on S3.
pub(in crate::gateway) fn state_of(
    status: Option<&BucketVersioningStatus>,
) -> S3Result<Versioning> {
    status.and_then(|s| Versioning::parse(s.as_str())).ok_or_else(|| {
        S3Error::with_message(
            S3ErrorCode::MalformedXML,
            "The versioning status must be Enabled or Suspended.",
        )
    })
}

#[cfg(test)]
mod tests {
    use s3s::dto::BucketVersioningStatus;

    use super::state_of;
    use crate::index::Versioning;

    #[test]
    fn states() {
        let s = |v: &str| state_of(Some(&BucketVersioningStatus::from(v.to_string())));
        assert_eq!(s("Enabled").unwrap(), Versioning::Enabled);
        assert_eq!(s("Suspended").unwrap(), Versioning::Suspended);
        assert!(s("enabled").is_err() && s("Disabled").is_err() && state_of(None).is_err());
    }
}
