//! The accept loop shared by the tracker and the storage server.
//!
//! `serve` owns the listener: it bounds concurrent connections by
//! `max_connections` and by the process's descriptor budget (see
//! [`crate::admission`]: a full listener evicts its longest-idle
//! connection, else refuses the newcomer at once rather than leaving it in
//! the backlog), refuses peers outside `allow_hosts`, survives accept errors
//! (a reset connection ends only itself; running out of file descriptors
//! backs off), closes connections idle for `network_timeout` (nothing sent,
//! or half a header), and on shutdown stops accepting, tells every
//! connection to finish its current request, and waits a bounded time for
//! them to drain.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::admission::{Admission, IdleSlot};
use crate::allow::AllowHosts;
use crate::connection::Connection;
use crate::fd_budget::process_budget;

/// Limits and policies of one listening server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Concurrent connections at most (`max_connections`).
    pub max_connections: usize,
    /// Bound on every socket read and write, and on how long a connection
    /// may sit idle between requests (`network_timeout`; FastDFS's default
    /// of 60 s outlasts the default 30 s heartbeat of a storage).
    pub network_timeout: Duration,
    /// Peers allowed to connect (`allow_hosts`).
    pub allow_hosts: AllowHosts,
    /// How long shutdown waits for open connections to finish.
    pub drain_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            network_timeout: Duration::from_secs(60),
            allow_hosts: AllowHosts::any(),
            drain_timeout: Duration::from_secs(5),
        }
    }
}

/// A shutdown signal every connection can watch. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
    /// The connection's place among its listener's idle connections (set
    /// for connections [`serve_streams`] runs).
    idle: Option<Arc<IdleSlot>>,
}

/// The sending side of [`Shutdown`].
#[derive(Debug)]
pub struct ShutdownTrigger {
    tx: watch::Sender<bool>,
}

/// A new shutdown signal pair.
pub fn shutdown_channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger { tx }, Shutdown { rx, idle: None })
}

impl ShutdownTrigger {
    /// Signals every [`Shutdown`] clone.
    pub fn trigger(&self) {
        let _ = self.tx.send(true);
    }

    /// A receiver for this trigger.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown { rx: self.tx.subscribe(), idle: None }
    }
}

impl Shutdown {
    /// Whether shutdown was signalled.
    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once shutdown is signalled (or its trigger is gone).
    pub async fn wait(&mut self) {
        while !*self.rx.borrow_and_update() {
            if self.rx.changed().await.is_err() {
                return;
            }
        }
    }

    /// The connection's entry among its listener's idle connections, for
    /// protocols that track their own idle periods (HTTP); `None` outside
    /// [`serve_streams`].
    pub fn idle_slot(&self) -> Option<Arc<IdleSlot>> {
        self.idle.clone()
    }

    /// This signal for one connection of a listener, whose idle periods
    /// that listener may cut short.
    fn for_connection(&self, idle: Arc<IdleSlot>) -> Self {
        Self { rx: self.rx.clone(), idle: Some(idle) }
    }
}

/// Serves one connection. The handler reads requests until the peer closes,
/// a request fails in a way that leaves the stream unusable, or `shutdown`
/// is signalled between two requests.
pub trait Handler: Clone + Send + Sync + 'static {
    fn handle(&self, conn: Connection, shutdown: Shutdown) -> impl Future<Output = ()> + Send;
}

/// Accepts connections on `listener` and runs `handler` for each until
/// `shutdown` fires; then drains.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: H,
    config: ServerConfig,
    shutdown: Shutdown,
) {
    let timeout = config.network_timeout;
    serve_streams(listener, &config, shutdown, "conn", move |stream, conn_shutdown| {
        let handler = handler.clone();
        async move {
            match open(stream, timeout) {
                Ok(conn) => handler.handle(conn, conn_shutdown).await,
                Err(e) => debug!(error = %e, "connection dropped before its first request"),
            }
        }
    })
    .await;
}

