//! Address classes: is a source IP on the internet, or inside some private network?

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// True for an address routable on the internet: not private (RFC 1918, unique-local),
/// loopback, link-local, shared (CGNAT 100.64/10) or unspecified. Documentation ranges
/// (192.0.2/24, 198.51.100/24, 203.0.113/24) count as public: examples use them for
/// outside hosts.
pub fn is_public(ip: &str) -> bool {
    ip.trim().parse::<IpAddr>().is_ok_and(is_public_addr)
}

/// [`is_public`] for a parsed address.
pub fn is_public_addr(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || (o[0] == 100 && (64..128).contains(&o[1])))
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        for ip in [
            "198.51.100.77",
            "8.8.8.8",
            "2001:db8::1",
            "::ffff:203.0.113.5",
        ] {
            assert!(is_public(ip), "{ip}");
        }
        for ip in [
            "10.244.2.7",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "100.64.0.1",
            "169.254.169.254",
            "::1",
            "fd00::1",
            "fe80::1",
            "",
            "x",
        ] {
            assert!(!is_public(ip), "{ip}");
        }
    }
}
