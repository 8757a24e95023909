//! Put/Get/Delete of policies and Public Access Blocks, policy status,
//! AWS's errors, and BlockPublicPolicy.

use aws_sdk_s3::types::PublicAccessBlockConfiguration;

use crate::support::{SECRET, Stack, make_bucket};
use crate::{failure, tenant};

pub(crate) const PUBLIC_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}]}"#;

/// A policy for bucket `b` from a template naming `BUCKET`.
pub(crate) fn for_bucket(template: &str, b: &str) -> String {
    template.replace("BUCKET", b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_round_trips_with_status_and_404s() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "pol").await;

    let e = s3.get_bucket_policy().bucket("pol").send().await.unwrap_err();
    let (status, code, _) = failure(&e);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucketPolicy"));
    let e = s3.get_bucket_policy_status().bucket("pol").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "NoSuchBucketPolicy");

    let public = for_bucket(PUBLIC_READ, "pol");
    s3.put_bucket_policy().bucket("pol").policy(&public).send().await.unwrap();
    let got = s3.get_bucket_policy().bucket("pol").send().await.unwrap();
    assert_eq!(got.policy(), Some(public.as_str()), "answered as sent");
    let st = s3.get_bucket_policy_status().bucket("pol").send().await.unwrap();
    assert_eq!(st.policy_status().and_then(|p| p.is_public()), Some(true));

    // Pinned to an address range: not public. Replacing keeps one policy.
    let pinned = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}"#;
    s3.put_bucket_policy()
        .bucket("pol")
        .policy(pinned)
        .confirm_remove_self_bucket_access(true)
        .send()
        .await
        .unwrap();
    let st = s3.get_bucket_policy_status().bucket("pol").send().await.unwrap();
    assert_eq!(st.policy_status().and_then(|p| p.is_public()), Some(false));
    let got = s3.get_bucket_policy().bucket("pol").send().await.unwrap();
    assert_eq!(got.policy(), Some(pinned));

    s3.delete_bucket_policy().bucket("pol").send().await.unwrap();
    s3.delete_bucket_policy().bucket("pol").send().await.unwrap();
    let e = s3.get_bucket_policy().bucket("pol").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "NoSuchBucketPolicy");

    let e = s3.get_bucket_policy().bucket("nosuch").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "NoSuchBucket");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_policies_are_400_with_aws_messages() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "mal").await;
    let st = |body: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{{{body}}}]}}"#);
    let cases = [
        ("not json".to_string(), "Policies must be valid JSON and the first byte must be '{'"),
        (
            st(
                r#""Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::mal/*""#,
            ),
            "Policy has invalid action",
        ),
        (
            st(
                r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*""#,
            ),
            "Policy has invalid resource",
        ),
        (
            st(
                r#""Effect":"Permit","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::mal/*""#,
            ),
            "Invalid effect: Permit",
        ),
        (
            st(
                r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::mal/*","Condition":{"StringEqualz":{"aws:username":"x"}}"#,
            ),
            "Invalid Condition type : StringEqualz",
        ),
    ];
    for (policy, message) in cases {
        let e = s3.put_bucket_policy().bucket("mal").policy(&policy).send().await.unwrap_err();
        assert_eq!(failure(&e), (400, "MalformedPolicy".into(), message.into()), "{policy}");
    }
    let big = format!(
        r#"{{"Statement":[{}]}}"#,
        (0..300)
            .map(|i| format!(
                r#"{{"Sid":"s{i}","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::mal/*"}}"#
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    let e = s3.put_bucket_policy().bucket("mal").policy(&big).send().await.unwrap_err();
    assert_eq!(failure(&e).1, "MalformedPolicy");
    // Nothing was stored.
    let e = s3.get_bucket_policy().bucket("mal").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "NoSuchBucketPolicy");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_access_block_round_trips_and_blocks_public_policies() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "pab").await;

    let e = s3.get_public_access_block().bucket("pab").send().await.unwrap_err();
    let (status, code, _) = failure(&e);
    assert_eq!((status, code.as_str()), (404, "NoSuchPublicAccessBlockConfiguration"));

    let only_policy = PublicAccessBlockConfiguration::builder().block_public_policy(true).build();
    s3.put_public_access_block()
        .bucket("pab")
        .public_access_block_configuration(only_policy)
        .send()
        .await
        .unwrap();
    let got = s3.get_public_access_block().bucket("pab").send().await.unwrap();
    let c = got.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            c.block_public_acls(),
            c.ignore_public_acls(),
            c.block_public_policy(),
            c.restrict_public_buckets()
        ),
        (Some(false), Some(false), Some(true), Some(false))
    );

    // BlockPublicPolicy: a public policy is 403, a pinned one is fine.
    let e = s3
        .put_bucket_policy()
        .bucket("pab")
        .policy(for_bucket(PUBLIC_READ, "pab"))
        .send()
        .await
        .unwrap_err();
    let (status, code, _) = failure(&e);
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    let owner_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::alice:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pab/*"}]}"#;
    s3.put_bucket_policy().bucket("pab").policy(owner_only).send().await.unwrap();

    // Without the block, the public policy goes in.
    s3.delete_public_access_block().bucket("pab").send().await.unwrap();
    let e = s3.get_public_access_block().bucket("pab").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "NoSuchPublicAccessBlockConfiguration");
    s3.put_bucket_policy()
        .bucket("pab")
        .policy(for_bucket(PUBLIC_READ, "pab"))
        .send()
        .await
        .unwrap();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_bucket_owner_manages_its_policy() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "mine").await;
    let alice = tenant(&stack, "alice", "FDFSALICEKEY00000001").await;
    let policy = for_bucket(PUBLIC_READ, "mine");
    let e = alice.put_bucket_policy().bucket("mine").policy(&policy).send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    s3.put_bucket_policy().bucket("mine").policy(&policy).send().await.unwrap();
    let e = alice.get_bucket_policy().bucket("mine").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    let e = alice.delete_bucket_policy().bucket("mine").send().await.unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    let block = PublicAccessBlockConfiguration::builder().block_public_acls(true).build();
    let e = alice
        .put_public_access_block()
        .bucket("mine")
        .public_access_block_configuration(block)
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(&e).1, "AccessDenied");
    stack.stop().await;
}
