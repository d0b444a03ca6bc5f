//! A JSON document as foldable lines, for the detail view.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `{` or `[`; `end` is the index of the matching close.
    Open {
        end: usize,
        array: bool,
        len: usize,
    },
    Close {
        array: bool,
    },
    Scalar(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    depth: usize,
    key: Option<String>,
    kind: Kind,
    /// JSON pointer of the value (for copying).
    pointer: String,
    folded: bool,
}

/// One visible line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Index of the node (to fold it or copy its value).
    pub node: usize,
    pub depth: usize,
    pub key: Option<String>,
    /// The text after the key: a scalar, `{`, `}`, or a folded summary.
    pub text: String,
    pub foldable: bool,
    pub folded: bool,
}

#[derive(Debug, Clone, Default)]
pub struct JsonTree {
    root: Value,
    nodes: Vec<Node>,
}

impl JsonTree {
    pub fn new(root: Value) -> JsonTree {
        let mut nodes = Vec::new();
        flatten(&root, 0, None, String::new(), &mut nodes);
        JsonTree { root, nodes }
    }

    /// The lines shown, folded objects collapsed into one line.
    pub fn lines(&self) -> Vec<Line> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.nodes.len() {
            let n = &self.nodes[i];
            let (text, foldable, next) = match &n.kind {
                Kind::Open { end, array, len } if n.folded => {
                    let (o, c, what) = if *array {
                        ('[', ']', "item")
                    } else {
                        ('{', '}', "key")
                    };
                    let counted = crate::model::plural(*len, what);
                    (format!("{o} … {c}  ({counted})"), true, end + 1)
                }
                Kind::Open { array, .. } => {
                    ((if *array { "[" } else { "{" }).to_owned(), true, i + 1)
                }
                Kind::Close { array } => {
                    ((if *array { "]" } else { "}" }).to_owned(), false, i + 1)
                }
                Kind::Scalar(s) => (s.clone(), false, i + 1),
            };
            out.push(Line {
                node: i,
                depth: n.depth,
                key: n.key.clone(),
                text,
                foldable,
                folded: n.folded,
            });
            i = next;
        }
        out
    }

    pub fn toggle(&mut self, node: usize) {
        if let Some(n) = self.nodes.get_mut(node)
            && matches!(n.kind, Kind::Open { .. })
        {
            n.folded = !n.folded;
        }
    }

    /// Folds (or unfolds) every container below the top level.
    pub fn fold_all(&mut self, folded: bool) {
        for n in self.nodes.iter_mut().filter(|n| n.depth > 0) {
            if matches!(n.kind, Kind::Open { .. }) {
                n.folded = folded;
            }
        }
    }

    /// Folds containers with more than `max` entries, or nested deeper than `depth`.
    pub fn fold_large(&mut self, max: usize, depth: usize) {
        for n in &mut self.nodes {
            if let Kind::Open { len, .. } = n.kind
                && n.depth > 0
                && (len > max || n.depth >= depth)
            {
                n.folded = true;
            }
        }
    }

    /// The value of a node, as text: strings unquoted, anything else as compact JSON.
    pub fn value_of(&self, node: usize) -> String {
        let Some(n) = self.nodes.get(node) else {
            return String::new();
        };
        match self.root.pointer(&n.pointer) {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }

    pub fn pointer_of(&self, node: usize) -> String {
        self.nodes
            .get(node)
            .map(|n| n.pointer.clone())
            .unwrap_or_default()
    }
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn flatten(v: &Value, depth: usize, key: Option<String>, pointer: String, out: &mut Vec<Node>) {
    match v {
        Value::Object(map) => {
            let open = out.len();
            out.push(Node {
                depth,
                key,
                kind: Kind::Open {
                    end: 0,
                    array: false,
                    len: map.len(),
                },
                pointer: pointer.clone(),
                folded: false,
            });
            for (k, child) in map {
                flatten(
                    child,
                    depth + 1,
                    Some(k.clone()),
                    format!("{pointer}/{}", escape_pointer(k)),
                    out,
                );
            }
            close(out, open, depth, false);
        }
        Value::Array(items) => {
            let open = out.len();
            out.push(Node {
                depth,
                key,
                kind: Kind::Open {
                    end: 0,
                    array: true,
                    len: items.len(),
                },
                pointer: pointer.clone(),
                folded: false,
            });
            for (i, child) in items.iter().enumerate() {
                flatten(child, depth + 1, None, format!("{pointer}/{i}"), out);
            }
            close(out, open, depth, true);
        }
        scalar => out.push(Node {
            depth,
            key,
            kind: Kind::Scalar(scalar.to_string()),
            pointer,
            folded: false,
        }),
    }
}

fn close(out: &mut Vec<Node>, open: usize, depth: usize, array: bool) {
    let end = out.len();
    out.push(Node {
        depth,
        key: None,
        kind: Kind::Close { array },
        pointer: String::new(),
        folded: false,
    });
    if let Kind::Open { end: e, .. } = &mut out[open].kind {
        *e = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_copies() {
        let mut t = JsonTree::new(serde_json::json!({"a": 1, "b": {"c": "x", "d": [1, 2]}}));
        let lines = t.lines();
        assert_eq!(lines.len(), 10);
        let b = lines
            .iter()
            .find(|l| l.key.as_deref() == Some("b"))
            .unwrap()
            .node;
        assert_eq!(t.value_of(b), r#"{"c":"x","d":[1,2]}"#);
        t.toggle(b);
        let lines = t.lines();
        assert_eq!(lines.len(), 4);
        assert!(lines[2].text.contains("2 keys"));
        let c = JsonTree::new(serde_json::json!({"c": "x/y"}));
        assert_eq!(c.value_of(1), "x/y");
        assert_eq!(c.pointer_of(1), "/c");
    }

    /// A folded list of one read `(1 items)`.
    #[test]
    fn regression_a_folded_list_of_one_said_one_items() {
        let mut t = JsonTree::new(serde_json::json!({"l": [1], "o": {"k": 1}}));
        for key in ["l", "o"] {
            let node = t
                .lines()
                .iter()
                .find(|l| l.key.as_deref() == Some(key))
                .unwrap()
                .node;
            t.toggle(node);
        }
        let text: Vec<String> = t.lines().iter().map(|l| l.text.clone()).collect();
        assert!(text.iter().any(|l| l.contains("(1 item)")), "{text:?}");
        assert!(text.iter().any(|l| l.contains("(1 key)")), "{text:?}");
    }
}
