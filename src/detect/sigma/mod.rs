//! Sigma rules brought by the analyst (`detect --sigma DIR`): the rules of a directory whose
//! `logsource` is `product: kubernetes, service: audit`, run over the same rows as the
//! built-in rules and reported in the same findings (`rule_id` = `sigma:<id>`).
//!
//! Loading never drops a rule silently: a rule that cannot be read or uses what kubesift does
//! not implement is a [`Problem`] naming the file, the rule and the reason; a rule for another
//! log source is listed as skipped. The evaluator is kubesift's own ([`detection`] compiles,
//! [`eval`] evaluates): it decides on the compact row when it can and loads the event only
//! when a field the row does not hold could change the answer, so Sigma rules cost the
//! detect pass little. Attribution: every finding carries the rule's author, as the
//! Detection Rule License of the `SigmaHQ` rules asks.

pub mod detection;
pub mod eval;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use yaml_serde::Value as Yaml;

use self::detection::Detection;
use self::eval::{RowEval, Tri};
use super::EventSource;
use super::finding::{Attack, Family, Finding, Severity};
use super::hit::{Group, Hit};
use super::row::{Row, Vocab};
use super::rules::{DEFAULT_GAP, Rule};

/// One loaded Sigma rule.
#[derive(Debug, Clone)]
pub struct SigmaRule {
    /// Its metadata as a kubesift rule (id `sigma:<id>`), for grouping and reports.
    pub meta: Rule,
    pub sigma_id: String,
    pub author: String,
    /// The `license` field, when the rule has one.
    pub license: String,
    pub status: String,
    pub references: Vec<String>,
    pub tags: Vec<String>,
    /// Every ATT&CK technique of its tags (`T1552.007`).
    pub techniques: Vec<String>,
    pub falsepositives: Vec<String>,
    pub detection: Detection,
}

/// A rule that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// The rule's title (or id), when it could be read.
    pub rule: String,
    pub reason: String,
    /// True when the rule is for another log source (skipped, not an error).
    pub other_source: bool,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.rule.as_str() {
            "" => write!(f, "{}: {}", self.file, self.reason),
            r => write!(f, "{}: rule `{r}`: {}", self.file, self.reason),
        }
    }
}

/// The Sigma rules of some directories, and the ones that could not be loaded.
#[derive(Debug, Clone, Default)]
pub struct SigmaSet {
    pub rules: Vec<SigmaRule>,
    pub problems: Vec<Problem>,
}

impl SigmaSet {
    /// The problems that are errors (not a rule for another log source).
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| !p.other_source)
    }
}

