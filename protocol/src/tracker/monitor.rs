//! Monitoring and admin commands (§3.2): group and storage listings
//! (90–92), deleting storages and groups (93, 108), the trunk server (94),
//! the leader (95) and a tracker's own status (64).
//!
//! These are what `fdfs_monitor` and the client libraries speak. Listings use
//! the FastDFS 6.13.1+ record layouts (113-byte group, 487-byte storage).

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{
    GROUP_NAME_MAX_LEN, IP_ADDRESS_SIZE, IPV4_ADDRESS_SIZE, MAX_GROUPS, MAX_SERVERS_EACH_GROUP,
    STORAGE_ID_MAX_SIZE, VERSION_SIZE,
};
use crate::error::DecodeError;
use crate::message::{Decode, Empty, Encode, Text};
use crate::wire::{PutExt, Reader};

use super::records::{
    AddrText, StorageStatus, bad_len, expect_len, read_group, validate_storage_id,
};
use super::stat::StorageStatBuff;

/// Reads G16 + an optional storage id filling the rest of the body.
fn read_group_and_id(body: &[u8], what: &'static str) -> Result<(String, String), DecodeError> {
    if body.len() < GROUP_NAME_MAX_LEN || body.len() >= GROUP_NAME_MAX_LEN + STORAGE_ID_MAX_SIZE {
        return Err(bad_len(body, what));
    }
    let mut r = Reader::new(body);
    let group = read_group(&mut r)?;
    let id = r.rest_str()?;
    Ok((group, id))
}

empty_request!(
    /// SERVER_LIST_ALL_GROUPS (91).
    ListAllGroups = cmd::SERVER_LIST_ALL_GROUPS => GroupStats
);

group_request!(
    /// SERVER_LIST_ONE_GROUP (90).
    ListOneGroup = cmd::SERVER_LIST_ONE_GROUP => GroupStat
);

/// `TrackerGroupStat` (113 bytes): a group's capacity and membership.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupStat {
    /// 17-byte field (16 + NUL).
    pub group_name: String,
    pub total_mb: i64,
    /// The minimum free space of the group's storages.
    pub free_mb: i64,
    pub reserved_mb: i64,
    pub trunk_free_mb: i64,
    pub storage_count: i64,
    pub storage_port: i64,
    pub readable_server_count: i64,
    pub writable_server_count: i64,
    pub current_write_server: i64,
    pub store_path_count: i64,
    pub subdir_count_per_path: i64,
    /// −1 when trunk files are off.
    pub current_trunk_file_id: i64,
}

impl GroupStat {
    /// Encoded size.
    pub const LEN: usize = GROUP_NAME_MAX_LEN + 1 + 12 * 8;

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            group_name: r.fixed_str(GROUP_NAME_MAX_LEN + 1)?,
            total_mb: r.i64()?,
            free_mb: r.i64()?,
            reserved_mb: r.i64()?,
            trunk_free_mb: r.i64()?,
            storage_count: r.i64()?,
            storage_port: r.i64()?,
            readable_server_count: r.i64()?,
            writable_server_count: r.i64()?,
            current_write_server: r.i64()?,
            store_path_count: r.i64()?,
            subdir_count_per_path: r.i64()?,
            current_trunk_file_id: r.i64()?,
        })
    }
}

impl Encode for GroupStat {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group_name, GROUP_NAME_MAX_LEN + 1);
        for v in [
            self.total_mb,
            self.free_mb,
            self.reserved_mb,
            self.trunk_free_mb,
            self.storage_count,
            self.storage_port,
            self.readable_server_count,
            self.writable_server_count,
            self.current_write_server,
            self.store_path_count,
            self.subdir_count_per_path,
            self.current_trunk_file_id,
        ] {
            buf.put_i64(v);
        }
    }
}

impl Decode for GroupStat {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, Self::LEN, "group stat")?;
        let mut r = Reader::new(body);
        let s = Self::read(&mut r)?;
        r.finish()?;
        Ok(s)
    }
}

/// Reply to 91: n × [`GroupStat`], n ≤ 512 (empty when there are no groups).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupStats(pub Vec<GroupStat>);

