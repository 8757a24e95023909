//! The object tags a stored file records, so `rebuild-index` restores each
//! version's tag set (PutObjectTagging, `x-amz-tagging`).
//!
//! | name | value |
//! |---|---|
//! | `s3-tags` | the number `n` of chunks holding the tag set of the file's own version |
//! | `s3-tags.1` … `s3-tags.n` | the tag set, encoded (below), in chunks of ≤ 256 bytes |
//! | `s3-alias-t.<id>`, `s3-alias-t.<id>.1` … | the same for alias `<id>`, a copy sharing the file (`tags::alias_metadata`) |
//!
//! The encoding is `k=v&k=v`, with `%`, `&`, `=` and the bytes FastDFS
//! metadata cannot hold (NUL, 0x01, 0x02) as `%XX`: S3's tag characters
//! leave almost everything literal, so tags read as themselves with
//! FastDFS's tools. A tag set can be up to 10 × (128 + 256) characters, so
//! it is chunked like a key.
//!
//! The count comes first because a metadata MERGE cannot remove an entry:
//! a smaller tag set written over a larger one leaves the old tail chunks
//! behind, and the count says where the current value ends. An empty set
//! is written as `0`; a file without the entry has no tags (written before
//! tagging, or never tagged).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fdfs_protocol::consts::{MAX_META_NAME_LEN, MAX_META_VALUE_LEN};
use fdfs_protocol::metadata::Metadata;
use percent_encoding::percent_decode_str;

/// The name of the file's own tag set.
pub const TAGS: &str = "s3-tags";
/// Prefix of an alias's tag set (`s3-alias-t.<id>`).
pub const ALIAS_TAGS: &str = "s3-alias-t.";
/// The most chunks read back (10 tags of 128 + 256 four-byte characters,
/// percent-encoded at worst, fit well within).
const MAX_CHUNKS: usize = 256;

/// `tags` as one string (see the module docs).
pub fn encode(tags: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (i, (k, v)) in tags.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        escape_into(&mut out, k);
        out.push('=');
        escape_into(&mut out, v);
    }
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '%' | '&' | '=' | '\0' | '\u{1}' | '\u{2}' => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// Reverses [`encode`]; `None` when `s` is not one.
pub fn decode(s: &str) -> Option<BTreeMap<String, String>> {
    let mut tags = BTreeMap::new();
    if s.is_empty() {
        return Some(tags);
    }
    for pair in s.split('&') {
        let (k, v) = pair.split_once('=')?;
        let k = percent_decode_str(k).decode_utf8().ok()?.into_owned();
        let v = percent_decode_str(v).decode_utf8().ok()?.into_owned();
        if k.is_empty() || tags.insert(k, v).is_some() {
            return None;
        }
    }
    Some(tags)
}

/// The entries recording `tags` under `name` (`s3-tags`, or
/// `s3-alias-t.<id>`); none when `name` is too long for FastDFS.
pub fn tags_metadata(name: &str, tags: &BTreeMap<String, String>) -> Metadata {
    let mut meta = Metadata::new();
    let encoded = encode(tags);
    let mut chunks = Vec::new();
    let mut rest = encoded.as_str();
    while !rest.is_empty() {
        let mut end = rest.len().min(MAX_META_VALUE_LEN);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        chunks.push(&rest[..end]);
        rest = &rest[end..];
    }
    let last = format!("{name}.{}", chunks.len());
    if last.len() > MAX_META_NAME_LEN || chunks.len() > MAX_CHUNKS {
        return meta;
    }
    meta.push(name, chunks.len().to_string());
    for (i, chunk) in chunks.iter().enumerate() {
        meta.push(format!("{name}.{}", i + 1), *chunk);
    }
    meta
}

/// The tag set recorded under `name`; `None` when none is (or it does not
/// decode).
pub fn read(meta: &Metadata, name: &str) -> Option<BTreeMap<String, String>> {
    let count: usize = meta.get_str(name)?.parse().ok()?;
    if count > MAX_CHUNKS {
        return None;
    }
    let mut encoded = String::new();
    for i in 1..=count {
        encoded.push_str(meta.get_str(format!("{name}.{i}"))?);
    }
    decode(&encoded)
}

/// The tag sets of the file's aliases, by alias ID.
pub fn alias_tags(meta: &Metadata) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (name, _) in meta.iter() {
        let Ok(name) = std::str::from_utf8(name) else { continue };
        let Some(id) = name.strip_prefix(ALIAS_TAGS) else { continue };
        if id.is_empty() || id.contains('.') {
            continue;
        }
        if let Some(tags) = read(meta, name) {
            out.insert(id.to_string(), tags);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use fdfs_protocol::metadata::{MetaOp, Metadata};
    use proptest::prelude::*;

    use super::{TAGS, alias_tags, decode, encode, read, tags_metadata};

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn round_trips_and_a_smaller_set_overrides_a_larger_one() {
        let big: BTreeMap<String, String> =
            (0..10).map(|i| (format!("ké{i}={}", "x".repeat(120)), "v%&=".repeat(60))).collect();
        let mut meta: Metadata = [("s3-bucket", "b")].into_iter().collect();
        meta.apply(MetaOp::Merge, &tags_metadata(TAGS, &big));
        meta.validate().unwrap();
        assert_eq!(read(&meta, TAGS), Some(big));
        // Merged over it, a one-tag set and then no tags read as such.
        meta.apply(MetaOp::Merge, &tags_metadata(TAGS, &tags(&[("a", "1")])));
        assert_eq!(read(&meta, TAGS), Some(tags(&[("a", "1")])));
        meta.apply(MetaOp::Merge, &tags_metadata(TAGS, &BTreeMap::new()));
        assert_eq!(read(&meta, TAGS), Some(BTreeMap::new()));
        assert_eq!(read(&Metadata::new(), TAGS), None);
    }

    #[test]
    fn alias_sets_are_found_by_id() {
        let mut meta = tags_metadata("s3-alias-t.abc", &tags(&[("copy", "yes")]));
        meta.apply(MetaOp::Merge, &tags_metadata(TAGS, &tags(&[("own", "1")])));
        meta.apply(MetaOp::Merge, &tags_metadata("s3-alias-t.z9", &BTreeMap::new()));
        let found = alias_tags(&meta);
        assert_eq!(found.len(), 2);
        assert_eq!(found["abc"], tags(&[("copy", "yes")]));
        assert!(found["z9"].is_empty());
    }

    #[test]
    fn encoding_is_readable_and_strict() {
        assert_eq!(encode(&tags(&[("a b", "c=d"), ("e", "")])), "a b=c%3Dd&e=");
        assert_eq!(decode("a=1&a=2"), None);
        assert_eq!(decode("novalue"), None);
        assert_eq!(decode("=v"), None);
        assert_eq!(decode("k=%FF"), None);
    }

    proptest! {
        /// Any tag set reads back from the metadata it is written as.
        #[test]
        fn any_set_round_trips(set in prop::collection::btree_map("\\PC{1,40}", "\\PC{0,80}", 0..10)) {
            let meta = tags_metadata(TAGS, &set);
            prop_assert_eq!(read(&meta, TAGS), Some(set));
        }

        /// Stored metadata is network input: anything reads without panic.
        #[test]
        fn any_metadata_reads_without_panic(
            entries in prop::collection::vec(
                ("s3-(tags|alias-t\\.[a-z0-9]{0,3})(\\.[0-9]{1,3})?", "\\PC{0,40}"),
                0..12,
            ),
        ) {
            let meta: Metadata = entries.into_iter().collect();
            let _ = (read(&meta, TAGS), alias_tags(&meta));
        }
    }
}
