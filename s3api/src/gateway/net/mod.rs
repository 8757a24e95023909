//! The gateway's connections: limits on them and the accept loop.
//!
//! The S3 port faces the network, so every way a client can hold a
//! connection without progress has a bound, as nginx and S3 have:
//!
//! - a request head must be complete within [`HttpLimits::header_timeout`]
//!   of the connection starting to wait for it (hyper's
//!   `header_read_timeout`; on HTTP/1 this also bounds an idle keep-alive
//!   connection);
//! - a connection moving no byte while no request is being handled is
//!   closed after [`HttpLimits::idle_timeout`] ([`activity`]): one that
//!   never sends a byte, an HTTP/2 one without streams, a client that
//!   stopped reading its response;
//! - a request body that stops flowing for [`HttpLimits::body_timeout`]
//!   ends the request with `RequestTimeout` ([`stall`]);
//! - HTTP/2 connections get keep-alive pings and a cap on concurrent
//!   streams;
//! - the listener holds at most [`HttpLimits::max_connections`], drawn
//!   from the process's descriptor budget (`fdfs_protocol::fd_budget`),
//!   so a flood of the S3 port is refused at once and cannot starve the
//!   tracker and storage of the same process.
//!
//! # Layout
//!
//! - [`activity`]: the idle timeout of a connection.
//! - [`stall`]: the request-body stall timeout.
//! - [`serve`]: the accept loop and one connection's life.
//! - [`tls`]: HTTPS, with the certificate reloaded on demand.

pub mod activity;
pub mod serve;
pub mod stall;
pub mod tls;

use std::time::Duration;

/// Limits on the gateway's client connections; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// Concurrent connections at most.
    pub max_connections: usize,
    /// Bound on receiving a request head.
    pub header_timeout: Duration,
    /// Bound on a connection moving no byte with no request in flight.
    pub idle_timeout: Duration,
    /// Bound on a request body delivering no byte.
    pub body_timeout: Duration,
    /// Concurrent HTTP/2 streams per connection at most.
    pub h2_max_concurrent_streams: u32,
    /// Interval of HTTP/2 keep-alive pings (a peer that does not answer
    /// one within the same interval is dropped).
    pub h2_keepalive_interval: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            h2_max_concurrent_streams: 128,
            h2_keepalive_interval: Duration::from_secs(30),
        }
    }
}
