//! POST object: a browser's form upload to a bucket, served here rather
//! than by `s3s` (which gathers the whole file in memory first).
//!
//! The form's fields are read up to the file ([`super::form`]); the
//! signature over the policy is checked ([`super::post_sign`]), then the
//! policy against the fields and the file's size ([`super::post_policy`]),
//! all before a byte of the file is read past the form reader's
//! look-ahead. The file then streams through the very PutObject path
//! (`object_put`): the same owner check, upload intent, checksums, SSE,
//! Object Lock, versioning and index write, so a form upload is as
//! durable as a PUT. The reply follows `success_action_redirect` /
//! `success_action_status` ([`super::post_reply`]).
//!
//! Form fields that are S3 headers (Content-Type, Cache-Control,
//! Content-MD5, `x-amz-checksum-*` (verified as on a PUT), `x-amz-meta-*`,
//! `x-amz-server-side-encryption*`, `acl`, `tagging` (AWS's Tagging XML)…)
//! become the PutObject's headers. The access decision (`access::direct`) runs as
//! for a PUT: the signer's, or for a form without a signature an
//! anonymous write, allowed only where the bucket grants public writes.

use std::sync::{Arc, Mutex, PoisonError};

use http::header::CONTENT_LENGTH;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use s3s::dto::{
    ObjectCannedACL, ObjectLockLegalHoldStatus, ObjectLockMode, PutObjectInput,
    ServerSideEncryption, StorageClass, StreamingBlob, Timestamp, TimestampFormat,
};
use s3s::{Body, HttpResponse, S3Error, S3ErrorCode, S3Request, S3Result};
use tracing::{Instrument, info_span};

use super::form::{FileBody, FormError, Limits, read_form};
use super::post_policy::{Policy, PolicyError};
use super::post_sign::{field, is_signed};
use super::{Browser, post_reply};
use crate::gateway::transport::Transport;
use crate::gateway::{access, group_bucket, now_ms, object_put};

/// Fields that sign the form, never copied into headers.
const SIGNATURE_FIELDS: [&str; 7] = [
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-algorithm",
    "x-amz-date",
    "x-amz-security-token",
    "signature",
    "awsaccesskeyid",
];

impl Browser {
    /// Answers a form POST to a bucket.
    pub(in crate::gateway) async fn post_object(&self, req: http::Request<Body>) -> HttpResponse {
        let (bucket, _) = self.target(req.uri(), req.headers());
        let bucket = bucket.unwrap_or_default();
        let span = info_span!("s3.post_object", %bucket);
        match self.post(req, bucket).instrument(span).await {
            Ok(resp) => resp,
            Err(e) => e.to_http_response().unwrap_or_else(|_| {
                super::error_response(http::StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "")
            }),
        }
    }

