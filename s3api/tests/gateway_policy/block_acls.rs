//! BlockPublicAcls: writes that set a public ACL by header are 403 on a
//! bucket that blocks them; private ones, and the same writes elsewhere,
//! go through.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ObjectCannedAcl, PublicAccessBlockConfiguration};

use crate::failure;
use crate::support::{SECRET, Stack, make_bucket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_public_acls_refuses_public_acl_headers_on_writes() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "blocked").await;
    make_bucket(&s3, "open").await;
    let block = PublicAccessBlockConfiguration::builder().block_public_acls(true).build();
    s3.put_public_access_block()
        .bucket("blocked")
        .public_access_block_configuration(block)
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket("blocked")
        .key("src")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();

    for acl in [
        ObjectCannedAcl::PublicRead,
        ObjectCannedAcl::PublicReadWrite,
        ObjectCannedAcl::AuthenticatedRead,
    ] {
        let put = s3
            .put_object()
            .bucket("blocked")
            .key("k")
            .acl(acl.clone())
            .body(ByteStream::from_static(b"x"));
        let (status, code, _) = failure(&put.send().await.unwrap_err());
        assert_eq!((status, code.as_str()), (403, "AccessDenied"), "{acl:?}");
        let copy =
            s3.copy_object().bucket("blocked").key("c").copy_source("blocked/src").acl(acl.clone());
        assert_eq!(failure(&copy.send().await.unwrap_err()).1, "AccessDenied");
        let mpu = s3.create_multipart_upload().bucket("blocked").key("m").acl(acl.clone());
        assert_eq!(failure(&mpu.send().await.unwrap_err()).1, "AccessDenied");
        // The bucket without a block takes it.
        let put =
            s3.put_object().bucket("open").key("k").acl(acl).body(ByteStream::from_static(b"x"));
        put.send().await.unwrap();
    }
    let grant = s3
        .put_object()
        .bucket("blocked")
        .key("g")
        .grant_read("uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"")
        .body(ByteStream::from_static(b"x"));
    assert_eq!(failure(&grant.send().await.unwrap_err()).1, "AccessDenied");
    // Nothing was written; private ACLs are fine.
    let e = s3.head_object().bucket("blocked").key("k").send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(404));
    let put = s3
        .put_object()
        .bucket("blocked")
        .key("k")
        .acl(ObjectCannedAcl::Private)
        .body(ByteStream::from_static(b"x"));
    put.send().await.unwrap();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_public_acls_refuses_public_put_bucket_and_object_acls() {
    use aws_sdk_s3::types::{
        AccessControlPolicy, BucketCannedAcl, Grant, Grantee, Owner, Permission, Type,
    };
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "acls").await;
    s3.put_object()
        .bucket("acls")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let block = PublicAccessBlockConfiguration::builder().block_public_acls(true).build();
    s3.put_public_access_block()
        .bucket("acls")
        .public_access_block_configuration(block)
        .send()
        .await
        .unwrap();

    let e = s3.put_bucket_acl().bucket("acls").acl(BucketCannedAcl::PublicRead).send().await;
    assert_eq!(failure(&e.unwrap_err()).0, 403);
    let e =
        s3.put_object_acl().bucket("acls").key("k").acl(ObjectCannedAcl::PublicRead).send().await;
    assert_eq!(failure(&e.unwrap_err()).1, "AccessDenied");
    // The same grant as an XML body.
    let me = s3.get_bucket_acl().bucket("acls").send().await.unwrap();
    let owner = me.owner().unwrap().clone();
    let everyone = Grant::builder()
        .grantee(
            Grantee::builder()
                .r#type(Type::Group)
                .uri("http://acs.amazonaws.com/groups/global/AllUsers")
                .build()
                .unwrap(),
        )
        .permission(Permission::Read)
        .build();
    let body = AccessControlPolicy::builder()
        .owner(Owner::builder().id(owner.id().unwrap()).build())
        .grants(everyone)
        .build();
    let e = s3.put_bucket_acl().bucket("acls").access_control_policy(body).send().await;
    assert_eq!(failure(&e.unwrap_err()).1, "AccessDenied");
    // Private ACLs go through; without the block, public ones do too.
    s3.put_object_acl().bucket("acls").key("k").acl(ObjectCannedAcl::Private).send().await.unwrap();
    s3.delete_public_access_block().bucket("acls").send().await.unwrap();
    s3.put_object_acl()
        .bucket("acls")
        .key("k")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .unwrap();
    assert_eq!(crate::raw(stack.s3, "GET /acls/k", &[], b"").await.0, 200);
    stack.stop().await;
}
