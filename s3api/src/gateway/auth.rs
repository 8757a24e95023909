//! Request authentication: `s3s` verifies SigV4 (headers and presigned
//! URLs) and asks [`IndexAuth`] for the secret of the access key a request
//! names; the secrets live in the index's access keys, sealed with the
//! master key, and are opened here. Unsigned requests are refused by
//! `s3s`'s default access check.

use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::error;
use crate::crypto::MasterKey;
use crate::index::IndexHandle;

/// Looks secrets up in the index and opens them with the master key.
#[derive(Debug, Clone)]
pub struct IndexAuth {
    index: IndexHandle,
    master_key: MasterKey,
}

impl IndexAuth {
    /// Secrets from `index`, sealed by `master_key`.
    pub fn new(index: IndexHandle, master_key: MasterKey) -> Self {
        Self { index, master_key }
    }
}

#[async_trait::async_trait]
impl S3Auth for IndexAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let id = access_key.to_string();
        let master = self.master_key.clone();
        let key = self
            .index
            .read(move |ix| ix.get_access_key(&id, &master))
            .await
            .map_err(|e| error::from_index(e, ""))?;
        match key {
            Some(key) => Ok(SecretKey::from(key.secret)),
            None => Err(S3Error::with_message(
                S3ErrorCode::InvalidAccessKeyId,
                "the access key ID does not exist",
            )),
        }
    }
}

/// A fresh tenant key pair for `owner` (not admin): a 20-character
/// upper-case ID starting with `FDFS` and a 40-character secret, from the
/// OS-seeded thread RNG.
pub fn generate_key(owner: &str, created_ms: i64) -> crate::index::AccessKey {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    const ID_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    let id_tail: String =
        (0..16).map(|_| char::from(ID_CHARS[rng.random_range(0..ID_CHARS.len())])).collect();
    let secret: String = (&mut rng).sample_iter(Alphanumeric).take(40).map(char::from).collect();
    crate::index::AccessKey {
        access_key_id: format!("FDFS{id_tail}"),
        secret,
        owner: owner.to_string(),
        admin: false,
        created_ms,
    }
}
