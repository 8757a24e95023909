//! Where a new file goes and what it is called: store path, `HH/LL`
//! subdirectory and generated name (`fastdfs-protocol.md` §7).
//!
//! Store path for "any" ([`ANY_STORE_PATH`]): round robin over the paths
//! that keep their reserve, or the one with the most free space. Subdirectory:
//! round robin (`rotate_count` files per `HH/LL`, then the next, `LL` first,
//! wrapping) or the PJW hash of the name's base64 part. The round-robin
//! position is global to the storage, as in FastDFS, and can be saved and
//! restored ([`Store::rotation`], [`Store::set_rotation`]) so a restart
//! continues where it left off.

use std::sync::atomic::Ordering;

use fdfs_protocol::consts::FILENAME_BASE64_LENGTH;
use fdfs_protocol::file_id::LogicName;
use fdfs_protocol::filename::{NewName, pjw_hash_subdir};
use fdfs_protocol::storage::ANY_STORE_PATH;

use crate::store::config::{DistributeMode, StorePathMode};
use crate::store::error::{StoreError, StoreResult};
use crate::store::fsops;
use crate::store::space::DiskSpace;
use crate::store::{Store, StoreConfig};

/// The round-robin subdirectory position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rotation {
    /// The current `HH`.
    pub high: u8,
    /// The current `LL`.
    pub low: u8,
    /// Files already written into `HH/LL`.
    pub count: u32,
}

impl Rotation {
    /// The subdirectory for the next file, advancing the position.
    pub fn advance(&mut self, subdir_count: u16, rotate_count: u32) -> (u8, u8) {
        let count = subdir_count.clamp(1, 256);
        if u16::from(self.high) >= count || u16::from(self.low) >= count {
            *self = Self::default();
        }
        let here = (self.high, self.low);
        self.count += 1;
        if self.count >= rotate_count.max(1) {
            self.count = 0;
            if u16::from(self.low) + 1 < count {
                self.low += 1;
            } else {
                self.low = 0;
                self.high = if u16::from(self.high) + 1 < count { self.high + 1 } else { 0 };
            }
        }
        here
    }
}

impl Store {
    /// The round-robin position (to persist across restarts).
    pub fn rotation(&self) -> Rotation {
        *self.rotation.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Restores a saved round-robin position.
    pub fn set_rotation(&self, rotation: Rotation) {
        *self.rotation.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = rotation;
    }

    /// The space of store path `index`.
    pub async fn disk_space(&self, index: u8) -> StoreResult<DiskSpace> {
        let root = self.paths.root(index)?.to_path_buf();
        fsops::blocking(move || DiskSpace::of(&root)).await
    }

    /// The space of every store path, `M00` first.
    pub async fn disk_spaces(&self) -> StoreResult<Vec<DiskSpace>> {
        let paths = self.paths.clone();
        fsops::blocking(move || {
            (0..paths.len()).map(|i| DiskSpace::of(paths.root(i as u8)?)).collect()
        })
        .await
    }

    /// `ENOSPC` unless store path `index` keeps its reserve after `bytes`
    /// more. Call it before reading the bytes.
    pub async fn check_space(&self, index: u8, bytes: u64) -> StoreResult<()> {
        let space = self.disk_space(index).await?;
        if space.allows(bytes, self.config.reserved, self.paths.len()) {
            Ok(())
        } else {
            Err(StoreError::NoSpace { store_path: index, bytes })
        }
    }

    /// The store path for an upload of `bytes`: `requested` itself (checked
    /// against the count and the reserve), or for [`ANY_STORE_PATH`] one
    /// chosen by [`StoreConfig::store_path_mode`] among those with space.
    pub async fn pick_store_path(&self, requested: u8, bytes: u64) -> StoreResult<u8> {
        if requested != ANY_STORE_PATH {
            self.paths.root(requested)?;
            self.check_space(requested, bytes).await?;
            return Ok(requested);
        }
        let spaces = self.disk_spaces().await?;
        let count = spaces.len();
        let fits = |i: usize| spaces[i].allows(bytes, self.config.reserved, count);
        let chosen = match self.config.store_path_mode {
            StorePathMode::RoundRobin => {
                let start = self.next_path.fetch_add(1, Ordering::Relaxed) % count;
                (0..count).map(|k| (start + k) % count).find(|&i| fits(i))
            }
            StorePathMode::MostFree => {
                (0..count).filter(|&i| fits(i)).max_by_key(|&i| spaces[i].free_bytes)
            }
        };
        chosen.map(|i| i as u8).ok_or(StoreError::NoSpace { store_path: ANY_STORE_PATH, bytes })
    }

    /// The `HH/LL` of a new file whose name starts with `base64`.
    pub(crate) fn pick_subdir(&self, base64: &str) -> (u8, u8) {
        let config: &StoreConfig = &self.config;
        match config.distribute_mode {
            DistributeMode::Hash => pjw_hash_subdir(base64, config.subdir_count),
            DistributeMode::RoundRobin => self
                .rotation
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .advance(config.subdir_count, config.rotate_count),
        }
    }

    /// A fresh logic filename in store path `index` for `spec`, with new
    /// random parts each call. `keep` fixes the subdirectory and the
    /// extension part (a regenerated appender name keeps both); otherwise
    /// the subdirectory is chosen by the distribute mode.
    pub(crate) fn new_logic_name(
        &self,
        index: u8,
        spec: &NewName<'_>,
        keep: Option<(&LogicName, &str)>,
    ) -> StoreResult<LogicName> {
        let generated = spec.generate(&mut rand::rng())?;
        let base64_len = FILENAME_BASE64_LENGTH;
        let (high, low, name) = match keep {
            Some((old, tail)) => {
                (old.dir_high(), old.dir_low(), format!("{}{tail}", &generated[..base64_len]))
            }
            None => {
                let (high, low) = self.pick_subdir(&generated[..base64_len]);
                (high, low, generated)
            }
        };
        Ok(LogicName::new(index, high, low, &name)?)
    }
}

#[cfg(test)]
mod tests {
    use super::Rotation;

    #[test]
    fn rotates_after_rotate_count() {
        let mut r = Rotation::default();
        let seen: Vec<_> = (0..7).map(|_| r.advance(2, 2)).collect();
        assert_eq!(seen, [(0, 0), (0, 0), (0, 1), (0, 1), (1, 0), (1, 0), (1, 1)]);
        r.advance(2, 2);
        assert_eq!(r.advance(2, 2), (0, 0), "wraps");
    }

    #[test]
    fn full_fan_out_wraps() {
        let mut r = Rotation { high: 255, low: 255, count: 0 };
        assert_eq!(r.advance(256, 1), (255, 255));
        assert_eq!(r.advance(256, 1), (0, 0));
        // A restored position beyond a smaller fan-out starts over.
        let mut r = Rotation { high: 9, low: 0, count: 5 };
        assert_eq!(r.advance(4, 100), (0, 0));
    }
}
