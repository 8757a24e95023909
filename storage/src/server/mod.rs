//! The storage server: the listener and per-connection sessions around the
//! shared [`StorageState`].
//!
//! # Layout
//!
//! - [`state`]: the shared state; [`stats`]: heartbeat counters.
//! - [`session`]: one connection, dispatch by command code.
//! - [`body`]: bounded heads and timed content readers.
//! - `upload`, `files`, `appender`: the client commands.
//! - [`worm`]: whom a file's retention tags bind (`lock_admin_hosts`).
//! - [`run`]: start-up and the run loop; [`facts`]: what the reporter reads
//!   and learns; [`init_flag`]: the persisted join state.

pub mod body;
pub mod facts;
pub mod init_flag;
pub mod run;
pub mod session;
pub mod state;
pub mod stats;
pub mod worm;

mod appender;
mod files;
mod upload;

pub use run::{StartError, StorageConfig, StorageServer};
pub use session::StorageHandler;
pub use state::StorageState;
