//! Whom `fdfs server`'s embedded storage lets lift an S3 retention or hold:
//! its own gateway, identified by the address it connects from.
//!
//! The gateway reaches the storage over the loopback or the machine's own
//! interface without binding a source address, so the kernel picks the
//! source from its routing table — on Linux 127.0.0.1 for the whole of
//! 127.0.0.0/8, the interface's own address for the machine's IP. Asking
//! the same routing table (a connected UDP socket sends nothing) gives
//! that address without guessing, whatever `--storage-listen` says.
//!
//! Any other local process connecting the same way looks the same to the
//! storage; a client from another address (another host, or another
//! loopback address it binds) is held to the file's retention.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

use anyhow::Context;

/// The source address of a connection from this host to `storage`.
pub fn source_towards(storage: IpAddr) -> anyhow::Result<IpAddr> {
    let any: IpAddr = match storage {
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let socket = UdpSocket::bind((any, 0)).context("cannot open a probe socket")?;
    // The port is irrelevant to the route; 0 is refused by connect.
    socket
        .connect(SocketAddr::new(storage, 9))
        .with_context(|| format!("no route from this host to {storage}"))?;
    Ok(socket.local_addr().context("probe socket address")?.ip())
}

#[cfg(test)]
mod tests {
    use super::source_towards;

    #[test]
    fn loopback_storages_are_reached_from_the_loopback() {
        let from = source_towards("127.0.0.63".parse().unwrap()).unwrap();
        assert!(from.is_loopback(), "{from}");
        let from = source_towards("127.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(from, "127.0.0.1".parse::<std::net::IpAddr>().unwrap());
    }
}
