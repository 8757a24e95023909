//! The FastDFS wire protocol, byte for byte as FastDFS 6.15+ speaks it.
//!
//! Trackers, storages, the S3 gateway and the command-line tools all speak
//! through this crate, so there is exactly one definition of every layout.
//! Message bodies that carry file content are never buffered here: typed
//! structs hold only the fixed fields, and content streams through
//! [`connection::Connection`].
//!
//! # Layout
//!
//! - [`header`]: the 10-byte header codec.
//! - [`cmd`]: command codes; [`status`]: response status (errno) values.
//! - [`consts`]: field widths and protocol limits.
//! - [`wire`]: bounds-checked fixed-width field reader and writer helpers.
//! - [`message`]: the `Encode` / `Decode` / `Request` / `Streamed` traits.
//! - [`error`]: decode errors.
//! - [`tracker`]: typed tracker messages (client queries, monitoring,
//!   storage→tracker reports, tracker↔tracker).
//! - [`storage`]: typed storage messages (client commands, sync commands).
//! - [`metadata`]: the metadata record encoding.
//! - [`file_id`], [`filename`], [`base64`]: file IDs and generated names.
//! - [`file_http`]: a stored file's content type and entity tag over HTTP.
//! - [`ip_width`]: the IP field width of replies (`response_ip_addr_size`).
//! - [`connection`]: a framed connection that streams bodies.
//! - [`client`]: pooled async tracker and storage clients.
//! - [`server`]: the accept loop both servers share; [`allow`]: `allow_hosts`;
//!   [`admission`]: connection caps and idle eviction; [`fd_budget`]: the
//!   process-wide file descriptor budget.
//! - [`private_files`]: a role's private directory and SQLite files (0700,
//!   0600), whatever the umask.

pub mod admission;
pub mod allow;
pub mod base64;
pub mod client;
pub mod cmd;
pub mod connection;
pub mod consts;
pub mod error;
pub mod fd_budget;
pub mod file_http;
pub mod file_id;
pub mod filename;
pub mod header;
pub mod ip_width;
pub mod message;
pub mod metadata;
pub mod private_files;
pub mod server;
pub mod status;
pub mod storage;
pub mod tracker;
pub mod wire;

pub use error::DecodeError;
pub use header::{HEADER_LEN, Header};
pub use ip_width::{EncodeWidth, IpWidth};
pub use message::{Decode, Encode, Request, Streamed};
pub use status::Status;
