//! Running detections: single-event rules over every row, then the stateful detectors, then
//! grouping hits into findings — one per (rule, account, burst in time).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use serde_json::json;

use super::finding::{self, Finding};
use super::hit::{Group, Hit, action};
use super::options::DetectOptions;
use super::row::{Row, RowSource, ScanError, Vocab};
use super::rules::{CompiledRule, Rule};
use super::sigma::{self, SigmaRule};
use super::stateful::{self, Hits, State};
use crate::model::{AuditEvent, Micros};

/// Where the events behind rows come from (the index, or events in memory in tests).
pub trait EventSource {
    fn audit_id(&self, doc: u64) -> String;
    fn event(&self, doc: u64) -> Option<AuditEvent>;
}

impl EventSource for Vec<AuditEvent> {
    fn audit_id(&self, doc: u64) -> String {
        usize::try_from(doc)
            .ok()
            .and_then(|i| self.get(i))
            .map(|e| e.audit_id.clone())
            .unwrap_or_default()
    }
    fn event(&self, doc: u64) -> Option<AuditEvent> {
        usize::try_from(doc).ok().and_then(|i| self.get(i)).cloned()
    }
}

/// The data rules followed by the stateful detectors' rules.
pub fn all_rules(data: &[Rule]) -> Vec<Rule> {
    let mut all = data.to_vec();
    all.extend(stateful::rules());
    all
}

/// Runs every detection over the rows of `src` (streamed oldest first).
pub fn detect(
    src: &dyn RowSource,
    data_rules: &[Rule],
    opts: &DetectOptions,
    events: &dyn EventSource,
) -> Result<Vec<Finding>, ScanError> {
    run(src, data_rules, &[], true, opts, events)
}

/// Runs every detection and the analyst's Sigma rules in one pass over the rows.
pub fn detect_with_sigma(
    src: &dyn RowSource,
    data_rules: &[Rule],
    sigma_rules: &[SigmaRule],
    opts: &DetectOptions,
    events: &dyn EventSource,
) -> Result<Vec<Finding>, ScanError> {
    run(src, data_rules, sigma_rules, true, opts, events)
}

/// Runs only Sigma rules (the built-in findings are already known).
pub fn sigma_only(
    src: &dyn RowSource,
    sigma_rules: &[SigmaRule],
    events: &dyn EventSource,
) -> Result<Vec<Finding>, ScanError> {
    run(
        src,
        &[],
        sigma_rules,
        false,
        &DetectOptions::default(),
        events,
    )
}

fn run(
    src: &dyn RowSource,
    data_rules: &[Rule],
    sigma_rules: &[SigmaRule],
    builtin: bool,
    opts: &DetectOptions,
    events: &dyn EventSource,
) -> Result<Vec<Finding>, ScanError> {
    let mut rules = all_rules(data_rules);
    let base = rules.len();
    rules.extend(sigma_rules.iter().map(|r| r.meta.clone()));
    let vocab = src.vocab();
    let compiled: Vec<CompiledRule<'_>> = rules[..data_rules.len()]
        .iter()
        .map(|r| CompiledRule::new(r, vocab))
        .collect();
    let dispatch = super::rules::Dispatch::new(&compiled);
    let index_of = |id: &str| rules.iter().position(|r| r.id == id);
    let mut out = Hits::new(&index_of);
    let mut state = State::new(vocab, opts);
    let mut sigma = sigma::Pass::new(sigma_rules, base);
    src.scan(&mut |row: &Row| {
        if builtin {
            for &ri in dispatch.candidates(row.resource) {
                if let Some(severity) = compiled[ri].evaluate(vocab, row) {
                    out.hits.push(Hit {
                        rule: ri,
                        row: row.clone(),
                        severity,
                        group: Group::Account(row.user),
                        note: None,
                        variant: 0,
                        gap: None,
                    });
                }
            }
            state.observe(row, &mut out);
        }
        sigma.observe(vocab, row, events, &mut out.hits);
    })?;
    if builtin {
        state.finish(&mut out);
    }
    let mut findings = group(vocab, &rules, out.hits, events);
    sigma::attribute(&mut findings, sigma_rules);
    finding::sort(&mut findings);
    Ok(findings)
}

