//! The stored attributes an object takes from the headers of the request
//! that makes it: PutObject, CreateMultipartUpload (snapshotted for the
//! completed object) and a `REPLACE` CopyObject. The three requests carry
//! them under the same field names, so one implementation serves all.
//!
//! `aws-chunked` in Content-Encoding describes the request's body framing
//! (SigV4 streaming), not the object: it is dropped from the stored
//! Content-Encoding, and an encoding of only `aws-chunked` stores none,
//! as AWS does.

use s3s::dto::{CopyObjectInput, CreateMultipartUploadInput, PutObjectInput};

use super::conditions::http_date;
use crate::index::ObjectMeta;

/// A request that gives the object it makes its attributes.
pub(super) trait RequestedMeta {
    /// Content-Type and the other entity headers, storage class and
    /// `x-amz-meta-*` (names lower-cased); no checksums.
    fn requested_meta(&self) -> ObjectMeta;
}

/// Implements [`RequestedMeta`] for input types with the same field names.
macro_rules! requested_meta {
    ($($input:ty),+) => {$(
        impl RequestedMeta for $input {
            fn requested_meta(&self) -> ObjectMeta {
                ObjectMeta {
                    content_type: self.content_type.clone(),
                    content_encoding: stored_encoding(self.content_encoding.as_deref()),
                    content_disposition: self.content_disposition.clone(),
                    content_language: self.content_language.clone(),
                    cache_control: self.cache_control.clone(),
                    expires: self.expires.as_ref().and_then(http_date),
                    storage_class: self.storage_class.as_ref().map(|s| s.as_str().to_string()),
                    user: self
                        .metadata
                        .as_ref()
                        .map(|m| m.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect())
                        .unwrap_or_default(),
                    checksums: Default::default(),
                    encryption: None,
                    // `x-amz-tagging` is parsed and validated apart
                    // (`tagging::header`), where its errors are answered.
                    tags: Default::default(),
                }
            }
        }
    )+};
}

requested_meta!(PutObjectInput, CreateMultipartUploadInput, CopyObjectInput);

/// The Content-Encoding to store for `given`: its codings without
/// `aws-chunked`, `None` when nothing else is left.
pub(super) fn stored_encoding(given: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = given?
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(","))
}

#[cfg(test)]
mod tests {
    use super::stored_encoding;

    #[test]
    fn aws_chunked_is_not_stored() {
        assert_eq!(stored_encoding(None), None);
        assert_eq!(stored_encoding(Some("aws-chunked")), None);
        assert_eq!(stored_encoding(Some("aws-chunked,gzip")).as_deref(), Some("gzip"));
        assert_eq!(stored_encoding(Some("gzip, AWS-Chunked")).as_deref(), Some("gzip"));
        assert_eq!(stored_encoding(Some("gzip,br")).as_deref(), Some("gzip,br"));
        assert_eq!(stored_encoding(Some(" , ")), None);
    }
}
