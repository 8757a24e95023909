//! Group buckets: a bucket named like a FastDFS group (and not an index
//! bucket) serves that group's existing files by file ID, read-only, so
//! data already in a FastDFS cluster is readable over S3 without a
//! migration. The key is the file ID without its group:
//! `GET /group1/M00/00/2A/wKgB….jpg` reads `group1/M00/00/2A/wKgB….jpg`;
//! slave and appender names work the same way.
//!
//! Nothing here touches the index: the tracker names a storage
//! (QUERY_FETCH), which answers QUERY_FILE_INFO (size, create time) and
//! GET_METADATA (user metadata), and the body streams through the same
//! machinery as an index object's ([`super::object_get::open_body`]).
//!
//! - `ETag`: the rule of [`fdfs_protocol::file_http`], the same tag the
//!   storage's HTTP server gives: `<crc32>-<size>` for normal files, from
//!   the CRC-32 their name carries. It is **not** an MD5. Appender and
//!   slave files get `<mtime>-<size>` (whole seconds here, as
//!   QUERY_FILE_INFO reports them), which changes with every write.
//! - `Last-Modified`: the file's create time (its mtime on the storage).
//! - `Content-Type`: guessed from the extension.
//! - FastDFS metadata comes back as `x-amz-meta-<name>`; entries that
//!   cannot be HTTP headers are counted in `x-amz-missing-meta`, as S3 does.
//!
//! Every write is refused with AccessDenied; listing is NotImplemented (a
//! storage has no ordered index of its files); HeadBucket answers 200.
//! Group buckets are not in ListBuckets: they belong to no owner and
//! cannot be listed, so tools that walk every bucket would fail on them.
//!
//! Only admin keys may read them (every operation here, HeadBucket and
//! GetBucketLocation included; AccessDenied otherwise): a group's files
//! are every tenant's objects, whatever bucket they belong to. A file's
//! `-m` sibling (its FastDFS metadata, stored beside it) is never served,
//! and a file ID that cannot name a file of the group (a store path the
//! storage lacks, a malformed name) is NoSuchKey, as a missing file is.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fdfs_protocol::Status;
use fdfs_protocol::client::{TrackerClient, storage_socket_addr};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::file_http::{content_type, etag_value};
use fdfs_protocol::file_id::{FileId, LogicName, validate_group_name};
use fdfs_protocol::filename::NameInfo;
use fdfs_protocol::metadata::Metadata as FdfsMetadata;
use fdfs_protocol::storage::QueryFileInfo;
use s3s::dto::{
    GetObjectInput, GetObjectOutput, HeadObjectInput, HeadObjectOutput, ListMultipartUploadsInput,
    ListMultipartUploadsOutput, ListPartsInput, ListPartsOutput,
};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use tracing::{Instrument, info_span};

use super::object_get::{open_body, slices};
pub(super) use super::principal::require_admin;
use super::read_reply::{ReadInput, Reply};
use super::{Inner, error};
use crate::index::{IndexError, ObjectData, ObjectInfo, ObjectMeta};

/// The suffix of a file's metadata sibling on a storage (`<name>-m`).
const META_SUFFIX: &str = "-m";

/// How long a tracker's group list is trusted.
const GROUPS_TTL: Duration = Duration::from_secs(5);
/// How soon a failed group-list query is retried.
const GROUPS_RETRY: Duration = Duration::from_secs(1);

/// The tracker's group names, cached briefly so routing a request costs no
/// tracker round trip.
#[derive(Default)]
pub(crate) struct GroupCache {
    state: Mutex<Option<Cached>>,
    /// Serializes refreshes, so an expiry costs one LIST_GROUPS.
    refresh: tokio::sync::Mutex<()>,
}

struct Cached {
    groups: Vec<String>,
    expires: Instant,
}

impl GroupCache {
    /// The cached answer to "is `name` a group?", when still fresh.
    fn lookup(&self, name: &str) -> Option<bool> {
        let state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let cached = state.as_ref().filter(|c| c.expires > Instant::now())?;
        Some(cached.groups.iter().any(|g| g == name))
    }

