//! An encrypted object's envelope: its random data key, wrapped — by the
//! master key (SSE-S3) or by the client's key (SSE-C) — and never stored
//! in clear. The envelope is what the index row keeps (and the file's
//! tags, so a rebuilt index can still read the object).
//!
//! Why a random data key rather than one derived from the object: a copy
//! or a change of the client's key only re-wraps 32 bytes, the sealed
//! file is reused as it is (CopyObject stays O(1)).
//!
//! SSE-C keeps a salted HMAC of the client's key beside the wrapped data
//! key, so a wrong key is told apart (403) from a damaged envelope; the
//! key itself, or its plain MD5, is never stored.
//!
//! Each wrapping is bound to its object (`bucket` NUL `key`) as
//! associated data, so an envelope moved to another row does not open.
//!
//! Encoding: `version (1) | kind (1) | ...`: for SSE-S3 the master key's
//! sealed value; for SSE-C `salt (16) | verifier (32) | nonce (12) |
//! wrapped key + tag (48)`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::customer_key::CustomerKey;
use super::master_key::MasterKey;

const VERSION: u8 = 1;
const KIND_S3: u8 = 1;
const KIND_CUSTOMER: u8 = 2;
const S3_PURPOSE: &str = "sse-s3-data-key";
const WRAP_LABEL: &[u8] = b"fdfs-sse-c-wrap-v1";
const VERIFY_LABEL: &[u8] = b"fdfs-sse-c-verify-v1";
const CUSTOMER_LEN: usize = 2 + 16 + 32 + 12 + 32 + 16;

/// A 256-bit data key, in clear only in memory.
#[derive(Clone)]
pub struct DataKey(pub [u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Self(k)
    }
}

/// How an object is encrypted, and its wrapped data key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Envelope {
    /// SSE-S3: the data key sealed by the master key.
    S3 { wrapped: Vec<u8> },
    /// SSE-C: the data key sealed under the client's key, and a salted
    /// verifier of that key.
    Customer { salt: [u8; 16], verifier: [u8; 32], nonce: [u8; 12], wrapped: Vec<u8> },
}

/// Why an envelope did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The bytes are not an envelope this build reads.
    #[error("encryption envelope is malformed")]
    Malformed,
    /// SSE-C: the given key is not the object's.
    #[error("the customer key does not match the object's")]
    WrongKey,
    /// The wrapping did not authenticate (a damaged or moved envelope, or
    /// another master key).
    #[error("the data key does not unwrap")]
    Unwrap,
    /// The object needs a customer key and none was given, or the other
    /// way round.
    #[error("the object's encryption needs other parameters")]
    KindMismatch,
}

/// The associated data binding a wrapping to an object.
fn binding(bucket: &str, key: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(bucket.len() + key.len() + 1);
    b.extend_from_slice(bucket.as_bytes());
    b.push(0);
    b.extend_from_slice(key.as_bytes());
    b
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

fn customer_cipher(ck: &CustomerKey) -> Aes256Gcm {
    Aes256Gcm::new_from_slice(&hmac(ck.bytes(), &[WRAP_LABEL]))
        .unwrap_or_else(|_| unreachable!("a SHA-256 output is an AES-256 key"))
}

impl Envelope {
    /// `dk` wrapped by the master key for object `bucket`/`key`.
    pub fn seal_s3(master: &MasterKey, bucket: &str, key: &str, dk: &DataKey) -> Self {
        Self::S3 { wrapped: master.seal(S3_PURPOSE, &binding(bucket, key), &dk.0) }
    }

    /// `dk` wrapped under the client's key `ck` for object `bucket`/`key`.
    pub fn seal_customer(ck: &CustomerKey, bucket: &str, key: &str, dk: &DataKey) -> Self {
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut salt);
        rand::rng().fill_bytes(&mut nonce);
        let verifier = hmac(ck.bytes(), &[VERIFY_LABEL, &salt]);
        let aad = binding(bucket, key);
        let wrapped = customer_cipher(ck)
            .encrypt(&Nonce::from(nonce), Payload { msg: &dk.0, aad: &aad })
            .unwrap_or_else(|_| unreachable!("AES-GCM seals 32 bytes"));
        Self::Customer { salt, verifier, nonce, wrapped }
    }

    /// Whether this is SSE-C.
    pub fn is_customer(&self) -> bool {
        matches!(self, Self::Customer { .. })
    }

    /// The data key, unwrapped with the master key (SSE-S3) or the
    /// client's key (SSE-C, which must be given and be the object's).
    pub fn open(
        &self,
        master: &MasterKey,
        customer: Option<&CustomerKey>,
        bucket: &str,
        key: &str,
    ) -> Result<DataKey, EnvelopeError> {
        let aad = binding(bucket, key);
        let bytes = match (self, customer) {
            (Self::S3 { wrapped }, None) => {
                master.open(S3_PURPOSE, &aad, wrapped).map_err(|_| EnvelopeError::Unwrap)?
            }
            (Self::Customer { salt, verifier, nonce, wrapped }, Some(ck)) => {
                let check = hmac(ck.bytes(), &[VERIFY_LABEL, salt]);
                if !constant_eq(&check, verifier) {
                    return Err(EnvelopeError::WrongKey);
                }
                customer_cipher(ck)
                    .decrypt(&Nonce::from(*nonce), Payload { msg: wrapped, aad: &aad })
                    .map_err(|_| EnvelopeError::Unwrap)?
            }
            _ => return Err(EnvelopeError::KindMismatch),
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| EnvelopeError::Malformed)?;
        Ok(DataKey(key))
    }

    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::S3 { wrapped } => {
                let mut out = vec![VERSION, KIND_S3];
                out.extend_from_slice(wrapped);
                out
            }
            Self::Customer { salt, verifier, nonce, wrapped } => {
                let mut out = Vec::with_capacity(CUSTOMER_LEN);
                out.extend_from_slice(&[VERSION, KIND_CUSTOMER]);
                out.extend_from_slice(salt);
                out.extend_from_slice(verifier);
                out.extend_from_slice(nonce);
                out.extend_from_slice(wrapped);
                out
            }
        }
    }

    /// Reads bytes written by [`Envelope::encode`]; anything else is
    /// [`EnvelopeError::Malformed`], never a panic (the bytes may come from
    /// a storage's file tags).
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        match bytes {
            [VERSION, KIND_S3, rest @ ..] if !rest.is_empty() && rest.len() <= 128 => {
                Ok(Self::S3 { wrapped: rest.to_vec() })
            }
            [VERSION, KIND_CUSTOMER, rest @ ..] if bytes.len() == CUSTOMER_LEN => {
                let (salt, rest) = rest.split_at(16);
                let (verifier, rest) = rest.split_at(32);
                let (nonce, wrapped) = rest.split_at(12);
                Ok(Self::Customer {
                    salt: salt.try_into().map_err(|_| EnvelopeError::Malformed)?,
                    verifier: verifier.try_into().map_err(|_| EnvelopeError::Malformed)?,
                    nonce: nonce.try_into().map_err(|_| EnvelopeError::Malformed)?,
                    wrapped: wrapped.to_vec(),
                })
            }
            _ => Err(EnvelopeError::Malformed),
        }
    }
}

fn constant_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
