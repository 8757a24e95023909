//! `fdfs tracker` and `fdfs monitor` as an operator runs them: the real
//! binary on 127.0.0.x, a storage driven with raw protocol messages,
//! SIGTERM, restart on the same data, and both config file formats.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fdfs_protocol::connection::Connection;
use fdfs_protocol::tracker::{
    Beat, DiskUsage, Join, PathUsage, ServerAddr, StorageStatBuff, StorageStatus,
};
use tokio::net::TcpSocket;

fn fdfs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fdfs"))
        .args(args)
        .env("FDFS_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run fdfs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let path = std::env::temp_dir()
            .join(format!("fdfs-tracker-cli-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `fdfs tracker`, killed on drop.
struct Tracker {
    child: Option<Child>,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Tracker {
    /// Starts `fdfs tracker ARGS` and waits for its `listening on ADDR`.
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fdfs"))
            .arg("tracker")
            .args(args)
            .env("FDFS_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fdfs tracker");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => addr.parse().expect("listening address"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("tracker did not start:\n{}", log.lock().unwrap());
            }
        };
        Self { child: Some(child), addr, log }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log contains `text`.
    fn wait_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log().contains(text) {
            assert!(Instant::now() < deadline, "no {text:?} in:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `fdfs monitor --tracker ADDR EXTRA...`, expected to succeed.
    fn monitor(&self, extra: &[&str]) -> String {
        let addr = self.addr.to_string();
        let mut args = vec!["monitor", "--tracker", &addr];
        args.extend_from_slice(extra);
        let out = fdfs(&args);
        assert!(out.status.success(), "monitor failed: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// SIGTERM; asserts a clean exit (status 0) within `within`.
    fn terminate(mut self, within: Duration) {
        let mut child = self.child.take().unwrap();
        let pid = child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "tracker exited with {status}:\n{}", self.log());
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("tracker still running {within:?} after SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A storage's reporter connection, kept open while the storage should
/// count as alive (the tracker marks a storage OFFLINE when it closes).
struct StorageConn {
    rt: tokio::runtime::Runtime,
    conn: Connection,
}

impl StorageConn {
    /// A storage at `ip` joins `group`, beats with statistics and reports
    /// its disk: it is ACTIVE afterwards. Raw protocol messages on a
    /// connection from `ip`, as a storage's reporter connection sends them.
    fn come_up(tracker: SocketAddr, ip: IpAddr, group: &str) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let conn = rt.block_on(async {
            let socket = TcpSocket::new_v4().unwrap();
            socket.bind(SocketAddr::new(ip, 0)).unwrap();
            let stream = socket.connect(tracker).await.unwrap();
            let mut conn = Connection::new(stream, Duration::from_secs(5)).unwrap();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            // A restarted storage the tracker does not know yet: ACTIVE is
            // adopted as ONLINE, and the first beat makes it ACTIVE.
            let join = Join {
                group: group.into(),
                storage_port: 23000,
                store_path_count: 1,
                subdir_count_per_path: 256,
                upload_priority: 10,
                join_time: now - 3600,
                up_time: now,
                version: "6.16.1".into(),
                init_flag: false,
                status: StorageStatus::Active,
                storage_id: String::new(),
                current_tracker_ip: tracker.ip().to_string(),
                trackers: vec![ServerAddr::new(tracker.ip().to_string(), tracker.port())],
            };
            let reply = conn.call(&join).await.unwrap();
            assert_eq!(reply.my_status, StorageStatus::Online);
            let stat = StorageStatBuff {
                total_upload_count: 12,
                success_upload_count: 11,
                total_download_count: 5,
                success_download_count: 5,
                ..Default::default()
            };
            conn.call(&Beat { stat: Some(stat) }).await.unwrap();
            let paths = vec![PathUsage { total_mb: 100_000, free_mb: 60_000 }];
            conn.call(&DiskUsage { paths }).await.unwrap();
            conn
        });
        Self { rt, conn }
    }

    /// Closes the connection, as a stopping storage does.
    fn close(mut self) {
        self.rt.block_on(self.conn.shutdown());
    }
}

#[test]
fn tracker_serves_monitor_stops_on_sigterm_and_remembers_on_restart() {
    let data = TempDir::new("restart");
    let db = data.path().join("tracker");
    let db = db.to_str().unwrap();
    let tracker = Tracker::start(&["--listen", "127.0.0.41:0", "--data", db]);
    assert_eq!(tracker.addr.ip(), loopback(41));
    tracker.wait_log("tracker started");

    let out = tracker.monitor(&[]);
    assert!(out.contains("group count: 0\n"), "{out}");
    assert!(out.contains(&format!("tracker server is {}\n", tracker.addr)), "{out}");
    assert!(out.contains("server_count=1, server_index=0"), "{out}");
    let build = format!("fdfs version {} (FastDFS protocol 6.16.1)", env!("CARGO_PKG_VERSION"));
    assert!(out.contains(&build), "{out}");

    let storage = StorageConn::come_up(tracker.addr, loopback(42), "group1");
    let out = tracker.monitor(&["list"]);
    for want in [
        "group count: 1\n",
        "Group 1:\ngroup name = group1\n",
        "disk total space = 100,000 MB\n",
        "disk free space = 60,000 MB\n",
        "storage server count = 1\n",
        "storage server port = 23000\n",
        "writable server count = 1\n",
        "\t\tid = 127.0.0.42\n",
        "\t\tip_addr = 127.0.0.42  ACTIVE\n",
        "\t\tversion = 6.16.1\n",
        "\t\ttotal_upload_count = 12\n",
        "\t\tsuccess_upload_count = 11\n",
        "\t\tsuccess_download_count = 5\n",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let one = tracker.monitor(&["list", "group1", "127.0.0.42"]);
    assert!(one.contains("ip_addr = 127.0.0.42  ACTIVE"), "{one}");
    assert!(!one.contains("group count"), "{one}");
    let addr = tracker.addr.to_string();
    let missing = fdfs(&["monitor", "--tracker", &addr, "list", "nosuchgroup"]);
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("nosuchgroup"), "{}", text(&missing.stderr));

    storage.close();
    tracker.terminate(Duration::from_secs(5));

    // Same data directory: the group and storage are remembered, and the
    // storage is OFFLINE until it rejoins.
    let tracker = Tracker::start(&["--listen", "127.0.0.41:0", "--data", db]);
    let out = tracker.monitor(&[]);
    assert!(out.contains("group count: 1\n"), "{out}");
    assert!(out.contains("group name = group1\n"), "{out}");
    assert!(out.contains("ip_addr = 127.0.0.42  OFFLINE\n"), "{out}");

    // An offline storage can be removed by the operator.
    let deleted = tracker.monitor(&["delete", "group1", "127.0.0.42"]);
    assert!(deleted.contains("deleted storage group1::127.0.0.42"), "{deleted}");
    let out = tracker.monitor(&[]);
    assert!(!out.contains("OFFLINE"), "{out}");
    let addr = tracker.addr.to_string();
    let again = fdfs(&["monitor", "--tracker", &addr, "delete", "group1", "1.2.3.4"]);
    assert!(!again.status.success(), "{}", text(&again.stdout));
    tracker.terminate(Duration::from_secs(5));
}

#[test]
fn monitor_reports_an_unreachable_tracker() {
    let port = std::net::TcpListener::bind("127.0.0.43:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.43:{port}");
    let out = fdfs(&["monitor", "--tracker", &addr]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("cannot reach any tracker") && err.contains(&addr), "{err}");
}

#[test]
fn starts_from_a_toml_config_and_from_a_fastdfs_tracker_conf() {
    let dir = TempDir::new("configs");
    let toml = dir.path().join("tracker.toml");
    let data = dir.path().join("toml-data");
    std::fs::write(
        &toml,
        format!(
            "listen = \"127.0.0.44:0\"\ndata_dir = {:?}\nallow_hosts = [\"127.0.0.0/8\"]\n\
             [placement]\nstore_lookup = 0\nreserved_storage_space = \"10G\"\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let tracker = Tracker::start(&["--config", toml.to_str().unwrap()]);
    assert_eq!(tracker.addr.ip(), loopback(44));
    assert!(tracker.monitor(&[]).contains("group count: 0"));
    assert!(data.join("tracker.db").exists());
    tracker.terminate(Duration::from_secs(5));

    // A FastDFS tracker.conf: bind_addr + port, base_path/data, and a
    // warning naming the keys fdfs does not use.
    let port = std::net::TcpListener::bind("127.0.0.45:0").unwrap().local_addr().unwrap().port();
    let base = dir.path().join("fastdfs");
    let conf = dir.path().join("tracker.conf");
    std::fs::write(
        &conf,
        format!(
            "# FastDFS tracker\ndisabled = false\nbind_addr = 127.0.0.45\nport = {port}\n\
             base_path = {}\nstore_lookup = 2\nreserved_storage_space = 20%\n\
             allow_hosts = 127.0.0.[1-99]\nwork_threads = 4\nlog_level = info\n",
            base.display()
        ),
    )
    .unwrap();
    let tracker = Tracker::start(&["--config", conf.to_str().unwrap()]);
    assert_eq!(tracker.addr, SocketAddr::new(loopback(45), port));
    assert!(tracker.monitor(&[]).contains("group count: 0"));
    assert!(base.join("data").join("tracker.db").exists());
    let log = tracker.log();
    assert!(log.contains("ignored") && log.contains("disabled, work_threads, log_level"), "{log}");
    tracker.terminate(Duration::from_secs(5));

    // Flags override the file.
    let tracker = Tracker::start(&["--config", conf.to_str().unwrap(), "--listen", "127.0.0.46:0"]);
    assert_eq!(tracker.addr.ip(), loopback(46));
    tracker.terminate(Duration::from_secs(5));
}

#[test]
fn bad_configs_fail_with_a_clear_message() {
    let dir = TempDir::new("bad");
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let toml = dir.path().join("bad.toml");
    std::fs::write(&toml, "[placement]\nstore_lookup = 9\n").unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(&conf, "port = twenty\n").unwrap();
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "listen_addr = \"127.0.0.1:1\"\n").unwrap();
    let missing = dir.path().join("missing.toml");
    let cases: [(Vec<&str>, &str); 6] = [
        (vec!["--config", toml.to_str().unwrap()], "store_lookup = 9"),
        (vec!["--config", conf.to_str().unwrap()], "port"),
        (vec!["--config", typo.to_str().unwrap()], "listen_addr"),
        (vec!["--config", missing.to_str().unwrap()], "cannot read"),
        (vec!["--reserved-storage-space", "150%"], "reserved_storage_space"),
        (vec!["--allow-hosts", "example.com"], "allow_hosts"),
    ];
    for (args, want) in cases {
        let mut all = vec!["tracker", "--listen", "127.0.0.47:0", "--data", data];
        all.extend(args.iter());
        let out = fdfs(&all);
        assert!(!out.status.success(), "{args:?} started");
        let err = text(&out.stderr);
        assert!(err.contains(want), "{args:?}: expected {want:?} in {err}");
    }
}
