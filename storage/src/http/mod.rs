//! HTTP downloads straight from the store, as FastDFS deployments get from
//! nginx with `fastdfs-nginx-module`: `GET` or `HEAD` of
//! `/<group>/M00/HH/LL/<name>` answers the file, so browsers and CDNs can
//! fetch files by the URL their file ID spells.
//!
//! What it speaks (HTTP/1.1 through hyper):
//!
//! - `200` with `Content-Length`, a `Content-Type` from the extension
//!   ([`headers::content_type`]), an `ETag`, `Last-Modified` (the file's
//!   mtime) and `Accept-Ranges: bytes`; `HEAD` sends the same headers only.
//! - `Range: bytes=a-b`, `a-` or `-n` → `206` with `Content-Range`;
//!   unsatisfiable → `416` with `Content-Range: bytes */size`. A request for
//!   several ranges gets the whole file (`200`), which RFC 9110 allows and
//!   spares a multipart encoder; so does a malformed `Range`. `If-Range`
//!   is honoured.
//! - `If-None-Match` (weak comparison) and, without it, `If-Modified-Since`
//!   → `304`.
//! - A malformed path → `400`; another group, an unknown store path, a
//!   missing file → `404`; other methods → `405`.
//! - Optionally FastDFS's anti-steal token ([`token`]): `?token=&ts=` must
//!   be `md5(logic filename + secret + ts)` and `ts + ttl` not past → else
//!   `403`.
//!
//! Files are streamed through one bounded buffer per response, never read
//! whole. Every connection has the storage's network timeout as an
//! inactivity bound ([`io::TimedIo`]): an idle keep-alive connection, a
//! client that stops reading and one that never finishes its headers are
//! all closed. This server only reads: a file not (yet) on this storage is
//! `404` — FastDFS's module can instead redirect to the source storage,
//! which is left to a proxy in front.
//!
//! # Layout
//!
//! - [`HttpConfig`], [`HttpServer`] (here): settings, bind and run.
//! - `serve`: the accept loop and hyper connections; [`io`]: the timeout.
//! - `handler`: one request → one response.
//! - [`range`], [`headers`]: `Range` parsing; content types, ETags, dates
//!   and conditional requests.
//! - [`token`]: the anti-steal token; `body`: the response body.

pub mod headers;
pub mod io;
pub mod range;
pub mod token;

mod body;
mod handler;
mod serve;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::allow::AllowHosts;

use fdfs_protocol::server::Shutdown;
use tokio::net::TcpListener;

use crate::server::StorageState;

pub use self::token::TokenCheck;

/// Settings of the HTTP download server.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Address to serve HTTP on.
    pub listen: SocketAddr,
    /// The anti-steal token check; `None` serves every file to everyone.
    pub token: Option<TokenCheck>,
    /// Concurrent connections at most.
    pub max_connections: usize,
    /// Bound on a connection's inactivity (no byte read or written).
    pub network_timeout: Duration,
    /// How long shutdown waits for responses in flight.
    pub drain_timeout: Duration,
    /// Who may connect (the storage's `allow_hosts`).
    pub allow_hosts: AllowHosts,
}

impl HttpConfig {
    /// Serving on `listen` without a token check, 1024 connections, a 30 s
    /// inactivity bound and a 5 s drain.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            token: None,
            max_connections: 1024,
            network_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(5),
            allow_hosts: AllowHosts::any(),
        }
    }
}

/// Why the HTTP server could not start.
#[derive(Debug, thiserror::Error)]
#[error("http: listen on {addr}: {source}")]
pub struct HttpBindError {
    /// The address asked for.
    pub addr: SocketAddr,
    /// The OS error.
    #[source]
    pub source: std::io::Error,
}

/// A bound HTTP download server.
#[derive(Debug)]
pub struct HttpServer {
    listener: TcpListener,
    config: HttpConfig,
    state: Arc<StorageState>,
}

impl HttpServer {
    /// Binds `config.listen`; files come from `state`'s store, for its group.
    pub async fn bind(config: HttpConfig, state: Arc<StorageState>) -> Result<Self, HttpBindError> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| HttpBindError { addr: config.listen, source })?;
        Ok(Self { listener, config, state })
    }

    /// The address it serves on (with the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.listen)
    }

    /// Serves until `shutdown` fires, then lets responses in flight finish
    /// for at most the drain timeout.
    pub async fn run(self, shutdown: Shutdown) {
        let ctx = Arc::new(handler::Ctx::new(self.state, self.config.token.clone()));
        serve::serve(self.listener, ctx, &self.config, shutdown).await;
    }
}
