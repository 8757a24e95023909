//! STORAGE_JOIN (81): the first request on a storage's long-lived reporter
//! connection. It tells the tracker who the storage is and which trackers it
//! knows; the reply gives the status the tracker holds for it.

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{
    GROUP_NAME_MAX_LEN, IP_ADDRESS_SIZE, MAX_TRACKERS, STORAGE_ID_MAX_SIZE, VERSION_SIZE,
};
use crate::error::DecodeError;
use crate::message::{Decode, Encode};
use crate::wire::{PutExt, Reader};

use crate::tracker::records::{
    ServerAddr, StorageStatus, bad_len, expect_len, port_from, validate_group_name,
};

/// Longest `host:port\n` line of the tracker list.
const MAX_TRACKER_LINE: usize = 100;
/// Most store paths and subdirectories per path.
const MAX_PATHS: i64 = 256;

/// STORAGE_JOIN request: `TrackerStorageJoinBody` (145 bytes) followed by
/// one `host:port\n` line per tracker the storage knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    /// 17-byte field.
    pub group: String,
    pub storage_port: u16,
    /// 1..=256.
    pub store_path_count: u16,
    /// 1..=256.
    pub subdir_count_per_path: u16,
    pub upload_priority: i64,
    pub join_time: i64,
    pub up_time: i64,
    pub version: String,
    /// Set on a storage's very first start.
    pub init_flag: bool,
    /// The status the storage last knew (a signed byte; −1 arrives as
    /// `Unknown(255)`).
    pub status: StorageStatus,
    /// Empty unless `use_storage_id`.
    pub storage_id: String,
    /// The address the storage used to reach this tracker.
    pub current_tracker_ip: String,
    /// 1..=16 trackers.
    pub trackers: Vec<ServerAddr>,
}

impl Join {
    /// Size of the fixed part.
    pub const FIXED_LEN: usize = GROUP_NAME_MAX_LEN
        + 1
        + 6 * 8
        + VERSION_SIZE
        + 2
        + STORAGE_ID_MAX_SIZE
        + IP_ADDRESS_SIZE
        + 8;
}

fn count_in(v: i64, max: i64, field: &'static str) -> Result<u16, DecodeError> {
    if (1..=max).contains(&v) {
        Ok(v as u16)
    } else {
        Err(DecodeError::invalid(field, format!("{v} not in 1..={max}")))
    }
}

impl Encode for Join {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN + 1);
        buf.put_i64(i64::from(self.storage_port));
        buf.put_i64(i64::from(self.store_path_count));
        buf.put_i64(i64::from(self.subdir_count_per_path));
        buf.put_i64(self.upload_priority);
        buf.put_i64(self.join_time);
        buf.put_i64(self.up_time);
        buf.put_fixed_str(&self.version, VERSION_SIZE);
        buf.put_u8(u8::from(self.init_flag));
        buf.put_u8(self.status.into());
        buf.put_fixed_str(&self.storage_id, STORAGE_ID_MAX_SIZE);
        buf.put_fixed_str(&self.current_tracker_ip, IP_ADDRESS_SIZE);
        buf.put_i64(self.trackers.len() as i64);
        for t in &self.trackers {
            buf.extend_from_slice(t.to_string().as_bytes());
            buf.put_u8(b'\n');
        }
    }
}

