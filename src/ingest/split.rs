//! Cutting a byte stream into records. Two modes, chosen per input by its first bytes:
//! JSON lines (one record per line, the fast path), and a structural scanner for JSON
//! documents spanning lines (a pretty-printed array, an `EventList`, objects concatenated
//! with no separator). Both stream with bounded memory: a record longer than the limit is
//! skipped and reported, never buffered whole.
//!
//! The elements of a top-level array, and of the array under the wrapper key of a top-level
//! object (`items` of an `EventList`, `records` of an AKS Event Hub document, `events` of
//! `aws logs filter-log-events` output), are records of their own: a document of any size
//! streams element by element, and the record limit applies to one element. A line of a JSON
//! lines input that is longer than the limit is scanned the same way, up to its end.

use std::io::{self, Read};

use super::reject::RecordError;

mod scanner;

use scanner::{Scanner, Step};

/// The UTF-8 byte order mark some Windows tools write at the start of a file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One record: its bytes, and the 1-based line its first byte is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub line: u64,
    pub bytes: Vec<u8>,
    /// Where the record sat in a streamed JSON document, when it was an array element.
    pub element: Option<Element>,
}

/// An element of a JSON array the scanner streamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    /// 0-based index in its array.
    pub index: u64,
    /// The wrapper key holding the array; `None` for a top-level array.
    pub wrapper: Option<Wrapper>,
}

/// The keys of a top-level object whose array is streamed element by element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    /// `EventList` (and any Kubernetes list): the elements are records as they are.
    Items,
    /// AKS Event Hub: the elements are AKS records.
    Records,
    /// `aws logs filter-log-events`: the elements are CloudWatch log events.
    Events,
}

impl Wrapper {
    fn from_key(key: &[u8]) -> Option<Wrapper> {
        match key {
            b"items" => Some(Wrapper::Items),
            b"records" => Some(Wrapper::Records),
            b"events" => Some(Wrapper::Events),
            _ => None,
        }
    }
}

/// What the splitter produced: a record, or a line-level error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Record(RawRecord),
    Error {
        line: u64,
        error: RecordError,
        excerpt: Vec<u8>,
    },
}

/// How an input is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Lines,
    Scan,
}

/// Picks the mode from the first bytes of an input: a document that starts with `[`, or whose
/// first line is not a complete JSON value, is scanned structurally — unless most of the
/// next lines are complete JSON values: JSON lines whose first line is damaged stay JSON
/// lines, so that the damage stays on its line.
pub fn sniff(head: &[u8]) -> Mode {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    match head.first() {
        Some(b'[') => Mode::Scan,
        Some(b'{') => {
            let Some(line_end) = memchr::memchr(b'\n', head) else {
                // A whole small input on one line: lines mode handles it; a longer one may
                // be a one-line document (`{"items":[…`), streamed by the scanner — or a
                // long event, one line of JSON lines.
                return if head.len() >= 64 * 1024 && opens_wrapper(head) {
                    Mode::Scan
                } else {
                    Mode::Lines
                };
            };
            if starts_complete(&head[..line_end]) || mostly_complete(&head[line_end + 1..]) {
                Mode::Lines
            } else {
                Mode::Scan
            }
        }
        _ => Mode::Lines,
    }
}

