//! A PUT body sent with `Transfer-Encoding: chunked` and no length at all
//! (no Content-Length, no `x-amz-decoded-content-length`): AWS answers
//! 501 NotImplemented, but other S3 stores accept it and some clients
//! (`curl -T -`, streaming HTTP libraries) send it. `s3s` refuses it
//! during its signature check, and a storage upload needs its length up
//! front, so such a body is read into memory up to [`MAX_UNSIZED_BODY`]
//! before `s3s` sees the request, which then carries it with its
//! Content-Length. The added header cannot upset a signature: it was
//! absent, so no signature covers it. A longer body is 411
//! MissingContentLength, as before: memory per request stays bounded by
//! this buffer, never by the object's size.

use bytes::BytesMut;
use futures_util::StreamExt;
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderValue, Method};
use s3s::{Body, S3Error, S3ErrorCode};

use super::error;

/// The longest chunked body without a length that is accepted (16 MiB).
pub const MAX_UNSIZED_BODY: usize = 16 * 1024 * 1024;

/// Whether a request is a PUT whose body is HTTP-chunked with no length.
pub fn is_unsized(method: &Method, headers: &HeaderMap) -> bool {
    let chunked = headers
        .get_all(TRANSFER_ENCODING)
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.to_ascii_lowercase().contains("chunked")));
    method == Method::PUT
        && chunked
        && !headers.contains_key(CONTENT_LENGTH)
        && !headers.contains_key("x-amz-decoded-content-length")
}

/// Reads `body` whole (at most `cap` bytes) and gives it back with the
/// `Content-Length` of what it held set in `headers`. Longer is
/// MissingContentLength; a failing body is IncompleteBody.
pub async fn buffer(body: &mut Body, headers: &mut HeaderMap, cap: usize) -> Result<(), S3Error> {
    let mut all = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            S3Error::with_message(S3ErrorCode::IncompleteBody, format!("request body failed: {e}"))
        })?;
        if all.len() + chunk.len() > cap {
            return Err(S3Error::with_message(
                S3ErrorCode::MissingContentLength,
                format!(
                    "{} A chunked body without a length is accepted up to {cap} bytes.",
                    error::default_message("MissingContentLength")
                ),
            ));
        }
        all.extend_from_slice(&chunk);
    }
    headers.remove(TRANSFER_ENCODING);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(all.len()));
    *body = Body::from(all.freeze());
    Ok(())
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, Method};
    use s3s::Body;

    use super::{buffer, is_unsized};

    #[tokio::test]
    async fn buffers_up_to_the_cap() {
        let mut h = HeaderMap::new();
        h.insert("transfer-encoding", "chunked".parse().unwrap());
        let mut body = Body::from(bytes::Bytes::from_static(b"hello, world"));
        buffer(&mut body, &mut h, 12).await.unwrap();
        assert_eq!(h["content-length"], "12");
        assert!(!h.contains_key("transfer-encoding"));
        assert_eq!(body.bytes().as_deref(), Some(&b"hello, world"[..]));
        let mut body = Body::from(bytes::Bytes::from_static(b"hello, world"));
        let e = buffer(&mut body, &mut h, 11).await.unwrap_err();
        assert_eq!(e.code().as_str(), "MissingContentLength");
    }

    #[test]
    fn only_length_less_chunked_puts() {
        let mut h = HeaderMap::new();
        assert!(!is_unsized(&Method::PUT, &h));
        h.insert("transfer-encoding", "gzip, Chunked".parse().unwrap());
        assert!(is_unsized(&Method::PUT, &h));
        assert!(!is_unsized(&Method::POST, &h));
        h.insert("x-amz-decoded-content-length", "5".parse().unwrap());
        assert!(!is_unsized(&Method::PUT, &h));
        h.remove("x-amz-decoded-content-length");
        h.insert("content-length", "5".parse().unwrap());
        assert!(!is_unsized(&Method::PUT, &h));
    }
}
