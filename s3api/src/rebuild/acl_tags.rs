//! An object's ACL in its file's tags, so `fdfs gateway rebuild-index`
//! gives each rebuilt version the ACL (and owner) it had:
//!
//! - `s3-acl-n` = the number of chunks (`0`: the default ACL);
//! - `s3-acl`, `s3-acl.1`, … = the stored ACL (`gateway::access::acl`,
//!   plain ASCII) in chunks of ≤ 80 bytes, `%` escaped as `%25` (the
//!   escaping every S3 tag gets), so each fits FastDFS's 256-byte values.
//!
//! PutObject tags a new file with its ACL; PutObjectAcl merges the new
//! one in (the count makes stale chunks of a longer earlier ACL inert, as
//! a MERGE cannot remove a tag). The restore gives a file's ACL only to
//! the version its own tags name (bucket and key), never to a CopyObject
//! alias sharing the file: a copy's ACL is its own, and a copy of a
//! public object must not come back public. Copies and multipart objects
//! come back with the default ACL (owned by the bucket's owner).

use fdfs_protocol::client::StorageClient;
use fdfs_protocol::connection::ConnError;
use fdfs_protocol::metadata::Metadata;

use super::scan::LiveFile;

/// The chunk count tag.
const COUNT: &str = "s3-acl-n";
/// The first chunk's tag; chunk `i > 0` is `s3-acl.<i>`.
const FIRST: &str = "s3-acl";
/// Bytes of the stored form per chunk (escaped, at most 3× that).
const CHUNK: usize = 80;

fn chunk_name(i: usize) -> String {
    if i == 0 { FIRST.to_string() } else { format!("{FIRST}.{i}") }
}

/// The tags of `stored` (`None`: the default) as name → value, values
/// unescaped: for a new upload's `FileTag` attributes, which escape them.
/// Nothing for the default (no cost on ordinary writes).
pub fn acl_attrs(stored: Option<&str>) -> Vec<(String, String)> {
    let Some(stored) = stored else { return Vec::new() };
    let chunks: Vec<&[u8]> = stored.as_bytes().chunks(CHUNK).collect();
    let mut out = vec![(COUNT.to_string(), chunks.len().to_string())];
    for (i, c) in chunks.iter().enumerate() {
        out.push((chunk_name(i), String::from_utf8_lossy(c).into_owned()));
    }
    out
}

/// The tags a MERGE writes for `stored` (`None`: the default), escaped.
pub fn acl_metadata(stored: Option<&str>) -> Metadata {
    let mut meta = Metadata::new();
    let attrs = acl_attrs(stored);
    if attrs.is_empty() {
        meta.push(COUNT, "0");
    }
    for (name, value) in attrs {
        meta.push(name.as_str(), value.replace('%', "%25"));
    }
    meta
}

/// The stored ACL `meta` carries, if any (missing chunks: none).
pub fn acl_from_metadata(meta: &Metadata) -> Option<String> {
    let n: usize = meta.get_str(COUNT)?.parse().ok()?;
    if n == 0 || n > 1000 {
        return None;
    }
    let mut out = String::new();
    for i in 0..n {
        out.push_str(meta.get_str(chunk_name(i))?);
    }
    Some(out.replace("%25", "%"))
}

/// The stored ACL a tagged file's tags carry, if any (one metadata read).
pub async fn file_acl(
    storage: &StorageClient,
    file: &LiveFile,
) -> Result<Option<String>, ConnError> {
    let meta = storage.get_metadata(file.storage, &file.group, &file.filename).await?;
    Ok(acl_from_metadata(&meta))
}

#[cfg(test)]
mod tests {
    use fdfs_protocol::metadata::Metadata;
    use proptest::prelude::*;

    use super::{acl_attrs, acl_from_metadata, acl_metadata};

    fn escaped(attrs: Vec<(String, String)>) -> Metadata {
        let mut m = Metadata::new();
        for (n, v) in attrs {
            m.push(n.as_str(), v.replace('%', "%25"));
        }
        m
    }

    #[test]
    fn a_longer_acl_then_a_shorter_one_reads_the_shorter() {
        let long = "o\n".to_string() + &"READ id ".repeat(40);
        let mut meta = acl_metadata(Some(&long));
        meta.merge(&acl_metadata(Some("x%y")));
        assert_eq!(acl_from_metadata(&meta).as_deref(), Some("x%y"));
        meta.merge(&acl_metadata(None));
        assert_eq!(acl_from_metadata(&meta), None);
        assert!(acl_attrs(None).is_empty());
    }

    proptest! {
        #[test]
        fn stored_forms_round_trip(stored in "[ -~\n]{1,600}") {
            prop_assert_eq!(acl_from_metadata(&escaped(acl_attrs(Some(&stored)))), Some(stored.clone()));
            prop_assert_eq!(acl_from_metadata(&acl_metadata(Some(&stored))), Some(stored));
        }

        #[test]
        fn any_tags_are_answered(n in "[0-9]{0,5}", c in "[ -~]{0,300}") {
            let mut m = Metadata::new();
            m.push("s3-acl-n", n);
            m.push("s3-acl", c);
            let _ = acl_from_metadata(&m);
        }
    }
}
