//! ListObjectVersions through the gateway with `aws-sdk-s3`: every
//! parameter (prefix, delimiter, key-marker, version-id-marker, max-keys,
//! encoding-type=url) on a small bucket, and a bucket of 100,000 versions
//! (plus delete markers) that lists completely and in order.
//!
//! As in `gateway_listing_100k`, the big bucket is filled through the
//! index's bulk write (rows sharing one real object's file ID, the way
//! CopyObject shares them); everything after the fill goes through S3.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, EncodingType, VersioningConfiguration};
use fdfs_s3api::index::{DeleteTarget, NewObject, WriteCondition};
use support::{SECRET, Stack, make_bucket};

async fn enable(s3: &Client, bucket: &str) {
    let on = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning().bucket(bucket).versioning_configuration(on).send().await.unwrap();
}

async fn put(s3: &Client, bucket: &str, key: &str) -> String {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();
    out.version_id().unwrap().to_string()
}

/// One listed version or marker: key, version ID, latest, marker.
type Listed = (String, String, bool, bool);

/// A whole listing followed page by page: the versions and the markers
/// (each list in listing order), the common prefixes, and the page count.
#[derive(Debug, Default)]
struct Listing {
    versions: Vec<Listed>,
    markers: Vec<Listed>,
    prefixes: Vec<String>,
    pages: usize,
    modified: Vec<(String, i64)>,
}

async fn list_all(
    s3: &Client,
    bucket: &str,
    prefix: Option<&str>,
    delimiter: Option<&str>,
    max_keys: Option<i32>,
) -> Listing {
    let mut out = Listing::default();
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .set_prefix(prefix.map(str::to_string))
            .set_delimiter(delimiter.map(str::to_string))
            .set_max_keys(max_keys)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .unwrap();
        out.pages += 1;
        let count = page.versions().len() + page.delete_markers().len();
        assert!(count + page.common_prefixes().len() <= max_keys.unwrap_or(1000) as usize);
        for v in page.versions() {
            let key = v.key().unwrap().to_string();
            let ms = v.last_modified().unwrap().to_millis().unwrap();
            out.modified.push((key.clone(), ms));
            out.versions.push((key, v.version_id().unwrap().into(), v.is_latest().unwrap(), false));
        }
        for m in page.delete_markers() {
            let (key, id) = (m.key().unwrap().to_string(), m.version_id().unwrap().to_string());
            out.markers.push((key, id, m.is_latest().unwrap(), true));
        }
        out.prefixes.extend(page.common_prefixes().iter().map(|p| p.prefix().unwrap().into()));
        if page.is_truncated() != Some(true) {
            assert!(page.next_key_marker().is_none());
            return out;
        }
        key_marker =
            Some(page.next_key_marker().expect("a truncated page has a key marker").into());
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_parameter_of_list_object_versions() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "lvb").await;
    enable(&s3, "lvb").await;
    // a: 3 versions; "b c/ü": 2 versions then a marker; d/e and d/f: 1.
    let a: Vec<String> =
        [put(&s3, "lvb", "a").await, put(&s3, "lvb", "a").await, put(&s3, "lvb", "a").await]
            .into_iter()
            .rev()
            .collect();
    let b1 = put(&s3, "lvb", "b c/ü").await;
    let b2 = put(&s3, "lvb", "b c/ü").await;
    let del = s3.delete_object().bucket("lvb").key("b c/ü").send().await.unwrap();
    let bm = del.version_id().unwrap().to_string();
    let de = put(&s3, "lvb", "d/e").await;
    let df = put(&s3, "lvb", "d/f").await;

    let full = list_all(&s3, "lvb", None, None, None).await;
    let want_versions: Vec<Listed> = vec![
        ("a".into(), a[0].clone(), true, false),
        ("a".into(), a[1].clone(), false, false),
        ("a".into(), a[2].clone(), false, false),
        ("b c/ü".into(), b2.clone(), false, false),
        ("b c/ü".into(), b1.clone(), false, false),
        ("d/e".into(), de.clone(), true, false),
        ("d/f".into(), df.clone(), true, false),
    ];
    assert_eq!(full.versions, want_versions);
    assert_eq!(full.markers, vec![("b c/ü".to_string(), bm.clone(), true, true)]);
    assert_eq!(full.pages, 1);

    // Every page size gives the same listing.
    for size in [1, 2, 3, 5] {
        let paged = list_all(&s3, "lvb", None, None, Some(size)).await;
        assert_eq!((&paged.versions, &paged.markers), (&full.versions, &full.markers), "{size}");
        assert_eq!(paged.pages, 8_usize.div_ceil(size as usize));
    }
    // Prefix and delimiter.
    let rolled = list_all(&s3, "lvb", None, Some("/"), Some(2)).await;
    assert_eq!(rolled.prefixes, ["b c/", "d/"]);
    assert_eq!(rolled.versions.len(), 3);
    let under = list_all(&s3, "lvb", Some("d/"), Some("/"), None).await;
    assert_eq!(under.versions.iter().map(|v| v.0.as_str()).collect::<Vec<_>>(), ["d/e", "d/f"]);

    // key-marker alone skips every version of that key; with a
    // version-id-marker the page continues after that version.
    let page = s3.list_object_versions().bucket("lvb").key_marker("a").send().await.unwrap();
    assert_eq!(page.versions()[0].key(), Some("b c/ü"));
    let page = s3
        .list_object_versions()
        .bucket("lvb")
        .key_marker("a")
        .version_id_marker(&a[0])
        .max_keys(2)
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = page.versions().iter().map(|v| v.version_id().unwrap()).collect();
    assert_eq!(ids, [a[1].as_str(), a[2].as_str()]);
    assert_eq!(page.is_truncated(), Some(true));
    assert_eq!(page.next_key_marker(), Some("a"));
    assert_eq!(page.next_version_id_marker(), Some(a[2].as_str()));
    assert_eq!(page.key_marker(), Some("a"));
    assert_eq!(page.version_id_marker(), Some(a[0].as_str()));

    // encoding-type=url: keys, prefixes and markers percent-encoded.
    let page = s3
        .list_object_versions()
        .bucket("lvb")
        .prefix("b c/")
        .encoding_type(EncodingType::Url)
        .max_keys(1)
        .send()
        .await
        .unwrap();
    // The Rust SDK hands the encoded values over as they came.
    let key = page.delete_markers().first().and_then(|m| m.key());
    assert_eq!(key, Some("b%20c/%C3%BC"));
    assert_eq!(page.next_key_marker(), Some("b%20c/%C3%BC"));
    assert_eq!(page.prefix(), Some("b%20c/"));

    // Refusals: a version marker without a key marker, a malformed one.
    let e = s3.list_object_versions().bucket("lvb").version_id_marker(&a[0]).send().await;
    assert_eq!(e.unwrap_err().code(), Some("InvalidArgument"));
    let e = s3
        .list_object_versions()
        .bucket("lvb")
        .key_marker("a")
        .version_id_marker("v!")
        .send()
        .await;
    assert_eq!(e.unwrap_err().code(), Some("InvalidArgument"));
    // max-keys is capped at 1000; 0 lists nothing.
    let page = s3.list_object_versions().bucket("lvb").max_keys(5000).send().await.unwrap();
    assert_eq!(page.max_keys(), Some(1000));
    let page = s3.list_object_versions().bucket("lvb").max_keys(0).send().await.unwrap();
    assert!(page.versions().is_empty() && page.is_truncated() == Some(false));
    stack.stop().await;
}

