//! Encryption at rest: the gateway's master key and what it seals.
//!
//! # Layout
//!
//! - [`master_key`] — the 256-bit master key of a data directory: made at
//!   first start (mode 0600, never overwritten) or read from an operator's
//!   file, and its AEAD seal/open of small secrets (access key secrets in
//!   the index, the per-object data keys of SSE-S3), each sealed value bound
//!   to a purpose label and to the caller's associated data.
//! - [`customer_key`] — SSE-C: the client's key from its three headers,
//!   checked against its MD5.
//! - [`envelope`] — an object's random data key, wrapped by the master key
//!   (SSE-S3) or the client's key (SSE-C), as the index and tags keep it.
//! - [`segments`] — the sealed file format: a header with a per-file salt,
//!   then 64 KiB AES-256-GCM segments bound to part, position and a final
//!   flag; plaintext ranges as windows of whole segments.
//! - [`stream`] — bounded-memory streaming encryption and decryption of
//!   that format.

pub mod customer_key;
pub mod envelope;
pub mod master_key;
pub mod segments;
pub mod stream;

#[cfg(test)]
mod tests;

pub use customer_key::{CustomerKey, CustomerKeyError};
pub use envelope::{DataKey, Envelope, EnvelopeError};
pub use master_key::{MASTER_KEY_FILE, MasterKey, MasterKeyError, SealError};
