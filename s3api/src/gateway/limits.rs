//! S3's size limits on what names and describes an object, checked before
//! any byte moves: a key is at most 1,024 bytes of UTF-8
//! (`KeyTooLongError`), and user metadata at most 2 KiB, counted as the sum
//! of every name's and value's UTF-8 bytes (`MetadataTooLarge`). Without
//! them a client could store what no S3 client elsewhere can address.

use s3s::dto::Metadata;
use s3s::{S3Error, S3ErrorCode, S3Result};

/// The longest key S3 accepts, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// The most user metadata S3 accepts, in bytes of names and values.
pub const MAX_USER_METADATA_BYTES: usize = 2048;

/// Refuses a key longer than [`MAX_KEY_BYTES`].
pub(super) fn check_key(key: &str) -> S3Result<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(S3Error::with_message(
            S3ErrorCode::KeyTooLongError,
            format!("Your key is too long: {} bytes, the limit is {MAX_KEY_BYTES}.", key.len()),
        ));
    }
    Ok(())
}

/// Refuses user metadata larger than [`MAX_USER_METADATA_BYTES`].
pub(super) fn check_metadata(metadata: Option<&Metadata>) -> S3Result<()> {
    let size: usize = metadata.map_or(0, |m| m.iter().map(|(k, v)| k.len() + v.len()).sum());
    if size > MAX_USER_METADATA_BYTES {
        return Err(S3Error::with_message(
            S3ErrorCode::MetadataTooLarge,
            format!(
                "Your metadata headers exceed the maximum allowed metadata size: {size} bytes, \
                 the limit is {MAX_USER_METADATA_BYTES}."
            ),
        ));
    }
    Ok(())
}

/// Both checks, for a request that names a new object.
pub(super) fn check_new_object(key: &str, metadata: Option<&Metadata>) -> S3Result<()> {
    check_key(key)?;
    check_metadata(metadata)
}

#[cfg(test)]
mod tests {
    use super::{MAX_KEY_BYTES, check_key, check_metadata};
    use s3s::S3ErrorCode;
    use s3s::dto::Metadata;

    #[test]
    fn keys_up_to_the_limit_pass() {
        assert!(check_key(&"k".repeat(MAX_KEY_BYTES)).is_ok());
        // The limit counts bytes, not characters.
        let err = check_key(&"é".repeat(513)).unwrap_err();
        assert_eq!(*err.code(), S3ErrorCode::KeyTooLongError);
    }

    #[test]
    fn metadata_counts_names_and_values() {
        let mut m = Metadata::new();
        m.insert("a".repeat(1000), "b".repeat(1048));
        assert!(check_metadata(Some(&m)).is_ok());
        m.insert("c".into(), String::new());
        let err = check_metadata(Some(&m)).unwrap_err();
        assert_eq!(*err.code(), S3ErrorCode::MetadataTooLarge);
        assert!(check_metadata(None).is_ok());
    }
}
