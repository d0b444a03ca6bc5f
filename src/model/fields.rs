//! The field registry: each field of an event defined once, in [`FIELDS`] — its name and
//! aliases in the query language, how a query matches it, how the index stores it, how its
//! values are read from an [`EventRow`], whether it is a pivot (and where pivots list it),
//! its `:` commands in the workbench, its export column, whether detection rules match on it,
//! and its help text (the README's query field table, word for word).
//!
//! The query language (field lookup, aliases), the index schema (keyword fields and their
//! options, document values), detection rows and rule keys, the workbench's pivots, pivot
//! menu and `:` commands, and the export and CLI columns all derive from this table. Adding
//! a field is one entry here; see the module tests for what keeps the rest consistent.

use super::row::EventRow;

/// How a query matches a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Exact term; `*` wildcards allowed.
    Keyword,
    /// Exact term after lower-casing (verbs, resources, namespaces…).
    LowerKeyword,
    /// An IP address or a CIDR block.
    Ip,
    /// An unsigned number: exact, `>=N`, `[A TO B]`, `4xx`.
    Number,
    /// A timestamp: RFC 3339, a date, or a duration back from the newest event (`2h`).
    Time,
    /// Words of the compact event text.
    Text,
}

/// How the index stores a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// A fast column (counted for pivots, read into rows, matched by queries): `FAST`.
    Keyword,
    /// Exact terms only (high cardinality: searched, never counted): `STRING`.
    SearchOnly,
    /// A field of its own type the schema declares by name: the time (a date), the code (a
    /// number), source IPs, the audit ID (a hash and a fast column) and the event text.
    Typed,
}

/// Whether detection rules (`assets/rules/*.toml`) may match on a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleUse {
    No,
    /// By this key, as strings (globs, `!` excludes) against the field's row column.
    Strings(&'static str),
    /// By its own name, with a condition of its own (`actor_kind`, `peer`, `code`, `fact`):
    /// see `detect::rules`.
    Own,
}

/// Where a field shows among the pivots. The Pivots view, `stats` and the pivot menu list
/// their fields by `rank`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pivot {
    pub rank: u8,
    /// The title of its top values (`stats`, the Pivots view); `None`: never counted.
    pub title: Option<&'static str>,
    /// Counted in the workbench's Pivots view, not only by `stats`.
    pub in_view: bool,
    /// What `Enter` on one of its top values adds: `chip:value`.
    pub chip: &'static str,
    /// Its item in the pivot menu of an event: the label and what it adds (`chip:value`).
    pub menu: Option<(&'static str, &'static str)>,
}

/// Calls `out` with each value of a field in an event (none, one or several).
pub type Read = fn(&EventRow<'_>, &mut dyn FnMut(&str));

/// Sets a field's member of a table row from the value of its fast column.
pub type Fill = fn(&mut EventRow<'static>, String);

/// One field.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// Canonical name: in queries, in the index, in rule files.
    pub name: &'static str,
    /// Other names a query may use.
    pub aliases: &'static [&'static str],
    /// How a query matches it; `None`: not a query field (the index keeps it for rows).
    pub kind: Option<FieldKind>,
    pub storage: Storage,
    /// Its string values in an event (the time and the text have none: typed in the index).
    pub read: Read,
    /// Fills it from its fast column into the rows of the events table; `None`: the table
    /// does not read it.
    pub fill: Option<Fill>,
    pub pivot: Option<Pivot>,
    /// The workbench's `:` commands that filter on it (`:ns shop` adds `ns:shop`).
    pub commands: &'static [&'static str],
    /// Its column in the exports and the CLI's tables (`account` for `user`).
    pub export: Option<&'static str>,
    pub rule: RuleUse,
    /// What it matches: the README's query field table, word for word.
    pub help: &'static str,
}

impl FieldSpec {
    /// Is it a field of the query language?
    pub fn is_query(&self) -> bool {
        self.kind.is_some()
    }

    /// Does the index keep it as keyword terms?
    pub fn is_keyword(&self) -> bool {
        matches!(self.storage, Storage::Keyword | Storage::SearchOnly)
    }

    /// Its first value in a row, `""` when none.
    pub fn first(&self, row: &EventRow<'_>) -> String {
        let mut first = None;
        (self.read)(row, &mut |v| {
            first.get_or_insert_with(|| v.to_owned());
        });
        first.unwrap_or_default()
    }

    /// A keyword field with a fast column, matched exactly.
    const fn keyword(name: &'static str, help: &'static str) -> FieldSpec {
        FieldSpec::typed(name, Keyword, help).storage(Storage::Keyword)
    }

