//! S3 load benchmark: PUT and GET ops/s and MiB/s through the gateway with
//! N concurrent clients, at several object sizes.
//!
//! By default it starts `fdfs server` (the all-in-one process) from
//! `--server` on free loopback ports in a temporary data directory, so one
//! command measures the embedded default a newcomer runs:
//!
//! ```text
//! cargo build --release
//! cargo bench --bench s3_load -- --server target/release/fdfs --clients 8 --seconds 10
//! ```
//!
//! `--endpoint URL` (with FDFS_ACCESS_KEY_ID / FDFS_SECRET_ACCESS_KEY)
//! measures a gateway that is already running instead. The client is the
//! `aws-sdk-s3` crate with its default settings, so every PUT carries a
//! CRC32 checksum trailer the gateway verifies, as boto3's do
//! (`--no-checksum` turns that off). Each client PUTs its own keys for the
//! phase's duration, then GETs them back round-robin and counts every body
//! byte. The report gives ops/s, MiB/s, p50/p99 latency per phase and the
//! server's peak RSS (VmHWM) when it was started here.
//!
//! Client and server share the machine: on a small box the figures are the
//! pair's, not the server's alone.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, RequestChecksumCalculation};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "PUT/GET throughput through the S3 gateway")]
struct Args {
    /// An `fdfs` binary to start as `fdfs server` for the run.
    #[arg(long, default_value = "target/release/fdfs")]
    server: PathBuf,
    /// Measure a running gateway at this URL instead of starting one.
    #[arg(long)]
    endpoint: Option<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Seconds per phase (PUT, then GET) and size.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Object sizes, e.g. 4K,64K,1M,16M.
    #[arg(long, default_value = "4K,64K,1M,16M", value_delimiter = ',')]
    sizes: Vec<String>,
    /// Send no checksum with PUTs (the SDK sends CRC32 by default).
    #[arg(long)]
    no_checksum: bool,
    /// Instead of the load phases: one PutObject and one GetObject of this
    /// size (e.g. 5G) from a sparse file, with the server's peak RSS.
    #[arg(long)]
    big: Option<String>,
    /// Passed by `cargo bench`; without it (as `cargo test` runs benches)
    /// nothing is measured.
    #[arg(long, hide = true)]
    bench: bool,
}

