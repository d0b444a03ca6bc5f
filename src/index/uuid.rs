//! Audit IDs written as canonical UUIDs, held by the index as two numbers (`uuid_hi`,
//! `uuid_lo`): reading them, writing them back, their spellings and prefixes.

/// An audit ID written as a lower-case hyphenated UUID (`8-4-4-4-12` hex digits), as two
/// 64-bit halves; any other form (upper case, no hyphens, not a UUID) is `None`, kept as it
/// is written.
pub fn uuid_parts(id: &str) -> Option<(u64, u64)> {
    // Every event's document asks: the groups are read at their fixed places (the digit by
    // digit walk of `uuid_digits` was a percent of ingest).
    let b: &[u8; 36] = id.as_bytes().try_into().ok()?;
    if [b[8], b[13], b[18], b[23]] != [b'-'; 4] {
        return None;
    }
    let hi = hex_digits(&b[0..8], 0).and_then(|v| hex_digits(&b[9..13], v));
    let hi = hi.and_then(|v| hex_digits(&b[14..18], v))?;
    let lo = hex_digits(&b[19..23], 0).and_then(|v| hex_digits(&b[24..36], v))?;
    Some((hi, lo))
}

/// `acc` followed by the lower-case hex digits of `digits` (16 in all at most). The digits
/// are looked up in a table and checked once at the end: a branch per digit cost a percent
/// of ingest.
fn hex_digits(digits: &[u8], acc: u64) -> Option<u64> {
    let mut v = acc;
    let mut bad = 0u8;
    for &c in digits {
        let d = HEX[usize::from(c)];
        bad |= d;
        v = (v << 4) | u64::from(d & 0x0f);
    }
    (bad & 0x80 == 0).then_some(v)
}

/// The value of each lower-case hex digit; 0x80 (no digit) for every other byte.
const HEX: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut d: u8 = 0;
    while d < 16 {
        let c = if d < 10 { b'0' + d } else { b'a' + d - 10 };
        t[c as usize] = d;
        d += 1;
    }
    t
};

/// The spellings an audit ID is looked up by: as given, and when it is a UUID in some case,
/// in lower and in upper case too (UUIDs are case-insensitive; logs write them lower-case,
/// tickets often upper-case).
pub fn uuid_spellings(id: &str) -> Vec<String> {
    let mut out = vec![id.to_owned()];
    let lower = id.to_ascii_lowercase();
    if uuid_parts(&lower).is_some() {
        for v in [lower.clone(), id.to_ascii_uppercase()] {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// Whether two audit IDs name the same request: equal, or the same UUID in another case.
pub fn same_audit_id(a: &str, b: &str) -> bool {
    a == b || (a.eq_ignore_ascii_case(b) && uuid_parts(&a.to_ascii_lowercase()).is_some())
}

/// The hex digits of the start of a lower-case hyphenated UUID as a number, and how many
/// there are; `None` when `text` cannot start one (a hyphen misplaced or missing, another
/// character).
fn uuid_digits(text: &str) -> Option<(u128, u32)> {
    let b = text.as_bytes();
    if b.len() > 36 {
        return None;
    }
    let mut value: u128 = 0;
    let mut digits = 0u32;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        value = (value << 4) | u128::from(digit);
        digits += 1;
    }
    Some((value, digits))
}

/// A 128-bit value as its high and low 64 bits.
#[expect(
    clippy::cast_possible_truncation,
    reason = "takes the two 64-bit halves apart on purpose"
)]
pub fn halves(v: u128) -> (u64, u64) {
    ((v >> 64) as u64, v as u64)
}

/// The audit ID [`uuid_parts`] took apart.
pub fn uuid_string(hi: u64, lo: u64) -> String {
    let v = (u128::from(hi) << 64) | u128::from(lo);
    let hex = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The range of UUIDs (as [`uuid_parts`] reads them) whose written form starts with
/// `prefix`; `None` when no canonical UUID can start so.
pub fn uuid_prefix_range(prefix: &str) -> Option<(u128, u128)> {
    let (value, digits) = uuid_digits(prefix)?;
    let free = 4 * (32 - digits);
    if free == 128 {
        return Some((0, u128::MAX));
    }
    let lo = value << free;
    Some((lo, lo | ((1u128 << free) - 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_audit_ids_round_trip_and_other_forms_are_kept_as_written() {
        let id = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
        let (hi, lo) = uuid_parts(id).unwrap();
        assert_eq!(uuid_string(hi, lo), id);
        assert_eq!(uuid_string(0, 0), "00000000-0000-0000-0000-000000000000");
        for other in [
            "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9",
            "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8fg",
            "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f",
            "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9a",
            "0a1b2c3d+4e5f-6071-8293-a4b5c6d7e8f9",
            "req-1",
            "",
        ] {
            assert_eq!(uuid_parts(other), None, "{other}");
        }
    }

    /// The fixed-place reading of a UUID reads what the digit-by-digit walk (kept for
    /// prefixes) reads, for every character at every place.
    #[test]
    fn uuid_parts_read_at_fixed_places_agree_with_the_digit_walk() {
        let walk = |id: &str| {
            (id.len() == 36)
                .then(|| uuid_digits(id).map(|(v, _)| halves(v)))
                .flatten()
        };
        let base = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
        let mut checked = 0;
        for at in 0..base.len() {
            for c in ['0', '9', 'a', 'f', 'g', 'A', 'F', '-', ' ', 'é'] {
                let mut id = base.to_owned();
                id.replace_range(at..=at, &c.to_string());
                assert_eq!(uuid_parts(&id), walk(&id), "{id}");
                checked += usize::from(uuid_parts(&id).is_some());
            }
        }
        assert!(checked > 36 * 3, "{checked}");
        // Every ASCII byte in a group of digits: a digit only for 0-9 and a-f.
        for b in 0..128u8 {
            let mut id = base.to_owned();
            id.replace_range(20..=20, &char::from(b).to_string());
            assert_eq!(uuid_parts(&id), walk(&id), "{b}");
            assert_eq!(
                uuid_parts(&id).is_some(),
                b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
                "{b}"
            );
        }
        assert_eq!(
            uuid_parts("ffffffff-ffff-ffff-ffff-ffffffffffff"),
            Some((u64::MAX, u64::MAX))
        );
    }

    #[test]
    fn uuid_prefix_ranges_hold_exactly_the_ids_written_with_the_prefix() {
        let id = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
        let (hi, lo) = uuid_parts(id).unwrap();
        let v = (u128::from(hi) << 64) | u128::from(lo);
        for n in 0..=id.len() {
            let (a, b) = uuid_prefix_range(&id[..n]).unwrap();
            assert!(a <= v && v <= b, "prefix {}", &id[..n]);
        }
        let (a, b) = uuid_prefix_range("0a1b2c3d-4").unwrap();
        let text = |v: u128| {
            let (hi, lo) = halves(v);
            uuid_string(hi, lo)
        };
        assert_eq!(text(a), "0a1b2c3d-4000-0000-0000-000000000000");
        assert_eq!(text(b), "0a1b2c3d-4fff-ffff-ffff-ffffffffffff");
        assert_eq!(uuid_prefix_range(""), Some((0, u128::MAX)));
        assert_eq!(uuid_prefix_range("0a1b2c3dx"), None);
        assert_eq!(uuid_prefix_range("0A"), None);
        assert_eq!(uuid_prefix_range("0a1b2c3d4"), None);
    }
}