impl Encode for GroupStats {
    fn encode(&self, buf: &mut BytesMut) {
        self.0.iter().for_each(|g| g.encode(buf));
    }
}

impl Decode for GroupStats {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        if !body.len().is_multiple_of(GroupStat::LEN) || body.len() / GroupStat::LEN > MAX_GROUPS {
            return Err(bad_len(body, "group stat list"));
        }
        let mut r = Reader::new(body);
        let mut out = Vec::with_capacity(body.len() / GroupStat::LEN);
        while r.remaining() > 0 {
            out.push(GroupStat::read(&mut r)?);
        }
        Ok(Self(out))
    }
}

/// SERVER_LIST_STORAGE (92): G16, optionally followed by one storage id
/// (no terminator, < 16 bytes) to list only that storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListStorage {
    pub group: String,
    pub storage_id: Option<String>,
}

impl Encode for ListStorage {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
        if let Some(id) = &self.storage_id {
            buf.extend_from_slice(id.as_bytes());
        }
    }
}

impl Decode for ListStorage {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (group, id) = read_group_and_id(body, "list storage request")?;
        let storage_id = if id.is_empty() {
            None
        } else {
            validate_storage_id(&id)?;
            Some(id)
        };
        Ok(Self { group, storage_id })
    }
}

request!(ListStorage = cmd::SERVER_LIST_STORAGE => StorageStats);

/// `TrackerStorageStat`: one storage as the tracker sees it — 487 bytes with
/// the IPv4 IP width (16), 517 with the IPv6 width (46).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorageStat {
    pub status: StorageStatus,
    /// `R_OK` (4) | `W_OK` (2).
    pub rw_mode: u8,
    pub id: String,
    pub ip: String,
    /// The storage it synced old files from; empty if none.
    pub src_id: String,
    pub version: String,
    pub join_time: i64,
    pub up_time: i64,
    pub total_mb: i64,
    pub free_mb: i64,
    pub reserved_mb: i64,
    pub upload_priority: i64,
    pub store_path_count: i64,
    pub subdir_count_per_path: i64,
    pub current_write_path: i64,
    pub storage_port: i64,
    pub stat: StorageStatBuff,
    pub if_trunk_server: bool,
}

impl StorageStat {
    /// Encoded size with the IPv4 IP width.
    pub const LEN: usize = Self::len_for(IPV4_ADDRESS_SIZE);
    /// Encoded size with the IPv6 IP width.
    pub const LEN_IPV6: usize = Self::len_for(IP_ADDRESS_SIZE);

    const fn len_for(ip_width: usize) -> usize {
        2 + STORAGE_ID_MAX_SIZE
            + ip_width
            + STORAGE_ID_MAX_SIZE
            + VERSION_SIZE
            + 10 * 8
            + StorageStatBuff::LEN
            + 1
    }

    fn read(r: &mut Reader<'_>, ip_width: usize) -> Result<Self, DecodeError> {
        Ok(Self {
            status: StorageStatus::from(r.u8()?),
            rw_mode: r.u8()?,
            id: r.fixed_str(STORAGE_ID_MAX_SIZE)?,
            ip: r.fixed_str(ip_width)?,
            src_id: r.fixed_str(STORAGE_ID_MAX_SIZE)?,
            version: r.fixed_str(VERSION_SIZE)?,
            join_time: r.i64()?,
            up_time: r.i64()?,
            total_mb: r.i64()?,
            free_mb: r.i64()?,
            reserved_mb: r.i64()?,
            upload_priority: r.i64()?,
            store_path_count: r.i64()?,
            subdir_count_per_path: r.i64()?,
            current_write_path: r.i64()?,
            storage_port: r.i64()?,
            stat: StorageStatBuff::read(r)?,
            if_trunk_server: r.u8()? != 0,
        })
    }

