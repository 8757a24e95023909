//! The S3 gateway: [`Gateway`] implements [`s3s::S3`] thinly and hands
//! each operation to the module of its family, so each file holds one
//! concern and the trait impl reads as a routing table.
//!
//! # Layout
//!
//! - this file — [`Gateway`], its shared state and the `S3` impl.
//! - [`error`] — our errors as S3 error codes, by an explicit table.
//! - [`auth`] — secrets from the index's access keys.
//! - [`access`] — the access decision: owners, ACLs, the policy hook.
//! - `principal` — the owner and admin flag of the key that signed a
//!   request; group buckets are for admin keys.
//! - `bucket` — CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation;
//!   `list_buckets` — ListBuckets; `owner` — the `<Owner>` of listings.
//! - `object_put`, `object_get`, `object_delete` — PutObject; GetObject
//!   and HeadObject; DeleteObject.
//! - `limits` — S3's key and user-metadata size limits.
//! - `list` — ListObjectsV2; `list_v1` — ListObjects (v1);
//!   `list_versions` — ListObjectVersions.
//! - `versioning` — Put/GetBucketVersioning.
//! - `object_attributes` — GetObjectAttributes.
//! - `copy` — CopyObject; `batch` — DeleteObjects.
//! - `group_bucket` — buckets named like a FastDFS group: its files by
//!   file ID, read-only.
//! - `conditions` — If-Match & co. on reads and copy-source conditions.
//! - `read_plan` — what a GET/HEAD answers: 304/412, range or part, headers.
//! - `multipart` (+ `copy_part`: UploadPartCopy) — multipart uploads and the stale-upload reaper.
//! - [`drainer`] — the background worker deleting queued files.
//! - [`server`] — the gateway process; [`net`] — its connections: the
//!   accept loop, timeouts (head, idle, body stall) and the connection cap.
//! - `vhost` — virtual-hosted-style addressing; `http_fixups` — 304 bodies
//!   and HEAD 206, which `s3s` cannot express.
//! - `bucket_encryption` — Put/Get/DeleteBucketEncryption (a bucket's
//!   default SSE-S3).
//! - `bucket_lifecycle` — Put/Get/DeleteBucketLifecycle and the
//!   `x-amz-expiration` header (the worker is [`crate::lifecycle`]).
//! - `bucket_policy`, `public_access_block` — bucket policies (the
//!   language is [`crate::policy`]) and the Public Access Block switches.
//! - `object_lock` — Object Lock: bucket configuration, retention and
//!   legal hold, the lock headers of writes and reads.
//! - `tagging` — object (per version) and bucket tagging, `x-amz-tagging`.
//! - `bucket_cors` — Put/Get/DeleteBucketCors; `browser` — what browsers
//!   need in the HTTP layer: CORS preflights and headers, POST object.
//! - `sse` — server-side encryption headers (SSE-S3, SSE-C; SSE-KMS
//!   refused) as the parameter of the write and read paths;
//!   [`transport`] — whether a request came over a secure transport.

pub(crate) mod access;
pub mod access_log;
pub mod auth;
pub mod config_backup;
pub mod drainer;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod net;
pub mod server;
pub mod transport;

mod acl;
mod batch;
mod browser;
mod bucket;
mod bucket_cache;
mod bucket_cors;
mod bucket_encryption;
mod bucket_lifecycle;
mod bucket_policy;
mod conditions;
mod copy;
mod delete_marker;
mod file_fetch;
mod group_bucket;
mod http_fixups;
mod ignored_range;
mod limits;
mod list;
mod list_buckets;
mod list_v1;
mod list_versions;
mod multipart;
mod object_attributes;
mod object_delete;
mod object_get;
mod object_lock;
mod object_put;
mod owner;
mod principal;
mod public_access_block;
mod public_acl;
mod read_plan;
mod read_reply;
mod refusal_log;
mod request_fixups;
mod request_id;
mod request_meta;
mod request_target;
mod sealed_read;
mod service;
mod sigv2_fixups;
mod sigv4_fixups;
mod sse;
mod sse_copy;
mod tagging;
mod unsized_body;
mod version_order;
mod versioning;
mod vhost;
mod write_conditions;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fdfs_protocol::client::{StorageClient, TrackerClient};
use s3s::dto::{
    AbortMultipartUploadInput, AbortMultipartUploadOutput, CompleteMultipartUploadInput,
    CompleteMultipartUploadOutput, CreateMultipartUploadInput, CreateMultipartUploadOutput,
    ListMultipartUploadsInput, ListMultipartUploadsOutput, ListPartsInput, ListPartsOutput,
    UploadPartInput, UploadPartOutput,
};
use s3s::dto::{
    CopyObjectInput, CopyObjectOutput, DeleteObjectsInput, DeleteObjectsOutput,
    ListObjectVersionsInput, ListObjectVersionsOutput, ListObjectsInput, ListObjectsOutput,
};
use s3s::dto::{
    CreateBucketInput, CreateBucketOutput, DeleteBucketInput, DeleteBucketOutput,
    DeleteObjectInput, DeleteObjectOutput, GetBucketLocationInput, GetBucketLocationOutput,
    GetObjectInput, GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput,
    HeadObjectOutput, ListBucketsInput, ListBucketsOutput, ListObjectsV2Input, ListObjectsV2Output,
    PutObjectInput, PutObjectOutput, Timestamp,
};
use s3s::{S3, S3Request, S3Response, S3Result};
use tokio::sync::Notify;