/// Groups hits by (rule, group key) and splits each group where the gap between events
/// exceeds the rule's `group_gap`.
fn group(v: &Vocab, rules: &[Rule], mut hits: Vec<Hit>, src: &dyn EventSource) -> Vec<Finding> {
    hits.sort_by_key(|h| (h.rule, h.group, h.variant, h.row.time, h.row.doc));
    hits.dedup_by_key(|h| (h.rule, h.row.doc, h.row.time));
    let mut findings = Vec::new();
    let mut start = 0;
    while start < hits.len() {
        let mut end = start + 1;
        let gap = hits[start].gap.unwrap_or(rules[hits[start].rule].group_gap);
        while end < hits.len()
            && hits[end].rule == hits[start].rule
            && hits[end].group == hits[start].group
            && hits[end].variant == hits[start].variant
            && hits[end].row.time - hits[end - 1].row.time <= gap
        {
            end += 1;
        }
        findings.push(build(v, &rules[hits[start].rule], &hits[start..end], src));
        start = end;
    }
    findings
}

const LIST_CAP: usize = 20;

fn build(v: &Vocab, rule: &Rule, hits: &[Hit], src: &dyn EventSource) -> Finding {
    let rs: Vec<&Row> = hits.iter().map(|h| &h.row).collect();
    let mut severity = hits
        .iter()
        .map(|h| h.severity)
        .max()
        .unwrap_or(rule.severity);
    let all_denied = rs.iter().all(|r| v.denied(r));
    if all_denied && !rule.keep_denied {
        severity = severity.lower();
    }
    let distinct = |f: &dyn Fn(&Row) -> String| -> Vec<String> {
        let set: BTreeSet<String> = rs.iter().map(|r| f(r)).filter(|s| !s.is_empty()).collect();
        set.into_iter().take(LIST_CAP).collect()
    };
    let account = account_of(v, rs[0], hits[0].group);
    let source_ips = distinct(&|r| r.peer.to_string());
    let namespaces = distinct(&|r| v.s(r.namespace).to_owned());
    let user_agents = distinct(&|r| v.s(r.ua).to_owned());
    let actions = distinct(&|r| action(v, r));
    let targets = distinct(&|r| target(v, r));
    let facts: Vec<String> = {
        let set: BTreeSet<&str> = rs
            .iter()
            .flat_map(|r| r.facts.iter().map(|f| v.s(*f)))
            .collect();
        set.into_iter().take(LIST_CAP).map(str::to_owned).collect()
    };
    let commands = exec_commands(&rs, src);
    let notes: Vec<&str> = {
        let set: BTreeSet<&str> = hits.iter().filter_map(|h| h.note.as_deref()).collect();
        set.into_iter().take(5).collect()
    };
    let codes: BTreeMap<String, usize> = rs.iter().fold(BTreeMap::new(), |mut m, r| {
        let k = if r.code == 0 {
            "none".to_owned()
        } else {
            r.code.to_string()
        };
        *m.entry(k).or_insert(0) += 1;
        m
    });
    let first = Micros(rs.first().map_or(0, |r| r.time));
    let last = Micros(rs.last().map_or(0, |r| r.time));
    let summary = summarize(
        &account,
        rs.len(),
        &actions,
        &targets,
        &commands,
        &facts,
        &notes,
        &source_ips,
        all_denied,
    );
    let mut evidence = json!({
        "actions": actions,
        "targets": targets,
        "user_agents": user_agents,
        "codes": codes,
        "denied": all_denied,
    });
    if !facts.is_empty() {
        evidence["facts"] = json!(facts);
    }
    if !commands.is_empty() {
        evidence["commands"] = json!(commands);
    }
    if !notes.is_empty() {
        evidence["history"] = json!(notes);
    }
    if !rule.description.is_empty() {
        evidence["why"] = json!(rule.description);
    }
    Finding {
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        family: rule.family,
        severity,
        attack: rule.attack.clone(),
        first_seen: first.to_string(),
        last_seen: last.to_string(),
        account,
        source_ips,
        namespaces,
        audit_ids: rs.iter().map(|r| src.audit_id(r.doc)).collect(),
        count: rs.len(),
        summary,
        evidence,
        advice: rule.advice.clone(),
    }
}

