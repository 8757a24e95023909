//! Client queries (§3.1, cmds 101–107): where to upload a new file, and
//! which storage can serve or update an existing one.
//!
//! Replies carry storages as an IP field plus an 8-byte port. The IP field is
//! 15 bytes (IPv4 width) unless the tracker emits the IPv6 width of 45; like
//! the C client (`tc.c`), decoders tell the two apart by the body length.
//! Encoders emit the 15-byte width whenever every IP fits, which is what a
//! FastDFS 6.15+ tracker sends by default and what every client accepts;
//! [`EncodeWidth`] with [`IpWidth::Ipv6`] always emits 45, for clients built
//! against FastDFS 6.11–6.12 (`response_ip_addr_size = 46`).

use bytes::{BufMut, BytesMut};

use crate::cmd;
use crate::consts::{
    GROUP_NAME_MAX_LEN, IP_ADDRESS_SIZE, MAX_LOGIC_FILENAME_LEN, MAX_SERVERS_EACH_GROUP,
    QUERY_IP_LEN,
};
use crate::error::DecodeError;
use crate::ip_width::{EncodeWidth, IpWidth};
use crate::message::{Decode, Encode};
use crate::wire::{PutExt, Reader};

use super::records::{ServerAddr, bad_len, port_from, read_group};

/// IP field width in IPv6-capable replies (`IPV6_ADDRESS_SIZE - 1`).
const IPV6_QUERY_IP_LEN: usize = IP_ADDRESS_SIZE - 1;
/// Shortest logic filename a fetch/update query may carry.
const MIN_LOGIC_FILENAME_LEN: usize = 22;

/// The IP width to encode: 45 when asked for, else 15 when every IP fits,
/// else 45.
fn ip_width<'a>(mode: IpWidth, addrs: impl IntoIterator<Item = &'a ServerAddr>) -> usize {
    if mode == IpWidth::Auto && addrs.into_iter().all(|a| a.ip.len() <= QUERY_IP_LEN) {
        QUERY_IP_LEN
    } else {
        IPV6_QUERY_IP_LEN
    }
}

/// The IP width of a list of `payload` bytes of (IP + port) records, and the
/// record count (1..=32). 15-byte records are tried first, as the C client
/// does; a length that fits both widths (23 × 53 bytes) is taken in the only
/// width whose count is within the group limit.
fn list_width(payload: usize) -> Option<(usize, usize)> {
    [QUERY_IP_LEN, IPV6_QUERY_IP_LEN].into_iter().find_map(|w| {
        let (record, n) = (w + 8, payload / (w + 8));
        (payload.is_multiple_of(record) && (1..=MAX_SERVERS_EACH_GROUP).contains(&n))
            .then_some((w, n))
    })
}

fn read_addr(r: &mut Reader<'_>, width: usize) -> Result<ServerAddr, DecodeError> {
    let ip = r.fixed_str(width)?;
    let port = port_from(r.i64()?, "storage port")?;
    Ok(ServerAddr { ip, port })
}

fn put_addr(buf: &mut BytesMut, addr: &ServerAddr, width: usize) {
    buf.put_fixed_str(&addr.ip, width);
    buf.put_i64(i64::from(addr.port));
}

/// Reads `n` addresses; `n` was checked against the body length.
fn read_addrs(r: &mut Reader<'_>, width: usize, n: usize) -> Result<Vec<ServerAddr>, DecodeError> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(read_addr(r, width)?);
    }
    Ok(out)
}

empty_request!(
    /// QUERY_STORE_WITHOUT_GROUP_ONE (101): one storage to upload to, in a
    /// group the tracker picks.
    QueryStoreWithoutGroupOne = cmd::QUERY_STORE_WITHOUT_GROUP_ONE => StoreTarget
);

empty_request!(
    /// QUERY_STORE_WITHOUT_GROUP_ALL (106): every writable storage of the
    /// group the tracker picks.
    QueryStoreWithoutGroupAll = cmd::QUERY_STORE_WITHOUT_GROUP_ALL => StoreTargets
);

group_request!(
    /// QUERY_STORE_WITH_GROUP_ONE (104): one storage to upload to in `group`.
    QueryStoreWithGroupOne = cmd::QUERY_STORE_WITH_GROUP_ONE => StoreTarget
);

