//! Who the retention tags bind (`store::retention`), and the record of a
//! refusal.
//!
//! Every native client command that deletes or changes a file is checked
//! against the file's Object Lock tags ([`Worm::Enforce`]) — except from a
//! `lock_admin_hosts` address, which may do everything ([`Worm::Bypass`]):
//! that is the S3 gateway, which applies S3's own rules (a governance
//! bypass, lifting a legal hold) by rewriting the tags and then deleting.
//! The list is empty by default, so nobody lifts a retention or a hold
//! early; expiry still frees the file. Changes a group peer replays through
//! the sync commands are not checked here: the source storage checked them.
//!
//! A refusal is answered `EPERM` with an empty body and logged at WARN with
//! the file and the peer, so an operator sees who tried.
//!
//! The storage-to-storage commands skip the check when they come from a
//! group member (the source checked) or a lock admin; from anyone else they
//! are held to the same rule (`sync::guard`). Until the storage has heard
//! its group's member list from a tracker it trusts every sender, as
//! FastDFS does.

use std::net::IpAddr;

use fdfs_protocol::allow::{AllowHosts, AllowHostsError};
use fdfs_protocol::connection::Connection;
use fdfs_protocol::file_id::LogicName;
use tracing::warn;

use crate::store::{StoreError, Worm};

/// The `lock_admin_hosts` setting: addresses whose requests the retention
/// tags do not bind. Empty (the default) means nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockAdmins(Option<AllowHosts>);

impl LockAdmins {
    /// Nobody.
    pub fn none() -> Self {
        Self(None)
    }

    /// Parses entries in `allow_hosts` notation (an address, a CIDR block,
    /// `a.b.c.[1-15,20]`, or `*` for everyone); no entries means nobody.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, AllowHostsError> {
        let entries: Vec<&str> =
            entries.into_iter().map(str::trim).filter(|e| !e.is_empty()).collect();
        if entries.is_empty() {
            return Ok(Self(None));
        }
        AllowHosts::parse(entries).map(|hosts| Self(Some(hosts)))
    }

    /// Whether `ip` is a lock admin.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.as_ref().is_some_and(|hosts| hosts.allows(ip))
    }

    /// How a native client request from `ip` is checked, now.
    pub fn worm_for(&self, ip: IpAddr) -> Worm {
        if self.contains(ip) { Worm::Bypass } else { Worm::enforce_now() }
    }
}

/// Logs a refusal at WARN when `err` is one (the status is answered by the
/// caller as for any other store error).
pub fn note_refusal(err: &StoreError, conn: &Connection, name: &LogicName, command: &str) {
    if matches!(err, StoreError::Retained(_)) {
        warn!(
            file = %name,
            peer = %conn.peer_addr(),
            command,
            "refused: the file is under retention or a legal hold"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::LockAdmins;
    use crate::store::Worm;

    #[test]
    fn empty_means_nobody_and_entries_parse() {
        let none = LockAdmins::parse(["", " "]).unwrap();
        assert_eq!(none, LockAdmins::none());
        assert!(!none.contains("127.0.0.1".parse().unwrap()));
        assert!(matches!(none.worm_for("127.0.0.1".parse().unwrap()), Worm::Enforce { .. }));
        let some = LockAdmins::parse(["127.0.0.1", "10.0.0.0/8"]).unwrap();
        assert!(some.contains("127.0.0.1".parse().unwrap()));
        assert!(some.contains("10.2.3.4".parse().unwrap()));
        assert!(!some.contains("127.0.0.77".parse().unwrap()));
        assert_eq!(some.worm_for("10.0.0.1".parse().unwrap()), Worm::Bypass);
        assert!(LockAdmins::parse(["gateway.local"]).is_err());
        assert!(LockAdmins::parse(["*"]).unwrap().contains("192.0.2.1".parse().unwrap()));
    }
}
