//! SIGINT/SIGTERM handling shared by the long-running roles.
//!
//! A first signal starts a graceful stop (stop accepting, let requests in
//! flight finish, flush state); a second one exits at once, for an
//! operator who does not want to wait for the drain. SIGHUP reloads what
//! can be reloaded (the gateway's TLS certificate).

use fdfs_protocol::server::ShutdownTrigger;
use tokio::signal::unix::{SignalKind, signal};
use tracing::{info, warn};

/// Triggers `trigger` on the first SIGINT or SIGTERM; exits the process on
/// the second. Abort the returned task once the server has stopped.
pub fn wait_for_signals(trigger: ShutdownTrigger) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(tokio::spawn(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        info!(signal = name, "stopping: finishing requests in flight");
        trigger.trigger();
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        warn!("second signal: exiting without waiting");
        std::process::exit(130);
    }))
}

/// Runs `reload` on every SIGHUP. Abort the returned task once the server
/// has stopped.
pub fn reload_on_sighup(
    reload: impl Fn() + Send + 'static,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let mut hangup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            info!(signal = "SIGHUP", "reloading");
            reload();
        }
    }))
}
