//! Multipart uploads end to end, in process: a real tracker and a real
//! storage on 127.0.0.x with free ports and temp dirs, the gateway on
//! 127.0.0.1:0, driven by the `aws-sdk-s3` crate. The setup duplicates
//! `tests/gateway.rs` (plus a knob for the upload reaper) so the two
//! suites evolve independently.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use support::{SECRET, Stack, body, make_bucket};

const MIB: usize = 1024 * 1024;

fn md5_raw(data: &[u8]) -> [u8; 16] {
    use md5::Digest;
    md5::Md5::digest(data).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a file named like the last segment of `file_id` is anywhere
/// under `root` (the storage's data directories).
fn file_exists(root: &Path, file_id: &str) -> bool {
    let name = file_id.rsplit('/').next().unwrap_or(file_id);
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if entry.file_name().to_str() == Some(name) {
                return true;
            }
        }
    }
    false
}

/// Waits until none of `file_ids` is on the storage's disk any more.
async fn wait_files_gone(stack: &Stack, file_ids: &[String]) {
    let root = stack.dir.path().join("storage");
    let deadline = Instant::now() + Duration::from_secs(20);
    while file_ids.iter().any(|f| file_exists(&root, f)) {
        assert!(Instant::now() < deadline, "part files still stored: {file_ids:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The file IDs of the parts of an upload, from the index.
async fn part_files(stack: &Stack, key: &str, upload_id: &str) -> Vec<String> {
    let (k, u) = (key.to_string(), upload_id.to_string());
    let page = stack.index.read(move |ix| ix.list_parts("mpu", &k, &u, 0, 1000)).await.unwrap();
    page.parts.into_iter().map(|p| p.file_id).collect()
}

async fn create(s3: &Client, key: &str) -> String {
    let out = s3.create_multipart_upload().bucket("mpu").key(key).send().await.unwrap();
    out.upload_id().unwrap().to_string()
}

async fn put_part(s3: &Client, key: &str, upload_id: &str, n: i32, data: &[u8]) -> String {
    let out = s3
        .upload_part()
        .bucket("mpu")
        .key(key)
        .upload_id(upload_id)
        .part_number(n)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap();
    out.e_tag().unwrap().to_string()
}

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    let parts = parts
        .iter()
        .map(|(n, etag)| CompletedPart::builder().part_number(*n).e_tag(*etag).build())
        .collect();
    CompletedMultipartUpload::builder().set_parts(Some(parts)).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_uploads_through_a_real_cluster() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "mpu").await;

    // Three parts: 5 MiB, 5 MiB, 1 MiB.
    let data: Vec<u8> = (0..11 * MIB).map(|i| (i % 253) as u8).collect();
    let chunks = [&data[..5 * MIB], &data[5 * MIB..10 * MIB], &data[10 * MIB..]];
    let out = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("big.bin")
        .content_type("application/x-test")
        .metadata("color", "blue")
        .send()
        .await
        .unwrap();
    let id = out.upload_id().unwrap().to_string();
    let mut etags = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let etag = put_part(&s3, "big.bin", &id, i as i32 + 1, chunk).await;
        assert_eq!(etag, format!("\"{}\"", hex(&md5_raw(chunk))));
        etags.push(etag);
    }

    // ListParts, two pages.
    let page = s3
        .list_parts()
        .bucket("mpu")
        .key("big.bin")
        .upload_id(&id)
        .max_parts(2)
        .send()
        .await
        .unwrap();
    let numbers: Vec<_> = page.parts().iter().filter_map(|p| p.part_number()).collect();
    assert_eq!(numbers, [1, 2]);
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(page.next_part_number_marker(), Some("2"));
    assert_eq!(page.parts()[0].size(), Some(5 * MIB as i64));
    assert_eq!(page.parts()[0].e_tag(), Some(etags[0].as_str()));
    let page = s3
        .list_parts()
        .bucket("mpu")
        .key("big.bin")
        .upload_id(&id)
        .part_number_marker("2")
        .send()
        .await
        .unwrap();
    let numbers: Vec<_> = page.parts().iter().filter_map(|p| p.part_number()).collect();
    assert_eq!(numbers, [3]);
    assert_eq!(page.is_truncated(), Some(false));

    // Complete: ETag = md5 of the part MD5s, "-3".
    let list: Vec<(i32, &str)> = vec![(1, &etags[0]), (2, &etags[1]), (3, &etags[2])];
    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big.bin")
        .upload_id(&id)
        .multipart_upload(completed(&list))
        .send()
        .await
        .unwrap();
    let mut concat = Vec::new();
    for chunk in chunks {
        concat.extend_from_slice(&md5_raw(chunk));
    }
    let expected = format!("\"{}-3\"", hex(&md5_raw(&concat)));
    assert_eq!(done.e_tag(), Some(expected.as_str()));
    let got = s3.get_object().bucket("mpu").key("big.bin").send().await.unwrap();
    assert_eq!(got.e_tag(), Some(expected.as_str()));
    assert_eq!(got.content_type(), Some("application/x-test"));
    assert_eq!(got.metadata().and_then(|m| m.get("color")).map(String::as_str), Some("blue"));
    assert!(body(got).await == data, "multipart object differs");
    // A range across the first part boundary.
    let (from, to) = (5 * MIB - 10, 5 * MIB + 9);
    let ranged = s3
        .get_object()
        .bucket("mpu")
        .key("big.bin")
        .range(format!("bytes={from}-{to}"))
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.content_range(), Some(format!("bytes {from}-{to}/{}", data.len()).as_str()));
    assert_eq!(body(ranged).await, &data[from..=to]);
    let gone = s3.list_parts().bucket("mpu").key("big.bin").upload_id(&id).send().await;
    assert_eq!(gone.unwrap_err().code(), Some("NoSuchUpload"));

    // Validation: too small, wrong ETag, wrong order.
    let id = create(&s3, "small").await;
    let e1 = put_part(&s3, "small", &id, 1, &data[..MIB]).await;
    let e2 = put_part(&s3, "small", &id, 2, b"tail").await;
    let complete = |parts: Vec<(i32, &str)>| {
        s3.complete_multipart_upload()
            .bucket("mpu")
            .key("small")
            .upload_id(&id)
            .multipart_upload(completed(&parts))
            .send()
    };
    let small = complete(vec![(1, &e1), (2, &e2)]).await.unwrap_err();
    assert_eq!(small.code(), Some("EntityTooSmall"));
    let wrong = complete(vec![(1, "\"00000000000000000000000000000000\"")]).await.unwrap_err();
    assert_eq!(wrong.code(), Some("InvalidPart"));
    let missing = complete(vec![(3, &e2)]).await.unwrap_err();
    assert_eq!(missing.code(), Some("InvalidPart"));
    let order = complete(vec![(2, &e2), (1, &e1)]).await.unwrap_err();
    assert_eq!(order.code(), Some("InvalidPartOrder"));

    // Abort: the upload is gone and its parts' files are deleted.
    let files = part_files(&stack, "small", &id).await;
    assert_eq!(files.len(), 2);
    s3.abort_multipart_upload().bucket("mpu").key("small").upload_id(&id).send().await.unwrap();
    let again = s3.abort_multipart_upload().bucket("mpu").key("small").upload_id(&id).send().await;
    assert_eq!(again.unwrap_err().code(), Some("NoSuchUpload"));
    let listed = s3.list_parts().bucket("mpu").key("small").upload_id(&id).send().await;
    assert_eq!(listed.unwrap_err().code(), Some("NoSuchUpload"));
    let late = s3
        .upload_part()
        .bucket("mpu")
        .key("small")
        .upload_id(&id)
        .part_number(3)
        .body(ByteStream::from_static(b"late"))
        .send()
        .await;
    assert_eq!(late.unwrap_err().code(), Some("NoSuchUpload"));
    wait_files_gone(&stack, &files).await;

    // ListMultipartUploads: paging by key / upload-ID markers, roll-up.
    let mut ids = Vec::new();
    for key in ["list/a", "list/a", "list/b", "list/sub/c"] {
        ids.push((key, create(&s3, key).await));
    }
    let page = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .prefix("list/")
        .max_uploads(2)
        .send()
        .await
        .unwrap();
    let got: Vec<_> =
        page.uploads().iter().map(|u| (u.key().unwrap(), u.upload_id().unwrap())).collect();
    let want: Vec<_> = ids[..2].iter().map(|(k, u)| (*k, u.as_str())).collect();
    assert_eq!(got, want);
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(page.next_key_marker(), Some("list/a"));
    assert_eq!(page.next_upload_id_marker(), Some(ids[1].1.as_str()));
    let page = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .prefix("list/")
        .key_marker("list/a")
        .upload_id_marker(&ids[1].1)
        .send()
        .await
        .unwrap();
    let got: Vec<_> = page.uploads().iter().map(|u| u.key().unwrap()).collect();
    assert_eq!(got, ["list/b", "list/sub/c"]);
    assert_eq!(page.is_truncated(), Some(false));
    let page = s3
        .list_multipart_uploads()
        .bucket("mpu")
        .prefix("list/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = page.uploads().iter().map(|u| u.key().unwrap()).collect();
    assert_eq!(keys, ["list/a", "list/a", "list/b"]);
    let prefixes: Vec<_> = page.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["list/sub/"]);

    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_uploads_are_reaped() {
    let stack = Stack::start_with(Some(Duration::from_millis(300))).await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "mpu").await;
    let id = create(&s3, "forgotten").await;
    put_part(&s3, "forgotten", &id, 1, b"some bytes").await;
    let files = part_files(&stack, "forgotten", &id).await;
    assert_eq!(files.len(), 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = s3.list_multipart_uploads().bucket("mpu").send().await.unwrap();
        if page.uploads().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the stale upload was never reaped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let gone = s3.list_parts().bucket("mpu").key("forgotten").upload_id(&id).send().await;
    assert_eq!(gone.unwrap_err().code(), Some("NoSuchUpload"));
    wait_files_gone(&stack, &files).await;
    stack.stop().await;
}
