//! What a storage asks a tracker while it starts, each on a short
//! connection: its own address (60), the cluster-wide parameters (75), and,
//! with `use_storage_id`, its id, group and the id table (70, 109, 69).

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{GROUP_NAME_MAX_LEN, IP_ADDRESS_SIZE, MAX_GROUPS, MAX_SERVERS_EACH_GROUP};
use crate::error::DecodeError;
use crate::message::{Decode, Encode, Text};
use crate::wire::{PutExt, Reader};

use crate::tracker::records::{
    ServerAddr, bad_len, expect_len, port_from, read_group, validate_group_name,
};

/// STORAGE_GET_MY_IP (60): group 17 (16 + NUL) + storage port 4B. The reply
/// is the storage's IP as the tracker sees it, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetMyIp {
    pub group: String,
    pub port: u16,
}

impl Encode for GetMyIp {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN + 1);
        buf.put_i32(i32::from(self.port));
    }
}

impl Decode for GetMyIp {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, GROUP_NAME_MAX_LEN + 1 + 4, "get my ip request")?;
        let mut r = Reader::new(body);
        let group = r.fixed_str(GROUP_NAME_MAX_LEN + 1)?;
        validate_group_name(&group)?;
        let port = port_from(i64::from(r.i32()?), "storage port")?;
        r.finish()?;
        Ok(Self { group, port })
    }
}

request!(GetMyIp = cmd::STORAGE_GET_MY_IP => Text);

empty_request!(
    /// STORAGE_PARAMETER_REQ (75): the tracker's cluster-wide settings, which
    /// override the storage's own configuration.
    ParameterReq = cmd::STORAGE_PARAMETER_REQ => Parameters
);

/// Reply to 75: text lines `key=value\n`, kept in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parameters(pub Vec<(String, String)>);

impl Parameters {
    /// The value of `key` (the first, if repeated).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of `key` as an integer.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key)?.trim().parse().ok()
    }

    /// The value of `key` as a boolean (`1`/`true`/`yes`/`on` or
    /// `0`/`false`/`no`/`off`, case-insensitive).
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        match self.get(key)?.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Some(true),
            "0" | "false" | "no" | "off" => Some(false),
            _ => None,
        }
    }

    /// Every `(key, value)` pair in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl Encode for Parameters {
    fn encode(&self, buf: &mut BytesMut) {
        for (k, v) in &self.0 {
            buf.extend_from_slice(k.as_bytes());
            buf.put_u8(b'=');
            buf.extend_from_slice(v.as_bytes());
            buf.put_u8(b'\n');
        }
    }
}

impl Decode for Parameters {
    /// Keys and values are trimmed of surrounding white space (as an ini
    /// reader does, and so `\r\n` line ends work); blank lines are skipped; a
    /// line without `=` or with an empty key is an error.
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let Text(text) = Text::decode(body)?;
        let mut out = Vec::new();
        for line in text.split('\n').map(str::trim) {
            if line.is_empty() {
                continue;
            }
            match line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
                Some((k, v)) if !k.is_empty() => out.push((k.to_string(), v.to_string())),
                _ => return Err(DecodeError::invalid("parameter line", format!("{line:?}"))),
            }
        }
        Ok(Self(out))
    }
}

/// Reads G16 + text `ip:port` (70, 71).
pub(crate) fn decode_group_addr(
    body: &[u8],
    what: &'static str,
) -> Result<(String, ServerAddr), DecodeError> {
    // "ip:port": at least "a:1", at most a 45-byte IP, brackets and a port.
    if body.len() < GROUP_NAME_MAX_LEN + 3 || body.len() > GROUP_NAME_MAX_LEN + IP_ADDRESS_SIZE + 8
    {
        return Err(bad_len(body, what));
    }
    let mut r = Reader::new(body);
    let group = read_group(&mut r)?;
    let addr = r.rest_str()?.parse()?;
    Ok((group, addr))
}

/// Writes G16 + text `ip:port`.
pub(crate) fn encode_group_addr(buf: &mut BytesMut, group: &str, addr: &ServerAddr) {
    buf.put_fixed_str(group, GROUP_NAME_MAX_LEN);
    buf.extend_from_slice(addr.to_string().as_bytes());
}

/// STORAGE_GET_SERVER_ID (70): G16 + text `ip:port`; the reply is the
/// storage's id as text (its IP when `use_storage_id` is off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetServerId {
    pub group: String,
    pub addr: ServerAddr,
}

impl Encode for GetServerId {
    fn encode(&self, buf: &mut BytesMut) {
        encode_group_addr(buf, &self.group, &self.addr);
    }
}

impl Decode for GetServerId {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (group, addr) = decode_group_addr(body, "get server id request")?;
        Ok(Self { group, addr })
    }
}

request!(GetServerId = cmd::STORAGE_GET_SERVER_ID => Text);