    /// Whether the tracker knows a group `name`. A failed query keeps the
    /// last list (or none) and is retried after [`GROUPS_RETRY`].
    async fn contains(&self, tracker: &TrackerClient, name: &str) -> bool {
        if let Some(known) = self.lookup(name) {
            return known;
        }
        let _refreshing = self.refresh.lock().await;
        if let Some(known) = self.lookup(name) {
            return known;
        }
        let fetched = tracker.list_groups().await;
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let cached = match fetched {
            Ok(list) => Cached {
                groups: list.into_iter().map(|g| g.group_name).collect(),
                expires: Instant::now() + GROUPS_TTL,
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the tracker's groups");
                Cached {
                    groups: state.take().map(|c| c.groups).unwrap_or_default(),
                    expires: Instant::now() + GROUPS_RETRY,
                }
            }
        };
        let known = cached.groups.iter().any(|g| g == name);
        *state = Some(cached);
        known
    }
}

/// Whether `name` is a group the tracker knows (whether or not an index
/// bucket has the name too).
pub(super) async fn is_group(inner: &Inner, name: &str) -> bool {
    validate_group_name(name).is_ok() && inner.groups.contains(&inner.tracker, name).await
}

/// Whether `bucket` is a group bucket: a group, and not an index bucket
/// (an index bucket of the same name, made before the group, wins). An
/// index failure answers `false`, so the index path reports it.
pub(super) async fn is_group_bucket(inner: &Inner, bucket: &str) -> bool {
    if !is_group(inner, bucket).await {
        return false;
    }
    let name = bucket.to_string();
    let found = inner.index.read(move |ix| ix.get_bucket(&name)).await;
    matches!(found, Err(IndexError::NoSuchBucket(_)))
}

/// The refusal of any write to group bucket `bucket`.
pub(super) fn read_only(bucket: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::AccessDenied,
        format!("bucket {bucket:?} is FastDFS group {bucket}, served read-only by file ID"),
    )
}

/// The answer to listing a group bucket: AccessDenied to a tenant key,
/// NotImplemented to an admin key.
pub(super) async fn not_listable<T>(inner: &Inner, req: &S3Request<T>, bucket: &str) -> S3Error {
    if let Err(denied) = require_admin(inner, req, bucket).await {
        return denied;
    }
    S3Error::with_message(
        S3ErrorCode::NotImplemented,
        "listing a FastDFS group bucket is not supported; address files by ID",
    )
}

/// ListParts: a group bucket has no uploads (admin keys only).
pub(super) async fn list_parts(
    inner: &Inner,
    req: &S3Request<ListPartsInput>,
) -> S3Result<S3Response<ListPartsOutput>> {
    let input = &req.input;
    require_admin(inner, req, &input.bucket).await?;
    Err(S3Error::with_message(
        S3ErrorCode::NoSuchUpload,
        format!("no upload {:?}: group bucket {:?} is read-only", input.upload_id, input.bucket),
    ))
}

/// ListMultipartUploads: a group bucket has none, so the listing is empty
/// (admin keys only).
pub(super) async fn list_multipart_uploads(
    inner: &Inner,
    req: &S3Request<ListMultipartUploadsInput>,
) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
    let input = &req.input;
    require_admin(inner, req, &input.bucket).await?;
    Ok(S3Response::new(ListMultipartUploadsOutput {
        bucket: Some(input.bucket.clone()),
        prefix: input.prefix.clone(),
        delimiter: input.delimiter.clone(),
        key_marker: input.key_marker.clone(),
        upload_id_marker: input.upload_id_marker.clone(),
        max_uploads: Some(input.max_uploads.unwrap_or(1000)),
        is_truncated: Some(false),
        encoding_type: input.encoding_type.clone(),
        ..ListMultipartUploadsOutput::default()
    }))
}

/// What a storage says about one file: its size, tag, create time,
/// guessed type and metadata as an index object's head, so the reads share
/// [`super::read_plan`] with index objects; plus the count of metadata
/// entries that cannot be headers.
struct Stat {
    info: ObjectInfo,
    missing_meta: Option<i32>,
}

pub(super) async fn get_object(
    inner: &Inner,
    req: S3Request<GetObjectInput>,
) -> S3Result<S3Response<GetObjectOutput>> {
    require_admin(inner, &req, &req.input.bucket).await?;
    let input = req.input;
    let span = info_span!("s3.group.get_object", group = %input.bucket, key = %input.key);
    async {
        let (id, name) = parse_key(&input.bucket, &input.key)?;
        let conditions = input.preflight()?;
        let Stat { info, missing_meta } = stat(inner, &id, &name).await?;
        let data = ObjectData::Single(id.to_string());
        let sel = input.plan(&conditions, &info, Some(&data))?;
        let slices = slices(&data, sel.range.start, sel.range.end)?;
        let body = open_body(&inner.tracker, &inner.storage, slices).await?;
        Ok(Reply::new(&info, sel, &input, missing_meta).get(body))
    }
    .instrument(span)
    .await
}