/// The accept loop itself, for any protocol: bounds concurrent connections
/// by `config.max_connections`, refuses peers outside `config.allow_hosts`,
/// backs off on resource errors, runs `on_connection` for each accepted
/// socket in its own task (in a span named `span_name` with the peer), and
/// on shutdown stops accepting and waits up to `config.drain_timeout` for
/// the connections, which get the shutdown signal to finish early.
pub async fn serve_streams<F, Fut>(
    listener: TcpListener,
    config: &ServerConfig,
    mut shutdown: Shutdown,
    span_name: &'static str,
    mut on_connection: F,
) where
    F: FnMut(TcpStream, Shutdown) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let local = listener.local_addr().ok();
    let admission = Admission::new(config.max_connections, process_budget());
    let mut tasks = JoinSet::new();
    info!(addr = ?local, protocol = span_name, "listening");
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.wait() => break,
        };
        // Reap finished connection tasks so the set stays small.
        while tasks.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                accept_backoff(&e).await;
                continue;
            }
        };
        if !config.allow_hosts.allows(peer.ip()) {
            warn!(%peer, "connection refused: not in allow_hosts");
            continue;
        }
        // Dropping the stream on refusal closes it at once.
        let Ok(admitted) = admission.admit().await else { continue };
        let work = on_connection(stream, shutdown.for_connection(Arc::clone(&admitted.idle)));
        tasks.spawn(
            async move {
                let _admitted = admitted;
                work.await;
            }
            .instrument(info_span!("conn", protocol = span_name, %peer)),
        );
    }
    drop(listener);
    let drained = tokio::time::timeout(config.drain_timeout, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(left = tasks.len(), "connections still open after the drain timeout; closing them");
        tasks.shutdown().await;
    }
    info!(addr = ?local, protocol = span_name, "stopped");
}

/// Waits for the next request header on `conn`. `None` when the peer closed
/// the connection between requests, shutdown was signalled, or the
/// listener, full, evicted this idle connection for a new one; an idle
/// connection is closed after the network timeout, as FastDFS servers do,
/// and so is one that sent half a header.
pub async fn next_request(
    conn: &mut Connection,
    shutdown: &mut Shutdown,
) -> Result<Option<crate::header::Header>, crate::connection::ConnError> {
    if shutdown.is_triggered() {
        return Ok(None);
    }
    let slot = shutdown.idle.clone().unwrap_or_else(|| Arc::new(IdleSlot::detached()));
    let idle = slot.enter();
    tokio::select! {
        header = conn.read_header_or_eof() => header,
        () = shutdown.wait() => Ok(None),
        () = idle.evicted() => {
            debug!("idle connection closed to make room for a new one");
            Ok(None)
        }
    }
}

fn open(stream: TcpStream, timeout: Duration) -> io::Result<Connection> {
    Connection::new(stream, timeout).map_err(|e| io::Error::other(e.to_string()))
}