/// Whether an object's own members (not nested ones) in `head` include an array of records
/// (`items`, `records`, `events`).
fn opens_wrapper(head: &[u8]) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut key_start = None;
    for (i, &b) in head.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => {
                    in_string = false;
                    if depth == 1
                        && let Some(start) = key_start.take()
                        && Wrapper::from_key(&head[start..i]).is_some()
                        && head[i + 1..]
                            .iter()
                            .find(|c| !c.is_ascii_whitespace() && **c != b':')
                            .is_some_and(|c| *c == b'[')
                    {
                        return true;
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                key_start = Some(i + 1);
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A line that opens with a whole JSON value, whatever follows it on the line (`{…}garbage`
/// is a damaged line of JSON lines; the first line of a pretty document never is whole).
fn starts_complete(line: &[u8]) -> bool {
    let mut values =
        serde_json::Deserializer::from_slice(line).into_iter::<serde::de::IgnoredAny>();
    matches!(values.next(), Some(Ok(_)))
}

/// A line holding one JSON value, or several back to back.
fn complete(line: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() || concatenated(line)
}

/// Whether more than half of the (up to 32) whole lines of `rest` are lines of a log: a
/// complete JSON value, or text that starts with a letter or digit (a timestamp, CSV, CRI or
/// klog prefix). The lines of a pretty-printed document are neither: they start with
/// indentation, a quote or a bracket, and are not whole values.
fn mostly_complete(rest: &[u8]) -> bool {
    let mut lines = rest.split(|b| *b == b'\n').collect::<Vec<_>>();
    lines.pop(); // the last one may be cut by the end of the head
    let lines: Vec<&[u8]> = lines
        .into_iter()
        .filter(|l| !trim(l).is_empty())
        .take(32)
        .collect();
    let whole = lines.iter().filter(|l| complete(trim(l))).count();
    let logged = lines
        .iter()
        .filter(|l| l.first().is_some_and(u8::is_ascii_alphanumeric))
        .count();
    whole > 0 && (whole + logged) * 2 > lines.len()
}

/// True when `line` holds several JSON values back to back (`}{`): still a lines input.
fn concatenated(line: &[u8]) -> bool {
    let mut it = serde_json::Deserializer::from_slice(line).into_iter::<serde::de::IgnoredAny>();
    matches!(it.next(), Some(Ok(_))) && matches!(it.next(), Some(Ok(_)))
}

/// Streams records out of a reader.
pub struct Splitter<R> {
    reader: R,
    mode: Mode,
    max_record: usize,
    /// Read input up to `filled`; what lies beyond is spare room from earlier reads.
    buf: Vec<u8>,
    filled: usize,
    /// Start of unconsumed bytes in `buf`.
    pos: usize,
    /// Line number of `buf[pos]`.
    line: u64,
    eof: bool,
    /// Set when the reader failed mid-stream (a truncated gzip): the tail is suspect.
    pub read_error: Option<io::Error>,
    scanner: Scanner,
}

const READ_SIZE: usize = 1 << 20;

/// What the scanner gave the splitter.
enum Scanned {
    Piece(Piece),
    /// The end of a long line scanned in lines mode: back to lines.
    LineEnd,
    End,
}

impl<R: Read> Splitter<R> {
    pub fn new(reader: R, mode: Mode, max_record: usize) -> Self {
        Splitter {
            reader,
            mode,
            max_record,
            buf: Vec::new(),
            filled: 0,
            pos: 0,
            line: 1,
            eof: false,
            read_error: None,
            scanner: Scanner::default(),
        }
    }

    /// Reads more input; returns false at the end of input. The buffer is reused as it is:
    /// zeroing a fresh megabyte before each read cost a hundredth of ingest.
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.scanner.shift(self.pos);
            self.pos = 0;
        }
        let old = self.filled;
        if self.buf.len() < old + READ_SIZE {
            self.buf.resize(old + READ_SIZE, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[old..old + READ_SIZE]) {
                Ok(0) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.filled = old + n;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.read_error = Some(e);
                    return false;
                }
            }
        }
    }

    /// The next piece, or `None` at the end of input.
    pub fn next_piece(&mut self) -> Option<Piece> {
        match self.mode {
            Mode::Lines => self.next_line(),
            Mode::Scan => loop {
                match self.scanned() {
                    Scanned::Piece(p) => return Some(p),
                    Scanned::LineEnd => {}
                    Scanned::End => return None,
                }
            },
        }
    }

    fn next_line(&mut self) -> Option<Piece> {
        loop {
            if self.scanner.line_bound {
                match self.scanned() {
                    Scanned::Piece(p) => return Some(p),
                    Scanned::LineEnd => continue,
                    Scanned::End => return None,
                }
            }
            let window = &self.buf[self.pos..self.filled];
            if let Some(nl) = memchr::memchr(b'\n', window) {
                let bytes = trim(&window[..nl]);
                if bytes.len() > self.max_record && starts_json(bytes) {
                    self.scanner.line_bound = true;
                    continue;
                }
                let line = self.line;
                let start = self.pos;
                self.pos += nl + 1;
                self.line += 1;
                let bytes = trim(&self.buf[start..start + nl]);
                if bytes.is_empty() {
                    continue;
                }
                if bytes.len() > self.max_record {
                    return Some(self.too_long(line, bytes.len() as u64, bytes));
                }
                return Some(Piece::Record(RawRecord {
                    line,
                    bytes: with_room(bytes),
                    element: None,
                }));
            }
            if window.len() > self.max_record {
                if starts_json(trim(window)) {
                    self.scanner.line_bound = true;
                    continue;
                }
                return Some(self.skip_long_line());
            }
            if !self.fill() {
                return self.last_line();
            }
        }
    }

    /// The final line without a newline: a record, unless the stream broke off.
    fn last_line(&mut self) -> Option<Piece> {
        let bytes = trim(&self.buf[self.pos..self.filled]).to_vec();
        self.pos = self.filled;
        if bytes.is_empty() {
            return None;
        }
        let line = self.line;
        if self.read_error.is_some()
            && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err()
        {
            return Some(Piece::Error {
                line,
                error: RecordError::TruncatedGzip,
                excerpt: excerpt(&bytes),
            });
        }
        Some(Piece::Record(RawRecord {
            line,
            bytes,
            element: None,
        }))
    }

    /// Consumes a line longer than the limit without holding it.
    fn skip_long_line(&mut self) -> Piece {
        let line = self.line;
        let head = excerpt(&self.buf[self.pos..self.filled]);
        let mut len = 0u64;
        loop {
            let window = &self.buf[self.pos..self.filled];
            if let Some(nl) = memchr::memchr(b'\n', window) {
                len += nl as u64;
                self.pos += nl + 1;
                self.line += 1;
                break;
            }
            len += window.len() as u64;
            self.pos = self.filled;
            if !self.fill() {
                break;
            }
        }
        self.too_long(line, len, &head)
    }

    fn too_long(&self, line: u64, len: u64, bytes: &[u8]) -> Piece {
        Piece::Error {
            line,
            error: RecordError::TooLong {
                len,
                limit: self.max_record as u64,
            },
            excerpt: excerpt(bytes),
        }
    }

    fn scanned(&mut self) -> Scanned {
        loop {
            let step = self.scanner.step(
                &self.buf[..self.filled],
                &mut self.pos,
                &mut self.line,
                self.max_record,
            );
            let piece = match step {
                Step::Value {
                    start,
                    end,
                    line,
                    element,
                } => Piece::Record(RawRecord {
                    line,
                    bytes: with_room(&self.buf[start..end]),
                    element,
                }),
                Step::Garbage {
                    start,
                    end,
                    line,
                    error,
                } => Piece::Error {
                    line,
                    error,
                    excerpt: excerpt(&self.buf[start..end]),
                },
                Step::TooLong { line, len, head } => Piece::Error {
                    line,
                    error: RecordError::TooLong {
                        len,
                        limit: self.max_record as u64,
                    },
                    excerpt: head,
                },
                Step::LineEnd => return Scanned::LineEnd,
                Step::NeedMore => {
                    if self.fill() {
                        continue;
                    }
                    let broken = self.read_error.is_some();
                    let line = self.line;
                    return match self.scanner.finish(
                        &self.buf[..self.filled],
                        &mut self.pos,
                        line,
                        broken,
                    ) {
                        Some(p) => Scanned::Piece(p),
                        None => Scanned::End,
                    };
                }
            };
            return Scanned::Piece(piece);
        }
    }
}

