//! FETCH_ONE_PATH_BINLOG (26): a storage's binlog lines for one store path,
//! streamed out of the connection and read line by line.
//!
//! FastDFS uses it to rebuild a lost disk from a group peer; the S3
//! gateway uses it to list the files of a group (index rebuild, orphan
//! sweep). The body is never held whole: [`BinlogLines`] reads one line at
//! a time through a bounded buffer, and refuses a line longer than a
//! binlog record can be.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tracing::{Instrument, debug_span};

use super::download::Download;
use super::storage::StorageClient;
use crate::connection::ConnError;
use crate::storage::FetchOnePathBinlog;

/// The longest binlog line accepted, newline included (a record holds at
/// most two logic filenames of at most 127 bytes and a few numbers).
pub const MAX_BINLOG_LINE: usize = 4096;

/// The binlog lines of one store path, in binlog order.
#[derive(Debug)]
pub struct BinlogLines {
    reader: BufReader<Download>,
    line: Vec<u8>,
}

impl BinlogLines {
    /// Bytes of the body not read yet.
    pub fn remaining(&self) -> u64 {
        self.reader.get_ref().remaining() + self.reader.buffer().len() as u64
    }

    /// The next line without its newline, or `None` at the end. A line
    /// that is not UTF-8 or longer than [`MAX_BINLOG_LINE`] is an
    /// `InvalidData` error.
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        self.line.clear();
        let limit = MAX_BINLOG_LINE as u64 + 1;
        let n = (&mut self.reader).take(limit).read_until(b'\n', &mut self.line).await?;
        if n == 0 {
            return Ok(None);
        }
        if self.line.last() == Some(&b'\n') {
            self.line.pop();
        } else if n as u64 == limit {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "binlog line too long"));
        }
        String::from_utf8(std::mem::take(&mut self.line))
            .map(Some)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "binlog line is not UTF-8"))
    }
}

impl StorageClient {
    /// FETCH_ONE_PATH_BINLOG: the binlog lines of store path
    /// `store_path_index` on the storage at `addr` (of `group`).
    pub async fn fetch_one_path_binlog(
        &self,
        addr: SocketAddr,
        group: &str,
        store_path_index: u8,
    ) -> Result<BinlogLines, ConnError> {
        let req = FetchOnePathBinlog { group: group.to_string(), store_path_index };
        req.validate()?;
        let span = debug_span!("storage.fetch_one_path_binlog", %addr, store_path_index);
        async {
            let mut conn = self.pool().get(addr).await?;
            let started = async {
                conn.conn().send(&req).await?;
                Ok::<_, ConnError>(conn.conn().read_response_header().await?.pkg_len)
            }
            .await;
            match started {
                Ok(len) => Ok(BinlogLines {
                    reader: BufReader::with_capacity(64 * 1024, Download::new(conn, len)),
                    line: Vec::new(),
                }),
                // Not pooled: the peer may close after an error answer.
                Err(e) => Err(e),
            }
        }
        .instrument(span)
        .await
    }
}
