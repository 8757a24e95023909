//! The async client against exchanges captured from a real FastDFS 6.16.1
//! cluster (`tests/fixtures/fastdfs`, see its README).
//!
//! Each test drives the real [`TrackerClient`] or [`StorageClient`] over real
//! sockets with the arguments the C tool used, against a replay server that
//! checks every request byte against the capture and answers with the
//! captured response. So a passing test shows the client sends exactly what
//! the C client sent and decodes what FastDFS answered to the annotated
//! values. Further tests cover connection reuse, tracker failover and the
//! transparent retry of a pooled connection the server closed.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fdfs_protocol::Status;
use fdfs_protocol::client::{
    Content, Pool, PoolConfig, StorageClient, TrackerClient, storage_socket_addr,
};
use fdfs_protocol::cmd;
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::metadata::{MetaOp, Metadata};
use fdfs_protocol::storage::{FileIdResponse, FileInfo};
use fdfs_protocol::tracker::{
    FetchTarget, FetchTargets, ServerAddr, StorageStatus, StoreTarget, StoreTargets,
};
use support::Exchange;
use support::replay::{ReplayServer, Script, crc_ranges, replay_bytes};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// `fdfs_test upload`'s 300-byte file on s2 and its `_big` slave.
const BIN: &str = "M00/00/00/fwAAA2sH8mCAb-oXAAABLBtDLRM227.bin";
const BIG: &str = "M00/00/00/fwAAA2sH8mCAb-oXAAABLBtDLRM227_big.bin";
/// probe.py's 290-byte text file on s1.
const PROBE_TXT: &str = "M00/00/00/fwAAAmsH8mKAFnOWAAABIhqN0Rk449.txt";

const UPLOAD: &str = "storage-upload.txt";
const DOWNLOAD: &str = "storage-download.txt";
const APPENDER: &str = "storage-appender.txt";
const METADATA: &str = "storage-metadata.txt";
const DELETE: &str = "storage-delete.txt";
const ERRORS: &str = "errors.txt";
const QUERY: &str = "tracker-query.txt";
const MONITOR: &str = "tracker-monitor.txt";

/// The exchanges of `file` on the connection from client port `port` with
/// command `cmd`, in order.
fn find_all(file: &str, port: u16, cmd: u8) -> Vec<Exchange> {
    let from = format!(":{port} -> ");
    support::load(file).into_iter().filter(|e| e.cmd == cmd && e.title.contains(&from)).collect()
}

/// The one exchange of `file` on the connection from client port `port`
/// with command `cmd`.
fn find(file: &str, port: u16, cmd: u8) -> Exchange {
    let mut found = find_all(file, port, cmd);
    assert_eq!(found.len(), 1, "exchanges in {file} from port {port} with cmd {cmd}");
    found.remove(0)
}

/// The exchange with its response removed: the server reads the request
/// and closes the connection.
fn unanswered(mut ex: Exchange) -> Exchange {
    ex.response = None;
    ex
}

/// Asserts the capture's response annotation mentions `needle`, tying an
/// expected value in a test to the fixture text.
fn annotated(ex: &Exchange, needle: &str) {
    let resp = ex.response.as_ref().expect("a response");
    assert!(resp.noted(needle), "{}: no annotation mentions {needle:?}", ex.title);
}

/// The file content the C tool sent (the request's CRC-annotated range,
/// rebuilt where the fixture elided it).
fn sent_content(ex: &Exchange) -> Vec<u8> {
    let ranges = crc_ranges(&ex.request).unwrap();
    assert_eq!(ranges.len(), 1, "{}: one content range", ex.title);
    let (range, _) = &ranges[0];
    assert_eq!(range.end, ex.request.total_len, "{}: content ends the request", ex.title);
    replay_bytes(&ex.request).unwrap()[range.clone()].to_vec()
}

/// The captured response body (rebuilt where elided).
fn response_body(ex: &Exchange) -> Vec<u8> {
    replay_bytes(ex.response.as_ref().expect("a response")).unwrap()[10..].to_vec()
}

fn config() -> PoolConfig {
    PoolConfig {
        connect_timeout: Duration::from_secs(2),
        network_timeout: Duration::from_secs(5),
        ..PoolConfig::default()
    }
}

fn storage_client() -> StorageClient {
    StorageClient::new(Pool::new(config()))
}

fn tracker_client(trackers: Vec<SocketAddr>) -> TrackerClient {
    TrackerClient::new(trackers, Pool::new(config())).unwrap()
}

fn file_id(filename: &str) -> FileIdResponse {
    FileIdResponse { group: "group1".into(), filename: filename.into() }
}

fn addr(ip: &str) -> ServerAddr {
    ServerAddr::new(ip, 23000)
}

/// Metadata as (name, value) pairs, in wire order.
type Pairs = [(&'static str, &'static str)];

