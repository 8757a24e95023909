//! S3's limits on a tag set, with AWS's error codes and messages, checked
//! before a tag set reaches the index (which stores what it is given).
//!
//! - at most 10 tags on an object (400 `BadRequest`, "Object tags cannot
//!   be greater than 10", AWS's odd code for it) and 50 on a bucket
//!   (400 `InvalidTag`);
//! - a key of 1 to 128 Unicode characters, a value of 0 to 256 (counted
//!   in characters, not bytes, as AWS counts them);
//! - letters, digits, spaces and `+ - = . _ : / @` only — AWS's tag
//!   character set, where "letters" and "digits" are Unicode's;
//! - no key twice (`InvalidTag`); no key starting with `aws:` in any case
//!   (`InvalidTag`: reserved for AWS's own tags).

use std::collections::BTreeMap;

use s3s::{S3Error, S3ErrorCode, S3Result};

/// The tag sets this gateway keeps, each with its own count limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagTarget {
    /// An object version: at most 10 tags.
    Object,
    /// A bucket: at most 50 tags.
    Bucket,
}

/// The most tags on an object.
pub const MAX_OBJECT_TAGS: usize = 10;
/// The most tags on a bucket.
pub const MAX_BUCKET_TAGS: usize = 50;
/// The longest key, in characters.
pub const MAX_KEY_CHARS: usize = 128;
/// The longest value, in characters.
pub const MAX_VALUE_CHARS: usize = 256;

/// Checks `pairs` (in the order sent) against S3's rules for `target`;
/// the tag set as stored.
pub fn validate(
    pairs: impl IntoIterator<Item = (String, String)>,
    target: TagTarget,
) -> S3Result<BTreeMap<String, String>> {
    let mut set = BTreeMap::new();
    for (key, value) in pairs {
        check_key(&key)?;
        check_value(&value)?;
        if set.insert(key, value).is_some() {
            return Err(invalid_tag("Cannot provide multiple Tags with the same key"));
        }
    }
    match target {
        TagTarget::Object if set.len() > MAX_OBJECT_TAGS => {
            let mut e = S3Error::with_message(
                S3ErrorCode::Custom("BadRequest".into()),
                "Object tags cannot be greater than 10",
            );
            e.set_status_code(http::StatusCode::BAD_REQUEST);
            Err(e)
        }
        TagTarget::Bucket if set.len() > MAX_BUCKET_TAGS => {
            Err(invalid_tag("Bucket tag count cannot be greater than 50"))
        }
        _ => Ok(set),
    }
}

fn check_key(key: &str) -> S3Result<()> {
    let chars = key.chars().count();
    if chars == 0 || !key.chars().all(allowed) {
        return Err(invalid_tag("The TagKey you have provided is invalid"));
    }
    if chars > MAX_KEY_CHARS {
        return Err(invalid_tag("The TagKey you have provided is too long, max 128"));
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(invalid_tag("Your TagKey cannot be prefixed with aws:"));
    }
    Ok(())
}

fn check_value(value: &str) -> S3Result<()> {
    if !value.chars().all(allowed) {
        return Err(invalid_tag("The TagValue you have provided is invalid"));
    }
    if value.chars().count() > MAX_VALUE_CHARS {
        return Err(invalid_tag("The TagValue you have provided is too long, max 256"));
    }
    Ok(())
}

/// AWS's tag characters: Unicode letters and digits, spaces (not tabs
/// or line breaks), and `+ - = . _ : / @`.
fn allowed(c: char) -> bool {
    c.is_alphanumeric()
        || (c.is_whitespace() && !c.is_control())
        || matches!(c, '+' | '-' | '=' | '.' | '_' | ':' | '/' | '@')
}

/// 400 InvalidTag with `msg`.
pub fn invalid_tag(msg: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidTag, msg.to_string())
}

#[cfg(test)]
mod tests {
    use super::{TagTarget, validate};

    fn pairs(n: usize) -> Vec<(String, String)> {
        (0..n).map(|i| (format!("k{i}"), format!("v{i}"))).collect()
    }

    fn code(r: s3s::S3Result<impl std::fmt::Debug>) -> (String, String, u16) {
        let e = r.unwrap_err();
        let status = e.status_code().or(e.code().status_code()).map_or(0, |s| s.as_u16());
        (e.code().as_str().to_string(), e.message().unwrap_or("").to_string(), status)
    }

    #[test]
    fn counts() {
        assert_eq!(validate(pairs(10), TagTarget::Object).unwrap().len(), 10);
        let (c, m, s) = code(validate(pairs(11), TagTarget::Object));
        assert_eq!(
            (c.as_str(), m.as_str(), s),
            ("BadRequest", "Object tags cannot be greater than 10", 400)
        );
        assert_eq!(validate(pairs(50), TagTarget::Bucket).unwrap().len(), 50);
        assert_eq!(code(validate(pairs(51), TagTarget::Bucket)).0, "InvalidTag");
        assert!(validate(pairs(0), TagTarget::Object).unwrap().is_empty());
    }

    #[test]
    fn keys_and_values() {
        let one = |k: &str, v: &str| validate([(k.to_string(), v.to_string())], TagTarget::Object);
        assert!(one(&"k".repeat(128), &"v".repeat(256)).is_ok());
        // Characters, not bytes: 128 two-byte letters are fine.
        assert!(one(&"é".repeat(128), &"ü".repeat(256)).is_ok());
        assert!(one("Projekt Ä1 +-=._:/@", "").is_ok());
        for (k, v) in [
            ("", "v"),
            (&"k".repeat(129) as &str, "v"),
            ("k", &"v".repeat(257) as &str),
            ("a*b", "v"),
            ("k", "v?"),
            ("k", "tab\there"),
            ("k\n", "v"),
            ("aws:cloudformation", "v"),
            ("AWS:x", "v"),
        ] {
            let (c, _, s) = code(one(k, v));
            assert_eq!((c.as_str(), s), ("InvalidTag", 400), "{k:?}={v:?}");
        }
        assert!(one("awsx:ok", "aws:value is fine").is_ok());
        let dup = vec![("k".to_string(), "1".to_string()), ("k".to_string(), "2".to_string())];
        let (c, m, _) = code(validate(dup, TagTarget::Bucket));
        assert_eq!(
            (c.as_str(), m.as_str()),
            ("InvalidTag", "Cannot provide multiple Tags with the same key")
        );
    }
}
