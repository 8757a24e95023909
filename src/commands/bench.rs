//! `fdfs bench`: load generators against a running cluster, for the figures
//! reported in issues and release notes (measured, never asserted in tests).
//!
//! Each client task owns its own connection pool, so `--clients N` means N
//! persistent connections issuing requests back to back, the way a busy
//! application tier drives a tracker.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use fdfs_protocol::client::{Pool, PoolConfig, TrackerClient};

use crate::cli::{BenchArgs, BenchWorkload};

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.seconds.max(1));
    match args.workload {
        BenchWorkload::QueryStore { group } => {
            let what = match &group {
                Some(g) => format!("QUERY_STORE_WITH_GROUP_ONE({g})"),
                None => "QUERY_STORE_WITHOUT_GROUP_ONE".to_string(),
            };
            let report =
                query_store(&args.trackers.trackers, group, args.clients, duration).await?;
            println!("{}", report.summary(&what, args.clients));
            if report.ops == 0 {
                anyhow::bail!("no request succeeded ({} errors)", report.errors);
            }
        }
    }
    Ok(())
}

/// What one benchmark run measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub ops: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl Report {
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at quantile `q` (0..=1), in microseconds.
    pub fn quantile_us(&self, q: f64) -> u32 {
        if self.latencies_us.is_empty() {
            return 0;
        }
        let i = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[i.min(self.latencies_us.len() - 1)]
    }

    pub fn summary(&self, what: &str, clients: usize) -> String {
        format!(
            "{what}: {clients} clients, {} ops in {:.2} s = {:.0} ops/s; errors {}; \
             latency p50 {} us, p99 {} us, max {} us",
            self.ops,
            self.elapsed.as_secs_f64(),
            self.ops_per_sec(),
            self.errors,
            self.quantile_us(0.5),
            self.quantile_us(0.99),
            self.latencies_us.last().copied().unwrap_or(0),
        )
    }
}

/// QUERY_STORE (without or with a group) from `clients` concurrent clients
/// for `duration`.
pub async fn query_store(
    trackers: &[SocketAddr],
    group: Option<String>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let client = TrackerClient::new(trackers.to_vec(), Pool::new(PoolConfig::default()))?;
        let group = group.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.query_store(group.as_deref()).await {
                    Ok(_) => {
                        latencies.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32)
                    }
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    while let Some(done) = tasks.join_next().await {
        let (l, e) = done.context("benchmark client task failed")?;
        latencies_us.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies_us.sort_unstable();
    Ok(Report { ops: latencies_us.len() as u64, errors, elapsed, latencies_us })
}
