//! Object Ownership: the ObjectWriter default, BucketOwnerPreferred's
//! bucket-owner-full-control, and BucketOwnerEnforced turning ACLs off.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketCannedAcl, ObjectCannedAcl, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
};

use super::support::{self, Stack};
use super::{alice, canonical_id, code, raw};

fn controls(o: ObjectOwnership) -> OwnershipControls {
    let rule = OwnershipControlsRule::builder().object_ownership(o).build().unwrap();
    OwnershipControls::builder().rules(rule).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ownership_controls_decide_who_owns_and_whether_acls_count() {
    let stack = Stack::start().await;
    let s3 = stack.client(support::SECRET);
    let alice = alice(&stack).await;
    let her = canonical_id("alice");
    let me = canonical_id("owner");

    // Default: none set (404), writers own their objects.
    support::make_bucket(&s3, "own").await;
    let (c, status) = code(s3.get_bucket_ownership_controls().bucket("own").send().await);
    assert_eq!((c.as_str(), status), ("OwnershipControlsNotFoundError", 404));
    let put = s3.put_bucket_acl().bucket("own").grant_write(format!("id=\"{her}\""));
    put.send().await.unwrap();
    let w = alice.put_object().bucket("own").key("a").body(ByteStream::from_static(b"a"));
    w.send().await.unwrap();
    let acl = s3.get_object_acl().bucket("own").key("a").send().await.unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(her.as_str()));

    // BucketOwnerPreferred: bucket-owner-full-control hands it over.
    let put = s3.put_bucket_ownership_controls().bucket("own");
    put.ownership_controls(controls(ObjectOwnership::BucketOwnerPreferred)).send().await.unwrap();
    let got = s3.get_bucket_ownership_controls().bucket("own").send().await.unwrap();
    let rule = &got.ownership_controls().unwrap().rules()[0];
    assert_eq!(rule.object_ownership(), &ObjectOwnership::BucketOwnerPreferred);
    let w = alice.put_object().bucket("own").key("b").acl(ObjectCannedAcl::BucketOwnerFullControl);
    w.body(ByteStream::from_static(b"b")).send().await.unwrap();
    let acl = s3.get_object_acl().bucket("own").key("b").send().await.unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(me.as_str()));

    // BucketOwnerEnforced is refused while the bucket ACL grants others.
    let put = s3.put_bucket_ownership_controls().bucket("own");
    let enforced = put.ownership_controls(controls(ObjectOwnership::BucketOwnerEnforced));
    let (c, status) = code(enforced.clone().send().await);
    assert_eq!((c.as_str(), status), ("InvalidBucketAclWithObjectOwnership", 400));
    s3.put_bucket_acl().bucket("own").acl(BucketCannedAcl::Private).send().await.unwrap();
    enforced.send().await.unwrap();

    // Enforced: ACL writes refused, ACLs read as the owner's full control.
    let w = s3.put_object().bucket("own").key("c").acl(ObjectCannedAcl::PublicRead);
    let (c, status) = code(w.body(ByteStream::from_static(b"c")).send().await);
    assert_eq!((c.as_str(), status), ("AccessControlListNotSupported", 400));
    let w = s3.put_object().bucket("own").key("c").acl(ObjectCannedAcl::BucketOwnerFullControl);
    w.body(ByteStream::from_static(b"c")).send().await.unwrap();
    let p = s3.put_object_acl().bucket("own").key("c").acl(ObjectCannedAcl::PublicRead);
    assert_eq!(code(p.send().await).0, "AccessControlListNotSupported");
    let p = s3.put_bucket_acl().bucket("own").acl(BucketCannedAcl::PublicRead);
    assert_eq!(code(p.send().await).0, "AccessControlListNotSupported");
    let acl = s3.get_object_acl().bucket("own").key("a").send().await.unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(me.as_str()));
    assert_eq!(acl.grants().len(), 1);
    assert_eq!(acl.grants()[0].grantee().unwrap().id(), Some(me.as_str()));

    // Deleting the controls turns ACLs back on (ObjectWriter).
    s3.delete_bucket_ownership_controls().bucket("own").send().await.unwrap();
    let got = s3.get_bucket_ownership_controls().bucket("own").send().await;
    assert_eq!(code(got).0, "OwnershipControlsNotFoundError");

    // x-amz-object-ownership on CreateBucket, and the ACL it forbids.
    let c = s3
        .create_bucket()
        .bucket("enforced")
        .object_ownership(ObjectOwnership::BucketOwnerEnforced);
    c.send().await.unwrap();
    let got = s3.get_bucket_ownership_controls().bucket("enforced").send().await.unwrap();
    let rule = &got.ownership_controls().unwrap().rules()[0];
    assert_eq!(rule.object_ownership(), &ObjectOwnership::BucketOwnerEnforced);
    let c =
        s3.create_bucket().bucket("both").object_ownership(ObjectOwnership::BucketOwnerEnforced);
    let (c, status) = code(c.acl(BucketCannedAcl::PublicRead).send().await);
    assert_eq!((c.as_str(), status), ("InvalidBucketAclWithObjectOwnership", 400));
    // A public-read ACL set before enforcement stops counting.
    let c = s3.create_bucket().bucket("was-public").acl(BucketCannedAcl::PublicRead);
    c.send().await.unwrap();
    assert_eq!(raw(stack.s3, "GET /was-public", &[], b"").await.0, 200);
    stack
        .index
        .write(|ix| ix.set_bucket_ownership("was-public", Some("BucketOwnerEnforced")))
        .await
        .unwrap();
    assert_eq!(raw(stack.s3, "GET /was-public", &[], b"").await.0, 403);
    stack.stop().await;
}
