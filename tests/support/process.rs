//! Real `fdfs` processes on 127.0.0.x with free ports and temp dirs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback address `127.0.0.<last>`.
pub fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A port free on `ip` right now (bound and released).
pub fn free_port(ip: IpAddr) -> u16 {
    TcpListener::bind((ip, 0)).expect("bind a free port").local_addr().unwrap().port()
}

/// A port free on every one of `ips` right now: the storages of a group
/// share one port (the tracker refuses a member on another port).
pub fn common_free_port(ips: &[IpAddr]) -> u16 {
    for _ in 0..100 {
        let port = free_port(ips[0]);
        if ips.iter().all(|&ip| TcpListener::bind((ip, port)).is_ok()) {
            return port;
        }
    }
    panic!("no port free on all of {ips:?}");
}

/// A free address on `127.0.0.<last>`.
pub fn free_addr(last: u8) -> SocketAddr {
    let ip = loopback(last);
    SocketAddr::new(ip, free_port(ip))
}

/// A temporary directory removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "fdfs-test-{tag}-{}-{n}-{}",
            std::process::id(),
            nanos()
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// A running `fdfs` process, killed on drop.
#[derive(Debug)]
pub struct FdfsProcess {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl FdfsProcess {
    /// Spawns `fdfs ARGS` with its log in `log`, then waits until `addr`
    /// accepts connections.
    pub fn spawn(args: &[String], addr: SocketAddr, log: PathBuf) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fdfs"));
        command.args(args);
        Self::spawn_command(command, addr, log)
    }

    /// [`FdfsProcess::spawn`] under `umask` (e.g. `000`): files a process
    /// must keep private have to be so whatever umask it inherits.
    pub fn spawn_with_umask(args: &[String], umask: &str, addr: SocketAddr, log: PathBuf) -> Self {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_fdfs"))
            .args(args);
        Self::spawn_command(command, addr, log)
    }

    fn spawn_command(mut command: Command, addr: SocketAddr, log: PathBuf) -> Self {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).expect("create log directory");
        }
        // Appended to, so a restarted process keeps its predecessor's lines.
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("create log file");
        let child = command
            .env("FDFS_LOG", "info,fdfs_tracker=debug")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("spawn fdfs");
        let mut process = Self { child: Some(child), addr, log };
        process.wait_ready(Duration::from_secs(20));
        process
    }

    fn wait_ready(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("fdfs exited with {status} before listening:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("fdfs not listening on {} after {within:?}:\n{}", self.addr, self.log_text());
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The process's output so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then wait for a clean exit; returns whether it exited 0
    /// within `within`.
    pub fn terminate(&mut self, within: Duration) -> bool {
        let Some(mut child) = self.child.take() else { return false };
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// SIGKILL: the process gets no chance to clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for FdfsProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `fdfs tracker` on `addr` with data in `data`, plus extra flags.
pub fn tracker(addr: SocketAddr, data: &Path, extra: &[&str]) -> FdfsProcess {
    let mut args = vec![
        "tracker".to_string(),
        "--listen".to_string(),
        addr.to_string(),
        "--data".to_string(),
        data.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    with_small_reserve(&mut args, extra);
    let log = data.join(format!("tracker-{}.log", addr.port()));
    FdfsProcess::spawn(&args, addr, log)
}

/// Tests must not depend on how full the machine's disk is: unless a test
/// sets its own, the reserve is a token 1 MB instead of the default share of
/// the disk (20% on a tracker, 10% on a storage), which a busy shared disk
/// may already be below.
fn with_small_reserve(args: &mut Vec<String>, extra: &[&str]) {
    if !extra.contains(&"--reserved-storage-space") {
        args.extend(["--reserved-storage-space".to_string(), "1M".to_string()]);
    }
}

/// `fdfs storage` serving `addr` in `group`, reporting to `trackers`, with
/// its base path `data`, plus extra flags (e.g. `--http ADDR`). Its log is
/// `data/../storage-<port>.log`, so it survives a wiped data directory.
pub fn storage(
    addr: SocketAddr,
    group: &str,
    trackers: &[SocketAddr],
    data: &Path,
    extra: &[&str],
) -> FdfsProcess {
    let mut args = vec![
        "storage".to_string(),
        "--listen".to_string(),
        addr.to_string(),
        "--group".to_string(),
        group.to_string(),
        "--data".to_string(),
        data.display().to_string(),
    ];
    for tracker in trackers {
        args.push("--tracker".to_string());
        args.push(tracker.to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    with_small_reserve(&mut args, extra);
    let dir = data.parent().unwrap_or(data);
    let log = dir.join(format!("storage-{}.log", addr.port()));
    FdfsProcess::spawn(&args, addr, log)
}
