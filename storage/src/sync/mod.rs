//! Replication inside the group (`fastdfs-protocol.md` §5.2, §6, §9).
//!
//! Every storage pushes the changes it originated to each group peer by
//! replaying its binlog, one worker per peer, from the position saved in
//! the peer's mark file; the peer applies each change under the same name,
//! logs it as a replica record and credits the source for SYNC_REPORT. A
//! new member is filled by its sync source, which replays its whole binlog
//! (replica records included) before the member becomes ACTIVE.
//!
//! # Layout
//!
//! - [`receive`] (+ `apply`): the receiving side — the sync commands on
//!   the storage port; `path_binlog`: FETCH_ONE_PATH_BINLOG; `guard`:
//!   retention for senders that are not group members.
//! - [`SyncManager`] (`manager`): one worker per peer from the trackers'
//!   group list; `worker`: the per-peer loop, marks, backoff; `handshake`:
//!   a new member's full sync; `push`: one peer connection and the command
//!   for each record.
//! - [`SyncConfig`] (`config`): what the sending side needs.
//! - [`SyncShared`] (`shared`): state shared with the server and the
//!   reporter — per-source timestamps for SYNC_REPORT and per-peer progress
//!   for `sync_replicas`; [`Tombstones`] (`tombstones`): names deleted
//!   lately, so a create replayed after a sender's crash is not applied.
//!
//! # Starting it
//!
//! The server builds [`SyncShared::new`] into its state, then runs
//! `SyncManager::new(config).run(state, members, shutdown)` next to its
//! listener, with `config = SyncConfig::new(<own IP>, <reporter dialer bound
//! to the own IP>, <trackers>)` and `members` the group list the reporter
//! learns.

mod apply;
mod config;
mod guard;
mod handshake;
mod manager;
mod path_binlog;
mod push;
pub mod receive;
mod shared;
mod tombstones;
mod worker;

pub use config::SyncConfig;
pub use manager::SyncManager;
pub use shared::SyncShared;
pub use tombstones::Tombstones;