    /// A keyword field with a fast column, matched after lower-casing.
    const fn lower(name: &'static str, help: &'static str) -> FieldSpec {
        FieldSpec::typed(name, LowerKeyword, help).storage(Storage::Keyword)
    }

    /// A field the schema declares with a type of its own.
    const fn typed(name: &'static str, kind: FieldKind, help: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            aliases: &[],
            kind: Some(kind),
            storage: Storage::Typed,
            read: |_, _| {},
            fill: None,
            pivot: None,
            commands: &[],
            export: None,
            rule: RuleUse::No,
            help,
        }
    }

    /// Not a query field: kept by the index for rows and rules.
    const fn index_only(mut self) -> FieldSpec {
        self.kind = None;
        self
    }

    const fn aliases(mut self, aliases: &'static [&'static str]) -> FieldSpec {
        self.aliases = aliases;
        self
    }

    const fn storage(mut self, storage: Storage) -> FieldSpec {
        self.storage = storage;
        self
    }

    const fn read(mut self, read: Read) -> FieldSpec {
        self.read = read;
        self
    }

    const fn fill(mut self, fill: Fill) -> FieldSpec {
        self.fill = Some(fill);
        self
    }

    const fn pivot(mut self, pivot: Pivot) -> FieldSpec {
        self.pivot = Some(pivot);
        self
    }

    const fn commands(mut self, commands: &'static [&'static str]) -> FieldSpec {
        self.commands = commands;
        self
    }

    const fn export(mut self, column: &'static str) -> FieldSpec {
        self.export = Some(column);
        self
    }

    /// Rules match its strings under its own name.
    const fn rule(mut self) -> FieldSpec {
        self.rule = RuleUse::Strings(self.name);
        self
    }

    /// Rules match its strings under another key.
    const fn rule_as(mut self, key: &'static str) -> FieldSpec {
        self.rule = RuleUse::Strings(key);
        self
    }

    const fn rule_own(mut self) -> FieldSpec {
        self.rule = RuleUse::Own;
        self
    }
}

impl Pivot {
    /// Counted by `stats` and the Pivots view.
    const fn counted(rank: u8, title: &'static str, chip: &'static str) -> Pivot {
        Pivot {
            rank,
            title: Some(title),
            in_view: true,
            chip,
            menu: None,
        }
    }

    /// Counted by `stats` only.
    const fn stats_only(rank: u8, title: &'static str) -> Pivot {
        Pivot {
            in_view: false,
            ..Pivot::counted(rank, title, "")
        }
    }

    /// In the pivot menu only.
    const fn menu_only(rank: u8, label: &'static str, chip: &'static str) -> Pivot {
        Pivot {
            title: None,
            in_view: false,
            ..Pivot::counted(rank, "", chip)
        }
        .menu(label, chip)
    }

    /// In the pivot menu too: `label: value` adds `chip:value`.
    const fn menu(mut self, label: &'static str, chip: &'static str) -> Pivot {
        self.menu = Some((label, chip));
        self
    }
}

use FieldKind::{Ip, Keyword, LowerKeyword, Number, Text, Time};

/// Reads a member holding one value.
macro_rules! one {
    ($($member:ident).+) => {
        |r, out| out(&r.$($member).+)
    };
}

/// Reads a member holding an optional value.
macro_rules! opt {
    ($($member:ident).+) => {
        |r, out| {
            if let Some(v) = &r.$($member).+ {
                out(v)
            }
        }
    };
}

/// Reads a member holding several values.
macro_rules! each {
    ($member:ident) => {
        |r, out| r.$member.iter().for_each(|v| out(v))
    };
}

fn role(r: &EventRow<'_>, out: &mut dyn FnMut(&str)) {
    if let Some(g) = &r.grant {
        out(g.role);
    }
}

fn binding(r: &EventRow<'_>, out: &mut dyn FnMut(&str)) {
    if let Some(g) = &r.grant {
        out(g.binding);
    }
}

fn stage(r: &EventRow<'_>, out: &mut dyn FnMut(&str)) {
    out(r.stage.map_or("", |s| s.as_str()));
}

fn code(r: &EventRow<'_>, out: &mut dyn FnMut(&str)) {
    if let Some(c) = r.code {
        out(&c.to_string());
    }
}

fn nonresource(r: &EventRow<'_>, out: &mut dyn FnMut(&str)) {
    if r.resource.is_empty() {
        out(&r.path);
    }
}

