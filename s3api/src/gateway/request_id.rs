//! Request IDs: every response carries `x-amz-request-id` (16 upper-case
//! hex digits, as S3's) and `x-amz-id-2` (an opaque base64 host id), and
//! every XML error body their `<RequestId>` and `<HostId>`, so a user's
//! report can be matched with the gateway's log lines (the request span
//! and the access log carry the same ID). `s3s` sets neither.

use base64::Engine as _;
use http::HeaderValue;
use rand::Rng as _;
use s3s::HttpResponse;

/// The IDs of one request.
#[derive(Debug, Clone)]
pub struct RequestId {
    /// `x-amz-request-id`.
    pub id: String,
    /// `x-amz-id-2`.
    pub host_id: String,
}

impl RequestId {
    /// Fresh random IDs.
    pub fn new() -> Self {
        let mut rng = rand::rng();
        let id = format!("{:016X}", rng.random::<u64>());
        let host_id = base64::engine::general_purpose::STANDARD.encode(rng.random::<[u8; 32]>());
        Self { id, host_id }
    }

    /// Sets the two response headers.
    pub fn stamp(&self, resp: &mut HttpResponse) {
        for (name, value) in [("x-amz-request-id", &self.id), ("x-amz-id-2", &self.host_id)] {
            if let Ok(v) = HeaderValue::from_str(value) {
                resp.headers_mut().insert(name, v);
            }
        }
    }

    /// `body` (an S3 XML error body) with `<RequestId>` and `<HostId>`
    /// before its closing `</Error>`; `None` when it is no error body or
    /// already has a request ID.
    pub fn stamp_error_body(&self, body: &str) -> Option<String> {
        if body.contains("<RequestId>") {
            return None;
        }
        let at = body.rfind("</Error>")?;
        Some(format!(
            "{}<RequestId>{}</RequestId><HostId>{}</HostId>{}",
            &body[..at],
            self.id,
            self.host_id,
            &body[at..]
        ))
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::RequestId;

    #[test]
    fn ids_have_s3_shapes_and_land_in_error_bodies() {
        let r = RequestId::new();
        assert_eq!(r.id.len(), 16);
        assert!(r.id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()));
        assert_ne!(r.id, RequestId::new().id);
        let body = "<?xml version=\"1.0\"?><Error><Code>X</Code><Message>m</Message></Error>";
        let out = r.stamp_error_body(body).unwrap();
        assert!(out.ends_with(&format!(
            "<Message>m</Message><RequestId>{}</RequestId><HostId>{}</HostId></Error>",
            r.id, r.host_id
        )));
        assert_eq!(r.stamp_error_body(&out), None);
        assert_eq!(r.stamp_error_body("<ListBucketResult/>"), None);
    }
}
