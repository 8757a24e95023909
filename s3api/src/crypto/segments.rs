//! The sealed file format of encrypted objects: a 32-byte header and the
//! plaintext cut into 64 KiB segments, each sealed on its own with
//! AES-256-GCM, so a ranged GET fetches and opens only the segments it
//! reads.
//!
//! Why this shape (MinIO's DARE format made the same choices):
//! - the header carries a random 24-byte salt; the file key is
//!   HMAC-SHA256(data key, label | salt), so every file — every object,
//!   every part, every re-upload — has its own key even when parts share
//!   the object's data key, and the nonce can simply be the segment
//!   number without ever repeating under one key;
//! - each segment's associated data is its part number (0 for a
//!   single-file object), its segment number and a final-segment flag:
//!   a segment moved to another place, another part's file, or a file cut
//!   at a segment boundary (the new last segment lacks the flag) fails
//!   its tag; an error, never wrong bytes;
//! - sizes are the plaintext's: the index keeps the object's plaintext
//!   size and every ciphertext offset follows from it ([`cipher_len`],
//!   [`Window`]).
//!
//! Layout: `"FDSE" | version (1) | 0 0 0 | salt (24)`, then segments of
//! `min(64 KiB, rest) + 16` bytes; an empty plaintext is one empty final
//! segment (16 bytes), so even that is authenticated.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Plaintext bytes per segment.
pub const SEGMENT: usize = 64 * 1024;
/// The GCM tag each segment adds.
pub const TAG: usize = 16;
/// The header's length.
pub const HEADER: usize = 32;

const MAGIC: &[u8; 4] = b"FDSE";
const VERSION: u8 = 1;
const SALT: usize = 24;
const FILE_KEY_LABEL: &[u8] = b"fdfs-sse-file-v1";
const AAD_LABEL: &[u8] = b"fdfs-sse-seg-v1";

/// Why sealed bytes did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    /// The header is not ours or of a version this build does not read.
    #[error("not a sealed object file")]
    BadHeader,
    /// A segment failed its tag: tampered, moved, or under another key.
    #[error("segment {0} does not authenticate")]
    Tampered(u64),
    /// The bytes ended before, or went on after, where the size says.
    #[error("sealed file has the wrong length")]
    Length,
}

/// The number of segments of a plaintext of `size` bytes (at least one).
pub fn segment_count(size: u64) -> u64 {
    size.div_ceil(SEGMENT as u64).max(1)
}

/// The plaintext length of segment `i` of a plaintext of `size` bytes.
fn segment_plain_len(size: u64, i: u64) -> usize {
    let start = i * SEGMENT as u64;
    usize::try_from(size.saturating_sub(start).min(SEGMENT as u64)).unwrap_or(SEGMENT)
}

/// The stored length of a plaintext of `size` bytes.
pub fn cipher_len(size: u64) -> u64 {
    HEADER as u64 + size + segment_count(size) * TAG as u64
}

/// The plaintext size of a sealed file of `stored` bytes; `None` when no
/// plaintext seals to that length.
pub fn plain_len(stored: u64) -> Option<u64> {
    let rest = stored.checked_sub(HEADER as u64)?;
    let segments = rest.div_ceil((SEGMENT + TAG) as u64).max(1);
    let size = rest.checked_sub(segments * TAG as u64)?;
    (cipher_len(size) == stored).then_some(size)
}

/// The stored offset of segment `i`.
fn segment_offset(i: u64) -> u64 {
    HEADER as u64 + i * (SEGMENT + TAG) as u64
}

/// What to fetch to read plaintext `start..end` of a file holding `size`
/// plaintext bytes: whole segments `first..=last`, from which the reader
/// drops `skip` leading bytes and keeps `len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first segment fetched.
    pub first: u64,
    /// The stored offset of that segment.
    pub offset: u64,
    /// Stored bytes to fetch from `offset`.
    pub len: u64,
    /// Plaintext bytes to drop from the first segment.
    pub skip: u64,
    /// Plaintext bytes to keep.
    pub keep: u64,
}

impl Window {
    /// The window for plaintext `start..end` (`start < end <= size`, or
    /// `0..0` for an empty file, which still reads its one segment).
    pub fn new(size: u64, start: u64, end: u64) -> Self {
        let seg = SEGMENT as u64;
        let first = (start / seg).min(segment_count(size) - 1);
        let last = if end > start { (end - 1) / seg } else { first };
        let stop = if last + 1 >= segment_count(size) {
            cipher_len(size)
        } else {
            segment_offset(last + 1)
        };
        let offset = segment_offset(first);
        Self { first, offset, len: stop - offset, skip: start - first * seg, keep: end - start }
    }
}

