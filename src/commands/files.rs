//! `fdfs upload|download|delete|append`: the FastDFS client tools, through
//! a tracker.
//!
//! Each routes like the C client does: upload asks QUERY_STORE and sends the
//! returned store path index; download asks QUERY_FETCH_ONE; delete and
//! append ask QUERY_UPDATE (the file's source storage).

use std::path::Path;

use anyhow::{Context, bail};
use fdfs_protocol::client::{
    Content, Pool, PoolConfig, StorageClient, TrackerClient, storage_socket_addr,
};
use fdfs_protocol::file_id::FileId;
use fdfs_protocol::filename::validate_ext;
use tokio::io::AsyncWriteExt;

use super::status_words::{Step, explain};
use crate::cli::{AppendArgs, DownloadArgs, FileIdArgs, TrackerArgs, UploadArgs};

fn clients(trackers: &TrackerArgs) -> anyhow::Result<(TrackerClient, StorageClient)> {
    let pool = Pool::new(PoolConfig::default());
    let tracker = TrackerClient::new(trackers.trackers.clone(), pool.clone())?;
    Ok((tracker, StorageClient::new(pool)))
}

/// The extension to store: `--ext`, else the local file's when FastDFS can
/// carry it (≤ 6 of `[A-Za-z0-9._-]`), else none.
fn extension_for(path: &Path, explicit: Option<&str>) -> anyhow::Result<String> {
    if let Some(ext) = explicit {
        validate_ext(ext).with_context(|| format!("bad --ext {ext:?}"))?;
        return Ok(ext.to_string());
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    Ok(if validate_ext(ext).is_ok() { ext.to_string() } else { String::new() })
}

pub async fn upload(args: UploadArgs) -> anyhow::Result<()> {
    let ext = extension_for(&args.file, args.ext.as_deref())?;
    let mut file = tokio::fs::File::open(&args.file)
        .await
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let len = file.metadata().await?.len();
    let (tracker, storage) = clients(&args.trackers)?;
    let group_given = args.group.is_some();
    let target = tracker
        .query_store(args.group.as_deref())
        .await
        .map_err(|e| explain(Step::TrackerStore { group_given }, e))
        .context("tracker query")?;
    let addr = storage_socket_addr(&target.storage)?;
    let stored = storage
        .upload(
            addr,
            target.store_path_index,
            &ext,
            args.appender,
            Content { len, reader: &mut file },
        )
        .await
        .map_err(|e| explain(Step::Upload, e))
        .with_context(|| format!("upload to {addr}"))?;
    println!("{}", stored.file_id());
    Ok(())
}

pub async fn download(args: DownloadArgs) -> anyhow::Result<()> {
    let id = FileId::parse(&args.file_id).context("bad file ID")?;
    let (tracker, storage) = clients(&args.trackers)?;
    let target = tracker
        .query_fetch(id.group(), id.logic().as_str())
        .await
        .map_err(|e| explain(Step::TrackerFile, e))
        .context("tracker query")?;
    let addr = storage_socket_addr(&target.storage)?;
    let mut body = storage
        .download(addr, id.group(), id.logic().as_str(), args.offset, args.length)
        .await
        .map_err(|e| explain(Step::StorageFile, e))
        .with_context(|| format!("download from {addr}"))?;
    if args.output.as_os_str() == "-" {
        let mut out = tokio::io::stdout();
        tokio::io::copy(&mut body, &mut out).await?;
        out.flush().await?;
        return Ok(());
    }
    // Written beside the destination and renamed when complete, so a failed
    // download never leaves a truncated file under the requested name.
    let partial = args.output.with_extension("fdfs-partial");
    let mut out = tokio::fs::File::create(&partial)
        .await
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let copied = tokio::io::copy(&mut body, &mut out).await;
    let finished = match copied {
        Ok(n) if n == body.len() => out.sync_all().await.map_err(anyhow::Error::from),
        Ok(n) => Err(anyhow::anyhow!("download ended after {n} of {} bytes", body.len())),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = finished {
        let _ = tokio::fs::remove_file(&partial).await;
        bail!(e);
    }
    tokio::fs::rename(&partial, &args.output).await?;
    Ok(())
}

/// The file's source storage (QUERY_UPDATE), for changes to `file_id`.
async fn source_storage(
    trackers: &TrackerArgs,
    file_id: &str,
) -> anyhow::Result<(FileId, StorageClient, std::net::SocketAddr)> {
    let id = FileId::parse(file_id).context("bad file ID")?;
    let (tracker, storage) = clients(trackers)?;
    let target = tracker
        .query_update(id.group(), id.logic().as_str())
        .await
        .map_err(|e| explain(Step::TrackerFile, e))
        .context("tracker query")?;
    let addr = storage_socket_addr(&target.storage)?;
    Ok((id, storage, addr))
}

pub async fn delete(args: FileIdArgs) -> anyhow::Result<()> {
    let (id, storage, addr) = source_storage(&args.trackers, &args.file_id).await?;
    storage
        .delete(addr, id.group(), id.logic().as_str())
        .await
        .map_err(|e| explain(Step::StorageFile, e))
        .with_context(|| format!("delete on {addr}"))?;
    Ok(())
}

pub async fn append(args: AppendArgs) -> anyhow::Result<()> {
    let mut file = tokio::fs::File::open(&args.file)
        .await
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let len = file.metadata().await?.len();
    let (id, storage, addr) = source_storage(&args.trackers, &args.file_id).await?;
    storage
        .append(addr, id.logic().as_str(), Content { len, reader: &mut file })
        .await
        .map_err(|e| explain(Step::StorageFile, e))
        .with_context(|| format!("append on {addr}"))?;
    Ok(())
}
