//! Cluster listings new in FastDFS 6.15.5/6.16 (§3.2, cmds 96–98): every
//! tracker, every storage, and every group's volume, each behind a small
//! filter (`fdfs_tracker_stat`, `fdfs_storage_stat`, `fdfs_volumn_stat`).
//!
//! FastDFS does not clear the padding of fixed-width strings in these replies
//! (bytes after the NUL can be stale); decoders read up to the first NUL and
//! encoders pad with zeros.

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{
    GROUP_NAME_MAX_LEN, MAX_GROUPS, MAX_SERVERS_EACH_GROUP, MAX_TRACKERS, STORAGE_ID_MAX_SIZE,
    VERSION_SIZE,
};
use crate::error::DecodeError;
use crate::message::{Decode, Encode};
use crate::wire::{PutExt, Reader};

use super::records::{StorageStatus, bad_len};
use super::stat::ConnStats;

/// Width of the `host` fields (`ip:port` text).
const HOST_SIZE: usize = 52;

/// SERVER_TRACKER_CLUSTER_STAT (96) filter, 3 bytes. Zeros list everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackerClusterStatReq {
    pub filter_by: u8,
    pub is_active: u8,
    pub is_leader: u8,
}

impl Encode for TrackerClusterStatReq {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&[self.filter_by, self.is_active, self.is_leader]);
    }
}

impl Decode for TrackerClusterStatReq {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        match *body {
            [filter_by, is_active, is_leader] => Ok(Self { filter_by, is_active, is_leader }),
            _ => Err(bad_len(body, "tracker cluster stat request")),
        }
    }
}

request!(TrackerClusterStatReq = cmd::SERVER_TRACKER_CLUSTER_STAT => TrackerClusterStat);

/// One tracker in a 96 reply (90 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrackerClusterEntry {
    /// `ip:port`.
    pub host: String,
    pub is_leader: bool,
    pub is_active: bool,
    pub conn: ConnStats,
    pub version: String,
    pub up_time: i64,
    pub last_heartbeat_time: i64,
}

impl TrackerClusterEntry {
    /// Encoded size.
    pub const LEN: usize = HOST_SIZE + 2 + ConnStats::LEN + VERSION_SIZE + 16;

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            host: r.fixed_str(HOST_SIZE)?,
            is_leader: r.u8()? != 0,
            is_active: r.u8()? != 0,
            conn: ConnStats::read(r)?,
            version: r.fixed_str(VERSION_SIZE)?,
            up_time: r.i64()?,
            last_heartbeat_time: r.i64()?,
        })
    }
}

impl Encode for TrackerClusterEntry {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.host, HOST_SIZE);
        buf.put_u8(u8::from(self.is_leader));
        buf.put_u8(u8::from(self.is_active));
        self.conn.encode(buf);
        buf.put_fixed_str(&self.version, VERSION_SIZE);
        buf.put_i64(self.up_time);
        buf.put_i64(self.last_heartbeat_time);
    }
}

/// Reply to 96: count 1 + count × [`TrackerClusterEntry`], count ≤ 16.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrackerClusterStat(pub Vec<TrackerClusterEntry>);

impl Encode for TrackerClusterStat {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.0.len().min(MAX_TRACKERS) as u8);
        self.0.iter().take(MAX_TRACKERS).for_each(|t| t.encode(buf));
    }
}

impl Decode for TrackerClusterStat {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let count = usize::from(r.u8()?);
        if count > MAX_TRACKERS || r.remaining() != count * TrackerClusterEntry::LEN {
            return Err(bad_len(body, "tracker cluster stat"));
        }
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            out.push(TrackerClusterEntry::read(&mut r)?);
        }
        r.finish()?;
        Ok(Self(out))
    }
}

/// SERVER_STORAGE_CLUSTER_STAT (97) filter, 4 bytes. Zeros list everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StorageClusterStatReq {
    pub filter_by: u8,
    pub op_type: u8,
    pub status: u8,
    pub is_trunk_server: u8,
}

