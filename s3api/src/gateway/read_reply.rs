//! The reply of a GetObject or HeadObject, built in one place for index
//! and group buckets alike, so the four handlers cannot drift apart in the
//! headers they send: the request fields GET and HEAD share
//! ([`ReadInput`]), the entity headers (stored ones, overridden by the
//! `response-*` query parameters) and the typed output around them.
//! What to serve is decided by [`super::read_plan`].

use http::{HeaderMap, HeaderValue};
use s3s::dto::{
    ChecksumMode, ContentLength, ETag, GetObjectInput, GetObjectOutput, HeadObjectInput,
    HeadObjectOutput, Metadata, StorageClass, StreamingBlob, Timestamp, TimestampFormat,
};
use s3s::{S3Response, S3Result};

use super::conditions::Conditions;
use super::read_plan::{self, ChecksumFields, ChecksumHeaders, Selection};
use super::timestamp;
use crate::index::{ObjectData, ObjectInfo};

/// The fields GetObject and HeadObject requests share.
pub(super) trait ReadInput {
    /// The `Range` header.
    fn range(&self) -> Option<&s3s::dto::Range>;
    /// The `partNumber` query parameter.
    fn part_number(&self) -> Option<i32>;
    /// `x-amz-checksum-mode`.
    fn checksum_mode(&self) -> Option<&ChecksumMode>;
    /// The `If-*` conditions.
    fn conditions(&self) -> S3Result<Conditions>;
    /// The `response-*` query parameters.
    fn overrides(&self) -> Overrides;

    /// Refuses what S3 refuses before the object is read, and parses the
    /// conditions to check once it is.
    fn preflight(&self) -> S3Result<Conditions> {
        read_plan::check_args(self.range(), self.part_number())?;
        self.conditions()
    }

    /// Checks `conditions` against the object of `info` (stored as `data`,
    /// when read) and selects the bytes to serve.
    fn plan(
        &self,
        conditions: &Conditions,
        info: &ObjectInfo,
        data: Option<&ObjectData>,
    ) -> S3Result<Selection> {
        read_plan::check_conditions(conditions, info)?;
        read_plan::select(info, data, self.range(), self.part_number())
    }
}

/// Implements [`ReadInput`] for input types with the same field names.
macro_rules! read_input {
    ($($input:ty),+) => {$(
        impl ReadInput for $input {
            fn range(&self) -> Option<&s3s::dto::Range> {
                self.range.as_ref()
            }

            fn part_number(&self) -> Option<i32> {
                self.part_number
            }

            fn checksum_mode(&self) -> Option<&ChecksumMode> {
                self.checksum_mode.as_ref()
            }

            fn conditions(&self) -> S3Result<Conditions> {
                Conditions::new(
                    self.if_match.clone(),
                    self.if_none_match.clone(),
                    self.if_modified_since.as_ref(),
                    self.if_unmodified_since.as_ref(),
                )
            }

            fn overrides(&self) -> Overrides {
                Overrides {
                    content_type: self.response_content_type.clone(),
                    content_language: self.response_content_language.clone(),
                    expires: self.response_expires.clone(),
                    cache_control: self.response_cache_control.clone(),
                    content_disposition: self.response_content_disposition.clone(),
                    content_encoding: self.response_content_encoding.clone(),
                }
            }
        }
    )+};
}

read_input!(GetObjectInput, HeadObjectInput);

/// The `response-*` query parameters of a request.
#[derive(Debug, Clone, Default)]
pub(super) struct Overrides {
    content_type: Option<String>,
    content_language: Option<String>,
    expires: Option<Timestamp>,
    cache_control: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
}

/// The entity headers of a reply: stored, then overridden.
#[derive(Debug, Clone)]
struct EntityHeaders {
    e_tag: ETag,
    last_modified: Timestamp,
    content_type: Option<String>,
    content_language: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    cache_control: Option<String>,
    /// `Expires` when it is an HTTP date (it always is when stored by us).
    expires: Option<Timestamp>,
    /// Headers the typed output cannot carry: an `Expires` that is not an
    /// HTTP date, sent as stored.
    extra: HeaderMap,
    metadata: Option<Metadata>,
}

