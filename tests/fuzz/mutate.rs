//! Mutations: on bytes (flips, inserts, deletes, duplicated and spliced ranges, hostile
//! tokens, invalid UTF-8), on JSON values (a value replaced by another type, known fields
//! given the wrong type, huge numbers, deep nesting, control and bidi characters, odd
//! timestamps and URIs, JSON inside a JSON string), on lines (the JSON after a CRI or S3
//! prefix), and on containers (nested wrappers, a BOM, trailing garbage, gzip wrapped,
//! truncated, corrupted or in several members).

use std::io::Write as _;

use fastrand::Rng;
use serde_json::{Map, Value};

use crate::corpus::Corpus;

/// Inputs are kept under this size (the gzip bombs of the ingest target are made apart).
pub const MAX_INPUT: usize = 4 << 20;

/// Tokens that break or stress a decoder, inserted as raw bytes.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"\\",
    b",",
    b":",
    b"\n",
    b"\r\n",
    b"\0",
    b"null",
    b"true",
    b"-0",
    b"1e999",
    b"-1e-999",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"\"\\ud800\"",
    b"\"\\udc00\\ud800\"",
    b"\\u0000",
    b"\\u001b]52;c;aGk=\\u0007",
    b"\x1b[2J\x1b]0;title\x07",
    b"\xc2\x9b31m",
    b"\xe2\x80\xae",
    b"\xe2\x81\xa6",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
    b"}garbage",
    b"}{",
    b"{\"records\":[",
    b"{\"items\":[",
    b"{\"events\":[{\"message\":",
    b"{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[",
    b"\"RequestReceived\"",
    b"\"stage\":\"RequestReceived\",",
    b"\"protoPayload\":",
    b"\"properties\":{\"log\":",
    b" AUDIT: id=\"x\" ",
    b"2026-03-14T10:00:00Z stdout P ",
    b"2026-03-14T10:00:00.1Z stderr F ",
    b"2026-03-14T10:00:00.000Z ",
    b"I0314 10:00:00.000000       1 x.go:1] ",
    b"@timestamp,@message\n",
    b"\"9999-12-31T23:59:59Z\"",
    b"\"0001-01-01T00:00:00Z\"",
];

/// Fields the decoders read, given wrong types and odd values.
const FIELDS: &[&str] = &[
    "kind",
    "apiVersion",
    "level",
    "auditID",
    "stage",
    "requestURI",
    "verb",
    "user",
    "username",
    "groups",
    "extra",
    "impersonatedUser",
    "sourceIPs",
    "userAgent",
    "objectRef",
    "resource",
    "subresource",
    "namespace",
    "name",
    "apiGroup",
    "responseStatus",
    "code",
    "requestObject",
    "responseObject",
    "requestReceivedTimestamp",
    "stageTimestamp",
    "timestamp",
    "annotations",
    "items",
    "records",
    "events",
    "logEvents",
    "message",
    "messageType",
    "logGroup",
    "protoPayload",
    "methodName",
    "resourceName",
    "status",
    "authenticationInfo",
    "principalEmail",
    "requestMetadata",
    "callerIp",
    "request",
    "response",
    "operation",
    "id",
    "properties",
    "log",
    "resourceId",
    "category",
    "time",
    "data",
    "stringData",
    "command",
    "path",
    "op",
    "value",
    "rows",
    "object",
    "token",
    "spec",
    "containers",
    "securityContext",
    "hostPath",
    "volumes",
    "roleRef",
    "subjects",
];

const TIMES: &[&str] = &[
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T00:00:60Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:00+14:00",
    "2024-01-01T00:00:00.123456789123Z",
    "2024-01-01 00:00:00",
    "2024-01-01",
    "1e10",
    "",
    "-1",
    "+275760-09-13T00:00:00Z",
];

