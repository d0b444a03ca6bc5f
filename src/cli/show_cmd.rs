//! `kubesift show`: one event (by audit ID, or a prefix only one audit ID starts with), its
//! decoded fields, the findings it belongs to and the raw record — the detail view's twin.

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::output::EventRecord;
use crate::detect::{Finding, Severity};
use crate::model::sanitize::escape_control;
use crate::model::{Stage, exec};
use crate::session::{IndexDir, Loaded, Session};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The audit ID of the event.
    pub audit_id: String,
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

#[derive(Serialize)]
struct Shown<'a> {
    event: EventRecord<'a>,
    /// The findings the event belongs to, most severe first (`[]` when none).
    findings: Vec<FindingRef<'a>>,
    raw: serde_json::Value,
}

/// A finding as `show` names it: enough to find it in `detect`.
#[derive(Serialize)]
pub struct FindingRef<'a> {
    rule_id: &'a str,
    severity: Severity,
    title: &'a str,
    account: &'a str,
    summary: &'a str,
}

impl<'a> From<&'a Finding> for FindingRef<'a> {
    fn from(f: &'a Finding) -> Self {
        FindingRef {
            rule_id: &f.rule_id,
            severity: f.severity,
            title: &f.title,
            account: &f.account,
            summary: &f.summary,
        }
    }
}

pub fn run(dir: &IndexDir, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let session = Session::open(dir)?;
    let loaded = session.events_with_id_or_prefix(&args.audit_id)?;
    if loaded.is_empty() {
        anyhow::bail!(
            "no event with audit ID {} (nor one whose audit ID starts with it)",
            args.audit_id
        );
    }
    let findings = session.default_findings()?;
    let of = |id: &str| -> Vec<FindingRef<'_>> {
        findings
            .iter()
            .filter(|f| f.audit_ids.iter().any(|a| a == id))
            .map(FindingRef::from)
            .collect()
    };
    let text = match args.format {
        ShowFormat::Json => {
            let shown: Vec<Shown<'_>> = loaded
                .iter()
                .map(|l| Shown {
                    event: EventRecord::new(&l.event),
                    findings: of(&l.event.audit_id),
                    raw: serde_json::from_str(&l.raw)
                        .unwrap_or(serde_json::Value::String(l.raw.clone())),
                })
                .collect();
            let mut s = if shown.len() == 1 {
                crate::model::sanitize::json_to_string_pretty(&shown[0])?
            } else {
                crate::model::sanitize::json_to_string_pretty(&shown)?
            };
            s.push('\n');
            s
        }
        ShowFormat::Text => loaded
            .iter()
            .map(|l| render_text(l, &of(&l.event.audit_id)))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let mut out = std::io::stdout().lock();
    super::stdout_ok(out.write_all(text.as_bytes()))?;
    Ok(ExitCode::SUCCESS)
}

/// The width of the label column: the longest label (`impersonating`) and two spaces.
const LABEL_WIDTH: usize = 15;

/// `  label          value`: the value starts in its column, and at least two spaces after a
/// label longer than the column.
fn label_line(label: &str, value: &str) -> String {
    let width = LABEL_WIDTH.max(label.chars().count() + 2);
    format!("  {label:<width$}{value}")
}

