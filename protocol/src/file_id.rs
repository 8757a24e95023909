//! File IDs (`group1/M00/00/2A/<name>`) and logic filenames (`M00/00/2A/<name>`).
//!
//! Clients hold the full ID; storage commands carry the group in a fixed
//! field and the logic filename separately, so both parse on their own. A
//! logic filename names a path under a storage's store path, so parsing is
//! strict about its shape: `M` + 2 uppercase hex digits (store path index),
//! `/HH/LL/` in uppercase hex, then a name of `[A-Za-z0-9._-]` without `..`,
//! 127 characters at most in all. The name itself is not decoded here
//! (FastDFS answers a well-formed but unknown name with `ENOENT`, not
//! `EINVAL`); [`LogicName::info`] decodes it.
//!
//! Errors are [`DecodeError::Invalid`], answered with `EINVAL`.

use std::fmt;
use std::str::FromStr;

use crate::consts::{GROUP_NAME_MAX_LEN, LOGIC_FILE_PATH_LEN, MAX_LOGIC_FILENAME_LEN};
use crate::error::DecodeError;
use crate::filename::{NameInfo, is_name_char};

/// The first character of a logic filename (`FDFS_STORAGE_STORE_PATH_PREFIX_CHAR`).
pub const STORE_PATH_PREFIX: u8 = b'M';

/// A logic filename: `Mxx/HH/LL/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogicName {
    text: String,
    store_path_index: u8,
    dir_high: u8,
    dir_low: u8,
}

impl LogicName {
    /// Parses and validates a logic filename.
    pub fn parse(text: &str) -> Result<Self, DecodeError> {
        if text.len() > MAX_LOGIC_FILENAME_LEN {
            return Err(invalid(format!("length {} exceeds {MAX_LOGIC_FILENAME_LEN}", text.len())));
        }
        let bytes = text.as_bytes();
        let Some((path, name)) = bytes.split_at_checked(LOGIC_FILE_PATH_LEN) else {
            return Err(invalid(format!("{text:?} is too short")));
        };
        let [m, p0, p1, b'/', h0, h1, b'/', l0, l1, b'/'] = *path else {
            return Err(invalid(format!("{text:?} does not start with Mxx/HH/LL/")));
        };
        if m != STORE_PATH_PREFIX {
            return Err(invalid(format!("{text:?} does not start with 'M'")));
        }
        let store_path_index = hex_byte(p0, p1)?;
        let dir_high = hex_byte(h0, h1)?;
        let dir_low = hex_byte(l0, l1)?;
        validate_name(name)?;
        Ok(Self { text: text.to_owned(), store_path_index, dir_high, dir_low })
    }

    /// Builds `Mxx/HH/LL/<name>` from its parts, validating `name`.
    pub fn new(
        store_path_index: u8,
        dir_high: u8,
        dir_low: u8,
        name: &str,
    ) -> Result<Self, DecodeError> {
        if LOGIC_FILE_PATH_LEN + name.len() > MAX_LOGIC_FILENAME_LEN {
            return Err(invalid(format!("name of {} characters is too long", name.len())));
        }
        validate_name(name.as_bytes())?;
        let text = format!("M{store_path_index:02X}/{dir_high:02X}/{dir_low:02X}/{name}");
        Ok(Self { text, store_path_index, dir_high, dir_low })
    }

    /// The store path index (`xx` of `Mxx`).
    pub fn store_path_index(&self) -> u8 {
        self.store_path_index
    }

    /// The first directory level (`HH`).
    pub fn dir_high(&self) -> u8 {
        self.dir_high
    }

    /// The second directory level (`LL`).
    pub fn dir_low(&self) -> u8 {
        self.dir_low
    }

    /// `HH/LL/<name>`: the path under the store path's `data` directory.
    pub fn data_path(&self) -> &str {
        &self.text[4..]
    }

    /// The generated name after `Mxx/HH/LL/`.
    pub fn name(&self) -> &str {
        &self.text[LOGIC_FILE_PATH_LEN..]
    }

    /// The whole logic filename.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Consumes it into the whole logic filename.
    pub fn into_string(self) -> String {
        self.text
    }

    /// Decodes what the name tells about the file.
    pub fn info(&self) -> Result<NameInfo, DecodeError> {
        NameInfo::decode(self.name())
    }
}

impl fmt::Display for LogicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for LogicName {
    type Err = DecodeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl AsRef<str> for LogicName {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// A full file ID: `<group>/<logic filename>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId {
    group: String,
    logic: LogicName,
}

impl FileId {
    /// Joins a group name (validated) and a logic filename.
    pub fn new(group: &str, logic: LogicName) -> Result<Self, DecodeError> {
        validate_group_name(group)?;
        Ok(Self { group: group.to_owned(), logic })
    }

