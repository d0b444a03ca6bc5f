use super::*;

fn exact(f: &'static str, v: &str) -> Expr {
    field(f, Pattern::Exact(v.to_owned()))
}

#[test]
fn regression_code_query_at_u64_max_does_not_overflow() {
    // `code:18446744073709551615` overflowed computing the end of its range.
    let max = u64::MAX;
    let n = |lo, hi| field("code", Pattern::Number(lo, hi));
    assert_eq!(
        parse("code:18446744073709551615").unwrap(),
        n(Bound::Included(max), Bound::Excluded(max))
    );
    assert_eq!(
        parse("code:<=18446744073709551615").unwrap(),
        n(Bound::Unbounded, Bound::Included(max))
    );
    assert!(parse("code:18446744073709551616").is_err());
}

#[test]
fn regression_audit_id_wildcard_is_a_parse_error_not_a_corrupt_index() {
    // `audit_id:abc*` parsed, then failed at search time as "index manifest is corrupt".
    for q in ["audit_id:abc*", "id:*", "auditid:a?c", "verb:get id:*x"] {
        let err = parse(q).unwrap_err();
        assert!(err.message.contains("without wildcards"), "{q}: {err}");
    }
    assert_eq!(parse("id:abc*").unwrap_err().column, 3);
    assert_eq!(parse("id:\"ab*\"").unwrap(), exact("audit_id", "ab*"));
}

#[test]
fn empty_and_star_match_all() {
    assert_eq!(parse("").unwrap(), Expr::All);
    assert_eq!(parse("  * ").unwrap(), Expr::All);
}

#[test]
fn values_with_colons_quoted_and_unquoted() {
    let want = exact("user", "system:serviceaccount:shop:web");
    assert_eq!(parse("user:system:serviceaccount:shop:web").unwrap(), want);
    assert_eq!(
        parse("user:\"system:serviceaccount:shop:web\"").unwrap(),
        want
    );
}

#[test]
fn boolean_operators_any_case_and_implicit_and() {
    let e = parse("verb:create and (ns:shop OR ns:prod) not user:alice").unwrap();
    assert_eq!(
        e,
        Expr::And(vec![
            exact("verb", "create"),
            Expr::Or(vec![exact("namespace", "shop"), exact("namespace", "prod")]),
            Expr::Not(Box::new(exact("user", "alice"))),
        ])
    );
    assert_eq!(
        parse("verb:get ns:x").unwrap(),
        parse("verb:get AND ns:x").unwrap()
    );
    assert_eq!(
        parse("-verb:get").unwrap(),
        Expr::Not(Box::new(exact("verb", "get")))
    );
}

#[test]
fn prefix_and_any() {
    assert_eq!(
        parse("ua:curl*").unwrap(),
        field("ua", Pattern::Wildcard("curl*".into()))
    );
    assert_eq!(parse("ua:\"curl*\"").unwrap(), exact("ua", "curl*"));
    assert_eq!(
        parse("sa:\"w*b\"").unwrap(),
        field("sa", Pattern::Wildcard("*:w\\*b".into()))
    );
    assert_eq!(
        parse("impersonated:*").unwrap(),
        field("impersonated", Pattern::Any)
    );
}

#[test]
fn regression_escaped_bare_value_was_compared_with_its_backslashes() {
    // Bare values are globs: without a wildcard their escapes are resolved, as in rules.
    assert_eq!(parse("name:a\\\\b").unwrap(), exact("name", "a\\b"));
    assert_eq!(parse("name:what\\?").unwrap(), exact("name", "what?"));
    assert_eq!(
        parse("user:CORP\\alice").unwrap(),
        exact("user", "CORP\\alice")
    );
    assert_eq!(
        parse("ua:lit\\**").unwrap(),
        field("ua", Pattern::Wildcard("lit\\**".into()))
    );
}

#[test]
fn ip_and_cidr() {
    assert_eq!(
        parse("ip:10.0.0.1").unwrap(),
        field("ip", Pattern::Ip("10.0.0.1".parse().unwrap()))
    );
    assert_eq!(
        parse("ip:10.244.1.7/16").unwrap(),
        field("ip", Pattern::Cidr("10.244.0.0/16".parse().unwrap()))
    );
    let err = parse("ip:banana").unwrap_err();
    assert_eq!(err.column, 3);
    assert!(err.message.contains("not an IP"));
}

