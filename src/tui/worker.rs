//! Index queries off the UI thread: the worker owns the session (its index reader), answers
//! requests ([`super::protocol`]) in order and tags each answer with its request id, so the
//! app can drop stale ones and typing never waits for the index. On a refresh it reloads the
//! session (the newest commit, after an ingest by another process) and answers with the
//! facts and findings the views show. Only the runtime (`tui::run`) and benchmarks start it;
//! the pure app never names this module.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use super::error::TuiError;
use super::protocol::{Request, Response};
use crate::index::paging::TimeIndex;
use crate::model::Micros;
use crate::query::Expr;
use crate::session::Session;

/// The idle time that ends a session (`kubesift sessions --gap`'s default, 30 minutes).
pub const SESSION_GAP: i64 = 30 * 60 * 1_000_000;

/// Answers requests against one session, with a cache of time indexes per query.
pub struct Engine {
    session: Session,
    time_indexes: HashMap<String, TimeIndex>,
}

impl Engine {
    pub fn new(session: Session) -> Engine {
        Engine {
            session,
            time_indexes: HashMap::new(),
        }
    }

    fn reader(&self) -> &crate::index::IndexReader {
        self.session.reader()
    }

    /// Answers one request (synchronously: tests and benchmarks call this directly).
    pub fn handle(&mut self, req: Request) -> Response {
        let id = req.id();
        match self.try_handle(req) {
            Ok(r) => r,
            Err(e) => Response::Error {
                id,
                message: e.to_string(),
            },
        }
    }

    /// The time index of a query, built on first use (kept in a small cache).
    fn take_time_index(&mut self, expr: &Expr) -> crate::index::Result<TimeIndex> {
        match self.time_indexes.remove(&format!("{expr:?}")) {
            Some(ti) => Ok(ti),
            None => TimeIndex::new(self.reader(), expr),
        }
    }

    fn keep_time_index(&mut self, ti: TimeIndex) {
        if self.time_indexes.len() > 32 {
            self.time_indexes.clear();
        }
        self.time_indexes.insert(format!("{:?}", ti.expr), ti);
    }

    /// The sessions of `who`, split by the idle gap `kubesift sessions` uses by default.
    fn sessions(&self, id: u64, who: crate::story::Identity) -> Response {
        match self.session.sessions_of(&who, None, None, SESSION_GAP) {
            Ok(sessions) => Response::Sessions { id, who, sessions },
            Err(e) => Response::Error {
                id,
                message: format!("{e:#}"),
            },
        }
    }