fn metadata(pairs: &[(&str, &str)]) -> Metadata {
    let mut m = Metadata::new();
    for (name, value) in pairs {
        m.push(*name, *value);
    }
    m
}

fn assert_status<T: std::fmt::Debug>(result: Result<T, ConnError>, want: Status) {
    match result {
        Err(ConnError::Status(s)) => assert_eq!(s, want),
        other => panic!("expected status {want}, got {other:?}"),
    }
}

/// An address nothing listens on.
async fn dead_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A server that accepts and at once closes every connection, counting them.
async fn closing_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, count)
}

// ------------------------------------------------- the replay server itself

#[tokio::test]
#[should_panic(expected = "request differs at byte 21")]
async fn replay_server_catches_a_wrong_byte() {
    // "txt" sent as "tx": the extension field differs.
    let ex = find(UPLOAD, 44236, cmd::UPLOAD_FILE);
    let content = sent_content(&ex);
    let server = ReplayServer::one(ex).await;
    let mut reader = content.as_slice();
    let len = content.len() as u64;
    let _ = storage_client()
        .upload(server.addr(), 0, "tx", false, Content { len, reader: &mut reader })
        .await;
    server.finish().await;
}

#[tokio::test]
#[should_panic(expected = "has crc32")]
async fn replay_server_checks_elided_content_by_crc() {
    let ex = find(UPLOAD, 53838, cmd::UPLOAD_FILE);
    let mut content = sent_content(&ex);
    content[150] = b'y'; // inside the range the fixture elided
    let server = ReplayServer::one(ex).await;
    let mut reader = content.as_slice();
    let _ = storage_client()
        .upload(server.addr(), 0, "bin", false, Content { len: 300, reader: &mut reader })
        .await;
    server.finish().await;
}

// ---------------------------------------------------------------- tracker

#[tokio::test]
async fn query_store_without_group() {
    let ex = find(QUERY, 47938, cmd::QUERY_STORE_WITHOUT_GROUP_ONE);
    annotated(&ex, "ip_addr[15] = \"127.0.0.2\"");
    let server = ReplayServer::one(ex).await;
    let got = tracker_client(vec![server.addr()]).query_store(None).await;
    server.finish().await;
    let got = got.unwrap();
    let want =
        StoreTarget { group: "group1".into(), storage: addr("127.0.0.2"), store_path_index: 0 };
    assert_eq!(got, want);
    assert_eq!(storage_socket_addr(&got.storage).unwrap(), "127.0.0.2:23000".parse().unwrap());
}

#[tokio::test]
async fn query_store_with_group() {
    let ex = find(QUERY, 41862, cmd::QUERY_STORE_WITH_GROUP_ONE);
    annotated(&ex, "ip_addr[15] = \"127.0.0.3\"");
    let server = ReplayServer::one(ex).await;
    let got = tracker_client(vec![server.addr()]).query_store(Some("group1")).await;
    server.finish().await;
    let want =
        StoreTarget { group: "group1".into(), storage: addr("127.0.0.3"), store_path_index: 0 };
    assert_eq!(got.unwrap(), want);
}

#[tokio::test]
async fn query_store_unknown_group_is_enoent() {
    let server = ReplayServer::one(find(QUERY, 41884, cmd::QUERY_STORE_WITH_GROUP_ONE)).await;
    let got = tracker_client(vec![server.addr()]).query_store(Some("nosuch")).await;
    server.finish().await;
    assert_status(got, Status::ENOENT);
}

#[tokio::test]
async fn query_store_all_with_and_without_group() {
    let without = find(QUERY, 47950, cmd::QUERY_STORE_WITHOUT_GROUP_ALL);
    let with = find(QUERY, 41872, cmd::QUERY_STORE_WITH_GROUP_ALL);
    for ex in [&without, &with] {
        annotated(ex, "server[0].ip_addr[15] = \"127.0.0.2\"");
        annotated(ex, "server[1].ip_addr[15] = \"127.0.0.3\"");
    }
    let want = StoreTargets {
        group: "group1".into(),
        storages: vec![addr("127.0.0.2"), addr("127.0.0.3")],
        store_path_index: 0,
    };

    let server = ReplayServer::one(without).await;
    let got = tracker_client(vec![server.addr()]).query_store_all(None).await;
    server.finish().await;
    assert_eq!(got.unwrap(), want);

    let server = ReplayServer::one(with).await;
    let got = tracker_client(vec![server.addr()]).query_store_all(Some("group1")).await;
    server.finish().await;
    assert_eq!(got.unwrap(), want);
}

