//! Connection abuse against the real `fdfs server` binary (issue 10.1):
//! three helper processes, each from its own source address, hold 7,000
//! idle connections to the S3 port (half of them with half a request head
//! sent). While they do, native uploads through the embedded tracker work;
//! the server closes at least 90% of the flood within 90 s; and S3 answers
//! afterwards. A second test holds 1,100 idle connections to the tracker
//! and checks that `fdfs monitor` still answers.
//!
//! The S3 timeouts are 2 s here so the test is quick; set
//! FDFS_FLOOD_DEFAULTS=1 to run it with the shipped defaults and read the
//! figures it prints.

mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;

use support::process::{FdfsProcess, TempDir, free_addr};
use support::s3::{client, printed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const TARGET: &str = "FDFS_FLOOD_TARGET";
const SOURCE: &str = "FDFS_FLOOD_SOURCE";
const COUNT: &str = "FDFS_FLOOD_COUNT";
const WAIT: &str = "FDFS_FLOOD_WAIT_SECS";

/// Opens `count` connections from `source` to `target`, half of them with
/// half an HTTP request head; returns the streams that connected.
async fn open_flood(target: SocketAddr, source: std::net::IpAddr, count: usize) -> Vec<TcpStream> {
    let mut opened = Vec::with_capacity(count);
    let mut pending = tokio::task::JoinSet::new();
    for i in 0..count {
        // At most 500 handshakes in flight: the server's backlog is finite.
        while pending.len() >= 500 {
            if let Some(Ok(Some(s))) = pending.join_next().await {
                opened.push(s);
            }
        }
        pending.spawn(async move {
            let socket = TcpSocket::new_v4().ok()?;
            socket.bind(SocketAddr::new(source, 0)).ok()?;
            let connect = socket.connect(target);
            let mut stream =
                tokio::time::timeout(Duration::from_secs(10), connect).await.ok()?.ok()?;
            if i % 2 == 0 {
                let _ = stream.write_all(b"GET /bucket/key HTTP/1.1\r\nHost: flood\r\nX-A: ").await;
            }
            Some(stream)
        });
    }
    while let Some(joined) = pending.join_next().await {
        if let Ok(Some(s)) = joined {
            opened.push(s);
        }
    }
    opened
}

/// Not a test of its own: the body of a flood helper process, run when
/// the flood test starts this test binary with FDFS_FLOOD_TARGET set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_helper() {
    let Ok(target) = std::env::var(TARGET) else { return };
    let target: SocketAddr = target.parse().unwrap();
    let source = std::env::var(SOURCE).unwrap().parse().unwrap();
    let count: usize = std::env::var(COUNT).unwrap().parse().unwrap();
    let wait = Duration::from_secs(std::env::var(WAIT).unwrap().parse().unwrap());
    fdfs_protocol::fd_budget::raise_nofile_limit();
    let started = Instant::now();
    let streams = open_flood(target, source, count).await;
    let opened = streams.len();
    println!("FLOOD opened {opened} in {:.1}s", started.elapsed().as_secs_f64());
    // Each connection waits for the server to close it.
    let mut closing = tokio::task::JoinSet::new();
    for mut s in streams {
        closing.spawn(async move {
            let mut buf = [0u8; 512];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        });
    }
    let deadline = tokio::time::Instant::now() + wait;
    let mut closed = 0;
    let mut last = Duration::ZERO;
    while closed < opened {
        match tokio::time::timeout_at(deadline, closing.join_next()).await {
            Ok(Some(_)) => {
                closed += 1;
                last = started.elapsed();
            }
            _ => break,
        }
    }
    println!("FLOOD closed {closed} of {opened}; last at {:.1}s", last.as_secs_f64());
}

/// Starts a flood helper process.
fn helper(target: SocketAddr, source: &str, count: usize, wait: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["flood_helper", "--exact", "--nocapture", "--test-threads", "1"])
        .env(TARGET, target.to_string())
        .env(SOURCE, source)
        .env(COUNT, count.to_string())
        .env(WAIT, wait.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn flood helper")
}

/// The helper's `FLOOD ...` lines, as they come.
fn flood_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let out = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        // libtest may print `test flood_helper ... ` before a line.
        for line in out.lines().map_while(Result::ok) {
            let Some(at) = line.find("FLOOD ") else { continue };
            if tx.send(line[at..].to_string()).is_err() {
                return;
            }
        }
    });
    rx
}

/// The number after `word` in `line`.
fn number_after(line: &str, word: &str) -> usize {
    let mut words = line.split_whitespace();
    words.find(|w| *w == word);
    words.next().unwrap().parse().unwrap()
}

