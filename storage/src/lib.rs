//! The fdfs storage server: files under FastDFS file IDs in store paths,
//! the binlog of every change, replication to the other storages of the
//! group, and reporting to every tracker (`fastdfs-protocol.md` §3.3, §5,
//! §7, §8, §9).
//!
//! # Layout
//!
//! - [`store`]: the local file engine — store paths `M00..`, the `HH/LL`
//!   fan-out, generated names, crash-safe writes (temp file, fsync, rename),
//!   appender operations, metadata files, disk space.
//! - [`binlog`]: the change log in FastDFS's record format, its readers and
//!   the per-peer sync marks.
//! - [`reporter`]: one reporting loop per tracker (join, beats, disk and sync
//!   reports) and the group membership it learns.
//! - [`server`]: the network server: sessions and the client commands.
//! - [`sync`]: replication to and from the other storages of the group.
//! - [`http`]: HTTP downloads by file ID, like FastDFS's nginx module.
//! - [`settings`]: the TOML configuration of `fdfs storage`.

pub mod binlog;
pub mod http;
pub mod reporter;
pub mod server;
pub mod settings;
pub mod store;
pub mod sync;
