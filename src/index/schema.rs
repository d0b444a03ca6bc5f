//! The tantivy schema: a keyword field per keyword field of the registry
//! ([`crate::model::fields`], which says whether it is a fast column or terms and how its
//! values are read from an event), a date fast field for time, one full-text field over a compact text,
//! and the raw record stored (LZ4) after a compact `row` of what exports read beside the
//! columns. The whole raw JSON is deliberately not full-text
//! indexed: term hashing would dominate ingest time.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr};

use tantivy::DateTime;
use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, IpAddrOptions,
    NumericOptions, STORED, Schema, TextFieldIndexing, TextOptions,
};

use super::doc::EventDoc;
pub use super::uuid::{
    halves, same_audit_id, uuid_parts, uuid_prefix_range, uuid_spellings, uuid_string,
};

use crate::model::fields::{self, FieldSpec, Storage};
use crate::model::{AuditEvent, EventRow, exec};

/// Bumped whenever the schema or the meaning of a field changes; an index built with another
/// version must be rebuilt.
pub const SCHEMA_VERSION: u32 = 10;

/// Longest value kept in a keyword field; longer values are cut (the raw record keeps all).
pub const MAX_TERM_BYTES: usize = 1024;

/// What a document holds besides its raw record, about: keyword values, the event text. The
/// reader cuts each record with this much room behind it, where the document's text goes.
pub const DOC_VALUES_BYTES: usize = 1024;

/// The keyword fields of the registry in the order the schema declares them. An index
/// addresses its fields by position, so this order is part of [`SCHEMA_VERSION`]: a new
/// keyword field is appended here and the version bumped. Whether a field has a fast column
/// is the registry's [`Storage`].
pub const KEYWORD_LAYOUT: &[&str] = &[
    "level",
    "stage",
    "verb",
    "user",
    "actor_kind",
    "sa",
    "sa_ns",
    "impersonated",
    "credential",
    "pod",
    "node",
    "ua",
    "ua_family",
    "resource",
    "subresource",
    "api_group",
    "namespace",
    "name",
    "decision",
    "role",
    "binding",
    "exec",
    "fact",
    "nonresource",
    "format",
    "cluster",
    "group",
    "path",
];

