//! The index's error type: one enum, so the gateway maps each failure to
//! its S3 error code with an explicit table (`NoSuchKey`, `BucketNotEmpty`,
//! `InvalidPart`, ...) instead of a blanket `InternalError`.

/// Why an index operation failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// SQLite itself failed (I/O, disk full, a busy timeout, ...).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The index's directory or files could not be made private.
    #[error("cannot make {0} private: {1}")]
    Files(std::path::PathBuf, std::io::Error),
    /// A stored row holds a value the index cannot represent.
    #[error("corrupt index database: {0}")]
    Corrupt(String),
    /// The file was written by a newer build.
    #[error("index database schema version {found} is newer than supported {supported}")]
    FutureSchema {
        /// The version found in the file.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// The file is some other SQLite database (e.g. the tracker's).
    #[error("not an fdfs gateway index (application_id {0:#x})")]
    NotAnIndex(i64),
    /// A caller-supplied value is out of range or inconsistent.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The bucket does not exist.
    #[error("no such bucket: {0}")]
    NoSuchBucket(String),
    /// CreateBucket of a name that exists; `owner` lets the caller choose
    /// between BucketAlreadyOwnedByYou and BucketAlreadyExists.
    #[error("bucket {name} already exists (owner {owner})")]
    BucketExists {
        /// The bucket's name.
        name: String,
        /// Its current owner.
        owner: String,
    },
    /// DeleteBucket of a bucket that still holds objects.
    #[error("bucket {0} is not empty")]
    BucketNotEmpty(String),
    /// The object does not exist.
    #[error("no such key: {bucket}/{key}")]
    NoSuchKey {
        /// The bucket.
        bucket: String,
        /// The missing key.
        key: String,
    },
    /// The version named by a `versionId` does not exist.
    #[error("no such version {version_id} of {bucket}/{key}")]
    NoSuchVersion {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The missing version.
        version_id: String,
    },
    /// The version a read addresses is a delete marker: without a
    /// `versionId` S3 answers 404 NoSuchKey, with one 405
    /// MethodNotAllowed, both with the marker's headers.
    #[error("{bucket}/{key} is a delete marker ({version_id})")]
    DeleteMarker {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// The marker's version ID.
        version_id: String,
        /// The request named the marker by its version ID.
        addressed: bool,
    },
    /// The multipart upload does not exist (or belongs to another key).
    #[error("no such upload: {0}")]
    NoSuchUpload(String),
    /// A part number outside 1..=10000.
    #[error("invalid part number {0}")]
    InvalidPartNumber(u32),
    /// CompleteMultipartUpload named a part that was not uploaded, or whose
    /// ETag differs.
    #[error("invalid part {0}: not uploaded or ETag mismatch")]
    InvalidPart(u32),
    /// CompleteMultipartUpload's part list is not in ascending order.
    #[error("part list is not in ascending order")]
    InvalidPartOrder,
    /// CompleteMultipartUpload with an empty part list.
    #[error("part list is empty")]
    NoParts,
    /// A part other than the last is smaller than the minimum part size.
    #[error("part {part_number} is {size} bytes, below the minimum {min}")]
    EntityTooSmall {
        /// The offending part.
        part_number: u32,
        /// Its size.
        size: u64,
        /// The minimum.
        min: u64,
    },
    /// A conditional write's `If-Match` or `If-None-Match` does not hold
    /// for the object at the key ([`super::conditions`]).
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// An access key ID that is already taken.
    #[error("access key {0} already exists")]
    AccessKeyExists(String),
    /// An upload intent token that is not recorded.
    #[error("no such upload intent: {0}")]
    NoSuchIntent(String),
    /// A write would reference a file already queued for deletion.
    #[error("file {0} is queued for deletion")]
    FileQueuedForDeletion(String),
    /// The async facade could not start a worker thread.
    #[error("cannot start index thread: {0}")]
    Spawn(std::io::Error),
    /// The async facade's worker threads are gone.
    #[error("index worker stopped")]
    Closed,
    /// A job panicked on a worker thread; its transaction was rolled back.
    #[error("index job panicked")]
    JobPanicked,
    /// The group commit this operation was part of failed; nothing it
    /// wrote was kept.
    #[error("index commit failed: {0}")]
    GroupCommit(String),
}

/// Shorthand for index results.
pub type Result<T, E = IndexError> = std::result::Result<T, E>;
