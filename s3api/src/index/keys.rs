//! Access keys for SigV4: ID → secret, owner and admin flag.
//!
//! An admin key (the key `fdfs server` makes at first start, the key of
//! FDFS_ACCESS_KEY_ID, keys made with `fdfs gateway key create --admin`)
//! may also read the raw group buckets, which expose every tenant's files;
//! other keys act as their owner only.
//!
//! SigV4 signs with an HMAC keyed by the secret, so the gateway needs the
//! secret itself, not a hash of it: it is stored as given. Protect the
//! index file like a credentials file (the data directory's permissions).

use rusqlite::{OptionalExtension, params};

use super::Index;
use super::error::{IndexError, Result};

/// An access key pair and its owner.
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

fn row_to_key(row: &rusqlite::Row<'_>) -> rusqlite::Result<AccessKey> {
    Ok(AccessKey {
        access_key_id: row.get(0)?,
        secret: row.get(1)?,
        owner: row.get(2)?,
        admin: row.get(3)?,
        created_ms: row.get(4)?,
    })
}

impl Index {
    /// Stores a new key pair; a taken ID is [`IndexError::AccessKeyExists`].
    pub fn create_access_key(&mut self, key: &AccessKey) -> Result<()> {
        if key.access_key_id.is_empty() || key.secret.is_empty() {
            return Err(IndexError::InvalidArgument("empty access key ID or secret".into()));
        }
        let tx = self.write_tx()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM access_keys WHERE access_key_id = ?1)",
            params![key.access_key_id],
            |r| r.get(0),
        )?;
        if exists {
            return Err(IndexError::AccessKeyExists(key.access_key_id.clone()));
        }
        tx.execute(
            "INSERT INTO access_keys (access_key_id, secret, owner, admin, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key.access_key_id, key.secret, key.owner, key.admin, key.created_ms],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The key pair with ID `access_key_id`, if any (request signing).
    pub fn get_access_key(&mut self, access_key_id: &str) -> Result<Option<AccessKey>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT access_key_id, secret, owner, admin, created_ms FROM access_keys
                 WHERE access_key_id = ?1",
            )?
            .query_row(params![access_key_id], row_to_key)
            .optional()?)
    }

    /// Every key pair, sorted by ID.
    pub fn list_access_keys(&mut self) -> Result<Vec<AccessKey>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT access_key_id, secret, owner, admin, created_ms FROM access_keys
             ORDER BY access_key_id",
        )?;
        let keys = stmt.query_map([], row_to_key)?.collect::<rusqlite::Result<_>>()?;
        Ok(keys)
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
