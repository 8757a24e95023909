//! A bucket of 100,000 keys lists completely and in order through the
//! gateway, with and without a delimiter, by ListObjects v1 (marker /
//! NextMarker) and ListObjectsV2 (continuation token) pagination.
//!
//! 100,000 real PUTs would take minutes, so one object is uploaded for
//! real and the bucket is filled through the index's bulk write
//! (`Index::put_objects`) with rows sharing that object's file ID, the way
//! CopyObject shares them: refcounts go up per row and the index stays
//! consistent. Everything after the fill goes through the S3 API.
//! Keys are `dNN/kIIIIII` with NN = i % 100, so a delimiter listing has 100
//! CommonPrefixes and the key order is not the insertion order.

mod support;

use std::time::Instant;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use fdfs_s3api::index::NewObject;
use support::{SECRET, Stack};

const KEYS: usize = 100_000;
const BUCKET: &str = "big";

fn key(i: usize) -> String {
    format!("d{:02}/k{i:06}", i % 100)
}

/// Uploads one object for real, then fills `BUCKET` with [`KEYS`] rows
/// sharing its file ID. Returns the sorted keys.
async fn fill(stack: &Stack, s3: &Client) -> Vec<String> {
    s3.create_bucket().bucket("seed").send().await.unwrap();
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    s3.put_object()
        .bucket("seed")
        .key("one")
        .body(ByteStream::from_static(b"one shared file"))
        .send()
        .await
        .unwrap();
    let record = stack.index.read(|ix| ix.get_object("seed", "one")).await.unwrap();
    let file_id = record.data.file_ids()[0].to_string();
    let rows: Vec<(String, NewObject)> = (0..KEYS)
        .map(|i| {
            let obj = NewObject {
                data: record.data.clone(),
                size: record.info.size,
                etag: record.info.etag.clone(),
                meta: record.info.meta.clone(),
                last_modified_ms: record.info.last_modified_ms,
            };
            (key(i), obj)
        })
        .collect();
    let released = stack.index.write(move |ix| ix.put_objects(BUCKET, &rows)).await.unwrap();
    assert!(released.is_empty());
    let refs = stack.index.read(move |ix| ix.refcount(&file_id)).await.unwrap();
    assert_eq!(refs, KEYS as u64 + 1, "one reference per row");
    let mut keys: Vec<String> = (0..KEYS).map(key).collect();
    keys.sort();
    keys
}

/// Every key by ListObjectsV2, following continuation tokens.
async fn list_v2(s3: &Client, delimiter: Option<&str>, max_keys: Option<i32>) -> Listing {
    let mut out = Listing::default();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(BUCKET)
            .set_delimiter(delimiter.map(str::to_string))
            .set_max_keys(max_keys)
            .set_continuation_token(token.take())
            .send()
            .await
            .unwrap();
        out.pages += 1;
        let count = page.contents().len() + page.common_prefixes().len();
        assert_eq!(page.key_count(), Some(count as i32));
        out.keys.extend(page.contents().iter().map(|o| o.key().unwrap().to_string()));
        out.prefixes.extend(page.common_prefixes().iter().map(|p| p.prefix().unwrap().to_string()));
        if page.is_truncated() != Some(true) {
            assert!(page.next_continuation_token().is_none());
            return out;
        }
        token = Some(page.next_continuation_token().expect("a truncated page has a token").into());
    }
}

/// Every key by ListObjects (v1), following NextMarker (sent when a
/// delimiter is given) or else the last key of the page, as SDKs do.
async fn list_v1(s3: &Client, delimiter: Option<&str>, max_keys: Option<i32>) -> Listing {
    let mut out = Listing::default();
    let mut marker: Option<String> = None;
    loop {
        let page = s3
            .list_objects()
            .bucket(BUCKET)
            .set_delimiter(delimiter.map(str::to_string))
            .set_max_keys(max_keys)
            .set_marker(marker.take())
            .send()
            .await
            .unwrap();
        out.pages += 1;
        out.keys.extend(page.contents().iter().map(|o| o.key().unwrap().to_string()));
        out.prefixes.extend(page.common_prefixes().iter().map(|p| p.prefix().unwrap().to_string()));
        if page.is_truncated() != Some(true) {
            return out;
        }
        let next = match page.next_marker() {
            Some(m) => m.to_string(),
            None => {
                assert!(delimiter.is_none(), "a truncated page with a delimiter has NextMarker");
                page.contents().last().and_then(|o| o.key()).unwrap().to_string()
            }
        };
        marker = Some(next);
    }
}

#[derive(Debug, Default)]
struct Listing {
    keys: Vec<String>,
    prefixes: Vec<String>,
    pages: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_keys_list_completely_and_in_order() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    let started = Instant::now();
    let keys = fill(&stack, &s3).await;
    eprintln!("filled {KEYS} rows in {:?}", started.elapsed());
    let prefixes: Vec<String> = (0..100).map(|d| format!("d{d:02}/")).collect();

    let started = Instant::now();
    let all = list_v2(&s3, None, None).await;
    assert_eq!(all.pages, KEYS / 1000);
    assert!(all.keys == keys, "v2 listing differs from the sorted keys");
    assert!(all.prefixes.is_empty());

    let all = list_v1(&s3, None, None).await;
    assert_eq!(all.pages, KEYS / 1000);
    assert!(all.keys == keys, "v1 listing differs from the sorted keys");
    eprintln!("two full listings in {:?}", started.elapsed());

    // With a delimiter: the 100 prefixes, in order, over pages of 7 (a
    // page boundary inside the roll-up of every prefix).
    let rolled = list_v2(&s3, Some("/"), Some(7)).await;
    assert_eq!(rolled.prefixes, prefixes);
    assert!(rolled.keys.is_empty());
    assert_eq!(rolled.pages, 100_usize.div_ceil(7));
    let rolled = list_v1(&s3, Some("/"), Some(7)).await;
    assert_eq!(rolled.prefixes, prefixes);
    assert!(rolled.keys.is_empty());
    assert_eq!(rolled.pages, 100_usize.div_ceil(7));
    // One page answers all 100 when max-keys allows.
    let one = list_v2(&s3, Some("/"), None).await;
    assert_eq!((one.pages, one.prefixes.len()), (1, 100));

    // A delimiter that never occurs rolls nothing up: every key again, at
    // an odd page size.
    let odd = list_v2(&s3, Some("#"), Some(997)).await;
    assert!(odd.keys == keys, "v2 listing with an absent delimiter differs");
    assert_eq!(odd.pages, KEYS.div_ceil(997));
    eprintln!("all listings in {:?}", started.elapsed());
    stack.stop().await;
}