#[test]
fn code_forms() {
    let n = |lo, hi| field("code", Pattern::Number(lo, hi));
    assert_eq!(
        parse("code:403").unwrap(),
        n(Bound::Included(403), Bound::Excluded(404))
    );
    assert_eq!(
        parse("code:>=400").unwrap(),
        n(Bound::Included(400), Bound::Unbounded)
    );
    assert_eq!(
        parse("code:4xx").unwrap(),
        n(Bound::Included(400), Bound::Excluded(500))
    );
    assert_eq!(
        parse("code:[400 TO 499]").unwrap(),
        n(Bound::Included(400), Bound::Included(499))
    );
    assert_eq!(
        parse("code:{400 TO *]").unwrap(),
        n(Bound::Excluded(400), Bound::Unbounded)
    );
}

/// `time:…05.578665Z` matched a whole second (another event 0.7 s later too); a minute
/// matched one second; `time:[D TO D]` and `time:<=D` of a date matched nothing (midnight).
#[test]
fn regression_a_written_time_stands_for_its_whole_precision() {
    let t = |s: &str| TimeSpec::At(Micros::parse(s).unwrap());
    let time = |lo, hi| field("time", Pattern::Time(lo, hi));
    let cases = [
        (
            "time:2026-03-14T12:05:15.578665Z",
            time(
                Bound::Included(t("2026-03-14T12:05:15.578665Z")),
                Bound::Excluded(t("2026-03-14T12:05:15.578666Z")),
            ),
        ),
        (
            "time:2026-03-14T12:05:15.5Z",
            time(
                Bound::Included(t("2026-03-14T12:05:15.5Z")),
                Bound::Excluded(t("2026-03-14T12:05:15.6Z")),
            ),
        ),
        (
            "time:2026-03-14T12:05Z",
            time(
                Bound::Included(t("2026-03-14T12:05:00Z")),
                Bound::Excluded(t("2026-03-14T12:06:00Z")),
            ),
        ),
        (
            "time:2026-03-14T12:05+02:00",
            time(
                Bound::Included(t("2026-03-14T10:05:00Z")),
                Bound::Excluded(t("2026-03-14T10:06:00Z")),
            ),
        ),
        (
            "time:[2026-03-14 TO 2026-03-14]",
            time(
                Bound::Included(t("2026-03-14T00:00:00Z")),
                Bound::Excluded(t("2026-03-15T00:00:00Z")),
            ),
        ),
        (
            "time:{2026-03-14 TO 2026-03-16}",
            time(
                Bound::Included(t("2026-03-15T00:00:00Z")),
                Bound::Excluded(t("2026-03-16T00:00:00Z")),
            ),
        ),
        (
            "time:<=2026-03-14",
            time(Bound::Unbounded, Bound::Excluded(t("2026-03-15T00:00:00Z"))),
        ),
        (
            "time:<2026-03-14",
            time(Bound::Unbounded, Bound::Excluded(t("2026-03-14T00:00:00Z"))),
        ),
        (
            "time:>2026-03-14",
            time(Bound::Included(t("2026-03-15T00:00:00Z")), Bound::Unbounded),
        ),
        (
            "time:>=2026-03-14T12",
            time(Bound::Included(t("2026-03-14T12:00:00Z")), Bound::Unbounded),
        ),
    ];
    for (q, want) in cases {
        assert_eq!(parse(q).unwrap(), want, "{q}");
    }
}

/// `level:Request*` and `stage:*Complete` matched nothing: the glob was taken as a value.
#[test]
fn regression_level_and_stage_globs_match_the_known_values_in_any_case() {
    let exact = |f: &'static str, v: &str| field(f, Pattern::Exact(v.to_owned()));
    assert_eq!(
        parse("level:request*").unwrap(),
        Expr::Or(vec![
            exact("level", "Request"),
            exact("level", "RequestResponse")
        ])
    );
    assert_eq!(parse("level:*DATA").unwrap(), exact("level", "Metadata"));
    assert_eq!(
        parse("stage:Response*").unwrap(),
        Expr::Or(vec![
            exact("stage", "ResponseStarted"),
            exact("stage", "ResponseComplete")
        ])
    );
    assert_eq!(
        parse("stage:x*").unwrap(),
        field("stage", Pattern::Wildcard("x*".to_owned()))
    );
}

/// `code:*` and `ip:*` were errors though `field:*` means "has a value".
#[test]
fn regression_code_and_ip_take_star_for_any_value() {
    assert_eq!(parse("code:*").unwrap(), field("code", Pattern::Any));
    assert_eq!(parse("ip:*").unwrap(), field("ip", Pattern::Any));
    assert_eq!(parse("peer:*").unwrap(), field("peer", Pattern::Any));
    assert!(parse("code:\"*\"").is_err());
}

