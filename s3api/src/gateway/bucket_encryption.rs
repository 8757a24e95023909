//! PutBucketEncryption, GetBucketEncryption, DeleteBucketEncryption: a
//! bucket's default encryption, applied to a new object (PutObject,
//! CreateMultipartUpload) whose request asks for none.
//!
//! Choices, documented because S3 itself changed here:
//! - Without a configuration, GetBucketEncryption answers 404
//!   `ServerSideEncryptionConfigurationNotFoundError` (S3's answer before
//!   2023). Since 2023 S3 answers `AES256` for every bucket, because it
//!   encrypts everything; this gateway stores objects in plain text unless
//!   asked, so claiming `AES256` would be a lie.
//! - The only default is `AES256` (SSE-S3). `aws:kms` and `aws:kms:dsse`
//!   are 501 NotImplemented, like SSE-KMS on objects.
//! - Blocking SSE-C per bucket (S3's `BlockedEncryptionTypes`) cannot be
//!   configured: s3s 0.14.1's XML model has no such element, and its
//!   parser refuses an element it does not know rather than dropping it,
//!   so a PutBucketEncryption carrying one never reaches us: it is 400
//!   MalformedXML, the bucket keeps its configuration, SSE-C stays
//!   allowed (tests/gateway_sse_edges.rs guards that it is never silently
//!   accepted, should a later s3s learn or skip the element).
//! - A CopyObject of a plaintext source into a bucket with a default stays
//!   plain (encrypting by copy would re-encrypt the bytes, which copies do
//!   not do here); an encrypted source's copy is SSE-S3 anyway.

use s3s::dto::{
    DeleteBucketEncryptionInput, DeleteBucketEncryptionOutput, GetBucketEncryptionInput,
    GetBucketEncryptionOutput, PutBucketEncryptionInput, PutBucketEncryptionOutput,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::sse::WriteSse;
use super::{Inner, error, owner_of};

pub async fn put_bucket_encryption(
    inner: &Inner,
    req: S3Request<PutBucketEncryptionInput>,
) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.put_bucket_encryption", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let algorithm = default_of(&input.server_side_encryption_configuration)?;
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.set_bucket_encryption(&b, Some(algorithm)))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        Ok(S3Response::new(PutBucketEncryptionOutput::default()))
    }
    .instrument(span)
    .await
}

pub async fn get_bucket_encryption(
    inner: &Inner,
    req: S3Request<GetBucketEncryptionInput>,
) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.get_bucket_encryption", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        let found = inner
            .index
            .read(move |ix| ix.get_bucket_encryption(&b))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let Some(algorithm) = found else {
            let mut e = S3Error::with_message(
                S3ErrorCode::ServerSideEncryptionConfigurationNotFoundError,
                "The server side encryption configuration was not found",
            );
            // S3's status for it; s3s would send 400.
            e.set_status_code(http::StatusCode::NOT_FOUND);
            return Err(e);
        };
        Ok(S3Response::new(GetBucketEncryptionOutput {
            server_side_encryption_configuration: Some(config_of(algorithm)),
        }))
    }
    .instrument(span)
    .await
}

pub async fn delete_bucket_encryption(
    inner: &Inner,
    req: S3Request<DeleteBucketEncryptionInput>,
) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
    let owner = owner_of(inner, &req).await?;
    let input = req.input;
    let span = info_span!("s3.delete_bucket_encryption", bucket = %input.bucket);
    async {
        check_owner(inner, &input.bucket, &owner).await?;
        let b = input.bucket.clone();
        inner
            .index
            .write(move |ix| ix.set_bucket_encryption(&b, None))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        Ok(S3Response::new(DeleteBucketEncryptionOutput::default()))
    }
    .instrument(span)
    .await
}

/// The configuration GetBucketEncryption answers for default `algorithm`.
pub(in crate::gateway) fn config_of(algorithm: String) -> ServerSideEncryptionConfiguration {
    let rule = ServerSideEncryptionRule {
        apply_server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
            sse_algorithm: ServerSideEncryption::from(algorithm),
            kms_master_key_id: None,
        }),
        bucket_key_enabled: Some(false),
    };
    ServerSideEncryptionConfiguration { rules: vec![rule] }
}

/// The algorithm a configuration sets as default: exactly one rule with
/// `AES256`; KMS is 501, anything else 400.
pub(in crate::gateway) fn default_of(
    config: &ServerSideEncryptionConfiguration,
) -> S3Result<&'static str> {
    let malformed = |msg: &str| S3Error::with_message(S3ErrorCode::MalformedXML, msg.to_string());
    let [rule] = config.rules.as_slice() else {
        return Err(malformed("exactly one encryption rule is required"));
    };
    let Some(default) = &rule.apply_server_side_encryption_by_default else {
        return Err(malformed("the rule has no ApplyServerSideEncryptionByDefault"));
    };
    match default.sse_algorithm.as_str() {
        ServerSideEncryption::AES256 if default.kms_master_key_id.is_none() => Ok("AES256"),
        ServerSideEncryption::AES256 => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "KMSMasterKeyID is only allowed with aws:kms",
        )),
        ServerSideEncryption::AWS_KMS | ServerSideEncryption::AWS_KMS_DSSE => {
            Err(S3Error::with_message(S3ErrorCode::NotImplemented, "SSE-KMS is not implemented"))
        }
        other => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            format!("unknown SSEAlgorithm {other:?}"),
        )),
    }
}

/// `asked`, or the bucket's default when it asks for nothing.
pub(super) async fn with_default(
    inner: &Inner,
    bucket: &str,
    asked: WriteSse,
) -> S3Result<WriteSse> {
    if !matches!(asked, WriteSse::Plain) {
        return Ok(asked);
    }
    let b = bucket.to_string();
    let found = inner
        .index
        .read(move |ix| ix.get_bucket_encryption(&b))
        .await
        .map_err(|e| error::from_index(e, ""))?;
    Ok(if found.is_some() { WriteSse::S3 } else { WriteSse::Plain })
}
