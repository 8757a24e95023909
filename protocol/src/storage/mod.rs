//! Typed messages of the storage port (fastdfs-protocol.md §5): the
//! client-facing commands, storage ↔ storage replication and the trunk
//! commands.
//!
//! Each request is a struct implementing [`Encode`](crate::Encode),
//! [`Decode`](crate::Decode) and [`Request`](crate::Request) (command code
//! and reply type), shared by client and server. Requests that carry file
//! bytes also implement [`Streamed`](crate::Streamed): the struct holds the
//! head (names, sizes, offsets) and never the content, which the connection
//! streams after it. Such a struct encodes and decodes exactly its head.
//!
//! Two requests use the header's status byte: QUERY_FILE_INFO carries flags
//! there ([`QueryFileInfo::flags`]) and SYNC_CREATE/UPDATE_FILE mark "no
//! content follows" with 17 ([`SyncFile::content_omitted`]); the caller
//! builds the header from `header_status()`.
//!
//! Decoders are lenient where FastDFS is (a group field is read up to its
//! first NUL; the value is left for the server to compare with its own
//! group) and strict where a length field would otherwise drive a read
//! (filenames are bounded to 127 bytes before anything is read). Each
//! struct's `validate()` checks what a sender must get right.
//!
//! # Layout
//!
//! - [`upload`]: UPLOAD_FILE (11), UPLOAD_APPENDER_FILE (23),
//!   UPLOAD_SLAVE_FILE (21), and the file-id reply.
//! - [`download`]: DOWNLOAD_FILE (14), QUERY_FILE_INFO (22), DELETE_FILE
//!   (12), GET_METADATA (15), SET_METADATA (13).
//! - [`appender`]: APPEND_FILE (24), MODIFY_FILE (34), TRUNCATE_FILE (36),
//!   REGENERATE_APPENDER_FILENAME (38), CREATE_LINK (20).
//! - [`sync`]: REPORT_SERVER_ID (9), SYNC_CREATE/UPDATE/DELETE_FILE
//!   (16/18/17), SYNC_APPEND/MODIFY/TRUNCATE_FILE (25/35/37),
//!   SYNC_CREATE_LINK (19), SYNC_RENAME_FILE (40), FETCH_ONE_PATH_BINLOG (26).
//! - [`trunk`]: TRUNK_ALLOC_SPACE (27) … TRUNK_TRUNCATE_BINLOG_FILE (33).
//! - [`upload_meta`]: UPLOAD_FILE_WITH_METADATA (0xF0), an fdfs extension.
//! - `fields` (private): group, filename, extension and prefix rules.

pub mod appender;
pub mod download;
mod fields;
#[cfg(test)]
mod proptests;
pub mod sync;
pub mod trunk;
pub mod upload;
pub mod upload_meta;

pub use appender::{AppendFile, CreateLink, ModifyFile, RegenerateAppenderFilename, TruncateFile};
pub use download::{DeleteFile, DownloadFile, FileInfo, GetMetadata, QueryFileInfo, SetMetadata};
pub use sync::{
    FetchOnePathBinlog, ReportServerId, SyncAppendFile, SyncCreateFile, SyncCreateLink,
    SyncDeleteFile, SyncFile, SyncModifyFile, SyncRange, SyncRenameFile, SyncTruncateFile,
    SyncUpdateFile,
};
pub use trunk::{
    TrunkAllocConfirm, TrunkAllocSpace, TrunkBinlogSize, TrunkDeleteBinlogMarks, TrunkFreeSpace,
    TrunkGetBinlogSize, TrunkInfo, TrunkSlot, TrunkSyncBinlog, TrunkTruncateBinlogFile,
};
pub use upload::{
    ANY_STORE_PATH, FileIdResponse, Upload, UploadAppenderFile, UploadFile, UploadSlaveFile,
};
pub use upload_meta::{MAX_UPLOAD_META_LEN, UploadWithMetadata};
