//! One HTTP request → one response: route the path to a stored file, check
//! the token, answer conditionals and ranges, stream the bytes.
//!
//! File size, mtime and content all come from one open file descriptor,
//! so the headers describe exactly the bytes that are sent even while an
//! appender file is being written to.

use std::io::SeekFrom;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use fdfs_protocol::file_id::LogicName;
use hyper::header::{
    ACCEPT_RANGES, ALLOW, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, HeaderName,
    IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED, RANGE,
};
use hyper::http::request::Parts;
use hyper::{Method, Response, StatusCode};
use tokio::fs::File;
use tokio::io::AsyncSeekExt;
use tracing::{debug, warn};

use super::body::ResponseBody;
use super::headers::{
    content_type, etag, http_date, if_range_holds, none_match_hits, not_modified_since,
    whole_seconds,
};
use super::range::RangeRequest;
use super::token::TokenCheck;
use crate::server::StorageState;
use crate::server::state::now;
use crate::store::Store;
use crate::store::paths::META_SUFFIX;

/// What every request needs.
#[derive(Debug)]
pub(crate) struct Ctx {
    state: Arc<StorageState>,
    token: Option<TokenCheck>,
}

impl Ctx {
    pub(crate) fn new(state: Arc<StorageState>, token: Option<TokenCheck>) -> Self {
        Self { state, token }
    }
}

/// A stored file, opened once for its metadata and content.
struct Opened {
    file: File,
    size: u64,
    mtime: SystemTime,
}

/// Answers one request (its body, if any, is ignored).
pub(crate) async fn respond(ctx: &Ctx, req: &Parts) -> Response<ResponseBody> {
    let head = req.method == Method::HEAD;
    if req.method != Method::GET && !head {
        let mut response = status_only(StatusCode::METHOD_NOT_ALLOWED, head);
        response.headers_mut().insert(ALLOW, "GET, HEAD".parse().expect("static header"));
        return response;
    }
    let name = match route(req.uri.path(), &ctx.state.group) {
        Ok(name) => name,
        Err(status) => return status_only(status, head),
    };
    if let Some(check) = &ctx.token
        && let Err(e) = check.verify(name.as_str(), req.uri.query(), now())
    {
        debug!(reason = %e, "token refused");
        return status_only(StatusCode::FORBIDDEN, head);
    }
    let opened = match open(&ctx.state.store, &name).await {
        Ok(opened) => opened,
        Err(status) => return status_only(status, head),
    };
    serve_file(req, &name, opened, head).await
}

