//! The `row` stored field: what an export row needs that no fast column holds as logged
//! (read by [`super::export_rows`], written by [`super::schema::Fields::document`]).

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::model::AuditEvent;

/// What an export row needs that no column holds, stored per document as compact JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowExtras {
    /// The audit ID (its column's dictionary, one term per event, is slow to look up in bulk).
    #[serde(rename = "a", default, skip_serializing_if = "String::is_empty")]
    pub audit_id: String,
    /// The request path without its query (the `path` field is searched, not stored).
    #[serde(rename = "p", default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The exec command, one element per argument.
    #[serde(rename = "c", default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// The trusted source IP as logged, when the `peer` column would spell it otherwise (an
    /// IPv4-mapped or non-canonical IPv6 address, or no address at all).
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

impl RowExtras {
    pub fn of(e: &AuditEvent) -> RowExtras {
        let peer = e
            .peer_ip()
            .filter(|p| canonical_peer(p).as_deref() != Some(*p));
        RowExtras {
            audit_id: e.audit_id.clone(),
            path: e.path().to_owned(),
            command: e
                .exec
                .as_ref()
                .map(|x| x.command.clone())
                .unwrap_or_default(),
            peer: peer.map(str::to_owned),
        }
    }

    /// The stored bytes.
    pub fn encode(&self) -> String {
        // Strings and string lists always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub(super) fn decode(text: &str) -> RowExtras {
        serde_json::from_str(text).unwrap_or_default()
    }
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