    fn write(&self, buf: &mut BytesMut, ip_width: usize) {
        buf.put_u8(self.status.into());
        buf.put_u8(self.rw_mode);
        buf.put_fixed_str(&self.id, STORAGE_ID_MAX_SIZE);
        buf.put_fixed_str(&self.ip, ip_width);
        buf.put_fixed_str(&self.src_id, STORAGE_ID_MAX_SIZE);
        buf.put_fixed_str(&self.version, VERSION_SIZE);
        for v in [
            self.join_time,
            self.up_time,
            self.total_mb,
            self.free_mb,
            self.reserved_mb,
            self.upload_priority,
            self.store_path_count,
            self.subdir_count_per_path,
            self.current_write_path,
            self.storage_port,
        ] {
            buf.put_i64(v);
        }
        self.stat.encode(buf);
        buf.put_u8(u8::from(self.if_trunk_server));
    }
}

/// Reply to 92: n × [`StorageStat`], n ≤ 32. Encoded with the IPv4 width
/// unless some IP needs more than 15 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorageStats(pub Vec<StorageStat>);

impl Encode for StorageStats {
    fn encode(&self, buf: &mut BytesMut) {
        let width = if self.0.iter().all(|s| s.ip.len() < IPV4_ADDRESS_SIZE) {
            IPV4_ADDRESS_SIZE
        } else {
            IP_ADDRESS_SIZE
        };
        self.0.iter().for_each(|s| s.write(buf, width));
    }
}

impl Decode for StorageStats {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (width, record) = if body.len().is_multiple_of(StorageStat::LEN) {
            (IPV4_ADDRESS_SIZE, StorageStat::LEN)
        } else if body.len().is_multiple_of(StorageStat::LEN_IPV6) {
            (IP_ADDRESS_SIZE, StorageStat::LEN_IPV6)
        } else {
            return Err(bad_len(body, "storage stat list"));
        };
        if body.len() / record > MAX_SERVERS_EACH_GROUP {
            return Err(bad_len(body, "storage stat list"));
        }
        let mut r = Reader::new(body);
        let mut out = Vec::with_capacity(body.len() / record);
        while r.remaining() > 0 {
            out.push(StorageStat::read(&mut r, width)?);
        }
        Ok(Self(out))
    }
}

/// SERVER_DELETE_STORAGE (93): G16 + storage id (no terminator). The storage
/// must be offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteStorage {
    pub group: String,
    pub storage_id: String,
}

impl Encode for DeleteStorage {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
        buf.extend_from_slice(self.storage_id.as_bytes());
    }
}

impl Decode for DeleteStorage {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (group, storage_id) = read_group_and_id(body, "delete storage request")?;
        validate_storage_id(&storage_id)?;
        Ok(Self { group, storage_id })
    }
}

request!(DeleteStorage = cmd::SERVER_DELETE_STORAGE => Empty);

group_request!(
    /// SERVER_DELETE_GROUP (108): removes an empty group.
    DeleteGroup = cmd::SERVER_DELETE_GROUP => Empty
);

/// SERVER_SET_TRUNK_SERVER (94): G16, optionally + the id of the storage to
/// make trunk server. The reply is the id now in charge, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetTrunkServer {
    pub group: String,
    pub storage_id: Option<String>,
}

impl Encode for SetTrunkServer {
    fn encode(&self, buf: &mut BytesMut) {
        ListStorage { group: self.group.clone(), storage_id: self.storage_id.clone() }.encode(buf);
    }
}

impl Decode for SetTrunkServer {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let ListStorage { group, storage_id } = ListStorage::decode(body)?;
        Ok(Self { group, storage_id })
    }
}

request!(SetTrunkServer = cmd::SERVER_SET_TRUNK_SERVER => Text);

empty_request!(
    /// SERVER_GET_LEADER (95): the leader tracker as text `ip:port`; ENOENT
    /// while there is none.
    GetLeader = cmd::SERVER_GET_LEADER => AddrText
);

empty_request!(
    /// TRACKER_GET_STATUS (64): asked by trackers during leader election.
    TrackerGetStatus = cmd::TRACKER_GET_STATUS => TrackerStatus
);

/// Reply to 64 (17 bytes): is_leader 1 + running_time 8B + restart_interval 8B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackerStatus {
    pub is_leader: bool,
    /// Seconds.
    pub running_time: i64,
    /// Seconds.
    pub restart_interval: i64,
}

