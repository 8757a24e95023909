//! `fdfs gateway rebuild-index`: a fresh index from the files on the
//! storages.
//!
//! 1. The gateway must be stopped: the old index (if any) is opened with an
//!    exclusive lock, which fails while a gateway holds it open. Its access
//!    keys, buckets (home group, owner, creation time) and delete queue are
//!    kept.
//! 2. Every file of every group is listed ([`super::scan`]); each one's
//!    metadata is read, and files without S3 tags (other FastDFS users') are
//!    skipped, as are files on the old delete queue. For a tagged file the
//!    size and create time come from QUERY_FILE_INFO and the MD5 (the ETag,
//!    which the tags cannot carry) is computed by streaming the whole file
//!    from its storage — the rebuild reads every byte the gateway stored
//!    once.
//! 3. Objects are assembled ([`super::assemble`]), written into a new index
//!    file beside the old one, which then replaces it with one rename.
//!
//! What the tags do not carry is lost: user metadata and headers other than
//! Content-Type, checksums, multipart uploads in progress (their parts
//! become orphans for the sweep) and upload intents.
//!
//! Versions: every version and delete marker found comes back with its ID,
//! order and latest flag (`version_tags`, `assemble`). A bucket keeps the
//! versioning state the old index had; without an old index, a bucket
//! with tagged versions is `Enabled` (or `Suspended` when all of them are
//! `null`).

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use fdfs_protocol::Status;
use fdfs_protocol::client::{StorageClient, TrackerClient};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::storage::QueryFileInfo;
use md5::{Digest as _, Md5};

use crate::crypto::segments::plain_len;
use tokio::io::AsyncReadExt;

use super::assemble::{Body, Rebuilt, TaggedFile, assemble};
use super::scan::{LiveFile, ScanError, files, store_paths};
use super::tags::FileTag;
use crate::gateway::DEFAULT_OWNER;
use crate::gateway::server::index_path;
use crate::index::{
    Bucket, BucketAclConfig, DeleteReason, Index, IndexError, NULL_VERSION, NewObject,
    RestoredContent, RestoredVersion, StoredKey, Versioning,
};

