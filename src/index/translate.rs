//! Turning a query plan ([`Expr`]) into a tantivy query.

use std::net::IpAddr;
use std::ops::Bound;

use ipnet::IpNet;
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, Occur, PhrasePrefixQuery, PhraseQuery, Query, RangeQuery,
    RegexQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DateTime, Term};

use super::schema::{Fields, audit_id_hash, implied_groups, to_v6, uuid_spellings};
use super::{IndexError, Result};
use crate::model::Micros;
use crate::query::glob::Glob;
use crate::query::{Expr, Pattern, TimeSpec};
use rustc_hash::FxHashSet;
use std::sync::Arc;
use tantivy::BitSet;
use tantivy::query::{
    BitSetDocSet, ConstScorer, EmptyScorer, EnableScoring, Explanation, Scorer, Weight,
};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

pub(super) struct Translator<'a> {
    pub fields: &'a Fields,
    pub text_analyzer: TextAnalyzer,
    /// What relative times (`2h`) count back from: the newest event.
    pub anchor: Micros,
}

impl Translator<'_> {
    pub fn query(&mut self, expr: &Expr) -> Result<Box<dyn Query>> {
        Ok(match expr {
            Expr::All => Box::new(AllQuery),
            Expr::And(items) => self.boolean(items, Occur::Must)?,
            Expr::Or(items) => self.boolean(items, Occur::Should)?,
            Expr::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, gathered(self.query(inner)?)),
            ])),
            Expr::Text(text) => self.text(text)?,
            Expr::AuditIds(ids) => Box::new(KeySetQuery {
                hashes: Arc::new(ids.iter().map(|id| audit_id_hash(id)).collect()),
            }),
            Expr::Field { field, pattern } if *field == "group" => self.group(pattern)?,
            Expr::Field { field, pattern } => self.field(field, pattern)?,
        })
    }

    fn boolean(&mut self, items: &[Expr], occur: Occur) -> Result<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for item in items {
            let clause = match (occur, item) {
                (Occur::Must, Expr::Not(inner)) => (Occur::MustNot, gathered(self.query(inner)?)),
                _ => (occur, self.query(item)?),
            };
            clauses.push(clause);
        }
        if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn field(&self, name: &str, pattern: &Pattern) -> Result<Box<dyn Query>> {
        let f = self.fields;
        Ok(match (name, pattern) {
            ("time", Pattern::Time(lo, hi)) => {
                let conv = |b: &Bound<TimeSpec>| {
                    map_bound(b, |t| {
                        Term::from_field_date(
                            f.time,
                            DateTime::from_timestamp_micros(t.resolve(self.anchor).clamped().0),
                        )
                    })
                };
                range(conv(lo), conv(hi))
            }
            ("code", Pattern::Number(lo, hi)) => {
                let conv = |b: &Bound<u64>| map_bound(b, |n| Term::from_field_u64(f.code, *n));
                range(conv(lo), conv(hi))
            }
            ("code", Pattern::Any) => range(
                Bound::Included(Term::from_field_u64(f.code, 0)),
                Bound::Unbounded,
            ),
            ("audit_id", Pattern::Exact(id)) => {
                let hashes: FxHashSet<u64> = uuid_spellings(id)
                    .iter()
                    .map(|v| audit_id_hash(v))
                    .collect();
                if hashes.len() == 1 {
                    let h = Term::from_field_u64(f.key_hi, audit_id_hash(id));
                    range(Bound::Included(h.clone()), Bound::Included(h))
                } else {
                    Box::new(KeySetQuery {
                        hashes: Arc::new(hashes),
                    })
                }
            }
            ("audit_id", _) => {
                return Err(query_error(
                    "`audit_id` takes a whole audit ID, without wildcards",
                ));
            }
            ("ip" | "peer", p) => {
                let field = if name == "ip" { f.ip } else { f.peer };
                ip_query(field, p)
            }
            (_, Pattern::Exact(v)) => {
                let field = self.keyword(name)?;
                let term = Term::from_field_text(field, v);
                if self.has_terms(field) {
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
                } else {
                    range(Bound::Included(term.clone()), Bound::Included(term))
                }
            }
            (_, Pattern::Wildcard(v)) => {
                let field = self.keyword(name)?;
                if self.has_terms(field) {
                    regex(&Glob::new(v).to_regex(), field)?
                } else {
                    column_match(name, Some(v))
                }
            }
            (_, Pattern::Any) => {
                let field = self.keyword(name)?;
                if self.has_terms(field) {
                    regex(".+", field)?
                } else {
                    column_match(name, None)
                }
            }
            (_, other) => {
                return Err(query_error(format!(
                    "field `{name}` cannot match {other:?}"
                )));
            }
        })
    }

    /// A group: one indexed with the event, or one its username implies (which the index
    /// leaves out, see `Fields::add_groups`) unless the event's groups are all indexed.
    fn group(&mut self, pattern: &Pattern) -> Result<Box<dyn Query>> {
        let listed = self.field("group", pattern)?;
        let inner = match pattern {
            Pattern::Exact(v) => ValueMatch::Exact(v.clone()),
            Pattern::Wildcard(v) => ValueMatch::Glob(v.clone()),
            Pattern::Any => ValueMatch::Any,
            _ => return Ok(listed),
        };
        let implied: Box<dyn Query> = Box::new(ColumnMatchQuery {
            field: "user".to_owned(),
            matcher: ValueMatch::ImpliedGroup(Box::new(inner)),
        });
        let whole = Term::from_field_u64(self.fields.groups_whole, 1);
        let unless_whole = BooleanQuery::new(vec![
            (Occur::Must, implied),
            (
                Occur::MustNot,
                Box::new(TermQuery::new(whole, IndexRecordOption::Basic)),
            ),
        ]);
        Ok(Box::new(BooleanQuery::new(vec![
            (Occur::Should, listed),
            (Occur::Should, Box::new(unless_whole)),
        ])))
    }

    /// Whether a keyword field has terms (a high-cardinality field that is searched, never
    /// counted); the others are answered from their fast column.
    fn has_terms(&self, field: Field) -> bool {
        self.fields.schema.get_field_entry(field).is_indexed()
    }

    fn keyword(&self, name: &str) -> Result<Field> {
        self.fields
            .keyword(name)
            .ok_or_else(|| query_error(format!("field `{name}` is not in the index")))
    }

    /// Words of the event: one word is a term, several a phrase; `word*` a prefix. Searched in
    /// the text field and in the words of the account, the user agent's family and the
    /// request path (their column and terms, matched once per segment: not indexed twice).
    fn text(&mut self, text: &str) -> Result<Box<dyn Query>> {
        let field = self.fields.text;
        let (in_text, wanted): (Box<dyn Query>, Words) = if let Some(prefix) =
            text.strip_suffix('*')
            && !prefix.is_empty()
            && prefix.chars().all(char::is_alphanumeric)
        {
            let lower = prefix.to_lowercase();
            let query = regex(&format!("{}.*", regex_syntax::escape(&lower)), field)?;
            (query, Words::prefix(lower))
        } else {
            // `web-7d9f*`: words whose last is a prefix.
            let (body, prefix) = match text.strip_suffix('*') {
                Some(body) => (body, true),
                None => (text, false),
            };
            let mut terms = Vec::new();
            let mut stream = self.text_analyzer.token_stream(body);
            while let Some(tok) = stream.next() {
                terms.push(Term::from_field_text(field, &tok.text));
            }
            let query: Box<dyn Query> = match terms.len() {
                0 => return Ok(Box::new(EmptyQuery)),
                1 if prefix => regex(
                    &format!(
                        "{}.*",
                        regex_syntax::escape(terms[0].value().as_str().unwrap_or_default())
                    ),
                    field,
                )?,
                1 => Box::new(TermQuery::new(terms.remove(0), IndexRecordOption::Basic)),
                _ if prefix => Box::new(PhrasePrefixQuery::new(terms)),
                _ => Box::new(PhraseQuery::new(terms)),
            };
            let mut wanted = Words::phrase(body);
            wanted.prefix = prefix;
            (query, wanted)
        };
        let mut clauses = vec![(Occur::Should, in_text)];
        for column in WORDED_COLUMNS {
            clauses.push((
                Occur::Should,
                Box::new(ColumnMatchQuery {
                    field: (*column).to_owned(),
                    matcher: ValueMatch::Words(wanted.clone()),
                }),
            ));
        }
        if let Some(path) = self.fields.keyword("path") {
            clauses.push((
                Occur::Should,
                Box::new(TermWordsQuery {
                    field: path,
                    words: wanted,
                }),
            ));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }
}

