//! `x-amz-bypass-governance-retention` is its own action,
//! s3:BypassGovernanceRetention: another owner allowed to delete versions
//! still cannot lift a GOVERNANCE retention until a policy allows the
//! bypass, and a policy can take the bypass from the bucket's owner.

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{CreateBucketConfiguration, ObjectLockRetention, ObjectLockRetentionMode};

use crate::support::{SECRET, Stack};
use crate::{failure, set_policy, tenant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bypassing_governance_needs_its_own_permission() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    let group = CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from("group1"))
        .build();
    s3.create_bucket()
        .bucket("vault")
        .object_lock_enabled_for_bucket(true)
        .create_bucket_configuration(group)
        .send()
        .await
        .unwrap();
    let until = DateTime::from_secs(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
            as i64
            + 3600,
    );
    let mut versions = Vec::new();
    for key in ["a", "b", "c"] {
        let put = s3
            .put_object()
            .bucket("vault")
            .key(key)
            .object_lock_mode(aws_sdk_s3::types::ObjectLockMode::Governance)
            .object_lock_retain_until_date(until)
            .body(ByteStream::from_static(b"kept"))
            .send()
            .await
            .unwrap();
        versions.push(put.version_id().unwrap().to_string());
    }
    let bob = tenant(&stack, "bob", "FDFSBOBKEY0000000001").await;
    let delete = |client: &aws_sdk_s3::Client, key: &str, version: &str| {
        client
            .delete_object()
            .bucket("vault")
            .key(key)
            .version_id(version)
            .bypass_governance_retention(true)
            .send()
    };
    // Bob may delete versions, but not bypass: 403, the version stays.
    set_policy(
        &s3,
        "vault",
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::bob:root"},"Action":"s3:DeleteObjectVersion","Resource":"arn:aws:s3:::vault/*"}"#,
    )
    .await;
    let e = delete(&bob, "a", &versions[0]).await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    // Without the header the retention refuses him, as it refuses anyone.
    let e = bob.delete_object().bucket("vault").key("a").version_id(&versions[0]).send().await;
    assert_eq!(failure(&e.unwrap_err()).0, 403);
    // Allowed the bypass too, he lifts it.
    set_policy(
        &s3,
        "vault",
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::bob:root"},"Action":["s3:DeleteObjectVersion","s3:BypassGovernanceRetention"],"Resource":"arn:aws:s3:::vault/*"}"#,
    )
    .await;
    delete(&bob, "a", &versions[0]).await.unwrap();
    // The owner may bypass by default, but not once a policy denies it.
    delete(&s3, "b", &versions[1]).await.unwrap();
    set_policy(
        &s3,
        "vault",
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:BypassGovernanceRetention","Resource":"arn:aws:s3:::vault/*"}"#,
    )
    .await;
    let e = delete(&s3, "c", &versions[2]).await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    let shorten = ObjectLockRetention::builder()
        .mode(ObjectLockRetentionMode::Governance)
        .retain_until_date(DateTime::from_secs(until.secs() - 60))
        .build();
    let e = s3
        .put_object_retention()
        .bucket("vault")
        .key("c")
        .retention(shorten)
        .bypass_governance_retention(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    stack.stop().await;
}
