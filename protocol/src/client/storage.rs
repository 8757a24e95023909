//! Storage client: every client-facing storage command over pooled
//! connections.
//!
//! Content streams: uploads copy from an `AsyncRead` of known length through
//! a bounded buffer, downloads return a [`Download`] reader. Commands without
//! content are retried once on a fresh connection when a pooled one turns out
//! to be dead; streamed uploads are not (their source cannot be rewound), but
//! the pool drops connections the peer closed before handing them out.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};
use tracing::{Instrument, debug_span};

use super::download::Download;
use super::pool::{Pool, PooledConnection};
use crate::connection::ConnError;
use crate::message::{ActiveTest, Request};
use crate::metadata::{MetaOp, Metadata};
use crate::storage::{
    AppendFile, DeleteFile, DownloadFile, FileIdResponse, FileInfo, GetMetadata, ModifyFile,
    QueryFileInfo, RegenerateAppenderFilename, SetMetadata, TruncateFile, UploadAppenderFile,
    UploadFile, UploadSlaveFile,
};

/// Talks to storage servers. Cheap to clone; clones share the pool and
/// what was learned about each storage's support of fdfs extensions.
#[derive(Debug, Clone, Default)]
pub struct StorageClient {
    pool: Pool,
    pub(super) extensions: super::upload_meta::ExtensionSupport,
}

/// A file to upload: its length and a reader that yields exactly that many
/// bytes.
#[derive(Debug)]
pub struct Content<'a, R: ?Sized> {
    pub len: u64,
    pub reader: &'a mut R,
}

impl StorageClient {
    pub fn new(pool: Pool) -> Self {
        Self { pool, extensions: Default::default() }
    }

    /// The pool behind this client.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Sends a request without content (with `status` in the header) and
    /// decodes its response, retrying once on a fresh connection if a
    /// reused one failed at the transport level.
    async fn call_with_status<R>(
        &self,
        addr: SocketAddr,
        req: &R,
        status: u8,
    ) -> Result<R::Response, ConnError>
    where
        R: Request + Sync,
    {
        let mut conn = self.pool.get(addr).await?;
        let result = conn.conn().exchange(req, status).await;
        if let Err(e) = &result
            && conn.was_reused()
            && !e.is_answer()
        {
            drop(conn);
            let mut fresh = self.pool.connect(addr).await?;
            let retry = fresh.conn().exchange(req, status).await;
            fresh.finish(&retry);
            return retry;
        }
        conn.finish(&result);
        result
    }

    /// Sends a request without content and decodes its response.
    async fn call<R: Request + Sync>(
        &self,
        addr: SocketAddr,
        req: &R,
    ) -> Result<R::Response, ConnError> {
        self.call_with_status(addr, req, 0).await
    }

    /// ACTIVE_TEST: is the storage answering?
    pub async fn active_test(&self, addr: SocketAddr) -> Result<(), ConnError> {
        self.call(addr, &ActiveTest).await.map(|_| ())
    }

    /// UPLOAD_FILE (or UPLOAD_APPENDER_FILE when `appender`): stores
    /// `content` and returns its file ID.
    pub async fn upload<C>(
        &self,
        addr: SocketAddr,
        store_path_index: u8,
        ext: &str,
        appender: bool,
        content: Content<'_, C>,
    ) -> Result<FileIdResponse, ConnError>
    where
        C: AsyncRead + Unpin + ?Sized,
    {
        let span = debug_span!("storage.upload", %addr, size = content.len, appender);
        async {
            if appender {
                let req = UploadAppenderFile {
                    store_path_index,
                    file_size: content.len,
                    ext: ext.to_string(),
                };
                req.validate()?;
                self.call_streamed(addr, &req, content.reader).await
            } else {
                let req =
                    UploadFile { store_path_index, file_size: content.len, ext: ext.to_string() };
                req.validate()?;
                self.call_streamed(addr, &req, content.reader).await
            }
        }
        .instrument(span)
        .await
    }

    /// UPLOAD_SLAVE_FILE: stores `content` as a slave of `master_filename`
    /// named with `prefix`.
    pub async fn upload_slave<C>(
        &self,
        addr: SocketAddr,
        master_filename: &str,
        prefix: &str,
        ext: &str,
        content: Content<'_, C>,
    ) -> Result<FileIdResponse, ConnError>
    where
        C: AsyncRead + Unpin + ?Sized,
    {
        let req = UploadSlaveFile {
            master_filename: master_filename.to_string(),
            file_size: content.len,
            prefix: prefix.to_string(),
            ext: ext.to_string(),
        };
        req.validate()?;
        self.call_streamed(addr, &req, content.reader)
            .instrument(debug_span!("storage.upload_slave", %addr, size = content.len))
            .await
    }

    /// DOWNLOAD_FILE: streams `length` bytes (0 = to the end) from `offset`.
    pub async fn download(
        &self,
        addr: SocketAddr,
        group: &str,
        filename: &str,
        offset: u64,
        length: u64,
    ) -> Result<Download, ConnError> {
        let req = DownloadFile {
            offset,
            length,
            group: group.to_string(),
            filename: filename.to_string(),
        };
        req.validate()?;
        let span = debug_span!("storage.download", %addr, filename, offset, length);
        async {
            let mut conn = self.pool.get(addr).await?;
            // After an error the connection is closed, not pooled: the
            // peer may be closing it (see `pool`).
            match start_download(&mut conn, &req).await {
                Ok(len) => return Ok(Download::new(conn, len)),
                Err(e) if e.is_answer() || !conn.was_reused() => return Err(e),
                Err(_) => drop(conn),
            }
            let mut fresh = self.pool.connect(addr).await?;
            let len = start_download(&mut fresh, &req).await?;
            Ok(Download::new(fresh, len))
        }
        .instrument(span)
        .await
    }