/// Handles to every field of the schema. The merge key of a request is kept in two fast
/// columns, not as terms: a unique term per document (audit IDs) would make building the
/// term dictionaries dominate indexing time. `key_hi` is the hash of the audit ID, so an
/// audit ID is found by scanning one column.
#[derive(Clone)]
pub struct Fields {
    pub schema: Schema,
    pub key_hi: Field,
    pub key_lo: Field,
    pub stages: Field,
    pub time: Field,
    pub code: Field,
    pub ip: Field,
    pub peer: Field,
    pub text: Field,
    pub file: Field,
    pub line: Field,
    /// The index of the record in the JSON array that held it, when it came from one.
    pub record: Field,
    pub raw: Field,
    /// An audit ID in the canonical UUID form (what API servers write) as two numbers,
    /// [`uuid_parts`]: a string column of IDs, one new term per event, cost a twentieth of
    /// indexing time in its dictionary.
    pub uuid_hi: Field,
    pub uuid_lo: Field,
    /// Any other audit ID, as a fast column only (no term dictionary).
    pub audit_id: Field,
    /// What an export row needs beside the columns (audit ID, path, exec command, an odd IP):
    /// [`RowExtras`](super::row_extras::RowExtras), stored before the raw record.
    pub row: Field,
    /// Set (to 1) on an event whose logged groups lack one its username implies
    /// ([`implied_groups`]): all of its groups are indexed, none implied.
    pub groups_whole: Field,
    /// The `group` keyword field, indexed without the groups a username implies.
    group: Option<Field>,
    keywords: Vec<(&'static FieldSpec, Field)>,
}

impl Fields {
    pub fn new() -> Fields {
        let mut b = Schema::builder();
        let key_hi = b.add_u64_field("key_hi", FAST);
        let key_lo = b.add_u64_field("key_lo", FAST);
        let stages = b.add_u64_field("stages", FAST);
        // Times, codes and addresses are matched by range queries, which tantivy answers from
        // the fast column alone: terms for them would only cost ingest time (a time is a new
        // term for nearly every event).
        let time = b.add_date_field(
            "time",
            DateOptions::default()
                .set_fast()
                .set_precision(DateTimePrecision::Microseconds),
        );
        let code = b.add_u64_field("code", NumericOptions::default().set_fast());
        let ip = b.add_ip_addr_field("ip", IpAddrOptions::default().set_fast());
        let peer = b.add_ip_addr_field("peer", IpAddrOptions::default().set_fast());
        // Hits are ordered by time, never scored: no field norms to record.
        let text_indexing = TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_fieldnorms(false)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text = b.add_text_field(
            "text",
            TextOptions::default().set_indexing_options(text_indexing),
        );
        let file = b.add_u64_field("file", FAST | STORED);
        let line = b.add_u64_field("line", STORED);
        let record = b.add_u64_field("record", STORED);
        // Stored as text, not bytes: tantivy writes and reads a bytes value one byte at a time
        // (a twentieth of indexing time), a string at once. Records are UTF-8 (decoded JSON).
        // Before `raw`: exports read the store up to its first text, and a document whose
        // values follow its fields' order is one tantivy sorts in a single pass.
        let row = b.add_text_field("row", STORED);
        let raw = b.add_text_field("raw", STORED);
        let audit_id = b.add_text_field("audit_id", TextOptions::default().set_fast("raw"));
        let uuid_hi = b.add_u64_field("uuid_hi", FAST);
        let uuid_lo = b.add_u64_field("uuid_lo", FAST);
        let keywords: Vec<(&FieldSpec, Field)> = KEYWORD_LAYOUT
            .iter()
            .filter_map(|name| fields::get(name))
            .map(|spec| {
                let options = match spec.storage {
                    Storage::SearchOnly => TextOptions::default().set_indexing_options(
                        TextFieldIndexing::default()
                            .set_tokenizer("raw")
                            .set_fieldnorms(false)
                            .set_index_option(IndexRecordOption::Basic),
                    ),
                    Storage::Keyword | Storage::Typed => TextOptions::from(FAST),
                };
                (spec, b.add_text_field(spec.name, options))
            })
            .collect();
        let groups_whole = b.add_u64_field("groups_whole", INDEXED);
        let group = keywords
            .iter()
            .find(|(spec, _)| spec.name == "group")
            .map(|(_, f)| *f);
        Fields {
            schema: b.build(),
            key_hi,
            key_lo,
            stages,
            time,
            code,
            ip,
            peer,
            text,
            file,
            line,
            record,
            raw,
            uuid_hi,
            uuid_lo,
            audit_id,
            row,
            groups_whole,
            group,
            keywords,
        }
    }

    /// The field behind a keyword name.
    pub fn keyword(&self, name: &str) -> Option<Field> {
        self.keywords
            .iter()
            .find(|(spec, _)| spec.name == name)
            .map(|(_, f)| *f)
    }

