//! Records shared by many tracker messages: the storage status byte, the
//! 67-byte storage brief, the 24-byte sync request body, `ip:port`
//! addresses, and the validation of group names and storage ids.
//!
//! They appear inside joins, beats, change responses, status reports and
//! listings, so each layout is defined exactly once, here. The 348-byte
//! statistics block lives in [`super::stat`].

use std::fmt;
use std::str::FromStr;

use bytes::{BufMut, BytesMut};

use crate::consts::{GROUP_NAME_MAX_LEN, IP_ADDRESS_SIZE, STORAGE_ID_MAX_SIZE};
use crate::error::DecodeError;
use crate::message::{Decode, Encode};
use crate::wire::{PutExt, Reader};

pub use crate::file_id::validate_group_name;

/// Checks a storage id: 1 to 15 printable ASCII characters, no spaces (the
/// 16-byte field keeps room for a NUL). Without `use_storage_id` the id is the
/// storage's IP address.
pub fn validate_storage_id(id: &str) -> Result<(), DecodeError> {
    if id.is_empty() || id.len() >= STORAGE_ID_MAX_SIZE {
        return Err(DecodeError::invalid("storage id", format!("{id:?}: need 1 to 15 characters")));
    }
    if !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DecodeError::invalid("storage id", format!("{id:?}: not printable ASCII")));
    }
    Ok(())
}

/// Reads a 16-byte group name field and validates it.
pub(crate) fn read_group(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let group = r.fixed_str(GROUP_NAME_MAX_LEN)?;
    validate_group_name(&group)?;
    Ok(group)
}

/// A port from a 4- or 8-byte integer field.
pub(crate) fn port_from(v: i64, field: &'static str) -> Result<u16, DecodeError> {
    u16::try_from(v).map_err(|_| DecodeError::invalid(field, format!("{v} is not a port")))
}

/// Fails unless `body` is exactly `len` bytes.
pub(crate) fn expect_len(body: &[u8], len: usize, what: &'static str) -> Result<(), DecodeError> {
    if body.len() == len { Ok(()) } else { Err(bad_len(body, what)) }
}

/// A [`DecodeError::BadLength`] for `body`.
pub(crate) fn bad_len(body: &[u8], what: &'static str) -> DecodeError {
    DecodeError::BadLength { what, len: body.len() as u64 }
}

/// A storage's status as trackers keep and report it (`FDFS_STORAGE_STATUS_*`).
///
/// Unknown values are kept in [`StorageStatus::Unknown`] so a decoder never
/// fails or loses information on them (a JOIN was seen carrying 0xFF = −1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StorageStatus {
    /// Joined, nothing synced yet (0).
    #[default]
    Init,
    /// Waiting for a peer to push old files (1).
    WaitSync,
    /// Old files are being pushed to it (2).
    Syncing,
    /// Its IP changed (3).
    IpChanged,
    /// Deleted by an administrator (4).
    Deleted,
    /// Not connected, or old-file sync done and not yet beating (5).
    Offline,
    /// Connected, not yet serving (6).
    Online,
    /// Serving (7).
    Active,
    /// Recovering a disk from its peers (9).
    Recovery,
    /// No status (99).
    None,
    /// Any other value.
    Unknown(u8),
}

impl StorageStatus {
    /// The FastDFS name (`"ACTIVE"`), or `"UNKNOWN"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Init => "INIT",
            Self::WaitSync => "WAIT_SYNC",
            Self::Syncing => "SYNCING",
            Self::IpChanged => "IP_CHANGED",
            Self::Deleted => "DELETED",
            Self::Offline => "OFFLINE",
            Self::Online => "ONLINE",
            Self::Active => "ACTIVE",
            Self::Recovery => "RECOVERY",
            Self::None => "NONE",
            Self::Unknown(_) => "UNKNOWN",
        }
    }
}

impl From<u8> for StorageStatus {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::Init,
            1 => Self::WaitSync,
            2 => Self::Syncing,
            3 => Self::IpChanged,
            4 => Self::Deleted,
            5 => Self::Offline,
            6 => Self::Online,
            7 => Self::Active,
            9 => Self::Recovery,
            99 => Self::None,
            other => Self::Unknown(other),
        }
    }
}

