//! Cutting a byte stream into records. Two modes, chosen per input by its first bytes:
//! JSON lines (one record per line, the fast path), and a structural scanner for JSON
//! documents spanning lines (a pretty-printed array, an `EventList`, objects concatenated
//! with no separator). Both stream with bounded memory: a record longer than the limit is
//! skipped and reported, never buffered whole.

use std::io::{self, Read};

use super::reject::RecordError;

/// One record: its bytes, and the 1-based line its first byte is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    pub line: u64,
    pub bytes: Vec<u8>,
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
/// first line is not a complete JSON value, is scanned structurally.
pub fn sniff(head: &[u8]) -> Mode {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..];
    match head.first() {
        Some(b'[') => Mode::Scan,
        Some(b'{') => {
            let line_end = memchr::memchr(b'\n', head).unwrap_or(head.len());
            let first = &head[..line_end];
            if memchr::memchr(b'\n', head).is_none() && head.len() < 64 * 1024 {
                // A whole small input on one line: lines mode handles it.
                return Mode::Lines;
            }
            let complete = serde_json::from_slice::<serde::de::IgnoredAny>(first).is_ok()
                || concatenated(first);
            if complete { Mode::Lines } else { Mode::Scan }
        }
        _ => Mode::Lines,
    }
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
    buf: Vec<u8>,
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

impl<R: Read> Splitter<R> {
    pub fn new(reader: R, mode: Mode, max_record: usize) -> Self {
        Splitter {
            reader,
            mode,
            max_record,
            buf: Vec::with_capacity(READ_SIZE * 2),
            pos: 0,
            line: 1,
            eof: false,
            read_error: None,
            scanner: Scanner::default(),
        }
    }

    /// Reads more input; returns false at the end of input.
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.scanner.shift(self.pos);
            self.pos = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + READ_SIZE, 0);
        loop {
            match self.reader.read(&mut self.buf[old..]) {
                Ok(0) => {
                    self.buf.truncate(old);
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.buf.truncate(old + n);
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(old);
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
            Mode::Scan => self.next_scanned(),
        }
    }

    fn next_line(&mut self) -> Option<Piece> {
        loop {
            let window = &self.buf[self.pos..];
            if let Some(nl) = memchr::memchr(b'\n', window) {
                let line = self.line;
                let start = self.pos;
                self.pos += nl + 1;
                self.line += 1;
                let bytes = trim(&self.buf[start..start + nl]);
                if bytes.is_empty() {
                    continue;
                }
                if bytes.len() > self.max_record {
                    return Some(self.too_long(line, bytes.len() as u64, bytes.to_vec()));
                }
                return Some(Piece::Record(RawRecord {
                    line,
                    bytes: bytes.to_vec(),
                }));
            }
            if window.len() > self.max_record {
                return Some(self.skip_long_line());
            }
            if !self.fill() {
                return self.last_line();
            }
        }
    }

    /// The final line without a newline: a record, unless the stream broke off.
    fn last_line(&mut self) -> Option<Piece> {
        let bytes = trim(&self.buf[self.pos..]).to_vec();
        self.pos = self.buf.len();
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
        Some(Piece::Record(RawRecord { line, bytes }))
    }

    /// Consumes a line longer than the limit without holding it.
    fn skip_long_line(&mut self) -> Piece {
        let line = self.line;
        let head = excerpt(&self.buf[self.pos..]);
        let mut len = 0u64;
        loop {
            let window = &self.buf[self.pos..];
            if let Some(nl) = memchr::memchr(b'\n', window) {
                len += nl as u64;
                self.pos += nl + 1;
                self.line += 1;
                break;
            }
            len += window.len() as u64;
            self.pos = self.buf.len();
            if !self.fill() {
                break;
            }
        }
        self.too_long(line, len, head)
    }

    fn too_long(&self, line: u64, len: u64, bytes: Vec<u8>) -> Piece {
        Piece::Error {
            line,
            error: RecordError::TooLong {
                len,
                limit: self.max_record as u64,
            },
            excerpt: excerpt(&bytes),
        }
    }

    fn next_scanned(&mut self) -> Option<Piece> {
        loop {
            match self
                .scanner
                .step(&self.buf, &mut self.pos, &mut self.line, self.max_record)
            {
                Step::Value { start, end, line } => {
                    return Some(Piece::Record(RawRecord {
                        line,
                        bytes: self.buf[start..end].to_vec(),
                    }));
                }
                Step::Garbage {
                    start,
                    end,
                    line,
                    error,
                } => {
                    return Some(Piece::Error {
                        line,
                        error,
                        excerpt: excerpt(&self.buf[start..end]),
                    });
                }
                Step::TooLong { line, len, head } => {
                    return Some(Piece::Error {
                        line,
                        error: RecordError::TooLong {
                            len,
                            limit: self.max_record as u64,
                        },
                        excerpt: head,
                    });
                }
                Step::NeedMore => {
                    if !self.fill() {
                        return self.scanner.finish(
                            &self.buf,
                            &mut self.pos,
                            self.read_error.is_some(),
                        );
                    }
                }
            }
        }
    }
}

