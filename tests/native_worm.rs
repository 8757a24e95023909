//! WORM down to the disk, with real processes and real clients: a storage
//! refuses a FastDFS client's delete, truncate, append, modify, rename and
//! tag-weakening of a file whose `s3-lock-*` / `s3-legal-hold` tags lock it
//! (status 1, EPERM, empty body, a WARN naming file and peer), lets the
//! retention be extended, frees the file once it expires, leaves untagged
//! files alone, and lets its `lock_admin_hosts` do everything. In
//! `fdfs server`, the embedded gateway is that admin and a native client
//! from another loopback address is not. In a group of two, the hold
//! replicates and the admin's delete reaches the peer through sync.
//!
//! Clients of the `fastdfs` crate connect from 127.0.0.1 (the kernel's
//! pick for 127.0.0.0/8); the raw requests here bind 127.0.0.77 (a
//! stranger) or 127.0.0.83 (the admin) as their source address.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_s3::primitives::ByteStream;
use fastdfs::FastDFSError;
use fastdfs::types::{Metadata, MetadataFlag};
use fdfs_protocol::connection::Connection;
use fdfs_protocol::message::Request;
use fdfs_protocol::metadata::MetaOp;
use fdfs_protocol::storage::{DeleteFile, GetMetadata, QueryFileInfo, SetMetadata};
use support::process::{
    FdfsProcess, TempDir, common_free_port, free_addr, loopback, storage, tracker,
};
use support::s3::{client, printed};

const STRANGER: u8 = 77;
const ADMIN: u8 = 83;

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

fn tags(pairs: &[(&str, String)]) -> Metadata {
    pairs.iter().map(|(n, v)| (n.to_string(), v.clone())).collect()
}

/// Asserts a `fastdfs` crate call was refused with status 1 (EPERM).
fn assert_eperm<T: std::fmt::Debug>(what: &str, result: fastdfs::Result<T>) {
    match result {
        Err(FastDFSError::Protocol { code: 1, .. }) => {}
        other => panic!("{what}: expected status 1 (EPERM), got {other:?}"),
    }
}

/// Sends `req` to `storage` from `127.0.0.<source>`; the answer's status
/// and body length.
async fn raw<R: Request>(source: u8, storage: SocketAddr, req: &R) -> (u8, u64) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(loopback(source), 0)).unwrap();
    let stream = socket.connect(storage).await.unwrap();
    let mut conn = Connection::new(stream, Duration::from_secs(10)).unwrap();
    assert_eq!(conn.local_addr().unwrap().ip(), loopback(source));
    conn.send(req).await.unwrap();
    let header = conn.read_header().await.unwrap();
    (header.status, header.pkg_len)
}

fn delete_req(group: &str, filename: &str) -> DeleteFile {
    DeleteFile { group: group.into(), filename: filename.into() }
}

fn merge_req(group: &str, filename: &str, pairs: &[(&str, &str)]) -> SetMetadata {
    SetMetadata {
        op: MetaOp::Merge,
        group: group.into(),
        filename: filename.into(),
        metadata: pairs.iter().map(|&(n, v)| (n, v)).collect(),
    }
}

/// The status QUERY_FILE_INFO answers a stranger (0: the file exists).
async fn info_status(storage: SocketAddr, group: &str, filename: &str) -> u8 {
    let req = QueryFileInfo { flags: 0, group: group.into(), filename: filename.into() };
    raw(STRANGER, storage, &req).await.0
}

/// Delete records (`D`, this storage's own) of `filename` in the binlog
/// under `base`.
fn logged_deletes(base: &Path, filename: &str) -> usize {
    let text = std::fs::read_to_string(base.join("data/sync/binlog.000")).unwrap_or_default();
    text.lines()
        .filter(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            fields.len() >= 3 && fields[1] == "D" && fields[2] == filename
        })
        .count()
}

