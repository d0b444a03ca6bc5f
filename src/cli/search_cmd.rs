//! `kubesift search`: the headless twin of the events view. Its table carries each event's
//! audit ID, and cuts long cells only on a terminal.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::Args;

use super::output::{self, EventRecord, Format};
use super::{parse_time_arg, stdout_ok};
use crate::query::TimeSpec;
use crate::session::{self, Hit, IndexDir, Session, TimeOrder};

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query (`verb:create ns:shop`, `ip:10.0.0.0/8 AND NOT user:alice`); empty or `*`
    /// matches everything. See README, "Query language".
    #[arg(default_value = "*", value_name = "QUERY")]
    pub query: String,
    /// Only events at or after this time (RFC 3339, date, or a duration back from the newest
    /// event such as `2h`).
    #[arg(long, value_parser = parse_time_arg, value_name = "T")]
    pub since: Option<TimeSpec>,
    /// Only events before this time.
    #[arg(long, value_parser = parse_time_arg, value_name = "T")]
    pub until: Option<TimeSpec>,
    /// At most this many events (0: all). Defaults to 100 for tables, all otherwise.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Newest events first.
    #[arg(long)]
    pub newest_first: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print only the number of matching events.
    #[arg(long)]
    pub count: bool,
}

pub fn run(dir: &IndexDir, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let session = Session::open(dir)?;
    let expr = session::plan(&args.query, args.since, args.until)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    // Nothing matched a query with a word that looks like a condition: say what it was taken
    // for (on stderr: the output stays what was asked).
    let hint = |n: u64| {
        if n == 0 {
            for h in expr.hints() {
                say!("note: {h}");
            }
        }
    };
    if args.count {
        let n = session.count(&expr)?;
        stdout_ok(writeln!(out, "{n}").and_then(|()| out.flush()))?;
        hint(n);
        return Ok(ExitCode::SUCCESS);
    }
    let limit = args
        .limit
        .unwrap_or(if args.format == Format::Table { 100 } else { 0 });
    let order = if args.newest_first {
        TimeOrder::Newest
    } else {
        TimeOrder::Oldest
    };
    let hits = session.search(&expr, limit, order)?;
    stdout_ok(write_hits(&session, &hits, args.format, &mut out).and_then(|()| out.flush()))?;
    hint(hits.len() as u64);
    if args.format == Format::Table && limit > 0 && hits.len() == limit {
        let total = session.count(&expr)?;
        if total > limit as u64 {
            say!("showing {limit} of {total} events (use --limit 0 for all)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_hits(
    session: &Session,
    hits: &[Hit],
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let load = |h| session.load(h).map_err(std::io::Error::other);
    match format {
        Format::Jsonl => {
            for h in hits {
                let l = load(h)?;
                crate::model::sanitize::json_to_writer(&mut *out, &EventRecord::new(&l.event))?;
                writeln!(out)?;
            }
        }
        Format::Json => {
            writeln!(out, "[")?;
            for (i, h) in hits.iter().enumerate() {
                let l = load(h)?;
                let sep = if i + 1 < hits.len() { "," } else { "" };
                writeln!(
                    out,
                    "{}{sep}",
                    crate::model::sanitize::json_to_string(&EventRecord::new(&l.event))?
                )?;
            }
            writeln!(out, "]")?;
        }
        Format::Csv => {
            let rows = hits
                .iter()
                .map(|h| load(h).map(|l| output::event_cells(&l.event)));
            let rows: Vec<Vec<String>> = rows.collect::<Result<_, _>>()?;
            output::write_csv(out, &output::event_header(), rows)?;
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = hits
                .iter()
                .map(|h| load(h).map(|l| output::event_cells(&l.event)))
                .collect::<Result<_, _>>()?;
            // Cut long cells for a person at a terminal; a pipe gets them whole (the exec
            // command line above all).
            output::write_table(out, &output::event_header(), &rows, output::cell_width(60))?;
        }
    }
    out.flush()
}
