//! Timestamps: microseconds since the Unix epoch, UTC. Parsing is lenient about the shapes
//! exports use (`2024-01-02 03:04:05.38`, missing zone, nanoseconds) and strict about the
//! calendar: a date or time of day that does not exist (February 30, hour 25, month 13) is
//! an error naming the field and value, never shifted to a neighbour. Printing is RFC 3339.
//!
//! The times an event may carry are [`Micros::EARLIEST`] ..= [`Micros::LATEST`]
//! (1678-01-01 to 2261-12-31 UTC): the index keeps nanoseconds since the epoch in an `i64`.
//! Query bounds may lie outside (any year 1–9999 parses) and are clamped where they meet the
//! index. Printing never substitutes a time: one that cannot be shown says so.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use serde::Serialize;

/// A point in time, microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Micros(pub i64);

/// Why a string is not a time kubesift can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// A calendar field out of its range: `day 30 of 2024-02`, `hour 25`, `month 13`.
    #[error("{0} does not exist")]
    NoSuchDate(String),
    /// A real time outside [`Micros::EARLIEST`] ..= [`Micros::LATEST`].
    #[error("is outside the times kubesift can index (1678-01-01 to 2261-12-31 UTC)")]
    OutOfRange,
    /// Not a timestamp at all.
    #[error("is not a timestamp ({0})")]
    Unreadable(String),
}

const EPOCH: DateTime = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);

impl Micros {
    pub const SECOND: i64 = 1_000_000;
    pub const MINUTE: i64 = 60 * Self::SECOND;
    pub const HOUR: i64 = 60 * Self::MINUTE;
    /// 1678-01-01T00:00:00Z, the earliest time an event may carry.
    pub const EARLIEST: Micros = Micros(-9_214_560_000 * Self::SECOND);
    /// 2261-12-31T23:59:59.999999Z, the latest time an event may carry.
    pub const LATEST: Micros = Micros(9_214_646_400 * Self::SECOND - 1);

    /// Parses an RFC 3339 timestamp, tolerating a space instead of `T`, a missing zone
    /// (taken as UTC) and 0–9 fractional digits; `None` unless it is a real time within
    /// [`Micros::EARLIEST`] ..= [`Micros::LATEST`].
    pub fn parse(s: &str) -> Option<Micros> {
        Micros::parse_checked(s).ok()
    }

    /// [`Micros::parse`], saying why not.
    pub fn parse_checked(s: &str) -> Result<Micros, TimeError> {
        let m = Micros::parse_any(s)?;
        if (Micros::EARLIEST..=Micros::LATEST).contains(&m) {
            Ok(m)
        } else {
            Err(TimeError::OutOfRange)
        }
    }

    /// Parses a real time of any year jiff knows (−9999 to 9999), for bounds that need not
    /// be an event's time (a query's `time<9999-01-01`).
    pub fn parse_any(s: &str) -> Result<Micros, TimeError> {
        let s = s.trim();
        if let Some(m) = parse_fast_utc(s.as_bytes()) {
            return Ok(m);
        }
        check_calendar(s.as_bytes())?;
        if let Ok(ts) = Timestamp::from_str(s) {
            return Ok(Micros::from_timestamp(ts));
        }
        let normalized = s.replacen(' ', "T", 1);
        let zoned_err = match Timestamp::from_str(&normalized) {
            Ok(ts) => return Ok(Micros::from_timestamp(ts)),
            Err(e) => e,
        };
        // A civil time with `Z` is UTC: read it so, also where jiff's instants end (9999-12-31).
        let civil_text = normalized.strip_suffix(['Z', 'z']).unwrap_or(&normalized);
        match DateTime::from_str(civil_text) {
            Ok(civil) => from_civil(civil),
            // The zone designator is what the civil parse trips on: the zoned error says more.
            Err(_) if has_zone(&normalized) => Err(TimeError::Unreadable(zoned_err.to_string())),
            Err(e) => Err(TimeError::Unreadable(e.to_string())),
        }
    }

    /// `micros` when it is a time an event may carry.
    pub fn checked(micros: i64) -> Option<Micros> {
        let m = Micros(micros);
        (Micros::EARLIEST..=Micros::LATEST)
            .contains(&m)
            .then_some(m)
    }

    /// A query bound brought to at most one microsecond beyond the times an event may carry,
    /// where it compares with every event as the real bound does (`time<=1500-01-01` still
    /// matches nothing) and converts to the index's nanoseconds without overflow.
    #[must_use]
    pub fn clamped(self) -> Micros {
        Micros(self.0.clamp(Micros::EARLIEST.0 - 1, Micros::LATEST.0 + 1))
    }

    pub fn from_timestamp(ts: Timestamp) -> Micros {
        Micros(ts.as_microsecond())
    }

    /// The instant, when jiff can represent it (years −9999 to 9999, less a day at each end).
    pub fn to_timestamp(self) -> Option<Timestamp> {
        Timestamp::from_microsecond(self.0).ok()
    }

