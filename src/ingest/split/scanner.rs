//! The structural JSON scanner behind [`super::Mode::Scan`]: finds where values end by
//! tracking nesting and strings, streams the elements of a top-level array and of a wrapper
//! object's array, and skips over-long values without holding them. It keeps a depth
//! counter, not a stack: nesting costs no memory and no recursion.

use super::{Element, Piece, Wrapper, excerpt};
use crate::ingest::reject::RecordError;

pub(super) enum Step {
    Value {
        start: usize,
        end: usize,
        line: u64,
        element: Option<Element>,
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
    /// A long line scanned in lines mode ended with nothing open.
    LineEnd,
    NeedMore,
}

/// What the scanner is inside of at the top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Container {
    /// Values at depth 0 are records.
    #[default]
    Top,
    /// A top-level array: its elements (depth 1) are records.
    Array,
    /// The array under a wrapper key of a top-level object: its elements (depth 2) are
    /// records; the wrapper's other keys are not.
    Wrapper(Wrapper),
    /// The rest of a wrapper object after its array (`nextToken`…): skipped to its end.
    Tail,
}

/// Structural JSON scanner: tracks nesting and strings to find where values end.
#[derive(Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "independent flags of the scanner's state, each tested on every byte"
)]
pub(super) struct Scanner {
    /// Offset in the buffer where the current value started, when inside one.
    value_start: Option<usize>,
    value_line: u64,
    depth: u32,
    container: Container,
    /// Elements of the current array met so far.
    index: u64,
    in_string: bool,
    escaped: bool,
    /// Inside a bare scalar element of an array (`1`, `true`): a (bad) record of its own.
    in_scalar: bool,
    /// The depth-0 value being read is an object, whose keys may name a wrapper.
    top_object: bool,
    /// Start of the string being read, when it may be a key of the top-level object.
    key_start: Option<usize>,
    /// A wrapper key was just read, and whether its colon was too.
    pending: Option<(Wrapper, bool)>,
    /// Scanning one long line of a JSON lines input: stop at its end.
    pub(super) line_bound: bool,
    /// Where scanning resumes, relative to the buffer.
    cursor: usize,
    /// Skipping an over-long value: bytes skipped so far and its head.
    skipping: Option<(u64, Vec<u8>)>,
}

impl Scanner {
    pub(super) fn shift(&mut self, by: usize) {
        self.cursor = self.cursor.saturating_sub(by);
        if let Some(s) = self.value_start.as_mut() {
            *s = s.saturating_sub(by);
        }
        self.key_start = self.key_start.and_then(|k| k.checked_sub(by));
    }

    /// The depth at which values are records.
    fn record_depth(&self) -> u32 {
        match self.container {
            Container::Top | Container::Tail => 0,
            Container::Array => 1,
            Container::Wrapper(_) => 2,
        }
    }

    pub(super) fn step(&mut self, buf: &[u8], pos: &mut usize, line: &mut u64, max: usize) -> Step {
        if self.cursor < *pos {
            self.cursor = *pos;
        }
        while self.cursor < buf.len() {
            let step = if self.in_string {
                self.string_bytes(buf, pos, line)
            } else {
                self.structural_byte(buf, pos, line)
            };
            if let Some(step) = step {
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
                if let Some(k) = self.key_start.take() {
                    self.pending = Wrapper::from_key(&buf[k..self.cursor - 1]).map(|w| (w, false));
                }
                // A string element of an array is a (bad) record of its own.
                if self.depth == self.record_depth() && self.value_start.is_some() {
                    return Some(self.emit(pos));
                }
            }
            b'\\' => self.escaped = true,
            _ => {
                // A raw newline inside a string: the value is broken.
                let at = *line;
                *line += 1;
                let err = RecordError::Truncated("unterminated string at end of line".into());
                return Some(self.broken(buf, pos, at, err));
            }
        }
        None
    }

    fn structural_byte(&mut self, buf: &[u8], pos: &mut usize, line: &mut u64) -> Option<Step> {
        let b = buf[self.cursor];
        if self.in_scalar {
            if matches!(b, b',' | b']' | b'}') || b.is_ascii_whitespace() {
                self.in_scalar = false;
                return Some(self.emit(pos));
            }
            self.cursor += 1;
            return None;
        }
        self.cursor += 1;
        if self.container == Container::Tail {
            return self.tail_byte(b, buf, pos, line);
        }
        let outside = self.value_start.is_none();
        let rd = self.record_depth();
        // A wrapper key survives only its colon and whitespace before its `[`.
        let pending = self.pending.take();
        match b {
            b'\n' => {
                *line += 1;
                if self.line_bound {
                    return Some(self.line_end(buf, pos, *line - 1));
                }
                if outside {
                    *pos = self.cursor;
                }
                self.pending = pending;
            }
            b' ' | b'\t' | b'\r' => {
                if outside {
                    *pos = self.cursor;
                }
                self.pending = pending;
            }
            b':' if !outside => self.pending = pending.map(|(w, _)| (w, true)),
            b',' if outside && rd > 0 => *pos = self.cursor,
            b']' if outside && rd > 0 && self.depth == rd => self.close_array(pos),
            b'[' if outside && self.depth == 0 => {
                self.container = Container::Array;
                self.index = 0;
                self.depth = 1;
                *pos = self.cursor;
            }
            b'[' if self.container == Container::Top
                && self.depth == 1
                && matches!(pending, Some((_, true))) =>
            {
                if let Some((w, _)) = pending {
                    self.open_wrapper(w, pos);
                }
            }
            b'"' => {
                if self.container == Container::Top && self.top_object && self.depth == 1 {
                    self.key_start = Some(self.cursor);
                }
                self.begin(*line, b);
                self.in_string = true;
            }
            b'{' | b'[' => {
                self.begin(*line, b);
                self.depth += 1;
            }
            b'}' | b']' => {
                if outside || self.depth <= rd {
                    return Some(self.garbage_to_eol(buf, pos, line, "unbalanced closing bracket"));
                }
                self.depth -= 1;
                if self.depth == rd {
                    return Some(self.emit(pos));
                }
            }
            _ if outside && rd > 0 && self.depth == rd => {
                self.begin(*line, b);
                self.in_scalar = true;
            }
            _ if outside => {
                return Some(self.garbage_to_eol(buf, pos, line, "text outside any JSON value"));
            }
            _ => {}
        }
        None
    }

