//! Group buckets end to end: files stored straight on the storage with the
//! FastDFS protocol (as an existing cluster holds them) are read over S3
//! from the bucket named like their group, keyed by file ID; every write
//! to that bucket is refused.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ObjectAttributes;
use fdfs_protocol::client::{Content, Pool, StorageClient, TrackerClient, storage_socket_addr};
use fdfs_protocol::metadata::{MetaOp, Metadata};
use fdfs_s3api::crypto::MasterKey;
use fdfs_s3api::index::AccessKey;
use support::{SECRET, Stack, body};

/// The storage to upload to and its store path.
async fn target(stack: &Stack) -> (StorageClient, SocketAddr, u8) {
    let tracker = TrackerClient::new(vec![stack.tracker], Pool::default()).unwrap();
    let t = tracker.query_store(Some("group1")).await.unwrap();
    (
        StorageClient::new(Pool::default()),
        storage_socket_addr(&t.storage).unwrap(),
        t.store_path_index,
    )
}

/// Uploads `data` with the FastDFS protocol; the logic filename.
async fn upload(stack: &Stack, data: &[u8], ext: &str, appender: bool) -> String {
    let (storage, addr, path) = target(stack).await;
    let mut reader = data;
    let content = Content { len: data.len() as u64, reader: &mut reader };
    let id = storage.upload(addr, path, ext, appender, content).await.unwrap();
    assert_eq!(id.group, "group1");
    id.filename
}

fn code<E: ProvideErrorMetadata>(e: &aws_sdk_s3::error::SdkError<E>) -> Option<&str> {
    e.as_service_error().and_then(ProvideErrorMetadata::code)
}

fn status<E>(e: &aws_sdk_s3::error::SdkError<E>) -> u16 {
    e.raw_response().map_or(0, |r| r.status().as_u16())
}

#[tokio::test]
async fn existing_files_read_by_file_id() {
    let stack = Stack::start().await;
    let s3: Client = stack.client(SECRET);
    let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let name = upload(&stack, &data, "txt", false).await;
    let (storage, addr, _) = target(&stack).await;
    let mut meta = Metadata::new();
    meta.push("width", "1024");
    meta.push("Author", "ann");
    storage.set_metadata(addr, "group1", &name, MetaOp::Overwrite, &meta).await.unwrap();

    // The whole file, with the name's CRC-32 and size as its ETag.
    let etag = format!("\"{:08x}-{:x}\"", crc32fast::hash(&data), data.len());
    let got = s3.get_object().bucket("group1").key(&name).send().await.unwrap();
    assert_eq!(got.content_length(), Some(3000));
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_type(), Some("text/plain; charset=utf-8"));
    assert_eq!(got.metadata().and_then(|m| m.get("author")).map(String::as_str), Some("ann"));
    let modified = SystemTime::try_from(*got.last_modified().unwrap()).unwrap();
    let age = SystemTime::now().duration_since(modified).unwrap_or_default();
    assert!(age < Duration::from_secs(60), "last modified {age:?} ago");
    assert_eq!(body(got).await, data);

    // A range.
    let got = s3.get_object().bucket("group1").key(&name).range("bytes=100-199").send().await;
    let got = got.unwrap();
    assert_eq!(got.content_range(), Some("bytes 100-199/3000"));
    assert_eq!(body(got).await, &data[100..200]);
    let got = s3.get_object().bucket("group1").key(&name).response_content_type("image/png");
    let got = got.part_number(1).send().await.unwrap();
    assert_eq!(got.content_type(), Some("image/png"));
    assert_eq!(got.content_range(), Some("bytes 0-2999/3000"));
    let past = s3.get_object().bucket("group1").key(&name).range("bytes=5000-").send().await;
    assert_eq!(code(&past.unwrap_err()), Some("InvalidRange"));

    // HEAD: size, metadata, and the conditions.
    let head = s3.head_object().bucket("group1").key(&name).send().await.unwrap();
    assert_eq!(head.content_length(), Some(3000));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("width").map(String::as_str), Some("1024"));
    assert_eq!(meta.len(), 2);
    let cached = s3.get_object().bucket("group1").key(&name).if_none_match(&etag).send().await;
    assert_eq!(status(&cached.unwrap_err()), 304);
    let stale = s3.get_object().bucket("group1").key(&name).if_match("\"0-0\"").send().await;
    assert_eq!(status(&stale.unwrap_err()), 412);

    // Appender and slave files, whose names carry no size.
    let appender = upload(&stack, b"first ", "log", true).await;
    let mut more: &[u8] = b"second";
    storage.append(addr, &appender, Content { len: 6, reader: &mut more }).await.unwrap();
    let got = s3.get_object().bucket("group1").key(&appender).send().await.unwrap();
    assert_eq!(got.content_length(), Some(12));
    assert_eq!(body(got).await, b"first second");
    let mut thumb: &[u8] = b"small";
    let content = Content { len: 5, reader: &mut thumb };
    let slave = storage.upload_slave(addr, &name, "_150x150", "txt", content).await.unwrap();
    let got = s3.get_object().bucket("group1").key(&slave.filename).send().await.unwrap();
    assert!(got.metadata().is_none_or(|m| m.is_empty()));
    assert_eq!(body(got).await, b"small");

    // Missing files: a deleted one, and keys that are no file ID.
    let gone = upload(&stack, b"bye", "txt", false).await;
    storage.delete(addr, "group1", &gone).await.unwrap();
    for key in [gone.as_str(), "not-a-file-id.txt", "M00/00/00/short.txt"] {
        let missing = s3.get_object().bucket("group1").key(key).send().await.unwrap_err();
        assert_eq!(code(&missing), Some("NoSuchKey"), "{key}");
        let missing = s3.head_object().bucket("group1").key(key).send().await.unwrap_err();
        assert_eq!(status(&missing), 404, "{key}");
    }
    stack.stop().await;
}