impl Encode for StorageClusterStatReq {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&[self.filter_by, self.op_type, self.status, self.is_trunk_server]);
    }
}

impl Decode for StorageClusterStatReq {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        match *body {
            [filter_by, op_type, status, is_trunk_server] => {
                Ok(Self { filter_by, op_type, status, is_trunk_server })
            }
            _ => Err(bad_len(body, "storage cluster stat request")),
        }
    }
}

request!(StorageClusterStatReq = cmd::SERVER_STORAGE_CLUSTER_STAT => StorageClusterStat);

/// One storage in a 97 reply (106 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorageClusterEntry {
    pub id: String,
    /// `ip:port`.
    pub host: String,
    pub is_trunk_server: bool,
    pub status: StorageStatus,
    pub conn: ConnStats,
    pub version: String,
    pub up_time: i64,
    pub last_heartbeat_time: i64,
}

impl StorageClusterEntry {
    /// Encoded size.
    pub const LEN: usize = STORAGE_ID_MAX_SIZE + HOST_SIZE + 2 + ConnStats::LEN + VERSION_SIZE + 16;

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            id: r.fixed_str(STORAGE_ID_MAX_SIZE)?,
            host: r.fixed_str(HOST_SIZE)?,
            is_trunk_server: r.u8()? != 0,
            status: StorageStatus::from(r.u8()?),
            conn: ConnStats::read(r)?,
            version: r.fixed_str(VERSION_SIZE)?,
            up_time: r.i64()?,
            last_heartbeat_time: r.i64()?,
        })
    }
}

impl Encode for StorageClusterEntry {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.id, STORAGE_ID_MAX_SIZE);
        buf.put_fixed_str(&self.host, HOST_SIZE);
        buf.put_u8(u8::from(self.is_trunk_server));
        buf.put_u8(self.status.into());
        self.conn.encode(buf);
        buf.put_fixed_str(&self.version, VERSION_SIZE);
        buf.put_i64(self.up_time);
        buf.put_i64(self.last_heartbeat_time);
    }
}

/// Reply to 97: use_storage_id 1 + use_trunk_file 1 + count 4B + count ×
/// [`StorageClusterEntry`], count ≤ 512 × 32.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorageClusterStat {
    pub use_storage_id: bool,
    pub use_trunk_file: bool,
    pub storages: Vec<StorageClusterEntry>,
}

impl Encode for StorageClusterStat {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(u8::from(self.use_storage_id));
        buf.put_u8(u8::from(self.use_trunk_file));
        buf.put_i32(i32::try_from(self.storages.len()).unwrap_or(i32::MAX));
        self.storages.iter().for_each(|s| s.encode(buf));
    }
}

impl Decode for StorageClusterStat {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let use_storage_id = r.u8()? != 0;
        let use_trunk_file = r.u8()? != 0;
        let count = usize::try_from(r.i32()?).map_err(|_| bad_len(body, "storage cluster stat"))?;
        if count > MAX_GROUPS * MAX_SERVERS_EACH_GROUP
            || r.remaining() != count * StorageClusterEntry::LEN
        {
            return Err(bad_len(body, "storage cluster stat"));
        }
        let mut storages = Vec::with_capacity(count);
        for _ in 0..count {
            storages.push(StorageClusterEntry::read(&mut r)?);
        }
        r.finish()?;
        Ok(Self { use_storage_id, use_trunk_file, storages })
    }
}

/// SERVER_STORAGE_VOLUMN_STAT (98) filter, 4 bytes. Zeros list everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VolumeStatReq {
    pub filter_by: u8,
    pub is_disk_available: u8,
    pub is_trunk_available: u8,
    pub is_space_available: u8,
}

impl Encode for VolumeStatReq {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_slice(&[
            self.filter_by,
            self.is_disk_available,
            self.is_trunk_available,
            self.is_space_available,
        ]);
    }
}

