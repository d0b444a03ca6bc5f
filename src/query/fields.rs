//! The fields an analyst can name in a query, their aliases and how their values are read.

/// How a field's values are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Exact term; `*` wildcards allowed.
    Keyword,
    /// Exact term after lower-casing (verbs, resources, namespaces…).
    LowerKeyword,
    /// An IP address or a CIDR block.
    Ip,
    /// An unsigned number: exact, `>=N`, `[A TO B]`, `4xx`.
    Number,
    /// A timestamp: RFC 3339, a date, or a duration back from the newest event (`2h`).
    Time,
    /// Words of the compact event text.
    Text,
}

/// One queryable field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Canonical name, also the name of the index field.
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: FieldKind,
    pub help: &'static str,
}

pub const FIELDS: &[FieldSpec] = &[
    f(
        "user",
        &["username", "u"],
        FieldKind::Keyword,
        "authenticated username",
    ),
    f(
        "sa",
        &["serviceaccount"],
        FieldKind::Keyword,
        "service account `ns:name` (or `name`)",
    ),
    f(
        "sa_ns",
        &["sans"],
        FieldKind::LowerKeyword,
        "service account namespace",
    ),
    f(
        "group",
        &["groups"],
        FieldKind::Keyword,
        "a group of the user",
    ),
    f(
        "actor_kind",
        &["kind", "actor"],
        FieldKind::LowerKeyword,
        "anonymous | service-account | node | control-plane | human",
    ),
    f(
        "impersonated",
        &["as", "imp"],
        FieldKind::Keyword,
        "impersonated username",
    ),
    f(
        "credential",
        &["cred"],
        FieldKind::Keyword,
        "credential id from user.extra (JTI=…, X509SHA256=…)",
    ),
    f(
        "pod",
        &[],
        FieldKind::Keyword,
        "pod the service-account token was bound to",
    ),
    f(
        "node",
        &[],
        FieldKind::Keyword,
        "node of the bound token, or the kubelet's node",
    ),
    f(
        "verb",
        &["v"],
        FieldKind::LowerKeyword,
        "get, list, watch, create, update, patch, delete…",
    ),
    f(
        "resource",
        &["res", "r"],
        FieldKind::LowerKeyword,
        "resource, or `resource/subresource`",
    ),
    f(
        "subresource",
        &["sub"],
        FieldKind::LowerKeyword,
        "subresource (exec, log, status, token…)",
    ),
    f(
        "api_group",
        &["apigroup", "apig"],
        FieldKind::LowerKeyword,
        "API group (\"\" is core)",
    ),
    f(
        "namespace",
        &["ns"],
        FieldKind::LowerKeyword,
        "object namespace",
    ),
    f("name", &["obj"], FieldKind::Keyword, "object name"),
    f(
        "ip",
        &["source_ip", "src", "srcip"],
        FieldKind::Ip,
        "any source IP (IP or CIDR)",
    ),
    f(
        "peer",
        &["peer_ip"],
        FieldKind::Ip,
        "the trusted source IP: the socket peer (IP or CIDR)",
    ),
    f(
        "ua",
        &["user_agent", "agent"],
        FieldKind::Keyword,
        "user agent (use `*` wildcards)",
    ),
    f(
        "ua_family",
        &["uaf", "client"],
        FieldKind::LowerKeyword,
        "user-agent family: kubectl, curl…",
    ),
    f(
        "code",
        &["status"],
        FieldKind::Number,
        "response code: 403, >=400, [400 TO 499], 4xx",
    ),
    f(
        "decision",
        &["authz"],
        FieldKind::LowerKeyword,
        "authorization decision: allow | forbid",
    ),
    f(
        "role",
        &[],
        FieldKind::Keyword,
        "RBAC role that allowed the request (from the reason)",
    ),
    f(
        "binding",
        &[],
        FieldKind::Keyword,
        "RBAC binding that allowed the request",
    ),
    f(
        "stage",
        &[],
        FieldKind::Keyword,
        "most complete stage kept for the request",
    ),
    f("level", &[], FieldKind::Keyword, "audit level"),
    f(
        "audit_id",
        &["id", "auditid"],
        FieldKind::Keyword,
        "audit ID",
    ),
    f(
        "path",
        &["uri"],
        FieldKind::Keyword,
        "request path without query (`/api/v1/secrets`)",
    ),
    f(
        "exec",
        &["stream"],
        FieldKind::LowerKeyword,
        "exec | attach | portforward | node-proxy",
    ),
    f(
        "format",
        &[],
        FieldKind::LowerKeyword,
        "input format the event was read from",
    ),
    f("cluster", &[], FieldKind::Keyword, "cluster label"),
    f(
        "fact",
        &[],
        FieldKind::Keyword,
        "a derived fact (hostpath:/, privileged, podip…)",
    ),
    f(
        "time",
        &["t", "ts"],
        FieldKind::Time,
        "event time: >2024-01-02T03:00Z, [A TO B], >2h",
    ),
    f(
        "text",
        &["msg", "any"],
        FieldKind::Text,
        "words of the event text (URI, command, messages)",
    ),
];

