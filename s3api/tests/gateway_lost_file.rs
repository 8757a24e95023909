//! An object whose file is gone from every storage (removed behind the
//! gateway's back): GET and HEAD agree on 500 InternalError — not a 404
//! that would contradict the listing, not a 200 HEAD for a GET that
//! fails — and the gateway logs one ERROR naming the bucket, the key and
//! the file ID. The other objects are unaffected.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use fdfs_s3api::index::ObjectData;
use support::{SECRET, Stack, body, make_bucket};

/// The log, captured.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn lost_file_is_500_on_get_and_head_and_logged() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .init();

    let stack = Stack::start().await;
    let s3 = stack.client(SECRET);
    make_bucket(&s3, "lost").await;
    for key in ["gone.txt", "kept.txt"] {
        let data = ByteStream::from_static(b"some bytes");
        s3.put_object().bucket("lost").key(key).body(data).send().await.unwrap();
    }
    let record = stack.index.read(|ix| ix.get_object("lost", "gone.txt")).await.unwrap();
    let ObjectData::Single(file_id) = record.data else { panic!("not a single file") };
    // group1/M00/XX/YY/NAME lives at storage/data/XX/YY/NAME.
    let rel = file_id.splitn(3, '/').nth(2).unwrap();
    std::fs::remove_file(stack.dir.path().join("storage/data").join(rel)).unwrap();

    let e = s3.get_object().bucket("lost").key("gone.txt").send().await.unwrap_err();
    assert_eq!(e.code(), Some("InternalError"));
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(500));
    let e = s3.head_object().bucket("lost").key("gone.txt").send().await.unwrap_err();
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(500));
    // A range read and a conditional HEAD that fails its condition agree
    // with the plain ones as GET would answer them.
    let e = s3.get_object().bucket("lost").key("gone.txt").range("bytes=0-1").send().await;
    assert_eq!(e.unwrap_err().raw_response().map(|r| r.status().as_u16()), Some(500));
    let e = s3.head_object().bucket("lost").key("gone.txt").if_match("\"nope\"").send().await;
    assert_eq!(e.unwrap_err().raw_response().map(|r| r.status().as_u16()), Some(412));

    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    // One line per request (the SDK retries a 500 a few times).
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("object data lost")).collect();
    assert!(errors.len() >= 3, "{text}");
    for line in &errors {
        for needle in ["ERROR", &file_id, "bucket=\"lost\"", "key=\"gone.txt\""] {
            assert!(line.contains(needle), "{needle} not in {line}");
        }
    }

    // The listing still shows it; the neighbour reads fine.
    let list = s3.list_objects_v2().bucket("lost").send().await.unwrap();
    assert_eq!(list.contents().len(), 2);
    let got = s3.get_object().bucket("lost").key("kept.txt").send().await.unwrap();
    assert_eq!(body(got).await, b"some bytes");
    s3.head_object().bucket("lost").key("kept.txt").send().await.unwrap();
    stack.stop().await;
}
