//! The HTTP server: the shared accept loop (`fdfs_protocol::server`:
//! connection limit, `allow_hosts`, graceful drain), `TCP_NODELAY`, the
//! inactivity bound, and one hyper HTTP/1.1 connection per socket.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::server::{ServerConfig, Shutdown, serve_streams};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tracing::{Instrument, debug, info_span};

use super::HttpConfig;
use super::body::ResponseBody;
use super::handler::{Ctx, respond};
use super::io::TimedIo;

/// Accepts and serves until `shutdown` fires, then drains (the shared
/// accept loop: connection limit, `allow_hosts`, back-off, drain).
pub(crate) async fn serve(
    listener: TcpListener,
    ctx: Arc<Ctx>,
    config: &HttpConfig,
    shutdown: Shutdown,
) {
    let server = ServerConfig {
        max_connections: config.max_connections,
        network_timeout: config.network_timeout,
        allow_hosts: config.allow_hosts.clone(),
        drain_timeout: config.drain_timeout,
    };
    let timeout = config.network_timeout;
    serve_streams(listener, &server, shutdown, "http", move |stream, shutdown| {
        connection(stream, ctx.clone(), timeout, shutdown)
    })
    .await;
}

/// Serves one connection until the client closes it, it goes idle past
/// the timeout, or shutdown asks it to finish its current response.
async fn connection(stream: TcpStream, ctx: Arc<Ctx>, timeout: Duration, mut shutdown: Shutdown) {
    if let Err(e) = stream.set_nodelay(true) {
        debug!(error = %e, "cannot set TCP_NODELAY");
    }
    let io = TokioIo::new(TimedIo::new(stream, timeout));
    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
        let ctx = ctx.clone();
        async move { Ok::<Response<ResponseBody>, Infallible>(request(&ctx, req).await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout)
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = shutdown.wait() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        debug!(error = %e, "http connection ended with an error");
    }
}

/// One request, in its own span.
async fn request(ctx: &Ctx, req: Request<hyper::body::Incoming>) -> Response<ResponseBody> {
    let (parts, _body) = req.into_parts();
    let span = info_span!("http", method = %parts.method, path = %parts.uri.path());
    async {
        let response = respond(ctx, &parts).await;
        debug!(status = response.status().as_u16(), "answered");
        response
    }
    .instrument(span)
    .await
}
