//! The body of a GET of an encrypted object: the plaintext range maps to
//! a plaintext range of each file it touches (one for a single-file
//! object, several for a multipart one), each file range to a window of
//! whole sealed segments (`crate::crypto::segments::Window`), fetched and
//! opened on the way to the client. A window starting at the first
//! segment is fetched with the file's header in one read; any other
//! fetches the 32-byte header first. The first file is opened before the
//! reply starts, the rest by a pump task over a bounded channel, as for
//! plain objects (`super::object_get`).
//!
//! Corruption on the storage (a flipped, moved or cut segment) fails the
//! segment's tag. The first segment of the requested range is opened
//! before the reply's headers are sent, so when that one is bad the
//! client gets a clean 500 InternalError. A later segment can only fail
//! once the headers (200 or 206, with the full Content-Length) are gone:
//! the status cannot change any more, so the body is cut short and the
//! connection broken. That is what an S3 client treats as a failed
//! download (fewer bytes than Content-Length: the SDKs retry or report
//! it); it never receives bytes that did not authenticate. Verifying the
//! whole range before answering would hold an object's worth of
//! plaintext in memory, or read it twice.

use bytes::Bytes;
use fdfs_protocol::client::{Download, StorageClient, TrackerClient, storage_socket_addr};
use fdfs_protocol::file_id::FileId;
use futures_util::StreamExt;
use s3s::dto::StreamingBlob;
use s3s::{S3Result, StdError};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio_util::io::ReaderStream;
use tracing::Instrument;

use super::error;
use super::object_get::Pipe;
use crate::crypto::DataKey;
use crate::crypto::segments::{HEADER, Window};
use crate::crypto::stream::Decrypting;
use crate::index::ObjectData;

/// Chunks buffered between the storage and the client.
const PIPE_DEPTH: usize = 4;

/// Plaintext `start..end` of one sealed file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SealedSlice {
    file_id: String,
    /// The part number its segments are bound to (0: single-file object).
    part: u32,
    /// The file's plaintext size.
    size: u64,
    start: u64,
    end: u64,
}

/// The sealed file ranges holding plaintext `start..end` of an object of
/// `size` bytes stored as `data`.
fn sealed_slices(data: &ObjectData, size: u64, start: u64, end: u64) -> S3Result<Vec<SealedSlice>> {
    let files: Vec<(&str, u32, u64)> = match data {
        ObjectData::Single(id) => vec![(id.as_str(), 0, size)],
        ObjectData::Parts(parts) => {
            parts.iter().map(|p| (p.file_id.as_str(), p.part_number, p.size)).collect()
        }
    };
    let mut out = Vec::new();
    let mut pos = 0u64;
    for (file_id, part, len) in files {
        let (lo, hi) = (pos, pos.saturating_add(len));
        pos = hi;
        let (from, to) = (start.max(lo), end.min(hi));
        if from < to {
            let file_id = file_id.to_string();
            out.push(SealedSlice { file_id, part, size: len, start: from - lo, end: to - lo });
        }
    }
    if pos < end {
        return Err(error::internal(format!("object manifest covers {pos} of {end} bytes")));
    }
    Ok(out)
}

/// A download of `len` bytes at `offset` of `file_id`.
async fn download(
    tracker: &TrackerClient,
    storage: &StorageClient,
    file_id: &str,
    offset: u64,
    len: u64,
) -> S3Result<Download> {
    let id = FileId::parse(file_id).map_err(error::internal)?;
    let name = id.logic().as_str();
    let target = tracker.query_fetch(id.group(), name).await.map_err(error::from_conn)?;
    let addr = storage_socket_addr(&target.storage).map_err(error::from_conn)?;
    let d =
        storage.download(addr, id.group(), name, offset, len).await.map_err(error::from_conn)?;
    if d.len() != len {
        return Err(error::internal(format!(
            "storage sent {} bytes of {len} for {file_id}",
            d.len()
        )));
    }
    Ok(d)
}

type Plain = Decrypting<ReaderStream<Download>>;

