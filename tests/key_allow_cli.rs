//! `fdfs gateway key allow|deny|grants` beside a running `fdfs server`: a
//! tenant allowed to read lists and reads the owner's bucket (its objects
//! private all the same), allowed to write puts and deletes, and loses
//! both on `key deny` — at once, without restarting the server.

mod support;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use support::process::{FdfsProcess, TempDir, free_addr};
use support::s3::{client, printed};

fn fdfs(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fdfs")).args(args).output().expect("run fdfs")
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn code<T, E: ProvideErrorMetadata>(r: Result<T, SdkError<E>>) -> Option<String> {
    r.err().and_then(|e| e.as_service_error().and_then(|e| e.code()).map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_allow_grants_another_owner_a_bucket() {
    let dir = TempDir::new("key-allow");
    let data = dir.path().join("data");
    let s3: SocketAddr = free_addr(81);
    let args: Vec<String> = [
        "server",
        "--data",
        data.to_str().unwrap(),
        "--listen",
        &s3.to_string(),
        "--tracker-listen",
        &free_addr(82).to_string(),
        "--storage-listen",
        &free_addr(83).to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut proc = FdfsProcess::spawn(&args, s3, dir.path().join("server.log"));
    let text = proc.log_text();
    let owner = client(
        s3,
        &printed(&text, "access key id").unwrap(),
        &printed(&text, "secret access key").unwrap(),
    );
    let gw = data.join("gateway");
    let gw = gw.to_str().unwrap();
    let made = ok(&fdfs(&["gateway", "key", "create", "--data", gw, "--owner", "carol"]));
    let carol = client(
        s3,
        &printed(&made, "access_key_id").unwrap(),
        &printed(&made, "secret_access_key").unwrap(),
    );
    let mut tries = 0;
    while let Err(e) = owner.create_bucket().bucket("team").send().await {
        tries += 1;
        assert!(tries < 60, "bucket never created: {e:?}\n{}", proc.log_text());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    owner
        .put_object()
        .bucket("team")
        .key("plan")
        .body(ByteStream::from_static(b"p"))
        .send()
        .await
        .unwrap();
    let denied = Some("AccessDenied".to_string());
    assert_eq!(code(carol.get_object().bucket("team").key("plan").send().await), denied);

    // Refused: no such owner, no such bucket, nothing asked.
    let key = ["gateway", "key"];
    let run = |rest: &[&str]| fdfs(&[&key[..], rest, &["--data", gw]].concat());
    assert!(!run(&["allow", "--bucket", "team", "--owner", "nobody", "--read"]).status.success());
    assert!(!run(&["allow", "--bucket", "none", "--owner", "carol", "--read"]).status.success());
    assert!(!run(&["allow", "--bucket", "team", "--owner", "carol"]).status.success());

    // Read: list and get, not put.
    let out = ok(&run(&["allow", "--bucket", "team", "--owner", "carol", "--read"]));
    assert_eq!(out.trim(), "team\tcarol\tread");
    let listed = carol.list_objects_v2().bucket("team").send().await.unwrap();
    assert_eq!(listed.contents().len(), 1);
    let got = carol.get_object().bucket("team").key("plan").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"p");
    let put = carol.put_object().bucket("team").key("x").body(ByteStream::from_static(b"x"));
    assert_eq!(code(put.send().await), denied);
    assert_eq!(code(carol.get_bucket_versioning().bucket("team").send().await), denied);

    // Write too: put and delete.
    ok(&run(&["allow", "--bucket", "team", "--owner", "carol", "--write"]));
    let grants = ok(&run(&["grants", "--bucket", "team"]));
    assert_eq!(grants.trim(), "team\tcarol\tread, write");
    let put = carol.put_object().bucket("team").key("x").body(ByteStream::from_static(b"x"));
    put.send().await.unwrap();
    carol.delete_object().bucket("team").key("x").send().await.unwrap();

    // Deny read: writes still go, reads stop; deny all: nothing.
    ok(&run(&["deny", "--bucket", "team", "--owner", "carol", "--read"]));
    assert_eq!(code(carol.get_object().bucket("team").key("plan").send().await), denied);
    let put = carol.put_object().bucket("team").key("y").body(ByteStream::from_static(b"y"));
    put.send().await.unwrap();
    ok(&run(&["deny", "--bucket", "team", "--owner", "carol"]));
    let put = carol.put_object().bucket("team").key("z").body(ByteStream::from_static(b"z"));
    assert_eq!(code(put.send().await), denied);
    assert_eq!(ok(&run(&["grants", "--bucket", "team"])).trim(), "");
    assert!(proc.terminate(Duration::from_secs(10)), "no clean exit:\n{}", proc.log_text());
}