    /// DOWNLOAD_FILE into `out`; returns the bytes written.
    pub async fn download_to<W>(
        &self,
        addr: SocketAddr,
        group: &str,
        filename: &str,
        offset: u64,
        length: u64,
        out: &mut W,
    ) -> Result<u64, ConnError>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut body = self.download(addr, group, filename, offset, length).await?;
        let n = tokio::io::copy(&mut body, out).await?;
        Ok(n)
    }

    /// DELETE_FILE (and its metadata).
    pub async fn delete(
        &self,
        addr: SocketAddr,
        group: &str,
        filename: &str,
    ) -> Result<(), ConnError> {
        let req = DeleteFile { group: group.to_string(), filename: filename.to_string() };
        req.validate()?;
        self.call(addr, &req).instrument(debug_span!("storage.delete", %addr, filename)).await?;
        Ok(())
    }

    /// SET_METADATA with overwrite or merge.
    pub async fn set_metadata(
        &self,
        addr: SocketAddr,
        group: &str,
        filename: &str,
        op: MetaOp,
        metadata: &Metadata,
    ) -> Result<(), ConnError> {
        let req = SetMetadata {
            op,
            group: group.to_string(),
            filename: filename.to_string(),
            metadata: metadata.clone(),
        };
        req.validate()?;
        self.call(addr, &req)
            .instrument(debug_span!("storage.set_metadata", %addr, filename))
            .await?;
        Ok(())
    }

    /// GET_METADATA; a file without metadata answers ENOENT.
    pub async fn get_metadata(
        &self,
        addr: SocketAddr,
        group: &str,
        filename: &str,
    ) -> Result<Metadata, ConnError> {
        let req = GetMetadata { group: group.to_string(), filename: filename.to_string() };
        req.validate()?;
        self.call(addr, &req).instrument(debug_span!("storage.get_metadata", %addr, filename)).await
    }

    /// QUERY_FILE_INFO with `flags` ([`QueryFileInfo::NO_CRC32`] ...).
    pub async fn query_file_info(
        &self,
        addr: SocketAddr,
        group: &str,
        filename: &str,
        flags: u8,
    ) -> Result<FileInfo, ConnError> {
        let req = QueryFileInfo { flags, group: group.to_string(), filename: filename.to_string() };
        req.validate()?;
        self.call_with_status(addr, &req, req.header_status())
            .instrument(debug_span!("storage.query_file_info", %addr, filename))
            .await
    }

    /// APPEND_FILE to an appender file (on its source storage).
    pub async fn append<C>(
        &self,
        addr: SocketAddr,
        filename: &str,
        content: Content<'_, C>,
    ) -> Result<(), ConnError>
    where
        C: AsyncRead + Unpin + ?Sized,
    {
        let req = AppendFile { filename: filename.to_string(), append_len: content.len };
        req.validate()?;
        self.call_streamed(addr, &req, content.reader)
            .instrument(debug_span!("storage.append", %addr, filename, size = content.len))
            .await?;
        Ok(())
    }

    /// MODIFY_FILE: overwrite bytes of an appender file from `offset`.
    pub async fn modify<C>(
        &self,
        addr: SocketAddr,
        filename: &str,
        offset: u64,
        content: Content<'_, C>,
    ) -> Result<(), ConnError>
    where
        C: AsyncRead + Unpin + ?Sized,
    {
        let req = ModifyFile { filename: filename.to_string(), offset, modify_len: content.len };
        req.validate()?;
        self.call_streamed(addr, &req, content.reader)
            .instrument(debug_span!("storage.modify", %addr, filename, offset))
            .await?;
        Ok(())
    }

    /// TRUNCATE_FILE: cut an appender file to `new_size`.
    pub async fn truncate(
        &self,
        addr: SocketAddr,
        filename: &str,
        new_size: u64,
    ) -> Result<(), ConnError> {
        let req = TruncateFile { filename: filename.to_string(), new_size };
        req.validate()?;
        self.call(addr, &req).instrument(debug_span!("storage.truncate", %addr, filename)).await?;
        Ok(())
    }

    /// REGENERATE_APPENDER_FILENAME: turn an appender file into a normal one
    /// with a name that carries its real size and CRC32.
    pub async fn regenerate_appender_filename(
        &self,
        addr: SocketAddr,
        filename: &str,
    ) -> Result<FileIdResponse, ConnError> {
        let req = RegenerateAppenderFilename { filename: filename.to_string() };
        req.validate()?;
        self.call(addr, &req).instrument(debug_span!("storage.regenerate", %addr, filename)).await
    }
}

/// Sends a DOWNLOAD_FILE request and reads the response header: the body
/// length that follows.
async fn start_download(conn: &mut PooledConnection, req: &DownloadFile) -> Result<u64, ConnError> {
    conn.conn().send(req).await?;
    Ok(conn.conn().read_response_header().await?.pkg_len)
}
