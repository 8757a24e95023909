//! One binlog line, typed: `<unix ts> <op> <logic filename>[ <extra>]\n`
//! (`fastdfs-protocol.md` §8), byte-compatible with FastDFS's
//! `storage_binlog_write_ex` so that our binlog can be read by FastDFS tools
//! and FastDFS binlogs can be read by us.
//!
//! Parsing is strict and total: every malformed line is an error, never a
//! panic, and nothing is allocated beyond the line itself (which the reader
//! bounds by [`MAX_LINE`]).

use std::fmt::Write as _;

/// The longest binlog line accepted (including the `\n`). FastDFS logic
/// filenames are at most ~128 bytes and a record holds at most two of them,
/// so anything longer is corruption.
pub const MAX_LINE: usize = 4096;

/// The suffix FastDFS appends to a logic filename to name its metadata file
/// (`C <file>-m` / `U <file>-m` records).
pub const META_SUFFIX: &str = "-m";

/// Who originated a change: this storage (upper-case op letter) or a peer
/// whose change was applied here (lower-case letter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The change was made by a client on this storage (`C`, `D`, …).
    Source,
    /// The change was replicated to this storage from a peer (`c`, `d`, …).
    Replica,
}

/// The change a record describes, with the extra fields its op carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Op {
    /// `C`/`c`: a file (or a `-m` metadata file) was created.
    Create,
    /// `D`/`d`: a file was deleted.
    Delete,
    /// `U`/`u`: a whole file was rewritten (metadata file updates).
    Update,
    /// `A`/`a`: `length` bytes were appended at `offset`.
    Append {
        /// Offset of the first appended byte.
        offset: u64,
        /// Number of bytes appended.
        length: u64,
    },
    /// `M`/`m`: `length` bytes were overwritten at `offset`.
    Modify {
        /// Offset of the first modified byte.
        offset: u64,
        /// Number of bytes written.
        length: u64,
    },
    /// `T`/`t`: the file was truncated from `old_size` to `new_size`.
    Truncate {
        /// Size before the truncate.
        old_size: u64,
        /// Size after the truncate.
        new_size: u64,
    },
    /// `L`/`l`: the record's filename was created as a link to `source`.
    Link {
        /// The logic filename the link points at.
        source: String,
    },
    /// `R`/`r`: the appender `old` was renamed to the record's filename.
    Rename {
        /// The appender's previous logic filename.
        old: String,
    },
}

impl Op {
    /// The upper-case (source) letter of this op.
    pub fn letter(&self) -> u8 {
        match self {
            Op::Create => b'C',
            Op::Delete => b'D',
            Op::Update => b'U',
            Op::Append { .. } => b'A',
            Op::Modify { .. } => b'M',
            Op::Truncate { .. } => b'T',
            Op::Link { .. } => b'L',
            Op::Rename { .. } => b'R',
        }
    }

    /// Whether this op changes part of an existing file in place (append,
    /// modify, truncate); such replica records are never forwarded (§9).
    pub fn is_partial_update(&self) -> bool {
        matches!(self, Op::Append { .. } | Op::Modify { .. } | Op::Truncate { .. })
    }
}

/// A binlog record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Unix seconds of the change on its source storage (kept when the
    /// record is replicated, like the wire's 4-byte timestamp).
    pub timestamp: u32,
    /// Whether this storage is the source of the change.
    pub origin: Origin,
    /// The logic filename (`M00/HH/LL/name`, possibly with [`META_SUFFIX`]);
    /// for renames, the new name.
    pub filename: String,
    /// The change and its extra fields.
    pub op: Op,
}