/// `/<group>/Mxx/HH/LL/<name>` → the logic filename: `400` when the path
/// is not of that shape, `404` for another group.
fn route(path: &str, group: &str) -> Result<LogicName, StatusCode> {
    let Some((first, logic)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return Err(StatusCode::BAD_REQUEST);
    };
    let name = LogicName::parse(logic).map_err(|_| StatusCode::BAD_REQUEST)?;
    if first != group {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(name)
}

/// Opens the file of `name`: `404` when there is none (or the name is not
/// one a storage serves), `500` when the disk fails.
async fn open(store: &Store, name: &LogicName) -> Result<Opened, StatusCode> {
    let path = store.paths().resolve(name).map_err(|_| StatusCode::NOT_FOUND)?;
    // `<file>-m` holds a file's metadata, not content: never served (a
    // slave name may end in `-m` too; it is served unless it is such a
    // sibling).
    if let Some(owner) = name.name().strip_suffix(META_SUFFIX)
        && tokio::fs::try_exists(path.with_file_name(owner)).await.unwrap_or(true)
    {
        return Err(StatusCode::NOT_FOUND);
    }
    let file = File::open(&path).await.map_err(|e| disk_error(e, &path))?;
    let meta = file.metadata().await.map_err(|e| disk_error(e, &path))?;
    if !meta.is_file() {
        return Err(StatusCode::NOT_FOUND);
    }
    let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
    Ok(Opened { file, size: meta.len(), mtime })
}

fn disk_error(e: std::io::Error, path: &std::path::Path) -> StatusCode {
    match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => StatusCode::NOT_FOUND,
        _ => {
            warn!(path = %path.display(), error = %e, "cannot read stored file");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// The response for an opened file: `304`, `416`, `206` or `200`.
async fn serve_file(
    req: &Parts,
    name: &LogicName,
    opened: Opened,
    head: bool,
) -> Response<ResponseBody> {
    let Opened { mut file, size, mtime } = opened;
    let tag = etag(name.info().ok().map(|i| (i.kind, i.crc32())), size, mtime);
    let modified = http_date(whole_seconds(mtime));
    let header = |key: HeaderName| req.headers.get(key).and_then(|v| v.to_str().ok());
    let not_modified = match header(IF_NONE_MATCH) {
        Some(tags) => none_match_hits(tags, &tag),
        None => header(IF_MODIFIED_SINCE).is_some_and(|since| not_modified_since(since, mtime)),
    };
    let validators = [(ETAG, tag.clone()), (LAST_MODIFIED, modified)];
    if not_modified {
        return build(StatusCode::NOT_MODIFIED, &validators, ResponseBody::Empty);
    }
    let range = match header(RANGE) {
        Some(range) if header(IF_RANGE).is_none_or(|v| if_range_holds(v, &tag, mtime)) => {
            RangeRequest::parse(range, size)
        }
        _ => RangeRequest::Full,
    };
    let (status, start, len) = match range {
        RangeRequest::Full => (StatusCode::OK, 0, size),
        RangeRequest::Partial { start, end } => {
            (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
        }
        RangeRequest::Unsatisfiable => {
            let mut response = status_only(StatusCode::RANGE_NOT_SATISFIABLE, head);
            if let Ok(value) = format!("bytes */{size}").parse() {
                response.headers_mut().insert(CONTENT_RANGE, value);
            }
            return response;
        }
    };
    let mut headers = vec![
        (CONTENT_TYPE, content_type(name.name()).to_string()),
        (CONTENT_LENGTH, len.to_string()),
        (ACCEPT_RANGES, "bytes".to_string()),
    ];
    headers.extend(validators);
    if status == StatusCode::PARTIAL_CONTENT {
        headers.push((CONTENT_RANGE, format!("bytes {start}-{}/{size}", start + len - 1)));
    }
    if head || len == 0 {
        return build(status, &headers, ResponseBody::Empty);
    }
    if start > 0
        && let Err(e) = file.seek(SeekFrom::Start(start)).await
    {
        warn!(file = %name, error = %e, "seek failed");
        return status_only(StatusCode::INTERNAL_SERVER_ERROR, head);
    }
    build(status, &headers, ResponseBody::file(file, len))
}

/// A response with `headers` (values that are not valid header text are
/// left out; ours always are).
fn build(
    status: StatusCode,
    headers: &[(HeaderName, String)],
    body: ResponseBody,
) -> Response<ResponseBody> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    for (key, value) in headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(key.clone(), value);
        }
    }
    response
}

/// A status with a one-line text body (none for `HEAD`).
fn status_only(status: StatusCode, head: bool) -> Response<ResponseBody> {
    let text = format!("{status}\n");
    let headers = [
        (CONTENT_TYPE, "text/plain; charset=utf-8".to_string()),
        (CONTENT_LENGTH, text.len().to_string()),
    ];
    let body = if head { ResponseBody::Empty } else { ResponseBody::Text(Some(Bytes::from(text))) };
    build(status, &headers, body)
}

#[cfg(test)]
mod tests {
    use hyper::StatusCode;

    use super::route;

    #[test]
    fn routes_paths_to_logic_names() {
        let name = route("/group1/M00/0A/FF/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt", "group1").unwrap();
        assert_eq!(name.as_str(), "M00/0A/FF/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt");
        for (path, status) in [
            ("/", StatusCode::BAD_REQUEST),
            ("/group1", StatusCode::BAD_REQUEST),
            ("/group1/", StatusCode::BAD_REQUEST),
            ("/group1/M00/00/00/../../x", StatusCode::BAD_REQUEST),
            ("/group1/M00/00/00/a%2Fb", StatusCode::BAD_REQUEST),
            ("/group1/m00/00/00/abc", StatusCode::BAD_REQUEST),
            ("group1/M00/00/00/abc", StatusCode::BAD_REQUEST),
            ("/group2/M00/00/00/abc", StatusCode::NOT_FOUND),
        ] {
            assert_eq!(route(path, "group1").unwrap_err(), status, "{path}");
        }
    }
}
