//! `kubesift sessions`, `lineage`, `access` and `coverage`: the story of an identity and
//! the blind spots of the data set, as tables or JSON (the README documents the fields).

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{parse_time_arg, stdout_ok};
use crate::model::Micros;
use crate::model::sanitize::{escape_control, json_to_writer, json_to_writer_pretty};
use crate::query::TimeSpec;
use crate::session::{IndexDir, Session};
use crate::story::Identity;
use crate::story::access::Access;
use crate::story::coverage::Coverage;
use crate::story::lineage::Lineage;
use crate::story::sessions::ActorSession;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoryFormat {
    Table,
    Json,
    Jsonl,
}

/// Who: `--account A` or `--credential ID`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Who {
    /// The account: a username, or `namespace:name` of a service account.
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// One credential id (`JTI=…`, `X509SHA256=…`).
    #[arg(long, value_name = "ID")]
    pub credential: Option<String>,
}

impl Who {
    fn identity(&self) -> Identity {
        match (&self.account, &self.credential) {
            (_, Some(c)) => Identity::Credential(c.clone()),
            (Some(a), None) => Identity::Account(a.clone()),
            (None, None) => Identity::Account(String::new()),
        }
    }
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[command(flatten)]
    pub who: Who,
    #[arg(long, value_parser = parse_time_arg, value_name = "TIME")]
    pub since: Option<TimeSpec>,
    #[arg(long, value_parser = parse_time_arg, value_name = "TIME")]
    pub until: Option<TimeSpec>,
    /// Idle time that ends a session.
    #[arg(long, default_value = "30m", value_name = "DURATION", value_parser = parse_gap)]
    pub gap: i64,
    #[arg(long, value_enum, default_value_t = StoryFormat::Table)]
    pub format: StoryFormat,
}

#[derive(Debug, Args)]
pub struct LineageArgs {
    #[command(flatten)]
    pub who: Who,
    #[arg(long, value_enum, default_value_t = StoryFormat::Table)]
    pub format: StoryFormat,
}

#[derive(Debug, Args)]
pub struct AccessArgs {
    /// The subject: a username, or `namespace:name` of a service account.
    pub subject: String,
    /// Grants in effect at this time (and use up to it).
    #[arg(long, value_parser = parse_time_arg, value_name = "TIME")]
    pub at: Option<TimeSpec>,
    #[arg(long, value_enum, default_value_t = StoryFormat::Table)]
    pub format: StoryFormat,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    #[arg(long, value_enum, default_value_t = StoryFormat::Table)]
    pub format: StoryFormat,
}

fn parse_gap(s: &str) -> Result<i64, String> {
    crate::query::parse_duration(s).ok_or_else(|| format!("`{s}` is not a duration (30m, 2h, 1d)"))
}

/// Writes to standard output through `write`, buffered; a closed pipe ends quietly.
fn emit(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    stdout_ok(write(&mut out))?;
    stdout_ok(out.flush())?;
    Ok(())
}

/// Writes `items` as JSON (one array) or JSON Lines.
fn write_json<T: Serialize>(
    out: &mut dyn Write,
    items: &[T],
    format: StoryFormat,
) -> std::io::Result<()> {
    if format == StoryFormat::Jsonl {
        for item in items {
            json_to_writer(&mut *out, item)?;
            writeln!(out)?;
        }
    } else {
        json_to_writer_pretty(&mut *out, items)?;
        writeln!(out)?;
    }
    Ok(())
}

pub fn sessions(dir: &IndexDir, args: &SessionsArgs) -> anyhow::Result<ExitCode> {
    let session = Session::open(dir)?;
    let list = session.sessions_of(&args.who.identity(), args.since, args.until, args.gap)?;
    emit(|out| match args.format {
        StoryFormat::Table => write_sessions(out, &list),
        f => write_json(out, &list, f),
    })?;
    if list.is_empty() {
        say!("no requests of that identity in the index");
    }
    Ok(ExitCode::SUCCESS)
}

/// `HH:MM:SS` of an RFC 3339 time (the session header gives the date).
fn clock(t: Micros) -> String {
    let s = t.to_string();
    s.get(11..19).map_or(s.clone(), str::to_owned)
}

