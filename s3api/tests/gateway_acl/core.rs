//! Owners' canonical IDs in every listing, and the access decision:
//! owners pass, other owners and anonymous requests are refused unless a
//! stored ACL grants them (set straight in the index here, so these
//! tests need no ACL operation).

use aws_sdk_s3::primitives::ByteStream;

use super::support::{self, Stack};
use super::{alice, canonical_id, code, raw};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_have_one_canonical_id_everywhere() {
    let stack = Stack::start().await;
    let s3 = stack.client(support::SECRET);
    let me = canonical_id("owner");
    support::make_bucket(&s3, "ids").await;
    s3.put_object()
        .bucket("ids")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    let buckets = s3.list_buckets().send().await.unwrap();
    let owner = buckets.owner().unwrap();
    assert_eq!(owner.id(), Some(me.as_str()));
    assert_eq!(owner.display_name(), Some("owner"));

    let v1 = s3.list_objects().bucket("ids").send().await.unwrap();
    assert_eq!(v1.contents()[0].owner().unwrap().id(), Some(me.as_str()));
    let v2 = s3.list_objects_v2().bucket("ids").send().await.unwrap();
    assert!(v2.contents()[0].owner().is_none(), "no owner without FetchOwner");
    let v2 = s3.list_objects_v2().bucket("ids").fetch_owner(true).send().await.unwrap();
    let o = v2.contents()[0].owner().unwrap();
    assert_eq!((o.id(), o.display_name()), (Some(me.as_str()), Some("owner")));
    let versions = s3.list_object_versions().bucket("ids").send().await.unwrap();
    assert_eq!(versions.versions()[0].owner().unwrap().id(), Some(me.as_str()));

    // Another owner has another ID.
    let alice = alice(&stack).await;
    let theirs = alice.list_buckets().send().await.unwrap();
    assert_eq!(theirs.owner().unwrap().id(), Some(canonical_id("alice").as_str()));
    assert!(theirs.buckets().is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_owners_and_grantees_pass() {
    let stack = Stack::start().await;
    let s3 = stack.client(support::SECRET);
    support::make_bucket(&s3, "mine").await;
    let body = ByteStream::from_static(b"secret");
    s3.put_object().bucket("mine").key("k").body(body).send().await.unwrap();
    let alice = alice(&stack).await;

    // Nothing granted: the other owner and anonymous requests are refused.
    let denied = ("AccessDenied".to_string(), 403);
    assert_eq!(code(alice.list_objects_v2().bucket("mine").send().await), denied);
    assert_eq!(code(alice.get_object().bucket("mine").key("k").send().await), denied);
    let put = alice.put_object().bucket("mine").key("x").body(ByteStream::from_static(b"y"));
    assert_eq!(code(put.send().await), denied);
    let (status, body) = raw(stack.s3, "GET /mine", &[], b"").await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert_eq!(raw(stack.s3, "GET /mine/k", &[], b"").await.0, 403);
    assert_eq!(raw(stack.s3, "GET /", &[], b"").await.0, 403);
    assert_eq!(raw(stack.s3, "PUT /anon-bucket", &[], b"").await.0, 403);
    // A missing bucket is NoSuchBucket to a signed stranger, as before.
    let (c, s) = code(alice.list_objects_v2().bucket("nothere").send().await);
    assert_eq!((c.as_str(), s), ("NoSuchBucket", 404));

    // A public-read bucket ACL lets everyone list, not read objects.
    let public =
        "owner\nFULL_CONTROL id ".to_string() + &canonical_id("owner") + "\nREAD group AllUsers";
    let p = public.clone();
    stack.index.write(move |ix| ix.set_bucket_acl("mine", Some(&p))).await.unwrap();
    let (status, body) = raw(stack.s3, "GET /mine?list-type=2", &[], b"").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<Key>k</Key>"), "{body}");
    let listed = alice.list_objects_v2().bucket("mine").send().await.unwrap();
    assert_eq!(listed.contents().len(), 1);
    assert_eq!(code(alice.get_object().bucket("mine").key("k").send().await), denied);
    assert_eq!(raw(stack.s3, "GET /mine/k", &[], b"").await.0, 403);
    // ... and nothing else on the bucket.
    assert_eq!(code(alice.get_bucket_versioning().bucket("mine").send().await), denied);
    assert_eq!(code(alice.delete_bucket().bucket("mine").send().await), denied);
    let put = alice.put_object().bucket("mine").key("x").body(ByteStream::from_static(b"y"));
    assert_eq!(code(put.send().await), denied);

    // A public-read object ACL lets everyone read that object.
    let p = public.clone();
    stack.index.write(move |ix| ix.set_object_acl("mine", "k", None, Some(&p))).await.unwrap();
    let (status, body) = raw(stack.s3, "GET /mine/k", &[], b"").await;
    assert_eq!((status, body.as_str()), (200, "secret"));
    assert_eq!(raw(stack.s3, "HEAD /mine/k", &[], b"").await.0, 200);
    let got = alice.get_object().bucket("mine").key("k").send().await.unwrap();
    assert_eq!(support::body(got).await, b"secret");
    // Reading is not deleting.
    assert_eq!(raw(stack.s3, "DELETE /mine/k", &[], b"").await.0, 403);
    assert_eq!(code(alice.delete_object().bucket("mine").key("k").send().await), denied);

    // A public-read-write bucket takes anonymous writes; the object is
    // the anonymous writer's.
    let rw = public + "\nWRITE group AllUsers";
    stack.index.write(move |ix| ix.set_bucket_acl("mine", Some(&rw))).await.unwrap();
    let (status, body) = raw(stack.s3, "PUT /mine/anon", &[], b"from nobody").await;
    assert_eq!(status, 200, "{body}");
    let got = s3.get_object().bucket("mine").key("anon").send().await.unwrap();
    assert_eq!(support::body(got).await, b"from nobody");
    assert_eq!(raw(stack.s3, "DELETE /mine/anon", &[], b"").await.0, 204);
    // Still owner-only: bucket configuration.
    assert_eq!(raw(stack.s3, "GET /mine?versioning", &[], b"").await.0, 403);
    assert_eq!(raw(stack.s3, "DELETE /mine", &[], b"").await.0, 403);
    stack.stop().await;
}
