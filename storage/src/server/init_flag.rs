//! `data/.data_init_flag`: what a storage must remember across restarts to
//! rejoin its group correctly — when it first joined, and the sync source
//! the tracker gave it (FastDFS keeps the same file, in the same ini form).
//! Its absence means "first start": the storage asks SYNC_DEST_REQ.

use std::path::{Path, PathBuf};

use fdfs_protocol::tracker::SyncReqBody;

/// The persisted join state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitFlag {
    /// Unix seconds of the first join.
    pub join_time: i64,
    /// The sync source handshake finished (SYNC_DEST_REQ answered).
    pub handshake_done: bool,
    /// The source that pushed the group's old files, if any.
    pub sync_source: Option<SyncReqBody>,
}

impl InitFlag {
    /// The file's path under `base`.
    pub fn path(base: &Path) -> PathBuf {
        base.join("data").join(".data_init_flag")
    }

    /// Loads the flag; `None` when the storage never completed a join.
    pub fn load(base: &Path) -> std::io::Result<Option<Self>> {
        let text = match std::fs::read_to_string(Self::path(base)) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut flag = Self::default();
        let mut src = String::new();
        let mut until = 0;
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else { continue };
            let value = value.trim();
            match key.trim() {
                "storage_join_time" => flag.join_time = value.parse().unwrap_or(0),
                "sync_old_done" => flag.handshake_done = value == "1",
                "sync_src_server" => src = value.to_string(),
                "sync_until_timestamp" => until = value.parse().unwrap_or(0),
                _ => {}
            }
        }
        if !src.is_empty() {
            flag.sync_source = Some(SyncReqBody { src_id: src, until_timestamp: until });
        }
        Ok(Some(flag))
    }

    /// Saves the flag crash-safely (temp file, fsync, rename, fsync dir).
    pub fn save(&self, base: &Path) -> std::io::Result<()> {
        let path = Self::path(base);
        let dir = path.parent().unwrap_or(base).to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let (src, until) = match &self.sync_source {
            Some(s) => (s.src_id.as_str(), s.until_timestamp),
            None => ("", 0),
        };
        let text = format!(
            "storage_join_time={}\nsync_old_done={}\nsync_src_server={src}\nsync_until_timestamp={until}\n",
            self.join_time,
            u8::from(self.handshake_done),
        );
        let tmp = dir.join(".data_init_flag.tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_absent_means_first_start() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(InitFlag::load(dir.path()).unwrap(), None);
        let flag = InitFlag {
            join_time: 1_795_682_911,
            handshake_done: true,
            sync_source: Some(SyncReqBody { src_id: "127.0.0.2".into(), until_timestamp: 42 }),
        };
        flag.save(dir.path()).unwrap();
        assert_eq!(InitFlag::load(dir.path()).unwrap(), Some(flag));
    }
}
