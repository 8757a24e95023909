//! Bucket policies and the Public Access Block through aws-sdk-s3 against
//! a real tracker, storage and gateway:
//!
//! - `config` — Put/Get/Delete of policies and blocks, policy status,
//!   MalformedPolicy, BlockPublicPolicy, who may manage them;
//! - `block_acls` — BlockPublicAcls on PutObject, CopyObject and
//!   CreateMultipartUpload;
//! - `decisions` — policies deciding requests: anonymous reads, another
//!   owner's access, conditions, Deny over Allow;
//! - `public_block` — RestrictPublicBuckets and IgnorePublicAcls.

#[path = "../support/mod.rs"]
mod support;

pub(crate) use support::raw;

mod block_acls;
mod bypass;
mod config;
mod decisions;
mod public_block;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use fdfs_s3api::crypto::MasterKey;
use fdfs_s3api::index::AccessKey;

use support::Stack;

/// A tenant key for owner `owner` (not admin), created in the stack's
/// index, and a client signing with it.
pub(crate) async fn tenant(stack: &Stack, owner: &str, id: &str) -> Client {
    let key = AccessKey {
        access_key_id: id.into(),
        secret: format!("{owner}-secret-0123456789abcdef"),
        owner: owner.into(),
        admin: false,
        created_ms: 0,
    };
    let k = key.clone();
    let master = MasterKey::for_data_dir(&stack.dir.path().join("gateway")).unwrap();
    stack.index.write(move |ix| ix.create_access_key(&k, &master)).await.unwrap();
    support::client_as(stack.s3, &key.access_key_id, &key.secret)
}

/// The (status, code, message) of a failed SDK call.
pub(crate) fn failure<E: ProvideErrorMetadata>(e: &SdkError<E>) -> (u16, String, String) {
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    let svc = e.as_service_error();
    let code = svc.and_then(ProvideErrorMetadata::code).unwrap_or_default().to_string();
    let message = svc.and_then(ProvideErrorMetadata::message).unwrap_or_default().to_string();
    (status, code, message)
}

/// Sets bucket `b`'s policy to the statements `statements` (a JSON array
/// body), as the bucket's owner.
pub(crate) async fn set_policy(s3: &Client, b: &str, statements: &str) {
    let policy = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    s3.put_bucket_policy().bucket(b).policy(policy).send().await.unwrap();
}

/// Stores `data` at `b`/`key` as `s3`.
pub(crate) async fn put(s3: &Client, b: &str, key: &str, data: &'static [u8]) {
    let body = aws_sdk_s3::primitives::ByteStream::from_static(data);
    s3.put_object().bucket(b).key(key).body(body).send().await.unwrap();
}
