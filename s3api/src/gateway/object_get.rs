//! GetObject and HeadObject. A GET streams from a storage the tracker
//! names (QUERY_FETCH_ONE) to the client; a multipart object is its parts'
//! files in order, so a range maps to slices of one or more files. The
//! first slice is opened before the response starts, so a missing file is
//! an error reply, not a truncated body. What to answer (conditions,
//! range or part, headers, checksums under `x-amz-checksum-mode`) is
//! decided by [`super::read_plan`] and built by [`super::read_reply`].
//! A HEAD checks that the first file a GET would open is there, so both
//! agree on an object whose data is lost ([`super::file_fetch`]).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use fdfs_protocol::client::{Download, StorageClient, TrackerClient};
use fdfs_protocol::file_id::FileId;
use futures_core::Stream;
use s3s::dto::{GetObjectInput, GetObjectOutput, HeadObjectInput, HeadObjectOutput, StreamingBlob};
use s3s::stream::{ByteStream, RemainingLength};
use s3s::{S3Request, S3Response, S3Result, StdError};
use tokio::sync::mpsc;
use tokio_util::io::ReaderStream;
use tracing::{Instrument, info_span};

use super::bucket::check_owner;
use super::bucket_lifecycle::expiration;
use super::read_reply::{ReadInput, Reply};
use super::sse::{self, SseCustomerFields};
use super::transport::Transport;
use super::{Inner, error, file_fetch, object_lock, owner_of, sealed_read};
use crate::index::{ObjectData, ObjectInfo};

/// Chunks buffered between the storage and the client.
const PIPE_DEPTH: usize = 4;

pub async fn get_object(
    inner: &Inner,
    req: S3Request<GetObjectInput>,
) -> S3Result<S3Response<GetObjectOutput>> {
    let owner = owner_of(inner, &req).await?;
    let transport = req.extensions.get::<Transport>().copied();
    let input = req.input;
    let span = info_span!("s3.get_object", bucket = %input.bucket, key = %input.key);
    async {
        let conditions = input.preflight()?;
        check_owner(inner, &input.bucket, &owner).await?;
        let (b, k, v) = (input.bucket.clone(), input.key.clone(), input.version_id.clone());
        let (record, lock) = inner
            .index
            .read(move |ix| ix.get_version_with_lock(&b, &k, v.as_deref()))
            .await
            .map_err(|e| error::from_index(e, &owner))?;
        let unlocked = unlock(inner, &input, &record.info, transport.as_ref())?;
        let sel = input.plan(&conditions, &record.info, Some(&record.data))?;
        let range = (sel.range.start, sel.range.end);
        let body = match &unlocked {
            Some(u) => {
                let (t, s, size) = (&inner.tracker, &inner.storage, record.info.size);
                sealed_read::open_body(t, s, &record.data, size, range, &u.data_key).await
            }
            None => {
                let slices = slices(&record.data, range.0, range.1)?;
                open_body(&inner.tracker, &inner.storage, slices).await
            }
        }
        .map_err(|e| file_fetch::report(e, &input.bucket, &input.key))?;
        let mut resp = Reply::new(&record.info, sel, &input, None).get(body);
        let info = &record.info;
        super::tagging::add_count(&mut resp.headers, &info.meta.tags);
        // Announced for the current version only (a read without versionId).
        if input.version_id.is_none() {
            let (size, created, tags) = (info.size, info.last_modified_ms, &info.meta.tags);
            resp.output.expiration =
                expiration(inner, &input.bucket, &info.key, size, created, tags).await;
        }
        let o = &mut resp.output;
        o.version_id = record.info.version_id.clone();
        (o.server_side_encryption, o.sse_customer_algorithm, o.sse_customer_key_md5) =
            sse_headers(unlocked.as_ref());
        (o.object_lock_mode, o.object_lock_retain_until_date, o.object_lock_legal_hold_status) =
            object_lock::reply_fields(&lock);
        Ok(resp)
    }
    .instrument(span)
    .await
}

