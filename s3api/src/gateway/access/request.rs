//! One request as the access decision sees it: who asks to do what to
//! which bucket and key, and the facts a policy condition may test.

use std::net::IpAddr;

pub(crate) use crate::gateway::principal::Principal;

/// A request to authorize. Built once per request by the `S3Access` hook
/// (see [`super::check`]); a CopyObject or UploadPartCopy makes a second
/// one for reading its source.
#[derive(Debug, Clone)]
pub(crate) struct AccessRequest {
    /// The IAM action, e.g. `s3:GetObject` (see `actions`).
    pub action: &'static str,
    /// The bucket addressed, if any.
    pub bucket: Option<String>,
    /// The key addressed, if any.
    pub key: Option<String>,
    /// Who signed; `None` for an anonymous (unsigned) request.
    pub requester: Option<Principal>,
    /// The client's address (the TCP peer).
    pub source_ip: Option<IpAddr>,
    /// Whether the request came over TLS (or loopback, or a trusted
    /// TLS-terminating proxy; see `gateway::transport`).
    pub secure_transport: bool,
    /// The request's headers (`x-amz-acl`, `x-amz-copy-source`, ...).
    pub headers: http::HeaderMap,
    /// The raw query string (`prefix=`, `max-keys=`, `versionId=`, ...).
    pub query: Option<String>,
}

impl AccessRequest {
    /// The requester's owner name, `None` when anonymous.
    pub(crate) fn owner(&self) -> Option<&str> {
        self.requester.as_ref().map(|p| p.owner.as_str())
    }

    /// The resource ARN the request addresses: `arn:aws:s3:::bucket` or
    /// `arn:aws:s3:::bucket/key`; `arn:aws:s3:::*` for no bucket.
    pub(crate) fn resource_arn(&self) -> String {
        match (&self.bucket, &self.key) {
            (Some(b), Some(k)) => format!("arn:aws:s3:::{b}/{k}"),
            (Some(b), None) => format!("arn:aws:s3:::{b}"),
            _ => "arn:aws:s3:::*".to_string(),
        }
    }

    /// The value of query parameter `name` (percent-decoded), if present.
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        self.query.as_deref()?.split('&').find_map(|pair| {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            (n == name).then(|| {
                let v = v.replace('+', " ");
                percent_encoding::percent_decode_str(&v).decode_utf8_lossy().into_owned()
            })
        })
    }
}
