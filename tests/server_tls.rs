//! `fdfs server --tls-cert --tls-key` (issue 10.9): HTTPS with a
//! certificate made here by the `openssl` CLI, driven by curl (a real TLS
//! client): HTTP/2 and HTTP/1.1 by ALPN, a SigV4-signed S3 request
//! (`curl --aws-sigv4`), and SIGHUP reloading the certificate — new
//! connections get the new one, a broken file is logged and the old one
//! stays.

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::process::{FdfsProcess, TempDir, free_addr};
use support::s3::printed;

const EMPTY_SHA256: &str =
    "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A self-signed certificate for 127.0.0.x and localhost: (cert, key).
fn make_cert(dir: &Path, name: &str, ip: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
        .args(["-nodes", "-days", "2", "-subj", &format!("/CN={name}")])
        .args(["-addext", &format!("subjectAltName=IP:{ip},DNS:localhost")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    (cert, key)
}

/// `curl` over HTTPS trusting only `ca`: "HTTP-VERSION STATUS" or the error.
fn curl(ca: &Path, url: &str, extra: &[&str]) -> Result<String, String> {
    let out = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", "--max-time", "10"])
        .arg("--cacert")
        .arg(ca)
        .args(extra)
        .arg(url)
        .output()
        .expect("run curl");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn hup(proc: &FdfsProcess, pid: u32) {
    let status = Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap();
    assert!(status.success(), "kill -HUP failed:\n{}", proc.log_text());
}

/// Waits until `check` holds, or fails with `what`.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn https_with_alpn_sigv4_and_certificate_reload_on_sighup() {
    let dir = TempDir::new("tls");
    let s3: SocketAddr = free_addr(74);
    let ip = s3.ip().to_string();
    let (cert, key) = make_cert(dir.path(), "first", &ip);
    // The served files, replaced in place later.
    let (served_cert, served_key) = (dir.path().join("s3.crt"), dir.path().join("s3.key"));
    std::fs::copy(&cert, &served_cert).unwrap();
    std::fs::copy(&key, &served_key).unwrap();
    let args: Vec<String> = [
        "server",
        "--data",
        dir.path().join("data").to_str().unwrap(),
        "--listen",
        &s3.to_string(),
        "--tracker-listen",
        &free_addr(75).to_string(),
        "--storage-listen",
        &free_addr(76).to_string(),
        "--tls-cert",
        served_cert.to_str().unwrap(),
        "--tls-key",
        served_key.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut proc = FdfsProcess::spawn(&args, s3, dir.path().join("server.log"));
    let pid = proc.pid().unwrap();
    let log = proc.log_text();
    let (id, secret) = (
        printed(&log, "access key id").expect("printed"),
        printed(&log, "secret access key").expect("printed"),
    );
    let url = format!("https://{s3}/");

    // Anonymous: refused by S3, over HTTP/2 or HTTP/1.1 as negotiated.
    assert_eq!(curl(&cert, &url, &["--http2"]).unwrap(), "2 403");
    assert_eq!(curl(&cert, &url, &["--http1.1"]).unwrap(), "1.1 403");
    // Plain HTTP is not served on the TLS port.
    let plain = curl(&cert, &format!("http://{s3}/"), &[]);
    assert!(!matches!(plain.as_deref(), Ok(s) if s.ends_with("200")), "{plain:?}");
    // Signed: ListBuckets and CreateBucket succeed over TLS.
    // S3 wants the payload hash header; curl signs it (x-amz-*).
    let sigv4 = ["-H", EMPTY_SHA256, "--aws-sigv4", "aws:amz:us-east-1:s3", "--user"];
    let user = format!("{id}:{secret}");
    let signed = |extra: &[&str]| {
        let mut a: Vec<&str> = sigv4.to_vec();
        a.push(&user);
        a.extend_from_slice(extra);
        curl(&cert, &url, &a)
    };
    eventually("signed ListBuckets over TLS", || signed(&["--http2"]).as_deref() == Ok("2 200"));
    let bucket_url = format!("https://{s3}/tlsbucket");
    let mut a: Vec<&str> = sigv4.to_vec();
    a.push(&user);
    a.extend_from_slice(&["-X", "PUT"]);
    assert_eq!(curl(&cert, &bucket_url, &a).unwrap(), "2 200");

    // SIGHUP with a new certificate: new connections get it.
    let (cert2, key2) = make_cert(dir.path(), "second", &ip);
    assert!(curl(&cert2, &url, &[]).is_err(), "second cert trusted before the reload");
    std::fs::copy(&cert2, &served_cert).unwrap();
    std::fs::copy(&key2, &served_key).unwrap();
    hup(&proc, pid);
    eventually("new certificate served after SIGHUP", || curl(&cert2, &url, &[]).is_ok());
    assert!(curl(&cert, &url, &[]).is_err(), "old certificate still served");

    // A broken key: logged, the certificate in use stays.
    std::fs::write(&served_key, "not a key").unwrap();
    hup(&proc, pid);
    eventually("reload failure logged", || proc.log_text().contains("TLS reload failed"));
    assert_eq!(curl(&cert2, &url, &["--http2"]).unwrap(), "2 403");
    assert!(proc.terminate(Duration::from_secs(15)), "no clean exit:\n{}", proc.log_text());
}
