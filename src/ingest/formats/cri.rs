//! Container stdout: CRI log lines (`<RFC 3339 time> stdout|stderr F|P <content>`, `P`
//! marking a partial line continued by the next of the same stream), and klog lines
//! (`I0102 03:04:05.123456 1 file.go:12] …`) interleaved with audit events when the API
//! server logs audit to stdout (minikube). klog lines are skipped and counted, not rejected.

use super::Out;
use crate::ingest::split::RawRecord;
use crate::model::SourceFormat;

/// A CRI line cut into its parts.
pub struct CriLine<'a> {
    pub time: &'a str,
    pub stream: &'a str,
    pub partial: bool,
    pub content: &'a str,
}

/// Cuts a CRI log line; `None` when the line is not one.
pub fn split(line: &str) -> Option<CriLine<'_>> {
    let (time, rest) = line.split_once(' ')?;
    if !super::eks::looks_like_time(time) {
        return None;
    }
    let (stream, rest) = rest.split_once(' ')?;
    if stream != "stdout" && stream != "stderr" {
        return None;
    }
    let (tag, content) = rest.split_once(' ').unwrap_or((rest, ""));
    // The tag may carry more flags after a colon (`F:x`); the first is full / partial.
    let partial = match tag.split(':').next() {
        Some("P") => true,
        Some("F") => false,
        _ => return None,
    };
    Some(CriLine {
        time,
        stream,
        partial,
        content,
    })
}

/// Marks the native events decoded from the content of a CRI line (already joined) as read
/// from container output.
pub(super) fn mark(out: &mut Out<'_>) {
    for d in out.iter_mut().flatten() {
        if d.event.format == SourceFormat::Native {
            d.event.format = SourceFormat::Cri;
        }
    }
}

/// A klog header: `Lmmdd hh:mm:ss.uuuuuu`.
pub fn is_klog(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 21
        && matches!(b[0], b'I' | b'W' | b'E' | b'F')
        && b[1..5].iter().all(u8::is_ascii_digit)
        && b[5] == b' '
        && b[8] == b':'
        && b[11] == b':'
        && b[14] == b'.'
}

/// Joins CRI partial lines (`P`) into the full line (`F`) that ends them, per stream. Runs
/// where records are cut, before decoding, so a joined line decodes as one record.
#[derive(Default)]
pub struct Joiner {
    /// Per stream: the line the first chunk was on, its time, and the content so far.
    open: Vec<(String, u64, String, String)>,
    max: usize,
}

/// What the joiner made of a record.
pub enum Joined {
    /// A record to decode (a whole line, or partial chunks joined).
    Record(RawRecord),
    /// A partial chunk held back.
    Held,
    /// The joined line grew past the record limit: its first line and length.
    TooLong { line: u64, len: usize },
}

impl Joiner {
    pub fn new(max: usize) -> Joiner {
        Joiner {
            open: Vec::new(),
            max,
        }
    }

    pub fn push(&mut self, rec: RawRecord) -> Joined {
        let Ok(text) = std::str::from_utf8(&rec.bytes) else {
            return Joined::Record(rec);
        };
        let Some(cri) = split(text) else {
            return Joined::Record(rec);
        };
        let slot = self.open.iter().position(|(s, ..)| s == cri.stream);
        match (cri.partial, slot) {
            (true, Some(i)) => {
                self.open[i].3.push_str(cri.content);
                if self.open[i].3.len() > self.max {
                    let (_, line, _, buf) = self.open.swap_remove(i);
                    return Joined::TooLong {
                        line,
                        len: buf.len(),
                    };
                }
                Joined::Held
            }
            (true, None) => {
                self.open.push((
                    cri.stream.to_owned(),
                    rec.line,
                    cri.time.to_owned(),
                    cri.content.to_owned(),
                ));
                Joined::Held
            }
            (false, None) => Joined::Record(rec),
            (false, Some(i)) => {
                let (stream, line, _, mut buf) = self.open.swap_remove(i);
                buf.push_str(cri.content);
                let joined = format!("{} {stream} F {buf}", cri.time);
                Joined::Record(RawRecord {
                    line,
                    bytes: joined.into_bytes(),
                    element: None,
                })
            }
        }
    }

