//! [`SyncMark`]: how far the sync worker of one peer has got, in the peer's
//! mark file `<sync dir>/<peer_ip>_<port>.mark` (or `<peer_id>.mark` with
//! storage ids), with FastDFS's ini keys (§8) so marks survive a switch
//! between implementations.
//!
//! Saves are crash-safe (temp file, fsync, rename, fsync the directory); a
//! missing file means a peer never synced: start of the binlog. A mark that
//! does not parse is an error — the caller decides whether to start over
//! (safe but resends everything: receivers answer 17 for what they have).

use std::path::{Path, PathBuf};

use super::files::{parse_value, read_ini, write_atomic};
use super::{BinlogError, Position};

/// One peer's sync progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncMark {
    /// `binlog_index`: the binlog file of the next record to send.
    pub binlog_index: u32,
    /// `binlog_offset`: its byte offset.
    pub binlog_offset: u64,
    /// `need_sync_old`: this storage must replay its whole binlog to the
    /// peer (it is the peer's sync source as a new member).
    pub need_sync_old: bool,
    /// `sync_old_done`: that replay has finished.
    pub sync_old_done: bool,
    /// `until_timestamp`: replica records up to this time are part of the
    /// replay (the moment the peer joined).
    pub until_timestamp: i64,
    /// `scan_row_count`: records read.
    pub scan_row_count: u64,
    /// `sync_row_count`: records sent.
    pub sync_row_count: u64,
}

impl SyncMark {
    /// The position to resume reading at.
    pub fn position(&self) -> Position {
        Position::new(self.binlog_index, self.binlog_offset)
    }

    /// Records the position to resume reading at.
    pub fn set_position(&mut self, position: Position) {
        self.binlog_index = position.index;
        self.binlog_offset = position.offset;
    }

    /// Whether the worker is still catching a new member up (§9:
    /// `need_sync_old && !sync_old_done`).
    pub fn catching_up(&self) -> bool {
        self.need_sync_old && !self.sync_old_done
    }

    /// The mark file of the peer at `ip:port`: `<ip>_<port>.mark`. Refuses
    /// names that could leave the directory.
    pub fn path_for_peer(dir: &Path, ip: &str, port: u16) -> Result<PathBuf, BinlogError> {
        check_name(ip)?;
        Ok(dir.join(format!("{ip}_{port}.mark")))
    }

    /// The mark file of the peer with storage id `id`: `<id>.mark`.
    pub fn path_for_id(dir: &Path, id: &str) -> Result<PathBuf, BinlogError> {
        check_name(id)?;
        Ok(dir.join(format!("{id}.mark")))
    }

    /// The ini text of the mark, keys in FastDFS's order.
    pub fn to_ini(&self) -> String {
        format!(
            "binlog_index={}\nbinlog_offset={}\nneed_sync_old={}\nsync_old_done={}\n\
             until_timestamp={}\nscan_row_count={}\nsync_row_count={}\n",
            self.binlog_index,
            self.binlog_offset,
            u8::from(self.need_sync_old),
            u8::from(self.sync_old_done),
            self.until_timestamp,
            self.scan_row_count,
            self.sync_row_count,
        )
    }

    /// Reads a mark file; defaults (start of the binlog) when it is missing.
    /// Unknown keys are ignored. Blocks.
    pub fn load_blocking(path: &Path) -> Result<Self, BinlogError> {
        let Some(pairs) = read_ini(path)? else {
            return Ok(Self::default());
        };
        let mut mark = Self::default();
        for (key, value) in pairs {
            let v = value.as_str();
            match key.as_str() {
                "binlog_index" => mark.binlog_index = parse_value(path, &key, v)?,
                "binlog_offset" => mark.binlog_offset = parse_value(path, &key, v)?,
                "need_sync_old" => mark.need_sync_old = parse_bool(path, &key, v)?,
                "sync_old_done" => mark.sync_old_done = parse_bool(path, &key, v)?,
                "until_timestamp" => mark.until_timestamp = parse_value(path, &key, v)?,
                "scan_row_count" => mark.scan_row_count = parse_value(path, &key, v)?,
                "sync_row_count" => mark.sync_row_count = parse_value(path, &key, v)?,
                _ => {}
            }
        }
        Ok(mark)
    }

    /// Replaces the mark file crash-safely. Blocks.
    pub fn save_blocking(&self, path: &Path) -> Result<(), BinlogError> {
        write_atomic(path, self.to_ini().as_bytes())
    }

    /// [`SyncMark::load_blocking`] on the blocking pool.
    pub async fn load(path: PathBuf) -> Result<Self, BinlogError> {
        let err_path = path.clone();
        tokio::task::spawn_blocking(move || Self::load_blocking(&path))
            .await
            .map_err(|e| BinlogError::io("load", &err_path, std::io::Error::other(e)))?
    }

    /// [`SyncMark::save_blocking`] on the blocking pool.
    pub async fn save(&self, path: PathBuf) -> Result<(), BinlogError> {
        let mark = *self;
        let err_path = path.clone();
        tokio::task::spawn_blocking(move || mark.save_blocking(&path))
            .await
            .map_err(|e| BinlogError::io("save", &err_path, std::io::Error::other(e)))?
    }
}

/// FastDFS writes booleans as 0/1; `true`/`false` are accepted too.
fn parse_bool(path: &Path, key: &str, value: &str) -> Result<bool, BinlogError> {
    match value {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(BinlogError::corrupt(path, format!("bad value for {key}: {value:?}"))),
    }
}

/// A peer name used in a file name: non-empty, no separators, not `.`/`..`.
fn check_name(name: &str) -> Result<(), BinlogError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > 128
        || name.chars().any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(BinlogError::BadPeerName(name.chars().take(64).collect()));
    }
    Ok(())
}
