//! `fdfs storage` as an operator runs it: the real binary next to a real
//! `fdfs tracker` on 127.0.0.x, driven by the `fdfs` client tools and a
//! raw HTTP/1.1 client; SIGTERM, restart on the same data, both config
//! file formats, and bad configs.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use fdfs_protocol::client::{Pool, TrackerClient};
use fdfs_protocol::tracker::StorageStatus;
use support::process::{FdfsProcess, TempDir, free_addr, storage, tracker};

fn fdfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdfs"))
        .args(args)
        .env("FDFS_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run fdfs")
}

/// `fdfs ARGS`, expected to succeed; its standard output.
fn fdfs_ok(args: &[&str]) -> String {
    let out = fdfs(args);
    assert!(out.status.success(), "fdfs {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A free address on `127.0.0.<last>` other than `taken`.
fn distinct_addr(last: u8, taken: SocketAddr) -> SocketAddr {
    loop {
        let addr = free_addr(last);
        if addr != taken {
            return addr;
        }
    }
}

/// Bytes that differ at every position, several buffers long.
fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// CRC-32/IEEE (what FastDFS names carry), bit by bit.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Waits until `tracker` lists the storage `ip` of `group` as ACTIVE.
fn wait_active(tracker: SocketAddr, group: &str, ip: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = TrackerClient::new(vec![tracker], Pool::default()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = client
                .list_storages(group, Some(ip))
                .await
                .ok()
                .and_then(|s| s.first().map(|s| s.status));
            if status == Some(StorageStatus::Active) {
                return;
            }
            assert!(Instant::now() < deadline, "storage {ip} not ACTIVE: {status:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

/// One HTTP response, read to the end of a `Connection: close` exchange.
#[derive(Debug)]
struct HttpResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A raw HTTP/1.1 request with `extra` headers.
fn http(addr: SocketAddr, method: &str, path: &str, extra: &[(&str, &str)]) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in extra {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    HttpResponse { status, headers, body: raw[split + 4..].to_vec() }
}

/// `fdfs download ID EXTRA` into a file of `dir`; the bytes it got.
fn download(tracker: &str, id: &str, dir: &Path, extra: &[&str]) -> Vec<u8> {
    let out = dir.join("downloaded");
    let out_s = out.display().to_string();
    let mut args = vec!["download", "--tracker", tracker, id, &out_s];
    args.extend_from_slice(extra);
    fdfs_ok(&args);
    std::fs::read(&out).unwrap()
}

#[test]
fn storage_serves_clients_and_http_and_restarts() {
    let dir = TempDir::new("storage-cli");
    let t_addr = free_addr(1);
    let t_data = dir.path().join("tracker");
    std::fs::create_dir_all(&t_data).unwrap();
    let _tracker = tracker(t_addr, &t_data, &[]);
    let s_addr = free_addr(2);
    let h_addr = distinct_addr(2, s_addr);
    let data = dir.path().join("storage");
    let h = h_addr.to_string();
    let flags = ["--heart-beat-interval", "1", "--http", &h];
    let mut s = storage(s_addr, "group1", &[t_addr], &data, &flags);
    wait_active(t_addr, "group1", "127.0.0.2");
    let t = t_addr.to_string();

    // Upload, download (whole and a slice), decode the ID.
    let bytes = content(300_000, 7);
    let local = dir.path().join("photo.jpg");
    std::fs::write(&local, &bytes).unwrap();
    let id = fdfs_ok(&["upload", "--tracker", &t, local.to_str().unwrap()]).trim().to_string();
    assert!(id.starts_with("group1/M00/") && id.ends_with(".jpg"), "{id}");
    assert_eq!(download(&t, &id, dir.path(), &[]), bytes);
    let slice = download(&t, &id, dir.path(), &["--offset", "1000", "--length", "70000"]);
    assert_eq!(slice, &bytes[1000..71_000]);
    let info = fdfs_ok(&["info", &id]);
    assert!(info.contains("source ip address: 127.0.0.2"), "{info}");
    assert!(info.contains(&format!("file size: {}\n", bytes.len())), "{info}");
    assert!(info.contains(&format!("(0x{:08X})", crc32(&bytes))), "{info}");

    // HTTP: GET, validators, ranges, HEAD, conditionals, errors.
    let path = format!("/{id}");
    let got = http(h_addr, "GET", &path, &[]);
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.body, bytes);
    assert_eq!(got.header("content-type"), Some("image/jpeg"));
    assert_eq!(got.header("content-length"), Some(bytes.len().to_string().as_str()));
    assert_eq!(got.header("accept-ranges"), Some("bytes"));
    let etag = format!("\"{:08x}-{:x}\"", crc32(&bytes), bytes.len());
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    let modified = got.header("last-modified").unwrap().to_string();
    assert!(modified.ends_with(" GMT"), "{modified}");

    let part = http(h_addr, "GET", &path, &[("Range", "bytes=100-199")]);
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &bytes[100..200]);
    let want_range = format!("bytes 100-199/{}", bytes.len());
    assert_eq!(part.header("content-range"), Some(want_range.as_str()));
    let tail = http(h_addr, "GET", &path, &[("Range", "bytes=-10")]);
    assert_eq!((tail.status, tail.body.as_slice()), (206, &bytes[bytes.len() - 10..]));
    let past = format!("bytes={}-", bytes.len());
    let bad_range = http(h_addr, "GET", &path, &[("Range", past.as_str())]);
    assert_eq!(bad_range.status, 416);
    let star = format!("bytes */{}", bytes.len());
    assert_eq!(bad_range.header("content-range"), Some(star.as_str()));

    let head = http(h_addr, "HEAD", &path, &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some(bytes.len().to_string().as_str()));
    assert_eq!(head.header("etag"), Some(etag.as_str()));

    assert_eq!(http(h_addr, "GET", &path, &[("If-None-Match", &etag)]).status, 304);
    assert_eq!(http(h_addr, "GET", &path, &[("If-Modified-Since", &modified)]).status, 304);
    assert_eq!(http(h_addr, "GET", &path, &[("If-None-Match", "\"other\"")]).status, 200);
    let other_group = path.replacen("group1", "group9", 1);
    assert_eq!(http(h_addr, "GET", &other_group, &[]).status, 404);
    assert_eq!(http(h_addr, "GET", "/group1/not-a-file", &[]).status, 400);
    assert_eq!(http(h_addr, "POST", &path, &[("Content-Length", "0")]).status, 405);
    // A metadata sibling (`<file>-m`) is never served as content.
    let stored = data.join("data").join(&id["group1/M00/".len()..]);
    let meta = format!("{}-m", stored.display());
    std::fs::write(&meta, b"author\x02me").unwrap();
    assert_eq!(http(h_addr, "GET", &format!("{path}-m"), &[]).status, 404);
    std::fs::remove_file(&meta).unwrap();
    // An empty file: 200 with no bytes.
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let empty_id = fdfs_ok(&["upload", "--tracker", &t, empty.to_str().unwrap()]);
    let got = http(h_addr, "GET", &format!("/{}", empty_id.trim()), &[]);
    assert_eq!((got.status, got.header("content-length")), (200, Some("0")), "{got:?}");

    // An appender file grows with `fdfs append`.
    let first = dir.path().join("log.txt");
    std::fs::write(&first, b"first line\n").unwrap();
    let appender = fdfs_ok(&["upload", "--tracker", &t, "--appender", first.to_str().unwrap()])
        .trim()
        .to_string();
    let more = dir.path().join("more.txt");
    std::fs::write(&more, b"second line\n").unwrap();
    fdfs_ok(&["append", "--tracker", &t, &appender, more.to_str().unwrap()]);
    assert_eq!(download(&t, &appender, dir.path(), &[]), b"first line\nsecond line\n");
    let grown = http(h_addr, "GET", &format!("/{appender}"), &[]);
    assert_eq!((grown.status, grown.body.as_slice()), (200, &b"first line\nsecond line\n"[..]));
    assert_eq!(grown.header("content-type"), Some("text/plain; charset=utf-8"));

    // Delete: the download fails, HTTP says 404.
    fdfs_ok(&["delete", "--tracker", &t, &id]);
    let out = dir.path().join("gone").display().to_string();
    let gone = fdfs(&["download", "--tracker", &t, &id, &out]);
    assert!(!gone.status.success());
    // The status is said in words, with its raw form.
    let said = String::from_utf8_lossy(&gone.stderr);
    assert!(said.contains("no such file (ENOENT(2))"), "{said}");
    let twice = fdfs(&["delete", "--tracker", &t, &id]);
    assert!(String::from_utf8_lossy(&twice.stderr).contains("no such file"), "{twice:?}");
    let nogroup = fdfs(&["upload", "--tracker", &t, "--group", "group9", local.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&nogroup.stderr);
    assert!(said.contains("no such group"), "{said}");
    assert_eq!(http(h_addr, "GET", &path, &[]).status, 404);

    // SIGTERM: a clean exit; a restart on the same data still has the file.
    assert!(s.terminate(Duration::from_secs(5)), "no clean exit:\n{}", s.log_text());
    let _s = storage(s_addr, "group1", &[t_addr], &data, &flags);
    wait_active(t_addr, "group1", "127.0.0.2");
    assert_eq!(download(&t, &appender, dir.path(), &[]), b"first line\nsecond line\n");
    assert_eq!(http(h_addr, "GET", &format!("/{appender}"), &[]).status, 200);
}

/// Starts `fdfs storage --config FILE` and waits until it listens.
fn start_with_config(config: &Path, addr: SocketAddr, log_dir: &Path) -> FdfsProcess {
    let args = ["storage".to_string(), "--config".to_string(), config.display().to_string()];
    FdfsProcess::spawn(&args, addr, log_dir.join(format!("storage-{}.log", addr.port())))
}

#[test]
fn storage_conf_and_toml_both_start_it() {
    let dir = TempDir::new("storage-conf");
    // No tracker needs to run: the storage serves and keeps retrying it.
    let t_addr = free_addr(1);

    let addr = free_addr(3);
    let conf = dir.path().join("storage.conf");
    std::fs::write(
        &conf,
        format!(
            "group_name = group2\nbind_addr = 127.0.0.3\nport = {}\nbase_path = {}\n\
             store_path0 = {}\ntracker_server = {t_addr}\nheart_beat_interval = 5\n\
             work_threads = 4\n",
            addr.port(),
            dir.path().join("conf-base").display(),
            dir.path().join("conf-store").display(),
        ),
    )
    .unwrap();
    let mut s = start_with_config(&conf, addr, dir.path());
    assert!(dir.path().join("conf-store/data").is_dir());
    assert!(dir.path().join("conf-base/data").is_dir());
    let log = s.log_text();
    assert!(log.contains("work_threads") && log.contains("ignored"), "{log}");
    assert!(s.terminate(Duration::from_secs(5)), "{}", s.log_text());

    // TOML, with the HTTP anti-steal token: 403 without a valid token; a
    // valid one gets past the check (404: no such file).
    let addr = free_addr(4);
    let h_addr = distinct_addr(4, addr);
    let toml = dir.path().join("storage.toml");
    std::fs::write(
        &toml,
        format!(
            "listen = \"{addr}\"\ngroup = \"group3\"\nbase_path = \"{}\"\ntrackers = [\"{t_addr}\"]\n\
             http_listen = \"{h_addr}\"\nhttp_token_secret = \"s3cret\"\n",
            dir.path().join("toml-base").display()
        ),
    )
    .unwrap();
    let mut s = start_with_config(&toml, addr, dir.path());
    let logic = "M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt";
    let path = format!("/group3/{logic}");
    assert_eq!(http(h_addr, "GET", &path, &[]).status, 403);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let ts = now.as_secs() as i64;
    let token = fdfs_storage::http::token::sign(logic, "s3cret", ts);
    assert_eq!(http(h_addr, "GET", &format!("{path}?token={token}&ts={ts}"), &[]).status, 404);
    let stale = fdfs_storage::http::token::sign(logic, "s3cret", ts - 10_000);
    let old = format!("{path}?token={stale}&ts={}", ts - 10_000);
    assert_eq!(http(h_addr, "GET", &old, &[]).status, 403);
    assert!(s.terminate(Duration::from_secs(5)), "{}", s.log_text());
}

#[test]
fn bad_settings_fail_clearly() {
    let dir = TempDir::new("storage-bad");
    let bad_toml = dir.path().join("bad.toml");
    std::fs::write(&bad_toml, "lisen = \"127.0.0.2:23000\"\n").unwrap();
    let missing = dir.path().join("missing.conf");
    let data = dir.path().join("d").display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--config".into(), bad_toml.display().to_string()], "lisen"),
        (vec!["--config".into(), missing.display().to_string()], "missing.conf"),
        (
            vec!["--listen".into(), "0.0.0.0".into(), "--tracker".into(), "127.0.0.1:1".into()],
            "specific IPv4",
        ),
        (vec!["--listen".into(), "127.0.0.2:0".into(), "--data".into(), data.clone()], "trackers"),
        (
            vec![
                "--listen".into(),
                "127.0.0.2:0".into(),
                "--tracker".into(),
                "127.0.0.1:1".into(),
                "--reserved-storage-space".into(),
                "lots".into(),
            ],
            "reserved_storage_space",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["storage"];
        all.extend(args.iter().map(String::as_str));
        let out = fdfs(&all);
        assert!(!out.status.success(), "{all:?} started");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{all:?}: {err}");
    }
}