impl<R: Read> Iterator for Splitter<R> {
    type Item = Piece;
    fn next(&mut self) -> Option<Piece> {
        self.next_piece()
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

fn excerpt(b: &[u8]) -> Vec<u8> {
    b[..b.len().min(512)].to_vec()
}

enum Step {
    Value {
        start: usize,
        end: usize,
        line: u64,
    },
    Garbage {
        start: usize,
        end: usize,
        line: u64,
        error: RecordError,
    },
    TooLong {
        line: u64,
        len: u64,
        head: Vec<u8>,
    },
    NeedMore,
}

/// Structural JSON scanner: tracks nesting and strings to find where values end. Values at
/// depth 0 are records; the elements of a depth-0 array are records (so a huge array streams).
#[derive(Default)]
struct Scanner {
    /// Offset in the buffer where the current value started, when inside one.
    value_start: Option<usize>,
    value_line: u64,
    depth: u32,
    /// Depth at which records are emitted: 0, or 1 inside a top-level array.
    record_depth: u32,
    in_array: bool,
    in_string: bool,
    escaped: bool,
    /// Where scanning resumes, relative to the buffer.
    cursor: usize,
    /// Skipping an over-long value: bytes skipped so far and its head.
    skipping: Option<(u64, Vec<u8>)>,
}

impl Scanner {
    fn shift(&mut self, by: usize) {
        self.cursor = self.cursor.saturating_sub(by);
        if let Some(s) = self.value_start.as_mut() {
            *s -= by;
        }
    }

    fn step(&mut self, buf: &[u8], pos: &mut usize, line: &mut u64, max: usize) -> Step {
        if self.cursor < *pos {
            self.cursor = *pos;
        }
        while self.cursor < buf.len() {
            if self.in_string {
                if let Some(step) = self.string_bytes(buf, pos, line) {
                    return step;
                }
            } else if let Some(step) = self.structural_byte(buf, pos, line) {
                return step;
            }
            self.check_len(buf, pos, max);
        }
        Step::NeedMore
    }

    /// Inside a string: jumps to the next quote or backslash.
    fn string_bytes(&mut self, buf: &[u8], pos: &mut usize, line: &mut u64) -> Option<Step> {
        if self.escaped {
            self.escaped = false;
            self.cursor += 1;
            return None;
        }
        let rest = &buf[self.cursor..];
        let Some(i) = memchr::memchr3(b'"', b'\\', b'\n', rest) else {
            self.cursor = buf.len();
            return None;
        };
        self.cursor += i + 1;
        match rest[i] {
            b'"' => {
                self.in_string = false;
                // A string element of a top-level array is a (bad) record of its own.
                if self.depth == self.record_depth && self.value_start.is_some() {
                    return Some(self.emit(pos));
                }
            }
            b'\\' => self.escaped = true,
            _ => {
                // A raw newline inside a string: the value is broken.
                *line += 1;
                let err = RecordError::Truncated("unterminated string at end of line".into());
                return Some(self.broken(buf, pos, err));
            }
        }
        None
    }

    fn structural_byte(&mut self, buf: &[u8], pos: &mut usize, line: &mut u64) -> Option<Step> {
        let b = buf[self.cursor];
        self.cursor += 1;
        let outside = self.value_start.is_none();
        match b {
            b'\n' => {
                *line += 1;
                if outside {
                    *pos = self.cursor;
                }
            }
            b' ' | b'\t' | b'\r' if outside => *pos = self.cursor,
            b' ' | b'\t' | b'\r' => {}
            b',' if outside && self.in_array => *pos = self.cursor,
            b']' if outside && self.in_array && self.depth == 1 => {
                self.in_array = false;
                self.depth = 0;
                self.record_depth = 0;
                *pos = self.cursor;
            }
            b'[' if outside && self.depth == 0 => {
                self.in_array = true;
                self.depth = 1;
                self.record_depth = 1;
                *pos = self.cursor;
            }
            b'"' => {
                self.begin(*line);
                self.in_string = true;
            }
            b'{' | b'[' => {
                self.begin(*line);
                self.depth += 1;
            }
            b'}' | b']' => {
                if outside || self.depth <= self.record_depth {
                    return Some(self.garbage_to_eol(buf, pos, line, "unbalanced closing bracket"));
                }
                self.depth -= 1;
                if self.depth == self.record_depth {
                    return Some(self.emit(pos));
                }
            }
            _ if outside => {
                return Some(self.garbage_to_eol(buf, pos, line, "text outside any JSON value"));
            }
            _ => {}
        }
        None
    }

    /// Drops the head of a value that exceeds the limit, keeping its structure scanned, so the
    /// buffer never holds more than the limit.
    fn check_len(&mut self, buf: &[u8], pos: &mut usize, max: usize) {
        if let Some(start) = self.value_start
            && self.cursor - start > max
        {
            let entry = self
                .skipping
                .get_or_insert_with(|| (0, excerpt(&buf[start..])));
            entry.0 += (self.cursor - start) as u64;
            self.value_start = Some(self.cursor);
            *pos = self.cursor;
        }
    }

    fn begin(&mut self, line: u64) {
        if self.value_start.is_none() {
            self.value_start = Some(self.cursor - 1);
            self.value_line = line;
        }
    }

    fn emit(&mut self, pos: &mut usize) -> Step {
        let start = self.value_start.take().unwrap_or(*pos);
        *pos = self.cursor;
        if let Some((len, head)) = self.skipping.take() {
            return Step::TooLong {
                line: self.value_line,
                len: len + (self.cursor - start) as u64,
                head,
            };
        }
        Step::Value {
            start,
            end: self.cursor,
            line: self.value_line,
        }
    }

    fn broken(&mut self, buf: &[u8], pos: &mut usize, error: RecordError) -> Step {
        let start = self.value_start.take().unwrap_or(*pos);
        let line = self.value_line;
        self.reset_value();
        *pos = self.cursor;
        self.skipping = None;
        Step::Garbage {
            start,
            end: self.cursor.min(buf.len()),
            line,
            error,
        }
    }

    fn garbage_to_eol(&mut self, buf: &[u8], pos: &mut usize, line: &mut u64, why: &str) -> Step {
        let start = self.value_start.take().unwrap_or(self.cursor - 1);
        let at_line = *line;
        let end = memchr::memchr(b'\n', &buf[self.cursor..]).map_or(buf.len(), |i| self.cursor + i);
        self.cursor = end;
        self.reset_value();
        *pos = self.cursor;
        Step::Garbage {
            start: start.min(end),
            end,
            line: at_line,
            error: RecordError::NotJson(why.to_owned()),
        }
    }

    fn reset_value(&mut self) {
        self.depth = self.record_depth;
        self.in_string = false;
        self.escaped = false;
    }

    /// End of input: a value still open was cut off.
    fn finish(&mut self, buf: &[u8], pos: &mut usize, stream_broken: bool) -> Option<Piece> {
        let start = self.value_start.take()?;
        let line = self.value_line;
        *pos = buf.len();
        self.reset_value();
        let error = if stream_broken {
            RecordError::TruncatedGzip
        } else {
            RecordError::Truncated("input ends inside a JSON value".into())
        };
        Some(Piece::Error {
            line,
            error,
            excerpt: excerpt(&buf[start..]),
        })
    }
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

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"  [ {\"a\":1} ]"), Mode::Scan);
        assert_eq!(sniff(b"{\"a\":1}\n{\"b\":2}\n"), Mode::Lines);
        assert_eq!(sniff(b"{\n  \"kind\": \"EventList\",\n"), Mode::Scan);
        assert_eq!(sniff(b"{\"a\":1}{\"b\":2}\n{\"c\":3}\n"), Mode::Lines);
        assert_eq!(sniff(b"2024-01-02T03:04:05Z {\"a\":1}\n"), Mode::Lines);
    }
}