    /// The UTC civil time, when it lies in years −9999 to 9999.
    fn to_civil(self) -> Option<DateTime> {
        EPOCH.checked_add(SignedDuration::from_micros(self.0)).ok()
    }

    /// RFC 3339 in UTC with microseconds: `2024-01-02T03:04:05.123456Z`.
    pub fn rfc3339(self) -> String {
        self.to_string()
    }

    /// The time in `tz`, formatted for a table: `2024-01-02 03:04:05.123`. A time the zone
    /// database cannot place (beyond jiff's instants) is shown in UTC, marked `Z`.
    pub fn display_in(self, tz: &TimeZone) -> String {
        const TABLE: &str = "%Y-%m-%d %H:%M:%S%.3f";
        if let Some(ts) = self.to_timestamp() {
            let zoned: ZonedDateTime = ts.to_zoned_datetime(tz.clone());
            return zoned.strftime(TABLE).to_string();
        }
        match self.to_civil() {
            Some(civil) => format!("{}Z", civil.strftime(TABLE)),
            None => self.unprintable(),
        }
    }

    fn unprintable(self) -> String {
        format!("(time out of range: {} us from the Unix epoch)", self.0)
    }

    #[must_use]
    pub fn saturating_add(self, micros: i64) -> Micros {
        Micros(self.0.saturating_add(micros))
    }
}

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const RFC3339: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";
        if let Some(ts) = self.to_timestamp() {
            return write!(f, "{}", ts.strftime(RFC3339));
        }
        match self.to_civil() {
            Some(civil) => write!(f, "{}", civil.strftime(RFC3339)),
            None => f.write_str(&self.unprintable()),
        }
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