/// Why a rebuild failed.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// A gateway (or another tool) has the index open.
    #[error("{} is in use: stop the gateway first", .0.display())]
    InUse(PathBuf),
    /// The old or the new index failed.
    #[error("index: {0}")]
    Index(#[from] IndexError),
    /// Listing the files failed.
    #[error(transparent)]
    Scan(#[from] ScanError),
    /// Reading a file's metadata, info or content failed.
    #[error("{file_id}: {source}")]
    File { file_id: String, source: ConnError },
    /// Replacing the index file failed.
    #[error("cannot replace {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// What a rebuild found and wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildReport {
    /// Files listed on the storages.
    pub files: usize,
    /// Of those, files with S3 tags.
    pub tagged: usize,
    /// Buckets written.
    pub buckets: usize,
    /// Objects written.
    pub objects: usize,
    /// Bytes read to compute ETags.
    pub bytes_hashed: u64,
    /// Tagged files whose Object Lock went back onto their versions
    /// (`super::lock_restore`).
    pub locked_files: usize,
}

/// What the old index contributes.
#[derive(Debug, Default)]
struct Kept {
    keys: Vec<StoredKey>,
    buckets: Vec<Bucket>,
    versioning: BTreeMap<String, Versioning>,
    queued: Vec<String>,
    /// Each kept bucket's ACL, Object Ownership and owner grants.
    access: Vec<(String, BucketAclConfig)>,
}

/// Rebuilds the index of the gateway whose data directory is `data_dir`;
/// see the module docs.
pub async fn rebuild_index(
    tracker: &TrackerClient,
    storage: &StorageClient,
    data_dir: &Path,
) -> Result<RebuildReport, RebuildError> {
    let path = index_path(data_dir);
    let old = path.clone();
    let kept = blocking(move || keep_from(&old)).await?;
    let queued: HashSet<&str> = kept.queued.iter().map(String::as_str).collect();
    let mut report = RebuildReport::default();
    let mut tagged = Vec::new();
    let mut locks = Vec::new();
    let mut acls = Vec::new();
    for store_path in store_paths(tracker).await? {
        for file in files(storage, &store_path).await? {
            report.files += 1;
            if queued.contains(file.file_id().as_str()) {
                continue;
            }
            if let Some(t) = inspect(storage, &file).await? {
                report.bytes_hashed += t.size;
                let (t_bucket, t_key) = (t.tag.bucket.clone(), t.tag.key.clone());
                tagged.push(t);
                let lock = super::lock_restore::file_lock(storage, &file).await;
                let failed = |source| RebuildError::File { file_id: file.file_id(), source };
                if let Some(lock) = lock.map_err(failed)? {
                    locks.push((file.file_id(), lock));
                }
                let acl = super::acl_tags::file_acl(storage, &file).await;
                if let Some(acl) = acl.map_err(failed)? {
                    let (bucket, key) = (t_bucket.clone(), t_key.clone());
                    acls.push((file.file_id(), bucket, key, acl));
                }
            }
        }
    }
    report.tagged = tagged.len();
    let objects = assemble(&tagged);
    report.objects = objects.len();
    let fresh = path.with_extension("db.rebuild");
    let target = path.clone();
    report.locked_files = locks.len();
    report.buckets =
        blocking(move || write_fresh(&fresh, &target, kept, objects, &locks, &acls)).await?;
    tracing::info!(?report, "index rebuilt");
    Ok(report)
}

/// Reads a file's tags; for a tagged file also its info and MD5.
async fn inspect(
    storage: &StorageClient,
    file: &LiveFile,
) -> Result<Option<TaggedFile>, RebuildError> {
    let failed = |source| RebuildError::File { file_id: file.file_id(), source };
    let (addr, group, name) = (file.storage, &file.group, &file.filename);
    let meta = match storage.get_metadata(addr, group, name).await {
        Ok(meta) => meta,
        Err(ConnError::Status(Status::ENOENT)) => return Ok(None),
        Err(e) => return Err(failed(e)),
    };
    let Some(tag) = FileTag::from_metadata(&meta) else { return Ok(None) };
    let info = storage
        .query_file_info(addr, group, name, QueryFileInfo::NO_CRC32)
        .await
        .map_err(failed)?;
    // An encrypted file holds ciphertext: its plaintext size follows from
    // the sealed format, its ETag is the one recorded at upload.
    let (size, md5) = if tag.is_encrypted() {
        let Some(size) = plain_len(info.file_size) else {
            tracing::warn!(file_id = %file.file_id(), "encrypted file of impossible length");
            return Ok(None);
        };
        let Some(etag) = tag.sse_etag().map(str::to_string) else {
            tracing::warn!(file_id = %file.file_id(), "encrypted file without its ETag");
            return Ok(None);
        };
        (size, etag)
    } else {
        (info.file_size, md5_of(storage, file, info.file_size).await.map_err(failed)?)
    };
    Ok(Some(TaggedFile {
        file_id: file.file_id(),
        group: group.clone(),
        tag,
        size,
        create_time: info.create_time,
        md5,
    }))
}

/// Hex MD5 of the file, streamed (FastDFS cannot download a 0-byte file).
async fn md5_of(storage: &StorageClient, file: &LiveFile, size: u64) -> Result<String, ConnError> {
    let mut hasher = Md5::new();
    if size > 0 {
        let mut body = storage.download(file.storage, &file.group, &file.filename, 0, 0).await?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = body.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The old index's keys, buckets and delete queue, after making sure no
/// one has it open. A missing index keeps nothing. Blocks.
fn keep_from(path: &Path) -> Result<Kept, RebuildError> {
    if !path.exists() {
        return Ok(Kept::default());
    }
    check_not_in_use(path)?;
    let mut old = Index::open(path)?;
    let buckets = old.list_buckets(None)?;
    let mut versioning = BTreeMap::new();
    let mut access = Vec::new();
    for b in &buckets {
        if let Some(state) = old.bucket_versioning(&b.name)? {
            versioning.insert(b.name.clone(), state);
        }
        let config = old.get_bucket_acl_config(&b.name)?;
        if config != BucketAclConfig::default() {
            access.push((b.name.clone(), config));
        }
    }
    let (keys, queued) = (old.list_stored_keys()?, old.queued_file_ids()?);
    Ok(Kept { keys, buckets, versioning, queued, access })
}

/// Fails with [`RebuildError::InUse`] when another connection has the
/// index open: in WAL mode an exclusive lock cannot be had then. Blocks.
fn check_not_in_use(path: &Path) -> Result<(), RebuildError> {
    let conn = rusqlite::Connection::open(path).map_err(IndexError::from)?;
    let locked = conn.pragma_update(None, "locking_mode", "EXCLUSIVE").and_then(|()| {
        conn.execute_batch("BEGIN EXCLUSIVE; SELECT count(*) FROM sqlite_master; COMMIT;")
    });
    match locked {
        Ok(()) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            Err(RebuildError::InUse(path.to_path_buf()))
        }
        Err(e) => Err(IndexError::from(e).into()),
    }
}

/// Writes the new index at `fresh` and renames it over `target`; returns
/// the number of buckets. Blocks.
fn write_fresh(
    fresh: &Path,
    target: &Path,
    kept: Kept,
    objects: BTreeMap<(String, String), Vec<Rebuilt>>,
    locks: &[(String, crate::index::ObjectLock)],
    acls: &[(String, String, String, String)],
) -> Result<usize, RebuildError> {
    remove_db(fresh)?;
    let now = now_ms();
    let mut by_bucket: BTreeMap<String, Vec<(String, NewObject)>> = BTreeMap::new();
    let mut versioned: BTreeMap<String, Vec<(String, Vec<RestoredVersion>)>> = BTreeMap::new();
    let mut buckets: BTreeMap<String, Bucket> =
        kept.buckets.into_iter().map(|b| (b.name.clone(), b)).collect();
    let mut inferred: BTreeMap<String, Versioning> = BTreeMap::new();
    for ((bucket, key), versions) in objects {
        let Some(first) = versions.first() else { continue };
        buckets.entry(bucket.clone()).or_insert_with(|| Bucket {
            name: bucket.clone(),
            home_group: first.group.clone(),
            owner: DEFAULT_OWNER.to_string(),
            created_ms: first.modified_ms(),
        });
        match unversioned(versions) {
            Ok(object) => by_bucket.entry(bucket).or_default().push((key, object)),
            Err(versions) => {
                let restored: Vec<RestoredVersion> = versions.into_iter().map(restored).collect();
                let named = restored.iter().any(|v| v.version_id != NULL_VERSION);
                let slot = inferred.entry(bucket.clone()).or_insert(Versioning::Suspended);
                if named {
                    *slot = Versioning::Enabled;
                }
                versioned.entry(bucket).or_default().push((key, restored));
            }
        }
    }
    {
        let mut index = Index::open(fresh)?;
        for key in &kept.keys {
            index.insert_stored_key(key)?;
        }
        for bucket in buckets.values() {
            index.create_bucket(bucket)?;
        }
        // Kept buckets keep their ACL, Object Ownership and grants.
        for (bucket, config) in &kept.access {
            index.set_bucket_acl_config(bucket, config)?;
        }
        // Lone untagged objects are written while their bucket is still
        // unversioned, so each stays the `null` version it was.
        for (bucket, objects) in &by_bucket {
            for chunk in objects.chunks(1000) {
                index.put_objects(bucket, chunk)?;
            }
        }
        for (bucket, keys) in &versioned {
            for chunk in keys.chunks(1000) {
                index.restore_versions(bucket, chunk)?;
            }
        }
        // The old index's state wins over what the versions suggest.
        inferred.extend(kept.versioning);
        for (bucket, state) in &inferred {
            index.set_bucket_versioning(bucket, *state)?;
        }
        // Before the rename, so the index never goes live without them.
        super::lock_restore::restore(&mut index, locks)?;
        // Object ACLs too: a rebuilt index must not open (or close) what
        // the old one did not.
        index.restore_object_acls(acls)?;
        // Deletes still owed by the old index stay owed.
        for file_id in &kept.queued {
            index.enqueue_delete(file_id, DeleteReason::Orphan, now)?;
        }
    } // closed: SQLite checkpoints and removes the new file's WAL
    for suffix in ["-wal", "-shm"] {
        remove_file(&with_suffix(target, suffix))?;
    }
    std::fs::rename(fresh, target)
        .map_err(|source| RebuildError::Io { path: target.to_path_buf(), source })?;
    if let Some(dir) = target.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| RebuildError::Io { path: dir.to_path_buf(), source })?;
    }
    Ok(buckets.len())
}