/// The decoded fields on top, the findings the event belongs to, then the raw record
/// pretty-printed. Every log string is escaped.
#[expect(
    clippy::too_many_lines,
    reason = "one labelled line per field, in display order"
)]
pub fn render_text(l: &Loaded, findings: &[FindingRef<'_>]) -> String {
    let e = &l.event;
    let mut s = String::new();
    let mut field = |name: &str, value: &str| {
        if !value.is_empty() {
            let _ = writeln!(s, "{}", label_line(name, &escape_control(value)));
        }
    };
    field("audit id", &e.audit_id);
    field("time", &format!("{} (UTC)", e.time));
    let stages: Vec<&str> = e.stages.iter().map(Stage::as_str).collect();
    field(
        "stage",
        &format!(
            "{} (seen: {})",
            e.stage.map_or("-", |s| s.as_str()),
            stages.join(", ")
        ),
    );
    let who = match e.actor.service_account() {
        Some(sa) => format!("{}  [{} {sa}]", e.user.username, e.actor.kind),
        None => format!("{}  [{}]", e.user.username, e.actor.kind),
    };
    field("user", &who);
    field("groups", &e.user.groups.join(", "));
    if let Some(imp) = &e.impersonated {
        field(
            "impersonating",
            &format!("{} (groups: {})", imp.username, imp.groups.join(", ")),
        );
    }
    let c = &e.credential;
    let lineage: Vec<String> = [
        c.id.as_ref().map(|v| format!("credential {v}")),
        c.pod_name.as_ref().map(|v| format!("pod {v}")),
        c.node_name.as_ref().map(|v| format!("node {v}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    field("lineage", &lineage.join("  "));
    field(
        "source ip",
        &format!(
            "{} (sourceIPs: {})",
            e.peer_ip().unwrap_or("-"),
            e.source_ips.join(", ")
        ),
    );
    field(
        "user agent",
        &format!("{}  [{}]", e.user_agent, e.ua_family),
    );
    let target = [e.object.namespace.as_str(), e.object.name.as_str()]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    // A request about no object: its path (it read `get` and blanks).
    let request = if e.object.resource.is_empty() {
        format!("{} {}", e.verb, e.path())
    } else {
        format!("{} {} {target}", e.verb, e.resource_path())
    };
    field("request", request.trim_end());
    // As logged, then decoded when that differs (as the workbench's detail view).
    field("uri", &e.request_uri);
    let decoded = exec::decode_uri(&e.request_uri);
    if decoded != e.request_uri {
        field("uri decoded", &decoded);
    }
    let code = e.code.map_or_else(|| "-".into(), |c| c.to_string());
    field("response", format!("{code} {}", e.status_reason).trim_end());
    field("message", &e.status_message);
    field(
        "decision",
        format!("{} {}", e.decision, e.authz_reason).trim(),
    );
    if let Some(x) = &e.exec {
        field(x.kind.as_str(), &x.command_line);
        let mut flags = Vec::new();
        if let Some(c) = &x.container {
            flags.push(format!("container {c}"));
        }
        for (on, name) in [
            (x.stdin, "stdin"),
            (x.stdout, "stdout"),
            (x.stderr, "stderr"),
            (x.tty, "tty"),
        ] {
            if on {
                flags.push(name.to_owned());
            }
        }
        if !x.ports.is_empty() {
            flags.push(format!("ports {}", x.ports.join(",")));
        }
        if let Some(t) = &x.target {
            flags.push(format!("kubelet {t}"));
        }
        field("streams", &flags.join(", "));
    }
    field("source", &e.source.to_string());
    write_findings(&mut s, findings);
    let pretty = serde_json::from_str::<serde_json::Value>(&l.raw)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| l.raw.clone());
    let _ = writeln!(s, "raw event:");
    for line in pretty.lines() {
        let _ = writeln!(s, "  {}", escape_control(line));
    }
    s
}

/// `findings:` and one line per finding: severity, rule id, title and summary.
fn write_findings(s: &mut String, findings: &[FindingRef<'_>]) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(s, "findings:");
    for f in findings {
        let line = format!(
            "{:<8}  {}  {}: {}",
            f.severity.to_string(),
            f.rule_id,
            f.title,
            f.summary
        );
        let _ = writeln!(s, "  {}", escape_control(&line));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::{NormalizeOptions, native};
    use crate::model::SourceRef;

    const IMPERSONATING: &str = r#"{"kind":"Event","auditID":"i-1","stage":"ResponseComplete","verb":"create","requestURI":"/api/v1/namespaces/shop/pods/web-0/portforward?ports=8080","user":{"username":"system:serviceaccount:shop:web","groups":["system:serviceaccounts"]},"impersonatedUser":{"username":"john.doe@example.com","groups":["system:masters"]},"objectRef":{"resource":"pods","namespace":"shop","name":"web-0","subresource":"portforward"},"responseStatus":{"code":101},"requestReceivedTimestamp":"2024-01-02T03:04:05Z"}"#;

    #[test]
    fn regression_show_label_runs_into_value() {
        let event = native::parse(
            IMPERSONATING,
            SourceRef::default(),
            NormalizeOptions::default(),
        )
        .unwrap();
        let text = render_text(
            &Loaded {
                event,
                raw: IMPERSONATING.to_owned(),
            },
            &[],
        );
        let head = text.split("raw event:").next().unwrap();
        assert!(
            head.contains("  impersonating  john.doe@example.com"),
            "{head}"
        );
        // Every label, however long, stands apart from its value.
        let labels: Vec<&str> = head
            .lines()
            .map(|l| l.trim_start().split_once("  ").unwrap().0)
            .collect();
        assert!(labels.contains(&"impersonating"), "{labels:?}");
        for label in labels {
            assert!(
                !label.contains(['@', '[', '(', '/']),
                "label and value run together: {label:?}"
            );
        }
    }
}
