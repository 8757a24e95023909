//! Field rules shared by the storage messages: group names, logic file
//! names, extensions, slave prefixes and the length fields that announce
//! them.
//!
//! Decoders use the `read_*` helpers, which bound every length field before
//! anything is read, so no length from the network drives an allocation
//! beyond the protocol's limits. The `check_*` helpers back the messages'
//! `validate()` methods.

use bytes::BytesMut;

use crate::consts::{
    FILE_EXT_NAME_MAX_LEN, FILE_PREFIX_MAX_LEN, GROUP_NAME_MAX_LEN, MAX_LOGIC_FILENAME_LEN,
};
use crate::error::DecodeError;
use crate::wire::{PutExt, Reader};

/// Reads the 16-byte group field: the bytes up to the first NUL. Later
/// bytes are ignored — FastDFS senders were seen leaving stale data there.
/// The value itself is not checked: a storage compares it with its own
/// group and answers EINVAL on a mismatch, as FastDFS does.
pub(crate) fn read_group(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    r.fixed_str(GROUP_NAME_MAX_LEN)
}

/// Writes the 16-byte group field.
pub(crate) fn put_group(buf: &mut BytesMut, group: &str) {
    buf.put_fixed_str(group, GROUP_NAME_MAX_LEN);
}

/// Reads an 8-byte filename length field and bounds it to
/// `min..=MAX_LOGIC_FILENAME_LEN`.
pub(crate) fn read_name_len(
    r: &mut Reader<'_>,
    field: &'static str,
    min: usize,
) -> Result<usize, DecodeError> {
    let len = r.len64()?;
    bounded_len(len, field, min, MAX_LOGIC_FILENAME_LEN)
}

/// Checks a length field against `min..=max`.
pub(crate) fn bounded_len(
    len: u64,
    field: &'static str,
    min: usize,
    max: usize,
) -> Result<usize, DecodeError> {
    match usize::try_from(len) {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(DecodeError::invalid(field, format!("length {len} not in {min}..={max}"))),
    }
}

/// Reads a logic filename of `len` bytes (already bounded).
pub(crate) fn read_name(
    r: &mut Reader<'_>,
    len: usize,
    field: &'static str,
) -> Result<String, DecodeError> {
    let raw = r.bytes(len)?;
    String::from_utf8(raw.to_vec()).map_err(|_| DecodeError::invalid(field, "not UTF-8"))
}

/// Reads the rest of the body as a logic filename (1..=127 bytes).
pub(crate) fn read_rest_name(
    r: &mut Reader<'_>,
    field: &'static str,
) -> Result<String, DecodeError> {
    let len = bounded_len(r.remaining() as u64, field, 1, MAX_LOGIC_FILENAME_LEN)?;
    read_name(r, len, field)
}

/// The length of a name as its 8-byte wire field.
pub(crate) fn len_field(s: &str) -> u64 {
    s.len() as u64
}

/// Reads the 6-byte extension field and checks its characters.
pub(crate) fn read_ext(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let ext = r.fixed_str(FILE_EXT_NAME_MAX_LEN)?;
    check_ext(&ext)?;
    Ok(ext)
}

/// Reads the 16-byte slave prefix field and checks its characters.
pub(crate) fn read_prefix(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let prefix = r.fixed_str(FILE_PREFIX_MAX_LEN)?;
    check_prefix(&prefix)?;
    Ok(prefix)
}

/// A group name: 1..=16 characters `[A-Za-z0-9]`.
pub(crate) fn check_group(group: &str) -> Result<(), DecodeError> {
    crate::file_id::validate_group_name(group)
}

/// A logic filename: 1..=127 bytes, no NUL.
pub(crate) fn check_name(field: &'static str, name: &str) -> Result<(), DecodeError> {
    check_name_len(field, name, 1)
}

/// A logic filename that may be empty (the master of CREATE_LINK).
pub(crate) fn check_name_len(
    field: &'static str,
    name: &str,
    min: usize,
) -> Result<(), DecodeError> {
    bounded_len(len_field(name), field, min, MAX_LOGIC_FILENAME_LEN)?;
    if name.as_bytes().contains(&0) {
        return Err(DecodeError::invalid(field, "contains NUL"));
    }
    Ok(())
}

/// An extension: at most 6 characters `[A-Za-z0-9._-]` (may be empty).
pub(crate) fn check_ext(ext: &str) -> Result<(), DecodeError> {
    check_name_chars("file extension", ext, FILE_EXT_NAME_MAX_LEN)
}

/// A slave prefix: at most 16 characters `[A-Za-z0-9._-]`.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), DecodeError> {
    check_name_chars("slave prefix", prefix, FILE_PREFIX_MAX_LEN)
}

fn check_name_chars(field: &'static str, s: &str, max: usize) -> Result<(), DecodeError> {
    if s.len() > max {
        return Err(DecodeError::invalid(field, format!("{} bytes > {max}", s.len())));
    }
    let ok = s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(DecodeError::invalid(field, format!("{s:?} is not [A-Za-z0-9._-]")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check_ext, check_group, check_name, check_prefix, read_name_len, read_rest_name};
    use crate::wire::Reader;

    #[test]
    fn name_lengths_are_bounded() {
        let mut r = Reader::new(&[0, 0, 0, 0, 0, 0, 0, 128]);
        assert!(read_name_len(&mut r, "f", 1).is_err());
        let mut r = Reader::new(&[0, 0, 0, 0, 0, 0, 0, 127]);
        assert_eq!(read_name_len(&mut r, "f", 1).unwrap(), 127);
        let mut r = Reader::new(&[0; 8]);
        assert!(read_name_len(&mut r, "f", 1).is_err());
        let mut r = Reader::new(&[0xff; 8]);
        assert!(read_name_len(&mut r, "f", 0).is_err());
        assert!(read_rest_name(&mut Reader::new(b""), "f").is_err());
        assert!(read_rest_name(&mut Reader::new(&[b'a'; 128]), "f").is_err());
    }

    #[test]
    fn character_rules() {
        check_ext("").unwrap();
        check_ext("tar.gz").unwrap();
        assert!(check_ext("toolong").is_err());
        assert!(check_ext("a/b").is_err());
        check_prefix("_small").unwrap();
        assert!(check_prefix(&"p".repeat(17)).is_err());
        check_group("group1").unwrap();
        assert!(check_group("").is_err());
        assert!(check_group("group_1").is_err());
        assert!(check_group(&"g".repeat(17)).is_err());
        check_name("f", "M00/00/00/x.txt").unwrap();
        assert!(check_name("f", "").is_err());
        assert!(check_name("f", "a\0b").is_err());
    }
}
