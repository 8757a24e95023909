//! Typed tracker messages: every request and response body a tracker
//! receives or sends, as FastDFS 6.15+ lays them out
//! (`fastdfs-protocol.md` §2–§3).
//!
//! Each request type implements [`Encode`](crate::Encode),
//! [`Decode`](crate::Decode) and [`Request`](crate::Request) (its command code
//! and success-response type); responses implement `Encode` + `Decode`. The
//! same structs serve the client (encode request, decode response) and the
//! tracker (the reverse). Decoders check every length against the layout and
//! the protocol's limits and never panic.
//!
//! # Layout
//!
//! - [`records`]: shared records — [`StorageStatus`], [`StorageBrief`],
//!   [`SyncReqBody`], [`ServerAddr`], group-name and storage-id validation.
//! - [`stat`]: the 348-byte [`StorageStatBuff`] and [`ConnStats`].
//! - [`query`]: client queries 101–107 (where to upload, who serves a file).
//! - [`monitor`]: monitoring and admin 90–95, 108, 64.
//! - [`cluster_stat`]: cluster listings 96–98.
//! - [`report`]: storage → tracker (join, beat, sync, status, trunk).
//! - [`leader`]: tracker ↔ tracker (leader election, system files).

/// Declares a request with an empty body.
macro_rules! empty_request {
    ($(#[$doc:meta])* $name:ident = $cmd:expr => $resp:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name;

        impl $crate::message::Encode for $name {
            fn encode(&self, _buf: &mut ::bytes::BytesMut) {}
        }

        impl $crate::message::Decode for $name {
            fn decode(body: &[u8]) -> Result<Self, $crate::error::DecodeError> {
                $crate::message::Empty::decode(body).map(|_| Self)
            }
        }

        request!($name = $cmd => $resp);
    };
}

/// Declares a request whose body is one 16-byte group name.
macro_rules! group_request {
    ($(#[$doc:meta])* $name:ident = $cmd:expr => $resp:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            pub group: String,
        }

        impl $crate::message::Encode for $name {
            fn encode(&self, buf: &mut ::bytes::BytesMut) {
                $crate::wire::PutExt::put_fixed_str(
                    buf,
                    &self.group,
                    $crate::consts::GROUP_NAME_MAX_LEN,
                );
            }
        }

        impl $crate::message::Decode for $name {
            fn decode(body: &[u8]) -> Result<Self, $crate::error::DecodeError> {
                $crate::tracker::records::expect_len(
                    body,
                    $crate::consts::GROUP_NAME_MAX_LEN,
                    stringify!($name),
                )?;
                let mut r = $crate::wire::Reader::new(body);
                Ok(Self { group: $crate::tracker::records::read_group(&mut r)? })
            }
        }

        request!($name = $cmd => $resp);
    };
}

/// Implements [`Request`](crate::Request).
macro_rules! request {
    ($name:ty = $cmd:expr => $resp:ty) => {
        impl $crate::message::Request for $name {
            const CMD: u8 = $cmd;
            type Response = $resp;
        }
    };
}

pub mod cluster_stat;
pub mod leader;
pub mod monitor;
pub mod query;
pub mod records;
pub mod report;
pub mod stat;

#[cfg(test)]
mod proptests;

pub use cluster_stat::{
    StorageClusterEntry, StorageClusterStat, StorageClusterStatReq, TrackerClusterEntry,
    TrackerClusterStat, TrackerClusterStatReq, VolumeEntry, VolumeStat, VolumeStatReq,
};
pub use leader::{
    CommitNextLeader, GetOneSysFile, GetSysFilesEnd, GetSysFilesStart, GroupTrunkServer,
    JoinLeader, NotifyNextLeader, NotifyReselectLeader, PingLeader, SysFileChunk, TrunkServers,
};
pub use monitor::{
    DeleteGroup, DeleteStorage, GetLeader, GroupStat, GroupStats, ListAllGroups, ListOneGroup,
    ListStorage, SetTrunkServer, StorageStat, StorageStats, TrackerGetStatus, TrackerStatus,
};
pub use query::{
    FetchTarget, FetchTargets, QueryFetchAll, QueryFetchOne, QueryStoreWithGroupAll,
    QueryStoreWithGroupOne, QueryStoreWithoutGroupAll, QueryStoreWithoutGroupOne, QueryUpdate,
    StoreTarget, StoreTargets,
};
pub use records::{
    AddrText, ServerAddr, StorageBrief, StorageStatus, SyncReqBody, SyncSource,
    validate_group_name, validate_storage_id,
};
pub use report::{
    Beat, ChangeResponse, ChangeStatus, ChangelogReq, DiskUsage, FetchStorageIds, FetchTrunkFid,
    GetGroupName, GetMyIp, GetServerId, GetStorageStatus, GroupNameReply, Join, JoinResponse,
    ParameterReq, Parameters, PathUsage, ReplicaChg, ReportIpChanged, ReportStatus, ReportTrunkFid,
    ReportTrunkFree, StorageIdEntry, StorageIds, SyncDestQuery, SyncDestReq, SyncNotify,
    SyncReport, SyncSrcReq, SyncTimestamp, TrunkFid,
};
pub use stat::{ConnStats, StorageStatBuff};
