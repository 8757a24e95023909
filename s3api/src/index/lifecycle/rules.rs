//! Each bucket's lifecycle rules, one `lifecycle_rules` row per rule in
//! the order sent; a bucket without rows has no configuration.

use std::collections::BTreeMap;

use rusqlite::{Connection, Row, params};

use super::super::Index;
use super::super::buckets::bucket_id;
use super::super::codec::{decode_map, encode_map, from_sql_u32, from_sql_u64, to_sql_u64};
use super::super::error::{IndexError, Result};
use crate::lifecycle::model::{
    Configuration, Expiration, Filter, FilterForm, NoncurrentExpiration, Rule,
};

const RULE_COLS: &str = "rule_id, enabled, filter_form, prefix, tags, size_greater, size_less, \
     expire_days, expire_date_ms, expire_marker, noncurrent_days, noncurrent_newer, abort_days";

fn form_code(form: FilterForm) -> i64 {
    match form {
        FilterForm::RulePrefix => 0,
        FilterForm::Single => 1,
        FilterForm::And => 2,
    }
}

fn opt_u32(v: Option<i64>, what: &str) -> Result<Option<u32>> {
    v.map(|v| from_sql_u32(v, what)).transpose()
}

fn rule_from_row(row: &Row<'_>) -> Result<Rule> {
    let form = match row.get::<_, i64>(2)? {
        0 => FilterForm::RulePrefix,
        1 => FilterForm::Single,
        2 => FilterForm::And,
        other => return Err(IndexError::Corrupt(format!("lifecycle filter form {other}"))),
    };
    let tags: Vec<u8> = row.get(4)?;
    let size = |at: usize| -> Result<Option<u64>> {
        row.get::<_, Option<i64>>(at)?.map(|v| from_sql_u64(v, "lifecycle size")).transpose()
    };
    let expiration = match (row.get::<_, Option<i64>>(7)?, row.get::<_, Option<i64>>(8)?) {
        (Some(d), _) => Some(Expiration::Days(from_sql_u32(d, "expiration days")?)),
        (None, Some(ms)) => Some(Expiration::Date(ms)),
        (None, None) if row.get::<_, i64>(9)? == 1 => Some(Expiration::ExpiredDeleteMarker),
        (None, None) => None,
    };
    let noncurrent = match opt_u32(row.get(10)?, "noncurrent days")? {
        Some(days) => Some(NoncurrentExpiration {
            days,
            newer_versions: opt_u32(row.get(11)?, "newer noncurrent versions")?,
        }),
        None => None,
    };
    Ok(Rule {
        id: row.get(0)?,
        enabled: row.get::<_, i64>(1)? == 1,
        filter: Filter {
            form,
            prefix: row.get(3)?,
            tags: decode_map(&tags)?.into_iter().collect(),
            size_greater: size(5)?,
            size_less: size(6)?,
        },
        expiration,
        noncurrent,
        abort_upload_days: opt_u32(row.get(12)?, "abort days")?,
    })
}

/// The rules of bucket row `bucket`, `None` without any.
fn load_rules(conn: &Connection, bucket: i64) -> Result<Option<Configuration>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RULE_COLS} FROM lifecycle_rules WHERE bucket_id = ?1 ORDER BY idx"
    ))?;
    let mut rows = stmt.query(params![bucket])?;
    let mut rules = Vec::new();
    while let Some(row) = rows.next()? {
        rules.push(rule_from_row(row)?);
    }
    Ok((!rules.is_empty()).then_some(Configuration { rules }))
}

fn insert_rule(conn: &Connection, bucket: i64, idx: usize, rule: &Rule) -> Result<()> {
    let tags: BTreeMap<String, String> = rule.filter.tags.iter().cloned().collect();
    let size = |v: Option<u64>| v.map(|v| to_sql_u64(v, "lifecycle size")).transpose();
    let (days, date, marker) = match rule.expiration {
        Some(Expiration::Days(d)) => (Some(d), None, 0),
        Some(Expiration::Date(ms)) => (None, Some(ms), 0),
        Some(Expiration::ExpiredDeleteMarker) => (None, None, 1),
        None => (None, None, 0),
    };
    conn.prepare_cached(&format!(
        "INSERT INTO lifecycle_rules (bucket_id, idx, {RULE_COLS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    ))?
    .execute(params![
        bucket,
        i64::try_from(idx).map_err(|_| IndexError::InvalidArgument("rule index".into()))?,
        rule.id,
        i64::from(rule.enabled),
        form_code(rule.filter.form),
        rule.filter.prefix,
        encode_map(&tags)?,
        size(rule.filter.size_greater)?,
        size(rule.filter.size_less)?,
        days,
        date,
        marker,
        rule.noncurrent.map(|n| n.days),
        rule.noncurrent.and_then(|n| n.newer_versions),
        rule.abort_upload_days,
    ])?;
    Ok(())
}

impl Index {
    /// Replaces bucket `name`'s lifecycle configuration.
    pub fn put_lifecycle(&mut self, name: &str, config: &Configuration) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        tx.prepare_cached("DELETE FROM lifecycle_rules WHERE bucket_id = ?1")?
            .execute(params![id])?;
        for (idx, rule) in config.rules.iter().enumerate() {
            insert_rule(&tx, id, idx, rule)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Bucket `name`'s lifecycle configuration, `None` without one.
    pub fn get_lifecycle(&mut self, name: &str) -> Result<Option<Configuration>> {
        let tx = self.read_tx()?;
        let id = bucket_id(&tx, name)?;
        let config = load_rules(&tx, id)?;
        tx.commit()?;
        Ok(config)
    }

    /// Removes bucket `name`'s lifecycle configuration (none is fine).
    pub fn delete_lifecycle(&mut self, name: &str) -> Result<()> {
        let tx = self.write_tx()?;
        let id = bucket_id(&tx, name)?;
        tx.prepare_cached("DELETE FROM lifecycle_rules WHERE bucket_id = ?1")?
            .execute(params![id])?;
        tx.commit()?;
        Ok(())
    }
}
