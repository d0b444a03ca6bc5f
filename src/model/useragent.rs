//! User-agent families: `kubectl/v1.29.1 (linux/amd64) kubernetes/abc` → `kubectl`,
//! `curl/8.4.0` → `curl`, client-go components → their binary name.

/// Families that mark a hand-driven tool rather than a deployed client.
pub const TOOL_FAMILIES: &[&str] = &[
    "curl",
    "wget",
    "python-requests",
    "python-urllib",
    "python-kubernetes",
    "aiohttp",
    "httpie",
    "go-http-client",
    "postman",
    "insomnia",
    "powershell",
    "kubectl",
    "okhttp",
    "node-fetch",
    "axios",
    "java",
    "ruby",
    "perl",
    "libwww-perl",
    "nmap",
    "masscan",
    "zgrab",
    "nuclei",
    "kube-hunter",
    "kubeletctl",
    "peirates",
    "trufflehog",
    "access_matrix",
    "rakkess",
    "kubiscan",
    "azurehound",
    "kdigger",
    "kubestriker",
    "browser",
];

/// The family of a user agent: a short lower-case name for the client program.
pub fn family(ua: &str) -> String {
    let ua = ua.trim();
    if ua.is_empty() {
        return String::new();
    }
    // Case-insensitive, without lower-casing the whole agent (a copy per event).
    let starts = |prefix: &str| {
        ua.as_bytes()
            .get(..prefix.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    if starts("mozilla/") {
        return "browser".to_owned();
    }
    if starts("openapi-generator/") && ua.to_ascii_lowercase().contains("python") {
        return "python-kubernetes".to_owned();
    }
    if starts("python-urllib") {
        return "python-urllib".to_owned();
    }
    // The separators are ASCII: the first word of the lower-cased agent is the lower-cased
    // first word.
    let product = ua
        .split([' ', '/', '('])
        .find(|s| !s.is_empty())
        .unwrap_or_default()
        .to_ascii_lowercase();
    // "kube-controller-manager/v1.29.0 (linux/amd64) kubernetes/abc/system:serviceaccount:…"
    // keeps the binary name; client-go default agents look like "<binary>/<version> (…)".
    product
        .trim_end_matches(".exe")
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect()
}

/// True when the family is a hand-driven tool (curl, python, kubectl, scanners…).
pub fn is_tool(family: &str) -> bool {
    TOOL_FAMILIES.contains(&family)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The family was read from a lower-cased copy of the whole agent; it is now read
    /// without one: the same family for agents of any case, script or control character.
    #[test]
    fn family_without_lowercasing_the_agent_is_the_same() {
        fn by_copy(ua: &str) -> String {
            let ua = ua.trim();
            if ua.is_empty() {
                return String::new();
            }
            let lower = ua.to_ascii_lowercase();
            if lower.starts_with("mozilla/") {
                return "browser".to_owned();
            }
            if lower.starts_with("openapi-generator/") && lower.contains("python") {
                return "python-kubernetes".to_owned();
            }
            if lower.starts_with("python-urllib") {
                return "python-urllib".to_owned();
            }
            let product = lower
                .split([' ', '/', '('])
                .find(|s| !s.is_empty())
                .unwrap_or_default();
            product
                .trim_end_matches(".exe")
                .chars()
                .filter(|c| !c.is_control())
                .take(64)
                .collect()
        }
        let long = "X".repeat(200);
        let agents = [
            "",
            " ",
            "MOZILLA/5.0 (X11)",
            "Mozillé/5.0",
            "mozilla",
            "OpenAPI-Generator/29.0/PYTHON",
            "openapi-generator/1.0/go",
            "Python-urllib/3.11",
            "KUBECTL.EXE/v1.29 (windows)",
            "\u{feff}kubectl/1.0",
            "kube\u{1b}[31mctl/1.0",
            "  (linux) curl/8",
            "Ünïcödé/1",
            "日本語/1.0",
            "/leading/slash",
            "a(b)c d",
            long.as_str(),
        ];
        for ua in agents {
            assert_eq!(family(ua), by_copy(ua), "{ua:?}");
        }
    }

    #[test]
    fn families() {
        assert_eq!(
            family("kubectl/v1.29.1 (linux/amd64) kubernetes/4c94112"),
            "kubectl"
        );
        assert_eq!(
            family("kubectl.exe/v1.29.1 (windows/amd64) kubernetes/4c94112"),
            "kubectl"
        );
        assert_eq!(family("curl/8.4.0"), "curl");
        assert_eq!(family("python-requests/2.31.0"), "python-requests");
        assert_eq!(
            family("OpenAPI-Generator/28.1.0/python"),
            "python-kubernetes"
        );
        assert_eq!(family("Go-http-client/1.1"), "go-http-client");
        assert_eq!(
            family(
                "kube-controller-manager/v1.29.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:replicaset-controller"
            ),
            "kube-controller-manager"
        );
        assert_eq!(family("Mozilla/5.0 (X11; Linux x86_64)"), "browser");
        assert_eq!(
            family("web-frontend/v2.3.1 (linux/amd64) kubernetes/$Format"),
            "web-frontend"
        );
        assert_eq!(family(""), "");
        assert!(is_tool(&family("curl/7.1")));
        assert!(!is_tool(&family("kubelet/v1.29")));
    }
}
