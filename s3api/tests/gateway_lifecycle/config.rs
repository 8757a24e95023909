//! The configuration: round trip, 404 without one, AWS's errors.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::DateTime;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration, Tag, Transition,
    TransitionStorageClass,
};

use crate::support::{SECRET, Stack, make_bucket};
use crate::{expire_days, filter_prefix, put_rules};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_round_trips_and_get_without_one_is_404() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "conf").await;

    let err = s3.get_bucket_lifecycle_configuration().bucket("conf").send().await.unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 404);
    assert_eq!(err.into_service_error().code(), Some("NoSuchLifecycleConfiguration"));

    let and = LifecycleRuleAndOperator::builder()
        .prefix("logs/")
        .tags(Tag::builder().key("class").value("tmp").build().unwrap())
        .object_size_greater_than(10)
        .object_size_less_than(1_000_000)
        .build();
    let rules = vec![
        expire_days("logs", LifecycleRuleFilter::builder().and(and).build(), 30),
        LifecycleRule::builder()
            .id("versions")
            .status(ExpirationStatus::Disabled)
            .filter(filter_prefix("v/"))
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(7)
                    .newer_noncurrent_versions(3)
                    .build(),
            )
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder().days_after_initiation(2).build(),
            )
            .build()
            .unwrap(),
        LifecycleRule::builder()
            .id("markers")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().build())
            .expiration(LifecycleExpiration::builder().expired_object_delete_marker(true).build())
            .build()
            .unwrap(),
    ];
    put_rules(&s3, "conf", rules.clone()).await.unwrap();
    let got = s3.get_bucket_lifecycle_configuration().bucket("conf").send().await.unwrap();
    assert_eq!(got.rules(), rules.as_slice());

    s3.delete_bucket_lifecycle().bucket("conf").send().await.unwrap();
    let err = s3.get_bucket_lifecycle_configuration().bucket("conf").send().await.unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("NoSuchLifecycleConfiguration"));
    // Deleting again is fine, as on AWS.
    s3.delete_bucket_lifecycle().bucket("conf").send().await.unwrap();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configurations_get_aws_errors() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "bad").await;
    let base = || expire_days("r", filter_prefix(""), 1);
    let with = |f: &dyn Fn(LifecycleRule) -> LifecycleRule| vec![f(base())];
    let expiration = |e: LifecycleExpiration| {
        let mut r = base();
        r.expiration = Some(e);
        r
    };
    let tag = Tag::builder().key("k").value("v").build().unwrap();
    let cases: Vec<(&str, Vec<LifecycleRule>, &str)> = vec![
        ("days 0", with(&|_| expire_days("r", filter_prefix(""), 0)), "InvalidArgument"),
        ("duplicate ids", vec![base(), base()], "InvalidArgument"),
        (
            "id too long",
            with(&|mut r| {
                r.id = Some("x".repeat(256));
                r
            }),
            "InvalidArgument",
        ),
        (
            "prefix and filter",
            with(&|mut r| {
                #[allow(deprecated)]
                {
                    r.prefix = Some("a/".into());
                }
                r
            }),
            "MalformedXML",
        ),
        (
            "marker with days",
            vec![expiration(
                LifecycleExpiration::builder().days(1).expired_object_delete_marker(true).build(),
            )],
            "MalformedXML",
        ),
        (
            "date not midnight",
            vec![expiration(
                LifecycleExpiration::builder()
                    .date(DateTime::from_secs(1_893_456_000 + 3600))
                    .build(),
            )],
            "InvalidArgument",
        ),
        (
            "marker with a tag filter",
            with(&|mut r| {
                r.filter = Some(LifecycleRuleFilter::builder().tag(tag.clone()).build());
                r.expiration =
                    Some(LifecycleExpiration::builder().expired_object_delete_marker(true).build());
                r
            }),
            "InvalidRequest",
        ),
        (
            "newer noncurrent 101",
            with(&|mut r| {
                r.noncurrent_version_expiration = Some(
                    NoncurrentVersionExpiration::builder()
                        .noncurrent_days(1)
                        .newer_noncurrent_versions(101)
                        .build(),
                );
                r
            }),
            "InvalidArgument",
        ),
        (
            "sizes not ordered",
            with(&|mut r| {
                let and = LifecycleRuleAndOperator::builder()
                    .object_size_greater_than(100)
                    .object_size_less_than(50)
                    .build();
                r.filter = Some(LifecycleRuleFilter::builder().and(and).build());
                r
            }),
            "InvalidArgument",
        ),
        (
            "no action",
            with(&|mut r| {
                r.expiration = None;
                r
            }),
            "InvalidRequest",
        ),
        (
            "transition",
            with(&|mut r| {
                r.transitions = Some(vec![
                    Transition::builder()
                        .days(30)
                        .storage_class(TransitionStorageClass::Glacier)
                        .build(),
                ]);
                r
            }),
            "NotImplemented",
        ),
    ];
    for (name, rules, want) in cases {
        assert_eq!(put_rules(&s3, "bad", rules).await.unwrap_err(), want, "{name}");
    }
    let err = s3.get_bucket_lifecycle_configuration().bucket("bad").send().await.unwrap_err();
    assert_eq!(err.into_service_error().code(), Some("NoSuchLifecycleConfiguration"));
    stack.stop().await;
}