    /// Builds the document of an event, `stages` the event's own (the writer sets the
    /// request's when its stage records merged into more: see [`PreparedDoc`]).
    ///
    /// [`PreparedDoc`]: super::PreparedDoc
    /// The stored record is taken as it is when owned (the line the reader cut), copied when
    /// borrowed.
    pub fn document(
        &self,
        e: &AuditEvent,
        key: [u8; 16],
        raw: Cow<'_, str>,
        file: u64,
    ) -> EventDoc {
        // Room for the other values at once: grown from a small buffer, it was reallocated
        // and copied twice per record.
        let mut doc = EventDoc::with_record(raw.into_owned(), DOC_VALUES_BYTES);
        let row = EventRow::of(e);
        // Values are added in the order of their fields in the schema: tantivy sorts a
        // document's values by field for its terms (a sorted list costs it one pass), and the
        // store keeps the document's order (exports read the stored values up to the first
        // text, `row`, declared before the raw record).
        let (hi, lo) = split_key(key);
        doc.add_u64(self.key_hi, hi);
        doc.add_u64(self.key_lo, lo);
        // The request's stages are known when its records have been merged; nearly always
        // they are this record's, and the writer leaves the document untouched (see
        // `IndexWriter::add`).
        doc.add_u64(self.stages, u64::from(e.stages.0));
        // Ingest keeps event times within Micros::EARLIEST..=LATEST; never overflow all the same.
        doc.add_date(
            self.time,
            DateTime::from_timestamp_micros(e.time.clamped().0),
        );
        if let Some(code) = e.code {
            doc.add_u64(self.code, u64::from(code));
        }
        for ip in e.source_ips.iter().filter_map(|s| parse_ip(s)) {
            doc.add_ip_addr(self.ip, ip);
        }
        if let Some(peer) = e.peer_ip().and_then(parse_ip) {
            doc.add_ip_addr(self.peer, peer);
        }
        add_search_text(&mut doc, self.text, e, row.grant.is_none());
        doc.add_u64(self.file, file);
        doc.add_u64(self.line, e.source.line);
        if let Some(r) = e.source.record {
            doc.add_u64(self.record, r);
        }
        doc.add_text(self.row, &super::row_extras::RowExtras::of(e).encode());
        doc.add_record(self.raw);
        if let Some((hi, lo)) = uuid_parts(&e.audit_id) {
            doc.add_u64(self.uuid_hi, hi);
            doc.add_u64(self.uuid_lo, lo);
        } else if !e.audit_id.is_empty() {
            doc.add_text(self.audit_id, clamp(&e.audit_id));
        }
        let mut groups_whole = false;
        for (spec, field) in &self.keywords {
            if Some(*field) == self.group {
                groups_whole = Fields::add_groups(&mut doc, &row, *field);
                continue;
            }
            (spec.read)(&row, &mut |value| {
                if !value.is_empty() {
                    doc.add_text(*field, clamp(value));
                }
            });
        }
        if groups_whole {
            doc.add_u64(self.groups_whole, 1);
        }
        doc
    }
}

impl Fields {
    /// The groups of a request but those its username implies, which the API server gives
    /// every service account, node and authenticated user: indexed, they were most of the
    /// index's postings. When the log lacks one of them, every group is indexed and
    /// `groups_whole` set, so that the query implies none for the event.
    /// Returns whether `groups_whole` is to be set.
    fn add_groups(doc: &mut EventDoc, row: &EventRow<'_>, field: Field) -> bool {
        let implied = Implied::of(&row.user);
        let whole = !implied.all_in(&row.groups);
        for g in row.groups.iter() {
            if g.is_empty() || (!whole && implied.contains(g)) {
                continue;
            }
            doc.add_text(field, clamp(g));
        }
        whole && !implied.is_empty()
    }
}

/// The groups the API server gives every request of a username: `system:unauthenticated` to
/// `system:anonymous`; `system:authenticated` to everyone else, with `system:serviceaccounts`
/// and `system:serviceaccounts:NAMESPACE` to a service account and `system:nodes` to a node.
/// None for no username, or one the `user` column may hold cut: the query side reads the
/// column, and a cut name (1021 to 1024 bytes, [`clamp`]) must imply what the whole one did
/// at ingest — nothing.
pub fn implied_groups(username: &str) -> Vec<std::borrow::Cow<'static, str>> {
    let implied = Implied::of(username);
    let mut groups: Vec<std::borrow::Cow<'static, str>> = implied
        .names
        .iter()
        .take(implied.count)
        .map(|g| std::borrow::Cow::Borrowed(*g))
        .collect();
    if let Some(ns) = implied.sa_namespace {
        groups.push(std::borrow::Cow::Owned(format!("{SA_GROUP}:{ns}")));
    }
    groups
}