fn account_of(v: &Vocab, r: &Row, group: Group) -> String {
    let user = v.s(r.user);
    let user = if user.is_empty() {
        "(unauthenticated)"
    } else {
        user
    };
    match group {
        Group::Address(ip) => format!("{user} from {ip}"),
        Group::Account(_) => user.to_owned(),
    }
}

fn target(v: &Vocab, r: &Row) -> String {
    match (v.s(r.namespace), v.s(r.name)) {
        ("", "") => String::new(),
        ("", n) => n.to_owned(),
        (ns, "") => format!("{ns}/*"),
        (ns, n) => format!("{ns}/{n}"),
    }
}

/// The decoded commands of exec rows (from the stored events; a handful at most).
fn exec_commands(rs: &[&Row], src: &dyn EventSource) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rs.iter().filter(|r| r.exec != super::row::EMPTY).take(50) {
        if let Some(x) = src.event(r.doc).and_then(|e| e.exec) {
            let line = if x.command_line.is_empty() {
                match x.kind {
                    // SPDY port-forwards name their ports in stream headers, not the URL.
                    crate::model::exec::StreamKind::PortForward if x.ports.is_empty() => {
                        "port-forward (ports not logged)".to_owned()
                    }
                    crate::model::exec::StreamKind::PortForward => {
                        format!("port-forward {}", x.ports.join(","))
                    }
                    _ => format!("{} (no command)", x.kind.as_str()),
                }
            } else {
                x.command_line.clone()
            };
            let line = match &x.target {
                Some(t) => format!("{line} via kubelet {t}"),
                None => line,
            };
            if !out.contains(&line) {
                out.push(line);
            }
        }
        if out.len() >= 5 {
            break;
        }
    }
    out
}

#[expect(
    clippy::too_many_arguments,
    reason = "each part of the one-line summary of a finding"
)]
fn summarize(
    account: &str,
    count: usize,
    actions: &[String],
    targets: &[String],
    commands: &[String],
    facts: &[String],
    notes: &[&str],
    ips: &[String],
    denied: bool,
) -> String {
    let mut s = format!("{account}: {}", join_some(actions, 3));
    if !targets.is_empty() {
        let _ = write!(s, " on {}", join_some(targets, 3));
    }
    if !commands.is_empty() {
        // Each command in its own quotes (a comma inside one is its own; `and N more`
        // outside them).
        let quoted: Vec<String> = commands.iter().map(|c| format!("`{c}`")).collect();
        let _ = write!(s, " running {}", join_some(&quoted, 2));
    }
    if !ips.is_empty() {
        let _ = write!(s, " from {}", join_some(ips, 3));
    }
    if count > 1 {
        let _ = write!(s, " ({count} events)");
    }
    let shown: Vec<&String> = facts
        .iter()
        .filter(|f| {
            !["podip:", "hostip:", "image:", "pod-sa:", "owned"]
                .iter()
                .any(|p| f.starts_with(p))
        })
        .collect();
    if !shown.is_empty() {
        let list: Vec<String> = shown.iter().take(4).map(|f| (*f).clone()).collect();
        let _ = write!(s, " [{}]", list.join(", "));
    }
    if let Some(n) = notes.first() {
        let _ = write!(s, "; {n}");
    }
    if denied {
        s.push_str("; every attempt was denied");
    }
    s
}

fn join_some(items: &[String], n: usize) -> String {
    let mut s = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        let _ = write!(s, " and {} more", items.len() - n);
    }
    s
}

/// Counts of events per rule id, for reports.
pub fn counts_by_rule(findings: &[Finding]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for f in findings {
        *m.entry(f.rule_id.as_str()).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tar cf - /etc/kubernetes and 3 more` closed its quote after the count, and a comma
    /// inside a command split it into two quoted ones.
    #[test]
    fn regression_summary_quotes_swallowed_the_count_and_split_commands_at_commas() {
        let commands: Vec<String> = ["sh -c 'a, b'", "id", "tar cf - /etc", "ls"]
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        let s = summarize("u", 1, &[], &[], &commands, &[], &[], &[], false);
        assert_eq!(s, "u:  running `sh -c 'a, b'`, `id` and 2 more");
    }
}
