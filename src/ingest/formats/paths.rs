//! Kubernetes resource paths, for formats that carry a path instead of an `objectRef`
//! (the legacy text format's `uri`, GKE's `resourceName`).

/// The parts of a resource path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParts<'a> {
    /// "" for the core group.
    pub group: &'a str,
    pub version: &'a str,
    pub namespace: &'a str,
    pub resource: &'a str,
    pub name: &'a str,
    pub subresource: &'a str,
    /// Path segments after the subresource (a `nodes/proxy` kubelet path), `/`-joined.
    pub tail: String,
    /// The deprecated `/watch/` prefix: `/api/v1/watch/namespaces/x/pods`.
    pub watch: bool,
}

fn is_version(s: &str) -> bool {
    s.strip_prefix('v')
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_digit())
}

/// Parses a request path (`/api/v1/namespaces/ns/pods/x/exec`, `/apis/apps/v1/…`), without
/// its query. `None` for a non-resource path (`/healthz`, `/version`).
pub fn from_uri(uri: &str) -> Option<PathParts<'_>> {
    let path = uri.split('?').next().unwrap_or_default();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", version, rest @ ..] if is_version(version) => ("", *version, rest),
        ["apis", group, version, rest @ ..] if is_version(version) => (*group, *version, rest),
        _ => return None,
    };
    match rest {
        ["watch", rest @ ..] => tail(group, version, rest).map(|p| PathParts { watch: true, ..p }),
        _ => tail(group, version, rest),
    }
}

/// Parses a GKE `resourceName` (`core/v1/namespaces/ns/pods/x/exec`,
/// `rbac.authorization.k8s.io/v1/clusterroles/x`). `None` for a non-resource one (`readyz`).
pub fn from_resource_name(name: &str) -> Option<PathParts<'_>> {
    let segs: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        [group, version, rest @ ..] if is_version(version) => {
            tail(if *group == "core" { "" } else { group }, version, rest)
        }
        _ => None,
    }
}

fn tail<'a>(group: &'a str, version: &'a str, rest: &[&'a str]) -> Option<PathParts<'a>> {
    // `namespaces/x` alone names the namespace object itself, which lives in no namespace.
    let (namespace, rest) = match rest {
        ["namespaces", ns, more @ ..] if !more.is_empty() => (*ns, more),
        _ => ("", rest),
    };
    let resource = *rest.first()?;
    Some(PathParts {
        group,
        version,
        namespace,
        resource,
        name: rest.get(1).copied().unwrap_or_default(),
        subresource: rest.get(2).copied().unwrap_or_default(),
        tail: rest.get(3..).map(|t| t.join("/")).unwrap_or_default(),
        watch: false,
    })
}

/// The API path of a resource, as the API server would log it (no query).
pub fn to_uri(p: &PathParts<'_>) -> String {
    let mut out = if p.group.is_empty() {
        format!("/api/{}", p.version)
    } else {
        format!("/apis/{}/{}", p.group, p.version)
    };
    for seg in [
        if p.namespace.is_empty() {
            ""
        } else {
            "namespaces"
        },
        p.namespace,
        p.resource,
        p.name,
        p.subresource,
        p.tail.as_str(),
    ] {
        if !seg.is_empty() {
            out.push('/');
            out.push_str(seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_resource_names() {
        let p = from_uri("/api/v1/namespaces/shop/pods/web-0/exec?command=sh").unwrap();
        assert_eq!(
            (p.group, p.namespace, p.resource, p.name, p.subresource),
            ("", "shop", "pods", "web-0", "exec")
        );
        let p = from_uri("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings").unwrap();
        assert_eq!(
            (p.group, p.resource, p.name),
            ("rbac.authorization.k8s.io", "clusterrolebindings", "")
        );
        assert!(from_uri("/healthz").is_none());
        let p = from_uri("/api/v1/watch/namespaces/shop/pods").unwrap();
        assert_eq!((p.namespace, p.resource, p.watch), ("shop", "pods", true));
        let p = from_resource_name("core/v1/namespaces/default/pods/web-0/exec").unwrap();
        assert_eq!(to_uri(&p), "/api/v1/namespaces/default/pods/web-0/exec");
        let p = from_resource_name("core/v1/nodes/n1/proxy/run/shop/web-0/web").unwrap();
        assert_eq!(to_uri(&p), "/api/v1/nodes/n1/proxy/run/shop/web-0/web");
        let p = from_resource_name("apps/v1/namespaces/x/deployments/d").unwrap();
        assert_eq!(to_uri(&p), "/apis/apps/v1/namespaces/x/deployments/d");
        let p = from_resource_name("core/v1/namespaces/foo").unwrap();
        assert_eq!((p.resource, p.name, p.namespace), ("namespaces", "foo", ""));
        assert!(from_resource_name("readyz").is_none());
    }
}
