//! Tempdir-based tests of the file engine: real files, real renames and
//! fsyncs, no mocks. The reserve is 0% unless a test sets one, so the
//! results do not depend on how full the test machine's disk is.

mod appender;
mod meta_info;
mod retention;
mod upload;

use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use fdfs_protocol::file_id::LogicName;
use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

use crate::store::{ReservedSpace, Store, StoreConfig, Stored, UploadSpec};

/// The address new names carry in tests.
pub(super) const IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A store over `paths` fresh store path directories.
pub(super) struct Fixture {
    _dir: TempDir,
    pub store: Store,
}

impl Fixture {
    /// One store path, default settings, no reserve.
    pub async fn new() -> Self {
        Self::with(1, |_| {}).await
    }

    /// `paths` store paths, settings changed by `tune`.
    pub async fn with(paths: usize, tune: impl FnOnce(&mut StoreConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let roots = (0..paths).map(|i| dir.path().join(format!("p{i}"))).collect();
        let mut config = StoreConfig::new(roots, IP);
        config.reserved = ReservedSpace::Ratio(0.0);
        tune(&mut config);
        let store = Store::new(config).unwrap();
        store.init().await.unwrap();
        Self { _dir: dir, store }
    }

    /// Uploads `data` into store path 0.
    pub async fn upload(&self, data: &[u8], ext: &str, appender: bool) -> Stored {
        let spec = UploadSpec { store_path: 0, size: data.len() as u64, ext, appender };
        self.store.upload(spec, &mut &data[..]).await.unwrap()
    }

    /// The content stored under `name`.
    pub fn read(&self, name: &LogicName) -> Vec<u8> {
        std::fs::read(self.store.paths().resolve(name).unwrap()).unwrap()
    }

    /// The path of `name`.
    pub fn path(&self, name: &LogicName) -> PathBuf {
        self.store.paths().resolve(name).unwrap()
    }

    /// Files left in store path `index`'s temp directory.
    pub fn temp_files(&self, index: u8) -> usize {
        std::fs::read_dir(self.store.paths().tmp_dir(index).unwrap()).unwrap().count()
    }

    /// Reads a whole download.
    pub async fn download(&self, name: &LogicName, offset: u64, len: u64) -> Vec<u8> {
        let dl = self.store.open_download(name, offset, len).await.unwrap();
        let mut out = Vec::new();
        dl.file.take(dl.len).read_to_end(&mut out).await.unwrap();
        out
    }
}

/// A reader that yields `data`, then fails.
pub(super) struct FailingReader {
    pub data: Vec<u8>,
}

impl AsyncRead for FailingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.data.is_empty() {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::ConnectionReset, "peer gone")));
        }
        let n = self.data.len().min(buf.remaining());
        let rest = self.data.split_off(n);
        buf.put_slice(&self.data);
        self.data = rest;
        Poll::Ready(Ok(()))
    }
}

/// The logic filename of `name` parsed.
pub(super) fn logic(name: &str) -> LogicName {
    LogicName::parse(name).unwrap()
}
