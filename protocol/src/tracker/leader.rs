//! Tracker ↔ tracker commands (§3.4): joining and pinging the leader, the
//! two-phase announcement of a new leader, and copying the system data files
//! from a running tracker to a fresh one.

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{GROUP_NAME_MAX_LEN, MAX_GROUPS, STORAGE_ID_MAX_SIZE, VERSION_SIZE};
use crate::error::DecodeError;
use crate::message::{Decode, Empty, Encode};
use crate::wire::{PutExt, Reader};

use super::records::{AddrText, ServerAddr, bad_len, expect_len, port_from};
use super::stat::ConnStats;

/// TRACKER_JOIN_LEADER (58): up_time 8B + version 8 + server_port 8B. The
/// leader identifies the caller by the connection's source IP plus
/// `server_port` (ENOENT when that pair is not in its tracker list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinLeader {
    pub up_time: i64,
    pub version: String,
    pub server_port: u16,
}

impl JoinLeader {
    /// Encoded size.
    pub const LEN: usize = 8 + VERSION_SIZE + 8;
}

impl Encode for JoinLeader {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_i64(self.up_time);
        buf.put_fixed_str(&self.version, VERSION_SIZE);
        buf.put_i64(i64::from(self.server_port));
    }
}

impl Decode for JoinLeader {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, Self::LEN, "join leader request")?;
        let mut r = Reader::new(body);
        let up_time = r.i64()?;
        let version = r.fixed_str(VERSION_SIZE)?;
        let server_port = port_from(r.i64()?, "server_port")?;
        Ok(Self { up_time, version, server_port })
    }
}

request!(JoinLeader = cmd::TRACKER_JOIN_LEADER => Empty);

/// TRACKER_PING_LEADER (65): the follower's connection counters. Answered
/// with 95 by a tracker that is not the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PingLeader {
    pub conn: ConnStats,
}

impl Encode for PingLeader {
    fn encode(&self, buf: &mut BytesMut) {
        self.conn.encode(buf);
    }
}

impl Decode for PingLeader {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        ConnStats::decode(body).map(|conn| Self { conn })
    }
}

request!(PingLeader = cmd::TRACKER_PING_LEADER => TrunkServers);

/// A group's trunk server, as the leader reports it to followers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupTrunkServer {
    pub group: String,
    /// Empty when the group has none.
    pub storage_id: String,
}

impl GroupTrunkServer {
    /// Encoded size.
    pub const LEN: usize = GROUP_NAME_MAX_LEN + STORAGE_ID_MAX_SIZE;
}

/// Reply to 65: empty when trunk servers are unchanged, else n × (G16 +
/// trunk server id 16), n ≤ 512.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrunkServers(pub Vec<GroupTrunkServer>);

impl Encode for TrunkServers {
    fn encode(&self, buf: &mut BytesMut) {
        for t in &self.0 {
            buf.put_fixed_str(&t.group, GROUP_NAME_MAX_LEN);
            buf.put_fixed_str(&t.storage_id, STORAGE_ID_MAX_SIZE);
        }
    }
}

impl Decode for TrunkServers {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let n = body.len() / GroupTrunkServer::LEN;
        if !body.len().is_multiple_of(GroupTrunkServer::LEN) || n > MAX_GROUPS {
            return Err(bad_len(body, "trunk server list"));
        }
        let mut r = Reader::new(body);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(GroupTrunkServer {
                group: r.fixed_str(GROUP_NAME_MAX_LEN)?,
                storage_id: r.fixed_str(STORAGE_ID_MAX_SIZE)?,
            });
        }
        Ok(Self(out))
    }
}

/// TRACKER_NOTIFY_NEXT_LEADER (66): text `ip:port` of the elected leader, no
/// NUL. Phase one of the announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyNextLeader {
    pub leader: ServerAddr,
}

/// TRACKER_COMMIT_NEXT_LEADER (67): text `ip:port`, after every tracker
/// accepted 66.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitNextLeader {
    pub leader: ServerAddr,
}

macro_rules! leader_text {
    ($name:ident = $cmd:expr) => {
        impl Encode for $name {
            fn encode(&self, buf: &mut BytesMut) {
                buf.extend_from_slice(self.leader.to_string().as_bytes());
            }
        }

        impl Decode for $name {
            fn decode(body: &[u8]) -> Result<Self, DecodeError> {
                AddrText::decode(body).map(|a| Self { leader: a.0 })
            }
        }

        request!($name = $cmd => Empty);
    };
}

