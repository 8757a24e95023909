//! The HTTP accept loop: a connection limit, `TCP_NODELAY`, the inactivity
//! bound, one hyper HTTP/1.1 connection per socket, and a graceful stop
//! (stop accepting, let each connection finish its response, close what is
//! still open after the drain timeout).

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::server::Shutdown;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

use super::HttpConfig;
use super::body::ResponseBody;
use super::handler::{Ctx, respond};
use super::io::TimedIo;

/// Accepts and serves until `shutdown` fires, then drains.
pub(crate) async fn serve(
    listener: TcpListener,
    ctx: Arc<Ctx>,
    config: &HttpConfig,
    mut shutdown: Shutdown,
) {
    let local = listener.local_addr().ok();
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let mut tasks = JoinSet::new();
    info!(addr = ?local, "http listening");
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = shutdown.wait() => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.wait() => break,
        };
        while tasks.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                accept_backoff(&e).await;
                continue;
            }
        };
        let (ctx, shutdown, timeout) = (ctx.clone(), shutdown.clone(), config.network_timeout);
        tasks.spawn(
            async move {
                let _permit = permit;
                connection(stream, ctx, timeout, shutdown).await;
            }
            .instrument(info_span!("http_conn", %peer)),
        );
    }
    drop(listener);
    let drained = tokio::time::timeout(config.drain_timeout, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(left = tasks.len(), "http connections still open after the drain timeout; closing");
        tasks.shutdown().await;
    }
    info!(addr = ?local, "http stopped");
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

/// After a failed accept: skip per-connection errors; back off a little
/// when out of descriptors or memory so the loop does not spin.
async fn accept_backoff(e: &io::Error) {
    const EMFILE: i32 = 24;
    const ENFILE: i32 = 23;
    const ENOBUFS: i32 = 105;
    const ENOMEM: i32 = 12;
    match e.raw_os_error() {
        Some(EMFILE | ENFILE | ENOBUFS | ENOMEM) => {
            warn!(error = %e, "http accept failed for lack of resources; backing off");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        _ => debug!(error = %e, "http accept failed"),
    }
}
