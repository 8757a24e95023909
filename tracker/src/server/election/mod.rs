//! Leader election among trackers and following the leader (§3.4, FastDFS
//! `tracker_relationship.c` semantics).
//!
//! One worker per tracker, only when several trackers are configured (a
//! lone tracker leads itself from the start). It loops over three roles,
//! chosen by the leader this tracker currently knows:
//!
//! - **No leader**: every [`ElectionTiming::election_period`] (jittered) it
//!   asks TRACKER_GET_STATUS (64) of every tracker — itself answered
//!   locally, unreachable ones skipped — and ranks the answers by
//!   `(is_leader, running_time, −restart_interval, ip, port)`, the maximum
//!   winning. Running times within [`RUNNING_TIME_SLACK`] count as equal:
//!   two trackers started together measure each other a second apart
//!   depending on when they ask, and the slack lets the address decide the
//!   same way on both. A winner that already leads is simply followed. If
//!   this tracker wins, it announces itself: NOTIFY_NEXT_LEADER (66) to
//!   every other reachable tracker, then — only if none refused — it takes
//!   the lead and sends COMMIT_NEXT_LEADER (67). A tracker refuses 66 while
//!   it leads or announces itself (see [`TrackerState::accept_next_leader`]),
//!   so of two racing announcements at most one completes; the other is
//!   retried after a jittered pause. A winner that never announces itself
//!   (it sees the ranking differently) is waited for at most
//!   [`ElectionTiming::max_wait_rounds`] rounds, then this tracker
//!   announces itself instead. As in FastDFS no majority is required: a
//!   tracker that reaches no other one leads alone.
//! - **Follower**: it connects to the leader, sends TRACKER_JOIN_LEADER (58)
//!   and then PING_LEADER (65) every [`ElectionTiming::ping_period`]. After
//!   [`ElectionTiming::max_misses`] failed pings in a row (unreachable, or
//!   answered with an error such as 95 from a tracker that no longer
//!   leads) it forgets the leader, which starts a new election.
//! - **Leader**: every [`ElectionTiming::rival_check_period`] it asks 64 of
//!   the others; if another tracker also leads and outranks it (a healed
//!   split), it steps down and follows that one.
//!
//! Every outgoing tracker → tracker connection is bound to this tracker's
//! own listen IP ([`connect_from`]): the leader recognises a follower by the
//! connection's source IP plus the port it announces, which FastDFS gets
//! wrong for several trackers on one host.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::consts::FDFS_VERSION;
use fdfs_protocol::message::Request;
use fdfs_protocol::server::Shutdown;
use fdfs_protocol::tracker::{
    CommitNextLeader, JoinLeader, NotifyNextLeader, PingLeader, ServerAddr, TrackerGetStatus,
    TrackerStatus,
};
use tokio::net::TcpSocket;
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

mod rank;

pub use rank::{Candidate, RUNNING_TIME_SLACK, outranks, pick};

use super::state::TrackerState;

/// The periods and limits of the election worker. The defaults suit a
/// production cluster; tests shorten them.
#[derive(Debug, Clone)]
pub struct ElectionTiming {
    /// Pause between election rounds while no leader is known (each pause
    /// is jittered to 50–150 %). Default 1.5 s.
    pub election_period: Duration,
    /// Pause between a follower's pings of the leader (FastDFS uses its
    /// heartbeat interval). Default 2 s.
    pub ping_period: Duration,
    /// Failed pings in a row after which a follower drops its leader and
    /// elects again. Default 3.
    pub max_misses: u32,
    /// Pause between a leader's checks for another leader. Default 5 s.
    pub rival_check_period: Duration,
    /// Rounds to wait for a winner that does not announce itself before
    /// announcing this tracker instead. Default 10.
    pub max_wait_rounds: u32,
    /// Bound on connecting to another tracker. Default 2 s.
    pub connect_timeout: Duration,
    /// Bound on each read and write to another tracker. Default 5 s.
    pub network_timeout: Duration,
}

impl Default for ElectionTiming {
    fn default() -> Self {
        Self {
            election_period: Duration::from_millis(1500),
            ping_period: Duration::from_secs(2),
            max_misses: 3,
            rival_check_period: Duration::from_secs(5),
            max_wait_rounds: 10,
            connect_timeout: Duration::from_secs(2),
            network_timeout: Duration::from_secs(5),
        }
    }
}

