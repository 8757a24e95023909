//! The index schema as an ordered list of migrations.
//!
//! `PRAGMA user_version` holds how many migrations a database has applied;
//! [`migrate`] applies the missing ones in order, each in its own
//! transaction together with the version bump, so a crash leaves the
//! database at a whole version. `PRAGMA application_id` marks the file as
//! a gateway index, so pointing the gateway at some other SQLite file (the
//! tracker's, say) fails instead of migrating it. Append new migrations;
//! never edit one that has shipped.
//!
//! Choices worth knowing when reading the SQL:
//! - object and upload keys are BLOBs (compared with `memcmp`, i.e. UTF-8
//!   byte order) under a `(bucket_id, key)` index, so a listing is a range
//!   scan with seeks;
//! - a multipart object's manifest is a child table (`object_parts`, up to
//!   10,000 rows) rather than a blob, so refcounts and ranged reads touch
//!   only what they need;
//! - `files` counts the index rows that reference each FastDFS file (object
//!   data, manifests, uploaded parts): a file leaves the index only through
//!   the `delete_queue`, in the transaction that dropped its last reference;
//! - `delete_queue.id` is `AUTOINCREMENT` so an acknowledgement from a
//!   worker whose lease expired can never hit a newer entry.

use rusqlite::Connection;

use super::error::{IndexError, Result};

/// `PRAGMA application_id` of a gateway index ("fdfs").
pub const APPLICATION_ID: i64 = 0x6664_6673;