    /// After a wrapper's array: skips the rest of the wrapper object.
    fn tail_byte(&mut self, b: u8, buf: &[u8], pos: &mut usize, line: &mut u64) -> Option<Step> {
        *pos = self.cursor;
        match b {
            b'\n' => {
                *line += 1;
                if self.line_bound {
                    return Some(self.line_end(buf, pos, *line - 1));
                }
            }
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    self.container = Container::Top;
                }
            }
            _ => {}
        }
        None
    }

    /// Enters the array under a wrapper key: the wrapper object itself is not a record.
    fn open_wrapper(&mut self, w: Wrapper, pos: &mut usize) {
        self.container = Container::Wrapper(w);
        self.value_start = None;
        self.skipping = None;
        self.depth = 2;
        self.index = 0;
        *pos = self.cursor;
    }

    fn close_array(&mut self, pos: &mut usize) {
        *pos = self.cursor;
        if self.container == Container::Array {
            self.container = Container::Top;
            self.depth = 0;
        } else {
            self.container = Container::Tail;
            self.depth = 1;
        }
    }

    /// The end of a long line scanned in lines mode: back to lines, reporting whatever the
    /// line left open.
    fn line_end(&mut self, buf: &[u8], pos: &mut usize, line: u64) -> Step {
        if self.value_start.is_none() && self.container == Container::Top && self.depth == 0 {
            *pos = self.cursor;
            self.line_bound = false;
            return Step::LineEnd;
        }
        let err = RecordError::Truncated("the line ends inside a JSON value".into());
        self.broken(buf, pos, line, err)
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

    fn begin(&mut self, line: u64, first: u8) {
        if self.value_start.is_none() {
            self.value_start = Some(self.cursor - 1);
            self.value_line = line;
            if self.container == Container::Top && self.depth == 0 {
                self.top_object = first == b'{';
            }
        }
    }

    /// Counts an element of the array being streamed.
    fn note_element(&mut self) -> Option<Element> {
        let wrapper = match self.container {
            Container::Array => None,
            Container::Wrapper(w) => Some(w),
            Container::Top | Container::Tail => return None,
        };
        let element = Element {
            index: self.index,
            wrapper,
        };
        self.index += 1;
        Some(element)
    }

    fn emit(&mut self, pos: &mut usize) -> Step {
        let start = self.value_start.take().unwrap_or(*pos);
        *pos = self.cursor;
        let element = self.note_element();
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
            element,
        }
    }

    /// A value cut by the end of its line; `line` is where the line ended.
    fn broken(&mut self, buf: &[u8], pos: &mut usize, line: u64, error: RecordError) -> Step {
        let (start, line) = match self.value_start.take() {
            Some(s) => (s, self.value_line),
            None => (*pos, line),
        };
        self.note_element();
        self.reset_value();
        *pos = self.cursor;
        self.skipping = None;
        Step::Garbage {
            start: start.min(self.cursor),
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
        self.note_element();
        self.reset_value();
        self.skipping = None;
        *pos = self.cursor;
        Step::Garbage {
            start: start.min(end),
            end,
            line: at_line,
            error: RecordError::NotJson(why.to_owned()),
        }
    }

    /// Forgets the value being read. A long line scanned in lines mode ends with it: nothing
    /// carries over to the next line.
    fn reset_value(&mut self) {
        self.in_string = false;
        self.escaped = false;
        self.in_scalar = false;
        self.key_start = None;
        self.pending = None;
        if self.line_bound || self.container == Container::Tail {
            self.line_bound = false;
            self.container = Container::Top;
        }
        self.depth = self.record_depth();
    }

    /// End of input: a value (or a document) still open was cut off.
    pub(super) fn finish(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        line: u64,
        stream_broken: bool,
    ) -> Option<Piece> {
        let (start, line, why) = match self.value_start.take() {
            Some(s) => (s, self.value_line, "input ends inside a JSON value"),
            None if self.container != Container::Top => {
                (*pos, line, "input ends before its JSON document is closed")
            }
            None => return None,
        };
        *pos = buf.len();
        self.container = Container::Top;
        self.line_bound = false;
        self.reset_value();
        self.skipping = None;
        let error = if stream_broken {
            RecordError::TruncatedGzip
        } else {
            RecordError::Truncated(why.into())
        };
        Some(Piece::Error {
            line,
            error,
            excerpt: excerpt(&buf[start.min(buf.len())..]),
        })
    }
}
