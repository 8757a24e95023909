//! The gateway's namespace index: buckets, objects and their FastDFS file
//! IDs, multipart uploads, access keys and the delete queue, in SQLite.
//!
//! # Durability
//!
//! One database file in WAL mode with `synchronous = FULL`. An index commit
//! is the moment an S3 write becomes visible and is acknowledged to the
//! client, so it must survive power loss: FULL fsyncs the WAL on every
//! commit (NORMAL would only survive a process crash, and a lost row makes
//! an acknowledged object vanish and its bytes an orphan). The cost is one
//! WAL fsync per write, on a path whose storage upload already paid one.
//! Every operation is one transaction; writes take the write lock up front
//! (`BEGIN IMMEDIATE`), reads run in one snapshot so a multi-statement read
//! (an object and its manifest) never sees half of a concurrent write.
//!
//! # The storage contract
//!
//! The gateway writes an object row only after the storage acknowledged the
//! bytes and every checksum matched, so a row never names a missing file.
//! Each referenced file ID has a refcount in `files` (objects, manifests
//! and uploaded parts all count). A write that drops the last reference
//! puts the file on the persistent delete queue *in the same transaction*
//! and returns its ID; a background worker drains the queue with leases
//! and exponential backoff ([`queue`]). CopyObject shares file IDs, so a
//! copy or a rename costs no bytes. Files whose upload never reached the
//! index are found through upload intents ([`intents`]) and
//! [`Index::referenced`].
//!
//! # Concurrency
//!
//! [`Index`] is the blocking core: one connection, `&mut self` methods.
//! Async code uses [`IndexHandle`] ([`handle`]): one writer thread owns the
//! read-write connection and runs write jobs in order; a small pool of
//! reader threads with read-only connections runs reads. WAL lets readers
//! proceed during a long write, and a read submitted after a write returned
//! sees it.
//!
//! # Layout
//!
//! - this file — [`Index`], opening and pragmas.
//! - [`error`] — [`IndexError`].
//! - [`schema`] — migrations.
//! - [`private`] — the modes of the index's directory and files.
//! - [`types`] — the records.
//! - `codec` — column encodings, key successors, prefix roll-up; `rows` —
//!   row ↔ record conversions.
//! - `buckets`, `objects`, `listing`, `multipart`, `keys`, [`queue`],
//!   [`intents`], `files` — the operations, as `impl Index` blocks.
//! - [`lifecycle`] — bucket lifecycle rules and the worker's batches
//!   and progress.
//! - [`versions`] — versioning: what a write and a delete do to the
//!   versions of a key; `version_calls` — the versioning calls;
//!   `version_listing` — ListObjectVersions; `restore` — versions as a
//!   rebuild found them.
//! - [`object_lock`] — Object Lock: bucket configuration, retention and
//!   legal hold per row, the guard on every removal.
//! - [`tagging`] — object (per version) and bucket tag sets.
//! - [`conditions`] — conditional writes, checked in the write's own
//!   transaction.
//! - [`handle`] — the async facade.

pub mod conditions;
pub mod error;
pub mod handle;
pub mod intents;
pub mod lifecycle;
pub mod object_lock;
pub mod private;
pub mod queue;
pub mod schema;
pub mod tagging;
pub mod types;

mod acl;
pub mod bucket_policy;
mod bucket_sse;
mod buckets;
mod codec;
mod cors;
mod files;
mod grants;
mod keys;
mod listing;
mod lock_rules;
mod lock_uploads;
mod multipart;
mod objects;
mod restore;
mod rows;
#[cfg(test)]
mod tests;
mod version_calls;
mod version_listing;
pub mod versions;

/// The ACL side of a bucket as one record (see [`BucketAclConfig`]).
mod acl_config;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Savepoint, Transaction, TransactionBehavior};

pub use acl::BucketAccess;
pub use bucket_policy::{BucketAccessConfig, PublicAccessBlock};
pub use conditions::WriteCondition;
pub use error::{IndexError, Result};
pub use grants::OwnerGrant;
pub use handle::IndexHandle;
pub use intents::Intent;
pub use keys::{AccessKey, KeyInfo, MIN_SECRET_LEN, StoredKey};
pub use listing::{ListEntry, ListPage, ListQuery};
pub use multipart::{
    CompleteUpload, Completed, CompletedPart, PartInfo, PartsPage, Upload, UploadListQuery,
    UploadPage, random_id,
};
pub use object_lock::{BucketLock, DefaultRetention, LockMode, ObjectLock, Period, Retention};
pub use objects::{Copied, DeleteTarget};
pub use queue::{QueuedDelete, RetryPolicy};
pub use restore::{RestoredContent, RestoredVersion};
pub use tagging::{TagsWritten, VersionTags};
pub use types::{
    Bucket, DeleteReason, Deleted, MetaDirective, NewObject, ObjectData, ObjectInfo, ObjectMeta,
    ObjectRecord, PartRef, Versioning, Written,
};
pub use version_listing::{VersionEntry, VersionPage, VersionQuery};
pub use versions::{NULL_VERSION, is_valid_version_id};

