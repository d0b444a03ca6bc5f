//! Timestamps: microseconds since the Unix epoch, UTC. Parsing is lenient about the shapes
//! exports use (`2024-01-02 03:04:05.38`, missing zone, nanoseconds); printing is RFC 3339.

use std::fmt;
use std::str::FromStr;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::Serialize;

/// A point in time, microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Micros(pub i64);

impl Micros {
    pub const SECOND: i64 = 1_000_000;
    pub const MINUTE: i64 = 60 * Self::SECOND;
    pub const HOUR: i64 = 60 * Self::MINUTE;

    /// Parses an RFC 3339 timestamp, tolerating a space instead of `T`, a missing zone
    /// (taken as UTC) and 0–9 fractional digits.
    pub fn parse(s: &str) -> Option<Micros> {
        let s = s.trim();
        if let Some(m) = parse_fast_utc(s.as_bytes()) {
            return Some(m);
        }
        if let Ok(ts) = Timestamp::from_str(s) {
            return Some(Micros::from_timestamp(ts));
        }
        let normalized = s.replacen(' ', "T", 1);
        if let Ok(ts) = Timestamp::from_str(&normalized) {
            return Some(Micros::from_timestamp(ts));
        }
        let civil = DateTime::from_str(&normalized).ok()?;
        let ts = civil.to_zoned_datetime(TimeZone::UTC).ok()?.timestamp();
        Some(Micros::from_timestamp(ts))
    }

    pub fn from_timestamp(ts: Timestamp) -> Micros {
        Micros(ts.as_microsecond())
    }

    pub fn to_timestamp(self) -> Timestamp {
        Timestamp::from_microsecond(self.0).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// RFC 3339 in UTC with microseconds: `2024-01-02T03:04:05.123456Z`.
    pub fn rfc3339(self) -> String {
        self.to_string()
    }

    /// The time in `tz`, formatted for a table: `2024-01-02 03:04:05.123`.
    pub fn display_in(self, tz: &TimeZone) -> String {
        let zoned: ZonedDateTime = self.to_timestamp().to_zoned_datetime(tz.clone());
        zoned.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }

    pub fn saturating_add(self, micros: i64) -> Micros {
        Micros(self.0.saturating_add(micros))
    }
}

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ts = self.to_timestamp();
        write!(f, "{}", ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"))
    }
}

impl Serialize for Micros {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Formats a duration in microseconds as `1h02m03s`, `4m05s`, `6.5s` or `120ms`.
pub fn format_duration(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let m = micros.unsigned_abs();
    let secs = m / 1_000_000;
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{sign}{h}h{mi:02}m{s:02}s")
    } else if mi > 0 {
        format!("{sign}{mi}m{s:02}s")
    } else if secs > 0 {
        format!("{sign}{}.{}s", secs, m % 1_000_000 / 100_000)
    } else {
        format!("{sign}{}ms", m / 1000)
    }
}

/// The common API-server shape `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z`, parsed without allocation.
fn parse_fast_utc(b: &[u8]) -> Option<Micros> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let frac = &b[19..b.len() - 1];
    let micros_frac = match frac {
        [] => 0,
        [b'.', digits @ ..] if !digits.is_empty() && digits.len() <= 9 => {
            let mut v = 0i64;
            for (i, &c) in digits.iter().enumerate() {
                if !c.is_ascii_digit() {
                    return None;
                }
                if i < 6 {
                    v = v * 10 + i64::from(c - b'0');
                }
            }
            v * 10i64.pow(6u32.saturating_sub(digits.len() as u32))
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(Micros(secs * 1_000_000 + micros_frac))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_agrees_with_jiff() {
        for s in [
            "2024-01-02T03:04:05.123456Z",
            "2024-02-29T23:59:59Z",
            "1999-12-31T00:00:00.5Z",
            "2026-11-28T10:42:44.123456789Z",
        ] {
            let fast = parse_fast_utc(s.as_bytes()).unwrap();
            let slow = Micros::from_timestamp(Timestamp::from_str(s).unwrap());
            assert_eq!(fast, slow, "{s}");
        }
    }

    #[test]
    fn lenient_shapes() {
        let want = Micros::parse("2022-11-29T00:09:04.380Z").unwrap();
        assert_eq!(Micros::parse("2022-11-29 00:09:04.38"), Some(want));
        assert_eq!(Micros::parse("2022-11-29T00:09:04.38+00:00"), Some(want));
        assert_eq!(Micros::parse("2022-11-29T01:09:04.38+01:00"), Some(want));
        assert_eq!(Micros::parse("not a time"), None);
        assert_eq!(Micros::parse("2022-13-29T00:09:04Z"), None);
    }

    #[test]
    fn prints_rfc3339_micros() {
        let t = Micros::parse("2024-01-02T03:04:05.1Z").unwrap();
        assert_eq!(t.to_string(), "2024-01-02T03:04:05.100000Z");
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(3_723_000_000), "1h02m03s");
        assert_eq!(format_duration(245_000_000), "4m05s");
        assert_eq!(format_duration(6_500_000), "6.5s");
        assert_eq!(format_duration(120_000), "120ms");
        assert_eq!(format_duration(-2_000_000), "-2.0s");
    }
}
