//! The stored attributes an object takes from the headers of the request
//! that makes it: PutObject, CreateMultipartUpload (snapshotted for the
//! completed object) and a `REPLACE` CopyObject. The three requests carry
//! them under the same field names, so one implementation serves all.

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
                    content_encoding: self.content_encoding.clone(),
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
