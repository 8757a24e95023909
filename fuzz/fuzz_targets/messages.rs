//! Feeds arbitrary bodies to every typed message decoder of the protocol
//! crate — every tracker and storage request, every response, and the
//! streamed heads' `head_len` — and checks what decodes is stable: encoding
//! a decoded message and decoding that again gives the same message.
//!
//! The first input byte picks the decoder, the rest is the body.
//! Run with `cargo +nightly fuzz run messages` from the repository root.
#![no_main]

use fdfs_protocol::message::{ActiveTest, Quit};
use fdfs_protocol::storage::{
    AppendFile, CreateLink, DeleteFile, DownloadFile, FetchOnePathBinlog, GetMetadata,
    ModifyFile, QueryFileInfo, RegenerateAppenderFilename, ReportServerId, SetMetadata,
    SyncAppendFile, SyncCreateFile, SyncCreateLink, SyncDeleteFile, SyncModifyFile,
    SyncRenameFile, SyncTruncateFile, SyncUpdateFile, TrunkAllocConfirm, TrunkAllocSpace,
    TrunkDeleteBinlogMarks, TrunkFreeSpace, TrunkGetBinlogSize, TrunkSyncBinlog,
    TrunkTruncateBinlogFile, TruncateFile, UploadAppenderFile, UploadFile, UploadSlaveFile,
    UploadWithMetadata,
};
use fdfs_protocol::tracker::{
    Beat, ChangeStatus, ChangelogReq, CommitNextLeader, DeleteGroup, DeleteStorage, DiskUsage,
    FetchStorageIds, FetchTrunkFid, GetGroupName, GetLeader, GetMyIp, GetOneSysFile,
    GetServerId, GetStorageStatus, GetSysFilesEnd, GetSysFilesStart, Join, JoinLeader,
    ListAllGroups, ListOneGroup, ListStorage, NotifyNextLeader, NotifyReselectLeader,
    ParameterReq, PingLeader, QueryFetchAll, QueryFetchOne, QueryStoreWithGroupAll,
    QueryStoreWithGroupOne, QueryStoreWithoutGroupAll, QueryStoreWithoutGroupOne, QueryUpdate,
    ReplicaChg, ReportIpChanged, ReportStatus, ReportTrunkFid, ReportTrunkFree, SetTrunkServer,
    StorageClusterStatReq, SyncDestQuery, SyncDestReq, SyncNotify, SyncReport, SyncSrcReq,
    TrackerClusterStatReq, TrackerGetStatus, VolumeStatReq,
};
use fdfs_protocol::{Decode, Encode, Request, Streamed};
use libfuzzer_sys::fuzz_target;

/// Decoding is stable: decode(encode(m)) == m for every m that decoded.
fn stable<T: Decode + Encode + PartialEq + std::fmt::Debug>(body: &[u8]) {
    if let Ok(message) = T::decode(body) {
        let again = T::decode(&message.to_body()).expect("re-encoded message decodes");
        assert_eq!(again, message);
    }
}

/// A request and its success response.
fn exchange<R>(body: &[u8])
where
    R: Request + PartialEq + std::fmt::Debug,
    R::Response: PartialEq + std::fmt::Debug,
{
    stable::<R>(body);
    stable::<R::Response>(body);
}

/// A streamed request: also its head length from any prefix.
fn streamed<R>(body: &[u8])
where
    R: Streamed + PartialEq + std::fmt::Debug,
    R::Response: PartialEq + std::fmt::Debug,
{
    if body.len() >= R::PREFIX_LEN {
        let _ = R::head_len(&body[..R::PREFIX_LEN]);
    }
    exchange::<R>(body);
}

/// Every decoder, selectable by index.
const DECODERS: &[fn(&[u8])] = &[
    exchange::<ActiveTest>,
    exchange::<Quit>,
    // tracker: client queries and monitoring
    exchange::<QueryStoreWithoutGroupOne>,
    exchange::<QueryStoreWithGroupOne>,
    exchange::<QueryStoreWithoutGroupAll>,
    exchange::<QueryStoreWithGroupAll>,
    exchange::<QueryFetchOne>,
    exchange::<QueryFetchAll>,
    exchange::<QueryUpdate>,
    exchange::<ListAllGroups>,
    exchange::<ListOneGroup>,
    exchange::<ListStorage>,
    exchange::<DeleteStorage>,
    exchange::<DeleteGroup>,
    exchange::<SetTrunkServer>,
    exchange::<GetLeader>,
    exchange::<TrackerGetStatus>,
    exchange::<TrackerClusterStatReq>,
    exchange::<StorageClusterStatReq>,
    exchange::<VolumeStatReq>,
    // tracker: storage reports
    exchange::<GetMyIp>,
    exchange::<ParameterReq>,
    exchange::<GetServerId>,
    exchange::<FetchStorageIds>,
    exchange::<GetGroupName>,
    exchange::<Join>,
    exchange::<Beat>,
    exchange::<DiskUsage>,
    exchange::<SyncReport>,
    exchange::<SyncDestReq>,
    exchange::<SyncDestQuery>,
    exchange::<SyncNotify>,
    exchange::<SyncSrcReq>,
    exchange::<ReportStatus>,
    exchange::<ChangeStatus>,
    exchange::<ReplicaChg>,
    exchange::<ChangelogReq>,
    exchange::<ReportIpChanged>,
    exchange::<GetStorageStatus>,
    exchange::<FetchTrunkFid>,
    exchange::<ReportTrunkFid>,
    exchange::<ReportTrunkFree>,
    // tracker ↔ tracker
    exchange::<JoinLeader>,
    exchange::<PingLeader>,
    exchange::<NotifyNextLeader>,
    exchange::<CommitNextLeader>,
    exchange::<NotifyReselectLeader>,
    exchange::<GetSysFilesStart>,
    exchange::<GetSysFilesEnd>,
    exchange::<GetOneSysFile>,
    // storage: client commands
    streamed::<UploadFile>,
    streamed::<UploadAppenderFile>,
    streamed::<UploadSlaveFile>,
    exchange::<DownloadFile>,
    exchange::<DeleteFile>,
    exchange::<SetMetadata>,
    exchange::<GetMetadata>,
    exchange::<QueryFileInfo>,
    streamed::<AppendFile>,
    streamed::<ModifyFile>,
    exchange::<TruncateFile>,
    exchange::<RegenerateAppenderFilename>,
    exchange::<CreateLink>,
    // storage: fdfs extensions
    streamed::<UploadWithMetadata>,
    // storage ↔ storage
    exchange::<ReportServerId>,
    streamed::<SyncCreateFile>,
    streamed::<SyncUpdateFile>,
    exchange::<SyncDeleteFile>,
    streamed::<SyncAppendFile>,
    streamed::<SyncModifyFile>,
    exchange::<SyncTruncateFile>,
    exchange::<SyncCreateLink>,
    exchange::<SyncRenameFile>,
    exchange::<FetchOnePathBinlog>,
    // trunk
    exchange::<TrunkAllocSpace>,
    exchange::<TrunkAllocConfirm>,
    exchange::<TrunkFreeSpace>,
    exchange::<TrunkSyncBinlog>,
    exchange::<TrunkGetBinlogSize>,
    exchange::<TrunkDeleteBinlogMarks>,
    exchange::<TrunkTruncateBinlogFile>,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    DECODERS[usize::from(selector) % DECODERS.len()](body);
});