pub async fn head_object(
    inner: &Inner,
    req: S3Request<HeadObjectInput>,
) -> S3Result<S3Response<HeadObjectOutput>> {
    let owner = owner_of(inner, &req).await?;
    let transport = req.extensions.get::<Transport>().copied();
    let input = req.input;
    let span = info_span!("s3.head_object", bucket = %input.bucket, key = %input.key);
    async {
        let conditions = input.preflight()?;
        check_owner(inner, &input.bucket, &owner).await?;
        let (b, k, v) = (input.bucket.clone(), input.key.clone(), input.version_id.clone());
        let record =
            inner.index.read(move |ix| ix.get_version_with_lock(&b, &k, v.as_deref())).await;
        let (record, lock) = record.map_err(|e| error::from_index(e, &owner))?;
        let unlocked = unlock(inner, &input, &record.info, transport.as_ref())?;
        let part = input.part_number.is_some();
        let sel = input.plan(&conditions, &record.info, part.then_some(&record.data))?;
        // The first file GET would open must be there, so HEAD and GET
        // agree on an object whose data is lost (see `file_fetch`).
        let slices = slices(&record.data, sel.range.start, sel.range.end)?;
        if let Some(first) = slices.first() {
            file_fetch::probe(&inner.tracker, &inner.storage, &first.file_id)
                .await
                .map_err(|e| file_fetch::report(e, &input.bucket, &input.key))?;
        }
        let mut resp = Reply::new(&record.info, sel, &input, None).head();
        let info = &record.info;
        super::tagging::add_count(&mut resp.headers, &info.meta.tags);
        // Announced for the current version only (a read without versionId).
        if input.version_id.is_none() {
            let (size, created, tags) = (info.size, info.last_modified_ms, &info.meta.tags);
            resp.output.expiration =
                expiration(inner, &input.bucket, &info.key, size, created, tags).await;
        }
        let o = &mut resp.output;
        o.version_id = record.info.version_id.clone();
        (o.server_side_encryption, o.sse_customer_algorithm, o.sse_customer_key_md5) =
            sse_headers(unlocked.as_ref());
        (o.object_lock_mode, o.object_lock_retain_until_date, o.object_lock_legal_hold_status) =
            object_lock::reply_fields(&lock);
        Ok(resp)
    }
    .instrument(span)
    .await
}

/// The SSE-C key a GET or HEAD gave, the data key of the object of
/// `info` it unlocks (`None`: a plain object), or the error for a missing
/// or wrong key.
pub(super) fn unlock(
    inner: &Inner,
    input: &impl SseCustomerFields,
    info: &ObjectInfo,
    transport: Option<&Transport>,
) -> S3Result<Option<sse::Unlocked>> {
    let (a, k, m) = input.sse_customer();
    let customer = sse::customer_key(a, k, m, transport)?;
    sse::unlock(
        inner,
        info.meta.encryption.as_deref(),
        customer.as_ref(),
        input.bucket(),
        &info.key,
    )
}

fn sse_headers(
    u: Option<&sse::Unlocked>,
) -> (Option<s3s::dto::ServerSideEncryption>, Option<String>, Option<String>) {
    sse::reply_headers(u.and_then(|u| u.customer_md5.as_deref()), u.is_some())
}

/// A byte range of one stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Slice {
    file_id: String,
    offset: u64,
    len: u64,
}

/// The file slices holding bytes `start..end` of an object.
pub(super) fn slices(data: &ObjectData, start: u64, end: u64) -> S3Result<Vec<Slice>> {
    let files: Vec<(&str, Option<u64>)> = match data {
        ObjectData::Single(id) => vec![(id.as_str(), None)],
        ObjectData::Parts(parts) => {
            parts.iter().map(|p| (p.file_id.as_str(), Some(p.size))).collect()
        }
    };
    let mut out = Vec::new();
    let mut pos = 0u64;
    for (file_id, size) in files {
        let size = size.unwrap_or(end);
        let (lo, hi) = (pos, pos.saturating_add(size));
        pos = hi;
        let (from, to) = (start.max(lo), end.min(hi));
        if from < to {
            out.push(Slice { file_id: file_id.to_string(), offset: from - lo, len: to - from });
        }
    }
    if pos < end {
        return Err(error::internal(format!("object manifest covers {pos} of {end} bytes")));
    }
    Ok(out)
}

