//! Conditional writes and retried completions end to end (issue 10,
//! points 2 and 3): a real tracker and storage on 127.0.0.x, the gateway
//! on 127.0.0.1:0, driven by `aws-sdk-s3` exactly as an application
//! would: `If-None-Match: *` / `If-Match` on PutObject,
//! CompleteMultipartUpload and CopyObject, `If-Match` on DeleteObject, the
//! per-object `ETag` of DeleteObjects, a write that loses the race (409),
//! a completion retried after a lost reply, and unknown upload IDs.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use support::{SECRET, Stack, body, make_bucket};

const B: &str = "cond";

/// The S3 error code and HTTP status of a failed request.
fn failure<E: ProvideErrorMetadata, R>(r: Result<R, SdkError<E>>) -> (String, u16) {
    let Err(e) = r else { panic!("the request succeeded") };
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (e.code().unwrap_or("").to_string(), status)
}

fn pair(code: &str, status: u16) -> (String, u16) {
    (code.to_string(), status)
}

async fn put(s3: &Client, key: &str, data: &[u8]) -> String {
    let out = s3
        .put_object()
        .bucket(B)
        .key(key)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap();
    out.e_tag().unwrap().to_string()
}

async fn get(s3: &Client, key: &str) -> Vec<u8> {
    body(s3.get_object().bucket(B).key(key).send().await.unwrap()).await
}

/// A one-part upload of `data` to `key`: its ID and the completion body.
async fn one_part_upload(
    s3: &Client,
    key: &str,
    data: &[u8],
) -> (String, CompletedMultipartUpload) {
    let created = s3.create_multipart_upload().bucket(B).key(key).send().await.unwrap();
    let id = created.upload_id().unwrap().to_string();
    let part = s3
        .upload_part()
        .bucket(B)
        .key(key)
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from(data.to_vec()))
        .send()
        .await
        .unwrap();
    let done = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
        .build();
    (id, done)
}

