//! The reader thread of the ingest pipeline: opens each input, sniffs its shape from its
//! head (JSON lines or structural scan, Firehose, CRI, the format its path or head implies),
//! joins CRI partial lines, and cuts records into batches for the parser threads.

use std::io::{Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crossbeam_channel::Sender;

use super::formats;
use super::reject::RecordError;
use super::source::{self, Digested};
use super::split::{self, Piece, Splitter};
use super::work::{FileEnd, RunFile, Work};

const BATCH_RECORDS: usize = 256;
const BATCH_BYTES: usize = 1 << 20;

/// Reader thread: opens each input and cuts it into batches of records.
pub(super) fn read_inputs(
    files: &[RunFile],
    max_record: usize,
    bytes: &Arc<AtomicU64>,
    tx: &Sender<Work>,
) {
    let mut seq = 0u64;
    for (idx, f) in files.iter().enumerate() {
        let end = match source::open(&f.input, Arc::clone(bytes)) {
            Ok(opened) => {
                let digest = opened.digest_handle();
                let gzip = opened.gzip;
                let broken = match split_input(
                    opened.reader,
                    (idx, &f.input.name),
                    max_record,
                    &mut seq,
                    tx,
                ) {
                    SplitEnd::Read { broken } => broken,
                    SplitEnd::Hangup => return,
                };
                let digest = digest
                    .lock()
                    .ok()
                    .and_then(|d| d.clone())
                    .unwrap_or_default();
                FileEnd {
                    digest,
                    gzip,
                    broken,
                    failed: None,
                }
            }
            Err(e) => FileEnd {
                digest: Digested::default(),
                gzip: false,
                broken: None,
                failed: Some(e.to_string()),
            },
        };
        if tx
            .send(Work::FileEnd {
                seq,
                file: idx,
                end,
            })
            .is_err()
        {
            return;
        }
        seq += 1;
    }
}

/// How splitting one input ended.
enum SplitEnd {
    /// The input was read to its end, or until it broke off (why, if it did).
    Read { broken: Option<String> },
    /// The sequencer hung up: reading stops.
    Hangup,
}

/// The first 64 KiB of an input, which its shape is sniffed from, without a byte order mark;
/// and the error that cut it short, if one did.
fn read_head(reader: &mut dyn Read) -> (Vec<u8>, Option<std::io::Error>) {
    let mut head = vec![0u8; 64 * 1024];
    let mut n = 0;
    let mut error = None;
    while n < head.len() {
        match reader.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    head.truncate(n);
    // A byte order mark (Windows and Azure exports; after gzip, and on stdin too) is not
    // part of the first record.
    if head.starts_with(split::BOM) {
        head.drain(..split::BOM.len());
    }
    (head, error)
}

/// Splits one input into batches.
fn split_input(
    mut reader: Box<dyn Read + Send>,
    (file, name): (usize, &str),
    max_record: usize,
    seq: &mut u64,
    tx: &Sender<Work>,
) -> SplitEnd {
    let (head, mut head_error) = read_head(&mut reader);
    let mode = if is_firehose(&head) {
        split::Mode::Scan
    } else {
        split::sniff(&head)
    };
    let format = formats::sniff_file(&head, name);
    let mut joiner = formats::cri::sniff(&head).then(|| formats::cri::Joiner::new(max_record));
    let chained: Box<dyn Read + Send> = if head_error.is_some() {
        Box::new(BrokenAfter {
            inner: Cursor::new(head),
            error: head_error.take(),
        })
    } else {
        Box::new(Cursor::new(head).chain(reader))
    };
    let mut splitter = Splitter::new(chained, mode, max_record);
    let mut pieces = Vec::with_capacity(BATCH_RECORDS);
    let mut batch_bytes = 0;
    let mut tail = Vec::new();
    loop {
        let piece = match splitter.next_piece() {
            Some(p) => p,
            None => match tail.pop() {
                Some(r) => Piece::Record(r),
                None if joiner.is_some() => {
                    tail = joiner.take().map(|mut j| j.finish()).unwrap_or_default();
                    continue;
                }
                None => break,
            },
        };
        let piece = match (piece, joiner.as_mut()) {
            (Piece::Record(r), Some(j)) => match j.push(r) {
                formats::cri::Joined::Record(r) => Piece::Record(r),
                formats::cri::Joined::Held => continue,
                formats::cri::Joined::TooLong { line, len } => Piece::Error {
                    line,
                    error: RecordError::TooLong {
                        len: len as u64,
                        limit: max_record as u64,
                    },
                    excerpt: Vec::new(),
                },
            },
            (piece, _) => piece,
        };
        batch_bytes += match &piece {
            Piece::Record(r) => r.bytes.len(),
            Piece::Error { .. } => 64,
        };
        pieces.push(piece);
        if pieces.len() >= BATCH_RECORDS || batch_bytes >= BATCH_BYTES {
            let batch = std::mem::replace(&mut pieces, Vec::with_capacity(BATCH_RECORDS));
            let work = Work::Batch {
                seq: *seq,
                file,
                pieces: batch,
                bytes: batch_bytes as u64,
                format,
            };
            if tx.send(work).is_err() {
                return SplitEnd::Hangup;
            }
            *seq += 1;
            batch_bytes = 0;
        }
    }
    if !pieces.is_empty() {
        let work = Work::Batch {
            seq: *seq,
            file,
            pieces,
            bytes: batch_bytes as u64,
            format,
        };
        if tx.send(work).is_err() {
            return SplitEnd::Hangup;
        }
        *seq += 1;
    }
    SplitEnd::Read {
        broken: splitter.read_error.map(|e| e.to_string()),
    }
}

/// Firehose delivery: `{"messageType":…}` objects concatenated without newlines, so one
/// "line" may be the whole file: scanned object by object instead.
fn is_firehose(head: &[u8]) -> bool {
    head.first() == Some(&b'{')
        && memchr::memmem::find(&head[..head.len().min(512)], b"\"messageType\"").is_some()
}

/// A reader that yields its inner bytes, then fails with a saved error.
struct BrokenAfter<R> {
    inner: R,
    error: Option<std::io::Error>,
}

impl<R: Read> Read for BrokenAfter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf)? {
            0 => match self.error.take() {
                Some(e) => Err(e),
                None => Ok(0),
            },
            n => Ok(n),
        }
    }
}
