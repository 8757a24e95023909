//! The fdfs S3 gateway on `s3s`: buckets map to groups, objects to file IDs.
//!
//! Not built yet (see the project's issues); the crate exists so the workspace
//! layout and dependency direction (`protocol` ← `s3api`) are fixed from day one.