    /// Parses `<group>/Mxx/HH/LL/<name>`.
    pub fn parse(text: &str) -> Result<Self, DecodeError> {
        let Some((group, logic)) = text.split_once('/') else {
            return Err(DecodeError::invalid("file id", format!("{text:?} has no '/'")));
        };
        validate_group_name(group)?;
        Ok(Self { group: group.to_owned(), logic: LogicName::parse(logic)? })
    }

    /// The group name.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The logic filename.
    pub fn logic(&self) -> &LogicName {
        &self.logic
    }

    /// Shorthand for `logic().store_path_index()`.
    pub fn store_path_index(&self) -> u8 {
        self.logic.store_path_index
    }

    /// Shorthand for `logic().dir_high()`.
    pub fn dir_high(&self) -> u8 {
        self.logic.dir_high
    }

    /// Shorthand for `logic().dir_low()`.
    pub fn dir_low(&self) -> u8 {
        self.logic.dir_low
    }

    /// Shorthand for `logic().name()`.
    pub fn name(&self) -> &str {
        self.logic.name()
    }

    /// Splits into group name and logic filename.
    pub fn into_parts(self) -> (String, LogicName) {
        (self.group, self.logic)
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.group, self.logic)
    }
}

impl FromStr for FileId {
    type Err = DecodeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// Checks a group name: `[A-Za-z0-9]{1,16}` (`fdfs_validate_group_name`).
pub fn validate_group_name(group: &str) -> Result<(), DecodeError> {
    if group.is_empty() || group.len() > GROUP_NAME_MAX_LEN {
        return Err(DecodeError::invalid(
            "group name",
            format!("length {} outside 1..={GROUP_NAME_MAX_LEN}", group.len()),
        ));
    }
    if let Some(c) = group.bytes().find(|c| !c.is_ascii_alphanumeric()) {
        return Err(DecodeError::invalid("group name", format!("invalid character 0x{c:02x}")));
    }
    Ok(())
}

fn invalid(reason: String) -> DecodeError {
    DecodeError::invalid("logic filename", reason)
}

/// Checks the name part: non-empty, `[A-Za-z0-9._-]`, no `..`.
fn validate_name(name: &[u8]) -> Result<(), DecodeError> {
    if name.is_empty() {
        return Err(invalid("empty file name".to_owned()));
    }
    if let Some(&c) = name.iter().find(|&&c| !is_name_char(c)) {
        return Err(invalid(format!("invalid character 0x{c:02x} in the name")));
    }
    if name.windows(2).any(|pair| pair == b"..") {
        return Err(invalid("\"..\" in the name".to_owned()));
    }
    Ok(())
}

/// Two uppercase hex digits.
fn hex_byte(high: u8, low: u8) -> Result<u8, DecodeError> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(invalid(format!("0x{c:02x} is not an uppercase hex digit"))),
    };
    Ok(digit(high)? << 4 | digit(low)?)
}

#[cfg(test)]
mod tests {
    use super::{FileId, LogicName};

    #[test]
    fn parses_and_formats() {
        let id: FileId = "group1/M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt".parse().unwrap();
        assert_eq!(id.group(), "group1");
        assert_eq!(id.store_path_index(), 0);
        assert_eq!(id.dir_high(), 0);
        assert_eq!(id.dir_low(), 0x2A);
        assert_eq!(id.name(), "fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt");
        assert_eq!(id.logic().data_path(), "00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt");
        assert_eq!(id.to_string(), "group1/M00/00/2A/fwAAAmsH8l-Ad5C4AAAAFpR_bpI442.txt");
        let built = LogicName::new(0, 0, 0x2A, id.name()).unwrap();
        assert_eq!(&built, id.logic());
        assert_eq!(LogicName::new(0xFF, 0xAB, 1, "x").unwrap().as_str(), "MFF/AB/01/x");
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "M00/00/00/",
            "M00/00/00",
            "m00/00/00/abc",
            "X00/00/00/abc",
            "M0/00/00/abcd",
            "M00/0a/00/abc",
            "M00/00/0g/abc",
            "M00-00/00/abc",
            "M00/00/00/a/b",
            "M00/00/00/..",
            "M00/00/00/a..b",
            "M00/00/00/a b",
            "M00/00/00/é",
        ] {
            assert!(LogicName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(LogicName::new(0, 0, 0, "a/b").is_err());
        assert!(LogicName::new(0, 0, 0, &"a".repeat(118)).is_err());
        assert!(LogicName::new(0, 0, 0, &"a".repeat(117)).is_ok());
    }
}