#[test]
fn time_forms() {
    let t = |s: &str| TimeSpec::At(Micros::parse(s).unwrap());
    assert_eq!(
        parse("time:[2024-01-02T03:00:00Z TO 2024-01-02T04:00:00Z]").unwrap(),
        field(
            "time",
            Pattern::Time(
                Bound::Included(t("2024-01-02T03:00:00Z")),
                Bound::Excluded(t("2024-01-02T04:00:01Z"))
            )
        )
    );
    assert_eq!(
        parse("time:2024-01-02").unwrap(),
        field(
            "time",
            Pattern::Time(
                Bound::Included(t("2024-01-02T00:00:00Z")),
                Bound::Excluded(t("2024-01-03T00:00:00Z"))
            )
        )
    );
    assert_eq!(
        parse("time:>2h").unwrap(),
        field(
            "time",
            Pattern::Time(
                Bound::Excluded(TimeSpec::Ago(2 * Micros::HOUR)),
                Bound::Unbounded
            )
        )
    );
    assert!(parse("time:>2h").unwrap().is_relative());
}

#[test]
fn resource_with_subresource_and_sa_shortcuts() {
    assert_eq!(
        parse("res:pods/exec").unwrap(),
        Expr::And(vec![
            exact("resource", "pods"),
            exact("subresource", "exec")
        ])
    );
    assert_eq!(parse("sa:shop:web").unwrap(), exact("sa", "shop:web"));
    assert_eq!(
        parse("sa:system:serviceaccount:shop:web").unwrap(),
        exact("sa", "shop:web")
    );
    assert_eq!(
        parse("sa:web").unwrap(),
        field("sa", Pattern::Wildcard("*:web".into()))
    );
}

#[test]
fn lower_keywords_and_canonical_stage() {
    assert_eq!(parse("verb:GET").unwrap(), exact("verb", "get"));
    assert_eq!(
        parse("stage:responsecomplete").unwrap(),
        exact("stage", "ResponseComplete")
    );
}

#[test]
fn bare_words_and_phrases_are_text() {
    assert_eq!(parse("bash").unwrap(), Expr::Text("bash".into()));
    assert_eq!(
        parse("\"/bin/bash -i\"").unwrap(),
        Expr::Text("/bin/bash -i".into())
    );
    assert_eq!(
        parse("system:anonymous").unwrap(),
        Expr::Text("system:anonymous".into())
    );
}

#[test]
fn regression_an_operator_after_an_operator_was_searched_as_a_word() {
    let e = parse("ns:shop AND OR verb:get").unwrap_err();
    assert!(
        e.message.contains("expected a term after AND, found OR"),
        "{e}"
    );
    assert_eq!(e.column, 12);
    let e = parse("ns:shop OR AND verb:get").unwrap_err();
    assert!(e.message.contains("after OR, found AND"), "{e}");
    // A quoted operator is a word; NOT after an operator is a term.
    assert!(parse("ns:shop AND \"OR\"").is_ok());
    assert!(parse("ns:shop AND NOT verb:get").is_ok());
}

#[test]
fn regression_the_audit_events_json_paths_were_searched_as_words() {
    // `objectRef.resource:secrets` (the Sigma rules' and the audit Event's names)
    // matched nothing, silently.
    assert_eq!(
        parse("objectRef.resource:secrets").unwrap(),
        parse("resource:secrets").unwrap()
    );
    assert_eq!(
        parse("responseStatus.code:403").unwrap(),
        parse("code:403").unwrap()
    );
    assert_eq!(
        parse("user.username:alice").unwrap(),
        parse("user:alice").unwrap()
    );
    assert_eq!(
        parse("objectRef.namespace:shop").unwrap(),
        parse("ns:shop").unwrap()
    );
    // Not a field: a word, with a hint for when nothing matches.
    let e = parse("status_code:403").unwrap();
    assert_eq!(e, Expr::Text("status_code:403".into()));
    assert!(
        e.hints()[0].contains("`status_code` is not a field"),
        "{:?}",
        e.hints()
    );
    let e = parse("verb=get").unwrap();
    assert!(
        e.hints()[0].contains("a condition is `verb:get`"),
        "{:?}",
        e.hints()
    );
    assert!(parse("bash").unwrap().hints().is_empty());
    assert!(parse("10.0.0.1:443").unwrap().hints().is_empty());
}

#[test]
fn errors_say_where_and_why() {
    let e = parse("usr:alice").unwrap_err();
    assert_eq!(e.column, 0);
    assert!(e.message.contains("did you mean `user`"), "{e}");
    let e = parse("(verb:get").unwrap_err();
    assert!(e.message.contains("unclosed `(`"), "{e}");
    let e = parse("verb:get)").unwrap_err();
    assert!(e.message.contains("unmatched `)`"), "{e}");
    let e = parse("verb: get").unwrap_err();
    assert!(e.message.contains("needs a value"), "{e}");
    let e = parse("code:abc").unwrap_err();
    assert_eq!(
        e.to_string(),
        "at column 6: `abc` is not a number (e.g. 403, >=400, [400 TO 499], 4xx)"
    );
    let e = parse("\"open").unwrap_err();
    assert!(e.message.contains("unterminated"), "{e}");
    let e = parse("verb:get AND").unwrap_err();
    assert!(e.message.contains("end of the query"), "{e}");
}