#[tokio::test]
async fn query_fetch_one_and_all() {
    let server = ReplayServer::one(find(QUERY, 47964, cmd::QUERY_FETCH_ONE)).await;
    let got = tracker_client(vec![server.addr()]).query_fetch("group1", BIG).await;
    server.finish().await;
    assert_eq!(got.unwrap(), FetchTarget { group: "group1".into(), storage: addr("127.0.0.3") });

    let ex = find(QUERY, 41962, cmd::QUERY_FETCH_ALL);
    annotated(&ex, "server[0].ip_addr[15] = \"127.0.0.2\"");
    let server = ReplayServer::one(ex).await;
    let got = tracker_client(vec![server.addr()]).query_fetch_all("group1", PROBE_TXT).await;
    server.finish().await;
    let want = FetchTargets { group: "group1".into(), storages: vec![addr("127.0.0.2")] };
    assert_eq!(got.unwrap(), want);
}

#[tokio::test]
async fn query_update() {
    let server = ReplayServer::one(find(QUERY, 47982, cmd::QUERY_UPDATE)).await;
    let got = tracker_client(vec![server.addr()]).query_update("group1", BIN).await;
    server.finish().await;
    assert_eq!(got.unwrap(), FetchTarget { group: "group1".into(), storage: addr("127.0.0.3") });
}

#[tokio::test]
async fn list_groups() {
    let ex = find(MONITOR, 44426, cmd::SERVER_LIST_ALL_GROUPS);
    annotated(&ex, "group[0].total_mb = 258019");
    annotated(&ex, "group[1].storage_count = 1");
    let server = ReplayServer::one(ex).await;
    let got = tracker_client(vec![server.addr()]).list_groups().await;
    server.finish().await;
    let groups = got.unwrap();
    assert_eq!(groups.len(), 2);
    let (g1, g2) = (&groups[0], &groups[1]);
    assert_eq!((g1.group_name.as_str(), g2.group_name.as_str()), ("group1", "group2"));
    assert_eq!((g1.total_mb, g1.free_mb, g1.reserved_mb), (258019, 75120, 51603));
    assert_eq!((g1.storage_count, g2.storage_count), (2, 1));
    assert_eq!(
        (g1.storage_port, g1.readable_server_count, g1.writable_server_count),
        (23000, 1, 1)
    );
    assert_eq!((g1.subdir_count_per_path, g1.current_trunk_file_id), (256, -1));

    // Before any storage joined: an empty body is an empty list.
    let server = ReplayServer::one(find(MONITOR, 44422, cmd::SERVER_LIST_ALL_GROUPS)).await;
    let got = tracker_client(vec![server.addr()]).list_groups().await;
    server.finish().await;
    assert!(got.unwrap().is_empty());
}

#[tokio::test]
async fn list_storages_of_a_group_and_one_storage() {
    let ex = find_all(MONITOR, 44426, cmd::SERVER_LIST_STORAGE).remove(0);
    annotated(&ex, "storage[1].status = 7 (ACTIVE)");
    let server = ReplayServer::one(ex).await;
    let got = tracker_client(vec![server.addr()]).list_storages("group1", None).await;
    server.finish().await;
    let storages = got.unwrap();
    assert_eq!(storages.len(), 2);
    assert_eq!((storages[0].status, storages[0].id.as_str()), (StorageStatus::Init, "127.0.0.2"));
    assert_eq!((storages[1].status, storages[1].id.as_str()), (StorageStatus::Active, "127.0.0.3"));
    assert_eq!((storages[0].join_time, storages[1].storage_port), (1795682878, 23000));

    let ex = find(MONITOR, 42830, cmd::SERVER_LIST_STORAGE);
    annotated(&ex, "storage[0].stat.total_sync_in_bytes = 693");
    let server = ReplayServer::one(ex).await;
    let got = tracker_client(vec![server.addr()]).list_storages("group1", Some("127.0.0.5")).await;
    server.finish().await;
    let storages = got.unwrap();
    assert_eq!(storages.len(), 1);
    let s = &storages[0];
    assert_eq!(s.status, StorageStatus::Offline);
    assert_eq!(
        (s.id.as_str(), s.ip.as_str(), s.src_id.as_str()),
        ("127.0.0.5", "127.0.0.5", "127.0.0.2")
    );
    assert_eq!((s.version.as_str(), s.join_time, s.up_time), ("6.16.1", 1795682931, 0));
    assert_eq!((s.free_mb, s.upload_priority, s.storage_port), (74094, 10, 23000));
    assert_eq!((s.stat.connection.alloc_count, s.stat.connection.current_count), (64, 2));
    assert_eq!((s.stat.total_upload_count, s.stat.success_upload_bytes), (1, 22));
    assert_eq!((s.stat.total_sync_in_bytes, s.stat.success_sync_in_bytes), (693, 570));
    assert_eq!(s.stat.last_heart_beat_time, 1795683118);
    assert!(!s.if_trunk_server);
}

