//! The `fdfs` binary as a user runs it.

use std::process::Command;

fn fdfs(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fdfs")).args(args).output().expect("run fdfs")
}

#[test]
fn help_lists_every_subcommand() {
    let out = fdfs(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in [
        "server", "tracker", "storage", "gateway", "monitor", "upload", "download", "delete",
        "append", "info", "bench",
    ] {
        assert!(text.contains(&format!("  {sub} ")), "--help lacks {sub}:\n{text}");
    }
}

#[test]
fn info_decodes_a_real_file_id() {
    let out = fdfs(&["info", "group1/M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("source ip address: 127.0.0.2"), "{text}");
    assert!(text.contains("file size: 22"), "{text}");
    let out = fdfs(&["info", "group1/M00/00/00/nonsense"]);
    assert!(!out.status.success());
}

#[test]
fn client_tools_report_an_unreachable_tracker() {
    // A port nobody listens on: bind, take the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let tracker = format!("127.0.0.1:{port}");
    let out = fdfs(&[
        "delete",
        "--tracker",
        &tracker,
        "group1/M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("tracker"), "{err}");
}