/// The key of one sealed file: the object's data key and the file's salt.
#[derive(Clone)]
pub struct FileKey {
    cipher: Aes256Gcm,
    header: [u8; HEADER],
    part: u32,
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileKey").field("part", &self.part).finish_non_exhaustive()
    }
}

impl FileKey {
    /// A new file of part `part` (0: a single-file object) under
    /// `data_key`, with a fresh random salt.
    pub fn create(data_key: &[u8; 32], part: u32) -> Self {
        let mut header = [0u8; HEADER];
        header[..4].copy_from_slice(MAGIC);
        header[4] = VERSION;
        rand::rng().fill_bytes(&mut header[8..]);
        Self::with_header(data_key, part, header)
    }

    /// The key of an existing file whose header is `header`.
    pub fn open(data_key: &[u8; 32], part: u32, header: &[u8]) -> Result<Self, SegmentError> {
        let header: [u8; HEADER] = header.try_into().map_err(|_| SegmentError::BadHeader)?;
        if &header[..4] != MAGIC || header[4] != VERSION || header[5..8] != [0, 0, 0] {
            return Err(SegmentError::BadHeader);
        }
        Ok(Self::with_header(data_key, part, header))
    }

    fn with_header(data_key: &[u8; 32], part: u32, header: [u8; HEADER]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(data_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(FILE_KEY_LABEL);
        mac.update(&header[HEADER - SALT..]);
        let key = mac.finalize().into_bytes();
        let cipher = Aes256Gcm::new_from_slice(&key)
            .unwrap_or_else(|_| unreachable!("a SHA-256 output is an AES-256 key"));
        Self { cipher, header, part }
    }

    /// The file's header bytes, written first.
    pub fn header(&self) -> &[u8; HEADER] {
        &self.header
    }

    /// Seals plaintext segment `index` (`last`: the file's final one).
    pub fn seal(&self, index: u64, last: bool, plain: &[u8]) -> Vec<u8> {
        let aad = aad(self.part, index, last);
        self.cipher
            .encrypt(&nonce(index), Payload { msg: plain, aad: &aad })
            .unwrap_or_else(|_| unreachable!("AES-GCM seals any segment-sized input"))
    }

    /// Opens sealed segment `index` (`last`: the file's final one).
    pub fn open_segment(
        &self,
        index: u64,
        last: bool,
        sealed: &[u8],
    ) -> Result<Vec<u8>, SegmentError> {
        let aad = aad(self.part, index, last);
        self.cipher
            .decrypt(&nonce(index), Payload { msg: sealed, aad: &aad })
            .map_err(|_| SegmentError::Tampered(index))
    }
}

fn nonce(index: u64) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&index.to_be_bytes());
    Nonce::from(n)
}

fn aad(part: u32, index: u64, last: bool) -> Vec<u8> {
    let mut a = Vec::with_capacity(AAD_LABEL.len() + 13);
    a.extend_from_slice(AAD_LABEL);
    a.extend_from_slice(&part.to_be_bytes());
    a.extend_from_slice(&index.to_be_bytes());
    a.push(u8::from(last));
    a
}

/// Seals a whole plaintext in memory (tests and small values; uploads
/// stream through [`super::stream::Encrypting`]).
pub fn seal_all(key: &FileKey, plain: &[u8]) -> Vec<u8> {
    let size = plain.len() as u64;
    let count = segment_count(size);
    let mut out = Vec::with_capacity(usize::try_from(cipher_len(size)).unwrap_or(0));
    out.extend_from_slice(key.header());
    for i in 0..count {
        let start = usize::try_from(i).unwrap_or(usize::MAX).saturating_mul(SEGMENT);
        let end = start + segment_plain_len(size, i);
        out.extend_from_slice(&key.seal(i, i + 1 == count, &plain[start..end]));
    }
    out
}

/// Opens a whole sealed file whose plaintext is `size` bytes.
pub fn open_all(
    data_key: &[u8; 32],
    part: u32,
    size: u64,
    sealed: &[u8],
) -> Result<Vec<u8>, SegmentError> {
    if sealed.len() as u64 != cipher_len(size) {
        return Err(SegmentError::Length);
    }
    let key = FileKey::open(data_key, part, &sealed[..HEADER])?;
    let count = segment_count(size);
    let mut out = Vec::new();
    let mut at = HEADER;
    for i in 0..count {
        let n = segment_plain_len(size, i) + TAG;
        out.extend_from_slice(&key.open_segment(i, i + 1 == count, &sealed[at..at + n])?);
        at += n;
    }
    Ok(out)
}

/// The stored length of segment `i` of a plaintext of `size` bytes.
pub(super) fn sealed_segment_len(size: u64, i: u64) -> usize {
    segment_plain_len(size, i) + TAG
}
