//! The start-up warning for an exposed native port.
//!
//! The tracker and storage ports speak FastDFS's protocol, which has no
//! authentication: anyone who can connect can upload, download and delete
//! files, and reconfigure the cluster (join a storage, delete one). As in
//! FastDFS, `allow_hosts` and the network are the only guards. A port
//! listening beyond loopback while `allow_hosts` lets everyone in is
//! almost always a mistake, so `fdfs tracker` and `fdfs storage` say so at
//! start (and still start: a private network may be guard enough).

use std::net::SocketAddr;

use fdfs_protocol::allow::AllowHosts;
use tracing::warn;

/// Whether a native port on `listen` with `allow_hosts` is open to
/// everyone who can reach it beyond this machine.
pub fn exposed(listen: SocketAddr, allow_hosts: &[String]) -> bool {
    let everyone = AllowHosts::parse(allow_hosts.iter().map(String::as_str))
        .map(|a| a.allows_everyone())
        .unwrap_or(false);
    everyone && !listen.ip().is_loopback()
}

/// Logs the warning of the module docs when `listen` is [`exposed`].
pub fn warn_if_exposed(role: &str, listen: SocketAddr, allow_hosts: &[String]) {
    if exposed(listen, allow_hosts) {
        warn!(
            %listen,
            "the {role} port has no authentication (FastDFS protocol) and allow_hosts lets \
             everyone connect: anyone who can reach {listen} can read, write and delete files. \
             Set allow_hosts (--allow-hosts) to the clients, storages and trackers that need it, \
             or keep the port on a private network"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::exposed;

    #[test]
    fn only_everyone_beyond_loopback_is_exposed() {
        let v = |s: &[&str]| s.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        let any = v(&[]);
        assert!(exposed("0.0.0.0:22122".parse().unwrap(), &any));
        assert!(exposed("10.0.0.5:23000".parse().unwrap(), &v(&["*"])));
        assert!(exposed("[::]:22122".parse().unwrap(), &v(&["10.0.0.0/8", "*"])));
        assert!(!exposed("127.0.0.1:22122".parse().unwrap(), &any));
        assert!(!exposed("127.0.0.9:23000".parse().unwrap(), &v(&["*"])));
        assert!(!exposed("[::1]:22122".parse().unwrap(), &any));
        assert!(!exposed("0.0.0.0:22122".parse().unwrap(), &v(&["10.0.0.0/8"])));
    }
}