const STRINGS: &[&str] = &[
    "RequestReceived",
    "ResponseStarted",
    "ResponseComplete",
    "Panic",
    "Event",
    "EventList",
    "Secret",
    "\\u0053ecret",
    "secrets",
    "pods",
    "exec",
    "attach",
    "portforward",
    "proxy",
    "nodes",
    "system:anonymous",
    "system:masters",
    "system:serviceaccount:shop:web",
    "system:serviceaccount:",
    "system:node:",
    "cluster-admin",
    "/api/v1/namespaces/x/pods/p/exec?command=%ff&command=&container",
    "/api/v1/nodes/n/proxy/run/a/b/c?cmd=%",
    "/api/v1/namespaces/x/pods/p/portforward?ports=1,2,%zz",
    "/?&&==&command=sh%00",
    "io.k8s.core.v1.pods.exec.create",
    "core/v1/namespaces/d/pods/w/exec",
    "kube-audit",
    "/aws/eks/c/cluster",
    "DATA_MESSAGE",
    "CONTROL_MESSAGE",
    "JTI=",
    "\u{1b}]52;c;aGk=\u{7}",
    "\u{202e}evil",
    "\u{2066}x\u{2069}",
    "\u{9b}31m",
    "=cmd|' /C calc'!A0",
    "\u{feff}",
    "",
];

/// Applies 1 to 4 mutations to a whole input.
pub fn document(rng: &mut Rng, corpus: &Corpus, mut data: Vec<u8>) -> Vec<u8> {
    for _ in 0..rng.usize(1..=4) {
        data = match rng.u8(0..100) {
            0..30 => lines(rng, corpus, &data),
            30..55 => bytes(rng, corpus, data),
            55..70 => json_document(rng, corpus, &data)
                .unwrap_or_else(|| bytes(rng, corpus, data.clone())),
            70..90 => wrap(rng, data),
            _ => splice(rng, corpus, data),
        };
        data.truncate(MAX_INPUT);
    }
    data
}

/// Mutates a few lines of a text input, leaving the others as they were.
pub fn lines(rng: &mut Rng, corpus: &Corpus, data: &[u8]) -> Vec<u8> {
    let mut out: Vec<Vec<u8>> = data.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let n = rng.usize(1..=3.min(out.len()).max(1));
    for _ in 0..n {
        let i = rng.usize(..out.len());
        let line = std::mem::take(&mut out[i]);
        out[i] = line_mutation(rng, corpus, line);
    }
    out.join(&b'\n')
}

/// One mutation of one line: JSON-aware on the JSON it holds, else on its bytes.
pub fn line_mutation(rng: &mut Rng, corpus: &Corpus, line: Vec<u8>) -> Vec<u8> {
    if rng.u8(0..100) < 65
        && let Some(start) = line.iter().position(|b| *b == b'{')
        && let Ok(v) = serde_json::from_slice::<Value>(&line[start..])
    {
        let mut out = line[..start].to_vec();
        out.extend(json_value(rng, corpus, v, false));
        return out;
    }
    match rng.u8(0..100) {
        0..10 => trailing(rng, line),
        10..20 => truncate(rng, line),
        20 => {
            let empty: &[u8] = rng
                .choice([
                    &b"[]"[..],
                    b"{\"kind\":\"EventList\",\"items\":[]}",
                    b"{\"records\":[]}",
                    b"{\"events\":[],\"searchedLogStreams\":[]}",
                    b"{\"logEvents\":[]}",
                ])
                .unwrap_or(b"[]");
            empty.to_vec()
        }
        _ => bytes(rng, corpus, line),
    }
}

