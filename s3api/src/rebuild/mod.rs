//! Rebuilding the index from the storages, and finding orphans there.
//!
//! Every file the gateway stores carries its bucket and key in its FastDFS
//! metadata ([`tags`]). [`scan`] lists the files of every group from a
//! storage's binlog (FETCH_ONE_PATH_BINLOG, replayed into the set of live
//! files). [`build`] (with `assemble`) turns the tagged files into a fresh index
//! (`fdfs gateway rebuild-index`); [`sweep`] queues tagged files no index
//! row references (the orphan sweep's full comparison mode).

pub mod acl_tags;
mod assemble;
pub mod build;
pub mod lock_restore;
pub mod lock_tags;
pub mod object_tags;
pub mod scan;
pub mod sweep;
pub mod tags;
pub mod version_tags;

pub use build::{RebuildError, RebuildReport, rebuild_index};
pub use scan::{LiveFile, ScanError, live_files};
pub use sweep::{SweepError, SweepReport, sweep_orphans};