group_request!(
    /// QUERY_STORE_WITH_GROUP_ALL (107): every writable storage of `group`.
    QueryStoreWithGroupAll = cmd::QUERY_STORE_WITH_GROUP_ALL => StoreTargets
);

/// Reply to 101/104: G16 + IP + P8 + store_path_index 1 (40 bytes, 70 with
/// the IPv6 width).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreTarget {
    pub group: String,
    pub storage: ServerAddr,
    /// The store path the upload request must name.
    pub store_path_index: u8,
}

impl Encode for StoreTarget {
    fn encode(&self, buf: &mut BytesMut) {
        self.encode_with(buf, IpWidth::Auto);
    }
}

impl EncodeWidth for StoreTarget {
    fn encode_with(&self, buf: &mut BytesMut, width: IpWidth) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
        put_addr(buf, &self.storage, ip_width(width, [&self.storage]));
        buf.put_u8(self.store_path_index);
    }
}

impl Decode for StoreTarget {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let width = match body.len().checked_sub(GROUP_NAME_MAX_LEN + 8 + 1) {
            Some(QUERY_IP_LEN) => QUERY_IP_LEN,
            Some(IPV6_QUERY_IP_LEN) => IPV6_QUERY_IP_LEN,
            _ => return Err(bad_len(body, "query store reply")),
        };
        let mut r = Reader::new(body);
        let group = r.fixed_str(GROUP_NAME_MAX_LEN)?;
        let storage = read_addr(&mut r, width)?;
        let store_path_index = r.u8()?;
        r.finish()?;
        Ok(Self { group, storage, store_path_index })
    }
}

/// Reply to 106/107: G16 + n × (IP + P8) + store_path_index 1, n in 1..=32.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreTargets {
    pub group: String,
    pub storages: Vec<ServerAddr>,
    pub store_path_index: u8,
}

impl Encode for StoreTargets {
    fn encode(&self, buf: &mut BytesMut) {
        self.encode_with(buf, IpWidth::Auto);
    }
}

impl EncodeWidth for StoreTargets {
    fn encode_with(&self, buf: &mut BytesMut, width: IpWidth) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
        let ip_len = ip_width(width, &self.storages);
        for s in &self.storages {
            put_addr(buf, s, ip_len);
        }
        buf.put_u8(self.store_path_index);
    }
}

impl Decode for StoreTargets {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (width, n) = body
            .len()
            .checked_sub(GROUP_NAME_MAX_LEN + 1)
            .and_then(list_width)
            .ok_or_else(|| bad_len(body, "query store all reply"))?;
        let mut r = Reader::new(body);
        let group = r.fixed_str(GROUP_NAME_MAX_LEN)?;
        let storages = read_addrs(&mut r, width, n)?;
        let store_path_index = r.u8()?;
        r.finish()?;
        Ok(Self { group, storages, store_path_index })
    }
}

/// Declares a G16 + logic filename query (102, 103, 105).
macro_rules! file_query {
    ($(#[$doc:meta])* $name:ident = $cmd:expr => $resp:ty) => {
        $(#[$doc])*
        ///
        /// Body: G16 + logic filename (`M00/...`, no terminator), the
        /// filename 22 to 127 bytes long.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            pub group: String,
            /// The logic filename, without the group.
            pub filename: String,
        }

        impl Encode for $name {
            fn encode(&self, buf: &mut BytesMut) {
                buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
                buf.extend_from_slice(self.filename.as_bytes());
            }
        }

        impl Decode for $name {
            fn decode(body: &[u8]) -> Result<Self, DecodeError> {
                let (group, filename) = decode_file_query(body, stringify!($name))?;
                Ok(Self { group, filename })
            }
        }

        request!($name = $cmd => $resp);
    };
}

fn decode_file_query(body: &[u8], what: &'static str) -> Result<(String, String), DecodeError> {
    let name_len = body.len().saturating_sub(GROUP_NAME_MAX_LEN);
    if body.len() < GROUP_NAME_MAX_LEN
        || !(MIN_LOGIC_FILENAME_LEN..=MAX_LOGIC_FILENAME_LEN).contains(&name_len)
    {
        return Err(bad_len(body, what));
    }
    let mut r = Reader::new(body);
    let group = read_group(&mut r)?;
    let filename = r.rest_str()?;
    if filename.bytes().any(|b| b == 0) {
        return Err(DecodeError::invalid("logic filename", "contains NUL"));
    }
    Ok((group, filename))
}

file_query!(
    /// QUERY_FETCH_ONE (102): one storage that can serve the file.
    QueryFetchOne = cmd::QUERY_FETCH_ONE => FetchTarget
);

file_query!(
    /// QUERY_UPDATE (103): the storage to send a change of the file to (its
    /// source when writable and active).
    QueryUpdate = cmd::QUERY_UPDATE => FetchTarget
);

file_query!(
    /// QUERY_FETCH_ALL (105): every storage that can serve the file.
    QueryFetchAll = cmd::QUERY_FETCH_ALL => FetchTargets
);

/// Reply to 102/103: G16 + IP + P8 (39 bytes, 69 with the IPv6 width).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchTarget {
    pub group: String,
    pub storage: ServerAddr,
}