use crate::crypto::MasterKey;
use crate::index::IndexHandle;

/// The owner name of keys created without one, and of the env key.
pub const DEFAULT_OWNER: &str = "owner";

/// The S3 service over a FastDFS cluster.
#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

/// What every operation shares.
pub(crate) struct Inner {
    pub index: IndexHandle,
    pub tracker: TrackerClient,
    pub storage: StorageClient,
    /// Woken when a write put files on the delete queue.
    pub deletes: Arc<Notify>,
    /// The tracker's group names, for routing group buckets.
    pub groups: group_bucket::GroupCache,
    /// The data directory's master key: it seals the access key secrets
    /// in the index and wraps the data keys of SSE-S3 objects.
    pub master_key: MasterKey,
    /// The length of a lifecycle day in ms (86,400,000 but in tests; see
    /// [`crate::lifecycle::worker`]), for `x-amz-expiration`.
    pub lifecycle_day_ms: i64,
    /// Lifecycle configurations by bucket, for `x-amz-expiration`.
    pub lifecycle_rules: bucket_cache::BucketCache<crate::lifecycle::Configuration>,
    /// CORS configurations by bucket, for the HTTP layer (slice browser).
    pub cors_rules: bucket_cache::BucketCache<crate::cors::CorsConfig>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway").field("trackers", &self.inner.tracker.trackers()).finish()
    }
}

impl Gateway {
    /// A gateway over `index`, routing through `tracker` to `storage`.
    /// `deletes` is the drainer's wake-up (see [`drainer::Drainer`]);
    /// `master_key` seals the index's secrets and wraps SSE-S3 data keys.
    pub fn new(
        index: IndexHandle,
        tracker: TrackerClient,
        storage: StorageClient,
        deletes: Arc<Notify>,
        master_key: MasterKey,
    ) -> Self {
        let groups = group_bucket::GroupCache::default();
        let lifecycle_day_ms = crate::lifecycle::eval::DAY_MS;
        let inner = Inner {
            index,
            tracker,
            storage,
            deletes,
            groups,
            master_key,
            lifecycle_day_ms,
            lifecycle_rules: bucket_cache::BucketCache::new(crate::index::Index::get_lifecycle),
            cors_rules: bucket_cache::BucketCache::new(crate::index::Index::get_cors),
        };
        Self { inner: Arc::new(inner) }
    }

    /// The shared state, for background work that acts as the gateway
    /// does (the lifecycle worker's marker files).
    pub(crate) fn inner(&self) -> Arc<Inner> {
        Arc::clone(&self.inner)
    }

    /// This gateway with lifecycle days `day` long (tests shorten them);
    /// call it before the gateway is cloned.
    pub fn with_lifecycle_day(mut self, day: Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.lifecycle_day_ms = crate::lifecycle::worker::ms_of(day);
        }
        self
    }

    /// The master key the index's secrets are sealed with.
    pub fn master_key(&self) -> &MasterKey {
        &self.inner.master_key
    }

    /// Whether `bucket` is a group bucket (see `group_bucket`).
    async fn is_group_bucket(&self, bucket: &str) -> bool {
        group_bucket::is_group_bucket(&self.inner, bucket).await
    }

    /// AccessDenied when the request sets a public ACL (by header) on a
    /// bucket whose Public Access Block has BlockPublicAcls (slice `policy`).
    async fn refuse_blocked_public_acl(
        &self,
        headers: &http::HeaderMap,
        bucket: &str,
    ) -> S3Result<()> {
        let public = public_acl::headers_set_public_acl(headers);
        public_acl::refuse_if_blocked(&self.inner, bucket, public).await
    }

    /// AccessDenied when `bucket` is a group bucket: those are read-only.
    async fn refuse_group_write(&self, bucket: &str) -> S3Result<()> {
        if self.is_group_bucket(bucket).await {
            return Err(group_bucket::read_only(bucket));
        }
        Ok(())
    }
}