impl From<StorageStatus> for u8 {
    fn from(s: StorageStatus) -> u8 {
        match s {
            StorageStatus::Init => 0,
            StorageStatus::WaitSync => 1,
            StorageStatus::Syncing => 2,
            StorageStatus::IpChanged => 3,
            StorageStatus::Deleted => 4,
            StorageStatus::Offline => 5,
            StorageStatus::Online => 6,
            StorageStatus::Active => 7,
            StorageStatus::Recovery => 9,
            StorageStatus::None => 99,
            StorageStatus::Unknown(v) => v,
        }
    }
}

impl fmt::Display for StorageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(v) => write!(f, "UNKNOWN({v})"),
            known => f.write_str(known.name()),
        }
    }
}

/// A server address: an IP (or host name) and a port.
///
/// Query replies carry it as fixed IP + 8-byte port fields; leader messages
/// and JOIN's tracker list carry it as text `ip:port` (IPv6 as `[ip]:port`,
/// parsed with or without brackets).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerAddr {
    pub ip: String,
    pub port: u16,
}

impl ServerAddr {
    pub fn new(ip: impl Into<String>, port: u16) -> Self {
        Self { ip: ip.into(), port }
    }
}

impl fmt::Display for ServerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ip.contains(':') {
            write!(f, "[{}]:{}", self.ip, self.port)
        } else {
            write!(f, "{}:{}", self.ip, self.port)
        }
    }
}

impl FromStr for ServerAddr {
    type Err = DecodeError;

    fn from_str(s: &str) -> Result<Self, DecodeError> {
        let bad = || DecodeError::invalid("ip:port", format!("{s:?}"));
        let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
        let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
        let port: u16 = port.parse().map_err(|_| bad())?;
        if host.is_empty()
            || host.len() >= IP_ADDRESS_SIZE
            || host.bytes().any(|b| !b.is_ascii_graphic())
        {
            return Err(bad());
        }
        Ok(Self { ip: host.to_string(), port })
    }
}

/// A whole body that is the text `ip:port`, no terminator (a trailing NUL is
/// tolerated on decode): the SERVER_GET_LEADER reply and the leader
/// notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrText(pub ServerAddr);

impl Encode for AddrText {
    fn encode(&self, buf: &mut BytesMut) {
        buf.extend_from_slice(self.0.to_string().as_bytes());
    }
}

impl Decode for AddrText {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
        let text = std::str::from_utf8(&body[..end])
            .map_err(|_| DecodeError::invalid("ip:port", "not UTF-8"))?;
        text.parse().map(Self)
    }
}

/// `FDFSStorageBrief`: 67 bytes, `status` 1 | `port` 4B | `id` 16 | `ip` 46.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageBrief {
    pub status: StorageStatus,
    /// 0 in REPORT_STATUS; the leader's port in a change response.
    pub port: u16,
    pub id: String,
    pub ip: String,
}

impl StorageBrief {
    /// Encoded size.
    pub const LEN: usize = 1 + 4 + STORAGE_ID_MAX_SIZE + IP_ADDRESS_SIZE;

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let status = StorageStatus::from(r.u8()?);
        let port = port_from(i64::from(r.i32()?), "storage brief port")?;
        let id = r.fixed_str(STORAGE_ID_MAX_SIZE)?;
        let ip = r.fixed_str(IP_ADDRESS_SIZE)?;
        Ok(Self { status, port, id, ip })
    }

    /// Reads `body` as a list of briefs, at most `max` of them.
    pub(crate) fn read_list(
        body: &[u8],
        max: usize,
        what: &'static str,
    ) -> Result<Vec<Self>, DecodeError> {
        if !body.len().is_multiple_of(Self::LEN) || body.len() / Self::LEN > max {
            return Err(bad_len(body, what));
        }
        let mut r = Reader::new(body);
        let mut out = Vec::with_capacity(body.len() / Self::LEN);
        while r.remaining() > 0 {
            out.push(Self::read(&mut r)?);
        }
        Ok(out)
    }
}

impl Encode for StorageBrief {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.status.into());
        buf.put_i32(i32::from(self.port));
        buf.put_fixed_str(&self.id, STORAGE_ID_MAX_SIZE);
        buf.put_fixed_str(&self.ip, IP_ADDRESS_SIZE);
    }
}

impl Decode for StorageBrief {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, Self::LEN, "storage brief")?;
        let mut r = Reader::new(body);
        let brief = Self::read(&mut r)?;
        r.finish()?;
        Ok(brief)
    }
}

/// `TrackerStorageSyncReqBody`: 24 bytes, `src_id` 16 | `until_timestamp` 8B.
///
/// Names the storage that pushes old files to a new member, and the time up
/// to which it must push them. An empty `src_id` means "no source".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncReqBody {
    pub src_id: String,
    /// Unix seconds.
    pub until_timestamp: i64,
}

