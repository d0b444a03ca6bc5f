//! The authorizer's reason, read: which binding and role allowed a request.

use serde::Serialize;

/// What an RBAC "allowed by" reason names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RbacGrant<'a> {
    /// `ClusterRoleBinding` or `RoleBinding`.
    pub binding_kind: &'a str,
    /// The binding's name (`name/namespace` for a RoleBinding, as logged).
    pub binding: &'a str,
    /// `ClusterRole` or `Role`.
    pub role_kind: &'a str,
    pub role: &'a str,
    /// `User`, `Group` or `ServiceAccount`.
    pub subject_kind: &'a str,
    pub subject: &'a str,
}

/// Parses `RBAC: allowed by ClusterRoleBinding "b" of ClusterRole "r" to Group "g"`, borrowing
/// the names from the reason (every event's row reads it).
pub fn rbac_grant(reason: &str) -> Option<RbacGrant<'_>> {
    let rest = reason.strip_prefix("RBAC: allowed by ")?;
    let (binding_kind, rest) = rest.split_once(' ')?;
    let (binding, rest) = quoted(rest)?;
    let rest = rest.strip_prefix(" of ")?;
    let (role_kind, rest) = rest.split_once(' ')?;
    let (role, rest) = quoted(rest)?;
    let rest = rest.strip_prefix(" to ")?;
    let (subject_kind, rest) = rest.split_once(' ')?;
    let (subject, _) = quoted(rest)?;
    Some(RbacGrant {
        binding_kind,
        binding,
        role_kind,
        role,
        subject_kind,
        subject,
    })
}

/// `"value" rest` → (`value`, ` rest`).
fn quoted(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_prefix('"')?;
    let end = s.find('"')?;
    Some((&s[..end], &s[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rbac_reasons() {
        let g = rbac_grant(r#"RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated""#).unwrap();
        assert_eq!(g.binding_kind, "ClusterRoleBinding");
        assert_eq!(g.role, "system:public-info-viewer");
        assert_eq!(g.subject_kind, "Group");
        assert_eq!(g.subject, "system:unauthenticated");
        let g = rbac_grant(r#"RBAC: allowed by RoleBinding "web/shop" of Role "web-reader" to ServiceAccount "web/shop""#).unwrap();
        assert_eq!(g.binding, "web/shop");
        assert_eq!(g.role_kind, "Role");
        assert!(rbac_grant("").is_none());
        assert!(rbac_grant("RBAC: allowed by something odd").is_none());
    }
}