/// One byte-level mutation.
pub fn bytes(rng: &mut Rng, corpus: &Corpus, mut data: Vec<u8>) -> Vec<u8> {
    if data.is_empty() {
        data.extend_from_slice(rng.choice(TOKENS).copied().unwrap_or(b"{"));
        return data;
    }
    let at = rng.usize(..=data.len());
    match rng.u8(0..11) {
        0 => {
            let i = rng.usize(..data.len());
            data[i] ^= 1 << rng.u8(0..8);
        }
        1 => {
            let i = rng.usize(..data.len());
            data[i] = rng
                .choice(b"{}[]\",:\\\n\r\t\0 0aZ\x1b\x7f\x80\xc3\xe2\xff".iter())
                .copied()
                .unwrap_or(0);
        }
        2 | 3 => {
            let t = rng.choice(TOKENS).copied().unwrap_or(b"{");
            data.splice(at..at, t.iter().copied());
        }
        4 => {
            let end = (at + rng.usize(1..64)).min(data.len());
            data.drain(at.min(end)..end);
        }
        5 => {
            let (s, e) = range(rng, data.len());
            let copy = data[s..e].to_vec();
            data.splice(at..at, copy);
        }
        6 => {
            let (s, e) = range(rng, data.len());
            let copy = data[s..e].repeat(rng.usize(2..20));
            data.splice(at..at, copy);
        }
        7 => {
            if let Some(seed) = rng.choice(&corpus.lines) {
                let (s, e) = range(rng, seed.len());
                data.splice(at..at, seed[s..e].iter().copied());
            }
        }
        8 => data.truncate(at),
        9 => {
            let junk: Vec<u8> = (0..rng.usize(1..16)).map(|_| rng.u8(..)).collect();
            data.splice(at..at, junk);
        }
        _ => {
            // Line endings of another system.
            let mut out = Vec::with_capacity(data.len() + data.len() / 32);
            for b in data {
                if b == b'\n' {
                    out.push(b'\r');
                }
                out.push(b);
            }
            data = out;
        }
    }
    data
}

fn range(rng: &mut Rng, len: usize) -> (usize, usize) {
    if len == 0 {
        return (0, 0);
    }
    let s = rng.usize(..len);
    let e = (s + rng.usize(1..=256)).min(len);
    (s, e)
}

fn truncate(rng: &mut Rng, mut data: Vec<u8>) -> Vec<u8> {
    let at = rng.usize(..=data.len());
    data.truncate(at);
    data
}

/// `{…}garbage`: trailing bytes after a complete value.
fn trailing(rng: &mut Rng, mut data: Vec<u8>) -> Vec<u8> {
    let t: &[u8] = rng
        .choice([
            &b"garbage"[..],
            b" x",
            b"}",
            b"]",
            b",",
            b"\"",
            b" {\"a\":1}",
            b"{}",
            b"\x1b[0m",
        ])
        .unwrap_or(b"x");
    data.extend_from_slice(t);
    data
}

/// The whole input as one JSON document, one of its values mutated (pretty or compact).
fn json_document(rng: &mut Rng, corpus: &Corpus, data: &[u8]) -> Option<Vec<u8>> {
    let v: Value = serde_json::from_slice(data).ok()?;
    let pretty = rng.bool();
    Some(json_value(rng, corpus, v, pretty))
}

/// Mutates one value of a JSON document and prints it again. Raw tokens no `Value` can hold
/// (huge numbers, lone surrogates, deep nesting) are put in as placeholders, then replaced.
pub fn json_value(rng: &mut Rng, corpus: &Corpus, mut v: Value, pretty: bool) -> Vec<u8> {
    let mut raws: Vec<Vec<u8>> = Vec::new();
    for _ in 0..rng.usize(1..=3) {
        let paths = paths(&v);
        let Some(path) = rng.choice(&paths).cloned() else {
            break;
        };
        let Some(node) = v.pointer_mut(&path) else {
            continue;
        };
        mutate_node(rng, corpus, node, &mut raws);
    }
    let text = if pretty {
        serde_json::to_vec_pretty(&v)
    } else {
        serde_json::to_vec(&v)
    }
    .unwrap_or_default();
    replace_raws(text, &raws)
}

/// JSON pointers of every value (depth-first, bounded).
fn paths(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), v)];
    while let Some((p, v)) = stack.pop() {
        if out.len() > 4000 {
            break;
        }
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    let key = k.replace('~', "~0").replace('/', "~1");
                    stack.push((format!("{p}/{key}"), c));
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    stack.push((format!("{p}/{i}"), c));
                }
            }
            _ => {}
        }
        out.push(p);
    }
    out
}

fn placeholder(raws: &mut Vec<Vec<u8>>, raw: Vec<u8>) -> Value {
    raws.push(raw);
    Value::String(format!("__fuzz_raw_{}__", raws.len() - 1))
}

