//! The reporting loop on a storage's reporter connection: heart beats (83),
//! disk usage (84) and sync progress (89), and the [`ChangeResponse`] a
//! tracker answers all three with — the way a storage learns about leader,
//! trunk server and group membership changes.

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{MAX_SERVERS_EACH_GROUP, STORAGE_ID_MAX_SIZE};
use crate::error::DecodeError;
use crate::message::{Decode, Encode};
use crate::wire::{PutExt, Reader};

use crate::tracker::records::{StorageBrief, bad_len};
use crate::tracker::stat::StorageStatBuff;

/// Most store paths a storage may have.
const MAX_STORE_PATHS: usize = 256;

/// STORAGE_BEAT (83): empty, or the 348-byte statistics when they changed
/// since the last beat.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Beat {
    pub stat: Option<StorageStatBuff>,
}

impl Encode for Beat {
    fn encode(&self, buf: &mut BytesMut) {
        if let Some(stat) = &self.stat {
            stat.encode(buf);
        }
    }
}

impl Decode for Beat {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        if body.is_empty() {
            Ok(Self { stat: None })
        } else {
            StorageStatBuff::decode(body).map(|s| Self { stat: Some(s) })
        }
    }
}

request!(Beat = cmd::STORAGE_BEAT => ChangeResponse);

/// Space of one store path, in MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PathUsage {
    pub total_mb: i64,
    pub free_mb: i64,
}

/// STORAGE_REPORT_DISK_USAGE (84): one [`PathUsage`] per store path (1..=256).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiskUsage {
    pub paths: Vec<PathUsage>,
}

impl Encode for DiskUsage {
    fn encode(&self, buf: &mut BytesMut) {
        for p in &self.paths {
            buf.put_i64(p.total_mb);
            buf.put_i64(p.free_mb);
        }
    }
}

impl Decode for DiskUsage {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let n = body.len() / 16;
        if !body.len().is_multiple_of(16) || !(1..=MAX_STORE_PATHS).contains(&n) {
            return Err(bad_len(body, "disk usage report"));
        }
        let mut r = Reader::new(body);
        let mut paths = Vec::with_capacity(n);
        for _ in 0..n {
            paths.push(PathUsage { total_mb: r.i64()?, free_mb: r.i64()? });
        }
        Ok(Self { paths })
    }
}

request!(DiskUsage = cmd::STORAGE_REPORT_DISK_USAGE => ChangeResponse);

/// How far a storage has received the files of one source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncTimestamp {
    pub src_id: String,
    /// Unix seconds, a **4-byte** field; 0 for the sender itself.
    pub timestamp: i32,
}

impl SyncTimestamp {
    /// Encoded size.
    pub const LEN: usize = STORAGE_ID_MAX_SIZE + 4;
}

/// STORAGE_SYNC_REPORT (89): one [`SyncTimestamp`] per group member (the
/// sender included), at most 32.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncReport {
    pub entries: Vec<SyncTimestamp>,
}

impl Encode for SyncReport {
    fn encode(&self, buf: &mut BytesMut) {
        for e in &self.entries {
            buf.put_fixed_str(&e.src_id, STORAGE_ID_MAX_SIZE);
            buf.put_i32(e.timestamp);
        }
    }
}

impl Decode for SyncReport {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let n = body.len() / SyncTimestamp::LEN;
        if !body.len().is_multiple_of(SyncTimestamp::LEN) || n > MAX_SERVERS_EACH_GROUP {
            return Err(bad_len(body, "sync report"));
        }
        let mut r = Reader::new(body);
        let mut entries = Vec::with_capacity(n);
        for _ in 0..n {
            entries.push(SyncTimestamp {
                src_id: r.fixed_str(STORAGE_ID_MAX_SIZE)?,
                timestamp: r.i32()?,
            });
        }
        Ok(Self { entries })
    }
}

request!(SyncReport = cmd::STORAGE_SYNC_REPORT => ChangeResponse);

/// The reply to 83/84/89: a flags byte, then in order the parts it announces.
/// Only a leader tracker fills it; others answer flags 0.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeResponse {
    /// Flag 1: the leader tracker, as a brief whose id and ip are the
    /// leader's address and port its port.
    pub leader: Option<StorageBrief>,
    /// Flag 2: the trunk server (zeroed brief if none).
    pub trunk_server: Option<StorageBrief>,
    /// Flag 4: every storage of the group, sorted by id.
    pub group_storages: Option<Vec<StorageBrief>>,
}