    /// Partial lines never ended (the file was cut): returned as they are, with the time of
    /// their first chunk.
    pub fn finish(&mut self) -> Vec<RawRecord> {
        self.open
            .drain(..)
            .map(|(stream, line, time, buf)| RawRecord {
                line,
                bytes: format!("{time} {stream} F {buf}").into_bytes(),
                element: None,
            })
            .collect()
    }
}

/// Whether the head of an input is CRI log lines (so partial lines must be joined).
pub fn sniff(head: &[u8]) -> bool {
    let first = head.split(|b| *b == b'\n').find(|l| !l.is_empty());
    first.is_some_and(|l| std::str::from_utf8(l).is_ok_and(|s| split(s).is_some()))
}

/// Whether the head of an input mixes klog lines with JSON lines (container stdout).
pub fn sniff_stdout(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut klog = false;
    let mut json = false;
    for line in text.lines().take(200) {
        let content = split(line).map_or(line, |c| c.content);
        klog |= is_klog(content);
        json |= content.trim_start().starts_with('{');
    }
    klog && json
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::formats::NormalizeOptions;
    use crate::model::SourceRef;

    const E: &str = r#"{"kind":"Event","auditID":"a1","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/pods","user":{"username":"bob"},"requestReceivedTimestamp":"2024-01-02T03:04:05.000000Z"}"#;

    fn rec(line: u64, s: &str) -> RawRecord {
        RawRecord {
            line,
            bytes: s.as_bytes().to_vec(),
            element: None,
        }
    }

    #[test]
    fn partial_lines_are_joined() {
        let (head, rest) = E.split_at(40);
        let mut joiner = Joiner::new(1 << 20);
        assert!(matches!(
            joiner.push(rec(1, &format!("2024-01-02T03:04:05.1Z stdout P {head}"))),
            Joined::Held
        ));
        assert!(matches!(
            joiner.push(rec(
                2,
                "2024-01-02T03:04:05.1Z stderr F I0102 03:04:05.000000 1 x.go:1] hi"
            )),
            Joined::Record(_)
        ));
        let Joined::Record(r) =
            joiner.push(rec(3, &format!("2024-01-02T03:04:05.2Z stdout F {rest}")))
        else {
            panic!("not joined");
        };
        assert_eq!(r.line, 1);
        let text = String::from_utf8(r.bytes).unwrap();
        let out = crate::ingest::formats::decode(
            &text,
            &SourceRef::default(),
            NormalizeOptions::default(),
        );
        let d = out.into_iter().next().unwrap().unwrap();
        assert_eq!(
            (d.event.audit_id.as_str(), d.event.format),
            ("a1", SourceFormat::Cri)
        );
        assert_eq!(d.raw, E);
    }

    #[test]
    fn klog_lines_are_skipped() {
        let line =
            "I0102 03:04:05.123456       1 controller.go:611] quota admission added evaluator";
        assert!(is_klog(line));
        let out = crate::ingest::formats::decode(
            line,
            &SourceRef::default(),
            NormalizeOptions::default(),
        );
        assert_eq!(
            out[0].as_ref().err().map(crate::ingest::RecordError::kind),
            Some("not-audit")
        );
        let cri = format!("2024-01-02T03:04:05.1Z stderr F {line}");
        let out = crate::ingest::formats::decode(
            &cri,
            &SourceRef::default(),
            NormalizeOptions::default(),
        );
        assert_eq!(
            out[0].as_ref().err().map(crate::ingest::RecordError::kind),
            Some("not-audit")
        );
        assert!(sniff_stdout(format!("{line}\n{E}\n").as_bytes()));
        assert!(sniff(cri.as_bytes()));
    }
}