#[tokio::test]
async fn get_leader_and_no_leader() {
    let ex = find(MONITOR, 41828, cmd::SERVER_GET_LEADER);
    annotated(&ex, "\"127.0.0.10:22122\"");
    let server = ReplayServer::one(ex).await;
    let got = tracker_client(vec![server.addr()]).get_leader().await;
    server.finish().await;
    assert_eq!(got.unwrap(), ServerAddr::new("127.0.0.10", 22122));

    // trackerA while the two trackers could not agree on a leader.
    let server = ReplayServer::one(find(ERRORS, 49076, cmd::SERVER_GET_LEADER)).await;
    let got = tracker_client(vec![server.addr()]).get_leader().await;
    server.finish().await;
    assert_status(got, Status::ENOENT);
}

#[tokio::test]
async fn tracker_status() {
    let ex = find(MONITOR, 41912, cmd::TRACKER_GET_STATUS);
    annotated(&ex, "is_leader = 1");
    let server = ReplayServer::one(ex).await;
    let got = tracker_client(vec![server.addr()]).tracker_status(server.addr()).await;
    server.finish().await;
    let status = got.unwrap();
    assert!(status.is_leader);
    assert_eq!((status.running_time, status.restart_interval), (0, 0));
}

#[tokio::test]
async fn active_trackers_lists_the_ones_that_answer() {
    let server = ReplayServer::one(find(MONITOR, 41998, cmd::ACTIVE_TEST)).await;
    let dead = dead_addr().await;
    let client = tracker_client(vec![dead, server.addr()]);
    let alive = client.active_trackers().await;
    server.finish().await;
    assert_eq!(alive, vec![server.addr()]);
}

#[tokio::test]
async fn delete_storage_asks_every_tracker() {
    // fdfs_monitor sent SERVER_DELETE_STORAGE to trackerA, then trackerB.
    let a = ReplayServer::one(find(MONITOR, 42844, cmd::SERVER_DELETE_STORAGE)).await;
    let b = ReplayServer::one(find(MONITOR, 36062, cmd::SERVER_DELETE_STORAGE)).await;
    let client = tracker_client(vec![a.addr(), b.addr()]);
    let answers = client.delete_storage("group1", "127.0.0.5").await;
    a.finish().await;
    b.finish().await;
    assert_eq!(answers.len(), 2);
    assert_eq!((answers[0].0, answers[1].0), (a.addr(), b.addr()));
    for (addr, result) in answers {
        assert!(result.is_ok(), "{addr}: {result:?}");
    }
}

// ---------------------------------------------------------------- storage

#[tokio::test]
async fn upload_file() {
    let ex = find(UPLOAD, 44236, cmd::UPLOAD_FILE);
    let content = sent_content(&ex);
    assert_eq!(content, b"hello fastdfs fixture\n");
    let want = "M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt";
    annotated(&ex, want);
    let server = ReplayServer::one(ex).await;
    let mut reader = content.as_slice();
    let len = content.len() as u64;
    let got = storage_client()
        .upload(server.addr(), 0, "txt", false, Content { len, reader: &mut reader })
        .await;
    server.finish().await;
    let got = got.unwrap();
    assert_eq!(got, file_id(want));
    assert_eq!(got.file_id(), format!("group1/{want}"));
}

#[tokio::test]
async fn upload_file_letting_the_storage_choose_the_path() {
    let ex = find(UPLOAD, 44250, cmd::UPLOAD_FILE);
    let content = sent_content(&ex);
    let want = "M00/00/00/fwAAAmsH8l-ADkDZAAAAFpR_bpI906.txt";
    annotated(&ex, want);
    let server = ReplayServer::one(ex).await;
    let mut reader = content.as_slice();
    let len = content.len() as u64;
    let got = storage_client()
        .upload(server.addr(), 0xFF, "txt", false, Content { len, reader: &mut reader })
        .await;
    server.finish().await;
    assert_eq!(got.unwrap(), file_id(want));
}

#[tokio::test]
async fn upload_file_with_elided_content_checked_by_crc() {
    let ex = find(UPLOAD, 53838, cmd::UPLOAD_FILE);
    let content = sent_content(&ex);
    assert_eq!(content, vec![b'x'; 300]);
    annotated(&ex, BIN);
    let server = ReplayServer::one(ex).await;
    let mut reader = content.as_slice();
    let got = storage_client()
        .upload(server.addr(), 0, "bin", false, Content { len: 300, reader: &mut reader })
        .await;
    server.finish().await;
    assert_eq!(got.unwrap(), file_id(BIN));
}

#[tokio::test]
async fn upload_slave_files() {
    let cases = [
        (53852, BIN, "_big", "bin", BIG),
        (39120, PROBE_TXT, "_small", "jpg", "M00/00/00/fwAAAmsH8mKAFnOWAAABIhqN0Rk449_small.jpg"),
    ];
    for (port, master, prefix, ext, want) in cases {
        let ex = find(UPLOAD, port, cmd::UPLOAD_SLAVE_FILE);
        let content = sent_content(&ex);
        annotated(&ex, want);
        let server = ReplayServer::one(ex).await;
        let mut reader = content.as_slice();
        let len = content.len() as u64;
        let got = storage_client()
            .upload_slave(server.addr(), master, prefix, ext, Content { len, reader: &mut reader })
            .await;
        server.finish().await;
        assert_eq!(got.unwrap(), file_id(want));
    }
}

