//! Where a webhook may go: only to the public internet, unless the
//! operator allowed an address or a host (`--webhook-allow`).
//!
//! A clinic owner chooses the webhook's address, so without this check
//! the service would post, on their behalf, to itself, to the machines
//! beside it, or to a cloud metadata service. The address is checked when
//! the owner saves it ([`check_url`], which only sees the text) and again
//! every time a message is sent: the host is resolved here
//! ([`CheckedResolver`]), every address it resolves to must pass, and the
//! connection goes to those checked addresses, so a name cannot resolve
//! to a public address when saved and to an internal one when used.
//! Redirects are never followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::network::{WebhookAllow, is_internal_name};

/// What a refused address was expected to be, for the owner who typed it.
pub const EXPECTED: &str = "an http:// or https:// address on the public internet, of at most \
     2000 characters (loopback, private, link-local and other special addresses are refused \
     unless the operator allows them with --webhook-allow)";

/// Whether a webhook address may be saved: http or https, with a host
/// that is not a special address or an internal name (unless allowed).
/// Names are not resolved here (that happens at every send); this catches
/// what is plainly inside.
pub fn check_url(text: &str, allow: &WebhookAllow) -> bool {
    let Ok(url) = Url::parse(text) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let host_admitted = match literal_address(host) {
        Some(ip) => allow.admits_address(ip),
        None => allow.names_host(host) || !is_internal_name(host),
    };
    text.len() <= 2000 && matches!(url.scheme(), "http" | "https") && host_admitted
}

/// Whether a webhook may be sent to this URL as far as its text goes: an
/// http or https URL whose host, when written as an address, passes. A
/// host name is checked by [`CheckedResolver`] when it is resolved, on
/// what it resolves to then.
pub(super) fn sendable(url: &Url, allow: &WebhookAllow) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && literal_address(host).is_none_or(|ip| allow.admits_address(ip))
}

/// The address a URL's host is written as, if it is one. The URL parser
/// has already written every IPv4 form (`0x7f.1`, `2130706433`) as four
/// decimals, and IPv6 in brackets; such hosts are never resolved.
fn literal_address(host: &str) -> Option<IpAddr> {
    host.strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host)
        .parse()
        .ok()
}

/// Resolves webhook hosts and keeps only the addresses webhooks may go
/// to; the HTTP client connects to what this returns and nothing else.
#[derive(Clone, Debug)]
pub(super) struct CheckedResolver {
    allow: Arc<WebhookAllow>,
}

impl CheckedResolver {
    pub(super) fn new(allow: WebhookAllow) -> CheckedResolver {
        CheckedResolver {
            allow: Arc::new(allow),
        }
    }
}

/// Why a host has no address to send to. Its text is never stored or
/// shown to the clinic (see `webhook::post`).
#[derive(Debug, thiserror::Error)]
#[error("the webhook's host has no address webhooks may go to")]
pub(super) struct NoAllowedAddress;

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = Arc::clone(&self.allow);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addresses: Addrs = Box::new(admitted(&allow, &host, found)?.into_iter());
            Ok(addresses)
        })
    }
}

/// The addresses a host resolved to, if webhooks may go there: all of
/// them when the operator named the host, else only if every one passes.
/// Every one, not just one: a name that resolves to a public and a private
/// address is refused whole, since the connection may go to either.
fn admitted(
    allow: &WebhookAllow,
    host: &str,
    found: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, NoAllowedAddress> {
    let passes = allow.names_host(host) || found.iter().all(|at| allow.admits_address(at.ip()));
    if found.is_empty() || !passes {
        return Err(NoAllowedAddress);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SocketAddr {
        SocketAddr::new(text.parse().expect("an address"), 0)
    }

    #[test]
    fn a_name_passes_only_if_every_address_it_resolves_to_does() {
        let none = WebhookAllow::default();
        assert!(admitted(&none, "hooks.example", vec![at("93.184.215.14")]).is_ok());
        for inside in [
            vec![at("127.0.0.1")],
            vec![at("::1"), at("127.0.0.1")],
            vec![at("93.184.215.14"), at("10.0.0.7")],
            vec![at("169.254.169.254")],
            vec![],
        ] {
            assert!(
                admitted(&none, "hooks.example", inside.clone()).is_err(),
                "{inside:?}"
            );
        }
        let named = WebhookAllow::parse(&["hooks.clinic.internal"]).expect("a list");
        assert!(admitted(&named, "hooks.clinic.internal", vec![at("10.0.0.7")]).is_ok());
        assert!(admitted(&named, "other.clinic.internal", vec![at("10.0.0.7")]).is_err());
        let network = WebhookAllow::parse(&["10.0.0.0/8"]).expect("a list");
        assert!(admitted(&network, "hooks.example", vec![at("10.0.0.7")]).is_ok());
    }

    #[test]
    fn a_saved_address_is_checked_as_written() {
        let none = WebhookAllow::default();
        assert!(check_url("https://hooks.example/aftercare?token=x", &none));
        for refused in [
            "ftp://hooks.example/",
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://0x7f.1/",
            "http://2130706433/",
            "http://localhost/",
            "http://db.internal/",
            "http://intranet/",
            "not a url",
        ] {
            assert!(!check_url(refused, &none), "{refused}");
        }
        let long = format!("https://hooks.example/{}", "a".repeat(2000));
        assert!(!check_url(&long, &none));
    }
}
