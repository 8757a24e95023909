//! Secrets at rest as an operator meets them, with the real binary under a
//! permissive umask: a key made with `fdfs gateway key create` before the
//! gateway ever started works once it serves (the master key is made by
//! whichever runs first); the data directory is 0700 and the index, its
//! WAL and shared-memory files and the master key 0600; the secret is not
//! in the index's bytes, so a copy of the index without the master key
//! authenticates nothing; short secrets are refused.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::process::{FdfsProcess, TempDir, free_addr};
use support::s3::client;

const SECRET: &str = "sealed-secret-0123456789-abcdef";

/// `fdfs ARGS` under umask 000.
fn fdfs_umask0(args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_fdfs"))
        .args(args)
        .output()
        .expect("run fdfs")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn contains(path: &Path, needle: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

/// `fdfs gateway` on data `gw` (no tracker needs to answer: ListBuckets
/// reads only the index), under umask 000.
fn gateway(gw: &Path, log: &Path) -> FdfsProcess {
    let s3 = free_addr(81);
    let args: Vec<String> = [
        "gateway",
        "--listen",
        &s3.to_string(),
        "--tracker",
        &free_addr(81).to_string(),
        "--data",
        gw.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    FdfsProcess::spawn_with_umask(&args, "000", s3, log.to_path_buf())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_made_before_the_first_start_work_sealed_in_private_files() {
    let dir = TempDir::new("secrets");
    let gw = dir.path().join("gw");
    let gw_s = gw.to_str().unwrap();

    let short = fdfs_umask0(&["gateway", "key", "create", "--data", gw_s, "--secret", "too-short"]);
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("16"), "{short:?}");
    let made = fdfs_umask0(&[
        "gateway",
        "key",
        "create",
        "--data",
        gw_s,
        "--access-key-id",
        "EARLYKEY",
        "--secret",
        SECRET,
    ]);
    assert!(made.status.success(), "{made:?}");
    assert!(gw.join("master.key").exists(), "key create made no master key");

    let mut proc = gateway(&gw, &dir.path().join("gateway.log"));
    let s3 = proc.addr;
    client(s3, "EARLYKEY", SECRET).list_buckets().send().await.expect("the early key works");
    let wrong = client(s3, "EARLYKEY", "sealed-secret-0123456789-abcdeX").list_buckets().send();
    assert!(wrong.await.is_err());

    // Private whatever the umask, WAL and shared memory included.
    assert_eq!(mode(&gw), 0o700);
    for file in ["index.db", "index.db-wal", "index.db-shm", "master.key"] {
        assert_eq!(mode(&gw.join(file)), 0o600, "{file}");
    }
    for file in ["index.db", "index.db-wal"] {
        assert!(!contains(&gw.join(file), SECRET), "{file} holds the secret in clear");
    }
    assert!(proc.terminate(Duration::from_secs(15)), "{}", proc.log_text());

    // The index copied without its master key: the key no longer works.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    std::fs::copy(gw.join("index.db"), copy.join("index.db")).unwrap();
    let mut proc = gateway(&copy, &dir.path().join("copy.log"));
    let refused = client(proc.addr, "EARLYKEY", SECRET).list_buckets().send().await;
    assert!(refused.is_err(), "a copied index authenticated without its master key");
    assert!(proc.terminate(Duration::from_secs(15)), "{}", proc.log_text());

    // An operator's master key file: the same key, kept elsewhere.
    let kept = dir.path().join("kept.key");
    std::fs::copy(gw.join("master.key"), &kept).unwrap();
    std::fs::remove_file(gw.join("master.key")).unwrap();
    let listed = fdfs_umask0(&[
        "gateway",
        "key",
        "create",
        "--data",
        gw_s,
        "--master-key-file",
        kept.to_str().unwrap(),
        "--access-key-id",
        "SECONDKEY",
    ]);
    assert!(listed.status.success(), "{listed:?}");
    assert!(!gw.join("master.key").exists(), "a master key was made beside the operator's");
}

#[test]
fn a_short_env_secret_is_refused() {
    let dir = TempDir::new("secrets-env");
    let out = Command::new(env!("CARGO_BIN_EXE_fdfs"))
        .args(["gateway", "--tracker", "127.0.0.1:1", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("gw"))
        .env("FDFS_ACCESS_KEY_ID", "ENVKEY")
        .env("FDFS_SECRET_ACCESS_KEY", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FDFS_SECRET_ACCESS_KEY") && err.contains("16"), "{err}");
}