pub use acl_config::BucketAclConfig;

/// How long a connection waits for a lock held by another connection.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to the index database.
#[derive(Debug)]
pub struct Index {
    conn: Connection,
    /// Inside a group commit ([`Index::begin_group`]): each operation's
    /// transaction is a savepoint of the group's one transaction.
    grouped: bool,
}

impl Index {
    /// Opens (creating if needed) the index at `path` read-write: WAL,
    /// `synchronous = FULL`, foreign keys on, migrations applied; its
    /// directory made 0700 and its files 0600 ([`private`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with_migrations(path, schema::MIGRATIONS)
    }

    /// [`Index::open`] with a given migration list (tests of the migration
    /// mechanism).
    fn open_with_migrations(path: impl AsRef<Path>, migrations: &[&str]) -> Result<Self> {
        let path = path.as_ref();
        private::prepare(path).map_err(|e| IndexError::Files(path.to_path_buf(), e))?;
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(IndexError::Corrupt(format!("journal_mode is {mode}, not wal")));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // 64 MiB of page cache, so a bulk import or a 10,000-part
        // completion stays in memory until its commit.
        conn.pragma_update(None, "cache_size", -65_536)?;
        schema::migrate(&mut conn, migrations)?;
        Ok(Self { conn, grouped: false })
    }

    /// Opens a read-only connection to an index that [`Index::open`] has
    /// already created and migrated. Writes through it fail.
    pub fn open_reader(path: impl AsRef<Path>) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        schema::check_application(&conn)?;
        let found = schema::version(&conn)?;
        if found != schema::current_version() {
            return Err(IndexError::Corrupt(format!(
                "reader found schema version {found}, expected {}",
                schema::current_version()
            )));
        }
        Ok(Self { conn, grouped: false })
    }

    /// The database's schema version.
    pub fn schema_version(&self) -> Result<u32> {
        schema::version(&self.conn)
    }

    /// A write transaction holding the write lock from its start (a
    /// savepoint inside a group commit, which already holds it).
    fn write_tx(&mut self) -> Result<Tx<'_>> {
        if self.grouped {
            return Ok(Tx::Savepoint(self.conn.savepoint()?));
        }
        Ok(Tx::Transaction(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?))
    }

    /// A read transaction: one consistent snapshot for several statements.
    fn read_tx(&mut self) -> Result<Tx<'_>> {
        if self.grouped {
            return Ok(Tx::Savepoint(self.conn.savepoint()?));
        }
        Ok(Tx::Transaction(self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?))
    }

    /// Starts a group commit: the operations until [`Index::commit_group`]
    /// share one transaction (each in its own savepoint, so a failed one
    /// rolls back alone) and one WAL fsync. Their callers must not be told
    /// of success before the group committed.
    pub(crate) fn begin_group(&mut self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        self.grouped = true;
        Ok(())
    }

    /// In a group, opens the savepoint that makes one job atomic: ended by
    /// [`Index::end_job`], which keeps or drops everything the job wrote.
    pub(crate) fn begin_job(&mut self) -> Result<()> {
        if self.grouped {
            self.conn.execute_batch("SAVEPOINT fdfs_job")?;
        }
        Ok(())
    }

    /// Ends the job [`Index::begin_job`] opened: `keep` releases its
    /// savepoint into the group, otherwise its writes are rolled back.
    pub(crate) fn end_job(&mut self, keep: bool) -> Result<()> {
        if self.grouped {
            let sql =
                if keep { "RELEASE fdfs_job" } else { "ROLLBACK TO fdfs_job; RELEASE fdfs_job" };
            self.conn.execute_batch(sql)?;
        }
        Ok(())
    }

    /// Commits the group [`Index::begin_group`] started; on failure the
    /// whole group is rolled back.
    pub(crate) fn commit_group(&mut self) -> Result<()> {
        self.grouped = false;
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(e.into());
        }
        Ok(())
    }
}

/// One operation's transaction: a real one, or a savepoint of a group
/// commit. Either way `commit` ends it and dropping it rolls it back.
enum Tx<'a> {
    Transaction(Transaction<'a>),
    Savepoint(Savepoint<'a>),
}

impl Tx<'_> {
    fn commit(self) -> Result<()> {
        match self {
            Tx::Transaction(tx) => tx.commit()?,
            Tx::Savepoint(sp) => sp.commit()?,
        }
        Ok(())
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Tx::Transaction(tx) => tx,
            Tx::Savepoint(sp) => sp,
        }
    }
}
