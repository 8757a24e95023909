//! Storage → tracker commands (§3.3): what a storage says to every tracker
//! from start-up (GET_MY_IP, PARAMETER_REQ, JOIN) through its reporting loop
//! (BEAT, disk usage, sync progress) to sync coordination and trunk files.
//!
//! # Layout
//!
//! - [`startup`]: 60 GET_MY_IP, 75 PARAMETER_REQ, 70 GET_SERVER_ID,
//!   69 FETCH_STORAGE_IDS, 109 GET_GROUP_NAME.
//! - [`join`]: 81 JOIN.
//! - [`beat`]: 83 BEAT, 84 REPORT_DISK_USAGE, 89 SYNC_REPORT and the
//!   [`ChangeResponse`] they all get.
//! - [`sync`]: 87/79/88/86 sync coordination, 76 REPORT_STATUS,
//!   59 CHANGE_STATUS, 85 REPLICA_CHG, 77 CHANGELOG_REQ,
//!   78 REPORT_IP_CHANGED, 71 GET_STATUS.
//! - [`trunk`]: 72/73/74 trunk file id and free space.

pub mod beat;
pub mod join;
pub mod startup;
pub mod sync;
pub mod trunk;

pub use beat::{Beat, ChangeResponse, DiskUsage, PathUsage, SyncReport, SyncTimestamp};
pub use join::{Join, JoinResponse};
pub use startup::{
    FetchStorageIds, GetGroupName, GetMyIp, GetServerId, GroupNameReply, ParameterReq, Parameters,
    StorageIdEntry, StorageIds,
};
pub use sync::{
    ChangeStatus, ChangelogReq, GetStorageStatus, ReplicaChg, ReportIpChanged, ReportStatus,
    SyncDestQuery, SyncDestReq, SyncNotify, SyncSrcReq,
};
pub use trunk::{FetchTrunkFid, ReportTrunkFid, ReportTrunkFree, TrunkFid};
