//! The record target: a mutated input cut into records as the reader cuts it (gunzip, sniff,
//! split, CRI join), each record decoded as the parser threads decode it, and what decoded
//! checked: the cheap probe agrees with the full decode, the stored text (redacted or not)
//! decodes again, exec commands and escaped fields hold no raw control character.

use std::io::Read as _;

use kubesift::fuzzing::ingest::formats::{self, Early, NormalizeOptions, cri};
use kubesift::fuzzing::ingest::redact;
use kubesift::fuzzing::ingest::split::{self, Mode, Piece, Splitter};
use kubesift::model::exec::{self, ExecInfo};
use kubesift::model::sanitize::{escape_control, is_unsafe};
use kubesift::model::{AuditEvent, SourceRef};

use crate::corpus::{Corpus, is_gzip};
use crate::driver::{Failure, Input, Target, escape_bytes};
use crate::mutate;

/// Records longer than this are rejected: small, so that the limit is exercised.
const MAX_RECORD: usize = 256 << 10;

pub struct Records {
    corpus: Corpus,
}

impl Target for Records {
    const NAME: &'static str = "records";
    const CASES: u64 = 4000;
    const CASE_SCALE: f64 = 1.0;
    const CAP_SECS: f64 = 50.0;
    const SECS_SHARE: f64 = 1.0;
    const MEMORY_LIMIT: usize = 256 << 20;

    fn new(corpus: &Corpus) -> Self {
        Records {
            corpus: corpus.clone(),
        }
    }

    fn generate(&self, _case: u64, rng: &mut fastrand::Rng) -> Input {
        let c = &self.corpus;
        let Some(seed) = rng.choice(&c.inputs) else {
            return Input::one("empty", Vec::new());
        };
        let data = match rng.u8(0..100) {
            0..5 => mutate::nesting(rng),
            5..10 => seed.bytes.clone(),
            _ => mutate::document(rng, c, seed.plain.clone()),
        };
        Input::one(seed.ingest_path(), data)
    }

    fn check(&mut self, input: &Input) -> Result<(), Failure> {
        let (name, bytes) = &input.files[0];
        let plain = if is_gzip(bytes) {
            let mut out = Vec::new();
            let _ = flate2::read::MultiGzDecoder::new(bytes.as_slice())
                .take(64 << 20)
                .read_to_end(&mut out);
            out
        } else {
            bytes.clone()
        };
        let opts = NormalizeOptions {
            whole: bytes.len() % 2 == 0,
        };
        let format = formats::sniff_file(&plain[..plain.len().min(64 << 10)], name);
        for piece in pieces(&plain) {
            let Piece::Record(r) = piece else { continue };
            let Ok(text) = std::str::from_utf8(&r.bytes) else {
                continue;
            };
            let source = SourceRef {
                file: name.clone(),
                line: r.line,
                record: r.element.map(|e| e.index),
            };
            check_record(text, &source, format.is_none(), opts)?;
        }
        // Every other way of cutting it, and the whole input as one record.
        for mode in [Mode::Lines, Mode::Scan] {
            let n = Splitter::new(plain.as_slice(), mode, MAX_RECORD).count();
            if n > plain.len() + 1 {
                return Err(Failure::new(
                    "splitter",
                    format!("{n} pieces from {} bytes", plain.len()),
                ));
            }
        }
        if plain.len() <= MAX_RECORD
            && let Ok(text) = std::str::from_utf8(&plain)
        {
            let _ = formats::decode(text, &SourceRef::default(), opts);
        }
        Ok(())
    }
}

/// The pieces of an input as the reader thread cuts it (mode, CRI partial lines joined).
fn pieces(plain: &[u8]) -> Vec<Piece> {
    let head = &plain[..plain.len().min(64 << 10)];
    let firehose = head.first() == Some(&b'{')
        && memchr::memmem::find(&head[..head.len().min(512)], b"\"messageType\"").is_some();
    let mode = if firehose {
        Mode::Scan
    } else {
        split::sniff(head)
    };
    let mut joiner = cri::sniff(head).then(|| cri::Joiner::new(MAX_RECORD));
    let mut out = Vec::new();
    for piece in Splitter::new(plain, mode, MAX_RECORD) {
        match (piece, joiner.as_mut()) {
            (Piece::Record(r), Some(j)) => {
                if let cri::Joined::Record(r) = j.push(r) {
                    out.push(Piece::Record(r));
                }
            }
            (p, _) => out.push(p),
        }
    }
    if let Some(mut j) = joiner {
        out.extend(j.finish().into_iter().map(Piece::Record));
    }
    out
}

