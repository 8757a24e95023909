//! `allow_hosts`: which peers may connect, in FastDFS's notation.
//!
//! Accepted entries (one or more, each a config line or comma-free token):
//! `*` (anyone), an exact address (`10.0.1.7`, `::1`), a CIDR block
//! (`10.0.0.0/16`, `fd00::/8`), and FastDFS's bracket ranges in one octet
//! (`10.0.1.[1-15,20]`). Host names are not resolved: a server decides on
//! the peer address alone, so an entry that is not an address is an error at
//! start-up rather than a silent no-match.

use std::net::IpAddr;

/// A parsed `allow_hosts` list. The empty list and `*` allow everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowHosts {
    any: bool,
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Cidr { net: IpAddr, prefix: u8 },
    Octets { fixed: [u8; 4], index: usize, values: Vec<(u8, u8)> },
}

/// An entry that is not in a form `AllowHosts` understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad allow_hosts entry {entry:?}: {reason}")]
pub struct AllowHostsError {
    pub entry: String,
    pub reason: &'static str,
}

impl AllowHosts {
    /// Everyone.
    pub fn any() -> Self {
        Self { any: true, rules: Vec::new() }
    }

    /// Parses entries; `*` anywhere (or no entries) allows everyone.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, AllowHostsError> {
        let mut out = Self::default();
        let mut seen = false;
        for entry in entries.into_iter().map(str::trim).filter(|e| !e.is_empty()) {
            seen = true;
            if entry == "*" {
                out.any = true;
            } else {
                out.rules.push(parse_rule(entry)?);
            }
        }
        out.any |= !seen;
        Ok(out)
    }

    /// Whether every peer may connect (`*`, or no entries).
    pub fn allows_everyone(&self) -> bool {
        self.any
    }

    /// Whether `ip` may connect.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.any || self.rules.iter().any(|rule| rule.matches(ip))
    }
}

fn parse_rule(entry: &str) -> Result<Rule, AllowHostsError> {
    let err = |reason| AllowHostsError { entry: entry.to_string(), reason };
    if let Some((net, prefix)) = entry.split_once('/') {
        let net: IpAddr = net.parse().map_err(|_| err("not an address before '/'"))?;
        let prefix: u8 = prefix.parse().map_err(|_| err("bad prefix length"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(err("prefix length too long"));
        }
        return Ok(Rule::Cidr { net, prefix });
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        return Ok(Rule::Cidr { net: ip, prefix });
    }
    parse_octet_range(entry).ok_or_else(|| err("not an address, CIDR block or a.b.c.[x-y] range"))
}

/// `a.b.c.[1-15,20]`, the bracket in any one octet.
fn parse_octet_range(entry: &str) -> Option<Rule> {
    let parts: Vec<&str> = entry.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut fixed = [0u8; 4];
    let mut range = None;
    for (i, part) in parts.iter().enumerate() {
        if let Some(inner) = part.strip_prefix('[').and_then(|p| p.strip_suffix(']')) {
            if range.is_some() {
                return None;
            }
            let mut values = Vec::new();
            for item in inner.split(',') {
                let (lo, hi) = item.split_once('-').unwrap_or((item, item));
                let (lo, hi): (u8, u8) = (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
                if lo > hi {
                    return None;
                }
                values.push((lo, hi));
            }
            range = Some((i, values));
        } else {
            fixed[i] = part.parse().ok()?;
        }
    }
    let (index, values) = range?;
    Some(Rule::Octets { fixed, index, values })
}

impl Rule {
    fn matches(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Self::Cidr { net: IpAddr::V4(net), prefix }, IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
                u32::from(*net) & mask == u32::from(ip) & mask
            }
            (Self::Cidr { net: IpAddr::V6(net), prefix }, IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*prefix)).unwrap_or(0);
                u128::from(*net) & mask == u128::from(ip) & mask
            }
            (Self::Octets { fixed, index, values }, IpAddr::V4(ip)) => {
                let octets = ip.octets();
                octets.iter().enumerate().all(|(i, &o)| {
                    if i == *index {
                        values.iter().any(|&(lo, hi)| (lo..=hi).contains(&o))
                    } else {
                        o == fixed[i]
                    }
                })
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn empty_and_star_allow_everyone() {
        assert!(AllowHosts::parse([]).unwrap().allows(ip("1.2.3.4")));
        assert!(AllowHosts::parse(["10.0.0.1", "*"]).unwrap().allows(ip("1.2.3.4")));
    }

    #[test]
    fn exact_cidr_and_ranges() {
        let a = AllowHosts::parse(["127.0.0.1", "10.1.0.0/16", "192.168.5.[1-15,20]", "fd00::/8"])
            .unwrap();
        for yes in
            ["127.0.0.1", "10.1.200.3", "192.168.5.1", "192.168.5.15", "192.168.5.20", "fd12::1"]
        {
            assert!(a.allows(ip(yes)), "{yes}");
        }
        for no in ["127.0.0.2", "10.2.0.1", "192.168.5.16", "192.168.6.1", "fe80::1", "::1"] {
            assert!(!a.allows(ip(no)), "{no}");
        }
        // An IPv4-mapped IPv6 peer is judged as its IPv4 address.
        assert!(a.allows(ip("::ffff:127.0.0.1")));
    }

    #[test]
    fn zero_prefix_and_bad_entries() {
        assert!(AllowHosts::parse(["0.0.0.0/0"]).unwrap().allows(ip("8.8.8.8")));
        for bad in ["host.example", "10.0.0.0/33", "1.2.3.[5-1]", "1.2.[1-2].[3-4]", "1.2.3"] {
            assert!(AllowHosts::parse([bad]).is_err(), "{bad}");
        }
    }
}
