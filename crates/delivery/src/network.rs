//! Addresses: which ones are not on the public internet, and the
//! operator's lists of networks and hosts.
//!
//! Webhooks use both so a clinic owner cannot make the service post to its
//! own machine or network; the service's per-address limits read its list
//! of trusted proxies as [`Networks`] too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Whether an address is one the service must not reach on a clinic's
/// behalf: loopback, private, shared (carrier-grade NAT), link-local,
/// unique-local, unspecified, multicast, broadcast, documentation,
/// benchmarking, reserved, or an IPv6 form that embeds or translates to an
/// IPv4 address (mapped, compatible, NAT64, 6to4, Teredo).
pub fn is_special(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_special_v4(ip),
        IpAddr::V6(ip) => is_special_v6(ip),
    }
}

fn is_special_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0 // "this network", including 0.0.0.0
        || a == 10 // private
        || a == 127 // loopback
        || a >= 224 // multicast, reserved, broadcast
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local, cloud metadata services
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 168) // private
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
}

fn is_special_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    // Only global unicast (2000::/3) is public at all; within it, the
    // blocks below are special.
    if segments[0] & 0xe000 != 0x2000 {
        return true;
    }
    let documentation = (segments[0] == 0x2001 && segments[1] == 0x0db8)
        || (segments[0] == 0x3fff && segments[1] < 0x1000);
    // 2001::/23 holds Teredo (2001::/32) and other protocol assignments;
    // 2002::/16 is 6to4, which embeds an IPv4 address.
    let protocol_assignments = segments[0] == 0x2001 && segments[1] < 0x0200;
    let six_to_four = segments[0] == 0x2002;
    documentation || protocol_assignments || six_to_four
}

/// A list of networks in CIDR notation; a bare address is a network of
/// one address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Networks(Vec<IpNet>);

impl Networks {
    /// The networks of `entries`, or the first entry that is not one.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Networks, String> {
        entries
            .iter()
            .map(|entry| {
                parse_network(entry.as_ref()).ok_or_else(|| {
                    format!(
                        "`{}` is not an address or a network such as 10.0.0.0/8",
                        entry.as_ref()
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Networks)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether an address is in one of the networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|network| network.contains(&ip))
    }
}

fn parse_network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if let Ok(network) = text.parse::<IpNet>() {
        return Some(network.trunc());
    }
    text.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Where the operator lets webhooks go even though the address is special:
/// networks (`10.20.0.0/16`, `127.0.0.1`) and host names
/// (`hooks.clinic.internal`, matched whole, whatever they resolve to).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookAllow {
    networks: Networks,
    hosts: Vec<String>,
}

impl WebhookAllow {
    /// The list of `entries`: each a network, an address or a host name.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<WebhookAllow, String> {
        let mut allow = WebhookAllow::default();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if let Some(network) = parse_network(entry) {
                allow.networks.0.push(network);
            } else if is_host_name(entry) {
                allow.hosts.push(entry.to_ascii_lowercase());
            } else {
                return Err(format!(
                    "`{entry}` is not a network (10.0.0.0/8), an address or a host name"
                ));
            }
        }
        Ok(allow)
    }

    /// Whether webhooks may go to this address.
    pub fn admits_address(&self, ip: IpAddr) -> bool {
        !is_special(ip.to_canonical()) || self.networks.contains(ip)
    }

    /// Whether the operator named this host, so any address it resolves
    /// to is allowed.
    pub fn names_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.hosts
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(host))
    }
}

fn is_host_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
}

/// Names that lead inside by convention, whatever they resolve to: the
/// machine itself, the local network's names, and names of one label that
/// the resolver completes with a local search domain.
pub(crate) fn is_internal_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let internal_suffix = ["localhost", "local", "internal", "home.arpa", "localdomain"]
        .iter()
        .any(|suffix| {
            host == *suffix
                || host
                    .strip_suffix(suffix)
                    .is_some_and(|rest| rest.ends_with('.'))
        });
    internal_suffix || !host.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn loopback_private_link_local_and_other_special_addresses_are_special() {
        for special in [
            "0.0.0.0",
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.5.4",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.0.8",
            "192.0.2.10",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "2002:7f00:1::1",
            "3fff::1",
            "100::1",
        ] {
            assert!(is_special(ip(special)), "{special} is special");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
        ] {
            assert!(!is_special(ip(public)), "{public} is public");
        }
    }

    #[test]
    fn the_operator_can_allow_networks_and_hosts() {
        let allow = WebhookAllow::parse(&["10.1.0.0/16", "127.0.0.1", "Hooks.Clinic.Internal"])
            .expect("a list");
        assert!(allow.admits_address(ip("10.1.2.3")));
        assert!(allow.admits_address(ip("127.0.0.1")));
        assert!(allow.admits_address(ip("::ffff:127.0.0.1")));
        assert!(!allow.admits_address(ip("10.2.0.1")));
        assert!(!allow.admits_address(ip("127.0.0.2")));
        assert!(allow.admits_address(ip("8.8.8.8")));
        assert!(allow.names_host("hooks.clinic.internal"));
        assert!(allow.names_host("HOOKS.clinic.internal."));
        assert!(!allow.names_host("clinic.internal"));
        assert!(WebhookAllow::parse(&["10.0.0.0/33"]).is_err());
        assert!(WebhookAllow::parse(&["http://x"]).is_err());
        assert!(Networks::parse(&["hooks.example"]).is_err());
    }

    #[test]
    fn internal_names_are_recognised() {
        for name in [
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "printer.local",
            "db.internal",
            "nas.home.arpa",
            "intranet",
        ] {
            assert!(is_internal_name(name), "{name}");
        }
        for name in ["hooks.example", "notlocalhost.example", "local.example"] {
            assert!(!is_internal_name(name), "{name}");
        }
    }
}
