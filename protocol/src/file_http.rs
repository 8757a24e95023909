//! How a stored file is described over HTTP: its content type, guessed
//! from the extension, and its entity tag. Both the storage's HTTP server
//! and the S3 gateway's group buckets serve FastDFS files by ID, so the two
//! derive these the same way from one table and one rule.
//!
//! The entity tag of a normal (or trunk) file is `<crc32>-<size>` in hex,
//! with the CRC-32 its name carries: it names the content, so every storage
//! of the group gives the same tag for the same file. It is **not** an MD5,
//! and a client cannot check downloaded bytes against it. Appender and
//! slave files, whose names do not describe their current content, get
//! `<mtime>-<size>` (mtime in nanoseconds, hex) instead, which changes with
//! every write.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::filename::FileKind;

/// Content types by extension (lower case); anything else is
/// [`DEFAULT_CONTENT_TYPE`].
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

/// The entity tag of a file, unquoted (see the module docs). `name` is the
/// decoded name's kind and CRC-32, when the name decodes.
pub fn etag_value(name: Option<(FileKind, u32)>, size: u64, mtime: SystemTime) -> String {
    match name {
        Some((FileKind::Normal | FileKind::Trunk, crc32)) => format!("{crc32:08x}-{size:x}"),
        _ => {
            let nanos = mtime.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            format!("{nanos:x}-{size:x}")
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::{DEFAULT_CONTENT_TYPE, content_type, etag_value};
    use crate::filename::FileKind;

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
        assert_eq!(etag_value(Some((FileKind::Normal, 0xab)), 290, t), "000000ab-122");
        assert_eq!(etag_value(Some((FileKind::Trunk, 0xab)), 290, t), "000000ab-122");
        assert_eq!(etag_value(Some((FileKind::Appender, 0xab)), 16, t), "1234-10");
        assert_eq!(etag_value(Some((FileKind::Slave, 0xab)), 16, t), "1234-10");
        assert_eq!(etag_value(None, 16, t), "1234-10");
    }
}
