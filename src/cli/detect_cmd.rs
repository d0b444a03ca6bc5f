//! `kubesift detect`: findings, the headless twin of the detections view (its table: the
//! severity in colour on a terminal, the audit IDs, the counts); `kubesift rules`: the
//! catalogue.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use super::output::{self, Format};
use super::stdout_ok;
use crate::detect::sigma::SigmaSet;
use crate::detect::{Family, Finding, Severity, finding::Attack};
use crate::model::Micros;
use crate::session::{self, IndexDir, Session};

#[derive(Debug, Args)]
pub struct DetectArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Only findings at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "info", value_parser = parse_severity)]
    pub min_severity: Severity,
    /// Only findings of these families (repeat or comma-separate).
    #[arg(long, value_name = "FAMILY", value_delimiter = ',', value_parser = parse_family)]
    pub family: Vec<Family>,
    #[command(flatten)]
    pub tuning: TuningArgs,
    /// Compute again even when stored findings are fresh.
    #[arg(long)]
    pub recompute: bool,
}

/// Settings that change what is detected (stored findings use the defaults).
#[derive(Debug, Args, Clone, Default)]
pub struct TuningArgs {
    /// More rule files (*.toml) to load; a rule with a built-in id replaces it.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Pod network(s), on top of the pod IPs learned from the data.
    #[arg(long, value_name = "CIDR", value_delimiter = ',')]
    pub pod_cidr: Vec<ipnet::IpNet>,
    /// Events an account needs before anything it does counts as new [default: 5].
    #[arg(long, value_name = "N")]
    pub baseline_min_events: Option<u32>,
    /// Time span an account's history needs before anything counts as new [default: 1h].
    #[arg(long, value_name = "DURATION", value_parser = parse_span)]
    pub baseline_min_span: Option<i64>,
    /// Sigma rules (*.yml, searched recursively) to run beside the built-in ones: those with
    /// `logsource: product: kubernetes, service: audit`.
    #[arg(long = "sigma", value_name = "DIR")]
    pub sigma: Vec<PathBuf>,
    /// Addresses to report every request from (Tor exits, known attackers): one IP or CIDR a
    /// line, `#` comments.
    #[arg(long, value_name = "FILE", env = "KUBESIFT_BAD_ADDRESSES")]
    pub bad_addresses: Option<PathBuf>,
    /// Images allowed in workloads (one glob a line, `registry.example.com/*`, `#`
    /// comments): any other image written into a pod or workload is reported.
    #[arg(long, value_name = "FILE", env = "KUBESIFT_IMAGE_ALLOW")]
    pub image_allow: Option<PathBuf>,
}

impl TuningArgs {
    fn tuning(&self) -> anyhow::Result<session::Tuning> {
        Ok(session::Tuning {
            rules: self.rules.clone(),
            pod_cidrs: self.pod_cidr.clone(),
            baseline_min_events: self.baseline_min_events,
            baseline_min_span: self.baseline_min_span,
            sigma: sigma_rules(&self.sigma)?,
            bad_addresses: match &self.bad_addresses {
                Some(p) => crate::detect::options::parse_addresses(&read_list(p)?)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
                None => Vec::new(),
            },
            image_allow: match &self.image_allow {
                Some(p) => crate::detect::options::parse_image_globs(&read_list(p)?),
                None => Vec::new(),
            },
        })
    }
}