pub(super) async fn head_object(
    inner: &Inner,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    require_admin(inner, &req, &req.input.bucket).await?;
    let input = req.input;
    let span = info_span!("s3.group.head_object", group = %input.bucket, key = %input.key);
    async {
        let (id, name) = parse_key(&input.bucket, &input.key)?;
        let conditions = input.preflight()?;
        let Stat { info, missing_meta } = stat(inner, &id, &name).await?;
        let sel = input.plan(&conditions, &info, None)?;
        Ok(Reply::new(&info, sel, &input, missing_meta).head())
    }
    .instrument(span)
    .await
}

/// The attributes of file `key` of group bucket `group`, for
/// GetObjectAttributes (admin keys only, as every read here).
pub(super) async fn file_info<T>(
    inner: &Inner,
    req: &S3Request<T>,
    group: &str,
    key: &str,
) -> S3Result<ObjectInfo> {
    require_admin(inner, req, group).await?;
    let (id, name) = parse_key(group, key)?;
    Ok(stat(inner, &id, &name).await?.info)
}

/// The file ID a key names in `group`, with its decoded name; NoSuchKey
/// for anything that cannot be a FastDFS file name, and for a file's `-m`
/// metadata sibling.
fn parse_key(group: &str, key: &str) -> S3Result<(FileId, NameInfo)> {
    let no_such_key =
        || S3Error::with_message(S3ErrorCode::NoSuchKey, format!("{key:?} is not a file ID"));
    let logic = LogicName::parse(key).map_err(|_| no_such_key())?;
    if is_metadata_sibling(logic.name()) {
        return Err(no_such_key());
    }
    let info = logic.info().map_err(|_| no_such_key())?;
    let id = FileId::new(group, logic).map_err(|_| no_such_key())?;
    Ok((id, info))
}

/// Whether `name` is the `-m` file in which a storage keeps the FastDFS
/// metadata of file `name` minus `-m`. Such a name also decodes as a slave
/// name, so it is told apart by its stem being a file name itself. (The
/// one slave name it shadows, prefix `-m` on a master without extension,
/// is the same path on the storage's disk, so FastDFS cannot keep both.)
fn is_metadata_sibling(name: &str) -> bool {
    name.strip_suffix(META_SUFFIX).is_some_and(|stem| NameInfo::decode(stem).is_ok())
}

/// A storage or tracker failure on a group-bucket read: a file ID the
/// group cannot hold (EINVAL: a store path it lacks, such as `M01` on a
/// one-path group or `MFF`, or a name it refuses) is as missing as a
/// deleted file, not a failure to retry.
fn read_error(e: ConnError) -> S3Error {
    if e.status() == Status::EINVAL {
        return S3Error::with_message(S3ErrorCode::NoSuchKey, format!("no such file: {e}"));
    }
    error::from_conn(e)
}

/// QUERY_FILE_INFO and GET_METADATA, side by side, on a storage the
/// tracker names for the file.
async fn stat(inner: &Inner, id: &FileId, name: &NameInfo) -> S3Result<Stat> {
    let (group, logic) = (id.group(), id.logic().as_str());
    let target = inner.tracker.query_fetch(group, logic).await.map_err(read_error)?;
    let addr = storage_socket_addr(&target.storage).map_err(read_error)?;
    let flags = QueryFileInfo::NO_CRC32 | QueryFileInfo::NO_LOG_MISSING;
    let (info, meta) = tokio::join!(
        inner.storage.query_file_info(addr, group, logic, flags),
        inner.storage.get_metadata(addr, group, logic),
    );
    let info = info.map_err(read_error)?;
    let meta = match meta {
        Ok(meta) => meta,
        // A file without metadata answers ENOENT.
        Err(e) if e.status() == Status::ENOENT => FdfsMetadata::new(),
        Err(e) => return Err(read_error(e)),
    };
    let created = u64::try_from(info.create_time).unwrap_or(0);
    let mtime = std::time::UNIX_EPOCH + Duration::from_secs(created);
    let (user, missing) = user_metadata(&meta);
    let head = ObjectInfo {
        key: logic.to_string(),
        size: info.file_size,
        etag: etag_value(Some((name.kind, name.crc32())), info.file_size, mtime),
        last_modified_ms: info.create_time.saturating_mul(1000),
        part_count: 0,
        meta: ObjectMeta {
            content_type: Some(content_type(id.name()).to_string()),
            user,
            ..ObjectMeta::default()
        },
        version_id: None,
    };
    Ok(Stat { info: head, missing_meta: (missing > 0).then_some(missing) })
}

