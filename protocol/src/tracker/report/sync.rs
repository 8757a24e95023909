//! Storage status and sync coordination: who pushes old files to a new
//! member (87, 79, 88, 86), status reports about peers (76, 85, 59, 71), the
//! IP-change log (77, 78).

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{
    GROUP_NAME_MAX_LEN, IP_ADDRESS_SIZE, MAX_SERVERS_EACH_GROUP, STORAGE_ID_MAX_SIZE,
};
use crate::error::DecodeError;
use crate::message::{Decode, Empty, Encode, Raw};
use crate::wire::{PutExt, Reader};

use super::startup::{decode_group_addr, encode_group_addr};
use crate::tracker::records::{
    ServerAddr, StorageBrief, StorageStatus, SyncReqBody, SyncSource, bad_len, expect_len,
    read_group, validate_storage_id,
};

empty_request!(
    /// STORAGE_SYNC_DEST_REQ (87), first start only: asks for a sync source.
    /// Empty reply: nothing to sync (→ ONLINE); else the source and until
    /// time (→ WAIT_SYNC). ENOENT: no source is ready yet, join again.
    SyncDestReq = cmd::STORAGE_SYNC_DEST_REQ => SyncSource
);

empty_request!(
    /// STORAGE_SYNC_DEST_QUERY (79): asks again for this storage's source.
    SyncDestQuery = cmd::STORAGE_SYNC_DEST_QUERY => SyncSource
);

/// STORAGE_SYNC_NOTIFY (88): the source and until time the storage adopted
/// (empty `src_id` → the tracker sets it ONLINE).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncNotify(pub SyncReqBody);

impl Encode for SyncNotify {
    fn encode(&self, buf: &mut BytesMut) {
        self.0.encode(buf);
    }
}

impl Decode for SyncNotify {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        SyncReqBody::decode(body).map(Self)
    }
}

request!(SyncNotify = cmd::STORAGE_SYNC_NOTIFY => Empty);

/// STORAGE_SYNC_SRC_REQ (86): G16 + dest storage id 16. Asked by a source:
/// "should I push old files to this peer, and until when?"
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSrcReq {
    pub group: String,
    pub dest_id: String,
}

impl Encode for SyncSrcReq {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
        buf.put_fixed_str(&self.dest_id, STORAGE_ID_MAX_SIZE);
    }
}

impl Decode for SyncSrcReq {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, GROUP_NAME_MAX_LEN + STORAGE_ID_MAX_SIZE, "sync src request")?;
        let mut r = Reader::new(body);
        let group = read_group(&mut r)?;
        let dest_id = r.fixed_str(STORAGE_ID_MAX_SIZE)?;
        validate_storage_id(&dest_id)?;
        Ok(Self { group, dest_id })
    }
}

request!(SyncSrcReq = cmd::STORAGE_SYNC_SRC_REQ => SyncSource);

/// STORAGE_REPORT_STATUS (76): G16 + the brief of a peer whose status the
/// sender sets (e.g. a sync destination → SYNCING, then OFFLINE). The
/// brief's port is 0 on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportStatus {
    pub group: String,
    pub storage: StorageBrief,
}

impl Encode for ReportStatus {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
        self.storage.encode(buf);
    }
}

impl Decode for ReportStatus {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, GROUP_NAME_MAX_LEN + StorageBrief::LEN, "report status request")?;
        let mut r = Reader::new(body);
        let group = read_group(&mut r)?;
        let storage = StorageBrief::read(&mut r)?;
        Ok(Self { group, storage })
    }
}

request!(ReportStatus = cmd::STORAGE_REPORT_STATUS => Empty);

/// STORAGE_CHANGE_STATUS (59): the sender's new status, 1 byte (ONLINE and
/// ACTIVE are stored as OFFLINE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeStatus {
    pub status: StorageStatus,
}

impl Encode for ChangeStatus {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.status.into());
    }
}

impl Decode for ChangeStatus {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        match *body {
            [status] => Ok(Self { status: status.into() }),
            _ => Err(bad_len(body, "change status request")),
        }
    }
}

request!(ChangeStatus = cmd::STORAGE_CHANGE_STATUS => Empty);

/// STORAGE_REPLICA_CHG (85): n × [`StorageBrief`] (n ≤ 32); non-leader
/// trackers adopt the list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplicaChg {
    pub storages: Vec<StorageBrief>,
}

impl Encode for ReplicaChg {
    fn encode(&self, buf: &mut BytesMut) {
        self.storages.iter().for_each(|s| s.encode(buf));
    }
}

impl Decode for ReplicaChg {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let storages = StorageBrief::read_list(body, MAX_SERVERS_EACH_GROUP, "replica change")?;
        Ok(Self { storages })
    }
}

request!(ReplicaChg = cmd::STORAGE_REPLICA_CHG => Empty);

/// STORAGE_CHANGELOG_REQ (77). The reply is the raw IP-change log since the
/// storage's last offset (empty when nothing is new).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ChangelogReq {
    /// On the reporter connection, after JOIN: empty body.
    #[default]
    Joined,
    /// On its own connection before JOIN: G16 + storage id 16 (ENOENT when
    /// the tracker does not know that storage).
    BeforeJoin { group: String, storage_id: String },
}

impl Encode for ChangelogReq {
    fn encode(&self, buf: &mut BytesMut) {
        if let Self::BeforeJoin { group, storage_id } = self {
            buf.put_fixed_str(group, GROUP_NAME_MAX_LEN);
            buf.put_fixed_str(storage_id, STORAGE_ID_MAX_SIZE);
        }
    }
}