/// A key's lone untagged object (written as before versioning), or its
/// versions as they are.
fn unversioned(versions: Vec<Rebuilt>) -> Result<NewObject, Vec<Rebuilt>> {
    match <[Rebuilt; 1]>::try_from(versions) {
        Ok([Rebuilt { body: Body::Object(object), version: None, .. }]) => Ok(*object),
        Ok([one]) => Err(vec![one]),
        Err(versions) => Err(versions),
    }
}

/// A rebuilt version as the index restores it (an untagged one is the
/// oldest `null`).
fn restored(r: Rebuilt) -> RestoredVersion {
    let (version_id, seq) = r.version.map_or((NULL_VERSION.to_string(), 0), |v| (v.id, v.seq));
    let content = match r.body {
        Body::Object(o) => RestoredContent::Object(o),
        Body::Marker { file, modified_ms } => {
            RestoredContent::Marker { file: Some(file), modified_ms }
        }
    };
    RestoredVersion { version_id, seq, content }
}

/// Removes a database file and its WAL and shared-memory files.
fn remove_db(path: &Path) -> Result<(), RebuildError> {
    remove_file(path)?;
    for suffix in ["-wal", "-shm"] {
        remove_file(&with_suffix(path, suffix))?;
    }
    Ok(())
}

fn remove_file(path: &Path) -> Result<(), RebuildError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(RebuildError::Io { path: path.to_path_buf(), source }),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn blocking<T, F>(f: F) -> Result<T, RebuildError>
where
    F: FnOnce() -> Result<T, RebuildError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| RebuildError::Index(IndexError::JobPanicked))?
}