/// Why a line is not a valid record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The line is empty.
    #[error("empty binlog line")]
    Empty,
    /// The line is longer than [`MAX_LINE`].
    #[error("binlog line longer than {MAX_LINE} bytes")]
    TooLong,
    /// The line is not UTF-8.
    #[error("binlog line is not UTF-8")]
    NotUtf8,
    /// A required field is missing.
    #[error("binlog line lacks its {0} field")]
    Missing(&'static str),
    /// A numeric field is not a plain decimal number in range.
    #[error("binlog line has a bad {0} field")]
    BadNumber(&'static str),
    /// The op letter is not one of `CDUAMTLR` in either case.
    #[error("unknown binlog op {0:?}")]
    UnknownOp(String),
    /// A filename is empty or contains a space or control character.
    #[error("binlog line has a bad {0} field")]
    BadFilename(&'static str),
    /// More fields than the op carries.
    #[error("binlog line has trailing fields")]
    Trailing,
}

impl Record {
    /// A record of a change made on this storage.
    pub fn source(timestamp: u32, filename: impl Into<String>, op: Op) -> Self {
        Self { timestamp, origin: Origin::Source, filename: filename.into(), op }
    }

    /// A record of a change applied here on behalf of a peer.
    pub fn replica(timestamp: u32, filename: impl Into<String>, op: Op) -> Self {
        Self { timestamp, origin: Origin::Replica, filename: filename.into(), op }
    }

    /// The op letter as written: upper case for source, lower for replica.
    pub fn letter(&self) -> u8 {
        let upper = self.op.letter();
        match self.origin {
            Origin::Source => upper,
            Origin::Replica => upper.to_ascii_lowercase(),
        }
    }

    /// Whether the record is about a metadata (`-m`) file.
    pub fn is_metadata(&self) -> bool {
        self.filename.ends_with(META_SUFFIX)
    }

    /// Formats the record as one line including the trailing `\n`.
    ///
    /// Fails when a filename could not be parsed back (empty, or containing
    /// a space or control character) or the line would exceed [`MAX_LINE`],
    /// so every line written can be read again.
    pub fn to_line(&self) -> Result<String, RecordError> {
        check_filename(&self.filename, "filename")?;
        let mut line = String::with_capacity(self.filename.len() + 32);
        // Writing to a String cannot fail.
        let _ = write!(line, "{} {} {}", self.timestamp, self.letter() as char, self.filename);
        let _ = match &self.op {
            Op::Create | Op::Delete | Op::Update => Ok(()),
            Op::Append { offset, length } | Op::Modify { offset, length } => {
                write!(line, " {offset} {length}")
            }
            Op::Truncate { old_size, new_size } => write!(line, " {old_size} {new_size}"),
            Op::Link { source } => {
                check_filename(source, "link source")?;
                write!(line, " {source}")
            }
            Op::Rename { old } => {
                check_filename(old, "old filename")?;
                write!(line, " {old}")
            }
        };
        line.push('\n');
        if line.len() > MAX_LINE {
            return Err(RecordError::TooLong);
        }
        Ok(line)
    }

    /// Parses one line, with or without its trailing `\n`.
    ///
    /// Fields are separated by single spaces; numbers are plain decimal.
    pub fn parse(line: &[u8]) -> Result<Self, RecordError> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if line.is_empty() {
            return Err(RecordError::Empty);
        }
        if line.len() >= MAX_LINE {
            return Err(RecordError::TooLong);
        }
        let line = std::str::from_utf8(line).map_err(|_| RecordError::NotUtf8)?;
        let mut fields = line.split(' ');
        let timestamp = number(fields.next(), "timestamp")?;
        let timestamp =
            u32::try_from(timestamp).map_err(|_| RecordError::BadNumber("timestamp"))?;
        let letter = fields.next().ok_or(RecordError::Missing("op"))?;
        let (upper, origin) = match letter.as_bytes() {
            [c] if c.is_ascii_uppercase() => (*c, Origin::Source),
            [c] if c.is_ascii_lowercase() => (c.to_ascii_uppercase(), Origin::Replica),
            _ => return Err(RecordError::UnknownOp(letter.chars().take(8).collect())),
        };
        let filename = name_field(fields.next(), "filename")?;
        let op = match upper {
            b'C' => Op::Create,
            b'D' => Op::Delete,
            b'U' => Op::Update,
            b'A' => Op::Append {
                offset: number(fields.next(), "offset")?,
                length: number(fields.next(), "length")?,
            },
            b'M' => Op::Modify {
                offset: number(fields.next(), "offset")?,
                length: number(fields.next(), "length")?,
            },
            b'T' => Op::Truncate {
                old_size: number(fields.next(), "old size")?,
                new_size: number(fields.next(), "new size")?,
            },
            b'L' => Op::Link { source: name_field(fields.next(), "link source")? },
            b'R' => Op::Rename { old: name_field(fields.next(), "old filename")? },
            _ => return Err(RecordError::UnknownOp(letter.to_owned())),
        };
        if fields.next().is_some() {
            return Err(RecordError::Trailing);
        }
        Ok(Self { timestamp, origin, filename, op })
    }
}

/// A plain decimal `u64`: digits only (no sign, no spaces), at most 20.
fn number(field: Option<&str>, name: &'static str) -> Result<u64, RecordError> {
    let field = field.ok_or(RecordError::Missing(name))?;
    if field.is_empty() || field.len() > 20 || !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RecordError::BadNumber(name));
    }
    field.parse().map_err(|_| RecordError::BadNumber(name))
}

fn name_field(field: Option<&str>, name: &'static str) -> Result<String, RecordError> {
    let field = field.ok_or(RecordError::Missing(name))?;
    check_filename(field, name)?;
    Ok(field.to_owned())
}

/// A filename must be non-empty and free of spaces and control characters
/// (the line's separators).
fn check_filename(name: &str, field: &'static str) -> Result<(), RecordError> {
    if name.is_empty() || name.chars().any(|c| c == ' ' || c.is_control()) {
        return Err(RecordError::BadFilename(field));
    }
    Ok(())
}