/// Waits until no upload intent is open and the delete queue is empty:
/// every file a refused or losing write stored was dropped again.
async fn wait_no_leak(stack: &Stack) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let intents = stack.index.read(|ix| ix.stale_intents(i64::MAX, 10)).await.unwrap();
        let queued = stack.index.read(|ix| ix.delete_queue_len()).await.unwrap();
        if intents.is_empty() && queued == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "open intents {intents:?}, {queued} queued deletes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_writes() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, B).await;

    // PutObject If-None-Match: * — a new key is written, an existing one 412.
    let put_if_absent = |key: &'static str, data: &'static [u8]| {
        s3.put_object().bucket(B).key(key).if_none_match("*").body(ByteStream::from_static(data))
    };
    let etag = put_if_absent("k", b"first").send().await.unwrap().e_tag().unwrap().to_string();
    assert_eq!(
        failure(put_if_absent("k", b"second").send().await),
        pair("PreconditionFailed", 412)
    );
    assert_eq!(get(&s3, "k").await, b"first");

    // If-Match: the current ETag writes; a stale one is 412; no object 404.
    let put_if_match = |key: &'static str, tag: &str, data: &'static [u8]| {
        s3.put_object().bucket(B).key(key).if_match(tag).body(ByteStream::from_static(data))
    };
    let etag2 = put_if_match("k", &etag, b"second").send().await.unwrap();
    let etag2 = etag2.e_tag().unwrap().to_string();
    assert_eq!(
        failure(put_if_match("k", &etag, b"third").send().await),
        pair("PreconditionFailed", 412)
    );
    assert_eq!(failure(put_if_match("none", &etag, b"x").send().await), pair("NoSuchKey", 404));
    assert_eq!(failure(put_if_match("none", "*", b"x").send().await), pair("NoSuchKey", 404));
    put_if_match("k", "*", b"third").send().await.unwrap();
    assert_eq!(get(&s3, "k").await, b"third");

    // If-None-Match takes only `*` on a write, as on AWS.
    let odd = s3
        .put_object()
        .bucket(B)
        .key("k")
        .if_none_match(&etag2)
        .body(ByteStream::from_static(b"x"));
    assert_eq!(failure(odd.send().await), pair("NotImplemented", 501));

    // CopyObject: the request's own conditions are about the destination.
    put(&s3, "src", b"source").await;
    let copy = || s3.copy_object().bucket(B).key("k").copy_source(format!("{B}/src"));
    assert_eq!(failure(copy().if_none_match("*").send().await), pair("PreconditionFailed", 412));
    assert_eq!(failure(copy().if_match(&etag).send().await), pair("PreconditionFailed", 412));
    let current = s3.head_object().bucket(B).key("k").send().await.unwrap();
    copy().if_match(current.e_tag().unwrap()).send().await.unwrap();
    assert_eq!(get(&s3, "k").await, b"source");
    s3.copy_object()
        .bucket(B)
        .key("copy-new")
        .copy_source(format!("{B}/src"))
        .if_none_match("*")
        .send()
        .await
        .unwrap();

    // DeleteObject If-Match: a stale ETag 412 (kept), the current one or
    // `*` deletes, no object 404.
    let src_etag = put(&s3, "d", b"delete me").await;
    let del = |tag: &str| s3.delete_object().bucket(B).key("d").if_match(tag).send();
    assert_eq!(failure(del(&etag).await), pair("PreconditionFailed", 412));
    assert_eq!(get(&s3, "d").await, b"delete me");
    del(&src_etag).await.unwrap();
    assert_eq!(failure(del(&src_etag).await), pair("NoSuchKey", 404));
    assert_eq!(failure(del("*").await), pair("NoSuchKey", 404));
    put(&s3, "d", b"again").await;
    del("*").await.unwrap();
    // Without If-Match a missing key is still a 204.
    s3.delete_object().bucket(B).key("d").send().await.unwrap();
    // The directory-bucket conditions are refused, never ignored.
    put(&s3, "d", b"kept").await;
    let by_size = s3.delete_object().bucket(B).key("d").if_match_size(4).send().await;
    assert_eq!(failure(by_size), pair("NotImplemented", 501));
    assert_eq!(get(&s3, "d").await, b"kept");

    // DeleteObjects: each object's ETag is its own condition.
    let ea = put(&s3, "a", b"a").await;
    put(&s3, "b", b"b").await;
    let ident = |key: &str, tag: Option<&str>| {
        let mut b = ObjectIdentifier::builder().key(key);
        if let Some(tag) = tag {
            b = b.e_tag(tag);
        }
        b.build().unwrap()
    };
    let batch = Delete::builder()
        .objects(ident("a", Some(&ea)))
        .objects(ident("b", Some(&ea)))
        .objects(ident("gone", Some(&ea)))
        .objects(ident("gone2", None))
        .build()
        .unwrap();
    let out = s3.delete_objects().bucket(B).delete(batch).send().await.unwrap();
    let mut deleted: Vec<&str> = out.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort();
    assert_eq!(deleted, ["a", "gone2"]);
    let mut errors: Vec<(&str, &str)> =
        out.errors().iter().map(|e| (e.key().unwrap(), e.code().unwrap())).collect();
    errors.sort();
    assert_eq!(errors, [("b", "PreconditionFailed"), ("gone", "NoSuchKey")]);
    assert_eq!(get(&s3, "b").await, b"b");

    wait_no_leak(&stack).await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_conditions_and_retried_completions() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, B).await;
    let complete = |key: &str, id: &str, done: &CompletedMultipartUpload| {
        s3.complete_multipart_upload()
            .bucket(B)
            .key(key)
            .upload_id(id)
            .multipart_upload(done.clone())
    };

    // If-None-Match: * over an existing key: 412, and the upload is kept.
    let old = put(&s3, "mp", b"old").await;
    let (id, done) = one_part_upload(&s3, "mp", b"multipart body").await;
    let refused = complete("mp", &id, &done).if_none_match("*").send().await;
    assert_eq!(failure(refused), pair("PreconditionFailed", 412));
    let stale = complete("mp", &id, &done).if_match("\"0123456789abcdef0123456789abcdef\"");
    assert_eq!(failure(stale.send().await), pair("PreconditionFailed", 412));
    assert_eq!(get(&s3, "mp").await, b"old");
    let first = complete("mp", &id, &done).if_match(&old).send().await.unwrap();
    let etag = first.e_tag().unwrap().to_string();
    assert!(etag.ends_with("-1\""), "{etag}");
    assert_eq!(get(&s3, "mp").await, b"multipart body");

    // The reply was lost and the SDK retries: 200, same ETag, with or
    // without If-None-Match: *.
    let again = complete("mp", &id, &done).send().await.unwrap();
    assert_eq!(again.e_tag(), Some(etag.as_str()));
    let again = complete("mp", &id, &done).if_none_match("*").send().await.unwrap();
    assert_eq!(again.e_tag(), Some(etag.as_str()));
    assert_eq!(get(&s3, "mp").await, b"multipart body");

    // Once another write replaced the object, the upload is gone.
    put(&s3, "mp", b"newer").await;
    assert_eq!(failure(complete("mp", &id, &done).send().await), pair("NoSuchUpload", 404));

    // A new key with If-None-Match: * completes.
    let (id2, done2) = one_part_upload(&s3, "mp2", b"two").await;
    complete("mp2", &id2, &done2).if_none_match("*").send().await.unwrap();

    // An unknown upload ID is 404 NoSuchUpload, whatever the part list
    // says (it used to be 400 InvalidPart for a non-MD5 ETag).
    let bogus = CompletedMultipartUpload::builder()
        .parts(CompletedPart::builder().part_number(1).e_tag("\"etag\"").build())
        .build();
    let unknown = complete("mp", "0000000000000000000000000000000000000000dead", &bogus);
    assert_eq!(failure(unknown.send().await), pair("NoSuchUpload", 404));
    assert_eq!(failure(complete("mp", "nope", &done).send().await), pair("NoSuchUpload", 404));
    // A known upload with a bogus part is still InvalidPart.
    let (id3, _) = one_part_upload(&s3, "mp3", b"three").await;
    assert_eq!(failure(complete("mp3", &id3, &bogus).send().await), pair("InvalidPart", 400));

    wait_no_leak(&stack).await;
    stack.stop().await;
}

