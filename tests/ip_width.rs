//! `response_ip_addr_size = 46`: a real tracker started with
//! `--response-ip-addr-size 46` and a storage under it answer with the IPv6
//! field widths clients built for FastDFS 6.11–6.12 expect (70-byte
//! QUERY_STORE_ONE and QUERY_FILE_INFO replies), tell storages so in
//! PARAMETER_REQ, and the project's own clients still read every reply.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fdfs_protocol::client::{Content, Pool, StorageClient, TrackerClient, storage_socket_addr};
use fdfs_protocol::connection::{Connection, DEFAULT_BODY_LIMIT};
use fdfs_protocol::file_id::FileId;
use fdfs_protocol::message::Raw;
use fdfs_protocol::storage::{FileInfo, QueryFileInfo};
use fdfs_protocol::tracker::{
    FetchTarget, ParameterReq, QueryFetchOne, QueryStoreWithoutGroupOne, StorageStatus, StoreTarget,
};
use fdfs_protocol::{Decode, Request};
use support::process::{TempDir, free_addr, storage, tracker};

const T: Duration = Duration::from_secs(5);

/// Sends `req` (with `status` in its header) and returns the raw reply body.
async fn raw_reply<R: Request>(addr: SocketAddr, req: &R, status: u8) -> Vec<u8> {
    let mut conn = Connection::connect(addr, T, T).await.unwrap();
    conn.send_with_status(req, status).await.unwrap();
    conn.recv::<Raw>(DEFAULT_BODY_LIMIT).await.unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_width_replies_end_to_end() {
    let dir = TempDir::new("ip-width");
    let tracker_addr = free_addr(40);
    let _tracker =
        tracker(tracker_addr, &dir.path().join("tracker"), &["--response-ip-addr-size", "46"]);

    // The tracker tells storages the width it wants.
    let mut conn = Connection::connect(tracker_addr, T, T).await.unwrap();
    let params = conn.call(&ParameterReq).await.unwrap();
    assert_eq!(params.get("response_ip_addr_size"), Some("46"));

    let storage_addr = free_addr(41);
    let _storage = storage(
        storage_addr,
        "group1",
        &[tracker_addr],
        &dir.path().join("storage"),
        &["--heart-beat-interval", "1"],
    );
    let pool = Pool::default();
    let client = TrackerClient::new(vec![tracker_addr], pool.clone()).unwrap();
    let id = storage_addr.ip().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = client.list_storages("group1", Some(&id)).await;
        let status = listed.ok().and_then(|l| l.first().map(|s| s.status));
        if status == Some(StorageStatus::Active) {
            break;
        }
        assert!(Instant::now() < deadline, "storage not ACTIVE: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // QUERY_STORE_WITHOUT_GROUP_ONE: G16 + IP45 + P8 + path 1.
    let body = raw_reply(tracker_addr, &QueryStoreWithoutGroupOne, 0).await;
    assert_eq!(body.len(), 70);
    let target = StoreTarget::decode(&body).unwrap();
    assert_eq!(target.storage.ip, id);
    let target = client.query_store(None).await.unwrap();
    assert_eq!(storage_socket_addr(&target.storage).unwrap(), storage_addr);

    let storages = StorageClient::new(pool);
    let data = b"wide fields".as_slice();
    let stored = storages
        .upload(
            storage_addr,
            target.store_path_index,
            "txt",
            false,
            Content { len: data.len() as u64, reader: &mut { data } },
        )
        .await
        .unwrap();
    let file = FileId::parse(&stored.file_id()).unwrap();
    let (group, name) = (file.group(), file.logic().as_str());

    // QUERY_FETCH_ONE: G16 + IP45 + P8.
    let fetch = QueryFetchOne { group: group.into(), filename: name.into() };
    let body = raw_reply(tracker_addr, &fetch, 0).await;
    assert_eq!(body.len(), 69);
    assert_eq!(FetchTarget::decode(&body).unwrap().storage.ip, id);
    assert_eq!(client.query_fetch(group, name).await.unwrap().storage.ip, id);

    // QUERY_FILE_INFO on the storage: 24 + IP46.
    let query = QueryFileInfo { flags: 0, group: group.into(), filename: name.into() };
    let body = raw_reply(storage_addr, &query, query.header_status()).await;
    assert_eq!(body.len(), 70);
    let info = FileInfo::decode(&body).unwrap();
    assert_eq!((info.file_size, info.source_ip.as_str()), (data.len() as u64, id.as_str()));
    let info = storages.query_file_info(storage_addr, group, name, 0).await.unwrap();
    assert_eq!(info.source_ip, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_tracker_keeps_ipv4_widths() {
    let dir = TempDir::new("ip-width-auto");
    let tracker_addr = free_addr(42);
    let _tracker = tracker(tracker_addr, &dir.path().join("tracker"), &[]);
    let mut conn = Connection::connect(tracker_addr, T, T).await.unwrap();
    let params = conn.call(&ParameterReq).await.unwrap();
    assert_eq!(params.get("response_ip_addr_size"), Some("16"));
}