/// Loads the `*.yml` / `*.yaml` files under each directory (recursively, in name order).
/// A directory that cannot be read is an error; a rule that cannot be used is a problem.
pub fn load(dirs: &[&Path]) -> Result<SigmaSet, String> {
    let mut set = SigmaSet::default();
    for dir in dirs {
        let mut files = Vec::new();
        walk(dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
        files.sort();
        for f in files {
            let name = f.display().to_string();
            match std::fs::read_to_string(&f) {
                Ok(text) => match parse(&name, &text) {
                    Ok(r) => set.rules.push(r),
                    Err(p) => set.problems.push(p),
                },
                Err(e) => set.problems.push(Problem {
                    file: name,
                    rule: String::new(),
                    reason: format!("cannot read: {e}"),
                    other_source: false,
                }),
            }
        }
    }
    let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut kept = Vec::new();
    for r in std::mem::take(&mut set.rules) {
        if let Some(first) = seen.get(&r.meta.id) {
            set.problems.push(Problem {
                file: r.meta.file.clone(),
                rule: r.meta.title.clone(),
                reason: format!("id `{}` is already used by {first}", r.sigma_id),
                other_source: false,
            });
            continue;
        }
        seen.insert(r.meta.id.clone(), r.meta.file.clone());
        kept.push(r);
    }
    set.rules = kept;
    Ok(set)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("yml") || x.eq_ignore_ascii_case("yaml"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Parses one rule file.
#[expect(
    clippy::too_many_lines,
    reason = "one reading of the rule's fields, in the order of the Sigma specification"
)]
pub fn parse(file: &str, text: &str) -> Result<SigmaRule, Problem> {
    let problem = |rule: &str, reason: String, other_source: bool| Problem {
        file: file.to_owned(),
        rule: rule.to_owned(),
        reason,
        other_source,
    };
    let doc: Yaml = yaml_serde::from_str(text)
        .map_err(|e| problem("", format!("not a Sigma rule (YAML): {e}"), false))?;
    let s = |k: &str| {
        doc.get(k)
            .and_then(Yaml::as_str)
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let list = |k: &str| -> Vec<String> {
        match doc.get(k) {
            Some(Yaml::Sequence(v)) => v
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            Some(Yaml::String(x)) => vec![x.clone()],
            _ => Vec::new(),
        }
    };
    let title = s("title");
    let sigma_id = s("id");
    let name = if title.is_empty() { &sigma_id } else { &title };
    if doc.get("correlation").is_some() || doc.get("action").is_some() {
        return Err(problem(
            name,
            "correlation rules and rule collections are not supported".into(),
            false,
        ));
    }
    let logsource = doc.get("logsource");
    let ls = |k: &str| {
        logsource
            .and_then(|l| l.get(k))
            .and_then(Yaml::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    if ls("product") != "kubernetes" || ls("service") != "audit" {
        return Err(problem(
            name,
            format!(
                "logsource is product `{}`, service `{}`: not Kubernetes audit (skipped)",
                ls("product"),
                ls("service")
            ),
            true,
        ));
    }
    if title.is_empty() {
        return Err(problem(name, "has no `title`".into(), false));
    }
    let detection = doc
        .get("detection")
        .ok_or_else(|| problem(name, "has no `detection`".into(), false))
        .and_then(|d| detection::compile(d).map_err(|e| problem(name, e, false)))?;
    let severity = match s("level").to_ascii_lowercase().as_str() {
        "informational" => Severity::Info,
        "low" => Severity::Low,
        "" | "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        other => return Err(problem(name, format!("unknown level `{other}`"), false)),
    };
    let tags = list("tags");
    let techniques = techniques(&tags);
    let author = s("author");
    let falsepositives = list("falsepositives");
    let id = if sigma_id.is_empty() {
        Path::new(file)
            .file_stem()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
    } else {
        sigma_id.clone()
    };
    let mut meta = Rule::code(
        &format!("sigma:{id}"),
        &[],
        &title,
        family(&tags),
        severity,
        ("", ""),
        &description(&s("description"), &author, &s("license")),
        &advice(&falsepositives),
    );
    meta.attack = techniques.first().map(|t| Attack {
        id: t.clone(),
        name: technique_name(t).to_owned(),
    });
    file.clone_into(&mut meta.file);
    meta.group_gap = DEFAULT_GAP;
    // The author's level stands: denied requests are what some rules are about.
    meta = meta.keeping_denied();
    Ok(SigmaRule {
        meta,
        sigma_id: id,
        author,
        license: s("license"),
        status: s("status"),
        references: list("references"),
        tags,
        techniques,
        falsepositives,
        detection,
    })
}

fn description(text: &str, author: &str, license: &str) -> String {
    let by = if author.is_empty() {
        "Sigma rule (no author given)".to_owned()
    } else {
        format!("Sigma rule by {author}")
    };
    let license = if license.is_empty() {
        String::new()
    } else {
        format!(", licence: {license}")
    };
    format!("{} ({by}{license})", text.trim())
}

fn advice(falsepositives: &[String]) -> String {
    if falsepositives.is_empty() {
        "Review the events against the rule's intent; the rule names no false positives.".into()
    } else {
        format!(
            "Known false positives (from the rule): {}",
            falsepositives.join("; ")
        )
    }
}

/// `attack.t1552.007` → `T1552.007`.
fn techniques(tags: &[String]) -> Vec<String> {
    tags.iter()
        .filter_map(|t| {
            t.to_ascii_lowercase()
                .strip_prefix("attack.t")
                .map(str::to_owned)
        })
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .map(|t| format!("T{}", t.to_ascii_uppercase()))
        .collect()
}

/// The family of the first ATT&CK tactic kubesift's families name; else
/// `privilege-escalation`.
fn family(tags: &[String]) -> Family {
    tags.iter()
        .find_map(|t| match t.to_ascii_lowercase().strip_prefix("attack.")? {
            "credential-access" | "credential_access" => Some(Family::SecretAccess),
            "execution" => Some(Family::RemoteExec),
            "privilege-escalation" | "privilege_escalation" => Some(Family::PrivilegeEscalation),
            "persistence" => Some(Family::Persistence),
            "stealth" | "defense-evasion" | "defense_evasion" => Some(Family::DefenseEvasion),
            _ => None,
        })
        .unwrap_or(Family::PrivilegeEscalation)
}

/// Names of the techniques the `SigmaHQ` Kubernetes rules tag.
fn technique_name(id: &str) -> &'static str {
    match id {
        "T1036.005" => "Masquerading: Match Legitimate Name or Location",
        "T1069.003" => "Permission Groups Discovery: Cloud Groups",
        "T1070" => "Indicator Removal",
        "T1078" => "Valid Accounts",
        "T1087.004" => "Account Discovery: Cloud Account",
        "T1136" => "Create Account",
        "T1498" => "Network Denial of Service",
        "T1552" => "Unsecured Credentials",
        "T1552.007" => "Unsecured Credentials: Container API",
        "T1609" => "Container Administration Command",
        "T1610" => "Deploy Container",
        "T1611" => "Escape to Host",
        "T1613" => "Container and Resource Discovery",
        _ => "ATT&CK technique",
    }
}

/// Sigma rules running over the rows of a detect pass.
pub struct Pass<'a> {
    rules: &'a [SigmaRule],
    prepared: Vec<RowEval>,
    /// Index of the first Sigma rule in the engine's rule table.
    base: usize,
    /// Events loaded because the row could not decide (for reports and tests).
    pub loaded: u64,
}

impl<'a> Pass<'a> {
    pub fn new(rules: &'a [SigmaRule], base: usize) -> Pass<'a> {
        Pass {
            prepared: rules.iter().map(|r| RowEval::new(&r.detection)).collect(),
            rules,
            base,
            loaded: 0,
        }
    }

    /// Evaluates every rule on a row, loading its event at most once, when needed.
    pub fn observe(&mut self, v: &Vocab, row: &Row, events: &dyn EventSource, out: &mut Vec<Hit>) {
        let mut event: Option<Option<Value>> = None;
        for (i, (rule, prep)) in self.rules.iter().zip(self.prepared.iter_mut()).enumerate() {
            let hit = match prep.eval(&rule.detection, v, row) {
                Tri::No => false,
                Tri::Yes => true,
                Tri::Unknown => {
                    let ev = event.get_or_insert_with(|| {
                        self.loaded += 1;
                        events.event(row.doc).map(|e| eval::audit_json(&e))
                    });
                    ev.as_ref().is_some_and(|e| eval::holds(&rule.detection, e))
                }
            };
            if hit {
                out.push(Hit {
                    rule: self.base + i,
                    row: row.clone(),
                    severity: rule.meta.severity,
                    group: Group::Account(row.user),
                    note: None,
                    variant: 0,
                    gap: None,
                });
            }
        }
    }
}

/// Adds the Sigma attribution to the findings of Sigma rules: `evidence.sigma` and the
/// author in the summary.
pub fn attribute(findings: &mut [Finding], rules: &[SigmaRule]) {
    for f in findings.iter_mut() {
        let Some(r) = rules.iter().find(|r| r.meta.id == f.rule_id) else {
            continue;
        };
        let author = if r.author.is_empty() {
            "no author given"
        } else {
            &r.author
        };
        let _ = write!(f.summary, " (Sigma rule by {author})");
        f.evidence["sigma"] = json!({
            "id": r.sigma_id,
            "title": r.meta.title,
            "author": r.author,
            "license": r.license,
            "status": r.status,
            "level": r.meta.severity,
            "techniques": r.techniques,
            "tags": r.tags,
            "references": r.references,
            "falsepositives": r.falsepositives,
            "file": r.meta.file,
        });
    }
}

#[cfg(test)]
mod tests;