/// Migration `i` takes a database from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: buckets, objects and manifests, file refcounts, multipart uploads,
    // access keys, the delete queue, upload intents.
    "CREATE TABLE buckets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        home_group TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX buckets_by_owner ON buckets (owner, name);
    CREATE TABLE objects (
        id INTEGER PRIMARY KEY,
        bucket_id INTEGER NOT NULL REFERENCES buckets (id),
        key BLOB NOT NULL,
        -- the file of a single-file object; NULL for a multipart one
        file_id TEXT,
        -- 0 for a single-file object, else its rows in object_parts
        part_count INTEGER NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        last_modified_ms INTEGER NOT NULL,
        content_type TEXT,
        content_encoding TEXT,
        content_disposition TEXT,
        content_language TEXT,
        cache_control TEXT,
        expires TEXT,
        storage_class TEXT,
        user_meta BLOB NOT NULL,
        checksums BLOB NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX objects_by_key ON objects (bucket_id, key);
    CREATE TABLE object_parts (
        object_id INTEGER NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        part_number INTEGER NOT NULL,
        file_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        PRIMARY KEY (object_id, idx)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE files (
        file_id TEXT PRIMARY KEY NOT NULL,
        refcount INTEGER NOT NULL CHECK (refcount > 0)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE uploads (
        id INTEGER PRIMARY KEY,
        upload_id TEXT NOT NULL UNIQUE,
        bucket_id INTEGER NOT NULL REFERENCES buckets (id),
        key BLOB NOT NULL,
        created_ms INTEGER NOT NULL,
        content_type TEXT,
        content_encoding TEXT,
        content_disposition TEXT,
        content_language TEXT,
        cache_control TEXT,
        expires TEXT,
        storage_class TEXT,
        user_meta BLOB NOT NULL,
        checksums BLOB NOT NULL
    ) STRICT;
    CREATE INDEX uploads_by_key ON uploads (bucket_id, key, upload_id);
    CREATE INDEX uploads_by_age ON uploads (created_ms);
    CREATE TABLE upload_parts (
        upload_row INTEGER NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
        part_number INTEGER NOT NULL,
        file_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        checksums BLOB NOT NULL,
        last_modified_ms INTEGER NOT NULL,
        PRIMARY KEY (upload_row, part_number)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE access_keys (
        access_key_id TEXT PRIMARY KEY NOT NULL,
        secret TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE delete_queue (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        enqueued_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_ms INTEGER NOT NULL,
        last_error TEXT
    ) STRICT;
    CREATE INDEX delete_queue_due ON delete_queue (next_attempt_ms, id);
    CREATE INDEX delete_queue_by_file ON delete_queue (file_id);
    CREATE TABLE upload_intents (
        token TEXT PRIMARY KEY NOT NULL,
        bucket TEXT NOT NULL,
        key BLOB NOT NULL,
        group_name TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        file_id TEXT
    ) STRICT;
    CREATE INDEX upload_intents_by_age ON upload_intents (started_ms);",
    // 2: each manifest part keeps the checksums it was uploaded with, so a
    // partNumber read can return them (empty for parts written before).
    "ALTER TABLE object_parts ADD COLUMN checksums BLOB NOT NULL DEFAULT X'';",
    // 3: admin keys may read the raw group buckets. Existing keys start as
    // tenants; `fdfs server` marks the key it made at first start, and the
    // FDFS_ACCESS_KEY_ID key is made admin at every start.
    "ALTER TABLE access_keys ADD COLUMN admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1));",
    // 4: secrets sealed with the master key (see `keys`). `secret` keeps a
    // clear secret only for rows written before, until the first opener
    // with the master key seals them and empties it.
    "ALTER TABLE access_keys ADD COLUMN sealed_secret BLOB;",
    // 5: the multipart upload an object was completed from (NULL for any
    // other write), so a retried CompleteMultipartUpload whose reply was
    // lost answers with the object it made instead of NoSuchUpload.
    "ALTER TABLE objects ADD COLUMN upload_id TEXT;",
    // 6: server-side encryption. An object (and an upload, which hands it
    // to the object it completes into) keeps its encryption envelope:
    // the kind and the wrapped data key, never a clear key. NULL: plain.
    // A bucket keeps its default encryption (PutBucketEncryption).
    "ALTER TABLE objects ADD COLUMN encryption BLOB;
    ALTER TABLE uploads ADD COLUMN encryption BLOB;
    ALTER TABLE buckets ADD COLUMN default_sse TEXT;",
    // 7: versioning. A bucket keeps its state (NULL: never set, which it
    // can never return to). `objects` becomes the table of versions: each
    // key has one row per version and delete marker, ordered by `seq`
    // (higher is newer), exactly one of them `is_latest`; rows written
    // before are each their key's one `null` version. Every query for the
    // current object says `is_latest = 1` (and `delete_marker = 0` where a
    // marker must be skipped) literally, so SQLite uses the partial indexes
    // and ListObjects scans only current objects, as fast as before.
    "ALTER TABLE buckets ADD COLUMN versioning TEXT
        CHECK (versioning IN ('Enabled', 'Suspended'));
    ALTER TABLE objects ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null';
    ALTER TABLE objects ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE objects ADD COLUMN is_latest INTEGER NOT NULL DEFAULT 1
        CHECK (is_latest IN (0, 1));
    ALTER TABLE objects ADD COLUMN delete_marker INTEGER NOT NULL DEFAULT 0
        CHECK (delete_marker IN (0, 1));
    DROP INDEX objects_by_key;
    CREATE UNIQUE INDEX objects_latest ON objects (bucket_id, key) WHERE is_latest = 1;
    CREATE UNIQUE INDEX objects_by_version ON objects (bucket_id, key, version_id);
    CREATE INDEX objects_by_seq ON objects (bucket_id, key, seq DESC);
    CREATE INDEX objects_current ON objects (bucket_id, key)
        WHERE is_latest = 1 AND delete_marker = 0;",
    // 8: lifecycle. A bucket's rules, one row each in the order sent (a
    // bucket without rows has no configuration); the worker's place in
    // its pass (at most one row), updated in the transaction of each
    // batch so a restart resumes where the last batch ended.
    "CREATE TABLE lifecycle_rules (
        bucket_id INTEGER NOT NULL REFERENCES buckets (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        rule_id TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        -- 0: the rule's own Prefix; 1: a Filter of one predicate; 2: And
        filter_form INTEGER NOT NULL,
        prefix TEXT,
        tags BLOB NOT NULL,
        size_greater INTEGER,
        size_less INTEGER,
        expire_days INTEGER,
        expire_date_ms INTEGER,
        expire_marker INTEGER NOT NULL CHECK (expire_marker IN (0, 1)),
        noncurrent_days INTEGER,
        noncurrent_newer INTEGER,
        abort_days INTEGER,
        PRIMARY KEY (bucket_id, idx)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE lifecycle_progress (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pass_start_ms INTEGER NOT NULL,
        bucket TEXT NOT NULL,
        -- 0: current objects and versions; 1: multipart uploads
        phase INTEGER NOT NULL,
        -- the last key handled in the phase (NULL: from the start), and
        -- for uploads the last upload ID of that key
        cursor_key BLOB,
        cursor_upload TEXT
    ) STRICT;",
    // 9: Object Lock. A bucket's lock switch (never turned off again) and
    // default retention (mode with Days or Years); each object row's
    // retention (mode + retain-until, unix ms; both or neither) and legal
    // hold; an upload's, handed to the object it completes into.
    "ALTER TABLE buckets ADD COLUMN object_lock INTEGER NOT NULL DEFAULT 0
        CHECK (object_lock IN (0, 1));
    ALTER TABLE buckets ADD COLUMN lock_default_mode TEXT;
    ALTER TABLE buckets ADD COLUMN lock_default_days INTEGER;
    ALTER TABLE buckets ADD COLUMN lock_default_years INTEGER;
    ALTER TABLE objects ADD COLUMN lock_mode TEXT;
    ALTER TABLE objects ADD COLUMN lock_until_ms INTEGER;
    ALTER TABLE objects ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0
        CHECK (legal_hold IN (0, 1));
    ALTER TABLE uploads ADD COLUMN lock_mode TEXT;
    ALTER TABLE uploads ADD COLUMN lock_until_ms INTEGER;
    ALTER TABLE uploads ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0
        CHECK (legal_hold IN (0, 1));",
    // 10: whether a version's legal hold was ever set (ON or OFF), so
    // GetObjectLegalHold of a version never held is 404
    // NoSuchObjectLockConfiguration as on AWS, not OFF. A hold that is ON
    // counts as set without it.
    "ALTER TABLE objects ADD COLUMN legal_hold_set INTEGER NOT NULL DEFAULT 0
        CHECK (legal_hold_set IN (0, 1));",
    // 11: the same mark on multipart uploads, so a legal hold given as OFF
    // at CreateMultipartUpload reads as set (OFF) on the completed object.
    "ALTER TABLE uploads ADD COLUMN legal_hold_set INTEGER NOT NULL DEFAULT 0
        CHECK (legal_hold_set IN (0, 1));",
    // 12: tagging. Each version's tag set (and an upload's, handed to the
    // object it completes into), encoded as user metadata is (empty: no
    // tags); a bucket's tag set (NULL: none, GetBucketTagging answers
    // NoSuchTagSet).
    "ALTER TABLE objects ADD COLUMN tags BLOB NOT NULL DEFAULT X'';
    ALTER TABLE uploads ADD COLUMN tags BLOB NOT NULL DEFAULT X'';
    ALTER TABLE buckets ADD COLUMN tags BLOB;",
    // 13 (acl): a bucket's ACL and Object Ownership, and each version's
    // ACL, which also names the version's owner (the writer); an upload
    // keeps the ACL its object gets on completion. NULL: `private`, owned
    // by the bucket's owner, ObjectWriter (see `gateway::access::acl`).
    // `bucket_grants`: what `fdfs gateway key allow` lets another owner do
    // in a bucket (gone with the bucket, so a new bucket of that name or
    // row ID never inherits them).
    "ALTER TABLE buckets ADD COLUMN acl TEXT;
    ALTER TABLE buckets ADD COLUMN object_ownership TEXT;
    ALTER TABLE objects ADD COLUMN acl TEXT;
    ALTER TABLE uploads ADD COLUMN acl TEXT;
    CREATE TABLE bucket_grants (
        bucket_id INTEGER NOT NULL,
        owner TEXT NOT NULL,
        read INTEGER NOT NULL CHECK (read IN (0, 1)),
        write INTEGER NOT NULL CHECK (write IN (0, 1)),
        PRIMARY KEY (bucket_id, owner)
    );
    CREATE TRIGGER bucket_grants_gone AFTER DELETE ON buckets
    BEGIN DELETE FROM bucket_grants WHERE bucket_id = OLD.id; END;",
    // 14 (policy): a bucket's policy (the JSON document as PutBucketPolicy sent
    // it, validated) and its Public Access Block (the four switches), each
    // in a table of its own keyed by bucket and dropped with it, so this
    // migration touches nothing another one adds.
    "CREATE TABLE bucket_policies (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets (id) ON DELETE CASCADE,
        policy TEXT NOT NULL
    ) STRICT;
    CREATE TABLE bucket_public_access_blocks (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets (id) ON DELETE CASCADE,
        block_public_acls INTEGER NOT NULL CHECK (block_public_acls IN (0, 1)),
        ignore_public_acls INTEGER NOT NULL CHECK (ignore_public_acls IN (0, 1)),
        block_public_policy INTEGER NOT NULL CHECK (block_public_policy IN (0, 1)),
        restrict_public_buckets INTEGER NOT NULL CHECK (restrict_public_buckets IN (0, 1))
    ) STRICT;",
    // 15 (browser, CORS): a bucket's CORS configuration in its stored form
    // (JSON of `crate::cors::CorsConfig`); no row, no configuration.
    "CREATE TABLE bucket_cors (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets (id) ON DELETE CASCADE,
        config TEXT NOT NULL
    ) STRICT;",
];

/// The schema version this build writes.
pub fn current_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// The database's schema version.
pub fn version(conn: &Connection) -> Result<u32> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    u32::try_from(v).map_err(|_| IndexError::Corrupt(format!("user_version {v}")))
}

/// Applies every migration in `migrations` the database lacks. Refuses a
/// database written by a newer build or by another application.
pub fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<()> {
    check_application(conn)?;
    let supported = migrations.len() as u32;
    let found = version(conn)?;
    if found > supported {
        return Err(IndexError::FutureSchema { found, supported });
    }
    for (i, sql) in migrations.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        if i == 0 {
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "index schema migrated");
    }
    Ok(())
}

/// Fails unless the file is empty or carries our application ID.
pub fn check_application(conn: &Connection) -> Result<()> {
    let app: i64 = conn.pragma_query_value(None, "application_id", |row| row.get(0))?;
    if app == APPLICATION_ID || (app == 0 && version(conn)? == 0) {
        Ok(())
    } else {
        Err(IndexError::NotAnIndex(app))
    }
}