/// STORAGE_FETCH_STORAGE_IDS (69): start_index 4B + allow_empty 1. Without
/// `use_storage_id` the tracker answers 95, or an empty table if allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FetchStorageIds {
    /// First entry wanted (the table is fetched in pages).
    pub start_index: u32,
    pub allow_empty: bool,
}

impl Encode for FetchStorageIds {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_i32(i32::try_from(self.start_index).unwrap_or(i32::MAX));
        buf.put_u8(u8::from(self.allow_empty));
    }
}

impl Decode for FetchStorageIds {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, 5, "fetch storage ids request")?;
        let mut r = Reader::new(body);
        let start = r.i32()?;
        let start_index = u32::try_from(start)
            .map_err(|_| DecodeError::invalid("start_index", format!("{start}")))?;
        let allow_empty = r.u8()? != 0;
        Ok(Self { start_index, allow_empty })
    }
}

request!(FetchStorageIds = cmd::STORAGE_FETCH_STORAGE_IDS => StorageIds);

/// One line of the storage id table: `id group host[ rw=<mode>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageIdEntry {
    pub id: String,
    pub group: String,
    /// `ip[:port]`, as configured (may list several IPs).
    pub host: String,
    /// The `rw=` mode (`read`, `write`, `none`), when given.
    pub rw: Option<String>,
}

impl StorageIdEntry {
    fn parse(line: &str) -> Result<Self, DecodeError> {
        let bad = || DecodeError::invalid("storage id line", format!("{line:?}"));
        let mut tokens = line.split_ascii_whitespace();
        let (Some(id), Some(group), Some(host)) = (tokens.next(), tokens.next(), tokens.next())
        else {
            return Err(bad());
        };
        let rw = match tokens.next() {
            None => None,
            Some(t) => Some(t.strip_prefix("rw=").ok_or_else(bad)?.to_string()),
        };
        if tokens.next().is_some() {
            return Err(bad());
        }
        Ok(Self { id: id.into(), group: group.into(), host: host.into(), rw })
    }
}

/// Reply to 69: total 4B + count 4B + `count` lines of [`StorageIdEntry`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StorageIds {
    /// Entries in the whole table (this reply may hold a page of it).
    pub total: u32,
    pub entries: Vec<StorageIdEntry>,
}

impl Encode for StorageIds {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_i32(i32::try_from(self.total).unwrap_or(i32::MAX));
        buf.put_i32(i32::try_from(self.entries.len()).unwrap_or(i32::MAX));
        for e in &self.entries {
            let line = match &e.rw {
                Some(rw) => format!("{} {} {} rw={rw}\n", e.id, e.group, e.host),
                None => format!("{} {} {}\n", e.id, e.group, e.host),
            };
            buf.extend_from_slice(line.as_bytes());
        }
    }
}

impl Decode for StorageIds {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let total = r.i32()?;
        let count = r.i32()?;
        let limit = MAX_GROUPS * MAX_SERVERS_EACH_GROUP;
        let (Ok(total), Ok(count)) = (u32::try_from(total), usize::try_from(count)) else {
            return Err(DecodeError::invalid("storage id counts", format!("{total}, {count}")));
        };
        if count > limit || count as u64 > u64::from(total) {
            return Err(DecodeError::invalid("storage id counts", format!("{total}, {count}")));
        }
        let text = r.rest_str()?;
        let body_lines = text.strip_suffix('\n').map(|t| t.split('\n'));
        let entries = match body_lines {
            None if text.is_empty() => Vec::new(),
            None => return Err(DecodeError::invalid("storage id table", "no final newline")),
            Some(lines) => lines.map(StorageIdEntry::parse).collect::<Result<Vec<_>, _>>()?,
        };
        if entries.len() != count {
            return Err(DecodeError::invalid(
                "storage id table",
                format!("{count} announced, {} lines", entries.len()),
            ));
        }
        Ok(Self { total, entries })
    }
}

/// STORAGE_GET_GROUP_NAME (109): an optional IP then the storage port 4B
/// (the IP is read up to its first NUL, so a NUL-padded IP field decodes
/// too). Answered only with `use_storage_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetGroupName {
    pub ip: Option<String>,
    pub port: u16,
}

impl Encode for GetGroupName {
    fn encode(&self, buf: &mut BytesMut) {
        if let Some(ip) = &self.ip {
            buf.extend_from_slice(ip.as_bytes());
        }
        buf.put_i32(i32::from(self.port));
    }
}

impl Decode for GetGroupName {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let ip_len = body.len().checked_sub(4).ok_or_else(|| bad_len(body, "get group name"))?;
        if ip_len > IP_ADDRESS_SIZE {
            return Err(bad_len(body, "get group name request"));
        }
        let mut r = Reader::new(body);
        let ip = r.fixed_str(ip_len)?;
        let port = port_from(i64::from(r.i32()?), "storage port")?;
        Ok(Self { ip: (!ip.is_empty()).then_some(ip), port })
    }
}

request!(GetGroupName = cmd::STORAGE_GET_GROUP_NAME => GroupNameReply);

