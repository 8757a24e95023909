//! SSE-C: the client's key as three headers (algorithm, base64 key,
//! base64 MD5 of the key), checked as S3 checks them. The key lives only
//! in memory for the request; see [`super::envelope`] for what is kept.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};

/// A client's 256-bit key, checked against its MD5.
#[derive(Clone)]
pub struct CustomerKey {
    key: [u8; 32],
    md5: String,
}

impl std::fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerKey").field("md5", &self.md5).finish_non_exhaustive()
    }
}

/// Why the SSE-C headers were refused (each a 400 on S3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CustomerKeyError {
    /// The algorithm is not `AES256`.
    #[error("the encryption algorithm is not valid; the valid value is AES256")]
    Algorithm,
    /// A key or MD5 without the algorithm, or the algorithm without a key.
    #[error(
        "requests specifying Server Side Encryption with Customer provided keys must provide \
         the algorithm, the key and its MD5"
    )]
    Incomplete,
    /// The key is not base64 of 32 bytes.
    #[error("the secret key was invalid for the specified algorithm")]
    BadKey,
    /// The MD5 does not match the key.
    #[error("the calculated MD5 hash of the key did not match the hash that was provided")]
    Md5Mismatch,
}

impl CustomerKey {
    /// The key of headers `algorithm`, `key` and `key_md5`; `Ok(None)` when
    /// none is given.
    pub fn from_headers(
        algorithm: Option<&str>,
        key: Option<&str>,
        key_md5: Option<&str>,
    ) -> Result<Option<Self>, CustomerKeyError> {
        let (algorithm, key, md5) = match (algorithm, key, key_md5) {
            (None, None, None) => return Ok(None),
            (Some(a), _, _) if a != "AES256" => return Err(CustomerKeyError::Algorithm),
            (Some(a), Some(k), Some(m)) => (a, k, m),
            _ => return Err(CustomerKeyError::Incomplete),
        };
        debug_assert_eq!(algorithm, "AES256");
        let raw = STANDARD.decode(key.trim()).map_err(|_| CustomerKeyError::BadKey)?;
        let key: [u8; 32] = raw.try_into().map_err(|_| CustomerKeyError::BadKey)?;
        let want = STANDARD.decode(md5.trim()).map_err(|_| CustomerKeyError::Md5Mismatch)?;
        let got = Md5::digest(key);
        if want.as_slice() != got.as_slice() {
            return Err(CustomerKeyError::Md5Mismatch);
        }
        Ok(Some(Self { key, md5: STANDARD.encode(got) }))
    }

    /// The key's bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// The base64 MD5 of the key, which replies echo.
    pub fn md5(&self) -> &str {
        &self.md5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(key: &[u8]) -> (String, String) {
        (STANDARD.encode(key), STANDARD.encode(Md5::digest(key)))
    }

    #[test]
    fn checks_as_s3_does() {
        let (k, m) = headers(&[7u8; 32]);
        let ck = CustomerKey::from_headers(Some("AES256"), Some(&k), Some(&m)).unwrap().unwrap();
        assert_eq!(ck.bytes(), &[7u8; 32]);
        assert_eq!(ck.md5(), m);
        assert!(CustomerKey::from_headers(None, None, None).unwrap().is_none());
        let err = |a, k, m| CustomerKey::from_headers(a, k, m).unwrap_err();
        assert_eq!(err(Some("AES128"), Some(&k), Some(&m)), CustomerKeyError::Algorithm);
        assert_eq!(err(Some("AES256"), None, Some(&m)), CustomerKeyError::Incomplete);
        assert_eq!(err(None, Some(&k), Some(&m)), CustomerKeyError::Incomplete);
        let (short, short_md5) = headers(&[7u8; 16]);
        assert_eq!(err(Some("AES256"), Some(&short), Some(&short_md5)), CustomerKeyError::BadKey);
        let (_, other_md5) = headers(&[8u8; 32]);
        assert_eq!(err(Some("AES256"), Some(&k), Some(&other_md5)), CustomerKeyError::Md5Mismatch);
    }
}
