//! The condition keys of a request: what a gateway request tells the
//! policy language, gathered in one place so every decision sees the same
//! values.
//!
//! | key | from |
//! |---|---|
//! | `aws:SourceIp` | the peer address (after trusted-proxy handling, the caller's) |
//! | `aws:SecureTransport` | whether the request came over TLS (see `gateway::transport`) |
//! | `aws:username`, `aws:userid` | the requester's owner name (absent when anonymous) |
//! | `aws:PrincipalType` | `Account` or `Anonymous` |
//! | `aws:CurrentTime`, `aws:EpochTime` | the decision's time (RFC 3339, epoch seconds) |
//! | `aws:UserAgent`, `aws:Referer` | the headers of those names |
//! | `s3:prefix`, `s3:delimiter`, `s3:max-keys`, `s3:VersionId` | the query parameters `prefix`, `delimiter`, `max-keys`, `versionId` |
//! | `s3:x-amz-acl`, `s3:x-amz-server-side-encryption`, ... | the `x-amz-*` request headers of the same name ([`HEADER_KEYS`]) |
//! | `s3:RequestObjectTag/<k>`, `s3:RequestObjectTagKeys` | the `x-amz-tagging` header, or tags the caller supplies (PutObjectTagging's body) |
//! | `s3:ExistingObjectTag/<k>` | the addressed object's tags, supplied by the caller |
//!
//! A key the request does not carry is absent, never empty: `Null` and
//! `...IfExists` depend on the difference.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use s3s::dto::{Timestamp, TimestampFormat};

use super::eval::{Request, Requester};

/// Request headers whose value is the `s3:<header>` condition key.
pub const HEADER_KEYS: &[&str] = &[
    "x-amz-acl",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-copy-source",
    "x-amz-metadata-directive",
    "x-amz-storage-class",
    "x-amz-content-sha256",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-object-lock-legal-hold",
];

/// Query parameters and the condition keys they fill.
const QUERY_KEYS: &[(&str, &str)] = &[
    ("prefix", "s3:prefix"),
    ("delimiter", "s3:delimiter"),
    ("max-keys", "s3:max-keys"),
    ("versionId", "s3:versionid"),
];

/// What the gateway knows of one request, for [`build`].
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub action: &'a str,
    pub bucket: &'a str,
    pub key: Option<&'a str>,
    /// `None`: an anonymous request.
    pub owner: Option<&'a str>,
    pub canonical_id: Option<&'a str>,
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    pub headers: &'a HeaderMap,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    pub now: SystemTime,
    /// The addressed object's current tags, when the caller looked them up.
    pub existing_tags: Option<&'a [(String, String)]>,
    /// Tags the request sets outside `x-amz-tagging` (a PutObjectTagging
    /// body); `None` reads the header.
    pub request_tags: Option<&'a [(String, String)]>,
}

/// The policy language's view of the request described by `facts`.
pub fn build(facts: &Facts<'_>) -> Request {
    let mut r = Request {
        action: facts.action.to_string(),
        bucket: facts.bucket.to_string(),
        key: facts.key.map(str::to_string),
        requester: facts.owner.map(|o| Requester::new(o, facts.canonical_id.map(str::to_string))),
        ..Request::default()
    };
    if let Some(ip) = facts.source_ip {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        r.set("aws:SourceIp", ip.to_string());
    }
    r.set("aws:SecureTransport", facts.secure_transport.to_string());
    match facts.owner {
        Some(owner) => {
            r.set("aws:username", owner);
            r.set("aws:userid", owner);
            r.set("aws:PrincipalType", "Account");
        }
        None => r.set("aws:PrincipalType", "Anonymous"),
    }
    let secs = facts.now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    r.set("aws:EpochTime", secs.to_string());
    let mut buf = Vec::new();
    if Timestamp::from(UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .format(TimestampFormat::DateTime, &mut buf)
        .is_ok()
    {
        // Whole seconds, as IAM writes it (s3s adds `.000`).
        let text = String::from_utf8_lossy(&buf).replace(".000Z", "Z");
        r.set("aws:CurrentTime", text);
    }
    for (header, key) in [("user-agent", "aws:UserAgent"), ("referer", "aws:Referer")] {
        if let Some(v) = header_str(facts.headers, header) {
            r.set(key, v);
        }
    }
    for header in HEADER_KEYS {
        if let Some(v) = header_str(facts.headers, header) {
            r.set(&format!("s3:{header}"), v);
        }
    }
    for (name, value) in query_pairs(facts.query.unwrap_or_default()) {
        if let Some((_, key)) = QUERY_KEYS.iter().find(|(q, _)| *q == name) {
            r.set(key, value);
        }
    }
    let header_tags;
    let request_tags = match facts.request_tags {
        Some(tags) => Some(tags),
        None => {
            header_tags = header_str(facts.headers, "x-amz-tagging").map(query_pairs);
            header_tags.as_deref()
        }
    };
    if let Some(tags) = request_tags {
        for (k, v) in tags {
            r.set(&format!("s3:RequestObjectTag/{k}"), v.clone());
        }
        let keys = tags.iter().map(|(k, _)| k.clone()).collect();
        r.values.insert("s3:requestobjecttagkeys".into(), keys);
    }
    for (k, v) in facts.existing_tags.unwrap_or_default() {
        r.set(&format!("s3:ExistingObjectTag/{k}"), v.clone());
    }
    r
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `a=1&b=x%2Fy` as decoded pairs (`+` is a space, as in forms and in
/// `x-amz-tagging`); a name without `=` has the empty value.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_encoding::percent_decode_str(&s).decode_utf8_lossy().into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}