impl ChangeResponse {
    /// The leader changed.
    pub const LEADER_CHANGED: u8 = 1;
    /// The trunk server changed.
    pub const TRUNK_SERVER_CHANGED: u8 = 2;
    /// The group's storage list follows.
    pub const GROUP_CHANGED: u8 = 4;

    /// The flags byte for the parts present.
    pub fn flags(&self) -> u8 {
        let mut f = 0;
        if self.leader.is_some() {
            f |= Self::LEADER_CHANGED;
        }
        if self.trunk_server.is_some() {
            f |= Self::TRUNK_SERVER_CHANGED;
        }
        if self.group_storages.is_some() {
            f |= Self::GROUP_CHANGED;
        }
        f
    }
}

impl Encode for ChangeResponse {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.flags());
        for brief in self.leader.iter().chain(&self.trunk_server) {
            brief.encode(buf);
        }
        for brief in self.group_storages.iter().flatten() {
            brief.encode(buf);
        }
    }
}

impl Decode for ChangeResponse {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let flags = r.u8()?;
        let known = Self::LEADER_CHANGED | Self::TRUNK_SERVER_CHANGED | Self::GROUP_CHANGED;
        if flags & !known != 0 {
            return Err(DecodeError::invalid("change flags", format!("{flags:#x}")));
        }
        let leader = if flags & Self::LEADER_CHANGED != 0 {
            Some(StorageBrief::read(&mut r)?)
        } else {
            None
        };
        let trunk_server = if flags & Self::TRUNK_SERVER_CHANGED != 0 {
            Some(StorageBrief::read(&mut r)?)
        } else {
            None
        };
        let rest = r.rest();
        let group_storages = if flags & Self::GROUP_CHANGED != 0 {
            Some(StorageBrief::read_list(rest, MAX_SERVERS_EACH_GROUP, "change response")?)
        } else if rest.is_empty() {
            None
        } else {
            return Err(DecodeError::TrailingBytes { extra: rest.len() });
        };
        Ok(Self { leader, trunk_server, group_storages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::records::StorageStatus;

    fn brief(id: &str) -> StorageBrief {
        StorageBrief { status: StorageStatus::Active, port: 23000, id: id.into(), ip: id.into() }
    }

    #[test]
    fn change_response_parts() {
        assert_eq!(ChangeResponse::decode(&[0]).unwrap(), ChangeResponse::default());
        assert!(ChangeResponse::decode(&[]).is_err());
        assert!(ChangeResponse::decode(&[8]).is_err(), "unknown flag");
        assert!(ChangeResponse::decode(&[1]).is_err(), "leader brief missing");
        assert!(ChangeResponse::decode(&[0, 1]).is_err(), "trailing bytes");
        let all = ChangeResponse {
            leader: Some(brief("127.0.0.10")),
            trunk_server: Some(brief("")),
            group_storages: Some(vec![brief("a"), brief("b")]),
        };
        let body = all.to_body();
        assert_eq!(body[0], 7);
        assert_eq!(body.len(), 1 + 4 * 67);
        assert_eq!(ChangeResponse::decode(&body).unwrap(), all);
        assert!(ChangeResponse::decode(&body[..body.len() - 1]).is_err());
        let empty_group = ChangeResponse { group_storages: Some(vec![]), ..Default::default() };
        assert_eq!(ChangeResponse::decode(&[4]).unwrap(), empty_group);
    }

    #[test]
    fn report_lengths() {
        assert!(DiskUsage::decode(&[]).is_err());
        assert!(DiskUsage::decode(&[0; 17]).is_err());
        assert_eq!(DiskUsage::decode(&[0; 32]).unwrap().paths.len(), 2);
        assert!(SyncReport::decode(&[0; 21]).is_err());
        assert!(SyncReport::decode(&vec![0; 33 * 20]).is_err());
        assert!(Beat::decode(&[0; 347]).is_err());
        assert_eq!(Beat::decode(&[]).unwrap(), Beat::default());
    }
}
