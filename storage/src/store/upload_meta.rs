//! A new file and its metadata in one durable step (the fdfs extension
//! UPLOAD_FILE_WITH_METADATA).
//!
//! Both the content and the `-m` metadata file are streamed into temp files
//! of the same store path and fsynced (the metadata's while the content
//! streams, so its fsync overlaps the transfer); then the content takes a freshly
//! drawn name (no-replace rename, drawing again while names are taken),
//! the metadata takes `<name>-m` beside it, and the one directory holding
//! both is fsynced once. Only then does the caller answer. A crash before
//! that fsync may leave the file without its `-m` file (or neither); the
//! upload was never acknowledged, so no client holds its name.

use std::io;

use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::filename::{MAX_PLAIN_SIZE, NewFile, NewName, validate_ext};
use tokio::io::AsyncRead;

use crate::store::Store;
use crate::store::error::{StoreError, StoreResult, join_error};
use crate::store::fsops::{self, TempFile};
use crate::store::paths::META_SUFFIX;
use crate::store::upload::{Stored, UploadSpec};

/// A file stored with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWithMeta {
    /// The content file.
    pub stored: Stored,
    /// Its `-m` metadata file (logic name), when the metadata was not empty.
    pub meta_name: Option<LogicName>,
}

impl Store {
    /// Stores `spec.size` bytes from `reader` as a new normal file with the
    /// metadata blob `meta` (already in FastDFS's stored form: sorted by
    /// name, one pair per name); an empty blob stores no `-m` file. Errors
    /// as [`Store::upload`]; nothing is left on disk on failure.
    #[tracing::instrument(level = "debug", skip(self, meta, reader), fields(name))]
    pub async fn upload_with_meta<R>(
        &self,
        spec: UploadSpec<'_>,
        meta: &[u8],
        reader: &mut R,
    ) -> StoreResult<StoredWithMeta>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        validate_ext(spec.ext)?;
        if spec.appender || spec.size > MAX_PLAIN_SIZE {
            return Err(StoreError::invalid("only normal files below 4 GiB carry metadata"));
        }
        let index = self.pick_store_path(spec.store_path, spec.size + meta.len() as u64).await?;
        // The small metadata file is written and fsynced while the content
        // streams, so its fsync adds no latency of its own.
        let meta_fut = async {
            if meta.is_empty() {
                return StoreResult::<Option<TempFile>>::Ok(None);
            }
            let mut slice = meta;
            Ok(Some(self.receive(index, meta.len() as u64, &mut slice, None).await?.0))
        };
        let (content, meta_tmp) =
            tokio::join!(self.receive(index, spec.size, reader, None), meta_fut);
        let (tmp, crc32, mtime) = content?;
        let meta_tmp = meta_tmp?;
        let create_time = fsops::unix_secs(mtime);
        let new = NewName {
            source: self.source(),
            create_time,
            file: NewFile::Normal { size: spec.size },
            crc32,
            ext: spec.ext,
        };
        let meta_ref = meta_tmp.as_ref();
        let name = self
            .draw_name(tmp, index, &new, move |file, name| async move {
                self.commit_pair(file, meta_ref, &name).await
            })
            .await?;
        if let Some(meta_tmp) = meta_tmp {
            meta_tmp.keep();
        }
        tracing::Span::current().record("name", name.as_str());
        let meta_name = if meta.is_empty() {
            None
        } else {
            Some(LogicName::parse(&format!("{name}{META_SUFFIX}"))?)
        };
        let stored = Stored { name, size: spec.size, crc32, create_time };
        Ok(StoredWithMeta { stored, meta_name })
    }

    /// Renames `file` to `name` (never replacing) and `meta` to `name-m`,
    /// then fsyncs their directory once. Hands `file` back when the name
    /// is taken.
    async fn commit_pair(
        &self,
        file: TempFile,
        meta: Option<&TempFile>,
        name: &LogicName,
    ) -> StoreResult<Result<(), TempFile>> {
        let path = self.paths.resolve(name)?;
        let meta_path = self.paths.meta_path(name)?;
        let from = file.path().to_path_buf();
        let meta_from = meta.map(|m| m.path().to_path_buf());
        let target = path.clone();
        // Err carries whether the content had left its temp name.
        type Failure = (&'static str, io::Error, bool);
        let renamed = tokio::task::spawn_blocking(move || -> Result<bool, Failure> {
            if let Some(dir) = target.parent() {
                fsops::ensure_dir(dir).map_err(|e| ("create dir", e, false))?;
            }
            match fsops::rename_noreplace(&from, &target) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
                Err(e) => return Err(("rename", e, false)),
            }
            // From here on a failure removes the content again, so a failed
            // upload leaves nothing under a final name.
            let undo = |op, e| {
                let _ = std::fs::remove_file(&target);
                (op, e, true)
            };
            if let Some(meta_from) = meta_from {
                std::fs::rename(&meta_from, &meta_path).map_err(|e| undo("rename metadata", e))?;
            }
            fsops::fsync_parent(&target).map_err(|e| {
                let _ = std::fs::remove_file(&meta_path);
                undo("fsync dir", e)
            })?;
            Ok(true)
        })
        .await
        .map_err(join_error)?;
        match renamed {
            Ok(true) => {
                file.keep();
                Ok(Ok(()))
            }
            Ok(false) => Ok(Err(file)),
            Err((op, e, moved)) => {
                if moved {
                    file.keep();
                }
                Err(StoreError::io(op, path, e))
            }
        }
    }
}
