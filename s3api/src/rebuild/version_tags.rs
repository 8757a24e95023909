//! The version tags: what a stored file records about the versions it
//! belongs to, so `rebuild-index` restores every version and delete marker
//! of a versioned bucket with its order.
//!
//! | name | value |
//! |---|---|
//! | `s3-version`, `s3-seq` | the version ID and its `seq` (order among the key's versions), merged in once the index wrote the version |
//! | `s3-delete-marker` | `1` on the small (empty) file that records a delete marker |
//! | `s3-alias-v.<id>` | `<seq> <version ID>` of the version alias `<id>` (a CopyObject destination) is |
//!
//! A never-versioned bucket's objects carry none of these and rebuild as
//! one `null` version each, as before versioning. A file written to a
//! versioned bucket whose version tags never arrived (a crash between the
//! index write and the merge) rebuilds as the `null` version of `seq` 0,
//! older than every tagged one.

use std::collections::BTreeMap;

use fdfs_protocol::consts::{MAX_META_NAME_LEN, MAX_META_VALUE_LEN};
use fdfs_protocol::metadata::Metadata;

use crate::index::is_valid_version_id;

const VERSION: &str = "s3-version";
const SEQ: &str = "s3-seq";
const MARKER: &str = "s3-delete-marker";
const ALIAS_VERSION: &str = "s3-alias-v.";

/// A version as the tags record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionTag {
    /// The version ID (`null` for a suspended bucket's writes).
    pub id: String,
    /// Its order among the key's versions (higher is newer).
    pub seq: i64,
}

/// What the gateway merges into a version's files once the index wrote it.
pub fn version_metadata(id: &str, seq: i64) -> Metadata {
    [(VERSION, id.to_string()), (SEQ, seq.to_string())].into_iter().collect()
}

/// The tag a delete marker's file is uploaded with (beside bucket and key).
pub fn marker_entry() -> (&'static str, &'static str) {
    (MARKER, "1")
}

/// What CopyObject merges beside alias `alias` (see `tags::alias_metadata`)
/// when the copy is a version of a versioned bucket.
pub fn alias_version_metadata(alias: &str, id: &str, seq: i64) -> Metadata {
    let name = format!("{ALIAS_VERSION}{alias}");
    let mut meta = Metadata::new();
    if name.len() <= MAX_META_NAME_LEN {
        meta.push(name, format!("{seq} {id}"));
    }
    meta
}

/// The file's own version, if tagged (and well-formed).
pub fn version_of(meta: &Metadata) -> Option<VersionTag> {
    let id = meta.get_str(VERSION)?;
    let seq = meta.get_str(SEQ)?.parse().ok()?;
    is_valid_version_id(id).then(|| VersionTag { id: id.to_string(), seq })
}

/// Whether the file records a delete marker.
pub fn is_marker(meta: &Metadata) -> bool {
    meta.get_str(MARKER) == Some("1")
}

/// The versions of the file's aliases, by alias ID.
pub fn alias_versions(meta: &Metadata) -> BTreeMap<String, VersionTag> {
    let mut out = BTreeMap::new();
    for (name, value) in meta.iter() {
        let (Ok(name), Ok(value)) = (std::str::from_utf8(name), std::str::from_utf8(value)) else {
            continue;
        };
        let Some(alias) = name.strip_prefix(ALIAS_VERSION) else { continue };
        let Some((seq, id)) = value.split_once(' ') else { continue };
        if let (Ok(seq), true) =
            (seq.parse(), is_valid_version_id(id) && id.len() < MAX_META_VALUE_LEN)
        {
            out.insert(alias.to_string(), VersionTag { id: id.to_string(), seq });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use fdfs_protocol::metadata::{MetaOp, Metadata};
    use proptest::prelude::*;

    use super::{
        VersionTag, alias_version_metadata, alias_versions, is_marker, marker_entry,
        version_metadata, version_of,
    };

    #[test]
    fn versions_markers_and_alias_versions_round_trip() {
        let id = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
        let mut meta: Metadata = [marker_entry()].into_iter().collect();
        meta.apply(MetaOp::Merge, &version_metadata(id, 7));
        meta.apply(MetaOp::Merge, &alias_version_metadata("a1", "null", 3));
        meta.validate().unwrap();
        assert_eq!(version_of(&meta), Some(VersionTag { id: id.into(), seq: 7 }));
        assert!(is_marker(&meta));
        let aliases = alias_versions(&meta);
        assert_eq!(aliases.get("a1"), Some(&VersionTag { id: "null".into(), seq: 3 }));
        // Malformed values are no version.
        let bad: Metadata = [("s3-version", "x y"), ("s3-seq", "1")].into_iter().collect();
        assert_eq!(version_of(&bad), None);
        assert!(!is_marker(&bad));
    }

    proptest! {
        /// Stored metadata is network input: anything reads without panic.
        #[test]
        fn any_metadata_reads_without_panic(
            entries in proptest::collection::vec(
                ("s3-(version|seq|delete-marker|alias-v\\.[a-z0-9]{0,4})", "\\PC{0,40}"),
                0..10,
            ),
        ) {
            let meta: Metadata = entries.into_iter().collect();
            let _ = (version_of(&meta), is_marker(&meta), alias_versions(&meta));
        }
    }
}