impl TrackerStatus {
    /// Encoded size.
    pub const LEN: usize = 17;
}

impl Encode for TrackerStatus {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(u8::from(self.is_leader));
        buf.put_i64(self.running_time);
        buf.put_i64(self.restart_interval);
    }
}

impl Decode for TrackerStatus {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, Self::LEN, "tracker status")?;
        let mut r = Reader::new(body);
        let s =
            Self { is_leader: r.u8()? != 0, running_time: r.i64()?, restart_interval: r.i64()? };
        r.finish()?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Request;

    fn group_body(group: &str, id: &str) -> Vec<u8> {
        let mut b = BytesMut::new();
        b.put_fixed_str(group, 16);
        b.extend_from_slice(id.as_bytes());
        b.to_vec()
    }

    #[test]
    fn list_one_group_round_trip() {
        let req = ListOneGroup { group: "group2".into() };
        assert_eq!(ListOneGroup::CMD, 90);
        assert_eq!(ListOneGroup::decode(&req.to_body()).unwrap(), req);
        assert!(ListOneGroup::decode(&[0; 17]).is_err());
        let stat = GroupStat { group_name: "group2".into(), total_mb: 9, ..Default::default() };
        let body = stat.to_body();
        assert_eq!(body.len(), 113);
        assert_eq!(GroupStat::decode(&body).unwrap(), stat);
        assert!(GroupStat::decode(&body[..112]).is_err());
    }

    #[test]
    fn delete_group_round_trip() {
        let req = DeleteGroup { group: "group9".into() };
        assert_eq!(DeleteGroup::CMD, 108);
        assert_eq!(DeleteGroup::decode(&req.to_body()).unwrap(), req);
        assert!(DeleteGroup::decode(&group_body("group9", "x")).is_err());
        assert!(DeleteGroup::decode(&group_body("bad name", "")).is_err());
    }

    #[test]
    fn set_trunk_server_round_trip() {
        assert_eq!(SetTrunkServer::CMD, 94);
        for id in [None, Some("127.0.0.2".to_string())] {
            let req = SetTrunkServer { group: "group1".into(), storage_id: id };
            assert_eq!(SetTrunkServer::decode(&req.to_body()).unwrap(), req);
        }
        assert!(SetTrunkServer::decode(&group_body("group1", "0123456789abcdef")).is_err());
        assert!(SetTrunkServer::decode(&[0; 15]).is_err());
        assert_eq!(Text::decode(b"127.0.0.2").unwrap().0, "127.0.0.2");
    }

    #[test]
    fn delete_storage_needs_an_id() {
        assert!(DeleteStorage::decode(&group_body("group1", "")).is_err());
        let req = DeleteStorage { group: "group1".into(), storage_id: "127.0.0.5".into() };
        assert_eq!(DeleteStorage::decode(&req.to_body()).unwrap(), req);
    }

    #[test]
    fn storage_stat_widths() {
        assert_eq!(StorageStat::LEN, 487);
        assert_eq!(StorageStat::LEN_IPV6, 517);
        let v4 = StorageStat { ip: "127.0.0.2".into(), ..Default::default() };
        let v6 = StorageStat { ip: "fd00::1234:5678:9abc:def0".into(), ..Default::default() };
        let one = StorageStats(vec![v4.clone()]);
        assert_eq!(one.to_body().len(), 487);
        let both = StorageStats(vec![v4, v6]);
        assert_eq!(both.to_body().len(), 2 * 517);
        assert_eq!(StorageStats::decode(&both.to_body()).unwrap(), both);
        assert!(StorageStats::decode(&[0; 488]).is_err());
        assert!(StorageStats::decode(&vec![0; 33 * 487]).is_err());
    }

    #[test]
    fn tracker_status_length() {
        let s = TrackerStatus { is_leader: true, running_time: 5, restart_interval: 6 };
        assert_eq!(TrackerStatus::decode(&s.to_body()).unwrap(), s);
        assert!(TrackerStatus::decode(&[0; 16]).is_err());
    }
}
