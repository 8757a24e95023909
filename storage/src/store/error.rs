//! One error type for the file engine, and the status byte each failure is
//! answered with.
//!
//! The storage server turns every [`StoreError`] into a FastDFS response
//! header through [`StoreError::status`]: a missing file is `ENOENT`, an
//! existing one `EEXIST`, a bad name, offset or length `EINVAL`, a refused
//! reserve `ENOSPC`, and an unexpected I/O failure its own errno (`EIO` when
//! the OS gave none). Keeping the mapping here means handlers never guess.

use std::io;
use std::path::PathBuf;

use fdfs_protocol::Status;
use fdfs_protocol::error::DecodeError;

/// Every way a file-engine operation can fail.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file (or its metadata file) does not exist: `ENOENT`.
    #[error("no such file: {0}")]
    NotFound(String),
    /// The file already exists: `EEXIST`.
    #[error("file already exists: {0}")]
    Exists(String),
    /// A request field is out of range or malformed: `EINVAL`.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// A name, extension or prefix failed to parse: `EINVAL`.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The operation needs an appender file and this one is not: `EINVAL`.
    #[error("not an appender file: {0}")]
    NotAppender(String),
    /// The content ended before the announced size: `EINVAL`.
    #[error("content ended after {got} of {expected} bytes")]
    ShortContent {
        /// Bytes announced.
        expected: u64,
        /// Bytes received before the end of the stream.
        got: u64,
    },
    /// Writing would go below the reserved free space: `ENOSPC`.
    #[error("store path {store_path}: no space for {bytes} bytes above the reserve")]
    NoSpace {
        /// The store path index that was checked.
        store_path: u8,
        /// The bytes that were to be written.
        bytes: u64,
    },
    /// The file's tags carry a legal hold or an unexpired retention, and
    /// the request would delete or change it, or weaken the tags: `EPERM`
    /// (see `store::retention`).
    #[error("retained: {0}")]
    Retained(String),
    /// An I/O operation failed: its errno (`EIO` when unknown).
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done (`"create"`, `"rename"`, ...).
        op: &'static str,
        /// The path it was done on.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl StoreError {
    /// The status byte to answer with.
    pub fn status(&self) -> Status {
        match self {
            Self::NotFound(_) => Status::ENOENT,
            Self::Exists(_) => Status::EEXIST,
            Self::Invalid(_) | Self::NotAppender(_) | Self::ShortContent { .. } => Status::EINVAL,
            Self::Decode(err) => err.status(),
            Self::NoSpace { .. } => Status::ENOSPC,
            Self::Retained(_) => Status::EPERM,
            Self::Io { source, .. } => match Status::from_io(source) {
                Status::OK => Status::EIO,
                status => status,
            },
        }
    }

    /// Wraps an I/O error with what was done and where.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io { op, path: path.into(), source }
    }

    /// Like [`StoreError::io`], but a "not found" error becomes
    /// [`StoreError::NotFound`] naming `what` (a logic filename).
    pub fn io_or_missing(
        op: &'static str,
        path: impl Into<PathBuf>,
        what: &str,
        source: io::Error,
    ) -> Self {
        if source.kind() == io::ErrorKind::NotFound {
            Self::NotFound(what.to_owned())
        } else {
            Self::io(op, path, source)
        }
    }

    /// Shorthand for [`StoreError::Invalid`].
    pub fn invalid(reason: impl Into<String>) -> Self {
        Self::Invalid(reason.into())
    }
}

/// Result of a file-engine operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Turns a failed `spawn_blocking` join (a panic or a cancelled runtime)
/// into an I/O error, so it is answered with `EIO` rather than propagated.
pub(crate) fn join_error(err: tokio::task::JoinError) -> StoreError {
    StoreError::io("blocking task", PathBuf::new(), io::Error::other(err.to_string()))
}

#[cfg(test)]
mod tests {
    use std::io;

    use fdfs_protocol::Status;
    use fdfs_protocol::error::DecodeError;

    use super::StoreError;

    #[test]
    fn statuses() {
        let cases = [
            (StoreError::NotFound("x".into()), Status::ENOENT),
            (StoreError::Exists("x".into()), Status::EEXIST),
            (StoreError::invalid("x"), Status::EINVAL),
            (StoreError::NotAppender("x".into()), Status::EINVAL),
            (StoreError::ShortContent { expected: 2, got: 1 }, Status::EINVAL),
            (StoreError::NoSpace { store_path: 0, bytes: 1 }, Status::ENOSPC),
            (StoreError::Retained("x".into()), Status::EPERM),
            (DecodeError::invalid("f", "r").into(), Status::EINVAL),
            (StoreError::io("w", "/p", io::Error::from_raw_os_error(28)), Status::ENOSPC),
            (StoreError::io("w", "/p", io::Error::other("?")), Status::EIO),
            (
                StoreError::io_or_missing(
                    "open",
                    "/p",
                    "M00/00/00/x",
                    io::ErrorKind::NotFound.into(),
                ),
                Status::ENOENT,
            ),
        ];
        for (err, status) in cases {
            assert_eq!(err.status(), status, "{err}");
        }
    }
}