/// What to do after a failed accept: per-connection errors are skipped at
/// once; running out of descriptors or memory waits a little so the loop
/// does not spin.
async fn accept_backoff(e: &io::Error) {
    const EMFILE: i32 = 24;
    const ENFILE: i32 = 23;
    const ENOBUFS: i32 = 105;
    const ENOMEM: i32 = 12;
    match e.raw_os_error() {
        Some(EMFILE | ENFILE | ENOBUFS | ENOMEM) => {
            warn!(error = %e, "accept failed for lack of resources; backing off");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        _ => debug!(error = %e, "accept failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{ActiveTest, Empty};

    /// Answers every request with an empty success until the peer closes or
    /// shutdown is signalled.
    #[derive(Clone)]
    struct Echo;

    impl Handler for Echo {
        async fn handle(&self, mut conn: Connection, mut shutdown: Shutdown) {
            loop {
                let Ok(Some(h)) = next_request(&mut conn, &mut shutdown).await else { return };
                if conn.discard(h.pkg_len).await.is_err() || conn.respond(&Empty).await.is_err() {
                    return;
                }
            }
        }
    }

    const T: Duration = Duration::from_secs(2);

    async fn start(
        config: ServerConfig,
    ) -> (std::net::SocketAddr, ShutdownTrigger, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (trigger, shutdown) = shutdown_channel();
        let task = tokio::spawn(serve(listener, Echo, config, shutdown));
        (addr, trigger, task)
    }

    #[tokio::test]
    async fn serves_then_stops_on_shutdown() {
        let (addr, trigger, task) = start(ServerConfig::default()).await;
        let mut c = Connection::connect(addr, T, T).await.unwrap();
        c.call(&ActiveTest).await.unwrap();
        trigger.trigger();
        tokio::time::timeout(Duration::from_secs(3), task).await.unwrap().unwrap();
        assert!(Connection::connect(addr, T, T).await.is_err(), "still accepting");
    }

    #[tokio::test]
    async fn a_full_server_evicts_the_idle_connection_for_a_new_one() {
        let config = ServerConfig { max_connections: 1, ..ServerConfig::default() };
        let (addr, trigger, _task) = start(config).await;
        let mut first = Connection::connect(addr, T, T).await.unwrap();
        first.call(&ActiveTest).await.unwrap();
        // `first` is idle between requests: the newcomer takes its slot at
        // once instead of waiting in the backlog.
        let mut second = Connection::connect(addr, T, T).await.unwrap();
        second.call(&ActiveTest).await.unwrap();
        assert!(first.call(&ActiveTest).await.is_err(), "the idle connection was kept");
        trigger.trigger();
    }

    /// Reads until the server closes `stream`; how long after `start`.
    async fn closed_after(mut stream: TcpStream, start: std::time::Instant) -> Duration {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 64];
        loop {
            match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => return start.elapsed(),
                Ok(Ok(_)) => {}
                Err(_) => panic!("connection still open after 10 s"),
            }
        }
    }

    #[tokio::test]
    async fn silent_and_half_header_connections_are_closed_after_the_network_timeout() {
        use tokio::io::AsyncWriteExt;
        let network_timeout = Duration::from_millis(500);
        let (addr, trigger, _task) =
            start(ServerConfig { network_timeout, ..Default::default() }).await;
        let start = std::time::Instant::now();
        let silent = TcpStream::connect(addr).await.unwrap();
        let mut half = TcpStream::connect(addr).await.unwrap();
        half.write_all(&[0, 0, 0, 0, 0]).await.unwrap();
        let silent = tokio::spawn(closed_after(silent, start));
        let half = tokio::spawn(closed_after(half, start));
        // A header dribbled a byte at a time cannot stretch its deadline
        // (one timeout for the first byte, one for the rest).
        let dribble = TcpStream::connect(addr).await.unwrap();
        let (mut read, mut write) = dribble.into_split();
        let dribbler = tokio::spawn(async move {
            for _ in 0..9 {
                if write.write_all(&[0]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        for (name, closed) in [("silent", silent.await.unwrap()), ("half", half.await.unwrap())] {
            assert!(closed >= Duration::from_millis(450), "{name} closed early: {closed:?}");
            assert!(closed < Duration::from_secs(3), "{name} closed late: {closed:?}");
        }
        let mut buf = [0u8; 8];
        use tokio::io::AsyncReadExt;
        let n = tokio::time::timeout(Duration::from_secs(3), read.read(&mut buf)).await;
        assert!(matches!(n, Ok(Ok(0) | Err(_))), "dribbler not closed: {n:?}");
        assert!(start.elapsed() < Duration::from_millis(1500), "dribbler closed late");
        dribbler.abort();
        trigger.trigger();
    }

    #[tokio::test]
    async fn peers_outside_allow_hosts_are_refused() {
        let config = ServerConfig {
            allow_hosts: AllowHosts::parse(["10.0.0.0/8"]).unwrap(),
            ..ServerConfig::default()
        };
        let (addr, trigger, _task) = start(config).await;
        let mut c = Connection::connect(addr, T, T).await.unwrap();
        assert!(c.call(&ActiveTest).await.is_err());
        trigger.trigger();
    }
}
