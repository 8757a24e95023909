//! The width of IP fields in replies that name a storage (`response_ip_addr_size`).
//!
//! FastDFS 6.11–6.12 always sent IPv6-width fields (45 bytes in query
//! replies 101–107, 46 in QUERY_FILE_INFO); 6.15+ sends IPv4 widths (15/16)
//! unless its tracker is told otherwise, and clients written for one
//! generation may insist on it. Decoders here accept both; encoders take an
//! [`IpWidth`] so an operator can serve clients that expect the wide form.

use std::fmt;
use std::str::FromStr;

use bytes::BytesMut;

use crate::consts::{IP_ADDRESS_SIZE, IPV4_ADDRESS_SIZE};

/// Which IP field width replies use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IpWidth {
    /// The IPv4 width (15 in queries, 16 in file info) whenever every address
    /// fits, else the IPv6 width: what FastDFS 6.15+ sends by default
    /// (`response_ip_addr_size = auto`, or `16`).
    #[default]
    Auto,
    /// Always the IPv6 width (45 in queries, 46 in file info), as FastDFS
    /// 6.11–6.12 did (`response_ip_addr_size = 46`).
    Ipv6,
}

impl IpWidth {
    /// The `response_ip_addr_size` value a tracker reports to storages in
    /// PARAMETER_REQ: `16` or `46` (the address size, NUL included).
    pub fn addr_size(self) -> usize {
        match self {
            Self::Auto => IPV4_ADDRESS_SIZE,
            Self::Ipv6 => IP_ADDRESS_SIZE,
        }
    }

    /// The width a tracker's PARAMETER_REQ value asks for: `46` means
    /// [`IpWidth::Ipv6`], `16` [`IpWidth::Auto`]; `None` for anything else.
    pub fn from_addr_size(size: i64) -> Option<Self> {
        match size {
            16 => Some(Self::Auto),
            46 => Some(Self::Ipv6),
            _ => None,
        }
    }
}

/// Encoding of a reply whose IP fields follow an [`IpWidth`]. Its plain
/// [`Encode`](crate::Encode) is `encode_with(buf, IpWidth::Auto)`.
pub trait EncodeWidth {
    /// Appends the body to `buf` with IP fields of `width`.
    fn encode_with(&self, buf: &mut BytesMut, width: IpWidth);

    /// The encoded body as a fresh buffer.
    fn to_body_with(&self, width: IpWidth) -> BytesMut {
        let mut buf = BytesMut::new();
        self.encode_with(&mut buf, width);
        buf
    }
}

/// A `response_ip_addr_size` value that is none of the accepted spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address size: expected auto, 16 or 46")]
pub struct ParseIpWidthError(pub String);

impl FromStr for IpWidth {
    type Err = ParseIpWidthError;

    /// `auto`, `16` or `ipv4` give [`IpWidth::Auto`]; `46` or `ipv6` give
    /// [`IpWidth::Ipv6`] (case-insensitive, surrounding blanks ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "16" | "ipv4" => Ok(Self::Auto),
            "46" | "ipv6" => Ok(Self::Ipv6),
            _ => Err(ParseIpWidthError(s.to_string())),
        }
    }
}

impl fmt::Display for IpWidth {
    /// The config spelling: `auto` or `46`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Ipv6 => f.write_str("46"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IpWidth;

    #[test]
    fn parses_config_spellings() {
        for (text, want) in [
            ("auto", IpWidth::Auto),
            ("AUTO", IpWidth::Auto),
            ("16", IpWidth::Auto),
            ("IPv4", IpWidth::Auto),
            (" 46 ", IpWidth::Ipv6),
            ("IPv6", IpWidth::Ipv6),
        ] {
            assert_eq!(text.parse::<IpWidth>(), Ok(want), "{text}");
        }
        for bad in ["", "45", "15", "wide"] {
            assert!(bad.parse::<IpWidth>().is_err(), "{bad}");
        }
        for w in [IpWidth::Auto, IpWidth::Ipv6] {
            assert_eq!(w.to_string().parse::<IpWidth>(), Ok(w));
            assert_eq!(IpWidth::from_addr_size(w.addr_size() as i64), Some(w));
        }
        assert_eq!(IpWidth::from_addr_size(15), None);
    }
}
