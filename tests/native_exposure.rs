//! Issue 10.11: the native ports have no authentication, so `fdfs
//! tracker` warns at start when it listens beyond loopback with
//! `allow_hosts` open to everyone — and stays quiet when allow_hosts is
//! set or the port is loopback only. (No traffic leaves 127.0.0.0/8: the
//! wildcard listener is only ever connected to on 127.0.0.1.)

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use support::process::{FdfsProcess, TempDir, free_addr};

const WARNING: &str = "has no authentication";

/// Starts a tracker listening on `listen` (reached on `reach`) with
/// `extra` flags; its log once it accepts connections.
fn tracker_log(
    dir: &TempDir,
    name: &str,
    listen: SocketAddr,
    reach: SocketAddr,
    extra: &[&str],
) -> String {
    let data = dir.path().join(name);
    let mut args: Vec<String> = ["tracker", "--listen", &listen.to_string(), "--data"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(data.to_str().unwrap().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut proc = FdfsProcess::spawn(&args, reach, dir.path().join(format!("{name}.log")));
    let log = proc.log_text();
    assert!(proc.terminate(Duration::from_secs(10)), "no clean exit:\n{log}");
    log
}

#[test]
fn a_tracker_open_to_everyone_beyond_loopback_warns_at_start() {
    let dir = TempDir::new("exposure");
    let port = std::net::TcpListener::bind("0.0.0.0:0").unwrap().local_addr().unwrap().port();
    let wildcard = SocketAddr::from(([0, 0, 0, 0], port));
    let reach = SocketAddr::from(([127, 0, 0, 1], port));

    let log = tracker_log(&dir, "open", wildcard, reach, &[]);
    assert!(log.contains(WARNING) && log.contains("WARN"), "{log}");
    assert!(log.contains("allow_hosts"), "{log}");

    let log = tracker_log(&dir, "star", wildcard, reach, &["--allow-hosts", "*"]);
    assert!(log.contains(WARNING), "{log}");

    let log = tracker_log(&dir, "guarded", wildcard, reach, &["--allow-hosts", "127.0.0.1"]);
    assert!(!log.contains(WARNING), "{log}");

    let local = free_addr(81);
    let log = tracker_log(&dir, "local", local, local, &[]);
    assert!(!log.contains(WARNING), "{log}");
}