#[tokio::test]
async fn upload_appender_append_and_regenerate() {
    // fdfs_upload_appender, fdfs_append_file, fdfs_regenerate_filename.
    const LOG: &str = "M00/00/00/fwAAA2sH8mCEFjRcAAAAAPbBNlU408.log";
    let client = storage_client();

    let ex = find(APPENDER, 53924, cmd::UPLOAD_APPENDER_FILE);
    let content = sent_content(&ex);
    assert_eq!(content, b"APPENDER-INIT-0123456789\n");
    annotated(&ex, LOG);
    let server = ReplayServer::one(ex).await;
    let mut reader = content.as_slice();
    let got = client
        .upload(server.addr(), 0, "log", true, Content { len: 25, reader: &mut reader })
        .await;
    server.finish().await;
    assert_eq!(got.unwrap(), file_id(LOG));

    let ex = find(APPENDER, 53932, cmd::APPEND_FILE);
    let content = sent_content(&ex);
    assert_eq!(content, b"append-part\n");
    let server = ReplayServer::one(ex).await;
    let mut reader = content.as_slice();
    let got = client.append(server.addr(), LOG, Content { len: 12, reader: &mut reader }).await;
    server.finish().await;
    got.unwrap();

    let ex = find(APPENDER, 45896, cmd::REGENERATE_APPENDER_FILENAME);
    let want = "M00/00/00/fwAAA2sH8mKAKvvnAAAAJUc606g408.log";
    annotated(&ex, want);
    let server = ReplayServer::one(ex).await;
    let got = client.regenerate_appender_filename(server.addr(), LOG).await;
    server.finish().await;
    assert_eq!(got.unwrap(), file_id(want));
}

#[tokio::test]
async fn modify_truncate_and_regenerate() {
    // probe.py's appender file on s1.
    const LOG: &str = "M00/00/00/fwAAAmsH8mKEZDNZAAAAABn4UQk661.log";
    let client = storage_client();

    let ex = find(APPENDER, 39096, cmd::MODIFY_FILE);
    let content = sent_content(&ex);
    assert_eq!(content, b"xy");
    let server = ReplayServer::one(ex).await;
    let mut reader = content.as_slice();
    let got = client.modify(server.addr(), LOG, 1, Content { len: 2, reader: &mut reader }).await;
    server.finish().await;
    got.unwrap();

    let server = ReplayServer::one(find(APPENDER, 39098, cmd::TRUNCATE_FILE)).await;
    let got = client.truncate(server.addr(), LOG, 6).await;
    server.finish().await;
    got.unwrap();

    let ex = find(APPENDER, 39134, cmd::REGENERATE_APPENDER_FILENAME);
    let want = "M00/00/00/fwAAAmsH8mKAVMtlAAAABqq7hX0661.log";
    annotated(&ex, want);
    let server = ReplayServer::one(ex).await;
    let got = client.regenerate_appender_filename(server.addr(), LOG).await;
    server.finish().await;
    assert_eq!(got.unwrap(), file_id(want));
}

#[tokio::test]
async fn download_whole_file() {
    let ex = find(DOWNLOAD, 53890, cmd::DOWNLOAD_FILE);
    let want = response_body(&ex);
    assert_eq!(want, vec![b'x'; 300]);
    let server = ReplayServer::one(ex).await;
    let client = storage_client();
    let got = client.download(server.addr(), "group1", BIN, 0, 0).await;
    server.finish().await;
    let mut download = got.unwrap();
    assert_eq!(download.len(), 300);
    let mut body = Vec::new();
    download.read_to_end(&mut body).await.unwrap();
    assert_eq!(body, want);
    assert_eq!(download.remaining(), 0);
    assert_eq!(client.pool().idle_count(server.addr()), 1, "released after the last byte");
}

#[tokio::test]
async fn download_ranges() {
    let cases = [(53896, BIN, 10, 20), (39050, PROBE_TXT, 6, 7)];
    for (port, filename, offset, length) in cases {
        let ex = find(DOWNLOAD, port, cmd::DOWNLOAD_FILE);
        let want = response_body(&ex);
        assert_eq!(want.len() as u64, length);
        let server = ReplayServer::one(ex).await;
        let mut body = Vec::new();
        let got = storage_client()
            .download_to(server.addr(), "group1", filename, offset, length, &mut body)
            .await;
        server.finish().await;
        assert_eq!(got.unwrap(), length);
        assert_eq!(body, want);
    }
}

