//! FastDFS's anti-steal token for HTTP downloads
//! (`http.anti_steal.check_token` in `http.conf`).
//!
//! An application that hands out download URLs signs each one:
//! `token = md5_hex(logic filename + secret + ts)`, where the logic
//! filename is the file ID without its group (`M00/00/00/<name>`) and `ts`
//! the unix time of signing, and appends `?token=<token>&ts=<ts>`. The
//! server recomputes the token and refuses a URL whose token differs or
//! whose `ts + ttl` is already past. As in FastDFS, a `ts` in the future
//! is accepted (the signer's clock decides).

use std::time::Duration;

use md5::{Digest, Md5};

/// The secret and lifetime of signed URLs.
#[derive(Clone)]
pub struct TokenCheck {
    /// The shared secret (`http.anti_steal.secret_key`).
    pub secret: String,
    /// How long a signed URL stays valid (`http.anti_steal.token_ttl`).
    pub ttl: Duration,
}

impl std::fmt::Debug for TokenCheck {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCheck").field("secret", &"<redacted>").field("ttl", &self.ttl).finish()
    }
}

/// Why a download URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No `token` or no `ts` parameter, or a `ts` that is not a number.
    #[error("missing or malformed token/ts parameters")]
    Missing,
    /// The token does not match.
    #[error("token does not match")]
    Mismatch,
    /// `ts + ttl` is past.
    #[error("token expired")]
    Expired,
}

/// The token for `logic` signed at `ts` (32 lower-case hex digits).
pub fn sign(logic: &str, secret: &str, ts: i64) -> String {
    let mut md5 = Md5::new();
    md5.update(logic.as_bytes());
    md5.update(secret.as_bytes());
    md5.update(ts.to_string().as_bytes());
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl TokenCheck {
    /// Checks the `token` and `ts` parameters of `query` (the URL's query
    /// string) for `logic`, at unix time `now`.
    pub fn verify(&self, logic: &str, query: Option<&str>, now: i64) -> Result<(), TokenError> {
        let (mut token, mut ts) = (None, None);
        for pair in query.unwrap_or("").split('&') {
            match pair.split_once('=') {
                Some(("token", v)) => token = Some(v),
                Some(("ts", v)) => ts = Some(v),
                _ => {}
            }
        }
        let (Some(token), Some(ts)) = (token, ts) else { return Err(TokenError::Missing) };
        let ts: i64 = ts.parse().map_err(|_| TokenError::Missing)?;
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        if ts.saturating_add(ttl) < now {
            return Err(TokenError::Expired);
        }
        let want = sign(logic, &self.secret, ts);
        if equal_ignoring_case(token.as_bytes(), want.as_bytes()) {
            Ok(())
        } else {
            Err(TokenError::Mismatch)
        }
    }
}

/// Compares in time independent of where the inputs differ.
fn equal_ignoring_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .fold(0u8, |acc, (x, y)| acc | (x.to_ascii_lowercase() ^ y.to_ascii_lowercase()))
            == 0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{TokenCheck, TokenError, sign};

    const NAME: &str = "M00/00/00/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt";

    #[test]
    fn sign_is_md5_of_name_secret_and_ts() {
        // python3: hashlib.md5(b"M00/00/00/abc.txtsecret1700000000").hexdigest()
        assert_eq!(
            sign("M00/00/00/abc.txt", "secret", 1_700_000_000),
            "0f63511e6a5781c9ed93630a98137199"
        );
    }

    #[test]
    fn verifies_signed_urls() {
        let check =
            TokenCheck { secret: "FastDFS1234567890".into(), ttl: Duration::from_secs(900) };
        let ts = 1_700_000_000;
        let token = sign(NAME, &check.secret, ts);
        let query = format!("token={token}&ts={ts}");
        assert_eq!(check.verify(NAME, Some(&query), ts), Ok(()));
        assert_eq!(check.verify(NAME, Some(&query), ts + 900), Ok(()));
        let upper = format!("ts={ts}&x=1&token={}", token.to_uppercase());
        assert_eq!(check.verify(NAME, Some(&upper), ts), Ok(()));
        assert_eq!(check.verify(NAME, Some(&query), ts + 901), Err(TokenError::Expired));
        assert_eq!(
            check.verify("M00/00/00/other.txt", Some(&query), ts),
            Err(TokenError::Mismatch)
        );
        for bad in [None, Some(""), Some("token=abc"), Some("ts=1"), Some("token=x&ts=soon")] {
            assert_eq!(check.verify(NAME, bad, ts), Err(TokenError::Missing), "{bad:?}");
        }
        let wrong = format!("token={}&ts={ts}", sign(NAME, "other secret", ts));
        assert_eq!(check.verify(NAME, Some(&wrong), ts), Err(TokenError::Mismatch));
    }
}