/// Every field, in the order of the README's query field table (the help lists them so).
pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::keyword("user", "authenticated username")
        .aliases(&["username", "u", "user.username"])
        .read(one!(user))
        .fill(|r, v| r.user = v.into())
        .pivot(Pivot::counted(1, "accounts", "user").menu("account", "user"))
        .commands(&["user"])
        .export("account")
        .rule(),
    // Namespaces and the names of service accounts, pods and nodes are lower-case DNS
    // names: matched in any case (`sa:SHOP:web` found nothing).
    FieldSpec::lower(
        "sa",
        "service account `ns:name`; `sa:web` is `web` in any namespace",
    )
    .aliases(&["serviceaccount"])
    .read(opt!(service_account))
    .commands(&["sa"])
    .rule(),
    FieldSpec::lower("sa_ns", "service account namespace")
        .aliases(&["sans"])
        .read(one!(sa_namespace)),
    FieldSpec::keyword("group", "a group of the user")
        .aliases(&["groups", "user.groups"])
        .storage(Storage::SearchOnly)
        .read(each!(groups))
        .commands(&["group"]),
    FieldSpec::lower(
        "actor_kind",
        "`anonymous`, `service-account`, `node`, `control-plane`, `human`, `unknown` (the record has no `user` object at all; a request that failed authentication, `\"user\":{}`, is `anonymous`)",
    )
    .aliases(&["kind", "actor"])
    .read(one!(actor_kind))
    .pivot(Pivot::stats_only(7, "actor kinds"))
    .export("actor_kind")
    .rule_own(),
    FieldSpec::keyword("impersonated", "impersonated username")
        .aliases(&["as", "imp", "impersonatedUser.username"])
        .read(opt!(impersonated))
        .commands(&["as"])
        .rule(),
    FieldSpec::keyword(
        "credential",
        "credential id from `user.extra` (`JTI=…`, `X509SHA256=…`)",
    )
    .aliases(&["cred"])
    .read(opt!(credential.id)),
    FieldSpec::lower("pod", "pod a service-account token was bound to")
        .read(opt!(credential.pod_name))
        .commands(&["pod"]),
    FieldSpec::lower("node", "node of the bound token, or the kubelet's node")
        .read(one!(node))
        .commands(&["node"]),
    FieldSpec::lower("verb", "`get`, `list`, `watch`, `create`, … (any case)")
        .aliases(&["v"])
        .read(one!(verb))
        .fill(|r, v| r.verb = v.into())
        .pivot(Pivot::counted(5, "verbs", "verb").menu("verb", "verb"))
        .commands(&["verb"])
        .export("verb")
        .rule(),
    FieldSpec::lower(
        "resource",
        "resource, or `resource/subresource` (`res:pods/exec`)",
    )
    .aliases(&["res", "r", "objectRef.resource"])
    .read(one!(resource))
    .fill(|r, v| r.resource = v.into())
    .pivot(Pivot::menu_only(6, "resource", "res"))
    .commands(&["res", "resource"])
    .export("resource")
    .rule(),
    FieldSpec::lower("subresource", "subresource")
        .aliases(&["sub", "objectRef.subresource"])
        .read(one!(subresource))
        .fill(|r, v| r.subresource = v.into())
        .export("subresource")
        .rule(),
    FieldSpec::lower("api_group", "API group")
        .aliases(&["apigroup", "apig", "objectRef.apiGroup"])
        .read(one!(api_group))
        .rule(),
    FieldSpec::lower("namespace", "object namespace")
        .aliases(&["ns", "objectRef.namespace"])
        .read(one!(namespace))
        .fill(|r, v| r.namespace = v.into())
        .pivot(Pivot::counted(3, "namespaces", "ns").menu("namespace", "ns"))
        .commands(&["ns", "namespace"])
        .export("namespace")
        .rule(),
    FieldSpec::keyword("name", "object name")
        .aliases(&["obj", "objectRef.name"])
        .read(one!(name))
        .fill(|r, v| r.name = v.into())
        .commands(&["name"])
        .export("name")
        .rule(),
    FieldSpec::typed("ip", Ip, "any of `sourceIPs`: an address or a CIDR block")
        .aliases(&["source_ip", "src", "srcip", "sourceIPs"])
        .read(each!(source_ips))
        .commands(&["ip"]),
    // The menu looks for the trusted IP anywhere in `sourceIPs` (`ip:`).
    FieldSpec::typed(
        "peer",
        Ip,
        "the trusted source IP (the last of `sourceIPs`): address or CIDR",
    )
    .aliases(&["peer_ip"])
    .read(opt!(source_ip))
    .pivot(Pivot::counted(2, "source IPs", "peer").menu("source IP", "ip"))
    .export("source_ip")
    .rule_own(),
    FieldSpec::keyword("ua", "user agent")
        .aliases(&["user_agent", "agent", "userAgent"])
        .read(one!(user_agent))
        .fill(|r, v| r.user_agent = v.into())
        .pivot(Pivot::counted(4, "user agents", "ua").menu("user agent", "ua"))
        .commands(&["ua"])
        .export("user_agent")
        .rule(),
    FieldSpec::lower(
        "ua_family",
        "user-agent family: `kubectl`, `curl`, `python-requests`, `kube-controller-manager`, …",
    )
    .aliases(&["uaf", "client"])
    .read(one!(ua_family))
    .rule(),
    FieldSpec::typed(
        "code",
        Number,
        "response code: `403`, `>=400`, `[400 TO 499]`, `4xx`",
    )
    .aliases(&["status", "responseStatus.code"])
    .read(code)
    .commands(&["code"])
    .export("code")
    .rule_own(),
    FieldSpec::lower("decision", "`allow` or `forbid`")
        .aliases(&["authz"])
        .read(one!(decision))
        .fill(|r, v| r.decision = v.into())
        .commands(&["decision"])
        .rule(),
    FieldSpec::keyword(
        "role",
        "RBAC role named by the authorization reason (`role:cluster-admin`)",
    )
    .read(role)
    .rule(),
    FieldSpec::keyword("binding", "RBAC binding named by the authorization reason")
        .read(binding)
        .rule(),
    FieldSpec::keyword("stage", "most complete stage kept").read(stage),
    FieldSpec::keyword("level", "audit level").read(one!(level)),
    // Typed: a hash column finds it, a fast column reads it.
    FieldSpec::typed("audit_id", Keyword, "a whole audit ID (no wildcards: `*` and `?` are an error unless quoted)")
        .aliases(&["id", "auditid"])
        .read(one!(audit_id))
        .fill(|r, v| r.audit_id = v.into())
        .export("audit_id"),
    FieldSpec::keyword(
        "path",
        "request path without its query (`path:/api/v1/secrets`)",
    )
    .aliases(&["uri", "requestURI"])
    .storage(Storage::SearchOnly)
    .read(one!(path))
    .export("path"),
    FieldSpec::lower("exec", "`exec`, `attach`, `portforward`, `node-proxy`")
        .aliases(&["stream"])
        .read(one!(stream))
        .fill(|r, v| r.stream = v.into())
        .rule(),
    FieldSpec::lower("format", "input format the event was read from").read(one!(format)),
    FieldSpec::keyword("cluster", "cluster label")
        .read(one!(cluster))
        .export("cluster"),
    FieldSpec::keyword("fact", "a fact derived at ingest (pod-spec risks and the like)")
        .read(each!(facts))
        .rule_own(),
    FieldSpec::typed(
        "time",
        Time,
        "`time:2024-01-02`, `time:>2024-01-02T03:00Z`, `time:[A TO B]`, `time:2h`",
    )
    .aliases(&["t", "ts"])
    .export("time"),
    FieldSpec::typed("text", Text, "words of the event text").aliases(&["msg", "any"]),
    // `path` is the query field; rules' `path` is this one, which resource requests lack.
    FieldSpec::keyword(
        "nonresource",
        "the request path of a non-resource request (`/healthz`)",
    )
    .index_only()
    .read(nonresource)
    .fill(|r, v| r.path = v.into())
    .rule_as("path"),
];