/// Opens `slice` under `dk`: its plaintext as a stream.
async fn open(
    tracker: &TrackerClient,
    storage: &StorageClient,
    slice: &SealedSlice,
    dk: &DataKey,
) -> S3Result<Plain> {
    let w = Window::new(slice.size, slice.start, slice.end);
    let (d, header) = if w.first == 0 {
        (download(tracker, storage, &slice.file_id, 0, w.offset + w.len).await?, None)
    } else {
        let mut h = download(tracker, storage, &slice.file_id, 0, HEADER as u64).await?;
        let mut header = [0u8; HEADER];
        h.read_exact(&mut header).await.map_err(|e| error::internal(e.to_string()))?;
        (download(tracker, storage, &slice.file_id, w.offset, w.len).await?, Some(header))
    };
    Decrypting::new(
        ReaderStream::new(d),
        dk.0,
        slice.part,
        slice.size,
        w,
        header.as_ref().map(|h| &h[..]),
    )
    .map_err(|e| error::internal(format!("{}: {e}", slice.file_id)))
}

/// The plaintext body of `start..end` of an encrypted object of `size`
/// bytes stored as `data` under data key `dk`.
pub(super) async fn open_body(
    tracker: &TrackerClient,
    storage: &StorageClient,
    data: &ObjectData,
    size: u64,
    (start, end): (u64, u64),
    dk: &DataKey,
) -> S3Result<StreamingBlob> {
    let slices = sealed_slices(data, size, start, end)?;
    let mut iter = slices.into_iter();
    let Some(first_slice) = iter.next() else {
        return Ok(StreamingBlob::from(s3s::Body::empty()));
    };
    let mut first = open(tracker, storage, &first_slice, dk).await?;
    // The first segment is opened before the reply starts (see the module
    // docs): a bad one is still an error status.
    let head = first.next().await.transpose().map_err(|e| unreadable(&first_slice, &e))?;
    let (tx, rx) = mpsc::channel(PIPE_DEPTH);
    let (tracker, storage, dk) = (tracker.clone(), storage.clone(), dk.clone());
    let rest: Vec<SealedSlice> = iter.collect();
    tokio::spawn(
        async move {
            if let Some(chunk) = head
                && tx.send(Ok(chunk)).await.is_err()
            {
                return;
            }
            if !pump(first, &tx).await {
                return;
            }
            for slice in rest {
                match open(&tracker, &storage, &slice, &dk).await {
                    Ok(p) => {
                        if !pump(p, &tx).await {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(Box::new(e) as StdError)).await;
                        return;
                    }
                }
            }
        }
        .in_current_span(),
    );
    Ok(StreamingBlob::new(Pipe { rx, remaining: end - start }))
}

/// The error status for the first segment of `slice` failing with `e`:
/// 500 InternalError when it does not authenticate (tampered or damaged
/// on the storage), 503 when it could not be fetched.
fn unreadable(slice: &SealedSlice, e: &std::io::Error) -> s3s::S3Error {
    if e.kind() == std::io::ErrorKind::InvalidData {
        tracing::error!(file_id = %slice.file_id, error = %e, "sealed object data failed to decrypt");
        return error::internal(format!("{}: {e}", slice.file_id));
    }
    tracing::warn!(file_id = %slice.file_id, error = %e, "sealed object data could not be fetched");
    s3s::S3Error::with_message(s3s::S3ErrorCode::ServiceUnavailable, e.to_string())
}

/// Copies `plain` into `tx`; `false` when it failed (a segment that does
/// not authenticate ends the body with an error) or the client went away.
async fn pump(mut plain: Plain, tx: &mpsc::Sender<Result<Bytes, StdError>>) -> bool {
    while let Some(chunk) = plain.next().await {
        let failed = chunk.is_err();
        if failed {
            tracing::error!("sealed object data failed to decrypt");
        }
        if tx.send(chunk.map_err(|e| Box::new(e) as StdError)).await.is_err() || failed {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::sealed_slices;
    use crate::index::{ObjectData, PartRef};

    #[test]
    fn file_ranges_carry_part_and_size() {
        let part = |n: u32, size: u64| PartRef {
            part_number: n,
            file_id: format!("g/M00/00/00/p{n}"),
            size,
            etag: String::new(),
            checksums: Default::default(),
        };
        let data = ObjectData::Parts(vec![part(1, 5), part(3, 5), part(4, 2)]);
        let got = sealed_slices(&data, 12, 3, 11).unwrap();
        let want = vec![(1, 5, 3, 5), (3, 5, 0, 5), (4, 2, 0, 1)];
        assert_eq!(got.iter().map(|s| (s.part, s.size, s.start, s.end)).collect::<Vec<_>>(), want);
        let single = ObjectData::Single("g/M00/00/00/x".into());
        let got = sealed_slices(&single, 100, 10, 20).unwrap();
        assert_eq!((got[0].part, got[0].size, got[0].start, got[0].end), (0, 100, 10, 20));
    }
}
