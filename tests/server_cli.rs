//! `fdfs server` as a user runs it: tracker, storage and gateway in one
//! process on loopback; the printed key pair works with a real S3 client;
//! SIGTERM stops everything cleanly; a restart on the same data keeps the
//! objects and the key.

mod support;

use std::time::{Duration, Instant};

use aws_sdk_s3::Client;

use aws_sdk_s3::primitives::ByteStream;
use support::process::{FdfsProcess, TempDir, free_addr};
use support::s3::{client, printed};

async fn get(client: &Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = client.get_object().bucket(bucket).key(key).send().await.expect("get object");
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_serves_s3_stops_on_sigterm_and_restarts() {
    let dir = TempDir::new("server");
    let data = dir.path().join("data");
    let s3 = free_addr(61);
    let tracker = free_addr(62);
    let storage = free_addr(63);
    let args: Vec<String> = [
        "server",
        "--data",
        data.to_str().unwrap(),
        "--listen",
        &s3.to_string(),
        "--tracker-listen",
        &tracker.to_string(),
        "--storage-listen",
        &storage.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let log = dir.path().join("server.log");

    let mut proc = FdfsProcess::spawn(&args, s3, log.clone());
    let text = proc.log_text();
    assert!(text.contains(&format!("listening on {s3}")), "{text}");
    let id = printed(&text, "access key id").expect("key id printed");
    let secret = printed(&text, "secret access key").expect("secret printed");
    assert!(!id.is_empty() && !secret.is_empty());
    for sub in ["tracker", "storage", "gateway"] {
        assert!(data.join(sub).is_dir(), "no {sub} dir");
    }

    let s3c = client(s3, &id, &secret);
    s3c.create_bucket().bucket("photos").send().await.expect("create bucket");
    let body: Vec<u8> =
        (0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    // The storage joins the tracker right after start; retry until uploads
    // are placed.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let put = s3c
            .put_object()
            .bucket("photos")
            .key("a/cat.bin")
            .body(ByteStream::from(body.clone()))
            .send()
            .await;
        match put {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline => {
                eprintln!("put not yet accepted: {e:?}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("put failed: {e:?}\n{}", proc.log_text()),
        }
    }
    assert_eq!(get(&s3c, "photos", "a/cat.bin").await, body);

    let stopped = Instant::now();
    assert!(proc.terminate(Duration::from_secs(10)), "no clean exit:\n{}", proc.log_text());
    assert!(stopped.elapsed() < Duration::from_secs(10));

    // Keys made by hand meanwhile, one an admin whose ID sorts first, do not
    // take the server's own key's place in what a restart prints.
    let gateway_data = data.join("gateway");
    for extra in [&["--admin"][..], &[]] {
        let mut create = vec!["gateway", "key", "create", "--data", gateway_data.to_str().unwrap()];
        create.extend_from_slice(extra);
        create.extend_from_slice(&["--access-key-id", "AAAAFIRSTBYNAME0000"]);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fdfs")).args(&create).output();
        let out = out.unwrap();
        if extra.is_empty() {
            // The same ID twice is refused; only the admin one was made.
            assert!(!out.status.success());
        } else {
            assert!(out.status.success(), "{out:?}");
        }
    }

    // Same data: the key is reused (id printed, no new secret), the object
    // is still there.
    let mut proc = FdfsProcess::spawn(&args, s3, log);
    let text = proc.log_text();
    let ids: Vec<&str> = text.lines().filter(|l| l.starts_with("access key id: ")).collect();
    assert_eq!(ids.len(), 2, "{text}");
    assert!(ids[1].contains(&id), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("secret access key: ")).count(), 1);
    let s3c = client(s3, &id, &secret);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match s3c.get_object().bucket("photos").key("a/cat.bin").send().await {
            Ok(out) => {
                assert_eq!(out.body.collect().await.unwrap().into_bytes().to_vec(), body);
                break;
            }
            Err(e) if Instant::now() < deadline => {
                eprintln!("get not yet served: {e:?}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("get after restart failed: {e:?}\n{}", proc.log_text()),
        }
    }
    assert!(proc.terminate(Duration::from_secs(10)), "no clean exit:\n{}", proc.log_text());
}

/// A restart on another `--storage-listen` IP is the same storage at a new
/// address: its old entry goes from the tracker (no OFFLINE ghost to sync
/// to) and its objects are still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_moved_to_another_ip_leaves_no_ghost() {
    let dir = TempDir::new("server-moved");
    let data = dir.path().join("data");
    let s3 = free_addr(66);
    let tracker = free_addr(67);
    let args = |storage: std::net::SocketAddr| -> Vec<String> {
        let d = data.to_str().unwrap().to_string();
        ["server", "--data", &d, "--listen", &s3.to_string()]
            .into_iter()
            .map(String::from)
            .chain(["--tracker-listen".into(), tracker.to_string()])
            .chain(["--storage-listen".into(), storage.to_string()])
            .collect()
    };
    let mut proc = FdfsProcess::spawn(&args(free_addr(68)), s3, dir.path().join("one.log"));
    let text = proc.log_text();
    let id = printed(&text, "access key id").expect("key id printed");
    let secret = printed(&text, "secret access key").expect("secret printed");
    let s3c = client(s3, &id, &secret);
    s3c.create_bucket().bucket("moved").send().await.expect("create bucket");
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = s3c
        .put_object()
        .bucket("moved")
        .key("k")
        .body(ByteStream::from_static(b"still here"))
        .send()
        .await
    {
        assert!(Instant::now() < deadline, "put failed: {e:?}\n{}", proc.log_text());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(proc.terminate(Duration::from_secs(10)), "no clean exit:\n{}", proc.log_text());

    let mut proc = FdfsProcess::spawn(&args(free_addr(69)), s3, dir.path().join("two.log"));
    let monitor = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_fdfs"))
            .args(["monitor", "--tracker", &tracker.to_string()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = monitor();
        let settled = listed.contains("127.0.0.69") && listed.contains("ACTIVE");
        if settled && !listed.contains("OFFLINE") {
            break;
        }
        assert!(Instant::now() < deadline, "ghost left:\n{listed}\n{}", proc.log_text());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match s3c.get_object().bucket("moved").key("k").send().await {
            Ok(out) => {
                assert_eq!(out.body.collect().await.unwrap().into_bytes().as_ref(), b"still here");
                break;
            }
            Err(e) if Instant::now() < deadline => {
                eprintln!("get not yet served: {e:?}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("get after the move failed: {e:?}\n{}", proc.log_text()),
        }
    }
    assert!(proc.terminate(Duration::from_secs(10)), "no clean exit:\n{}", proc.log_text());
}
