//! The form's signature over its policy, which makes the form the policy
//! owner's request.
//!
//! - SigV4: `x-amz-algorithm` (`AWS4-HMAC-SHA256`), `x-amz-credential`
//!   (`KEY/DATE/REGION/s3/aws4_request`), `x-amz-date` (of that DATE) and
//!   `x-amz-signature`: hex HMAC-SHA256 of the base64 policy as sent, with
//!   the key derived from the secret, date, region and service.
//! - SigV2: `AWSAccessKeyId` and `signature`: base64 HMAC-SHA1 of the
//!   base64 policy with the secret.
//!
//! A key the index does not know is 403 InvalidAccessKeyId; a wrong
//! signature 403 SignatureDoesNotMatch.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use s3s::auth::{Credentials, SecretKey};
use s3s::{S3Error, S3ErrorCode, S3Result};
use sha1::Sha1;
use sha2::Sha256;

use super::Browser;
use crate::gateway::error;

/// The form field `name` (case-insensitive).
pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Whether the form carries a signature at all.
pub(super) fn is_signed(fields: &[(String, String)]) -> bool {
    field(fields, "x-amz-signature").is_some() || field(fields, "signature").is_some()
}

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message.into())
}

fn mismatch() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::SignatureDoesNotMatch,
        error::default_message("SignatureDoesNotMatch"),
    )
}

impl Browser {
    /// The credentials whose signature `fields` carry over `policy_b64`.
    pub(super) async fn verify_form(
        &self,
        fields: &[(String, String)],
        policy_b64: &str,
    ) -> S3Result<Credentials> {
        if let Some(signature) = field(fields, "x-amz-signature") {
            let algorithm = field(fields, "x-amz-algorithm").unwrap_or("");
            if algorithm != "AWS4-HMAC-SHA256" {
                return Err(invalid(format!("Unsupported x-amz-algorithm: {algorithm:?}")));
            }
            let credential = field(fields, "x-amz-credential").ok_or_else(|| {
                invalid("Bucket POST must contain a field named 'x-amz-credential'")
            })?;
            let date = field(fields, "x-amz-date")
                .ok_or_else(|| invalid("Bucket POST must contain a field named 'x-amz-date'"))?;
            let parts: Vec<&str> = credential.split('/').collect();
            let [key_id, day, region, service, "aws4_request"] = parts.as_slice() else {
                return Err(invalid(format!("Invalid x-amz-credential: {credential:?}")));
            };
            if date.len() != 16 || !date.starts_with(day) {
                return Err(invalid("x-amz-date does not match the credential's date"));
            }
            let secret = self.secret_of(key_id).await?;
            let expected = sigv4(&secret, day, region, service, policy_b64);
            if !same(expected.as_bytes(), signature.trim().to_ascii_lowercase().as_bytes()) {
                return Err(mismatch());
            }
            return Ok(Credentials {
                access_key: (*key_id).to_string(),
                secret_key: secret.into(),
            });
        }
        let signature = field(fields, "signature").unwrap_or("");
        let key_id = field(fields, "AWSAccessKeyId")
            .ok_or_else(|| invalid("Bucket POST must contain a field named 'AWSAccessKeyId'"))?;
        let secret = self.secret_of(key_id).await?;
        if !same(sigv2(&secret, policy_b64).as_bytes(), signature.trim().as_bytes()) {
            return Err(mismatch());
        }
        Ok(Credentials { access_key: key_id.to_string(), secret_key: SecretKey::from(secret) })
    }

    /// The secret of access key `id`.
    async fn secret_of(&self, id: &str) -> S3Result<String> {
        let (i, master) = (id.to_string(), self.master_key.clone());
        let key = self
            .inner
            .index
            .read(move |ix| ix.get_access_key(&i, &master))
            .await
            .map_err(|e| error::from_index(e, ""))?;
        key.map(|k| k.secret).ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                error::default_message("InvalidAccessKeyId"),
            )
        })
    }
}

fn hmac256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The SigV4 POST signature (lower-case hex) of `policy_b64`.
pub(super) fn sigv4(secret: &str, day: &str, region: &str, service: &str, policy: &str) -> String {
    let k = hmac256(format!("AWS4{secret}").as_bytes(), day.as_bytes());
    let k = hmac256(&k, region.as_bytes());
    let k = hmac256(&k, service.as_bytes());
    let k = hmac256(&k, b"aws4_request");
    hmac256(&k, policy.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The SigV2 POST signature (base64) of `policy_b64`.
pub(super) fn sigv2(secret: &str, policy: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(policy.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Equality without an early exit on the first differing byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::{same, sigv2, sigv4};

    #[test]
    fn signatures_match_python_hmac() {
        // Computed independently with Python's hmac/hashlib.
        let policy = "eyJleHBpcmF0aW9uIjoiMjAxNS0xMi0zMFQxMjowMDowMC4wMDBaIn0=";
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            sigv4(secret, "20151229", "us-east-1", "s3", policy),
            "6177f37480a703088dfd86e641c14a716a167304797a98fad5384106dc6f6061"
        );
        assert_eq!(sigv2("secret", "policy"), "DQYKsMXInaBeQ2OuQ0nMglptC1c=");
        assert!(same(b"ab", b"ab"));
        assert!(!same(b"ab", b"ac"));
        assert!(!same(b"ab", b"abc"));
    }
}
