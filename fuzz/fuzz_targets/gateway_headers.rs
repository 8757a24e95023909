//! The S3 gateway's handling of a request head before and around `s3s`:
//! Date → x-amz-date, presigned-URL lifetimes, the ignored-Range decision,
//! Host → bucket, the access log's reading of bucket, key and key ID
//! (see `fdfs_s3api::gateway::fuzzing::request_head` for the invariants).
//!
//! Run with `cargo +nightly fuzz run gateway_headers` from the repository
//! root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fdfs_s3api::gateway::fuzzing::request_head(data);
});