const KEYS: usize = 25_000;
const VERSIONS: usize = 4;
const BUCKET: &str = "bigv";

fn key(i: usize) -> String {
    format!("d{:02}/k{i:06}", i % 100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_versions_list_completely_and_in_order() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "seed").await;
    make_bucket(&s3, BUCKET).await;
    enable(&s3, BUCKET).await;
    s3.put_object()
        .bucket("seed")
        .key("one")
        .body(ByteStream::from_static(b"one shared file"))
        .send()
        .await
        .unwrap();
    let record = stack.index.read(|ix| ix.get_object("seed", "one")).await.unwrap();
    // Version j of every key is written in round j, with a modification
    // time that grows with j: newest first means times descending.
    let started = Instant::now();
    for j in 0..VERSIONS {
        let rows: Vec<(String, NewObject)> = (0..KEYS)
            .map(|i| {
                let obj = NewObject {
                    data: record.data.clone(),
                    size: record.info.size,
                    etag: record.info.etag.clone(),
                    meta: record.info.meta.clone(),
                    last_modified_ms: 1_000_000 + j as i64 * 1000,
                };
                (key(i), obj)
            })
            .collect();
        stack.index.write(move |ix| ix.put_objects(BUCKET, &rows)).await.unwrap();
    }
    // Every tenth key also gets a delete marker on top.
    let targets: Vec<DeleteTarget> =
        (0..KEYS).step_by(10).map(|i| DeleteTarget::key(key(i), WriteCondition::none())).collect();
    let markers = targets.len();
    let made =
        stack.index.write(move |ix| ix.delete_versions_if(BUCKET, &targets, 2_000_000)).await;
    assert!(made.unwrap().iter().all(|d| d.as_ref().unwrap().delete_marker));
    let file = record.data.file_ids()[0].to_string();
    let refs = stack.index.read(move |ix| ix.refcount(&file)).await.unwrap();
    assert_eq!(refs, (KEYS * VERSIONS) as u64 + 1, "one reference per version");
    eprintln!("filled {} versions in {:?}", KEYS * VERSIONS, started.elapsed());

    let started = Instant::now();
    let all = list_all(&s3, BUCKET, None, None, None).await;
    eprintln!("listed in {} pages, {:?}", all.pages, started.elapsed());
    let total = KEYS * VERSIONS + markers;
    assert_eq!(all.pages, total.div_ceil(1000));
    assert_eq!(all.versions.len(), KEYS * VERSIONS);
    assert_eq!(all.markers.len(), markers);
    // Keys in byte order in each list, each key's versions newest first.
    let mut sorted_keys: Vec<String> = (0..KEYS).map(key).collect();
    sorted_keys.sort();
    let listed_keys: Vec<&str> =
        all.versions.iter().step_by(VERSIONS).map(|v| v.0.as_str()).collect();
    assert!(listed_keys == sorted_keys, "versions are not in key order");
    for (chunk, times) in all.versions.chunks(VERSIONS).zip(all.modified.chunks(VERSIONS)) {
        assert!(chunk.iter().all(|v| v.0 == chunk[0].0), "a key's versions are not together");
        let ms: Vec<i64> = times.iter().map(|t| t.1).collect();
        let want: Vec<i64> = (0..VERSIONS as i64).rev().map(|j| 1_000_000 + j * 1000).collect();
        assert_eq!(ms, want, "versions of {} not newest first", chunk[0].0);
    }
    // The latest of a key is its marker when it has one, else its newest.
    let marked: HashSet<&str> = all.markers.iter().map(|m| m.0.as_str()).collect();
    assert!(all.markers.iter().all(|m| m.2 && m.3));
    for chunk in all.versions.chunks(VERSIONS) {
        let latest: Vec<bool> = chunk.iter().map(|v| v.2).collect();
        let newest_latest = !marked.contains(chunk[0].0.as_str());
        assert_eq!(latest, [newest_latest, false, false, false], "{}", chunk[0].0);
    }
    let marker_keys: Vec<&str> = all.markers.iter().map(|m| m.0.as_str()).collect();
    assert!(marker_keys.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
    // Every version ID appears once.
    let ids: HashSet<&str> =
        all.versions.iter().chain(&all.markers).map(|v| v.1.as_str()).collect();
    assert_eq!(ids.len(), total);

    // With a delimiter: the 100 prefixes over pages of 7.
    let rolled = list_all(&s3, BUCKET, None, Some("/"), Some(7)).await;
    let prefixes: Vec<String> = (0..100).map(|d| format!("d{d:02}/")).collect();
    assert_eq!(rolled.prefixes, prefixes);
    assert_eq!(rolled.pages, 100_usize.div_ceil(7));
    // One prefix in odd pages: its 250 keys' versions, complete.
    let one = list_all(&s3, BUCKET, Some("d07/"), None, Some(333)).await;
    let per_key: HashMap<&str, usize> = one.versions.iter().fold(HashMap::new(), |mut m, v| {
        *m.entry(v.0.as_str()).or_default() += 1;
        m
    });
    assert_eq!(per_key.len(), KEYS / 100);
    assert!(per_key.values().all(|&n| n == VERSIONS));
    stack.stop().await;
}

/// The document interleaves `<Version>` and `<DeleteMarker>` in listing
/// order (by key, newest first), as AWS does, for clients that read it in
/// order; the SDK's two lists cannot show it, so the body is read raw
/// through a presigned `GET /bucket?versions`.
#[tokio::test]
async fn versions_and_markers_are_one_sequence_in_the_document() {
    use support::sigv4::{amz_dates, exchange, now, signature};
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "order").await;
    enable(&s3, "order").await;
    // a: version, marker, version; b: marker over a version.
    put(&s3, "order", "a").await;
    s3.delete_object().bucket("order").key("a").send().await.unwrap();
    put(&s3, "order", "a").await;
    put(&s3, "order", "b").await;
    s3.delete_object().bucket("order").key("b").send().await.unwrap();

    let host = stack.s3.to_string();
    let (_, amz_date) = amz_dates(now());
    let credential =
        format!("{}%2F{}%2Fus-east-1%2Fs3%2Faws4_request", support::KEY_ID, &amz_date[..8]);
    let query = format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={amz_date}\
         &X-Amz-Expires=60&X-Amz-SignedHeaders=host&versions="
    );
    let canonical = format!("GET\n/order\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let signed = format!("{query}&X-Amz-Signature={}", signature(&amz_date, &canonical));
    let request =
        format!("GET /order?{signed} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let (status, _, body) = exchange(stack.s3, &request).await;
    assert_eq!(status, 200, "{body}");
    let mut sequence = Vec::new();
    for (at, _) in body.match_indices('<') {
        let tag = &body[at..];
        let key = || tag.split("<Key>").nth(1).and_then(|k| k.split('<').next()).unwrap();
        if tag.starts_with("<Version>") {
            sequence.push(format!("v:{}", key()));
        } else if tag.starts_with("<DeleteMarker>") {
            sequence.push(format!("m:{}", key()));
        }
    }
    assert_eq!(sequence, ["v:a", "m:a", "v:a", "m:b", "v:b"], "{body}");
    stack.stop().await;
}
