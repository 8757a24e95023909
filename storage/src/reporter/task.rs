//! The reporter task of one tracker: the start-up queries once, then
//! reporter sessions one after the other, reconnecting with a capped,
//! doubling delay when a connection fails. Tasks of different trackers
//! share nothing but the once-per-storage steps, so a tracker that is down
//! only delays its own task.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fdfs_protocol::connection::{ConnError, Connection};
use fdfs_protocol::server::Shutdown;
use tracing::{Instrument, debug, info, info_span, warn};

use super::facts::Learned;
use super::oneshot;
use super::session::{self, Ended, Progress};
use super::shared::Shared;

/// How long a QUIT on shutdown may take.
const QUIT_TIMEOUT: Duration = Duration::from_secs(1);

/// Runs the reporter for `tracker` until `shutdown` fires.
pub(crate) async fn run(shared: Arc<Shared>, tracker: SocketAddr, mut shutdown: Shutdown) {
    let span = info_span!("reporter", %tracker, group = %shared.config.group);
    async move {
        let mut retry = Backoff::new(shared.config.retry_min, shared.config.retry_max);
        let mut my_id: Option<String> = None;
        let mut progress = Progress { notified: !shared.config.first_start, ..Progress::default() };
        loop {
            if shutdown.is_triggered() {
                break;
            }
            let id = match &my_id {
                Some(id) => id.clone(),
                None => {
                    let started = tokio::select! {
                        r = startup(&shared, tracker) => r,
                        () = shutdown.wait() => break,
                    };
                    match started {
                        Ok(id) => my_id.insert(id).clone(),
                        Err(e) => {
                            retry.failed("start-up queries", &e);
                            if !pause(retry.delay(), &mut shutdown).await {
                                break;
                            }
                            continue;
                        }
                    }
                }
            };
            let mut slot: Option<Connection> = None;
            progress.established = false;
            let ended = tokio::select! {
                ended = session::run(&shared, tracker, &id, &mut slot, &mut progress) => ended,
                () = shutdown.wait() => {
                    quit(slot.take()).await;
                    break;
                }
            };
            if progress.established {
                retry.reset();
            }
            let wait = match ended {
                Ok(Ended::Rejoin) => {
                    quit(slot.take()).await;
                    shared.config.rejoin_delay()
                }
                Ok(Ended::Unknown) => {
                    quit(slot.take()).await;
                    progress.claim_new = true;
                    retry.delay()
                }
                Err(e) => {
                    retry.failed("reporter connection", &e);
                    retry.delay()
                }
            };
            drop(slot);
            if !pause(wait, &mut shutdown).await {
                break;
            }
        }
        info!("reporter stopped");
    }
    .instrument(span)
    .await;
}

/// The start-up queries on short connections: GET_MY_IP (60); once per
/// storage PARAMETER_REQ (75); on a restart the pre-join CHANGELOG_REQ
/// (77). Returns the storage's id as this tracker knows it.
async fn startup(shared: &Shared, tracker: SocketAddr) -> Result<String, ConnError> {
    let c = &shared.config;
    let my_ip = oneshot::get_my_ip(&shared.dialer, tracker, &c.group, c.port).await?;
    if my_ip.is_empty() {
        return Err(ConnError::Protocol("tracker answered GET_MY_IP with nothing".into()));
    }
    debug!(my_ip, "tracker sees this storage");
    shared.facts.learned(Learned::MyIp(my_ip.clone()));
    {
        let mut fetched = shared.parameters_fetched.lock().await;
        if !*fetched {
            let parameters = oneshot::fetch_parameters(&shared.dialer, tracker).await?;
            debug!(count = parameters.0.len(), "tracker parameters fetched");
            shared.facts.learned(Learned::Parameters(parameters));
            *fetched = true;
        }
    }
    if !c.first_start {
        match oneshot::changelog_before_join(&shared.dialer, tracker, &c.group, &my_ip).await? {
            Some(log) => debug!(bytes = log.len(), "tracker changelog read"),
            None => debug!("tracker does not know this storage yet"),
        }
    }
    Ok(my_ip)
}

/// Says QUIT on a connection that is still open, within [`QUIT_TIMEOUT`].
async fn quit(conn: Option<Connection>) {
    if let Some(mut conn) = conn {
        let _ = tokio::time::timeout(QUIT_TIMEOUT, oneshot::send_quit(&mut conn)).await;
    }
}

/// Sleeps `delay`; `false` if shutdown fired first.
async fn pause(delay: Duration, shutdown: &mut Shutdown) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = shutdown.wait() => false,
    }
}

/// A doubling reconnect delay between `min` and `max`, and the count of
/// failures in a row (logged loudly at first, then quietly).
#[derive(Debug)]
struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
    failures: u32,
}

impl Backoff {
    fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(10));
        Self { min, max: max.max(min), next: min, failures: 0 }
    }

    /// Records a failure.
    fn failed(&mut self, what: &str, error: &ConnError) {
        self.failures = self.failures.saturating_add(1);
        if self.failures == 1 || self.failures.is_power_of_two() {
            warn!(%error, failures = self.failures, retry_in = ?self.next, "{what} failed");
        } else {
            debug!(%error, failures = self.failures, "{what} failed");
        }
    }

    /// The delay before the next attempt; doubles the one after.
    fn delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// A session got going: start over from the shortest delay.
    fn reset(&mut self) {
        if self.failures > 0 {
            info!(after = self.failures, "tracker reachable again");
        }
        self.next = self.min;
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let delays: Vec<u128> = (0..4).map(|_| b.delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.delay(), Duration::from_millis(100));
        let mut zero = Backoff::new(Duration::ZERO, Duration::ZERO);
        assert_eq!(zero.delay(), Duration::from_millis(10));
    }
}
