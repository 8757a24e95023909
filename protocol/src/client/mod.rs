//! Async FastDFS clients over pooled persistent connections.
//!
//! # Layout
//!
//! - [`pool`]: per-server pools of persistent connections with health checks.
//! - [`storage`]: the storage commands; [`download`]: a streamed download body.
//! - [`tracker`]: client queries and monitoring, with tracker failover.

pub mod download;
pub mod pool;
pub mod storage;
pub mod tracker;

pub use download::Download;
pub use pool::{Pool, PoolConfig, PooledConnection};
pub use storage::{Content, StorageClient};
pub use tracker::{TrackerClient, storage_socket_addr};