/// Keyword columns whose words bare-word search matches (with the `path` terms), kept out of
/// the text field.
const WORDED_COLUMNS: &[&str] = &["user", "ua_family"];

/// Words a value must hold in a row, as the text field's analyzer cuts them (runs of letters
/// and digits, lower-cased; one of 40 bytes or more is no word): the last a prefix or whole.
#[derive(Debug, Clone)]
pub(super) struct Words {
    words: Vec<String>,
    prefix: bool,
}

impl Words {
    pub(super) fn phrase(text: &str) -> Words {
        Words {
            words: words_of(text)
                .into_iter()
                .filter(|w| !w.is_empty())
                .collect(),
            prefix: false,
        }
    }

    fn prefix(word: String) -> Words {
        Words {
            words: vec![word],
            prefix: true,
        }
    }

    pub(super) fn is_match(&self, value: &str) -> bool {
        let Some((last, head)) = self.words.split_last() else {
            return false;
        };
        words_of(value).windows(self.words.len()).any(|w| {
            w[..head.len()] == *head
                && if self.prefix {
                    w[head.len()].starts_with(last.as_str())
                } else {
                    w[head.len()] == *last
                }
        })
    }
}

/// The words of a value as tantivy's default analyzer gives them; a word it drops (40 bytes
/// or more) is kept as an empty one, so that the words around it are not next to each other.
fn words_of(value: &str) -> Vec<String> {
    value
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.len() >= 40 {
                String::new()
            } else {
                w.to_lowercase()
            }
        })
        .collect()
}

