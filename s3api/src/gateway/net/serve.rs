//! The gateway's accept loop: `fdfs_protocol`'s shared loop (caps, the
//! descriptor budget, refusal, drain on shutdown, a span per connection)
//! running hyper-util's HTTP/1.1 + HTTP/2 auto builder on each
//! connection, within the limits of [`HttpLimits`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use fdfs_protocol::allow::AllowHosts;
use fdfs_protocol::server::{ServerConfig, Shutdown, serve_streams};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use s3s::service::S3Service;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tracing::debug;

use super::HttpLimits;
use super::activity::{Activity, Watched};
use super::tls::Tls;
use crate::gateway::browser::Browser;
use crate::gateway::http_fixups::Fixups;
use crate::gateway::transport::WithTransport;

/// hyper's connection builder with `limits` applied.
pub(crate) fn builder(limits: &HttpLimits) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.h2_max_concurrent_streams)
        .keep_alive_interval(limits.h2_keepalive_interval)
        .keep_alive_timeout(limits.h2_keepalive_interval);
    builder
}

/// Serves S3 on `listener` (HTTPS when `tls` is given) until `shutdown`,
/// then drains for `drain`.
pub(crate) async fn serve(
    listener: TcpListener,
    (service, browser): (S3Service, Browser),
    limits: HttpLimits,
    tls: Option<Tls>,
    trusted_proxies: Arc<[IpAddr]>,
    shutdown: Shutdown,
    drain: std::time::Duration,
) {
    let config = ServerConfig {
        max_connections: limits.max_connections,
        network_timeout: limits.idle_timeout,
        allow_hosts: AllowHosts::any(),
        drain_timeout: drain,
    };
    let builder = Arc::new(builder(&limits));
    serve_streams(listener, &config, shutdown, "s3", move |stream: TcpStream, shutdown| {
        if let Err(e) = stream.set_nodelay(true) {
            debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let (builder, limits) = (Arc::clone(&builder), limits.clone());
        let service = (service.clone(), browser.clone());
        let acceptor = tls.as_ref().map(Tls::acceptor);
        let peer = stream.peer_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let mut origin = Origin { peer, tls: false, trusted: Arc::clone(&trusted_proxies) };
        async move {
            let Some(acceptor) = acceptor else {
                return serve_connection(stream, builder, service, limits, origin, shutdown).await;
            };
            origin.tls = true;
            // The handshake is bounded like a request head.
            match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => {
                    serve_connection(stream, builder, service, limits, origin, shutdown).await
                }
                Ok(Err(e)) => debug!(error = %e, "TLS handshake failed"),
                Err(_) => debug!("TLS handshake timed out"),
            }
        }
    })
    .await;
}

/// Where a connection comes from: what `transport` needs to tell whether
/// its requests arrived over a secure transport (SSE-C needs one).
pub(crate) struct Origin {
    /// The client (or proxy) address.
    pub peer: SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// Proxies whose `X-Forwarded-Proto: https` is believed.
    pub trusted: Arc<[IpAddr]>,
}

/// Serves HTTP on one connection (a TCP or TLS stream) until the client
/// closes it, it idles out, or shutdown (then in-flight requests finish).
pub(crate) async fn serve_connection<T>(
    stream: T,
    builder: Arc<Builder<TokioExecutor>>,
    (service, browser): (S3Service, Browser),
    limits: HttpLimits,
    origin: Origin,
    mut shutdown: Shutdown,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::default());
    let fixups = Fixups::new(service, browser, limits.body_timeout, Arc::clone(&activity));
    let scoped = crate::gateway::access::verdict::Scoped::new(fixups);
    let service = WithTransport::new(scoped, origin.peer, origin.tls, origin.trusted);
    let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity)));
    let conn = builder.serve_connection(io, service).into_owned();
    tokio::pin!(conn);
    tokio::select! {
        ended = conn.as_mut() => {
            if let Err(e) = ended {
                debug!(error = %e, "connection ended with an error");
            }
        }
        () = activity.idle_expired(limits.idle_timeout) => {
            debug!(timeout = ?limits.idle_timeout, "idle connection closed");
        }
        () = activity.evicted(shutdown.idle_slot()) => {
            debug!("idle connection closed to make room for a new one");
        }
        () = shutdown.wait() => {
            conn.as_mut().graceful_shutdown();
            if let Err(e) = conn.await {
                debug!(error = %e, "connection ended with an error");
            }
        }
    }
}
