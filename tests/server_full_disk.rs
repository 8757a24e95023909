//! A full disk, as a user of `fdfs server` meets it: the data directory on
//! a 64 MB tmpfs with a 16 MB reserve, filled by another file. Uploads are
//! refused with 507 InsufficientStorage (not a 503 an SDK would retry),
//! and work again within seconds of the space being freed — far sooner
//! than the storage's 60 s periodic disk report, because the storage
//! samples its free space and re-reports it to the tracker when it moved.
//!
//! Needs root to mount the tmpfs; without it, the test says so and uses a
//! reserve just below the free space of the temp directory's file system.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use support::process::{FdfsProcess, TempDir, free_addr};
use support::s3::{client, printed};

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Free MB of the file system holding `dir`, as `df` reports it.
fn free_mb(dir: &Path) -> u64 {
    let out = Command::new("df").args(["-Pm"]).arg(dir).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().nth(1).unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

/// Writes `mb` MB of zeros to `path`, synced.
fn fill(path: &Path, mb: u64) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 1024 * 1024];
    for _ in 0..mb {
        if f.write_all(&chunk).is_err() {
            break;
        }
    }
    let _ = f.sync_all();
}

async fn put(s3: &Client, key: &str) -> Result<(), (Option<String>, Option<u16>)> {
    s3.put_object()
        .bucket("full")
        .key(key)
        .body(ByteStream::from(vec![1u8; 64 * 1024]))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| (e.code().map(str::to_string), e.raw_response().map(|r| r.status().as_u16())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_is_507_and_uploads_resume_when_space_is_freed() {
    let dir = TempDir::new("full-disk");
    let mount = dir.path().join("fs");
    let tmpfs = Tmpfs::mount(&mount);
    let data = mount.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let reserve_mb = if tmpfs.is_some() {
        16
    } else {
        eprintln!("cannot mount a tmpfs (not root?): using a reserve near the free space");
        free_mb(&data).saturating_sub(64)
    };
    let (s3, tracker, storage) = (free_addr(81), free_addr(82), free_addr(83));
    let args: Vec<String> = [
        "server",
        "--data",
        data.to_str().unwrap(),
        "--listen",
        &s3.to_string(),
        "--tracker-listen",
        &tracker.to_string(),
        "--storage-listen",
        &storage.to_string(),
        "--reserved-storage-space",
        &format!("{reserve_mb}M"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut proc = FdfsProcess::spawn(&args, s3, dir.path().join("server.log"));
    let text = proc.log_text();
    let s3c = client(
        s3,
        &printed(&text, "access key id").unwrap(),
        &printed(&text, "secret access key").unwrap(),
    );
    s3c.create_bucket().bucket("full").send().await.expect("create bucket");
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = put(&s3c, "before").await {
        assert!(Instant::now() < deadline, "{e:?}\n{}", proc.log_text());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Another file takes the space down to 8 MB below the reserve.
    let filler = mount.join("filler");
    let free = free_mb(&data);
    fill(&filler, (free + 8).saturating_sub(reserve_mb));
    assert!(free_mb(&data) < reserve_mb, "{} MB free", free_mb(&data));
    // Refused at once (the storage checks its live free space), and still
    // once the tracker has learned of it.
    assert_eq!(put(&s3c, "full-1").await, Err((Some("InsufficientStorage".into()), Some(507))));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(put(&s3c, "full-2").await, Err((Some("InsufficientStorage".into()), Some(507))));
    let head = s3c.head_object().bucket("full").key("full-1").send().await;
    assert!(head.is_err(), "a refused upload was indexed");

    // Space freed: uploads resume within seconds.
    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    loop {
        match put(&s3c, "after").await {
            Ok(()) => break,
            Err(e) => {
                assert!(freed.elapsed() < Duration::from_secs(10), "still refused: {e:?}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    eprintln!("uploads resumed {:?} after space was freed", freed.elapsed());
    let got = s3c.get_object().bucket("full").key("after").send().await.unwrap();
    assert_eq!(got.content_length(), Some(64 * 1024));
    assert!(proc.terminate(Duration::from_secs(10)), "{}", proc.log_text());
    drop(tmpfs);
}
