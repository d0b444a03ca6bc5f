//! Tests of rule loading, compiling and matching.
use super::*;

const RULE: &str = "[[rule]]\nid = \"KS-X\"\ntitle = \"t\"\nfamily = \"remote-exec\"\nseverity = \"high\"\nadvice = \"a\"\n[rule.match]\nverb = \"get\"\n";

#[test]
fn regression_duplicate_id_among_shipped_rules_was_silently_dropped() {
    let shipped = [("assets/rules/a.toml", RULE), ("assets/rules/b.toml", RULE)];
    let e = load_sources(&shipped, &[]).unwrap_err().to_string();
    assert_eq!(
        e,
        "assets/rules/b.toml: rule id `KS-X` is already defined in assets/rules/a.toml"
    );
    let twice = format!("{RULE}{RULE}");
    let e = load_sources(&[("assets/rules/a.toml", &twice)], &[])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "assets/rules/a.toml: rule id `KS-X` is defined twice in this file"
    );
}

#[test]
fn shipped_rule_ids_are_unique() {
    let rules = load(&[]).unwrap();
    let ids: std::collections::HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), rules.len());
}

#[test]
fn builtin_rules_load_and_validate() {
    let rules = load(&[]).unwrap();
    validate(&rules).unwrap();
    assert!(rules.len() >= 15, "{}", rules.len());
}

#[test]
fn errors_name_file_rule_and_field() {
    let bad = "[[rule]]\nid = \"X\"\ntitle = \"t\"\nfamily = \"remote-execs\"\nseverity = \"high\"\nadvice = \"a\"\n[rule.match]\nverb = \"get\"\n";
    let e = parse_file("x.toml", bad).unwrap_err().to_string();
    assert!(
        e.starts_with("x.toml: rule `X`, field `family`: unknown family `remote-execs`"),
        "{e}"
    );
    let bad = "[[rule]]\nid = \"X\"\ntitle = \"t\"\nfamily = \"remote-exec\"\nseverity = \"high\"\nadvice = \"a\"\n[rule.match]\nverbs = \"get\"\n";
    let e = parse_file("y.toml", bad).unwrap_err().to_string();
    assert!(
        e.contains("y.toml") && e.contains("unknown field `verbs`"),
        "{e}"
    );
}

#[test]
fn every_condition_key_is_a_field_or_a_condition_of_its_own() {
    for f in FIELDS {
        match f.rule {
            RuleUse::Strings(key) => assert!(
                sym_of(f.name).is_some(),
                "rules match `{key}` on a row member `{}` rows lack",
                f.name
            ),
            RuleUse::Own => assert!(OWN_KEYS.contains(&f.name), "{}", f.name),
            RuleUse::No => {}
        }
    }
}

/// Every key of every condition block of the shipped rule files.
fn shipped_keys() -> Vec<(String, String)> {
    let mut keys = Vec::new();
    for (file, text) in BUILTIN {
        let doc: toml::Table = toml::from_str(text).unwrap();
        let rules = doc.get("rule").and_then(|r| r.as_array()).unwrap();
        for rule in rules {
            let list = |k: &str| rule.get(k).and_then(|v| v.as_array()).cloned();
            let (unless, raised) = (list("unless").unwrap_or_default(), list("raise"));
            let mut blocks = vec![rule.get("match")];
            blocks.extend(unless.iter().map(Some));
            blocks.extend(raised.iter().flatten().map(|r| r.get("when")));
            for block in blocks.into_iter().flatten() {
                let table = block.as_table().unwrap();
                keys.extend(table.keys().map(|k| ((*file).to_owned(), k.clone())));
            }
        }
    }
    keys
}

#[test]
fn shipped_rules_name_only_known_fields() {
    let keys = shipped_keys();
    assert!(keys.len() > 30, "{}", keys.len());
    for (file, key) in keys {
        assert!(condition_keys().contains(&key.as_str()), "{file}: `{key}`");
    }
}

#[test]
fn pattern_prefix_filter_agrees_with_the_glob() {
    for (pat, s) in [
        ("image:*xmrig*", "image:docker.io/x/xmrig:6"),
        ("image:*xmrig*", "pod-sa:xmrig"),
        ("kube-proxy-*", "kube-proxy-abc"),
        ("a\\*b", "a*b"),
        ("a\\*b", "axb"),
        ("*addon-manager*", "kube-addon-manager/v9"),
        ("curl", "curl"),
        ("curl", "curly"),
        ("", ""),
        ("?x", "ax"),
    ] {
        assert_eq!(
            Pattern::new(pat).is_match(s),
            Glob::new(pat).is_match(s),
            "{pat} {s}"
        );
    }
}

#[test]
fn regression_rule_path_matches_non_resource_requests_only() {
    use crate::detect::row::Rows;
    use crate::ingest::formats::{NormalizeOptions, native};
    let parse = |json: &str| {
        native::parse(
            json,
            crate::model::SourceRef::default(),
            NormalizeOptions::default(),
        )
        .unwrap()
    };
    let events = [
        parse(
            r#"{"auditID":"a","verb":"get","stage":"ResponseComplete","stageTimestamp":"2024-01-01T00:00:00Z","requestURI":"/healthz?verbose"}"#,
        ),
        parse(
            r#"{"auditID":"b","verb":"get","stage":"ResponseComplete","stageTimestamp":"2024-01-01T00:00:01Z","requestURI":"/api/v1/pods","objectRef":{"resource":"pods"}}"#,
        ),
    ];
    let rows = Rows::from_events(&events);
    let matching = |path: &str| {
        let c: Conditions = toml::from_str(&format!("path = \"{path}\"")).unwrap();
        let c = c.compile(&rows.vocab);
        rows.rows
            .iter()
            .filter(|r| c.matches(&rows.vocab, r))
            .count()
    };
    assert_eq!(matching("/healthz"), 1);
    assert_eq!(
        matching("/api/v1/pods"),
        0,
        "a resource request has no rule path"
    );
    assert_eq!(matching("/*"), 1);
    let e = toml::from_str::<Conditions>("verbs = \"get\"").unwrap_err();
    assert!(e.to_string().contains("unknown field `verbs`"), "{e}");
}
