//! `[connections]` of `deploy/gateway.toml`: the limits on S3 client
//! connections ([`HttpLimits`]) and the process's descriptor reserve, with
//! the `--s3-*` / `--fd-reserve` flags that override them (shared by
//! `fdfs gateway` and `fdfs server`).

use std::time::Duration;

use anyhow::bail;
use fdfs_protocol::fd_budget::DEFAULT_FD_RESERVE;
use fdfs_s3api::gateway::net::HttpLimits;
use serde::{Deserialize, Serialize};

use crate::cli::HttpLimitArgs;

/// The S3 port's connection limits, in seconds where they are times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionSettings {
    /// Concurrent client connections at most (default 4096); more are
    /// closed at once.
    pub max_connections: usize,
    /// Seconds a request head may take from the moment the connection
    /// waits for it; on HTTP/1 this also bounds an idle keep-alive
    /// connection (default 30).
    pub header_timeout_secs: u64,
    /// Seconds a connection may move no byte while no request is being
    /// handled: never sending a byte, an HTTP/2 connection without
    /// streams, a client that stopped reading (default 30).
    pub idle_timeout_secs: u64,
    /// Seconds a request body may deliver no byte before the request is
    /// answered RequestTimeout (default 30).
    pub body_timeout_secs: u64,
    /// Concurrent HTTP/2 streams per connection at most (default 128).
    pub h2_max_concurrent_streams: u32,
    /// Seconds between HTTP/2 keep-alive pings; a peer not answering
    /// within as long is dropped (default 30).
    pub h2_keepalive_interval_secs: u64,
    /// File descriptors kept out of the process's connection budget
    /// (default 256; see `fdfs_protocol::fd_budget`).
    pub fd_reserve: usize,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        let l = HttpLimits::default();
        Self {
            max_connections: l.max_connections,
            header_timeout_secs: l.header_timeout.as_secs(),
            idle_timeout_secs: l.idle_timeout.as_secs(),
            body_timeout_secs: l.body_timeout.as_secs(),
            h2_max_concurrent_streams: l.h2_max_concurrent_streams,
            h2_keepalive_interval_secs: l.h2_keepalive_interval.as_secs(),
            fd_reserve: DEFAULT_FD_RESERVE,
        }
    }
}

impl ConnectionSettings {
    /// These settings with the given flags on top.
    pub fn with_flags(mut self, flags: &HttpLimitArgs) -> Self {
        let pairs = [
            (flags.s3_header_timeout, &mut self.header_timeout_secs),
            (flags.s3_idle_timeout, &mut self.idle_timeout_secs),
            (flags.s3_body_timeout, &mut self.body_timeout_secs),
        ];
        for (flag, field) in pairs {
            if let Some(v) = flag {
                *field = v;
            }
        }
        if let Some(v) = flags.s3_max_connections {
            self.max_connections = v;
        }
        self
    }

    /// The limits, every value checked.
    pub fn to_limits(&self) -> anyhow::Result<HttpLimits> {
        let secs = |key: &str, v: u64| -> anyhow::Result<Duration> {
            if v == 0 {
                bail!("connections.{key} = 0: must be at least 1 second");
            }
            Ok(Duration::from_secs(v))
        };
        if self.max_connections == 0 {
            bail!("connections.max_connections = 0: must be at least 1");
        }
        if self.h2_max_concurrent_streams == 0 {
            bail!("connections.h2_max_concurrent_streams = 0: must be at least 1");
        }
        Ok(HttpLimits {
            max_connections: self.max_connections,
            header_timeout: secs("header_timeout_secs", self.header_timeout_secs)?,
            idle_timeout: secs("idle_timeout_secs", self.idle_timeout_secs)?,
            body_timeout: secs("body_timeout_secs", self.body_timeout_secs)?,
            h2_max_concurrent_streams: self.h2_max_concurrent_streams,
            h2_keepalive_interval: secs(
                "h2_keepalive_interval_secs",
                self.h2_keepalive_interval_secs,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_gateways_and_flags_override() {
        let s = ConnectionSettings::default();
        assert_eq!(s.to_limits().unwrap(), HttpLimits::default());
        let flags = HttpLimitArgs {
            s3_max_connections: Some(7),
            s3_header_timeout: Some(2),
            s3_idle_timeout: None,
            s3_body_timeout: Some(3),
        };
        let l = s.with_flags(&flags).to_limits().unwrap();
        assert_eq!(l.max_connections, 7);
        assert_eq!(l.header_timeout, Duration::from_secs(2));
        assert_eq!(l.idle_timeout, HttpLimits::default().idle_timeout);
        assert_eq!(l.body_timeout, Duration::from_secs(3));
    }

    #[test]
    fn zero_values_are_refused_by_name() {
        for (text, key) in [
            ("idle_timeout_secs = 0", "idle_timeout_secs"),
            ("max_connections = 0", "max_connections"),
            ("body_timeout_secs = 0", "body_timeout_secs"),
        ] {
            let s: ConnectionSettings = toml::from_str(text).unwrap();
            let err = s.to_limits().unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }
}