fn replace_raws(mut text: Vec<u8>, raws: &[Vec<u8>]) -> Vec<u8> {
    for (i, raw) in raws.iter().enumerate() {
        let mark = format!("\"__fuzz_raw_{i}__\"");
        if let Some(at) = memchr::memmem::find(&text, mark.as_bytes()) {
            text.splice(at..at + mark.len(), raw.iter().copied());
        }
    }
    text
}

fn mutate_node(rng: &mut Rng, corpus: &Corpus, node: &mut Value, raws: &mut Vec<Vec<u8>>) {
    match rng.u8(0..100) {
        0..25 => *node = random_value(rng, raws),
        25..45 => wrong_typed_field(rng, node, raws),
        45..55 => {
            if let Value::Object(m) = node {
                let keys: Vec<String> = m.keys().cloned().collect();
                if let Some(k) = rng.choice(&keys) {
                    m.shift_remove(k);
                }
            }
        }
        55..70 => *node = odd_string(rng, node),
        70..78 => {
            // A stage record of a request that arrives first: deferred at ingest.
            if let Value::Object(m) = node {
                m.insert("stage".into(), Value::String("RequestReceived".into()));
            }
        }
        78..86 => *node = placeholder(raws, nesting(rng)),
        86..93 => nested_json_string(rng, corpus, node),
        _ => {
            if let Some(line) = rng.choice(&corpus.lines)
                && let Some(start) = line.iter().position(|b| *b == b'{')
                && let Ok(other) = serde_json::from_slice::<Value>(&line[start..])
            {
                let ps = paths(&other);
                if let Some(p) = rng.choice(&ps)
                    && let Some(sub) = other.pointer(p)
                {
                    *node = sub.clone();
                }
            }
        }
    }
}

/// A field the decoders read, set anywhere in the value to a value of the wrong type.
fn wrong_typed_field(rng: &mut Rng, node: &mut Value, raws: &mut Vec<Vec<u8>>) {
    let Value::Object(m) = node else {
        *node = random_value(rng, raws);
        return;
    };
    let field = rng.choice(FIELDS).copied().unwrap_or("user");
    let value = random_value(rng, raws);
    m.insert(field.to_owned(), value);
}

fn random_value(rng: &mut Rng, raws: &mut Vec<Vec<u8>>) -> Value {
    match rng.u8(0..12) {
        0 => Value::Null,
        1 => Value::Bool(rng.bool()),
        2 => Value::from(rng.i64(..)),
        3 => Value::from(rng.f64() * 1e300),
        4 => {
            let t: &[u8] = rng
                .choice([
                    &b"1e999"[..],
                    b"-1e999",
                    b"18446744073709551616",
                    b"-9223372036854775809",
                    b"0.0000000000000000000000000001",
                    b"123456789012345678901234567890",
                    b"\"\\ud800\"",
                    b"\"\\u0000\\u001b[31m\\u202e\"",
                ])
                .unwrap_or(b"0");
            placeholder(raws, t.to_vec())
        }
        5 => Value::Array(vec![]),
        6 => Value::Object(Map::new()),
        7 => Value::Array(vec![Value::from(1), Value::from("x"), Value::Null]),
        8 => Value::String(rng.choice(TIMES).copied().unwrap_or("").to_owned()),
        9 => Value::String(rng.choice(STRINGS).copied().unwrap_or("").to_owned()),
        10 => Value::String("x".repeat(rng.usize(1000..200_000))),
        _ => {
            let mut m = Map::new();
            m.insert("username".into(), Value::from(5));
            m.insert("code".into(), Value::String("200".into()));
            Value::Object(m)
        }
    }
}

