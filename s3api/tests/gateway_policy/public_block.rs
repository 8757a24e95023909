//! RestrictPublicBuckets and IgnorePublicAcls deciding requests.

use aws_sdk_s3::types::PublicAccessBlockConfiguration;

use crate::support::{SECRET, Stack, make_bucket};
use crate::{failure, put, raw, set_policy, tenant};

async fn block(s3: &aws_sdk_s3::Client, b: &str, conf: PublicAccessBlockConfiguration) {
    s3.put_public_access_block()
        .bucket(b)
        .public_access_block_configuration(conf)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restrict_public_buckets_voids_a_public_policy_for_others() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "pub").await;
    put(&s3, "pub", "k", b"v").await;
    set_policy(
        &s3,
        "pub",
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}"#,
    )
    .await;
    let alice = tenant(&stack, "alice", "FDFSALICEKEY00000001").await;
    assert_eq!(raw(stack.s3, "GET /pub/k", &[], b"").await.0, 200);

    block(
        &s3,
        "pub",
        PublicAccessBlockConfiguration::builder().restrict_public_buckets(true).build(),
    )
    .await;
    assert_eq!(raw(stack.s3, "GET /pub/k", &[], b"").await.0, 403);
    let e = alice.get_object().bucket("pub").key("k").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    s3.get_object().bucket("pub").key("k").send().await.unwrap();

    // A non-public policy naming alice still grants her.
    set_policy(
        &s3,
        "pub",
        r#"{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}"#,
    )
    .await;
    alice.get_object().bucket("pub").key("k").send().await.unwrap();
    assert_eq!(raw(stack.s3, "GET /pub/k", &[], b"").await.0, 403);

    s3.delete_public_access_block().bucket("pub").send().await.unwrap();
    set_policy(
        &s3,
        "pub",
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}"#,
    )
    .await;
    assert_eq!(raw(stack.s3, "GET /pub/k", &[], b"").await.0, 200);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignore_public_acls_voids_public_grants() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "acl").await;
    put(&s3, "acl", "k", b"v").await;
    // A public-read object ACL, stored as the ACL slice stores it.
    let me = canonical_id("owner");
    let public = format!("owner\nFULL_CONTROL id {me}\nREAD group AllUsers");
    stack.index.write(move |ix| ix.set_object_acl("acl", "k", None, Some(&public))).await.unwrap();
    assert_eq!(raw(stack.s3, "GET /acl/k", &[], b"").await.0, 200);

    block(&s3, "acl", PublicAccessBlockConfiguration::builder().ignore_public_acls(true).build())
        .await;
    assert_eq!(raw(stack.s3, "GET /acl/k", &[], b"").await.0, 403);
    s3.get_object().bucket("acl").key("k").send().await.unwrap();

    s3.delete_public_access_block().bucket("acl").send().await.unwrap();
    assert_eq!(raw(stack.s3, "GET /acl/k", &[], b"").await.0, 200);
    stack.stop().await;
}

/// The canonical ID the gateway gives owner `name` (see
/// `gateway::access::canonical`).
fn canonical_id(name: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::new().chain_update(b"fdfs-owner\0").chain_update(name).finalize();
    d.iter().map(|b| format!("{b:02x}")).collect()
}