/// FastDFS metadata as `x-amz-meta-*` entries (names lower-cased), and
/// how many entries could not be headers (`x-amz-missing-meta`).
fn user_metadata(meta: &FdfsMetadata) -> (BTreeMap<String, String>, i32) {
    let mut out = BTreeMap::new();
    let mut missing = 0i32;
    for (name, value) in meta.iter() {
        let name = std::str::from_utf8(name).ok().filter(|n| is_token(n));
        let value = std::str::from_utf8(value).ok().filter(|v| !v.chars().any(char::is_control));
        match (name, value) {
            (Some(n), Some(v)) => {
                out.insert(n.to_ascii_lowercase(), v.to_string());
            }
            _ => missing = missing.saturating_add(1),
        }
    }
    (out, missing)
}

/// An HTTP header-name token (RFC 9110 `tchar`s), non-empty.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use fdfs_protocol::filename::FileKind;
    use fdfs_protocol::metadata::Metadata as FdfsMetadata;

    use super::{is_metadata_sibling, is_token, parse_key, user_metadata};

    const NAME: &str = "M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt";

    #[test]
    fn keys_are_file_ids_without_the_group() {
        let (id, info) = parse_key("group1", NAME).unwrap();
        assert_eq!(id.to_string(), format!("group1/{NAME}"));
        assert_eq!(info.kind, FileKind::Normal);
        for bad in ["", "x", "group1/M00/00/2A/x", "M00/00/2A/short.txt", "M00/00/2A/../../etc"] {
            assert!(parse_key("group1", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metadata_siblings_are_never_keys() {
        let sibling = format!("{NAME}-m");
        assert!(parse_key("group1", &sibling).is_err());
        assert!(is_metadata_sibling("fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt-m"));
        // A slave whose prefix ends in -m but whose stem is no file name.
        assert!(!is_metadata_sibling("fwAAAmsH8l-Ad5C4AAAAFpR_bpI442_150-m.txt"));
        // A slave's own metadata sibling.
        assert!(is_metadata_sibling("fwAAAmsH8l-Ad5C4AAAAFpR_bpI442_150x150.txt-m"));
        assert!(!is_metadata_sibling("fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt"));
        let slave = "M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442_150x150.txt";
        assert!(parse_key("group1", slave).is_ok());
    }

    proptest::proptest! {
        /// A group-bucket key is network input: any text is answered
        /// without a panic, and the `-m` sibling of any file a key names
        /// is never a key itself.
        #[test]
        fn any_key_is_parsed_and_siblings_refused(
            key in "\\PC{0,140}",
            slave in "(_[a-z0-9]{1,10})?",
            ext in "(\\.[a-z]{1,6})?",
            dirs in (0u8..=255, 0u8..=255, 0u8..=255),
        ) {
            let _ = parse_key("group1", &key);
            let stem = NAME.rsplit('/').next().unwrap().trim_end_matches(".txt");
            let file =
                format!("M{:02X}/{:02X}/{:02X}/{stem}{slave}{ext}", dirs.0, dirs.1, dirs.2);
            proptest::prop_assume!(parse_key("group1", &file).is_ok());
            let sibling = format!("{file}-m");
            proptest::prop_assert!(parse_key("group1", &sibling).is_err());
        }
    }

    #[test]
    fn metadata_becomes_headers_or_is_counted_missing() {
        let mut meta = FdfsMetadata::new();
        meta.push("Width", "1024");
        meta.push("author", "zoë");
        meta.push("bad name", "x");
        meta.push("ctl", "a\nb");
        let (out, missing) = user_metadata(&meta);
        assert_eq!(out.get("width").map(String::as_str), Some("1024"));
        assert_eq!(out.get("author").map(String::as_str), Some("zoë"));
        assert_eq!(out.len(), 2);
        assert_eq!(missing, 2);
        assert_eq!(user_metadata(&FdfsMetadata::new()), (Default::default(), 0));
        assert!(is_token("x-a.b_c") && !is_token("") && !is_token("a:b"));
    }
}