/// `fdfs upload` of a small file through `tracker`; the file ID.
fn native_upload(tracker: SocketAddr, dir: &std::path::Path) -> Result<String, String> {
    let file = dir.join("native.txt");
    std::fs::write(&file, b"uploaded during the flood").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fdfs"))
        .args(["upload", "--tracker", &tracker.to_string(), file.to_str().unwrap()])
        .output()
        .unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `fdfs server` on 127.0.0.7x with `extra` flags: the process, its S3,
/// tracker addresses and a maker of S3 clients with the printed key (each
/// client has its own connection pool).
async fn server(
    dir: &TempDir,
    extra: &[&str],
) -> (FdfsProcess, SocketAddr, SocketAddr, impl Fn() -> Client) {
    let (s3, tracker, storage) = (free_addr(71), free_addr(72), free_addr(73));
    let mut args: Vec<String> = vec![
        "server".into(),
        "--data".into(),
        dir.path().join("data").to_str().unwrap().into(),
        "--listen".into(),
        s3.to_string(),
        "--tracker-listen".into(),
        tracker.to_string(),
        "--storage-listen".into(),
        storage.to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let proc = FdfsProcess::spawn(&args, s3, dir.path().join("server.log"));
    let text = proc.log_text();
    let (id, secret) = (
        printed(&text, "access key id").expect("printed"),
        printed(&text, "secret access key").expect("printed"),
    );
    let s3c = move || client(s3, &id, &secret);
    // The storage joins right after start: wait until a native upload works.
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Err(e) = native_upload(tracker, dir.path()) {
        assert!(Instant::now() < deadline, "uploads never worked: {e}\n{}", proc.log_text());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    s3c().create_bucket().bucket("flood").send().await.expect("create bucket");
    (proc, s3, tracker, s3c)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_flood_is_shed_and_never_starves_the_tracker() {
    let defaults = std::env::var("FDFS_FLOOD_DEFAULTS").is_ok();
    let dir = TempDir::new("flood");
    let quick = ["--s3-header-timeout", "2", "--s3-idle-timeout", "2"];
    let (mut proc, s3, tracker, s3c) = server(&dir, if defaults { &[] } else { &quick }).await;
    let wait = 90;

    let started = Instant::now();
    let mut helpers: Vec<Child> = ["127.0.0.101", "127.0.0.102", "127.0.0.103"]
        .iter()
        .map(|source| helper(s3, source, 7_000, wait))
        .collect();
    let lines: Vec<_> = helpers.iter_mut().map(flood_lines).collect();
    let mut opened = 0;
    for rx in &lines {
        let line = rx.recv_timeout(Duration::from_secs(120)).expect("helper opened nothing");
        eprintln!("{line}");
        opened += number_after(&line, "opened");
    }
    eprintln!("flood of {opened} connections open after {:?}", started.elapsed());
    assert!(opened >= 20_000, "only {opened} flood connections opened");

    // The tracker of the same process still works while the flood is held.
    let id = native_upload(tracker, dir.path()).expect("native upload during the flood");
    assert!(id.starts_with("group1/"), "{id}");

    // S3 answers again once the server has shed the flood.
    let mut s3_back = None;
    while started.elapsed() < Duration::from_secs(wait + 30) {
        // A new client: a connection pooled before the flood would not
        // show whether new connections are served.
        let attempt = tokio::time::timeout(Duration::from_secs(5), s3c().list_buckets().send());
        if let Ok(Ok(_)) = attempt.await {
            s3_back = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let s3_back = s3_back.expect("S3 never answered after the flood");

    let mut closed = 0;
    for (rx, mut child) in lines.iter().zip(helpers) {
        let line = rx.recv_timeout(Duration::from_secs(wait + 60)).expect("helper report");
        eprintln!("{line}");
        closed += number_after(&line, "closed");
        let _ = child.wait();
    }
    eprintln!(
        "figures: {opened} held, {closed} closed by the server within {wait} s, \
         S3 answered {:.1} s after the flood began",
        s3_back.as_secs_f64()
    );
    assert!(closed * 10 >= opened * 9, "only {closed} of {opened} closed");
    assert!(s3_back < Duration::from_secs(wait), "S3 back only after {s3_back:?}");
    let key = s3c().put_object().bucket("flood").key("after").send().await;
    key.expect("S3 PUT after the flood");
    assert!(proc.terminate(Duration::from_secs(15)), "no clean exit:\n{}", proc.log_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fdfs_monitor_answers_while_1100_idle_connections_hold_the_tracker() {
    fdfs_protocol::fd_budget::raise_nofile_limit();
    let dir = TempDir::new("tracker-flood");
    // The tracker's default cap (1024) is below the flood.
    let (mut proc, _, tracker, _) = server(&dir, &[]).await;
    let source = "127.0.0.104".parse().unwrap();
    let idle = open_flood(tracker, source, 1_100).await;
    assert_eq!(idle.len(), 1_100);
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_fdfs"))
        .args(["monitor", "--tracker", &tracker.to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("group1"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5), "monitor took {:?}", started.elapsed());
    native_upload(tracker, dir.path()).expect("upload beside the idle connections");
    drop(idle);
    assert!(proc.terminate(Duration::from_secs(15)), "no clean exit:\n{}", proc.log_text());
}