/// A PUT with `If-None-Match: *` passes its early check, then another
/// write to the key lands while its body is still streaming: 409
/// ConditionalRequestConflict, the winner stays, and the loser's stored
/// file is queued and deleted. Two racing conditional PUTs on a new key:
/// exactly one wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_loses_the_race_is_409() {
    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, B).await;
    let big = vec![7u8; 24 << 20];

    // The timing is the test's: retry until the slow PUT's early check
    // ran before the quick one landed (then it must be 409, never 200).
    let mut saw_conflict = false;
    for attempt in 0..4 {
        let key = format!("race{attempt}");
        let slow = s3
            .put_object()
            .bucket(B)
            .key(&key)
            .if_none_match("*")
            .body(ByteStream::from(big.clone()))
            .send();
        let quick = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            put(&s3, &key, b"quick").await
        };
        let (slow, _) = tokio::join!(slow, quick);
        let (code, status) = failure(slow);
        assert!(
            (code.as_str(), status) == ("ConditionalRequestConflict", 409)
                || (code.as_str(), status) == ("PreconditionFailed", 412),
            "{code} {status}"
        );
        assert_eq!(get(&s3, &key).await, b"quick");
        if status == 409 {
            saw_conflict = true;
            break;
        }
    }
    assert!(saw_conflict, "the slow PUT never lost the race after its early check");

    // Two conditional PUTs of a new key at once: exactly one wins.
    let racer = |data: Vec<u8>| {
        s3.put_object().bucket(B).key("duel").if_none_match("*").body(ByteStream::from(data)).send()
    };
    let (a, b) = tokio::join!(racer(vec![1u8; 4 << 20]), racer(vec![2u8; 4 << 20]));
    assert!(a.is_ok() != b.is_ok(), "exactly one of two racing writers wins");
    let a_won = a.is_ok();
    let loser = if a_won { failure(b) } else { failure(a) };
    assert!(loser.1 == 409 || loser.1 == 412, "{loser:?}");
    let winner = if a_won { 1u8 } else { 2u8 };
    assert_eq!(get(&s3, "duel").await, vec![winner; 4 << 20]);

    wait_no_leak(&stack).await;
    stack.stop().await;
}
