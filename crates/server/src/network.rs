//! The address a request came from when it passed through trusted
//! reverse proxies, and what a per-address limit (sign-in, self-check)
//! counts it under.

use std::net::{IpAddr, Ipv6Addr};

use aftercare_delivery::Networks;
use axum::http::HeaderMap;

/// The address a request came from. The peer of the connection, unless it
/// is a trusted proxy: then the right-most address of `X-Forwarded-For`
/// that is not a trusted proxy (each proxy appends the address it was
/// reached from, so entries to the left of the last untrusted one are
/// whatever the client wrote and are ignored). When every entry is a
/// trusted proxy, the left-most one; when an entry cannot be read, the
/// last trusted hop, so a garbled header never splits one client into
/// many.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &Networks) -> IpAddr {
    let peer = peer.to_canonical();
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(address) = parse_hop(hop) else {
            return client;
        };
        client = address;
        if !trusted.contains(address) {
            return address;
        }
    }
    client
}

/// What a limit per address counts under: an IPv4 address itself, and for
/// IPv6 its /64 network, since one home or server is commonly given a
/// whole /64 and could otherwise step through its addresses.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(ip) => {
            let network = u128::from(ip) & !((1_u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(network))
        }
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// One entry of `X-Forwarded-For`: an address, maybe with a port
/// (`203.0.113.7:4711`, `[2001:db8::1]:4711`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip().to_canonical());
    }
    hop.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().expect("a header value"));
        }
        headers
    }

    #[test]
    fn limits_count_an_ipv6_network_as_one_address() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let headers = forwarded(&["203.0.113.5"]);
        assert_eq!(
            client_address(ip("198.51.100.1"), &headers, &Networks::default()),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted = Networks::parse(&["10.0.0.0/8"]).expect("networks");
        let proxy = ip("10.0.0.2");
        // The client wrote a forged first entry; the proxy appended the
        // address it saw.
        let headers = forwarded(&["1.2.3.4, 203.0.113.5"]);
        assert_eq!(client_address(proxy, &headers, &trusted), ip("203.0.113.5"));
        // Two proxies, in two headers.
        let headers = forwarded(&["1.2.3.4, 203.0.113.5", "10.0.0.9"]);
        assert_eq!(client_address(proxy, &headers, &trusted), ip("203.0.113.5"));
        // A port on the entry.
        let headers = forwarded(&["[2001:db8::7]:4711"]);
        assert_eq!(client_address(proxy, &headers, &trusted), ip("2001:db8::7"));
        // No header: the proxy itself.
        assert_eq!(client_address(proxy, &HeaderMap::new(), &trusted), proxy);
        // Garbage where the client should be: the last trusted hop.
        let headers = forwarded(&["not-an-address, 10.0.0.9"]);
        assert_eq!(client_address(proxy, &headers, &trusted), ip("10.0.0.9"));
        // A peer that is not a trusted proxy is the client, whatever it says.
        let headers = forwarded(&["203.0.113.5"]);
        assert_eq!(
            client_address(ip("198.51.100.1"), &headers, &trusted),
            ip("198.51.100.1")
        );
    }
}