/// The headers for `info` under `o`.
fn entity_headers(info: &ObjectInfo, o: Overrides) -> EntityHeaders {
    let meta = &info.meta;
    let mut extra = HeaderMap::new();
    let expires = match (o.expires, meta.expires.as_deref()) {
        (Some(t), _) => Some(t),
        (None, None) => None,
        (None, Some(raw)) => match Timestamp::parse(TimestampFormat::HttpDate, raw) {
            Ok(t) => Some(t),
            Err(_) => {
                if let Ok(v) = HeaderValue::from_str(raw) {
                    extra.insert(http::header::EXPIRES, v);
                }
                None
            }
        },
    };
    let metadata = (!meta.user.is_empty())
        .then(|| meta.user.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
    EntityHeaders {
        e_tag: ETag::Strong(info.etag.clone()),
        last_modified: timestamp(info.last_modified_ms),
        // An object stored without a Content-Type is served as AWS serves
        // it: binary/octet-stream.
        content_type: o
            .content_type
            .or_else(|| meta.content_type.clone())
            .or_else(|| Some(DEFAULT_CONTENT_TYPE.to_string())),
        content_language: o.content_language.or_else(|| meta.content_language.clone()),
        content_encoding: o.content_encoding.or_else(|| meta.content_encoding.clone()),
        content_disposition: o.content_disposition.or_else(|| meta.content_disposition.clone()),
        cache_control: o.cache_control.or_else(|| meta.cache_control.clone()),
        expires,
        extra,
        metadata,
    }
}

/// The Content-Type of an object stored without one, as on AWS.
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// Everything a GET or HEAD of one object answers besides the body.
pub(super) struct Reply {
    sel: Selection,
    h: EntityHeaders,
    sums: ChecksumHeaders,
    storage_class: Option<StorageClass>,
    missing_meta: Option<i32>,
}

/// The typed output `$out` of reply `$reply` (plus `$field: $value`s),
/// with the headers the typed output cannot carry.
macro_rules! output {
    ($out:ident, $reply:expr $(, $field:ident: $value:expr)*) => {{
        let Reply { sel, h, sums, storage_class, missing_meta } = $reply;
        let mut out = $out {
            $($field: $value,)*
            content_length: Some(to_len(sel.range.end - sel.range.start)),
            content_range: sel.content_range,
            parts_count: sel.parts_count,
            accept_ranges: Some("bytes".to_string()),
            e_tag: Some(h.e_tag),
            last_modified: Some(h.last_modified),
            content_type: h.content_type,
            content_encoding: h.content_encoding,
            content_disposition: h.content_disposition,
            content_language: h.content_language,
            cache_control: h.cache_control,
            expires: h.expires,
            metadata: h.metadata,
            missing_meta,
            storage_class,
            ..$out::default()
        };
        out.set_checksums(sums);
        let mut resp = S3Response::new(out);
        resp.headers = h.extra;
        resp
    }};
}

impl Reply {
    /// The reply serving `sel` of the object of `info` to `input`, with
    /// `missing_meta` (`x-amz-missing-meta`) when some metadata could not
    /// be headers.
    pub(super) fn new(
        info: &ObjectInfo,
        sel: Selection,
        input: &impl ReadInput,
        missing_meta: Option<i32>,
    ) -> Self {
        let (range, part) = (input.range(), input.part_number());
        let sums = read_plan::checksum_headers(info, &sel, input.checksum_mode(), range, part);
        Self {
            sel,
            h: entity_headers(info, input.overrides()),
            sums,
            storage_class: storage_class(info),
            missing_meta,
        }
    }

    /// The GetObject reply carrying `body`.
    pub(super) fn get(self, body: StreamingBlob) -> S3Response<GetObjectOutput> {
        output!(GetObjectOutput, self, body: Some(body))
    }

    /// The HeadObject reply.
    pub(super) fn head(self) -> S3Response<HeadObjectOutput> {
        output!(HeadObjectOutput, self)
    }
}

fn to_len(n: u64) -> ContentLength {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `x-amz-storage-class`, which S3 omits for STANDARD.
fn storage_class(info: &ObjectInfo) -> Option<StorageClass> {
    let class = info.meta.storage_class.as_deref()?;
    (class != StorageClass::STANDARD).then(|| class.to_string().into())
}
