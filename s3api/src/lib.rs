//! The fdfs S3 gateway: buckets map to FastDFS groups, objects to file IDs.
//!
//! The gateway (on `s3s` over hyper) keeps the namespace in
//! an index and never stores object bytes itself: a PUT streams to the
//! storage the tracker picked, and only after the storage acknowledged the
//! bytes does the index row appear; a GET streams from a storage that has
//! the file. Overwrites and deletes hand old file IDs to a persistent
//! delete queue; copies share file IDs by reference count.
//!
//! # Layout
//!
//! - [`index`]: the SQLite namespace index — buckets, objects and their
//!   file IDs or part manifests, multipart uploads, access keys, file
//!   refcounts, the delete queue and upload intents — with a blocking core
//!   ([`index::Index`]) and an async facade ([`index::IndexHandle`]).
//! - [`checksum`]: body integrity — `Content-MD5` and `x-amz-checksum-*`
//!   verified in one streaming pass, multipart ETags and composite /
//!   full-object checksums (`s3s` verifies none of these).
//! - [`gateway`]: the S3 service (`impl s3s::S3`, one module per
//!   operation family), authentication from the index's keys, the
//!   delete-queue drainer and the HTTP server.
//! - [`rebuild`]: the S3 tags in each file's FastDFS metadata, the index
//!   rebuild from the storages and the orphan sweep's full comparison.
//! - [`crypto`]: encryption at rest — the master key that seals secrets
//!   in the index and the data keys of encrypted objects.
//! - [`lifecycle`]: bucket lifecycle rules (AWS's validation, expiry
//!   dates) and the background worker that expires objects and uploads.
//! - [`policy`]: bucket policies — the IAM policy language (parse,
//!   validate, evaluate, public or not), with no I/O.
//! - [`cors`]: bucket CORS rules (AWS's validation) and their matching
//!   against browsers' preflight and actual requests.
//! - [`encoding`]: percent-encoding of listing keys for `encoding-type=url`
//!   (`s3s` leaves it to the implementation).

pub mod checksum;
pub mod cors;
pub mod crypto;
pub mod encoding;
pub mod gateway;
pub mod index;
pub mod lifecycle;
pub mod policy;
pub mod rebuild;
