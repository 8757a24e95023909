//! What a request addresses — bucket, key and the access key that signed
//! it — for the access log and the refusal log.
//!
//! `s3s` knows the bucket and key only after it parsed the path and the
//! virtual host, so the [`Recorder`] (its [`S3Access`] hook, run for every
//! signed request once the operation is known) writes them into a
//! [`TargetSlot`] the HTTP layer put into the request's extensions. A
//! request refused earlier (a bad signature, a malformed header) never
//! gets there; for those, [`fallback`] reads the path path-style and the
//! key ID from the `Authorization` header or `X-Amz-Credential`.

use std::sync::{Arc, Mutex};

use http::header::AUTHORIZATION;
use http::{HeaderMap, Uri};
use s3s::S3Result;
use s3s::access::{S3Access, S3AccessContext};
use s3s::path::S3Path;

/// Bucket, key and key ID of a request, each when known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub key_id: Option<String>,
}

/// Where the [`Recorder`] leaves the [`Target`] of a request.
#[derive(Debug, Clone, Default)]
pub struct TargetSlot(Arc<Mutex<Option<Target>>>);

impl TargetSlot {
    /// The recorded target, if `s3s` got that far.
    pub fn get(&self) -> Option<Target> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn set(&self, t: Target) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(t);
    }
}

/// `s3s`'s access hook: records the target, then runs the access
/// decision (`access::check`), which refuses unsigned requests that
/// nothing grants, as `s3s`'s default check did.
#[derive(Clone)]
pub(crate) struct Recorder {
    inner: Arc<super::Inner>,
}

impl Recorder {
    /// The hook over the gateway's shared state.
    pub(crate) fn new(inner: Arc<super::Inner>) -> Self {
        Self { inner }
    }
}

#[async_trait::async_trait]
impl S3Access for Recorder {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let key_id = cx.credentials().map(|c| c.access_key.clone());
        let (bucket, key) = match cx.s3_path() {
            S3Path::Root => (None, None),
            S3Path::Bucket { bucket } => (Some(bucket.to_string()), None),
            S3Path::Object { bucket, key } => (Some(bucket.to_string()), Some(key.to_string())),
        };
        if let Some(slot) = cx.extensions_mut().get::<TargetSlot>() {
            slot.set(Target { bucket, key, key_id });
        }
        super::access::check(&self.inner, cx).await
    }
}

/// The target as far as the raw request tells: bucket and key path-style
/// (percent-decoded), the key ID from the SigV4/SigV2 credentials.
pub fn fallback(uri: &Uri, headers: &HeaderMap) -> Target {
    let path = uri.path().trim_start_matches('/');
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let (bucket, key) = match path.split_once('/') {
        _ if path.is_empty() => (None, None),
        Some((b, k)) if !k.is_empty() => (Some(decode(b)), Some(decode(k))),
        Some((b, _)) => (Some(decode(b)), None),
        None => (Some(decode(path)), None),
    };
    Target { bucket, key, key_id: key_id(uri, headers) }
}

/// The access key ID a request names, signed or not.
fn key_id(uri: &Uri, headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some(rest) = auth.split_once("Credential=").map(|(_, r)| r) {
            return rest.split('/').next().map(str::to_string);
        }
        // SigV2: `AWS KEY:SIGNATURE`.
        if let Some(rest) = auth.strip_prefix("AWS ") {
            return rest.split(':').next().map(str::to_string);
        }
    }
    for pair in uri.query()?.split('&') {
        match pair.split_once('=') {
            Some(("X-Amz-Credential", v)) => {
                let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                return v.split('/').next().map(str::to_string);
            }
            Some(("AWSAccessKeyId", v)) => return Some(v.to_string()),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::{Target, fallback};

    fn t(b: Option<&str>, k: Option<&str>, id: Option<&str>) -> Target {
        let s = |o: Option<&str>| o.map(str::to_string);
        Target { bucket: s(b), key: s(k), key_id: s(id) }
    }

    #[test]
    fn targets_from_raw_requests() {
        let none = HeaderMap::new();
        let uri = |s: &str| s.parse().unwrap();
        assert_eq!(fallback(&uri("/"), &none), t(None, None, None));
        assert_eq!(fallback(&uri("/b"), &none), t(Some("b"), None, None));
        assert_eq!(fallback(&uri("/b/"), &none), t(Some("b"), None, None));
        assert_eq!(fallback(&uri("/b/a%20b/c"), &none), t(Some("b"), Some("a b/c"), None));
        let q = uri("/b/k?X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&x=1");
        assert_eq!(fallback(&q, &none), t(Some("b"), Some("k"), Some("AKID")));
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=KEY1/2026/us-east-1/s3/aws4_request, SignedHeaders=host, \
             Signature=00"
                .parse()
                .unwrap(),
        );
        assert_eq!(fallback(&uri("/"), &h).key_id.as_deref(), Some("KEY1"));
        h.insert("authorization", "AWS KEY2:sig".parse().unwrap());
        assert_eq!(fallback(&uri("/"), &h).key_id.as_deref(), Some("KEY2"));
    }
}
