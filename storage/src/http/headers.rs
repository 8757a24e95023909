//! Response metadata of a stored file: its content type, validators
//! (`ETag`, `Last-Modified`) and the conditional-request checks built on
//! them (RFC 9110 §8.8, §13).
//!
//! The content type table and the `ETag` rule live in
//! [`fdfs_protocol::file_http`], shared with the S3 gateway's group buckets
//! so both describe a file the same way: a normal file's tag is
//! `"<crc32>-<size>"` with the CRC-32 its name carries; appender and slave
//! files get `"<mtime>-<size>"` (mtime in nanoseconds, hex).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fdfs_protocol::file_http::etag_value;
use fdfs_protocol::filename::FileKind;

pub use fdfs_protocol::file_http::{DEFAULT_CONTENT_TYPE, content_type};

/// The `ETag` of a file (quoted): see [`fdfs_protocol::file_http`].
/// `name` is the decoded name's kind and CRC-32, when the name decodes.
pub fn etag(name: Option<(FileKind, u32)>, size: u64, mtime: SystemTime) -> String {
    format!("\"{}\"", etag_value(name, size, mtime))
}

/// `mtime` truncated to whole seconds (HTTP dates have no fractions).
pub fn whole_seconds(mtime: SystemTime) -> SystemTime {
    let secs = mtime.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(time: SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison:
/// `W/` prefixes are ignored; `*` matches any file).
pub fn none_match_hits(header: &str, etag: &str) -> bool {
    let ours = strip_weak(etag);
    header.split(',').map(str::trim).any(|tag| tag == "*" || strip_weak(tag) == ours)
}

/// Whether a file last modified at `mtime` is unchanged since the
/// `If-Modified-Since` date (an unparsable date never matches).
pub fn not_modified_since(header: &str, mtime: SystemTime) -> bool {
    httpdate::parse_http_date(header.trim()).is_ok_and(|since| whole_seconds(mtime) <= since)
}

/// Whether an `If-Range` value still describes the file, so its `Range`
/// applies: a strong ETag equal to ours, or exactly our `Last-Modified`.
pub fn if_range_holds(header: &str, etag: &str, mtime: SystemTime) -> bool {
    let value = header.trim();
    if value.starts_with('"') {
        return value == etag;
    }
    if value.starts_with("W/") {
        return false;
    }
    httpdate::parse_http_date(value).is_ok_and(|date| date == whole_seconds(mtime))
}

fn strip_weak(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use fdfs_protocol::filename::FileKind;

    use super::*;

    #[test]
    fn etags_name_content_or_version() {
        let t = UNIX_EPOCH + Duration::from_nanos(0x1234);
        assert_eq!(etag(Some((FileKind::Normal, 0xab)), 290, t), "\"000000ab-122\"");
        assert_eq!(etag(Some((FileKind::Appender, 0xab)), 16, t), "\"1234-10\"");
        assert_eq!(etag(None, 16, t), "\"1234-10\"");
    }

    #[test]
    fn conditionals() {
        let tag = "\"000000ab-122\"";
        assert!(none_match_hits(tag, tag));
        assert!(none_match_hits("W/\"000000ab-122\"", tag));
        assert!(none_match_hits("\"x\", \"000000ab-122\"", tag));
        assert!(none_match_hits("*", tag));
        assert!(!none_match_hits("\"x\"", tag));

        let mtime = UNIX_EPOCH + Duration::from_millis(784_111_777_500);
        let date = http_date(whole_seconds(mtime));
        assert_eq!(date, "Sun, 06 Nov 1994 08:49:37 GMT");
        assert!(not_modified_since(&date, mtime));
        assert!(not_modified_since("Sun, 06 Nov 1994 08:49:38 GMT", mtime));
        assert!(!not_modified_since("Sun, 06 Nov 1994 08:49:36 GMT", mtime));
        assert!(!not_modified_since("yesterday", mtime));

        assert!(if_range_holds(tag, tag, mtime));
        assert!(!if_range_holds("W/\"000000ab-122\"", tag, mtime));
        assert!(!if_range_holds("\"other\"", tag, mtime));
        assert!(if_range_holds(&date, tag, mtime));
        assert!(!if_range_holds("Sun, 06 Nov 1994 08:49:38 GMT", tag, mtime));
    }
}
