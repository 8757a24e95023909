//! `rebuild-index` restores object ACLs from the files' tags: set by
//! PutObject and by a later PutObjectAcl; a copy sharing a file never
//! passes its ACL to its source (nor gets the source's).

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectCannedAcl;

use super::support::{self, Stack};

/// The (grantee ID or URI, permission) pairs of `key`'s ACL.
async fn grants(s3: &Client, key: &str) -> Vec<(String, String)> {
    let acl = s3.get_object_acl().bucket("rebuilt-acl").key(key).send().await.unwrap();
    acl.grants()
        .iter()
        .map(|g| {
            let who = g.grantee().unwrap();
            (who.id().or(who.uri()).unwrap().to_string(), g.permission().unwrap().as_str().into())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_index_restores_object_acls() {
    let stack = Stack::start().await;
    let s3 = stack.client(support::SECRET);
    support::make_bucket(&s3, "rebuilt-acl").await;
    let put = |key: &'static str| {
        s3.put_object().bucket("rebuilt-acl").key(key).body(ByteStream::from_static(b"x"))
    };
    put("pub").acl(ObjectCannedAcl::PublicRead).send().await.unwrap();
    put("priv").send().await.unwrap();
    put("later").send().await.unwrap();
    let acl = s3.put_object_acl().bucket("rebuilt-acl").key("later");
    acl.acl(ObjectCannedAcl::AuthenticatedRead).send().await.unwrap();
    put("undone").acl(ObjectCannedAcl::PublicRead).send().await.unwrap();
    let acl = s3.put_object_acl().bucket("rebuilt-acl").key("undone");
    acl.acl(ObjectCannedAcl::Private).send().await.unwrap();
    // A copy shares pub's file; its own ACL change must not reach pub.
    let copy = s3.copy_object().bucket("rebuilt-acl").key("copy").copy_source("rebuilt-acl/pub");
    copy.send().await.unwrap();
    let acl = s3.put_object_acl().bucket("rebuilt-acl").key("copy");
    acl.acl(ObjectCannedAcl::PublicReadWrite).send().await.unwrap();
    let before = [
        grants(&s3, "pub").await,
        grants(&s3, "priv").await,
        grants(&s3, "later").await,
        grants(&s3, "undone").await,
    ];
    assert_eq!(before[0].len(), 2);
    assert_eq!(before[2][1].0, "http://acs.amazonaws.com/groups/global/AuthenticatedUsers");

    let (rebuilt, trigger) = stack.rebuilt_gateway("rebuilt").await;
    let after = [
        grants(&rebuilt, "pub").await,
        grants(&rebuilt, "priv").await,
        grants(&rebuilt, "later").await,
        grants(&rebuilt, "undone").await,
    ];
    assert_eq!(after, before);
    // The copy comes back with the default ACL: its owner's only.
    assert_eq!(grants(&rebuilt, "copy").await, before[1]);
    trigger.trigger();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuilding_an_existing_index_keeps_bucket_access() {
    use fdfs_protocol::client::{Pool, StorageClient, TrackerClient};
    use fdfs_s3api::gateway::server::index_path;
    use fdfs_s3api::index::{Bucket, BucketAclConfig, Index, OwnerGrant};

    let stack = Stack::start().await;
    let data = stack.dir.path().join("kept");
    std::fs::create_dir_all(&data).unwrap();
    let config = BucketAclConfig {
        acl: Some("owner\nREAD group AllUsers".into()),
        object_ownership: Some("BucketOwnerPreferred".into()),
        grants: vec![("alice".into(), OwnerGrant { read: true, write: false })],
    };
    {
        let mut ix = Index::open(index_path(&data)).unwrap();
        let bucket = Bucket {
            name: "kept-bucket".into(),
            home_group: "group1".into(),
            owner: "owner".into(),
            created_ms: 1,
        };
        ix.create_bucket(&bucket).unwrap();
        ix.set_bucket_acl_config("kept-bucket", &config).unwrap();
        assert_eq!(ix.get_bucket_acl_config("kept-bucket").unwrap(), config);
    }
    let pool = Pool::default();
    let tracker = TrackerClient::new(vec![stack.tracker], pool.clone()).unwrap();
    let storage = StorageClient::new(pool);
    fdfs_s3api::rebuild::rebuild_index(&tracker, &storage, &data).await.unwrap();
    let mut ix = Index::open(index_path(&data)).unwrap();
    assert_eq!(ix.get_bucket_acl_config("kept-bucket").unwrap(), config);
    // Setting a configuration replaces the grants, not adds to them.
    let none = BucketAclConfig::default();
    ix.set_bucket_acl_config("kept-bucket", &none).unwrap();
    assert_eq!(ix.get_bucket_acl_config("kept-bucket").unwrap(), none);
    drop(ix);
    stack.stop().await;
}