/// A field by its canonical name.
pub fn get(name: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.name == name)
}

/// A query field by its name or an alias, ignoring case.
pub fn lookup(name: &str) -> Option<&'static FieldSpec> {
    let lower = name.to_ascii_lowercase();
    query_fields()
        .find(|f| f.name == lower || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(&lower)))
}

/// The fields of the query language, in README order.
pub fn query_fields() -> impl Iterator<Item = &'static FieldSpec> {
    FIELDS.iter().filter(|f| f.is_query())
}

/// The field a rule file names by `key` and matches as strings.
pub fn rule_field(key: &str) -> Option<&'static FieldSpec> {
    FIELDS
        .iter()
        .find(|f| matches!(f.rule, RuleUse::Strings(k) if k == key))
}

/// The fields with a pivot, by rank.
pub fn pivots() -> Vec<(&'static FieldSpec, Pivot)> {
    let mut p: Vec<_> = FIELDS
        .iter()
        .filter_map(|f| f.pivot.map(|p| (f, p)))
        .collect();
    p.sort_by_key(|(_, p)| p.rank);
    p
}

/// The field a `:` command filters on.
pub fn command(name: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.commands.contains(&name))
}

/// Every field's `:` commands, in registry order.
pub fn commands() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().flat_map(|f| f.commands.iter().copied())
}