impl Decode for VolumeStatReq {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        match *body {
            [filter_by, is_disk_available, is_trunk_available, is_space_available] => {
                Ok(Self { filter_by, is_disk_available, is_trunk_available, is_space_available })
            }
            _ => Err(bad_len(body, "volume stat request")),
        }
    }
}

request!(VolumeStatReq = cmd::SERVER_STORAGE_VOLUMN_STAT => VolumeStat);

/// One group's volume in a 98 reply (59 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeEntry {
    /// 17-byte field.
    pub group_name: String,
    pub total_mb: i64,
    pub free_mb: i64,
    pub reserved_mb: i64,
    /// Free space above the reserve.
    pub avail_mb: i64,
    pub trunk_free_mb: i64,
    pub is_disk_available: bool,
    pub is_trunk_available: bool,
}

impl VolumeEntry {
    /// Encoded size.
    pub const LEN: usize = GROUP_NAME_MAX_LEN + 1 + 5 * 8 + 2;

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            group_name: r.fixed_str(GROUP_NAME_MAX_LEN + 1)?,
            total_mb: r.i64()?,
            free_mb: r.i64()?,
            reserved_mb: r.i64()?,
            avail_mb: r.i64()?,
            trunk_free_mb: r.i64()?,
            is_disk_available: r.u8()? != 0,
            is_trunk_available: r.u8()? != 0,
        })
    }
}

impl Encode for VolumeEntry {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group_name, GROUP_NAME_MAX_LEN + 1);
        for v in [self.total_mb, self.free_mb, self.reserved_mb, self.avail_mb, self.trunk_free_mb]
        {
            buf.put_i64(v);
        }
        buf.put_u8(u8::from(self.is_disk_available));
        buf.put_u8(u8::from(self.is_trunk_available));
    }
}

/// Reply to 98: use_trunk_file 1 + count 4B + count × [`VolumeEntry`],
/// count ≤ 512.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeStat {
    pub use_trunk_file: bool,
    pub volumes: Vec<VolumeEntry>,
}

impl Encode for VolumeStat {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(u8::from(self.use_trunk_file));
        buf.put_i32(i32::try_from(self.volumes.len()).unwrap_or(i32::MAX));
        self.volumes.iter().for_each(|v| v.encode(buf));
    }
}

impl Decode for VolumeStat {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let use_trunk_file = r.u8()? != 0;
        let count = usize::try_from(r.i32()?).map_err(|_| bad_len(body, "volume stat"))?;
        if count > MAX_GROUPS || r.remaining() != count * VolumeEntry::LEN {
            return Err(bad_len(body, "volume stat"));
        }
        let mut volumes = Vec::with_capacity(count);
        for _ in 0..count {
            volumes.push(VolumeEntry::read(&mut r)?);
        }
        r.finish()?;
        Ok(Self { use_trunk_file, volumes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_sizes() {
        assert_eq!(TrackerClusterEntry::LEN, 90);
        assert_eq!(StorageClusterEntry::LEN, 106);
        assert_eq!(VolumeEntry::LEN, 59);
        assert_eq!(TrackerClusterStatReq::default().to_body().len(), 3);
        assert_eq!(StorageClusterStatReq::default().to_body().len(), 4);
        assert_eq!(VolumeStatReq::default().to_body().len(), 4);
    }

    #[test]
    fn counts_must_match_lengths() {
        assert!(TrackerClusterStat::decode(&[]).is_err());
        assert_eq!(TrackerClusterStat::decode(&[0]).unwrap(), TrackerClusterStat(vec![]));
        assert!(TrackerClusterStat::decode(&[1; 90]).is_err());
        let mut huge = vec![0, 0, 0x7f, 0xff, 0xff, 0xff];
        assert!(StorageClusterStat::decode(&huge).is_err());
        huge[2] = 0xff;
        assert!(StorageClusterStat::decode(&huge).is_err(), "negative count");
        assert!(VolumeStat::decode(&[0, 0, 0, 0, 1]).is_err());
        assert!(VolumeStatReq::decode(&[0; 3]).is_err());
    }
}
