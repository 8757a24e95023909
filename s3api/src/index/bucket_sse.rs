//! A bucket's default encryption (PutBucketEncryption): the algorithm new
//! objects get when their request asks for none. NULL: no configuration.

use rusqlite::params;

use super::Index;
use super::buckets::bucket_id;
use super::error::Result;

impl Index {
    /// The default encryption algorithm of bucket `name` (`AES256`), if
    /// one is configured.
    pub fn get_bucket_encryption(&mut self, name: &str) -> Result<Option<String>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, name)?;
        let algorithm = tx
            .prepare_cached("SELECT default_sse FROM buckets WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))?;
        Ok(algorithm)
    }

    /// Sets (or with `None` removes) bucket `name`'s default encryption.
    pub fn set_bucket_encryption(&mut self, name: &str, algorithm: Option<&str>) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        tx.prepare_cached("UPDATE buckets SET default_sse = ?1 WHERE id = ?2")?
            .execute(params![algorithm, id])?;
        tx.commit()?;
        Ok(())
    }
}
