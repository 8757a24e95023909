//! The S3 gateway's checks of what names an object: key and user-metadata
//! limits, `x-amz-copy-source-range`, Content-MD5 (see
//! `fdfs_s3api::gateway::fuzzing::object_names`).
//!
//! Run with `cargo +nightly fuzz run gateway_names` from the repository
//! root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fdfs_s3api::gateway::fuzzing::object_names(data);
});