/// Connects to tracker `peer` from `local` (port chosen by the system), so
/// the peer sees this tracker's own address as the source. An unspecified
/// `local`, or one of the other address family, leaves the choice to the
/// system.
pub async fn connect_from(
    local: IpAddr,
    peer: SocketAddr,
    connect_timeout: Duration,
    network_timeout: Duration,
) -> Result<Connection, ConnError> {
    let socket = if peer.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if !local.is_unspecified() && local.is_ipv4() == peer.is_ipv4() {
        socket.bind(SocketAddr::new(local, 0))?;
    }
    let stream = tokio::time::timeout(connect_timeout, socket.connect(peer))
        .await
        .map_err(|_| ConnError::Timeout(connect_timeout))??;
    Connection::new(stream, network_timeout)
}

/// `period` scaled by a random factor in 50–150 %, so trackers started
/// together do not keep acting in lockstep.
fn jittered(period: Duration) -> Duration {
    let mut hasher = RandomState::new().build_hasher();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    hasher.write_u32(nanos);
    let permille = hasher.finish() % 1001;
    period.mul_f64(0.5 + permille as f64 / 1000.0)
}

/// Runs the election worker until `shutdown` fires. Returns at once when
/// this is the only tracker.
pub async fn run(state: Arc<TrackerState>, timing: ElectionTiming, mut shutdown: Shutdown) {
    if state.trackers.len() < 2 {
        return;
    }
    let span = info_span!("election", addr = %state.self_addr);
    // A first pause lets trackers started together come up before the
    // first round, so they find each other instead of each leading alone.
    let first = jittered(timing.election_period);
    let mut worker = Worker { state, timing, follower: None, waiting: None };
    tokio::select! {
        () = tokio::time::sleep(first) => {}
        () = shutdown.wait() => return,
    }
    loop {
        let pause = tokio::select! {
            pause = worker.step().instrument(span.clone()) => pause,
            () = shutdown.wait() => return,
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = shutdown.wait() => return,
        }
    }
}

/// A follower's link to its leader.
#[derive(Debug)]
struct Follower {
    leader: SocketAddr,
    /// Joined connection, if one is open.
    conn: Option<Connection>,
    /// Failed pings in a row.
    misses: u32,
}

#[derive(Debug)]
struct Worker {
    state: Arc<TrackerState>,
    timing: ElectionTiming,
    follower: Option<Follower>,
    /// The non-leading winner being waited for, and for how many rounds.
    waiting: Option<(SocketAddr, u32)>,
}

impl Worker {
    /// One round of whatever the current role asks; returns the pause
    /// before the next one.
    async fn step(&mut self) -> Duration {
        let me = self.state.self_addr;
        match self.state.leader().leader {
            None => {
                self.follower = None;
                self.elect().await;
                jittered(self.timing.election_period)
            }
            Some(leader) if leader == me => {
                self.follower = None;
                self.waiting = None;
                self.check_rivals().await;
                jittered(self.timing.rival_check_period)
            }
            Some(leader) => {
                self.waiting = None;
                if self.follower.as_ref().is_none_or(|f| f.leader != leader) {
                    self.follower = Some(Follower { leader, conn: None, misses: 0 });
                }
                if self.follow().await {
                    self.timing.ping_period
                } else {
                    jittered(self.timing.election_period)
                }
            }
        }
    }

    /// TRACKER_GET_STATUS of every tracker, this one first.
    async fn poll(&self) -> Vec<Candidate> {
        let state = &self.state;
        let mut asks = JoinSet::new();
        for &peer in state.trackers.iter().filter(|&&a| a != state.self_addr) {
            let timing = self.timing.clone();
            let local = state.self_addr.ip();
            asks.spawn(async move {
                let status = async {
                    connect_from(local, peer, timing.connect_timeout, timing.network_timeout)
                        .await?
                        .call(&TrackerGetStatus)
                        .await
                };
                (peer, status.await)
            });
        }
        let mut out = vec![Candidate {
            addr: state.self_addr,
            status: TrackerStatus {
                is_leader: state.is_leader(),
                running_time: state.running_time(),
                restart_interval: state.restart_interval,
            },
        }];
        while let Some(joined) = asks.join_next().await {
            match joined {
                Ok((addr, Ok(status))) => out.push(Candidate { addr, status }),
                Ok((addr, Err(e))) => {
                    debug!(tracker = %addr, error = %e, "tracker status unavailable")
                }
                Err(e) => debug!(error = %e, "status request task failed"),
            }
        }
        out[1..].sort_by_key(|c| c.addr);
        out
    }