impl Encode for FetchTarget {
    fn encode(&self, buf: &mut BytesMut) {
        self.encode_with(buf, IpWidth::Auto);
    }
}

impl EncodeWidth for FetchTarget {
    fn encode_with(&self, buf: &mut BytesMut, width: IpWidth) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
        put_addr(buf, &self.storage, ip_width(width, [&self.storage]));
    }
}

impl Decode for FetchTarget {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let width = match body.len().checked_sub(GROUP_NAME_MAX_LEN + 8) {
            Some(QUERY_IP_LEN) => QUERY_IP_LEN,
            Some(IPV6_QUERY_IP_LEN) => IPV6_QUERY_IP_LEN,
            _ => return Err(bad_len(body, "query fetch reply")),
        };
        let mut r = Reader::new(body);
        let group = r.fixed_str(GROUP_NAME_MAX_LEN)?;
        let storage = read_addr(&mut r, width)?;
        r.finish()?;
        Ok(Self { group, storage })
    }
}

/// Reply to 105: G16 + n × (IP + P8), n in 1..=32.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchTargets {
    pub group: String,
    pub storages: Vec<ServerAddr>,
}

impl Encode for FetchTargets {
    fn encode(&self, buf: &mut BytesMut) {
        self.encode_with(buf, IpWidth::Auto);
    }
}

impl EncodeWidth for FetchTargets {
    fn encode_with(&self, buf: &mut BytesMut, width: IpWidth) {
        buf.put_fixed_str(&self.group, GROUP_NAME_MAX_LEN);
        let ip_len = ip_width(width, &self.storages);
        for s in &self.storages {
            put_addr(buf, s, ip_len);
        }
    }
}