/// A started `fdfs server`, killed on drop.
struct Server {
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const KEY_ID: &str = "benchkey";
const SECRET: &str = "benchsecret-benchsecret-benchsecret";

fn main() -> Result<()> {
    let args = Args::parse();
    if !args.bench {
        // `cargo test --all-targets` runs bench targets without `--bench`:
        // a load run is not a test, so there is nothing to do.
        println!("s3_load: a benchmark; run it with `cargo bench --bench s3_load -- ...`");
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<()> {
    let (endpoint, key, secret, server) = match &args.endpoint {
        Some(url) => (
            url.clone(),
            std::env::var("FDFS_ACCESS_KEY_ID").context("FDFS_ACCESS_KEY_ID")?,
            std::env::var("FDFS_SECRET_ACCESS_KEY").context("FDFS_SECRET_ACCESS_KEY")?,
            None,
        ),
        None => {
            let (server, s3) = start_server(&args.server)?;
            (format!("http://{s3}"), KEY_ID.to_string(), SECRET.to_string(), Some(server))
        }
    };
    let client = client(&endpoint, &key, &secret, args.no_checksum);
    let bucket = "bench";
    create_bucket(&client, bucket).await?;

    if let Some(size) = &args.big {
        let pid = server.as_ref().map(|s| s.child.id());
        return big_object(&client, bucket, parse_size(size)?, pid).await;
    }
    println!(
        "{} clients, {} s per phase, checksum {}, endpoint {endpoint}",
        args.clients,
        args.seconds,
        if args.no_checksum { "none" } else { "CRC32 trailer" }
    );
    println!(
        "| size | PUT ops/s | PUT MiB/s | PUT p50/p99 ms | GET ops/s | GET MiB/s | GET p50/p99 ms |"
    );
    println!("|---|---|---|---|---|---|---|");
    for size in &args.sizes {
        let bytes = parse_size(size)?;
        let body = Bytes::from(vec![0x5a; bytes]);
        let phase = Duration::from_secs(args.seconds);
        let mut put = put_phase(&client, bucket, size, &body, args.clients, phase).await?;
        let mut get = get_phase(&client, bucket, size, bytes, &put.keys, phase).await?;
        println!(
            "| {size} | {:.0} | {:.1} | {} | {:.0} | {:.1} | {} |",
            put.stats.ops_per_sec(),
            put.stats.mib_per_sec(bytes),
            put.stats.latency(),
            get.ops_per_sec(),
            get.mib_per_sec(bytes),
            get.latency(),
        );
    }
    if let Some(server) = &server {
        println!("server peak RSS (VmHWM): {}", peak_rss(server.child.id())?);
    }
    Ok(())
}

/// Starts `fdfs server` on free loopback ports; returns it and its S3 address.
fn start_server(bin: &PathBuf) -> Result<(Server, SocketAddr)> {
    if !bin.exists() {
        bail!("{} not found: run `cargo build --release` first", bin.display());
    }
    let dir = tempfile::Builder::new().prefix("fdfs-s3-bench").tempdir_in(".")?;
    let s3 = free_addr()?;
    let child = Command::new(bin)
        .arg("server")
        .arg("--data")
        .arg(dir.path())
        .args(["--listen", &s3.to_string()])
        .args(["--tracker-listen", &free_addr()?.to_string()])
        .args(["--storage-listen", &free_addr()?.to_string()])
        .args(["--reserved-storage-space", "1M"])
        .env("FDFS_ACCESS_KEY_ID", KEY_ID)
        .env("FDFS_SECRET_ACCESS_KEY", SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let server = Server { child, _dir: dir };
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(s3).is_err() {
        if Instant::now() > deadline {
            bail!("fdfs server did not listen on {s3}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((server, s3))
}

fn free_addr() -> Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

fn client(endpoint: &str, key: &str, secret: &str, no_checksum: bool) -> Client {
    let mut config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(key, secret, None, None, "bench"))
        .http_client(aws_smithy_http_client::Builder::new().build_http());
    if no_checksum {
        config = config.request_checksum_calculation(RequestChecksumCalculation::WhenRequired);
    }
    Client::from_conf(config.build())
}

/// Creates the bucket, retrying while the embedded storage registers.
async fn create_bucket(client: &Client, bucket: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client.create_bucket().bucket(bucket).send().await {
            Ok(_) => return Ok(()),
            Err(e) => {
                let code = e.as_service_error().and_then(|s| s.meta().code()).unwrap_or("");
                if code == "BucketAlreadyOwnedByYou" {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    bail!("cannot create bucket {bucket}: {e:?}");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// Counts and latencies of one phase.
#[derive(Default)]
struct Stats {
    elapsed: Duration,
    latencies_us: Vec<u64>,
}

impl Stats {
    fn merge(&mut self, other: Vec<u64>) {
        self.latencies_us.extend(other);
    }

    fn ops_per_sec(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn mib_per_sec(&self, size: usize) -> f64 {
        self.ops_per_sec() * size as f64 / (1024.0 * 1024.0)
    }

    fn latency(&mut self) -> String {
        self.latencies_us.sort_unstable();
        let at = |q: f64| {
            let n = self.latencies_us.len();
            if n == 0 {
                return 0.0;
            }
            self.latencies_us[((n as f64 * q) as usize).min(n - 1)] as f64 / 1000.0
        };
        format!("{:.1}/{:.1}", at(0.5), at(0.99))
    }
}

struct PutResult {
    stats: Stats,
    keys: Vec<Vec<String>>,
}

async fn put_phase(
    client: &Client,
    bucket: &str,
    size: &str,
    body: &Bytes,
    clients: usize,
    phase: Duration,
) -> Result<PutResult> {
    let start = Instant::now();
    let deadline = start + phase;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, bucket, body) = (client.clone(), bucket.to_string(), body.clone());
        let prefix = format!("{size}/c{c}/");
        tasks.push(tokio::spawn(async move {
            let (mut keys, mut lat) = (Vec::new(), Vec::new());
            while Instant::now() < deadline {
                let key = format!("{prefix}{}", keys.len());
                let t = Instant::now();
                client
                    .put_object()
                    .bucket(&bucket)
                    .key(&key)
                    .body(ByteStream::from(body.clone()))
                    .send()
                    .await
                    .with_context(|| format!("PUT {key}"))?;
                lat.push(t.elapsed().as_micros() as u64);
                keys.push(key);
            }
            anyhow::Ok((keys, lat))
        }));
    }
    let mut stats = Stats::default();
    let mut keys = Vec::new();
    for task in tasks {
        let (k, lat) = task.await??;
        keys.push(k);
        stats.merge(lat);
    }
    stats.elapsed = start.elapsed();
    Ok(PutResult { stats, keys })
}

async fn get_phase(
    client: &Client,
    bucket: &str,
    _size: &str,
    bytes: usize,
    keys: &[Vec<String>],
    phase: Duration,
) -> Result<Stats> {
    let start = Instant::now();
    let deadline = start + phase;
    let mut tasks = Vec::new();
    for own in keys {
        let (client, bucket) = (client.clone(), bucket.to_string());
        let own = Arc::new(own.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0;
            while Instant::now() < deadline && !own.is_empty() {
                let key = &own[i % own.len()];
                i += 1;
                let t = Instant::now();
                let out = client.get_object().bucket(&bucket).key(key).send().await?;
                let mut body = out.body;
                let mut got = 0;
                while let Some(chunk) = body.next().await {
                    got += chunk?.len();
                }
                if got != bytes {
                    bail!("GET {key}: {got} bytes, expected {bytes}");
                }
                lat.push(t.elapsed().as_micros() as u64);
            }
            anyhow::Ok(lat)
        }));
    }
    let mut stats = Stats::default();
    for task in tasks {
        stats.merge(task.await??);
    }
    stats.elapsed = start.elapsed();
    Ok(stats)
}

/// One PUT and one GET of `bytes`, streamed from a sparse file and
/// counted on the way back, with the server's peak RSS after each.
async fn big_object(client: &Client, bucket: &str, bytes: usize, pid: Option<u32>) -> Result<()> {
    let dir = tempfile::Builder::new().prefix("fdfs-s3-big").tempdir_in(".")?;
    let path = dir.path().join("big");
    std::fs::File::create(&path)?.set_len(bytes as u64)?;
    let rss = |what: &str| {
        if let Some(pid) = pid {
            match peak_rss(pid) {
                Ok(v) => println!("server peak RSS after {what}: {v}"),
                Err(e) => println!("server peak RSS unknown: {e}"),
            }
        }
    };
    rss("start");
    let t = Instant::now();
    let body = ByteStream::from_path(&path).await?;
    client.put_object().bucket(bucket).key("big").body(body).send().await.context("PUT big")?;
    let secs = t.elapsed().as_secs_f64();
    println!("PUT {bytes} bytes in {secs:.1} s: {:.0} MiB/s", bytes as f64 / secs / 1048576.0);
    rss("PUT");
    let t = Instant::now();
    let out = client.get_object().bucket(bucket).key("big").send().await.context("GET big")?;
    let mut body = out.body;
    let mut got = 0usize;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if chunk.iter().any(|&b| b != 0) {
            bail!("GET big: non-zero byte near offset {got}");
        }
        got += chunk.len();
    }
    if got != bytes {
        bail!("GET big: {got} bytes, expected {bytes}");
    }
    let secs = t.elapsed().as_secs_f64();
    println!("GET {got} bytes in {secs:.1} s: {:.0} MiB/s", got as f64 / secs / 1048576.0);
    rss("GET");
    let own = std::fs::read_to_string("/proc/self/status")?;
    if let Some(l) = own.lines().find(|l| l.starts_with("VmHWM:")) {
        println!("client (this process) {l}");
    }
    client.delete_object().bucket(bucket).key("big").send().await?;
    Ok(())
}

fn parse_size(s: &str) -> Result<usize> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: usize = num.parse().with_context(|| format!("bad size {s}"))?;
    let mult = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KIB" => 1 << 10,
        "M" | "MIB" => 1 << 20,
        "G" | "GIB" => 1 << 30,
        _ => bail!("bad size unit in {s}"),
    };
    Ok(n * mult)
}

/// A process's peak resident set size, as /proc reports it.
fn peak_rss(pid: u32) -> Result<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).context("no VmHWM")?;
    Ok(line.trim_start_matches("VmHWM:").trim().to_string())
}