/// Decodes one record as a parser thread does and checks what came out.
fn check_record(
    text: &str,
    source: &SourceRef,
    early_too: bool,
    opts: NormalizeOptions,
) -> Result<(), Failure> {
    let decoded = formats::decode(text, source, opts);
    if early_too && let Early::Deferred(probe, _) = formats::decode_early(text, source, opts) {
        let ok: Vec<&str> = decoded
            .iter()
            .filter_map(|d| d.as_ref().ok())
            .map(|d| d.event.audit_id.as_str())
            .collect();
        if ok != [probe.audit_id.as_str()] {
            let why = decoded
                .iter()
                .find_map(|d| d.as_ref().err())
                .map(ToString::to_string)
                .unwrap_or_default();
            return Err(Failure::new(
                "deferred-record-does-not-decode",
                format!(
                    "the RequestReceived probe accepted auditID {:?}; the full decode gives {ok:?} ({why})\n    record: {}",
                    probe.audit_id,
                    escape_bytes(text.as_bytes(), 600)
                ),
            ));
        }
    }
    for d in decoded.into_iter().flatten() {
        check_event(&d.event, &d.raw, opts).map_err(|mut f| {
            f.detail = format!(
                "{}\n    stored: {}",
                f.detail,
                escape_bytes(d.raw.as_bytes(), 600)
            );
            f
        })?;
    }
    Ok(())
}

/// What a decoded event must satisfy: its stored text (redacted as it would be) decodes to
/// the same request, and nothing in it reaches a terminal raw.
fn check_event(e: &AuditEvent, raw: &str, opts: NormalizeOptions) -> Result<(), Failure> {
    let again = |text: &str, what: &str| -> Result<(), Failure> {
        match formats::renormalize(text, e.format, e.source.clone(), opts) {
            Ok(a) if a.audit_id == e.audit_id && a.verb == e.verb => Ok(()),
            Ok(a) => Err(Failure::new(
                what,
                format!(
                    "decodes as auditID {:?} verb {:?}, was {:?} {:?}",
                    a.audit_id, a.verb, e.audit_id, e.verb
                ),
            )),
            Err(err) => Err(Failure::new(what, format!("{err} (format {:?})", e.format))),
        }
    };
    again(raw, "stored-record-does-not-decode")?;
    if redact::needs_redaction(e, raw)
        && let Some(redacted) = redact::redact_record(raw, redact::Scope::of(e))
    {
        again(&redacted, "redacted-record-does-not-decode")?;
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) {
        let _ = kubesift::tui::jsontree::JsonTree::new(v).lines();
    }
    for s in [
        e.user.username.as_str(),
        &e.request_uri,
        &e.user_agent,
        &e.object.name,
        &e.status_message,
    ] {
        if escape_control(s).chars().any(is_unsafe) {
            return Err(Failure::new(
                "escape",
                format!("{s:?} escapes to unsafe text"),
            ));
        }
    }
    if let Some(x) = &e.exec
        && x.command_line.chars().any(char::is_control)
    {
        return Err(Failure::new(
            "exec-command-line-raw-control",
            format!("{:?} from {:?}", x.command_line, x.command),
        ));
    }
    for (res, sub) in [
        ("pods", "exec"),
        ("pods", "portforward"),
        ("nodes", "proxy"),
    ] {
        let _ = ExecInfo::from_request(res, sub, &e.request_uri);
    }
    let _ = exec::decode_uri(&e.request_uri);
    let path = kubesift::detect::facts::normalize_path(&e.request_uri);
    let _ = kubesift::detect::facts::sensitive_host_path(&path);
    let _ = kubesift::fuzzing::case::event_ref(e);
    Ok(())
}
