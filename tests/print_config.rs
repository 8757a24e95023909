//! `--print-config` of each role: the sample config in deploy/ with a flag
//! on top comes out as TOML that holds the flag's value, and reading that
//! output back as `--config` prints the same document (nothing lost on
//! the way); a FastDFS-style `.conf` comes out as our TOML.

use std::path::Path;
use std::process::Command;

fn print_config(role: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fdfs"))
        .arg(role)
        .args(args)
        .arg("--print-config")
        .output()
        .expect("run fdfs");
    assert!(out.status.success(), "{role} {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn sample(role: &str) -> String {
    format!("{}/deploy/{role}.toml", env!("CARGO_MANIFEST_DIR"))
}

/// `role`'s sample with `flag` applied, printed, then read back.
fn round_trip(role: &str, flag: &[&str], expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config = sample(role);
    let mut args = vec!["--config", config.as_str()];
    args.extend_from_slice(flag);
    let printed = print_config(role, &args);
    assert!(printed.contains(expect), "{role}: {expect:?} missing from\n{printed}");
    let file = dir.path().join(format!("{role}.toml"));
    std::fs::write(&file, &printed).unwrap();
    let again = print_config(role, &["--config", file.to_str().unwrap()]);
    assert_eq!(again, printed, "{role}: the printed settings do not read back the same");
}

#[test]
fn each_role_prints_its_effective_settings() {
    round_trip("tracker", &["--listen", "127.0.0.9:22999"], "listen = \"127.0.0.9:22999\"");
    round_trip("storage", &["--group", "group7"], "group = \"group7\"");
    round_trip("gateway", &["--listen", "127.0.0.9:9999"], "listen = \"127.0.0.9:9999\"");
    // A bare address listens on FastDFS's port, as `fdfs storage` does.
    let bare = print_config("tracker", &["--listen", "127.0.0.9"]);
    assert!(bare.contains("listen = \"127.0.0.9:22122\""), "{bare}");
    // Without a file: the defaults.
    let defaults = print_config("gateway", &[]);
    assert!(defaults.contains("listen = \"127.0.0.1:9000\""), "{defaults}");
}

#[test]
fn a_fastdfs_conf_prints_as_toml() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("storage.conf");
    std::fs::write(
        &conf,
        "group_name = group3\nbind_addr = 127.0.0.5\nport = 23100\nbase_path = /var/fdfs\n\
         tracker_server = 127.0.0.1:22122\n",
    )
    .unwrap();
    let printed = print_config("storage", &["--config", conf.to_str().unwrap()]);
    for want in ["group = \"group3\"", "listen = \"127.0.0.5:23100\"", "base_path = \"/var/fdfs\""]
    {
        assert!(printed.contains(want), "{want:?} missing from\n{printed}");
    }
    let toml = dir.path().join("storage.toml");
    std::fs::write(&toml, &printed).unwrap();
    assert_eq!(print_config("storage", &["--config", toml.to_str().unwrap()]), printed);
    assert!(Path::new(&sample("storage")).exists());
}
