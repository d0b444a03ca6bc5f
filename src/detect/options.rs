//! Detection settings: history thresholds of the baselines, burst sizes, the analyst's pod
//! networks, the analyst's lists (bad addresses, allowed images). Shared by the engine and
//! the stateful detectors; imports only `model` and the query language's globs.

use crate::model::Micros;
use crate::query::glob::Glob;

/// Detection settings (documented in the README).
#[derive(Debug, Clone)]
pub struct DetectOptions {
    /// An account's history must hold this many events before anything it does is "new".
    pub min_history_events: u32,
    /// … spread over at least this long (microseconds).
    pub min_history_span: i64,
    /// Bursts: this many events inside `burst_window` (microseconds).
    pub burst_min: usize,
    pub burst_window: i64,
    /// Pod networks given by the analyst, on top of the pod IPs learned from the data.
    pub pod_cidrs: Vec<ipnet::IpNet>,
    /// Addresses the analyst lists as bad (Tor exits, known attackers): every request from
    /// one is reported (`--bad-addresses FILE`).
    pub bad_addresses: Vec<ipnet::IpNet>,
    /// Images the analyst allows (globs); when given, a workload written with any other
    /// image is reported (`--image-allow FILE`).
    pub image_allow: Vec<Glob>,
}

/// The lines of a list file that carry a value: `#` starts a comment, blank lines are
/// skipped. Yields (line number, value).
pub fn list_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let v = l.split('#').next().unwrap_or_default().trim();
        (!v.is_empty()).then_some((i + 1, v))
    })
}

/// Parses a bad-address list: one IP address or CIDR a line, `#` comments. An error names
/// the line and what was wrong.
pub fn parse_addresses(text: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list_lines(text)
        .map(|(n, v)| {
            v.parse::<ipnet::IpNet>()
                .or_else(|_| v.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("line {n}: `{v}` is not an IP address or CIDR"))
        })
        .collect()
}

/// Parses an image allow list: one glob a line (`registry.example.com/*`), `#` comments.
/// Images are compared in lower case.
pub fn parse_image_globs(text: &str) -> Vec<Glob> {
    list_lines(text)
        .map(|(_, v)| Glob::new(&v.to_ascii_lowercase()))
        .collect()
}

impl Default for DetectOptions {
    fn default() -> Self {
        DetectOptions {
            min_history_events: 5,
            min_history_span: Micros::HOUR,
            burst_min: 10,
            burst_window: 5 * Micros::MINUTE,
            pod_cidrs: Vec::new(),
            bad_addresses: Vec::new(),
            image_allow: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_take_comments_blank_lines_addresses_and_networks() {
        let text = "# tor exits\n198.51.100.7\n\n203.0.113.0/24  # a range\n2001:db8::1\n";
        let nets = parse_addresses(text).unwrap_or_default();
        assert_eq!(nets.len(), 3);
        assert!(
            nets[1].contains(
                &"203.0.113.9"
                    .parse::<std::net::IpAddr>()
                    .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))
            )
        );
        let err = parse_addresses("10.0.0.1\nnot-an-ip\n")
            .err()
            .unwrap_or_default();
        assert!(err.contains("line 2") && err.contains("not-an-ip"), "{err}");
        let globs = parse_image_globs("Registry.Example.com/*\n# x\n");
        assert!(globs.len() == 1 && globs[0].is_match("registry.example.com/shop/web:1.2"));
    }
}
