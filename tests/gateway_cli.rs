//! `fdfs gateway` as a user runs it: key management against the index in
//! `--data`, and the server starting, announcing its address, refusing
//! unsigned requests and stopping cleanly on SIGTERM. (S3 behaviour end to
//! end is s3api/tests/gateway.rs.)

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use support::process::{FdfsProcess, TempDir, free_addr};

fn fdfs(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fdfs")).args(args).output().expect("run fdfs")
}

fn stdout(out: &std::process::Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn keys_are_created_listed_and_deleted() {
    let dir = TempDir::new("gateway-keys");
    let data = dir.path().join("gw");
    let data = data.to_str().unwrap();
    let given = stdout(&fdfs(&[
        "gateway",
        "key",
        "create",
        "--data",
        data,
        "--access-key-id",
        "MYKEY",
        "--secret",
        "s3cret-s3cret-s3cret",
        "--owner",
        "alice",
    ]));
    assert!(given.contains("access_key_id: MYKEY"), "{given}");
    assert!(given.contains("admin: false"), "{given}");
    let admin = stdout(&fdfs(&[
        "gateway",
        "key",
        "create",
        "--data",
        data,
        "--access-key-id",
        "ROOTKEY",
        "--admin",
    ]));
    assert!(admin.contains("admin: true"), "{admin}");
    let random = stdout(&fdfs(&["gateway", "key", "create", "--data", data]));
    let id = random
        .lines()
        .find_map(|l| l.strip_prefix("access_key_id: "))
        .expect("an access key ID")
        .to_string();
    assert!(id.starts_with("FDFS") && id.len() == 20, "{id}");
    let listed = stdout(&fdfs(&["gateway", "key", "list", "--data", data]));
    assert!(listed.contains("MYKEY\talice\ttenant"), "{listed}");
    assert!(listed.contains("ROOTKEY\towner\tadmin"), "{listed}");
    assert!(listed.contains(&format!("{id}\towner\ttenant")), "{listed}");
    assert!(!listed.contains("s3cret"), "list shows a secret: {listed}");
    let dup = fdfs(&["gateway", "key", "create", "--data", data, "--access-key-id", "MYKEY"]);
    assert!(!dup.status.success());
    stdout(&fdfs(&["gateway", "key", "delete", "--data", data, "MYKEY"]));
    let listed = stdout(&fdfs(&["gateway", "key", "list", "--data", data]));
    assert!(!listed.contains("MYKEY"), "{listed}");
    assert!(!fdfs(&["gateway", "key", "delete", "--data", data, "MYKEY"]).status.success());
}

#[test]
fn serving_needs_a_tracker() {
    let out = fdfs(&["gateway"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tracker"));
}

#[test]
fn server_starts_refuses_unsigned_and_stops_on_sigterm() {
    let dir = TempDir::new("gateway-serve");
    let addr = free_addr(1);
    // No tracker needs to answer for the gateway to start.
    let tracker = free_addr(1);
    let args: Vec<String> = [
        "gateway",
        "--listen",
        &addr.to_string(),
        "--tracker",
        &tracker.to_string(),
        "--data",
        dir.path().join("gw").to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut proc = FdfsProcess::spawn(&args, addr, dir.path().join("gateway.log"));
    assert!(proc.log_text().contains(&format!("listening on {addr}")), "{}", proc.log_text());
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(conn, "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    assert!(proc.terminate(Duration::from_secs(15)), "{}", proc.log_text());
}

#[test]
fn the_deploy_sample_config_is_accepted() {
    let dir = TempDir::new("gateway-sample");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/gateway.toml");
    let data = dir.path().join("gw");
    // `key list` reads the config (and `--data` overrides its data_dir)
    // without needing a cluster.
    let out =
        fdfs(&["gateway", "--config", sample, "key", "list", "--data", data.to_str().unwrap()]);
    stdout(&out);
    assert!(data.join("index.db").exists());
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "listen = \"127.0.0.1:1\"\nindex_reader = 3\n").unwrap();
    let out = fdfs(&["gateway", "--config", bad.to_str().unwrap(), "key", "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("index_reader"), "{err}");
}

#[test]
fn serves_from_a_config_file() {
    let dir = TempDir::new("gateway-config");
    let addr = free_addr(1);
    let tracker = free_addr(1);
    let data = dir.path().join("from-file");
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"{addr}\"\ntrackers = [\"{tracker}\"]\ndata_dir = {:?}\n\
             domains = [\"s3.test\"]\n[delete_queue]\norphan_sweep = false\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let args: Vec<String> =
        ["gateway", "--config", config.to_str().unwrap()].iter().map(|s| s.to_string()).collect();
    let mut proc = FdfsProcess::spawn(&args, addr, dir.path().join("gateway.log"));
    assert!(proc.log_text().contains(&format!("listening on {addr}")), "{}", proc.log_text());
    assert!(data.join("index.db").exists());
    assert!(proc.terminate(Duration::from_secs(15)), "{}", proc.log_text());
}
