//! ACLs through the SDK: canned ACLs and grant headers on every write,
//! Put/Get Bucket and Object ACLs (XML bodies, versions), and what they
//! let other owners and anonymous requests do.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AccessControlPolicy, BucketCannedAcl, BucketVersioningStatus, CompletedMultipartUpload,
    CompletedPart, Grant, Grantee, ObjectCannedAcl, Owner, Permission, Type,
    VersioningConfiguration,
};

use super::support::{self, Stack};
use super::{alice, canonical_id, code, raw};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

fn bytes(b: &'static [u8]) -> ByteStream {
    ByteStream::from_static(b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canned_acls_on_writes_open_exactly_what_they_say() {
    let stack = Stack::start().await;
    let s3 = stack.client(support::SECRET);
    let create = s3.create_bucket().bucket("pub").acl(BucketCannedAcl::PublicRead);
    create.send().await.unwrap();
    // The bucket's ACL: the owner's full control and AllUsers READ.
    let acl = s3.get_bucket_acl().bucket("pub").send().await.unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(canonical_id("owner").as_str()));
    let grants: Vec<_> = acl
        .grants()
        .iter()
        .map(|g| {
            let who = g.grantee().unwrap();
            (
                who.id().or(who.uri()).unwrap().to_string(),
                g.permission().unwrap().as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(
        grants,
        vec![
            (canonical_id("owner"), "FULL_CONTROL".to_string()),
            (ALL_USERS.to_string(), "READ".to_string())
        ]
    );
    // Anyone lists it; its private objects stay private.
    s3.put_object().bucket("pub").key("private").body(bytes(b"p")).send().await.unwrap();
    let put = s3.put_object().bucket("pub").key("open").acl(ObjectCannedAcl::PublicRead);
    put.body(bytes(b"hello")).send().await.unwrap();
    let (status, listing) = raw(stack.s3, "GET /pub", &[], b"").await;
    assert_eq!(status, 200);
    assert!(listing.contains("<Key>open</Key>") && listing.contains("<Key>private</Key>"));
    assert_eq!(raw(stack.s3, "GET /pub/open", &[], b"").await, (200, "hello".to_string()));
    assert_eq!(raw(stack.s3, "GET /pub/private", &[], b"").await.0, 403);
    assert_eq!(raw(stack.s3, "GET /pub/open?acl", &[], b"").await.0, 403);

    // An overwrite without an ACL is private again.
    s3.put_object().bucket("pub").key("open").body(bytes(b"v2")).send().await.unwrap();
    assert_eq!(raw(stack.s3, "GET /pub/open", &[], b"").await.0, 403);

    // CopyObject and multipart uploads take canned ACLs too.
    let copy = s3.copy_object().bucket("pub").key("copied").copy_source("pub/private");
    copy.acl(ObjectCannedAcl::PublicRead).send().await.unwrap();
    assert_eq!(raw(stack.s3, "GET /pub/copied", &[], b"").await, (200, "p".to_string()));
    let up = s3.create_multipart_upload().bucket("pub").key("mp").acl(ObjectCannedAcl::PublicRead);
    let id = up.send().await.unwrap().upload_id().unwrap().to_string();
    let part = s3.upload_part().bucket("pub").key("mp").upload_id(&id).part_number(1);
    let etag = part.body(bytes(b"parts")).send().await.unwrap().e_tag().unwrap().to_string();
    // Not public before completion: there is no object yet.
    assert_eq!(raw(stack.s3, "GET /pub/mp", &[], b"").await.0, 403);
    let done = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(etag).build())
        .build();
    let complete = s3.complete_multipart_upload().bucket("pub").key("mp").upload_id(&id);
    complete.multipart_upload(done).send().await.unwrap();
    assert_eq!(raw(stack.s3, "GET /pub/mp", &[], b"").await, (200, "parts".to_string()));

    // A bucket of public writes takes anonymous objects.
    let rw = s3.create_bucket().bucket("drop").acl(BucketCannedAcl::PublicReadWrite);
    rw.send().await.unwrap();
    assert_eq!(raw(stack.s3, "PUT /drop/x", &[("x-amz-acl", "public-read")], b"anon").await.0, 200);
    assert_eq!(raw(stack.s3, "GET /drop/x", &[], b"").await, (200, "anon".to_string()));
    // Its owner is the anonymous principal.
    let listed = s3.list_objects().bucket("drop").send().await.unwrap();
    let owner = listed.contents()[0].owner().unwrap();
    assert_eq!(owner.id(), Some("65a011a29cdf8ec533ec3d1ccaae921c"));
    // A bad canned ACL is refused.
    let bad = raw(stack.s3, "PUT /drop/y", &[("x-amz-acl", "everyone")], b"").await;
    assert_eq!(bad.0, 400, "{}", bad.1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_to_another_owner() {
    let stack = Stack::start().await;
    let s3 = stack.client(support::SECRET);
    let alice = alice(&stack).await;
    let (me, her) = (canonical_id("owner"), canonical_id("alice"));
    support::make_bucket(&s3, "shared").await;
    s3.put_object().bucket("shared").key("doc").body(bytes(b"doc")).send().await.unwrap();
    let denied = ("AccessDenied".to_string(), 403);
    assert_eq!(code(alice.get_object().bucket("shared").key("doc").send().await), denied);

    // PutObjectAcl with a body: alice may read the object, not its ACL.
    let policy = AccessControlPolicy::builder()
        .owner(Owner::builder().id(&me).build())
        .grants(grant(Type::CanonicalUser, &me, Permission::FullControl))
        .grants(grant(Type::CanonicalUser, &her, Permission::Read))
        .build();
    let put = s3.put_object_acl().bucket("shared").key("doc").access_control_policy(policy);
    put.send().await.unwrap();
    let got = alice.get_object().bucket("shared").key("doc").send().await.unwrap();
    assert_eq!(support::body(got).await, b"doc");
    assert_eq!(code(alice.get_object_acl().bucket("shared").key("doc").send().await), denied);
    let acl = s3.get_object_acl().bucket("shared").key("doc").send().await.unwrap();
    let theirs = acl.grants().iter().find(|g| g.grantee().unwrap().id() == Some(her.as_str()));
    assert_eq!(theirs.unwrap().grantee().unwrap().display_name(), Some("alice"));

    // x-amz-grant-write on the bucket: alice writes; her object is hers.
    let put = s3.put_bucket_acl().bucket("shared").grant_write(format!("id=\"{her}\""));
    put.send().await.unwrap();
    alice.put_object().bucket("shared").key("hers").body(bytes(b"h")).send().await.unwrap();
    let v1 = s3.list_objects().bucket("shared").send().await.unwrap();
    let hers = v1.contents().iter().find(|o| o.key() == Some("hers")).unwrap();
    assert_eq!(hers.owner().unwrap().id(), Some(her.as_str()));
    // She owns its ACL; she still cannot list or reconfigure the bucket.
    let acl = alice.get_object_acl().bucket("shared").key("hers").send().await.unwrap();
    assert_eq!(acl.owner().unwrap().id(), Some(her.as_str()));
    assert_eq!(code(alice.list_objects_v2().bucket("shared").send().await), denied);
    assert_eq!(code(alice.get_bucket_acl().bucket("shared").send().await), denied);
    // The bucket owner keeps reading everything in the bucket.
    s3.get_object().bucket("shared").key("hers").send().await.unwrap();
    // Replacing the bucket ACL takes the grant away.
    s3.put_bucket_acl().bucket("shared").acl(BucketCannedAcl::Private).send().await.unwrap();
    let put = alice.put_object().bucket("shared").key("more").body(bytes(b"m"));
    assert_eq!(code(put.send().await), denied);

    // Grants the gateway cannot honour are refused as S3 refuses them.
    let unknown = format!("id=\"{}\"", canonical_id("nobody"));
    let put = s3.put_bucket_acl().bucket("shared").grant_read(unknown);
    assert_eq!(code(put.send().await), ("InvalidArgument".to_string(), 400));
    let put = s3.put_bucket_acl().bucket("shared").grant_read("emailAddress=\"a@example.com\"");
    assert_eq!(code(put.send().await), ("UnresolvableGrantByEmailAddress".to_string(), 400));
    let put = s3.put_object_acl().bucket("shared").key("missing").acl(ObjectCannedAcl::PublicRead);
    assert_eq!(code(put.send().await), ("NoSuchKey".to_string(), 404));
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_acls_are_per_version() {
    let stack = Stack::start().await;
    let s3 = stack.client(support::SECRET);
    support::make_bucket(&s3, "vers").await;
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning().bucket("vers").versioning_configuration(on).send().await.unwrap();
    let put = s3.put_object().bucket("vers").key("k").acl(ObjectCannedAcl::PublicRead);
    let v1 = put.body(bytes(b"one")).send().await.unwrap().version_id().unwrap().to_string();
    let v2 = s3.put_object().bucket("vers").key("k").body(bytes(b"two")).send().await.unwrap();
    let v2 = v2.version_id().unwrap().to_string();
    // The current version is private; the old one public.
    assert_eq!(raw(stack.s3, "GET /vers/k", &[], b"").await.0, 403);
    let old = format!("GET /vers/k?versionId={v1}");
    assert_eq!(raw(stack.s3, &old, &[], b"").await, (200, "one".to_string()));
    let acl = s3.get_object_acl().bucket("vers").key("k").version_id(&v1).send().await.unwrap();
    assert_eq!(acl.grants().len(), 2);
    let acl = s3.get_object_acl().bucket("vers").key("k").version_id(&v2).send().await.unwrap();
    assert_eq!(acl.grants().len(), 1);
    // PutObjectAcl by version ID changes that version only.
    let put = s3.put_object_acl().bucket("vers").key("k").version_id(&v1);
    put.acl(ObjectCannedAcl::Private).send().await.unwrap();
    assert_eq!(raw(stack.s3, &old, &[], b"").await.0, 403);
    let put = s3.put_object_acl().bucket("vers").key("k").version_id(&v2);
    put.acl(ObjectCannedAcl::PublicRead).send().await.unwrap();
    assert_eq!(raw(stack.s3, "GET /vers/k", &[], b"").await, (200, "two".to_string()));
    stack.stop().await;
}

fn grant(kind: Type, id: &str, permission: Permission) -> Grant {
    let grantee = Grantee::builder().r#type(kind).id(id).build().unwrap();
    Grant::builder().grantee(grantee).permission(permission).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_grant_does_not_bypass_governance() {
    use aws_sdk_s3::primitives::DateTime;
    use aws_sdk_s3::types::{Delete, ObjectIdentifier, ObjectLockMode};

    let stack = Stack::start().await;
    let s3 = stack.client(support::SECRET);
    let alice = alice(&stack).await;
    s3.create_bucket()
        .bucket("governed")
        .object_lock_enabled_for_bucket(true)
        .send()
        .await
        .unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let until = DateTime::from_secs(now.as_secs() as i64 + 3600);
    let put = s3.put_object().bucket("governed").key("g").body(bytes(b"g"));
    let put = put.object_lock_mode(ObjectLockMode::Governance).object_lock_retain_until_date(until);
    let v = put.send().await.unwrap().version_id().unwrap().to_string();
    let grant = s3
        .put_bucket_acl()
        .bucket("governed")
        .grant_write(format!("id=\"{}\"", canonical_id("alice")));
    grant.send().await.unwrap();
    // Alice may delete (a marker), but not bypass the retention.
    let del = alice.delete_object().bucket("governed").key("g").version_id(&v);
    let (c, status) = code(del.bypass_governance_retention(true).send().await);
    assert_eq!((c.as_str(), status), ("AccessDenied", 403));
    let id = ObjectIdentifier::builder().key("g").version_id(&v).build().unwrap();
    let batch = Delete::builder().objects(id).build().unwrap();
    // The bypass is an action of its own (s3:BypassGovernanceRetention),
    // which no ACL grants: the whole batch is refused.
    let out = alice
        .delete_objects()
        .bucket("governed")
        .delete(batch.clone())
        .bypass_governance_retention(true);
    let (c, status) = code(out.send().await);
    assert_eq!((c.as_str(), status), ("AccessDenied", 403));
    // Without the header, the retention refuses the version on its own.
    let out = alice.delete_objects().bucket("governed").delete(batch.clone());
    let out = out.send().await.unwrap();
    assert_eq!(out.errors().len(), 1, "{out:?}");
    assert!(out.deleted().is_empty());
    // The bucket's owner may.
    let del = s3.delete_object().bucket("governed").key("g").version_id(&v);
    del.bypass_governance_retention(true).send().await.unwrap();
    stack.stop().await;
}