/// The export column of a field, by its canonical name (the name itself when it has none).
pub fn export_column(name: &str) -> &'static str {
    match get(name) {
        Some(FieldSpec {
            export: Some(c), ..
        }) => c,
        Some(f) => f.name,
        None => "",
    }
}

/// A column of a table of events (a CSV, the CLI's table): a registry field, headed by its
/// export column and holding its first value, or a cell of the output's own, computed from
/// the row and what the output adds to it (`X`).
#[derive(Debug, Clone, Copy)]
pub enum Column<X> {
    Field(&'static str),
    Own(&'static str, fn(&EventRow<'_>, &X) -> String),
}

impl<X> Column<X> {
    pub fn header(&self) -> &'static str {
        match self {
            Column::Field(name) => export_column(name),
            Column::Own(header, _) => header,
        }
    }

    pub fn cell(&self, row: &EventRow<'_>, extra: &X) -> String {
        match self {
            Column::Field(name) => get(name).map(|f| f.first(row)).unwrap_or_default(),
            Column::Own(_, cell) => cell(row, extra),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn unique<'a>(what: &str, names: impl IntoIterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        for n in names {
            assert!(seen.insert(n), "{what} `{n}` is defined twice");
        }
    }

    #[test]
    fn names_aliases_commands_and_columns_are_unique() {
        unique("field", FIELDS.iter().map(|f| f.name));
        unique(
            "query name",
            query_fields().flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied())),
        );
        unique("command", commands());
        unique("export column", FIELDS.iter().filter_map(|f| f.export));
        unique(
            "rule key",
            FIELDS.iter().filter_map(|f| match f.rule {
                RuleUse::Strings(k) => Some(k),
                RuleUse::No | RuleUse::Own => None,
            }),
        );
        let ranks: Vec<String> = pivots().iter().map(|(_, p)| p.rank.to_string()).collect();
        unique("pivot rank", ranks.iter().map(String::as_str));
    }

    #[test]
    fn commands_and_pivots_resolve_to_query_fields() {
        for f in FIELDS {
            for c in f.commands {
                let to = lookup(c).map(|t| t.name);
                assert_eq!(to, Some(f.name), "`:{c}` must filter on `{}`", f.name);
            }
        }
        for (f, p) in pivots() {
            if p.in_view {
                assert_eq!(lookup(p.chip).map(|t| t.name), Some(f.name), "{p:?}");
                assert!(p.title.is_some(), "{p:?}");
            }
            if let Some((label, chip)) = p.menu {
                assert!(lookup(chip).is_some(), "menu item `{label}` adds `{chip}:`");
            }
        }
    }

    #[test]
    fn index_only_fields_are_not_queried() {
        let only: Vec<&str> = FIELDS
            .iter()
            .filter(|f| !f.is_query())
            .map(|f| f.name)
            .collect();
        assert_eq!(only, ["nonresource"]);
        assert!(lookup("nonresource").is_none());
        assert_eq!(rule_field("path").map(|f| f.name), Some("nonresource"));
    }

    /// The README's query field table, row by row: (name, aliases, what it matches).
    fn readme_fields() -> Vec<(String, Vec<String>, String)> {
        let readme = include_str!("../../README.md");
        let table = readme
            .split_once("| field (aliases) | matches |\n|---|---|\n")
            .map(|(_, t)| t)
            .unwrap_or_default();
        table
            .lines()
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let (field, help) = l.trim_matches('|').split_once(" | ").unwrap_or_default();
                let mut names = field
                    .split('`')
                    .filter(|n| !n.trim().is_empty() && !n.contains(['(', ')', ',']));
                let name = names.next().unwrap_or_default().to_owned();
                (
                    name,
                    names.map(str::to_owned).collect(),
                    help.trim().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn readme_query_table_is_the_registry() {
        let ours: Vec<(String, Vec<String>, String)> = query_fields()
            .map(|f| {
                let aliases = f.aliases.iter().map(|a| (*a).to_owned()).collect();
                (f.name.to_owned(), aliases, f.help.to_owned())
            })
            .collect();
        let readme = readme_fields();
        assert!(!readme.is_empty(), "the README has no query field table");
        for (r, o) in readme.iter().zip(&ours) {
            assert_eq!(r, o, "README row and registry entry differ");
        }
        assert_eq!(
            readme.len(),
            ours.len(),
            "README rows vs registry query fields"
        );
    }
}