leader_text!(NotifyNextLeader = cmd::TRACKER_NOTIFY_NEXT_LEADER);
leader_text!(CommitNextLeader = cmd::TRACKER_COMMIT_NEXT_LEADER);

empty_request!(
    /// TRACKER_NOTIFY_RESELECT_LEADER (68): sent on split brain to make the
    /// receiver drop its leader and elect again; empty body.
    NotifyReselectLeader = cmd::TRACKER_NOTIFY_RESELECT_LEADER => Empty
);

empty_request!(
    /// TRACKER_GET_SYS_FILES_START (61): a fresh tracker starts copying the
    /// system data files of a running one.
    GetSysFilesStart = cmd::TRACKER_GET_SYS_FILES_START => Empty
);

empty_request!(
    /// TRACKER_GET_SYS_FILES_END (62): the copy is complete.
    GetSysFilesEnd = cmd::TRACKER_GET_SYS_FILES_END => Empty
);

/// TRACKER_GET_ONE_SYS_FILE (63): file index 1 + offset 8B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetOneSysFile {
    /// One of the `GetOneSysFile::*` indexes.
    pub index: u8,
    pub offset: u64,
}

impl GetOneSysFile {
    /// `storage_groups_new.dat`.
    pub const GROUPS: u8 = 0;
    /// `storage_servers_new.dat`.
    pub const SERVERS: u8 = 1;
    /// `storage_sync_timestamp.dat`.
    pub const SYNC_TIMESTAMP: u8 = 2;
    /// `storage_changelog.dat`.
    pub const CHANGELOG: u8 = 3;
    /// Encoded size.
    pub const LEN: usize = 9;
}

impl Encode for GetOneSysFile {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.index);
        buf.put_len64(self.offset);
    }
}

impl Decode for GetOneSysFile {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, Self::LEN, "get sys file request")?;
        let mut r = Reader::new(body);
        let index = r.u8()?;
        if index > Self::CHANGELOG {
            return Err(DecodeError::invalid("sys file index", format!("{index}")));
        }
        let offset = r.len64()?;
        Ok(Self { index, offset })
    }
}

request!(GetOneSysFile = cmd::TRACKER_GET_ONE_SYS_FILE => SysFileChunk);

/// Reply to 63: the file's whole size 8B + its bytes from the offset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SysFileChunk {
    pub file_size: u64,
    pub data: Vec<u8>,
}

impl Encode for SysFileChunk {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_len64(self.file_size);
        buf.extend_from_slice(&self.data);
    }
}

impl Decode for SysFileChunk {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let file_size = r.len64()?;
        let data = r.rest();
        if data.len() as u64 > file_size {
            return Err(DecodeError::invalid("sys file", "more bytes than the file size"));
        }
        Ok(Self { file_size, data: data.to_vec() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Request;

    #[test]
    fn ping_leader_round_trip() {
        assert_eq!(PingLeader::CMD, 65);
        let req = PingLeader { conn: ConnStats { alloc_count: 1, current_count: 2, max_count: 3 } };
        assert_eq!(PingLeader::decode(&req.to_body()).unwrap(), req);
        assert!(PingLeader::decode(&[0; 11]).is_err());
        assert_eq!(TrunkServers::decode(&[]).unwrap(), TrunkServers::default());
        let list = TrunkServers(vec![
            GroupTrunkServer { group: "group1".into(), storage_id: "127.0.0.2".into() },
            GroupTrunkServer { group: "group2".into(), storage_id: String::new() },
        ]);
        assert_eq!(TrunkServers::decode(&list.to_body()).unwrap(), list);
        assert!(TrunkServers::decode(&[0; 33]).is_err());
    }

    #[test]
    fn reselect_leader_is_empty() {
        assert_eq!(NotifyReselectLeader::CMD, 68);
        assert_eq!(NotifyReselectLeader::decode(&[]).unwrap(), NotifyReselectLeader);
        assert!(NotifyReselectLeader::decode(&[0]).is_err());
    }

    #[test]
    fn lengths() {
        assert!(JoinLeader::decode(&[0; 23]).is_err());
        assert!(NotifyNextLeader::decode(b"127.0.0.1").is_err());
        assert!(GetOneSysFile::decode(&[4, 0, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(GetOneSysFile::decode(&[0, 0x80, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(SysFileChunk::decode(&[0; 7]).is_err());
        assert!(SysFileChunk::decode(&[0, 0, 0, 0, 0, 0, 0, 1, b'a', b'b']).is_err());
    }
}