#[test]
fn nesting_up_to_the_limit_parses() {
    let deep = format!("{}verb:get{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert_eq!(parse(&deep).unwrap(), exact("verb", "get"));
    let nots = format!("{}verb:get", "NOT ".repeat(MAX_DEPTH));
    assert!(parse(&nots).is_ok());
    let mixed = format!("{}(verb:get)", "-".repeat(MAX_DEPTH - 1));
    assert!(parse(&mixed).is_ok());
    let wide = vec!["(a)"; 10_000].join(" OR ");
    assert!(parse(&wide).is_ok(), "siblings do not nest");
}

#[test]
fn regression_deep_nesting_is_an_error_naming_the_column() {
    let e = parse(&"(".repeat(10_000)).unwrap_err();
    assert_eq!(e.column, MAX_DEPTH, "{e}");
    assert!(e.message.contains("nests more than 64 levels"), "{e}");
    let e = parse(&format!("{}x", "NOT ".repeat(500))).unwrap_err();
    assert_eq!(e.column, 4 * MAX_DEPTH, "{e}");
    let e = parse(&format!("{}x", "!".repeat(100_000))).unwrap_err();
    assert_eq!(e.column, MAX_DEPTH);
    let e = parse(&format!("{}x", "NOT (".repeat(40))).unwrap_err();
    assert!(e.message.contains("nests more than"), "{e}");
}

/// A bare `AND` searched the word and matched nothing, silently; `[400 TO]` said `TO` was
/// missing.
#[test]
fn regression_an_operator_without_a_condition_and_a_range_without_its_bound_say_so() {
    for q in ["AND", "and verb:get", "verb:get (OR x)", "OR"] {
        let e = parse(q).unwrap_err();
        assert!(e.message.contains("joins two conditions"), "{q}: {e}");
    }
    assert!(parse("\"and\"").is_ok());
    assert!(parse("sand").is_ok());
    for q in ["code:[400 TO]", "code:[400 TO ]", "time:{2024-01-02 TO}"] {
        let e = parse(q).unwrap_err();
        assert!(e.message.contains("nothing after `TO`"), "{q}: {e}");
    }
    assert!(parse("code:[400 TO *]").is_ok());
}

/// No unquoted value could hold a parenthesis or a space (`ua:*(linux/amd64)*` grouped).
#[test]
fn regression_a_backslash_keeps_a_parenthesis_or_a_space_in_a_bare_value() {
    assert_eq!(
        parse(r"ua:*\(linux/amd64\)*").unwrap(),
        field("ua", Pattern::Wildcard("*(linux/amd64)*".to_owned()))
    );
    assert_eq!(
        parse(r"ua:kubectl/v1.29\ *").unwrap(),
        field("ua", Pattern::Wildcard("kubectl/v1.29 *".to_owned()))
    );
    // Glob escapes are kept for the glob.
    assert_eq!(
        parse(r"name:a\*").unwrap(),
        field("name", Pattern::Exact("a*".to_owned()))
    );
}

/// `&& verb:get`, `ns:shop && || verb:get` matched nothing, silently: the word forms were
/// errors, the symbols were searched as words.
#[test]
fn regression_a_leading_or_doubled_symbol_operator_matched_nothing_silently() {
    for q in ["&& verb:get", "|| ns:shop", "(&& x)"] {
        let e = parse(q).unwrap_err();
        assert!(e.message.contains("joins two conditions"), "{q}: {e}");
    }
    for q in [
        "ns:shop && || verb:get",
        "ns:shop AND || verb:get",
        "a || && b",
    ] {
        let e = parse(q).unwrap_err();
        assert!(e.message.contains("expected a term after"), "{q}: {e}");
    }
    assert!(parse("ns:shop && verb:get || verb:list").is_ok());
    assert!(parse("\"a && b\"").is_ok());
}

#[test]
fn regression_a_leading_colon_searched_the_word_after_it() {
    // `:get` found every event with the word `get`.
    for q in [":get", "verb:get AND :list"] {
        let err = parse(q).unwrap_err();
        assert!(err.message.contains("field name goes before"), "{q}: {err}");
    }
    assert_eq!(parse("verb:get AND :list").unwrap_err().column, 13);
    // A colon inside a quoted phrase or a value is text as before.
    assert!(parse("\":get\"").is_ok());
    assert!(parse("user:system:serviceaccount:shop:web").is_ok());
}
