//! Bucket lifecycle: the rules of PutBucketLifecycleConfiguration and the
//! background worker that applies them.
//!
//! A configuration is validated once, as AWS validates it, into a
//! [`model::Configuration`] the index stores per bucket (one row per rule).
//! Everything after that is pure evaluation ([`eval`]) driven by the
//! worker ([`worker`]), which walks the buckets that have rules in small
//! index transactions and remembers where it is, so writes are never held
//! up for long and a restart resumes the pass.
//!
//! # Layout
//!
//! - [`model`] — the validated configuration.
//! - [`parse`] — s3s DTOs ⇄ model, with AWS's errors.
//! - [`eval`] — expiry dates (days rounded up to midnight UTC), the
//!   `x-amz-expiration` header, which versions, markers and uploads go.
//! - [`plan`] — what the rules do to one key and its versions.
//! - [`markers`] — the files that record the delete markers it makes.
//! - [`tags`] — the tag set filters are evaluated against (empty until
//!   object tagging exists).
//! - [`worker`] — the background worker, its settings and its progress.

pub mod eval;
pub mod markers;
pub mod model;
pub mod parse;
pub mod plan;
pub mod tags;
pub mod worker;

#[cfg(test)]
mod tests;

pub use model::Configuration;
