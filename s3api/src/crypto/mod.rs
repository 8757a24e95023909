//! Encryption at rest: the gateway's master key and what it seals.
//!
//! # Layout
//!
//! - [`master_key`] — the 256-bit master key of a data directory: made at
//!   first start (mode 0600, never overwritten) or read from an operator's
//!   file, and its AEAD seal/open of small secrets (access key secrets in
//!   the index, the per-object data keys of SSE-S3), each sealed value bound
//!   to a purpose label and to the caller's associated data.

pub mod master_key;

pub use master_key::{MASTER_KEY_FILE, MasterKey, MasterKeyError, SealError};
