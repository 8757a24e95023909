//! The tag set a lifecycle tag filter is evaluated against: a version's
//! own tags, from its index row (`crate::index::tagging`).
//!
//! The worker reads them in its batch's own query (each
//! `crate::index::lifecycle::VersionCandidate` carries its version's
//! tags), so a tag filter costs no lookup per object; the
//! `x-amz-expiration` header reads them from the row its request already
//! read ([`object_tags`]). A delete marker has no tags.

use std::collections::BTreeMap;

/// The tag set of a version whose stored tags are `tags`, as
/// `crate::lifecycle::model::Filter::matches` takes it.
pub fn object_tags(tags: &BTreeMap<String, String>) -> Vec<(String, String)> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}
