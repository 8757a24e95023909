//! Streaming hashers: one per algorithm, and one for MD5 plus any set.
//!
//! The gateway sees each body byte once, on its way to a storage server,
//! so every digest it needs — the MD5 for the ETag and `Content-MD5`, and
//! any `x-amz-checksum-*` — is computed in that single pass by
//! [`MultiHasher`].

use std::fmt;

use crc::{CRC_64_NVME, Crc, Table};
use md5::{Digest as _, Md5};
use sha1::Sha1;
use sha2::Sha256;

use super::algorithm::ChecksumAlgorithm;
use super::value::Checksum;

/// CRC-64/NVME with 16-way slicing tables (no SIMD crate in the tree).
static CRC64_NVME: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_NVME);

/// Incremental hasher for one [`ChecksumAlgorithm`].
#[derive(Clone)]
pub struct Hasher {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Sha1(Sha1),
    Sha256(Sha256),
    Crc64Nvme(crc::Digest<'static, u64, Table<16>>),
}

impl Hasher {
    /// A fresh hasher for `algorithm`.
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let inner = match algorithm {
            ChecksumAlgorithm::Crc32 => Inner::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => Inner::Crc32c(0),
            ChecksumAlgorithm::Sha1 => Inner::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => Inner::Sha256(Sha256::new()),
            ChecksumAlgorithm::Crc64Nvme => Inner::Crc64Nvme(CRC64_NVME.digest()),
        };
        Self { inner }
    }

    /// The algorithm this hasher computes.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.inner {
            Inner::Crc32(_) => ChecksumAlgorithm::Crc32,
            Inner::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            Inner::Sha1(_) => ChecksumAlgorithm::Sha1,
            Inner::Sha256(_) => ChecksumAlgorithm::Sha256,
            Inner::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
        }
    }

    /// Feeds the next bytes.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.inner {
            Inner::Crc32(h) => h.update(data),
            Inner::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            Inner::Sha1(h) => h.update(data),
            Inner::Sha256(h) => h.update(data),
            Inner::Crc64Nvme(h) => h.update(data),
        }
    }

    /// The checksum of everything fed so far.
    pub fn finish(self) -> Checksum {
        let algorithm = self.algorithm();
        let value = match self.inner {
            Inner::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Inner::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            Inner::Sha1(h) => h.finalize().to_vec(),
            Inner::Sha256(h) => h.finalize().to_vec(),
            Inner::Crc64Nvme(h) => h.finalize().to_be_bytes().to_vec(),
        };
        Checksum::new(algorithm, value).expect("each hasher yields its algorithm's digest length")
    }
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher").field("algorithm", &self.algorithm()).finish_non_exhaustive()
    }
}

/// MD5 plus any number of [`ChecksumAlgorithm`]s over one stream.
#[derive(Clone)]
pub struct MultiHasher {
    md5: Md5,
    hashers: Vec<Hasher>,
    len: u64,
}

impl MultiHasher {
    /// Hashes MD5 and each distinct algorithm of `algorithms`.
    pub fn new(algorithms: &[ChecksumAlgorithm]) -> Self {
        let mut distinct: Vec<ChecksumAlgorithm> = algorithms.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        Self { md5: Md5::new(), hashers: distinct.into_iter().map(Hasher::new).collect(), len: 0 }
    }

    /// Whether `algorithm` is among those computed.
    pub fn computes(&self, algorithm: ChecksumAlgorithm) -> bool {
        self.hashers.iter().any(|h| h.algorithm() == algorithm)
    }

    /// Feeds the next bytes to every hasher.
    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        for h in &mut self.hashers {
            h.update(data);
        }
        self.len += data.len() as u64;
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no bytes were fed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All digests of everything fed.
    pub fn finish(self) -> Digests {
        Digests {
            md5: self.md5.finalize().into(),
            checksums: self.hashers.into_iter().map(Hasher::finish).collect(),
            len: self.len,
        }
    }
}

impl fmt::Debug for MultiHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiHasher")
            .field("hashers", &self.hashers)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// What a [`MultiHasher`] computed over a whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// MD5 of the body (the single-part ETag, and `Content-MD5`).
    pub md5: [u8; 16],
    /// One checksum per requested algorithm, in algorithm order.
    pub checksums: Vec<Checksum>,
    /// Body length in bytes.
    pub len: u64,
}

impl Digests {
    /// The S3 ETag of a single-part object: lower-case hex MD5, unquoted.
    pub fn etag(&self) -> String {
        hex(&self.md5)
    }

    /// The computed checksum of `algorithm`, if it was requested.
    pub fn checksum(&self, algorithm: ChecksumAlgorithm) -> Option<&Checksum> {
        self.checksums.iter().find(|c| c.algorithm() == algorithm)
    }
}

/// Lower-case hex of `bytes`.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}
