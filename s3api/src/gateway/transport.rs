//! Whether a request reached us over a secure transport, decided once
//! per request at the connection layer and handed to the handlers as a
//! request extension ([`Transport`]).
//!
//! Why it matters: SSE-C puts the client's key in a header. S3 refuses
//! such requests over plain HTTP (400), and so do we — except from
//! loopback (a client on this host, or a TLS-terminating proxy on it,
//! sends nothing over the network), and from the addresses an operator
//! names as trusted TLS-terminating proxies, whose `X-Forwarded-Proto:
//! https` is believed. Anyone else's `X-Forwarded-Proto` is ignored: a
//! client could otherwise claim a TLS hop that never happened.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hyper::body::Incoming;

/// How the request reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    /// The peer's address.
    pub peer: SocketAddr,
    /// TLS to us, loopback, or a trusted proxy that says it spoke TLS.
    pub secure: bool,
}

/// Whether a request from `peer` (over TLS or not) with `headers` counts
/// as secure; see the module docs.
pub fn is_secure(peer: IpAddr, tls: bool, trusted: &[IpAddr], headers: &http::HeaderMap) -> bool {
    let peer = match peer {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    if tls || peer.is_loopback() {
        return true;
    }
    trusted.contains(&peer)
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A service that tags each request with its [`Transport`].
#[derive(Clone, Debug)]
pub struct WithTransport<S> {
    inner: S,
    peer: SocketAddr,
    tls: bool,
    trusted: Arc<[IpAddr]>,
}

impl<S> WithTransport<S> {
    /// `inner`, for a connection from `peer` (`tls`: over TLS) where
    /// `trusted` are the trusted proxies.
    pub fn new(inner: S, peer: SocketAddr, tls: bool, trusted: Arc<[IpAddr]>) -> Self {
        Self { inner, peer, tls, trusted }
    }
}

impl<S> hyper::service::Service<http::Request<Incoming>> for WithTransport<S>
where
    S: hyper::service::Service<http::Request<Incoming>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn call(&self, mut req: http::Request<Incoming>) -> Self::Future {
        let secure = is_secure(self.peer.ip(), self.tls, &self.trusted, req.headers());
        req.extensions_mut().insert(Transport { peer: self.peer, secure });
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::is_secure;
    use std::net::IpAddr;

    #[test]
    fn who_is_believed() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let mut https = http::HeaderMap::new();
        https.insert("x-forwarded-proto", "https".parse().unwrap());
        let plain = http::HeaderMap::new();
        let proxy = [ip("10.0.0.5")];
        assert!(is_secure(ip("127.0.0.1"), false, &[], &plain));
        assert!(is_secure(ip("::1"), false, &[], &plain));
        assert!(is_secure(ip("::ffff:127.0.0.9"), false, &[], &plain));
        assert!(is_secure(ip("192.0.2.1"), true, &[], &plain));
        assert!(!is_secure(ip("192.0.2.1"), false, &[], &plain));
        // A stranger's claim is ignored; a trusted proxy's is believed.
        assert!(!is_secure(ip("192.0.2.1"), false, &proxy, &https));
        assert!(is_secure(ip("10.0.0.5"), false, &proxy, &https));
        assert!(!is_secure(ip("10.0.0.5"), false, &proxy, &plain));
    }
}