#[tokio::test]
async fn download_errors_are_statuses() {
    // The deleted slave, then an offset beyond the end of the file.
    let server = ReplayServer::one(find(DOWNLOAD, 45934, cmd::DOWNLOAD_FILE)).await;
    let client = storage_client();
    let got = client.download(server.addr(), "group1", BIG, 0, 0).await;
    server.finish().await;
    assert_status(got, Status::ENOENT);
    // Not pooled: FastDFS may hang up after an error answer.
    assert_eq!(client.pool().idle_count(server.addr()), 0, "an error answer closes the connection");

    let server = ReplayServer::one(find(DOWNLOAD, 39058, cmd::DOWNLOAD_FILE)).await;
    let got = client.download(server.addr(), "group1", PROBE_TXT, 10000, 0).await;
    server.finish().await;
    assert_status(got, Status::EINVAL);
}

#[tokio::test]
async fn delete_and_delete_again() {
    let client = storage_client();
    let cases = [(45910, BIG, Status::OK), (45922, BIG, Status::ENOENT)];
    let more = [
        (38990, "M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt", Status::OK),
        (39160, PROBE_TXT, Status::ENOENT),
    ];
    for (port, filename, want) in cases.into_iter().chain(more) {
        let server = ReplayServer::one(find(DELETE, port, cmd::DELETE_FILE)).await;
        let got = client.delete(server.addr(), "group1", filename).await;
        server.finish().await;
        if want == Status::OK {
            got.unwrap();
        } else {
            assert_status(got, want);
        }
    }
}

#[tokio::test]
async fn set_metadata_overwrite_and_merge() {
    let client = storage_client();
    let overwrite = metadata(&[
        ("ext_name", "jpg"),
        ("width", "160"),
        ("height", "80"),
        ("file_size", "115120"),
    ]);
    let server = ReplayServer::one(find(METADATA, 53852, cmd::SET_METADATA)).await;
    let got =
        client.set_metadata(server.addr(), "group1", BIG, MetaOp::Overwrite, &overwrite).await;
    server.finish().await;
    got.unwrap();

    let merge = metadata(&[("color", "red"), ("width", "999")]);
    let server = ReplayServer::one(find(METADATA, 43080, cmd::SET_METADATA)).await;
    let got = client.set_metadata(server.addr(), "group1", BIN, MetaOp::Merge, &merge).await;
    server.finish().await;
    got.unwrap();
}

#[tokio::test]
async fn get_metadata() {
    let client = storage_client();
    let cases: [(u16, &str, &Pairs); 3] = [
        (
            53882,
            BIN,
            &[("ext_name", "jpg"), ("file_size", "115120"), ("height", "80"), ("width", "160")],
        ),
        (39024, PROBE_TXT, &[("author", "probe"), ("width", "100")]),
        (43122, BIN, &[("only", "one")]),
    ];
    for (port, filename, pairs) in cases {
        let server = ReplayServer::one(find(METADATA, port, cmd::GET_METADATA)).await;
        let got = client.get_metadata(server.addr(), "group1", filename).await;
        server.finish().await;
        assert_eq!(got.unwrap(), metadata(pairs), "port {port}");
    }
}

#[tokio::test]
async fn query_file_info() {
    let ex = find(DOWNLOAD, 53856, cmd::QUERY_FILE_INFO);
    annotated(&ex, "crc32 = 457387283");
    let server = ReplayServer::one(ex).await;
    let got = storage_client().query_file_info(server.addr(), "group1", BIG, 0).await;
    server.finish().await;
    let want = FileInfo {
        file_size: 300,
        create_time: 1795682912,
        crc32: 0x1b43_2d13,
        source_ip: "127.0.0.3".into(),
    };
    assert_eq!(got.unwrap(), want);
}

#[tokio::test]
async fn storage_active_test() {
    // The second request on probe's GET_METADATA connection.
    let ex = find(DELETE, 53864, cmd::ACTIVE_TEST);
    let server = ReplayServer::one(ex).await;
    let got = storage_client().active_test(server.addr()).await;
    server.finish().await;
    got.unwrap();
}

// ------------------------------------------------------- connection reuse

#[tokio::test]
async fn storage_calls_share_one_pooled_connection() {
    // `fdfs_test upload` on one connection: upload, set metadata, active test.
    let upload = find(UPLOAD, 53838, cmd::UPLOAD_FILE);
    let set_meta = find(METADATA, 53838, cmd::SET_METADATA);
    let active = find(DELETE, 53838, cmd::ACTIVE_TEST);
    let content = sent_content(&upload);
    let server = ReplayServer::sequence(vec![upload, set_meta, active]).await;
    let client = storage_client();

    let mut reader = content.as_slice();
    let id = client
        .upload(server.addr(), 0, "bin", false, Content { len: 300, reader: &mut reader })
        .await
        .unwrap();
    assert_eq!(id, file_id(BIN));
    let meta = metadata(&[
        ("ext_name", "jpg"),
        ("width", "160"),
        ("height", "80"),
        ("file_size", "115120"),
    ]);
    client.set_metadata(server.addr(), "group1", BIN, MetaOp::Overwrite, &meta).await.unwrap();
    client.active_test(server.addr()).await.unwrap();
    server.finish().await;
    assert_eq!(server.accepts(), 1);
    assert_eq!(client.pool().idle_count(server.addr()), 1);
}

