//! PutBucketCors, GetBucketCors, DeleteBucketCors: a bucket's CORS rules,
//! validated as AWS validates them ([`crate::cors`]) and stored in the
//! index. Without a configuration Get is 404 NoSuchCORSConfiguration;
//! Delete is 204 either way. The rules answer browsers in the HTTP layer
//! ([`super::browser`]), which reads them through a short cache that these
//! handlers invalidate.

use s3s::dto::{
    DeleteBucketCorsInput, DeleteBucketCorsOutput, GetBucketCorsInput, GetBucketCorsOutput,
    PutBucketCorsInput, PutBucketCorsOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::{Inner, error, owner_of};
use crate::cors::{CorsConfig, CorsError};

pub async fn put_bucket_cors(
    inner: &Inner,
    req: S3Request<PutBucketCorsInput>,
) -> S3Result<S3Response<PutBucketCorsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.put_bucket_cors", bucket = %req.input.bucket);
    async {
        check_owner(inner, &req.input.bucket, &owner).await?;
        super::object_lock::require_integrity(&req.headers, "Put Bucket Cors")?;
        let config = CorsConfig::from_dto(&req.input.cors_configuration).map_err(refused)?;
        let rules = config.rules.len();
        let b = req.input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.put_cors(&b, &config))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        inner.cors_rules.invalidate(&req.input.bucket);
        tracing::info!(rules, "CORS configuration set");
        Ok(S3Response::new(PutBucketCorsOutput::default()))
    }
    .instrument(span)
    .await
}

pub async fn get_bucket_cors(
    inner: &Inner,
    req: S3Request<GetBucketCorsInput>,
) -> S3Result<S3Response<GetBucketCorsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.get_bucket_cors", bucket = %req.input.bucket);
    async {
        check_owner(inner, &req.input.bucket, &owner).await?;
        let b = req.input.bucket.clone();
        let found = inner
            .index
            .read(move |ix| ix.get_cors(&b))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let Some(config) = found else {
            let mut e = S3Error::with_message(
                S3ErrorCode::NoSuchCORSConfiguration,
                "The CORS configuration does not exist",
            );
            e.set_status_code(http::StatusCode::NOT_FOUND);
            return Err(e);
        };
        Ok(S3Response::new(GetBucketCorsOutput { cors_rules: Some(config.to_dto()) }))
    }
    .instrument(span)
    .await
}

pub async fn delete_bucket_cors(
    inner: &Inner,
    req: S3Request<DeleteBucketCorsInput>,
) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
    let owner = owner_of(inner, &req).await?;
    let span = info_span!("s3.delete_bucket_cors", bucket = %req.input.bucket);
    async {
        check_owner(inner, &req.input.bucket, &owner).await?;
        let b = req.input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.delete_cors(&b))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        inner.cors_rules.invalidate(&req.input.bucket);
        Ok(S3Response::new(DeleteBucketCorsOutput::default()))
    }
    .instrument(span)
    .await
}

/// A refused configuration as AWS answers it (400 either way).
pub(in crate::gateway) fn refused(e: CorsError) -> S3Error {
    match e {
        CorsError::Malformed(m) => S3Error::with_message(S3ErrorCode::MalformedXML, m),
        CorsError::Invalid(m) => S3Error::with_message(S3ErrorCode::InvalidRequest, m),
    }
}