    /// The index's columns carry no exec command: the rows of exec requests get theirs from
    /// the stored event (few in a page), so the events table shows the decoded command. An
    /// event that cannot be loaded keeps its row without one (the detail view says why).
    fn decode_commands(
        &self,
        hits: &[crate::index::Hit],
        rows: &mut [crate::model::EventRow<'static>],
    ) {
        for (hit, row) in hits.iter().zip(rows.iter_mut()) {
            if row.stream == "exec"
                && let Ok(loaded) = self.reader().load(hit)
            {
                row.exec = loaded.event.exec.map(std::borrow::Cow::Owned);
            }
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one flat match arm per request kind, each a few lines; the arms read as a table"
    )]
    fn try_handle(&mut self, req: Request) -> crate::index::Result<Response> {
        Ok(match req {
            Request::Page {
                id,
                expr,
                offset,
                limit,
                search,
            } => {
                let mut ti = self.take_time_index(&expr)?;
                let total = ti.total;
                let hits = ti.page(self.reader(), offset, limit);
                self.keep_time_index(ti);
                let hits = hits?;
                let mut rows = self.reader().summaries(&hits)?;
                self.decode_commands(&hits, &mut rows);
                let matches = match search {
                    Some(s) if !hits.is_empty() => {
                        let (first, last) = (
                            rows.first().map_or(0, |r| r.time.0),
                            rows.last().map_or(0, |r| r.time.0),
                        );
                        let found = self.reader().search(
                            &crate::index::reader::within(
                                &expr.clone().and(s),
                                Micros(first),
                                Micros(last + 1),
                            ),
                            0,
                            0,
                            crate::index::reader::TimeOrder::Oldest,
                        )?;
                        let set: std::collections::HashSet<u64> =
                            found.iter().map(crate::index::Hit::handle).collect();
                        hits.iter().map(|h| set.contains(&h.handle())).collect()
                    }
                    _ => vec![false; rows.len()],
                };
                Response::Page {
                    id,
                    total,
                    offset,
                    rows,
                    matches,
                }
            }
            Request::Event { id, handle } => {
                let loaded = self
                    .reader()
                    .load(&crate::index::Hit::from_handle(handle))?;
                Response::Event {
                    id,
                    event: Box::new(loaded.event),
                    raw: loaded.raw,
                }
            }
            Request::EventById { id, audit_id } => {
                let Some(loaded) = self.session.event_with_id(&audit_id)? else {
                    return Ok(Response::Error {
                        id,
                        message: format!("no event with audit ID {audit_id} in the index"),
                    });
                };
                Response::Event {
                    id,
                    event: Box::new(loaded.event),
                    raw: loaded.raw,
                }
            }
            Request::Export { id, job } => {
                // Said, so that a file written before is not replaced unnoticed.
                let replaced = job.path.exists();
                let result = crate::export::export_to_file(
                    self.reader(),
                    &job.findings,
                    &job.case,
                    &job.spec,
                    job.format,
                    &job.path,
                )
                .map(|s| {
                    format!(
                        "exported {} events and {} findings to {}{}",
                        s.provenance.counts.events,
                        s.provenance.counts.findings,
                        std::path::absolute(&job.path)
                            .unwrap_or_else(|_| job.path.clone())
                            .display(),
                        if replaced {
                            " (replacing the file that was there)"
                        } else {
                            ""
                        }
                    )
                })
                .map_err(TuiError::from);
                Response::Exported { id, result }
            }
            Request::Pivots {
                id,
                expr,
                fields,
                n,
            } => {
                let tops = self.reader().tops(&expr, &fields, n)?;
                let lists = fields
                    .into_iter()
                    .zip(tops)
                    .map(|(f, (top, missing))| (f, top, missing))
                    .collect();
                Response::Pivots { id, lists }
            }
            Request::Histogram {
                id,
                expr,
                start,
                end,
                buckets,
            } => {
                let span = self.reader().time_span()?.unwrap_or((Micros(0), Micros(1)));
                let (start, end) = (
                    start.unwrap_or(span.0),
                    end.unwrap_or(span.1.saturating_add(1)),
                );
                let counts = self.reader().histogram(&expr, start, end, buckets.max(1))?;
                Response::Histogram {
                    id,
                    counts,
                    start,
                    end,
                }
            }
            Request::Reload { id } => {
                self.session.reload()?;
                self.time_indexes.clear();
                let facts = self.session.facts()?;
                let findings = Some(
                    self.session
                        .default_findings()
                        .map_err(|e| TuiError::Findings(format!("{e:#}"))),
                );
                Response::Reloaded {
                    id,
                    facts,
                    findings,
                }
            }
            Request::Find {
                id,
                expr,
                search,
                from,
                backwards,
            } => {
                let window = if backwards {
                    Expr::time_window(None, Some(crate::query::TimeSpec::At(from)))
                } else {
                    Expr::time_window(
                        Some(crate::query::TimeSpec::At(from.saturating_add(1))),
                        None,
                    )
                };
                let order = if backwards {
                    crate::index::reader::TimeOrder::Newest
                } else {
                    crate::index::reader::TimeOrder::Oldest
                };
                let next = self.reader().search(
                    &expr.clone().and(search.clone()).and(window),
                    1,
                    0,
                    order,
                )?;
                let offset = match next.first() {
                    Some(h) => {
                        let ti = self.take_time_index(&expr)?;
                        let pos = ti.position_of(self.reader(), h.time);
                        self.keep_time_index(ti);
                        Some(pos?)
                    }
                    None => None,
                };
                let any = offset.is_some() || self.reader().count(&expr.and(search))? > 0;
                Response::Found { id, offset, any }
            }
            Request::Sessions { id, who } => self.sessions(id, who),
            Request::Lineage { id, credential } => {
                let lineage = self
                    .session
                    .lineage(&crate::story::Identity::Credential(credential.clone()));
                match lineage {
                    Ok(lineage) => Response::Lineage {
                        id,
                        credential,
                        lineage,
                    },
                    Err(e) => Response::Error {
                        id,
                        message: format!("{e:#}"),
                    },
                }
            }
            Request::Coverage { id } => Response::Coverage {
                id,
                coverage: self
                    .session
                    .coverage()
                    .map(Box::new)
                    .map_err(|e| format!("{e:#}")),
            },
        })
    }
}

/// The worker thread and its channels.
pub struct Worker {
    tx: Sender<Request>,
    /// Where answers go (background jobs answer here too).
    resp_tx: Sender<Response>,
    pub rx: Receiver<Response>,
}

impl Worker {
    pub fn spawn(session: Session) -> crate::index::Result<Worker> {
        let (tx, req_rx) = channel::<Request>();
        let (resp_tx, rx) = channel::<Response>();
        let answers = resp_tx.clone();
        thread::Builder::new()
            .name("kubesift-index".into())
            .spawn(move || {
                let mut engine = Engine::new(session);
                let resp_tx = answers;
                while let Ok(mut req) = req_rx.recv() {
                    // Only the newest request of a kind matters when several queued up.
                    while let Ok(newer) = req_rx.try_recv() {
                        if std::mem::discriminant(&newer) == std::mem::discriminant(&req) {
                            req = newer;
                        } else {
                            let r = engine.handle(req);
                            if resp_tx.send(r).is_err() {
                                return;
                            }
                            req = newer;
                        }
                    }
                    if resp_tx.send(engine.handle(req)).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| crate::index::IndexError::io("cannot start the index thread", e))?;
        Ok(Worker { tx, resp_tx, rx })
    }

    /// Answers one slow request (the blind spots: a pass over the whole index) on a thread
    /// of its own, with its own session, so the views' requests do not wait behind it.
    pub fn background(&self, session: Session, req: Request) -> crate::index::Result<()> {
        let tx = self.resp_tx.clone();
        thread::Builder::new()
            .name("kubesift-background".into())
            .spawn(move || {
                let _ = tx.send(Engine::new(session).handle(req));
            })
            .map_err(|e| crate::index::IndexError::io("cannot start a background thread", e))?;
        Ok(())
    }

    pub fn send(&self, req: Request) {
        let _ = self.tx.send(req);
    }
}
