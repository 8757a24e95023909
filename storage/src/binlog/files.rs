//! The files of the sync directory (`<base_path>/data/sync`, §8): binlog
//! file names, `binlog_index.dat`, the small ini format FastDFS uses for it
//! and the mark files, and the crash-safe replace (temp file, fsync, rename,
//! fsync the directory) every small state file goes through.
//!
//! Everything here blocks; callers on the runtime use `spawn_blocking`.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::BinlogError;

/// Name of the index file in the sync directory.
pub const INDEX_FILE: &str = "binlog_index.dat";

/// The path of binlog file `index`: `binlog.NNN` (three digits, more when
/// needed, as FastDFS's `%03d`).
pub fn binlog_path(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("binlog.{index:03}"))
}

/// The contents of `binlog_index.dat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BinlogIndex {
    /// The binlog file being appended to.
    pub current_write: u32,
    /// The first file not yet compressed (kept as found; we never compress).
    pub current_compress: u32,
}

impl BinlogIndex {
    /// Reads the index file; `None` when it does not exist. Blocks.
    pub fn load(dir: &Path) -> Result<Option<Self>, BinlogError> {
        let path = dir.join(INDEX_FILE);
        let Some(pairs) = read_ini(&path)? else {
            return Ok(None);
        };
        let mut index = Self::default();
        for (key, value) in pairs {
            match key.as_str() {
                "current_write" => index.current_write = parse_value(&path, &key, &value)?,
                "current_compress" => index.current_compress = parse_value(&path, &key, &value)?,
                _ => {}
            }
        }
        Ok(Some(index))
    }

    /// Replaces the index file crash-safely. Blocks.
    pub fn save(&self, dir: &Path) -> Result<(), BinlogError> {
        let text = format!(
            "current_write={}\ncurrent_compress={}\n",
            self.current_write, self.current_compress
        );
        write_atomic(&dir.join(INDEX_FILE), text.as_bytes())
    }
}

/// The highest `binlog.N` present in `dir`, if any. Blocks.
pub fn highest_binlog(dir: &Path) -> Result<Option<u32>, BinlogError> {
    let entries = std::fs::read_dir(dir).map_err(|e| BinlogError::io("list", dir, e))?;
    let mut highest = None;
    for entry in entries {
        let entry = entry.map_err(|e| BinlogError::io("list", dir, e))?;
        let name = entry.file_name();
        let Some(digits) = name.to_str().and_then(|n| n.strip_prefix("binlog.")) else {
            continue;
        };
        if digits.len() < 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(n) = digits.parse::<u32>() {
            highest = highest.max(Some(n));
        }
    }
    Ok(highest)
}

/// Reads a FastDFS ini-like file: `key=value` lines, `#` comments and blank
/// lines ignored, keys and values trimmed. `None` when the file is missing.
/// Files over 64 KiB are refused (these files are a few lines). Blocks.
pub fn read_ini(path: &Path) -> Result<Option<Vec<(String, String)>>, BinlogError> {
    const MAX_INI: u64 = 64 * 1024;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BinlogError::io("stat", path, e)),
    };
    if meta.len() > MAX_INI {
        return Err(BinlogError::corrupt(path, "file too large"));
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(BinlogError::io("read", path, e)),
    };
    let text = String::from_utf8(bytes).map_err(|_| BinlogError::corrupt(path, "not UTF-8"))?;
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(BinlogError::corrupt(path, format!("line without '=': {line:?}")));
        };
        pairs.push((key.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(Some(pairs))
}

/// Parses an ini value, naming the file and key on failure.
pub fn parse_value<T: std::str::FromStr>(
    path: &Path,
    key: &str,
    value: &str,
) -> Result<T, BinlogError> {
    value.parse().map_err(|_| BinlogError::corrupt(path, format!("bad value for {key}: {value:?}")))
}

/// Replaces `path` with `contents` so that a crash leaves either the old or
/// the new file: write `path.tmp`, fsync it, rename over `path`, fsync the
/// directory. The temp file is removed if anything fails. Blocks.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), BinlogError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)
            .map_err(|e| BinlogError::io("create", &tmp, e))?;
        file.write_all(contents).map_err(|e| BinlogError::io("write", &tmp, e))?;
        file.sync_all().map_err(|e| BinlogError::io("fsync", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| BinlogError::io("rename", path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Fsyncs a directory so that entries created or renamed in it survive a
/// crash. Blocks.
pub fn sync_dir(dir: &Path) -> Result<(), BinlogError> {
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BinlogError::io("fsync directory", dir, e))
}