impl<R: Read> Iterator for Splitter<R> {
    type Item = Piece;
    fn next(&mut self) -> Option<Piece> {
        self.next_piece()
    }
}

/// A record's bytes, with room behind them for the rest of its index document (which takes
/// the record's buffer as its own: see `EventDoc::with_record`).
fn with_room(bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes.len() + crate::index::schema::DOC_VALUES_BYTES);
    v.extend_from_slice(bytes);
    v
}

/// Trims ASCII whitespace, and a byte order mark at the start (files concatenated from
/// Windows exports carry one on the first line of each).
fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    let t = &b[start..end.max(start)];
    t.strip_prefix(BOM).unwrap_or(t)
}

/// A line that opens a JSON object or array: scanned when it is too long to be one record.
fn starts_json(line: &[u8]) -> bool {
    matches!(line.first(), Some(b'{' | b'['))
}

fn excerpt(b: &[u8]) -> Vec<u8> {
    b[..b.len().min(512)].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(input: &str, mode: Mode, max: usize) -> Vec<Piece> {
        Splitter::new(input.as_bytes(), mode, max).collect()
    }

    fn records(input: &str, mode: Mode) -> Vec<(u64, String)> {
        pieces(input, mode, 1 << 20)
            .into_iter()
            .map(|p| match p {
                Piece::Record(r) => (r.line, String::from_utf8(r.bytes).unwrap()),
                Piece::Error { line, error, .. } => (line, format!("ERR {}", error.kind())),
            })
            .collect()
    }

    #[test]
    fn lines_skip_blank_and_number_lines() {
        let got = records("{\"a\":1}\n\n  {\"b\":2}\r\n{\"c\":3}", Mode::Lines);
        assert_eq!(
            got,
            vec![
                (1, "{\"a\":1}".into()),
                (3, "{\"b\":2}".into()),
                (4, "{\"c\":3}".into())
            ]
        );
    }

    #[test]
    fn too_long_line_is_reported_and_skipped() {
        let long = format!("{{\"x\":\"{}\"}}", "a".repeat(3000));
        let input = format!("{{\"a\":1}}\n{long}\n{{\"b\":2}}\n");
        let got: Vec<_> = Splitter::new(input.as_bytes(), Mode::Lines, 100).collect();
        assert_eq!(got.len(), 3);
        assert!(matches!(
            &got[1],
            Piece::Error {
                line: 2,
                error: RecordError::TooLong { .. },
                ..
            }
        ));
        assert!(matches!(&got[2], Piece::Record(r) if r.line == 3));
    }

    #[test]
    fn scanner_streams_array_elements() {
        let input = "[\n  {\"a\": \"x]}\\\"\"},\n  {\"b\": [1, {\"c\": 2}]}\n]\n";
        let got = records(input, Mode::Scan);
        assert_eq!(
            got,
            vec![
                (2, "{\"a\": \"x]}\\\"\"}".into()),
                (3, "{\"b\": [1, {\"c\": 2}]}".into())
            ]
        );
    }

    #[test]
    fn scanner_splits_concatenated_and_pretty_objects() {
        let input = "{\"a\":1}{\"b\":2}\n{\n  \"c\": 3\n}\n";
        let got = records(input, Mode::Scan);
        assert_eq!(
            got,
            vec![
                (1, "{\"a\":1}".into()),
                (1, "{\"b\":2}".into()),
                (2, "{\n  \"c\": 3\n}".into())
            ]
        );
    }

    #[test]
    fn scanner_reports_garbage_and_resyncs() {
        let input = "{\"a\":1}\nhello world\n{\"b\":2}\n";
        let got = records(input, Mode::Scan);
        assert_eq!(
            got,
            vec![
                (1, "{\"a\":1}".into()),
                (2, "ERR not-json".into()),
                (3, "{\"b\":2}".into())
            ]
        );
    }

    #[test]
    fn scanner_reports_truncated_tail() {
        let got = records("{\"a\":1}\n{\"b\":", Mode::Scan);
        assert_eq!(
            got,
            vec![(1, "{\"a\":1}".into()), (2, "ERR truncated".into())]
        );
    }

    #[test]
    fn scanner_skips_over_long_values() {
        let long = format!("{{\"x\":\"{}\"}}", "a".repeat(5000));
        let input = format!("[{{\"a\":1}}, {long}, {{\"b\":2}}]");
        let got: Vec<_> = Splitter::new(input.as_bytes(), Mode::Scan, 100).collect();
        assert_eq!(got.len(), 3);
        assert!(
            matches!(&got[1], Piece::Error { error: RecordError::TooLong { len, .. }, .. } if *len >= 5000)
        );
        assert!(matches!(&got[2], Piece::Record(r) if r.bytes == b"{\"b\":2}"));
    }

    /// (line, index, wrapper, text) of each record; errors as `ERR kind`.
    fn elements(input: &str, mode: Mode, max: usize) -> Vec<(u64, Option<u64>, String)> {
        Splitter::new(input.as_bytes(), mode, max)
            .map(|p| match p {
                Piece::Record(r) => (
                    r.line,
                    r.element.map(|e| e.index),
                    String::from_utf8(r.bytes).unwrap(),
                ),
                Piece::Error { line, error, .. } => (line, None, format!("ERR {}", error.kind())),
            })
            .collect()
    }

    #[test]
    fn wrapper_arrays_stream_element_by_element() {
        let input = "{\"kind\": \"EventList\", \"metadata\": {\"items\": [9]},\n \"items\": [\n  {\"a\": 1},\n  {\"b\": [2, \"]\"]}\n ],\n \"nextToken\": {\"x\": [\"}\"]}\n}\n{\"c\": 3}\n";
        assert_eq!(
            elements(input, Mode::Scan, 1 << 20),
            vec![
                (3, Some(0), "{\"a\": 1}".into()),
                (4, Some(1), "{\"b\": [2, \"]\"]}".into()),
                (8, None, "{\"c\": 3}".into()),
            ]
        );
        let got: Vec<_> =
            Splitter::new(r#"{"events":[{"m":1}]}"#.as_bytes(), Mode::Scan, 64).collect();
        assert!(matches!(
            &got[..],
            [Piece::Record(RawRecord {
                element: Some(Element {
                    index: 0,
                    wrapper: Some(Wrapper::Events)
                }),
                ..
            })]
        ));
    }

    #[test]
    fn the_record_limit_applies_to_one_element_not_the_document() {
        let big = format!("{{\"x\":\"{}\"}}", "a".repeat(300));
        let doc = format!(r#"{{"records":[{{"a":1}},{big},{{"b":2}},7]}}"#);
        let got = elements(&doc, Mode::Scan, 100);
        assert_eq!(
            got,
            vec![
                (1, Some(0), "{\"a\":1}".into()),
                (1, None, "ERR too-long".into()),
                (1, Some(2), "{\"b\":2}".into()),
                (1, Some(3), "7".into()),
            ]
        );
    }

    #[test]
    fn a_long_line_of_json_lines_is_scanned_to_its_end() {
        let doc = format!(
            r#"{{"records":[{}]}}"#,
            (0..20)
                .map(|i| format!(r#"{{"n":{i}}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        let input = format!("{{\"a\":1}}\n{doc}\n{{\"b\":2}}\n[{{\"c\":3}}\n{{\"d\":4}}\n");
        let got = elements(&input, Mode::Lines, 64);
        assert_eq!(got.len(), 1 + 20 + 1 + 2, "{got:?}");
        assert_eq!(got[0], (1, None, "{\"a\":1}".into()));
        assert_eq!(got[20], (2, Some(19), "{\"n\":19}".into()));
        assert_eq!(got[21], (3, None, "{\"b\":2}".into()));
        // A short line is a record as it is, cut or not; the next line is read.
        assert_eq!(got[22], (4, None, "[{\"c\":3}".into()));
        assert_eq!(got[23], (5, None, "{\"d\":4}".into()));
        // A long line cut inside its document is one error; the next line is read.
        let cut = format!("{}\n{{\"e\":5}}\n", &doc[..doc.len() - 30]);
        let got = elements(&cut, Mode::Lines, 64);
        assert_eq!(got.last(), Some(&(2, None, "{\"e\":5}".into())), "{got:?}");
        assert_eq!(got[got.len() - 2].2, "ERR truncated");
    }

    /// Reads in chunks of the sizes given, in turn.
    struct Chunked<'a> {
        data: &'a [u8],
        sizes: std::iter::Cycle<std::slice::Iter<'a, usize>>,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self
                .sizes
                .next()
                .copied()
                .unwrap_or(1)
                .min(out.len())
                .min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// The read buffer is reused, not zeroed: whatever a read leaves of an earlier, longer
    /// one must never be taken for input — in lines, in scanned documents, in the last line.
    #[test]
    fn records_across_reads_of_any_size_are_read_whole_from_a_reused_buffer() {
        let mut input = String::new();
        let mut want = Vec::new();
        for i in 0..3000usize {
            let pad = "x".repeat((i * 7919) % 3000);
            let record = format!(r#"{{"n":{i},"pad":"{pad}"}}"#);
            input.push_str(&record);
            input.push('\n');
            want.push(record);
        }
        input.push_str(r#"{"last":true}"#);
        want.push(r#"{"last":true}"#.to_owned());
        for sizes in [
            &[READ_SIZE][..],
            &[7, READ_SIZE, 300_001, 1][..],
            &[65_537][..],
        ] {
            for mode in [Mode::Lines, Mode::Scan] {
                let reader = Chunked {
                    data: input.as_bytes(),
                    sizes: sizes.iter().cycle(),
                };
                let got: Vec<String> = Splitter::new(reader, mode, 1 << 20)
                    .map(|p| match p {
                        Piece::Record(r) => String::from_utf8(r.bytes).unwrap(),
                        Piece::Error { line, error, .. } => format!("ERR {line} {}", error.kind()),
                    })
                    .collect();
                assert_eq!(got.len(), want.len(), "{sizes:?} {mode:?}");
                assert!(got == want, "{sizes:?} {mode:?}");
            }
        }
    }

    #[test]
    fn nesting_costs_no_recursion() {
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        let got = elements(&format!("{deep}\n{{\"a\":1}}"), Mode::Scan, 1 << 20);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], (2, None, "{\"a\":1}".into()));
    }

    #[test]
    fn a_byte_order_mark_starts_no_record() {
        let got = records("\u{feff}{\"a\":1}\n\u{feff}{\"b\":2}\n", Mode::Lines);
        assert_eq!(got, vec![(1, "{\"a\":1}".into()), (2, "{\"b\":2}".into())]);
    }

    #[test]
    fn regression_json_lines_with_a_damaged_first_line_stay_json_lines() {
        let good = r#"{"auditID":"a","verb":"get"}"#;
        for first in [
            r#"{"auditID":"x","verb":"#,
            r#"{"auditID":"x","verb":"get"}garbage"#,
            r#"{"auditID":"x","#,
        ] {
            let input = format!("{first}\n{good}\n{good}\n");
            assert_eq!(sniff(input.as_bytes()), Mode::Lines, "{first}");
            let got = records(&input, Mode::Lines);
            assert_eq!(got.len(), 3, "{got:?}");
        }
        let pretty = "{\n  \"kind\": \"EventList\",\n  \"items\": [\n    {\"a\": 1},\n    {\"b\": 2}\n  ]\n}\n";
        assert_eq!(sniff(pretty.as_bytes()), Mode::Scan);
    }

    /// Cut and mangled documents of every shape the scanner streams: no panic, and every
    /// piece is a record or an error with a line inside the input.
    #[test]
    fn no_mangled_document_panics_the_splitter() {
        let docs = [
            "{\n \"kind\": \"EventList\",\n \"items\": [\n  {\"a\": \"x\\\"]\"},\n  [1, {}],\n  7\n ],\n \"nextToken\": {\"x\": [\"}\"]}\n}\n",
            r#"{"events":[{"message":"{\"a\":1}"},{"m":[]}],"next":"t"}{"records":[{"p":{}}]}"#,
            "[\n{\"a\":1},\n\"s\",\ntrue,\n{\"b\":[[[]]]}\n]\n",
            "{\"a\":1}\n{\"records\":[{\"x\":1},{\"y\":2}]}\n\u{feff}{\"b\":2}\n",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % n as u64).unwrap_or(0)
        };
        for doc in docs {
            let bytes = doc.as_bytes();
            let lines = memchr::memchr_iter(b'\n', bytes).count() as u64 + 1;
            for round in 0..400 {
                let mut m = bytes.to_vec();
                match round % 4 {
                    0 => m.truncate(next(m.len() + 1)),
                    1 => {
                        let i = next(m.len());
                        m.remove(i);
                    }
                    2 => {
                        let i = next(m.len());
                        m[i] = b"{}[]\",:\n\\x"[next(10)];
                    }
                    _ => {
                        let i = next(m.len());
                        m.insert(i, b"{}[]\",:\n"[next(8)]);
                    }
                }
                for mode in [Mode::Lines, Mode::Scan] {
                    for max in [8, 1 << 20] {
                        for p in Splitter::new(m.as_slice(), mode, max) {
                            let line = match p {
                                Piece::Record(r) => r.line,
                                Piece::Error { line, .. } => line,
                            };
                            assert!(line >= 1 && line <= lines + 1, "{m:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn regression_long_first_event_keeps_json_lines_mode() {
        // Fuzzing: a first line over 64 KiB made the whole file one scanned document, and a
        // later line missing its brace swallowed every line after it.
        let long = format!(
            "{{\"kind\":\"Event\",\"items\":1,\"requestObject\":{{\"items\":[\"{}\"]}}}}",
            "x".repeat(70_000)
        );
        assert_eq!(sniff(&long.as_bytes()[..64 << 10]), Mode::Lines);
        let doc = format!(
            "{{\"kind\":\"EventList\",\"items\": [{}",
            "{\"a\":1},".repeat(9000)
        );
        assert_eq!(sniff(&doc.as_bytes()[..64 << 10]), Mode::Scan);
        let aws = format!("{{\"events\":[{}", "{\"message\":\"x\"},".repeat(9000));
        assert_eq!(sniff(&aws.as_bytes()[..64 << 10]), Mode::Scan);
        // A damaged first line among klog lines: still JSON lines.
        let mixed = "{\"a\":1}\"\nW0314 10:00:59 1 warnings.go:70] x\nW0314 x\n{\"b\":2}\n";
        assert_eq!(sniff(mixed.as_bytes()), Mode::Lines);
        // A cut first line among prefixed lines (CSV, CRI, timestamps): still JSON lines.
        let prefixed = "{\"a\":1,\n2026-03-14 10:00:09,\"{}\"\n2026-03-14T10:00:01Z stdout F {}\n{\"b\":2}\n2026-03-14T10:00:04Z {}\n";
        assert_eq!(sniff(prefixed.as_bytes()), Mode::Lines);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"  [ {\"a\":1} ]"), Mode::Scan);
        assert_eq!(sniff(b"{\"a\":1}\n{\"b\":2}\n"), Mode::Lines);
        assert_eq!(sniff(b"{\n  \"kind\": \"EventList\",\n"), Mode::Scan);
        assert_eq!(sniff(b"{\"a\":1}{\"b\":2}\n{\"c\":3}\n"), Mode::Lines);
        assert_eq!(sniff(b"2024-01-02T03:04:05Z {\"a\":1}\n"), Mode::Lines);
    }
}