/// A string changed: control and bidi characters, an odd time, a long or empty one.
fn odd_string(rng: &mut Rng, node: &Value) -> Value {
    let base = node.as_str().unwrap_or("").to_owned();
    let s = match rng.u8(0..6) {
        0 => format!("{base}\u{1b}]0;pwned\u{7}\u{202e}"),
        1 => rng.choice(TIMES).copied().unwrap_or("").to_owned(),
        2 => rng.choice(STRINGS).copied().unwrap_or("").to_owned(),
        3 => {
            let cut = (0..=base.len())
                .filter(|i| base.is_char_boundary(*i))
                .nth(rng.usize(..=base.chars().count()))
                .unwrap_or(0);
            base[..cut].to_owned()
        }
        4 => base.repeat(rng.usize(2..50)),
        _ => base.chars().rev().collect(),
    };
    Value::String(s)
}

/// `[`×N `]`×N, `{"a":`×N … `}`×N and the like, N around the limits decoders use.
pub fn nesting(rng: &mut Rng) -> Vec<u8> {
    let n = *rng
        .choice(&[8usize, 64, 127, 128, 129, 200, 300, 1000, 5000, 20_000])
        .unwrap_or(&300);
    let (open, close): (&[u8], &[u8]) = rng
        .choice([
            (&b"["[..], &b"]"[..]),
            (b"{\"a\":", b"}"),
            (b"{\"records\":[", b"]}"),
            (b"{\"items\":[", b"]}"),
            (b"[{\"kind\":\"EventList\",\"items\":", b"}]"),
        ])
        .unwrap_or((b"[", b"]"));
    let closed = rng.u8(0..4) > 0;
    let mut out = open.repeat(n);
    out.extend_from_slice(b"null");
    if closed {
        out.extend(close.repeat(n));
    }
    out
}

/// A string that holds JSON (an AKS `properties.log`, an EKS `message`): the JSON inside
/// mutated and put back as a string.
fn nested_json_string(rng: &mut Rng, corpus: &Corpus, node: &mut Value) {
    let Some(s) = node.as_str() else {
        return;
    };
    let Ok(inner) = serde_json::from_str::<Value>(s) else {
        return;
    };
    let text = json_value(rng, corpus, inner, false);
    *node = Value::String(String::from_utf8_lossy(&text).into_owned());
}

/// Container mutations: a BOM, nested wrappers, trailing garbage, gzip in its forms.
pub fn wrap(rng: &mut Rng, data: Vec<u8>) -> Vec<u8> {
    match rng.u8(0..12) {
        0 | 1 => [b"\xef\xbb\xbf".as_slice(), &data].concat(),
        2 => {
            let n = rng.usize(1..=2000);
            let (open, close): (&[u8], &[u8]) = rng
                .choice([
                    (&b"{\"records\":["[..], &b"]}"[..]),
                    (b"[", b"]"),
                    (b"{\"kind\":\"EventList\",\"items\":[", b"]}"),
                ])
                .unwrap_or((b"[", b"]"));
            [open.repeat(n), data, close.repeat(n)].concat()
        }
        3 => trailing(rng, data),
        4 => {
            let mut d = nesting(rng);
            d.push(b'\n');
            d.extend(data);
            d
        }
        5 | 6 => gzip(&data),
        7 => {
            let mut z = gzip(&data);
            let at = rng.usize(..=z.len());
            z.truncate(at);
            z
        }
        8 => {
            let mut z = gzip(&data);
            if z.len() > 12 {
                let i = rng.usize(10..z.len());
                z[i] ^= 1 << rng.u8(0..8);
            }
            z
        }
        9 => {
            // Several gzip members, as `cat a.gz b.gz` makes.
            let cut = rng.usize(..=data.len());
            [gzip(&data[..cut]), gzip(&data[cut..]), gzip(b"")].concat()
        }
        10 => gzip(&gzip(&data)),
        _ => {
            let mut z = gzip(&data);
            z.extend_from_slice(b"trailing bytes after the gzip member\n");
            z
        }
    }
}

/// Half of one input, then half of another.
fn splice(rng: &mut Rng, corpus: &Corpus, mut data: Vec<u8>) -> Vec<u8> {
    if let Some(seed) = rng.choice(&corpus.inputs) {
        data.truncate(rng.usize(..=data.len()));
        let from = rng.usize(..=seed.plain.len());
        data.extend_from_slice(&seed.plain[from..]);
    }
    data
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}