    async fn post(&self, req: http::Request<Body>, bucket: String) -> S3Result<HttpResponse> {
        let (parts, body) = req.into_parts();
        let boundary = boundary(&parts.headers).ok_or_else(|| {
            S3Error::with_message(S3ErrorCode::MalformedPOSTRequest, "no multipart boundary")
        })?;
        let length = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let form = read_form(Box::pin(body), &boundary, length, Limits::default())
            .await
            .map_err(form_refused)?;
        let mut fields = form.fields;
        let signed = is_signed(&fields);
        let policy_b64 = field(&fields, "policy").map(str::to_string);
        let credentials = match (&policy_b64, signed) {
            (Some(p), true) => Some(self.verify_form(&fields, p).await?),
            (None, true) => {
                return Err(invalid("Bucket POST must contain a field named 'policy'."));
            }
            // Anonymous: the access decision below says whether the
            // bucket takes public writes.
            (_, false) => None,
        };
        let Some(key_field) = fields.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case("key")) else {
            return Err(invalid(
                "Bucket POST must contain a field named 'key'.  If it is specified, please check \
                 the order of the fields.",
            ));
        };
        key_field.1 = key_field.1.replace("${filename}", &form.file.filename);
        let key = key_field.1.clone();
        if key.is_empty() {
            return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "empty key"));
        }
        if let Some(p) = &policy_b64 {
            let policy = Policy::from_base64(p).map_err(policy_refused)?;
            policy.check(&fields, &bucket, form.file_len, now_ms()).map_err(policy_refused)?;
        }
        if group_bucket::is_group_bucket(&self.inner, &bucket).await {
            return Err(group_bucket::read_only(&bucket));
        }
        tracing::debug!(key, size = form.file_len, "form upload");

        let headers = form_headers(&fields);
        let transport = parts.extensions.get::<Transport>().copied();
        let signer = credentials.as_ref().map(|c| c.access_key.as_str());
        let resolved = access::direct::check_post_object(
            &self.inner,
            &bucket,
            &key,
            signer,
            transport,
            &headers,
        )
        .await?;
        let mut extensions = parts.extensions;
        if let Some(resolved) = resolved {
            extensions.insert(resolved);
        }

        let broken = Arc::new(Mutex::new(None));
        let body = Tracked { body: form.body, broken: Arc::clone(&broken) };
        let input = put_input(&bucket, &key, &fields, &form.file, form.file_len, body)?;
        let secure = transport.is_some_and(|t| t.secure);
        let s3_req = S3Request {
            input,
            method: Method::PUT,
            uri: parts.uri.clone(),
            headers,
            extensions,
            credentials,
            region: None,
            service: Some("s3".into()),
            trailing_headers: None,
        };
        let out = match object_put::put_object(&self.inner, s3_req).await {
            Ok(out) => out.output,
            Err(e) => {
                // A form that did not close where its length said is the
                // client's malformed request, whatever the upload made of it.
                let broken = broken.lock().unwrap_or_else(PoisonError::into_inner).take();
                return Err(match broken {
                    Some(what) => S3Error::with_message(S3ErrorCode::MalformedPOSTRequest, what),
                    None => e,
                });
            }
        };
        let facts = post_reply::Stored {
            host: parts.headers.get(http::header::HOST).and_then(|v| v.to_str().ok()),
            bucket: &bucket,
            key: &key,
            path_style: self.hosts.as_ref().is_none_or(|h| {
                parts
                    .headers
                    .get(http::header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .is_none_or(|host| h.bucket_of(host).is_none())
            }),
            secure,
        };
        Ok(post_reply::reply(&fields, &facts, &out))
    }
}

/// The form's fields that are S3 request headers (`acl` as `x-amz-acl`),
/// as the PutObject's headers; never the signature's.
fn form_headers(fields: &[(String, String)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in fields {
        let mut lower = name.to_ascii_lowercase();
        if lower == "acl" {
            lower = "x-amz-acl".into();
        }
        let header = lower.starts_with("x-amz-")
            || lower.starts_with("content-")
            || matches!(lower.as_str(), "cache-control" | "expires");
        if header
            && !SIGNATURE_FIELDS.contains(&lower.as_str())
            && let (Ok(n), Ok(v)) = (HeaderName::try_from(lower), HeaderValue::from_str(value))
        {
            headers.append(n, v);
        }
    }
    headers
}

/// The PutObject of a form: the key, the file and its length, and the
/// fields S3 maps to PutObject headers.
fn put_input(
    bucket: &str,
    key: &str,
    fields: &[(String, String)],
    file: &super::form::FilePart,
    len: u64,
    body: Tracked,
) -> S3Result<PutObjectInput> {
    let get = |name: &str| field(fields, name).map(str::to_string);
    let mut metadata = s3s::dto::Metadata::new();
    for (name, value) in fields {
        let lower = name.to_ascii_lowercase();
        if let Some(meta) = lower.strip_prefix("x-amz-meta-") {
            metadata.insert(meta.to_string(), value.clone());
        }
    }
    let expires = get("expires")
        .map(|e| Timestamp::parse(TimestampFormat::HttpDate, &e))
        .transpose()
        .map_err(|_| invalid("Invalid Expires"))?;
    let until = get("x-amz-object-lock-retain-until-date")
        .map(|e| Timestamp::parse(TimestampFormat::DateTime, &e))
        .transpose()
        .map_err(|_| invalid("Invalid x-amz-object-lock-retain-until-date"))?;
    let tagging = get("tagging").map(|xml| form_tagging(&xml)).transpose()?;
    Ok(PutObjectInput {
        bucket: bucket.to_string(),
        key: key.to_string(),
        tagging,
        body: Some(StreamingBlob::wrap(body)),
        content_length: Some(i64::try_from(len).unwrap_or(i64::MAX)),
        content_type: get("content-type").or_else(|| file.content_type.clone()),
        cache_control: get("cache-control"),
        content_disposition: get("content-disposition"),
        content_encoding: get("content-encoding"),
        content_language: get("content-language"),
        content_md5: get("content-md5"),
        expires,
        metadata: (!metadata.is_empty()).then_some(metadata),
        acl: get("acl").map(ObjectCannedACL::from),
        storage_class: get("x-amz-storage-class").map(StorageClass::from),
        server_side_encryption: get("x-amz-server-side-encryption").map(ServerSideEncryption::from),
        sse_customer_algorithm: get("x-amz-server-side-encryption-customer-algorithm"),
        sse_customer_key: get("x-amz-server-side-encryption-customer-key"),
        sse_customer_key_md5: get("x-amz-server-side-encryption-customer-key-md5"),
        checksum_crc32: get("x-amz-checksum-crc32"),
        checksum_crc32c: get("x-amz-checksum-crc32c"),
        checksum_crc64nvme: get("x-amz-checksum-crc64nvme"),
        checksum_sha1: get("x-amz-checksum-sha1"),
        checksum_sha256: get("x-amz-checksum-sha256"),
        object_lock_mode: get("x-amz-object-lock-mode").map(ObjectLockMode::from),
        object_lock_retain_until_date: until,
        object_lock_legal_hold_status: get("x-amz-object-lock-legal-hold")
            .map(ObjectLockLegalHoldStatus::from),
        ..PutObjectInput::default()
    })
}

/// The file's stream, noting why it broke when the form was malformed.
struct Tracked {
    body: FileBody,
    broken: Arc<Mutex<Option<String>>>,
}

impl futures_core::Stream for Tracked {
    type Item = std::io::Result<bytes::Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let item = std::pin::Pin::new(&mut self.body).poll_next(cx);
        if let std::task::Poll::Ready(Some(Err(e))) = &item
            && e.kind() == std::io::ErrorKind::InvalidData
        {
            *self.broken.lock().unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
        }
        item
    }
}

