//! Access control through real clients: owners' canonical IDs, the access
//! decision (owners, grants, anonymous requests), ACLs and Object
//! Ownership, with two owners' SDK clients and unsigned raw HTTP.

#[path = "../support/mod.rs"]
mod support;

pub(crate) use support::raw;

mod acls;
mod core;
mod ownership;
mod rebuild;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use fdfs_s3api::crypto::MasterKey;
use fdfs_s3api::index::AccessKey;
use support::Stack;

/// The second owner's key.
const ALICE_ID: &str = "ALICEKEY000000000001";
const ALICE_SECRET: &str = "alice-secret-0123456789abcdef";

/// A client of owner `alice` (a tenant key made in the index).
async fn alice(stack: &Stack) -> Client {
    tenant(stack, ALICE_ID, ALICE_SECRET, "alice").await
}

/// A client of a tenant key `id` of `owner`, created in the index.
async fn tenant(stack: &Stack, id: &str, secret: &str, owner: &str) -> Client {
    let key = AccessKey {
        access_key_id: id.into(),
        secret: secret.into(),
        owner: owner.into(),
        admin: false,
        created_ms: 0,
    };
    let master = MasterKey::for_data_dir(&stack.dir.path().join("gateway")).unwrap();
    stack.index.write(move |ix| ix.create_access_key(&key, &master)).await.unwrap();
    support::client_as(stack.s3, id, secret)
}

/// The S3 error code and HTTP status of a failed SDK call.
fn code<T, E: ProvideErrorMetadata>(r: Result<T, SdkError<E>>) -> (String, u16) {
    let Err(e) = r else { panic!("the call succeeded") };
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (e.as_service_error().and_then(ProvideErrorMetadata::code).unwrap_or("").to_string(), status)
}

/// The canonical ID the gateway gives owner `name`: SHA-256 of
/// `fdfs-owner\0NAME`, in hex.
fn canonical_id(name: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::new().chain_update(b"fdfs-owner\0").chain_update(name).finalize();
    d.iter().map(|b| format!("{b:02x}")).collect()
}