#[tokio::test]
async fn appender_calls_share_one_pooled_connection() {
    // fdfs_appender_test: upload appender, truncate, append, modify.
    const LOG: &str = "M00/00/00/fwAAAmsH8mCEQZQeAAAAAPbBNlU326.log";
    let exchanges: Vec<Exchange> =
        [cmd::UPLOAD_APPENDER_FILE, cmd::TRUNCATE_FILE, cmd::APPEND_FILE, cmd::MODIFY_FILE]
            .into_iter()
            .map(|c| find(APPENDER, 44264, c))
            .collect();
    let contents: Vec<Vec<u8>> =
        [&exchanges[0], &exchanges[2], &exchanges[3]].into_iter().map(sent_content).collect();
    let server = ReplayServer::sequence(exchanges).await;
    let client = storage_client();
    let addr = server.addr();

    let mut reader = contents[0].as_slice();
    let id = client.upload(addr, 0, "log", true, Content { len: 25, reader: &mut reader }).await;
    assert_eq!(id.unwrap(), file_id(LOG));
    client.truncate(addr, LOG, 12).await.unwrap();
    let mut reader = contents[1].as_slice();
    client.append(addr, LOG, Content { len: 25, reader: &mut reader }).await.unwrap();
    let mut reader = contents[2].as_slice();
    client.modify(addr, LOG, 37, Content { len: 25, reader: &mut reader }).await.unwrap();
    server.finish().await;
    assert_eq!(server.accepts(), 1);
}

#[tokio::test]
async fn tracker_calls_share_one_pooled_connection() {
    // `fdfs_test upload`'s tracker connection: 106, 101, 103, then 111.
    let exchanges = vec![
        find(QUERY, 47950, cmd::QUERY_STORE_WITHOUT_GROUP_ALL),
        find(QUERY, 47950, cmd::QUERY_STORE_WITHOUT_GROUP_ONE),
        find(QUERY, 47950, cmd::QUERY_UPDATE),
        find(MONITOR, 47950, cmd::ACTIVE_TEST),
    ];
    let server = ReplayServer::sequence(exchanges).await;
    let client = tracker_client(vec![server.addr()]);
    assert_eq!(client.query_store_all(None).await.unwrap().storages.len(), 2);
    assert_eq!(client.query_store(None).await.unwrap().storage, addr("127.0.0.3"));
    assert_eq!(client.query_update("group1", BIN).await.unwrap().storage, addr("127.0.0.3"));
    assert_eq!(client.active_trackers().await, vec![server.addr()]);
    server.finish().await;
    assert_eq!(server.accepts(), 1);
}