/// The group every service account has; `SA_GROUP:NAMESPACE` is its namespace's.
const SA_GROUP: &str = "system:serviceaccounts";

/// [`implied_groups`] without building them (every event's document asks).
struct Implied<'a> {
    names: [&'static str; 2],
    count: usize,
    /// The namespace of `system:serviceaccounts:NAMESPACE`.
    sa_namespace: Option<&'a str>,
}

impl<'a> Implied<'a> {
    fn of(username: &'a str) -> Implied<'a> {
        let none = Implied {
            names: ["", ""],
            count: 0,
            sa_namespace: None,
        };
        if username.is_empty() || username.len() > MAX_TERM_BYTES - 4 {
            return none;
        }
        if username == "system:anonymous" {
            return Implied {
                names: ["system:unauthenticated", ""],
                count: 1,
                ..none
            };
        }
        let authenticated = Implied {
            names: ["system:authenticated", ""],
            count: 1,
            ..none
        };
        if let Some((ns, name)) = username
            .strip_prefix("system:serviceaccount:")
            .and_then(|rest| rest.split_once(':'))
        {
            if !ns.is_empty() && !name.is_empty() {
                return Implied {
                    names: ["system:authenticated", SA_GROUP],
                    count: 2,
                    sa_namespace: Some(ns),
                };
            }
        } else if username.starts_with("system:node:") {
            return Implied {
                names: ["system:authenticated", "system:nodes"],
                count: 2,
                ..none
            };
        }
        authenticated
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn contains(&self, group: &str) -> bool {
        self.names.iter().take(self.count).any(|g| *g == group) || self.is_namespace_group(group)
    }

    /// Whether every implied group is among `groups`.
    fn all_in(&self, groups: &[String]) -> bool {
        let has = |g: &str| groups.iter().any(|x| x == g);
        self.names.iter().take(self.count).all(|g| has(g))
            && (self.sa_namespace.is_none() || groups.iter().any(|x| self.is_namespace_group(x)))
    }

    /// Whether `group` is `system:serviceaccounts:NAMESPACE` of the account's namespace.
    fn is_namespace_group(&self, group: &str) -> bool {
        self.sa_namespace.is_some_and(|ns| {
            group
                .strip_prefix(SA_GROUP)
                .and_then(|rest| rest.strip_prefix(':'))
                == Some(ns)
        })
    }
}

impl Default for Fields {
    fn default() -> Self {
        Fields::new()
    }
}

/// The stage bits of a request as the `stages` column stores them: a [`StageSet`]'s `u8`
/// widened (a wider value was not written by this index: no stages).
///
/// [`StageSet`]: crate::model::StageSet
pub fn stage_bits(stored: u64) -> u8 {
    u8::try_from(stored).unwrap_or(0)
}

/// The merge key of a request: (hash of its audit ID, hash of audit ID and receive time).
/// Records without an audit ID are keyed by their content, so only exact copies merge.
pub fn merge_key(audit_id: &str, received: i64, raw: &str) -> [u8; 16] {
    use xxhash_rust::xxh3::xxh3_64_with_seed;
    if audit_id.is_empty() {
        let hi = xxh3_64_with_seed(raw.as_bytes(), 1);
        let lo = xxh3_64_with_seed(raw.as_bytes(), 2);
        return join_key(hi, lo);
    }
    let mut buf = Vec::with_capacity(audit_id.len() + 9);
    buf.extend_from_slice(audit_id.as_bytes());
    buf.push(0);
    buf.extend_from_slice(&received.to_le_bytes());
    join_key(audit_id_hash(audit_id), xxh3_64_with_seed(&buf, 3))
}

/// The `key_hi` column value of every event with this audit ID.
pub fn audit_id_hash(audit_id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(audit_id.as_bytes())
}

pub fn split_key(key: [u8; 16]) -> (u64, u64) {
    let mut hi = [0u8; 8];
    let mut lo = [0u8; 8];
    hi.copy_from_slice(&key[..8]);
    lo.copy_from_slice(&key[8..]);
    (u64::from_be_bytes(hi), u64::from_be_bytes(lo))
}

pub fn join_key(hi: u64, lo: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&hi.to_be_bytes());
    key[8..].copy_from_slice(&lo.to_be_bytes());
    key
}

/// IPs are stored as IPv6 (IPv4 mapped), as tantivy does.
pub fn parse_ip(s: &str) -> Option<Ipv6Addr> {
    let ip: IpAddr = s.trim().parse().ok()?;
    Some(to_v6(ip))
}

pub fn to_v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    }
}

