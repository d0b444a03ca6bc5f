"""Output sinks: kube-apiserver-style rotation (lumberjack), single file, counting."""

import gzip
import os
import time

from events import US


def rotation_name(us):
    """lumberjack backup name: audit-2026-03-14T10-12-19.834.log"""
    s, frac = divmod(us, US)
    return "audit-%s.%03d.log" % (time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime(s)),
                                   frac // 1000)


class CountingSink:
    """Counts bytes and records without writing (used for calibration)."""

    def __init__(self):
        self.bytes = 0
        self.records = 0

    def write(self, line, t):
        self.bytes += len(line) + 1
        self.records += 1

    def close(self):
        return []


class FileSink:
    """Writes JSON lines, rotating like `--audit-log-maxsize` when rotate_bytes is set.

    Rotated files are renamed to audit-<rotation time>.log and, when gzip is
    on, compressed to .log.gz (as lumberjack's `compress` does).  The file
    currently being written is always `audit.log`.
    """

    BUF = 1 << 20

    def __init__(self, outdir, rotate_bytes=None, compress=True, name="audit.log"):
        self.outdir = outdir
        self.rotate_bytes = rotate_bytes
        self.compress = compress
        self.name = name
        self.path = os.path.join(outdir, name)
        self._open()
        self.files = []          # [(filename, records, raw_bytes, first_ts, last_ts)]
        self.total_bytes = 0
        self.total_records = 0
        self.last_t = 0

    def _open(self):
        self.f = open(self.path, "w", encoding="utf-8", newline="\n")
        self.buf = []
        self.buflen = 0
        self.size = 0
        self.count = 0
        self.first_t = None

    def _flush(self):
        if self.buf:
            self.f.write("".join(self.buf))
            self.buf = []
            self.buflen = 0

    def write(self, line, t):
        n = len(line) + 1   # records are ASCII except rare bodies; close enough for rotation
        if self.rotate_bytes and self.size + n > self.rotate_bytes and self.count:
            self._rotate(t)
        self.buf.append(line)
        self.buf.append("\n")
        self.buflen += n
        self.size += n
        self.count += 1
        self.total_bytes += n
        self.total_records += 1
        if self.first_t is None:
            self.first_t = t
        self.last_t = t
        if self.buflen > self.BUF:
            self._flush()

    def _rotate(self, t):
        self._flush()
        self.f.close()
        base = rotation_name(t)
        dst = os.path.join(self.outdir, base)
        os.replace(self.path, dst)
        if self.compress:
            gz = dst + ".gz"
            with open(dst, "rb") as src, open(gz, "wb") as raw:
                # deterministic: no name, mtime 0
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                   compresslevel=6) as z:
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        z.write(chunk)
            os.remove(dst)
            base += ".gz"
        self.files.append((base, self.count, self.size, self.first_t, self.last_t))
        self._open()

    def append_raw(self, text):
        """Append arbitrary text to the current file (for --with-bad-lines)."""
        self._flush()
        self.f.write(text)

    def close(self):
        self._flush()
        self.f.close()
        self.files.append((self.name, self.count, self.size, self.first_t, self.last_t))
        return self.files
