//! Loading each role's configuration from a file: our TOML format, or
//! FastDFS's own `.conf` files for users bringing an existing deployment.
//!
//! # Layout
//!
//! - [`fastdfs_conf`]: the generic FastDFS `key = value` reader.
//! - [`tracker`]: `fdfs tracker --config`: TOML, or a FastDFS `tracker.conf`
//!   mapped onto the same settings.
//! - [`storage`]: `fdfs storage --config`: TOML, or a FastDFS `storage.conf`.
//! - [`gateway`]: `fdfs gateway --config`: TOML only (FastDFS has no
//!   gateway).

pub mod fastdfs_conf;
pub mod gateway;
pub mod storage;
pub mod tracker;
