//! Virtual-hosted-style addressing: `Host: BUCKET.DOMAIN[:port]` names the
//! bucket, for each configured DOMAIN. Every other host (the domain
//! itself, an IP address, any other name) is path-style, so turning
//! virtual hosts on never breaks a path-style client. `s3s`'s own
//! `SingleDomain`/`MultiDomain` would take an unknown host for a
//! bucket (CNAME style) and do not ignore the port, which would turn
//! `myhost:9000` into a bucket named `myhost:9000`.

use std::borrow::Cow;

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

/// The configured base domains, lower case, without ports.
#[derive(Debug, Clone)]
pub(super) struct VirtualHosts {
    domains: Vec<String>,
}

/// Why a domain cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid virtual host domain {0:?}: expected DNS labels of letters, digits and '-'")]
pub struct InvalidDomain(pub String);

impl VirtualHosts {
    /// Validates and normalises `domains`; a trailing port is ignored.
    pub(super) fn new(domains: &[String]) -> Result<Self, InvalidDomain> {
        let mut out = Vec::with_capacity(domains.len());
        for d in domains {
            let name = strip_port(d.trim()).trim_end_matches('.').to_ascii_lowercase();
            let valid = !name.is_empty()
                && name.len() <= 253
                && name.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if !valid {
                return Err(InvalidDomain(d.clone()));
            }
            if !out.contains(&name) {
                out.push(name);
            }
        }
        // Longest first, so `s3.example.com` wins over `example.com`.
        out.sort_by_key(|d| std::cmp::Reverse(d.len()));
        Ok(Self { domains: out })
    }

    /// The bucket `host` names, if any.
    pub(super) fn bucket_of(&self, host: &str) -> Option<String> {
        let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
        self.domains.iter().find_map(|d| {
            let bucket = host.strip_suffix(d.as_str())?.strip_suffix('.')?;
            (!bucket.is_empty()).then(|| bucket.to_string())
        })
    }
}

/// `host` without a `:port` suffix (IPv6 literals keep their brackets).
fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        // A bare IPv6 address has colons but no port.
        Some((h, _)) if h.contains(':') && !h.ends_with(']') => host,
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

impl S3Host for VirtualHosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        let vh = VirtualHost::new(Cow::Borrowed(host));
        Ok(match self.bucket_of(host) {
            Some(bucket) => vh.with_bucket(bucket),
            None => vh,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{InvalidDomain, VirtualHosts};

    fn hosts(d: &[&str]) -> VirtualHosts {
        VirtualHosts::new(&d.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn buckets_from_hosts() {
        let v = hosts(&["localhost", "s3.Example.com:9000"]);
        assert_eq!(v.bucket_of("bkt.localhost:9000").as_deref(), Some("bkt"));
        assert_eq!(v.bucket_of("BKT.localhost").as_deref(), Some("bkt"));
        assert_eq!(v.bucket_of("my.dotted.bucket.localhost").as_deref(), Some("my.dotted.bucket"));
        assert_eq!(v.bucket_of("b.s3.example.com.").as_deref(), Some("b"));
        assert_eq!(v.bucket_of("localhost:9000"), None);
        assert_eq!(v.bucket_of("s3.example.com"), None);
        assert_eq!(v.bucket_of("xlocalhost"), None);
        assert_eq!(v.bucket_of("other.host:9000"), None);
        assert_eq!(v.bucket_of("[::1]:9000"), None);
        assert_eq!(v.bucket_of("::1"), None);
    }

    #[test]
    fn longest_domain_wins() {
        let v = hosts(&["example.com", "s3.example.com"]);
        assert_eq!(v.bucket_of("b.s3.example.com").as_deref(), Some("b"));
        assert_eq!(v.bucket_of("b.example.com").as_deref(), Some("b"));
    }

    #[test]
    fn invalid_domains() {
        for bad in ["", ".", "a..b", "a_b.com", "bad host"] {
            let got = VirtualHosts::new(&[bad.to_string()]);
            assert_eq!(got.unwrap_err(), InvalidDomain(bad.to_string()), "{bad:?}");
        }
    }

    proptest::proptest! {
        /// The Host header is network input: any text is answered without
        /// a panic, and `BUCKET.DOMAIN[:PORT]` always names BUCKET.
        #[test]
        fn any_host_is_parsed(
            host in "\\PC{0,80}",
            bucket in "[a-z0-9][a-z0-9.-]{0,40}[a-z0-9]",
            port in proptest::option::of(1u16..),
        ) {
            let v = hosts(&["localhost", "s3.example.com"]);
            let _ = v.bucket_of(&host);
            let named = match port {
                Some(p) => format!("{bucket}.s3.example.com:{p}"),
                None => format!("{bucket}.s3.example.com"),
            };
            proptest::prop_assert_eq!(v.bucket_of(&named), Some(bucket));
        }
    }
}