impl Decode for Join {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        if body.len() < Self::FIXED_LEN
            || body.len() > Self::FIXED_LEN + MAX_TRACKERS * MAX_TRACKER_LINE
        {
            return Err(bad_len(body, "join request"));
        }
        let mut r = Reader::new(body);
        let group = r.fixed_str(GROUP_NAME_MAX_LEN + 1)?;
        validate_group_name(&group)?;
        let storage_port = port_from(r.i64()?, "storage_port")?;
        let store_path_count = count_in(r.i64()?, MAX_PATHS, "store_path_count")?;
        let subdir_count_per_path = count_in(r.i64()?, MAX_PATHS, "subdir_count_per_path")?;
        let upload_priority = r.i64()?;
        let join_time = r.i64()?;
        let up_time = r.i64()?;
        let version = r.fixed_str(VERSION_SIZE)?;
        let init_flag = r.u8()? != 0;
        let status = StorageStatus::from(r.u8()?);
        let storage_id = r.fixed_str(STORAGE_ID_MAX_SIZE)?;
        let current_tracker_ip = r.fixed_str(IP_ADDRESS_SIZE)?;
        let tracker_count = count_in(r.i64()?, MAX_TRACKERS as i64, "tracker_count")?;
        let list = r.rest_str()?;
        let lines = list
            .strip_suffix('\n')
            .ok_or_else(|| DecodeError::invalid("tracker list", "no final newline"))?;
        let mut trackers = Vec::with_capacity(usize::from(tracker_count));
        for line in lines.split('\n') {
            if line.len() >= MAX_TRACKER_LINE {
                return Err(DecodeError::invalid("tracker list", "line too long"));
            }
            trackers.push(line.parse()?);
        }
        if trackers.len() != usize::from(tracker_count) {
            return Err(DecodeError::invalid(
                "tracker list",
                format!("{tracker_count} announced, {} lines", trackers.len()),
            ));
        }
        Ok(Self {
            group,
            storage_port,
            store_path_count,
            subdir_count_per_path,
            upload_priority,
            join_time,
            up_time,
            version,
            init_flag,
            status,
            storage_id,
            current_tracker_ip,
            trackers,
        })
    }
}

request!(Join = cmd::STORAGE_JOIN => JoinResponse);

/// Reply to 81 (17 bytes): the status the tracker holds for the storage, and
/// the storage it syncs old files from (empty if none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JoinResponse {
    pub my_status: StorageStatus,
    pub src_id: String,
}

impl JoinResponse {
    /// Encoded size.
    pub const LEN: usize = 1 + STORAGE_ID_MAX_SIZE;
}

impl Encode for JoinResponse {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.my_status.into());
        buf.put_fixed_str(&self.src_id, STORAGE_ID_MAX_SIZE);
    }
}

impl Decode for JoinResponse {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, Self::LEN, "join reply")?;
        let mut r = Reader::new(body);
        let my_status = StorageStatus::from(r.u8()?);
        let src_id = r.fixed_str(STORAGE_ID_MAX_SIZE)?;
        r.finish()?;
        Ok(Self { my_status, src_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join() -> Join {
        Join {
            group: "group1".into(),
            storage_port: 23000,
            store_path_count: 1,
            subdir_count_per_path: 256,
            upload_priority: 10,
            join_time: 1,
            up_time: 2,
            version: "6.16.1".into(),
            init_flag: true,
            status: StorageStatus::Unknown(255),
            storage_id: String::new(),
            current_tracker_ip: "127.0.0.10".into(),
            trackers: vec![ServerAddr::new("127.0.0.10", 22122), ServerAddr::new("::1", 22122)],
        }
    }

    #[test]
    fn round_trip_and_limits() {
        assert_eq!(Join::FIXED_LEN, 145);
        let j = join();
        let body = j.to_body();
        assert_eq!(&body[145..], b"127.0.0.10:22122\n[::1]:22122\n");
        assert_eq!(Join::decode(&body).unwrap(), j);
        assert!(Join::decode(&body[..body.len() - 1]).is_err(), "no final newline");
        assert!(Join::decode(&body[..145]).is_err(), "no tracker line");

        let mut bad = j.clone();
        bad.trackers.clear();
        assert!(Join::decode(&bad.to_body()).is_err(), "tracker_count 0");
        let mut bad = j.clone();
        bad.store_path_count = 257;
        assert!(Join::decode(&bad.to_body()).is_err());
        let mut bad = j;
        bad.group = "a-b".into();
        assert!(Join::decode(&bad.to_body()).is_err());
    }

    #[test]
    fn reply_length() {
        let r = JoinResponse { my_status: StorageStatus::Online, src_id: "x".into() };
        assert_eq!(JoinResponse::decode(&r.to_body()).unwrap(), r);
        assert!(JoinResponse::decode(&[0; 18]).is_err());
    }
}