fn write_sessions(out: &mut dyn Write, list: &[ActorSession]) -> std::io::Result<()> {
    for s in list {
        writeln!(
            out,
            "session {}  {} .. {}  {}  from {}  client {}",
            s.session,
            s.start,
            clock(s.end),
            escape_control(&s.user),
            or_none(&s.source_ip),
            escape_control(or_none(&s.client)),
        )?;
        writeln!(
            out,
            "  {}, {} folded into commands, {} denied{}",
            crate::model::plural(s.requests, "request"),
            s.folded,
            s.denied,
            if s.credentials.is_empty() {
                String::new()
            } else {
                format!(", credential {}", escape_control(&s.credentials.join(", ")))
            }
        )?;
        for c in &s.commands {
            let mut tail = String::new();
            if c.count > 1 {
                let _ = write!(tail, "  ×{}", c.count);
            }
            if c.denied > 0 {
                let _ = write!(tail, "  [denied {}]", c.denied);
            }
            if let Some(k) = c.kubectl_equivalent() {
                let _ = write!(tail, "  ≈ {}", escape_control(k));
            }
            writeln!(
                out,
                "  {}  {}{tail}",
                clock(c.time),
                escape_control(&c.command)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

pub fn lineage(dir: &IndexDir, args: &LineageArgs) -> anyhow::Result<ExitCode> {
    let list = Session::open(dir)?.lineage(&args.who.identity())?;
    emit(|out| match args.format {
        StoryFormat::Table => write_lineage(out, &list),
        f => write_json(out, &list, f),
    })?;
    if list.is_empty() {
        say!("no requests of that identity in the index");
    }
    Ok(ExitCode::SUCCESS)
}

fn write_lineage(out: &mut dyn Write, list: &[Lineage]) -> std::io::Result<()> {
    for l in list {
        writeln!(
            out,
            "{} {}  ({}, {}, {} .. {})",
            l.kind,
            escape_control(or_none(&l.credential)),
            escape_control(&l.user),
            crate::model::plural(l.requests, "request"),
            l.first,
            l.last
        )?;
        if !l.pod.is_empty() {
            writeln!(
                out,
                "  pod      {} uid {}",
                escape_control(&l.pod),
                escape_control(or_none(&l.pod_uid))
            )?;
        }
        if !l.node.is_empty() {
            writeln!(out, "  node     {}", escape_control(&l.node))?;
        }
        writeln!(
            out,
            "  home     pod {} | node {}",
            or_none(&l.pod_ips.join(", ")),
            or_none(&l.node_ips.join(", "))
        )?;
        if let Some(c) = &l.csr {
            writeln!(
                out,
                "  csr      {} created by {} at {}, approved by {}",
                escape_control(&c.name),
                escape_control(&c.created_by),
                c.created,
                escape_control(c.approved_by.as_deref().unwrap_or("-"))
            )?;
        }
        for a in &l.addresses {
            let away = if a.away { "  AWAY" } else { "" };
            writeln!(
                out,
                "  from     {} ×{} {} .. {}{away}",
                or_none(&a.value),
                a.requests,
                a.first,
                clock(a.last)
            )?;
        }
        for c in &l.clients {
            writeln!(
                out,
                "  client   {} ×{} {} .. {}",
                escape_control(or_none(&c.value)),
                c.requests,
                c.first,
                clock(c.last)
            )?;
        }
        for f in &l.flags {
            writeln!(out, "  FLAG     {}", escape_control(f))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

pub fn access(dir: &IndexDir, args: &AccessArgs) -> anyhow::Result<ExitCode> {
    let a = Session::open(dir)?.access(&args.subject, args.at)?;
    emit(|out| match args.format {
        StoryFormat::Table => write_access(out, &a),
        f => write_json(out, std::slice::from_ref(&a), f),
    })?;
    if a.grants.is_empty() && a.used.is_empty() {
        // Empty sections alone read as "granted nothing, used nothing".
        say!(
            "no binding naming that subject and no request of it in the index (a user, group or `system:serviceaccount:NS:NAME` as the log writes it)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn write_access(out: &mut dyn Write, a: &Access) -> std::io::Result<()> {
    writeln!(out, "subject {}", escape_control(&a.subject))?;
    if let Some(t) = a.at {
        writeln!(out, "as of   {t}")?;
    }
    writeln!(out, "\ngranted:")?;
    for g in &a.grants {
        let since = g.since.map_or_else(
            || "before the data".to_owned(),
            |t| format!("since {t} by {}", g.created_by.as_deref().unwrap_or("?")),
        );
        let flag = if g.gained { "  [GAINED]" } else { "" };
        writeln!(
            out,
            "  {} {} → {} {}  via {}  {since}{flag}",
            g.binding_kind,
            escape_control(&g.binding),
            g.role_kind,
            escape_control(&g.role),
            escape_control(&g.via)
        )?;
        if let Some(d) = g.deleted {
            writeln!(
                out,
                "      deleted {d} by {}",
                escape_control(g.deleted_by.as_deref().unwrap_or("?"))
            )?;
        }
        writeln!(
            out,
            "      allowed {}{}",
            crate::model::plural(g.allowed, "request"),
            g.first_used
                .map(|t| format!(", first at {t}"))
                .unwrap_or_default()
        )?;
        if !g.rules.is_empty() {
            writeln!(out, "      rules: {}", escape_control(&g.rules.join("; ")))?;
        }
        if !g.unused.is_empty() {
            writeln!(
                out,
                "      UNUSED: {}",
                escape_control(&g.unused.join("; "))
            )?;
        }
    }
    writeln!(
        out,
        "\nused (verb resource namespace: allowed/denied, first .. last):"
    )?;
    for u in &a.used {
        writeln!(
            out,
            "  {} {} {}: {}/{}, {} .. {}",
            escape_control(&u.verb),
            escape_control(&u.resource),
            escape_control(or_none(&u.namespace)),
            u.allowed,
            u.denied,
            u.first,
            clock(u.last)
        )?;
    }
    writeln!(out, "\nadvice:")?;
    for line in &a.advice {
        writeln!(out, "  - {}", escape_control(line))?;
    }
    Ok(())
}

pub fn coverage(dir: &IndexDir, args: &CoverageArgs) -> anyhow::Result<ExitCode> {
    let c = Session::open(dir)?.coverage()?;
    emit(|out| match args.format {
        StoryFormat::Table => write_coverage(out, &c),
        StoryFormat::Json => json_to_writer_pretty(&mut *out, &c)
            // serde_json keeps an I/O error whole (a closed pipe stays one).
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out)),
        StoryFormat::Jsonl => write_json(out, &c.blind_spots, StoryFormat::Jsonl),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn write_coverage(out: &mut dyn Write, c: &Coverage) -> std::io::Result<()> {
    writeln!(out, "events            {}", c.events)?;
    if let (Some(a), Some(b)) = (c.first, c.last) {
        writeln!(out, "time              {a} .. {b}")?;
    }
    let stages: Vec<String> = c.stages.iter().map(|(s, n)| format!("{s} {n}")).collect();
    writeln!(out, "stages            {}", stages.join(", "))?;
    writeln!(out, "source addresses  {}", c.source_addresses)?;
    writeln!(out, "no user agent     {}", c.without_user_agent)?;
    writeln!(out, "no authz decision {}", c.without_decision)?;
    writeln!(
        out,
        "service-account requests without a credential id: {} of {}",
        c.without_credential_id, c.service_account_requests
    )?;
    writeln!(out, "\nlevels (resource: reads | writes):")?;
    for l in &c.levels {
        let fmt = |m: &std::collections::BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            out,
            "  {:<34} {} | {}",
            escape_control(&l.resource),
            or_none(&fmt(&l.read_levels)),
            or_none(&fmt(&l.write_levels))
        )?;
    }
    writeln!(out, "\nblind spots: {}", c.blind_spots.len())?;
    for b in &c.blind_spots {
        writeln!(out, "  [{}] {}", b.kind, escape_control(&b.what))?;
        writeln!(out, "      {}", b.cost)?;
        for d in &b.detections {
            writeln!(out, "      {}: {}", d.verdict(), d.described())?;
        }
    }
    Ok(())
}