/// Documents whose `key_hi` (the hash of the audit ID) is in a set: the events of a finding.
/// Found by one pass over the column of each segment.
#[derive(Debug, Clone)]
struct KeySetQuery {
    /// Hashed with Fx: the std `SipHash` of every document's key was half of `incidents` on a
    /// 9.4 M-event index (one scan per finding's events).
    hashes: Arc<FxHashSet<u64>>,
}

impl Query for KeySetQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for KeySetQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let col = reader.fast_fields().u64("key_hi")?;
        let max_doc = reader.max_doc();
        let mut docs = BitSet::with_max_value(max_doc);
        if col.get_cardinality() == tantivy::columnar::Cardinality::Full {
            // Every document has its key: read the values in runs, not one lookup each.
            let mut run = vec![0u64; 4096];
            let mut start: DocId = 0;
            while start < max_doc {
                let n = (max_doc - start).min(4096);
                let values = &mut run[..n as usize];
                col.values.get_range(u64::from(start), values);
                for (d, h) in (start..).zip(values.iter()) {
                    if self.hashes.contains(h) {
                        docs.insert(d);
                    }
                }
                start += n;
            }
        } else {
            for d in 0..max_doc {
                if col.first(d).is_some_and(|h| self.hashes.contains(&h)) {
                    docs.insert(d);
                }
            }
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, _: &SegmentReader, _: DocId) -> tantivy::Result<Explanation> {
        Ok(Explanation::new("audit id in set", 1.0))
    }
}

/// Documents with a value of a keyword column that matches a glob (`None`: any value). The
/// column's dictionary is matched once per segment, then its ordinals are scanned: keyword
/// fields have no terms (indexing a term per field and document doubled their cost at ingest).
fn column_match(field: &str, glob: Option<&str>) -> Box<dyn Query> {
    Box::new(ColumnMatchQuery {
        field: field.to_owned(),
        matcher: glob.map_or(ValueMatch::Any, |g| ValueMatch::Glob(g.to_owned())),
    })
}

