//! Pooled persistent connections, one idle list per server address.
//!
//! FastDFS servers keep connections open between requests, so a client that
//! reuses them saves a TCP handshake per operation. An idle connection is
//! checked before reuse: one the peer closed is dropped without a round trip
//! ([`Connection::is_stale`]), and one idle for longer than
//! [`PoolConfig::check_after`] must first answer ACTIVE_TEST. A connection
//! goes back to the pool only when its last exchange succeeded: after an
//! error answer a FastDFS server usually closes the connection (a storage
//! answers EINVAL to an unknown command, then hangs up), and a pooled
//! connection the peer is about to close would fail the next request sent
//! on it — a streamed upload, whose source cannot be rewound, included.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::connection::{ConnError, Connection};
use crate::message::ActiveTest;

/// Connection and pool settings (FastDFS client.conf: `connect_timeout`,
/// `network_timeout`, `connection_pool_max_idle_time`).
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Bound on establishing a TCP connection.
    pub connect_timeout: Duration,
    /// Bound on each socket read or write.
    pub network_timeout: Duration,
    /// Idle connections older than this are closed instead of reused.
    pub max_idle_time: Duration,
    /// Idle connections older than this answer ACTIVE_TEST before reuse.
    pub check_after: Duration,
    /// Idle connections kept per server.
    pub max_idle_per_server: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            network_timeout: Duration::from_secs(30),
            max_idle_time: Duration::from_secs(3600),
            check_after: Duration::from_secs(30),
            max_idle_per_server: 64,
        }
    }
}

#[derive(Debug)]
struct Idle {
    conn: Connection,
    since: Instant,
}

#[derive(Debug, Default)]
struct Shared {
    idle: Mutex<HashMap<SocketAddr, Vec<Idle>>>,
}

/// A pool of connections to any number of servers. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Pool {
    config: PoolConfig,
    shared: Arc<Shared>,
}

impl Pool {
    pub fn new(config: PoolConfig) -> Self {
        Self { config, shared: Arc::default() }
    }

    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// A connection to `addr`: a healthy idle one, or a new one.
    pub async fn get(&self, addr: SocketAddr) -> Result<PooledConnection, ConnError> {
        while let Some(idle) = self.take_idle(addr) {
            let age = idle.since.elapsed();
            if age > self.config.max_idle_time || idle.conn.is_stale() {
                continue;
            }
            let mut conn = idle.conn;
            if age > self.config.check_after && conn.call(&ActiveTest).await.is_err() {
                continue;
            }
            return Ok(PooledConnection::new(self.clone(), conn, true));
        }
        let conn =
            Connection::connect(addr, self.config.connect_timeout, self.config.network_timeout)
                .await?;
        Ok(PooledConnection::new(self.clone(), conn, false))
    }

    /// A fresh connection to `addr`, bypassing idle ones.
    pub async fn connect(&self, addr: SocketAddr) -> Result<PooledConnection, ConnError> {
        let conn =
            Connection::connect(addr, self.config.connect_timeout, self.config.network_timeout)
                .await?;
        Ok(PooledConnection::new(self.clone(), conn, false))
    }

    /// Idle connections held for `addr`.
    pub fn idle_count(&self, addr: SocketAddr) -> usize {
        self.lock().get(&addr).map_or(0, Vec::len)
    }

    /// Drops every idle connection.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Vec<Idle>>> {
        // A poisoned lock only means another task panicked mid-push; the map
        // itself is still consistent.
        self.shared.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn take_idle(&self, addr: SocketAddr) -> Option<Idle> {
        self.lock().get_mut(&addr).and_then(Vec::pop)
    }

    fn put_back(&self, conn: Connection) {
        let addr = conn.peer_addr();
        let mut idle = self.lock();
        let list = idle.entry(addr).or_default();
        if list.len() < self.config.max_idle_per_server {
            list.push(Idle { conn, since: Instant::now() });
        }
    }
}

/// A connection checked out of a [`Pool`]. Dropping it returns it to the pool
/// only after [`PooledConnection::release`]; otherwise it is closed, because
/// an interrupted exchange leaves the stream in an unknown state.
#[derive(Debug)]
pub struct PooledConnection {
    pool: Pool,
    conn: Option<Connection>,
    reused: bool,
    clean: bool,
}

impl PooledConnection {
    fn new(pool: Pool, conn: Connection, reused: bool) -> Self {
        Self { pool, conn: Some(conn), reused, clean: false }
    }

    /// Whether the connection came from the idle list (and so may have died
    /// since: callers retry once on a fresh one).
    pub fn was_reused(&self) -> bool {
        self.reused
    }

    /// The connection.
    pub fn conn(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("connection present until drop")
    }

    /// Marks the last exchange as complete, so the connection is returned to
    /// the pool on drop.
    pub fn release(mut self) {
        self.clean = true;
    }

    /// Returns the connection to the pool after a success; after any
    /// error, the answer of a status included, closes it (see the module
    /// docs: the peer may be closing it already).
    pub fn finish<T>(self, result: &Result<T, ConnError>) {
        if result.is_ok() {
            self.release();
        }
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        if self.clean
            && let Some(conn) = self.conn.take()
        {
            self.pool.put_back(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Empty;
    use tokio::net::TcpListener;

    /// A server answering every request with an empty success, counting
    /// accepted connections.
    async fn echo_server() -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            loop {
                let (s, _) = listener.accept().await.unwrap();
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut c = Connection::new(s, Duration::from_secs(5)).unwrap();
                    while let Ok(Some(h)) = c.read_header_or_eof().await {
                        if h.cmd == crate::cmd::QUIT {
                            return;
                        }
                        c.discard(h.pkg_len).await.unwrap();
                        c.respond(&Empty).await.unwrap();
                    }
                });
            }
        });
        (addr, accepted)
    }

    #[tokio::test]
    async fn reuses_released_connections_and_drops_dead_ones() {
        let (addr, accepted) = echo_server().await;
        let pool = Pool::default();
        let mut c = pool.get(addr).await.unwrap();
        assert!(!c.was_reused());
        c.conn().call(&ActiveTest).await.unwrap();
        c.release();
        assert_eq!(pool.idle_count(addr), 1);
        let mut c = pool.get(addr).await.unwrap();
        assert!(c.was_reused());
        // Make the server close it: the next checkout must not reuse it.
        c.conn().send(&crate::message::Quit).await.unwrap();
        c.release();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let c = pool.get(addr).await.unwrap();
        assert!(!c.was_reused());
        drop(c); // not released: closed, not pooled
        assert_eq!(pool.idle_count(addr), 0);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn old_idle_connections_answer_active_test_first() {
        let (addr, accepted) = echo_server().await;
        let pool = Pool::new(PoolConfig { check_after: Duration::ZERO, ..PoolConfig::default() });
        pool.get(addr).await.unwrap().release();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let c = pool.get(addr).await.unwrap();
        assert!(c.was_reused());
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
