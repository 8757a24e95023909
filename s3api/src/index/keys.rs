//! Access keys for SigV4: ID → secret, owner and admin flag.
//!
//! An admin key (the key `fdfs server` makes at first start, the key of
//! FDFS_ACCESS_KEY_ID, keys made with `fdfs gateway key create --admin`)
//! may also read the raw group buckets, which expose every tenant's files;
//! other keys act as their owner only.
//!
//! # Secrets at rest
//!
//! SigV4 signs with an HMAC keyed by the secret, so the gateway needs the
//! secret itself, not a hash of it. It is stored sealed under the data
//! directory's master key ([`MasterKey`], purpose [`SECRET_PURPOSE`], the
//! key ID as associated data, so a sealed secret moved to another row does
//! not open), so a copy of `index.db` without `master.key` leaks nothing.
//!
//! The index itself never holds the master key: the operations that read
//! or write a secret take it as an argument, and everything else (owners,
//! listings, the rebuild's copy of sealed rows) works without it. Indexes
//! from before schema 4 hold clear secrets in `secret`; whoever opens the
//! index with the master key calls [`Index::seal_clear_secrets`], which
//! seals them, zeroes the freed bytes (`secure_delete`) and checkpoints the
//! WAL so no copy of the clear text stays in either file. Until then those
//! rows still authenticate (read in clear), so an upgrade never locks a
//! key out.

use rusqlite::{OptionalExtension, params};

use super::Index;
use super::error::{IndexError, Result};
use crate::crypto::MasterKey;

/// The purpose label of sealed access key secrets.
pub const SECRET_PURPOSE: &str = "index/access-key-secret";

/// Secrets shorter than this are refused: a SigV4 secret is the whole
/// strength of the key, and a short one can be guessed from one signed
/// request offline.
pub const MIN_SECRET_LEN: usize = 16;

/// An access key pair and its owner, secret in clear.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// The public access key ID.
    pub access_key_id: String,
    /// The secret access key.
    pub secret: String,
    /// The owner (the principal buckets and objects belong to).
    pub owner: String,
    /// Whether the key may read group buckets (every tenant's raw files).
    pub admin: bool,
    /// When it was created, unix ms.
    pub created_ms: i64,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &"<redacted>")
            .field("owner", &self.owner)
            .field("admin", &self.admin)
            .field("created_ms", &self.created_ms)
            .finish()
    }
}

impl AccessKey {
    /// What may be shown of the key: everything but the secret.
    pub fn info(&self) -> KeyInfo {
        KeyInfo {
            access_key_id: self.access_key_id.clone(),
            owner: self.owner.clone(),
            admin: self.admin,
            created_ms: self.created_ms,
        }
    }
}

/// An access key without its secret (listings, request principals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The public access key ID.
    pub access_key_id: String,
    /// The owner the key acts as.
    pub owner: String,
    /// Whether the key may read group buckets.
    pub admin: bool,
    /// When it was created, unix ms.
    pub created_ms: i64,
}

/// A key row as stored, secret still sealed: what `rebuild-index` carries
/// from the old index to the new one without needing the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// The key without its secret.
    pub info: KeyInfo,
    /// The sealed secret, or a clear one from before schema 4.
    sealed: Option<Vec<u8>>,
    clear: String,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey").field("info", &self.info).finish_non_exhaustive()
    }
}

const COLUMNS: &str = "access_key_id, owner, admin, created_ms, sealed_secret, secret";

