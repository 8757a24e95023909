//! A test peer speaking the storage side of the tracker protocol: it joins,
//! beats and reports from its own 127.0.0.x address, exactly as a storage
//! server's reporter connection would, so tracker behaviour can be driven
//! step by step.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use fdfs_protocol::connection::{ConnError, Connection, DEFAULT_BODY_LIMIT};
use fdfs_protocol::message::Empty;
use fdfs_protocol::tracker::{
    Beat, ChangeResponse, DiskUsage, Join, JoinResponse, PathUsage, ReportStatus, ServerAddr,
    StorageBrief, StorageStatBuff, StorageStatus, SyncDestReq, SyncNotify, SyncReport, SyncReqBody,
    SyncSource, SyncSrcReq, SyncTimestamp,
};
use fdfs_protocol::{Request, Status};
use tokio::net::TcpSocket;

const T: Duration = Duration::from_secs(5);

/// A connection to `tracker` from `ip` (so the tracker sees that source).
pub async fn connect_from(ip: IpAddr, tracker: SocketAddr) -> Connection {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(ip, 0)).unwrap();
    let stream = tokio::time::timeout(T, socket.connect(tracker)).await.unwrap().unwrap();
    Connection::new(stream, T).unwrap()
}

/// One simulated storage's reporter connection to one tracker.
#[derive(Debug)]
pub struct StoragePeer {
    pub conn: Connection,
    pub ip: IpAddr,
    pub group: String,
    pub port: u16,
    pub trackers: Vec<SocketAddr>,
}

impl StoragePeer {
    /// Connects from `ip` to `tracker`, ready to join `group`.
    pub async fn connect(ip: IpAddr, tracker: SocketAddr, group: &str, port: u16) -> Self {
        Self {
            conn: connect_from(ip, tracker).await,
            ip,
            group: group.to_string(),
            port,
            trackers: vec![tracker],
        }
    }

    /// The storage's id as the tracker sees it: its IP.
    pub fn id(&self) -> String {
        self.ip.to_string()
    }

    async fn call<R: Request>(&mut self, req: &R) -> Result<R::Response, ConnError> {
        self.conn.send(req).await?;
        self.conn.recv(DEFAULT_BODY_LIMIT).await
    }

    /// STORAGE_JOIN, first start (init flag set) unless `status` is given.
    pub async fn join(&mut self, first_start: bool) -> Result<JoinResponse, ConnError> {
        let now = now();
        let req = Join {
            group: self.group.clone(),
            storage_port: self.port,
            store_path_count: 1,
            subdir_count_per_path: 256,
            upload_priority: 10,
            join_time: now,
            up_time: now,
            version: "6.16.1".into(),
            init_flag: first_start,
            status: if first_start { StorageStatus::Init } else { StorageStatus::Active },
            storage_id: String::new(),
            current_tracker_ip: self.trackers[0].ip().to_string(),
            trackers: self
                .trackers
                .iter()
                .map(|t| ServerAddr::new(t.ip().to_string(), t.port()))
                .collect(),
        };
        self.call(&req).await
    }

    /// SYNC_DEST_REQ (first start).
    pub async fn sync_dest_req(&mut self) -> Result<SyncSource, ConnError> {
        self.call(&SyncDestReq).await
    }

    /// SYNC_NOTIFY with the source the tracker gave (or none).
    pub async fn sync_notify(&mut self, source: &SyncSource) -> Result<(), ConnError> {
        let body =
            source.0.clone().unwrap_or(SyncReqBody { src_id: String::new(), until_timestamp: 0 });
        self.call(&SyncNotify(body)).await.map(|_: Empty| ())
    }

    /// The whole first-start handshake of a storage whose group has no data:
    /// JOIN, SYNC_DEST_REQ, SYNC_NOTIFY. Returns the sync source given.
    pub async fn start(&mut self) -> SyncSource {
        self.join(true).await.expect("join");
        let source = self.sync_dest_req().await.expect("sync dest req");
        self.sync_notify(&source).await.expect("sync notify");
        source
    }

    /// BEAT with counters (or none).
    pub async fn beat(
        &mut self,
        stat: Option<StorageStatBuff>,
    ) -> Result<ChangeResponse, ConnError> {
        self.call(&Beat { stat }).await
    }

    /// REPORT_DISK_USAGE for the one store path.
    pub async fn disk_usage(
        &mut self,
        total_mb: i64,
        free_mb: i64,
    ) -> Result<ChangeResponse, ConnError> {
        self.call(&DiskUsage { paths: vec![PathUsage { total_mb, free_mb }] }).await
    }

    /// SYNC_REPORT: "I hold everything from `src` up to `timestamp`".
    pub async fn sync_report(
        &mut self,
        entries: &[(&str, i32)],
    ) -> Result<ChangeResponse, ConnError> {
        let entries = entries
            .iter()
            .map(|(src, ts)| SyncTimestamp { src_id: src.to_string(), timestamp: *ts })
            .collect();
        self.call(&SyncReport { entries }).await
    }

    /// As a sync source: SYNC_SRC_REQ about `dest`.
    pub async fn sync_src_req(&mut self, dest: &str) -> Result<SyncSource, ConnError> {
        let req = SyncSrcReq { group: self.group.clone(), dest_id: dest.to_string() };
        self.call(&req).await
    }

    /// REPORT_STATUS of a peer (e.g. SYNCING, then OFFLINE when its full
    /// sync is done).
    pub async fn report_status(
        &mut self,
        peer: &str,
        status: StorageStatus,
    ) -> Result<(), ConnError> {
        let storage = StorageBrief { status, port: 0, id: peer.to_string(), ip: peer.to_string() };
        let req = ReportStatus { group: self.group.clone(), storage };
        self.call(&req).await.map(|_: Empty| ())
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Whether `result` is the given status answer.
pub fn is_status<T: std::fmt::Debug>(result: &Result<T, ConnError>, status: Status) -> bool {
    matches!(result, Err(ConnError::Status(s)) if *s == status)
}
