//! The XML request bodies the S3 gateway acts on (CompleteMultipartUpload,
//! Delete, CreateBucketConfiguration, as `s3s` parses them) and the
//! gateway's rewriting of XML error bodies (see
//! `fdfs_s3api::gateway::fuzzing::xml_bodies`).
//!
//! Run with `cargo +nightly fuzz run gateway_xml` from the repository
//! root.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    fdfs_s3api::gateway::fuzzing::xml_bodies(data);
});