/// Now as unix ms.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Unix ms as an S3 timestamp.
pub(crate) fn timestamp(ms: i64) -> Timestamp {
    let ms = u64::try_from(ms).unwrap_or(0);
    Timestamp::from(UNIX_EPOCH + Duration::from_millis(ms))
}

/// The requester's owner name: the owner of the access key that signed
/// the request, or `access::canonical::ANONYMOUS` for an unsigned
/// request the access decision allowed (it refused the others).
pub(crate) async fn owner_of<T>(inner: &Inner, req: &S3Request<T>) -> S3Result<String> {
    Ok(principal::principal_of(inner, req).await?.owner)
}

#[async_trait::async_trait]
impl S3 for Gateway {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        list_buckets::list_buckets(&self.inner, req).await
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        bucket::create_bucket(&self.inner, req).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        bucket::delete_bucket(&self.inner, req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        bucket::head_bucket(&self.inner, req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        bucket::get_bucket_location(&self.inner, req).await
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        self.refuse_blocked_public_acl(&req.headers, &req.input.bucket).await?;
        object_put::put_object(&self.inner, req).await
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        if self.is_group_bucket(&req.input.bucket).await {
            return group_bucket::get_object(&self.inner, req).await;
        }
        object_get::get_object(&self.inner, req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        if self.is_group_bucket(&req.input.bucket).await {
            return group_bucket::head_object(&self.inner, req).await;
        }
        object_get::head_object(&self.inner, req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        object_delete::delete_object(&self.inner, req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        if self.is_group_bucket(&req.input.bucket).await {
            return Err(group_bucket::not_listable(&self.inner, &req, &req.input.bucket).await);
        }
        list::list_objects_v2(&self.inner, req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        self.refuse_blocked_public_acl(&req.headers, &req.input.bucket).await?;
        multipart::create_multipart_upload(&self.inner, req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        multipart::upload_part(&self.inner, req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<s3s::dto::UploadPartCopyInput>,
    ) -> S3Result<S3Response<s3s::dto::UploadPartCopyOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        multipart::copy_part::upload_part_copy(&self.inner, req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        multipart::complete_multipart_upload(&self.inner, req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        multipart::abort_multipart_upload(&self.inner, req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        if self.is_group_bucket(&req.input.bucket).await {
            return group_bucket::list_parts(&self.inner, &req).await;
        }
        multipart::list_parts(&self.inner, req).await
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        if self.is_group_bucket(&req.input.bucket).await {
            return group_bucket::list_multipart_uploads(&self.inner, &req).await;
        }
        multipart::list_multipart_uploads(&self.inner, req).await
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        self.refuse_blocked_public_acl(&req.headers, &req.input.bucket).await?;
        copy::copy_object(&self.inner, req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        batch::delete_objects(&self.inner, req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        if self.is_group_bucket(&req.input.bucket).await {
            return Err(group_bucket::not_listable(&self.inner, &req, &req.input.bucket).await);
        }
        list_v1::list_objects(&self.inner, req).await
    }

    async fn put_bucket_encryption(
        &self,
        req: S3Request<s3s::dto::PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<s3s::dto::PutBucketEncryptionOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        bucket_encryption::put_bucket_encryption(&self.inner, req).await
    }

    async fn get_bucket_encryption(
        &self,
        req: S3Request<s3s::dto::GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<s3s::dto::GetBucketEncryptionOutput>> {
        bucket_encryption::get_bucket_encryption(&self.inner, req).await
    }

    async fn delete_bucket_encryption(
        &self,
        req: S3Request<s3s::dto::DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<s3s::dto::DeleteBucketEncryptionOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        bucket_encryption::delete_bucket_encryption(&self.inner, req).await
    }

    async fn put_bucket_lifecycle_configuration(
        &self,
        req: S3Request<s3s::dto::PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<s3s::dto::PutBucketLifecycleConfigurationOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        bucket_lifecycle::put_bucket_lifecycle(&self.inner, req).await
    }

    async fn get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<s3s::dto::GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<s3s::dto::GetBucketLifecycleConfigurationOutput>> {
        bucket_lifecycle::get_bucket_lifecycle(&self.inner, req).await
    }

    async fn delete_bucket_lifecycle(
        &self,
        req: S3Request<s3s::dto::DeleteBucketLifecycleInput>,
    ) -> S3Result<S3Response<s3s::dto::DeleteBucketLifecycleOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        bucket_lifecycle::delete_bucket_lifecycle(&self.inner, req).await
    }

    async fn get_object_attributes(
        &self,
        req: S3Request<s3s::dto::GetObjectAttributesInput>,
    ) -> S3Result<S3Response<s3s::dto::GetObjectAttributesOutput>> {
        object_attributes::get_object_attributes(&self.inner, req).await
    }

    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        if self.is_group_bucket(&req.input.bucket).await {
            return Err(group_bucket::not_listable(&self.inner, &req, &req.input.bucket).await);
        }
        list_versions::list_object_versions(&self.inner, req).await
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<s3s::dto::PutBucketVersioningInput>,
    ) -> S3Result<S3Response<s3s::dto::PutBucketVersioningOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        versioning::put_bucket_versioning(&self.inner, req).await
    }

    async fn get_bucket_versioning(
        &self,
        req: S3Request<s3s::dto::GetBucketVersioningInput>,
    ) -> S3Result<S3Response<s3s::dto::GetBucketVersioningOutput>> {
        versioning::get_bucket_versioning(&self.inner, req).await
    }

    async fn put_object_lock_configuration(
        &self,
        req: S3Request<s3s::dto::PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<s3s::dto::PutObjectLockConfigurationOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        object_lock::config::put_object_lock_configuration(&self.inner, req).await
    }

    async fn get_object_lock_configuration(
        &self,
        req: S3Request<s3s::dto::GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<s3s::dto::GetObjectLockConfigurationOutput>> {
        object_lock::config::get_object_lock_configuration(&self.inner, req).await
    }

    async fn put_object_retention(
        &self,
        req: S3Request<s3s::dto::PutObjectRetentionInput>,
    ) -> S3Result<S3Response<s3s::dto::PutObjectRetentionOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        object_lock::retention::put_object_retention(&self.inner, req).await
    }

    async fn get_object_retention(
        &self,
        req: S3Request<s3s::dto::GetObjectRetentionInput>,
    ) -> S3Result<S3Response<s3s::dto::GetObjectRetentionOutput>> {
        object_lock::retention::get_object_retention(&self.inner, req).await
    }

    async fn put_object_legal_hold(
        &self,
        req: S3Request<s3s::dto::PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<s3s::dto::PutObjectLegalHoldOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        object_lock::retention::put_object_legal_hold(&self.inner, req).await
    }

    async fn get_object_legal_hold(
        &self,
        req: S3Request<s3s::dto::GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<s3s::dto::GetObjectLegalHoldOutput>> {
        object_lock::retention::get_object_legal_hold(&self.inner, req).await
    }

    // Slice `tagging`: object and bucket tagging (see `tagging`).

    async fn put_object_tagging(
        &self,
        req: S3Request<s3s::dto::PutObjectTaggingInput>,
    ) -> S3Result<S3Response<s3s::dto::PutObjectTaggingOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        tagging::object::put_object_tagging(&self.inner, req).await
    }

    async fn get_object_tagging(
        &self,
        req: S3Request<s3s::dto::GetObjectTaggingInput>,
    ) -> S3Result<S3Response<s3s::dto::GetObjectTaggingOutput>> {
        tagging::object::get_object_tagging(&self.inner, req).await
    }

    async fn delete_object_tagging(
        &self,
        req: S3Request<s3s::dto::DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<s3s::dto::DeleteObjectTaggingOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        tagging::object::delete_object_tagging(&self.inner, req).await
    }

    async fn put_bucket_tagging(
        &self,
        req: S3Request<s3s::dto::PutBucketTaggingInput>,
    ) -> S3Result<S3Response<s3s::dto::PutBucketTaggingOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        tagging::bucket::put_bucket_tagging(&self.inner, req).await
    }

    async fn get_bucket_tagging(
        &self,
        req: S3Request<s3s::dto::GetBucketTaggingInput>,
    ) -> S3Result<S3Response<s3s::dto::GetBucketTaggingOutput>> {
        tagging::bucket::get_bucket_tagging(&self.inner, req).await
    }

    async fn delete_bucket_tagging(
        &self,
        req: S3Request<s3s::dto::DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<s3s::dto::DeleteBucketTaggingOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        tagging::bucket::delete_bucket_tagging(&self.inner, req).await
    }

    // Slice browser: CORS configuration (preflights and headers are in
    // `browser`, in the HTTP layer).

    async fn put_bucket_cors(
        &self,
        req: S3Request<s3s::dto::PutBucketCorsInput>,
    ) -> S3Result<S3Response<s3s::dto::PutBucketCorsOutput>> {
        bucket_cors::put_bucket_cors(&self.inner, req).await
    }

    async fn get_bucket_cors(
        &self,
        req: S3Request<s3s::dto::GetBucketCorsInput>,
    ) -> S3Result<S3Response<s3s::dto::GetBucketCorsOutput>> {
        bucket_cors::get_bucket_cors(&self.inner, req).await
    }

    async fn delete_bucket_cors(
        &self,
        req: S3Request<s3s::dto::DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<s3s::dto::DeleteBucketCorsOutput>> {
        bucket_cors::delete_bucket_cors(&self.inner, req).await
    }

    // --- acl: ACLs and Object Ownership (gateway/acl) ---

    async fn get_bucket_acl(
        &self,
        req: S3Request<s3s::dto::GetBucketAclInput>,
    ) -> S3Result<S3Response<s3s::dto::GetBucketAclOutput>> {
        acl::get_bucket_acl(&self.inner, req).await
    }

    async fn put_bucket_acl(
        &self,
        req: S3Request<s3s::dto::PutBucketAclInput>,
    ) -> S3Result<S3Response<s3s::dto::PutBucketAclOutput>> {
        acl::put_bucket_acl(&self.inner, req).await
    }

    async fn get_object_acl(
        &self,
        req: S3Request<s3s::dto::GetObjectAclInput>,
    ) -> S3Result<S3Response<s3s::dto::GetObjectAclOutput>> {
        acl::get_object_acl(&self.inner, req).await
    }

    async fn put_object_acl(
        &self,
        req: S3Request<s3s::dto::PutObjectAclInput>,
    ) -> S3Result<S3Response<s3s::dto::PutObjectAclOutput>> {
        acl::put_object_acl(&self.inner, req).await
    }

    async fn put_bucket_ownership_controls(
        &self,
        req: S3Request<s3s::dto::PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<s3s::dto::PutBucketOwnershipControlsOutput>> {
        acl::put_bucket_ownership_controls(&self.inner, req).await
    }

    async fn get_bucket_ownership_controls(
        &self,
        req: S3Request<s3s::dto::GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<s3s::dto::GetBucketOwnershipControlsOutput>> {
        acl::get_bucket_ownership_controls(&self.inner, req).await
    }

    async fn delete_bucket_ownership_controls(
        &self,
        req: S3Request<s3s::dto::DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<s3s::dto::DeleteBucketOwnershipControlsOutput>> {
        acl::delete_bucket_ownership_controls(&self.inner, req).await
    }

    // Slice `policy`: bucket policies and the Public Access Block.

    async fn put_bucket_policy(
        &self,
        req: S3Request<s3s::dto::PutBucketPolicyInput>,
    ) -> S3Result<S3Response<s3s::dto::PutBucketPolicyOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        bucket_policy::put_bucket_policy(&self.inner, req).await
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<s3s::dto::GetBucketPolicyInput>,
    ) -> S3Result<S3Response<s3s::dto::GetBucketPolicyOutput>> {
        bucket_policy::get_bucket_policy(&self.inner, req).await
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<s3s::dto::DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<s3s::dto::DeleteBucketPolicyOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        bucket_policy::delete_bucket_policy(&self.inner, req).await
    }

    async fn get_bucket_policy_status(
        &self,
        req: S3Request<s3s::dto::GetBucketPolicyStatusInput>,
    ) -> S3Result<S3Response<s3s::dto::GetBucketPolicyStatusOutput>> {
        bucket_policy::get_bucket_policy_status(&self.inner, req).await
    }

    async fn put_public_access_block(
        &self,
        req: S3Request<s3s::dto::PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<s3s::dto::PutPublicAccessBlockOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        public_access_block::put_public_access_block(&self.inner, req).await
    }

    async fn get_public_access_block(
        &self,
        req: S3Request<s3s::dto::GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<s3s::dto::GetPublicAccessBlockOutput>> {
        public_access_block::get_public_access_block(&self.inner, req).await
    }

    async fn delete_public_access_block(
        &self,
        req: S3Request<s3s::dto::DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<s3s::dto::DeletePublicAccessBlockOutput>> {
        self.refuse_group_write(&req.input.bucket).await?;
        public_access_block::delete_public_access_block(&self.inner, req).await
    }
}
