//! Small encodings between Rust values and SQLite columns.
//!
//! - String maps (user metadata, checksums) are one BLOB each: empty for an
//!   empty map, else a format byte (`1`) and `u32` little-endian
//!   length-prefixed name/value pairs. A map is always read and written
//!   whole, so a blob is cheaper than a child table and keeps rows compact.
//! - Sizes and counts are `u64`/`u32` in the API and `INTEGER` (`i64`) in
//!   SQLite: converting in is [`IndexError::InvalidArgument`] on overflow,
//!   converting out is [`IndexError::Corrupt`].
//! - Keys are stored as BLOBs so SQLite compares them with `memcmp`: byte
//!   order of the UTF-8 encoding, which is S3's listing order.

use std::collections::BTreeMap;

use super::error::{IndexError, Result};

/// The current map format byte.
const MAP_FORMAT: u8 = 1;

/// Encodes a string map as a blob.
pub fn encode_map(map: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    if map.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![MAP_FORMAT];
    put_len(&mut out, map.len())?;
    for (k, v) in map {
        for s in [k, v] {
            put_len(&mut out, s.len())?;
            out.extend_from_slice(s.as_bytes());
        }
    }
    Ok(out)
}

fn put_len(out: &mut Vec<u8>, len: usize) -> Result<()> {
    let len = u32::try_from(len)
        .map_err(|_| IndexError::InvalidArgument(format!("metadata item of {len} bytes")))?;
    out.extend_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Decodes a blob written by [`encode_map`].
pub fn decode_map(blob: &[u8]) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    let Some((&format, mut rest)) = blob.split_first() else {
        return Ok(map);
    };
    if format != MAP_FORMAT {
        return Err(IndexError::Corrupt(format!("map format {format}")));
    }
    let count = take_len(&mut rest)?;
    for _ in 0..count {
        let k = take_str(&mut rest)?;
        let v = take_str(&mut rest)?;
        map.insert(k, v);
    }
    if !rest.is_empty() {
        return Err(IndexError::Corrupt("trailing bytes after map".into()));
    }
    Ok(map)
}

fn take_len(rest: &mut &[u8]) -> Result<usize> {
    let Some((head, tail)) = rest.split_first_chunk::<4>() else {
        return Err(IndexError::Corrupt("truncated map".into()));
    };
    *rest = tail;
    Ok(u32::from_le_bytes(*head) as usize)
}

fn take_str(rest: &mut &[u8]) -> Result<String> {
    let len = take_len(rest)?;
    if rest.len() < len {
        return Err(IndexError::Corrupt("truncated map entry".into()));
    }
    let (s, tail) = rest.split_at(len);
    *rest = tail;
    String::from_utf8(s.to_vec()).map_err(|_| IndexError::Corrupt("map entry not UTF-8".into()))
}

/// `u64` → SQLite integer.
pub fn to_sql_u64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| IndexError::InvalidArgument(format!("{what} {v} too large")))
}

/// SQLite integer → `u64`.
pub fn from_sql_u64(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| IndexError::Corrupt(format!("{what} = {v}")))
}

/// SQLite integer → `u32`.
pub fn from_sql_u32(v: i64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| IndexError::Corrupt(format!("{what} = {v}")))
}

/// A stored key blob → `String`.
pub fn key_from_blob(blob: Vec<u8>) -> Result<String> {
    String::from_utf8(blob).map_err(|_| IndexError::Corrupt("key is not UTF-8".into()))
}

/// The smallest byte string greater than every string starting with
/// `prefix`; `None` when there is none (empty or all `0xFF`).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// The smallest byte string greater than `key`: `key` followed by `0x00`.
/// Makes "strictly after" an inclusive lower bound.
pub fn key_successor(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 1);
    out.extend_from_slice(key);
    out.push(0);
    out
}

/// The common prefix `key` rolls up into: `prefix` + everything up to and
/// including the first `delimiter` after it. `None` when `key` does not
/// start with `prefix`, there is no delimiter, or none occurs after it.
pub fn common_prefix<'k>(key: &'k str, prefix: &str, delimiter: Option<&str>) -> Option<&'k str> {
    let delimiter = delimiter.filter(|d| !d.is_empty())?;
    let rest = key.strip_prefix(prefix)?;
    let at = rest.find(delimiter)?;
    Some(&key[..prefix.len() + at + delimiter.len()])
}

#[cfg(test)]
mod tests {
    use super::{common_prefix, decode_map, encode_map, key_successor, prefix_successor};
    use std::collections::BTreeMap;

    #[test]
    fn map_round_trip_and_corruption() {
        let mut m = BTreeMap::new();
        assert_eq!(decode_map(&encode_map(&m).unwrap()).unwrap(), m);
        m.insert("a".to_string(), "1".to_string());
        m.insert("ünï".to_string(), String::new());
        let blob = encode_map(&m).unwrap();
        assert_eq!(decode_map(&blob).unwrap(), m);
        for cut in 1..blob.len() {
            assert!(decode_map(&blob[..cut]).is_err(), "cut at {cut}");
        }
        let mut extra = blob.clone();
        extra.push(0);
        assert!(decode_map(&extra).is_err());
        assert!(decode_map(&[9, 0, 0, 0, 0]).is_err());
        assert!(decode_map(&[1, 1, 0, 0, 0, 1, 0, 0, 0, 0xFF, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn successors() {
        assert_eq!(prefix_successor(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(prefix_successor(b"a\xFF\xFF"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"\xFF"), None);
        assert_eq!(prefix_successor(b""), None);
        assert_eq!(key_successor(b"ab"), b"ab\0".to_vec());
    }

    #[test]
    fn rollup() {
        assert_eq!(common_prefix("a/b/c", "", Some("/")), Some("a/"));
        assert_eq!(common_prefix("a/b/c", "a/", Some("/")), Some("a/b/"));
        assert_eq!(common_prefix("a//b", "a/", Some("/")), Some("a//"));
        assert_eq!(common_prefix("a/", "a/", Some("/")), None);
        assert_eq!(common_prefix("a/b", "b", Some("/")), None);
        assert_eq!(common_prefix("a/b", "", None), None);
        assert_eq!(common_prefix("a/b", "", Some("")), None);
        assert_eq!(common_prefix("xaab", "", Some("ab")), Some("xaab"));
        assert_eq!(common_prefix("日本/語", "日", Some("/")), Some("日本/"));
    }
}