    /// One election round.
    async fn elect(&mut self) {
        let candidates = self.poll().await;
        let Some(&best) = pick(&candidates) else { return };
        let me = self.state.self_addr;
        if best.addr == me {
            self.waiting = None;
            self.announce().await;
        } else if best.status.is_leader {
            self.waiting = None;
            if self.state.replace_leader(None, Some(best.addr)) {
                info!(leader = %best.addr, "following the current leader");
            }
        } else {
            let rounds = match self.waiting {
                Some((addr, n)) if addr == best.addr => n + 1,
                _ => 1,
            };
            if rounds > self.timing.max_wait_rounds {
                info!(winner = %best.addr, rounds, "winner did not take the lead; announcing this tracker");
                self.waiting = None;
                self.announce().await;
            } else {
                debug!(winner = %best.addr, "waiting for the winner to announce itself");
                self.waiting = Some((best.addr, rounds));
            }
        }
    }

    /// Sends `req` to tracker `peer` on a new connection.
    async fn call<R: Request>(&self, peer: SocketAddr, req: &R) -> Result<R::Response, ConnError> {
        let t = &self.timing;
        connect_from(self.state.self_addr.ip(), peer, t.connect_timeout, t.network_timeout)
            .await?
            .call(req)
            .await
    }

    /// Announces this tracker as the leader; returns whether it leads now.
    async fn announce(&self) -> bool {
        let state = &self.state;
        if !state.begin_announce() {
            return false;
        }
        let me = ServerAddr::new(state.self_addr.ip().to_string(), state.self_addr.port());
        let mut accepted = Vec::new();
        for &peer in state.trackers.iter().filter(|&&a| a != state.self_addr) {
            match self.call(peer, &NotifyNextLeader { leader: me.clone() }).await {
                Ok(_) => accepted.push(peer),
                Err(ConnError::Status(status)) => {
                    state.end_announce(false);
                    info!(tracker = %peer, %status, "announcement refused; electing again later");
                    return false;
                }
                Err(e) => debug!(tracker = %peer, error = %e, "tracker unreachable; skipped"),
            }
        }
        if !state.end_announce(true) {
            return false;
        }
        info!(reached = accepted.len(), "elected leader");
        for peer in accepted {
            if let Err(e) = self.call(peer, &CommitNextLeader { leader: me.clone() }).await {
                warn!(tracker = %peer, error = %e, "leader commit not delivered");
            }
        }
        true
    }

    /// One ping of the leader (joining first on a new connection); returns
    /// whether the leader is still followed.
    async fn follow(&mut self) -> bool {
        let Some(mut f) = self.follower.take() else { return false };
        let result = self.ping(&mut f).await;
        let leader = f.leader;
        match result {
            Ok(()) => {
                if f.misses > 0 {
                    info!(%leader, "leader answers again");
                }
                f.misses = 0;
                self.state.note_tracker_seen(leader);
            }
            Err(e) => {
                f.conn = None;
                f.misses += 1;
                info!(%leader, error = %e, misses = f.misses, "leader ping failed");
                if f.misses >= self.timing.max_misses {
                    if self.state.replace_leader(Some(leader), None) {
                        warn!(%leader, "leader lost; electing a new one");
                    }
                    return false;
                }
            }
        }
        self.follower = Some(f);
        true
    }

    async fn ping(&self, f: &mut Follower) -> Result<(), ConnError> {
        let conn = match &mut f.conn {
            Some(conn) => conn,
            None => {
                let t = &self.timing;
                let local = self.state.self_addr.ip();
                let mut conn =
                    connect_from(local, f.leader, t.connect_timeout, t.network_timeout).await?;
                conn.call(&JoinLeader {
                    up_time: self.state.started_at,
                    version: FDFS_VERSION.to_string(),
                    server_port: self.state.self_addr.port(),
                })
                .await?;
                info!(leader = %f.leader, "joined the leader");
                f.conn.insert(conn)
            }
        };
        // Trunk servers are not used by fdfs: the reply is ignored.
        conn.call(&PingLeader::default()).await.map(drop)
    }

    /// A leader's check for another leader that outranks it.
    async fn check_rivals(&self) {
        let candidates = self.poll().await;
        let Some(me) = candidates.first() else { return };
        let rivals: Vec<Candidate> = candidates
            .iter()
            .filter(|c| c.addr != me.addr && c.status.is_leader)
            .copied()
            .collect();
        if let Some(rival) = pick(&rivals).filter(|r| outranks(r, me))
            && self.state.replace_leader(Some(me.addr), Some(rival.addr))
        {
            warn!(leader = %rival.addr, "another tracker leads and outranks this one; following it");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..100 {
            let d = jittered(Duration::from_millis(1000));
            assert!(d >= Duration::from_millis(500) && d <= Duration::from_millis(1500), "{d:?}");
        }
    }
}