impl Decode for FetchTargets {
    fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let (width, n) = body
            .len()
            .checked_sub(GROUP_NAME_MAX_LEN)
            .and_then(list_width)
            .ok_or_else(|| bad_len(body, "query fetch all reply"))?;
        let mut r = Reader::new(body);
        let group = r.fixed_str(GROUP_NAME_MAX_LEN)?;
        let storages = read_addrs(&mut r, width, n)?;
        r.finish()?;
        Ok(Self { group, storages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(ip: &str) -> ServerAddr {
        ServerAddr::new(ip, 23000)
    }

    #[test]
    fn request_lengths() {
        assert!(QueryStoreWithoutGroupOne::decode(&[0]).is_err());
        assert!(QueryStoreWithGroupOne::decode(b"group1").is_err());
        assert!(QueryStoreWithGroupAll::decode(&[0; 16]).is_err(), "empty group name");
        let mut body = BytesMut::new();
        body.put_fixed_str("group1", 16);
        body.extend_from_slice(&[b'a'; 21]);
        assert!(QueryFetchOne::decode(&body).is_err(), "filename of 21 bytes");
        body.put_u8(b'a');
        assert_eq!(QueryFetchOne::decode(&body).unwrap().filename.len(), 22);
        body.extend_from_slice(&[b'a'; 105]);
        assert_eq!(QueryUpdate::decode(&body).unwrap().filename.len(), 127);
        body.put_u8(b'a');
        assert!(QueryFetchAll::decode(&body).is_err(), "filename of 128 bytes");
    }

    #[test]
    fn ipv6_width_replies_decode() {
        let v6 = "fd00:1234:5678:9abc:def0:1234:5678:9abc";
        let one = StoreTarget { group: "g".into(), storage: addr(v6), store_path_index: 1 };
        let body = one.to_body();
        assert_eq!(body.len(), 70);
        assert_eq!(StoreTarget::decode(&body).unwrap(), one);

        let fetch = FetchTarget { group: "g".into(), storage: addr(v6) };
        assert_eq!(fetch.to_body().len(), 69);
        assert_eq!(FetchTarget::decode(&fetch.to_body()).unwrap(), fetch);

        // An IPv4 address in the 45-byte width, as a V6.11+ tracker may send.
        let mut wide = BytesMut::new();
        wide.put_fixed_str("group1", 16);
        for ip in ["127.0.0.2", "127.0.0.3"] {
            wide.put_fixed_str(ip, 45);
            wide.put_i64(23000);
        }
        let all = FetchTargets::decode(&wide).unwrap();
        assert_eq!(all.storages, vec![addr("127.0.0.2"), addr("127.0.0.3")]);
        assert_eq!(all.to_body().len(), 16 + 2 * 23, "re-encoded in the IPv4 width");
        wide.put_u8(0);
        assert_eq!(StoreTargets::decode(&wide).unwrap().storages.len(), 2);
    }

    #[test]
    fn ipv6_mode_always_encodes_the_wide_field() {
        let v4 = addr("127.0.0.2");
        let one = StoreTarget { group: "group1".into(), storage: v4.clone(), store_path_index: 2 };
        assert_eq!(one.to_body_with(IpWidth::Auto), one.to_body());
        let wide = one.to_body_with(IpWidth::Ipv6);
        assert_eq!(wide.len(), 16 + 45 + 8 + 1);
        assert_eq!(&wide[16..25], b"127.0.0.2");
        assert!(wide[25..61].iter().all(|&b| b == 0));
        assert_eq!(StoreTarget::decode(&wide).unwrap(), one);

        let fetch = FetchTarget { group: "group1".into(), storage: v4.clone() };
        let wide = fetch.to_body_with(IpWidth::Ipv6);
        assert_eq!(wide.len(), 16 + 45 + 8);
        assert_eq!(FetchTarget::decode(&wide).unwrap(), fetch);

        let storages = vec![v4, addr("127.0.0.3")];
        let all =
            StoreTargets { group: "g".into(), storages: storages.clone(), store_path_index: 0 };
        let wide = all.to_body_with(IpWidth::Ipv6);
        assert_eq!(wide.len(), 16 + 2 * 53 + 1);
        assert_eq!(StoreTargets::decode(&wide).unwrap(), all);
        let all = FetchTargets { group: "g".into(), storages };
        let wide = all.to_body_with(IpWidth::Ipv6);
        assert_eq!(wide.len(), 16 + 2 * 53);
        assert_eq!(FetchTargets::decode(&wide).unwrap(), all);
    }

    #[test]
    fn length_fitting_both_widths_takes_the_one_within_limits() {
        // 23 records of 45 + 8 bytes = 53 records of 15 + 8 bytes.
        let ips: Vec<ServerAddr> = (0..23).map(|i| addr(&format!("fd00::{i}:0:0:0:0:0"))).collect();
        let all = FetchTargets { group: "g".into(), storages: ips };
        let body = all.to_body();
        assert_eq!(body.len(), 16 + 23 * 53);
        assert_eq!(FetchTargets::decode(&body).unwrap(), all);
    }

    #[test]
    fn reply_lengths() {
        assert!(StoreTarget::decode(&[0; 39]).is_err());
        assert!(FetchTarget::decode(&[0; 40]).is_err());
        assert!(FetchTargets::decode(&[0; 16]).is_err(), "no storage");
        assert!(FetchTargets::decode(&[0; 16 + 24]).is_err());
        assert!(FetchTargets::decode(&vec![0; 16 + 33 * 23]).is_err(), "over the group limit");
        assert!(StoreTargets::decode(&[0; 17]).is_err());
        let mut bad_port = FetchTarget { group: "g".into(), storage: addr("1.2.3.4") }.to_body();
        bad_port[31] = 1;
        assert!(FetchTarget::decode(&bad_port).is_err());
    }
}
