//! Async FastDFS clients over pooled persistent connections.
//!
//! # Layout
//!
//! - [`pool`]: per-server pools of persistent connections with health checks.
//! - [`storage`]: the storage commands; [`download`]: a streamed download body;
//!   [`streamed`]: streamed requests that survive a dead pooled connection.
//! - [`upload_meta`]: upload with metadata (an fdfs extension, with the
//!   FastDFS fallback); [`binlog`]: a storage's binlog lines of a store path.
//! - [`tracker`]: client queries and monitoring, with tracker failover.

pub mod binlog;
pub mod download;
pub mod pool;
pub mod storage;
pub mod streamed;
pub mod tracker;
pub mod upload_meta;

pub use download::Download;
pub use pool::{Pool, PoolConfig, PooledConnection};
pub use storage::{Content, StorageClient};
pub use tracker::{TrackerClient, storage_socket_addr};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    /// Client futures must be spawnable on a multi-threaded runtime (a
    /// closure-based retry helper once made them `!Send`).
    #[test]
    fn client_futures_are_send() {
        let addr: std::net::SocketAddr = "127.0.0.1:1".parse().unwrap();
        let tracker = TrackerClient::new(vec![addr], Pool::default()).unwrap();
        let storage = StorageClient::default();
        assert_send(tracker.query_store(None));
        assert_send(tracker.list_groups());
        assert_send(tracker.delete_storage("g", "1.2.3.4"));
        assert_send(storage.delete(addr, "g", "M00/00/00/x"));
        assert_send(storage.query_file_info(addr, "g", "M00/00/00/x", 0));
        assert_send(storage.download(addr, "g", "M00/00/00/x", 0, 0));
        let mut reader: &[u8] = b"abc";
        assert_send(storage.upload(addr, 0, "txt", false, Content { len: 3, reader: &mut reader }));
    }
}