/// The `boundary` parameter of the Content-Type.
fn boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        let v = v.trim().trim_matches('"');
        (k.trim().eq_ignore_ascii_case("boundary") && !v.is_empty() && v.len() <= 200)
            .then(|| v.to_string())
    })
}

/// A form's `tagging` field — a `<Tagging><TagSet>…` document, as AWS's
/// POST takes it — as the `x-amz-tagging` query string PutObject reads
/// (and checks against AWS's tag rules).
fn form_tagging(xml: &str) -> S3Result<String> {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let malformed = || {
        S3Error::with_message(
            S3ErrorCode::MalformedXML,
            "The XML you provided was not well-formed or did not validate: tagging",
        )
    };
    let mut d = s3s::xml::Deserializer::new(xml.as_bytes());
    let tagging = <s3s::dto::Tagging as s3s::xml::Deserialize>::deserialize(&mut d)
        .map_err(|_| malformed())?;
    d.expect_eof().map_err(|_| malformed())?;
    let pairs: Vec<String> = tagging
        .tag_set
        .iter()
        .map(|t| {
            let k = t.key.as_deref().unwrap_or("");
            let v = t.value.as_deref().unwrap_or("");
            format!(
                "{}={}",
                utf8_percent_encode(k, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect();
    Ok(pairs.join("&"))
}

fn invalid(message: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message.to_string())
}

fn form_refused(e: FormError) -> S3Error {
    let code = match &e {
        FormError::Malformed(_) | FormError::Body(_) => S3ErrorCode::MalformedPOSTRequest,
        FormError::TooLarge => S3ErrorCode::MaxPostPreDataLengthExceededError,
        FormError::NoFile => S3ErrorCode::InvalidArgument,
        FormError::NoLength => S3ErrorCode::MissingContentLength,
    };
    S3Error::with_message(code, e.to_string())
}

fn policy_refused(e: PolicyError) -> S3Error {
    let code = match &e {
        PolicyError::Invalid(_) => S3ErrorCode::InvalidPolicyDocument,
        PolicyError::Denied(_) => S3ErrorCode::AccessDenied,
        PolicyError::TooSmall => S3ErrorCode::EntityTooSmall,
        PolicyError::TooLarge => S3ErrorCode::EntityTooLarge,
    };
    S3Error::with_message(code, e.to_string())
}