impl SyncReqBody {
    /// Encoded size.
    pub const LEN: usize = STORAGE_ID_MAX_SIZE + 8;
}

impl Encode for SyncReqBody {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.src_id, STORAGE_ID_MAX_SIZE);
        buf.put_i64_be(self.until_timestamp);
    }
}

impl Decode for SyncReqBody {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, Self::LEN, "sync request body")?;
        let mut r = Reader::new(body);
        let src_id = r.fixed_str(STORAGE_ID_MAX_SIZE)?;
        let until_timestamp = r.i64()?;
        r.finish()?;
        Ok(Self { src_id, until_timestamp })
    }
}

/// A reply that is either empty or one [`SyncReqBody`] (SYNC_DEST_REQ,
/// SYNC_DEST_QUERY, SYNC_SRC_REQ): `None` means "nothing to sync".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncSource(pub Option<SyncReqBody>);

impl Encode for SyncSource {
    fn encode(&self, buf: &mut BytesMut) {
        if let Some(body) = &self.0 {
            body.encode(buf);
        }
    }
}

impl Decode for SyncSource {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        if body.is_empty() {
            Ok(Self(None))
        } else {
            SyncReqBody::decode(body).map(|b| Self(Some(b)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names() {
        assert!(validate_group_name("group1").is_ok());
        assert!(validate_group_name("G123456789abcdef").is_ok());
        assert!(validate_group_name("").is_err());
        assert!(validate_group_name("G123456789abcdefg").is_err());
        assert!(validate_group_name("group-1").is_err());
        assert!(validate_group_name("grüp").is_err());
    }

    #[test]
    fn storage_ids() {
        assert!(validate_storage_id("127.0.0.2").is_ok());
        assert!(validate_storage_id("100001").is_ok());
        assert!(validate_storage_id("").is_err());
        assert!(validate_storage_id("0123456789abcdef").is_err());
        assert!(validate_storage_id("a b").is_err());
    }

    #[test]
    fn status_round_trips_every_byte() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(StorageStatus::from(v)), v);
        }
        assert_eq!(StorageStatus::from(7).to_string(), "ACTIVE");
        assert_eq!(StorageStatus::from(255).to_string(), "UNKNOWN(255)");
    }

    #[test]
    fn addr_text() {
        let a: ServerAddr = "127.0.0.10:22122".parse().unwrap();
        assert_eq!(a, ServerAddr::new("127.0.0.10", 22122));
        assert_eq!(a.to_string(), "127.0.0.10:22122");
        let v6: ServerAddr = "[::1]:23000".parse().unwrap();
        assert_eq!(v6.ip, "::1");
        assert_eq!(v6.to_string(), "[::1]:23000");
        assert_eq!("::1:23000".parse::<ServerAddr>().unwrap(), v6);
        for bad in ["", "host", ":1", "h:", "h:65536", "h:-1", "a b:1"] {
            assert!(bad.parse::<ServerAddr>().is_err(), "{bad}");
        }
        assert_eq!(AddrText::decode(b"1.2.3.4:5\0").unwrap().0, ServerAddr::new("1.2.3.4", 5));
    }

    #[test]
    fn brief_lengths() {
        let b = StorageBrief {
            status: StorageStatus::Active,
            port: 23000,
            id: "127.0.0.2".into(),
            ip: "127.0.0.2".into(),
        };
        let bytes = b.to_body();
        assert_eq!(bytes.len(), StorageBrief::LEN);
        assert_eq!(StorageBrief::decode(&bytes).unwrap(), b);
        assert!(StorageBrief::decode(&bytes[..66]).is_err());
        let mut neg = bytes.to_vec();
        neg[1] = 0xff;
        assert!(StorageBrief::decode(&neg).is_err(), "negative port");
        assert!(StorageBrief::read_list(&[0; 67 * 3], 2, "list").is_err());
        assert_eq!(StorageBrief::read_list(&[], 2, "list").unwrap(), vec![]);
    }

    #[test]
    fn sync_source_is_empty_or_24() {
        assert_eq!(SyncSource::decode(&[]).unwrap(), SyncSource(None));
        assert!(SyncSource::decode(&[0; 23]).is_err());
        let s = SyncSource(Some(SyncReqBody { src_id: "127.0.0.3".into(), until_timestamp: 7 }));
        assert_eq!(SyncSource::decode(&s.to_body()).unwrap(), s);
    }
}
