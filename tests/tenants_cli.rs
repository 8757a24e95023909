//! Tenants and admin keys as a user meets them: `fdfs server`'s first key
//! is an admin key and reads the group bucket; a key made with `fdfs
//! gateway key create --owner NAME` is a tenant's and is refused there,
//! whatever it asks of the group bucket. The server's data stays private
//! under a permissive umask.

mod support;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use support::process::{FdfsProcess, TempDir, free_addr};
use support::s3::{client, printed};

fn fdfs(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fdfs")).args(args).output().expect("run fdfs")
}

fn stdout(out: &std::process::Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn code<E: ProvideErrorMetadata>(e: &SdkError<E>) -> (Option<String>, u16) {
    let status = e.raw_response().map_or(0, |r| r.status().as_u16());
    (e.as_service_error().and_then(ProvideErrorMetadata::code).map(str::to_string), status)
}

/// `fdfs server ARGS...` on fresh loopback ports; its S3 address.
fn server_args(data: &std::path::Path) -> (Vec<String>, SocketAddr) {
    let s3 = free_addr(71);
    let args = [
        "server",
        "--data",
        data.to_str().unwrap(),
        "--listen",
        &s3.to_string(),
        "--tracker-listen",
        &free_addr(72).to_string(),
        "--storage-listen",
        &free_addr(73).to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    (args, s3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_key_is_admin_and_tenant_keys_are_refused_group_buckets() {
    let dir = TempDir::new("tenants");
    let data = dir.path().join("data");
    let (args, s3) = server_args(&data);
    // A permissive umask: the data must be private all the same.
    let mut proc = FdfsProcess::spawn_with_umask(&args, "000", s3, dir.path().join("server.log"));
    let text = proc.log_text();
    let id = printed(&text, "access key id").expect("key id printed");
    let secret = printed(&text, "secret access key").expect("secret printed");
    let admin = client(s3, &id, &secret);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("gateway")), 0o700);
    for file in ["index.db", "index.db-wal", "index.db-shm", "master.key"] {
        assert_eq!(mode(&data.join("gateway").join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(&data.join("tracker")), 0o700);
    for file in ["tracker.db", "tracker.db-wal", "tracker.db-shm"] {
        assert_eq!(mode(&data.join("tracker").join(file)), 0o600, "{file}");
    }

    // A tenant key, made beside the running server.
    let gw = data.join("gateway");
    let made = stdout(&fdfs(&[
        "gateway",
        "key",
        "create",
        "--data",
        gw.to_str().unwrap(),
        "--owner",
        "bob",
    ]));
    let tenant = client(
        s3,
        &printed(&made, "access_key_id").unwrap(),
        &printed(&made, "secret_access_key").unwrap(),
    );
    let listed = stdout(&fdfs(&["gateway", "key", "list", "--data", gw.to_str().unwrap()]));
    assert!(listed.contains(&format!("{id}\towner\tadmin")), "{listed}");
    assert!(listed.contains("\tbob\ttenant"), "{listed}");

    // The group bucket answers the admin key (once the storage joined)...
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = admin.head_bucket().bucket("group1").send().await {
        assert!(Instant::now() < deadline, "group1 never served: {e:?}\n{}", proc.log_text());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let missing = "M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt";
    let e = admin.get_object().bucket("group1").key(missing).send().await.unwrap_err();
    assert_eq!(code(&e), (Some("NoSuchKey".into()), 404));
    // ... and refuses the tenant's, which still has its own buckets.
    let e = tenant.head_bucket().bucket("group1").send().await.unwrap_err();
    assert_eq!(code(&e).1, 403);
    let e = tenant.get_object().bucket("group1").key(missing).send().await.unwrap_err();
    assert_eq!(code(&e), (Some("AccessDenied".into()), 403));
    tenant.create_bucket().bucket("bobs").send().await.expect("tenant bucket");
    let e = admin.head_bucket().bucket("bobs").send().await.unwrap_err();
    assert_eq!(code(&e).1, 403);
    assert!(proc.terminate(Duration::from_secs(10)), "no clean exit:\n{}", proc.log_text());
}