/// The decimal number in `b[r]`, all digits.
fn digits(b: &[u8], r: std::ops::Range<usize>) -> Option<i64> {
    let s = b.get(r)?;
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// Checks the calendar fields of a string that starts `YYYY-MM-DD[T ]HH:MM[:SS]`: each must
/// exist (seconds may be 60, a leap second). Anything else is left to the parser.
fn check_calendar(b: &[u8]) -> Result<(), TimeError> {
    let no = |what: String| Err(TimeError::NoSuchDate(what));
    let (Some(year), Some(month), Some(day)) = (digits(b, 0..4), digits(b, 5..7), digits(b, 8..10))
    else {
        return Ok(());
    };
    if b[4] != b'-' || b[7] != b'-' || b.get(10).is_some_and(u8::is_ascii_digit) {
        return Ok(());
    }
    if !(1..=12).contains(&month) {
        return no(format!("month {month:02}"));
    }
    let days = i64::from(date(year, month, 1).map_or(31, Date::days_in_month));
    if !(1..=days).contains(&day) {
        return no(format!("day {day:02} of {year:04}-{month:02}"));
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return Ok(());
    }
    let (Some(hour), Some(minute)) = (digits(b, 11..13), digits(b, 14..16)) else {
        return Ok(());
    };
    if hour > 23 {
        return no(format!("hour {hour:02}"));
    }
    if minute > 59 {
        return no(format!("minute {minute:02}"));
    }
    if b.get(16) == Some(&b':')
        && let Some(second) = digits(b, 17..19)
        && second > 60
    {
        return no(format!("second {second:02}"));
    }
    Ok(())
}

/// The calendar date, when it exists.
fn date(year: i64, month: i64, day: i64) -> Option<Date> {
    Date::new(i16::try_from(year).ok()?, small(month)?, small(day)?).ok()
}

fn small(v: i64) -> Option<i8> {
    i8::try_from(v).ok()
}

/// Whether an ISO 8601 date-time names its zone (`Z`, `+hh:mm`, `-hh:mm`).
fn has_zone(s: &str) -> bool {
    let time = s.get(10..).unwrap_or_default();
    time.ends_with(['Z', 'z']) || time.contains(['+', '-'])
}

/// A civil time read as UTC.
fn from_civil(civil: DateTime) -> Result<Micros, TimeError> {
    i64::try_from(civil.duration_since(EPOCH).as_micros())
        .map(Micros)
        .map_err(|_| TimeError::OutOfRange)
}

/// The common API-server shape `YYYY-MM-DDTHH:MM:SS[.fffffffff]Z`, parsed without
/// allocation; `None` for any other shape and for fields that do not exist (which
/// [`check_calendar`] then names). A leap second (`:60`) is read as `:59`, as jiff reads it.
fn parse_fast_utc(b: &[u8]) -> Option<Micros> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let (year, month, day) = (digits(b, 0..4)?, digits(b, 5..7)?, digits(b, 8..10)?);
    let (hour, minute, second) = (digits(b, 11..13)?, digits(b, 14..16)?, digits(b, 17..19)?);
    let frac = &b[19..b.len() - 1];
    let micros_frac = match frac {
        [] => 0,
        [b'.', d @ ..] if !d.is_empty() && d.len() <= 9 => {
            let kept = digits(d, 0..d.len().min(6))?;
            digits(d, 0..d.len())?; // every digit a digit
            // `d` has at most 9 digits (the guard above).
            let len = u32::try_from(d.len()).unwrap_or(9);
            kept * 10i64.pow(6u32.saturating_sub(len))
        }
        _ => return None,
    };
    if second > 60 {
        return None;
    }
    let time = jiff::civil::Time::new(small(hour)?, small(minute)?, small(second.min(59))?, 0);
    let civil = date(year, month, day)?.to_datetime(time.ok()?);
    let secs = jiff::tz::Offset::UTC.to_timestamp(civil).ok()?.as_second();
    Some(Micros(secs * Micros::SECOND + micros_frac))
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
    fn regression_year_9999_is_rejected_not_shown_as_1970() {
        let s = "9999-12-31T23:59:59Z";
        assert_eq!(Micros::parse_checked(s), Err(TimeError::OutOfRange));
        let m = Micros::parse_any(s).unwrap();
        assert_eq!(m.to_string(), "9999-12-31T23:59:59.000000Z");
        assert_eq!(m.display_in(&TimeZone::UTC), "9999-12-31 23:59:59.000Z");
        // Beyond any calendar: said, not replaced by another time.
        assert!(!Micros(i64::MAX).to_string().contains("1970"));
        assert!(Micros(i64::MIN).to_string().contains("out of range"));
    }

    #[test]
    fn regression_year_1_does_not_wrap() {
        let s = "0001-01-01T00:00:00Z";
        assert_eq!(Micros::parse_checked(s), Err(TimeError::OutOfRange));
        let m = Micros::parse_any(s).unwrap();
        assert_eq!(m, Micros(-62_135_596_800 * Micros::SECOND));
        assert_eq!(m.rfc3339(), "0001-01-01T00:00:00.000000Z");
    }

    #[test]
    fn regression_feb_30_is_rejected_not_shifted_to_march_1() {
        let no = |what: &str| Err(TimeError::NoSuchDate(what.to_owned()));
        for s in [
            "2024-02-30T10:00:00Z",
            "2024-02-30T10:00:00.5Z",
            "2024-02-30 10:00:00",
            "2024-02-30T11:00:00+01:00",
        ] {
            assert_eq!(Micros::parse_checked(s), no("day 30 of 2024-02"), "{s}");
        }
        assert_eq!(
            Micros::parse_checked("2023-02-29T00:00:00Z"),
            no("day 29 of 2023-02")
        );
        assert_eq!(
            Micros::parse_checked("2024-13-01T00:00:00Z"),
            no("month 13")
        );
        assert_eq!(
            Micros::parse_checked("2024-01-00T00:00:00Z"),
            no("day 00 of 2024-01")
        );
        assert_eq!(Micros::parse_checked("2024-01-02T25:00:00Z"), no("hour 25"));
        assert_eq!(
            Micros::parse_checked("2024-01-02T10:60:00Z"),
            no("minute 60")
        );
        assert_eq!(
            Micros::parse_checked("2024-01-02T10:00:61Z"),
            no("second 61")
        );
        let err = Micros::parse_checked("2024-02-30T10:00:00Z").unwrap_err();
        assert_eq!(err.to_string(), "day 30 of 2024-02 does not exist");
        assert!(Micros::parse("2024-02-29T10:00:00Z").is_some());
    }

    #[test]
    fn the_indexable_range_is_explicit() {
        assert_eq!(Micros::EARLIEST.rfc3339(), "1678-01-01T00:00:00.000000Z");
        assert_eq!(Micros::LATEST.rfc3339(), "2261-12-31T23:59:59.999999Z");
        // The index keeps nanoseconds in an i64: both ends fit.
        assert!(Micros::EARLIEST.0.checked_mul(1000).is_some());
        assert!(Micros::LATEST.0.checked_mul(1000).is_some());
        assert_eq!(
            Micros::parse("1678-01-01T00:00:00Z"),
            Some(Micros::EARLIEST)
        );
        assert_eq!(
            Micros::parse("2261-12-31T23:59:59.999999Z"),
            Some(Micros::LATEST)
        );
        assert_eq!(
            Micros::parse_checked("1677-12-31T23:59:59Z"),
            Err(TimeError::OutOfRange)
        );
        assert_eq!(Micros(i64::MIN).clamped(), Micros(Micros::EARLIEST.0 - 1));
        assert!(Micros(i64::MAX).clamped().0.checked_mul(1000).is_some());
    }

    #[test]
    fn leap_second_reads_as_59_on_both_paths() {
        let fast = Micros::parse("2016-12-31T23:59:60Z").unwrap();
        let slow = Micros::parse("2016-12-31T23:59:60+00:00").unwrap();
        assert_eq!(fast, slow);
        assert_eq!(fast.rfc3339(), "2016-12-31T23:59:59.000000Z");
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