const fn f(
    name: &'static str,
    aliases: &'static [&'static str],
    kind: FieldKind,
    help: &'static str,
) -> FieldSpec {
    FieldSpec {
        name,
        aliases,
        kind,
        help,
    }
}

/// Looks a field up by name or alias, ignoring case.
pub fn lookup(name: &str) -> Option<&'static FieldSpec> {
    let lower = name.to_ascii_lowercase();
    FIELDS
        .iter()
        .find(|f| f.name == lower || f.aliases.contains(&lower.as_str()))
}

/// The closest field name to a misspelt one, if it is close enough to be a typo.
pub fn suggest(name: &str) -> Option<&'static str> {
    // Two edits at most: a name longer than every field by more cannot be a typo of one
    // (and measuring a pasted megabyte against each field would take seconds).
    let longest = FIELDS
        .iter()
        .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
        .map(str::len)
        .max()
        .unwrap_or(0);
    if name.chars().count() > longest + 2 {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    FIELDS
        .iter()
        .flat_map(|f| {
            std::iter::once(f.name)
                .chain(f.aliases.iter().copied())
                .map(move |n| (n, f.name))
        })
        .map(|(alias, canonical)| (edit_distance(&lower, alias), canonical))
        .filter(|(d, _)| *d <= 1 || (*d <= 2 && lower.len() > 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve() {
        assert_eq!(lookup("NS").unwrap().name, "namespace");
        assert_eq!(lookup("res").unwrap().name, "resource");
        assert_eq!(lookup("ip").unwrap().kind, FieldKind::Ip);
        assert!(lookup("nope").is_none());
    }

    #[test]
    fn readme_documents_every_field() {
        let readme = include_str!("../../README.md");
        for f in FIELDS {
            assert!(
                readme.contains(&format!("| `{}`", f.name)),
                "README lacks field `{}`",
                f.name
            );
            for a in f.aliases {
                assert!(
                    readme.contains(&format!("`{a}`")),
                    "README lacks alias `{a}` of `{}`",
                    f.name
                );
            }
        }
    }

    #[test]
    fn regression_suggest_for_a_huge_unknown_field_name_is_instant() {
        // A 1 MB field name took seconds per field: an edit distance against each.
        let started = std::time::Instant::now();
        assert_eq!(suggest(&"x".repeat(1 << 20)), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert_eq!(suggest("namespacexx"), Some("namespace"));
    }

    #[test]
    fn suggests_typos_only() {
        assert_eq!(suggest("usr"), Some("user"));
        assert_eq!(suggest("namespce"), Some("namespace"));
        assert_eq!(suggest("system"), None);
    }
}