/// Opens `slice` on a storage that has its file: the one the tracker names
/// (QUERY_FETCH_ONE) first, then every other storage it would name
/// (QUERY_FETCH_ALL). The index says the file exists, so a storage that
/// answers ENOENT only lacks it for now — a peer not caught up with a
/// source that is down or frozen — and is no reason to answer NoSuchKey:
/// the next storage is tried, and when none serves the file the answer is
/// 503 ServiceUnavailable, which clients retry (seen by the fault suite,
/// compat-tests/test_faults.py, as 404s for acknowledged objects while a
/// storage was killed or stopped).
async fn open(
    tracker: &TrackerClient,
    storage: &StorageClient,
    slice: &Slice,
) -> S3Result<Download> {
    let id = FileId::parse(&slice.file_id).map_err(error::internal)?;
    let (group, name) = (id.group(), id.logic().as_str());
    let download = file_fetch::on_some_storage(tracker, &id, |addr| {
        storage.download(addr, group, name, slice.offset, slice.len)
    })
    .await?;
    if download.len() != slice.len {
        return Err(error::internal(format!(
            "storage sent {} bytes of {} for {}",
            download.len(),
            slice.len,
            slice.file_id
        )));
    }
    Ok(download)
}

/// The body over `slices`: the first opened now, the rest by a pump task
/// feeding a bounded channel (which also makes the body `Sync`, as `s3s`
/// requires).
pub(super) async fn open_body(
    tracker: &TrackerClient,
    storage: &StorageClient,
    slices: Vec<Slice>,
) -> S3Result<StreamingBlob> {
    let total: u64 = slices.iter().map(|s| s.len).sum();
    let mut iter = slices.into_iter();
    let Some(first_slice) = iter.next() else {
        return Ok(StreamingBlob::from(s3s::Body::empty()));
    };
    let first = open(tracker, storage, &first_slice).await?;
    let (tx, rx) = mpsc::channel(PIPE_DEPTH);
    let (tracker, storage) = (tracker.clone(), storage.clone());
    let rest: Vec<Slice> = iter.collect();
    tokio::spawn(
        async move {
            if !pump(first, &tx).await {
                return;
            }
            for slice in rest {
                match open(&tracker, &storage, &slice).await {
                    Ok(d) => {
                        if !pump(d, &tx).await {
                            return;
                        }
                    }
                    Err(e) => {
                        // The reply has started: it is cut short. The span
                        // names the object.
                        tracing::error!(file_id = %slice.file_id, error = %e, "a later file of the object cannot be read");
                        let _ = tx.send(Err(Box::new(e) as StdError)).await;
                        return;
                    }
                }
            }
        }
        .in_current_span(),
    );
    Ok(StreamingBlob::new(Pipe { rx, remaining: total }))
}

/// Copies `download` into `tx`; `false` when the body failed or the client
/// went away.
async fn pump(download: Download, tx: &mpsc::Sender<Result<Bytes, StdError>>) -> bool {
    use futures_util::StreamExt;
    let mut chunks = ReaderStream::new(download);
    while let Some(chunk) = chunks.next().await {
        let failed = chunk.is_err();
        if tx.send(chunk.map_err(|e| Box::new(e) as StdError)).await.is_err() || failed {
            return false;
        }
    }
    true
}

/// The receiving end of a GET body.
pub(super) struct Pipe {
    pub(super) rx: mpsc::Receiver<Result<Bytes, StdError>>,
    pub(super) remaining: u64,
}

impl Stream for Pipe {
    type Item = Result<Bytes, StdError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let polled = this.rx.poll_recv(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &polled {
            this.remaining = this.remaining.saturating_sub(chunk.len() as u64);
        }
        polled
    }
}

impl ByteStream for Pipe {
    fn remaining_length(&self) -> RemainingLength {
        let n = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        RemainingLength::new_exact(n)
    }
}

#[cfg(test)]
mod tests {
    use super::{Slice, slices};
    use crate::index::{ObjectData, PartRef};

    fn part(n: u32, size: u64) -> PartRef {
        PartRef {
            part_number: n,
            file_id: format!("g/M00/00/00/p{n}"),
            size,
            etag: String::new(),
            checksums: Default::default(),
        }
    }

    #[test]
    fn single_file_ranges() {
        let data = ObjectData::Single("g/M00/00/00/x".into());
        assert_eq!(
            slices(&data, 2, 5).unwrap(),
            vec![Slice { file_id: "g/M00/00/00/x".into(), offset: 2, len: 3 }]
        );
        assert!(slices(&data, 0, 0).unwrap().is_empty());
    }

    #[test]
    fn ranges_across_parts() {
        let data = ObjectData::Parts(vec![part(1, 5), part(2, 5), part(3, 2)]);
        let got = slices(&data, 3, 11).unwrap();
        let want: Vec<(u64, u64)> = vec![(3, 2), (0, 5), (0, 1)];
        assert_eq!(got.iter().map(|s| (s.offset, s.len)).collect::<Vec<_>>(), want);
        assert!(slices(&data, 0, 13).is_err());
    }
}
