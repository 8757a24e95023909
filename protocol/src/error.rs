//! Errors of the protocol crate.

use crate::status::Status;

/// A message that cannot be decoded. Every decoder returns this instead of
/// panicking, whatever bytes arrive from the network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer bytes than the layout needs.
    #[error("truncated message: needed {needed} bytes, {available} available")]
    Truncated { needed: usize, available: usize },
    /// More bytes than the layout allows.
    #[error("{extra} unexpected trailing bytes")]
    TrailingBytes { extra: usize },
    /// A body whose length does not fit the command's layout.
    #[error("bad body length {len} for {what}")]
    BadLength { what: &'static str, len: u64 },
    /// A length field that is negative.
    #[error("negative length field {0}")]
    NegativeLength(i64),
    /// A field whose value is out of range or malformed.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl DecodeError {
    /// Shorthand for [`DecodeError::Invalid`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid { field, reason: reason.into() }
    }

    /// The status byte a server answers a request that failed to decode with.
    pub fn status(&self) -> Status {
        Status::EINVAL
    }
}