#[tokio::test]
async fn group_buckets_are_read_only() {
    let stack = Stack::start().await;
    let s3: Client = stack.client(SECRET);
    let name = upload(&stack, b"keep me", "bin", false).await;

    s3.head_bucket().bucket("group1").send().await.unwrap();
    let location = s3.get_bucket_location().bucket("group1").send().await.unwrap();
    assert_eq!(location.location_constraint().map(|c| c.as_str()), Some("group1"));
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(buckets.buckets().iter().all(|b| b.name() != Some("group1")));

    let put = s3.put_object().bucket("group1").key("x").body(ByteStream::from_static(b"x"));
    let e = put.send().await.unwrap_err();
    assert_eq!((code(&e), status(&e)), (Some("AccessDenied"), 403));
    let e = s3.delete_object().bucket("group1").key(&name).send().await.unwrap_err();
    assert_eq!((code(&e), status(&e)), (Some("AccessDenied"), 403));
    let e = s3.create_multipart_upload().bucket("group1").key("x").send().await.unwrap_err();
    assert_eq!(code(&e), Some("AccessDenied"));
    let e = s3.delete_bucket().bucket("group1").send().await.unwrap_err();
    assert_eq!(code(&e), Some("AccessDenied"));
    let e = s3.create_bucket().bucket("group1").send().await.unwrap_err();
    assert_eq!((code(&e), status(&e)), (Some("BucketAlreadyExists"), 409));
    let e = s3.list_objects_v2().bucket("group1").send().await.unwrap_err();
    assert_eq!((code(&e), status(&e)), (Some("NotImplemented"), 501));

    // A copy into the group bucket is a write too.
    s3.create_bucket().bucket("mine").send().await.unwrap();
    s3.put_object()
        .bucket("mine")
        .key("k")
        .body(ByteStream::from_static(b"k"))
        .send()
        .await
        .unwrap();
    let copy = s3.copy_object().bucket("group1").key("k").copy_source("mine/k").send().await;
    assert_eq!(code(&copy.unwrap_err()), Some("AccessDenied"));

    // Nothing was deleted; the GET type comes from the extension.
    let got = s3.get_object().bucket("group1").key(&name).send().await.unwrap();
    assert_eq!(got.content_type(), Some("application/octet-stream"));
    assert_eq!(body(got).await, b"keep me");
    // A bucket not named like a group is still just missing.
    let e = s3.head_bucket().bucket("group2").send().await.unwrap_err();
    assert_eq!(status(&e), 404);
    stack.stop().await;
}

