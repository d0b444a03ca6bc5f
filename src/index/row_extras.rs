//! The `row` stored field: what an export row needs that no fast column holds as logged
//! (read by [`super::export_rows`], written by [`super::schema::Fields::document`]).

use std::borrow::Cow;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::model::AuditEvent;

/// What an export row needs that no column holds, stored per document as compact JSON.
/// Written borrowing from the event (every document carries one), read back owned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowExtras<'a> {
    /// The audit ID (its column's dictionary, one term per event, is slow to look up in bulk).
    #[serde(rename = "a", default, skip_serializing_if = "str::is_empty")]
    pub audit_id: Cow<'a, str>,
    /// The request path without its query (the `path` field is searched, not stored).
    #[serde(rename = "p", default, skip_serializing_if = "str::is_empty")]
    pub path: Cow<'a, str>,
    /// The exec command, one element per argument.
    #[serde(rename = "c", default, skip_serializing_if = "<[String]>::is_empty")]
    pub command: Cow<'a, [String]>,
    /// The trusted source IP as logged, when the `peer` column would spell it otherwise (an
    /// IPv4-mapped or non-canonical IPv6 address, or no address at all).
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<Cow<'a, str>>,
}

impl<'a> RowExtras<'a> {
    pub fn of(e: &'a AuditEvent) -> RowExtras<'a> {
        let peer = e.peer_ip().filter(|p| !is_canonical_peer(p));
        RowExtras {
            audit_id: Cow::Borrowed(&e.audit_id),
            path: Cow::Borrowed(e.path()),
            command: e
                .exec
                .as_ref()
                .map_or(Cow::Borrowed(&[][..]), |x| Cow::Borrowed(&x.command[..])),
            peer: peer.map(Cow::Borrowed),
        }
    }

    /// The stored bytes.
    pub fn encode(&self) -> String {
        // Strings and string lists always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub(super) fn decode(text: &str) -> RowExtras<'static> {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// Whether the `peer` column gives this source IP back as logged. An IPv4 address that
/// parses is written back alike (the parser takes no leading zeros, no spaces): the common
/// case, answered without formatting the address again.
fn is_canonical_peer(peer: &str) -> bool {
    peer.parse::<std::net::Ipv4Addr>().is_ok() || canonical_peer(peer).as_deref() == Some(peer)
}

/// A source IP as the `peer` column gives it back (`schema::parse_ip`, then `from_v6`:
/// IPv4-mapped addresses as IPv4, IPv6 in canonical form).
fn canonical_peer(peer: &str) -> Option<String> {
    let ip: IpAddr = peer.trim().parse().ok()?;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    Some(ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast IPv4 answer must be the one formatting the address again gives, or a
    /// non-canonical address would lose its spelling in exports.
    #[test]
    fn canonical_peer_fast_path_agrees_with_formatting() {
        let peers = [
            "10.0.0.1",
            "010.0.0.1",
            "10.0.0.01",
            " 10.0.0.1",
            "10.0.0.1 ",
            "255.255.255.255",
            "0.0.0.0",
            "1.2.3",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "2001:DB8::1",
            "2001:db8:0:0:0:0:0:1",
            "",
            "not-an-ip",
        ];
        for p in peers {
            assert_eq!(
                is_canonical_peer(p),
                canonical_peer(p).as_deref() == Some(p),
                "{p:?}"
            );
        }
    }

    #[test]
    fn extras_written_borrowed_read_back_owned() {
        use crate::ingest::formats::{NormalizeOptions, native};
        let json = r#"{"kind":"Event","auditID":"a-1","stage":"ResponseComplete","verb":"get",
            "requestURI":"/api/v1/namespaces/shop/pods/web/log?follow=true",
            "sourceIPs":["::ffff:10.0.0.1"],"stageTimestamp":"2024-01-02T03:04:05Z"}"#;
        let parsed = native::parse(
            json,
            crate::model::SourceRef::default(),
            NormalizeOptions::default(),
        );
        let Ok(mut e) = parsed else {
            panic!("the test record does not parse");
        };
        let extras = RowExtras::decode(&RowExtras::of(&e).encode());
        assert_eq!(extras.audit_id, "a-1");
        assert_eq!(extras.path, "/api/v1/namespaces/shop/pods/web/log");
        assert_eq!(extras.peer.as_deref(), Some("::ffff:10.0.0.1"));
        assert!(extras.command.is_empty());
        e.source_ips = vec!["10.0.0.1".into()];
        e.audit_id.clear();
        let encoded = RowExtras::of(&e).encode();
        assert!(
            !encoded.contains("\"a\"") && !encoded.contains("\"i\""),
            "{encoded}"
        );
        assert_eq!(RowExtras::decode(&encoded).peer, None);
    }
}
