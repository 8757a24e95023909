//! The tag set a lifecycle tag filter is evaluated against.
//!
//! Object tagging (PutObjectTagging, `x-amz-tagging`) is not built yet
//! (issue 12), so every object's tag set is empty and a rule with a tag
//! filter matches nothing: it is stored and validated as AWS does, and
//! starts to apply once tags exist. This function is the one place the
//! worker and the `x-amz-expiration` header read tags through; tagging
//! replaces its body.

/// The tags of object `key` of `bucket` (always none for now; see the
/// module docs).
pub fn object_tags(bucket: &str, key: &str) -> Vec<(String, String)> {
    let _ = (bucket, key);
    Vec::new()
}
