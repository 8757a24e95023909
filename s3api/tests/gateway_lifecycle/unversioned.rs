//! Expiry in unversioned buckets, the header, stale uploads.

use std::time::{Duration, Instant};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleRule, LifecycleRuleAndOperator,
    LifecycleRuleFilter,
};

use crate::support::{SECRET, make_bucket};
use crate::{
    exists, expire_days, filter_prefix, now_secs, parse_expiration, put, put_rules, stack,
    wait_gone,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_under_a_prefix_expire_with_the_header_announcing_it() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "exp").await;
    put_rules(&s3, "exp", vec![expire_days("tmp-rule", filter_prefix("tmp/"), 1)]).await.unwrap();

    let before = now_secs();
    let header = put(&s3, "exp", "tmp/a", 10).await.expect("PUT answers x-amz-expiration");
    let (at, rule) = parse_expiration(&header);
    assert_eq!(rule, "tmp-rule");
    // Created + 1 day, rounded up to the next (one-second) midnight.
    assert!((before + 1..=now_secs() + 2).contains(&at.secs()), "{header} at {before}");
    assert_eq!(put(&s3, "exp", "keep/b", 10).await, None, "no rule for keep/");

    // The object lives at least a (one-second) day: these run well before.
    let head = s3.head_object().bucket("exp").key("tmp/a").send().await.unwrap();
    let get = s3.get_object().bucket("exp").key("tmp/a").send().await.unwrap();
    assert_eq!(head.expiration(), Some(header.as_str()));
    assert_eq!(get.expiration(), Some(header.as_str()));

    wait_gone(&s3, "exp", "tmp/a").await;
    assert!(exists(&s3, "exp", "keep/b").await);
    // A rule that was deleted expires nothing more.
    s3.delete_bucket_lifecycle().bucket("exp").send().await.unwrap();
    put(&s3, "exp", "tmp/c", 1).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(exists(&s3, "exp", "tmp/c").await);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_filters_choose_what_expires() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "sizes").await;
    let and = LifecycleRuleAndOperator::builder()
        .prefix("s/")
        .object_size_greater_than(5)
        .object_size_less_than(100)
        .build();
    let rule = expire_days("mid", LifecycleRuleFilter::builder().and(and).build(), 1);
    put_rules(&s3, "sizes", vec![rule]).await.unwrap();
    assert_eq!(put(&s3, "sizes", "s/small", 5).await, None);
    assert!(put(&s3, "sizes", "s/mid", 50).await.is_some());
    assert_eq!(put(&s3, "sizes", "s/big", 100).await, None);
    wait_gone(&s3, "sizes", "s/mid").await;
    // A few more passes leave the others alone.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(exists(&s3, "sizes", "s/small").await);
    assert!(exists(&s3, "sizes", "s/big").await);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_and_completions_announce_expiry_and_stale_uploads_are_aborted() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "mpu").await;
    let abort = LifecycleRule::builder()
        .id("abort")
        .status(ExpirationStatus::Enabled)
        .filter(filter_prefix("mp/"))
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build(),
        )
        .build()
        .unwrap();
    let rules = vec![abort, expire_days("done", filter_prefix("done/"), 30)];
    put_rules(&s3, "mpu", rules).await.unwrap();

    put(&s3, "mpu", "src", 3).await;
    let copy = s3
        .copy_object()
        .bucket("mpu")
        .key("done/copy")
        .copy_source("mpu/src")
        .send()
        .await
        .unwrap();
    assert!(copy.expiration().unwrap().ends_with("rule-id=\"done\""));
    let up = s3.create_multipart_upload().bucket("mpu").key("done/mp").send().await.unwrap();
    let part = s3
        .upload_part()
        .bucket("mpu")
        .key("done/mp")
        .upload_id(up.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap();
    let parts = aws_sdk_s3::types::CompletedMultipartUpload::builder()
        .parts(
            aws_sdk_s3::types::CompletedPart::builder()
                .part_number(1)
                .e_tag(part.e_tag().unwrap())
                .build(),
        )
        .build();
    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("done/mp")
        .upload_id(up.upload_id().unwrap())
        .multipart_upload(parts)
        .send()
        .await
        .unwrap();
    assert!(done.expiration().unwrap().ends_with("rule-id=\"done\""));

    let stale = s3.create_multipart_upload().bucket("mpu").key("mp/stale").send().await.unwrap();
    s3.upload_part()
        .bucket("mpu")
        .key("mp/stale")
        .upload_id(stale.upload_id().unwrap())
        .part_number(1)
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap();
    s3.create_multipart_upload().bucket("mpu").key("other/kept").send().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = s3.list_multipart_uploads().bucket("mpu").send().await.unwrap();
        let keys: Vec<&str> = list.uploads().iter().filter_map(|u| u.key()).collect();
        if !keys.contains(&"mp/stale") {
            assert_eq!(keys, ["other/kept"]);
            break;
        }
        assert!(Instant::now() < deadline, "stale upload never aborted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let err = s3
        .list_parts()
        .bucket("mpu")
        .key("mp/stale")
        .upload_id(stale.upload_id().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("NoSuchUpload"));
    stack.stop().await;
}