/// What a column value must be.
#[derive(Debug, Clone)]
enum ValueMatch {
    Any,
    Exact(String),
    Glob(String),
    Words(Words),
    /// A username that implies a group that matches ([`implied_groups`]).
    ImpliedGroup(Box<ValueMatch>),
}

impl ValueMatch {
    fn matcher(&self) -> Matcher {
        match self {
            ValueMatch::Any => Matcher::Any,
            ValueMatch::Exact(v) => Matcher::Exact(v.clone()),
            ValueMatch::Glob(g) => Matcher::Glob(Glob::new(g)),
            ValueMatch::Words(w) => Matcher::Words(w.clone()),
            ValueMatch::ImpliedGroup(inner) => Matcher::ImpliedGroup(Box::new(inner.matcher())),
        }
    }
}

#[derive(Debug, Clone)]
struct ColumnMatchQuery {
    field: String,
    matcher: ValueMatch,
}

impl Query for ColumnMatchQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ColumnMatchWeight {
            field: self.field.clone(),
            matcher: self.matcher.matcher(),
        }))
    }
}

/// A [`ValueMatch`] ready to match.
enum Matcher {
    Any,
    Exact(String),
    Glob(Glob),
    Words(Words),
    ImpliedGroup(Box<Matcher>),
}

impl Matcher {
    fn is_match(&self, value: &[u8]) -> bool {
        match self {
            Matcher::Any => true,
            Matcher::Exact(v) => value == v.as_bytes(),
            Matcher::ImpliedGroup(inner) => std::str::from_utf8(value).is_ok_and(|user| {
                implied_groups(user)
                    .iter()
                    .any(|g| inner.is_match(g.as_bytes()))
            }),
            Matcher::Glob(glob) => std::str::from_utf8(value).is_ok_and(|v| glob.is_match(v)),
            Matcher::Words(words) => std::str::from_utf8(value).is_ok_and(|v| words.is_match(v)),
        }
    }
}

struct ColumnMatchWeight {
    field: String,
    matcher: Matcher,
}

impl ColumnMatchWeight {
    /// The ordinals of the segment's column values that match, as flags by ordinal.
    fn wanted(&self, col: &tantivy::columnar::StrColumn) -> tantivy::Result<Vec<bool>> {
        let mut wanted = vec![false; col.dictionary().num_terms()];
        let mut stream = col.dictionary().stream()?;
        while stream.advance() {
            let hit = self.matcher.is_match(stream.key());
            if let Some(flag) = usize::try_from(stream.term_ord())
                .ok()
                .and_then(|ord| wanted.get_mut(ord))
            {
                *flag = hit;
            }
        }
        Ok(wanted)
    }
}

impl Weight for ColumnMatchWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(col) = reader.fast_fields().str(&self.field)? else {
            return Ok(Box::new(EmptyScorer));
        };
        let wanted = self.wanted(&col)?;
        if !wanted.contains(&true) {
            return Ok(Box::new(EmptyScorer));
        }
        let ords = col.ords();
        let mut docs = BitSet::with_max_value(reader.max_doc());
        for d in 0..reader.max_doc() {
            let hit = ords.values_for_doc(d).any(|o| {
                usize::try_from(o)
                    .ok()
                    .and_then(|o| wanted.get(o))
                    .copied()
                    .unwrap_or(false)
            });
            if hit {
                docs.insert(d);
            }
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, _: &SegmentReader, _: DocId) -> tantivy::Result<Explanation> {
        Ok(Explanation::new("column value matches", 1.0))
    }
}

/// Documents with a term of a raw-token field (the request path) whose words, once
/// percent-decoded, hold [`Words`]: the segment's term dictionary is matched once, then the
/// postings of the matching terms gathered.
#[derive(Debug, Clone)]
struct TermWordsQuery {
    field: Field,
    words: Words,
}

