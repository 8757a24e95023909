//! `fdfs bench`: load generators against a running cluster, for the figures
//! reported in issues and release notes (measured, never asserted in tests).
//!
//! Each client task owns its own connection pool, so `--clients N` means N
//! persistent connections issuing requests back to back, the way a busy
//! application tier drives a cluster. Uploads and downloads route through
//! the trackers exactly as FastDFS clients do (QUERY_STORE before each
//! upload, QUERY_FETCH_ONE before each download).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use fdfs_protocol::client::{
    Content, Pool, PoolConfig, StorageClient, TrackerClient, storage_socket_addr,
};
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::file_id::FileId;

use crate::cli::{BenchArgs, BenchWorkload};

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let duration = Duration::from_secs(args.seconds.max(1));
    let trackers = args.trackers.trackers.clone();
    let (what, report) = match args.workload {
        BenchWorkload::QueryStore { group } => {
            let what = match &group {
                Some(g) => format!("QUERY_STORE_WITH_GROUP_ONE({g})"),
                None => "QUERY_STORE_WITHOUT_GROUP_ONE".to_string(),
            };
            let report = drive(args.clients, duration, |_| {
                let (client, _) = clients(&trackers);
                let group = group.clone();
                move || {
                    let (client, group) = (client.clone(), group.clone());
                    async move { client.query_store(group.as_deref()).await.map(|_| 0) }
                }
            })
            .await?;
            (what, report)
        }
        BenchWorkload::Upload { size, group } => {
            let data: Arc<[u8]> = pattern(size).into();
            let report = drive(args.clients, duration, |_| {
                let (tracker, storage) = clients(&trackers);
                let (data, group) = (data.clone(), group.clone());
                move || upload(tracker.clone(), storage.clone(), data.clone(), group.clone())
            })
            .await?;
            (format!("upload {}", human(size)), report)
        }
        BenchWorkload::Download { size, files } => {
            let data: Arc<[u8]> = pattern(size).into();
            let (tracker, storage) = clients(&trackers);
            let mut ids = Vec::new();
            for _ in 0..files.max(1) {
                let id = upload_id(&tracker, &storage, &data, None).await?;
                ids.push(id);
            }
            let ids: Arc<[FileId]> = ids.into();
            let report = drive(args.clients, duration, |client| {
                let (tracker, storage) = clients(&trackers);
                let ids = ids.clone();
                let mut next = client;
                move || {
                    let id = ids[next % ids.len()].clone();
                    next += 1;
                    download(tracker.clone(), storage.clone(), id)
                }
            })
            .await?;
            (format!("download {}", human(size)), report)
        }
    };
    println!("{}", report.summary(&what, args.clients));
    if report.ops == 0 {
        anyhow::bail!("no request succeeded ({} errors)", report.errors);
    }
    Ok(())
}

fn clients(trackers: &[SocketAddr]) -> (Arc<TrackerClient>, StorageClient) {
    let pool = Pool::new(PoolConfig::default());
    let tracker =
        TrackerClient::new(trackers.to_vec(), pool.clone()).expect("at least one tracker");
    (Arc::new(tracker), StorageClient::new(pool))
}

/// Deterministic content of `size` bytes.
fn pattern(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(7)).collect()
}

async fn upload_id(
    tracker: &TrackerClient,
    storage: &StorageClient,
    data: &[u8],
    group: Option<&str>,
) -> Result<FileId, ConnError> {
    let target = tracker.query_store(group).await?;
    let addr = storage_socket_addr(&target.storage)?;
    let mut reader = data;
    let content = Content { len: data.len() as u64, reader: &mut reader };
    let stored = storage.upload(addr, target.store_path_index, "bin", false, content).await?;
    FileId::parse(&stored.file_id()).map_err(ConnError::from)
}

async fn upload(
    tracker: Arc<TrackerClient>,
    storage: StorageClient,
    data: Arc<[u8]>,
    group: Option<String>,
) -> Result<u64, ConnError> {
    upload_id(&tracker, &storage, &data, group.as_deref()).await.map(|_| data.len() as u64)
}

async fn download(
    tracker: Arc<TrackerClient>,
    storage: StorageClient,
    id: FileId,
) -> Result<u64, ConnError> {
    let target = tracker.query_fetch(id.group(), id.logic().as_str()).await?;
    let addr = storage_socket_addr(&target.storage)?;
    let mut body = storage.download(addr, id.group(), id.logic().as_str(), 0, 0).await?;
    Ok(tokio::io::copy(&mut body, &mut tokio::io::sink()).await?)
}

/// Runs `clients` tasks for `duration`, each calling its own operation back
/// to back; an operation returns the bytes it moved.
async fn drive<M, F, Fut>(clients: usize, duration: Duration, mut make: M) -> anyhow::Result<Report>
where
    M: FnMut(usize) -> F,
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<u64, ConnError>> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients.max(1) {
        let mut op = make(client);
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let (mut errors, mut bytes) = (0u64, 0u64);
            while Instant::now() < deadline {
                let t = Instant::now();
                match op().await {
                    Ok(n) => {
                        bytes += n;
                        latencies.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                    }
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors, bytes)
        });
    }
    let mut report = Report::default();
    while let Some(done) = tasks.join_next().await {
        let (l, e, b) = done.context("benchmark client task failed")?;
        report.latencies_us.extend(l);
        report.errors += e;
        report.bytes += b;
    }
    report.elapsed = started.elapsed();
    report.latencies_us.sort_unstable();
    report.ops = report.latencies_us.len() as u64;
    Ok(report)
}

fn human(size: usize) -> String {
    match size {
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

/// What one benchmark run measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub ops: u64,
    pub errors: u64,
    pub bytes: u64,
    pub elapsed: Duration,
    /// Latencies in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl Report {
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }

    pub fn mib_per_sec(&self) -> f64 {
        self.bytes as f64 / (1 << 20) as f64 / self.elapsed.as_secs_f64()
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
            "{what}: {clients} clients, {} ops in {:.2} s = {:.0} ops/s, {:.1} MiB/s; errors {}; \
             latency p50 {} us, p99 {} us, max {} us",
            self.ops,
            self.elapsed.as_secs_f64(),
            self.ops_per_sec(),
            self.mib_per_sec(),
            self.errors,
            self.quantile_us(0.5),
            self.quantile_us(0.99),
            self.latencies_us.last().copied().unwrap_or(0),
        )
    }
}
