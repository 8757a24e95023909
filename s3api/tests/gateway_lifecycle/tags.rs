//! Tag filters: a Tag rule and an And{Prefix, Tags} rule expire only the
//! objects (and noncurrent versions) whose own tags match, and
//! `x-amz-expiration` appears only on those.

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, ExpirationStatus, LifecycleRule, LifecycleRuleAndOperator,
    LifecycleRuleFilter, NoncurrentVersionExpiration, Tag, Tagging, VersioningConfiguration,
};

use crate::support::{SECRET, make_bucket};
use crate::{exists, expire_days, put_rules, stack, wait_gone};

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

/// PUTs `key` with `x-amz-tagging: tagging` (none when empty); the
/// `x-amz-expiration` answered and the version ID.
async fn put_tagged(
    s3: &Client,
    bucket: &str,
    key: &str,
    tagging: &str,
) -> (Option<String>, Option<String>) {
    let req = s3.put_object().bucket(bucket).key(key).body(ByteStream::from_static(b"data"));
    let req = if tagging.is_empty() { req } else { req.tagging(tagging) };
    let out = req.send().await.unwrap();
    (out.expiration().map(str::to_string), out.version_id().map(str::to_string))
}

/// The rule ID `x-amz-expiration` names on HEAD and on GET of `key`.
async fn announced(s3: &Client, bucket: &str, key: &str) -> (Option<String>, Option<String>) {
    let rule = |v: Option<&str>| v.map(|v| crate::parse_expiration(v).1);
    let head = s3.head_object().bucket(bucket).key(key).send().await.unwrap();
    let get = s3.get_object().bucket(bucket).key(key).send().await.unwrap();
    (rule(head.expiration()), rule(get.expiration()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_filters_expire_only_tagged_objects() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "tagexp").await;
    let by_tag =
        expire_days("by-tag", LifecycleRuleFilter::builder().tag(tag("class", "tmp")).build(), 1);
    let and = LifecycleRuleAndOperator::builder()
        .prefix("logs/")
        .tags(tag("env", "dev"))
        .tags(tag("team", "x"))
        .build();
    let by_and = expire_days("by-and", LifecycleRuleFilter::builder().and(and).build(), 1);
    put_rules(&s3, "tagexp", vec![by_tag, by_and]).await.unwrap();

    let rule_of = |h: Option<String>| h.map(|v| crate::parse_expiration(&v).1);
    // Matching: announced at PUT, on HEAD and on GET, then expired.
    let (h, _) = put_tagged(&s3, "tagexp", "a", "class=tmp&other=1").await;
    assert_eq!(rule_of(h).as_deref(), Some("by-tag"));
    let (h, _) = put_tagged(&s3, "tagexp", "logs/d", "env=dev&team=x").await;
    assert_eq!(rule_of(h).as_deref(), Some("by-and"));
    // Not matching: no header.
    for (key, tagging) in [
        ("b", ""),
        ("c", "class=keep"),
        ("logs/e", "env=dev"),
        ("other/f", "env=dev&team=x"),
        ("g", ""),
    ] {
        let (h, _) = put_tagged(&s3, "tagexp", key, tagging).await;
        assert_eq!(h, None, "{key} is not announced");
    }
    let some = |s: &str| Some(s.to_string());
    assert_eq!(announced(&s3, "tagexp", "a").await, (some("by-tag"), some("by-tag")));
    assert_eq!(announced(&s3, "tagexp", "logs/d").await, (some("by-and"), some("by-and")));
    assert_eq!(announced(&s3, "tagexp", "c").await, (None, None));
    // Tagged later by PutObjectTagging: announced from then on.
    let t = Tagging::builder().tag_set(tag("class", "tmp")).build().unwrap();
    s3.put_object_tagging().bucket("tagexp").key("g").tagging(t).send().await.unwrap();
    assert_eq!(announced(&s3, "tagexp", "g").await, (some("by-tag"), some("by-tag")));

    for key in ["a", "logs/d", "g"] {
        wait_gone(&s3, "tagexp", key).await;
    }
    // A few more passes leave the others alone.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for key in ["b", "c", "logs/e", "other/f"] {
        assert!(exists(&s3, "tagexp", key).await, "{key} must stay");
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noncurrent_versions_are_judged_by_their_own_tags() {
    let stack = stack().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "tagver").await;
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning().bucket("tagver").versioning_configuration(on).send().await.unwrap();
    let rule = LifecycleRule::builder()
        .id("old-tmp")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().tag(tag("class", "tmp")).build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder().noncurrent_days(1).build(),
        )
        .build()
        .unwrap();
    put_rules(&s3, "tagver", vec![rule]).await.unwrap();
    // k: an old tagged version under a new untagged one; j: the reverse.
    let (_, k_old) = put_tagged(&s3, "tagver", "k", "class=tmp").await;
    let (_, k_new) = put_tagged(&s3, "tagver", "k", "").await;
    let (_, j_old) = put_tagged(&s3, "tagver", "j", "").await;
    let (_, j_new) = put_tagged(&s3, "tagver", "j", "class=tmp").await;
    let ids = |v: &[Option<String>]| v.iter().map(|v| v.clone().unwrap()).collect::<Vec<_>>();

    let listed = |s3: Client| async move {
        let out = s3.list_object_versions().bucket("tagver").send().await.unwrap();
        let mut v: Vec<String> =
            out.versions().iter().map(|v| v.version_id().unwrap().to_string()).collect();
        v.sort();
        v
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut want = ids(&[k_new.clone(), j_old.clone(), j_new.clone()]);
    want.sort();
    loop {
        let now = listed(s3.clone()).await;
        if now == want {
            break;
        }
        assert!(Instant::now() < deadline, "k's tagged old version never expired: {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(k_old.is_some());
    // j's untagged old version stays through more passes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(listed(s3.clone()).await, want);
    stack.stop().await;
}