#[tokio::test]
async fn monitor_calls_share_one_pooled_connection() {
    // fdfs_monitor: list the groups, then the storages of each.
    let mut exchanges = vec![find(MONITOR, 44426, cmd::SERVER_LIST_ALL_GROUPS)];
    exchanges.extend(find_all(MONITOR, 44426, cmd::SERVER_LIST_STORAGE));
    assert_eq!(exchanges.len(), 3);
    let server = ReplayServer::sequence(exchanges).await;
    let client = tracker_client(vec![server.addr()]);
    let groups = client.list_groups().await.unwrap();
    let mut ids = Vec::new();
    for group in &groups {
        let storages = client.list_storages(&group.group_name, None).await.unwrap();
        assert_eq!(storages.len() as i64, group.storage_count);
        ids.extend(storages.into_iter().map(|s| s.id));
    }
    server.finish().await;
    assert_eq!(ids, ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    assert_eq!(server.accepts(), 1);
}

// ------------------------------------------------------------- failover

#[tokio::test]
async fn failover_skips_an_unreachable_tracker() {
    let dead = dead_addr().await;
    let server = ReplayServer::sequence(vec![
        find(QUERY, 47950, cmd::QUERY_STORE_WITHOUT_GROUP_ALL),
        find(QUERY, 47950, cmd::QUERY_STORE_WITHOUT_GROUP_ONE),
    ])
    .await;
    let client = tracker_client(vec![dead, server.addr()]);
    assert_eq!(client.query_store_all(None).await.unwrap().storages.len(), 2);
    assert_eq!(client.query_store(None).await.unwrap().storage, addr("127.0.0.3"));
    server.finish().await;
    assert_eq!(server.accepts(), 1);
}

#[tokio::test]
async fn failover_prefers_the_tracker_that_answered() {
    // The first tracker accepts and hangs up: each attempt on it is counted.
    let (flaky, attempts) = closing_server().await;
    let server = ReplayServer::sequence(vec![
        find(QUERY, 47950, cmd::QUERY_STORE_WITHOUT_GROUP_ALL),
        find(QUERY, 47950, cmd::QUERY_STORE_WITHOUT_GROUP_ONE),
        find(QUERY, 47950, cmd::QUERY_UPDATE),
    ])
    .await;
    let client = tracker_client(vec![flaky, server.addr()]);
    client.query_store_all(None).await.unwrap();
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    client.query_store(None).await.unwrap();
    client.query_update("group1", BIN).await.unwrap();
    server.finish().await;
    assert_eq!(attempts.load(Ordering::SeqCst), 1, "the failed tracker was tried again first");
    assert_eq!(server.accepts(), 1);
}

#[tokio::test]
async fn an_error_status_does_not_fail_over() {
    let first = ReplayServer::one(find(QUERY, 41884, cmd::QUERY_STORE_WITH_GROUP_ONE)).await;
    let second = ReplayServer::start(Vec::new()).await;
    let client = tracker_client(vec![first.addr(), second.addr()]);
    assert_status(client.query_store(Some("nosuch")).await, Status::ENOENT);
    first.finish().await;
    second.finish().await;
    assert_eq!(second.accepts(), 0);
}

#[tokio::test]
async fn no_reachable_tracker_is_a_transport_error() {
    let client = tracker_client(vec![dead_addr().await, dead_addr().await]);
    match client.query_store(None).await {
        Err(e @ ConnError::Io(_)) => assert!(!e.connection_reusable()),
        other => panic!("expected an I/O error, got {other:?}"),
    }
}

// ---------------------------------------------------------------- retry

#[tokio::test]
async fn storage_retries_a_pooled_connection_closed_mid_call() {
    // The server answers GET_METADATA, then reads the ACTIVE_TEST and hangs
    // up: the client must redo it on a fresh connection.
    let get_meta = find(METADATA, 53864, cmd::GET_METADATA);
    let active = find(DELETE, 53864, cmd::ACTIVE_TEST);
    let server = ReplayServer::start(vec![
        Script::new(vec![get_meta, unanswered(active.clone())]),
        Script::new(vec![active]),
    ])
    .await;
    let client = storage_client();
    client.get_metadata(server.addr(), "group1", BIN).await.unwrap();
    client.active_test(server.addr()).await.unwrap();
    server.finish().await;
    assert_eq!(server.accepts(), 2);
    assert_eq!(client.pool().idle_count(server.addr()), 1);
}

#[tokio::test]
async fn storage_download_retries_a_pooled_connection_closed_mid_call() {
    let first = find(DOWNLOAD, 53896, cmd::DOWNLOAD_FILE);
    let second = find(DOWNLOAD, 39050, cmd::DOWNLOAD_FILE);
    let server = ReplayServer::start(vec![
        Script::new(vec![first, unanswered(second.clone())]),
        Script::new(vec![second]),
    ])
    .await;
    let client = storage_client();
    let mut body = Vec::new();
    client.download_to(server.addr(), "group1", BIN, 10, 20, &mut body).await.unwrap();
    body.clear();
    client.download_to(server.addr(), "group1", PROBE_TXT, 6, 7, &mut body).await.unwrap();
    server.finish().await;
    assert_eq!(body, b"fastdfs");
    assert_eq!(server.accepts(), 2);
}

#[tokio::test]
async fn tracker_retries_a_pooled_connection_closed_mid_call() {
    let all = find(QUERY, 47950, cmd::QUERY_STORE_WITHOUT_GROUP_ALL);
    let one = find(QUERY, 47950, cmd::QUERY_STORE_WITHOUT_GROUP_ONE);
    let server = ReplayServer::start(vec![
        Script::new(vec![all, unanswered(one.clone())]),
        Script::new(vec![one]),
    ])
    .await;
    let client = tracker_client(vec![server.addr()]);
    client.query_store_all(None).await.unwrap();
    assert_eq!(client.query_store(None).await.unwrap().storage, addr("127.0.0.3"));
    server.finish().await;
    assert_eq!(server.accepts(), 2);
}

#[tokio::test]
async fn idle_connection_closed_by_the_server_is_not_reused() {
    // The server hangs up right after answering; once the FIN arrived the
    // pool must not hand that connection out again, so even a streamed
    // upload (never retried) succeeds.
    let meta = find(METADATA, 53864, cmd::GET_METADATA);
    let upload = find(UPLOAD, 44236, cmd::UPLOAD_FILE);
    let content = sent_content(&upload);
    let server =
        ReplayServer::start(vec![Script::new(vec![meta]).then_close(), Script::new(vec![upload])])
            .await;
    let client = storage_client();
    client.get_metadata(server.addr(), "group1", BIN).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut reader = content.as_slice();
    let len = content.len() as u64;
    let id = client.upload(server.addr(), 0, "txt", false, Content { len, reader: &mut reader });
    assert_eq!(id.await.unwrap(), file_id("M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt"));
    server.finish().await;
    assert_eq!(server.accepts(), 2);
}
