//! A bucket's CORS configuration (PutBucketCors), one `bucket_cors` row in
//! its stored form (JSON of [`CorsConfig`]); no row, no configuration.
//! The row goes with its bucket (`ON DELETE CASCADE`).

use rusqlite::{OptionalExtension, params};

use super::Index;
use super::buckets::bucket_id;
use super::error::{IndexError, Result};
use crate::cors::CorsConfig;

impl Index {
    /// Bucket `name`'s CORS configuration, `None` without one.
    pub fn get_cors(&mut self, name: &str) -> Result<Option<CorsConfig>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, name)?;
        let text: Option<String> = tx
            .prepare_cached("SELECT config FROM bucket_cors WHERE bucket_id = ?1")?
            .query_row(params![id], |r| r.get(0))
            .optional()?;
        tx.commit()?;
        text.map(|t| {
            CorsConfig::from_json(&t)
                .map_err(|e| IndexError::Corrupt(format!("CORS configuration of {name}: {e}")))
        })
        .transpose()
    }

    /// Sets bucket `name`'s CORS configuration, replacing any.
    pub fn put_cors(&mut self, name: &str, config: &CorsConfig) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        tx.prepare_cached(
            "INSERT INTO bucket_cors (bucket_id, config) VALUES (?1, ?2)
             ON CONFLICT (bucket_id) DO UPDATE SET config = excluded.config",
        )?
        .execute(params![id, config.to_json()])?;
        tx.commit()?;
        Ok(())
    }

    /// Removes bucket `name`'s CORS configuration (none is fine).
    pub fn delete_cors(&mut self, name: &str) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        tx.prepare_cached("DELETE FROM bucket_cors WHERE bucket_id = ?1")?.execute(params![id])?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::cors::{CorsConfig, CorsRule};
    use crate::index::IndexError;
    use crate::index::tests::{bucket, open};

    #[test]
    fn put_get_delete() {
        let (_dir, mut ix) = open();
        bucket(&mut ix, "b");
        assert_eq!(ix.get_cors("b").unwrap(), None);
        let rule = CorsRule {
            id: Some("r".into()),
            allowed_origins: vec!["*".into()],
            allowed_methods: vec!["GET".into()],
            allowed_headers: vec![],
            expose_headers: vec!["ETag".into()],
            max_age_seconds: Some(5),
        };
        let config = CorsConfig { rules: vec![rule.clone()] };
        ix.put_cors("b", &config).unwrap();
        assert_eq!(ix.get_cors("b").unwrap(), Some(config));
        let two = CorsConfig { rules: vec![rule.clone(), rule] };
        ix.put_cors("b", &two).unwrap();
        assert_eq!(ix.get_cors("b").unwrap(), Some(two.clone()));
        ix.delete_cors("b").unwrap();
        assert_eq!(ix.get_cors("b").unwrap(), None);
        ix.delete_cors("b").unwrap();
        assert!(matches!(ix.get_cors("nope"), Err(IndexError::NoSuchBucket(_))));
        // The configuration goes with its bucket.
        ix.put_cors("b", &two).unwrap();
        ix.delete_bucket("b", 2).unwrap();
        bucket(&mut ix, "b");
        assert_eq!(ix.get_cors("b").unwrap(), None);
    }
}
