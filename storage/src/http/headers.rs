//! Response metadata of a stored file: its content type, validators
//! (`ETag`, `Last-Modified`) and the conditional-request checks built on
//! them (RFC 9110 §8.8, §13).
//!
//! The `ETag` of a normal file is `"<crc32>-<size>"` with the CRC-32 its
//! name carries: it names the content, so every storage of the group gives
//! the same tag for the same file. Appender and slave files, whose names do
//! not describe their current content, get `"<mtime>-<size>"` instead
//! (mtime in nanoseconds, hex), which changes with every write.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fdfs_protocol::filename::FileKind;

/// Content types by extension (lower case); anything else is
/// `application/octet-stream`.
const CONTENT_TYPES: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("svg", "image/svg+xml"),
    ("ico", "image/x-icon"),
    ("bmp", "image/bmp"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("txt", "text/plain; charset=utf-8"),
    ("log", "text/plain; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("mjs", "text/javascript; charset=utf-8"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tgz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("7z", "application/x-7z-compressed"),
    ("wasm", "application/wasm"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("mov", "video/quicktime"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("wav", "audio/wav"),
    ("flac", "audio/flac"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("ttf", "font/ttf"),
    ("apk", "application/vnd.android.package-archive"),
];

/// The type of anything not in the table.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

/// The content type for a file name, from what follows its last `.`.
pub fn content_type(name: &str) -> &'static str {
    let Some((_, ext)) = name.rsplit_once('.') else { return DEFAULT_CONTENT_TYPE };
    CONTENT_TYPES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(ext))
        .map_or(DEFAULT_CONTENT_TYPE, |(_, mime)| mime)
}

/// The `ETag` of a file (quoted): see the module docs. `name` is the
/// decoded name's kind and CRC-32, when the name decodes.
pub fn etag(name: Option<(FileKind, u32)>, size: u64, mtime: SystemTime) -> String {
    match name {
        Some((FileKind::Normal | FileKind::Trunk, crc32)) => format!("\"{crc32:08x}-{size:x}\""),
        _ => {
            let nanos = mtime.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            format!("\"{nanos:x}-{size:x}\"")
        }
    }
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
    fn content_types_by_extension() {
        assert_eq!(content_type("fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("x.JPG"), "image/jpeg");
        assert_eq!(content_type("x_small.webp"), "image/webp");
        assert_eq!(content_type("x.bin"), DEFAULT_CONTENT_TYPE);
        assert_eq!(content_type("fwAAAmsH8l-Ad5C4AAAAFpR_bpI4423331705"), DEFAULT_CONTENT_TYPE);
    }

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