/// Reply to 109: the group name, 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNameReply {
    pub group: String,
}

impl Encode for GroupNameReply {
    fn encode(&self, buf: &mut BytesMut) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
    }
}

impl Decode for GroupNameReply {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        expect_len(body, GROUP_NAME_MAX_LEN, "group name reply")?;
        Ok(Self { group: read_group(&mut Reader::new(body))? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Request;

    #[test]
    fn parameters_parse_in_order() {
        let p = Parameters::decode(b"use_storage_id=0\nstore_path=0\n\nreserved=20.00%\nx=a=b\n")
            .unwrap();
        assert_eq!(p.0.len(), 4);
        assert_eq!(p.get("reserved"), Some("20.00%"));
        assert_eq!(p.get("x"), Some("a=b"));
        assert_eq!(p.get_bool("use_storage_id"), Some(false));
        assert_eq!(p.get_i64("store_path"), Some(0));
        assert_eq!(p.get("missing"), None);
        assert_eq!(p.iter().next(), Some(("use_storage_id", "0")));
        assert!(Parameters::decode(b"novalue\n").is_err());
        assert!(Parameters::decode(b"=1\n").is_err());
        assert_eq!(Parameters::decode(&[]).unwrap(), Parameters::default());
    }

    #[test]
    fn parameters_decode_is_stable_with_trailing_white_space() {
        // Found by the `messages` fuzz target: a value ending in `\r` lost
        // one `\r` per encode/decode round.
        let p = Parameters::decode(b"a = x\r\r\r\nb=y \r\n").unwrap();
        assert_eq!(p.get("a"), Some("x"));
        assert_eq!(p.get("b"), Some("y"));
        assert_eq!(Parameters::decode(&p.to_body()).unwrap(), p);
    }

    #[test]
    fn get_server_id_round_trip() {
        assert_eq!(GetServerId::CMD, 70);
        let req = GetServerId { group: "group1".into(), addr: ServerAddr::new("127.0.0.2", 23000) };
        let body = req.to_body();
        assert_eq!(&body[16..], b"127.0.0.2:23000");
        assert_eq!(GetServerId::decode(&body).unwrap(), req);
        assert!(GetServerId::decode(&body[..16]).is_err());
        assert!(GetServerId::decode(&body[..body.len() - 6]).is_err(), "no port");
    }

    #[test]
    fn get_group_name_round_trip() {
        assert_eq!(GetGroupName::CMD, 109);
        for ip in [None, Some("127.0.0.2".to_string())] {
            let req = GetGroupName { ip, port: 23000 };
            assert_eq!(GetGroupName::decode(&req.to_body()).unwrap(), req);
        }
        let mut padded = BytesMut::new();
        padded.put_fixed_str("10.0.0.1", IP_ADDRESS_SIZE);
        padded.put_i32(23000);
        assert_eq!(GetGroupName::decode(&padded).unwrap().ip.as_deref(), Some("10.0.0.1"));
        assert!(GetGroupName::decode(&[0; 3]).is_err());
        assert!(GetGroupName::decode(&[0; 51]).is_err());
        let reply = GroupNameReply { group: "group1".into() };
        assert_eq!(GroupNameReply::decode(&reply.to_body()).unwrap(), reply);
        assert!(GroupNameReply::decode(&[0; 17]).is_err());
    }

    #[test]
    fn storage_ids_table() {
        let ids = StorageIds {
            total: 3,
            entries: vec![
                StorageIdEntry {
                    id: "100001".into(),
                    group: "group1".into(),
                    host: "10.0.0.1".into(),
                    rw: None,
                },
                StorageIdEntry {
                    id: "100002".into(),
                    group: "group1".into(),
                    host: "10.0.0.2:23000".into(),
                    rw: Some("read".into()),
                },
            ],
        };
        let body = ids.to_body();
        assert_eq!(StorageIds::decode(&body).unwrap(), ids);
        assert!(StorageIds::decode(&body[..body.len() - 1]).is_err(), "no final newline");
        let mut wrong_count = body.to_vec();
        wrong_count[7] = 3;
        assert!(StorageIds::decode(&wrong_count).is_err());
        assert!(StorageIds::decode(&[0, 0, 0, 1, 0, 0, 0, 2]).is_err(), "count > total");
        assert_eq!(StorageIds::decode(&[0; 8]).unwrap(), StorageIds::default());
        let req = FetchStorageIds { start_index: 2, allow_empty: true };
        assert_eq!(FetchStorageIds::decode(&req.to_body()).unwrap(), req);
        assert!(FetchStorageIds::decode(&[0xff, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn get_my_ip_lengths() {
        let req = GetMyIp { group: "group1".into(), port: 23000 };
        assert_eq!(req.to_body().len(), 21);
        assert_eq!(GetMyIp::decode(&req.to_body()).unwrap(), req);
        assert!(GetMyIp::decode(&[0; 20]).is_err());
    }
}
