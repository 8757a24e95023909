//! Marker files for the delete markers the worker makes.
//!
//! Expiring the current version of a versioned bucket adds a delete
//! marker, and a delete marker is recorded on the storages by an empty
//! tagged file (`gateway::delete_marker`), or `fdfs gateway rebuild-index`
//! would bring the expired object back. The worker cannot upload from
//! inside an index transaction, so before each batch it asks which keys
//! will get a marker, stores their files through [`MarkerFiles`], hands
//! them to the batch, and settles each afterwards: the marker's version
//! tags on a used file, the delete queue for an unused one (the key
//! changed between the look and the batch, or the batch failed).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::index::Deleted;

/// A future the marker hooks return.
pub type MarkerFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A stored marker file, covered by an upload intent until settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedMarker {
    /// The intent's token.
    pub token: String,
    /// The file's ID.
    pub file_id: String,
}

/// Stores and settles marker files (the gateway implements it).
pub trait MarkerFiles: Send + Sync + fmt::Debug {
    /// Stores the marker file of an expiry of `bucket`/`key`; `None` when
    /// it could not (the batch then makes the marker without a file, as a
    /// failed upload must not stop expiry).
    fn prepare<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
    ) -> MarkerFuture<'a, Option<PreparedMarker>>;

    /// After the batch: `made` is the marker the file records, `None` if
    /// no marker used it (the file is then dropped).
    fn settle<'a>(
        &'a self,
        marker: PreparedMarker,
        made: Option<&'a Deleted>,
    ) -> MarkerFuture<'a, ()>;
}
