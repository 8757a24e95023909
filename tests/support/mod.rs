//! Shared helpers of the integration tests: spawning `fdfs` role processes
//! on loopback, and a test peer speaking the storage side of the tracker
//! protocol (until the storage server exists).
#![allow(dead_code)]

pub mod process;
pub mod s3;
pub mod storage_peer;