impl Query for TermWordsQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for TermWordsQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let index = reader.inverted_index(self.field)?;
        let mut docs = BitSet::with_max_value(reader.max_doc());
        let mut found = false;
        let mut stream = index.terms().stream()?;
        while stream.advance() {
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            let decoded = percent_encoding::percent_decode_str(term).decode_utf8_lossy();
            if !self.words.is_match(&decoded) {
                continue;
            }
            found = true;
            let mut postings =
                index.read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)?;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                docs.insert(doc);
                doc = postings.advance();
            }
        }
        if !found {
            return Ok(Box::new(EmptyScorer));
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, _: &SegmentReader, _: DocId) -> tantivy::Result<Explanation> {
        Ok(Explanation::new("a term's words match", 1.0))
    }
}

/// An excluded query, its matches gathered into a bit set per segment first: tantivy 0.27's
/// phrase scorer asserts (debug builds) when an exclusion asks it about a document before
/// its current one (quickwit-oss/tantivy#2811: `NOT "shop web"` panicked); a bit set
/// answers in any order.
fn gathered(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(Gathered(query))
}

#[derive(Debug)]
struct Gathered(Box<dyn Query>);

impl Clone for Gathered {
    fn clone(&self) -> Self {
        Gathered(self.0.box_clone())
    }
}

impl Query for Gathered {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(GatheredWeight(self.0.weight(scoring)?)))
    }
}

struct GatheredWeight(Box<dyn Weight>);

impl Weight for GatheredWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut inner = self.0.scorer(reader, boost)?;
        let mut docs = BitSet::with_max_value(reader.max_doc());
        let mut doc = inner.doc();
        while doc != TERMINATED {
            docs.insert(doc);
            doc = inner.advance();
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

fn map_bound<T>(b: &Bound<T>, f: impl Fn(&T) -> Term) -> Bound<Term> {
    match b {
        Bound::Included(v) => Bound::Included(f(v)),
        Bound::Excluded(v) => Bound::Excluded(f(v)),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn range(lo: Bound<Term>, hi: Bound<Term>) -> Box<dyn Query> {
    if matches!((&lo, &hi), (Bound::Unbounded, Bound::Unbounded)) {
        return Box::new(AllQuery);
    }
    Box::new(RangeQuery::new(lo, hi))
}

fn ip_query(field: Field, pattern: &Pattern) -> Box<dyn Query> {
    match pattern {
        Pattern::Ip(ip) => Box::new(TermQuery::new(
            Term::from_field_ip_addr(field, to_v6(*ip)),
            IndexRecordOption::Basic,
        )),
        Pattern::Cidr(net) => {
            let (lo, hi): (IpAddr, IpAddr) = match net {
                IpNet::V4(n) => (IpAddr::V4(n.network()), IpAddr::V4(n.broadcast())),
                IpNet::V6(n) => (IpAddr::V6(n.network()), IpAddr::V6(n.broadcast())),
            };
            range(
                Bound::Included(Term::from_field_ip_addr(field, to_v6(lo))),
                Bound::Included(Term::from_field_ip_addr(field, to_v6(hi))),
            )
        }
        Pattern::Any => range(
            Bound::Included(Term::from_field_ip_addr(
                field,
                std::net::Ipv6Addr::UNSPECIFIED,
            )),
            Bound::Unbounded,
        ),
        _ => Box::new(EmptyQuery),
    }
}

fn regex(pattern: &str, field: Field) -> Result<Box<dyn Query>> {
    Ok(Box::new(RegexQuery::from_pattern(pattern, field)?))
}

/// A plan the index cannot run is the query's fault, not a corrupt index (the parser is
/// meant to refuse such a query first).
fn query_error(message: impl Into<String>) -> IndexError {
    IndexError::Query(crate::query::QueryError {
        column: 0,
        message: message.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_time_bound_in_year_9999_does_not_overflow() {
        // `time:<9999-12-31T23:59:59Z` overflowed tantivy's nanosecond count (a panic in
        // debug builds, a wrapped bound in release).
        let t = |m: Micros| DateTime::from_timestamp_micros(m.clamped().0);
        let year = |y: i64| Micros((y - 1970) * 365 * 86_400 * 1_000_000);
        let far = t(year(9999));
        assert!(far > t(Micros::LATEST));
        assert!(t(year(1)) < t(Micros::EARLIEST));
        let now = Micros::parse("2026-03-14T10:00:00Z").unwrap();
        assert!(far > t(now));
    }
}