async fn upload_when_joined(
    native: &fastdfs::FdfsClient,
    data: &[u8],
    appender: bool,
) -> fastdfs::FileId {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match native.upload_file_buf(data, "bin", None, appender).await {
            Ok(id) => return id,
            Err(e) if Instant::now() < deadline => {
                eprintln!("upload not yet placed: {e:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("upload failed: {e:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_clients_cannot_erase_what_s3_promised_to_keep() {
    let dir = TempDir::new("native-worm");
    let tracker_addr = free_addr(81);
    let _tracker = tracker(tracker_addr, &dir.path().join("tracker"), &[]);
    let storage_addr = free_addr(82);
    let base = dir.path().join("storage");
    let admin = loopback(ADMIN).to_string();
    let extra = ["--heart-beat-interval", "1", "--lock-admin-host", &admin];
    let store = storage(storage_addr, "group1", &[tracker_addr], &base, &extra);
    let native = fastdfs::ClientOptions::new(vec![tracker_addr.to_string()]).build().unwrap();

    // A retained file: governance, a few seconds ahead.
    let body = b"what S3 promised to keep".to_vec();
    let kept = upload_when_joined(&native, &body, false).await;
    let until = now_ms() + 4_000;
    let retained = tags(&[
        ("s3-bucket", "vault".into()),
        ("s3-lock-mode", "GOVERNANCE".into()),
        ("s3-lock-until", until.to_string()),
    ]);
    native.set_metadata(&kept, &retained, MetadataFlag::Overwrite).await.unwrap();
    assert_eperm("delete", native.delete_file(&kept).await);
    let (group, name) = (kept.group_name.as_str(), kept.remote_filename.as_str());
    assert_eq!(raw(STRANGER, storage_addr, &delete_req(group, name)).await, (1, 0));
    let untagged = tags(&[("s3-bucket", "vault".into())]);
    assert_eperm(
        "drop the tags",
        native.set_metadata(&kept, &untagged, MetadataFlag::Overwrite).await,
    );
    let earlier = tags(&[("s3-lock-until", (until - 1_000).to_string())]);
    assert_eperm("shorten", native.set_metadata(&kept, &earlier, MetadataFlag::Merge).await);
    // Governance may become compliance, never the other way.
    let stronger = tags(&[("s3-lock-mode", "COMPLIANCE".into())]);
    native.set_metadata(&kept, &stronger, MetadataFlag::Merge).await.unwrap();
    let weaker = tags(&[("s3-lock-mode", "GOVERNANCE".into())]);
    assert_eperm("weaken", native.set_metadata(&kept, &weaker, MetadataFlag::Merge).await);
    // Extending is keeping the promise.
    let until = until + 2_000;
    let later = tags(&[("s3-lock-until", until.to_string())]);
    native.set_metadata(&kept, &later, MetadataFlag::Merge).await.unwrap();
    assert_eq!(native.download_file_buf(&kept, 0, 0).await.unwrap().as_ref(), &body[..]);
    assert_eq!(native.get_metadata(&kept).await.unwrap()["s3-lock-until"], until.to_string());

    // A file without the tags deletes as it always did.
    let plain = upload_when_joined(&native, b"nothing promised", false).await;
    native.delete_file(&plain).await.unwrap();
    assert!(!native.file_exists(&plain).await.unwrap());

    // An appender under a legal hold: no byte changes, the hold stays.
    let log = upload_when_joined(&native, b"0123456789", true).await;
    let hold = tags(&[("s3-legal-hold", "ON".into())]);
    native.set_metadata(&log, &hold, MetadataFlag::Merge).await.unwrap();
    assert_eperm("append", native.append_file_buf(&log, b"more").await);
    assert_eperm("modify", native.modify_file_buf(&log, 0, b"XY").await);
    assert_eperm("truncate", native.truncate_file(&log, 2).await);
    assert_eperm("regenerate", native.regenerate_appender_filename(&log).await);
    let off = tags(&[("s3-legal-hold", "OFF".into())]);
    assert_eperm("lift the hold", native.set_metadata(&log, &off, MetadataFlag::Merge).await);
    assert_eperm("delete held", native.delete_file(&log).await);
    assert_eq!(native.download_file_buf(&log, 0, 0).await.unwrap().as_ref(), b"0123456789");
    let (log_group, log_name) = (log.group_name.as_str(), log.remote_filename.as_str());

    // The admin lifts the hold and deletes; a compliance file too.
    let lift = merge_req(log_group, log_name, &[("s3-legal-hold", "OFF")]);
    assert_eq!(raw(STRANGER, storage_addr, &lift).await.0, 1);
    assert_eq!(raw(ADMIN, storage_addr, &lift).await, (0, 0));
    let hold_again = merge_req(log_group, log_name, &[("s3-legal-hold", "ON")]);
    assert_eq!(raw(STRANGER, storage_addr, &hold_again).await, (0, 0), "anyone may add a hold");
    assert_eq!(raw(ADMIN, storage_addr, &delete_req(log_group, log_name)).await, (0, 0));
    assert!(!native.file_exists(&log).await.unwrap());
    let sealed = upload_when_joined(&native, b"compliance", false).await;
    let forever = tags(&[
        ("s3-lock-mode", "COMPLIANCE".into()),
        ("s3-lock-until", (now_ms() + 86_400_000).to_string()),
    ]);
    native.set_metadata(&sealed, &forever, MetadataFlag::Overwrite).await.unwrap();
    assert_eperm("delete compliance", native.delete_file(&sealed).await);
    let sealed_req = delete_req(&sealed.group_name, &sealed.remote_filename);
    assert_eq!(raw(ADMIN, storage_addr, &sealed_req).await, (0, 0));

    // Expiry frees the retained file for everyone.
    while now_ms() <= until {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    native.delete_file(&kept).await.unwrap();
    assert!(!native.file_exists(&kept).await.unwrap());

    // Refusals never reached the binlog; the one delete that happened did.
    assert_eq!(logged_deletes(&base, name), 1, "refused deletes are not logged");
    assert_eq!(logged_deletes(&base, log_name), 1);
    let text = store.log_text();
    assert!(refusal_logged(&text, name, "127.0.0.77:"), "{text}");
    assert!(refusal_logged(&text, log_name, "127.0.0.1:"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fdfs_server_lets_its_gateway_delete_and_no_other_native_client() {
    let dir = TempDir::new("server-worm");
    let data = dir.path().join("data");
    let (s3, tracker_addr, storage_addr) = (free_addr(85), free_addr(86), free_addr(87));
    let args: Vec<String> = ["server", "--data", data.to_str().unwrap()]
        .into_iter()
        .map(String::from)
        .chain(["--listen".into(), s3.to_string()])
        .chain(["--tracker-listen".into(), tracker_addr.to_string()])
        .chain(["--storage-listen".into(), storage_addr.to_string()])
        .chain(["--reserved-storage-space".into(), "1M".into()])
        .collect();
    let proc = FdfsProcess::spawn(&args, s3, dir.path().join("server.log"));
    let text = proc.log_text();
    let id = printed(&text, "access key id").expect("key id printed");
    let secret = printed(&text, "secret access key").expect("secret printed");
    let s3c = client(s3, &id, &secret);
    s3c.create_bucket().bucket("vault").send().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let put = s3c.put_object().bucket("vault").key("doc").body(ByteStream::from_static(b"x"));
        match put.send().await {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline => {
                eprintln!("put not yet accepted: {e:?}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("put failed: {e:?}\n{}", proc.log_text()),
        }
    }
    // The object's file: the only one the storage holds.
    let filename = stored_files(&data.join("storage/data"))
        .into_iter()
        .find(|n| !n.ends_with("-m"))
        .expect("the object's file on the storage");

    // A hold (anyone may add one); then a stranger's delete is refused.
    let hold = merge_req("group1", &filename, &[("s3-legal-hold", "ON")]);
    assert_eq!(raw(STRANGER, storage_addr, &hold).await, (0, 0));
    assert_eq!(raw(STRANGER, storage_addr, &delete_req("group1", &filename)).await, (1, 0));
    assert_eq!(info_status(storage_addr, "group1", &filename).await, 0);

    // The gateway's own delete (its queue drains from the admin address).
    s3c.delete_object().bucket("vault").key("doc").send().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while info_status(storage_addr, "group1", &filename).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the gateway's delete was refused:\n{}",
            proc.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(info_status(storage_addr, "group1", &filename).await, 2);
    let text = proc.log_text();
    assert!(refusal_logged(&text, &filename, "127.0.0.77:"), "{text}");
    assert!(!refusal_logged(&text, &filename, "127.0.0.1:"), "{text}");
}

/// Whether `log` has the WARN line of a refusal of `file` to `peer`.
fn refusal_logged(log: &str, file: &str, peer: &str) -> bool {
    log.lines().any(|l| {
        l.contains("WARN") && l.contains("legal hold") && l.contains(file) && l.contains(peer)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_peer_applies_the_admins_delete_of_a_held_file() {
    let dir = TempDir::new("worm-group");
    let tracker_addr = free_addr(90);
    let _tracker = tracker(tracker_addr, &dir.path().join("tracker"), &[]);
    let port = common_free_port(&[loopback(91), loopback(92)]);
    let (a, b) = (SocketAddr::new(loopback(91), port), SocketAddr::new(loopback(92), port));
    let admin = loopback(ADMIN).to_string();
    let extra = ["--heart-beat-interval", "1", "--lock-admin-host", &admin];
    let _a = storage(a, "group1", &[tracker_addr], &dir.path().join("a"), &extra);
    let _b = storage(b, "group1", &[tracker_addr], &dir.path().join("b"), &extra);
    let native = fastdfs::ClientOptions::new(vec![tracker_addr.to_string()]).build().unwrap();
    let held = upload_when_joined(&native, b"held on both", false).await;
    let hold = tags(&[("s3-legal-hold", "ON".into())]);
    native.set_metadata(&held, &hold, MetadataFlag::Merge).await.unwrap();
    let (group, name) = (held.group_name.as_str(), held.remote_filename.as_str());

    // The file and its hold reach both storages; both refuse a stranger.
    for storage in [a, b] {
        let deadline = Instant::now() + Duration::from_secs(30);
        let tags_req = GetMetadata { group: group.into(), filename: name.into() };
        while raw(STRANGER, storage, &tags_req).await.0 != 0 {
            assert!(Instant::now() < deadline, "hold not on {storage}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(raw(STRANGER, storage, &delete_req(group, name)).await, (1, 0));
    }
    // The admin's delete on one is replicated to the other: a group peer's
    // sync is applied as sent.
    assert_eq!(raw(ADMIN, a, &delete_req(group, name)).await, (0, 0));
    let deadline = Instant::now() + Duration::from_secs(30);
    while info_status(b, group, name).await != 2 {
        assert!(Instant::now() < deadline, "the delete did not reach {b}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Logic filenames (`M00/HH/LL/name`) under a store path's `data/`.
fn stored_files(data: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for high in std::fs::read_dir(data).unwrap().flatten() {
        let high_name = high.file_name().to_string_lossy().into_owned();
        let fan_out = high_name.len() == 2 && high_name.bytes().all(|b| b.is_ascii_hexdigit());
        if !fan_out || !high.path().is_dir() {
            continue;
        }
        for low in std::fs::read_dir(high.path()).unwrap().flatten() {
            for file in std::fs::read_dir(low.path()).unwrap().flatten() {
                let low_name = low.file_name().to_string_lossy().into_owned();
                let name = file.file_name().to_string_lossy().into_owned();
                out.push(format!("M00/{high_name}/{low_name}/{name}"));
            }
        }
    }
    out
}