fn row_to_stored(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredKey> {
    Ok(StoredKey {
        info: KeyInfo {
            access_key_id: row.get(0)?,
            owner: row.get(1)?,
            admin: row.get(2)?,
            created_ms: row.get(3)?,
        },
        sealed: row.get(4)?,
        clear: row.get(5)?,
    })
}

impl StoredKey {
    /// The key with its secret opened by `master`.
    fn open(self, master: &MasterKey) -> Result<AccessKey> {
        let secret = match self.sealed {
            Some(sealed) => {
                let id = &self.info.access_key_id;
                let clear = master.open(SECRET_PURPOSE, id.as_bytes(), &sealed).map_err(|e| {
                    IndexError::Corrupt(format!(
                        "the secret of access key {id} does not open with this master key ({e})"
                    ))
                })?;
                String::from_utf8(clear).map_err(|_| {
                    IndexError::Corrupt(format!("the secret of access key {id} is not UTF-8"))
                })?
            }
            None => self.clear,
        };
        let KeyInfo { access_key_id, owner, admin, created_ms } = self.info;
        Ok(AccessKey { access_key_id, secret, owner, admin, created_ms })
    }
}

impl Index {
    /// Stores a new key pair, its secret sealed by `master`; a taken ID is
    /// [`IndexError::AccessKeyExists`], a secret shorter than
    /// [`MIN_SECRET_LEN`] [`IndexError::InvalidArgument`].
    pub fn create_access_key(&mut self, key: &AccessKey, master: &MasterKey) -> Result<()> {
        if key.access_key_id.is_empty() {
            return Err(IndexError::InvalidArgument("empty access key ID".into()));
        }
        if key.secret.chars().count() < MIN_SECRET_LEN {
            return Err(IndexError::InvalidArgument(format!(
                "a secret needs at least {MIN_SECRET_LEN} characters"
            )));
        }
        let sealed =
            master.seal(SECRET_PURPOSE, key.access_key_id.as_bytes(), key.secret.as_bytes());
        let stored = StoredKey { info: key.info(), sealed: Some(sealed), clear: String::new() };
        self.insert_stored_key(&stored)
    }

    /// Stores a key row as [`Index::list_stored_keys`] returned it (a
    /// rebuild's copy: the sealed secret is carried as is).
    pub fn insert_stored_key(&mut self, key: &StoredKey) -> Result<()> {
        let tx = self.write_tx()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM access_keys WHERE access_key_id = ?1)",
            params![key.info.access_key_id],
            |r| r.get(0),
        )?;
        if exists {
            return Err(IndexError::AccessKeyExists(key.info.access_key_id.clone()));
        }
        let i = &key.info;
        tx.execute(
            "INSERT INTO access_keys (access_key_id, owner, admin, created_ms, sealed_secret, secret)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![i.access_key_id, i.owner, i.admin, i.created_ms, key.sealed, key.clear],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The key pair with ID `access_key_id`, secret opened by `master`
    /// (request signing). A secret that does not open is
    /// [`IndexError::Corrupt`]: another data directory's master key.
    pub fn get_access_key(
        &mut self,
        access_key_id: &str,
        master: &MasterKey,
    ) -> Result<Option<AccessKey>> {
        let stored = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM access_keys WHERE access_key_id = ?1"))?
            .query_row(params![access_key_id], row_to_stored)
            .optional()?;
        stored.map(|k| k.open(master)).transpose()
    }

    /// The key with ID `access_key_id` without its secret (who signed a
    /// request).
    pub fn get_key_info(&mut self, access_key_id: &str) -> Result<Option<KeyInfo>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM access_keys WHERE access_key_id = ?1"))?
            .query_row(params![access_key_id], row_to_stored)
            .optional()?
            .map(|k| k.info))
    }

    /// Every key without its secret, sorted by ID.
    pub fn list_access_keys(&mut self) -> Result<Vec<KeyInfo>> {
        Ok(self.list_stored_keys()?.into_iter().map(|k| k.info).collect())
    }

    /// Every key row as stored, sorted by ID.
    pub fn list_stored_keys(&mut self) -> Result<Vec<StoredKey>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM access_keys ORDER BY access_key_id"))?;
        let keys = stmt.query_map([], row_to_stored)?.collect::<rusqlite::Result<_>>()?;
        Ok(keys)
    }

    /// Seals every secret still stored in clear (rows from before schema
    /// 4) with `master`, overwriting the clear bytes, then checkpoints the
    /// WAL into the database and truncates it, so neither file keeps the
    /// clear text. Returns how many were sealed. Not inside a group commit.
    pub fn seal_clear_secrets(&mut self, master: &MasterKey) -> Result<usize> {
        let clear: Vec<StoredKey> = {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {COLUMNS} FROM access_keys WHERE sealed_secret IS NULL"
            ))?;
            stmt.query_map([], row_to_stored)?.collect::<rusqlite::Result<_>>()?
        };
        if clear.is_empty() {
            return Ok(0);
        }
        self.conn.pragma_update(None, "secure_delete", true)?;
        let tx = self.write_tx()?;
        for key in &clear {
            let id = &key.info.access_key_id;
            let sealed = master.seal(SECRET_PURPOSE, id.as_bytes(), key.clear.as_bytes());
            tx.execute(
                "UPDATE access_keys SET sealed_secret = ?2, secret = '' WHERE access_key_id = ?1",
                params![id, sealed],
            )?;
        }
        tx.commit()?;
        self.conn.pragma_update(None, "secure_delete", false)?;
        // Another connection reading an old snapshot keeps the WAL alive;
        // the next checkpoint then overwrites it.
        let (busy, _, _): (i64, i64, i64) =
            self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        if busy != 0 {
            tracing::warn!("the WAL could not be truncated after sealing secrets: index in use");
        }
        tracing::info!(sealed = clear.len(), "access key secrets sealed with the master key");
        Ok(clear.len())
    }

    /// Grants or revokes a key's admin flag; `false` if it does not exist.
    pub fn set_access_key_admin(&mut self, access_key_id: &str, admin: bool) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE access_keys SET admin = ?2 WHERE access_key_id = ?1",
            params![access_key_id, admin],
        )?;
        Ok(n > 0)
    }

    /// Deletes a key pair; `false` if it did not exist.
    pub fn delete_access_key(&mut self, access_key_id: &str) -> Result<bool> {
        let n = self
            .conn
            .execute("DELETE FROM access_keys WHERE access_key_id = ?1", params![access_key_id])?;
        Ok(n > 0)
    }
}
