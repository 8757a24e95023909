//! `fdfs server --access-log FILE`: one line per request with its time,
//! request ID, key ID, method, bucket, key, status, bytes sent and
//! duration, matching the `x-amz-request-id` the client saw; a refused
//! request is one WARN line in the process log, and `s3s`'s ERROR dumps
//! are gone.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use aws_sdk_s3::operation::RequestId as _;
use aws_sdk_s3::primitives::ByteStream;
use support::process::{FdfsProcess, TempDir, free_addr};
use support::s3::{client, printed};

/// The access log's lines, split into their nine fields.
fn lines(path: &std::path::Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| {
            let f: Vec<String> = l.split(' ').map(str::to_string).collect();
            assert_eq!(f.len(), 9, "{l}");
            f
        })
        .collect()
}

/// Waits for a line with request ID `id` (written when its body ends).
fn line_of(path: &std::path::Path, id: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(l) = lines(path).into_iter().find(|f| f[1] == id) {
            return l;
        }
        assert!(Instant::now() < deadline, "no line for {id}: {:?}", lines(path));
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_log_lines_and_one_warn_per_refusal() {
    let dir = TempDir::new("access-log");
    let access = dir.path().join("logs/access.log");
    std::fs::create_dir_all(access.parent().unwrap()).unwrap();
    let (s3, tracker, storage) = (free_addr(71), free_addr(72), free_addr(73));
    let args: Vec<String> = [
        "server",
        "--data",
        dir.path().join("data").to_str().unwrap(),
        "--listen",
        &s3.to_string(),
        "--tracker-listen",
        &tracker.to_string(),
        "--storage-listen",
        &storage.to_string(),
        "--access-log",
        access.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let log = dir.path().join("server.log");
    let mut proc = FdfsProcess::spawn(&args, s3, log);
    let text = proc.log_text();
    let key_id = printed(&text, "access key id").expect("key id printed");
    let secret = printed(&text, "secret access key").expect("secret printed");
    let s3c = client(s3, &key_id, &secret);
    s3c.create_bucket().bucket("logs").send().await.expect("create bucket");
    let data = vec![7u8; 12_345];
    let deadline = Instant::now() + Duration::from_secs(20);
    let put = loop {
        let put = s3c
            .put_object()
            .bucket("logs")
            .key("dir/a b.bin")
            .body(ByteStream::from(data.clone()))
            .send()
            .await;
        match put {
            Ok(out) => break out,
            Err(e) if Instant::now() < deadline => {
                eprintln!("put not yet accepted: {e:?}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("put failed: {e:?}\n{}", proc.log_text()),
        }
    };
    let got = s3c.get_object().bucket("logs").key("dir/a b.bin").send().await.unwrap();
    let get_id = got.request_id().unwrap().to_string();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().len(), data.len());

    let f = line_of(&access, put.request_id().unwrap());
    assert_eq!(&f[2..8], [key_id.as_str(), "PUT", "logs", "dir/a%20b.bin", "200", "0"]);
    assert!(f[0].ends_with('Z') && f[0].len() == 24, "{f:?}");
    assert!(f[8].parse::<f64>().unwrap() >= 0.0);
    let f = line_of(&access, &get_id);
    assert_eq!(&f[2..8], [key_id.as_str(), "GET", "logs", "dir/a%20b.bin", "200", "12345"]);

    // Unsigned: refused, logged with no key, and one WARN in the log.
    let mut conn = TcpStream::connect(s3).unwrap();
    write!(conn, "GET /logs/x HTTP/1.1\r\nHost: {s3}\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    let id = reply
        .lines()
        .find_map(|l| l.strip_prefix("x-amz-request-id: "))
        .expect("request id")
        .trim()
        .to_string();
    let f = line_of(&access, &id);
    assert_eq!(&f[2..7], ["-", "GET", "logs", "x", "403"]);
    let text = proc.log_text();
    let warns: Vec<&str> = text.lines().filter(|l| l.contains(&id)).collect();
    assert_eq!(warns.len(), 1, "{text}");
    assert!(warns[0].contains("WARN") && warns[0].contains("AccessDenied"), "{}", warns[0]);
    assert!(!text.contains("ERROR"), "{text}");
    assert!(proc.terminate(Duration::from_secs(10)), "{}", proc.log_text());
}