#[tokio::test]
async fn only_admin_keys_read_group_buckets() {
    let stack = Stack::start().await;
    let admin: Client = stack.client(SECRET);
    let tenant_key = AccessKey {
        access_key_id: "FDFSTENANTKEY0000001".into(),
        secret: "tenant-secret-0123456789abcdef".into(),
        owner: "alice".into(),
        admin: false,
        created_ms: 0,
    };
    let key = tenant_key.clone();
    let master = MasterKey::for_data_dir(&stack.dir.path().join("gateway")).unwrap();
    stack.index.write(move |ix| ix.create_access_key(&key, &master)).await.unwrap();
    let tenant = support::client_as(stack.s3, &tenant_key.access_key_id, &tenant_key.secret);

    // The tenant's own bucket works; its object is a file of group1.
    tenant.create_bucket().bucket("alices").send().await.unwrap();
    let put =
        tenant.put_object().bucket("alices").key("private").body(ByteStream::from_static(b"mine"));
    put.send().await.unwrap();
    let name = upload(&stack, b"raw file", "txt", false).await;

    // Every read of the group bucket is refused to the tenant...
    let denied = |e: Option<&str>, s: u16| assert_eq!((e, s), (Some("AccessDenied"), 403));
    let e = tenant.get_object().bucket("group1").key(&name).send().await.unwrap_err();
    denied(code(&e), status(&e));
    let e = tenant.head_object().bucket("group1").key(&name).send().await.unwrap_err();
    assert_eq!(status(&e), 403);
    let e = tenant.head_bucket().bucket("group1").send().await.unwrap_err();
    assert_eq!(status(&e), 403);
    let e = tenant.get_bucket_location().bucket("group1").send().await.unwrap_err();
    denied(code(&e), status(&e));
    let e = tenant.list_objects_v2().bucket("group1").send().await.unwrap_err();
    denied(code(&e), status(&e));
    let e = tenant.list_objects().bucket("group1").send().await.unwrap_err();
    denied(code(&e), status(&e));
    let e = tenant.list_multipart_uploads().bucket("group1").send().await.unwrap_err();
    denied(code(&e), status(&e));
    let e = tenant.list_parts().bucket("group1").key(&name).upload_id("x").send().await;
    let e = e.unwrap_err();
    denied(code(&e), status(&e));
    let e = tenant.get_object_attributes().bucket("group1").key(&name);
    let e = e.object_attributes(ObjectAttributes::ObjectSize).send().await.unwrap_err();
    denied(code(&e), status(&e));
    // ... even a missing file (no probing for file IDs).
    let e = tenant.get_object().bucket("group1").key("M00/00/00/nope.txt").send().await;
    let e = e.unwrap_err();
    denied(code(&e), status(&e));

    // ... and served to the admin key.
    let got = admin.get_object().bucket("group1").key(&name).send().await.unwrap();
    assert_eq!(body(got).await, b"raw file");
    // GetObjectAttributes answers from the file's info: no checksum, no parts.
    let attrs = admin
        .get_object_attributes()
        .bucket("group1")
        .key(&name)
        .object_attributes(ObjectAttributes::ObjectSize)
        .object_attributes(ObjectAttributes::Etag)
        .object_attributes(ObjectAttributes::Checksum)
        .send()
        .await
        .unwrap();
    assert_eq!(attrs.object_size(), Some(8));
    let etag = format!("\"{:08x}-{:x}\"", crc32fast::hash(b"raw file"), 8);
    assert_eq!(attrs.e_tag(), Some(etag.as_str()));
    assert!(attrs.checksum().is_none() && attrs.object_parts().is_none());
    admin.head_bucket().bucket("group1").send().await.unwrap();
    admin.list_multipart_uploads().bucket("group1").send().await.unwrap();
    let e = admin.list_objects_v2().bucket("group1").send().await.unwrap_err();
    assert_eq!(code(&e), Some("NotImplemented"));
    stack.stop().await;
}

#[tokio::test]
async fn metadata_siblings_and_bad_store_paths_are_no_such_key() {
    let stack = Stack::start().await;
    let s3: Client = stack.client(SECRET);
    let name = upload(&stack, b"with metadata", "txt", false).await;
    let (storage, addr, _) = target(&stack).await;
    let mut meta = Metadata::new();
    meta.push("secret-tag", "do-not-leak");
    storage.set_metadata(addr, "group1", &name, MetaOp::Overwrite, &meta).await.unwrap();
    // The storage really has the sibling: FastDFS downloads it by name.
    let sibling = format!("{name}-m");
    let raw = storage.download(addr, "group1", &sibling, 0, 0).await;
    assert!(raw.is_ok(), "the storage keeps {sibling}");

    let e = s3.get_object().bucket("group1").key(&sibling).send().await.unwrap_err();
    assert_eq!((code(&e), status(&e)), (Some("NoSuchKey"), 404));
    let e = s3.head_object().bucket("group1").key(&sibling).send().await.unwrap_err();
    assert_eq!(status(&e), 404);

    // Store paths the group lacks, and malformed IDs: 404 at once, not a
    // 503 the SDK would retry.
    let file = name.rsplit('/').next().unwrap();
    let started = std::time::Instant::now();
    for key in [
        format!("M01/00/00/{file}"),
        format!("MFF/00/00/{file}"),
        format!("M0G/00/00/{file}"),
        format!("M00/00/00/{file}/x"),
        "M00/00/00/".to_string(),
    ] {
        let e = s3.get_object().bucket("group1").key(&key).send().await.unwrap_err();
        assert_eq!((code(&e), status(&e)), (Some("NoSuchKey"), 404), "{key}");
        let e = s3.head_object().bucket("group1").key(&key).send().await.unwrap_err();
        assert_eq!(status(&e), 404, "{key}");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "answers were retried");
    stack.stop().await;
}
