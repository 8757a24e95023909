//! The fdfs tracker: the cluster state a FastDFS tracker keeps, the policies
//! it answers "where do I upload" and "who serves this file" with, and the
//! SQLite persistence that lets a restarted tracker come back with the
//! cluster it knew (`fastdfs-protocol.md` §3, §4, §6, §9, §10).
//!
//! The model, placement and store are synchronous and free of networking:
//! the [`server`] (which decodes requests with `fdfs_protocol::tracker`
//! types) holds one [`Cluster`] behind a lock, calls one model operation per
//! storage command, answers queries with the [`placement`] functions, and
//! writes each change through to the [`Store`] off its async threads. The
//! model never reads the clock: every operation that cares takes `now` in
//! unix seconds.
//!
//! # Layout
//!
//! - [`config`]: [`TrackerPolicy`], the placement and liveness keys of
//!   `tracker.conf` with FastDFS's defaults, and [`ReservedSpace`].
//! - [`cluster`]: the in-memory model ([`Cluster`], [`Group`], [`Storage`])
//!   and its operations: join and the sync-source handshake, beats, disk
//!   and sync reports, status reports, liveness, deletion, snapshots for
//!   the monitoring replies and change responses.
//! - [`placement`]: `store_lookup`, `store_server`, `store_path` and
//!   `download_server`, the readability rule, QUERY_UPDATE.
//! - [`store`]: the SQLite [`Store`] (WAL, versioned schema, granular
//!   write-through saves and whole snapshots).
//! - [`server`]: the network server: sessions, command handlers, workers.
//! - [`settings`]: the TOML configuration of `fdfs tracker`.

pub mod cluster;
pub mod config;
pub mod placement;
pub mod server;
pub mod settings;
pub mod store;

pub use cluster::{Cluster, Group, RwMode, Storage};
pub use config::{ReservedSpace, TrackerPolicy};
pub use store::{Store, StoreError};