/// The text of a list file given on the command line, or an error naming it.
fn read_list(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Loads the Sigma rules of `dirs` (none when empty) and says on stderr which could not be
/// loaded, and how many were for other log sources.
pub(super) fn sigma_rules(dirs: &[PathBuf]) -> anyhow::Result<Option<Arc<SigmaSet>>> {
    if dirs.is_empty() {
        return Ok(None);
    }
    let set = session::load_sigma(dirs)?;
    report_sigma(&set);
    Ok(Some(Arc::new(set)))
}

fn report_sigma(set: &SigmaSet) {
    for p in set.errors() {
        say!("warning: Sigma rule not loaded: {p}");
    }
    let other = set.problems.iter().filter(|p| p.other_source).count();
    if other > 0 {
        say!(
            "note: {other} Sigma rule(s) skipped: their logsource is not Kubernetes audit (`kubesift rules --sigma DIR` lists them)"
        );
    }
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn parse_family(s: &str) -> Result<Family, String> {
    s.parse()
}

fn parse_span(s: &str) -> Result<i64, String> {
    crate::query::parse_duration(s).ok_or_else(|| format!("`{s}` is not a duration (30m, 2h, 1d)"))
}

pub fn run(dir: &IndexDir, args: &DetectArgs) -> anyhow::Result<ExitCode> {
    let session = Session::open(dir)?;
    let mut all = session.findings(&args.tuning.tuning()?, args.recompute)?;
    all.retain(|f| {
        f.severity >= args.min_severity
            && (args.family.is_empty() || args.family.contains(&f.family))
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    stdout_ok(write(&mut out, &all, args.format))?;
    Ok(ExitCode::SUCCESS)
}

const COLUMNS: &[&str] = &[
    "severity",
    "rule_id",
    "family",
    "account",
    "count",
    "first_seen",
    "last_seen",
    "summary",
];

fn write(out: &mut dyn Write, findings: &[Finding], format: Format) -> std::io::Result<()> {
    match format {
        Format::Jsonl => {
            for f in findings {
                crate::model::sanitize::json_to_writer(&mut *out, f)?;
                writeln!(out)?;
            }
        }
        Format::Json => {
            crate::model::sanitize::json_to_writer_pretty(&mut *out, findings)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut header = COLUMNS.to_vec();
            header.extend(["attack", "source_ips", "namespaces", "audit_ids", "advice"]);
            let rows = findings.iter().map(|f| {
                let mut r = cells(f);
                r.push(
                    f.attack
                        .as_ref()
                        .map(|a| format!("{} {}", a.id, a.name))
                        .unwrap_or_default(),
                );
                r.push(f.source_ips.join(" "));
                r.push(f.namespaces.join(" "));
                r.push(f.audit_ids.join(" "));
                r.push(f.advice.clone());
                r
            });
            output::write_csv(out, &header, rows)?;
        }
        Format::Table => {
            let mut header = COLUMNS.to_vec();
            header.insert(5, "audit_ids");
            let rows: Vec<Vec<String>> = findings
                .iter()
                .map(|f| {
                    let mut r = cells(f);
                    r.insert(5, audit_ids_cell(&f.audit_ids));
                    r
                })
                .collect();
            let colour = output::colour_on_stdout();
            let style = |r: usize, c: usize| {
                (colour && c == 0).then(|| severity_style(findings[r].severity))
            };
            output::write_table_styled(out, &header, &rows, output::cell_width(90), &style)?;
            if findings.is_empty() {
                writeln!(out, "(no findings)")?;
            } else {
                writeln!(
                    out,
                    "{} findings: {}",
                    findings.len(),
                    super::progress::tally(findings)
                )?;
            }
        }
    }
    out.flush()
}

/// The table's audit IDs of a finding: the first whole (what `show` takes), then how many
/// more (`--format json` lists them all).
fn audit_ids_cell(ids: &[String]) -> String {
    match ids {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} +{}", rest.len()),
    }
}

/// The colour of a severity, as the workbench draws it.
fn severity_style(s: Severity) -> anstyle::Style {
    use anstyle::{AnsiColor, Style};
    let fg = |c: AnsiColor| Style::new().fg_color(Some(c.into()));
    match s {
        Severity::Critical => fg(AnsiColor::Red).bold(),
        Severity::High => fg(AnsiColor::BrightRed),
        Severity::Medium => fg(AnsiColor::Yellow),
        Severity::Low => fg(AnsiColor::Cyan),
        Severity::Info => fg(AnsiColor::BrightBlack),
    }
}

fn cells(f: &Finding) -> Vec<String> {
    let short = |t: &str| {
        Micros::parse(t).map_or_else(|| t.to_owned(), |m| m.to_string()[..19].replace('T', " "))
    };
    vec![
        f.severity.to_string(),
        f.rule_id.clone(),
        f.family.to_string(),
        f.account.clone(),
        f.count.to_string(),
        short(&f.first_seen),
        short(&f.last_seen),
        f.summary.clone(),
    ]
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// More rule files to load, as `detect --rules` does.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Sigma rules to validate and list, as `detect --sigma` loads them; exits 1 when one
    /// of them cannot be loaded (each is named on stderr with the reason).
    #[arg(long = "sigma", value_name = "DIR")]
    pub sigma: Vec<PathBuf>,
}

#[derive(serde::Serialize)]
struct RuleInfo<'a> {
    id: &'a str,
    detection: &'a [String],
    family: Family,
    severity: Severity,
    title: &'a str,
    attack: Option<&'a Attack>,
    description: &'a str,
    advice: &'a str,
    source: &'a str,
}

/// `kubesift rules`: every detection rule, data and code (and Sigma rules given), with what
/// it means.
pub fn list_rules(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let mut all = session::rule_catalogue(&args.rules)?;
    let sigma = if args.sigma.is_empty() {
        None
    } else {
        let set = session::load_sigma(&args.sigma)?;
        for p in &set.problems {
            say!("{}: {p}", if p.other_source { "skipped" } else { "error" });
        }
        say!(
            "Sigma: {} rule(s) loaded, {} not loadable, {} for other log sources",
            set.rules.len(),
            set.errors().count(),
            set.problems.iter().filter(|p| p.other_source).count()
        );
        all.extend(set.rules.iter().map(|r| r.meta.clone()));
        Some(set)
    };
    let infos: Vec<RuleInfo<'_>> = all
        .iter()
        .map(|r| RuleInfo {
            id: &r.id,
            detection: &r.detection,
            family: r.family,
            severity: r.severity,
            title: &r.title,
            attack: r.attack.as_ref(),
            description: &r.description,
            advice: &r.advice,
            source: &r.file,
        })
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let res = match args.format {
        Format::Json => crate::model::sanitize::json_to_writer_pretty(&mut out, &infos)
            // serde_json keeps an I/O error whole (a closed pipe stays one).
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        Format::Jsonl => infos.iter().try_for_each(|i| {
            writeln!(
                out,
                "{}",
                crate::model::sanitize::json_to_string(i).unwrap_or_default()
            )
        }),
        Format::Csv | Format::Table => {
            let header = ["id", "detection", "family", "severity", "attack", "title"];
            let rows: Vec<Vec<String>> = infos
                .iter()
                .map(|i| {
                    vec![
                        i.id.to_owned(),
                        i.detection.join(","),
                        i.family.to_string(),
                        i.severity.to_string(),
                        i.attack.map(|a| a.id.clone()).unwrap_or_default(),
                        i.title.to_owned(),
                    ]
                })
                .collect();
            if args.format == Format::Csv {
                output::write_csv(&mut out, &header, rows)
            } else {
                output::write_table(&mut out, &header, &rows, output::cell_width(90))
            }
        }
    };
    stdout_ok(res)?;
    if sigma.is_some_and(|s| s.errors().next().is_some()) {
        return Ok(ExitCode::from(super::exit::ERROR));
    }
    Ok(ExitCode::SUCCESS)
}