pub fn from_v6(ip: Ipv6Addr) -> IpAddr {
    match ip.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(ip),
    }
}

fn clamp(s: &str) -> &str {
    if s.len() <= MAX_TERM_BYTES {
        return s;
    }
    let mut end = MAX_TERM_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The text behind bare-word search, with the words of the `user` and `ua_family` columns and
/// the `path` terms: the URI's query (decoded, without the paging and watch parameters every
/// client sends: `exec::search_query_into`), the exec command, the impersonated user, the
/// status message and the authorization reason. To keep the token count (and indexing time)
/// low, the full user agent and RBAC "allowed by" reasons are not worded here: they have
/// keyword fields (`ua`, `role`, `binding`).
fn add_search_text(doc: &mut EventDoc, field: Field, e: &AuditEvent, with_reason: bool) {
    // The words of the account, the user agent's family and the request path are searched
    // in their own column and terms (see `translate::Words`): indexed here too, they were
    // half of the text's words and cost a tenth of ingest.
    let reason = if with_reason {
        e.authz_reason.as_str()
    } else {
        ""
    };
    let parts = [
        e.exec.as_ref().map_or("", |x| x.command_line.as_str()),
        e.impersonated.as_ref().map_or("", |u| u.username.as_str()),
        &e.status_message,
        &e.status_reason,
        reason,
    ];
    // Written straight into the document: the decoded query, then the other parts, a space
    // between each.
    doc.add_text_built(field, |text, start| {
        exec::search_query_into(&e.request_uri, text);
        for part in parts.iter().filter(|p| !p.is_empty()) {
            if text.len() > start {
                text.push(' ');
            }
            text.push_str(part);
        }
    });
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use std::fmt::Write as _;

    use sha2::{Digest, Sha256};

    use super::*;
    use crate::index::doc::Leaf;
    use crate::model::fields::FIELDS;

    /// Fields of the schema that are no field of an event.
    const INTERNAL: [&str; 11] = [
        "key_hi",
        "key_lo",
        "stages",
        "file",
        "line",
        "record",
        "raw",
        "row",
        "uuid_hi",
        "uuid_lo",
        "groups_whole",
    ];

    /// A document lists its values in the order of their fields, so that tantivy's sort of
    /// them is cheap, but for `row` (see the regression test below). The writer's stage bits
    /// take the placeholder's place.
    #[test]
    fn document_values_are_in_field_order() {
        use crate::ingest::formats::{NormalizeOptions, native};
        let records = [
            // A UUID audit ID, two source IPs, an exec command, groups lacking an implied one.
            r#"{"auditID":"8f1c2d3e-0000-4000-8000-000000000001","stage":"ResponseComplete","verb":"create","requestURI":"/api/v1/namespaces/shop/pods/web-0/exec?command=sh&container=web","user":{"username":"system:serviceaccount:shop:web","groups":["system:serviceaccounts"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=1"]}},"sourceIPs":["1.2.3.4","10.0.0.1"],"userAgent":"kubectl/v1.30.0","objectRef":{"resource":"pods","namespace":"shop","name":"web-0","subresource":"exec"},"responseStatus":{"code":101},"requestReceivedTimestamp":"2024-01-02T03:04:05Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by RoleBinding \"b/shop\" of Role \"r\" to ServiceAccount \"web/shop\""}}"#,
            // Any other audit ID, no code, a non-resource path, no user.
            r#"{"auditID":"not-a-uuid","verb":"get","requestURI":"/healthz?verbose=1","stageTimestamp":"2024-01-02T03:04:05Z"}"#,
        ];
        let fields = Fields::new();
        for json in records {
            let e = native::parse(
                json,
                crate::model::SourceRef::default(),
                NormalizeOptions::default(),
            )
            .unwrap();
            let mut doc = fields.document(&e, [7; 16], Cow::Borrowed(json), 3);
            doc.set_u64(fields.stages, 4);
            let order: Vec<Field> = doc.fields().collect();
            let ids: Vec<u32> = order.iter().map(|f| f.field_id()).collect();
            assert!(ids.windows(2).all(|w| w[0] <= w[1]), "{ids:?} for {json}");
            assert_eq!(
                doc.values(fields.stages).collect::<Vec<_>>(),
                [Leaf::U64(4)]
            );
            assert_eq!(
                doc.values(fields.raw).collect::<Vec<_>>(),
                [Leaf::Str(json)]
            );
        }
        let e = native::parse(
            records[0],
            crate::model::SourceRef::default(),
            NormalizeOptions::default(),
        )
        .unwrap();
        let doc = fields.document(&e, [7; 16], Cow::Borrowed(records[0]), 3);
        assert_eq!(
            doc.values(fields.groups_whole).collect::<Vec<_>>(),
            [Leaf::U64(1)]
        );
        assert_eq!(doc.values(fields.ip).count(), 2);
    }

    /// Values added in field order put `row` after the raw record, and exports (which read
    /// the store up to its first text) lost every row's audit ID and path. The store keeps a
    /// document's order: `row` must be its first stored text.
    #[test]
    fn regression_export_rows_lost_audit_id_and_path_when_row_was_stored_after_raw() {
        use crate::ingest::formats::{NormalizeOptions, native};
        use tantivy::schema::document::Document as _;
        let json = r#"{"auditID":"a-1","verb":"get","requestURI":"/api/v1/pods?limit=1","stageTimestamp":"2024-01-02T03:04:05Z"}"#;
        let e = native::parse(
            json,
            crate::model::SourceRef::default(),
            NormalizeOptions::default(),
        )
        .unwrap();
        let fields = Fields::new();
        let doc = fields.document(&e, [7; 16], Cow::Borrowed(json), 3);
        let first_stored_text = doc.iter_fields_and_values().find(|(f, v)| {
            fields.schema.get_field_entry(*f).is_stored() && matches!(v.leaf(), Leaf::Str(_))
        });
        assert_eq!(first_stored_text.map(|(f, _)| f), Some(fields.row));
    }

    /// Ingest checks the implied groups without building them; the query side builds them:
    /// both must be one rule, or `group:` would find what the index left out.
    #[test]
    fn implied_groups_checked_in_place_are_the_ones_built() {
        let long_sa = format!("system:serviceaccount:ns:{}", "a".repeat(MAX_TERM_BYTES));
        let users = [
            "",
            "alice@example.com",
            "system:anonymous",
            "system:node:worker-1",
            "system:serviceaccount:shop:web",
            "system:serviceaccount:shop:",
            "system:serviceaccount::web",
            "system:serviceaccount:a:b:c",
            "system:kube-scheduler",
            long_sa.as_str(),
        ];
        let candidates = [
            "",
            "system:authenticated",
            "system:unauthenticated",
            "system:nodes",
            "system:serviceaccounts",
            "system:serviceaccounts:shop",
            "system:serviceaccounts:shop2",
            "system:serviceaccountsXshop",
            "system:serviceaccounts:a",
            "system:serviceaccounts:ns",
        ];
        for user in users {
            let built = implied_groups(user);
            let implied = Implied::of(user);
            for g in candidates {
                assert_eq!(
                    implied.contains(g),
                    built.iter().any(|b| b == g),
                    "{user:?} implies {g:?}?"
                );
            }
            let all: Vec<String> = built.iter().map(ToString::to_string).collect();
            assert!(implied.all_in(&all), "{user:?}: all of {all:?}");
            for missing in 0..all.len() {
                let mut fewer = all.clone();
                fewer.remove(missing);
                assert!(!implied.all_in(&fewer), "{user:?}: {fewer:?} lacks one");
            }
            assert_eq!(implied.is_empty(), built.is_empty(), "{user:?}");
        }
    }

    #[test]
    fn keyword_fields_are_the_registrys() {
        let layout: BTreeSet<&str> = KEYWORD_LAYOUT.iter().copied().collect();
        assert_eq!(layout.len(), KEYWORD_LAYOUT.len(), "a field laid out twice");
        let registry: BTreeSet<&str> = FIELDS
            .iter()
            .filter(|f| f.is_keyword())
            .map(|f| f.name)
            .collect();
        assert_eq!(
            layout, registry,
            "append a new keyword field to KEYWORD_LAYOUT and bump SCHEMA_VERSION"
        );
    }

    #[test]
    fn every_schema_field_is_in_the_registry_and_back() {
        let schema = Fields::new().schema;
        for (_, entry) in schema.fields() {
            let name = entry.name();
            assert!(
                INTERNAL.contains(&name) || fields::get(name).is_some(),
                "schema field `{name}` is not in the registry"
            );
        }
        for f in FIELDS {
            let entry = schema.get_field(f.name).map(|h| schema.get_field_entry(h));
            let entry = entry.unwrap_or_else(|_| panic!("`{}` is not in the schema", f.name));
            if f.fill.is_some() {
                assert!(
                    entry.is_fast(),
                    "the events table reads `{}` from its column",
                    f.name
                );
            }
            if f.storage == Storage::Keyword {
                assert!(entry.is_fast() && !entry.is_indexed(), "{}", f.name);
            }
            if f.storage == Storage::SearchOnly {
                assert!(!entry.is_fast() && entry.is_indexed(), "{}", f.name);
            }
        }
    }

    /// tantivy writes and reads a stored bytes value one byte at a time: the raw record (and
    /// `row`), stored as bytes, cost a twentieth of indexing time. They are stored as text.
    #[test]
    fn regression_stored_records_were_bytes_serialised_byte_by_byte() {
        let f = Fields::new();
        for field in [f.raw, f.row] {
            let entry = f.schema.get_field_entry(field);
            assert!(entry.is_stored(), "{}", entry.name());
            assert_eq!(
                entry.field_type().value_type(),
                tantivy::schema::Type::Str,
                "{}",
                entry.name()
            );
        }
    }

    /// Indexes address fields by position: the schema of a `SCHEMA_VERSION` never changes.
    /// (Version 2 was the schema as written before the field registry existed; version 3 added
    /// `record`, the element index within a line; version 4 `row`, what exports read beside
    /// the columns; version 5 dropped the terms of keyword, time, code and address fields,
    /// answered from their columns; version 6 keeps UUID audit IDs as two numbers; version 7
    /// stores the raw record and `row` as text, not bytes, and records no field norms; version 8
    /// leaves out the groups a username implies, with `groups_whole`; version 9 has the same
    /// fields, its column dictionaries written without zstd, which a build of version 8 wrote
    /// and this one cannot read; version 10 declares `row` before `raw`, so that a document's
    /// values are in field order throughout.)
    #[test]
    fn schema_is_unchanged_within_its_version() {
        let json = serde_json::to_string(&Fields::new().schema).unwrap();
        let digest = Sha256::digest(json.as_bytes())
            .iter()
            .fold(String::new(), |mut hex, b| {
                let _ = write!(hex, "{b:02x}");
                hex
            });
        assert_eq!(SCHEMA_VERSION, 10, "a new version: update the digest below");
        assert_eq!(
            digest, "d556826673304e6029610a2da654bfe94cab64c9bf860c32d42a92c1c1f3f8e7",
            "the schema changed: bump SCHEMA_VERSION"
        );
    }
}