impl Decode for ChangelogReq {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        if body.is_empty() {
            return Ok(Self::Joined);
        }
        expect_len(body, GROUP_NAME_MAX_LEN + STORAGE_ID_MAX_SIZE, "changelog request")?;
        let mut r = Reader::new(body);
        let group = read_group(&mut r)?;
        let storage_id = r.fixed_str(STORAGE_ID_MAX_SIZE)?;
        validate_storage_id(&storage_id)?;
        Ok(Self::BeforeJoin { group, storage_id })
    }
}

request!(ChangelogReq = cmd::STORAGE_CHANGELOG_REQ => Raw);

/// STORAGE_REPORT_IP_CHANGED (78): G16 + old ip 46 + new ip 46. The new IP
/// must be the connection's peer address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportIpChanged {
    pub group: String,
    pub old_ip: String,
    pub new_ip: String,
}

impl Encode for ReportIpChanged {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
        buf.put_fixed_str(&self.old_ip, IP_ADDRESS_SIZE);
        buf.put_fixed_str(&self.new_ip, IP_ADDRESS_SIZE);
    }
}

impl Decode for ReportIpChanged {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, GROUP_NAME_MAX_LEN + 2 * IP_ADDRESS_SIZE, "report ip changed request")?;
        let mut r = Reader::new(body);
        let group = read_group(&mut r)?;
        let old_ip = r.fixed_str(IP_ADDRESS_SIZE)?;
        let new_ip = r.fixed_str(IP_ADDRESS_SIZE)?;
        if old_ip.is_empty() || new_ip.is_empty() {
            return Err(DecodeError::invalid("report ip changed", "empty IP"));
        }
        Ok(Self { group, old_ip, new_ip })
    }
}

request!(ReportIpChanged = cmd::STORAGE_REPORT_IP_CHANGED => Empty);

/// STORAGE_GET_STATUS (71): G16 + text `ip:port` of a storage; the reply is
/// its [`StorageBrief`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetStorageStatus {
    pub group: String,
    pub addr: ServerAddr,
}

impl Encode for GetStorageStatus {
    fn encode(&self, buf: &mut BytesMut) {
        encode_group_addr(buf, &self.group, &self.addr);
    }
}

impl Decode for GetStorageStatus {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (group, addr) = decode_group_addr(body, "get storage status request")?;
        Ok(Self { group, addr })
    }
}

request!(GetStorageStatus = cmd::STORAGE_GET_STATUS => StorageBrief);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Request;

    #[test]
    fn sync_dest_query_round_trip() {
        assert_eq!(SyncDestQuery::CMD, 79);
        assert_eq!(SyncDestQuery::decode(&SyncDestQuery.to_body()).unwrap(), SyncDestQuery);
        assert!(SyncDestQuery::decode(&[0]).is_err());
        let reply =
            SyncSource(Some(SyncReqBody { src_id: "127.0.0.2".into(), until_timestamp: 5 }));
        assert_eq!(SyncSource::decode(&reply.to_body()).unwrap(), reply);
    }

    #[test]
    fn change_status_round_trip() {
        assert_eq!(ChangeStatus::CMD, 59);
        let req = ChangeStatus { status: StorageStatus::Recovery };
        assert_eq!(req.to_body().as_ref(), &[9]);
        assert_eq!(ChangeStatus::decode(&req.to_body()).unwrap(), req);
        assert!(ChangeStatus::decode(&[]).is_err());
        assert!(ChangeStatus::decode(&[1, 2]).is_err());
    }

    #[test]
    fn report_ip_changed_round_trip() {
        assert_eq!(ReportIpChanged::CMD, 78);
        let req = ReportIpChanged {
            group: "group1".into(),
            old_ip: "10.0.0.1".into(),
            new_ip: "10.0.0.2".into(),
        };
        let body = req.to_body();
        assert_eq!(body.len(), 108);
        assert_eq!(ReportIpChanged::decode(&body).unwrap(), req);
        assert!(ReportIpChanged::decode(&body[..107]).is_err());
        let mut no_new = body.to_vec();
        no_new[62] = 0;
        assert!(ReportIpChanged::decode(&no_new).is_err());
    }

    #[test]
    fn get_storage_status_round_trip() {
        assert_eq!(GetStorageStatus::CMD, 71);
        let req =
            GetStorageStatus { group: "group1".into(), addr: ServerAddr::new("10.0.0.1", 23000) };
        assert_eq!(GetStorageStatus::decode(&req.to_body()).unwrap(), req);
        assert!(GetStorageStatus::decode(&[b'g'; 16]).is_err());
        let brief = StorageBrief {
            status: StorageStatus::Active,
            port: 23000,
            id: "10.0.0.1".into(),
            ip: "10.0.0.1".into(),
        };
        assert_eq!(StorageBrief::decode(&brief.to_body()).unwrap(), brief);
    }

    #[test]
    fn changelog_forms() {
        assert_eq!(ChangelogReq::decode(&[]).unwrap(), ChangelogReq::Joined);
        let before =
            ChangelogReq::BeforeJoin { group: "group1".into(), storage_id: "127.0.0.3".into() };
        assert_eq!(before.to_body().len(), 32);
        assert_eq!(ChangelogReq::decode(&before.to_body()).unwrap(), before);
        assert!(ChangelogReq::decode(&[0; 16]).is_err());
    }

    #[test]
    fn list_lengths() {
        assert!(ReplicaChg::decode(&[0; 66]).is_err());
        assert!(ReplicaChg::decode(&vec![0; 33 * 67]).is_err());
        assert!(SyncSrcReq::decode(&[0; 31]).is_err());
        assert!(ReportStatus::decode(&[0; 82]).is_err());
    }
}
